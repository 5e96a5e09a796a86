//! Anthropic's own Messages API passed through (`/v1/messages` to an Anthropic deployment, and
//! its token counting), as
//! LiteLLM's proxy passes it: the answer keeps its bytes but for `model`, which becomes the
//! name the client asked for (top-level in a message, inside `message` of a stream's
//! `message_start`). Usage is read for metrics and spend: `input_tokens` plus the cache
//! counts as prompt tokens, `output_tokens` as completion tokens (`calculate_usage`).

use super::response::AnthropicUsage;
use super::{get, key_is};
use crate::json::{top_members, write_json_string};
use crate::usage::Usage;

/// The usage of a whole Messages answer, if it reports one.
pub fn message_usage(body: &[u8]) -> Option<Usage> {
    let usage = get(body, "usage")?;
    let mut counts = AnthropicUsage::default();
    counts.merge(usage);
    Some(counts.billed())
}

/// The body of Anthropic's `/v1/messages/count_tokens` for a client's count request: the
/// fields LiteLLM keeps (`_TOKEN_COUNT_FIELDS`: model, messages, tools, system), the model
/// spliced.
pub fn count_tokens_request(body: &[u8], provider_model: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"model\":");
    write_json_string(provider_model, out);
    for key in ["messages", "tools", "system"] {
        if let Some(v) = get(body, key) {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            out.extend_from_slice(v);
        }
    }
    out.push(b'}');
}

/// Anthropic's count answer as LiteLLM returns it: `"litellm_count_source": "provider"` added.
pub fn count_tokens_answer(body: &[u8], out: &mut Vec<u8>) {
    let body = body.trim_ascii_end();
    match body.strip_suffix(b"}") {
        Some(head) if body.trim_ascii_start().starts_with(b"{") => {
            out.extend_from_slice(head);
            let empty = head.trim_ascii_end().ends_with(b"{");
            out.extend_from_slice(if empty { b"" as &[u8] } else { b"," });
            out.extend_from_slice(b"\"litellm_count_source\":\"provider\"}");
        }
        _ => out.extend_from_slice(body),
    }
}

/// A Messages stream passed through, its usage gathered as it goes.
#[derive(Debug, Default)]
pub struct MessagesStream {
    usage: AnthropicUsage,
}

impl MessagesStream {
    /// Writes `event` (whose single data line is `data`) to `out` as it came, but for the
    /// model of `message_start`; returns the usage so far when the event reported some.
    pub fn event(
        &mut self,
        event: &[u8],
        data: &[u8],
        model: &str,
        out: &mut Vec<u8>,
    ) -> Option<Usage> {
        let mut message = None;
        let mut usage = None;
        let mut start = false;
        for m in top_members(data).into_iter().flatten() {
            let v = &data[m.value.clone()];
            if key_is(data, &m.key, "type") {
                start = v == b"\"message_start\"";
            } else if key_is(data, &m.key, "message") {
                message = Some(m.value);
            } else if key_is(data, &m.key, "usage") {
                usage = Some(v);
            }
        }
        match message.filter(|_| start) {
            Some(range) => {
                let message = &data[range.clone()];
                out.extend_from_slice(b"event: message_start\ndata: ");
                out.extend_from_slice(&data[..range.start]);
                write_with_model(message, model, out);
                out.extend_from_slice(&data[range.end..]);
                usage = get(message, "usage");
            }
            None => out.extend_from_slice(event),
        }
        out.extend_from_slice(b"\n\n");
        let reported = usage?;
        self.usage.merge(reported);
        Some(self.usage.billed())
    }
}

/// `obj` with the value of each top-level `model` string replaced by `model`.
fn write_with_model(obj: &[u8], model: &str, out: &mut Vec<u8>) {
    let mut from = 0;
    for m in top_members(obj).into_iter().flatten() {
        if key_is(obj, &m.key, "model") && obj.get(m.value.start) == Some(&b'"') {
            out.extend_from_slice(&obj[from..m.value.start]);
            write_json_string(model, out);
            from = m.value.end;
        }
    }
    out.extend_from_slice(&obj[from..]);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn message_start_gets_the_model_and_the_rest_passes_as_it_came() {
        let mut s = MessagesStream::default();
        let mut out = Vec::new();
        let data = br#"{"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":5,"output_tokens":1}}}"#;
        let mut event = b"event: message_start\ndata: ".to_vec();
        event.extend_from_slice(data);
        let u = s.event(&event, data, "my-group", &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"my-group\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
        );
        assert_eq!((u.prompt_tokens, u.completion_tokens), (5, 1));
        out.clear();
        let data = br#"{"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}"#;
        let mut event = b"event: message_delta\ndata: ".to_vec();
        event.extend_from_slice(data);
        let u = s.event(&event, data, "my-group", &mut out).unwrap();
        assert_eq!(out, [&event[..], b"\n\n"].concat());
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (5, 9, 14)
        );
        out.clear();
        assert!(s
            .event(b"event: ping\ndata: {}", b"{}", "g", &mut out)
            .is_none());
        assert_eq!(out, b"event: ping\ndata: {}\n\n");
    }

    #[test]
    fn whole_message_usage() {
        let u = message_usage(br#"{"model":"m","usage":{"input_tokens":3,"cache_read_input_tokens":4,"output_tokens":2}}"#).unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (7, 2, 9)
        );
        assert!(message_usage(b"{}").is_none());
    }
}
