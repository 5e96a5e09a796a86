//! Every fault-injection prefix, alone and composed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{parse_events, request, Mock};
use serde_json::json;
use std::io::Read;
use std::time::{Duration, Instant};

const CHAT: &str = r#"{"model":"m","messages":[]}"#;
const STREAM: &str = r#"{"model":"m","stream":true,"stream_options":{"include_usage":true}}"#;

#[test]
fn status_prefix_answers_openai_error() {
    let mock = Mock::start(&[]);
    for (code, kind) in [
        (429, "requests"),
        (500, "server_error"),
        (401, "invalid_request_error"),
    ] {
        let reply = mock.call("POST", &format!("/status/{code}/v1/chat/completions"), CHAT);
        assert_eq!(reply.status, code);
        let error = reply.json();
        assert_eq!(
            error["error"]["message"],
            format!("mock error {code}").as_str()
        );
        assert_eq!(error["error"]["type"], kind);
        assert!(error["error"]["param"].is_null());
        assert!(error["error"]["code"].is_string());
    }
    // A stream request still gets the JSON error, as providers answer before streaming.
    let reply = mock.call("POST", "/status/503/v1/chat/completions", STREAM);
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        mock.call("POST", "/status/abc/v1/chat/completions", CHAT)
            .status,
        400
    );
}

#[test]
fn status_prefix_on_messages_uses_anthropic_shape() {
    let mock = Mock::start(&[]);
    let reply = mock.call("POST", "/status/529/v1/messages", r#"{"model":"c"}"#);
    assert_eq!(reply.status, 529);
    let error = reply.json();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "overloaded_error");
    assert_eq!(error["error"]["message"], "mock error 529");
}

#[test]
fn delay_prefix_and_latency_option_wait_before_head() {
    let mock = Mock::start(&["--latency-ms", "100"]);
    let started = Instant::now();
    assert_eq!(mock.call("GET", "/v1/models", "").status, 200);
    let base = started.elapsed();
    assert!(base >= Duration::from_millis(100), "{base:?}");
    let started = Instant::now();
    let reply = mock.call("POST", "/delay/250/v1/chat/completions", CHAT);
    let delayed = started.elapsed();
    assert_eq!(reply.status, 200);
    assert!(delayed >= Duration::from_millis(350), "{delayed:?}");
}

#[test]
fn reset_prefix_closes_without_response() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    conn.send_raw(&request("POST", "/reset/v1/chat/completions", CHAT));
    let mut rest = Vec::new();
    let read = conn.stream.read_to_end(&mut rest);
    assert!(read.is_err() || rest.is_empty(), "got {rest:?}");
    // The request was still received and recorded.
    let stats = mock.call("GET", "/__mock/stats", "").json();
    assert_eq!(stats["requests"], 1);
}

#[test]
fn truncate_prefix_cuts_streams_mid_way() {
    let mock = Mock::start(&["--stream-chunks", "6"]);
    for (path, body, expected_events) in [
        ("/truncate/v1/chat/completions", STREAM, 3),
        ("/truncate/v1/completions", STREAM, 3),
        (
            "/truncate/v1/messages",
            r#"{"model":"c","stream":true}"#,
            3 + 3,
        ),
    ] {
        let mut conn = mock.connect();
        conn.send_raw(&request("POST", path, body));
        let head = conn.read_head();
        assert_eq!(head.status, 200);
        let mut text = String::new();
        let ended = loop {
            match conn.try_next_chunk() {
                Ok(Some(chunk)) => text.push_str(std::str::from_utf8(&chunk).unwrap()),
                Ok(None) => panic!("stream ended cleanly on {path}"),
                Err(error) => break error,
            }
        };
        assert!(matches!(
            ended.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ));
        let events = parse_events(&text);
        assert_eq!(events.len(), expected_events, "{path}: {text}");
        assert!(!text.contains("[DONE]") && !text.contains("message_stop"));
    }
}

#[test]
fn truncate_prefix_cuts_plain_bodies() {
    let mock = Mock::start(&[]);
    for path in ["/truncate/v1/chat/completions", "/truncate/v1/embeddings"] {
        let mut conn = mock.connect();
        conn.send_raw(&request(
            "POST",
            path,
            r#"{"model":"m","input":["a","b"],"dimensions":4000}"#,
        ));
        let head = conn.read_head();
        let declared: usize = head.header("content-length").unwrap().parse().unwrap();
        let body = conn.read_to_close();
        assert_eq!(body.len(), declared / 2, "{path}");
    }
}

#[test]
fn slowstream_prefix_spaces_events() {
    let mock = Mock::start(&["--stream-chunks", "3"]);
    let mut conn = mock.connect();
    let started = Instant::now();
    conn.send_raw(&request(
        "POST",
        "/slowstream/120/v1/chat/completions",
        r#"{"model":"m","stream":true}"#,
    ));
    conn.read_head();
    let mut arrivals = Vec::new();
    while conn.next_chunk().is_some() {
        arrivals.push(started.elapsed());
    }
    assert_eq!(arrivals.len(), 5);
    assert!(arrivals[0] < Duration::from_millis(100), "{arrivals:?}");
    for pair in arrivals.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(100),
            "{arrivals:?}"
        );
    }
}

#[test]
fn chunked_prefix_frames_plain_bodies_with_chunks() {
    let mock = Mock::start(&[]);
    let reply = mock.call("POST", "/chunked/v1/chat/completions", CHAT);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert!(reply.header("content-length").is_none());
    assert_eq!(reply.json()["model"], "m");
    let embeddings = mock.post_json(
        "/chunked/v1/embeddings",
        &json!({"model": "e", "input": vec!["x"; 40]}),
    );
    assert_eq!(embeddings.header("transfer-encoding"), Some("chunked"));
    assert_eq!(embeddings.json()["data"].as_array().unwrap().len(), 40);
    let error = mock.call("POST", "/chunked/status/418/v1/chat/completions", CHAT);
    assert_eq!(error.status, 418);
    assert_eq!(error.json()["error"]["message"], "mock error 418");
}

#[test]
fn nousage_prefix_drops_usage_everywhere() {
    let mock = Mock::start(&["--stream-chunks", "2"]);
    let plain = mock
        .call("POST", "/nousage/v1/chat/completions", CHAT)
        .json();
    assert!(plain.get("usage").is_none());
    let stream = mock.call("POST", "/nousage/v1/chat/completions", STREAM);
    let events = stream.events();
    assert_eq!(events.len(), 2 + 1 + 1, "no usage chunk");
    assert!(!stream.text().contains("usage"));
    let embeddings = mock
        .call(
            "POST",
            "/nousage/v1/embeddings",
            r#"{"model":"e","input":"x","dimensions":2}"#,
        )
        .json();
    assert!(embeddings.get("usage").is_none());
    let messages = mock.call(
        "POST",
        "/nousage/v1/messages",
        r#"{"model":"c","stream":true}"#,
    );
    assert!(!messages.text().contains("usage"));
}

#[test]
fn close_prefix_closes_after_response() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    conn.send_raw(&request("POST", "/close/v1/chat/completions", CHAT));
    let reply = conn.read_response();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(conn.closed_within(Duration::from_secs(5)));
}

#[test]
fn prefixes_compose() {
    let mock = Mock::start(&["--stream-chunks", "2"]);
    let mut conn = mock.connect();
    let started = Instant::now();
    conn.send_raw(&request(
        "POST",
        "/close/nousage/delay/50/chunked/openai/deployments/d/chat/completions",
        CHAT,
    ));
    let reply = conn.read_response();
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.header("connection"), Some("close"));
    let body = reply.json();
    assert!(body.get("usage").is_none());
    assert_eq!(body["model"], "m");
    assert!(conn.closed_within(Duration::from_secs(5)));
}

/// Two deployments of one model group on one mock: `api_base: .../flaky/50/v1` fails every
/// second request with OpenAI's 500, `.../v1` never fails, and the cycle is the mock's, not
/// the connection's.
#[test]
fn flaky_prefix_fails_every_second_request_of_its_share() {
    let mock = Mock::start(&["--threads", "1"]);
    let mut conn = mock.connect();
    let mut statuses = Vec::new();
    for i in 0..6 {
        conn.send_raw(&request("POST", "/flaky/50/v1/chat/completions", CHAT));
        let reply = conn.read_response();
        if reply.status == 500 {
            let error = reply.json();
            assert_eq!(error["error"]["type"], "server_error");
            assert_eq!(error["error"]["message"], "mock error 500");
            assert!(error["error"]["param"].is_null());
        } else {
            assert_eq!(reply.json()["model"], "m");
        }
        statuses.push(reply.status);
        if i == 2 {
            // A healthy deployment's requests in between neither fail nor move the cycle.
            assert_eq!(mock.call("POST", "/v1/chat/completions", CHAT).status, 200);
        }
    }
    assert_eq!(statuses, [200, 500, 200, 500, 200, 500]);
    // The next one comes from a new connection: the cycle goes on.
    let reply = mock.call("POST", "/flaky/50/v1/chat/completions", CHAT);
    assert_eq!(reply.status, 200);
    // Every attempt reaches the mock and is counted, failing or not.
    let stats = mock.call("GET", "/__mock/stats", "").json();
    assert_eq!(stats["requests"], 8);
}

#[test]
fn flaky_prefix_gates_other_faults_and_restarts_on_reset() {
    let mock = Mock::start(&["--threads", "1"]);
    let path = "/flaky/50/status/503/v1/chat/completions";
    let first: Vec<u16> = (0..3)
        .map(|_| mock.call("POST", path, CHAT).status)
        .collect();
    assert_eq!(first, [200, 503, 200]);
    assert_eq!(mock.call("POST", "/__mock/reset", "").status, 200);
    let again: Vec<u16> = (0..2)
        .map(|_| mock.call("POST", path, CHAT).status)
        .collect();
    assert_eq!(again, [200, 503], "reset starts the cycle again");
    // 100 % always fails; a bad share is the mock's 400.
    for _ in 0..3 {
        assert_eq!(
            mock.call("POST", "/flaky/100/v1/chat/completions", CHAT)
                .status,
            500
        );
    }
    let reply = mock.call("POST", "/flaky/150/v1/chat/completions", CHAT);
    assert_eq!(reply.status, 400);
    assert!(reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/flaky"));
}
