//! `litellm_params.mock_response`: the bodies and stream chunks LiteLLM's `mock_completion`
//! returns, with ids and times passed in.
//!
//! LiteLLM facts followed: usage is always 10 prompt / 20 completion / 30 total tokens; a
//! streamed mock is cut into 3-character pieces (`mock_completion_streaming_obj`), the first
//! delta carries `role: assistant`, the last chunk has an empty delta and `finish_reason:
//! "stop"`; `system_fingerprint` is null; an embedding mock is a 1536-dimension zero vector
//! with 10 prompt tokens.

use crate::json::write_json_string;
use crate::usage::Usage;

/// Characters per streamed piece, as LiteLLM's `mock_completion_streaming_obj`.
pub const STREAM_PIECE_CHARS: usize = 3;

/// Dimensions of LiteLLM's default mock embedding (`[0.0] * 1536`).
pub const EMBEDDING_DIMENSIONS: usize = 1536;

/// Identity of one mocked response: the id (`chatcmpl-...`), creation time (Unix seconds) and
/// the model name the client sees.
#[derive(Debug, Clone, Copy)]
pub struct MockMeta<'a> {
    pub id: &'a str,
    pub created: u64,
    pub model: &'a str,
}

/// LiteLLM's fixed mock usage.
pub fn mock_usage() -> Usage {
    Usage::counts(10, 20, 30)
}

/// Appends a `chat.completion` body answering `content`.
pub fn chat_completion(content: &str, meta: &MockMeta, out: &mut Vec<u8>) {
    head(meta, "chat.completion", out);
    out.extend_from_slice(
        b",\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"content\":",
    );
    write_json_string(content, out);
    out.extend_from_slice(
        b",\"role\":\"assistant\",\"tool_calls\":null,\"function_call\":null}}],",
    );
    usage(out);
    out.push(b'}');
}

/// The data payloads of a streamed mock (without `data: ` and without `[DONE]`); the usage-only
/// chunk comes last when `include_usage`.
pub fn chat_stream(content: &str, meta: &MockMeta, include_usage: bool) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut first = true;
    for piece in pieces(content) {
        let mut c = Vec::with_capacity(160 + piece.len());
        head(meta, "chat.completion.chunk", &mut c);
        c.extend_from_slice(b",\"choices\":[{\"index\":0,\"delta\":{\"content\":");
        write_json_string(piece, &mut c);
        if first {
            c.extend_from_slice(b",\"role\":\"assistant\"");
        }
        c.extend_from_slice(b"},\"finish_reason\":null}]}");
        chunks.push(c);
        first = false;
    }
    let mut last = Vec::with_capacity(160);
    head(meta, "chat.completion.chunk", &mut last);
    last.extend_from_slice(
        b",\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}]}",
    );
    chunks.push(last);
    if include_usage {
        let mut u = Vec::with_capacity(200);
        head(meta, "chat.completion.chunk", &mut u);
        u.extend_from_slice(b",\"choices\":[],");
        usage(&mut u);
        u.push(b'}');
        chunks.push(u);
    }
    chunks
}

/// Appends a `text_completion` body (the `/completions` mock).
pub fn text_completion(content: &str, meta: &MockMeta, out: &mut Vec<u8>) {
    head(meta, "text_completion", out);
    out.extend_from_slice(b",\"choices\":[{\"text\":");
    write_json_string(content, out);
    out.extend_from_slice(b",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}],");
    usage(out);
    out.push(b'}');
}

/// Appends an Anthropic `message` answering `content` (a mocked `/v1/messages`), with the
/// mock usage as Anthropic counts it.
pub fn message(content: &str, meta: &MockMeta, out: &mut Vec<u8>) {
    message_head(meta, out);
    out.extend_from_slice(b"[{\"type\":\"text\",\"text\":");
    write_json_string(content, out);
    out.extend_from_slice(b"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,");
    message_usage(mock_usage().completion_tokens, out);
    out.push(b'}');
}

/// The events of a streamed mocked message, in Anthropic's order (`message_start`, one text
/// block in 3-character deltas, `message_delta` with the usage, `message_stop`), each as
/// `event: ...\ndata: ...` without the blank line that ends it.
pub fn message_stream(content: &str, meta: &MockMeta) -> Vec<Vec<u8>> {
    let event = |name: &str, data: &dyn Fn(&mut Vec<u8>)| {
        let mut e = format!("event: {name}\ndata: ").into_bytes();
        data(&mut e);
        e
    };
    let mut events = vec![
        event("message_start", &|e| {
            e.extend_from_slice(b"{\"type\":\"message_start\",\"message\":");
            message_head(meta, e);
            e.extend_from_slice(b"[],\"stop_reason\":null,\"stop_sequence\":null,");
            message_usage(0, e);
            e.extend_from_slice(b"}}");
        }),
        event("content_block_start", &|e| {
            e.extend_from_slice(br#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)
        }),
    ];
    for piece in pieces(content) {
        events.push(event("content_block_delta", &|e| {
            e.extend_from_slice(
                br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"#,
            );
            write_json_string(piece, e);
            e.extend_from_slice(b"}}");
        }));
    }
    events.push(event("content_block_stop", &|e| {
        e.extend_from_slice(br#"{"type":"content_block_stop","index":0}"#)
    }));
    events.push(event("message_delta", &|e| {
        e.extend_from_slice(br#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":"#);
        e.extend_from_slice(itoa::Buffer::new().format(mock_usage().completion_tokens).as_bytes());
        e.extend_from_slice(b"}}");
    }));
    events.push(event("message_stop", &|e| {
        e.extend_from_slice(br#"{"type":"message_stop"}"#)
    }));
    events
}

/// `{"id":..,"type":"message","role":"assistant","model":..,"content":` (the content follows).
fn message_head(meta: &MockMeta, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":");
    write_json_string(meta.id, out);
    out.extend_from_slice(b",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
    write_json_string(meta.model, out);
    out.extend_from_slice(b",\"content\":");
}

fn message_usage(output_tokens: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"\"usage\":{\"input_tokens\":");
    out.extend_from_slice(
        itoa::Buffer::new()
            .format(mock_usage().prompt_tokens)
            .as_bytes(),
    );
    out.extend_from_slice(b",\"output_tokens\":");
    out.extend_from_slice(itoa::Buffer::new().format(output_tokens).as_bytes());
    out.push(b'}');
}

/// `content` cut into [`STREAM_PIECE_CHARS`]-character pieces.
fn pieces(content: &str) -> impl Iterator<Item = &str> {
    let mut rest = content;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = rest
            .char_indices()
            .nth(STREAM_PIECE_CHARS)
            .map_or(rest.len(), |(i, _)| i);
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        Some(piece)
    })
}

/// An OCR answer (`/v1/ocr`) of one page whose markdown is `content`.
pub fn ocr(content: &str, meta: &MockMeta, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"pages\":[{\"index\":0,\"markdown\":");
    write_json_string(content, out);
    out.extend_from_slice(b",\"images\":[],\"dimensions\":null}],\"model\":");
    write_json_string(meta.model, out);
    out.extend_from_slice(b",\"document_annotation\":null,\"usage_info\":{\"pages_processed\":1,\"pages_processed_annotation\":null,\"credits\":null,\"doc_size_bytes\":null},\"content\":null,\"tables\":null,\"keyValuePairs\":null,\"object\":\"ocr\"}");
}

/// The usage of LiteLLM's Responses API mock (`mock_responses_api_response`).
pub const RESPONSE_USAGE: Usage = Usage::counts(36, 87, 123);

/// A Responses API answer whose text is `content`: LiteLLM's `mock_responses_api_response`,
/// rebuilt as its proxy returns it (the id wrapped for `origin`, `model` the client's), its
/// usage [`RESPONSE_USAGE`].
pub fn response(
    content: &str,
    meta: &MockMeta,
    origin: &crate::family::Origin<'_>,
    out: &mut Vec<u8>,
) {
    use crate::responses::object::{write_response, Nulls, Rewrite};
    const ID: &str = "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b";
    let mut answer = Vec::with_capacity(1024 + content.len());
    answer.extend_from_slice(br#"{"id":""#);
    answer.extend_from_slice(ID.as_bytes());
    answer.extend_from_slice(br#"","object":"response","created_at":1741476542,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[{"type":"message","id":"msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b","status":"completed","role":"assistant","content":[{"type":"output_text","text":"#);
    write_json_string(content, &mut answer);
    answer.extend_from_slice(br#","annotations":[]}]}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{},"total_tokens":123},"user":null,"metadata":{}}"#);
    let id = crate::responses::encode_id(origin.provider, origin.model_id, ID);
    let rewrite = Rewrite {
        id: Some(&id),
        model: Some(meta.model),
        cost: None,
    };
    write_response(&answer, &rewrite, Nulls::Written, out);
}

/// Appends an embeddings list with one zero vector per input. Deviation: LiteLLM's
/// `mock_embedding` returns a single vector whatever the input count; one per input keeps
/// clients that zip inputs with outputs working.
pub fn embedding(inputs: usize, meta: &MockMeta, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"object\":\"list\",\"data\":[");
    for i in 0..inputs.max(1) {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"object\":\"embedding\",\"index\":");
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
        out.extend_from_slice(b",\"embedding\":[");
        for d in 0..EMBEDDING_DIMENSIONS {
            out.extend_from_slice(if d == 0 { b"0.0" as &[u8] } else { b",0.0" });
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"],\"model\":");
    write_json_string(meta.model, out);
    out.extend_from_slice(
        b",\"usage\":{\"completion_tokens\":0,\"prompt_tokens\":10,\"total_tokens\":10}}",
    );
}

fn head(meta: &MockMeta, object: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":");
    write_json_string(meta.id, out);
    out.extend_from_slice(b",\"created\":");
    out.extend_from_slice(itoa::Buffer::new().format(meta.created).as_bytes());
    out.extend_from_slice(b",\"model\":");
    write_json_string(meta.model, out);
    out.extend_from_slice(b",\"object\":\"");
    out.extend_from_slice(object.as_bytes());
    out.extend_from_slice(b"\",\"system_fingerprint\":null");
}

fn usage(out: &mut Vec<u8>) {
    let u = mock_usage();
    out.extend_from_slice(b"\"usage\":{\"completion_tokens\":");
    out.extend_from_slice(itoa::Buffer::new().format(u.completion_tokens).as_bytes());
    out.extend_from_slice(b",\"prompt_tokens\":");
    out.extend_from_slice(itoa::Buffer::new().format(u.prompt_tokens).as_bytes());
    out.extend_from_slice(b",\"total_tokens\":");
    out.extend_from_slice(itoa::Buffer::new().format(u.total_tokens).as_bytes());
    out.push(b'}');
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const META: MockMeta<'static> = MockMeta {
        id: "chatcmpl-1",
        created: 1700000000,
        model: "g",
    };

    #[test]
    fn chat_body_is_json_with_usage() {
        let mut out = Vec::new();
        chat_completion("hé \"x\"", &META, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "hé \"x\"");
        assert_eq!(v["usage"]["total_tokens"], 30);
        assert_eq!(v["object"], "chat.completion");
    }

    #[test]
    fn stream_pieces_are_three_chars() {
        let chunks = chat_stream("This is a mock request", &META, true);
        let texts: Vec<serde_json::Value> = chunks
            .iter()
            .map(|c| serde_json::from_slice(c).unwrap())
            .collect();
        assert_eq!(texts[0]["choices"][0]["delta"]["content"], "Thi");
        assert_eq!(texts[0]["choices"][0]["delta"]["role"], "assistant");
        assert!(texts[1]["choices"][0]["delta"].get("role").is_none());
        let joined: String = texts
            .iter()
            .filter_map(|t| t["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(joined, "This is a mock request");
        let n = texts.len();
        assert_eq!(texts[n - 2]["choices"][0]["finish_reason"], "stop");
        assert_eq!(texts[n - 1]["choices"].as_array().unwrap().len(), 0);
        assert_eq!(chat_stream("ab", &META, false).len(), 2);
    }

    #[test]
    fn text_and_embedding() {
        let mut out = Vec::new();
        text_completion("x", &META, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["choices"][0]["text"], "x");
        out.clear();
        embedding(2, &META, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["data"].as_array().unwrap().len(), 2);
        assert_eq!(
            v["data"][1]["embedding"].as_array().unwrap().len(),
            EMBEDDING_DIMENSIONS
        );
    }
}
