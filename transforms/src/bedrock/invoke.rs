//! `/v1/messages` to Claude on Bedrock's Invoke API, as LiteLLM 1.108.7's
//! `AmazonAnthropicClaudeMessagesConfig` sends it:
//!
//! - `POST /model/{modelId}/invoke` (`/invoke-with-response-stream` for streams), signed as
//!   Converse is ([`super::head`]);
//! - the body is the client's Messages body with `model` and `stream` removed,
//!   `anthropic_version: "bedrock-2023-05-31"` added, the client's `anthropic-beta` header
//!   values that Bedrock knows moved into `anthropic_beta`, and only the top-level fields
//!   Bedrock accepts kept (LiteLLM's `BedrockInvokeAnthropicMessagesRequest`);
//! - on the way, the reshaping LiteLLM does per model ([`ClaudeCaps`]): adaptive thinking and
//!   `output_config.effort` turned into a thinking budget for models that predate them, a
//!   temperature other than 1 dropped under thinking, system-role messages hoisted into
//!   `system` (or, mid-conversation, turned into user turns), Claude Code's
//!   `clear_thinking` context edit replaced by a thinking budget, cache-control `scope`
//!   (and `ttl` where the model has none) removed, tools made acceptable to Bedrock;
//! - the answer is Anthropic's Messages JSON; a stream is AWS event-stream `chunk` events,
//!   each an Anthropic event base64-encoded in `{"bytes": ...}`, written to the client as
//!   server-sent events ([`MessagesStream`]).
//!
//! Bodies are rewritten member by member: values nobody edits are copied as they came.

use std::borrow::Cow;

use base64::Engine as _;

use crate::anthropic::caps::ClaudeCaps;
use crate::anthropic::request::{invalid, Result};
use crate::anthropic::reshape::{
    array, as_u64, enabled, owned, sanitize_cache_control, thinking_type, Obj, MIN_THINKING_BUDGET,
};
use crate::chat::request_object;
use crate::json::tape::Scratch;
use crate::json::value::{answer_object, elements, get, is_object, string};
use crate::stream::StreamFailure;
use crate::usage::Usage;

/// `DEFAULT_BEDROCK_ANTHROPIC_API_VERSION`.
pub const ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";

/// The top-level fields Bedrock's Invoke accepts for Claude (`BedrockInvokeAnthropicMessagesRequest`).
const ALLOWED: &[&str] = &[
    "anthropic_version",
    "max_tokens",
    "messages",
    "anthropic_beta",
    "system",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "metadata",
    "output_config",
    "safeguards",
    "context_management",
];

/// The `anthropic-beta` values Bedrock takes, under the same name; `advanced-tool-use-2025-11-20`
/// becomes `tool-search-tool-2025-10-19`; every other value is dropped (LiteLLM's
/// `anthropic_beta_headers_config.json`, section `bedrock`).
const BETAS_KEPT: &[&str] = &[
    "compact-2026-01-12",
    "computer-use-2025-01-24",
    "computer-use-2025-11-24",
    "context-1m-2025-08-07",
    "context-management-2025-06-27",
    "dangerous-tool-use-2026-09-03",
    "effort-2025-11-24",
    "fine-grained-tool-streaming-2025-05-14",
    "mid-conversation-output-config-2026-07-01",
    "mid-conversation-tool-changes-2026-07-01",
    "thinking-binding-controls-2026-08-01",
    "thinking-display-updates-2026-08-18",
    "tool-search-tool-2025-10-19",
];

/// Bedrock's name for a beta value, if it takes it.
fn bedrock_beta(value: &str) -> Option<&'static str> {
    if value == "advanced-tool-use-2025-11-20" {
        return Some("tool-search-tool-2025-10-19");
    }
    BETAS_KEPT.iter().find(|b| **b == value).copied()
}

/// The context-management edits Bedrock's Invoke accepts, each with the beta it needs.
const CONTEXT_EDITS: &[(&str, &str)] = &[
    ("compact_20260112", "compact-2026-01-12"),
    ("clear_tool_uses_20250919", "context-management-2025-06-27"),
];

/// The Bedrock model id of an Invoke route's provider model: `invoke/` and a region segment
/// dropped, as [`super::model_id`] drops Converse's.
pub fn invoke_model_id(provider_model: &str) -> &str {
    let model = provider_model
        .strip_prefix("invoke/")
        .unwrap_or(provider_model);
    super::model_id(model).1
}

/// Whether a `bedrock/` provider model's `/v1/messages` goes to the Invoke API in Anthropic's
/// format (LiteLLM's `get_bedrock_provider_config_for_messages_api`: a Claude model not sent
/// to Converse explicitly); the others go through chat completions (Converse).
pub fn messages_via_invoke(provider_model: &str) -> bool {
    !provider_model.starts_with("converse/") && provider_model.contains("claude")
}

/// Turns the client's Messages `body` into the Invoke body for `provider_model`, appended to
/// `out`; `anthropic_beta` is the client's header. `Err` is the client's 400.
pub fn messages_request(
    body: &[u8],
    provider_model: &str,
    anthropic_beta: Option<&str>,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    let body = request_object(body, scratch)?;
    let model = invoke_model_id(provider_model);
    let caps = ClaudeCaps::of(super::base_model(model));
    let mut req = Obj::read(body);
    let max_tokens = as_u64(req.get("max_tokens"));
    if req.get("max_tokens").is_none() {
        return Err(invalid(
            "max_tokens is required for Anthropic /v1/messages API",
        ));
    }
    crate::anthropic::reshape::base(&mut req, &caps, max_tokens)?;
    refuse_web_search(&req, model)?;
    req.set_default("anthropic_version", owned(ANTHROPIC_VERSION));
    req.remove("stream");
    req.remove("model");
    let injected = thinking_for_clear_thinking(&mut req, &caps, model, max_tokens);
    sanitize_cache_control(&mut req, caps.prompt_cache_ttl);
    structured_output(&mut req, &caps)?;
    if let Some(oc) = req.get("output_config").filter(|v| is_object(v)) {
        let oc = Obj::read(oc);
        if oc.0.iter().any(|(k, _)| k != "format") && !caps.output_config {
            match oc.get("format") {
                Some(format) => {
                    let mut kept = Obj::default();
                    kept.set("format", Cow::Owned(format.to_vec()));
                    req.set("output_config", kept.bytes());
                }
                None => {
                    req.remove("output_config");
                }
            }
        }
    }
    tools(&mut req);
    let betas = betas(&mut req, anthropic_beta, injected);
    if !betas.is_empty() {
        let mut v = Vec::new();
        crate::json::write_string_list(&betas, &mut v);
        req.set("anthropic_beta", Cow::Owned(v));
    }
    req.0.retain(|(k, _)| ALLOWED.contains(&k.as_str()));
    req.write(out);
    Ok(())
}

/// `_reject_unsupported_web_search_tools`: Bedrock cannot run Anthropic's server-side search.
fn refuse_web_search(req: &Obj<'_>, model: &str) -> Result<()> {
    let Some(tools) = req.get("tools").and_then(elements) else {
        return Ok(());
    };
    for tool in tools {
        let kind = get(tool, "type").and_then(string).unwrap_or_default();
        if kind.starts_with("web_search_") {
            return Err(invalid(format!(
                "Bedrock does not support Anthropic's server-side web search tool (tool type '{kind}', model '{model}'). To use web search with this model, enable LiteLLM's web search interception so the proxy executes the search instead: https://docs.litellm.ai/docs/integrations/websearch_interception. Alternatively, remove the web_search tool from the request."
            )));
        }
    }
    Ok(())
}

/// `_ensure_thinking_for_clear_thinking_context_management`: Claude Code's
/// `clear_thinking_20251015` edit needs thinking on, which is added when the model can think
/// and `max_tokens` leaves room. Returns whether thinking was added.
fn thinking_for_clear_thinking(
    req: &mut Obj<'_>,
    caps: &ClaudeCaps,
    model: &str,
    max_tokens: Option<u64>,
) -> bool {
    let wants = req
        .get("context_management")
        .filter(|v| is_object(v))
        .and_then(|cm| get(cm, "edits"))
        .and_then(elements)
        .is_some_and(|edits| {
            edits
                .iter()
                .any(|e| is_object(e) && get(e, "type") == Some(b"\"clear_thinking_20251015\""))
        });
    if !wants || !caps.extended_thinking_on_bedrock(model) {
        return false;
    }
    let current = thinking_type(req);
    match current.as_deref() {
        Some("adaptive") => return false,
        Some("enabled") if !caps.adaptive => return false,
        Some("enabled") => {
            let budget = req
                .get("thinking")
                .and_then(|t| as_u64(get(t, "budget_tokens")))
                .unwrap_or(MIN_THINKING_BUDGET);
            inject_adaptive(req, budget);
            return true;
        }
        _ => {}
    }
    if max_tokens.is_some_and(|m| m <= MIN_THINKING_BUDGET) {
        return false;
    }
    if caps.adaptive {
        inject_adaptive(req, MIN_THINKING_BUDGET);
    } else {
        req.set("thinking", enabled(MIN_THINKING_BUDGET));
    }
    true
}

/// `_inject_adaptive_thinking_for_clear_thinking`: adaptive thinking, with an effort from the
/// budget unless the client gave one.
fn inject_adaptive(req: &mut Obj<'_>, budget: u64) {
    let effort = match budget {
        b if b >= 8192 => "xhigh",
        b if b >= 4096 => "high",
        b if b >= 2048 => "medium",
        _ => "low",
    };
    let mut oc = req
        .get("output_config")
        .filter(|v| is_object(v))
        .map(Obj::read)
        .unwrap_or_default();
    oc.set_default("effort", owned(effort));
    let oc = oc.bytes().into_owned();
    let mut thinking = req
        .get("thinking")
        .filter(|v| is_object(v))
        .map(Obj::read)
        .unwrap_or_default();
    thinking.remove("budget_tokens");
    thinking.set("type", owned("adaptive"));
    let thinking = thinking.bytes().into_owned();
    req.set("output_config", Cow::Owned(oc));
    req.set("thinking", Cow::Owned(thinking));
}

/// `apply_bedrock_invoke_structured_output`: a schema (`output_format`, or
/// `output_config.format`) goes to Bedrock where the model enforces it.
fn structured_output(req: &mut Obj<'_>, caps: &ClaudeCaps) -> Result<()> {
    let legacy = req.remove("output_format").filter(|v| is_object(v));
    let mut oc = req
        .get("output_config")
        .filter(|v| is_object(v))
        .map(Obj::read);
    let in_config = oc
        .as_mut()
        .and_then(|o| o.remove("format"))
        .filter(|v| is_object(v));
    let Some(format) = legacy.or(in_config) else {
        return Ok(());
    };
    if !caps.native_structured_output {
        return Err(crate::anthropic::request::unsupported(
            "a structured output schema for a Bedrock model that does not enforce it (LiteLLM inlines the schema into the prompt)",
        ));
    }
    let mut oc = oc.unwrap_or_default();
    oc.set("format", Cow::Owned(format.into_owned()));
    let bytes = oc.bytes().into_owned();
    req.set("output_config", Cow::Owned(bytes));
    Ok(())
}

/// Tools as Bedrock takes them: `custom` dropped (its `defer_loading` kept), `eager_input_streaming`
/// dropped, `type: "custom"` in input schemas made `"object"`, a missing name made
/// `litellm_unnamed_tool_{i}`.
fn tools(req: &mut Obj<'_>) {
    let Some(list) = req.get("tools").and_then(elements) else {
        return;
    };
    let mut changed = false;
    let mut items: Vec<Cow<'_, [u8]>> = Vec::with_capacity(list.len());
    for (i, tool) in list.iter().enumerate() {
        if !is_object(tool) {
            items.push(Cow::Borrowed(*tool));
            continue;
        }
        let mut t = Obj::read(tool);
        let mut edited = false;
        if let Some(custom) = t.remove("custom") {
            edited = true;
            if t.get("defer_loading").is_none() && is_object(&custom) {
                if let Some(d) =
                    get(&custom, "defer_loading").filter(|d| *d == b"true" || *d == b"false")
                {
                    t.set("defer_loading", Cow::Owned(d.to_vec()));
                }
            }
        }
        edited |= t.remove("eager_input_streaming").is_some();
        if let Some(schema) = t.get("input_schema").filter(|s| is_object(s)) {
            if let Some(fixed) = custom_types_to_object(schema) {
                t.set("input_schema", Cow::Owned(fixed));
                edited = true;
            }
        }
        let blank = t
            .get("name")
            .is_none_or(|n| n == b"null" || string(n).is_some_and(|s| s.trim().is_empty()));
        if blank {
            t.set("name", owned(&format!("litellm_unnamed_tool_{i}")));
            edited = true;
        }
        if edited {
            changed = true;
            items.push(t.bytes());
        } else {
            items.push(Cow::Borrowed(*tool));
        }
    }
    if changed {
        let v = array(&items);
        req.set("tools", Cow::Owned(v));
    }
}

/// A JSON schema with each `type: "custom"` made `"object"` (through properties, items,
/// additionalProperties and the combinators); `None` when there is none.
fn custom_types_to_object(schema: &[u8]) -> Option<Vec<u8>> {
    custom_types_within(schema, 0)
}

/// Schemas nested deeper than this are left as they are (each level rescans the one below).
const MAX_SCHEMA_DEPTH: usize = 64;

fn custom_types_within(schema: &[u8], depth: usize) -> Option<Vec<u8>> {
    // Most schemas have none: nothing is rewritten.
    if depth > MAX_SCHEMA_DEPTH
        || !is_object(schema)
        || memchr::memmem::find(schema, b"\"custom\"").is_none()
    {
        return None;
    }
    let mut s = Obj::read(schema);
    let mut changed = false;
    if s.get("type") == Some(b"\"custom\"") {
        s.set("type", owned("object"));
        changed = true;
    }
    for key in ["items", "additionalProperties"] {
        if let Some(fixed) = s.get(key).and_then(|v| custom_types_within(v, depth + 1)) {
            s.set(key, Cow::Owned(fixed));
            changed = true;
        }
    }
    if let Some(props) = s.get("properties").filter(|p| is_object(p)) {
        let mut p = Obj::read(props);
        let mut any = false;
        for (_, v) in p.0.iter_mut() {
            if let Some(fixed) = custom_types_within(v, depth + 1) {
                *v = Cow::Owned(fixed);
                any = true;
            }
        }
        if any {
            let bytes = p.bytes().into_owned();
            s.set("properties", Cow::Owned(bytes));
            changed = true;
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        let Some(list) = s.get(key).and_then(elements) else {
            continue;
        };
        let fixed: Vec<Option<Vec<u8>>> = list
            .iter()
            .map(|v| custom_types_within(v, depth + 1))
            .collect();
        if fixed.iter().any(Option::is_some) {
            let items: Vec<Cow<'_, [u8]>> = list
                .iter()
                .zip(fixed)
                .map(|(v, f)| f.map_or(Cow::Borrowed(*v), Cow::Owned))
                .collect();
            let v = array(&items);
            s.set(key, Cow::Owned(v));
            changed = true;
        }
    }
    changed.then(|| s.bytes().into_owned())
}

/// The `anthropic_beta` values: the client's header values and the ones the request's
/// features need, as Bedrock names them, sorted; `context_management` keeps only the edits
/// Bedrock takes (dropped when none is left).
fn betas(req: &mut Obj<'_>, header: Option<&str>, injected_thinking: bool) -> Vec<&'static str> {
    let mut wanted: Vec<&'static str> = Vec::new();
    if injected_thinking {
        wanted.push("interleaved-thinking-2025-05-14");
    }
    if let Some(cm) = req.get("context_management").map(<[u8]>::to_vec) {
        if is_object(&cm) {
            match get(&cm, "edits").and_then(elements) {
                Some(edits) => {
                    let kept: Vec<&[u8]> = edits
                        .into_iter()
                        .filter(|e| {
                            let kind = get(e, "type").and_then(string).unwrap_or_default();
                            match CONTEXT_EDITS.iter().find(|(t, _)| *t == kind) {
                                Some((_, beta)) => {
                                    wanted.push(beta);
                                    true
                                }
                                None => false,
                            }
                        })
                        .collect();
                    if kept.is_empty() {
                        req.remove("context_management");
                    } else {
                        let mut o = Obj::read(&cm);
                        let items: Vec<Cow<'_, [u8]>> =
                            kept.into_iter().map(Cow::Borrowed).collect();
                        o.set("edits", Cow::Owned(array(&items)));
                        let bytes = o.bytes().into_owned();
                        req.set("context_management", Cow::Owned(bytes));
                    }
                }
                None => {
                    req.remove("context_management");
                }
            }
        }
    }
    crate::anthropic::reshape::host_betas(header, &wanted, bedrock_beta)
}

/// An Invoke stream's events (AWS event-stream `chunk` messages) as the client's Messages
/// events, as LiteLLM's `AmazonAnthropicClaudeMessagesStreamDecoder` and
/// `bedrock_sse_wrapper` write them: each chunk's Anthropic event decoded from base64;
/// `amazon-bedrock-invocationMetrics` made the event's `usage` (counts the event already has
/// win); a `message_delta` held back until the next event, and given `message_stop`'s cache
/// counts and input tokens (else `message_start`'s cache counts); each event written as
/// `event: {type}` and `data: {json}`, `message_start`'s model the client's.
#[derive(Debug)]
pub struct MessagesStream {
    inner: crate::anthropic::MessagesStream,
    /// The model name the client asked for.
    model: String,
    /// The held `message_delta` (its JSON).
    pending_delta: Option<Vec<u8>>,
    /// `message_start`'s usage, for cache counts a delta lacks.
    start_usage: Option<Vec<u8>>,
}

impl MessagesStream {
    /// A stream whose `message_start` carries the client's `model` name.
    pub fn new(model: &str) -> Self {
        MessagesStream {
            inner: crate::anthropic::MessagesStream::default(),
            model: model.to_owned(),
            pending_delta: None,
            start_usage: None,
        }
    }

    /// Translates one message (`message_type` and `name` from its headers); returns the usage
    /// so far when an event written reported some.
    pub fn event(
        &mut self,
        message_type: &str,
        name: &str,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> std::result::Result<Option<Usage>, StreamFailure> {
        if message_type != "event" {
            // LiteLLM's Messages stream carries the exception's own text, mapped for its
            // class and status.
            let (status, raw) = super::stream::exception_text(message_type, name, payload);
            let map = super::error::map_text(status, &raw, &mut String::new());
            return Err(StreamFailure::Mapped { message: raw, map });
        }
        if name != "chunk" {
            return Ok(None);
        }
        let payload = answer_object(payload).map_err(|_| StreamFailure::Malformed)?;
        let encoded = get(payload, "bytes")
            .and_then(string)
            .ok_or(StreamFailure::Malformed)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map_err(|_| StreamFailure::Malformed)?;
        // Its bytes reach the client: only UTF-8 JSON with a type passes.
        std::str::from_utf8(&decoded).map_err(|_| StreamFailure::Malformed)?;
        let event = answer_object(&decoded).map_err(|_| StreamFailure::Malformed)?;
        let event = with_invocation_metrics(event);
        let kind = get(&event, "type")
            .and_then(string)
            .filter(|k| !k.is_empty() && !k.contains(['\n', '\r']))
            .ok_or(StreamFailure::Malformed)?;
        let mut usage = None;
        match kind.as_str() {
            "message_start" => {
                self.start_usage = get(&event, "message")
                    .filter(|m| is_object(m))
                    .and_then(|m| get(m, "usage"))
                    .filter(|u| is_object(u))
                    .map(<[u8]>::to_vec);
                usage = self.flush(out).or(usage);
                usage = self.write(&event, out).or(usage);
            }
            "message_delta" => {
                usage = self.flush(out).or(usage);
                self.pending_delta = Some(event);
            }
            "message_stop" => {
                if let Some(delta) = self.pending_delta.take() {
                    let merged = self.promote(&delta, get(&event, "usage"));
                    usage = self.write(&merged, out).or(usage);
                }
                usage = self.write(&event, out).or(usage);
            }
            _ => {
                usage = self.flush(out).or(usage);
                usage = self.write(&event, out).or(usage);
            }
        }
        Ok(usage)
    }

    /// The stream ended: a held delta goes out, given `message_start`'s cache counts.
    pub fn end(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        self.flush(out)
    }

    fn flush(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        let delta = self.pending_delta.take()?;
        let merged = self.promote(&delta, None);
        self.write(&merged, out)
    }

    /// A held delta with `message_stop`'s cache counts and input tokens (`stop_usage`), then
    /// `message_start`'s cache counts where it still has none.
    fn promote(&self, delta: &[u8], stop_usage: Option<&[u8]>) -> Vec<u8> {
        let mut d = Obj::read(delta);
        let mut usage = d
            .get("usage")
            .filter(|u| is_object(u))
            .map(Obj::read)
            .unwrap_or_default();
        let mut touched = false;
        if let Some(stop) = stop_usage.filter(|u| is_object(u)) {
            for key in ["cache_creation_input_tokens", "cache_read_input_tokens"] {
                if let Some(v) = get(stop, key) {
                    usage.set(key, Cow::Owned(v.to_vec()));
                    touched = true;
                }
            }
            if let Some(v) = get(stop, "input_tokens").filter(|v| *v != b"null") {
                let v = if as_u64(Some(v)).is_some() {
                    v.to_vec()
                } else {
                    b"0".to_vec()
                };
                usage.set("input_tokens", Cow::Owned(v));
                touched = true;
            }
        }
        if let Some(start) = self.start_usage.as_deref() {
            for key in [
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
                "cache_creation",
            ] {
                if usage.get(key).is_none() {
                    if let Some(v) = get(start, key).filter(|v| *v != b"null") {
                        usage.set(key, Cow::Owned(v.to_vec()));
                        touched = true;
                    }
                }
            }
        }
        if !touched {
            return delta.to_vec();
        }
        let usage = usage.bytes().into_owned();
        d.set("usage", Cow::Owned(usage));
        let mut v = Vec::with_capacity(delta.len() + 64);
        d.write(&mut v);
        v
    }

    fn write(&mut self, event: &[u8], out: &mut Vec<u8>) -> Option<Usage> {
        let kind = get(event, "type").and_then(string).unwrap_or_default();
        let mut framed = Vec::with_capacity(event.len() + kind.len() + 16);
        framed.extend_from_slice(b"event: ");
        framed.extend_from_slice(kind.as_bytes());
        framed.extend_from_slice(b"\ndata: ");
        framed.extend_from_slice(event);
        self.inner.event(&framed, event, &self.model, out)
    }
}

/// `_chunk_parser`: an event's `amazon-bedrock-invocationMetrics` removed and made its
/// `usage`, the counts the event already had winning.
fn with_invocation_metrics(event: &[u8]) -> Vec<u8> {
    let Some(metrics) = get(event, "amazon-bedrock-invocationMetrics") else {
        return event.to_vec();
    };
    let mut e = Obj::read(event);
    e.remove("amazon-bedrock-invocationMetrics");
    if is_object(metrics) && metrics.trim_ascii() != b"{}" {
        let mut usage = Obj::default();
        for (key, metric) in [
            ("input_tokens", "inputTokenCount"),
            ("output_tokens", "outputTokenCount"),
            ("cache_read_input_tokens", "cacheReadInputTokenCount"),
            ("cache_creation_input_tokens", "cacheWriteInputTokenCount"),
        ] {
            if let Some(v) = get(metrics, metric) {
                usage.set(key, Cow::Owned(v.to_vec()));
            }
        }
        if let Some(existing) = e.get("usage").filter(|u| is_object(u)) {
            for (k, v) in Obj::read(existing).0 {
                usage.set(&k, Cow::Owned(v.into_owned()));
            }
        }
        let usage = usage.bytes().into_owned();
        e.set("usage", Cow::Owned(usage));
    }
    let mut v = Vec::with_capacity(event.len());
    e.write(&mut v);
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn request(body: Value, model: &str, beta: Option<&str>) -> Value {
        let mut out = Vec::new();
        let body = serde_json::to_vec(&body).unwrap();
        messages_request(&body, model, beta, &mut Scratch::new(), &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    const SONNET_45: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

    #[test]
    fn system_turns_are_hoisted_or_become_user_turns_after_tool_results() {
        let sent = request(
            json!({"model": "m", "max_tokens": 10, "stream": true,
            "system": "x-anthropic-billing-header: cc",
            "messages": [
                {"role": "system", "content": "lead"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}]},
                {"role": "system", "content": "mid"},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]},
            ]}),
            SONNET_45,
            None,
        );
        assert_eq!(sent["system"], json!([{"type": "text", "text": "lead"}]));
        assert_eq!(sent["anthropic_version"], ANTHROPIC_VERSION);
        assert!(sent.get("model").is_none() && sent.get("stream").is_none());
        let messages = sent["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[1]["content"][0]["type"], "tool_result");
        assert_eq!(
            messages[2],
            json!({"role": "user", "content": [
                {"type": "text", "text": crate::anthropic::reshape::CONVERTED_SYSTEM_NOTE},
                {"type": "text", "text": "mid"}]})
        );
    }

    #[test]
    fn cache_control_scope_goes_and_ttl_stays_where_the_model_takes_it() {
        let body = json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "scope": "global", "ttl": "1h"}}]}]});
        let new = request(body.clone(), SONNET_45, None);
        assert_eq!(
            new["messages"][0]["content"][0]["cache_control"],
            json!({"type": "ephemeral", "ttl": "1h"})
        );
        let old = request(body, "anthropic.claude-3-5-sonnet-20240620-v1:0", None);
        assert_eq!(
            old["messages"][0]["content"][0]["cache_control"],
            json!({"type": "ephemeral"})
        );
    }

    #[test]
    fn tools_are_made_acceptable_and_betas_are_bedrock_s() {
        let sent = request(
            json!({"max_tokens": 4000, "messages": [], "speed": "fast", "output_format": null,
                "context_management": {"edits": [{"type": "clear_thinking_20251015"}, {"type": "clear_tool_uses_20250919"}]},
                "tools": [
                    {"name": "a", "input_schema": {"type": "custom", "properties": {"x": {"type": "custom"}}},
                     "custom": {"defer_loading": true}, "eager_input_streaming": true},
                    {"name": " ", "input_schema": {"type": "object"}}]}),
            SONNET_45,
            Some("claude-code-20250219, advanced-tool-use-2025-11-20,interleaved-thinking-2025-05-14"),
        );
        assert_eq!(
            sent["tools"],
            json!([
                {"name": "a", "input_schema": {"type": "object", "properties": {"x": {"type": "object"}}}, "defer_loading": true},
                {"name": "litellm_unnamed_tool_1", "input_schema": {"type": "object"}}])
        );
        assert_eq!(
            sent["anthropic_beta"],
            json!([
                "context-management-2025-06-27",
                "tool-search-tool-2025-10-19"
            ])
        );
        assert_eq!(
            sent["context_management"],
            json!({"edits": [{"type": "clear_tool_uses_20250919"}]})
        );
        // clear_thinking asked for thinking, which the model takes.
        assert_eq!(
            sent["thinking"],
            json!({"type": "enabled", "budget_tokens": 1024})
        );
        assert!(sent.get("speed").is_none() && sent.get("output_format").is_none());
    }

    #[test]
    fn adaptive_thinking_and_effort_become_a_budget_on_older_models() {
        let body = json!({"max_tokens": 3000, "temperature": 0.2, "messages": [],
            "thinking": {"type": "adaptive"}, "output_config": {"effort": "high"}});
        let sent = request(body.clone(), SONNET_45, None);
        assert_eq!(
            sent["thinking"],
            json!({"type": "enabled", "budget_tokens": 2999})
        );
        assert!(sent.get("output_config").is_none() && sent.get("temperature").is_none());
        let sent = request(
            body.clone(),
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            None,
        );
        assert!(sent.get("thinking").is_none() && sent.get("output_config").is_none());
        let sent = request(body, "anthropic.claude-opus-4-6-v1", None);
        assert_eq!(sent["thinking"], json!({"type": "adaptive"}));
        assert_eq!(sent["output_config"], json!({"effort": "high"}));
        assert_eq!(sent["temperature"], json!(0.2));
    }

    #[test]
    fn web_search_is_refused() {
        let body = br#"{"max_tokens":1,"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"}]}"#;
        let err = messages_request(body, SONNET_45, None, &mut Scratch::new(), &mut Vec::new());
        assert!(err
            .unwrap_err()
            .message()
            .contains("server-side web search"));
    }

    fn chunk(event: &Value) -> Vec<u8> {
        let bytes = base64::engine::general_purpose::STANDARD.encode(event.to_string());
        json!({"bytes": bytes, "p": "ab"}).to_string().into_bytes()
    }

    #[test]
    fn a_stream_gets_usage_from_the_metrics_and_the_delta_its_cache_counts() {
        let mut s = MessagesStream::new("group");
        let mut out = Vec::new();
        let start = json!({"type": "message_start", "message": {"model": "claude", "usage":
            {"input_tokens": 5, "cache_read_input_tokens": 7, "output_tokens": 1}}});
        s.event("event", "chunk", &chunk(&start), &mut out).unwrap();
        let delta = json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}});
        assert_eq!(
            s.event("event", "chunk", &chunk(&delta), &mut out).unwrap(),
            None
        );
        let stop = json!({"type": "message_stop", "amazon-bedrock-invocationMetrics":
            {"inputTokenCount": 5, "outputTokenCount": 9, "invocationLatency": 1}});
        let usage = s
            .event("event", "chunk", &chunk(&stop), &mut out)
            .unwrap()
            .unwrap();
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (12, 9));
        let text = String::from_utf8(out).unwrap();
        let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 3);
        assert!(
            events[0].starts_with("event: message_start\ndata: ")
                && events[0].contains("\"model\":\"group\"")
        );
        let delta: Value = serde_json::from_str(events[1].split("data: ").nth(1).unwrap()).unwrap();
        assert_eq!(
            delta["usage"],
            json!({"output_tokens": 9, "input_tokens": 5, "cache_read_input_tokens": 7})
        );
        let stop: Value = serde_json::from_str(events[2].split("data: ").nth(1).unwrap()).unwrap();
        assert_eq!(
            stop,
            json!({"type": "message_stop", "usage": {"input_tokens": 5, "output_tokens": 9}})
        );
    }

    #[test]
    fn an_exception_keeps_its_own_text_and_bad_chunks_are_malformed() {
        let mut s = MessagesStream::new("g");
        let err = s
            .event(
                "exception",
                "throttlingException",
                br#"{"message":"slow"}"#,
                &mut Vec::new(),
            )
            .unwrap_err();
        match err {
            StreamFailure::Mapped { message, map } => {
                assert_eq!(message, r#"throttlingException {"message":"slow"}"#);
                assert_eq!(map.status, 429);
            }
            other => panic!("{other:?}"),
        }
        for payload in [
            &b"{}"[..],
            br#"{"bytes":"!!"}"#,
            br#"{"bytes":"bm90IGpzb24="}"#,
        ] {
            let r = s.event("event", "chunk", payload, &mut Vec::new());
            assert!(matches!(r, Err(StreamFailure::Malformed)), "{payload:?}");
        }
    }
}
