//! Cohere's v2 API: `/v2/chat` (a whole answer, or its named server-sent events), `/v2/embed`
//! and `/v2/rerank`, in the shapes of docs.cohere.com's API reference ("Chat", "Chat with
//! Streaming", "Embed", "Rerank"). Written from Cohere's reference, not from the gateway's
//! transforms.
//!
//! Requests are checked as Cohere checks them: a JSON body with a `model`, chat `messages`,
//! embed `texts` (or `images`) and an `input_type`, rerank `query` and `documents`; an
//! unscripted chat answer is the mock's usual content, a scripted one (`[[tool:...]]`, see
//! [`super::script`]) a tool call or the tool's result.

use serde_json::{json, Value};

use super::openai::{word, CONTENT, PROMPT_TOKENS, WORDS};
use super::script::{self, Script};

/// Which Cohere endpoint a path names, by its end (any api_base prefix works).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Embed,
    Rerank,
}

impl Endpoint {
    pub fn from_path(path: &str) -> Option<Self> {
        if path.ends_with("/v2/chat") {
            Some(Self::Chat)
        } else if path.ends_with("/v2/embed") {
            Some(Self::Embed)
        } else if path.ends_with("/rerank") {
            // Cohere's `/v2/rerank`, and vLLM's `/rerank` and `/v1/rerank` in its shape.
            Some(Self::Rerank)
        } else {
            None
        }
    }
}

/// Cohere's answer to a request: a whole JSON body, or a stream's events (each framed), or an
/// error (status, message) for Cohere's `{"message": ...}`.
#[derive(Debug)]
pub enum Answer {
    Json(Vec<u8>),
    Events(Vec<Vec<u8>>),
    Error(u16, String),
}

const CALL_ID: &str = "get_weather_mock1";

/// The answer for `endpoint` to `body`; `chunks` content events in an unscripted stream,
/// `dims` floats per embedding unless the request names `output_dimension`.
pub fn answer(
    endpoint: Endpoint,
    body: &[u8],
    chunks: usize,
    dims: usize,
    with_usage: bool,
) -> Answer {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Answer::Error(
                400,
                "invalid request: body must be a JSON object".to_owned(),
            )
        }
    };
    if !request.get("model").is_some_and(Value::is_string) {
        return Answer::Error(400, "invalid request: model must be a string".to_owned());
    }
    match endpoint {
        Endpoint::Chat => chat(&request, body, chunks, with_usage),
        Endpoint::Embed => embed(&request, dims, with_usage),
        Endpoint::Rerank => rerank(&request),
    }
}

fn usage(output: usize) -> Value {
    json!({"billed_units": {"input_tokens": PROMPT_TOKENS, "output_tokens": output},
           "tokens": {"input_tokens": PROMPT_TOKENS + 60, "output_tokens": output}})
}

fn chat(request: &Value, body: &[u8], chunks: usize, with_usage: bool) -> Answer {
    if !request.get("messages").is_some_and(Value::is_array) {
        return Answer::Error(400, "invalid request: messages must be an array".to_owned());
    }
    let stream = request.get("stream").and_then(Value::as_bool) == Some(true);
    let script = script::script(body);
    if stream {
        return Answer::Events(events(script.as_ref(), chunks, with_usage));
    }
    let (message, finish) = match &script {
        Some(Script::Call { name, input }) => (
            json!({"role": "assistant", "tool_plan": "I will call the tool.", "tool_calls": [
                {"id": CALL_ID, "type": "function", "function": {"name": name, "arguments": input.to_string()}}]}),
            "TOOL_CALL",
        ),
        Some(Script::Text(text)) => (
            json!({"role": "assistant", "content": [{"type": "text", "text": text}]}),
            "COMPLETE",
        ),
        None => (
            json!({"role": "assistant", "content": [{"type": "text", "text": CONTENT}]}),
            "COMPLETE",
        ),
    };
    let mut answer = json!({"id": "mock-cohere-1", "finish_reason": finish, "message": message});
    if with_usage {
        answer["usage"] = usage(WORDS.len());
    } else {
        answer["usage"] = json!({});
    }
    Answer::Json(answer.to_string().into_bytes())
}

/// One named event, as Cohere frames them: `event: <type>` then its JSON.
fn event(data: Value) -> Vec<u8> {
    let kind = data["type"].as_str().unwrap_or("").to_owned();
    format!("event: {kind}\ndata: {data}\n\n").into_bytes()
}

fn events(script: Option<&Script>, chunks: usize, with_usage: bool) -> Vec<Vec<u8>> {
    let mut out = vec![event(
        json!({"id": "mock-cohere-s1", "type": "message-start", "delta": {"message": {
        "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
    )];
    let finish = match script {
        Some(Script::Call { name, input }) => {
            out.push(event(json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will call the tool."}}})));
            out.push(event(
                json!({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": {
                "id": CALL_ID, "type": "function", "function": {"name": name, "arguments": ""}}}}}),
            ));
            let args = input.to_string();
            let (a, b) = args.split_at(args.len() / 2);
            for piece in [a, b] {
                out.push(event(
                    json!({"type": "tool-call-delta", "index": 0, "delta": {"message": {
                    "tool_calls": {"function": {"arguments": piece}}}}}),
                ));
            }
            out.push(event(json!({"type": "tool-call-end", "index": 0})));
            "TOOL_CALL"
        }
        other => {
            out.push(event(
                json!({"type": "content-start", "index": 0, "delta": {"message": {
                "content": {"type": "text", "text": ""}}}}),
            ));
            let texts: Vec<String> = match other {
                Some(Script::Text(text)) => vec![text.clone()],
                _ => (0..chunks).map(|i| word(i).to_owned()).collect(),
            };
            for text in texts {
                out.push(event(
                    json!({"type": "content-delta", "index": 0, "delta": {"message": {
                    "content": {"text": text}}}}),
                ));
            }
            out.push(event(json!({"type": "content-end", "index": 0})));
            "COMPLETE"
        }
    };
    let mut delta = json!({"finish_reason": finish});
    if with_usage {
        delta["usage"] = usage(chunks.max(1));
    }
    out.push(event(json!({"type": "message-end", "delta": delta})));
    out
}

fn embed(request: &Value, dims: usize, with_usage: bool) -> Answer {
    let inputs = request
        .get("texts")
        .or_else(|| request.get("images"))
        .and_then(Value::as_array);
    let Some(inputs) = inputs.filter(|i| i.iter().all(Value::is_string)) else {
        return Answer::Error(
            400,
            "invalid request: texts must be a list of strings".to_owned(),
        );
    };
    if !request.get("input_type").is_some_and(Value::is_string) {
        return Answer::Error(
            400,
            "invalid request: input_type is required for embed models v3 and higher".to_owned(),
        );
    }
    let dims = request
        .get("output_dimension")
        .and_then(Value::as_u64)
        .map_or(dims, |d| d as usize)
        .clamp(1, 4096);
    let types: Vec<String> = match request.get("embedding_types").and_then(Value::as_array) {
        Some(types) => types
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        None => vec!["float".to_owned()],
    };
    let mut embeddings = serde_json::Map::new();
    for t in types {
        let floats = |i: usize| (0..dims).map(move |d| (i * dims + d) as f64 / 1000.0);
        let vectors: Vec<Value> = (0..inputs.len())
            .map(|i| match t.as_str() {
                // Cohere's base64 type: the float32 vector's little-endian bytes.
                "base64" => {
                    let bytes: Vec<u8> = floats(i).flat_map(|f| (f as f32).to_le_bytes()).collect();
                    let mut text = Vec::new();
                    super::embeddings::base64(&bytes, &mut text);
                    json!(String::from_utf8_lossy(&text))
                }
                "int8" | "uint8" | "binary" | "ubinary" => json!(vec![i as i64; dims]),
                _ => json!(floats(i).collect::<Vec<_>>()),
            })
            .collect();
        embeddings.insert(t, Value::Array(vectors));
    }
    let mut answer = json!({"id": "mock-embed-1", "embeddings": embeddings, "texts": inputs,
        "response_type": "embeddings_by_type"});
    if with_usage {
        answer["meta"] = json!({"api_version": {"version": "2"},
            "billed_units": {"input_tokens": 2 * inputs.len()}});
    }
    Answer::Json(answer.to_string().into_bytes())
}

fn rerank(request: &Value) -> Answer {
    if !request.get("query").is_some_and(Value::is_string) {
        return Answer::Error(400, "invalid request: query must be a string".to_owned());
    }
    let Some(documents) = request.get("documents").and_then(Value::as_array) else {
        return Answer::Error(400, "invalid request: documents must be a list".to_owned());
    };
    let top_n = request
        .get("top_n")
        .and_then(Value::as_u64)
        .map_or(documents.len(), |n| n as usize);
    let with_documents = request.get("return_documents").and_then(Value::as_bool) == Some(true);
    // Later documents score lower: a fixed order tests can predict.
    let results: Vec<Value> = documents
        .iter()
        .enumerate()
        .take(top_n)
        .map(|(i, d)| {
            let mut r = json!({"index": i, "relevance_score": 1.0 / (i as f64 + 1.0)});
            if with_documents {
                let text = d.as_str().map_or_else(
                    || d.get("text").cloned().unwrap_or(Value::Null),
                    |s| json!(s),
                );
                r["document"] = json!({"text": text});
            }
            r
        })
        .collect();
    if let Some(top_k) = request.get("top_k") {
        // Voyage AI's shape (docs.voyageai.com/reference/reranker-api), asked by its `top_k`:
        // the results as `data`, documents as strings.
        let data: Vec<Value> = results
            .into_iter()
            .take(top_k.as_u64().map_or(usize::MAX, |k| k as usize))
            .map(|mut r| {
                if let Some(text) = r.get("document").map(|d| d["text"].clone()) {
                    r["document"] = text;
                }
                r
            })
            .collect();
        return Answer::Json(
            json!({"object": "list", "data": data, "model": request["model"],
                   "usage": {"total_tokens": 3 * documents.len()}})
            .to_string()
            .into_bytes(),
        );
    }
    Answer::Json(
        json!({"id": "mock-rerank-1", "results": results,
               "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
               "usage": {"total_tokens": 3 * documents.len()}})
        .to_string()
        .into_bytes(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn json_of(a: Answer) -> Value {
        match a {
            Answer::Json(b) => serde_json::from_slice(&b).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn endpoints_come_from_the_path() {
        assert_eq!(Endpoint::from_path("/v2/chat"), Some(Endpoint::Chat));
        assert_eq!(Endpoint::from_path("/x/v2/embed"), Some(Endpoint::Embed));
        assert_eq!(Endpoint::from_path("/v2/rerank"), Some(Endpoint::Rerank));
        assert_eq!(Endpoint::from_path("/v1/rerank"), Some(Endpoint::Rerank));
        assert_eq!(Endpoint::from_path("/v1/chat"), None);
    }

    #[test]
    fn chat_answer_and_stream() {
        let v = json_of(answer(
            Endpoint::Chat,
            br#"{"model":"c","messages":[]}"#,
            3,
            4,
            true,
        ));
        assert_eq!(v["message"]["content"][0]["text"], CONTENT);
        assert_eq!(v["usage"]["tokens"]["output_tokens"], 6);
        match answer(
            Endpoint::Chat,
            br#"{"model":"c","messages":[],"stream":true}"#,
            3,
            4,
            true,
        ) {
            Answer::Events(events) => {
                assert_eq!(events.len(), 7);
                let last = String::from_utf8(events[6].clone()).unwrap();
                assert!(last.starts_with("event: message-end\ndata: {"), "{last}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn embed_needs_input_type() {
        assert!(matches!(
            answer(
                Endpoint::Embed,
                br#"{"model":"e","texts":["a"]}"#,
                0,
                4,
                true
            ),
            Answer::Error(400, _)
        ));
        let v = json_of(answer(
            Endpoint::Embed,
            br#"{"model":"e","texts":["a","b"],"input_type":"search_document","output_dimension":2}"#,
            0,
            4,
            true,
        ));
        assert_eq!(v["embeddings"]["float"][1], json!([0.002, 0.003]));
        assert_eq!(v["meta"]["billed_units"]["input_tokens"], 4);
    }

    #[test]
    fn rerank_orders_and_cuts() {
        let v = json_of(answer(
            Endpoint::Rerank,
            br#"{"model":"r","query":"q","documents":["a",{"text":"b"},"c"],"top_n":2,"return_documents":true}"#,
            0,
            0,
            true,
        ));
        assert_eq!(v["results"].as_array().unwrap().len(), 2);
        assert_eq!(v["results"][1]["document"]["text"], "b");
    }
}
