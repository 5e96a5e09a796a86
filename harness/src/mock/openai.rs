//! OpenAI chat.completion, text_completion and model-list bodies and their stream events.
//!
//! Bodies are static fragments around the echoed `model`, so rendering is a few memcpys.

/// `created` in every body: fixed so replies are byte-for-byte reproducible.
pub const CREATED: &str = "1700000000";
/// `prompt_tokens` reported for every request, whatever it contained.
pub const PROMPT_TOKENS: usize = 10;
/// The non-stream content, and the words streams cycle through one per chunk.
pub const CONTENT: &str = "Hello from the mock provider.";
pub const WORDS: [&str; 6] = ["Hello", " from", " the", " mock", " provider", "."];

/// Text of stream content chunk `index`.
pub fn word(index: usize) -> &'static str {
    WORDS[index % WORDS.len()]
}

/// A usage object: `{"prompt_tokens":10,"completion_tokens":n,"total_tokens":10+n}`.
pub fn usage(out: &mut Vec<u8>, completion_tokens: usize) {
    out.extend_from_slice(b"{\"prompt_tokens\":");
    push_number(out, PROMPT_TOKENS);
    out.extend_from_slice(b",\"completion_tokens\":");
    push_number(out, completion_tokens);
    out.extend_from_slice(b",\"total_tokens\":");
    push_number(out, PROMPT_TOKENS + completion_tokens);
    out.push(b'}');
}

pub fn push_number(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Non-stream `chat.completion`; `model` is already a JSON string literal, and so is
/// `service_tier` (the request's, echoed as the tier served) when given.
pub fn chat_completion(
    out: &mut Vec<u8>,
    model: &str,
    with_usage: bool,
    service_tier: Option<&str>,
) {
    out.extend_from_slice(b"{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion\",\"created\":");
    out.extend_from_slice(CREATED.as_bytes());
    out.extend_from_slice(b",\"model\":");
    out.extend_from_slice(model.as_bytes());
    out.extend_from_slice(
        b",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"",
    );
    out.extend_from_slice(CONTENT.as_bytes());
    out.extend_from_slice(b"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}]");
    if with_usage {
        out.extend_from_slice(b",\"usage\":");
        usage(out, WORDS.len());
    }
    if let Some(tier) = service_tier {
        out.extend_from_slice(b",\"service_tier\":");
        out.extend_from_slice(tier.as_bytes());
    }
    out.extend_from_slice(b",\"system_fingerprint\":\"fp_mock\"}");
}

/// Non-stream `text_completion`.
pub fn text_completion(out: &mut Vec<u8>, model: &str, with_usage: bool) {
    out.extend_from_slice(b"{\"id\":\"cmpl-mock\",\"object\":\"text_completion\",\"created\":");
    out.extend_from_slice(CREATED.as_bytes());
    out.extend_from_slice(b",\"model\":");
    out.extend_from_slice(model.as_bytes());
    out.extend_from_slice(b",\"choices\":[{\"text\":\"");
    out.extend_from_slice(CONTENT.as_bytes());
    out.extend_from_slice(b"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}]");
    if with_usage {
        out.extend_from_slice(b",\"usage\":");
        usage(out, WORDS.len());
    }
    out.push(b'}');
}

/// `GET .../models`: a fixed list covering each family the mock speaks.
pub const MODEL_LIST: &str = concat!(
    "{\"object\":\"list\",\"data\":[",
    "{\"id\":\"gpt-4o-mini\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"corelane-mock\"},",
    "{\"id\":\"gpt-3.5-turbo-instruct\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"corelane-mock\"},",
    "{\"id\":\"text-embedding-3-small\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"corelane-mock\"},",
    "{\"id\":\"claude-3-5-sonnet-20241022\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"corelane-mock\"}",
    "]}"
);

/// Which OpenAI object a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenAiStream {
    Chat,
    Text,
}

/// One `data: {...}\n\n` event of an OpenAI stream.
///
/// Events: `chunks` content chunks, the finish chunk, the usage chunk (when `usage_chunk`),
/// then `[DONE]`. When the client asked for usage, every chunk carries `"usage":null` as
/// OpenAI's does, so a gateway must cope with it.
#[derive(Debug, Clone, Copy)]
pub struct OpenAiEvent<'a> {
    pub kind: OpenAiStream,
    pub model: &'a str,
    pub chunks: usize,
    pub include_usage: bool,
    pub usage_chunk: bool,
}

impl OpenAiEvent<'_> {
    pub fn count(&self) -> usize {
        self.chunks + 2 + usize::from(self.usage_chunk)
    }

    pub fn render(&self, index: usize, out: &mut Vec<u8>) {
        if index == self.count() - 1 {
            out.extend_from_slice(b"data: [DONE]\n\n");
            return;
        }
        out.extend_from_slice(b"data: ");
        match self.kind {
            OpenAiStream::Chat => out.extend_from_slice(
                b"{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\",\"created\":",
            ),
            OpenAiStream::Text => out.extend_from_slice(
                b"{\"id\":\"cmpl-mock\",\"object\":\"text_completion\",\"created\":",
            ),
        }
        out.extend_from_slice(CREATED.as_bytes());
        out.extend_from_slice(b",\"model\":");
        out.extend_from_slice(self.model.as_bytes());
        out.extend_from_slice(b",\"choices\":[");
        if index < self.chunks {
            self.content_choice(index, out);
        } else if index == self.chunks {
            match self.kind {
                OpenAiStream::Chat => out.extend_from_slice(
                    b"{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}",
                ),
                OpenAiStream::Text => out.extend_from_slice(
                    b"{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}",
                ),
            }
        }
        out.push(b']');
        if index == self.chunks + 1 {
            out.extend_from_slice(b",\"usage\":");
            usage(out, self.chunks);
        } else if self.include_usage {
            out.extend_from_slice(b",\"usage\":null");
        }
        out.extend_from_slice(b"}\n\n");
    }

    fn content_choice(&self, index: usize, out: &mut Vec<u8>) {
        match self.kind {
            OpenAiStream::Chat => {
                out.extend_from_slice(b"{\"index\":0,\"delta\":{");
                if index == 0 {
                    out.extend_from_slice(b"\"role\":\"assistant\",");
                }
                out.extend_from_slice(b"\"content\":\"");
                out.extend_from_slice(word(index).as_bytes());
                out.extend_from_slice(b"\"},\"logprobs\":null,\"finish_reason\":null}");
            }
            OpenAiStream::Text => {
                out.extend_from_slice(b"{\"text\":\"");
                out.extend_from_slice(word(index).as_bytes());
                out.extend_from_slice(b"\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn json(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn chat_completion_is_valid_and_echoes_model() {
        let mut out = Vec::new();
        chat_completion(&mut out, "\"my \\\"model\\\"\"", true, Some("\"flex\""));
        let value = json(&out);
        assert_eq!(value["model"], "my \"model\"");
        assert_eq!(value["choices"][0]["message"]["content"], CONTENT);
        assert_eq!(value["usage"]["total_tokens"], 16);
        assert_eq!(value["service_tier"], "flex");
        out.clear();
        chat_completion(&mut out, "\"m\"", false, None);
        assert!(json(&out).get("usage").is_none());
        assert!(json(&out).get("service_tier").is_none());
    }

    #[test]
    fn text_completion_and_model_list_are_valid() {
        let mut out = Vec::new();
        text_completion(&mut out, "\"m\"", true);
        assert_eq!(json(&out)["choices"][0]["text"], CONTENT);
        assert_eq!(json(MODEL_LIST.as_bytes())["data"][0]["id"], "gpt-4o-mini");
    }

    #[test]
    fn stream_events_in_order() {
        let stream = OpenAiEvent {
            kind: OpenAiStream::Chat,
            model: "\"m\"",
            chunks: 3,
            include_usage: true,
            usage_chunk: true,
        };
        assert_eq!(stream.count(), 6);
        let events: Vec<Vec<u8>> = (0..stream.count())
            .map(|i| {
                let mut out = Vec::new();
                stream.render(i, &mut out);
                out
            })
            .collect();
        let data = |i: usize| json(&events[i][6..events[i].len() - 2]);
        assert_eq!(data(0)["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(data(0)["choices"][0]["delta"]["content"], "Hello");
        assert!(data(0)["usage"].is_null());
        assert!(data(1)["choices"][0]["delta"].get("role").is_none());
        assert_eq!(data(3)["choices"][0]["finish_reason"], "stop");
        assert_eq!(data(4)["choices"].as_array().unwrap().len(), 0);
        assert_eq!(data(4)["usage"]["completion_tokens"], 3);
        assert_eq!(events[5], b"data: [DONE]\n\n");
    }
}
