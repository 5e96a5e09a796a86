//! Bad client input and failing upstreams: LiteLLM's status codes and error JSON, and a
//! gateway that stays healthy afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{assert_litellm_error, chat_body, Gateway, Mock};
use serde_json::json;

fn entry(name: &str, api_base: &str, extra: &str) -> String {
    format!(
        "  - model_name: {name}\n    litellm_params:\n      model: openai/prov-{name}\n      api_base: {api_base}\n      api_key: sk-upstream\n{extra}"
    )
}

#[test]
fn bad_requests_get_400_413_431_in_litellm_shape() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n{}general_settings:\n  max_request_size_mb: 0.01\n",
        entry("g", &mock.base("/v1"), "")
    );
    let gw = Gateway::start(&config);

    let resp = gw.request(
        "POST",
        "/v1/chat/completions",
        &[],
        b"{\"model\": \"g\", \"messages\": [",
    );
    let err = assert_litellm_error(&resp, 400);
    assert_eq!(err["type"], "invalid_request_error");

    // LiteLLM 1.108.7's shape (captured): param null, the message repeated in
    // provider_specific_fields.
    let resp = gw.post("/v1/chat/completions", &json!({"messages": []}));
    let err = assert_litellm_error(&resp, 400);
    assert_eq!(err["param"], serde_json::Value::Null);
    assert_eq!(err["provider_specific_fields"]["error"], err["message"]);
    assert!(
        err["message"].as_str().unwrap().contains("model=None"),
        "{err}"
    );

    let resp = gw.post("/v1/chat/completions", &chat_body("no-such-model"));
    let err = assert_litellm_error(&resp, 400);
    assert!(
        err["message"].as_str().unwrap().contains("no-such-model"),
        "{err}"
    );
    assert_eq!(err["param"], serde_json::Value::Null);
    assert_eq!(err["provider_specific_fields"]["error"], err["message"]);
    // The text completion route wraps it as LiteLLM's does, without a type or param.
    let resp = gw.post(
        "/v1/completions",
        &json!({"model": "no-such-model", "prompt": "x"}),
    );
    let err = assert_litellm_error(&resp, 400);
    assert_eq!(
        err,
        json!({"message": "400: {'error': '/completions: Invalid model name passed in model=no-such-model. Call `/v1/models` to view available models for your key.'}",
            "type": "None", "param": "None", "code": "400"})
    );
    assert_eq!(mock.stats().0, 0, "bad requests never reach the provider");

    // 0.01 MB is 10,485 bytes.
    let big = json!({"model": "g", "messages": [{"role": "user", "content": "x".repeat(20_000)}]});
    let resp = gw.post("/v1/chat/completions", &big);
    assert_litellm_error(&resp, 413);
    // Chunked bodies are held to the same bound.
    let mut client = gw.client();
    let payload = big.to_string();
    let mut raw =
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for piece in payload.as_bytes().chunks(4096) {
        raw.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        raw.extend_from_slice(piece);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    client.send_raw(&raw);
    assert_litellm_error(&client.read_response(), 413);
    // Just under the limit passes.
    let fits = json!({"model": "g", "messages": [{"role": "user", "content": "x".repeat(9_000)}]});
    assert_eq!(gw.post("/v1/chat/completions", &fits).status, 200);

    // A head over 64 KiB.
    let long = "a".repeat(70 * 1024);
    let resp = gw.request("GET", "/v1/models", &[("X-Long", &long)], b"");
    assert_litellm_error(&resp, 431);

    gw.assert_healthy();
}

#[test]
fn upstream_status_codes_are_mapped_to_litellm_errors() {
    let mock = Mock::start();
    let codes = [
        (429, "throttling_error", "litellm.RateLimitError"),
        (400, "invalid_request_error", "litellm.BadRequestError"),
        (401, "authentication_error", "litellm.AuthenticationError"),
        (500, "internal_server_error", "litellm.InternalServerError"),
        (
            503,
            "internal_server_error",
            "litellm.ServiceUnavailableError",
        ),
    ];
    let mut config = "model_list:\n".to_owned();
    for (code, _, _) in codes {
        config.push_str(&entry(
            &format!("s{code}"),
            &mock.base(&format!("/status/{code}/v1")),
            "",
        ));
    }
    // The mapping alone: no retries, no cooldowns (tests/router.rs covers those).
    config.push_str("router_settings:\n  num_retries: 0\n  disable_cooldowns: true\n");
    let gw = Gateway::start(&config);
    let mut client = gw.client();
    for (code, kind, class) in codes {
        for stream in [false, true] {
            let mut body = chat_body(&format!("s{code}"));
            body["stream"] = json!(stream);
            // One keep-alive connection: an error answer does not end it.
            let resp = client.post("/v1/chat/completions", &body);
            let err = assert_litellm_error(&resp, code);
            let message = err["message"].as_str().unwrap();
            assert!(message.starts_with(class), "{code}: {message}");
            assert!(message.contains("OpenAIException"), "{code}: {message}");
            assert!(
                message.contains(&format!("mock error {code}")),
                "{code}: {message}"
            );
            // LiteLLM 1.108.7's type for the class (1.106 sent null).
            assert_eq!(err["type"], kind, "{code}");
        }
    }
    let (requests, _) = mock.stats();
    assert_eq!(requests, 10, "each error is one attempt, no retries");
    gw.assert_healthy();
}

#[test]
fn unreachable_reset_and_truncated_upstreams_are_errors_and_the_gateway_stays_up() {
    let mock = Mock::start();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = format!(
        "model_list:\n{}{}{}{}",
        entry("down", &format!("http://127.0.0.1:{closed}/v1"), ""),
        entry("reset", &mock.base("/reset/v1"), ""),
        entry("cut", &mock.base("/truncate/v1"), ""),
        entry("ok", &mock.base("/v1"), ""),
    );
    let gw = Gateway::start(&config);

    let resp = gw.post("/v1/chat/completions", &chat_body("down"));
    assert!((500..600).contains(&resp.status), "{}", resp.text());
    let err = assert_litellm_error(&resp, resp.status);
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("litellm.APIConnectionError"),
        "{message}"
    );

    for model in ["reset", "cut"] {
        for _ in 0..2 {
            let resp = gw.post("/v1/chat/completions", &chat_body(model));
            assert!(
                (500..600).contains(&resp.status),
                "{model}: {} {}",
                resp.status,
                resp.text()
            );
            let err = assert_litellm_error(&resp, resp.status);
            assert!(
                err["message"].as_str().unwrap().starts_with("litellm."),
                "{err}"
            );
        }
    }
    let resp = gw.post("/v1/chat/completions", &chat_body("ok"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    gw.assert_healthy();
}

#[test]
fn upstream_timeout_is_408() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n{}{}router_settings:\n  num_retries: 0\n",
        entry("slow", &mock.base("/delay/3000/v1"), "      timeout: 0.5\n"),
        entry("fine", &mock.base("/v1"), "      timeout: 0.5\n"),
    );
    let gw = Gateway::start(&config);
    let started = Instant::now();
    let resp = gw.post("/v1/chat/completions", &chat_body("slow"));
    let took = started.elapsed();
    let err = assert_litellm_error(&resp, 408);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("litellm.Timeout"),
        "{err}"
    );
    assert!(
        took < Duration::from_millis(2500),
        "answered after {took:?}, not at the 0.5 s timeout"
    );
    assert!(
        took >= Duration::from_millis(450),
        "answered after {took:?}, before the timeout"
    );
    // A stream times out the same way before its first byte.
    let mut body = chat_body("slow");
    body["stream"] = json!(true);
    assert_litellm_error(&gw.post("/v1/chat/completions", &body), 408);
    assert_eq!(
        gw.post("/v1/chat/completions", &chat_body("fine")).status,
        200
    );
}

#[test]
fn a_request_means_one_thing_to_the_gateway_and_the_provider() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n{}{}",
        entry("cheap", &mock.base("/v1"), ""),
        entry("expensive", &mock.base("/v1"), "")
    );
    let gw = Gateway::start(&config);
    // The gateway would route, authorise and price "cheap"; the provider reads the last key.
    for body in [
        r#"{"model":"cheap","messages":[],"mod\u0065l":"expensive"}"#,
        r#"{"model":"cheap","messages":[],"model":"expensive"}"#,
        r#"{"model":"cheap","stream":false,"messages":[],"str\u0065am":true}"#,
        r#"{"model":"cheap","messages":[],"MODEL":"expensive"}"#,
    ] {
        let resp = gw.request("POST", "/v1/chat/completions", &[], body.as_bytes());
        let err = assert_litellm_error(&resp, 400);
        assert_eq!(err["type"], "invalid_request_error", "{body}");
        assert!(
            err["message"].as_str().unwrap().contains("'model'")
                || err["message"].as_str().unwrap().contains("'stream'"),
            "{body}: {err}"
        );
    }
    assert_eq!(mock.stats().0, 0, "nothing reached the provider");
    // Spelled with an escape but once, the key means "model" to both sides.
    let resp = gw.request(
        "POST",
        "/v1/chat/completions",
        &[],
        br#"{"mod\u0065l":"cheap","messages":[{"role":"user","content":"hi"}]}"#,
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "cheap");
    let sent: serde_json::Value =
        serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["model"], "prov-cheap");
}

#[test]
fn missing_required_parameters_and_invalid_json_read_as_litellm_says_them() {
    let mock = Mock::start();
    let gw = Gateway::start(&format!(
        "model_list:\n{}",
        entry("g", &mock.base("/v1"), "")
    ));
    for body in [
        json!({"model": "g"}),
        json!({"model": "g", "messages": null}),
    ] {
        let resp = gw.post("/v1/chat/completions", &body);
        let err = assert_litellm_error(&resp, 400);
        assert_eq!(
            err["message"],
            "/chat/completions: Missing required parameter: 'messages'."
        );
        assert_eq!(err["param"], "messages");
    }
    let resp = gw.post("/v1/embeddings", &json!({"model": "g"}));
    let err = assert_litellm_error(&resp, 400);
    assert_eq!(err["param"], "input");
    let resp = gw.request("POST", "/v1/chat/completions", &[], b"{\"model\":");
    let err = assert_litellm_error(&resp, 400);
    let message = err["message"].as_str().unwrap();
    assert_eq!(
        message.matches("Invalid JSON payload").count(),
        1,
        "{message}"
    );
    assert_eq!(mock.stats().0, 0);
}
