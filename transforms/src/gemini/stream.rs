//! A Gemini `streamGenerateContent?alt=sse` stream (each event a whole
//! `GenerateContentResponse`) → the `chat.completion.chunk` events LiteLLM's proxy sends for
//! it (`ModelResponseIterator.chunk_parser`, then `CustomStreamWrapper` and the proxy's
//! serialiser; shapes and key orders captured from LiteLLM 1.108.7's proxy):
//!
//! - a chunk with only text goes on the proxy's fast path (`id`, `object`, `created`, `model`,
//!   `choices`), with `"role": "assistant"` first in the first chunk sent;
//! - a chunk with tool calls, reasoning or thought signatures is serialised whole: `id`,
//!   `created`, `model`, `object`, `choices` with the delta's members (`role` last when it is
//!   the first chunk), then the `vertex_ai_*` metadata lists of the event's candidate;
//! - tool calls come whole (name and arguments in one piece), numbered across the stream;
//! - the finish reason goes alone in an empty delta when the stream ends (`tool_calls` once a
//!   tool call was seen), then the usage chunk when the client asked for it, then `[DONE]`;
//! - an event with an `error` member ends the stream as LiteLLM maps that error.
//!
//! The chunks' `id` is the stream's `responseId` (the gateway's id when it has none). Only the
//! first candidate is read (`n` > 1 is not streamed per choice). Deviations: the usage chunk
//! carries the last reported usage without `cost` (see the differential suite's exceptions).

use super::response::{finish_reason, CallOrder, GeminiUsage, Parts, ToolIds};
use crate::json::value::{answer_object, elements, fields, get, string};
use crate::json::write_json_string;
use crate::stream::{ChunkPrefixes, StreamFailure};
use crate::usage::Usage;

/// The translation state of one stream.
#[derive(Debug)]
pub struct ChatStream {
    /// The row's name, for the class names of an in-stream error.
    provider: &'static str,
    id: String,
    created: u64,
    model: String,
    /// `data: {"id":..,"object":..,"created":..,"model":..,"choices":[{"index":0,"delta":{`,
    /// built at the first event (its `responseId` is the stream's id).
    fast: Vec<u8>,
    /// `data: {"id":..,"created":..,"model":..,"object":..,"choices":[{"index":0,"delta":{`
    slow: Vec<u8>,
    ids: ToolIds,
    tool_index: usize,
    sent_first: bool,
    saw_tools: bool,
    finish: Option<&'static str>,
    usage: Option<GeminiUsage>,
    /// The deployment's prices, for the usage chunk's `cost` ([`ChatStream::priced`]).
    prices: Option<crate::cost::Prices>,
}

impl ChatStream {
    /// A stream whose chunks carry `created` and the client's `model` name, and `id` unless
    /// the provider names the answer.
    pub fn new(provider: &'static str, id: &str, created: u64, model: &str) -> Self {
        ChatStream {
            provider,
            id: id.to_owned(),
            created,
            model: model.to_owned(),
            fast: Vec::new(),
            slow: Vec::new(),
            ids: ToolIds::new(id),
            tool_index: 0,
            sent_first: false,
            saw_tools: false,
            finish: None,
            usage: None,
            prices: None,
        }
    }

    /// Prices the usage chunk: its usage gets LiteLLM's `cost` at `prices` (the stream chunk
    /// builder's stamp, a positive cost only).
    pub fn priced(mut self, prices: Option<crate::cost::Prices>) -> Self {
        self.prices = prices;
        self
    }

    fn prefixes(&mut self, response_id: Option<&[u8]>) {
        if !self.fast.is_empty() {
            return;
        }
        if let Some(r) = response_id.and_then(string).filter(|r| !r.is_empty()) {
            self.id = r;
        }
        let ChunkPrefixes { fast, slow } = ChunkPrefixes::new(&self.id, self.created, &self.model);
        self.fast = fast;
        self.slow = slow;
    }

    /// Translates the data of one event, writing zero or more client events to `out`.
    /// Returns the usage so far when this event reported some.
    pub fn event(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        // Validated first: metadata, signatures and arguments are copied from it as they came.
        let data = answer_object(data).map_err(|_| StreamFailure::Malformed)?;
        let [candidates, usage, response_id, feedback, error] = fields(
            data,
            [
                "candidates",
                "usageMetadata",
                "responseId",
                "promptFeedback",
                "error",
            ],
        );
        if let Some(error) = error {
            return Err(stream_error(self.provider, error));
        }
        self.prefixes(response_id);
        if feedback.is_some_and(|f| get(f, "blockReason").is_some()) {
            self.finish = Some("content_filter");
        }
        if let Some(candidate) = candidates
            .and_then(elements)
            .and_then(|c| c.into_iter().next())
        {
            self.candidate(candidate, out);
        }
        Ok(usage.map(|u| {
            let read = GeminiUsage::read(u);
            self.usage = Some(read);
            read.billed()
        }))
    }

    fn candidate(&mut self, candidate: &[u8], out: &mut Vec<u8>) {
        let [content, finish, grounding, safety, citation, url_context] = fields(
            candidate,
            [
                "content",
                "finishReason",
                "groundingMetadata",
                "safetyRatings",
                "citationMetadata",
                "urlContextMetadata",
            ],
        );
        let parts = content.and_then(|c| get(c, "parts")).and_then(elements);
        if let Some(parts) = parts {
            let read = Parts::read(&parts);
            let first_call = self.tool_index;
            self.tool_index += read.calls.len();
            if !read.calls.is_empty() {
                self.saw_tools = true;
            }
            let plain_text = read.reasoning.is_none()
                && read.calls.is_empty()
                && read.images.is_empty()
                && read.signatures.is_empty();
            if plain_text {
                if let Some(text) = read.text.as_deref().filter(|t| !t.is_empty()) {
                    out.extend_from_slice(&self.fast);
                    if self.take_first() {
                        out.extend_from_slice(b"\"role\":\"assistant\",");
                    }
                    out.extend_from_slice(b"\"content\":");
                    write_json_string(text, out);
                    out.extend_from_slice(b"}}]}\n\n");
                }
            } else {
                out.extend_from_slice(&self.slow);
                // Each member is written with a comma before it; the first one's goes.
                let members = out.len();
                if let Some(text) = read.text.as_deref() {
                    out.extend_from_slice(b",\"content\":");
                    write_json_string(text, out);
                }
                if !read.calls.is_empty() {
                    read.write_tool_calls(&self.ids, first_call, CallOrder::Chunk, out);
                }
                if !read.images.is_empty() {
                    out.extend_from_slice(b",\"images\":[");
                    out.extend_from_slice(&read.images.join(&b","[..]));
                    out.push(b']');
                }
                if let Some(r) = read.reasoning.as_deref() {
                    out.extend_from_slice(b",\"reasoning_content\":");
                    write_json_string(r, out);
                }
                if !read.signatures.is_empty() {
                    out.push(b',');
                    read.write_signatures(out);
                }
                if self.take_first() {
                    out.extend_from_slice(b",\"role\":\"assistant\"");
                }
                out.remove(members);
                out.extend_from_slice(b"}}]");
                write_metadata(grounding, url_context, safety, citation, out);
                out.extend_from_slice(b"}\n\n");
            }
        }
        if let Some(native) = finish.and_then(string) {
            self.finish = Some(if self.saw_tools {
                "tool_calls"
            } else {
                finish_reason(&native)
            });
        }
    }

    /// The end of the upstream stream: the finish chunk, the usage chunk if the client asked
    /// for it, and `[DONE]`. Returns the usage of the whole stream.
    pub fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        self.prefixes(None);
        out.extend_from_slice(&self.fast);
        out.extend_from_slice(b"},\"finish_reason\":\"");
        out.extend_from_slice(self.finish.unwrap_or("stop").as_bytes());
        out.extend_from_slice(b"\"}]}\n\n");
        let usage = self.usage.map(|u| u.billed());
        if include_usage {
            out.extend_from_slice(&self.slow);
            out.extend_from_slice(b"}}],\"usage\":");
            let u = self.usage.unwrap_or_default();
            let billed = u.billed();
            // The stream's total is prompt plus completion (the chunk builder's sum).
            u.write_as(
                Usage {
                    total_tokens: billed.prompt_tokens + billed.completion_tokens,
                    ..billed
                },
                out,
            );
            crate::cost::stamp_usage(self.prices, &billed, out);
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        usage
    }

    /// `"role":"assistant"` the first time a chunk goes out.
    fn take_first(&mut self) -> bool {
        !std::mem::replace(&mut self.sent_first, true)
    }
}

/// The `vertex_ai_*` lists LiteLLM sets on a stream chunk (`set_stream_metadata_on_response`).
fn write_metadata(
    grounding: Option<&[u8]>,
    url_context: Option<&[u8]>,
    safety: Option<&[u8]>,
    citation: Option<&[u8]>,
    out: &mut Vec<u8>,
) {
    let list = |name: &str, v: Option<&[u8]>, spread: bool, out: &mut Vec<u8>| {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        match v {
            Some(v) if spread && v.first() == Some(&b'[') => out.extend_from_slice(v),
            Some(v) => {
                out.push(b'[');
                out.extend_from_slice(v);
                out.push(b']');
            }
            None => out.extend_from_slice(b"[]"),
        }
    };
    list("vertex_ai_grounding_metadata", grounding, true, out);
    list("vertex_ai_url_context_metadata", url_context, true, out);
    list("vertex_ai_safety_ratings", safety, false, out);
    list("vertex_ai_safety_results", safety, false, out);
    list("vertex_ai_citation_metadata", citation, true, out);
}

/// An `error` member in the stream (`_check_streaming_error`): LiteLLM raises its code with
/// `"{status} - {message}"` and maps it as any Gemini error.
fn stream_error(provider: &str, error: &[u8]) -> StreamFailure {
    let [code, message, status] = fields(error, ["code", "message", "status"]);
    let code = code
        .and_then(|c| std::str::from_utf8(c).ok()?.trim().parse::<u16>().ok())
        .unwrap_or(500);
    let text = format!(
        "{} - {}",
        status.and_then(string).as_deref().unwrap_or("UNKNOWN"),
        message
            .and_then(string)
            .as_deref()
            .unwrap_or("Unknown error")
    );
    let mut out = String::new();
    super::error::map_error(provider, code, text.as_bytes(), &mut out);
    StreamFailure::Provider { message: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values are copied from an event as they came, so an event that is not valid JSON ends
    /// the stream instead of reaching the client (found by the `gemini_stream` fuzz target).
    #[test]
    fn invalid_events_are_malformed() {
        let mut s = ChatStream::new("gemini", "chatcmpl-x", 1, "m");
        let mut out = Vec::new();
        let event = br#"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": '}}]}}]}"#;
        assert_eq!(s.event(event, &mut out), Err(StreamFailure::Malformed));
        assert!(out.is_empty());
    }
}
