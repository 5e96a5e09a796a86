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
use crate::json::value::{answer_object, elements, get, is_null, string};
use crate::json::write_json_string;
use crate::stream::{StreamFailure, SSE_DONE};
use crate::usage::Usage;

/// Most text (reasoning, message and arguments together) one stream's items may hold: the
/// Responses API repeats every item whole in its `.done` events and its last event, so the
/// text is kept until the end; a provider that sends more fails the stream rather than grow
/// the core's memory without bound.
pub const MAX_HELD_TEXT: usize = 16 * 1024 * 1024;

/// The kind of the item being streamed.
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
    /// A function call's `call_id` and name (raw JSON strings).
    call_id: Vec<u8>,
    name: Vec<u8>,
    /// The chat tool call's index.
    index: u64,
    /// Its `.done` events went out.
    closed: bool,
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
    /// The client's model, added to every event.
    requested_model: String,
    /// The model the chat chunks carry (the provider's), which the responses name.
    pub(crate) chunk_model: String,
    created_at: u64,
    /// The client's id of the response, once the first chunk named one.
    id: Option<String>,
    /// The provider's model of the first chunk (raw JSON), for the nested responses.
    model: Vec<u8>,
    sequence: u64,
    items: Vec<Item>,
    finish: Option<String>,
    usage: Option<Vec<u8>>,
    terminal: bool,
    /// The text the items hold, in bytes.
    held: usize,
}

impl ResponsesFromChat {
    /// A stream from `provider`'s deployment `model_id` to a request whose echoed fields are
    /// `echo`; `item_id` (a uuid) names its items, `now` is its `created_at`.
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
            requested_model: requested_model.to_owned(),
            chunk_model: origin.provider_model.unwrap_or(requested_model).to_owned(),
            created_at: now,
            id: None,
            model: b"null".to_vec(),
            sequence: 0,
            items: Vec::new(),
            finish: None,
            usage: None,
            terminal: false,
            held: 0,
        }
    }

    /// Writes one event: `data: {"type":kind, <fields>, "sequence_number":n, "model":..}`.
    fn emit(&mut self, kind: &str, fields: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(b"data: {\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",");
        out.extend_from_slice(fields);
        out.extend_from_slice(b",\"sequence_number\":");
        crate::json::write_u64(self.sequence, out);
        out.extend_from_slice(b",\"model\":");
        write_json_string(&self.requested_model, out);
        out.extend_from_slice(b"}\n\n");
        self.sequence += 1;
    }

    /// Names the response (the provider's id wrapped; LiteLLM's `resp_<uuid>` when no chunk
    /// came with one) and writes `response.created` and `response.in_progress`.
    fn start(&mut self, provider_id: Option<String>, out: &mut Vec<u8>) {
        let provider_id = provider_id.unwrap_or_else(|| format!("resp_{}", self.item_id));
        let wrapped = super::encode_id(self.provider, self.model_id.as_deref(), &provider_id);
        self.id = Some(wrapped);
        let mut fields = b"\"response\":".to_vec();
        fields.extend_from_slice(&self.started());
        self.emit("response.created", &fields, out);
        self.emit("response.in_progress", &fields, out);
    }

    /// The response object of `response.created` and `response.in_progress`.
    fn started(&self) -> Vec<u8> {
        let echoed = |key: &str| get(&self.echo, key);
        let mut r = b"{\"id\":".to_vec();
        write_json_string(self.id.as_deref().unwrap_or(""), &mut r);
        r.extend_from_slice(b",\"created_at\":");
        crate::json::write_u64(self.created_at, &mut r);
        write_echoed(&self.echo, &["instructions", "metadata"], &mut r);
        r.extend_from_slice(b",\"model\":");
        r.extend_from_slice(&self.model);
        r.extend_from_slice(b",\"object\":\"response\",\"output\":[],\"parallel_tool_calls\":true");
        if let Some(v) = echoed("temperature") {
            r.extend_from_slice(b",\"temperature\":");
            r.extend_from_slice(v);
        }
        r.extend_from_slice(b",\"tool_choice\":");
        r.extend_from_slice(echoed("tool_choice").unwrap_or(b"\"auto\""));
        r.extend_from_slice(b",\"tools\":");
        r.extend_from_slice(echoed("tools").unwrap_or(b"[]"));
        r.extend_from_slice(b",\"top_p\":");
        r.extend_from_slice(echoed("top_p").unwrap_or(b"1.0"));
        r.extend_from_slice(
            b",\"reasoning\":{\"effort\":null,\"summary\":null},\"status\":\"in_progress\"",
        );
        write_echoed(&self.echo, &["text", "truncation", "user"], &mut r);
        r.extend_from_slice(b",\"store\":true}");
        r
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
        if let Some(error) = get(chunk, "error").filter(|e| !is_null(Some(e))) {
            let message = get(error, "message")
                .and_then(string)
                .unwrap_or_else(|| String::from_utf8_lossy(error).into_owned());
            return Err(StreamFailure::Provider { message });
        }
        if self.id.is_none() {
            if let Some(model) = get(chunk, "model").filter(|m| !is_null(Some(m))) {
                self.model = model.to_vec();
            }
            let provider_id = get(chunk, "id").and_then(string);
            self.start(provider_id, out);
        }
        let mut reported = None;
        if let Some(usage) = get(chunk, "usage").filter(|u| !is_null(Some(u))) {
            self.usage = Some(usage.to_vec());
            reported = crate::usage::parse_usage(usage);
        }
        let choice = get(chunk, "choices")
            .and_then(elements)
            .and_then(|c| c.first().copied());
        let Some(choice) = choice else {
            return Ok(reported);
        };
        if let Some(finish) = get(choice, "finish_reason").and_then(string) {
            self.finish = Some(finish);
        }
        let Some(delta) = get(choice, "delta").filter(|d| !is_null(Some(d))) else {
            return Ok(reported);
        };
        self.held = self.held.saturating_add(delta.len());
        if self.held > MAX_HELD_TEXT {
            return Err(StreamFailure::Provider {
                message: format!(
                    "the answer holds more than {} MiB of text, more than the gateway keeps for a Responses API stream",
                    MAX_HELD_TEXT >> 20
                ),
            });
        }
        if let Some(text) = get(delta, "reasoning_content")
            .and_then(string)
            .filter(|t| !t.is_empty())
        {
            self.open(Kind::Reasoning, 0, b"", b"", out);
            self.delta(&text, out);
        }
        if let Some(text) = get(delta, "content")
            .and_then(string)
            .filter(|t| !t.is_empty())
        {
            self.open(Kind::Message, 0, b"", b"", out);
            self.delta(&text, out);
        }
        for call in get(delta, "tool_calls")
            .and_then(elements)
            .unwrap_or_default()
        {
            let index = get(call, "index")
                .and_then(|i| std::str::from_utf8(i).ok()?.parse().ok())
                .unwrap_or(0);
            let function = get(call, "function");
            let name = function
                .and_then(|f| get(f, "name"))
                .filter(|n| !is_null(Some(n)));
            let call_id = get(call, "id").filter(|i| !is_null(Some(i)));
            let same = self
                .items
                .last()
                .is_some_and(|i| i.kind == Kind::Call && i.index == index);
            if !same {
                self.open(
                    Kind::Call,
                    index,
                    call_id.unwrap_or(b"null"),
                    name.unwrap_or(b"null"),
                    out,
                );
            }
            if let Some(args) = function
                .and_then(|f| get(f, "arguments"))
                .and_then(string)
                .filter(|a| !a.is_empty())
            {
                self.delta(&args, out);
            }
        }
        Ok(reported)
    }

    /// Starts an item of `kind` unless the last one is of that kind. Reasoning ends when
    /// anything else begins; the message and the calls stay open until the stream ends.
    fn open(&mut self, kind: Kind, index: u64, call_id: &[u8], name: &[u8], out: &mut Vec<u8>) {
        if kind != Kind::Call && self.items.last().is_some_and(|i| i.kind == kind) {
            return;
        }
        if let Some(at) = self
            .items
            .iter()
            .position(|i| i.kind == Kind::Reasoning && !i.closed)
        {
            self.close(at, out);
        }
        let output_index = self.items.len();
        let id = match kind {
            Kind::Reasoning => format!("rs_{}", self.item_id),
            Kind::Message => format!("msg_{}", self.item_id),
            Kind::Call => format!("fc_{}", string(call_id).unwrap_or_default()),
        };
        let mut f = b"\"output_index\":".to_vec();
        crate::json::write_u64(output_index as u64, &mut f);
        f.extend_from_slice(b",\"item\":{");
        match kind {
            Kind::Reasoning => {
                f.extend_from_slice(b"\"id\":");
                write_json_string(&id, &mut f);
                f.extend_from_slice(b",\"type\":\"reasoning\",\"status\":\"in_progress\"}");
            }
            Kind::Message => {
                f.extend_from_slice(b"\"id\":");
                write_json_string(&id, &mut f);
                f.extend_from_slice(b",\"type\":\"message\",\"role\":\"assistant\",\"status\":\"in_progress\",\"content\":[]}");
            }
            Kind::Call => {
                f.extend_from_slice(b"\"type\":\"function_call\",\"id\":");
                write_json_string(&id, &mut f);
                f.extend_from_slice(b",\"call_id\":");
                f.extend_from_slice(call_id);
                f.extend_from_slice(b",\"name\":");
                f.extend_from_slice(name);
                f.extend_from_slice(b",\"status\":\"in_progress\",\"arguments\":\"\"}");
            }
        }
        self.emit("response.output_item.added", &f, out);
        if kind == Kind::Message {
            let mut p = self.item_fields(output_index, &id, true);
            p.extend_from_slice(
                b",\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}",
            );
            self.emit("response.content_part.added", &p, out);
        }
        self.items.push(Item {
            kind,
            id,
            text: String::new(),
            call_id: call_id.to_vec(),
            name: name.to_vec(),
            index,
            closed: false,
        });
    }

    /// `"item_id":..,"output_index":..` (and `"content_index":0` for message text).
    fn item_fields(&self, output_index: usize, id: &str, content: bool) -> Vec<u8> {
        let mut f = b"\"item_id\":".to_vec();
        write_json_string(id, &mut f);
        f.extend_from_slice(b",\"output_index\":");
        crate::json::write_u64(output_index as u64, &mut f);
        if content {
            f.extend_from_slice(b",\"content_index\":0");
        }
        f
    }

    /// Appends `text` to the open item and writes its delta event.
    fn delta(&mut self, text: &str, out: &mut Vec<u8>) {
        let Some(at) = self.items.len().checked_sub(1) else {
            return;
        };
        let (kind, id) = (self.items[at].kind, self.items[at].id.clone());
        self.items[at].text.push_str(text);
        let mut f = self.item_fields(at, &id, kind == Kind::Message);
        f.extend_from_slice(b",\"delta\":");
        write_json_string(text, &mut f);
        let name = match kind {
            Kind::Reasoning => "response.reasoning_summary_text.delta",
            Kind::Message => "response.output_text.delta",
            Kind::Call => "response.function_call_arguments.delta",
        };
        self.emit(name, &f, out);
    }

    /// Ends the item at `at` (its `.done` events), unless it ended already.
    fn close(&mut self, at: usize, out: &mut Vec<u8>) {
        if self.items[at].closed {
            return;
        }
        let item = &self.items[at];
        let (kind, id, text) = (item.kind, item.id.clone(), item.text.clone());
        let mut done_item = Vec::new();
        match kind {
            Kind::Reasoning => {
                let mut f = self.item_fields(at, &id, false);
                f.extend_from_slice(b",\"summary_index\":0,\"text\":");
                write_json_string(&text, &mut f);
                self.emit("response.reasoning_summary_text.done", &f, out);
                let mut f = self.item_fields(at, &id, false);
                f.extend_from_slice(
                    b",\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":",
                );
                write_json_string(&text, &mut f);
                f.push(b'}');
                self.emit("response.reasoning_summary_part.done", &f, out);
                done_item.extend_from_slice(b"{\"id\":");
                write_json_string(&id, &mut done_item);
                done_item.extend_from_slice(
                    b",\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":",
                );
                write_json_string(&text, &mut done_item);
                done_item.extend_from_slice(b"}]}");
            }
            Kind::Message => {
                let mut f = self.item_fields(at, &id, true);
                f.extend_from_slice(b",\"text\":");
                write_json_string(&text, &mut f);
                self.emit("response.output_text.done", &f, out);
                let mut f = self.item_fields(at, &id, true);
                f.extend_from_slice(b",\"part\":{\"type\":\"output_text\",\"text\":");
                write_json_string(&text, &mut f);
                f.extend_from_slice(b",\"annotations\":[]}");
                self.emit("response.content_part.done", &f, out);
                done_item.extend_from_slice(b"{\"id\":");
                write_json_string(&id, &mut done_item);
                done_item.extend_from_slice(b",\"status\":\"completed\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":");
                write_json_string(&text, &mut done_item);
                done_item.extend_from_slice(b",\"annotations\":[]}]}");
            }
            Kind::Call => {
                let mut f = self.item_fields(at, &id, false);
                f.extend_from_slice(b",\"arguments\":");
                write_json_string(&text, &mut f);
                self.emit("response.function_call_arguments.done", &f, out);
                let item = &self.items[at];
                done_item.extend_from_slice(b"{\"type\":\"function_call\",\"id\":");
                write_json_string(&id, &mut done_item);
                done_item.extend_from_slice(b",\"call_id\":");
                done_item.extend_from_slice(&item.call_id);
                done_item.extend_from_slice(b",\"name\":");
                done_item.extend_from_slice(&item.name);
                done_item.extend_from_slice(b",\"status\":\"completed\",\"arguments\":");
                write_json_string(&text, &mut done_item);
                done_item.push(b'}');
            }
        }
        let mut f = b"\"output_index\":".to_vec();
        crate::json::write_u64(at as u64, &mut f);
        f.extend_from_slice(b",\"item\":");
        f.extend_from_slice(&done_item);
        self.emit("response.output_item.done", &f, out);
        self.items[at].closed = true;
    }

    /// The stream ended: the open item's end, the last event and `[DONE]`. Returns the usage.
    pub fn end(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        if self.id.is_none() {
            self.start(None, out);
        }
        // Open reasoning first, then the calls in order, then the message (LiteLLM's order).
        for kind in [Kind::Reasoning, Kind::Call, Kind::Message] {
            for at in 0..self.items.len() {
                if self.items[at].kind == kind {
                    self.close(at, out);
                }
            }
        }
        let status = status(self.finish.as_deref());
        let usage = self.usage.take();
        let counts = usage.as_deref().and_then(crate::usage::parse_usage);
        let cost = counts
            .zip(self.prices)
            .map(|(u, p)| crate::cost::cost(&u, &p))
            .filter(|c| *c > 0.0);
        let mut r = b"{\"id\":".to_vec();
        write_json_string(self.id.as_deref().unwrap_or(""), &mut r);
        r.extend_from_slice(b",\"created_at\":");
        crate::json::write_u64(self.created_at, &mut r);
        if let Some(reason) = incomplete_reason(self.finish.as_deref()) {
            r.extend_from_slice(b",\"incomplete_details\":{\"reason\":\"");
            r.extend_from_slice(reason.as_bytes());
            r.extend_from_slice(b"\"}");
        }
        let echoed = |key: &str| get(&self.echo, key);
        if let Some(v) = echoed("instructions") {
            r.extend_from_slice(b",\"instructions\":");
            r.extend_from_slice(v);
        }
        r.extend_from_slice(b",\"metadata\":");
        r.extend_from_slice(echoed("metadata").unwrap_or(b"{}"));
        r.extend_from_slice(b",\"model\":");
        r.extend_from_slice(&self.model);
        r.extend_from_slice(b",\"object\":\"response\",\"output\":[");
        for (n, item) in self.items.iter().enumerate() {
            if n > 0 {
                r.push(b',');
            }
            let mut text = Vec::with_capacity(item.text.len() + 2);
            write_json_string(&item.text, &mut text);
            let role = b"\"assistant\"";
            match item.kind {
                Kind::Reasoning => {
                    write_text_item("reasoning", &item.id, status, role, &text, false, &mut r)
                }
                Kind::Message => {
                    write_text_item("message", &item.id, status, role, &text, false, &mut r)
                }
                Kind::Call => write_call_item(
                    &text,
                    &item.call_id,
                    &item.name,
                    Some(&item.id),
                    false,
                    &mut r,
                ),
            }
        }
        r.extend_from_slice(b"],\"parallel_tool_calls\":");
        r.extend_from_slice(echoed("parallel_tool_calls").unwrap_or(b"false"));
        write_echoed(&self.echo, &["temperature"], &mut r);
        r.extend_from_slice(b",\"tool_choice\":");
        r.extend_from_slice(echoed("tool_choice").unwrap_or(b"\"auto\""));
        r.extend_from_slice(b",\"tools\":");
        r.extend_from_slice(echoed("tools").unwrap_or(b"[]"));
        write_echoed(
            &self.echo,
            &[
                "top_p",
                "max_output_tokens",
                "previous_response_id",
                "reasoning",
            ],
            &mut r,
        );
        r.extend_from_slice(b",\"status\":\"");
        r.extend_from_slice(status.as_bytes());
        r.extend_from_slice(b"\",\"text\":");
        r.extend_from_slice(echoed("text").unwrap_or(b"{}"));
        write_echoed(&self.echo, &["truncation"], &mut r);
        r.extend_from_slice(b",\"usage\":");
        let counted = super::bridge::write_usage(usage.as_deref(), cost, false, &mut r);
        write_echoed(&self.echo, &["user", "store"], &mut r);
        r.push(b'}');
        let mut fields = b"\"response\":".to_vec();
        fields.extend_from_slice(&r);
        let kind = if status == "incomplete" {
            "response.incomplete"
        } else {
            "response.completed"
        };
        self.emit(kind, &fields, out);
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
        let id = self.id.clone().unwrap_or_else(|| unseen.0.to_owned());
        let mut created = Vec::new();
        crate::json::write_u64(
            if self.id.is_some() {
                self.created_at
            } else {
                unseen.1
            },
            &mut created,
        );
        let model = (self.model != b"null").then_some(self.model.as_slice());
        super::stream::write_failed_event(
            &id,
            &created,
            model,
            self.sequence,
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
