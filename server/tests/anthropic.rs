//! The Anthropic family through the real binary against the mock, which speaks the Messages
//! API: a chat completion goes out as `POST /v1/messages` with `x-api-key` and
//! `anthropic-version`, the body translated (model, max_tokens default, system, messages), and
//! the answer comes back as LiteLLM's `chat.completion`; a stream's Messages events come back
//! as LiteLLM's chunks; an Anthropic error names `AnthropicException` as LiteLLM does; a text
//! completion goes through the same translation and comes back as a `text_completion`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_litellm_error, Gateway, Mock};
use serde_json::json;

fn config(mock: &Mock) -> String {
    format!(
        "model_list:\n  - model_name: claude\n    litellm_params:\n      model: anthropic/claude-sonnet-4-5\n      api_base: {ok}\n      api_key: sk-ant-test\n  - model_name: limited\n    litellm_params:\n      model: anthropic/claude-sonnet-4-5\n      api_base: {limited}\n      api_key: sk-ant-test\n",
        ok = mock.base(""),
        limited = mock.base("/status/429"),
    )
}

#[test]
fn a_chat_completion_goes_out_as_messages_and_comes_back_as_litellms_answer() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let body = json!({
        "model": "claude",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"}
        ]
    });
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["object"], "chat.completion", "{answer}");
    assert_eq!(answer["model"], "claude");
    assert!(
        answer["id"].as_str().unwrap().starts_with("chatcmpl-"),
        "{answer}"
    );
    assert_eq!(answer["choices"][0]["message"]["role"], "assistant");
    assert!(!answer["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .is_empty());
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    let usage = &answer["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    assert_eq!(resp.header("x-litellm-model-group"), Some("claude"));

    let seen = mock.last_request();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/v1/messages");
    assert_eq!(seen["headers"]["x-api-key"], "sk-ant-test");
    assert_eq!(seen["headers"]["anthropic-version"], "2023-06-01");
    assert!(seen["headers"]["authorization"].is_null());
    let sent: serde_json::Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["model"], "claude-sonnet-4-5");
    // claude-sonnet-4-5's max output tokens in LiteLLM's cost map.
    assert_eq!(sent["max_tokens"], 64000);
    assert_eq!(sent["system"][0]["text"], "Be brief.");
    assert_eq!(sent["messages"][0]["role"], "user");
    gw.assert_healthy();
}

/// The data of each event of a stream answer, `[DONE]` included.
fn stream_data(resp: &common::Response) -> Vec<String> {
    resp.events().into_iter().map(|(_, data)| data).collect()
}

#[test]
fn a_stream_comes_back_as_litellms_chunks() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let body = json!({"model": "claude", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let sent: serde_json::Value =
        serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["stream"], true);
    assert!(sent.get("stream_options").is_none(), "{sent}");

    let data = stream_data(&resp);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{data:?}");
    let chunks: Vec<serde_json::Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    // The mock sends 10 text deltas, then message_delta (end_turn, usage) and message_stop.
    assert_eq!(chunks.len(), 12, "{chunks:?}");
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"), "{id}");
    for c in &chunks {
        assert_eq!(c["id"], id);
        assert_eq!(c["model"], "claude");
        assert_eq!(c["object"], "chat.completion.chunk");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks[1]["choices"][0]["delta"].get("role").is_none());
    let text: String = chunks[..10]
        .iter()
        .map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert!(!text.is_empty());
    assert_eq!(chunks[10]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[10]["choices"][0]["delta"], json!({}));
    let usage = &chunks[11]["usage"];
    assert_eq!(usage["completion_tokens"], 10, "{usage}");
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + 10
    );

    // Without include_usage there is no usage chunk.
    let body =
        json!({"model": "claude", "stream": true, "messages": [{"role": "user", "content": "Hi"}]});
    let data = stream_data(&gw.post("/v1/chat/completions", &body));
    assert_eq!(data.len(), 12, "{data:?}");
    assert!(data.iter().all(|d| !d.contains("\"usage\"")), "{data:?}");
    gw.assert_healthy();
}

/// `/v1/completions` to Claude: the prompt as the user message of a Messages request, the
/// answer and its stream as LiteLLM's text completion (its usage in full, null fields too).
#[test]
fn a_text_completion_goes_through_messages() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let resp = gw.post(
        "/v1/completions",
        &json!({"model": "claude", "prompt": "Say hi", "max_tokens": 20}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let seen = mock.last_request();
    assert_eq!(seen["path"], "/v1/messages");
    let sent: serde_json::Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "Say hi"}]}])
    );
    assert_eq!(sent["max_tokens"], 20);
    let answer = resp.json();
    assert_eq!(answer["object"], "text_completion", "{answer}");
    assert_eq!(answer["model"], "claude");
    assert!(!answer["choices"][0]["text"].as_str().unwrap().is_empty());
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert!(answer["choices"][0]["logprobs"].is_null());
    let usage = &answer["usage"];
    assert!(usage["total_tokens"].as_u64().unwrap() > 0, "{usage}");
    assert!(
        usage["completion_tokens_details"]["audio_tokens"].is_null(),
        "{usage}"
    );
    assert!(
        usage["iterations"].is_null() && usage.get("iterations").is_some(),
        "{usage}"
    );

    let body = json!({"model": "claude", "prompt": "Say hi", "stream": true,
        "stream_options": {"include_usage": true}});
    let data = stream_data(&gw.post("/v1/completions", &body));
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{data:?}");
    let chunks: Vec<serde_json::Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(
        chunks.iter().all(|c| c["object"] == "text_completion"),
        "{chunks:?}"
    );
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["text"].as_str())
        .collect();
    assert!(!text.is_empty());
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([{"index": 0}]));
    assert_eq!(last["usage"]["completion_tokens"], 10, "{last}");
    gw.assert_healthy();
}

#[test]
fn a_cut_stream_ends_with_an_error_event_and_errors_name_anthropic() {
    let mock = Mock::start();
    let config = format!(
        "{}  - model_name: cut\n    litellm_params:\n      model: anthropic/claude-sonnet-4-5\n      api_base: {}\n      api_key: sk-ant-test\n",
        config(&mock),
        mock.base("/truncate")
    );
    let gw = Gateway::start(&config);
    let body =
        json!({"model": "cut", "stream": true, "messages": [{"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200);
    let data = stream_data(&resp);
    let last: serde_json::Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert!(last["error"]["message"].is_string(), "{data:?}");
    assert!(!data.iter().any(|d| d == "[DONE]"), "{data:?}");

    let body = json!({"model": "limited", "messages": [{"role": "user", "content": "Hi"}]});
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &body), 429);
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("AnthropicException"), "{message}");
    assert!(message.contains("RateLimitError"), "{message}");
    gw.assert_healthy();
}
