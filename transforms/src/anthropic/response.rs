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
//! clock), and `model` is the name the client asked for. Members that are `null` are left out,
//! as the proxy serialises (`exclude_none`), except inside `provider_specific_fields`. The key
//! order is the one LiteLLM 1.108.7's proxy answered with, captured against a mock. Not handled: citations (written as
//! `null`), server tool results, `usage.iterations`, `server_tool_use` counts.

use super::request::TransformError;
use super::{elements, get, string};
use crate::json::value::{answer_object, write_py_dumps_string};
use crate::json::{top_members, write_json_string, write_u64};
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
    let body = answer_object(body).map_err(bad)?;
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
                write_py_dumps_string(get(block, "input").unwrap_or(b"null"), &mut c);
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
    let finish = finish_reason(
        &get(body, "stop_reason")
            .and_then(string)
            .unwrap_or_default(),
    );

    out.extend_from_slice(b"{\"id\":");
    write_json_string(id, out);
    out.extend_from_slice(b",\"created\":");
    out.extend_from_slice(itoa::Buffer::new().format(created).as_bytes());
    out.extend_from_slice(b",\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"object\":\"chat.completion\",\"choices\":[{\"finish_reason\":\"");
    out.extend_from_slice(finish.as_bytes());
    out.extend_from_slice(b"\",\"index\":0,\"message\":{\"content\":");
    if text.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        write_json_string(&text, out);
    }
    out.extend_from_slice(b",\"role\":\"assistant\"");
    if !calls.is_empty() {
        out.extend_from_slice(b",\"tool_calls\":[");
        out.extend_from_slice(&calls.join(&b","[..]));
        out.push(b']');
    }
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
    let mut counts = AnthropicUsage::default();
    counts.merge(usage);
    let reasoning = match (thinking.is_empty(), reasoning.is_empty()) {
        (true, _) => Reasoning::None,
        (false, true) => Reasoning::Empty,
        (false, false) => Reasoning::Estimated(crate::tokens::count_tokens("", &reasoning)),
    };
    out.extend_from_slice(b"\"usage\":");
    let u = counts.write(reasoning, out);
    out.push(b'}');
    Ok(u)
}

/// `map_finish_reason` for Anthropic's `stop_reason` (unknown values become `stop`).
pub(crate) fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "compaction" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
}

/// What is known of the reasoning text when usage is written (`calculate_usage`'s
/// `reasoning_content` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reasoning {
    /// No thinking: 0 reasoning tokens.
    None,
    /// Thinking blocks without text (redacted only): the details are left empty.
    Empty,
    /// LiteLLM's `token_counter` estimate of the reasoning text (tiktoken's cl100k here).
    Estimated(u64),
}

/// Anthropic's usage counters. A stream reports them in pieces (`message_start`, then
/// cumulative `message_delta`s that may omit some), merged as LiteLLM merges the dicts: a key
/// present in a later piece replaces the earlier value (a non-integer counts 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AnthropicUsage {
    input: u64,
    output: u64,
    creation: u64,
    /// `cache_creation.ephemeral_1h_input_tokens`: cache writes kept for an hour.
    creation_1h: u64,
    read: u64,
    thinking_reported: Option<u64>,
}

impl AnthropicUsage {
    /// Merges the usage object `usage` (bytes of a validated value) into these counts.
    pub(crate) fn merge(&mut self, usage: &[u8]) {
        let Some(members) = top_members(usage) else {
            return;
        };
        let int = |v: &[u8]| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok();
        for m in members {
            let v = &usage[m.value.clone()];
            let slot = match &usage[m.key.clone()] {
                b"input_tokens" => &mut self.input,
                b"output_tokens" => &mut self.output,
                b"cache_creation_input_tokens" => &mut self.creation,
                b"cache_read_input_tokens" => &mut self.read,
                b"output_tokens_details" => {
                    self.thinking_reported = get(v, "thinking_tokens").and_then(int);
                    continue;
                }
                b"cache_creation" => {
                    self.creation_1h = get(v, "ephemeral_1h_input_tokens")
                        .and_then(int)
                        .unwrap_or(0);
                    continue;
                }
                _ => continue,
            };
            *slot = int(v).unwrap_or(0);
        }
    }

    /// Writes the usage object as `calculate_usage` builds it (without iterations and server
    /// tool counts): `prompt_tokens` counts input plus cache creation and cache read tokens,
    /// `prompt_tokens_details` holds `cached_tokens` (read), `cache_creation_tokens` and
    /// `cache_write_tokens` (creation) and `text_tokens` (the rest), and the cache counts are
    /// repeated at the top. Returns the three billed counts.
    pub(crate) fn write(&self, reasoning: Reasoning, out: &mut Vec<u8>) -> Usage {
        let billed = self.billed_with(reasoning);
        let completion = billed.completion_tokens;
        crate::usage::write_counts(&billed, out);
        out.extend_from_slice(b",\"completion_tokens_details\":");
        match self.reasoning_tokens(reasoning) {
            Some(r) => {
                out.extend_from_slice(b"{\"reasoning_tokens\":");
                write_u64(r, out);
                out.extend_from_slice(b",\"text_tokens\":");
                write_u64(completion - r, out);
                out.push(b'}');
            }
            None => out.extend_from_slice(b"{}"),
        }
        out.extend_from_slice(b",\"prompt_tokens_details\":{\"cache_write_tokens\":");
        write_u64(self.creation, out);
        out.extend_from_slice(b",\"cached_tokens\":");
        write_u64(self.read, out);
        out.extend_from_slice(b",\"text_tokens\":");
        write_u64(self.input, out);
        out.extend_from_slice(b",\"cache_creation_tokens\":");
        write_u64(self.creation, out);
        out.extend_from_slice(b"},\"cache_creation_input_tokens\":");
        write_u64(self.creation, out);
        out.extend_from_slice(b",\"cache_read_input_tokens\":");
        write_u64(self.read, out);
        out.push(b'}');
        billed
    }

    /// `_build_completion_token_details`' reasoning count: the reported thinking tokens, else
    /// the estimate of the reasoning text, else 0 (`None`: thinking without text, no count).
    fn reasoning_tokens(&self, reasoning: Reasoning) -> Option<u64> {
        match (self.thinking_reported, reasoning) {
            (Some(r), _) => Some(r.min(self.output)),
            (None, Reasoning::Estimated(n)) => Some(n.min(self.output)),
            (None, Reasoning::Empty) => None,
            (None, Reasoning::None) => Some(0),
        }
    }

    /// The billed counts of an answer without reasoning text (reported thinking tokens only).
    pub(crate) fn billed(&self) -> Usage {
        self.billed_with(Reasoning::None)
    }

    /// The billed counts: prompt is input plus cache creation and cache read tokens; the cache
    /// and reasoning parts as `calculate_usage` reports them.
    pub(crate) fn billed_with(&self, reasoning: Reasoning) -> Usage {
        let prompt = self
            .input
            .saturating_add(self.creation)
            .saturating_add(self.read);
        Usage {
            cached_tokens: self.read,
            cache_creation_tokens: self.creation,
            cache_creation_1h_tokens: self.creation_1h,
            reasoning_tokens: self.reasoning_tokens(reasoning).unwrap_or(0),
            ..Usage::counts(prompt, self.output, prompt.saturating_add(self.output))
        }
    }
}
