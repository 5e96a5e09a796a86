//! An Ollama NDJSON stream (one answer object a line, `done: true` on the last) → the
//! `chat.completion.chunk` events LiteLLM 1.108.7's proxy sends for it
//! (`OllamaChatCompletionResponseIterator` for `/api/chat`,
//! `OllamaTextCompletionResponseIterator` for `/api/generate`, then `CustomStreamWrapper`):
//!
//! - text goes on the proxy's fast path, `"role": "assistant"` first in the first chunk;
//!   reasoning (`thinking`, or text inside `<think>` tags) and tool calls are serialised whole
//!   (`reasoning_content`, `tool_calls` numbered across the stream, an id where the arguments
//!   are not empty, `role` last in the first chunk);
//! - `/api/generate` holds back text that starts a JSON object (or a fenced one) until the
//!   end, then sends it whole, as a tool call when it reads `{"name", "arguments"}`;
//! - the finish reason goes alone in an empty delta at the end (`done_reason`; `tool_calls`
//!   once one was seen; always `stop` on `/api/generate`), then the usage chunk from the last
//!   line's `prompt_eval_count`/`eval_count` when the client asked for it, then `[DONE]`;
//! - a line that is an error (or not an answer) ends the stream as each iterator raises it
//!   ([`super::error::stream_error`]);
//! - for `/v1/completions`, `text_completion` chunks of the text alone, each with a zero
//!   usage, the finish reason in a chunk without text, as LiteLLM's text-completion wrapper
//!   writes them.
//!
//! Deviation: LiteLLM gives each `/api/chat` chunk a fresh uuid4 as its id; here the chunks
//! of one stream share one (a uuid too).

use super::answer_object;
use super::error::stream_error;
use super::response::{strip_json_code_fence, usage_of, write_tool_call};
use super::Api;
use crate::json::value::{elements, fields, get, string};
use crate::json::write_json_string;
use crate::stream::{ChunkPrefixes, StreamFailure};
use crate::usage::{write_counts, Usage};

/// Text held back on `/api/generate` while it may be a JSON tool call, at most: past it the
/// text goes out as it is (LiteLLM holds the whole answer).
const MAX_HELD: usize = 1 << 20;

/// The end of a text-completion chunk: LiteLLM's wrapper gives each a zero usage.
const ZERO_USAGE: &[u8] =
    b"}],\"usage\":{\"completion_tokens\":0,\"prompt_tokens\":0,\"total_tokens\":0}}\n\n";

/// The translation state of one stream.
#[derive(Debug)]
pub struct ChatStream {
    api: Api,
    /// The id tool call ids derive from.
    id: String,
    prefixes: ChunkPrefixes,
    /// `data: {"id":..,"object":"text_completion","created":..,"model":..,"choices":[{` when
    /// the client's API is text completions.
    text_prefix: Option<Vec<u8>>,
    tool_index: usize,
    sent_first: bool,
    saw_tools: bool,
    started_reasoning: bool,
    finished_reasoning: bool,
    finish: Option<String>,
    usage: Option<Usage>,
    /// `/api/generate`: text held while it may be a JSON object.
    held: String,
    holding_json: bool,
    streamed_content: bool,
    /// The deployment's prices, for the usage chunk's `cost` ([`ChatStream::priced`]).
    prices: Option<crate::cost::Prices>,
}

impl ChatStream {
    /// A stream of `api` whose chunks carry `id` (its `chatcmpl-` prefix dropped on
    /// `/api/chat`, whose chunk ids are bare uuids), `created` and the client's `model`.
    pub fn new(api: Api, id: &str, created: u64, model: &str) -> Self {
        let chunk_id = match api {
            Api::Chat => id.strip_prefix("chatcmpl-").unwrap_or(id),
            Api::Generate => id,
        };
        ChatStream {
            api,
            id: id.to_owned(),
            prefixes: ChunkPrefixes::new(chunk_id, created, model),
            text_prefix: None,
            tool_index: 0,
            sent_first: false,
            saw_tools: false,
            started_reasoning: false,
            finished_reasoning: false,
            finish: None,
            usage: None,
            held: String::new(),
            holding_json: false,
            streamed_content: false,
            prices: None,
        }
    }

    /// Prices the usage chunk: its usage gets LiteLLM's `cost` at `prices` (the stream chunk
    /// builder's stamp, a positive cost only).
    pub fn priced(mut self, prices: Option<crate::cost::Prices>) -> Self {
        self.prices = prices;
        self
    }

    /// A stream of `api` answering a `/v1/completions` request.
    pub fn text_completion(api: Api, id: &str, created: u64, model: &str) -> Self {
        let chunk_id = match api {
            Api::Chat => id.strip_prefix("chatcmpl-").unwrap_or(id),
            Api::Generate => id,
        };
        let mut prefix = b"data: {\"id\":".to_vec();
        write_json_string(chunk_id, &mut prefix);
        prefix.extend_from_slice(b",\"object\":\"text_completion\",\"created\":");
        prefix.extend_from_slice(itoa::Buffer::new().format(created).as_bytes());
        prefix.extend_from_slice(b",\"model\":");
        write_json_string(model, &mut prefix);
        prefix.extend_from_slice(b",\"choices\":[{");
        ChatStream {
            text_prefix: Some(prefix),
            ..ChatStream::new(api, id, created, model)
        }
    }

    /// Translates one line of the stream, writing zero or more client events to `out`.
    /// Returns the usage when this line reported it.
    pub fn line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<Option<Usage>, StreamFailure> {
        let line = answer_object(line).map_err(|_| StreamFailure::Malformed)?;
        match self.api {
            Api::Chat => self.chat_line(line, out),
            Api::Generate => self.generate_line(line, out),
        }
    }

    fn chat_line(
        &mut self,
        line: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        let [message, done, done_reason, prompt, completion] = fields(
            line,
            [
                "message",
                "done",
                "done_reason",
                "prompt_eval_count",
                "eval_count",
            ],
        );
        let Some(message) = message.filter(|m| m.first() == Some(&b'{')) else {
            return Err(stream_error(self.api, "message", line));
        };
        let Some(done) = done else {
            return Err(stream_error(self.api, "done", line));
        };
        let [content, thinking, calls] = fields(message, ["content", "thinking", "tool_calls"]);
        let calls = calls.and_then(elements).unwrap_or_default();
        let mut reasoning = thinking.and_then(string).filter(|t| !t.is_empty());
        if reasoning.is_some() {
            self.started_reasoning = true;
        }
        let mut text = None;
        if let Some(c) = content.and_then(string).filter(|c| !c.is_empty()) {
            if self.started_reasoning && !self.finished_reasoning {
                self.finished_reasoning = true;
            }
            let mut c = c;
            if c.contains("<think>") {
                c = c.replace("<think>", "");
                self.started_reasoning = true;
            }
            if c.contains("</think>") && self.started_reasoning {
                c = c.replace("</think>", "");
                self.finished_reasoning = true;
            }
            if self.started_reasoning && !self.finished_reasoning {
                reasoning = Some(c);
            } else {
                text = Some(c);
            }
        }
        if !calls.is_empty() {
            self.saw_tools = true;
        }
        self.write_delta(text.as_deref(), reasoning.as_deref(), &calls, out);
        if done == b"true" {
            self.finish = Some(if self.saw_tools {
                "tool_calls".to_owned()
            } else {
                done_reason
                    .and_then(string)
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "stop".to_owned())
            });
            return Ok(self.done_usage(prompt, completion));
        }
        Ok(None)
    }

    fn generate_line(
        &mut self,
        line: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        let [error, done, response, thinking, prompt, completion] = fields(
            line,
            [
                "error",
                "done",
                "response",
                "thinking",
                "prompt_eval_count",
                "eval_count",
            ],
        );
        if error.is_some() {
            return Err(stream_error(self.api, "error", line));
        }
        let Some(done) = done else {
            return Err(stream_error(self.api, "done", line));
        };
        if done == b"true" {
            self.finish = Some("stop".to_owned());
            if !self.held.is_empty() {
                self.flush_held(out);
            }
            return Ok(self.done_usage(prompt, completion));
        }
        let response = response.and_then(string).unwrap_or_default();
        if !response.is_empty() {
            let mut text = response;
            if text.contains("<think>") {
                text = text.replace("<think>", "");
                self.started_reasoning = true;
            } else if text.contains("</think>") {
                text = text.replace("</think>", "");
                self.finished_reasoning = true;
            }
            if self.started_reasoning && !self.finished_reasoning {
                self.write_delta(None, Some(&text), &[], out);
            } else if let Some(released) = self.hold(text) {
                self.write_delta(Some(&released), None, &[], out);
            }
        } else if let Some(t) = thinking.and_then(string).filter(|t| !t.is_empty()) {
            self.write_delta(None, Some(&t), &[], out);
        }
        Ok(None)
    }

    /// The usage of the last line, when it has both counts.
    fn done_usage(&mut self, prompt: Option<&[u8]>, completion: Option<&[u8]>) -> Option<Usage> {
        let number = |v: Option<&[u8]>| v.is_some_and(|v| v.iter().all(u8::is_ascii_digit));
        if !(number(prompt) && number(completion)) {
            return None;
        }
        let usage = usage_of(prompt, completion);
        self.usage = Some(usage);
        Some(usage)
    }

    /// `_hold_json_object_start`: text that may open a JSON object is held until it is known
    /// not to, or until the end.
    fn hold(&mut self, text: String) -> Option<String> {
        if self.streamed_content {
            return Some(text);
        }
        self.held.push_str(&text);
        if self.held.len() > MAX_HELD {
            self.streamed_content = true;
            return Some(std::mem::take(&mut self.held));
        }
        if self.holding_json {
            return None;
        }
        let candidate = self.held.trim_start();
        if opens_json_object(candidate) {
            self.holding_json = true;
            return None;
        }
        if may_open_json_object(candidate) {
            return None;
        }
        self.streamed_content = true;
        Some(std::mem::take(&mut self.held))
    }

    /// `_flush_held_content`: the held text, as a tool call when it is a JSON object with a
    /// `name` and `arguments`.
    fn flush_held(&mut self, out: &mut Vec<u8>) {
        let held = std::mem::take(&mut self.held);
        let json = strip_json_code_fence(&held);
        let call = answer_object(json.as_bytes())
            .ok()
            .filter(|o| get(o, "name").is_some() && get(o, "arguments").is_some());
        match call {
            Some(object) => {
                self.saw_tools = true;
                self.finish = Some("tool_calls".to_owned());
                let [name, arguments] = fields(object, ["name", "arguments"]);
                let mut call = b"{\"function\":{\"name\":".to_vec();
                call.extend_from_slice(name.unwrap_or(b"null"));
                call.extend_from_slice(b",\"arguments\":");
                call.extend_from_slice(arguments.unwrap_or(b"{}"));
                call.extend_from_slice(b"}}");
                self.write_delta(Some(""), None, &[&call], out);
            }
            None => self.write_delta(Some(&held), None, &[], out),
        }
    }

    /// One chunk with the delta's members; nothing when it would be empty.
    fn write_delta(
        &mut self,
        text: Option<&str>,
        reasoning: Option<&str>,
        calls: &[&[u8]],
        out: &mut Vec<u8>,
    ) {
        if let Some(prefix) = &self.text_prefix {
            // Text completions carry the text (or the reasoning) alone.
            let (name, value) = match (reasoning, text.filter(|t| !t.is_empty())) {
                (Some(r), _) => (&b"reasoning_content"[..], r),
                (None, Some(t)) => (&b"text"[..], t),
                (None, None) => return,
            };
            out.extend_from_slice(prefix);
            out.extend_from_slice(b"\"index\":0,\"");
            out.extend_from_slice(name);
            out.extend_from_slice(b"\":");
            write_json_string(value, out);
            out.extend_from_slice(ZERO_USAGE);
            return;
        }
        if reasoning.is_none() && calls.is_empty() {
            let Some(text) = text.filter(|t| !t.is_empty()) else {
                return;
            };
            out.extend_from_slice(&self.prefixes.fast);
            if self.take_first() {
                out.extend_from_slice(b"\"role\":\"assistant\",");
            }
            out.extend_from_slice(b"\"content\":");
            write_json_string(text, out);
            out.extend_from_slice(b"}}]}\n\n");
            return;
        }
        out.extend_from_slice(&self.prefixes.slow);
        // Each member is written with a comma before it; the first one's goes.
        let members = out.len();
        // An empty text is written here: a call read from held JSON comes with one.
        if let Some(t) = text {
            out.extend_from_slice(b",\"content\":");
            write_json_string(t, out);
        }
        if !calls.is_empty() {
            out.extend_from_slice(b",\"tool_calls\":[");
            for (n, call) in calls.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                let index = self.tool_index;
                self.tool_index += 1;
                let with_id = has_arguments(call);
                // LiteLLM's ids: bare uuids for Ollama's calls, `call_` ones for a call read
                // from `/api/generate`'s JSON.
                let prefix = match self.api {
                    Api::Chat => "",
                    Api::Generate => "call_",
                };
                let id = with_id.then_some((self.id.as_str(), index));
                write_tool_call(call, id, prefix, out);
                // The stream's calls carry their index, after `type`.
                out.pop();
                out.extend_from_slice(b",\"index\":");
                crate::json::write_u64(index as u64, out);
                out.push(b'}');
            }
            out.push(b']');
        }
        if let Some(r) = reasoning {
            out.extend_from_slice(b",\"reasoning_content\":");
            write_json_string(r, out);
        }
        if self.take_first() {
            out.extend_from_slice(b",\"role\":\"assistant\"");
        }
        out.remove(members);
        out.extend_from_slice(b"}}]}\n\n");
    }

    /// The end of the upstream stream: the finish chunk, the usage chunk if the client asked
    /// for it, and `[DONE]`. Returns the usage of the whole stream.
    pub fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        if !self.held.is_empty() {
            self.flush_held(out);
        }
        if let Some(prefix) = &self.text_prefix {
            out.extend_from_slice(prefix);
            out.extend_from_slice(b"\"finish_reason\":");
            write_json_string(self.finish.as_deref().unwrap_or("stop"), out);
            out.extend_from_slice(b",\"index\":0");
            out.extend_from_slice(ZERO_USAGE);
            out.extend_from_slice(b"data: [DONE]\n\n");
            return self.usage;
        }
        out.extend_from_slice(&self.prefixes.fast);
        out.extend_from_slice(b"},\"finish_reason\":");
        write_json_string(self.finish.as_deref().unwrap_or("stop"), out);
        out.extend_from_slice(b"}]}\n\n");
        if include_usage {
            let u = self.usage.unwrap_or_default();
            out.extend_from_slice(&self.prefixes.slow);
            out.extend_from_slice(b"}}],\"usage\":");
            write_counts(&u, out);
            out.extend_from_slice(
                b",\"completion_tokens_details\":{\"reasoning_tokens\":0,\"text_tokens\":",
            );
            crate::json::write_u64(u.completion_tokens, out);
            out.extend_from_slice(b"}}");
            crate::cost::stamp_usage(self.prices, &u, out);
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        self.usage
    }

    /// `"role":"assistant"` the first time a chunk goes out.
    fn take_first(&mut self) -> bool {
        !std::mem::replace(&mut self.sent_first, true)
    }
}

/// Whether a tool call's arguments are given (`_is_function_call_complete` with a non-empty
/// value): an object with members, or a non-empty string of JSON.
fn has_arguments(call: &[u8]) -> bool {
    let arguments = get(call, "function").and_then(|f| get(f, "arguments"));
    match arguments {
        Some(a) if a.first() == Some(&b'{') => top_has_member(a),
        Some(a) => string(a).is_some_and(|s| {
            !s.is_empty() && serde_json::from_str::<serde::de::IgnoredAny>(&s).is_ok()
        }),
        None => false,
    }
}

fn top_has_member(object: &[u8]) -> bool {
    crate::json::top_members(object).is_some_and(|mut m| m.next().is_some())
}

/// `(?:```(?:json)?\s*)?\{` at the start.
fn opens_json_object(s: &str) -> bool {
    let rest = match s.strip_prefix("```") {
        Some(r) => r.strip_prefix("json").unwrap_or(r).trim_start(),
        None => s,
    };
    rest.starts_with('{')
}

/// The full text is `` `{0,3}`` or ```` ```(?:j|js|jso|json)?\s* ````: it may still open one.
fn may_open_json_object(s: &str) -> bool {
    if s.len() <= 3 && s.bytes().all(|b| b == b'`') {
        return true;
    }
    let Some(rest) = s.strip_prefix("```") else {
        return false;
    };
    let word = rest.trim_end();
    let tail_ws = rest[word.len()..].chars().all(char::is_whitespace);
    tail_ws && ["j", "js", "jso", "json"].contains(&word)
        || (word.is_empty() && rest.chars().all(char::is_whitespace))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(api: Api, lines: &[&str], include_usage: bool) -> (String, Option<Usage>) {
        let mut s = ChatStream::new(api, "chatcmpl-0b6c6c8e-5f0e-4a47-9d6f-6a4e1c2d3b4a", 7, "m");
        let mut out = Vec::new();
        let mut usage = None;
        for l in lines {
            if let Some(u) = s.line(l.as_bytes(), &mut out).unwrap() {
                usage = Some(u);
            }
        }
        s.end(include_usage, &mut out);
        (String::from_utf8(out).unwrap(), usage)
    }

    #[test]
    fn chat_text_then_finish_and_usage() {
        let (out, usage) = run(
            Api::Chat,
            &[
                r#"{"model":"x","message":{"role":"assistant","content":"Hel"},"done":false}"#,
                r#"{"model":"x","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","prompt_eval_count":3,"eval_count":2}"#,
            ],
            true,
        );
        assert_eq!(usage.unwrap().total_tokens, 5);
        let events: Vec<&str> = out.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 4, "{out}");
        assert!(
            events[0].starts_with(r#"data: {"id":"0b6c6c8e-5f0e-4a47-9d6f-6a4e1c2d3b4a","object""#)
        );
        assert!(events[0].ends_with(r#""delta":{"role":"assistant","content":"Hel"}}]}"#));
        assert!(events[1].ends_with(r#""delta":{},"finish_reason":"length"}]}"#));
        assert!(events[2].contains(r#""usage":{"completion_tokens":2,"prompt_tokens":3,"total_tokens":5,"completion_tokens_details":{"reasoning_tokens":0,"text_tokens":2}}"#));
        assert_eq!(events[3], "data: [DONE]");
    }

    #[test]
    fn chat_tool_calls_are_numbered_and_end_as_tool_calls() {
        let (out, _) = run(
            Api::Chat,
            &[
                r#"{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"a":"é"}}}]},"done":false}"#,
                r#"{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"g","arguments":{}}}]},"done":false}"#,
                r#"{"message":{"role":"assistant","content":""},"done":true}"#,
            ],
            false,
        );
        assert!(out.contains(r#"{"id":"0b6c6c8e-5f0e-4a47-9d6f-6a4e1c2d3b4b","function":{"arguments":"{\"a\": \"\\u00e9\"}","name":"f"},"type":"function","index":0}"#), "{out}");
        assert!(
            out.contains(
                r#"{"function":{"arguments":"{}","name":"g"},"type":"function","index":1}"#
            ),
            "{out}"
        );
        assert!(out.contains(r#""finish_reason":"tool_calls""#));
    }

    /// Values are copied from a line as they came, so a line that is not valid JSON (here:
    /// invalid UTF-8 in a tool's name) ends the stream instead of reaching the client (found
    /// by the `ollama_stream` fuzz target).
    #[test]
    fn invalid_lines_are_malformed() {
        let mut s = ChatStream::new(Api::Chat, "chatcmpl-x", 1, "m");
        let mut out = Vec::new();
        let line = b"{\"message\":{\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"g\xff\",\"arguments\":{}}}]},\"done\":false}";
        assert_eq!(s.line(line, &mut out), Err(StreamFailure::Malformed));
        assert!(out.is_empty());
    }

    #[test]
    fn an_error_line_is_litellm_s_error() {
        let mut s = ChatStream::new(Api::Chat, "chatcmpl-x", 1, "m");
        let err = s.line(br#"{"error":"boom"}"#, &mut Vec::new()).unwrap_err();
        assert!(
            matches!(err, StreamFailure::Mapped { ref message, .. } if message.ends_with("{'error': 'boom'}")),
            "{err:?}"
        );
        let mut s = ChatStream::new(Api::Generate, "chatcmpl-x", 1, "m");
        let err = s.line(br#"{"error":"boom"}"#, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, StreamFailure::Mapped { map, .. } if map.status == 500));
        assert_eq!(
            s.line(b"{\"done\":", &mut Vec::new()),
            Err(StreamFailure::Malformed)
        );
    }

    #[test]
    fn generate_thinking_tags_and_held_json() {
        let (out, _) = run(
            Api::Generate,
            &[
                r#"{"response":"<think>","done":false}"#,
                r#"{"response":"hm","done":false}"#,
                r#"{"response":"</think>","done":false}"#,
                r#"{"response":"{\"name\": \"f\", ","done":false}"#,
                r#"{"response":"\"arguments\": {\"x\": 1}}","done":false}"#,
                r#"{"response":"","done":true,"prompt_eval_count":1,"eval_count":1}"#,
            ],
            false,
        );
        assert!(out.contains(r#""reasoning_content":"hm""#), "{out}");
        assert!(
            out.contains(r#""function":{"arguments":"{\"x\": 1}","name":"f"}"#),
            "{out}"
        );
        assert!(out.contains(r#""finish_reason":"tool_calls""#), "{out}");
        let (out, _) = run(
            Api::Generate,
            &[
                r#"{"response":"`","done":false}"#,
                r#"{"response":"plain","done":false}"#,
                r#"{"done":true}"#,
            ],
            false,
        );
        assert!(out.contains(r#""content":"`plain""#), "{out}");
    }
}
