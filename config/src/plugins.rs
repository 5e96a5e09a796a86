//! The Python plugins a LiteLLM config names (issue 11), which corelane runs in its sidecar:
//! `litellm_settings.callbacks` entries that name an object (`custom_callbacks.proxy_handler_instance`),
//! top-level `guardrails:` entries whose `guardrail` is a `module.Class`, and
//! `general_settings.custom_auth`. LiteLLM's built-in integrations (`langfuse`, `aporia`,
//! ...) are not Python paths; they stay listed as ignored.

use crate::fields::{join, Cx, Res};
use crate::node::Node;
use crate::value::Value;

/// A custom guardrail: its name and its `litellm_params` (`guardrail`, `mode`,
/// `default_on`, and whatever else the class takes), with `os.environ/` references resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Guardrail {
    pub name: String,
    /// `module.Class`.
    pub class: String,
    /// `pre_call`, `during_call`, `post_call`, `logging_only`, or a list of them; `None`
    /// when unset (LiteLLM refuses a custom guardrail without one).
    pub modes: Vec<String>,
    pub default_on: bool,
    /// Every `litellm_params` entry, as the class receives them.
    pub params: Value,
}

/// The modes of a guardrail LiteLLM knows.
pub const GUARDRAIL_MODES: [&str; 4] = ["pre_call", "during_call", "post_call", "logging_only"];

/// Whether a callback entry names a Python object rather than a built-in integration.
pub fn is_python_path(name: &str) -> bool {
    name.contains('.') && !name.starts_with('.') && !name.ends_with('.')
}

/// Reads the top-level `guardrails:` list; built-in integrations are listed as ignored.
pub(crate) fn guardrails(cx: &mut Cx<'_>, node: &Node) -> Res<Vec<Guardrail>> {
    const PATH: &str = "guardrails";
    let mut out = Vec::new();
    for (i, entry) in cx.seq(node, PATH)?.unwrap_or_default().iter().enumerate() {
        let path = format!("{PATH}[{i}]");
        let Some(fields) = cx.map(entry, &path)? else {
            continue;
        };
        let name = cx.required_string(fields, entry, &path, "guardrail_name")?;
        let Some((_, params)) = fields.iter().find(|(k, _)| k.text == "litellm_params") else {
            return Err(cx.invalid(entry, &path, "missing field litellm_params"));
        };
        let params_path = join(&path, "litellm_params");
        let Some(entries) = cx.map(params, &params_path)? else {
            return Err(cx.invalid(entry, &path, "missing field litellm_params"));
        };
        let class = cx.required_string(entries, params, &params_path, "guardrail")?;
        if !is_python_path(&class) {
            // A built-in integration (aporia, bedrock, presidio, ...).
            cx.ignore(join(&params_path, "guardrail"));
            continue;
        }
        let mut modes = Vec::new();
        if let Some((_, mode)) = entries.iter().find(|(k, _)| k.text == "mode") {
            let mode_path = join(&params_path, "mode");
            let items: Vec<&Node> = match cx.seq(mode, &mode_path) {
                Ok(Some(items)) => items.iter().collect(),
                _ => vec![mode],
            };
            for item in items {
                let Some(m) = cx.string(item, &mode_path)? else {
                    continue;
                };
                if !GUARDRAIL_MODES.contains(&m.as_str()) {
                    return Err(cx.invalid(
                        item,
                        &mode_path,
                        format!("{m:?} is not one of {}", GUARDRAIL_MODES.join(", ")),
                    ));
                }
                modes.push(m);
            }
        }
        if modes.is_empty() {
            // LiteLLM's `initialize_custom_guardrail`: "mode is required".
            return Err(cx.invalid(params, &params_path, "missing field mode"));
        }
        let default_on = match entries.iter().find(|(k, _)| k.text == "default_on") {
            Some((_, v)) => cx
                .boolean(v, &join(&params_path, "default_on"))?
                .unwrap_or(false),
            None => false,
        };
        let params = resolved(cx, params);
        out.push(Guardrail {
            name,
            class,
            modes,
            default_on,
            params,
        });
    }
    Ok(out)
}

/// A YAML value with its `os.environ/X` strings replaced by X's value (an unset one is
/// null, as LiteLLM's `get_secret` gives None).
fn resolved(cx: &mut Cx<'_>, node: &Node) -> Value {
    fn walk(cx: &mut Cx<'_>, v: Value) -> Value {
        match v {
            Value::String(s) => match cx.env.resolve_ref(&s) {
                Ok(None) => Value::String(s),
                Ok(Some(value)) => Value::String(value.to_string()),
                Err(_) => Value::Null,
            },
            Value::List(items) => Value::List(items.into_iter().map(|i| walk(cx, i)).collect()),
            Value::Map(entries) => {
                Value::Map(entries.into_iter().map(|(k, v)| (k, walk(cx, v))).collect())
            }
            other => other,
        }
    }
    let value = Value::from_node(node);
    walk(cx, value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::{parse, Env, Value};

    fn config(text: &str) -> crate::Config {
        parse(
            text,
            "test.yaml",
            Env::from_pairs([("GUARD_KEY".to_owned(), "s3cret".to_owned())]),
        )
        .unwrap()
    }

    #[test]
    fn python_callbacks_guardrails_and_custom_auth_are_read() {
        let c = config(
            "litellm_settings:\n  callbacks: [\"prometheus\", custom_callbacks.proxy_handler_instance, langfuse]\n\
             general_settings:\n  custom_auth: custom_auth.user_api_key_auth\n\
             guardrails:\n  - guardrail_name: my-guard\n    litellm_params:\n      guardrail: custom_guardrail.MyGuardrail\n      mode: during_call\n      default_on: true\n      api_key: os.environ/GUARD_KEY\n\
             \x20 - guardrail_name: both\n    litellm_params:\n      guardrail: g.G\n      mode: [pre_call, post_call]\n\
             \x20 - guardrail_name: aporia-pre\n    litellm_params:\n      guardrail: aporia\n      mode: pre_call\n",
        );
        assert!(c.litellm_settings.prometheus);
        assert_eq!(
            c.litellm_settings.python_callbacks,
            ["custom_callbacks.proxy_handler_instance"]
        );
        assert_eq!(
            c.general_settings.custom_auth.as_deref(),
            Some("custom_auth.user_api_key_auth")
        );
        assert_eq!(c.guardrails.len(), 2);
        let g = &c.guardrails[0];
        assert_eq!(
            (g.name.as_str(), g.class.as_str()),
            ("my-guard", "custom_guardrail.MyGuardrail")
        );
        assert_eq!(
            (g.modes.clone(), g.default_on),
            (vec!["during_call".to_owned()], true)
        );
        let Value::Map(params) = &g.params else {
            panic!("{:?}", g.params)
        };
        assert!(params.contains(&("api_key".into(), Value::String("s3cret".into()))));
        assert_eq!(c.guardrails[1].modes, ["pre_call", "post_call"]);
        assert!(!c.guardrails[1].default_on);
        // The built-ins are listed as ignored, not run.
        assert!(
            c.ignored.iter().any(|i| i == "litellm_settings.callbacks"),
            "{:?}",
            c.ignored
        );
        assert!(c
            .ignored
            .iter()
            .any(|i| i == "guardrails[2].litellm_params.guardrail"));
    }

    #[test]
    fn a_single_callback_string_is_read_too() {
        let c = config("litellm_settings:\n  callbacks: custom_callbacks.proxy_handler_instance\n");
        assert_eq!(
            c.litellm_settings.python_callbacks,
            ["custom_callbacks.proxy_handler_instance"]
        );
        assert!(c.ignored.is_empty(), "{:?}", c.ignored);
    }

    #[test]
    fn a_custom_guardrail_needs_a_known_mode() {
        for bad in ["      mode: sometimes\n", ""] {
            let text = format!(
                "guardrails:\n  - guardrail_name: g\n    litellm_params:\n      guardrail: m.G\n{bad}"
            );
            assert!(parse(&text, "t.yaml", Env::default()).is_err(), "{bad}");
        }
    }
}
