//! A Converse answer → the `chat.completion` body LiteLLM returns
//! (`AmazonConverseConfig._transform_response`, `_translate_message_content`,
//! `transform_usage`, LiteLLM 1.108.7):
//!
//! - text blocks joined as `content` (`""` when there are none);
//! - `toolUse` blocks as tool calls (`arguments` = `json.dumps(input)`, `index` the block's
//!   position);
//! - `reasoningContent` blocks as `reasoning_content` and `thinking_blocks`;
//! - `stopReason` by LiteLLM's `map_finish_reason`;
//! - usage: `prompt_tokens` counts the cache reads and writes, `total_tokens` is Bedrock's.
//!
//! Bedrock names no answer: `id` is the gateway's (`chatcmpl-...`, as LiteLLM draws one).

use crate::anthropic::TransformError;
use crate::gemini::response::write_head;
use crate::json::value::{answer_object, elements, fields, get, string, write_py_dumps_string};
use crate::json::{write_json_string, write_u64};
use crate::usage::{write_counts, Usage};

/// LiteLLM's `map_finish_reason` for Converse's `stopReason` (unknown ones are `stop`).
pub(crate) fn finish_reason(stop: &str) -> &'static str {
    match stop {
        "tool_use" => "tool_calls",
        "max_tokens" => "length",
        "guardrail_intervened" | "content_filtered" => "content_filter",
        _ => "stop",
    }
}

/// Converse's usage counts, as read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ConverseUsage {
    input: u64,
    output: u64,
    total: Option<u64>,
    cache_read: u64,
    cache_write: u64,
    reasoning: Option<u64>,
}

fn count(v: Option<&[u8]>) -> Option<u64> {
    std::str::from_utf8(v?).ok()?.trim().parse().ok()
}

impl ConverseUsage {
    pub(crate) fn read(usage: &[u8]) -> Self {
        let [input, output, total, read, write] = fields(
            usage,
            [
                "inputTokens",
                "outputTokens",
                "totalTokens",
                "cacheReadInputTokens",
                "cacheWriteInputTokens",
            ],
        );
        ConverseUsage {
            input: count(input).unwrap_or(0),
            output: count(output).unwrap_or(0),
            total: count(total),
            cache_read: count(read).unwrap_or(0),
            cache_write: count(write).unwrap_or(0),
            reasoning: None,
        }
    }

    /// Reasoning tokens from `additionalModelResponseFields.usage.output_tokens_details`.
    pub(crate) fn with_reasoning(mut self, fields: Option<&[u8]>) -> Self {
        self.reasoning = fields
            .and_then(|f| get(f, "usage"))
            .and_then(|u| get(u, "output_tokens_details"))
            .and_then(|d| count(get(d, "thinking_tokens")))
            .map(|r| r.min(self.output));
        self
    }

    /// Without Bedrock's count, reasoning tokens are estimated from the reasoning text with
    /// tiktoken, as LiteLLM estimates them.
    pub(crate) fn or_estimate(mut self, reasoning: &str) -> Self {
        if self.reasoning.is_none() && !reasoning.is_empty() {
            self.reasoning = Some(crate::tokens::count_tokens("", reasoning).min(self.output));
        }
        self
    }

    pub(crate) fn billed(&self) -> Usage {
        let prompt = self
            .input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write);
        let total = self
            .total
            .unwrap_or_else(|| prompt.saturating_add(self.output));
        Usage {
            cached_tokens: self.cache_read,
            cache_creation_tokens: self.cache_write,
            reasoning_tokens: self.reasoning.unwrap_or(0),
            ..Usage::counts(prompt, self.output, total)
        }
    }

    /// Writes the usage object with `billed`'s counts and the details LiteLLM adds.
    pub(crate) fn write_as(&self, billed: Usage, out: &mut Vec<u8>) {
        write_counts(&billed, out);
        let reasoning = self.reasoning.unwrap_or(0);
        out.extend_from_slice(b",\"completion_tokens_details\":{\"reasoning_tokens\":");
        write_u64(reasoning, out);
        out.extend_from_slice(b",\"text_tokens\":");
        write_u64(self.output - reasoning, out);
        out.extend_from_slice(b"},\"prompt_tokens_details\":{\"cached_tokens\":");
        write_u64(self.cache_read, out);
        out.extend_from_slice(b",\"cache_creation_tokens\":");
        write_u64(self.cache_write, out);
        out.extend_from_slice(b",\"cache_write_tokens\":");
        write_u64(self.cache_write, out);
        out.extend_from_slice(b",\"text_tokens\":");
        write_u64(self.input, out);
        out.extend_from_slice(b"},\"cache_creation_input_tokens\":");
        write_u64(self.cache_write, out);
        out.extend_from_slice(b",\"cache_read_input_tokens\":");
        write_u64(self.cache_read, out);
        out.push(b'}');
    }
}

/// Writes the client's `chat.completion` for the Converse answer `body`; returns its usage.
pub fn transform_response(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("Bedrock response: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let [output, stop, usage, additional] = fields(
        body,
        [
            "output",
            "stopReason",
            "usage",
            "additionalModelResponseFields",
        ],
    );
    let blocks = output
        .and_then(|o| get(o, "message"))
        .and_then(|m| get(m, "content"))
        .and_then(elements)
        .unwrap_or_default();
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut thinking: Vec<Vec<u8>> = Vec::new();
    let mut calls: Vec<Vec<u8>> = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        let [t, tool, r] = fields(block, ["text", "toolUse", "reasoningContent"]);
        if let Some(t) = t.and_then(string) {
            text.push_str(&t);
        }
        if let Some(tool) = tool {
            let [tool_id, name, input] = fields(tool, ["toolUseId", "name", "input"]);
            let mut c = b"{\"id\":".to_vec();
            write_json_string(&tool_id.and_then(string).unwrap_or_default(), &mut c);
            c.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
            write_json_string(&name.and_then(string).unwrap_or_default(), &mut c);
            c.extend_from_slice(b",\"arguments\":");
            write_py_dumps_string(input.unwrap_or(b"{}"), &mut c);
            c.extend_from_slice(b"},\"index\":");
            write_u64(index as u64, &mut c);
            c.push(b'}');
            calls.push(c);
        }
        if let Some(r) = r {
            thinking.push(thinking_block(r, &mut reasoning));
        }
    }
    let stop = stop.and_then(string).unwrap_or_default();
    write_head(id, created, model, out);
    out.extend_from_slice(b"[{\"finish_reason\":\"");
    out.extend_from_slice(finish_reason(&stop).as_bytes());
    out.extend_from_slice(b"\",\"index\":0,\"message\":{\"content\":");
    write_json_string(&text, out);
    out.extend_from_slice(b",\"role\":\"assistant\"");
    if !calls.is_empty() {
        out.extend_from_slice(b",\"tool_calls\":[");
        out.extend_from_slice(&calls.join(&b","[..]));
        out.push(b']');
    }
    if !thinking.is_empty() {
        out.extend_from_slice(b",\"reasoning_content\":");
        write_json_string(&reasoning, out);
        out.extend_from_slice(b",\"thinking_blocks\":[");
        out.extend_from_slice(&thinking.join(&b","[..]));
        out.extend_from_slice(b"],\"provider_specific_fields\":{\"reasoningContentBlocks\":[");
        let rebuilt: Vec<Vec<u8>> = blocks
            .iter()
            .filter_map(|b| get(b, "reasoningContent"))
            .map(reasoning_content)
            .collect();
        out.extend_from_slice(&rebuilt.join(&b","[..]));
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"}}],\"usage\":");
    let usage = ConverseUsage::read(usage.unwrap_or(b"{}"))
        .with_reasoning(additional)
        .or_estimate(&reasoning);
    let billed = usage.billed();
    usage.write_as(billed, out);
    out.push(b'}');
    Ok(billed)
}

/// Appends `"name":"value"` (a JSON string member) to `members` when `value` is set.
fn string_member(members: &mut Vec<Vec<u8>>, name: &str, value: Option<String>) {
    if let Some(v) = value {
        let mut m = Vec::with_capacity(v.len() + name.len() + 6);
        write_json_string(name, &mut m);
        m.push(b':');
        write_json_string(&v, &mut m);
        members.push(m);
    }
}

/// A `reasoningContent` value as Bedrock sent it, rebuilt from its fields (never copied: a
/// copy could carry raw newlines into a stream's `data:` line): an answer's `reasoningText`
/// (`text`, `signature`) or `redactedContent`, or a stream delta's `text`, `signature` or
/// `redactedContent`.
pub(crate) fn reasoning_content(r: &[u8]) -> Vec<u8> {
    let [reasoning_text, text, signature, redacted] =
        fields(r, ["reasoningText", "text", "signature", "redactedContent"]);
    let mut members: Vec<Vec<u8>> = Vec::new();
    if let Some(rt) = reasoning_text {
        let [t, s] = fields(rt, ["text", "signature"]);
        let mut inner = Vec::new();
        string_member(&mut inner, "text", t.and_then(string));
        string_member(&mut inner, "signature", s.and_then(string));
        let mut m = b"\"reasoningText\":{".to_vec();
        m.extend_from_slice(&inner.join(&b","[..]));
        m.push(b'}');
        members.push(m);
    }
    string_member(&mut members, "text", text.and_then(string));
    string_member(&mut members, "signature", signature.and_then(string));
    string_member(&mut members, "redactedContent", redacted.and_then(string));
    let mut out = b"{".to_vec();
    out.extend_from_slice(&members.join(&b","[..]));
    out.push(b'}');
    out
}

/// A `reasoningContent` block as a thinking block (its text added to `reasoning`).
fn thinking_block(block: &[u8], reasoning: &mut String) -> Vec<u8> {
    if let Some(data) = get(block, "redactedContent").and_then(string) {
        let mut b = b"{\"type\":\"redacted_thinking\",\"data\":".to_vec();
        write_json_string(&data, &mut b);
        b.push(b'}');
        return b;
    }
    let text_block = get(block, "reasoningText").unwrap_or(b"{}");
    let [text, signature] = fields(text_block, ["text", "signature"]);
    let text = text.and_then(string).unwrap_or_default();
    reasoning.push_str(&text);
    let mut b = b"{\"type\":\"thinking\",\"thinking\":".to_vec();
    write_json_string(&text, &mut b);
    if let Some(s) = signature.and_then(string) {
        b.extend_from_slice(b",\"signature\":");
        write_json_string(&s, &mut b);
    }
    b.push(b'}');
    b
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn answer(body: Value) -> (Value, Usage) {
        let mut out = Vec::new();
        let usage =
            transform_response(body.to_string().as_bytes(), "chatcmpl-x", 7, "br", &mut out)
                .unwrap();
        (serde_json::from_slice(&out).unwrap(), usage)
    }

    #[test]
    fn text_tools_and_usage() {
        let (a, usage) = answer(
            json!({"output": {"message": {"role": "assistant", "content": [
            {"text": "Let me check."},
            {"toolUse": {"toolUseId": "tooluse_A", "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "tooluse_B", "name": "now", "input": {}}}]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15,
                      "cacheReadInputTokens": 3, "cacheWriteInputTokens": 2}}),
        );
        let choice = &a["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["content"], "Let me check.");
        let calls = &choice["message"]["tool_calls"];
        assert_eq!(calls[0]["function"]["arguments"], "{\"city\": \"Paris\"}");
        assert_eq!(calls[0]["index"], 1);
        assert_eq!(calls[1]["function"]["arguments"], "{}");
        assert_eq!(a["id"], "chatcmpl-x");
        assert_eq!(
            usage,
            Usage {
                cached_tokens: 3,
                cache_creation_tokens: 2,
                ..Usage::counts(15, 5, 15)
            }
        );
        assert_eq!(a["usage"]["prompt_tokens_details"]["cached_tokens"], 3);
    }

    #[test]
    fn counts_saturate_and_reasoning_is_rebuilt() {
        let body = format!(
            "{{\"output\":{{\"message\":{{\"content\":[{{\"reasoningContent\":\n{{\"reasoningText\":\n{{\"text\":\"a\",\"signature\":\"s\"}}}}}}]}}}},\"stopReason\":\"end_turn\",\"usage\":{{\"inputTokens\":{max},\"outputTokens\":1,\"cacheReadInputTokens\":{max}}}}}",
            max = u64::MAX
        );
        let mut out = Vec::new();
        let usage = transform_response(body.as_bytes(), "c", 1, "m", &mut out).unwrap();
        assert_eq!(usage.prompt_tokens, u64::MAX);
        assert_eq!(usage.total_tokens, u64::MAX);
        assert!(!out.contains(&b'\n'));
        let a: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            a["choices"][0]["message"]["provider_specific_fields"]["reasoningContentBlocks"],
            json!([{"reasoningText": {"text": "a", "signature": "s"}}])
        );
    }

    #[test]
    fn reasoning_blocks() {
        let (a, _) = answer(
            json!({"output": {"message": {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "Thinking", "signature": "SIG"}}},
            {"text": "Answer"}]}}, "stopReason": "max_tokens",
            "usage": {"inputTokens": 5, "outputTokens": 50, "totalTokens": 55}}),
        );
        let m = &a["choices"][0]["message"];
        assert_eq!(m["reasoning_content"], "Thinking");
        assert_eq!(
            m["thinking_blocks"],
            json!([{"type": "thinking", "thinking": "Thinking", "signature": "SIG"}])
        );
        assert_eq!(a["choices"][0]["finish_reason"], "length");
    }
}
