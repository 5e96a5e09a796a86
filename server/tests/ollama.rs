//! The Ollama family end to end against the mock provider, which speaks Ollama's native API
//! (`/api/chat`, `/api/generate`, `/api/embed`, NDJSON streams, `{"error": ...}`): what
//! reaches Ollama for each route and what the client gets back, LiteLLM's shapes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_litellm_error, Gateway, Mock};
use serde_json::{json, Value};

fn config(base: &str) -> String {
    format!(
        "model_list:\n  - model_name: chat\n    litellm_params:\n      model: ollama_chat/llama3.2\n      api_base: {base}\n      api_key: sk-ollama\n  - model_name: gen\n    litellm_params:\n      model: ollama/llama3.2\n      api_base: {base}\n  - model_name: embed\n    litellm_params:\n      model: ollama/nomic-embed-text\n      api_base: {base}\n      api_key: sk-ollama\nrouter_settings:\n  disable_cooldowns: true\n"
    )
}

fn sent_body(mock: &Mock) -> (String, Value, Value) {
    let seen = mock.last_request();
    let body = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    (
        seen["path"].as_str().unwrap().to_owned(),
        seen["headers"].clone(),
        body,
    )
}

/// The `data:` payloads of an SSE answer, `[DONE]` checked and left out.
fn chunks(text: &str) -> Vec<Value> {
    let events: Vec<&str> = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"), "{text}");
    events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect()
}

#[test]
fn chat_goes_to_api_chat_and_back() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock.base("")));
    let body = json!({"model": "chat", "temperature": 0.3, "max_tokens": 20, "frequency_penalty": 1.1,
        "response_format": {"type": "json_object"},
        "messages": [{"role": "system", "content": "Be brief."},
                     {"role": "user", "content": [{"type": "text", "text": "What is it?"},
                         {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["model"], "chat");
    assert_eq!(answer["object"], "chat.completion");
    assert!(answer["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Hello from the mock provider."
    );
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        answer["usage"],
        json!({"completion_tokens": 6, "prompt_tokens": 10, "total_tokens": 16})
    );
    let (path, headers, sent) = sent_body(&mock);
    assert_eq!(path, "/api/chat");
    assert_eq!(headers["authorization"], "Bearer sk-ollama");
    assert_eq!(
        sent,
        json!({"model": "llama3.2", "stream": false, "format": "json",
               "options": {"temperature": 0.3, "num_predict": 20, "repeat_penalty": 1.1},
               "messages": [{"role": "system", "content": "Be brief.", "images": []},
                            {"role": "user", "content": "What is it?", "images": ["iVBORw0KGgo="]}]})
    );
    gw.assert_healthy();
}

#[test]
fn chat_streams_ndjson_into_chunks() {
    let mock = Mock::start_with(&["--stream-chunks", "3"]);
    let gw = Gateway::start(&config(&mock.base("")));
    let body = json!({"model": "chat", "stream": true, "stream_options": {"include_usage": true},
                      "messages": [{"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let chunks = chunks(&resp.text());
    // Three words, the finish chunk, the usage chunk.
    assert_eq!(chunks.len(), 5, "{chunks:?}");
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "Hello"})
    );
    assert_eq!(chunks[2]["choices"][0]["delta"], json!({"content": " the"}));
    assert_eq!(
        chunks[3]["choices"][0],
        json!({"index": 0, "delta": {}, "finish_reason": "stop"})
    );
    assert_eq!(chunks[4]["usage"]["prompt_tokens"], 10);
    assert_eq!(chunks[4]["usage"]["completion_tokens"], 3);
    for c in &chunks {
        assert_eq!(c["model"], "chat");
        assert_eq!(c["object"], "chat.completion.chunk");
    }
    let (path, _, sent) = sent_body(&mock);
    assert_eq!(path, "/api/chat");
    assert_eq!(sent["stream"], true);
}

#[test]
fn tool_calls_round_trip_through_api_chat() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock.base("")));
    let tools = json!([{"type": "function", "function": {"name": "Bash",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}}]);
    let body = json!({"model": "chat", "tools": tools, "tool_choice": "auto",
        "messages": [{"role": "user", "content": "run [[tool:Bash {\"command\": \"ls\"}]]"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "Bash");
    assert_eq!(call["function"]["arguments"], "{\"command\": \"ls\"}");
    assert!(common::is_uuid(call["id"].as_str().unwrap()), "{call}");
    let (_, _, sent) = sent_body(&mock);
    assert_eq!(sent["tools"], tools);
    assert!(sent.get("tool_choice").is_none(), "{sent}");

    // The result goes back as a tool message; the assistant's call with parsed arguments.
    let body = json!({"model": "chat", "tools": tools, "stream": true, "messages": [
        {"role": "user", "content": "run [[tool:Bash {\"command\": \"ls\"}]]"},
        {"role": "assistant", "content": null, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "a.txt"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text: String = chunks(&resp.text())
        .iter()
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "tool result: a.txt");
    let (_, _, sent) = sent_body(&mock);
    assert_eq!(
        sent["messages"][1]["tool_calls"],
        json!([{"function": {"name": "Bash", "arguments": {"command": "ls"}}}])
    );
    assert_eq!(sent["messages"][2]["tool_call_id"], call["id"]);
}

#[test]
fn ollama_prefix_goes_to_api_generate_with_a_prompt() {
    let mock = Mock::start_with(&["--stream-chunks", "2"]);
    let gw = Gateway::start(&config(&mock.base("")));
    let body = json!({"model": "gen", "seed": 3, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "More"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.json()["choices"][0]["message"]["content"],
        "Hello from the mock provider."
    );
    let (path, headers, sent) = sent_body(&mock);
    assert_eq!(path, "/api/generate");
    assert!(headers.get("authorization").is_none(), "{headers}");
    assert_eq!(
        sent,
        json!({"model": "llama3.2", "stream": false, "images": [], "options": {"seed": 3},
               "prompt": "### System:\nBe brief.\n\n### User:\nHi\n\n### Assistant:\nHello.\n\n### User:\nMore\n\n"})
    );

    let resp = gw.post(
        "/v1/chat/completions",
        &json!({"model": "gen", "stream": true,
        "messages": [{"role": "user", "content": "Hi"}]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let chunks = chunks(&resp.text());
    assert_eq!(chunks.len(), 3, "{chunks:?}");
    assert!(chunks[0]["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(chunks[1]["choices"][0]["delta"]["content"], " from");

    let resp = gw.post(
        "/v1/completions",
        &json!({"model": "gen", "prompt": "Say hi", "max_tokens": 4}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["object"], "text_completion");
    assert_eq!(
        answer["choices"][0]["text"],
        "Hello from the mock provider."
    );
    let (_, _, sent) = sent_body(&mock);
    assert_eq!(sent["prompt"], "Say hi");
    assert_eq!(sent["options"], json!({"num_predict": 4}));
}

#[test]
fn embeddings_go_to_api_embed_without_the_key() {
    let mock = Mock::start_with(&["--embed-dims", "3"]);
    let gw = Gateway::start(&config(&mock.base("")));
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "embed", "input": ["a", "b"]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["model"], "embed");
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);
    assert_eq!(answer["data"][1]["index"], 1);
    assert_eq!(answer["data"][1]["embedding"], json!([-0.5, 0.25, -0.5]));
    assert_eq!(answer["usage"]["prompt_tokens"], 10);
    let (path, headers, sent) = sent_body(&mock);
    assert_eq!(path, "/api/embed");
    assert!(headers.get("authorization").is_none(), "{headers}");
    assert_eq!(
        sent,
        json!({"model": "nomic-embed-text", "input": ["a", "b"]})
    );

    // LiteLLM refuses `encoding_format` (which the openai SDK always sends) and `user` for
    // Ollama embeddings; nothing goes upstream.
    mock.reset();
    let err = assert_litellm_error(
        &gw.post(
            "/v1/embeddings",
            &json!({"model": "embed", "input": "a", "encoding_format": "base64"}),
        ),
        400,
    );
    assert_eq!(
        err["message"],
        "litellm.UnsupportedParamsError: Setting {'encoding_format': 'base64'} is not supported by ollama. To drop it from the call, set `litellm.drop_params = True`."
    );
    assert_eq!(mock.stats().0, 0);
}

#[test]
fn ollama_errors_are_litellm_s() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock.base("/status/404")));
    let err = assert_litellm_error(
        &gw.post(
            "/v1/chat/completions",
            &json!({"model": "chat", "messages": [{"role": "user", "content": "Hi"}]}),
        ),
        404,
    );
    assert_eq!(
        err["message"],
        "litellm.NotFoundError: Ollama_chatException - {\"error\":\"mock error 404\"}"
    );
    let err = assert_litellm_error(
        &gw.post(
            "/v1/chat/completions",
            &json!({"model": "gen", "messages": [{"role": "user", "content": "Hi"}]}),
        ),
        404,
    );
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("litellm.NotFoundError: OllamaException - "),
        "{err}"
    );
    // Parameters Ollama has no field for get LiteLLM's UnsupportedParamsError; nothing is sent.
    mock.reset();
    let err = assert_litellm_error(
        &gw.post(
            "/v1/chat/completions",
            &json!({"model": "chat", "logit_bias": {"1": 2},
            "messages": [{"role": "user", "content": "Hi"}]}),
        ),
        400,
    );
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("ollama_chat does not support parameters: ['logit_bias']"),
        "{err}"
    );
    assert_eq!(mock.stats().0, 0);
    gw.assert_healthy();
}

#[test]
fn a_cut_stream_ends_with_an_error_event() {
    let mock = Mock::start_with(&["--stream-chunks", "6"]);
    let gw = Gateway::start(&config(&mock.base("/truncate")));
    let resp = gw.post(
        "/v1/chat/completions",
        &json!({"model": "chat", "stream": true,
        "messages": [{"role": "user", "content": "Hi"}]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    assert!(text.contains("\"content\":\"Hello\""), "{text}");
    let last = text.split("\n\n").filter(|e| !e.is_empty()).last().unwrap();
    let event: Value = serde_json::from_str(last.strip_prefix("data: ").unwrap()).unwrap();
    assert!(event["error"]["message"].is_string(), "{text}");
    assert!(!text.contains("[DONE]"), "{text}");
    gw.assert_healthy();
}

#[test]
fn messages_go_through_api_chat_and_count_tokens_locally() {
    let mock = Mock::start_with(&["--stream-chunks", "2"]);
    let gw = Gateway::start(&config(&mock.base("")));
    let body = json!({"model": "chat", "max_tokens": 50, "system": "Be brief.",
                      "messages": [{"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/messages", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["type"], "message");
    assert_eq!(
        answer["content"][0]["text"],
        "Hello from the mock provider."
    );
    assert_eq!(answer["stop_reason"], "end_turn");
    assert_eq!(
        answer["usage"],
        json!({"input_tokens": 10, "output_tokens": 6})
    );
    let (path, _, sent) = sent_body(&mock);
    assert_eq!(path, "/api/chat");
    assert_eq!(sent["options"], json!({"num_predict": 50}));
    assert_eq!(sent["messages"][0]["role"], "system");

    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let resp = gw.post("/v1/messages", &streamed);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"), "{text}");
    assert_eq!(names.last(), Some(&"message_stop"), "{text}");
    assert!(names.contains(&"content_block_delta"), "{text}");
    assert!(text.contains("\"text\": \"Hello\""), "{text}");

    // Token counting is a local estimate: nothing goes upstream.
    mock.reset();
    let resp = gw.post(
        "/v1/messages/count_tokens",
        &json!({"model": "chat",
        "messages": [{"role": "user", "content": "Hello there"}]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.json()["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(mock.stats().0, 0);
}

/// An upstream line longer than the framer's bound is an error, not a growing buffer; a line
/// that is not an answer ends the stream as LiteLLM's iterator fails on it.
#[test]
fn hostile_ndjson_is_refused_and_the_gateway_stays_healthy() {
    let (base, _seen) = common::scripted_upstream(|_, body| {
        let body = String::from_utf8_lossy(body);
        if body.contains("[huge]") {
            let line = format!("{{\"message\":{{\"content\":\"{}\"}}", "x".repeat(5 << 20));
            (200, "application/x-ndjson", line)
        } else {
            let lines = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n{\"oops\":1}\n";
            (200, "application/x-ndjson", lines.to_owned())
        }
    });
    let gw = Gateway::start(&config(&base));
    let ask = |text: &str| json!({"model": "chat", "stream": true, "messages": [{"role": "user", "content": text}]});
    let resp = gw.post("/v1/chat/completions", &ask("[huge]"));
    assert!(resp.status >= 500, "{} {}", resp.status, resp.text());
    let resp = gw.post("/v1/chat/completions", &ask("hello"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    assert!(text.contains("\"content\":\"Hi\""), "{text}");
    assert!(
        text.contains("KeyError: 'message', Got unexpected response from Ollama: {'oops': 1}"),
        "{text}"
    );
    gw.assert_healthy();
}

/// An embeddings answer too large to hold (over 256 KiB) is translated as it arrives, the
/// same list a held one gives.
#[test]
fn a_large_embeddings_batch_is_translated_as_it_arrives() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock.base("")));
    let inputs: Vec<String> = (0..64).map(|i| format!("text {i}")).collect();
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "embed", "input": inputs, "dimensions": 1024}),
    );
    assert_eq!(
        resp.status,
        200,
        "{}",
        &resp.text()[..200.min(resp.text().len())]
    );
    assert!(resp.text().len() > 256 * 1024);
    let answer = resp.json();
    assert_eq!(answer["model"], "embed");
    assert_eq!(answer["object"], "list");
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 64);
    assert_eq!(data[63]["index"], 63);
    assert_eq!(data[63]["object"], "embedding");
    assert_eq!(data[63]["embedding"].as_array().unwrap().len(), 1024);
    assert_eq!(data[1]["embedding"][0], -0.5);
    assert_eq!(
        answer["usage"],
        json!({"completion_tokens": 0, "prompt_tokens": 10, "total_tokens": 10,
               "completion_tokens_details": null, "prompt_tokens_details": null})
    );
    gw.assert_healthy();
}
