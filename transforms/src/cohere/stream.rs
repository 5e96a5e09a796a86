//! A `/v2/chat` stream (Cohere's documented server-sent events) → `chat.completion.chunk`
//! events, in the shapes the other translated families' chunks have:
//!
//! - `content-delta` → a text chunk (`"role": "assistant"` in the first chunk sent);
//! - `tool-call-start` → a chunk opening the tool call (`index`, `id`, `type`, `function`
//!   with its name and first arguments), numbered across the stream; `tool-call-delta` → a
//!   chunk with more of that call's `arguments`;
//! - `message-end` → its `finish_reason` (LiteLLM's `map_finish_reason` for Cohere's names,
//!   `TOOL_CALL` as `tool_calls`) and usage (`usage.tokens`, as the whole answer's);
//! - `message-start`, `content-start`/`-end`, `tool-plan-delta` (LiteLLM drops the plan from
//!   a whole answer too), `tool-call-end`, `citation-*` and `debug` send nothing.
//!
//! At the end: the finish chunk, the usage chunk when the client asked for it, `[DONE]`.
//! LiteLLM 1.108.7 cannot read these events (it parses each line as JSON and fails on the
//! first `event:` line), so this is a deliberate deviation: see docs/deviations.md.

use super::answer_object;
use super::response::read_usage;
use crate::json::value::{fields, get, string};
use crate::json::write_json_string;
use crate::stream::{ChunkPrefixes, StreamFailure};
use crate::usage::{write_counts, Usage};

/// The translation state of one stream.
#[derive(Debug)]
pub struct ChatStream {
    prefixes: ChunkPrefixes,
    phase: Phase,
    /// Tool calls opened so far (the next one's index).
    tool_calls: usize,
    finish: &'static str,
    usage: Option<Usage>,
    /// The deployment's prices, for the usage chunk's `cost` ([`ChatStream::priced`]).
    prices: Option<crate::cost::Prices>,
}

/// Whether a chunk went out yet (the first carries the role).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Before,
    Sent,
}

/// LiteLLM's `map_finish_reason` for Cohere's finish reasons, tool calls named as OpenAI does.
fn finish_reason(native: &str) -> &'static str {
    match native {
        "MAX_TOKENS" => "length",
        "TOOL_CALL" => "tool_calls",
        "ERROR_TOXIC" => "content_filter",
        _ => "stop",
    }
}

impl ChatStream {
    /// A stream whose chunks carry `id`, `created` and the client's `model` name.
    pub fn new(id: &str, created: u64, model: &str) -> Self {
        ChatStream {
            prefixes: ChunkPrefixes::new(id, created, model),
            phase: Phase::Before,
            tool_calls: 0,
            finish: "stop",
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

    /// Translates the data of one event (`name` its `event:` field), writing zero or more
    /// client events to `out`. Returns the usage when this event reported it.
    pub fn event(
        &mut self,
        name: &[u8],
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        // Validated first: ids, names and arguments are copied from it as they came.
        let data = answer_object(data).map_err(|_| StreamFailure::Malformed)?;
        let [kind, delta] = fields(data, ["type", "delta"]);
        let kind = kind.and_then(string);
        let kind = kind.as_deref().map_or(name, str::as_bytes);
        let message = delta.and_then(|d| get(d, "message"));
        match kind {
            b"content-delta" => {
                let text = message
                    .and_then(|m| get(m, "content"))
                    .and_then(|c| get(c, "text"))
                    .and_then(|t| string(t).is_some().then_some(t));
                if let Some(text) = text.filter(|t| *t != b"\"\"") {
                    out.extend_from_slice(&self.prefixes.fast);
                    if self.take_first() {
                        out.extend_from_slice(b"\"role\":\"assistant\",");
                    }
                    out.extend_from_slice(b"\"content\":");
                    out.extend_from_slice(text);
                    out.extend_from_slice(b"}}]}\n\n");
                }
            }
            b"tool-call-start" => {
                let call = message
                    .and_then(|m| get(m, "tool_calls"))
                    .ok_or(StreamFailure::Malformed)?;
                let [id, function] = fields(call, ["id", "function"]);
                let [fname, args] =
                    function.map_or([None, None], |f| fields(f, ["name", "arguments"]));
                let index = self.tool_calls;
                self.tool_calls += 1;
                self.tool_chunk(
                    index,
                    |out| {
                        out.extend_from_slice(b",\"id\":");
                        copy_string(id, out);
                        out.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
                        copy_string(fname, out);
                        out.extend_from_slice(b",\"arguments\":");
                        copy_string(args, out);
                        out.push(b'}');
                    },
                    out,
                );
            }
            b"tool-call-delta" => {
                let args = message
                    .and_then(|m| get(m, "tool_calls"))
                    .and_then(|c| get(c, "function"))
                    .and_then(|f| get(f, "arguments"))
                    .filter(|a| string(a).is_some());
                // A delta belongs to the call opened last.
                if let (Some(args), Some(index)) = (args, self.tool_calls.checked_sub(1)) {
                    self.tool_chunk(
                        index,
                        |out| {
                            out.extend_from_slice(b",\"function\":{\"arguments\":");
                            out.extend_from_slice(args);
                            out.push(b'}');
                        },
                        out,
                    );
                }
            }
            b"message-end" => {
                let [reason, usage] =
                    delta.map_or([None, None], |d| fields(d, ["finish_reason", "usage"]));
                if let Some(r) = reason.and_then(string) {
                    self.finish = finish_reason(&r);
                }
                if let Some(u) = usage {
                    let u = read_usage(u);
                    self.usage = Some(u);
                    return Ok(Some(u));
                }
            }
            _ => {}
        }
        Ok(None)
    }

    /// A chunk with one tool call delta: `{"index": i` then what `members` writes.
    fn tool_chunk(&mut self, index: usize, members: impl FnOnce(&mut Vec<u8>), out: &mut Vec<u8>) {
        out.extend_from_slice(&self.prefixes.slow);
        if self.take_first() {
            out.extend_from_slice(b"\"role\":\"assistant\",");
        }
        out.extend_from_slice(b"\"tool_calls\":[{\"index\":");
        crate::json::write_u64(index as u64, out);
        members(out);
        out.extend_from_slice(b"}]}}]}\n\n");
    }

    /// The end of the upstream stream: the finish chunk, the usage chunk if the client asked
    /// for it, and `[DONE]`. Returns the usage of the whole stream.
    pub fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        out.extend_from_slice(&self.prefixes.fast);
        out.extend_from_slice(b"},\"finish_reason\":\"");
        out.extend_from_slice(self.finish.as_bytes());
        out.extend_from_slice(b"\"}]}\n\n");
        if include_usage {
            out.extend_from_slice(&self.prefixes.slow);
            out.extend_from_slice(b"}}],\"usage\":");
            let u = self.usage.unwrap_or_default();
            write_counts(&u, out);
            out.push(b'}');
            crate::cost::stamp_usage(self.prices, &u, out);
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        self.usage
    }

    /// Whether this is the first chunk out (then it carries the role).
    fn take_first(&mut self) -> bool {
        std::mem::replace(&mut self.phase, Phase::Sent) == Phase::Before
    }
}

/// A string value as it came, or `""` (a null or missing one).
fn copy_string(v: Option<&[u8]>, out: &mut Vec<u8>) {
    match v.filter(|v| string(v).is_some()) {
        Some(v) => out.extend_from_slice(v),
        None => write_json_string("", out),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(
        events: &[(&str, &str)],
        include_usage: bool,
    ) -> (Vec<serde_json::Value>, Option<Usage>) {
        let mut s = ChatStream::new("chatcmpl-1", 7, "cmdr");
        let mut out = Vec::new();
        for (name, data) in events {
            s.event(name.as_bytes(), data.as_bytes(), &mut out).unwrap();
        }
        let usage = s.end(include_usage, &mut out);
        let text = String::from_utf8(out).unwrap();
        let chunks = text
            .split("\n\n")
            .filter(|c| !c.is_empty() && *c != "data: [DONE]")
            .map(|c| serde_json::from_str(c.strip_prefix("data: ").unwrap()).unwrap())
            .collect();
        assert!(text.ends_with("data: [DONE]\n\n"));
        (chunks, usage)
    }

    #[test]
    fn text_stream() {
        let (chunks, usage) = run(
            &[
                (
                    "message-start",
                    r#"{"id":"x","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}"#,
                ),
                (
                    "content-start",
                    r#"{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}"#,
                ),
                (
                    "content-delta",
                    r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hello"}}}}"#,
                ),
                (
                    "content-delta",
                    r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":" world"}}}}"#,
                ),
                ("content-end", r#"{"type":"content-end","index":0}"#),
                (
                    "message-end",
                    r#"{"type":"message-end","delta":{"finish_reason":"MAX_TOKENS","usage":{"billed_units":{"input_tokens":3,"output_tokens":2},"tokens":{"input_tokens":70,"output_tokens":2}}}}"#,
                ),
            ],
            true,
        );
        assert_eq!(chunks.len(), 4);
        assert_eq!(
            chunks[0]["choices"][0]["delta"],
            serde_json::json!({"role":"assistant","content":"Hello"})
        );
        assert_eq!(
            chunks[1]["choices"][0]["delta"],
            serde_json::json!({"content":" world"})
        );
        assert_eq!(chunks[2]["choices"][0]["finish_reason"], "length");
        assert_eq!(
            chunks[3]["usage"],
            serde_json::json!({"completion_tokens":2,"prompt_tokens":70,"total_tokens":72})
        );
        assert_eq!(usage.unwrap().total_tokens, 72);
    }

    #[test]
    fn tool_call_stream() {
        let (chunks, _) = run(
            &[
                (
                    "tool-plan-delta",
                    r#"{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will"}}}"#,
                ),
                (
                    "tool-call-start",
                    r#"{"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":""}}}}}"#,
                ),
                (
                    "tool-call-delta",
                    r#"{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\"city\":"}}}}}"#,
                ),
                (
                    "tool-call-delta",
                    r#"{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"\"Paris\"}"}}}}}"#,
                ),
                ("tool-call-end", r#"{"type":"tool-call-end","index":0}"#),
                (
                    "message-end",
                    r#"{"type":"message-end","delta":{"finish_reason":"TOOL_CALL","usage":{"tokens":{"input_tokens":1,"output_tokens":1}}}}"#,
                ),
            ],
            false,
        );
        assert_eq!(chunks.len(), 4);
        assert_eq!(
            chunks[0]["choices"][0]["delta"],
            serde_json::json!({"role":"assistant","tool_calls":[{"index":0,"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":""}}]})
        );
        let args: String = chunks[1..3]
            .iter()
            .map(|c| {
                c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(args, "{\"city\":\"Paris\"}");
        assert_eq!(chunks[3]["choices"][0]["finish_reason"], "tool_calls");
    }

    /// Values are copied from an event as they came, so an event that is not valid JSON ends
    /// the stream instead of reaching the client.
    #[test]
    fn invalid_events_are_malformed() {
        let mut s = ChatStream::new("chatcmpl-x", 1, "m");
        let mut out = Vec::new();
        let event = br#"{"type":"content-delta","delta":{"message":{"content":{"text":"a}}}}"#;
        assert_eq!(
            s.event(b"content-delta", event, &mut out),
            Err(StreamFailure::Malformed)
        );
        assert!(out.is_empty());
    }
}
