//! An Anthropic Messages stream → the OpenAI `chat.completion.chunk` events LiteLLM's proxy
//! sends for it. Three layers of LiteLLM make those events, and [`ChatStream`] follows each:
//!
//! - `ModelResponseIterator.chunk_parser` reads one Anthropic event: text deltas, `tool_use`
//!   starts (id and name, empty arguments) and their `input_json_delta` pieces, `{}` for a tool
//!   block that had deltas but no argument text, thinking and signature deltas, redacted
//!   thinking, and usage merged from `message_start` and `message_delta`;
//! - `CustomStreamWrapper` drops the empty ones, puts `"role": "assistant"` on the first chunk
//!   it sends, sends `finish_reason` alone in an empty delta (from `message_delta`, else
//!   `stop` when the stream ends), then the usage chunk only if the client asked for it;
//! - the proxy serialises a plain text chunk on its fast path (`id`, `object`, `created`,
//!   `model`, `choices`) and the others with pydantic (`id`, `created`, `model`, `object`,
//!   `choices`, `usage`), leaving out `null`s, and ends with `data: [DONE]`.
//!
//! The shapes and key orders were captured from LiteLLM 1.108.7's proxy against a mock that
//! sends Anthropic's documented event sequence. An `error` event becomes
//! [`StreamFailure::Provider`] (LiteLLM raises `AnthropicError` with status 500).
//!
//! Deviations: reasoning tokens are estimated per thinking delta and summed (LiteLLM counts the
//! joined text once), so that the stream holds no text; `citation` deltas and server tool
//! results are not forwarded (server tools are refused in the request).

use super::response::{finish_reason, AnthropicUsage, Reasoning};
use super::{get, key_is, string};
use crate::json::{top_members, write_json_string};
use crate::stream::{ChunkPrefixes, StreamFailure};
use crate::usage::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    None,
    Text,
    Tool,
    Thinking,
    Other,
}

/// The translation state of one stream.
#[derive(Debug)]
pub struct ChatStream {
    /// `data: {"id":..,"object":..,"created":..,"model":..,"choices":[{"index":0,"delta":{`
    fast: Vec<u8>,
    /// `data: {"id":..,"created":..,"model":..,"object":..,"choices":[{"index":0,"delta":{`
    slow: Vec<u8>,
    block: Block,
    /// Non-text deltas seen in the current block, and the argument bytes among them.
    block_deltas: u32,
    block_args: usize,
    /// The current block's first non-text delta was a thinking delta.
    block_thinking_first: bool,
    /// Tool blocks and thinking blocks started so far (LiteLLM's indexes count from -1).
    tool_index: i64,
    thinking_index: i64,
    sent_first: bool,
    finish: Option<&'static str>,
    sent_last: bool,
    usage: AnthropicUsage,
    saw_usage: bool,
    reasoning_tokens: u64,
    saw_reasoning: bool,
    /// The deployment's prices, for the usage chunk's `cost` ([`ChatStream::priced`]).
    prices: Option<crate::cost::Prices>,
}

impl ChatStream {
    /// A stream whose chunks carry `id`, `created` and the client's `model` name.
    pub fn new(id: &str, created: u64, model: &str) -> Self {
        let ChunkPrefixes { fast, slow } = ChunkPrefixes::new(id, created, model);
        ChatStream {
            fast,
            slow,
            block: Block::None,
            block_deltas: 0,
            block_args: 0,
            block_thinking_first: false,
            tool_index: -1,
            thinking_index: -1,
            sent_first: false,
            finish: None,
            sent_last: false,
            usage: AnthropicUsage::default(),
            saw_usage: false,
            reasoning_tokens: 0,
            saw_reasoning: false,
            prices: None,
        }
    }

    /// Prices the usage chunk: its usage gets LiteLLM's `cost` at `prices` (the stream chunk
    /// builder's stamp, a positive cost only).
    pub fn priced(mut self, prices: Option<crate::cost::Prices>) -> Self {
        self.prices = prices;
        self
    }

    /// Translates the data of one event, writing zero or more client events to `out`.
    /// Returns the usage so far when this event reported some.
    pub fn event(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        let mut kind = None;
        let mut delta = None;
        let mut block = None;
        let mut message = None;
        let mut usage = None;
        let mut error = None;
        let mut members = top_members(data).ok_or(StreamFailure::Malformed)?;
        for m in members.by_ref() {
            let v = &data[m.value.clone()];
            let slot = if key_is(data, &m.key, "type") {
                &mut kind
            } else if key_is(data, &m.key, "delta") {
                &mut delta
            } else if key_is(data, &m.key, "content_block") {
                &mut block
            } else if key_is(data, &m.key, "message") {
                &mut message
            } else if key_is(data, &m.key, "usage") {
                &mut usage
            } else if key_is(data, &m.key, "error") {
                &mut error
            } else {
                continue;
            };
            *slot = Some(v);
        }
        if members.malformed() {
            return Err(StreamFailure::Malformed);
        }
        match kind.and_then(string).as_deref() {
            Some("content_block_delta") => {
                let Some(delta) = delta else { return Ok(None) };
                self.delta(delta, out);
                Ok(None)
            }
            Some("content_block_start") => {
                let Some(block) = block else { return Ok(None) };
                self.block_start(block, out);
                Ok(None)
            }
            Some("content_block_stop") => {
                if self.block == Block::Tool
                    && self.block_deltas > 0
                    && !self.block_thinking_first
                    && self.block_args == 0
                {
                    self.tool_chunk(None, "{}", out);
                }
                self.block = Block::None;
                Ok(None)
            }
            Some("message_start") => {
                let reported = message.and_then(|m| get(m, "usage"));
                Ok(reported.map(|u| self.merge_usage(u)))
            }
            Some("message_delta") => {
                let stop = delta
                    .and_then(|d| get(d, "stop_reason"))
                    .and_then(string)
                    .unwrap_or_default();
                self.finish = Some(finish_reason(&stop));
                let reported = usage.map(|u| self.merge_usage(u));
                if !self.sent_last {
                    self.finish_chunk(out);
                }
                Ok(reported)
            }
            Some("error") => {
                let text = error
                    .and_then(|e| get(e, "message"))
                    .and_then(string)
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| String::from_utf8_lossy(data).into_owned());
                Err(StreamFailure::Provider {
                    message: format!("litellm.InternalServerError: AnthropicError - {text}"),
                })
            }
            _ => Ok(None),
        }
    }

    /// The end of the upstream stream: the finish chunk if none went out, the usage chunk if
    /// the client asked for it, and `[DONE]`. Returns the usage of the whole stream.
    pub fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        if !self.sent_last {
            self.finish_chunk(out);
        }
        if include_usage {
            out.extend_from_slice(&self.slow);
            out.extend_from_slice(b"}}],\"usage\":");
            let billed = self.usage.write(self.reasoning(), out);
            crate::cost::stamp_usage(self.prices, &billed, out);
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        self.saw_usage
            .then(|| self.usage.billed_with(self.reasoning()))
    }

    fn reasoning(&self) -> Reasoning {
        if self.saw_reasoning {
            Reasoning::Estimated(self.reasoning_tokens)
        } else {
            Reasoning::None
        }
    }

    fn merge_usage(&mut self, usage: &[u8]) -> Usage {
        self.usage.merge(usage);
        self.saw_usage = true;
        self.usage.billed_with(self.reasoning())
    }

    fn block_start(&mut self, block: &[u8], out: &mut Vec<u8>) {
        self.block_deltas = 0;
        self.block_args = 0;
        self.block_thinking_first = false;
        let kind = get(block, "type").and_then(string).unwrap_or_default();
        self.block = match kind.as_str() {
            "text" => Block::Text,
            "tool_use" | "server_tool_use" => Block::Tool,
            "thinking" | "redacted_thinking" => Block::Thinking,
            _ => Block::Other,
        };
        match kind.as_str() {
            "text" => {
                let text = get(block, "text").and_then(string).unwrap_or_default();
                self.text_chunk(&text, out);
            }
            "tool_use" | "server_tool_use" => {
                self.tool_index += 1;
                let id = get(block, "id").and_then(string).unwrap_or_default();
                let name = get(block, "name").and_then(string).unwrap_or_default();
                self.tool_chunk(Some((&id, &name)), "", out);
            }
            "thinking" => self.thinking_index += 1,
            "redacted_thinking" => {
                self.thinking_index += 1;
                let data = get(block, "data").and_then(string).unwrap_or_default();
                let mut tb = Vec::new();
                tb.extend_from_slice(b"{\"type\":\"redacted_thinking\",\"data\":");
                write_json_string(&data, &mut tb);
                self.thinking_chunk(None, &tb, out);
            }
            _ => {}
        }
    }

    fn delta(&mut self, delta: &[u8], out: &mut Vec<u8>) {
        let mut text = None;
        let mut partial = None;
        let mut thinking = None;
        let mut signature = None;
        let mut citation = false;
        for m in top_members(delta).into_iter().flatten() {
            let v = &delta[m.value.clone()];
            if key_is(delta, &m.key, "text") {
                text = Some(v);
            } else if key_is(delta, &m.key, "partial_json") {
                partial = Some(v);
            } else if key_is(delta, &m.key, "thinking") {
                thinking = Some(v);
            } else if key_is(delta, &m.key, "signature") {
                signature = Some(v);
            } else if key_is(delta, &m.key, "citation") {
                citation = true;
            }
        }
        if let Some(text) = text {
            let text = string(text).unwrap_or_default();
            self.text_chunk(&text, out);
            return;
        }
        // LiteLLM's `check_empty_tool_call_args` looks at the block's first non-text delta.
        if self.block_deltas == 0 {
            self.block_thinking_first = partial.is_none() && thinking.is_some();
        }
        self.block_deltas += 1;
        if let Some(partial) = partial {
            let args = string(partial).unwrap_or_default();
            self.block_args += args.len();
            if self.block == Block::Tool {
                self.tool_chunk(None, &args, out);
            }
        } else if citation {
            // Not forwarded (see the module doc).
        } else if thinking.is_some() || signature.is_some() {
            let thinking = thinking.and_then(string).unwrap_or_default();
            let signature = signature.and_then(string).unwrap_or_default();
            let mut tb = Vec::new();
            if !signature.is_empty() {
                tb.extend_from_slice(b"{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":");
                write_json_string(&signature, &mut tb);
                self.thinking_chunk(Some(""), &tb, out);
            } else if !thinking.is_empty() {
                self.saw_reasoning = true;
                self.reasoning_tokens += crate::tokens::count_tokens("", &thinking);
                tb.extend_from_slice(b"{\"type\":\"thinking\",\"thinking\":");
                write_json_string(&thinking, &mut tb);
                self.thinking_chunk(Some(&thinking), &tb, out);
            }
        }
    }

    /// `"role":"assistant"` the first time a chunk goes out.
    fn take_first(&mut self) -> bool {
        !std::mem::replace(&mut self.sent_first, true)
    }

    fn text_chunk(&mut self, text: &str, out: &mut Vec<u8>) {
        if text.is_empty() {
            return;
        }
        out.extend_from_slice(&self.fast);
        if self.take_first() {
            out.extend_from_slice(b"\"role\":\"assistant\",");
        }
        out.extend_from_slice(b"\"content\":");
        write_json_string(text, out);
        out.extend_from_slice(b"}}]}\n\n");
    }

    /// A tool call piece: the start (`Some((id, name))`) or a piece of its arguments.
    fn tool_chunk(&mut self, start: Option<(&str, &str)>, args: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.slow);
        out.extend_from_slice(b"\"content\":\"\"");
        if self.take_first() {
            out.extend_from_slice(b",\"role\":\"assistant\"");
        }
        out.extend_from_slice(b",\"tool_calls\":[{");
        if let Some((id, _)) = start {
            out.extend_from_slice(b"\"id\":");
            write_json_string(id, out);
            out.push(b',');
        }
        out.extend_from_slice(b"\"function\":{\"arguments\":");
        write_json_string(args, out);
        if let Some((_, name)) = start {
            out.extend_from_slice(b",\"name\":");
            write_json_string(name, out);
        }
        out.extend_from_slice(b"},\"type\":\"function\",\"index\":");
        out.extend_from_slice(itoa::Buffer::new().format(self.tool_index).as_bytes());
        out.extend_from_slice(b"}]}}]}\n\n");
    }

    /// A thinking piece: `block` is the thinking block's JSON without its `index` and closing
    /// brace; `reasoning` is the `reasoning_content` when it has one.
    fn thinking_chunk(&mut self, reasoning: Option<&str>, block: &[u8], out: &mut Vec<u8>) {
        let mut blocks = Vec::with_capacity(block.len() + 24);
        blocks.push(b'[');
        blocks.extend_from_slice(block);
        blocks.extend_from_slice(b",\"index\":");
        blocks.extend_from_slice(itoa::Buffer::new().format(self.thinking_index).as_bytes());
        blocks.extend_from_slice(b"}]");
        out.extend_from_slice(&self.slow);
        if let Some(r) = reasoning {
            out.extend_from_slice(b"\"reasoning_content\":");
            write_json_string(r, out);
            out.push(b',');
        }
        out.extend_from_slice(b"\"thinking_blocks\":");
        out.extend_from_slice(&blocks);
        out.extend_from_slice(b",\"provider_specific_fields\":{\"thinking_blocks\":");
        out.extend_from_slice(&blocks);
        out.extend_from_slice(b"},\"content\":\"\"");
        if self.take_first() {
            out.extend_from_slice(b",\"role\":\"assistant\"");
        }
        out.extend_from_slice(b"}}]}\n\n");
    }

    fn finish_chunk(&mut self, out: &mut Vec<u8>) {
        self.sent_last = true;
        out.extend_from_slice(&self.fast);
        out.extend_from_slice(b"},\"finish_reason\":\"");
        out.extend_from_slice(self.finish.unwrap_or("stop").as_bytes());
        out.extend_from_slice(b"\"}]}\n\n");
    }
}
