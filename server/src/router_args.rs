//! The router settings one request carries, as LiteLLM's proxy reads them: the body members
//! `num_retries`, `timeout` / `request_timeout`, `stream_timeout`, `fallbacks`,
//! `context_window_fallbacks`, `content_policy_fallbacks`, `disable_fallbacks` and
//! `max_fallbacks`, and the headers `x-litellm-num-retries`, `x-litellm-timeout` and
//! `x-litellm-stream-timeout` (merged after the body, so a header wins). Read only when the
//! request has one: most requests pay one check.
//!
//! Values are read as LiteLLM's Python reads them: `0` and `null` timeouts are unset (its `or`
//! chains), a negative `num_retries` retries nothing, only `true` disables fallbacks, a `null`
//! `fallbacks` turns the router's off for the request. A value LiteLLM would fail on (a
//! string `num_retries`, a timeout that is not a number) is refused with a 400 naming it.
//!
//! `fallbacks` comes in LiteLLM's two shapes: the router's (`[{"group": ["f1", "f2"]}]`),
//! which replaces the router's table for the request, and the client-side one (`["f1",
//! "f2"]` or `[{"model": "f1"}]`), a chain every failed group of the request goes on to.
//! A client-side entry that overrides other request parameters (`{"model": "f1",
//! "messages": [...]}`) is refused: the body would be another request than the one routed.

use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

use corelane_config::Fallback;
use corelane_transforms::openai::{RequestFields, RouterArg};
use serde_json::Value;

use crate::errors::GatewayError;
use crate::exchange::Request;

/// Longest value of one router member read from a spilled body: far beyond any real
/// fallback list.
const MAX_VALUE: usize = 64 * 1024;
/// Most model groups a request's fallbacks, and most tags it, may name: the fallback walk
/// and the tags' deduplication are quadratic in them, and no real request comes near.
const MAX_ENTRIES: usize = 256;
/// Most retries a request may ask for: each is an upstream call, so an unbounded count would
/// let one request make any number of them.
const MAX_RETRIES: u32 = 10;
/// Longest timeout a request may set (a day): past it `Duration` arithmetic is not needed.
const MAX_TIMEOUT: f64 = 86_400.0;

/// The router headers of a request, as they came.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouterHeaders<'b> {
    pub num_retries: Option<&'b str>,
    pub timeout: Option<&'b str>,
    pub stream_timeout: Option<&'b str>,
    /// `x-litellm-tags`: comma-separated.
    pub tags: Option<&'b str>,
}

impl RouterHeaders<'_> {
    fn is_empty(&self) -> bool {
        self.num_retries.is_none()
            && self.timeout.is_none()
            && self.stream_timeout.is_none()
            && self.tags.is_none()
    }
}

/// The fallbacks a request names instead of the router's.
#[derive(Debug, Clone, PartialEq)]
pub enum Fallbacks {
    /// The router's shape: a table by group (empty: none).
    Table(Vec<Fallback>),
    /// The client-side shape: groups every failed group of the request goes on to.
    Chain(Vec<String>),
}

/// What a request sets of the router's behaviour; `None`: the router's own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestRouting {
    pub num_retries: Option<u32>,
    pub timeout: Option<Duration>,
    pub stream_timeout: Option<Duration>,
    pub fallbacks: Option<Fallbacks>,
    /// `Some(None)`: unset for the request (such errors take the ordinary fallbacks).
    pub context_window_fallbacks: Option<Option<Vec<Fallback>>>,
    pub content_policy_fallbacks: Option<Option<Vec<Fallback>>>,
    pub disable_fallbacks: bool,
    pub max_fallbacks: Option<u32>,
    /// The request's tags, when tag routing reads them: `metadata.tags`, `x-litellm-tags`,
    /// then `tags`, each once.
    pub tags: Vec<String>,
}

impl RequestRouting {
    /// Every group the request names to fall back to (its `fallbacks`, in either shape,
    /// `context_window_fallbacks` and `content_policy_fallbacks`): LiteLLM checks each against
    /// the key's allowed models.
    pub fn fallback_targets(&self) -> Vec<&str> {
        let mut tables: Vec<&Fallback> = Vec::new();
        let mut out: Vec<&str> = Vec::new();
        match &self.fallbacks {
            Some(Fallbacks::Table(t)) => tables.extend(t),
            Some(Fallbacks::Chain(c)) => out.extend(c.iter().map(String::as_str)),
            None => {}
        }
        for t in [
            &self.context_window_fallbacks,
            &self.content_policy_fallbacks,
        ] {
            tables.extend(t.iter().flatten().flatten());
        }
        out.extend(
            tables
                .iter()
                .flat_map(|f| f.targets.iter().map(String::as_str)),
        );
        out
    }
}

/// Reads the request's router settings from its body members and headers; its tags only
/// when `tags` (tag routing is on).
pub async fn read(
    req: &Request<'_>,
    fields: &RequestFields,
    tags: bool,
) -> Result<RequestRouting, GatewayError> {
    let mut out = RequestRouting::default();
    if fields.router_args.is_empty() && req.router_headers.is_empty() {
        return Ok(out);
    }
    let (mut from_metadata, mut from_body) = (Vec::new(), Vec::new());
    for (arg, span) in fields.router_args.iter() {
        let tag_source = matches!(arg, RouterArg::Metadata | RouterArg::Tags);
        // A spilled body's member is read back only up to a bound: past it, `metadata` or
        // `tags` (which may be large for reasons of their own) gives no tags rather than a
        // refusal.
        let oversized = req.spilled.is_some() && span.len() > MAX_VALUE;
        if tag_source && (!tags || oversized) {
            continue;
        }
        let bytes = member_value(req, span).await?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid(arg.name()))?;
        match arg {
            RouterArg::Metadata => from_metadata = tag_list(value.get("tags")),
            RouterArg::Tags => from_body = tag_list(Some(&value)),
            _ => apply(&mut out, arg, &value)?,
        }
    }
    if tags {
        let header: Vec<String> = req
            .router_headers
            .tags
            .into_iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .take(MAX_ENTRIES + 1)
            .map(str::to_owned)
            .collect();
        if from_metadata.len() + header.len() + from_body.len() > MAX_ENTRIES {
            return Err(too_many("tags"));
        }
        for tag in from_metadata.into_iter().chain(header).chain(from_body) {
            if !out.tags.contains(&tag) {
                out.tags.push(tag);
            }
        }
    }
    let h = &req.router_headers;
    if let Some(v) = h.num_retries {
        let n: i64 = v
            .trim()
            .parse()
            .map_err(|_| invalid("x-litellm-num-retries"))?;
        out.num_retries = Some(n.clamp(0, i64::from(u32::MAX)) as u32);
    }
    if let Some(v) = h.timeout {
        out.timeout = header_seconds(v, "x-litellm-timeout")?;
    }
    if let Some(v) = h.stream_timeout {
        out.stream_timeout = header_seconds(v, "x-litellm-stream-timeout")?;
    }
    if out.num_retries.is_some_and(|n| n > MAX_RETRIES) {
        return Err(GatewayError::BadRequest {
            message: format!(
                "litellm.BadRequestError: Invalid value for 'num_retries': at most {MAX_RETRIES} retries a request"
            ),
        });
    }
    Ok(out)
}

/// The bytes of a member's value: borrowed from the body in memory, else read back from
/// its file.
async fn member_value<'b>(
    req: &Request<'b>,
    span: Range<usize>,
) -> Result<Cow<'b, [u8]>, GatewayError> {
    let Some(spilled) = req.spilled else {
        return Ok(Cow::Borrowed(req.body.get(span).unwrap_or_default()));
    };
    if span.len() > MAX_VALUE {
        return Err(GatewayError::BadRequest {
            message: format!(
                "a router member of the request is longer than {MAX_VALUE} bytes; send a shorter one"
            ),
        });
    }
    spilled
        .file
        .read_at(span.start as u64, span.len(), Vec::new())
        .await
        .map(Cow::Owned)
        .map_err(|_| GatewayError::BodyStore)
}

fn too_many(name: &str) -> GatewayError {
    GatewayError::BadRequest {
        message: format!(
            "litellm.BadRequestError: Invalid value for '{name}': at most {MAX_ENTRIES} entries"
        ),
    }
}

/// The strings of a list of tags (anything else: none).
fn tag_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn invalid(name: &str) -> GatewayError {
    let expected = match name {
        "num_retries" | "x-litellm-num-retries" | "max_fallbacks" => "an integer",
        "timeout"
        | "request_timeout"
        | "stream_timeout"
        | "x-litellm-timeout"
        | "x-litellm-stream-timeout" => "a number of seconds",
        "disable_fallbacks" => "a boolean",
        _ => "a list of model groups, or of {\"<model group>\": [<fallback groups>]} entries",
    };
    GatewayError::BadRequest {
        message: format!(
            "litellm.BadRequestError: Invalid value for '{name}': expected {expected}"
        ),
    }
}

fn apply(out: &mut RequestRouting, arg: RouterArg, value: &Value) -> Result<(), GatewayError> {
    let name = arg.name();
    let count = |v: &Value| -> Result<Option<u32>, GatewayError> {
        match v {
            Value::Null => Ok(None),
            Value::Number(n) => match n.as_i64() {
                Some(n) => Ok(Some(n.clamp(0, i64::from(u32::MAX)) as u32)),
                None if n.as_u64().is_some() => Ok(Some(u32::MAX)),
                None => Err(invalid(name)),
            },
            _ => Err(invalid(name)),
        }
    };
    match arg {
        RouterArg::NumRetries => out.num_retries = count(value)?,
        RouterArg::MaxFallbacks => out.max_fallbacks = count(value)?,
        // `timeout or request_timeout`: a later `request_timeout` does not replace a timeout.
        RouterArg::Timeout => out.timeout = seconds(value, name)?.or(out.timeout),
        RouterArg::RequestTimeout => out.timeout = out.timeout.or(seconds(value, name)?),
        RouterArg::StreamTimeout => out.stream_timeout = seconds(value, name)?,
        RouterArg::DisableFallbacks => out.disable_fallbacks = *value == Value::Bool(true),
        RouterArg::Fallbacks => {
            out.fallbacks = Some(match value {
                Value::Null => Fallbacks::Table(Vec::new()),
                v => fallbacks(v, name)?,
            })
        }
        RouterArg::ContextWindowFallbacks => {
            out.context_window_fallbacks = Some(table(value, name)?)
        }
        RouterArg::ContentPolicyFallbacks => {
            out.content_policy_fallbacks = Some(table(value, name)?)
        }
        // Read by `read`.
        RouterArg::Metadata | RouterArg::Tags => {}
    }
    Ok(())
}

/// A timeout in seconds: `null` and 0 are unset.
fn seconds(value: &Value, name: &str) -> Result<Option<Duration>, GatewayError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => to_duration(n.as_f64(), name),
        _ => Err(invalid(name)),
    }
}

fn header_seconds(v: &str, name: &str) -> Result<Option<Duration>, GatewayError> {
    to_duration(
        Some(v.trim().parse::<f64>().map_err(|_| invalid(name))?),
        name,
    )
}

fn to_duration(secs: Option<f64>, name: &str) -> Result<Option<Duration>, GatewayError> {
    match secs {
        Some(0.0) => Ok(None),
        Some(s) if s > 0.0 && s.is_finite() => {
            Ok(Some(Duration::from_secs_f64(s.min(MAX_TIMEOUT))))
        }
        _ => Err(invalid(name)),
    }
}

/// `fallbacks` in either of LiteLLM's shapes (`check_non_standard_fallback_format`).
fn fallbacks(value: &Value, name: &str) -> Result<Fallbacks, GatewayError> {
    let Value::Array(items) = value else {
        return Err(invalid(name));
    };
    if items.len() > MAX_ENTRIES {
        return Err(too_many(name));
    }
    if !items.is_empty() && items.iter().all(Value::is_string) {
        return Ok(Fallbacks::Chain(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ));
    }
    // `{"model": "f1", ...}` entries name a group to go on to.
    let client_side = items.iter().all(|item| {
        item.as_object()
            .and_then(|o| o.get("model"))
            .is_some_and(Value::is_string)
    });
    if client_side && !items.is_empty() {
        let mut chain = Vec::with_capacity(items.len());
        for item in items {
            let Some(entry) = item.as_object() else {
                return Err(invalid(name));
            };
            if entry.len() > 1 {
                return Err(GatewayError::BadRequest {
                    message: format!(
                        "litellm.BadRequestError: '{name}' entries that override request parameters are not supported by corelane; name the model group only ({{\"model\": \"<group>\"}})"
                    ),
                });
            }
            if let Some(model) = entry.get("model").and_then(Value::as_str) {
                chain.push(model.to_owned());
            }
        }
        return Ok(Fallbacks::Chain(chain));
    }
    table(value, name).map(|t| Fallbacks::Table(t.unwrap_or_default()))
}

/// The router's shape, `[{"group": ["f1", "f2"]}]`; `null`: none.
fn table(value: &Value, name: &str) -> Result<Option<Vec<Fallback>>, GatewayError> {
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        _ => return Err(invalid(name)),
    };
    let mut out = Vec::new();
    for item in items {
        let Some(entry) = item.as_object() else {
            return Err(invalid(name));
        };
        for (group, targets) in entry {
            let Some(targets) = targets.as_array() else {
                return Err(invalid(name));
            };
            let targets = targets
                .iter()
                .map(|t| t.as_str().map(str::to_owned).ok_or_else(|| invalid(name)))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Fallback {
                group: group.clone(),
                targets,
            });
        }
    }
    if out.iter().map(|f| 1 + f.targets.len()).sum::<usize>() > MAX_ENTRIES {
        return Err(too_many(name));
    }
    Ok(Some(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn routing(members: Value) -> Result<RequestRouting, GatewayError> {
        let mut out = RequestRouting::default();
        for (k, v) in members.as_object().unwrap() {
            let arg = RouterArg::ALL.iter().find(|a| a.name() == k).unwrap();
            apply(&mut out, *arg, v)?;
        }
        Ok(out)
    }

    fn message(e: GatewayError) -> String {
        match e {
            GatewayError::BadRequest { message } => message,
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn values_read_as_litellm_reads_them() {
        let r = routing(json!({"num_retries": 3, "max_fallbacks": 1, "timeout": 1.5,
                               "stream_timeout": 0, "disable_fallbacks": true}))
        .unwrap();
        assert_eq!(r.num_retries, Some(3));
        assert_eq!(r.max_fallbacks, Some(1));
        assert_eq!(r.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(r.stream_timeout, None);
        assert!(r.disable_fallbacks);
        // Negative retries retry nothing; only `true` disables; `timeout or request_timeout`.
        let r = routing(json!({"num_retries": -2, "disable_fallbacks": "yes",
                               "request_timeout": 2, "timeout": null}))
        .unwrap();
        assert_eq!(r.num_retries, Some(0));
        assert!(!r.disable_fallbacks);
        assert_eq!(r.timeout, Some(Duration::from_secs(2)));
        let r = routing(json!({"timeout": 3, "request_timeout": 2})).unwrap();
        assert_eq!(r.timeout, Some(Duration::from_secs(3)));
    }

    #[test]
    fn fallbacks_in_both_shapes() {
        let r = routing(json!({"fallbacks": ["a", "b"]})).unwrap();
        assert_eq!(
            r.fallbacks,
            Some(Fallbacks::Chain(vec!["a".into(), "b".into()]))
        );
        let r = routing(json!({"fallbacks": [{"model": "a"}, {"model": "b"}]})).unwrap();
        assert_eq!(
            r.fallbacks,
            Some(Fallbacks::Chain(vec!["a".into(), "b".into()]))
        );
        let r = routing(json!({"fallbacks": [{"g": ["a"]}, {"*": ["b", "c"]}]})).unwrap();
        let Some(Fallbacks::Table(t)) = r.fallbacks else {
            panic!()
        };
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].group, "*");
        assert_eq!(t[1].targets, ["b", "c"]);
        // `null` and `[]`: no fallbacks for the request.
        for v in [json!(null), json!([])] {
            let r = routing(json!({ "fallbacks": v })).unwrap();
            assert_eq!(r.fallbacks, Some(Fallbacks::Table(Vec::new())));
        }
        let r = routing(json!({"context_window_fallbacks": [{"g": ["big"]}],
                               "content_policy_fallbacks": null}))
        .unwrap();
        assert_eq!(
            r.context_window_fallbacks.unwrap().unwrap()[0].targets,
            ["big"]
        );
        assert_eq!(r.content_policy_fallbacks, Some(None));
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for (members, named) in [
            (json!({"num_retries": "2"}), "num_retries"),
            (json!({"num_retries": 1.5}), "num_retries"),
            (json!({"timeout": "1"}), "timeout"),
            (json!({"timeout": -1}), "timeout"),
            (json!({"fallbacks": "g"}), "fallbacks"),
            (json!({"fallbacks": [{"g": "a"}]}), "fallbacks"),
            (json!({"fallbacks": [1]}), "fallbacks"),
            (
                json!({"context_window_fallbacks": ["a"]}),
                "context_window_fallbacks",
            ),
        ] {
            let m = message(routing(members.clone()).unwrap_err());
            assert!(m.contains(&format!("'{named}'")), "{members}: {m}");
        }
        let m =
            message(routing(json!({"fallbacks": [{"model": "a", "messages": []}]})).unwrap_err());
        assert!(m.contains("not supported"), "{m}"); // Bounded: the fallback walk is quadratic in the groups named.
        let many: Vec<String> = (0..300).map(|i| format!("g{i}")).collect();
        let m = message(routing(json!({ "fallbacks": many })).unwrap_err());
        assert!(m.contains("at most 256 entries"), "{m}");
        let m = message(routing(json!({ "fallbacks": [{ "g": many }] })).unwrap_err());
        assert!(m.contains("at most 256 entries"), "{m}");
    }

    #[test]
    fn header_values() {
        assert_eq!(
            header_seconds(" 0.25", "x").unwrap(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(header_seconds("0", "x").unwrap(), None);
        assert!(header_seconds("soon", "x").is_err());
        assert!(header_seconds("inf", "x").is_err());
        assert!(header_seconds("NaN", "x").is_err());
    }
}
