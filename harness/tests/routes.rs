//! Each route of the mock over real TCP: shapes, streams, embeddings, framing, keep-alive.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{request, Mock};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn data_json(data: &str) -> Value {
    serde_json::from_str(data).unwrap_or_else(|e| panic!("bad event data {data:?}: {e}"))
}

#[test]
fn chat_completion_echoes_model_with_usage() {
    let mock = Mock::start(&[]);
    let reply = mock.post_json(
        "/v1/chat/completions",
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.header("content-length").unwrap(),
        reply.body.len().to_string()
    );
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from the mock provider."
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 10, "completion_tokens": 6, "total_tokens": 16})
    );
}

#[test]
fn any_api_base_prefix_and_query_route_by_suffix() {
    let mock = Mock::start(&[]);
    let path = "/openai/deployments/my-deploy/chat/completions?api-version=2024-10-21";
    let reply = mock.post_json(path, &json!({"model": "azure/gpt"}));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["model"], "azure/gpt");
    let bare = mock.post_json("/chat/completions", &json!({"model": "m"}));
    assert_eq!(bare.json()["object"], "chat.completion");
}

#[test]
fn chat_stream_with_include_usage() {
    let mock = Mock::start(&["--stream-chunks", "4"]);
    let reply = mock.post_json(
        "/v1/chat/completions",
        &json!({"model": "m-1", "stream": true, "stream_options": {"include_usage": true}}),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    let events = reply.events();
    assert_eq!(events.len(), 4 + 1 + 1 + 1, "{events:?}");
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> = events[..6].iter().map(|(_, d)| data_json(d)).collect();
    let mut content = String::new();
    for (index, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "m-1");
        assert!(chunk.get("usage").is_some(), "usage key on every chunk");
        if index < 4 {
            assert!(chunk["usage"].is_null());
            assert_eq!(
                chunk["choices"][0]["delta"].get("role").is_some(),
                index == 0
            );
            content.push_str(chunk["choices"][0]["delta"]["content"].as_str().unwrap());
            assert!(chunk["choices"][0]["finish_reason"].is_null());
        }
    }
    assert_eq!(content, "Hello from the mock");
    assert_eq!(chunks[4]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[5]["choices"], json!([]));
    assert_eq!(chunks[5]["usage"]["completion_tokens"], 4);
    assert_eq!(chunks[5]["usage"]["total_tokens"], 14);
}

#[test]
fn chat_stream_without_include_usage_has_no_usage() {
    let mock = Mock::start(&["--stream-chunks", "3"]);
    for body in [
        json!({"model": "m", "stream": true}),
        json!({"model": "m", "stream": true, "stream_options": {"include_usage": false}}),
    ] {
        let reply = mock.post_json("/v1/chat/completions", &body);
        let events = reply.events();
        assert_eq!(events.len(), 3 + 1 + 1);
        for (_, data) in &events[..4] {
            let chunk = data_json(data);
            assert!(chunk.get("usage").is_none(), "{data}");
            assert_ne!(chunk["choices"], json!([]));
        }
        assert_eq!(events[4].1, "[DONE]");
    }
}

#[test]
fn text_completion_plain_and_stream() {
    let mock = Mock::start(&["--stream-chunks", "2"]);
    let reply = mock.post_json(
        "/v1/completions",
        &json!({"model": "instruct", "prompt": "x"}),
    );
    let body = reply.json();
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["model"], "instruct");
    assert_eq!(body["choices"][0]["text"], "Hello from the mock provider.");
    assert_eq!(body["usage"]["prompt_tokens"], 10);

    let stream = mock.post_json(
        "/v1/completions",
        &json!({"model": "instruct", "prompt": "x", "stream": true,
                "stream_options": {"include_usage": true}}),
    );
    let events = stream.events();
    assert_eq!(events.len(), 2 + 1 + 1 + 1);
    let first = data_json(&events[0].1);
    assert_eq!(first["object"], "text_completion");
    assert_eq!(first["choices"][0]["text"], "Hello");
    assert_eq!(
        data_json(&events[2].1)["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(data_json(&events[3].1)["choices"], json!([]));
    assert_eq!(events[4].1, "[DONE]");
}

#[test]
fn anthropic_messages_plain_and_stream() {
    let mock = Mock::start(&["--stream-chunks", "3"]);
    let body = json!({"model": "claude-x", "max_tokens": 10,
                      "messages": [{"role": "user", "content": "hi"}]});
    let reply = mock.post_json("/v1/messages", &body);
    assert_eq!(reply.status, 200);
    let message = reply.json();
    assert_eq!(message["type"], "message");
    assert_eq!(message["model"], "claude-x");
    assert_eq!(message["content"][0]["type"], "text");
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(
        message["usage"],
        json!({"input_tokens": 10, "output_tokens": 6})
    );

    let mut streaming = body.clone();
    streaming["stream"] = json!(true);
    let reply = mock.post_json("/v1/messages", &streaming);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let events = reply.events();
    let names: Vec<&str> = events
        .iter()
        .map(|(name, _)| name.as_deref().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    for (name, data) in &events {
        assert_eq!(data_json(data)["type"], name.as_deref().unwrap());
    }
    assert_eq!(data_json(&events[0].1)["message"]["model"], "claude-x");
    assert_eq!(data_json(&events[3].1)["delta"]["text"], "Hello");
    assert_eq!(data_json(&events[7].1)["usage"]["output_tokens"], 3);
}

#[test]
fn stream_events_arrive_incrementally() {
    let mock = Mock::start(&["--stream-chunks", "5", "--chunk-delay-ms", "100"]);
    let mut conn = mock.connect();
    let started = Instant::now();
    conn.send_raw(&request(
        "POST",
        "/v1/chat/completions",
        r#"{"model":"m","stream":true}"#,
    ));
    let head = conn.read_head();
    assert_eq!(head.status, 200);
    let mut arrivals = Vec::new();
    while let Some(chunk) = conn.next_chunk() {
        arrivals.push((started.elapsed(), chunk));
    }
    // 5 content chunks + finish + [DONE], one event per HTTP chunk.
    assert_eq!(arrivals.len(), 7);
    let first = arrivals[0].0;
    let last = arrivals[6].0;
    assert!(
        first < Duration::from_millis(90),
        "first event at {first:?}"
    );
    assert!(
        last - first >= Duration::from_millis(550),
        "events not spaced: first {first:?}, last {last:?}"
    );
    assert_eq!(arrivals[6].1, b"data: [DONE]\n\n");
}

#[test]
fn models_and_unknown_paths() {
    let mock = Mock::start(&[]);
    let models = mock.call("GET", "/v1/models", "");
    assert_eq!(models.status, 200);
    let list = models.json();
    assert_eq!(list["object"], "list");
    assert!(list["data"].as_array().unwrap().len() >= 3);
    assert_eq!(list["data"][0]["object"], "model");

    let missing = mock.call("POST", "/v1/unknown", "{}");
    assert_eq!(missing.status, 404);
    let error = missing.json();
    assert!(error["error"]["message"].is_string());
    assert!(error["error"]["type"].is_string());
    assert!(error["error"]["param"].is_null());

    assert_eq!(mock.call("GET", "/v1/chat/completions", "").status, 405);
    assert_eq!(mock.call("POST", "/v1/models", "").status, 405);
    let invalid = mock.call("POST", "/v1/chat/completions", "{not json");
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.json()["error"]["type"], "invalid_request_error");
    assert_eq!(mock.call("POST", "/v1/chat/completions", "{}").status, 400);
}

#[test]
fn embeddings_batch_and_dims() {
    let mock = Mock::start(&["--embed-dims", "16"]);
    let cases = [
        (json!({"model": "e", "input": "one"}), 1, 16),
        (json!({"model": "e", "input": ["a", "b", "c"]}), 3, 16),
        (json!({"model": "e", "input": [[1, 2], [3], [4, 5]]}), 3, 16),
        (json!({"model": "e", "input": [1, 2, 3, 4]}), 1, 16),
        (
            json!({"model": "e", "input": ["a", "b"], "dimensions": 7}),
            2,
            7,
        ),
    ];
    for (request, batch, dims) in cases {
        let reply = mock.post_json("/v1/embeddings", &request);
        assert_eq!(reply.status, 200, "{request}");
        let body = reply.json();
        assert_eq!(body["object"], "list");
        assert_eq!(body["model"], "e");
        let data = body["data"].as_array().unwrap();
        assert_eq!(data.len(), batch, "{request}");
        for (index, row) in data.iter().enumerate() {
            assert_eq!(row["object"], "embedding");
            assert_eq!(row["index"], index);
            assert_eq!(row["embedding"].as_array().unwrap().len(), dims);
        }
        assert_eq!(body["usage"]["prompt_tokens"], 10 * batch);
    }
    let value = mock
        .post_json(
            "/v1/embeddings",
            &json!({"model": "e", "input": ["a", "b"]}),
        )
        .json();
    // Deterministic: value (1, 2) = -((7919 + 2 * 104729) % 1e6) / 1e6.
    assert_eq!(
        value["data"][1]["embedding"][2].as_f64().unwrap(),
        -0.217377
    );
    assert_eq!(value["data"][0]["embedding"][2].as_f64().unwrap(), 0.209458);
    let empty = mock.post_json("/v1/embeddings", &json!({"model": "e", "input": []}));
    assert_eq!(empty.status, 400);
}

#[test]
fn embeddings_base64_is_little_endian_f32() {
    let mock = Mock::start(&[]);
    let body = mock
        .post_json(
            "/v1/embeddings",
            &json!({"model": "e", "input": ["a", "b"], "dimensions": 5, "encoding_format": "base64"}),
        )
        .json();
    let encoded = body["data"][1]["embedding"].as_str().unwrap();
    let bytes = decode_base64(encoded);
    assert_eq!(bytes.len(), 5 * 4);
    let floats: Vec<f32> = bytes
        .chunks(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let expected: Vec<f32> = (0..5usize)
        .map(|col| {
            let magnitude = ((7919 + col * 104_729) % 1_000_000) as f32 / 1e6;
            if (1 + col) % 2 == 1 {
                -magnitude
            } else {
                magnitude
            }
        })
        .collect();
    assert_eq!(floats, expected);
}

fn decode_base64(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = alphabet.iter().position(|a| *a == byte).unwrap() as u32;
        bits = bits << 6 | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[test]
fn large_embeddings_body_has_exact_length() {
    let mock = Mock::start(&[]);
    let inputs: Vec<String> = (0..256).map(|i| format!("input {i}")).collect();
    let reply = mock.post_json("/v1/embeddings", &json!({"model": "e", "input": inputs}));
    assert_eq!(reply.status, 200);
    let declared: usize = reply.header("content-length").unwrap().parse().unwrap();
    assert_eq!(declared, reply.body.len());
    assert!(declared > 3_000_000, "only {declared} bytes");
    let body = reply.json();
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 256);
    assert!(data
        .iter()
        .all(|row| row["embedding"].as_array().unwrap().len() == 1536));
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let mock = Mock::start(&["--stream-chunks", "2"]);
    let mut conn = mock.connect();
    for round in 0..3 {
        let model = format!("m{round}");
        conn.send_raw(&request(
            "POST",
            "/v1/chat/completions",
            &json!({"model": model}).to_string(),
        ));
        assert_eq!(conn.read_response().json()["model"], model.as_str());
        conn.send_raw(&request(
            "POST",
            "/v1/chat/completions",
            &json!({"model": model, "stream": true}).to_string(),
        ));
        assert_eq!(conn.read_response().events().len(), 4);
        conn.send_raw(&request(
            "POST",
            "/v1/embeddings",
            r#"{"model":"e","input":"x","dimensions":3}"#,
        ));
        assert_eq!(conn.read_response().status, 200);
        conn.send_raw(&request("GET", "/v1/models", ""));
        assert_eq!(conn.read_response().status, 200);
    }
    let stats = mock.call("GET", "/__mock/stats", "").json();
    assert_eq!(stats["requests"], 12);
    assert_eq!(
        stats["connections"], 2,
        "one test connection plus the stats one"
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    let mut both = request("POST", "/v1/chat/completions", r#"{"model":"first"}"#);
    both.extend(request(
        "POST",
        "/v1/chat/completions",
        r#"{"model":"second"}"#,
    ));
    conn.send_raw(&both);
    assert_eq!(conn.read_response().json()["model"], "first");
    assert_eq!(conn.read_response().json()["model"], "second");
}

#[test]
fn chunked_request_body_is_decoded() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    let json = r#"{"model":"chunky","messages":[]}"#;
    let (left, right) = json.split_at(10);
    conn.send_raw(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: m\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    conn.send_raw(format!("{:x};ext=1\r\n{left}\r\n", left.len()).as_bytes());
    std::thread::sleep(Duration::from_millis(50));
    conn.send_raw(format!("{:X}\r\n{right}\r\n0\r\n\r\n", right.len()).as_bytes());
    let reply = conn.read_response();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["model"], "chunky");
    let recorded = mock.call("GET", "/__mock/requests", "").json();
    assert_eq!(recorded[0]["body"], json);

    conn.send_raw(
        b"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    assert_eq!(conn.read_response().status, 400);
    assert!(conn.closed_within(Duration::from_secs(5)));
}

#[test]
fn expect_continue_gets_interim_response() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    let body = r#"{"model":"m"}"#;
    conn.send_raw(
        format!(
            "POST /v1/chat/completions HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    let interim = conn.read_head();
    assert_eq!(interim.status, 100);
    conn.send_raw(body.as_bytes());
    assert_eq!(conn.read_response().json()["model"], "m");
}

#[test]
fn client_connection_close_and_http10_close_after_reply() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    conn.send_raw(b"GET /v1/models HTTP/1.1\r\nConnection: close\r\n\r\n");
    let reply = conn.read_response();
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(conn.closed_within(Duration::from_secs(5)));

    let mut old = mock.connect();
    old.send_raw(b"GET /v1/models HTTP/1.0\r\n\r\n");
    assert_eq!(old.read_response().status, 200);
    assert!(old.closed_within(Duration::from_secs(5)));
}

#[test]
fn malformed_head_gets_400_and_close() {
    let mock = Mock::start(&[]);
    let mut conn = mock.connect();
    conn.send_raw(b"NOT HTTP AT ALL\r\n\r\n");
    assert_eq!(conn.read_response().status, 400);
    assert!(conn.closed_within(Duration::from_secs(5)));
    // The server is still healthy.
    assert_eq!(mock.call("GET", "/v1/models", "").status, 200);
}
