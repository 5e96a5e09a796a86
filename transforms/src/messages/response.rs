//! A chat completion → the Anthropic message LiteLLM's proxy answers `/v1/messages` with
//! (`translate_openai_response_to_anthropic`), checked against LiteLLM 1.108.7:
//! `id` is the provider's, `model` the client's; `content` is a thinking block for
//! `reasoning_content` (`signature: null`), a text block for `content`, then one `tool_use`
//! block per tool call (`input` is the parsed `arguments`, `{}` when empty); `stop_reason` maps
//! `stop`/`length`/`tool_calls`/`content_filter` to `end_turn`/`max_tokens`/`tool_use`/
//! `refusal`; usage as `anthropic_usage`. Written compactly with non-ASCII kept, as the
//! proxy's JSON response is.

use crate::anthropic::request::sanitize_tool_id;
use crate::anthropic::TransformError;
use crate::json::value::{answer_object, elements, get, string};
use crate::json::{unescape, write_json_string};
use crate::usage::Usage;

/// Writes the Anthropic message for the chat completion `body`; returns its usage.
pub fn to_message(body: &[u8], model: &str, out: &mut Vec<u8>) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("chat completion: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let choice = get(body, "choices")
        .and_then(elements)
        .and_then(|c| c.first().copied());
    let message = choice.and_then(|c| get(c, "message")).unwrap_or(b"{}");
    let finish = choice
        .and_then(|c| get(c, "finish_reason"))
        .and_then(string)
        .unwrap_or_else(|| "stop".to_owned());
    out.extend_from_slice(b"{\"id\":");
    let id = get(body, "id").and_then(string).unwrap_or_default();
    write_json_string(&id, out);
    out.extend_from_slice(b",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"stop_sequence\":null,\"usage\":");
    let usage = anthropic_usage(get(body, "usage"), out);
    out.extend_from_slice(b",\"content\":[");
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    let blocks = get(message, "thinking_blocks")
        .and_then(elements)
        .unwrap_or_default();
    if !blocks.is_empty() {
        for block in blocks {
            write_thinking_block(block, &mut sep, out);
        }
    } else if let Some(r) = get(message, "reasoning_content")
        .and_then(string)
        .filter(|r| !r.is_empty())
    {
        sep(out);
        out.extend_from_slice(b"{\"type\":\"thinking\",\"thinking\":");
        write_json_string(&r, out);
        out.extend_from_slice(b",\"signature\":null}");
    }
    if let Some(text) = get(message, "content").and_then(string) {
        sep(out);
        out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
        write_json_string(&text, out);
        out.push(b'}');
    }
    for call in get(message, "tool_calls")
        .and_then(elements)
        .unwrap_or_default()
    {
        sep(out);
        let function = get(call, "function").unwrap_or(b"{}");
        out.extend_from_slice(b"{\"type\":\"tool_use\",\"id\":");
        let id = get(call, "id").and_then(string).unwrap_or_default();
        write_json_string(&sanitize_tool_id(&id), out);
        out.extend_from_slice(b",\"name\":");
        let name = get(function, "name").and_then(string).unwrap_or_default();
        write_json_string(&name, out);
        out.extend_from_slice(b",\"input\":");
        let args = get(function, "arguments")
            .and_then(string)
            .unwrap_or_default();
        write_arguments(&args, out).map_err(|()| {
            TransformError::Invalid(format!(
                "chat completion: tool call '{name}' has arguments that are not JSON"
            ))
        })?;
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"stop_reason\":\"");
    out.extend_from_slice(stop_reason(&finish).as_bytes());
    out.extend_from_slice(b"\",\"stop_details\":null}");
    Ok(usage)
}

/// `_translate_openai_finish_reason_to_anthropic`.
pub(crate) fn stop_reason(finish_reason: &str) -> &'static str {
    match finish_reason {
        "length" => "max_tokens",
        "tool_calls" => "tool_use",
        "content_filter" | "refusal" => "refusal",
        _ => "end_turn",
    }
}

/// Counts of a chat completion's usage that the Anthropic shapes need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChatUsage {
    pub prompt: u64,
    pub completion: u64,
    pub cache_read: u64,
    pub cache_creation: u64,
    /// `completion_tokens_details.reasoning_tokens` (billed, not written).
    pub reasoning: u64,
}

impl ChatUsage {
    /// Reads a chat usage object (`translate_openai_usage_to_anthropic_usage_delta`'s inputs:
    /// explicit cache counts first, else `prompt_tokens_details`).
    pub(crate) fn read(usage: &[u8]) -> ChatUsage {
        let int = |v: Option<&[u8]>| {
            v.and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<f64>().ok())
                .filter(|n| *n > 0.0 && n.fract() == 0.0)
                .map_or(0, |n| n as u64)
        };
        let details = get(usage, "prompt_tokens_details");
        let detail = |k: &str| int(details.and_then(|d| get(d, k)));
        let first = |a: u64, b: u64| if a > 0 { a } else { b };
        ChatUsage {
            prompt: int(get(usage, "prompt_tokens")),
            completion: int(get(usage, "completion_tokens")),
            cache_read: first(
                int(get(usage, "cache_read_input_tokens")),
                detail("cached_tokens"),
            ),
            cache_creation: first(
                int(get(usage, "cache_creation_input_tokens")),
                first(
                    detail("cache_creation_tokens"),
                    detail("cache_write_tokens"),
                ),
            ),
            reasoning: int(
                get(usage, "completion_tokens_details").and_then(|d| get(d, "reasoning_tokens"))
            ),
        }
    }

    /// `input_tokens` is the prompt without the cache counts.
    pub(crate) fn input(&self) -> u64 {
        self.prompt
            .saturating_sub(self.cache_read)
            .saturating_sub(self.cache_creation)
    }

    /// Anthropic's usage object (`translate_openai_usage_to_anthropic_usage_delta`):
    /// `input_tokens`, `output_tokens`, then the cache counts when positive; `spaced` writes
    /// it as Python's `json.dumps` does (`", "`, `": "`), else compactly.
    pub(crate) fn write(&self, spaced: bool, out: &mut Vec<u8>) {
        let (colon, comma): (&[u8], &[u8]) = if spaced { (b": ", b", ") } else { (b":", b",") };
        let mut num = itoa::Buffer::new();
        let mut first = true;
        let mut field = |name: &str, n: u64, out: &mut Vec<u8>| {
            if !std::mem::take(&mut first) {
                out.extend_from_slice(comma);
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
            out.extend_from_slice(colon);
            out.extend_from_slice(num.format(n).as_bytes());
        };
        out.push(b'{');
        field("input_tokens", self.input(), out);
        field("output_tokens", self.completion, out);
        if self.cache_creation > 0 {
            field("cache_creation_input_tokens", self.cache_creation, out);
        }
        if self.cache_read > 0 {
            field("cache_read_input_tokens", self.cache_read, out);
        }
        out.push(b'}');
    }

    pub(crate) fn billed(&self) -> Usage {
        Usage {
            cached_tokens: self.cache_read,
            cache_creation_tokens: self.cache_creation,
            reasoning_tokens: self.reasoning,
            ..Usage::counts(
                self.prompt,
                self.completion,
                self.prompt.saturating_add(self.completion),
            )
        }
    }
}

/// One of the chat message's `thinking_blocks` as the Anthropic block LiteLLM writes for it:
/// a `thinking` block (dropped when it has neither text nor a signature; its signature `""`
/// when the block has none, `null` when it is null) or a `redacted_thinking` block.
fn write_thinking_block(block: &[u8], sep: &mut impl FnMut(&mut Vec<u8>), out: &mut Vec<u8>) {
    match get(block, "type").and_then(string).as_deref() {
        Some("thinking") => {
            let thinking = get(block, "thinking").and_then(string);
            let signature = get(block, "signature");
            let signed = signature.and_then(string).is_some_and(|s| !s.is_empty());
            if !signed && thinking.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return;
            }
            sep(out);
            out.extend_from_slice(b"{\"type\":\"thinking\",\"thinking\":");
            write_json_string(thinking.as_deref().unwrap_or(""), out);
            out.extend_from_slice(b",\"signature\":");
            match signature {
                None => out.extend_from_slice(b"\"\""),
                Some(b"null") => out.extend_from_slice(b"null"),
                // A non-string is written as its text (Python's `str` of a number).
                Some(s) => write_json_string(
                    &string(s).unwrap_or_else(|| String::from_utf8_lossy(s).into_owned()),
                    out,
                ),
            }
            out.push(b'}');
        }
        Some("redacted_thinking") => {
            sep(out);
            out.extend_from_slice(b"{\"type\":\"redacted_thinking\",\"data\":");
            let data = get(block, "data").and_then(string).unwrap_or_default();
            write_json_string(&data, out);
            out.push(b'}');
        }
        _ => {}
    }
}

/// Writes Anthropic's usage object for a chat usage (absent: zeros): `input_tokens`,
/// `output_tokens`, then the cache counts when positive. Returns the billed counts.
fn anthropic_usage(usage: Option<&[u8]>, out: &mut Vec<u8>) -> Usage {
    let u = usage.map(ChatUsage::read).unwrap_or_default();
    u.write(false, out);
    u.billed()
}

/// `parse_tool_call_arguments`: the arguments text as a JSON value, written compactly with
/// strings re-escaped (`{}` when empty). `Err` when it is not JSON.
fn write_arguments(args: &str, out: &mut Vec<u8>) -> Result<(), ()> {
    if args.trim().is_empty() {
        out.extend_from_slice(b"{}");
        return Ok(());
    }
    if serde_json::from_str::<serde::de::IgnoredAny>(args).is_err() {
        return Err(());
    }
    minify(args.as_bytes(), out);
    Ok(())
}

/// A validated JSON text without insignificant whitespace, strings re-escaped as
/// [`write_json_string`] writes them (Python's `json.dumps(ensure_ascii=False)`).
fn minify(v: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'"' => {
                let end = crate::json::string_end(v, i).unwrap_or(v.len());
                let inner = &v[i + 1..end.saturating_sub(1).max(i + 1)];
                match unescape(inner) {
                    Some(s) => write_json_string(&s, out),
                    None => out.extend_from_slice(&v[i..end]),
                }
                i = end;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn content(message: &str) -> serde_json::Value {
        let body = format!(
            r#"{{"id":"x","choices":[{{"index":0,"message":{message},"finish_reason":"stop"}}]}}"#
        );
        let mut out = Vec::new();
        to_message(body.as_bytes(), "m", &mut out).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        value["content"].clone()
    }

    #[test]
    fn thinking_blocks_win_over_reasoning_content_as_litellm_writes_them() {
        let blocks = content(
            r#"{"role":"assistant","content":"Hi","reasoning_content":"ignored","thinking_blocks":[
                {"type":"thinking","thinking":"a"},
                {"type":"thinking","thinking":"b","signature":"sig"},
                {"type":"thinking","thinking":"c","signature":null},
                {"type":"thinking","thinking":" ","signature":""},
                {"type":"thinking","thinking":"","signature":"only"},
                {"type":"redacted_thinking","data":"enc"}]}"#,
        );
        assert_eq!(
            blocks,
            serde_json::json!([
                {"type": "thinking", "thinking": "a", "signature": ""},
                {"type": "thinking", "thinking": "b", "signature": "sig"},
                {"type": "thinking", "thinking": "c", "signature": null},
                {"type": "thinking", "thinking": "", "signature": "only"},
                {"type": "redacted_thinking", "data": "enc"},
                {"type": "text", "text": "Hi"}
            ])
        );
        let blocks = content(r#"{"role":"assistant","content":"Hi","reasoning_content":"r"}"#);
        assert_eq!(blocks[0]["signature"], serde_json::Value::Null);
        let empty =
            r#"{"role":"assistant","content":"Hi","reasoning_content":"r","thinking_blocks":[]}"#;
        assert_eq!(content(empty)[0]["thinking"], "r");
    }
}
