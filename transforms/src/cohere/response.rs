//! A `/v2/chat` answer → the `chat.completion` body LiteLLM returns
//! (`CohereV2ChatConfig.transform_response`, LiteLLM 1.108.7):
//!
//! - `content`: the texts of `message.content` joined (`null` when Cohere sent no content);
//! - `message.citations` → `annotations`, one `url_citation` per document source;
//! - `message.tool_calls` → the message becomes `{"content": null, "role": "assistant",
//!   "tool_calls": [...]}`, each call Cohere's own object with `"index"` added (`tool_plan`
//!   and any text are dropped, as LiteLLM drops them);
//! - `finish_reason` is always `"stop"`: LiteLLM never reads Cohere's (kept, so that the
//!   answer is LiteLLM's; the stream, which LiteLLM cannot read at all, maps it);
//! - usage from `usage.tokens` (`input_tokens`, `output_tokens`), not `billed_units`.
//!
//! Cohere's `id` is not kept: `id` and `created` are the gateway's, as LiteLLM draws them.

use super::answer_object;
use crate::anthropic::TransformError;
use crate::gemini::response::write_head;
use crate::json::value::{elements, fields, get, string};
use crate::json::write_json_string;
use crate::usage::{write_counts, Usage};

/// Writes the `chat.completion` for Cohere's answer `body`; returns its usage. `Err` when
/// the answer is not JSON or lacks `message` or `usage` (LiteLLM fails on those too).
pub fn transform_response(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("Cohere answer: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let [message, usage] = fields(body, ["message", "usage"]);
    let message = message.filter(|m| m.first() == Some(&b'{'));
    let (Some(message), Some(usage)) = (message, usage) else {
        return Err(bad("no message or usage"));
    };
    let usage = read_usage(usage);
    let [content, citations, tool_calls] = fields(message, ["content", "citations", "tool_calls"]);
    let mut buf = Vec::with_capacity(body.len() + 256);
    write_head(id, created, model, &mut buf);
    buf.extend_from_slice(b"[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"content\":");
    let calls = tool_calls.and_then(elements).unwrap_or_default();
    if !calls.is_empty() {
        buf.extend_from_slice(b"null,\"role\":\"assistant\",\"tool_calls\":[");
        for (i, call) in calls.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            write_tool_call(call, i, &mut buf);
        }
        buf.push(b']');
    } else {
        match content.and_then(elements) {
            Some(parts) => {
                let text: String = parts
                    .iter()
                    .filter_map(|p| get(p, "text").and_then(string))
                    .collect();
                write_json_string(&text, &mut buf);
            }
            None => buf.extend_from_slice(b"null"),
        }
        buf.extend_from_slice(b",\"role\":\"assistant\"");
    }
    if let Some(c) = citations {
        write_annotations(c, &mut buf);
    }
    buf.extend_from_slice(b"}}],\"usage\":");
    write_counts(&usage, &mut buf);
    buf.extend_from_slice(b"}}");
    out.extend_from_slice(&buf);
    Ok(usage)
}

/// Cohere's tool call as it came, with LiteLLM's `"index"` added.
pub(crate) fn write_tool_call(call: &[u8], index: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"index\":");
    crate::json::write_u64(index as u64, out);
    if call.first() == Some(&b'{') {
        let inner = &call[1..];
        if crate::json::skip_ws(inner, 0) + 1 < inner.len() {
            out.push(b',');
        }
        // Its members after the brace, copied (the closing brace included).
        out.extend_from_slice(inner.trim_ascii_start());
    } else {
        out.push(b'}');
    }
}

/// `usage.tokens` as LiteLLM reads it: input and output counts, 0 when absent.
pub(crate) fn read_usage(usage: &[u8]) -> Usage {
    let tokens = get(usage, "tokens").unwrap_or(b"{}");
    let [input, output] = fields(tokens, ["input_tokens", "output_tokens"]);
    let count = |v: Option<&[u8]>| -> u64 {
        v.and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map_or(0, |n| n as u64)
    };
    let (p, c) = (count(input), count(output));
    Usage::counts(p, c, p.saturating_add(c))
}

/// `_translate_citations_to_openai_annotations`: one `url_citation` per source of type
/// `document`; nothing when there are none.
fn write_annotations(citations: &[u8], out: &mut Vec<u8>) {
    let mut items = Vec::new();
    for citation in elements(citations).unwrap_or_default() {
        let [start, end, sources] = fields(citation, ["start", "end", "sources"]);
        for source in sources.and_then(elements).unwrap_or_default() {
            let [kind, document, url, id] = fields(source, ["type", "document", "url", "id"]);
            let Some(document) = document else { continue };
            if kind.and_then(string).as_deref() != Some("document") {
                continue;
            }
            let mut a = Vec::new();
            a.extend_from_slice(b"{\"type\":\"url_citation\",\"url_citation\":{\"start_index\":");
            a.extend_from_slice(number_or_zero(start));
            a.extend_from_slice(b",\"end_index\":");
            a.extend_from_slice(number_or_zero(end));
            a.extend_from_slice(b",\"title\":");
            let title = get(document, "title").and_then(string).unwrap_or_default();
            write_json_string(&title, &mut a);
            a.extend_from_slice(b",\"url\":");
            match url.and_then(string).filter(|u| !u.is_empty()) {
                Some(u) => write_json_string(&u, &mut a),
                None => {
                    let id = id.and_then(string).unwrap_or_else(|| "unknown".to_owned());
                    write_json_string(&format!("source:{id}"), &mut a);
                }
            }
            a.extend_from_slice(b"}}");
            items.push(a);
        }
    }
    if items.is_empty() {
        return;
    }
    out.extend_from_slice(b",\"annotations\":[");
    out.extend_from_slice(&items.join(&b","[..]));
    out.push(b']');
}

fn number_or_zero(v: Option<&[u8]>) -> &[u8] {
    match v {
        Some(v) if v.first().is_some_and(|b| b.is_ascii_digit() || *b == b'-') => v,
        _ => b"0",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(answer: &str) -> serde_json::Value {
        let mut out = Vec::new();
        transform_response(answer.as_bytes(), "chatcmpl-1", 7, "cmdr", &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn text_answer() {
        let v = run(
            r#"{"id":"x","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"Hello"},{"type":"text","text":" world"}]},
            "usage":{"billed_units":{"input_tokens":5,"output_tokens":2},"tokens":{"input_tokens":71,"output_tokens":2}}}"#,
        );
        assert_eq!(
            v,
            serde_json::json!({"id":"chatcmpl-1","created":7,"model":"cmdr","object":"chat.completion",
                "choices":[{"finish_reason":"stop","index":0,"message":{"content":"Hello world","role":"assistant"}}],
                "usage":{"completion_tokens":2,"prompt_tokens":71,"total_tokens":73}})
        );
    }

    #[test]
    fn tool_calls_keep_cohere_fields_and_drop_the_plan() {
        let v = run(
            r#"{"message":{"role":"assistant","tool_plan":"I will","tool_calls":[{"id":"get_weather_x1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
            "finish_reason":"TOOL_CALL","usage":{}}"#,
        );
        let m = &v["choices"][0]["message"];
        assert_eq!(m["content"], serde_json::Value::Null);
        assert_eq!(
            m["tool_calls"],
            serde_json::json!([{"index":0,"id":"get_weather_x1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}])
        );
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
        assert_eq!(v["usage"]["total_tokens"], 0);
    }

    #[test]
    fn citations_become_annotations() {
        let v = run(
            r#"{"message":{"content":[{"type":"text","text":"a"}],"citations":[{"start":0,"end":1,"text":"a",
            "sources":[{"type":"document","id":"doc_0","document":{"title":"T"}},{"type":"tool","id":"t"}]}]},"usage":{"tokens":{}}}"#,
        );
        assert_eq!(
            v["choices"][0]["message"]["annotations"],
            serde_json::json!([{"type":"url_citation","url_citation":{"start_index":0,"end_index":1,"title":"T","url":"source:doc_0"}}])
        );
    }

    #[test]
    fn missing_message_is_an_error() {
        let mut out = Vec::new();
        assert!(transform_response(br#"{"usage":{}}"#, "i", 1, "m", &mut out).is_err());
        assert!(transform_response(b"nope", "i", 1, "m", &mut out).is_err());
        assert!(out.is_empty());
    }
}
