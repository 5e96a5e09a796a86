//! The routes that are not inference: model listing and info, the route list (the health
//! routes are `health_check`'s).

use serde_json::{json, Map, Value};

use crate::errors::GatewayError;
use crate::gateway::{DeploymentKind, Gateway};

/// `created` LiteLLM reports for config models.
const CREATED: u64 = 1677610602;

fn model_entry(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": CREATED, "owned_by": "openai"})
}

/// The names `/models` lists: every model group, then the visible aliases.
pub fn listed(gw: &Gateway) -> Vec<&str> {
    let mut names: Vec<&str> = gw.groups.iter().map(|g| g.name.as_str()).collect();
    let mut aliases: Vec<&str> = gw
        .aliases
        .iter()
        .filter(|(_, a)| !a.hidden)
        .map(|(name, _)| name.as_str())
        .collect();
    aliases.sort_unstable();
    names.extend(aliases);
    names
}

/// `GET /models/{id}`: one listed model, as OpenAI's `models.retrieve` returns it; `shown`:
/// it is listed, the caller may call it and no plugin hides it.
pub fn model_by_id(id: &str, shown: bool) -> Result<Vec<u8>, GatewayError> {
    if !shown {
        return Err(GatewayError::ModelNotFound { id: id.to_owned() });
    }
    Ok(serde_json::to_vec(&model_entry(id)).unwrap_or_default())
}

/// `GET /routes`: the routes served, as LiteLLM lists its own (path, methods, name).
pub fn routes() -> Vec<u8> {
    let routes: Vec<Value> = crate::routes::ROUTES
        .iter()
        .map(|(path, methods)| json!({"path": path, "methods": methods, "name": path}))
        .collect();
    serde_json::to_vec(&json!({"routes": routes})).unwrap_or_default()
}

/// Whether a virtual key (none: the master key) may call a model, so lists show it.
pub fn may_call(key: Option<&crate::auth::Identity>, model: &str) -> bool {
    key.is_none_or(|id| crate::auth::check_model(id, model).is_ok())
}

/// `GET /models`: the `names` listed (the model groups and visible aliases a caller may
/// call, as LiteLLM lists a key's models, less what plugins hide), as OpenAI's list.
pub fn models(names: &[&str]) -> Vec<u8> {
    let data: Vec<Value> = names.iter().map(|m| model_entry(m)).collect();
    serde_json::to_vec(&json!({"data": data, "object": "list"})).unwrap_or_default()
}

/// `GET /model/info`: each deployment's params (without secrets) and model_info; `shown`
/// says whether plugins keep its model name listed.
pub fn model_info(gw: &Gateway, shown: impl Fn(&str) -> bool) -> Vec<u8> {
    let data: Vec<Value> = gw
        .deployments
        .iter()
        .filter(|d| shown(&d.group))
        .map(|d| {
            let p = &d.params;
            let mut params = Map::new();
            params.insert("model".into(), json!(p.model));
            let optional = [
                ("api_base", &p.api_base),
                ("api_version", &p.api_version),
                ("custom_llm_provider", &p.custom_llm_provider),
                ("organization", &p.organization),
                ("mock_response", &p.mock_response),
            ];
            for (k, v) in optional {
                if let Some(v) = v {
                    params.insert(k.into(), json!(v));
                }
            }
            for (k, v) in [("rpm", p.rpm), ("tpm", p.tpm)] {
                if let Some(v) = v {
                    params.insert(k.into(), json!(v));
                }
            }
            let mut info = Map::new();
            info.insert("id".into(), json!(d.id));
            info.insert("db_model".into(), json!(false));
            let i = &d.info;
            for (k, v) in [("mode", &i.mode), ("base_model", &i.base_model)] {
                if let Some(v) = v {
                    info.insert(k.into(), json!(v));
                }
            }
            for (k, v) in [
                ("max_tokens", i.max_tokens),
                ("max_input_tokens", i.max_input_tokens),
                ("max_output_tokens", i.max_output_tokens),
            ] {
                if let Some(v) = v {
                    info.insert(k.into(), json!(v));
                }
            }
            if let Some(prices) = &d.prices {
                info.insert("input_cost_per_token".into(), json!(prices.input_per_token));
                info.insert(
                    "output_cost_per_token".into(),
                    json!(prices.output_per_token),
                );
                for (k, v) in [
                    ("cache_read_input_token_cost", prices.cache_read_per_token),
                    (
                        "cache_creation_input_token_cost",
                        prices.cache_creation_per_token,
                    ),
                    (
                        "cache_creation_input_token_cost_above_1hr",
                        prices.cache_creation_1h_per_token,
                    ),
                    (
                        "output_cost_per_reasoning_token",
                        prices.reasoning_per_token,
                    ),
                ] {
                    if let Some(v) = v {
                        info.insert(k.into(), json!(v));
                    }
                }
            }
            if let DeploymentKind::Fixed { provider, .. } = &d.kind {
                info.insert("litellm_provider".into(), json!(provider.name));
            }
            for (k, v) in &i.extra {
                info.insert(k.clone(), to_json(v));
            }
            json!({"model_name": d.group, "litellm_params": params, "model_info": info})
        })
        .collect();
    serde_json::to_vec(&json!({"data": data})).unwrap_or_default()
}

/// A kept YAML value as JSON (non-finite floats become null, as JSON has no such numbers).
fn to_json(v: &corelane_config::Value) -> Value {
    use corelane_config::Value as Yaml;
    match v {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => json!(b),
        Yaml::Int(i) => json!(i),
        Yaml::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Yaml::String(s) => json!(s),
        Yaml::List(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}
