//! The `/__mock/*` endpoints, process start-up options and clean shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{request, Mock};
use serde_json::json;

#[test]
fn requests_are_recorded_oldest_first() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    conn.send_raw(
        b"POST /status/429/v1/chat/completions?x=1 HTTP/1.1\r\nX-Api-Key: Secret\r\nContent-Length: 13\r\n\r\n{\"model\":\"a\"}",
    );
    assert_eq!(conn.read_response().status, 429);
    conn.send_raw(&request("GET", "/v1/models", ""));
    assert_eq!(conn.read_response().status, 200);

    let recorded = mock.call("GET", "/__mock/requests", "").json();
    let list = recorded.as_array().unwrap();
    assert_eq!(list.len(), 2, "introspection calls are not recorded");
    assert_eq!(list[0]["method"], "POST");
    assert_eq!(list[0]["path"], "/status/429/v1/chat/completions?x=1");
    assert_eq!(list[0]["headers"]["x-api-key"], "Secret");
    assert_eq!(list[0]["headers"]["content-length"], "13");
    assert_eq!(list[0]["body"], r#"{"model":"a"}"#);
    assert_eq!(list[1]["method"], "GET");
    assert_eq!(list[1]["headers"]["authorization"], "Bearer sk-test");
    assert_eq!(list[1]["body"], "");
}

#[test]
fn stats_count_and_reset_clears() {
    let mock = Mock::start(&[]);
    for _ in 0..3 {
        mock.call("POST", "/v1/chat/completions", r#"{"model":"m"}"#);
    }
    let stats = mock.call("GET", "/__mock/stats", "").json();
    assert_eq!(stats, json!({"requests": 3, "connections": 4}));
    let reset = mock.call("POST", "/__mock/reset", "");
    assert_eq!(reset.status, 200);
    let stats = mock.call("GET", "/__mock/stats", "").json();
    assert_eq!(stats, json!({"requests": 0, "connections": 1}));
    assert_eq!(mock.call("GET", "/__mock/requests", "").json(), json!([]));
    assert_eq!(mock.call("GET", "/__mock/reset", "").status, 405);
}

#[test]
fn only_the_last_hundred_requests_are_kept() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    for i in 0..105 {
        conn.send_raw(&request(
            "POST",
            "/v1/chat/completions",
            &json!({"model": format!("m{i}")}).to_string(),
        ));
        conn.read_response();
    }
    let recorded = mock.call("GET", "/__mock/requests", "").json();
    let list = recorded.as_array().unwrap();
    assert_eq!(list.len(), 100);
    assert_eq!(list[0]["body"], r#"{"model":"m5"}"#);
    assert_eq!(list[99]["body"], r#"{"model":"m104"}"#);
    assert_eq!(
        mock.call("GET", "/__mock/stats", "").json()["requests"],
        105
    );
}

#[test]
fn sigterm_exits_zero() {
    let mock = Mock::start(&[]);
    assert_eq!(mock.call("GET", "/v1/models", "").status, 200);
    let status = mock.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn several_threads_and_the_epoll_driver_serve() {
    for args in [
        &["--threads", "2"][..],
        &["--legacy-driver"][..],
        &["--threads", "2", "--legacy-driver", "--cpus", "0"][..],
    ] {
        let mock = Mock::start(args);
        for _ in 0..8 {
            let reply = mock.call("POST", "/v1/chat/completions", r#"{"model":"t"}"#);
            assert_eq!(reply.json()["model"], "t", "{args:?}");
        }
    }
}
