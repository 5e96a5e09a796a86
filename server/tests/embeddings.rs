//! Embeddings through the gateway, from one input to a batch whose response is several MB
//! (relayed piece by piece, model rewritten, every value intact).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{one_model, Gateway, Mock};
use serde_json::{json, Value};

/// The mock's value at (row, col), as its docs define it.
fn expected(row: u64, col: u64) -> f64 {
    let v = ((row * 7919 + col * 104_729) % 1_000_000) as f64 / 1e6;
    if (row + col) % 2 == 1 {
        -v
    } else {
        v
    }
}

fn check_batch(v: &Value, model: &str, rows: usize, dims: usize) {
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], model, "model not rewritten");
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), rows);
    for (row, item) in data.iter().enumerate() {
        assert_eq!(item["index"], row);
        let emb = item["embedding"].as_array().unwrap();
        assert_eq!(emb.len(), dims, "row {row}");
        for (col, x) in emb.iter().enumerate() {
            let want = expected(row as u64, col as u64);
            let got = x.as_f64().unwrap();
            assert!((got - want).abs() < 1e-9, "({row},{col}): {got} != {want}");
        }
    }
    assert_eq!(v["usage"]["prompt_tokens"], 10 * rows as u64);
}

#[test]
fn single_embedding_is_rewritten_and_spliced() {
    let mock = Mock::start();
    let gw = Gateway::start(&one_model(
        "emb-group",
        "text-embedding-3-small",
        &mock.base("/v1"),
    ));
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "emb-group", "input": "hello", "dimensions": 8}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    check_batch(&resp.json(), "emb-group", 1, 8);
    assert_eq!(resp.header("x-litellm-model-group"), Some("emb-group"));
    let seen = mock.last_request();
    assert_eq!(seen["path"], "/v1/embeddings");
    let sent: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["model"], "text-embedding-3-small");
    assert_eq!(sent["input"], "hello");
    assert!(sent.get("stream_options").is_none());
    // Bare route too.
    let resp = gw.post(
        "/embeddings",
        &json!({"model": "emb-group", "input": ["a", "b"], "dimensions": 4}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    check_batch(&resp.json(), "emb-group", 2, 4);
}

#[test]
fn multi_megabyte_embedding_batch_arrives_whole_and_intact() {
    let mock = Mock::start();
    let gw = Gateway::start(&one_model(
        "big-emb",
        "text-embedding-3-small",
        &mock.base("/v1"),
    ));
    let inputs: Vec<String> = (0..256).map(|i| format!("input number {i}")).collect();
    let body = json!({"model": "big-emb", "input": inputs, "dimensions": 1536});
    let mut client = gw.client();
    for _ in 0..2 {
        // Twice on one connection: the large relay must leave both connections reusable.
        let resp = client.post("/v1/embeddings", &body);
        assert_eq!(
            resp.status,
            200,
            "{}",
            String::from_utf8_lossy(&resp.body[..200.min(resp.body.len())])
        );
        assert!(
            resp.body.len() > 3_000_000,
            "expected several MB, got {}",
            resp.body.len()
        );
        check_batch(&resp.json(), "big-emb", 256, 1536);
        assert_eq!(resp.header("x-litellm-model-group"), Some("big-emb"));
    }
    let (requests, _) = mock.stats();
    assert_eq!(requests, 2);
}
