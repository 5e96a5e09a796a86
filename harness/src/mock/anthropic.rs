//! Anthropic Messages bodies and the named-event SSE stream of `/v1/messages`.

use super::openai::{push_number, word, CONTENT, PROMPT_TOKENS, WORDS};

fn usage(out: &mut Vec<u8>, output_tokens: usize) {
    out.extend_from_slice(b"{\"input_tokens\":");
    push_number(out, PROMPT_TOKENS);
    out.extend_from_slice(b",\"output_tokens\":");
    push_number(out, output_tokens);
    out.push(b'}');
}

/// Non-stream `message`; `model` is already a JSON string literal.
pub fn message(out: &mut Vec<u8>, model: &str, with_usage: bool) {
    out.extend_from_slice(
        b"{\"id\":\"msg_mock\",\"type\":\"message\",\"role\":\"assistant\",\"model\":",
    );
    out.extend_from_slice(model.as_bytes());
    out.extend_from_slice(b",\"content\":[{\"type\":\"text\",\"text\":\"");
    out.extend_from_slice(CONTENT.as_bytes());
    out.extend_from_slice(b"\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null");
    if with_usage {
        out.extend_from_slice(b",\"usage\":");
        usage(out, WORDS.len());
    }
    out.push(b'}');
}

/// Events before the first text delta: message_start, content_block_start, ping.
const LEAD_EVENTS: usize = 3;
/// Events after the last delta: content_block_stop, message_delta, message_stop.
const TAIL_EVENTS: usize = 3;

/// One `event: name\ndata: {...}\n\n` of a Messages stream with `chunks` text deltas.
#[derive(Debug, Clone, Copy)]
pub struct AnthropicEvent<'a> {
    pub model: &'a str,
    pub chunks: usize,
    pub with_usage: bool,
}

impl AnthropicEvent<'_> {
    pub fn count(&self) -> usize {
        LEAD_EVENTS + self.chunks + TAIL_EVENTS
    }

    /// Events sent by `/truncate`: the lead and half of the deltas.
    pub fn truncated_count(&self) -> usize {
        LEAD_EVENTS + self.chunks / 2
    }

    pub fn render(&self, index: usize, out: &mut Vec<u8>) {
        let delta_end = LEAD_EVENTS + self.chunks;
        match index {
            0 => {
                out.extend_from_slice(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_mock\",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
                out.extend_from_slice(self.model.as_bytes());
                out.extend_from_slice(
                    b",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null",
                );
                if self.with_usage {
                    out.extend_from_slice(b",\"usage\":");
                    usage(out, 1);
                }
                out.extend_from_slice(b"}}\n\n");
            }
            1 => out.extend_from_slice(b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"),
            2 => out.extend_from_slice(b"event: ping\ndata: {\"type\":\"ping\"}\n\n"),
            i if i < delta_end => {
                out.extend_from_slice(b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"");
                out.extend_from_slice(word(i - LEAD_EVENTS).as_bytes());
                out.extend_from_slice(b"\"}}\n\n");
            }
            i if i == delta_end => out.extend_from_slice(
                b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            ),
            i if i == delta_end + 1 => {
                out.extend_from_slice(b"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null}");
                if self.with_usage {
                    out.extend_from_slice(b",\"usage\":{\"output_tokens\":");
                    push_number(out, self.chunks);
                    out.push(b'}');
                }
                out.extend_from_slice(b"}\n\n");
            }
            _ => out.extend_from_slice(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn message_is_valid() {
        let mut out = Vec::new();
        message(&mut out, "\"claude\"", true);
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["model"], "claude");
        assert_eq!(value["content"][0]["text"], CONTENT);
        assert_eq!(value["usage"]["output_tokens"], 6);
    }

    #[test]
    fn stream_names_events_in_order() {
        let stream = AnthropicEvent {
            model: "\"claude\"",
            chunks: 2,
            with_usage: true,
        };
        let mut names = Vec::new();
        for index in 0..stream.count() {
            let mut out = Vec::new();
            stream.render(index, &mut out);
            let text = String::from_utf8(out).unwrap();
            let (event, data) = text.split_once('\n').unwrap();
            let name = event.strip_prefix("event: ").unwrap();
            let value: Value =
                serde_json::from_str(data.strip_prefix("data: ").unwrap().trim_end()).unwrap();
            assert_eq!(value["type"], name);
            names.push(name.to_owned());
        }
        assert_eq!(
            names,
            [
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
    }
}
