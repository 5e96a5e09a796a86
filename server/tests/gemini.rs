//! The Gemini family end to end: the real binary in front of a scripted Gemini upstream (in
//! this test, on an ephemeral port) that answers Google's documented shapes
//! (https://ai.google.dev/api/generate-content, https://ai.google.dev/api/embeddings) and
//! records what it was sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::mpsc::Receiver;
use std::time::Duration;

use common::{assert_litellm_error, scripted_upstream, Gateway, Mock, Recorded};
use serde_json::{json, Value};

/// The recorded upstream requests, in order: path, headers (lower-cased names), body.
type Seen = Receiver<Recorded>;

fn next(seen: &Seen) -> (String, Vec<(String, String)>, Value) {
    let (path, headers, body) = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    (
        path,
        headers,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// A Gemini upstream answering every request by its path and JSON body.
fn upstream(answer: fn(&str, &Value) -> (u16, &'static str, String)) -> (String, Seen) {
    scripted_upstream(move |path, body| {
        answer(path, &serde_json::from_slice(body).unwrap_or(Value::Null))
    })
}

fn gemini_answer(path: &str, body: &Value) -> (u16, &'static str, String) {
    let text = body.to_string();
    if text.contains("[err-429]") {
        let e = json!({"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}});
        return (429, "application/json", e.to_string());
    }
    let usage = json!({"promptTokenCount": 8, "candidatesTokenCount": 12, "totalTokenCount": 50,
                       "thoughtsTokenCount": 30, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]});
    if path.contains(":streamGenerateContent") {
        let events = [
            json!({"candidates": [{"content": {"parts": [{"text": "Hel"}], "role": "model"}, "index": 0}],
                   "responseId": "resp-1", "modelVersion": "gemini-2.5-flash"}),
            json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}], "role": "model"},
                                   "finishReason": "STOP", "index": 0}],
                   "usageMetadata": usage, "responseId": "resp-1", "modelVersion": "gemini-2.5-flash"}),
        ];
        let sse: String = events
            .iter()
            .map(|e| format!("data: {e}\r\n\r\n"))
            .collect();
        return (200, "text/event-stream", sse);
    }
    if path.ends_with(":generateContent") {
        let answer = json!({"candidates": [{"content": {"parts": [
                {"text": "Thinking.", "thought": true}, {"text": "Hello"},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}], "role": "model"},
                "finishReason": "STOP", "index": 0}],
            "usageMetadata": usage, "modelVersion": "gemini-2.5-flash", "responseId": "resp-1"});
        return (200, "application/json", answer.to_string());
    }
    if path.ends_with(":batchEmbedContents") {
        let n = body["requests"].as_array().map_or(0, Vec::len);
        let embeddings: Vec<Value> = (0..n).map(|i| json!({"values": [0.5, -0.25, i]})).collect();
        return (
            200,
            "application/json",
            json!({"embeddings": embeddings}).to_string(),
        );
    }
    (404, "application/json", "{}".to_owned())
}

fn config(base: &str) -> String {
    format!(
        "model_list:\n  - model_name: gem\n    litellm_params:\n      model: gemini/gemini-2.5-flash\n      api_base: {base}/v1beta\n      api_key: AIza-test\n  - model_name: gem-embed\n    litellm_params:\n      model: gemini/text-embedding-004\n      api_base: {base}/v1beta\n      api_key: AIza-test\n"
    )
}

#[test]
fn chat_is_translated_both_ways() {
    let (base, seen) = upstream(gemini_answer);
    let gw = Gateway::start(&config(&base));
    let body = json!({"model": "gem", "temperature": 0.2, "max_tokens": 50,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}}, "additionalProperties": false}}}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["id"], "resp-1");
    assert_eq!(answer["model"], "gem");
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], "Hello");
    assert_eq!(choice["message"]["reasoning_content"], "Thinking.");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], "{\"city\": \"Paris\"}");
    assert!(call["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(
        answer["usage"],
        json!({"completion_tokens": 42, "prompt_tokens": 8, "total_tokens": 50,
               "completion_tokens_details": {"reasoning_tokens": 30, "text_tokens": 12},
               "prompt_tokens_details": {"text_tokens": 8}})
    );
    let (path, headers, sent) = next(&seen);
    assert_eq!(path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert!(headers.contains(&("x-goog-api-key".to_owned(), "AIza-test".to_owned())));
    assert_eq!(
        sent,
        json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
               "system_instruction": {"parts": [{"text": "Be brief."}]},
               "tools": [{"function_declarations": [{"name": "get_weather", "parameters": {
                   "type": "object", "properties": {"city": {"type": "string"}}}}]}],
               "generationConfig": {"temperature": 0.2, "max_output_tokens": 50}})
    );
}

#[test]
fn streams_become_chat_chunks() {
    let (base, seen) = upstream(gemini_answer);
    let gw = Gateway::start(&config(&base));
    let body = json!({"model": "gem", "stream": true, "stream_options": {"include_usage": true},
                      "messages": [{"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    let events: Vec<&str> = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"), "{text}");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert_eq!(chunks.len(), 4, "{text}");
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "Hel"})
    );
    assert_eq!(
        chunks[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"],
        "get_weather"
    );
    assert_eq!(chunks[2]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(chunks[3]["usage"]["completion_tokens"], 42);
    assert_eq!(chunks[3]["usage"]["total_tokens"], 50);
    // LiteLLM's cost at gemini-2.5-flash's prices in the usage chunk, as Python prints
    // 8 * 3e-07 + 42 * 2.5e-06 (read from the text: serde_json's default float parsing is
    // not exact to the last digit).
    assert!(
        events[3].contains(r#""cost":0.00010740000000000001"#),
        "{}",
        events[3]
    );
    assert!(chunks
        .iter()
        .all(|c| c["id"] == "resp-1" && c["model"] == "gem"));
    assert_eq!(
        next(&seen).0,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
}

#[test]
fn embeddings_go_to_batch_embed_contents() {
    let (base, seen) = upstream(gemini_answer);
    let gw = Gateway::start(&config(&base));
    let body = json!({"model": "gem-embed", "input": ["hello", "world"], "dimensions": 3});
    let resp = gw.post("/v1/embeddings", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["data"][1]["embedding"], json!([0.5, -0.25, 1]));
    assert_eq!(answer["data"][1]["index"], 1);
    assert_eq!(answer["usage"]["prompt_tokens"], 2);
    let (path, _, sent) = next(&seen);
    assert_eq!(path, "/v1beta/models/text-embedding-004:batchEmbedContents");
    assert_eq!(
        sent["requests"][0],
        json!({"model": "models/text-embedding-004", "content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 3})
    );
}

#[test]
fn errors_are_mapped_as_litellm_maps_them() {
    let (base, _) = upstream(gemini_answer);
    let gw = Gateway::start(&config(&base));
    let body = json!({"model": "gem", "messages": [{"role": "user", "content": "[err-429] Hi"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    let err = assert_litellm_error(&resp, 429);
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("litellm.RateLimitError: litellm.RateLimitError: GeminiException - {"),
        "{message}"
    );
    // A parameter Gemini does not take is refused before anything goes upstream.
    let body =
        json!({"model": "gem", "top_logprobs": 2, "messages": [{"role": "user", "content": "Hi"}]});
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &body), 400);
    assert!(err["message"].as_str().unwrap().contains("top_logprobs"));
    gw.assert_healthy();
}

#[test]
fn messages_reach_gemini_through_chat_and_come_back_as_messages() {
    let (base, seen) = upstream(gemini_answer);
    let gw = Gateway::start(&config(&base));
    let body = json!({"model": "gem", "max_tokens": 50, "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}],
        "tools": [{"name": "get_weather", "input_schema": {"type": "object",
            "properties": {"city": {"type": "string"}}}}]});
    let resp = gw.post("/v1/messages", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["id"], "resp-1");
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["model"], "gem");
    assert_eq!(answer["stop_reason"], "tool_use");
    let kinds: Vec<&str> = answer["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["thinking", "text", "tool_use"]);
    assert_eq!(answer["content"][2]["input"], json!({"city": "Paris"}));
    assert_eq!(answer["usage"]["input_tokens"], 8);
    assert_eq!(answer["usage"]["output_tokens"], 42);
    let (path, _, sent) = next(&seen);
    assert_eq!(path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(
        sent["system_instruction"],
        json!({"parts": [{"text": "Be brief."}]})
    );
    assert_eq!(
        sent["tools"][0]["function_declarations"][0]["name"],
        "get_weather"
    );

    let body = json!({"model": "gem", "max_tokens": 50, "stream": true,
        "messages": [{"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/messages", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    let names: Vec<&str> = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("event: "))
        .map(|e| e.split('\n').next().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"message_start"), "{text}");
    assert_eq!(names.last(), Some(&"message_stop"), "{text}");
    assert!(names.contains(&"content_block_delta"), "{text}");
    assert!(text.contains("\"stop_reason\": \"tool_use\""), "{text}");
    assert_eq!(
        next(&seen).0,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    gw.assert_healthy();
}

#[test]
fn messages_token_counts_ask_gemini_s_count_tokens() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: gem\n    litellm_params:\n      model: gemini/gemini-2.5-flash\n      api_base: {}\n      api_key: AIza-test\n  - model_name: gem-busy\n    litellm_params:\n      model: gemini/gemini-2.5-flash\n      api_base: {}\n      api_key: AIza-test\n",
        mock.base("/v1beta"),
        mock.base("/status/429/v1beta"),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post(
        "/v1/messages/count_tokens",
        &json!({"model": "gem", "system": "Be brief", "messages": [{"role": "user", "content": "Hi"}],
                "tools": [{"name": "get_weather", "input_schema": {"type": "object", "properties": {}}}]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let seen = mock.last_request();
    assert_eq!(seen["path"], "/v1beta/models/gemini-2.5-flash:countTokens");
    assert_eq!(seen["headers"]["x-goog-api-key"], "AIza-test");
    let sent: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    // A system prompt or tools: the request named inside a generateContentRequest.
    assert_eq!(
        sent,
        json!({"generateContentRequest": {"model": "models/gemini-2.5-flash",
            "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
            "systemInstruction": {"parts": [{"text": "Be brief"}]},
            "tools": [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "object"}}]}]}})
    );
    let tokens = seen["body"].as_str().unwrap().len().div_ceil(4);
    assert_eq!(
        resp.json(),
        json!({"input_tokens": tokens, "litellm_count_source": "provider"})
    );
    // What Gemini cannot take is refused before anything is sent; Gemini's error in
    // Anthropic's error shape.
    let before = mock.requests().len();
    let resp = gw.post(
        "/v1/messages/count_tokens",
        &json!({"model": "gem", "system": [{"type": "image", "source": {}}],
                "messages": [{"role": "user", "content": "Hi"}]}),
    );
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert_eq!(
        resp.json()["error"]["message"],
        "Gemini system instructions only support text blocks."
    );
    assert_eq!(mock.requests().len(), before);
    let resp = gw.post(
        "/v1/messages/count_tokens",
        &json!({"model": "gem-busy", "messages": [{"role": "user", "content": "Hi"}]}),
    );
    assert_eq!(resp.status, 429, "{}", resp.text());
    assert_eq!(resp.json()["type"], "error");
    gw.assert_healthy();
}
