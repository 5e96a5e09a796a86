//! The Anthropic family through the real binary against the mock, which speaks the Messages
//! API: a chat completion goes out as `POST /v1/messages` with `x-api-key` and
//! `anthropic-version`, the body translated (model, max_tokens default, system, messages), and
//! the answer comes back as LiteLLM's `chat.completion`; a stream is refused before any
//! upstream request; an Anthropic error names `AnthropicException` as LiteLLM does.
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
    assert_eq!(sent["max_tokens"], 4096);
    assert_eq!(sent["system"][0]["text"], "Be brief.");
    assert_eq!(sent["messages"][0]["role"], "user");
    gw.assert_healthy();
}

#[test]
fn streams_are_refused_before_any_upstream_request_and_errors_name_anthropic() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let body =
        json!({"model": "claude", "stream": true, "messages": [{"role": "user", "content": "Hi"}]});
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &body), 400);
    assert!(err["message"].as_str().unwrap().contains("stream"), "{err}");
    assert_eq!(
        mock.stats().0,
        0,
        "no upstream request for a refused stream"
    );

    let body = json!({"model": "limited", "messages": [{"role": "user", "content": "Hi"}]});
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &body), 429);
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("AnthropicException"), "{message}");
    assert!(message.contains("RateLimitError"), "{message}");
    gw.assert_healthy();
}
