//! `POST /v1/messages` (Anthropic's Messages API) through the real binary against the mock:
//! to an Anthropic deployment the body goes out with the model spliced and the client's
//! `anthropic-beta` forwarded, and the answer and the stream come back as they came but for
//! the model; to an OpenAI-format deployment it goes out as a chat completion and comes back
//! as an Anthropic message or event stream; errors past the body's parse are Anthropic's error
//! JSON; `mock_response` answers in Anthropic's format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_litellm_error, Gateway, Mock, Response};
use serde_json::{json, Value};

fn config(mock: &Mock) -> String {
    format!(
        "model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: {ok}
      api_key: sk-ant-test
  - model_name: limited
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: {limited}
      api_key: sk-ant-test
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o
      api_base: {openai}
      api_key: sk-test
  - model_name: gpt-limited
    litellm_params:
      model: openai/gpt-4o
      api_base: {openai_limited}
      api_key: sk-test
  - model_name: canned
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      mock_response: Hi there, human.
",
        ok = mock.base(""),
        limited = mock.base("/status/429"),
        openai = mock.base("/v1"),
        openai_limited = mock.base("/status/429/v1"),
    )
}

fn post(gw: &Gateway, body: &Value, headers: &[(&str, &str)]) -> Response {
    gw.request("POST", "/v1/messages", headers, body.to_string().as_bytes())
}

fn hello(model: &str, stream: bool) -> Value {
    json!({"model": model, "max_tokens": 64, "stream": stream,
        "messages": [{"role": "user", "content": "Hello"}]})
}

/// Anthropic's error JSON: `{"type": "error", "error": {"type", "message"}}`.
fn assert_anthropic_error(resp: &Response, status: u16, kind: &str) -> String {
    assert_eq!(resp.status, status, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["type"], "error", "{v}");
    assert_eq!(v["error"]["type"], kind, "{v}");
    v["error"]["message"].as_str().unwrap().to_owned()
}

#[test]
fn a_message_passes_through_with_the_model_spliced_both_ways() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let resp = post(
        &gw,
        &hello("claude", false),
        &[("anthropic-beta", "tools-2024-05-16")],
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["type"], "message", "{answer}");
    assert_eq!(answer["model"], "claude");
    assert_eq!(answer["content"][0]["type"], "text");
    assert_eq!(answer["usage"]["input_tokens"], 10, "{answer}");
    assert_eq!(resp.header("x-litellm-model-group"), Some("claude"));

    let seen = mock.last_request();
    assert_eq!(seen["path"], "/v1/messages");
    assert_eq!(seen["headers"]["x-api-key"], "sk-ant-test");
    assert_eq!(seen["headers"]["anthropic-version"], "2023-06-01");
    assert_eq!(seen["headers"]["anthropic-beta"], "tools-2024-05-16");
    let sent: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["model"], "claude-sonnet-4-5");
    assert_eq!(sent["max_tokens"], 64);
    assert_eq!(sent["messages"][0]["content"], "Hello");
    gw.assert_healthy();
}

#[test]
fn a_stream_keeps_its_named_events_and_gets_the_model_in_message_start() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let resp = post(&gw, &hello("claude", true), &[]);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let events = resp.events();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_deref().unwrap()).collect();
    assert_eq!(names.first(), Some(&"message_start"), "{names:?}");
    assert_eq!(names.last(), Some(&"message_stop"), "{names:?}");
    assert!(names.contains(&"content_block_delta"));
    assert!(names.contains(&"message_delta"));
    for (name, data) in &events {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], name.as_deref().unwrap(), "{data}");
    }
    let start: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(start["message"]["model"], "claude", "{start}");
    assert!(!resp.text().contains("[DONE]"));
    let sent: Value = serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["stream"], true);
    assert!(sent.get("stream_options").is_none(), "{sent}");
    gw.assert_healthy();
}

#[test]
fn errors_are_anthropics_past_the_body_and_openais_before() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let message = assert_anthropic_error(
        &post(&gw, &hello("nope", false), &[]),
        400,
        "invalid_request_error",
    );
    assert!(
        message.starts_with("anthropic_messages: Invalid model name passed in model=nope."),
        "{message}"
    );
    let no_max = json!({"model": "claude", "messages": [{"role": "user", "content": "Hi"}]});
    let message = assert_anthropic_error(&post(&gw, &no_max, &[]), 400, "invalid_request_error");
    assert_eq!(
        message,
        "anthropic_messages: Missing required parameter: 'max_tokens'."
    );
    let no_messages = json!({"model": "claude", "max_tokens": 5});
    let message =
        assert_anthropic_error(&post(&gw, &no_messages, &[]), 400, "invalid_request_error");
    assert_eq!(
        message,
        "anthropic_messages: Missing required parameter: 'messages'."
    );
    let message = assert_anthropic_error(
        &post(&gw, &hello("limited", false), &[]),
        429,
        "rate_limit_error",
    );
    assert!(
        message.starts_with("litellm.RateLimitError: AnthropicException - "),
        "{message}"
    );
    // A body that is not JSON is refused before the route, in OpenAI's format (as LiteLLM).
    let bad = gw.request("POST", "/v1/messages", &[], b"{\"model\":");
    assert_litellm_error(&bad, 400);
    assert_eq!(
        gw.request("GET", "/v1/messages", &[], b"").status,
        405,
        "GET /v1/messages"
    );
    assert_eq!(gw.post("/messages", &hello("claude", false)).status, 404);
    gw.assert_healthy();
}

#[test]
fn mock_response_answers_in_anthropics_format() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let answer = post(&gw, &hello("canned", false), &[]).json();
    assert_eq!(answer["type"], "message", "{answer}");
    assert_eq!(answer["content"][0]["text"], "Hi there, human.");
    assert_eq!(answer["model"], "canned");
    let resp = post(&gw, &hello("canned", true), &[]);
    let events = resp.events();
    assert_eq!(events[0].0.as_deref(), Some("message_start"));
    assert_eq!(events.last().unwrap().0.as_deref(), Some("message_stop"));
    let text: String = events
        .iter()
        .filter(|(n, _)| n.as_deref() == Some("content_block_delta"))
        .map(|(_, d)| {
            let v: Value = serde_json::from_str(d).unwrap();
            v["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, "Hi there, human.");
    assert_eq!(mock.stats().0, 0, "mock_response sends nothing upstream");
}

#[test]
fn an_openai_format_deployment_gets_a_chat_completion_and_answers_as_anthropic() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let body = json!({"model": "gpt", "max_tokens": 64, "system": "Be brief.",
        "stop_sequences": ["END"], "tool_choice": {"type": "any"},
        "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "Hello"}]});
    let resp = post(&gw, &body, &[]);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["type"], "message", "{answer}");
    assert_eq!(answer["model"], "gpt");
    assert_eq!(answer["content"][0]["type"], "text");
    assert_eq!(answer["stop_reason"], "end_turn");
    assert!(
        answer["usage"]["input_tokens"].as_u64().unwrap() > 0,
        "{answer}"
    );

    let seen = mock.last_request();
    assert_eq!(seen["path"], "/v1/chat/completions");
    assert_eq!(seen["headers"]["authorization"], "Bearer sk-test");
    let sent: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["model"], "gpt-4o");
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(
        sent["messages"][1],
        json!({"role": "user", "content": "Hello"})
    );
    assert_eq!(sent["stop"], json!(["END"]));
    assert_eq!(sent["tool_choice"], "required");
    assert_eq!(sent["tools"][0]["function"]["name"], "get_weather");
    assert_eq!(sent["max_tokens"], 64);

    // The stream: Anthropic's event sequence from the chat chunks.
    let resp = post(&gw, &hello("gpt", true), &[]);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let sent: Value = serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
    let events = resp.events();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_deref().unwrap()).collect();
    assert_eq!(
        names[..2],
        ["message_start", "content_block_start"],
        "{names:?}"
    );
    assert_eq!(
        names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"],
        "{names:?}"
    );
    let start: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(start["message"]["model"], "gpt");
    assert!(start["message"]["id"].as_str().unwrap().starts_with("msg_"));
    let delta: Value = serde_json::from_str(&events[events.len() - 2].1).unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert!(
        delta["usage"]["output_tokens"].as_u64().unwrap() > 0,
        "{delta}"
    );

    // Upstream errors keep Anthropic's shape and name the provider.
    let message = assert_anthropic_error(
        &post(&gw, &hello("gpt-limited", false), &[]),
        429,
        "rate_limit_error",
    );
    assert!(message.contains("OpenAIException"), "{message}");
    gw.assert_healthy();
}

/// A body too large for memory is spilled to a file as it arrives; a translation reads it
/// back (charged to the body budget) up to 8 MiB, and refuses a larger one clearly.
#[test]
fn a_spilled_body_is_translated_up_to_its_limit() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let text = "x".repeat(3 << 20);
    let body = json!({"model": "gpt", "max_tokens": 8,
        "messages": [{"role": "user", "content": text}]});
    let resp = post(&gw, &body, &[]);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["type"], "message");
    let sent: Value = serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent["messages"][0]["content"].as_str().unwrap().len(),
        3 << 20
    );

    let body = json!({"model": "gpt", "max_tokens": 8,
        "messages": [{"role": "user", "content": "x".repeat(9 << 20)}]});
    let message = assert_anthropic_error(&post(&gw, &body, &[]), 400, "invalid_request_error");
    assert!(message.contains("over 8 MiB"), "{message}");
    gw.assert_healthy();
}

/// `/v1/messages/count_tokens`: to Anthropic its token-counting API (the fields LiteLLM keeps,
/// its beta flag) with `litellm_count_source: provider` added; elsewhere a local estimate.
#[test]
fn count_tokens_asks_anthropic_or_estimates() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let body = json!({"model": "claude", "system": "Be brief.", "max_tokens": 9,
        "messages": [{"role": "user", "content": "Hello"}]});
    let resp = gw.request(
        "POST",
        "/v1/messages/count_tokens?beta=true",
        &[("anthropic-beta", "client-beta")],
        body.to_string().as_bytes(),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let seen = mock.last_request();
    assert_eq!(seen["path"], "/v1/messages/count_tokens");
    assert_eq!(
        seen["headers"]["anthropic-beta"],
        "token-counting-2024-11-01"
    );
    let sent_text = seen["body"].as_str().unwrap();
    let sent: Value = serde_json::from_str(sent_text).unwrap();
    assert_eq!(
        sent,
        json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello"}], "system": "Be brief."})
    );
    assert_eq!(
        resp.json(),
        json!({"input_tokens": sent_text.len().div_ceil(4), "litellm_count_source": "provider"})
    );

    let mut body = body;
    body["model"] = json!("gpt");
    let resp = gw.request(
        "POST",
        "/v1/messages/count_tokens",
        &[],
        body.to_string().as_bytes(),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["litellm_count_source"], "local_estimate");
    assert!(answer["input_tokens"].as_u64().unwrap() > 5, "{answer}");

    let none = json!({"model": "claude", "messages": []});
    let message = assert_anthropic_error(
        &gw.request(
            "POST",
            "/v1/messages/count_tokens",
            &[],
            none.to_string().as_bytes(),
        ),
        400,
        "invalid_request_error",
    );
    assert_eq!(message, "messages parameter is required");
    gw.assert_healthy();
}
