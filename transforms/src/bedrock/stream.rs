//! ConverseStream's events (decoded from AWS event-stream messages by
//! [`eventstream`](super::eventstream)) → chat completion chunks, as LiteLLM 1.108.7's
//! `AWSEventStreamDecoder.converse_chunk_parser` and its stream wrapper emit them:
//!
//! - every chunk is written in pydantic's order with `provider_specific_fields: {}` last, as
//!   LiteLLM's Bedrock chunks are (no fast path);
//! - `messageStart` writes nothing;
//! - a `toolUse` block start is a tool call chunk (its id and name, `arguments: ""`, the
//!   next tool index); text, tool input and reasoning deltas are chunks of their own, the
//!   first chunk carrying `role: assistant`;
//! - `messageStop` gives the finish reason, `metadata` the usage;
//! - at the end: a chunk with an empty delta and the finish reason (`tool_calls` when a stop
//!   followed tool calls), the usage chunk if the client asked for it (its total is prompt
//!   plus completion), `[DONE]`;
//! - an `exception` message is the provider's error, mapped as LiteLLM maps it.

use super::response::{finish_reason, reasoning_content, ConverseUsage};
use crate::json::value::{answer_object, fields, get, string};
use crate::json::write_json_string;
use crate::stream::{ChunkPrefixes, StreamFailure};
use crate::usage::Usage;

/// What a tool block's input deltas were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToolInput {
    None,
    /// Only empty strings (LiteLLM then closes the call with `{}`).
    Empty,
    Some,
}

/// Closes each chunk: its delta, choice and choices, then the chunk's fields.
const CHUNK_END: &[u8] = b"}}],\"provider_specific_fields\":{}}\n\n";

/// The translation state of one stream.
#[derive(Debug)]
pub struct ChatStream {
    prefixes: ChunkPrefixes,
    sent_first: bool,
    /// The tool call index of the current tool block (LiteLLM counts from -1).
    tool_index: i64,
    saw_tools: bool,
    /// The open tool block's input deltas so far.
    tool_open: Option<ToolInput>,
    /// The reasoning block being streamed: its number (LiteLLM's thinking block `index`) and
    /// its content block index.
    reasoning_block: Option<(u64, Option<u64>)>,
    finish: Option<&'static str>,
    /// `messageStop`'s `additionalModelResponseFields` (the reasoning token count).
    reasoning_fields: Option<Vec<u8>>,
    usage: Option<ConverseUsage>,
    /// The deployment's prices, for the usage chunk's `cost` ([`ChatStream::priced`]).
    prices: Option<crate::cost::Prices>,
}

impl ChatStream {
    /// A stream whose chunks carry `id`, `created` and the client's `model` name.
    pub fn new(id: &str, created: u64, model: &str) -> Self {
        ChatStream {
            prefixes: ChunkPrefixes::new(id, created, model),
            sent_first: false,
            tool_index: -1,
            saw_tools: false,
            tool_open: None,
            reasoning_block: None,
            finish: None,
            reasoning_fields: None,
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

    /// Translates one message: `message_type` and `name` from its headers, `payload` its JSON.
    /// Returns the usage when the message reported it.
    pub fn event(
        &mut self,
        message_type: &str,
        name: &str,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        if message_type != "event" {
            return Err(stream_error(message_type, name, payload));
        }
        let payload = answer_object(payload).map_err(|_| StreamFailure::Malformed)?;
        match name {
            "contentBlockStart" => {
                let start = get(payload, "start").unwrap_or(b"{}");
                if let Some(tool) = get(start, "toolUse") {
                    let [id, tool_name] = fields(tool, ["toolUseId", "name"]);
                    self.tool_index += 1;
                    self.saw_tools = true;
                    self.tool_open = Some(ToolInput::None);
                    self.tool_chunk(out, |o| {
                        o.extend_from_slice(b"{\"id\":");
                        write_json_string(&id.and_then(string).unwrap_or_default(), o);
                        o.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
                        write_json_string(&tool_name.and_then(string).unwrap_or_default(), o);
                        o.extend_from_slice(b",\"arguments\":\"\"}");
                    });
                }
            }
            "contentBlockDelta" => {
                let delta = get(payload, "delta").unwrap_or(b"{}");
                let [text, tool, reasoning] =
                    fields(delta, ["text", "toolUse", "reasoningContent"]);
                if let Some(text) = text.and_then(string) {
                    self.text_chunk(&text, out);
                }
                if let Some(tool) = tool {
                    let input = get(tool, "input").and_then(string).unwrap_or_default();
                    self.tool_open = Some(match (self.tool_open, input.is_empty()) {
                        (_, false) | (Some(ToolInput::Some), _) => ToolInput::Some,
                        _ => ToolInput::Empty,
                    });
                    self.tool_chunk(out, |o| {
                        o.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"arguments\":");
                        write_json_string(&input, o);
                        o.push(b'}');
                    });
                }
                if let Some(r) = reasoning {
                    let block = get(payload, "contentBlockIndex")
                        .and_then(|b| std::str::from_utf8(b).ok()?.trim().parse::<u64>().ok());
                    let number = match self.reasoning_block {
                        Some((n, b)) if b == block => n,
                        Some((n, _)) => n + 1,
                        None => 0,
                    };
                    self.reasoning_block = Some((number, block));
                    self.reasoning_chunk(r, number, out);
                }
            }
            "contentBlockStop" => {
                // A tool block whose input deltas were all empty ends with `{}`.
                if let Some(ToolInput::Empty) = self.tool_open.take() {
                    self.tool_chunk(out, |o| {
                        o.extend_from_slice(
                            b"{\"type\":\"function\",\"function\":{\"arguments\":\"{}\"}",
                        )
                    });
                }
            }
            "messageStop" => {
                let stop = get(payload, "stopReason")
                    .and_then(string)
                    .unwrap_or_default();
                let reason = finish_reason(&stop);
                self.finish = Some(if reason == "stop" && self.saw_tools {
                    "tool_calls"
                } else {
                    reason
                });
                // Bedrock sends the reasoning count here, before `metadata`'s usage.
                self.reasoning_fields =
                    get(payload, "additionalModelResponseFields").map(<[u8]>::to_vec);
            }
            "metadata" => {
                if let Some(u) = get(payload, "usage") {
                    let read =
                        ConverseUsage::read(u).with_reasoning(self.reasoning_fields.as_deref());
                    self.usage = Some(read);
                    return Ok(Some(read.billed()));
                }
            }
            _ => {}
        }
        Ok(None)
    }

    fn text_chunk(&mut self, text: &str, out: &mut Vec<u8>) {
        if text.is_empty() {
            return;
        }
        out.extend_from_slice(&self.prefixes.slow);
        if self.take_first() {
            out.extend_from_slice(b"\"role\":\"assistant\",");
        }
        out.extend_from_slice(b"\"content\":");
        write_json_string(text, out);
        out.extend_from_slice(CHUNK_END);
    }

    /// A chunk with one tool call (`call` writes its object without the closing brace).
    fn tool_chunk(&mut self, out: &mut Vec<u8>, call: impl FnOnce(&mut Vec<u8>)) {
        out.extend_from_slice(&self.prefixes.slow);
        out.extend_from_slice(b"\"content\":\"\",\"tool_calls\":[");
        call(out);
        out.extend_from_slice(b",\"index\":");
        out.extend_from_slice(
            itoa::Buffer::new()
                .format(self.tool_index.max(0))
                .as_bytes(),
        );
        out.extend_from_slice(b"}]");
        if self.take_first() {
            out.extend_from_slice(b",\"role\":\"assistant\"");
        }
        out.extend_from_slice(CHUNK_END);
    }

    /// A reasoning delta: `reasoning_content`, one thinking block numbered `number`, and the
    /// delta as Bedrock sent it in `provider_specific_fields`.
    fn reasoning_chunk(&mut self, r: &[u8], number: u64, out: &mut Vec<u8>) {
        let [text, signature, redacted] = fields(r, ["text", "signature", "redactedContent"]);
        let text = text.and_then(string);
        let signature = signature.and_then(string);
        let redacted = redacted.and_then(string);
        if text.is_none() && signature.is_none() && redacted.is_none() {
            return;
        }
        out.extend_from_slice(&self.prefixes.slow);
        out.extend_from_slice(b"\"content\":\"\",\"reasoning_content\":");
        write_json_string(text.as_deref().unwrap_or(""), out);
        out.extend_from_slice(b",\"thinking_blocks\":[");
        let mut buf = itoa::Buffer::new();
        let index = buf.format(number);
        match (&redacted, &signature) {
            (Some(data), _) => {
                out.extend_from_slice(b"{\"type\":\"redacted_thinking\",\"index\":");
                out.extend_from_slice(index.as_bytes());
                out.extend_from_slice(b",\"data\":");
                write_json_string(data, out);
            }
            (None, Some(s)) => {
                out.extend_from_slice(b"{\"type\":\"thinking\",\"index\":");
                out.extend_from_slice(index.as_bytes());
                out.extend_from_slice(b",\"signature\":");
                write_json_string(s, out);
                out.extend_from_slice(b",\"thinking\":\"\"");
            }
            (None, None) => {
                out.extend_from_slice(b"{\"type\":\"thinking\",\"index\":");
                out.extend_from_slice(index.as_bytes());
                out.extend_from_slice(b",\"thinking\":");
                write_json_string(text.as_deref().unwrap_or(""), out);
            }
        }
        out.extend_from_slice(b"}],\"provider_specific_fields\":{\"reasoningContent\":");
        out.extend_from_slice(&reasoning_content(r));
        out.push(b'}');
        if self.take_first() {
            out.extend_from_slice(b",\"role\":\"assistant\"");
        }
        out.extend_from_slice(CHUNK_END);
    }

    /// The end of the upstream stream: the finish chunk, the usage chunk if the client asked
    /// for it, and `[DONE]`. Returns the usage of the whole stream.
    pub fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        out.extend_from_slice(&self.prefixes.slow);
        out.extend_from_slice(b"},\"finish_reason\":\"");
        out.extend_from_slice(self.finish.unwrap_or("stop").as_bytes());
        out.extend_from_slice(b"\"}],\"provider_specific_fields\":{}}\n\n");
        let billed = self.usage.map(|u| u.billed());
        if include_usage {
            out.extend_from_slice(&self.prefixes.slow);
            out.extend_from_slice(b"}}],\"usage\":");
            let u = self.usage.unwrap_or_default();
            let b = u.billed();
            // The stream's total is prompt plus completion (the chunk builder's sum).
            u.write_as(
                Usage {
                    total_tokens: b.prompt_tokens.saturating_add(b.completion_tokens),
                    ..b
                },
                out,
            );
            crate::cost::stamp_usage(self.prices, &b, out);
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        billed
    }

    fn take_first(&mut self) -> bool {
        !std::mem::replace(&mut self.sent_first, true)
    }
}

/// An `exception` (or `error`) message: the status botocore's model gives its type, and the
/// message LiteLLM maps for `"{type} {payload}"`.
fn stream_error(message_type: &str, name: &str, payload: &[u8]) -> StreamFailure {
    let (status, raw) = exception_text(message_type, name, payload);
    let mut message = String::new();
    let map = super::error::map_text(status, &raw, &mut message);
    StreamFailure::Mapped { message, map }
}

/// The status and text of a stream's exception (or error) message, as LiteLLM's decoder
/// raises it: `"{type} {payload}"`.
pub(super) fn exception_text(message_type: &str, name: &str, payload: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(payload);
    if message_type == "exception" {
        let status = match name {
            "validationException" => 400,
            "throttlingException" => 429,
            "modelStreamErrorException" => 424,
            "modelTimeoutException" => 408,
            "serviceUnavailableException" => 503,
            _ => 500,
        };
        (status, format!("{name} {text}"))
    } else {
        (400, text.into_owned())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn run(events: &[(&str, &str, &str)], include_usage: bool) -> (Vec<Value>, Option<Usage>) {
        let mut s = ChatStream::new("chatcmpl-1", 5, "br");
        let mut out = Vec::new();
        for (kind, name, payload) in events {
            s.event(kind, name, payload.as_bytes(), &mut out).unwrap();
        }
        let usage = s.end(include_usage, &mut out);
        let text = String::from_utf8(out).unwrap();
        let chunks = text
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        (chunks, usage)
    }

    #[test]
    fn text_tools_finish_and_usage() {
        let (chunks, usage) = run(
            &[
                ("event", "messageStart", r#"{"role":"assistant","p":"ab"}"#),
                (
                    "event",
                    "contentBlockDelta",
                    r#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#,
                ),
                (
                    "event",
                    "contentBlockStart",
                    r#"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"f"}}}"#,
                ),
                (
                    "event",
                    "contentBlockDelta",
                    r#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\": 1}"}}}"#,
                ),
                ("event", "contentBlockStop", r#"{"contentBlockIndex":1}"#),
                ("event", "messageStop", r#"{"stopReason":"tool_use"}"#),
                (
                    "event",
                    "metadata",
                    r#"{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":9},"metrics":{}}"#,
                ),
            ],
            true,
        );
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(chunks[0]["choices"][0]["delta"]["content"], "Hi");
        let call = &chunks[1]["choices"][0]["delta"]["tool_calls"][0];
        assert_eq!(
            (call["id"].as_str(), call["index"].as_u64()),
            (Some("t1"), Some(0))
        );
        assert_eq!(
            chunks[2]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"],
            "{\"a\": 1}"
        );
        assert_eq!(chunks[3]["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(chunks[4]["usage"]["total_tokens"], 7);
        assert_eq!(usage, Some(Usage::counts(3, 4, 9)));
    }

    #[test]
    fn reasoning_tokens_from_message_stop_reach_the_usage() {
        let (chunks, _) = run(
            &[
                ("event", "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":\n{\"text\":\"hm\"}}}"),
                ("event", "messageStop", r#"{"stopReason":"end_turn","additionalModelResponseFields":{"usage":{"output_tokens_details":{"thinking_tokens":3}}}}"#),
                ("event", "metadata", r#"{"usage":{"inputTokens":1,"outputTokens":5,"totalTokens":6}}"#),
            ],
            true,
        );
        let delta = &chunks[0]["choices"][0]["delta"];
        assert_eq!(
            delta["provider_specific_fields"]["reasoningContent"],
            json!({"text": "hm"})
        );
        assert_eq!(delta["thinking_blocks"][0]["index"], 0);
        let usage = &chunks.last().unwrap()["usage"];
        assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 3);
        assert_eq!(usage["completion_tokens_details"]["text_tokens"], 2);
    }

    #[test]
    fn exceptions_are_mapped() {
        let mut s = ChatStream::new("c", 1, "m");
        let err = s
            .event(
                "exception",
                "throttlingException",
                br#"{"message":"slow down"}"#,
                &mut Vec::new(),
            )
            .unwrap_err();
        let StreamFailure::Mapped { message, map } = err else {
            panic!("not a mapped failure")
        };
        assert_eq!((map.status, map.exception), (429, "RateLimitError"));
        assert!(
            message.starts_with("litellm.RateLimitError: BedrockException: Rate Limit Error - "),
            "{message}"
        );
        assert!(matches!(
            s.event("event", "contentBlockDelta", b"{nope", &mut Vec::new()),
            Err(StreamFailure::Malformed)
        ));
    }
}
