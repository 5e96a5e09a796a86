//! Streams through the gateway: events relayed as they arrive, every chunk's model rewritten,
//! LiteLLM's usage handling, and a truncated upstream stream ending with an error event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{chat_body, event_json, one_model, Client, Gateway, Mock, SseEvents};
use serde_json::{json, Value};

/// Reads a chunked SSE response to its end; each event with the time it arrived.
fn read_events(client: &mut Client) -> Vec<(Instant, String)> {
    let mut sse = SseEvents::default();
    let mut events = Vec::new();
    while let Some(chunk) = client.next_chunk() {
        let now = Instant::now();
        events.extend(sse.push(&chunk).into_iter().map(|e| (now, e)));
    }
    assert!(
        sse.rest().iter().all(u8::is_ascii_whitespace),
        "stream ends mid-event: {:?}",
        String::from_utf8_lossy(sse.rest())
    );
    events
}

fn stream_body(model: &str, include_usage: Option<bool>) -> Value {
    let mut body = chat_body(model);
    body["stream"] = json!(true);
    if let Some(u) = include_usage {
        body["stream_options"] = json!({"include_usage": u});
    }
    body
}

#[test]
fn stream_is_relayed_incrementally_with_every_model_rewritten() {
    let mock = Mock::start_with(&["--stream-chunks", "6"]);
    let gw = Gateway::start(&one_model(
        "stream-group",
        "prov-stream",
        &mock.base("/slowstream/200/v1"),
    ));
    let mut client = gw.client();
    client.send(
        "POST",
        "/v1/chat/completions",
        &[],
        stream_body("stream-group", None).to_string().as_bytes(),
    );
    let head = client.read_head();
    assert_eq!(head.status, 200);
    assert!(head
        .header("content-type")
        .unwrap()
        .starts_with("text/event-stream"));
    assert!(head.is_chunked());
    assert_eq!(head.header("x-litellm-model-group"), Some("stream-group"));
    assert!(common::is_uuid(head.header("x-litellm-call-id").unwrap()));
    let events = read_events(&mut client);
    let (first_at, _) = events.first().expect("some events");
    let (last_at, last) = events.last().unwrap();
    assert_eq!(last, "data: [DONE]");
    // 6 content chunks + finish chunk + usage chunk + [DONE], 200 ms apart upstream: a gateway
    // that buffered the stream would deliver them all at once.
    assert!(
        last_at.duration_since(*first_at) >= Duration::from_millis(800),
        "first event came only {:?} before the last",
        last_at.duration_since(*first_at)
    );
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|(_, e)| event_json(e).expect("a data event"))
        .collect();
    assert_eq!(
        chunks.len(),
        7,
        "6 content chunks and the finish chunk: {chunks:?}"
    );
    for c in &chunks {
        assert_eq!(c["model"], "stream-group", "chunk model not rewritten: {c}");
        assert!(
            !c["choices"].as_array().unwrap().is_empty(),
            "usage-only chunk forwarded unasked: {c}"
        );
    }
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello from the mock provider.");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );

    // LiteLLM asks the provider for usage on every stream.
    let sent: Value = serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["model"], "prov-stream");
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);

    // The connection is still good for another request.
    let resp = client.post("/v1/chat/completions", &chat_body("stream-group"));
    assert_eq!(resp.status, 200, "{}", resp.text());
}

#[test]
fn usage_chunk_is_forwarded_only_when_the_client_asked_for_it() {
    let mock = Mock::start_with(&["--stream-chunks", "3"]);
    let gw = Gateway::start(&one_model("g", "p", &mock.base("/v1")));
    for asked in [None, Some(false), Some(true)] {
        let resp = gw.post("/v1/chat/completions", &stream_body("g", asked));
        assert_eq!(resp.status, 200, "{}", resp.text());
        let events = SseEvents::split(&resp.body);
        assert_eq!(
            events.last().map(String::as_str),
            Some("data: [DONE]"),
            "{asked:?}"
        );
        let chunks: Vec<Value> = events.iter().filter_map(|e| event_json(e)).collect();
        assert!(chunks.iter().all(|c| c["model"] == "g"), "{chunks:?}");
        let usage_only: Vec<&Value> = chunks
            .iter()
            .filter(|c| c["choices"].as_array().is_some_and(Vec::is_empty))
            .collect();
        let sent: Value =
            serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
        assert_eq!(sent["stream_options"]["include_usage"], true, "{asked:?}");
        if asked == Some(true) {
            assert_eq!(usage_only.len(), 1, "usage chunk expected: {chunks:?}");
            assert_eq!(usage_only[0]["usage"]["prompt_tokens"], 10);
            assert_eq!(usage_only[0]["usage"]["completion_tokens"], 3);
            // It comes after the finish chunk, just before [DONE].
            let n = events.len();
            assert!(event_json(&events[n - 2]).unwrap()["choices"]
                .as_array()
                .unwrap()
                .is_empty());
        } else {
            assert!(
                usage_only.is_empty(),
                "usage chunk forwarded unasked ({asked:?}): {chunks:?}"
            );
        }
    }
}

#[test]
fn truncated_upstream_stream_ends_with_an_error_event_and_a_proper_end() {
    let mock = Mock::start_with(&["--stream-chunks", "8"]);
    let gw = Gateway::start(&one_model("t", "p", &mock.base("/truncate/v1")));
    let mut client = gw.client();
    client.send(
        "POST",
        "/v1/chat/completions",
        &[],
        stream_body("t", None).to_string().as_bytes(),
    );
    let head = client.read_head();
    assert_eq!(head.status, 200);
    // A malformed chunked body panics inside read_events: the end must be a proper last chunk.
    let events: Vec<String> = read_events(&mut client)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let last = events.last().expect("events");
    assert!(
        last.starts_with("data: {\"error\""),
        "last event {last:?} in {events:?}"
    );
    let err = event_json(last).unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{err}"
    );
    assert!(
        !events.iter().any(|e| e == "data: [DONE]"),
        "a cut stream must not claim [DONE]"
    );
    let content: Vec<Value> = events[..events.len() - 1]
        .iter()
        .filter_map(|e| event_json(e))
        .collect();
    assert!(!content.is_empty(), "the events before the cut are relayed");
    assert!(content.iter().all(|c| c["model"] == "t"));
    // The client connection is either closed cleanly or still usable; the gateway stays up.
    if !head.closes() {
        let resp = client.post("/v1/chat/completions", &chat_body("t"));
        assert!(
            resp.status >= 400,
            "truncated upstream body must not pass as success: {}",
            resp.text()
        );
    }
    gw.assert_healthy();
}

/// An upstream that answers one stream request with a whole first event, then drips the bytes
/// of a second event one every 200 ms without ever finishing it.
fn dripping_upstream() -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        let mut got = Vec::new();
        let mut tmp = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("\"messages\"") {
            match s.read(&mut tmp) {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&tmp[..n]),
            }
        }
        let first = br#"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}"#;
        let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        out.extend_from_slice(format!("{:x}\r\n", first.len() + 2).as_bytes());
        out.extend_from_slice(first);
        out.extend_from_slice(b"\n\n\r\n");
        if s.write_all(&out).is_err() {
            return;
        }
        for b in b"data: {\"id\":\"c\",\"choices\":[]}"
            .iter()
            .cycle()
            .take(200)
        {
            let chunk = [b"1\r\n".as_slice(), &[*b], b"\r\n"].concat();
            if s.write_all(&chunk).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    addr
}

#[test]
fn a_stream_that_drips_bytes_without_finishing_an_event_times_out() {
    let up = dripping_upstream();
    let config = format!(
        "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/m\n      api_base: http://{up}/v1\n      api_key: sk-up\n      stream_timeout: 1\n"
    );
    let gw = Gateway::start(&config);
    let mut client = gw.client();
    let t0 = Instant::now();
    client.send(
        "POST",
        "/v1/chat/completions",
        &[],
        stream_body("g", None).to_string().as_bytes(),
    );
    let head = client.read_head();
    assert_eq!(head.status, 200);
    let events = read_events(&mut client);
    let took = t0.elapsed();
    let last = &events.last().unwrap().1;
    assert!(
        last.contains("\"error\"") && last.contains("timed out"),
        "{events:?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "the drip kept the stream {took:?}"
    );
}
