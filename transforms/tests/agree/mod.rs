//! The property that `inspect` and `splice` must keep for any bytes, checked against
//! serde_json as a stand-in for the upstream's parser (it unescapes keys and the last of
//! repeated keys wins). Shared by tests/duplicate_keys.rs and fuzz/fuzz_targets/inspect.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use corelane_transforms::json::tape::Scratch;
use corelane_transforms::service_tier::ServiceTier;
use corelane_transforms::{inspect, splice, Presence, RequestFields};
use serde_json::{Map, Value};

/// What happened to one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Both parsers read it and inspect agreed with serde_json on every field.
    Accepted,
    /// serde_json reads it, inspect refuses it (repeated or case-variant key, wrong type).
    RefusedByInspect,
    /// Neither accepts it.
    RefusedByBoth,
    /// Only serde_json's nesting limit (128) refused it; inspect follows simd-json's (1024),
    /// closer to orjson's which LiteLLM uses, so the input says nothing either way.
    TooDeepForSerde,
}

/// Checks `body` and panics, naming the body, on any disagreement:
/// - serde_json refuses it => inspect refuses it;
/// - inspect accepts it => its model, stream, include_usage, user, service_tier and the presence of
///   messages/prompt/input equal serde_json's reading of the same body;
/// - the body spliced with model "NEW" (with and without forcing include_usage) reads, to
///   serde_json, as the input with `model` replaced and nothing else changed but
///   `stream_options.include_usage` forced true.
pub fn check(body: &[u8]) -> Verdict {
    let mut scratch = Scratch::new();
    let ours = inspect(body, &mut scratch);
    let theirs = match serde_json::from_slice::<Value>(body) {
        Ok(v) => v,
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            return Verdict::TooDeepForSerde
        }
        Err(e) => {
            assert!(
                ours.is_err(),
                "serde_json refuses ({e}) but inspect accepts {:?}",
                String::from_utf8_lossy(body)
            );
            return Verdict::RefusedByBoth;
        }
    };
    let Ok(fields) = ours else {
        return Verdict::RefusedByInspect;
    };
    let shown = String::from_utf8_lossy(body);
    let object = theirs
        .as_object()
        .unwrap_or_else(|| panic!("inspect accepted a non-object {shown:?}"));
    same_reading(&fields, object, &shown);
    for force in [false, true] {
        spliced_as_expected(body, &fields, object, force, &shown);
    }
    written_as_expected(body, object, &shown);
    Verdict::Accepted
}

/// A chat body written again for an OpenAI-format row's parameter table reads, to serde_json,
/// as an object with `model` "NEW", none of LiteLLM's own keys, and only keys the client sent
/// (at the top or in `extra_body`) or ones the table renames to; or it is refused for a
/// parameter, and never with `drop_params`.
fn written_as_expected(body: &[u8], object: &Map<String, Value>, shown: &str) {
    use corelane_transforms::anthropic::TransformError;
    use corelane_transforms::params::{rows, write_chat_body, ParamRules};
    let extra = object.get("extra_body").and_then(Value::as_object);
    let renamed = [
        "model",
        "max_tokens",
        "random_seed",
        "thinking",
        "stream_options",
        // DeepSeek's table adds `"stream": false` to a body without `stream`.
        "stream",
    ];
    for rules in [
        ParamRules::OPENAI,
        rows::MISTRAL,
        rows::DEEPSEEK,
        rows::DEEPINFRA,
    ] {
        for drop in [false, true] {
            let mut out = Vec::new();
            if let Err(e) = write_chat_body(body, &rules, "p", "NEW", true, drop, &mut out) {
                // A parameter is refused only without drop_params; an extra_body that sets
                // a key the gateway reads, always.
                let parameter = matches!(e, TransformError::UnsupportedParams { .. });
                assert!(!(drop && parameter), "refused with drop_params: {shown:?}");
                assert!(
                    parameter || e.message().starts_with("extra_body may not set"),
                    "{e:?}: {shown:?}"
                );
                assert!(out.is_empty(), "a refusal left bytes: {shown:?}");
                continue;
            }
            let written: Value = serde_json::from_slice(&out).unwrap_or_else(|e| {
                panic!(
                    "written body unreadable ({e}): {shown:?} -> {:?}",
                    String::from_utf8_lossy(&out)
                )
            });
            let written = written.as_object().expect("an object");
            assert_eq!(written.get("model"), Some(&Value::from("NEW")), "{shown:?}");
            for key in written.keys() {
                // `extra_body` goes as the client wrote it (the OpenAI SDK merges it).
                if extra.is_some_and(|e| e.contains_key(key)) {
                    continue;
                }
                assert!(
                    !["metadata", "drop_params", "tags", "extra_body"].contains(&key.as_str()),
                    "{key} sent: {shown:?}"
                );
                assert!(
                    object.contains_key(key) || renamed.contains(&key.as_str()),
                    "{key} made up: {shown:?}"
                );
                if key == "stream" && !object.contains_key(key) {
                    assert_eq!(written[key], Value::Bool(false), "{shown:?}");
                }
            }
        }
    }
}

fn same_reading(fields: &RequestFields, object: &Map<String, Value>, shown: &str) {
    // inspect refuses a non-string model, so an accepted body's model is a string or absent.
    assert_eq!(
        fields.model.as_deref(),
        object.get("model").map(|m| m.as_str().unwrap()),
        "model of {shown:?}"
    );
    assert_eq!(
        fields.stream,
        object.get("stream") == Some(&Value::Bool(true)),
        "stream of {shown:?}"
    );
    let options = object.get("stream_options");
    assert_eq!(
        fields.include_usage,
        options
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool),
        "include_usage of {shown:?}"
    );
    assert_eq!(
        fields.stream_options_span.is_some(),
        options.is_some(),
        "stream_options of {shown:?}"
    );
    assert_eq!(
        fields.user.as_deref(),
        object.get("user").and_then(Value::as_str),
        "user of {shown:?}"
    );
    assert_eq!(
        fields.service_tier,
        object
            .get("service_tier")
            .and_then(Value::as_str)
            .and_then(ServiceTier::from_name),
        "service_tier of {shown:?}"
    );
    for (name, presence) in [
        ("messages", fields.messages),
        ("prompt", fields.prompt),
        ("input", fields.input),
    ] {
        let want = match object.get(name) {
            None => Presence::Absent,
            Some(Value::Null) => Presence::Null,
            Some(_) => Presence::Value,
        };
        assert_eq!(presence, want, "{name} of {shown:?}");
    }
}

fn spliced_as_expected(
    body: &[u8],
    fields: &RequestFields,
    object: &Map<String, Value>,
    force: bool,
    shown: &str,
) {
    let mut out = Vec::new();
    splice(body, fields, "NEW", force, &mut out);
    let spliced: Value = serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "splice (force {force}) of {shown:?} gave invalid JSON ({e}): {:?}",
            String::from_utf8_lossy(&out)
        )
    });
    let mut want = object.clone();
    want.insert("model".to_owned(), Value::from("NEW"));
    if force {
        match want.get_mut("stream_options") {
            Some(Value::Object(options)) => {
                options.insert("include_usage".to_owned(), Value::Bool(true));
            }
            _ => {
                let mut options = Map::new();
                options.insert("include_usage".to_owned(), Value::Bool(true));
                want.insert("stream_options".to_owned(), Value::Object(options));
            }
        }
    }
    assert_eq!(
        spliced,
        Value::Object(want),
        "splice (force {force}) of {shown:?} gave {:?}",
        String::from_utf8_lossy(&out)
    );
    // What went upstream is itself a body the gateway would accept, read the same way.
    let again = inspect(&out, &mut Scratch::new()).unwrap_or_else(|e| {
        panic!(
            "inspect refuses the splice of {shown:?}: {e:?} in {:?}",
            String::from_utf8_lossy(&out)
        )
    });
    assert_eq!(again.model.as_deref(), Some("NEW"));
}
