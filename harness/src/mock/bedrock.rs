//! Bedrock Converse answers (`POST /model/{modelId}/converse`) and ConverseStream's AWS
//! event-stream messages (`/converse-stream`), in the shapes of the Bedrock API reference
//! ("Converse", "ConverseStream") and the AWS event-stream encoding (a prelude of total and
//! header lengths with its CRC32, string headers, the JSON payload, the message's CRC32).
//!
//! Claude through the Invoke API (`/model/{modelId}/invoke`, `/invoke-with-response-stream`)
//! answers in Anthropic's Messages format; its stream is AWS event-stream `chunk` messages,
//! each an Anthropic event base64-encoded in `{"bytes": ...}`, the last one carrying
//! `amazon-bedrock-invocationMetrics` (the Bedrock user guide, "InvokeModelWithResponseStream"
//! and the Anthropic Claude Messages API parameters).
//!
//! The encodings are written here, independently of the gateway's decoders, so a mistake on
//! one side is not mirrored on the other.

use super::openai::{push_number, word, CONTENT, PROMPT_TOKENS, WORDS};

/// Which Converse call a path names: `Some(stream)` for `/model/{id}/converse[-stream]`.
pub fn converse_stream(path: &str) -> Option<bool> {
    let (head, call) = path.rsplit_once('/')?;
    let stream = match call {
        "converse" => false,
        "converse-stream" => true,
        _ => return None,
    };
    let (_, model) = head.rsplit_once("/model/")?;
    (!model.is_empty()).then_some(stream)
}

/// Which Invoke call a path names: `Some(stream)` for
/// `/model/{id}/invoke[-with-response-stream]`, with the model id.
pub fn invoke_stream(path: &str) -> Option<(bool, &str)> {
    let (head, call) = path.rsplit_once('/')?;
    let stream = match call {
        "invoke" => false,
        "invoke-with-response-stream" => true,
        _ => return None,
    };
    let (_, model) = head.rsplit_once("/model/")?;
    (!model.is_empty()).then_some((stream, model))
}

/// The answer of Bedrock's Rerank API (`POST /rerank` on the agent runtime; the API
/// reference's "Rerank") to a body with its `queries` and `sources`: the first
/// `numberOfResults` sources, later ones scoring lower, without their documents. `None` for
/// another body (vLLM's and Cohere's reranks share the path's end).
pub fn rerank_answer(body: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let body: serde_json::Value = serde_json::from_slice(body).ok()?;
    body.get("queries")?;
    let Some(sources) = body.get("sources").and_then(|s| s.as_array()) else {
        return Some(Err(
            "1 validation error detected: sources must not be null".into()
        ));
    };
    let config = body.pointer("/rerankingConfiguration/bedrockRerankingConfiguration");
    if config
        .and_then(|c| c.pointer("/modelConfiguration/modelArn"))
        .is_none()
    {
        return Some(Err(
            "1 validation error detected: modelArn must not be null".into(),
        ));
    }
    let count = config
        .and_then(|c| c.get("numberOfResults"))
        .and_then(|n| n.as_u64())
        .map_or(sources.len(), |n| n as usize);
    let results: Vec<serde_json::Value> = (0..sources.len().min(count))
        .map(|i| serde_json::json!({"index": i, "relevanceScore": 1.0 / (i as f64 + 2.0)}))
        .collect();
    Some(Ok(serde_json::json!({"results": results})
        .to_string()
        .into_bytes()))
}

/// The answer of an embedding model on Invoke, by the request's shape (the Bedrock user
/// guide's Titan and Cohere Embed parameters): Titan's `inputText` (or `inputImage`) gets one
/// vector (`embeddingsByType` too for v2) and `inputTextTokenCount` (a token per word);
/// Cohere's `texts` get a vector each (by type when `embedding_types` is asked). The vectors
/// have the asked dimensions (Titan's `dimensions` or `embeddingConfig`, Cohere's
/// `output_dimension`), else 4, their values from the text. `None` for other bodies.
pub fn embedding_answer(body: &serde_json::Value, path: &str) -> Option<Vec<u8>> {
    use serde_json::json;
    let vector = |seed: usize, dims: usize| -> Vec<f64> {
        (0..dims).map(|i| ((seed + i) % 7) as f64 / 8.0).collect()
    };
    if let Some(text) = body
        .get("inputText")
        .or(body.get("inputImage"))
        .and_then(|t| t.as_str())
    {
        let dims = body
            .get("dimensions")
            .or(body.pointer("/embeddingConfig/outputEmbeddingLength"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(4) as usize;
        let v = vector(text.len(), dims.min(4096));
        let mut answer =
            json!({"embedding": v, "inputTextTokenCount": text.split_whitespace().count().max(1)});
        if path.contains("titan-embed-text-v2") {
            let by_type: serde_json::Map<String, serde_json::Value> = body
                .get("embeddingTypes")
                .and_then(|t| t.as_array())
                .map_or_else(|| vec![json!("float")], Clone::clone)
                .iter()
                .filter_map(|t| t.as_str())
                .map(|t| {
                    let value = if t == "binary" {
                        json!(v.iter().map(|x| u8::from(*x > 0.3)).collect::<Vec<_>>())
                    } else {
                        json!(v)
                    };
                    (t.to_owned(), value)
                })
                .collect();
            answer["embeddingsByType"] = serde_json::Value::Object(by_type);
        }
        return Some(answer.to_string().into_bytes());
    }
    let texts = body.get("texts")?.as_array()?;
    let dims = body
        .get("output_dimension")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(4) as usize;
    let vectors: Vec<Vec<f64>> = texts
        .iter()
        .map(|t| vector(t.as_str().map_or(0, str::len), dims.min(4096)))
        .collect();
    let mut answer = json!({"id": "emb-mock", "texts": texts});
    match body.get("embedding_types").and_then(|t| t.as_array()) {
        Some(types) => {
            let by_type: serde_json::Map<String, serde_json::Value> = types
                .iter()
                .filter_map(|t| t.as_str())
                .map(|t| (t.to_owned(), json!(vectors)))
                .collect();
            answer["embeddings"] = serde_json::Value::Object(by_type);
            answer["response_type"] = json!("embeddings_by_type");
        }
        None => {
            answer["embeddings"] = json!(vectors);
            answer["response_type"] = json!("embeddings_floats");
        }
    }
    Some(answer.to_string().into_bytes())
}

/// Standard base64 (RFC 4648 §4, padded).
fn base64(data: &[u8], out: &mut Vec<u8>) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for group in data.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]);
            } else {
                out.push(b'=');
            }
        }
    }
}

/// Wraps one Anthropic server-sent event (`event: ...\ndata: {...}\n\n`) as an Invoke
/// stream's `chunk` message; `message_stop` gets the invocation metrics.
pub fn invoke_chunk(sse_event: &[u8], with_usage: bool, output_tokens: usize, out: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(sse_event);
    let Some(data) = text.lines().find_map(|l| l.strip_prefix("data: ")) else {
        return;
    };
    let mut json = data.trim().as_bytes().to_vec();
    if data.contains("\"type\":\"message_stop\"") && with_usage && json.ends_with(b"}") {
        json.pop();
        json.extend_from_slice(b",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":");
        push_number(&mut json, PROMPT_TOKENS);
        json.extend_from_slice(b",\"outputTokenCount\":");
        push_number(&mut json, output_tokens);
        json.extend_from_slice(b",\"invocationLatency\":12,\"firstByteLatency\":3}}");
    }
    let mut payload = b"{\"bytes\":\"".to_vec();
    base64(&json, &mut payload);
    payload.extend_from_slice(b"\",\"p\":\"abcd\"}");
    message("chunk", &payload, out);
}

fn usage(out: &mut Vec<u8>, output: usize) {
    out.extend_from_slice(b"{\"inputTokens\":");
    push_number(out, PROMPT_TOKENS);
    out.extend_from_slice(b",\"outputTokens\":");
    push_number(out, output);
    out.extend_from_slice(b",\"totalTokens\":");
    push_number(out, PROMPT_TOKENS + output);
    out.push(b'}');
}

/// Non-stream Converse answer.
pub fn answer(out: &mut Vec<u8>, with_usage: bool) {
    out.extend_from_slice(
        b"{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"",
    );
    out.extend_from_slice(CONTENT.as_bytes());
    out.extend_from_slice(b"\"}]}},\"stopReason\":\"end_turn\"");
    if with_usage {
        out.extend_from_slice(b",\"usage\":");
        usage(out, WORDS.len());
    }
    out.extend_from_slice(b",\"metrics\":{\"latencyMs\":1}}");
}

/// One AWS event-stream message of type `event` named `name` carrying `payload`.
pub fn message(name: &str, payload: &[u8], out: &mut Vec<u8>) {
    let mut headers = Vec::with_capacity(96);
    for (key, value) in [
        (":event-type", name),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ] {
        headers.push(key.len() as u8);
        headers.extend_from_slice(key.as_bytes());
        headers.push(7); // string
        headers.extend_from_slice(&(value.len() as u16).to_be_bytes());
        headers.extend_from_slice(value.as_bytes());
    }
    let total = 12 + headers.len() + payload.len() + 4;
    let start = out.len();
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out[start..start + 8]);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&headers);
    out.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&message_crc.to_be_bytes());
}

/// Messages before the first text delta (messageStart) and after the last
/// (contentBlockStop, messageStop, metadata).
const LEAD: usize = 1;
const TAIL: usize = 3;

/// One message of a ConverseStream with `chunks` text deltas.
#[derive(Debug, Clone, Copy)]
pub struct BedrockEvent {
    pub chunks: usize,
    pub with_usage: bool,
}

impl BedrockEvent {
    pub fn count(&self) -> usize {
        LEAD + self.chunks + TAIL
    }

    pub fn render(&self, index: usize, out: &mut Vec<u8>) {
        let delta_end = LEAD + self.chunks;
        let mut payload = Vec::with_capacity(96);
        let name = match index {
            0 => {
                payload.extend_from_slice(b"{\"role\":\"assistant\"}");
                "messageStart"
            }
            i if i < delta_end => {
                payload.extend_from_slice(b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"");
                payload.extend_from_slice(word(i - LEAD).as_bytes());
                payload.extend_from_slice(b"\"}}");
                "contentBlockDelta"
            }
            i if i == delta_end => {
                payload.extend_from_slice(b"{\"contentBlockIndex\":0}");
                "contentBlockStop"
            }
            i if i == delta_end + 1 => {
                payload.extend_from_slice(b"{\"stopReason\":\"end_turn\"}");
                "messageStop"
            }
            _ => {
                payload.extend_from_slice(b"{\"usage\":");
                if self.with_usage {
                    usage(&mut payload, self.chunks);
                } else {
                    payload.extend_from_slice(b"{}");
                }
                payload.extend_from_slice(b",\"metrics\":{\"latencyMs\":1}}");
                "metadata"
            }
        };
        message(name, &payload, out);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc4648_spells_it() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = Vec::new();
            base64(plain.as_bytes(), &mut out);
            assert_eq!(out, encoded.as_bytes());
        }
    }

    #[test]
    fn invoke_paths_name_the_call() {
        assert_eq!(
            invoke_stream("/model/anthropic.claude-3-5-sonnet-20240620-v1:0/invoke"),
            Some((false, "anthropic.claude-3-5-sonnet-20240620-v1:0"))
        );
        assert_eq!(
            invoke_stream("/model/m/invoke-with-response-stream"),
            Some((true, "m"))
        );
        assert_eq!(invoke_stream("/model/m/converse"), None);
    }

    #[test]
    fn paths_name_the_call() {
        assert_eq!(
            converse_stream("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"),
            Some(false)
        );
        assert_eq!(converse_stream("/x/model/m/converse-stream"), Some(true));
        assert_eq!(converse_stream("/model//converse"), None);
        assert_eq!(converse_stream("/v1/chat/completions"), None);
    }

    #[test]
    fn messages_carry_their_lengths_and_checksums() {
        let stream = BedrockEvent {
            chunks: 2,
            with_usage: true,
        };
        let mut all = Vec::new();
        for i in 0..stream.count() {
            stream.render(i, &mut all);
        }
        let mut at = 0;
        let mut names = Vec::new();
        while at < all.len() {
            let total = u32::from_be_bytes(all[at..at + 4].try_into().unwrap()) as usize;
            let headers = u32::from_be_bytes(all[at + 4..at + 8].try_into().unwrap()) as usize;
            let prelude_crc = u32::from_be_bytes(all[at + 8..at + 12].try_into().unwrap());
            assert_eq!(prelude_crc, crc32fast::hash(&all[at..at + 8]));
            let end = at + total;
            let crc = u32::from_be_bytes(all[end - 4..end].try_into().unwrap());
            assert_eq!(crc, crc32fast::hash(&all[at..end - 4]));
            let payload = &all[at + 12 + headers..end - 4];
            serde_json::from_slice::<serde_json::Value>(payload).unwrap();
            // The first header: `:event-type` (1 + 11 bytes), its type, its length, its value.
            let first = at + 12;
            assert_eq!(&all[first + 1..first + 12], b":event-type");
            let len = u16::from_be_bytes([all[first + 13], all[first + 14]]) as usize;
            names.push(String::from_utf8(all[first + 15..first + 15 + len].to_vec()).unwrap());
            at = end;
        }
        assert_eq!(
            names,
            [
                "messageStart",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata"
            ]
        );
    }
}
