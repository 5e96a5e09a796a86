//! `POST /utils/token_counter` through the real binary: a group's deployment model is the
//! `model_used` (its provider prefix off), the count is LiteLLM's, refusals come in the shapes
//! LiteLLM's proxy answers with, and nothing is sent upstream.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Gateway, Mock};
use serde_json::json;

#[test]
fn counts_for_a_group_and_refuses_as_litellm_does() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {}\n      api_key: sk-up\n",
        mock.base("/v1")
    );
    let gw = Gateway::start(&config);
    let resp = gw.post(
        "/utils/token_counter",
        &json!({"model": "gpt", "messages": [{"role": "user", "content": "hello world"}]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.json(),
        json!({"total_tokens": 9, "request_model": "gpt", "model_used": "gpt-4o",
               "tokenizer_type": "openai_tokenizer", "count_source": "local_estimate",
               "original_response": null, "error": false, "error_message": null, "status_code": null})
    );
    let resp = gw.post(
        "/utils/token_counter",
        &json!({"model": "elsewhere/x", "prompt": "hello world"}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model_used"], "elsewhere/x");
    assert_eq!(resp.json()["total_tokens"], 2);

    let resp = gw.post("/utils/token_counter", &json!({"prompt": "x"}));
    assert_eq!(resp.status, 422, "{}", resp.text());
    assert_eq!(resp.json()["detail"][0]["loc"], json!(["body", "model"]));
    let resp = gw.post("/utils/token_counter", &json!({"model": "gpt"}));
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert_eq!(
        resp.json(),
        json!({"detail": "prompt or messages or contents must be provided"})
    );
    let resp = gw.post(
        "/utils/token_counter",
        &json!({"model": "gpt", "prompt": "x", "messages": [{"role": "user", "content": "y"}]}),
    );
    let error = common::assert_litellm_error(&resp, 400);
    assert_eq!(error["param"], "prompt");
    let resp = gw.request("POST", "/utils/token_counter", &[], b"{not json");
    assert_eq!(resp.status, 422, "{}", resp.text());
    assert_eq!(gw.get("/utils/token_counter").status, 405);
    assert!(mock.requests().is_empty(), "nothing goes upstream");
    gw.assert_healthy();
}
