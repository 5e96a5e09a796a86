//! Provider responses in OpenAI's wire shapes, with the fields and value shapes OpenAI sends
//! today (ids, fingerprints, usage details), compact as OpenAI-compatible servers emit them.

use std::io::Write as _;

use corelane_transforms::write_json_string;

/// The provider's model id; the gateway rewrites it to the group name the client asked for.
pub const PROVIDER_MODEL: &str = "gpt-4o-mini-2024-07-18";

/// Size of [`chat_completion`], matching the harness's fixed nginx mock body.
pub const CHAT_COMPLETION_BYTES: usize = 730;

const ID: &str = "chatcmpl-BkXo5p1pQ8S3nW8dFh2vRk1uYt6Zq";

const ANSWER: &str = "With forecast-nightly capped at 20k calls a day, April would use about 0.6M \
calls above the included 5M instead of 1.2M, so line 7 drops from 96.00 to roughly 48.00. Seats \
(31 x 39.00 = 1,209.00) and the Data Retention add-on (a full month, 150.00) stay as in March, \
which puts April near 1,407.00 before tax. Check the usage report on 1 May to confirm the cap held.";

/// A non-stream `chat.completion` body of exactly [`CHAT_COMPLETION_BYTES`] bytes, with the
/// model near the front and usage (with details objects) at the end.
pub fn chat_completion() -> Vec<u8> {
    let build = |content: &str| {
        let mut out = Vec::with_capacity(CHAT_COMPLETION_BYTES);
        out.extend_from_slice(b"{\"id\":\"");
        out.extend_from_slice(ID.as_bytes());
        out.extend_from_slice(
            b"\",\"object\":\"chat.completion\",\"created\":1750153287,\"model\":\"",
        );
        out.extend_from_slice(PROVIDER_MODEL.as_bytes());
        out.extend_from_slice(
            b"\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":",
        );
        write_json_string(content, &mut out);
        out.extend_from_slice(
            b",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\
\"usage\":{\"prompt_tokens\":512,\"completion_tokens\":74,\"total_tokens\":586,\
\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\
\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,\
\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}},\
\"service_tier\":\"default\",\"system_fingerprint\":\"fp_34a54ae93c\"}",
        );
        out
    };
    // ANSWER is plain ASCII without characters JSON escapes, so one content byte is one body
    // byte and cutting it anywhere keeps it valid.
    let room = CHAT_COMPLETION_BYTES.saturating_sub(build("").len());
    build(&ANSWER[..room.min(ANSWER.len())])
}

/// One `chat.completion.chunk` payload (the data of an SSE event, without `data: `) carrying
/// `piece` as the delta content: about 250 bytes for a one-word piece.
pub fn stream_chunk(piece: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + piece.len());
    chunk_head(&mut out);
    out.extend_from_slice(b",\"choices\":[{\"index\":0,\"delta\":{\"content\":");
    write_json_string(piece, &mut out);
    out.extend_from_slice(b"},\"logprobs\":null,\"finish_reason\":null}]}");
    out
}

fn chunk_head(out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(ID.as_bytes());
    out.extend_from_slice(
        b"\",\"object\":\"chat.completion.chunk\",\"created\":1750153287,\"model\":\"",
    );
    out.extend_from_slice(PROVIDER_MODEL.as_bytes());
    out.extend_from_slice(b"\",\"system_fingerprint\":\"fp_34a54ae93c\"");
}

/// A whole SSE chat stream of `events` events (at least 3): content chunks one word each, the
/// `finish_reason: "stop"` chunk, the usage-only chunk (`choices: []`), and `data: [DONE]`.
pub fn sse_stream(events: usize) -> Vec<u8> {
    let words: Vec<&str> = ANSWER.split_inclusive(' ').collect();
    let mut out = Vec::with_capacity(events * 280);
    for i in 0..events.saturating_sub(3) {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&stream_chunk(words[i % words.len()]));
        out.extend_from_slice(b"\n\n");
    }
    out.extend_from_slice(b"data: ");
    chunk_head(&mut out);
    out.extend_from_slice(
        b",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n",
    );
    out.extend_from_slice(b"data: ");
    chunk_head(&mut out);
    out.extend_from_slice(
        b",\"choices\":[],\"usage\":{\"prompt_tokens\":512,\"completion_tokens\":97,\"total_tokens\":609}}\n\n",
    );
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

/// Dimensions of `text-embedding-3-small` vectors.
pub const EMBEDDING_DIMENSIONS: usize = 1536;

/// An embeddings list of at least `min_bytes`: 1536-dimension vectors with 10-decimal floats
/// (as OpenAI returns them), then `model` and `usage` at the end, where OpenAI puts them — so a
/// rewriter has to scan the whole body to reach the model.
pub fn embeddings(min_bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(min_bytes + 32 * 1024);
    out.extend_from_slice(b"{\"object\":\"list\",\"data\":[");
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut index = 0u64;
    while out.len() < min_bytes {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"object\":\"embedding\",\"index\":");
        out.extend_from_slice(index.to_string().as_bytes());
        out.extend_from_slice(b",\"embedding\":[");
        for d in 0..EMBEDDING_DIMENSIONS {
            if d > 0 {
                out.push(b',');
            }
            // xorshift64: deterministic, spread over (-0.1, 0.1) like normalised embeddings.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let x = (rng >> 11) as f64 / (1u64 << 53) as f64 * 0.2 - 0.1;
            // Writing into a Vec cannot fail.
            let _ = write!(out, "{x:.10}");
        }
        out.extend_from_slice(b"]}");
        index += 1;
    }
    out.extend_from_slice(b"],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":");
    let tokens = (index * 9).to_string();
    out.extend_from_slice(tokens.as_bytes());
    out.extend_from_slice(b",\"total_tokens\":");
    out.extend_from_slice(tokens.as_bytes());
    out.extend_from_slice(b"}}");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use corelane_http1::{single_data, SseFramer};
    use corelane_transforms::{parse_usage, rewrite_complete};

    fn json(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn chat_completion_is_730_bytes_of_json() {
        let body = chat_completion();
        assert_eq!(body.len(), CHAT_COMPLETION_BYTES);
        assert_eq!(json(&body)["model"], PROVIDER_MODEL);
        let mut out = Vec::new();
        let usage = rewrite_complete(&body, "gpt-4o-mini", &mut out).unwrap();
        assert_eq!(usage.total_tokens, 586);
        assert_eq!(json(&out)["model"], "gpt-4o-mini");
    }

    #[test]
    fn stream_chunk_is_about_250_bytes() {
        let chunk = stream_chunk(" invoice");
        assert!((220..=290).contains(&chunk.len()), "{}", chunk.len());
        assert_eq!(json(&chunk)["choices"][0]["delta"]["content"], " invoice");
    }

    #[test]
    fn sse_stream_has_the_asked_events() {
        let stream = sse_stream(100);
        let mut framer = SseFramer::new(64 * 1024);
        framer.push(&stream);
        let mut events = Vec::new();
        while let Some(event) = framer.next_event().unwrap() {
            events.push(single_data(event).unwrap().to_vec());
        }
        assert_eq!(events.len(), 100);
        assert_eq!(events[99], b"[DONE]");
        assert_eq!(json(&events[98])["usage"]["total_tokens"], 609);
        assert!(json(&events[97])["choices"][0]["finish_reason"] == "stop");
    }

    #[test]
    fn embeddings_are_json_with_model_last() {
        let body = embeddings(200_000);
        assert!(body.len() >= 200_000);
        let v = json(&body);
        assert_eq!(v["model"], "text-embedding-3-small");
        assert_eq!(
            v["data"][0]["embedding"].as_array().unwrap().len(),
            EMBEDDING_DIMENSIONS
        );
        let tail = &body[body.len() - 60..];
        let at = tail.windows(8).position(|w| w == b"\"usage\":").unwrap();
        assert!(parse_usage(&tail[at + 8..tail.len() - 1]).is_some());
    }
}
