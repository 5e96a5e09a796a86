//! The upstream body of `POST /v1/responses` for a provider with the Responses API itself, as
//! LiteLLM 1.108.7 writes it (`responses/main.py` `responses()`, `responses/utils.py`
//! `get_requested_response_api_optional_param`, `llms/openai/responses/transformation.py`):
//!
//! - `model` (the deployment's), `input`, then the parameters LiteLLM's `responses()` takes,
//!   in its order, each as the client sent it; `null` values are not sent and any other
//!   top-level key is dropped (`conversation` included);
//! - `extra_body`'s members merged in last (a member it shares with the body wins), except
//!   `model`, `input`, `stream` and `stream_options`: the model routed and priced, and the
//!   framing the gateway reads, stay the body's;
//! - `max_output_tokens` from 1 to 15 raised to 16, the API's minimum;
//! - `previous_response_id` unwrapped to the provider's own id ([`super::provider_id`]);
//! - `stream_options` kept only as `{"include_obfuscation": <bool>}`.

use crate::anthropic::request::{invalid, Result};
use crate::json::top_members;
use crate::json::value::{is_null, key_of, string};
use crate::json::write_json_string;

/// The parameters LiteLLM forwards, in the order it writes them.
const PARAMS: &[&str] = &[
    "include",
    "instructions",
    "max_output_tokens",
    "prompt",
    "metadata",
    "parallel_tool_calls",
    "previous_response_id",
    "reasoning",
    "store",
    "background",
    "stream",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_p",
    "truncation",
    "user",
    "service_tier",
    "safety_identifier",
    "max_tool_calls",
    "prompt_cache_key",
    "prompt_cache_retention",
    "prompt_cache_options",
    "stream_options",
    "top_logprobs",
    "partial_images",
    "context_management",
];

/// The Responses API's smallest `max_output_tokens` (`OPENAI_RESPONSES_API_MIN_MAX_OUTPUT_TOKENS`).
const MIN_MAX_OUTPUT_TOKENS: u64 = 16;

/// Writes the upstream body for `provider_model` from the client's (validated) `body`.
pub fn native_request(body: &[u8], provider_model: &str, out: &mut Vec<u8>) -> Result<()> {
    let mut input = None;
    let mut extra: Option<&[u8]> = None;
    let mut values: [Option<&[u8]>; PARAMS.len()] = [None; PARAMS.len()];
    let mut members = top_members(body).ok_or_else(|| invalid("expected an object"))?;
    for m in members.by_ref() {
        let Some(key) = key_of(body, &m.key) else {
            continue;
        };
        let value = &body[m.value];
        match key.as_str() {
            "input" => input = Some(value),
            "extra_body" => extra = Some(value),
            k => {
                if let Some(i) = PARAMS.iter().position(|p| *p == k) {
                    values[i] = Some(value);
                }
            }
        }
    }
    if members.malformed() {
        return Err(invalid("expected an object"));
    }
    // `extra_body`'s members, when it is an object: written last, in place of the body's.
    let extra: Vec<(String, &[u8])> = extra
        .filter(|e| e.first() == Some(&b'{'))
        .and_then(top_members)
        .map(|ms| {
            let e = extra.unwrap_or_default();
            let mut members: Vec<(String, &[u8])> = Vec::new();
            for m in ms {
                let Some(key) = key_of(e, &m.key) else {
                    continue;
                };
                // The routed model, the input and the stream's framing are the body's own.
                if matches!(
                    key.as_str(),
                    "model" | "input" | "stream" | "stream_options"
                ) {
                    continue;
                }
                members.retain(|(k, _)| *k != key);
                members.push((key, &e[m.value]));
            }
            members
        })
        .unwrap_or_default();
    out.extend_from_slice(b"{\"model\":");
    write_json_string(provider_model, out);
    if let Some(input) = input.filter(|v| !is_null(Some(v))) {
        out.extend_from_slice(b",\"input\":");
        out.extend_from_slice(input);
    }
    for (name, value) in PARAMS.iter().zip(values) {
        let Some(value) = value.filter(|v| !is_null(Some(v))) else {
            continue;
        };
        if extra.iter().any(|(k, _)| k == name) {
            continue;
        }
        match *name {
            "max_output_tokens" => {
                let raised = value
                    .trim_ascii()
                    .iter()
                    .all(u8::is_ascii_digit)
                    .then(|| {
                        std::str::from_utf8(value.trim_ascii())
                            .ok()?
                            .parse::<u64>()
                            .ok()
                    })
                    .flatten()
                    .filter(|n| (1..MIN_MAX_OUTPUT_TOKENS).contains(n));
                out.extend_from_slice(b",\"max_output_tokens\":");
                match raised {
                    Some(_) => crate::json::write_u64(MIN_MAX_OUTPUT_TOKENS, out),
                    None => out.extend_from_slice(value),
                }
            }
            "previous_response_id" => {
                out.extend_from_slice(b",\"previous_response_id\":");
                match string(value) {
                    Some(id) => write_json_string(&super::provider_id(&id), out),
                    None => out.extend_from_slice(value),
                }
            }
            "stream_options" => {
                let obfuscation = crate::json::value::get(value, "include_obfuscation")
                    .filter(|v| *v == b"true" || *v == b"false");
                if let Some(flag) = obfuscation {
                    out.extend_from_slice(b",\"stream_options\":{\"include_obfuscation\":");
                    out.extend_from_slice(flag);
                    out.push(b'}');
                }
            }
            _ => {
                out.push(b',');
                write_json_string(name, out);
                out.push(b':');
                out.extend_from_slice(value);
            }
        }
    }
    for (key, value) in &extra {
        out.push(b',');
        write_json_string(key, out);
        out.push(b':');
        out.extend_from_slice(value);
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(body: &str) -> String {
        let mut out = Vec::new();
        native_request(body.as_bytes(), "gpt-4o", &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn keeps_litellm_params_in_its_order_and_drops_the_rest() {
        // As LiteLLM 1.108.7 sent it upstream: unknown keys and `conversation` dropped,
        // `extra_body` merged last, nulls left out, `false` kept.
        let body = r#"{"zz_client_unknown":1,"stream":false,"model":"gpt","temperature":0.2,
            "input":"Hi","instructions":null,"conversation":"c1","extra_body":{"foo":"bar"},
            "metadata":{"k":"v"},"store":true}"#;
        assert_eq!(
            request(body),
            r#"{"model":"gpt-4o","input":"Hi","metadata":{"k":"v"},"store":true,"stream":false,"temperature":0.2,"foo":"bar"}"#
        );
    }

    #[test]
    fn raises_small_max_output_tokens_and_unwraps_ids() {
        let id = super::super::encode_id("openai", Some("d1"), "resp_0abc");
        let body = format!(
            r#"{{"model":"gpt","input":[],"max_output_tokens":3,"previous_response_id":"{id}"}}"#
        );
        assert_eq!(
            request(&body),
            r#"{"model":"gpt-4o","input":[],"max_output_tokens":16,"previous_response_id":"resp_0abc"}"#
        );
        for (given, sent) in [
            ("0", "0"),
            ("15", "16"),
            ("16", "16"),
            ("400", "400"),
            ("2.5", "2.5"),
        ] {
            let body = format!(r#"{{"model":"gpt","input":"x","max_output_tokens":{given}}}"#);
            assert!(
                request(&body).ends_with(&format!(r#""max_output_tokens":{sent}}}"#)),
                "{given}"
            );
        }
        let plain = r#"{"model":"gpt","input":"x","previous_response_id":"resp_plain123"}"#;
        assert!(request(plain).contains(r#""previous_response_id":"resp_plain123""#));
    }

    #[test]
    fn stream_options_keep_only_obfuscation() {
        let body = r#"{"model":"m","input":"x","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true}}"#;
        assert!(request(body)
            .ends_with(r#""stream":true,"stream_options":{"include_obfuscation":false}}"#));
        let body = r#"{"model":"m","input":"x","stream_options":{"include_usage":true}}"#;
        assert_eq!(request(body), r#"{"model":"gpt-4o","input":"x"}"#);
    }

    #[test]
    fn extra_body_cannot_change_the_model_or_the_framing() {
        let body = r#"{"model":"m","input":"x","stream":true,"extra_body":{"model":"other","stream":false,"input":"y","a":1,"a":2}}"#;
        assert_eq!(
            request(body),
            r#"{"model":"gpt-4o","input":"x","stream":true,"a":2}"#
        );
    }

    #[test]
    fn extra_body_wins_over_the_body() {
        let body = r#"{"model":"m","input":"x","temperature":1,"extra_body":{"temperature":0.5}}"#;
        assert_eq!(
            request(body),
            r#"{"model":"gpt-4o","input":"x","temperature":0.5}"#
        );
    }
}
