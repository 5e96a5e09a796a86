//! Anthropic Messages response → the `chat.completion` body LiteLLM returns, following
//! `AnthropicConfig.transform_parsed_response`:
//!
//! - `content` is the text blocks concatenated with nothing between them, `null` when empty
//!   (`extract_response_content`);
//! - each `tool_use` block becomes a tool call whose `index` is the block's position in
//!   `content` and whose `arguments` are `json.dumps(input)`: Python's default separators
//!   (`", "`, `": "`) and `\uXXXX` escapes for non-ASCII (`convert_tool_use_to_openai_format`);
//! - `thinking`/`redacted_thinking` blocks are returned as `thinking_blocks`, their texts joined
//!   as `reasoning_content`, and both sit in `provider_specific_fields` with `citations`;
//! - `finish_reason` from `stop_reason` by `map_finish_reason` (unknown → `stop`);
//! - usage by `calculate_usage`: `prompt_tokens` counts `input_tokens` plus cache creation and
//!   cache read tokens, `prompt_tokens_details` holds `cached_tokens` (read),
//!   `cache_creation_tokens`/`cache_write_tokens` (creation) and `text_tokens` (the rest), and
//!   `cache_creation_input_tokens`/`cache_read_input_tokens` are repeated at the top.
//!
//! `id` and `created` come in as arguments (LiteLLM makes a fresh `chatcmpl-` id and reads the
//! clock), and `model` is the name the client asked for. Not handled: citations (written as
//! `null`), server tool results, `usage.iterations`, `server_tool_use` counts.

use super::request::TransformError;
use super::{elements, get, is_object, string};
use crate::json::{skip_ws, top_members, write_json_string};
use crate::usage::Usage;

/// Writes the client's `chat.completion` for the Anthropic response `body`; returns its usage.
pub fn transform_response(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("Anthropic response: {m}"));
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return Err(bad("not JSON"));
    }
    let body = &body[skip_ws(body, 0)..];
    if !is_object(body) {
        return Err(bad("not an object"));
    }
    let blocks = get(body, "content")
        .and_then(elements)
        .ok_or_else(|| bad("no content list"))?;
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut thinking: Vec<&[u8]> = Vec::new();
    let mut reasoning = String::new();
    for (index, block) in blocks.iter().enumerate() {
        match get(block, "type").and_then(string).as_deref() {
            Some("text") => text.push_str(&get(block, "text").and_then(string).unwrap_or_default()),
            Some("tool_use" | "server_tool_use") => {
                let mut c = Vec::new();
                c.extend_from_slice(b"{\"index\":");
                c.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
                c.extend_from_slice(b",\"function\":{\"arguments\":");
                let mut args = String::new();
                py_dumps(get(block, "input").unwrap_or(b"null"), &mut args);
                write_json_string(&args, &mut c);
                c.extend_from_slice(b",\"name\":");
                write_json_string(
                    &get(block, "name").and_then(string).unwrap_or_default(),
                    &mut c,
                );
                c.extend_from_slice(b"},\"id\":");
                write_json_string(
                    &get(block, "id").and_then(string).unwrap_or_default(),
                    &mut c,
                );
                c.extend_from_slice(b",\"type\":\"function\"}");
                calls.push(c);
            }
            Some("thinking" | "redacted_thinking") => {
                if let Some(t) = get(block, "thinking").and_then(string) {
                    reasoning.push_str(&t);
                }
                thinking.push(block);
            }
            _ => {}
        }
    }
    let stop = get(body, "stop_reason")
        .and_then(string)
        .unwrap_or_default();
    let finish = match stop.as_str() {
        "max_tokens" | "compaction" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    };

    out.extend_from_slice(b"{\"id\":");
    write_json_string(id, out);
    out.extend_from_slice(b",\"created\":");
    out.extend_from_slice(itoa::Buffer::new().format(created).as_bytes());
    out.extend_from_slice(b",\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"object\":\"chat.completion\",\"system_fingerprint\":null,\"choices\":[{\"finish_reason\":\"");
    out.extend_from_slice(finish.as_bytes());
    out.extend_from_slice(b"\",\"index\":0,\"message\":{\"content\":");
    if text.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        write_json_string(&text, out);
    }
    out.extend_from_slice(b",\"role\":\"assistant\",\"tool_calls\":");
    if calls.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        out.push(b'[');
        out.extend_from_slice(&calls.join(&b","[..]));
        out.push(b']');
    }
    out.extend_from_slice(b",\"function_call\":null");
    let mut blocks_json = Vec::new();
    if thinking.is_empty() {
        blocks_json.extend_from_slice(b"null");
    } else {
        blocks_json.push(b'[');
        blocks_json.extend_from_slice(&thinking.join(&b","[..]));
        blocks_json.push(b']');
        out.extend_from_slice(b",\"reasoning_content\":");
        write_json_string(&reasoning, out);
        out.extend_from_slice(b",\"thinking_blocks\":");
        out.extend_from_slice(&blocks_json);
    }
    out.extend_from_slice(
        b",\"provider_specific_fields\":{\"citations\":null,\"thinking_blocks\":",
    );
    out.extend_from_slice(&blocks_json);
    out.extend_from_slice(b"}}}],");
    let usage = get(body, "usage").ok_or_else(|| bad("no usage"))?;
    let u = write_usage(
        usage,
        (!thinking.is_empty()).then_some(reasoning.as_str()),
        out,
    );
    out.push(b'}');
    Ok(u)
}

fn count(usage: &[u8], key: &str) -> u64 {
    get(usage, key)
        .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok())
        .unwrap_or(0)
}

fn num(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `calculate_usage` without iterations and server tool counts.
fn write_usage(usage: &[u8], reasoning: Option<&str>, out: &mut Vec<u8>) -> Usage {
    let input = count(usage, "input_tokens");
    let completion = count(usage, "output_tokens");
    let creation = count(usage, "cache_creation_input_tokens");
    let read = count(usage, "cache_read_input_tokens");
    let prompt = input.saturating_add(creation).saturating_add(read);
    let total = prompt.saturating_add(completion);
    out.extend_from_slice(b"\"usage\":{\"completion_tokens\":");
    num(completion, out);
    out.extend_from_slice(b",\"prompt_tokens\":");
    num(prompt, out);
    out.extend_from_slice(b",\"total_tokens\":");
    num(total, out);
    // `_build_completion_token_details`: reported thinking tokens, else an estimate of the
    // reasoning text (LiteLLM's `token_counter`, here tiktoken's cl100k), else 0 reasoning.
    let reported = get(usage, "output_tokens_details")
        .and_then(|d| get(d, "thinking_tokens"))
        .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok());
    let reasoning_tokens = match (reported, reasoning) {
        (Some(r), _) => Some(r.min(completion)),
        (None, Some(text)) if !text.is_empty() => {
            Some(crate::tokens::count_tokens("", text).min(completion))
        }
        (None, Some(_)) => None,
        (None, None) => Some(0),
    };
    out.extend_from_slice(b",\"completion_tokens_details\":");
    match reasoning_tokens {
        Some(r) => {
            out.extend_from_slice(b"{\"reasoning_tokens\":");
            num(r, out);
            out.extend_from_slice(b",\"text_tokens\":");
            num(completion - r, out);
            out.push(b'}');
        }
        None => out.extend_from_slice(b"{}"),
    }
    out.extend_from_slice(b",\"prompt_tokens_details\":{\"cached_tokens\":");
    num(read, out);
    out.extend_from_slice(b",\"cache_creation_tokens\":");
    num(creation, out);
    out.extend_from_slice(b",\"cache_write_tokens\":");
    num(creation, out);
    out.extend_from_slice(b",\"text_tokens\":");
    num(input, out);
    out.extend_from_slice(b"},\"cache_creation_input_tokens\":");
    num(creation, out);
    out.extend_from_slice(b",\"cache_read_input_tokens\":");
    num(read, out);
    out.push(b'}');
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: total,
    }
}

/// Python's `json.dumps` of a validated JSON value: `", "` and `": "` separators, non-ASCII
/// escaped as `\uXXXX`. Numbers are copied as written (Python would print `1e5` as `100000.0`).
fn py_dumps(v: &[u8], out: &mut String) {
    match v.first() {
        Some(b'{') => {
            out.push('{');
            for (n, m) in top_members(v).into_iter().flatten().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                py_string(&crate::json::unescape(&v[m.key]).unwrap_or_default(), out);
                out.push_str(": ");
                py_dumps(&v[m.value], out);
            }
            out.push('}');
        }
        Some(b'[') => {
            out.push('[');
            for (n, e) in elements(v).unwrap_or_default().into_iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                py_dumps(e, out);
            }
            out.push(']');
        }
        Some(b'"') => py_string(&string(v).unwrap_or_default(), out),
        _ => out.push_str(std::str::from_utf8(v).unwrap_or("null")),
    }
}

fn py_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
