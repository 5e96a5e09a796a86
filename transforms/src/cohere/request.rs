//! An OpenAI chat-completions body → the `/v2/chat` body LiteLLM 1.108.7 sends Cohere for it
//! (`CohereChatConfig.map_openai_params`, used for v2 too, then `OpenAIGPTConfig.transform_request`),
//! checked against its proxy by the differential suite:
//!
//! - `{"model", "messages", ...}`: the messages stay OpenAI's (Cohere's v2 API reads them), but
//!   `developer` is `system`, an assistant's `"content": null` is left out, `cache_control` is
//!   removed at any depth, and a user's string `image_url` becomes `{"url": ...}`;
//! - parameters renamed as LiteLLM does: `top_p` → `p`, `n` → `num_generations`, `stop` →
//!   `stop_sequences` (as given), `max_completion_tokens` → `max_tokens` (it wins over
//!   `max_tokens`); `temperature`, `presence_penalty`, `frequency_penalty`, `seed`, `tools`
//!   (OpenAI's format, `cache_control` removed) as they are; `"stream"` always sent;
//! - `tool_choice` is dropped (LiteLLM lists it as supported and never maps it);
//! - members that are not OpenAI parameters (`k`, `safety_mode`, ...) are sent as they came.
//!
//! Refused (400) with LiteLLM's `UnsupportedParamsError` text: the OpenAI parameters LiteLLM's
//! Cohere config does not list (`response_format`, `logprobs`, `parallel_tool_calls`, ...).
//! Not sent: `user`, `stream_options`, `metadata` and LiteLLM's own request keys.

use crate::anthropic::request::{invalid, Result};
use crate::chat::{request_object, unsupported_params};
use crate::json::tape::Scratch;
use crate::json::value::{elements, get, is_object, key_of, string};
use crate::json::{top_members, write_json_string};

/// OpenAI parameters (LiteLLM's `DEFAULT_CHAT_COMPLETION_PARAM_VALUES`) that its Cohere config
/// does not support: a non-null value is LiteLLM's `UnsupportedParamsError`.
const UNSUPPORTED_PARAMS: &[&str] = &[
    "functions",
    "function_call",
    "modalities",
    "prediction",
    "audio",
    "logit_bias",
    "response_format",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
    "reasoning_effort",
    "verbosity",
    "thinking",
    "web_search_options",
    "include_server_side_tool_invocations",
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "store",
    "context_management",
];

/// Members never sent: read by the gateway or LiteLLM itself, or skipped by its validation
/// (`user`, `stream_options`, `max_retries`), or supported and not mapped (`tool_choice`).
const NOT_SENT: &[&str] = &[
    "model",
    "messages",
    "stream",
    "user",
    "stream_options",
    "max_retries",
    "tool_choice",
    "extra_headers",
    "api_version",
    "drop_params",
    "allowed_openai_params",
    "additional_drop_params",
    "custom_llm_provider",
    "metadata",
    "fallbacks",
    "num_retries",
    "timeout",
    "request_timeout",
    "mock_response",
    "caching",
    "tags",
    "guardrails",
    "api_key",
    "api_base",
    "base_url",
];

/// Renamed parameters, in the order LiteLLM writes them.
const RENAMED: &[(&str, &str)] = &[
    ("temperature", "temperature"),
    ("top_p", "p"),
    ("n", "num_generations"),
    ("stop", "stop_sequences"),
    ("max_tokens", "max_tokens"),
    ("presence_penalty", "presence_penalty"),
    ("frequency_penalty", "frequency_penalty"),
    ("seed", "seed"),
];

/// The key LiteLLM removes from messages and tools at any depth.
const CACHE_CONTROL: &str = "cache_control";

/// Nesting past which values are copied as they came (LiteLLM's `DEFAULT_MAX_RECURSE_DEPTH`).
const MAX_STRIP_DEPTH: usize = 100;

/// Turns the OpenAI chat-completions `body` into the `/v2/chat` body for `model` (the provider
/// model name, a `v2/` in it removed as LiteLLM does), appended to `out`; `provider` names
/// LiteLLM's provider in a refusal. `out` is left as it was on error.
pub fn transform_request(
    body: &[u8],
    model: &str,
    provider: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    let body = request_object(body, scratch)?;
    let mut renamed: [Option<&[u8]>; 8] = [None; 8];
    let mut max_completion_tokens = None;
    let (mut messages, mut tools, mut stream) = (None, None, false);
    let mut extras: Vec<(String, &[u8])> = Vec::new();
    let mut refused = Vec::new();
    for m in top_members(body).ok_or_else(|| invalid("expected an object"))? {
        let key = key_of(body, &m.key).unwrap_or_default();
        let v = &body[m.value];
        match key.as_str() {
            "messages" => messages = Some(v),
            "stream" => stream = v == b"true",
            "tools" => tools = (v != b"null").then_some(v),
            "max_completion_tokens" => max_completion_tokens = (v != b"null").then_some(v),
            k if NOT_SENT.contains(&k) => {}
            k if UNSUPPORTED_PARAMS.contains(&k) => {
                if v != b"null" && !refused.iter().any(|r| r == k) {
                    refused.push(key.clone());
                }
            }
            k => match RENAMED.iter().position(|(from, _)| *from == k) {
                Some(i) => renamed[i] = (v != b"null").then_some(v),
                None if v != b"null" && !k.starts_with("litellm_") => {
                    extras.retain(|(e, _)| *e != key);
                    extras.push((key, v));
                }
                None => {}
            },
        }
    }
    if !refused.is_empty() {
        let model = model.replace("v2/", "");
        return Err(unsupported_params(provider, &refused, &model));
    }
    if max_completion_tokens.is_some() {
        renamed[4] = max_completion_tokens;
    }
    let messages = messages
        .and_then(elements)
        .ok_or_else(|| invalid("messages: expected a list of messages"))?;
    let mut buf = Vec::with_capacity(body.len() + 64);
    buf.extend_from_slice(b"{\"model\":");
    write_json_string(&model.replace("v2/", ""), &mut buf);
    buf.extend_from_slice(b",\"messages\":[");
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_message(message, &mut buf)?;
    }
    buf.push(b']');
    for (i, (_, to)) in RENAMED.iter().enumerate() {
        if *to == "stop_sequences" {
            // LiteLLM's order puts `stream` here.
            buf.extend_from_slice(if stream {
                b",\"stream\":true"
            } else {
                b",\"stream\":false"
            });
        }
        if let Some(v) = renamed[i] {
            buf.extend_from_slice(b",\"");
            buf.extend_from_slice(to.as_bytes());
            buf.extend_from_slice(b"\":");
            buf.extend_from_slice(v);
        }
    }
    if let Some(tools) = tools {
        buf.extend_from_slice(b",\"tools\":");
        strip(tools, 0, &mut buf);
    }
    for (key, v) in extras {
        buf.push(b',');
        write_json_string(&key, &mut buf);
        buf.push(b':');
        buf.extend_from_slice(v);
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

/// One message, OpenAI's shape kept (see the module doc for the edits).
fn write_message(message: &[u8], out: &mut Vec<u8>) -> Result<()> {
    if !is_object(message) {
        return Err(invalid("messages: each message must be an object"));
    }
    let role = get(message, "role").and_then(string);
    let role = role
        .as_deref()
        .ok_or_else(|| invalid("messages: each message needs a role"))?;
    out.push(b'{');
    let mut first = true;
    for m in top_members(message).into_iter().flatten() {
        let key = key_of(message, &m.key).unwrap_or_default();
        let v = &message[m.value];
        if key == CACHE_CONTROL || (key == "content" && role == "assistant" && v == b"null") {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_json_string(&key, out);
        out.push(b':');
        match key.as_str() {
            "role" if role == "developer" => out.extend_from_slice(b"\"system\""),
            "content" if role == "user" && v.first() == Some(&b'[') => write_user_parts(v, out),
            _ => strip(v, 1, out),
        }
    }
    out.push(b'}');
    Ok(())
}

/// A user's content list: each part without `cache_control`, a string `image_url` as
/// `{"url": ...}` (OpenAI's `_transform_content_item`).
fn write_user_parts(parts: &[u8], out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, part) in elements(parts).unwrap_or_default().into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match get(part, "image_url").filter(|u| u.first() == Some(&b'"')) {
            Some(url) if is_object(part) => {
                out.push(b'{');
                let mut first = true;
                for m in top_members(part).into_iter().flatten() {
                    let key = key_of(part, &m.key).unwrap_or_default();
                    if key == CACHE_CONTROL {
                        continue;
                    }
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_json_string(&key, out);
                    out.push(b':');
                    if key == "image_url" {
                        out.extend_from_slice(b"{\"url\":");
                        out.extend_from_slice(url);
                        out.push(b'}');
                    } else {
                        strip(&part[m.value], 2, out);
                    }
                }
                out.push(b'}');
            }
            _ => strip(part, 2, out),
        }
    }
    out.push(b']');
}

/// `v` with every `cache_control` member of its objects removed, as LiteLLM's
/// `filter_value_from_dict` (objects inside objects, and objects in their lists).
fn strip(v: &[u8], depth: usize, out: &mut Vec<u8>) {
    match v.first() {
        Some(b'{') if depth <= MAX_STRIP_DEPTH => {
            out.push(b'{');
            let mut first = true;
            for m in top_members(v).into_iter().flatten() {
                if crate::json::value::key_is(v, &m.key, CACHE_CONTROL) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                out.push(b'"');
                out.extend_from_slice(&v[m.key.clone()]);
                out.push(b'"');
                out.push(b':');
                strip(&v[m.value], depth + 1, out);
            }
            out.push(b'}');
        }
        Some(b'[') if depth <= MAX_STRIP_DEPTH => {
            out.push(b'[');
            for (i, e) in elements(v).unwrap_or_default().into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if e.first() == Some(&b'{') {
                    strip(e, depth + 1, out);
                } else {
                    out.extend_from_slice(e);
                }
            }
            out.push(b']');
        }
        _ => out.extend_from_slice(v),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::anthropic::TransformError;

    fn run(body: &str) -> Result<serde_json::Value> {
        let mut out = Vec::new();
        transform_request(
            body.as_bytes(),
            "command-r-plus",
            "cohere",
            &mut Scratch::new(),
            &mut out,
        )?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    #[test]
    fn parameters_renamed_as_litellm_does() {
        let v = run(r#"{"model":"cmdr","messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"hi"}],
            "temperature":0.5,"top_p":0.9,"n":1,"stop":"END","max_tokens":5,"max_completion_tokens":7,
            "seed":3,"tool_choice":"auto","user":"u1","stream_options":{"include_usage":true},"k":5}"#)
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"model":"command-r-plus","messages":[{"role":"system","content":"Be brief."},
                {"role":"user","content":"hi"}],"temperature":0.5,"p":0.9,"num_generations":1,"stream":false,
                "stop_sequences":"END","max_tokens":7,"seed":3,"k":5})
        );
    }

    #[test]
    fn messages_and_tools_lose_cache_control() {
        let v = run(r#"{"messages":[{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},
            {"type":"image_url","image_url":"data:image/png;base64,AA"}]},
            {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"c1","content":"ok"}],
            "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}},"cache_control":{"type":"ephemeral"}}],"stream":true}"#)
        .unwrap();
        assert_eq!(
            v["messages"],
            serde_json::json!([{"role":"user","content":[{"type":"text","text":"a"},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}}]},
                {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"c1","content":"ok"}])
        );
        assert_eq!(
            v["tools"],
            serde_json::json!([{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])
        );
        assert_eq!(v["stream"], true);
    }

    #[test]
    fn unsupported_params_get_litellms_error() {
        let e = run(r#"{"messages":[],"response_format":{"type":"json_object"},"logprobs":true,"logit_bias":null}"#)
            .unwrap_err();
        match e {
            TransformError::UnsupportedParams { message: m, .. } => assert!(
                m.starts_with("cohere does not support parameters: ['response_format', 'logprobs'], for model=command-r-plus."),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
    }
}
