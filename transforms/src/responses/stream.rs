//! A Responses API stream from a provider that has the API, as LiteLLM 1.108.7's proxy relays
//! it (`responses/streaming_iterator.py`, `proxy_server.py` `async_data_generator`,
//! `proxy/common_utils/responses_stream_errors.py`):
//!
//! - each event is written as `data: {json}` alone (its `event:` line dropped), its `null`
//!   members left out, the client's `"model"` added as its last member; a `response` inside is
//!   rebuilt ([`super::object`], nulls dropped) with the client's id, its own model kept;
//! - the last event (`response.completed` or `response.incomplete`) gets `usage.cost` when the
//!   model has a price; the provider's `[DONE]` is dropped and the stream ends with one of the
//!   gateway's;
//! - a provider's `error` or `response.failed` event, a stream cut before its last event, or
//!   any other failure after the first event is reported as one `event: response.failed` with
//!   the last response's id, time and model and the next sequence number, then `[DONE]`.

use super::object::{write_response, Nulls, Rewrite};
use crate::cost::Prices;
use crate::json::top_members;
use crate::json::value::{answer_object, get, is_null, key_is, string};
use crate::json::write_json_string;
use crate::stream::{StreamFailure, SSE_DONE};
use crate::usage::Usage;

/// One stream's translation state.
#[derive(Debug)]
pub struct ResponsesStream {
    provider: &'static str,
    model_id: Option<String>,
    prices: Option<Prices>,
    /// The provider's id of the response and the client's for it.
    ids: Option<(String, String)>,
    /// The last response's `created_at` and `model` (raw JSON), for a failure event.
    created_at: Option<Vec<u8>>,
    model: Option<Vec<u8>>,
    /// The highest `sequence_number` sent.
    sequence: Option<u64>,
    /// A last event (completed, incomplete or failed) was sent.
    terminal: bool,
    /// The provider's own failure (code, message), reported as it came.
    failed: Option<(Option<String>, String)>,
}

impl ResponsesStream {
    /// A stream from `provider`'s deployment `model_id` (the client's ids name both).
    pub fn new(provider: &'static str, model_id: Option<&str>, prices: Option<Prices>) -> Self {
        ResponsesStream {
            provider,
            model_id: model_id.map(str::to_owned),
            prices,
            ids: None,
            created_at: None,
            model: None,
            sequence: None,
            terminal: false,
            failed: None,
        }
    }

    /// The client's id for the provider's `id`.
    fn client_id(&mut self, id: &str) -> &str {
        let stale = self.ids.as_ref().is_none_or(|(p, _)| p != id);
        if stale {
            let wrapped = super::encode_id(self.provider, self.model_id.as_deref(), id);
            self.ids = Some((id.to_owned(), wrapped));
        }
        self.ids.as_ref().map_or("", |(_, c)| c.as_str())
    }

    /// Writes the client's event for one provider event (`data`, its single data line).
    pub fn event(
        &mut self,
        data: &[u8],
        requested_model: &str,
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        if data == b"[DONE]" {
            return Ok(None);
        }
        let event = answer_object(data).map_err(|_| StreamFailure::Malformed)?;
        let kind = get(event, "type").and_then(string).unwrap_or_default();
        let response = get(event, "response").filter(|r| r.first() == Some(&b'{'));
        // The provider's failures are raised, not relayed: the client gets one failure event,
        // which names what the events it got said (LiteLLM observes emitted events only).
        match kind.as_str() {
            "error" => return Err(self.provider_failure(event)),
            "response.failed" => {
                let error = response.and_then(|r| get(r, "error")).unwrap_or(b"null");
                return Err(self.provider_failure(error));
            }
            _ => {}
        }
        if let Some(seq) = get(event, "sequence_number")
            .and_then(|s| std::str::from_utf8(s).ok()?.parse::<u64>().ok())
        {
            self.sequence = Some(self.sequence.map_or(seq, |s| s.max(seq)));
        }
        if let Some(r) = response {
            if let Some(created) = get(r, "created_at").filter(|v| !is_null(Some(v))) {
                self.created_at = Some(created.to_vec());
            }
            if let Some(model) = get(r, "model").filter(|v| !is_null(Some(v))) {
                self.model = Some(model.to_vec());
            }
        }
        let last = matches!(kind.as_str(), "response.completed" | "response.incomplete");
        let usage = response
            .filter(|_| last)
            .and_then(|r| get(r, "usage"))
            .and_then(read_usage);
        let cost = usage
            .zip(self.prices)
            .map(|(u, p)| crate::cost::cost(&u, &p))
            .filter(|c| *c > 0.0);
        out.extend_from_slice(b"data: {");
        for m in top_members(event).into_iter().flatten() {
            let value = &event[m.value.clone()];
            // The client's `model` replaces any the provider put there (LiteLLM's model_copy).
            if value == b"null" || key_is(event, &m.key, "model") {
                continue;
            }
            if out.last() != Some(&b'{') {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(&event[m.key.clone()]);
            out.extend_from_slice(b"\":");
            if key_is(event, &m.key, "response") && value.first() == Some(&b'{') {
                let id = get(value, "id").and_then(string);
                let id = id.map(|id| self.client_id(&id).to_owned());
                let rewrite = Rewrite {
                    id: id.as_deref(),
                    model: None,
                    cost,
                };
                write_response(value, &rewrite, Nulls::Dropped, out);
            } else {
                out.extend_from_slice(value);
            }
        }
        if out.last() != Some(&b'{') {
            out.push(b',');
        }
        out.extend_from_slice(b"\"model\":");
        write_json_string(requested_model, out);
        out.extend_from_slice(b"}\n\n");
        self.terminal |= last;
        Ok(usage)
    }

    /// Keeps the provider's error (`{"code", "message"}`, or an `error` event) for the failure
    /// event, and says it failed.
    fn provider_failure(&mut self, error: &[u8]) -> StreamFailure {
        let code = get(error, "code").and_then(string);
        let message = get(error, "message")
            .and_then(string)
            .unwrap_or_else(|| "the provider reported a failure".to_owned());
        self.failed = Some((code, message.clone()));
        StreamFailure::Provider { message }
    }

    /// Why a stream that ended cleanly is still a failure: it never sent its last event.
    pub fn unfinished(&self) -> Option<StreamFailure> {
        (!self.terminal).then(|| StreamFailure::Provider {
            message: format!(
                "litellm.APIConnectionError: {} closed the responses stream before any terminal event (response.completed, response.incomplete or response.failed)",
                self.provider
            ),
        })
    }

    /// The stream ended with its last event: the gateway's `[DONE]`.
    pub fn end(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(SSE_DONE);
    }

    /// Writes the failure event for a stream that cannot go on (`status` and `message` the
    /// gateway's error, unless the provider reported its own), then `[DONE]`; nothing when the
    /// last event was already sent. `unseen` is the id and time for a response never seen.
    pub fn failure(&mut self, status: u16, message: &str, unseen: (&str, u64), out: &mut Vec<u8>) {
        if self.terminal {
            return;
        }
        self.terminal = true;
        let (code, message) = match self.failed.take() {
            Some((code, message)) => (failure_code(code.as_deref(), 500), message),
            None => (failure_code(None, status), message.to_owned()),
        };
        let id = self.ids.as_ref().map_or(unseen.0, |(_, id)| id.as_str());
        let mut created = Vec::new();
        match &self.created_at {
            Some(c) => created.extend_from_slice(c),
            None => crate::json::write_u64(unseen.1, &mut created),
        }
        let next = self.sequence.map_or(0, |s| s.saturating_add(1));
        write_failed_event(
            id,
            &created,
            self.model.as_deref(),
            next,
            &code,
            &message,
            out,
        );
    }
}

/// Writes LiteLLM's `response.failed` event (`ResponsesStreamErrorState.format_failure`) for
/// the response `id` (`created_at` and `model` raw JSON), numbered `sequence`, then `[DONE]`.
pub(crate) fn write_failed_event(
    id: &str,
    created_at: &[u8],
    model: Option<&[u8]>,
    sequence: u64,
    code: &str,
    message: &str,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(
        b"event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":",
    );
    write_json_string(id, out);
    out.extend_from_slice(b",\"created_at\":");
    out.extend_from_slice(created_at);
    out.extend_from_slice(b",\"error\":{\"code\":");
    write_json_string(code, out);
    out.extend_from_slice(b",\"message\":");
    write_json_string(message, out);
    out.push(b'}');
    if let Some(model) = model {
        out.extend_from_slice(b",\"model\":");
        out.extend_from_slice(model);
    }
    out.extend_from_slice(
        b",\"object\":\"response\",\"output\":[],\"status\":\"failed\"},\"sequence_number\":",
    );
    crate::json::write_u64(sequence, out);
    out.extend_from_slice(b"}\n\n");
    out.extend_from_slice(SSE_DONE);
}

/// The failure event's `code` (`_response_error_code`): quota and rate limits by name, a
/// provider's word code as it is, else by status.
pub(crate) fn failure_code(code: Option<&str>, status: u16) -> String {
    match code {
        Some("insufficient_quota") => return "insufficient_quota".to_owned(),
        Some(c) if c == "429" || c.starts_with("rate_limit") => {
            return "rate_limit_exceeded".to_owned()
        }
        Some(c) if !c.is_empty() && !c.bytes().all(|b| b.is_ascii_digit()) => return c.to_owned(),
        _ => {}
    }
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        408 => "request_timeout",
        429 => "rate_limit_exceeded",
        400..=499 => "invalid_request_error",
        _ => "server_error",
    }
    .to_owned()
}

/// The Responses API's usage (`input_tokens`, `output_tokens`, `total_tokens`) as the
/// gateway's counts.
pub fn read_usage(usage: &[u8]) -> Option<Usage> {
    let count =
        |key| get(usage, key).and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok());
    let (input, output) = (count("input_tokens"), count("output_tokens"));
    if input.is_none() && output.is_none() {
        return None;
    }
    let (p, c) = (input.unwrap_or(0), output.unwrap_or(0));
    let detail = |details, key| {
        get(usage, details)
            .and_then(|d| get(d, key))
            .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some(Usage {
        cached_tokens: detail("input_tokens_details", "cached_tokens"),
        reasoning_tokens: detail("output_tokens_details", "reasoning_tokens"),
        ..Usage::counts(p, c, count("total_tokens").unwrap_or(p.saturating_add(c)))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(
        events: &[&str],
        prices: Option<Prices>,
    ) -> (String, Result<(), StreamFailure>, ResponsesStream) {
        let mut s = ResponsesStream::new("openai", Some("d1"), prices);
        let mut out = Vec::new();
        for e in events {
            if let Err(f) = s.event(e.as_bytes(), "gpt", &mut out) {
                return (String::from_utf8(out).unwrap(), Err(f), s);
            }
        }
        (String::from_utf8(out).unwrap(), Ok(()), s)
    }

    #[test]
    fn events_lose_nulls_and_gain_the_model() {
        let id = super::super::encode_id("openai", Some("d1"), "resp_0abc");
        let (out, result, mut s) = run(
            &[
                r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_0abc","object":"response","created_at":1741476542,"status":"in_progress","error":null,"model":"gpt-4o-2024-08-06","output":[],"usage":null,"store":true}}"#,
                r#"{"type":"response.output_text.delta","item_id":"msg_0","output_index":0,"content_index":0,"delta":"Hi","sequence_number":4,"logprobs":[],"obfuscation":null}"#,
                r#"{"type":"response.completed","sequence_number":5,"response":{"id":"resp_0abc","object":"response","created_at":1741476542,"status":"completed","model":"gpt-4o-2024-08-06","output":[],"usage":{"input_tokens":36,"output_tokens":87,"total_tokens":123}}}"#,
                "[DONE]",
            ],
            Some(Prices::flat(2.5e-6, 1e-5)),
        );
        assert!(result.is_ok());
        assert!(s.unfinished().is_none());
        let mut end = Vec::new();
        s.end(&mut end);
        assert_eq!(end, SSE_DONE);
        assert_eq!(
            out,
            format!(
                "data: {{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{{\"id\":\"{id}\",\"created_at\":1741476542,\"model\":\"gpt-4o-2024-08-06\",\"object\":\"response\",\"output\":[],\"status\":\"in_progress\",\"store\":true}},\"model\":\"gpt\"}}\n\n\
                 data: {{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_0\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\",\"sequence_number\":4,\"logprobs\":[],\"model\":\"gpt\"}}\n\n\
                 data: {{\"type\":\"response.completed\",\"sequence_number\":5,\"response\":{{\"id\":\"{id}\",\"created_at\":1741476542,\"model\":\"gpt-4o-2024-08-06\",\"object\":\"response\",\"output\":[],\"status\":\"completed\",\"usage\":{{\"input_tokens\":36,\"output_tokens\":87,\"total_tokens\":123,\"cost\":0.0009600000000000001}}}},\"model\":\"gpt\"}}\n\n"
            )
        );
    }

    #[test]
    fn a_provider_failure_becomes_one_failure_event() {
        let (out, result, mut s) = run(
            &[
                r#"{"type":"response.created","sequence_number":0,"response":{"id":"r1","created_at":5,"model":"m"}}"#,
                r#"{"type":"response.failed","sequence_number":3,"response":{"id":"r1","created_at":5,"model":"m","error":{"code":"server_error","message":"boom"}}}"#,
            ],
            None,
        );
        assert!(
            matches!(result, Err(StreamFailure::Provider { ref message }) if message == "boom")
        );
        let mut tail = Vec::new();
        s.failure(500, "ignored", ("resp_new", 9), &mut tail);
        let id = super::super::encode_id("openai", Some("d1"), "r1");
        assert_eq!(
            String::from_utf8(tail).unwrap(),
            format!("event: response.failed\ndata: {{\"type\":\"response.failed\",\"response\":{{\"id\":\"{id}\",\"created_at\":5,\"error\":{{\"code\":\"server_error\",\"message\":\"boom\"}},\"model\":\"m\",\"object\":\"response\",\"output\":[],\"status\":\"failed\"}},\"sequence_number\":1}}\n\ndata: [DONE]\n\n")
        );
        assert!(out.starts_with("data: {\"type\":\"response.created\""));
        // Once reported, never again.
        let mut again = Vec::new();
        s.failure(500, "x", ("resp_new", 9), &mut again);
        assert!(again.is_empty());
    }

    #[test]
    fn a_cut_stream_is_unfinished_and_codes_follow_the_status() {
        let (_, result, mut s) = run(
            &[r#"{"type":"response.in_progress","sequence_number":1}"#],
            None,
        );
        assert!(result.is_ok());
        let Some(StreamFailure::Provider { message }) = s.unfinished() else {
            panic!()
        };
        assert!(message.contains("openai closed the responses stream before any terminal event"));
        let mut tail = Vec::new();
        s.failure(429, &message, ("resp_new", 9), &mut tail);
        let tail = String::from_utf8(tail).unwrap();
        assert!(
            tail.contains(
                "{\"id\":\"resp_new\",\"created_at\":9,\"error\":{\"code\":\"rate_limit_exceeded\""
            ),
            "{tail}"
        );
        assert!(tail.contains("\"sequence_number\":2}"), "{tail}");
        assert_eq!(
            failure_code(Some("insufficient_quota"), 500),
            "insufficient_quota"
        );
        assert_eq!(failure_code(Some("500"), 404), "not_found_error");
        assert_eq!(failure_code(None, 502), "server_error");
    }

    #[test]
    fn unreadable_events_fail() {
        for bad in ["{", "[1]", "\"x\""] {
            let mut s = ResponsesStream::new("openai", None, None);
            assert!(
                s.event(bad.as_bytes(), "m", &mut Vec::new()).is_err(),
                "{bad}"
            );
        }
    }
}
