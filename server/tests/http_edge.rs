//! HTTP/1.1 details on the client side: chunked request bodies, `Expect: 100-continue`,
//! pipelining, `Connection: close`, and ambiguous framing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{assert_litellm_error, chat_body, one_model, request_bytes, Gateway, Mock};
use serde_json::Value;

fn setup() -> (Mock, Gateway) {
    let mock = Mock::start();
    let gw = Gateway::start(&one_model("g", "prov", &mock.base("/v1")));
    (mock, gw)
}

fn sent_body(mock: &Mock) -> Value {
    serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap()
}

#[test]
fn chunked_request_body_is_decoded_and_forwarded() {
    let (mock, gw) = setup();
    let body = serde_json::json!({"model": "g", "messages": [{"role": "user", "content": "chunked body ".repeat(50)}]}).to_string();
    let mut raw = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.as_bytes().chunks(97) {
        raw.extend_from_slice(format!("{:x};ext=1\r\n", piece.len()).as_bytes());
        raw.extend_from_slice(piece);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let mut client = gw.client();
    // Split the write mid-chunk: the gateway must wait for the rest.
    let (a, b) = raw.split_at(raw.len() / 2);
    client.send_raw(a);
    std::thread::sleep(Duration::from_millis(50));
    client.send_raw(b);
    let resp = client.read_response();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "g");
    let sent = sent_body(&mock);
    assert_eq!(sent["model"], "prov");
    assert_eq!(sent["messages"][0]["content"], "chunked body ".repeat(50));
    // The connection goes on after a chunked request.
    assert_eq!(
        client.post("/v1/chat/completions", &chat_body("g")).status,
        200
    );
}

#[test]
fn expect_100_continue_gets_an_interim_response_before_the_body() {
    let (mock, gw) = setup();
    let body = chat_body("g").to_string();
    let mut client = gw.client();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    client.send_raw(head.as_bytes());
    let interim = client.read_head();
    assert_eq!(
        interim.status, 100,
        "expected 100 Continue before sending the body"
    );
    client.send_raw(body.as_bytes());
    let resp = client.read_response();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "g");
    assert_eq!(sent_body(&mock)["model"], "prov");
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (mock, gw) = setup();
    let mut raw = request_bytes(
        "POST",
        "/v1/chat/completions",
        &[],
        chat_body("g").to_string().as_bytes(),
    );
    raw.extend(request_bytes("GET", "/health/liveliness", &[], b""));
    raw.extend(request_bytes(
        "POST",
        "/v1/embeddings",
        &[],
        serde_json::json!({"model": "g", "input": "x", "dimensions": 3})
            .to_string()
            .as_bytes(),
    ));
    let mut client = gw.client();
    client.send_raw(&raw);
    let first = client.read_response();
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["object"], "chat.completion");
    let second = client.read_response();
    assert_eq!(second.status, 200);
    assert_eq!(second.json(), serde_json::json!("I'm alive!"));
    let third = client.read_response();
    assert_eq!(third.status, 200, "{}", third.text());
    assert_eq!(third.json()["object"], "list");
    assert_eq!(third.json()["model"], "g");
    assert_eq!(mock.stats().0, 2);
}

#[test]
fn connection_close_is_honoured() {
    let (_mock, gw) = setup();
    let mut client = gw.client();
    let resp = client.request(
        "POST",
        "/v1/chat/completions",
        &[("Connection", "close")],
        chat_body("g").to_string().as_bytes(),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("connection"), Some("close"));
    assert!(
        client.closed_within(Duration::from_secs(5)),
        "gateway kept the connection open"
    );
    // HTTP/1.0 without keep-alive closes too.
    let mut client = gw.client();
    client.send_raw(b"GET /health/liveliness HTTP/1.0\r\n\r\n");
    let head = client.read_head();
    assert_eq!(head.status, 200);
    let _ = client.read_body(&head);
    assert!(
        client.closed_within(Duration::from_secs(5)),
        "HTTP/1.0 connection left open"
    );
}

#[test]
fn content_length_with_transfer_encoding_is_rejected() {
    let (mock, gw) = setup();
    let body = chat_body("g").to_string();
    let mut client = gw.client();
    let raw = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len(),
        body.len()
    );
    client.send_raw(raw.as_bytes());
    let resp = client.read_response();
    assert_litellm_error(&resp, 400);
    assert!(
        client.closed_within(Duration::from_secs(5)),
        "a request-smuggling shape must end the connection"
    );
    assert_eq!(mock.stats().0, 0);
    gw.assert_healthy();
}

/// Sends raw bytes on a fresh connection and reads until the gateway closes it.
fn raw_exchange(gw: &Gateway, bytes: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(gw.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn rfc_9112_musts_over_the_wire() {
    let (_mock, gw) = setup();
    let body = chat_body("g").to_string();
    let len = body.len();
    // §3.2: no Host in HTTP/1.1, or an invalid one, is 400 (and the connection closes).
    for head in [
        format!("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: {len}\r\n\r\n"),
        format!("POST /v1/chat/completions HTTP/1.1\r\nHost: a b\r\nContent-Length: {len}\r\n\r\n"),
        format!("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nHost: y\r\nContent-Length: {len}\r\n\r\n"),
    ] {
        let reply = raw_exchange(&gw, [head.as_bytes(), body.as_bytes()].concat().as_slice());
        assert!(reply.starts_with("HTTP/1.1 400 "), "{head:?} -> {reply}");
        assert!(reply.contains("connection: close"), "{reply}");
    }
    // §6.3 item 4: Transfer-Encoding whose final coding is not chunked: 400 and close.
    let reply = raw_exchange(
        &gw,
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxx",
    );
    assert!(reply.starts_with("HTTP/1.1 400 "), "{reply}");
    // §6.1: a coding we do not decode before chunked: 501.
    let reply = raw_exchange(
        &gw,
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    );
    assert!(reply.starts_with("HTTP/1.1 501 "), "{reply}");
    // §3.2.2: the absolute form is accepted and routed by its path.
    let mut c = gw.client();
    let target = format!("http://{}/v1/chat/completions", gw.addr);
    let r = c.request("POST", &target, &[], body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model"], "g");
    // HTTP/1.0 may omit Host.
    let reply = raw_exchange(&gw, b"GET /health/liveliness HTTP/1.0\r\n\r\n");
    assert!(reply.starts_with("HTTP/1.1 200 "), "{reply}");
}
