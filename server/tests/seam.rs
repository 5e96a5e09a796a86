//! The request lifecycle's edges against the real binary: providers corelane lacks are
//! refused (never guessed), upstream errors name their provider as LiteLLM does, timeouts
//! report the real time, `/models/{id}` and `/routes`, the metrics switch, the access log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{assert_litellm_error, chat_body, Gateway, Mock};
use serde_json::json;

#[test]
fn providers_litellm_has_and_corelane_lacks_are_warned_at_start_and_refused() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: cmd\n    litellm_params:\n      model: replicate/meta/llama-3\n      api_base: {base}\n      api_key: sk-a\n  - model_name: sm-*\n    litellm_params:\n      model: sagemaker/*\n  - model_name: ok\n    litellm_params:\n      model: openai/m\n      api_base: {base}\n",
        base = mock.base("/v1")
    );
    let gw = Gateway::start(&config);
    let mut warned = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        warned = gw.proc.stderr.text();
        if warned.contains("sagemaker") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        warned.contains("model_list[0] (cmd): provider 'replicate'")
            && warned.contains("not supported by corelane yet"),
        "{warned}"
    );
    assert!(warned.contains("(sm-*): provider 'sagemaker'"), "{warned}");
    for model in ["cmd", "sm-my-endpoint"] {
        for stream in [false, true] {
            let mut body = chat_body(model);
            body["stream"] = json!(stream);
            let resp = gw.post("/v1/chat/completions", &body);
            let err = assert_litellm_error(&resp, 400);
            let message = err["message"].as_str().unwrap();
            assert!(
                message.contains("is not supported by corelane yet"),
                "{message}"
            );
            assert!(
                message.contains("'replicate'") || message.contains("'sagemaker'"),
                "{message}"
            );
        }
    }
    let (requests, _) = mock.stats();
    assert_eq!(requests, 0, "no upstream request is ever sent for them");
    assert_eq!(
        gw.post("/v1/chat/completions", &chat_body("ok")).status,
        200
    );
}

#[test]
fn upstream_errors_name_the_provider_as_litellm_does() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: g429\n    litellm_params:\n      model: groq/llama\n      api_base: {}\n      api_key: k\n  - model_name: g500\n    litellm_params:\n      model: groq/llama\n      api_base: {}\n      api_key: k\n  - model_name: gone\n    litellm_params:\n      model: together_ai/x\n      api_base: http://127.0.0.1:9/v1\n      api_key: k\n",
        mock.base("/status/429/v1"),
        mock.base("/status/500/v1"),
    );
    let gw = Gateway::start(&config);
    let cases = [
        (
            "g429",
            429,
            "litellm.RateLimitError: RateLimitError: GroqException - ",
        ),
        (
            "g500",
            500,
            "litellm.InternalServerError: InternalServerError: GroqException - ",
        ),
        (
            "gone",
            500,
            "litellm.APIConnectionError: APIConnectionError: Together_aiException - ",
        ),
    ];
    for (model, status, prefix) in cases {
        let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body(model)), status);
        let message = err["message"].as_str().unwrap();
        assert!(message.starts_with(prefix), "{model}: {message}");
    }
}

#[test]
fn a_timeout_reports_the_seconds_it_waited() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: slow\n    litellm_params:\n      model: openai/m\n      api_base: {}\n      timeout: 0.4\n",
        mock.base("/delay/3000/v1")
    );
    let gw = Gateway::start(&config);
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("slow")), 408);
    let message = err["message"].as_str().unwrap();
    let seconds: f64 = message
        .rsplit("timeout=")
        .next()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no timeout= in {message}"));
    assert!((0.35..2.0).contains(&seconds), "{message}");
}

/// A stream whose provider goes quiet past `stream_timeout` ends with an error event that
/// reports the seconds since the request was sent, not a placeholder.
#[test]
fn a_mid_stream_timeout_event_reports_real_seconds() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: slow\n    litellm_params:\n      model: openai/m\n      api_base: {}\n      stream_timeout: 0.4\n",
        mock.base("/slowstream/1500/v1")
    );
    let gw = Gateway::start(&config);
    let mut body = chat_body("slow");
    body["stream"] = json!(true);
    let mut client = gw.client();
    client.send(
        "POST",
        "/v1/chat/completions",
        &[],
        body.to_string().as_bytes(),
    );
    let head = client.read_head();
    assert_eq!(head.status, 200);
    let text = String::from_utf8(client.read_body(&head)).unwrap();
    let event = text
        .lines()
        .find(|l| l.contains("Timeout Error"))
        .unwrap_or_else(|| panic!("no timeout event in {text}"));
    let seconds: f64 = event
        .rsplit("timeout=")
        .next()
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no timeout= in {event}"));
    assert!((0.35..3.0).contains(&seconds), "{event}");
}

#[test]
fn models_by_id_and_the_route_list() {
    let config = "model_list:\n  - model_name: openai/gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n      mock_response: hi\nrouter_settings:\n  model_group_alias:\n    fast: openai/gpt-4o\n";
    let gw = Gateway::start(config);
    for path in [
        "/v1/models/openai/gpt-4o",
        "/models/openai/gpt-4o",
        "/v1/models/fast",
    ] {
        let resp = gw.get(path);
        assert_eq!(resp.status, 200, "{path}: {}", resp.text());
        let body = resp.json();
        assert_eq!(body["object"], "model", "{path}");
        assert!(
            path.ends_with(body["id"].as_str().unwrap()),
            "{path}: {body}"
        );
    }
    let err = assert_litellm_error(&gw.get("/v1/models/nope"), 404);
    assert!(err["message"].as_str().unwrap().contains("nope"), "{err}");
    let routes = gw.get("/routes").json();
    let paths: Vec<&str> = routes["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    for want in [
        "/v1/chat/completions",
        "/v1/models/{model_id}",
        "/metrics",
        "/routes",
    ] {
        assert!(paths.contains(&want), "{want} in {paths:?}");
    }
}

#[test]
fn metrics_are_served_only_when_enabled_and_need_the_master_key() {
    let config = "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/m\n      mock_response: hi\n";
    let off = Gateway::start(config);
    assert_eq!(off.get("/metrics").status, 404);
    let on = Gateway::start_with(config, &["--num_workers", "2", "--metrics"]);
    assert_eq!(on.post("/v1/chat/completions", &chat_body("m")).status, 200);
    let scrape = on.get("/metrics/");
    assert_eq!(scrape.status, 200);
    assert!(scrape
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    let text = scrape.text();
    assert!(
        text.contains("litellm_proxy_total_requests_metric_total{")
            && text.contains("requested_model=\"m\""),
        "{text}"
    );
    let keyed = format!("general_settings:\n  master_key: sk-metrics-key-1\nlitellm_settings:\n  callbacks: [prometheus]\n{config}");
    let gw = Gateway::start(&keyed);
    assert_litellm_error(&gw.get("/metrics"), 401);
    let mut client = gw.client();
    let resp = client.request(
        "GET",
        "/metrics",
        &[("authorization", "Bearer sk-metrics-key-1")],
        b"",
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
}

#[test]
fn the_access_log_has_one_line_per_request_in_text_or_json() {
    let config = "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/m\n      mock_response: hi\n";
    for json_logs in [false, true] {
        let value = std::path::Path::new(if json_logs { "true" } else { "false" });
        let gw = Gateway::start_env(
            config,
            &["--num_workers", "1", "--access-log"],
            &[("JSON_LOGS", value)],
        );
        assert_eq!(gw.post("/v1/chat/completions", &chat_body("m")).status, 200);
        assert_eq!(
            gw.post("/v1/chat/completions", &chat_body("nope")).status,
            400
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        let lines = loop {
            let text = gw.proc.stderr.text();
            let lines: Vec<String> = text
                .lines()
                .filter(|l| l.contains("/v1/chat/completions"))
                .map(str::to_owned)
                .collect();
            if lines.len() >= 2 || Instant::now() > deadline {
                break lines;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(lines.len(), 2, "{lines:?}");
        if json_logs {
            let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
            assert_eq!(first["status"], 200);
            assert_eq!(first["requested_model"], "m");
            let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
            assert_eq!(second["status"], 400);
        } else {
            assert!(
                lines[0].contains("status=200") && lines[0].contains("model=m"),
                "{lines:?}"
            );
            assert!(
                lines[1].contains("status=400") && lines[1].contains("model=nope"),
                "{lines:?}"
            );
        }
    }
}

/// LiteLLM's batch completion: `"model": "a,b"` on /chat/completions answers with a JSON
/// array, one element per model in order; a model that fails is an error object in its place.
#[test]
fn a_comma_separated_model_list_gets_one_answer_per_model() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/m\n      api_base: {}\n  - model_name: b\n    litellm_params:\n      model: openai/x\n      mock_response: from b\n  - model_name: c\n    litellm_params:\n      model: groq/llama\n      api_base: {}\n      api_key: k\n",
        mock.base("/v1"),
        mock.base("/status/429/v1"),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post("/v1/chat/completions", &chat_body("a, b,c,nope"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.header("x-litellm-call-id").is_some());
    let items = resp.json();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 4, "{items:?}");
    assert_eq!(items[0]["object"], "chat.completion");
    assert_eq!(items[0]["model"], "a");
    assert_eq!(items[1]["model"], "b");
    assert_eq!(items[1]["choices"][0]["message"]["content"], "from b");
    assert_eq!(items[2]["status_code"], 429);
    assert_eq!(items[2]["code"], "429");
    assert_eq!(items[2]["llm_provider"], "groq");
    assert_eq!(items[2]["model"], "c");
    let message = items[2]["message"].as_str().unwrap();
    assert!(message.contains("GroqException"), "{message}");
    assert_eq!(items[3]["status_code"], 400);
    assert!(items[3]["message"].as_str().unwrap().contains("nope"));
    let (requests, _) = mock.stats();
    assert_eq!(requests, 2, "a and c, once each");

    let mut body = chat_body("a,b");
    body["stream"] = json!(true);
    assert_litellm_error(&gw.post("/v1/chat/completions", &body), 400);
    let many = vec!["a"; 17].join(",");
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body(&many)), 400);
    // Only chat completions take a list, as in LiteLLM.
    let text = json!({"model": "a,b", "prompt": "hi"});
    assert_litellm_error(&gw.post("/v1/completions", &text), 400);
    gw.assert_healthy();
}

/// The models of a list are asked at once: two that each take 400 ms answer in well under
/// the 800 ms one after the other would take.
#[test]
fn a_model_list_asks_its_models_at_once() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/m\n      api_base: {slow}\n  - model_name: b\n    litellm_params:\n      model: openai/n\n      api_base: {slow}\n",
        slow = mock.base("/delay/400/v1"),
    );
    let gw = Gateway::start(&config);
    let started = std::time::Instant::now();
    let resp = gw.post("/v1/chat/completions", &chat_body("a,b"));
    let took = started.elapsed();
    assert_eq!(resp.status, 200, "{}", resp.text());
    let items = resp.json();
    assert_eq!(items[0]["model"], "a");
    assert_eq!(items[1]["model"], "b");
    assert!(took < std::time::Duration::from_millis(700), "{took:?}");
}

/// LiteLLM's `fastest_response`: the first model to answer successfully wins and its answer
/// goes out alone, as a single model's would; one that fails first does not win; when every
/// model fails the answer is LiteLLM's 500 "All tasks failed".
#[test]
fn fastest_response_answers_with_the_first_success() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: slow\n    litellm_params:\n      model: openai/m\n      api_base: {slow}\n  - model_name: quick\n    litellm_params:\n      model: openai/n\n      api_base: {quick}\n  - model_name: broken\n    litellm_params:\n      model: groq/llama\n      api_base: {broken}\n      api_key: k\n  - model_name: broken2\n    litellm_params:\n      model: groq/llama\n      api_base: {broken}\n      api_key: k\n",
        slow = mock.base("/delay/1500/v1"),
        quick = mock.base("/delay/100/v1"),
        broken = mock.base("/status/429/v1"),
    );
    let gw = Gateway::start(&config);
    let mut body = chat_body("slow, broken ,quick");
    body["fastest_response"] = json!(true);
    let started = std::time::Instant::now();
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(started.elapsed() < std::time::Duration::from_millis(1200));
    let answer = resp.json();
    assert_eq!(answer["object"], "chat.completion", "{answer}");
    assert_eq!(answer["model"], "quick");
    assert_eq!(resp.header("x-litellm-model-group"), Some("quick"));
    assert!(resp.header("x-litellm-call-id").is_some());

    body["model"] = json!("broken,broken2");
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &body), 500);
    assert_eq!(err["message"], "All tasks failed");

    body["fastest_response"] = json!(false);
    body["model"] = json!("quick,broken");
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json().as_array().map(Vec::len), Some(2));
    gw.assert_healthy();
}
