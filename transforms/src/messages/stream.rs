//! A chat completions stream → the Anthropic Messages events LiteLLM's proxy sends for
//! `/v1/messages` to an OpenAI-format provider (`AnthropicStreamWrapper` over
//! `translate_streaming_openai_response_to_anthropic`), checked against LiteLLM 1.108.7:
//!
//! - `message_start` first, with a `msg_` id, the client's model and zero usage;
//! - one content block at a time, numbered from 0: `reasoning_content` opens a thinking block,
//!   `content` a text block, a tool call (a new `index`) a `tool_use` block with its id and
//!   name; each piece is a `content_block_delta` (`thinking_delta`, `text_delta`,
//!   `input_json_delta`), and a block closes with `content_block_stop` when another opens;
//! - at the end: the open block's stop, `message_delta` with the mapped `stop_reason` and the
//!   usage of the final usage chunk (`input_tokens` without the cache counts), `message_stop`.
//!
//! `message_start` is written compactly; the other events as Python's `json.dumps` writes
//! them (`", "` and `": "`, non-ASCII as `\uXXXX`), as the proxy does.

use super::response::{stop_reason, ChatUsage};
use crate::anthropic::request::sanitize_tool_id;
use crate::json::value::{elements, get, py_string, string};
use crate::json::write_json_string;
use crate::stream::StreamFailure;
use crate::usage::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Thinking,
    Text,
    /// A tool call: the chat stream's tool index.
    Tool(u64),
}

/// The translation state of one stream.
#[derive(Debug)]
pub struct MessagesFromChat {
    id: String,
    model: String,
    started: bool,
    /// The open block and its index.
    open: Option<(Block, u64)>,
    next_index: u64,
    finish: Option<&'static str>,
    usage: Option<ChatUsage>,
}

impl MessagesFromChat {
    /// A stream whose `message_start` carries `id` (`msg_...`) and the client's `model`.
    pub fn new(id: &str, model: &str) -> Self {
        MessagesFromChat {
            id: id.to_owned(),
            model: model.to_owned(),
            started: false,
            open: None,
            next_index: 0,
            finish: None,
            usage: None,
        }
    }

    /// Translates the data of one chat chunk into zero or more Messages events in `out`;
    /// returns the usage when the chunk reported it.
    pub fn event(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        if data == b"[DONE]" {
            return Ok(None);
        }
        if get(data, "error").is_some() {
            let error = get(data, "error").unwrap_or(b"null");
            let message = get(error, "message")
                .and_then(string)
                .unwrap_or_else(|| String::from_utf8_lossy(error).into_owned());
            return Err(StreamFailure::Provider { message });
        }
        if !crate::json::value::is_object(data) {
            return Err(StreamFailure::Malformed);
        }
        self.start(out);
        let choice = get(data, "choices")
            .and_then(elements)
            .and_then(|c| c.first().copied());
        if let Some(choice) = choice {
            if let Some(delta) = get(choice, "delta") {
                self.delta(delta, out);
            }
            if let Some(f) = get(choice, "finish_reason").and_then(string) {
                self.finish = Some(stop_reason(&f));
            }
        }
        let usage = get(data, "usage")
            .filter(|u| *u != b"null")
            .map(ChatUsage::read);
        if let Some(u) = usage {
            self.usage = Some(u);
        }
        Ok(usage.map(|u| u.billed()))
    }

    /// The end of the chat stream: the open block's stop, `message_delta`, `message_stop`.
    pub fn end(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        self.start(out);
        self.close(out);
        let u = self.usage.unwrap_or_default();
        event(out, "message_delta", |e| {
            e.extend_from_slice(b"{\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"");
            e.extend_from_slice(self.finish.unwrap_or("end_turn").as_bytes());
            e.extend_from_slice(b"\"}, \"usage\": ");
            u.write(true, e);
            e.push(b'}');
        });
        event(out, "message_stop", |e| {
            e.extend_from_slice(b"{\"type\": \"message_stop\"}")
        });
        self.usage.map(|u| u.billed())
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        event(out, "message_start", |e| {
            e.extend_from_slice(b"{\"type\":\"message_start\",\"message\":{\"id\":");
            write_json_string(&self.id, e);
            e.extend_from_slice(
                b",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":",
            );
            write_json_string(&self.model, e);
            e.extend_from_slice(b",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}");
        });
    }

    fn delta(&mut self, delta: &[u8], out: &mut Vec<u8>) {
        if let Some(r) = get(delta, "reasoning_content")
            .and_then(string)
            .filter(|r| !r.is_empty())
        {
            let index = self.open_block(Block::Thinking, out, |e| {
                e.extend_from_slice(
                    b"{\"type\": \"thinking\", \"thinking\": \"\", \"signature\": \"\"}",
                )
            });
            block_delta(out, index, "thinking_delta", "thinking", &r);
        }
        if let Some(text) = get(delta, "content")
            .and_then(string)
            .filter(|t| !t.is_empty())
        {
            let index = self.open_block(Block::Text, out, |e| {
                e.extend_from_slice(b"{\"type\": \"text\", \"text\": \"\"}")
            });
            block_delta(out, index, "text_delta", "text", &text);
        }
        for call in get(delta, "tool_calls")
            .and_then(elements)
            .unwrap_or_default()
        {
            let tool = get(call, "index")
                .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok())
                .unwrap_or(0);
            let function = get(call, "function").unwrap_or(b"{}");
            let new_call = !matches!(self.open, Some((Block::Tool(t), _)) if t == tool);
            if new_call {
                let id = sanitize_tool_id(&get(call, "id").and_then(string).unwrap_or_default());
                let name = get(function, "name").and_then(string).unwrap_or_default();
                self.close(out);
                self.open_new(Block::Tool(tool), out, |e| {
                    e.extend_from_slice(b"{\"type\": \"tool_use\", \"id\": ");
                    py_string(&id, e);
                    e.extend_from_slice(b", \"name\": ");
                    py_string(&name, e);
                    e.extend_from_slice(b", \"input\": {}}");
                });
            }
            if let Some(args) = get(function, "arguments")
                .and_then(string)
                .filter(|a| !a.is_empty())
            {
                let index = self.open.map_or(0, |(_, i)| i);
                block_delta(out, index, "input_json_delta", "partial_json", &args);
            }
        }
    }

    /// The index of the open block of `kind`, opening it (and closing another) if needed.
    fn open_block(
        &mut self,
        kind: Block,
        out: &mut Vec<u8>,
        content_block: impl FnOnce(&mut Vec<u8>),
    ) -> u64 {
        match self.open {
            Some((open, index)) if open == kind => index,
            _ => {
                self.close(out);
                self.open_new(kind, out, content_block)
            }
        }
    }

    fn open_new(
        &mut self,
        kind: Block,
        out: &mut Vec<u8>,
        content_block: impl FnOnce(&mut Vec<u8>),
    ) -> u64 {
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some((kind, index));
        event(out, "content_block_start", |e| {
            e.extend_from_slice(b"{\"type\": \"content_block_start\", \"index\": ");
            e.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
            e.extend_from_slice(b", \"content_block\": ");
            content_block(e);
            e.push(b'}');
        });
        index
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if let Some((_, index)) = self.open.take() {
            event(out, "content_block_stop", |e| {
                e.extend_from_slice(b"{\"type\": \"content_block_stop\", \"index\": ");
                e.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
                e.push(b'}');
            });
        }
    }
}

/// `event: {name}\ndata: {data}\n\n`.
fn event(out: &mut Vec<u8>, name: &str, data: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    data(out);
    out.extend_from_slice(b"\n\n");
}

fn block_delta(out: &mut Vec<u8>, index: u64, kind: &str, field: &str, value: &str) {
    event(out, "content_block_delta", |e| {
        e.extend_from_slice(b"{\"type\": \"content_block_delta\", \"index\": ");
        e.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
        e.extend_from_slice(b", \"delta\": {\"type\": \"");
        e.extend_from_slice(kind.as_bytes());
        e.extend_from_slice(b"\", \"");
        e.extend_from_slice(field.as_bytes());
        e.extend_from_slice(b"\": ");
        py_string(value, e);
        e.extend_from_slice(b"}}");
    });
}
