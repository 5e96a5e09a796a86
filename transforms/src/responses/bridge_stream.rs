//! Chat completion chunks become the Responses API's named events, as LiteLLM 1.108.7's bridge
//! streams them (`responses/litellm_completion_transformation/streaming_iterator.py`) and its
//! proxy relays them (`data:` lines only, each event with the client's `"model"`, then
//! `[DONE]`):
//!
//! - `response.created` and `response.in_progress` when the first chunk arrives (its id, wrapped,
//!   is the response's; `created_at` is the gateway's clock);
//! - per output item, in the order they come: reasoning (`output_item.added`,
//!   `reasoning_summary_text.delta`..., `.done`, `reasoning_summary_part.done`,
//!   `output_item.done`), the message (`output_item.added`, `content_part.added`,
//!   `output_text.delta`..., `output_text.done`, `content_part.done`, `output_item.done`) and
//!   each function call (`output_item.added`, `function_call_arguments.delta`..., `.done`,
//!   `output_item.done`); an item ends when the next begins or the stream does;
//! - `response.completed` (or `response.incomplete` for a cut answer) with every item and the
//!   usage, its cost when the model has a price;
//! - every event numbered by `sequence_number` from 0.

use super::bridge::{incomplete_reason, status, write_call_item, write_text_item};
use crate::cost::Prices;
use crate::json::value::{answer_object, elements, fields, get, is_null, string};
use crate::json::write_json_string;
use crate::stream::{StreamFailure, SSE_DONE};
use crate::usage::Usage;

/// Most text (reasoning, message and arguments together, and a fixed cost per item) one
/// stream's items may hold: the Responses API repeats every item whole in its `.done` events
/// and its last event, so the text is kept until the end; a provider that sends more fails the
/// stream rather than grow the core's memory without bound. The events are written straight
/// into the relay's buffer, which goes out after each upstream read, so a stream peaks at
/// about twice this.
pub const MAX_HELD_TEXT: usize = 4 * 1024 * 1024;

/// What an item costs besides its text (its id, name and bookkeeping), against
/// [`MAX_HELD_TEXT`]: a provider cannot open items without bound either.
const ITEM_COST: usize = 256;

/// The kind of an output item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Reasoning,
    Message,
    Call,
}

/// One output item, as it grows.
#[derive(Debug)]
struct Item {
    kind: Kind,
    id: String,
    /// The text so far (reasoning, message text or a call's arguments).
    text: String,
    /// A function call's `call_id` and name (raw JSON).
    call_id: Vec<u8>,
    name: Vec<u8>,
    /// Its `.done` events went out.
    closed: bool,
}

/// Writes the numbered events: each `data: {"type":..,<fields>,"sequence_number":n,"model":..}`.
#[derive(Debug)]
struct Events {
    sequence: u64,
    /// The client's model, added to every event.
    requested_model: String,
}

impl Events {
    /// Opens an event of `kind`; its fields follow, each after a comma.
    fn open(&self, kind: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"data: {\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.push(b'"');
    }

    /// Closes the event opened last.
    fn close(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b",\"sequence_number\":");
        crate::json::write_u64(self.sequence, out);
        out.extend_from_slice(b",\"model\":");
        write_json_string(&self.requested_model, out);
        out.extend_from_slice(b"}\n\n");
        self.sequence += 1;
    }
}

/// `,"item_id":..,"output_index":..` (and `,"content_index":0` for message text).
fn item_fields(output_index: usize, id: &str, content: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"item_id\":");
    write_json_string(id, out);
    out.extend_from_slice(b",\"output_index\":");
    crate::json::write_u64(output_index as u64, out);
    if content {
        out.extend_from_slice(b",\"content_index\":0");
    }
}

/// Writes `,"key":value` for each of `keys` the request's `echo` has.
fn write_echoed(echo: &[u8], keys: &[&str], out: &mut Vec<u8>) {
    for key in keys {
        if let Some(v) = get(echo, key) {
            super::bridge::write_member(key, v, out);
        }
    }
}

/// One stream's translation state.
#[derive(Debug)]
pub struct ResponsesFromChat {
    provider: &'static str,
    model_id: Option<String>,
    prices: Option<Prices>,
    /// The request's echoed fields ([`super::bridge::echo`]).
    echo: Vec<u8>,
    /// The uuid the items' ids are made of.
    item_id: String,
    /// The model the chat chunks carry (the provider's), which the responses name.
    pub(crate) chunk_model: String,
    created_at: u64,
    /// The client's id of the response, once the first chunk named one.
    id: Option<String>,
    /// The provider's model of the first chunk (raw JSON), for the nested responses.
    model: Vec<u8>,
    events: Events,
    items: Vec<Item>,
    /// The open reasoning item and the message item, by position.
    reasoning: Option<usize>,
    message: Option<usize>,
    /// Each chat tool call's item, by the call's index.
    calls: std::collections::HashMap<u64, usize>,
    finish: Option<String>,
    usage: Option<Vec<u8>>,
    terminal: bool,
    /// What the items hold, in bytes ([`MAX_HELD_TEXT`]).
    held: usize,
}

impl ResponsesFromChat {
    /// A stream from `origin`'s deployment to a request whose echoed fields are `echo`;
    /// `item_id` (a uuid) names its items, `now` is its `created_at`.
    pub fn new(
        origin: &crate::family::Origin<'_>,
        echo: &[u8],
        item_id: &str,
        requested_model: &str,
        now: u64,
    ) -> Self {
        ResponsesFromChat {
            provider: origin.provider,
            model_id: origin.model_id.map(str::to_owned),
            prices: origin.prices,
            echo: echo.to_vec(),
            item_id: item_id.to_owned(),
            chunk_model: origin.provider_model.unwrap_or(requested_model).to_owned(),
            created_at: now,
            id: None,
            model: b"null".to_vec(),
            events: Events {
                sequence: 0,
                requested_model: requested_model.to_owned(),
            },
            items: Vec::new(),
            reasoning: None,
            message: None,
            calls: std::collections::HashMap::new(),
            finish: None,
            usage: None,
            terminal: false,
            held: 0,
        }
    }

    /// Names the response (the provider's id wrapped; LiteLLM's `resp_<uuid>` when no chunk
    /// came with one) and writes `response.created` and `response.in_progress`.
    fn start(&mut self, provider_id: Option<String>, out: &mut Vec<u8>) {
        let provider_id = provider_id.unwrap_or_else(|| format!("resp_{}", self.item_id));
        let wrapped = super::encode_id(self.provider, self.model_id.as_deref(), &provider_id);
        self.id = Some(wrapped);
        for kind in ["response.created", "response.in_progress"] {
            self.events.open(kind, out);
            out.extend_from_slice(b",\"response\":");
            self.write_started(out);
            self.events.close(out);
        }
    }

    /// The response object of `response.created` and `response.in_progress`.
    fn write_started(&self, r: &mut Vec<u8>) {
        let echoed = |key: &str| get(&self.echo, key);
        r.extend_from_slice(b"{\"id\":");
        write_json_string(self.id.as_deref().unwrap_or(""), r);
        r.extend_from_slice(b",\"created_at\":");
        crate::json::write_u64(self.created_at, r);
        write_echoed(&self.echo, &["instructions", "metadata"], r);
        r.extend_from_slice(b",\"model\":");
        r.extend_from_slice(&self.model);
        r.extend_from_slice(b",\"object\":\"response\",\"output\":[],\"parallel_tool_calls\":true");
        write_echoed(&self.echo, &["temperature"], r);
        r.extend_from_slice(b",\"tool_choice\":");
        r.extend_from_slice(echoed("tool_choice").unwrap_or(b"\"auto\""));
        r.extend_from_slice(b",\"tools\":");
        r.extend_from_slice(echoed("tools").unwrap_or(b"[]"));
        r.extend_from_slice(b",\"top_p\":");
        r.extend_from_slice(echoed("top_p").unwrap_or(b"1.0"));
        r.extend_from_slice(
            b",\"reasoning\":{\"effort\":null,\"summary\":null},\"status\":\"in_progress\"",
        );
        write_echoed(&self.echo, &["text", "truncation", "user"], r);
        r.extend_from_slice(b",\"store\":true}");
    }

    /// Translates one chat completion chunk (`data`, its data line).
    pub fn event(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        if data == b"[DONE]" {
            return Ok(None);
        }
        let chunk = answer_object(data).map_err(|_| StreamFailure::Malformed)?;
        let [error, id, model, usage, choices] =
            fields(chunk, ["error", "id", "model", "usage", "choices"]);
        if let Some(error) = error.filter(|e| !is_null(Some(e))) {
            let message = get(error, "message")
                .and_then(string)
                .unwrap_or_else(|| String::from_utf8_lossy(error).into_owned());
            return Err(StreamFailure::Provider { message });
        }
        if self.id.is_none() {
            if let Some(model) = model.filter(|m| !is_null(Some(m))) {
                self.model = model.to_vec();
            }
            self.start(id.and_then(string), out);
        }
        let mut reported = None;
        if let Some(usage) = usage.filter(|u| !is_null(Some(u))) {
            self.usage = Some(usage.to_vec());
            reported = crate::usage::parse_usage(usage);
        }
        let choice = choices.and_then(elements).and_then(|c| c.first().copied());
        let Some(choice) = choice else {
            return Ok(reported);
        };
        let [finish, delta] = fields(choice, ["finish_reason", "delta"]);
        if let Some(finish) = finish.and_then(string) {
            self.finish = Some(finish);
        }
        let Some(delta) = delta.filter(|d| !is_null(Some(d))) else {
            return Ok(reported);
        };
        self.held = self.held.saturating_add(delta.len());
        if self.held > MAX_HELD_TEXT {
            return Err(StreamFailure::Provider {
                message: format!(
                    "the answer holds more than {} MiB, more than the gateway keeps for a Responses API stream",
                    MAX_HELD_TEXT >> 20
                ),
            });
        }
        let [reasoning, content, tool_calls] =
            fields(delta, ["reasoning_content", "content", "tool_calls"]);
        if let Some(text) = reasoning.and_then(string).filter(|t| !t.is_empty()) {
            let at = match self.reasoning {
                Some(at) => at,
                None => self.open(Kind::Reasoning, b"", b"", out),
            };
            self.delta(at, &text, out);
        }
        if let Some(text) = content.and_then(string).filter(|t| !t.is_empty()) {
            let at = match self.message {
                Some(at) => at,
                None => self.open(Kind::Message, b"", b"", out),
            };
            self.delta(at, &text, out);
        }
        for call in tool_calls.and_then(elements).unwrap_or_default() {
            let [index, call_id, function] = fields(call, ["index", "id", "function"]);
            let index = index
                .and_then(|i| std::str::from_utf8(i).ok()?.parse().ok())
                .unwrap_or(0);
            let [name, arguments] = function
                .map(|f| fields(f, ["name", "arguments"]))
                .unwrap_or([None, None]);
            let at = match self.calls.get(&index) {
                Some(&at) => at,
                None => {
                    let call_id = call_id.filter(|i| !is_null(Some(i))).unwrap_or(b"null");
                    let name = name.filter(|n| !is_null(Some(n))).unwrap_or(b"null");
                    let at = self.open(Kind::Call, call_id, name, out);
                    self.calls.insert(index, at);
                    at
                }
            };
            if let Some(args) = arguments.and_then(string).filter(|a| !a.is_empty()) {
                self.delta(at, &args, out);
            }
        }
        Ok(reported)
    }

    /// Starts an item of `kind` (reasoning ends when anything else begins; the message and
    /// the calls stay open until the stream ends); returns its position.
    fn open(&mut self, kind: Kind, call_id: &[u8], name: &[u8], out: &mut Vec<u8>) -> usize {
        if let Some(at) = self.reasoning.take() {
            self.close(at, out);
        }
        self.held = self.held.saturating_add(ITEM_COST);
        let at = self.items.len();
        let id = match kind {
            Kind::Reasoning => format!("rs_{}", self.item_id),
            Kind::Message => format!("msg_{}", self.item_id),
            Kind::Call => format!("fc_{}", string(call_id).unwrap_or_default()),
        };
        self.events.open("response.output_item.added", out);
        out.extend_from_slice(b",\"output_index\":");
        crate::json::write_u64(at as u64, out);
        out.extend_from_slice(b",\"item\":{");
        match kind {
            Kind::Reasoning => {
                out.extend_from_slice(b"\"id\":");
                write_json_string(&id, out);
                out.extend_from_slice(b",\"type\":\"reasoning\",\"status\":\"in_progress\"}");
            }
            Kind::Message => {
                out.extend_from_slice(b"\"id\":");
                write_json_string(&id, out);
                out.extend_from_slice(
                    b",\"type\":\"message\",\"role\":\"assistant\",\"status\":\"in_progress\",\"content\":[]}",
                );
            }
            Kind::Call => {
                out.extend_from_slice(b"\"type\":\"function_call\",\"id\":");
                write_json_string(&id, out);
                out.extend_from_slice(b",\"call_id\":");
                out.extend_from_slice(call_id);
                out.extend_from_slice(b",\"name\":");
                out.extend_from_slice(name);
                out.extend_from_slice(b",\"status\":\"in_progress\",\"arguments\":\"\"}");
            }
        }
        self.events.close(out);
        if kind == Kind::Message {
            self.events.open("response.content_part.added", out);
            item_fields(at, &id, true, out);
            out.extend_from_slice(
                b",\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}",
            );
            self.events.close(out);
        }
        match kind {
            Kind::Reasoning => self.reasoning = Some(at),
            Kind::Message => self.message = Some(at),
            Kind::Call => {}
        }
        self.items.push(Item {
            kind,
            id,
            text: String::new(),
            call_id: call_id.to_vec(),
            name: name.to_vec(),
            closed: false,
        });
        at
    }

    /// Appends `text` to the item at `at` and writes its delta event.
    fn delta(&mut self, at: usize, text: &str, out: &mut Vec<u8>) {
        let item = &mut self.items[at];
        item.text.push_str(text);
        let kind = match item.kind {
            Kind::Reasoning => "response.reasoning_summary_text.delta",
            Kind::Message => "response.output_text.delta",
            Kind::Call => "response.function_call_arguments.delta",
        };
        self.events.open(kind, out);
        item_fields(at, &item.id, item.kind == Kind::Message, out);
        out.extend_from_slice(b",\"delta\":");
        write_json_string(text, out);
        self.events.close(out);
    }

    /// Ends the item at `at` (its `.done` events), unless it ended already.
    fn close(&mut self, at: usize, out: &mut Vec<u8>) {
        let item = &mut self.items[at];
        if item.closed {
            return;
        }
        item.closed = true;
        let item = &self.items[at];
        let events = &mut self.events;
        let (id, text) = (item.id.as_str(), item.text.as_str());
        match item.kind {
            Kind::Reasoning => {
                events.open("response.reasoning_summary_text.done", out);
                item_fields(at, id, false, out);
                out.extend_from_slice(b",\"summary_index\":0,\"text\":");
                write_json_string(text, out);
                events.close(out);
                events.open("response.reasoning_summary_part.done", out);
                item_fields(at, id, false, out);
                out.extend_from_slice(
                    b",\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":",
                );
                write_json_string(text, out);
                out.push(b'}');
                events.close(out);
            }
            Kind::Message => {
                events.open("response.output_text.done", out);
                item_fields(at, id, true, out);
                out.extend_from_slice(b",\"text\":");
                write_json_string(text, out);
                events.close(out);
                events.open("response.content_part.done", out);
                item_fields(at, id, true, out);
                out.extend_from_slice(b",\"part\":{\"type\":\"output_text\",\"text\":");
                write_json_string(text, out);
                out.extend_from_slice(b",\"annotations\":[]}");
                events.close(out);
            }
            Kind::Call => {
                events.open("response.function_call_arguments.done", out);
                item_fields(at, id, false, out);
                out.extend_from_slice(b",\"arguments\":");
                write_json_string(text, out);
                events.close(out);
            }
        }
        events.open("response.output_item.done", out);
        out.extend_from_slice(b",\"output_index\":");
        crate::json::write_u64(at as u64, out);
        out.extend_from_slice(b",\"item\":");
        match item.kind {
            Kind::Reasoning => {
                out.extend_from_slice(b"{\"id\":");
                write_json_string(id, out);
                out.extend_from_slice(
                    b",\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":",
                );
                write_json_string(text, out);
                out.extend_from_slice(b"}]}");
            }
            Kind::Message => {
                out.extend_from_slice(b"{\"id\":");
                write_json_string(id, out);
                out.extend_from_slice(b",\"status\":\"completed\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":");
                write_json_string(text, out);
                out.extend_from_slice(b",\"annotations\":[]}]}");
            }
            Kind::Call => {
                out.extend_from_slice(b"{\"type\":\"function_call\",\"id\":");
                write_json_string(id, out);
                out.extend_from_slice(b",\"call_id\":");
                out.extend_from_slice(&item.call_id);
                out.extend_from_slice(b",\"name\":");
                out.extend_from_slice(&item.name);
                out.extend_from_slice(b",\"status\":\"completed\",\"arguments\":");
                write_json_string(text, out);
                out.push(b'}');
            }
        }
        events.close(out);
    }

    /// The stream ended: the open items' ends, the last event and `[DONE]`. Returns the usage.
    pub fn end(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        if self.id.is_none() {
            self.start(None, out);
        }
        // Open reasoning first, then the calls in order, then the message (LiteLLM's order).
        if let Some(at) = self.reasoning.take() {
            self.close(at, out);
        }
        for at in 0..self.items.len() {
            if self.items[at].kind == Kind::Call {
                self.close(at, out);
            }
        }
        if let Some(at) = self.message {
            self.close(at, out);
        }
        let status = status(self.finish.as_deref());
        let usage = self.usage.take();
        let counts = usage.as_deref().and_then(crate::usage::parse_usage);
        let cost = counts
            .zip(self.prices)
            .map(|(u, p)| crate::cost::cost(&u, &p))
            .filter(|c| *c > 0.0);
        let kind = if status == "incomplete" {
            "response.incomplete"
        } else {
            "response.completed"
        };
        self.events.open(kind, out);
        out.extend_from_slice(b",\"response\":{\"id\":");
        write_json_string(self.id.as_deref().unwrap_or(""), out);
        out.extend_from_slice(b",\"created_at\":");
        crate::json::write_u64(self.created_at, out);
        if let Some(reason) = incomplete_reason(self.finish.as_deref()) {
            out.extend_from_slice(b",\"incomplete_details\":{\"reason\":\"");
            out.extend_from_slice(reason.as_bytes());
            out.extend_from_slice(b"\"}");
        }
        let echoed = |key: &str| get(&self.echo, key);
        write_echoed(&self.echo, &["instructions"], out);
        out.extend_from_slice(b",\"metadata\":");
        out.extend_from_slice(echoed("metadata").unwrap_or(b"{}"));
        out.extend_from_slice(b",\"model\":");
        out.extend_from_slice(&self.model);
        out.extend_from_slice(b",\"object\":\"response\",\"output\":[");
        let mut text = Vec::new();
        for (n, item) in self.items.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            text.clear();
            write_json_string(&item.text, &mut text);
            let role = b"\"assistant\"";
            match item.kind {
                Kind::Reasoning => {
                    write_text_item("reasoning", &item.id, status, role, &text, false, out)
                }
                Kind::Message => {
                    write_text_item("message", &item.id, status, role, &text, false, out)
                }
                Kind::Call => {
                    write_call_item(&text, &item.call_id, &item.name, Some(&item.id), false, out)
                }
            }
        }
        out.extend_from_slice(b"],\"parallel_tool_calls\":");
        out.extend_from_slice(echoed("parallel_tool_calls").unwrap_or(b"false"));
        write_echoed(&self.echo, &["temperature"], out);
        out.extend_from_slice(b",\"tool_choice\":");
        out.extend_from_slice(echoed("tool_choice").unwrap_or(b"\"auto\""));
        out.extend_from_slice(b",\"tools\":");
        out.extend_from_slice(echoed("tools").unwrap_or(b"[]"));
        write_echoed(
            &self.echo,
            &[
                "top_p",
                "max_output_tokens",
                "previous_response_id",
                "reasoning",
            ],
            out,
        );
        out.extend_from_slice(b",\"status\":\"");
        out.extend_from_slice(status.as_bytes());
        out.extend_from_slice(b"\",\"text\":");
        out.extend_from_slice(echoed("text").unwrap_or(b"{}"));
        write_echoed(&self.echo, &["truncation"], out);
        out.extend_from_slice(b",\"usage\":");
        let counted = super::bridge::write_usage(usage.as_deref(), cost, false, out);
        write_echoed(&self.echo, &["user", "store"], out);
        out.push(b'}');
        self.events.close(out);
        self.terminal = true;
        out.extend_from_slice(SSE_DONE);
        Some(counted)
    }

    /// Writes the failure event for a stream that cannot go on, then `[DONE]` (nothing once
    /// the last event went out); as [`super::stream::ResponsesStream::failure`].
    pub fn failure(&mut self, status: u16, message: &str, unseen: (&str, u64), out: &mut Vec<u8>) {
        if self.terminal {
            return;
        }
        self.terminal = true;
        let (id, created) = match &self.id {
            Some(id) => (id.as_str(), self.created_at),
            None => unseen,
        };
        let mut created_at = Vec::new();
        crate::json::write_u64(created, &mut created_at);
        let model = (self.model != b"null").then_some(self.model.as_slice());
        super::stream::write_failed_event(
            id,
            &created_at,
            model,
            self.events.sequence,
            &super::stream::failure_code(None, status),
            message,
            out,
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn origin() -> crate::family::Origin<'static> {
        crate::family::Origin {
            provider: "groq",
            model_id: Some("d1"),
            prices: None,
            echo: None,
            provider_model: Some("m1"),
        }
    }

    fn chunk(delta: &str, finish: &str) -> String {
        format!(
            r#"{{"id":"chatcmpl-1","model":"m1","choices":[{{"index":0,"delta":{delta},"finish_reason":{finish}}}]}}"#
        )
    }

    #[test]
    fn reasoning_text_and_calls_become_named_events() {
        let mut s =
            ResponsesFromChat::new(&origin(), br#"{"instructions":"Be brief"}"#, "u1", "g", 7);
        let mut out = Vec::new();
        for c in [
            chunk(r#"{"role":"assistant","reasoning_content":"Hm"}"#, "null"),
            chunk(r#"{"content":"Hi"}"#, "null"),
            chunk(r#"{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}"#, "null"),
            chunk("{}", r#""tool_calls""#),
            r#"{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#.to_owned(),
        ] {
            s.event(c.as_bytes(), &mut out).unwrap();
        }
        let usage = s.end(&mut out).unwrap();
        assert_eq!(usage.total_tokens, 5);
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("data: [DONE]\n\n"));
        let events: Vec<serde_json::Value> = text
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done",
                "response.reasoning_summary_part.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        for (n, e) in events.iter().enumerate() {
            assert_eq!(e["sequence_number"], n);
            assert_eq!(e["model"], "g");
        }
        let done = &events.last().unwrap()["response"];
        assert_eq!(done["instructions"], "Be brief");
        assert_eq!(done["model"], "m1");
        assert_eq!(done["output"][1]["content"][0]["text"], "Hi");
        assert_eq!(done["output"][2]["id"], "fc_c1");
        assert_eq!(done["usage"]["total_tokens"], 5);
        assert_eq!(
            events[0]["response"]["id"],
            crate::responses::encode_id("groq", Some("d1"), "chatcmpl-1")
        );
    }

    #[test]
    fn interleaved_calls_grow_their_own_items_and_items_are_bounded() {
        let mut s = ResponsesFromChat::new(&origin(), b"{}", "u1", "g", 7);
        let mut out = Vec::new();
        let call = |i: u64, id: &str, args: &str| {
            let named = if id.is_empty() {
                String::new()
            } else {
                format!(
                    r#""id":"{id}","type":"function","function":{{"name":"f{i}","arguments":"{args}"}}"#
                )
            };
            let body = if id.is_empty() {
                format!(r#""function":{{"arguments":"{args}"}}"#)
            } else {
                named
            };
            chunk(
                &format!(r#"{{"tool_calls":[{{"index":{i},{body}}}]}}"#),
                "null",
            )
        };
        for c in [
            call(0, "c0", "{"),
            call(1, "c1", "{"),
            call(0, "", "}"),
            call(1, "", "}"),
        ] {
            s.event(c.as_bytes(), &mut out).unwrap();
        }
        s.end(&mut out);
        let text = String::from_utf8(out).unwrap();
        let last = text.rsplit("data: ").nth(1).unwrap();
        let done: serde_json::Value = serde_json::from_str(last.trim()).unwrap();
        let output = done["response"]["output"].as_array().unwrap();
        assert_eq!(output.len(), 2, "{done}");
        assert_eq!(output[0]["arguments"], "{}");
        assert_eq!(output[1]["call_id"], "c1");
        // A provider opening call after call runs into the bound.
        let mut s = ResponsesFromChat::new(&origin(), b"{}", "u1", "g", 7);
        let many: String = (0..20_000)
            .map(|i| {
                format!(r#"{{"index":{i},"id":"c{i}","function":{{"name":"f","arguments":""}}}}"#)
            })
            .collect::<Vec<_>>()
            .join(",");
        let mut failed = false;
        for _ in 0..10 {
            let c = chunk(&format!(r#"{{"tool_calls":[{many}]}}"#), "null");
            if s.event(c.as_bytes(), &mut Vec::new()).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "items are bounded");
    }

    #[test]
    fn a_cut_answer_is_incomplete_and_a_huge_one_fails() {
        let mut s = ResponsesFromChat::new(&origin(), b"{}", "u1", "g", 7);
        let mut out = Vec::new();
        s.event(
            chunk(r#"{"content":"cut"}"#, r#""length""#).as_bytes(),
            &mut out,
        )
        .unwrap();
        s.end(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""type":"response.incomplete""#), "{text}");
        assert!(
            text.contains(r#""incomplete_details":{"reason":"max_output_tokens"}"#),
            "{text}"
        );

        let mut s = ResponsesFromChat::new(&origin(), b"{}", "u1", "g", 7);
        let big = "x".repeat(1 << 20);
        let mut out = Vec::new();
        let failed = (0..20).any(|_| {
            out.clear();
            s.event(
                chunk(&format!(r#"{{"content":"{big}"}}"#), "null").as_bytes(),
                &mut out,
            )
            .is_err()
        });
        assert!(failed, "the held text is bounded");
        let mut tail = Vec::new();
        s.failure(500, "too large", ("resp_x", 1), &mut tail);
        assert!(String::from_utf8(tail)
            .unwrap()
            .starts_with("event: response.failed\n"));
    }
}
