//! Upstream connection reuse, clients leaving mid-stream, and many concurrent keep-alive
//! clients.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{chat_body, eventually, one_model, Gateway, Mock, SseEvents};
use serde_json::json;

#[test]
fn sequential_requests_reuse_one_upstream_connection() {
    let mock = Mock::start();
    let gw = Gateway::start(&one_model("g", "prov", &mock.base("/v1")));
    mock.reset();
    for i in 0..20 {
        // A new client connection each time: the pool belongs to the core, not the client.
        let resp = gw.post("/v1/chat/completions", &chat_body("g"));
        assert_eq!(resp.status, 200, "request {i}: {}", resp.text());
    }
    let mut client = gw.client();
    for _ in 0..5 {
        let resp = client.post(
            "/v1/embeddings",
            &json!({"model": "g", "input": "x", "dimensions": 4}),
        );
        assert_eq!(resp.status, 200, "{}", resp.text());
    }
    let (requests, connections) = mock.stats();
    assert_eq!(requests, 25);
    assert_eq!(
        connections, 1,
        "one core, sequential requests: one pooled upstream connection"
    );
}

#[test]
fn client_leaving_mid_stream_closes_the_upstream_connection() {
    let mock = Mock::start_with(&["--stream-chunks", "20"]);
    let gw = Gateway::start(&one_model("g", "prov", &mock.base("/slowstream/150/v1")));
    mock.reset();
    assert_eq!(mock.open_connections(), 0);
    {
        let mut client = gw.client();
        let mut body = chat_body("g");
        body["stream"] = json!(true);
        client.send(
            "POST",
            "/v1/chat/completions",
            &[],
            body.to_string().as_bytes(),
        );
        let head = client.read_head();
        assert_eq!(head.status, 200);
        let mut sse = SseEvents::default();
        let first = loop {
            let chunk = client.next_chunk().expect("a first event");
            if let Some(e) = sse.push(&chunk).into_iter().next() {
                break e;
            }
        };
        assert!(first.contains("\"model\":\"g\""), "{first}");
        // The stream (20 events, 150 ms apart) is in progress: the upstream connection is
        // open. This also proves the check below can see it.
        assert!(
            mock.open_connections() >= 1,
            "no upstream connection seen mid-stream"
        );
        // The client leaves here (socket dropped with the rest of the stream unread).
    }
    // The upstream stream would last ~3 s more. A gateway that kept reading it, or pooled the
    // connection, keeps it ESTABLISHED; one that dropped it leaves none.
    assert!(
        eventually(Duration::from_millis(2000), || mock.open_connections() == 0),
        "upstream connection still open after the client left: {}",
        mock.open_connections()
    );
    let resp = gw.post("/v1/chat/completions", &chat_body("g"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "g");
    let (requests, connections) = mock.stats();
    assert_eq!(requests, 2);
    assert_eq!(connections, 2, "the cut connection must not be reused");
    gw.assert_healthy();
}

#[test]
fn two_hundred_concurrent_keep_alive_clients() {
    let mock = Mock::start();
    let gw = Gateway::start_with(
        &one_model("g", "prov", &mock.base("/v1")),
        &["--num_workers", "2"],
    );
    let addr = gw.addr;
    let clients = 200;
    let barrier = Arc::new(Barrier::new(clients));
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let barrier = barrier.clone();
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mut client = common::Client::connect(addr);
                    barrier.wait();
                    let mut statuses = Vec::new();
                    for i in 0..5 {
                        let mut body = chat_body("g");
                        if (t + i) % 3 == 0 {
                            body["stream"] = json!(true);
                        }
                        let resp = client.post("/v1/chat/completions", &body);
                        let ok = resp.status == 200
                            && if body["stream"] == true {
                                resp.body.ends_with(b"data: [DONE]\n\n")
                            } else {
                                resp.json()["model"] == "g"
                            };
                        statuses.push((resp.status, ok));
                    }
                    statuses
                })
                .unwrap()
        })
        .collect();
    let mut total = 0;
    for t in threads {
        for (status, ok) in t.join().expect("client thread") {
            assert_eq!(status, 200);
            assert!(ok, "bad body");
            total += 1;
        }
    }
    assert_eq!(total, 1000);
    assert_eq!(mock.stats().0, 1000);
    gw.assert_healthy();
}
