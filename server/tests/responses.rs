//! OpenAI's Responses API through the real binary to the mock's `/responses`: created whole
//! and streamed, read, deleted, listed and cancelled by the id the gateway issued, as
//! LiteLLM 1.108.7's proxy serves them (its wrapped ids, its `ResponsesAPIResponse` shape,
//! its stream without `event:` lines and with the client's model, one `response.failed`
//! event for a failure mid-stream).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_litellm_error, Gateway, Mock};
use corelane_transforms::responses::{decode_id, encode_id};
use serde_json::{json, Value};

fn config(mock: &Mock) -> String {
    format!(
        "model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {0}\n      api_key: sk-o\n    model_info:\n      id: dep-gpt\n  - model_name: az\n    litellm_params:\n      model: azure/my-gpt\n      api_base: {1}\n      api_key: az-key\n      api_version: 2025-03-01-preview\n    model_info:\n      id: dep-az\n  - model_name: cut\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {2}\n      api_key: sk-o\n  - model_name: groq\n    litellm_params:\n      model: groq/llama-3.1-8b-instant\n      api_base: {0}\n      api_key: sk-g\n    model_info:\n      input_cost_per_token: 5.0e-8\n      output_cost_per_token: 8.0e-8\n  - model_name: busy\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {3}\n      api_key: sk-o\n  - model_name: mocked\n    litellm_params:\n      model: openai/gpt-4o\n      mock_response: Hi from the mock deployment\n",
        mock.base("/v1"),
        mock.base(""),
        mock.base("/truncate/v1"),
        mock.base("/status/429/v1"),
    )
}

/// The `data:` payloads of an SSE body, and whether any line was an `event:` line.
fn events(text: &str) -> (Vec<String>, bool) {
    let named = text.lines().any(|l| l.starts_with("event:"));
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(str::to_owned)
        .collect();
    (data, named)
}

#[test]
fn created_whole_as_litellm_returns_it() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    for path in ["/v1/responses", "/responses", "/openai/v1/responses"] {
        let resp = gw.post(
            path,
            &json!({"model": "gpt", "input": "Hi", "max_output_tokens": 5, "zz_unknown": 1,
                    "instructions": null, "extra_body": {"foo": "bar"}}),
        );
        assert_eq!(resp.status, 200, "{}", resp.text());
        let answer = resp.json();
        assert_eq!(answer["model"], "gpt");
        assert_eq!(
            answer["id"],
            encode_id("openai", Some("dep-gpt"), "resp_0mock1a2b3c")
        );
        // Every field of LiteLLM's ResponsesAPIResponse, in its order.
        let text = resp.text();
        let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap();
        assert!(text.starts_with("{\"id\":"), "{text}");
        assert!(at("created_at") < at("error") && at("error") < at("incomplete_details"));
        assert!(
            at("usage") < at("user") && at("user") < at("store"),
            "{text}"
        );
        assert_eq!(answer["output"][0]["content"][0]["logprobs"], Value::Null);
        assert_eq!(answer["output"][0]["phase"], Value::Null);
        assert_eq!(answer["usage"]["cost"], Value::Null);
        assert_eq!(
            answer["usage"]["input_tokens_details"]["audio_tokens"],
            Value::Null
        );
        let seen = mock.last_request();
        assert_eq!(seen["path"], "/v1/responses");
        let sent: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({"model": "gpt-4o", "input": "Hi", "max_output_tokens": 16, "foo": "bar"})
        );
    }
    let resp = gw.get("/metrics");
    assert!(resp.status == 200 || resp.status == 404);
}

#[test]
fn azure_goes_to_its_responses_path() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let resp = gw.post("/v1/responses", &json!({"model": "az", "input": "Hi"}));
    assert_eq!(resp.status, 200, "{}", resp.text());
    let seen = mock.last_request();
    assert_eq!(
        seen["path"],
        "/openai/responses?api-version=2025-03-01-preview"
    );
    assert_eq!(seen["headers"]["api-key"], "az-key");
    assert_eq!(
        decode_id(resp.json()["id"].as_str().unwrap())
            .unwrap()
            .model_id,
        "dep-az"
    );
}

#[test]
fn streamed_without_event_lines_and_with_the_client_s_model() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let resp = gw.post(
        "/v1/responses",
        &json!({"model": "gpt", "input": "Hi", "stream": true}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (data, named) = events(&resp.text());
    assert!(!named, "no event: lines");
    assert_eq!(data.last().unwrap(), "[DONE]");
    let id = encode_id("openai", Some("dep-gpt"), "resp_0mock1a2b3c");
    let parsed: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    for event in &parsed {
        assert_eq!(event["model"], "gpt", "{event}");
        if let Some(r) = event.get("response") {
            assert_eq!(r["id"], id);
            // The nested response keeps the provider's model, and loses its nulls.
            assert_eq!(r["model"], "gpt-4o");
            assert!(r.get("error").is_none(), "{r}");
        }
    }
    assert_eq!(parsed[0]["type"], "response.created");
    let last = parsed.last().unwrap();
    assert_eq!(last["type"], "response.completed");
    // gpt-4o is priced: the last event carries the cost.
    assert!(last["response"]["usage"]["cost"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_stream_cut_short_ends_with_one_failure_event() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let resp = gw.post(
        "/v1/responses",
        &json!({"model": "cut", "input": "Hi", "stream": true}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    let tail: Vec<&str> = text.trim_end().rsplit("\n\n").take(2).collect();
    assert_eq!(tail[0], "data: [DONE]");
    let failed = tail[1]
        .strip_prefix("event: response.failed\ndata: ")
        .unwrap();
    let failed: Value = serde_json::from_str(failed).unwrap();
    assert_eq!(failed["type"], "response.failed");
    assert_eq!(failed["response"]["status"], "failed");
    assert_eq!(failed["response"]["error"]["code"], "server_error");
    gw.assert_healthy();
}

#[test]
fn stored_responses_are_found_by_the_id_the_gateway_issued() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let id = gw
        .post("/v1/responses", &json!({"model": "gpt", "input": "Hi"}))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = gw.get(&format!("/v1/responses/{id}"));
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["id"], id);
    // A read keeps the provider's model.
    assert_eq!(read.json()["model"], "gpt-4o-2024-08-06");
    let seen = mock.last_request();
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["path"], "/v1/responses/resp_0mock1a2b3c");

    let items = gw.get(&format!("/v1/responses/{id}/input_items?limit=2"));
    assert_eq!(items.status, 200, "{}", items.text());
    assert_eq!(items.json()["object"], "list");
    assert_eq!(
        mock.last_request()["path"],
        "/v1/responses/resp_0mock1a2b3c/input_items?limit=20&order=desc"
    );

    let cancel = gw.request("POST", &format!("/responses/{id}/cancel"), &[], b"");
    assert_eq!(cancel.status, 200, "{}", cancel.text());
    assert_eq!(cancel.json()["status"], "cancelled");
    // LiteLLM's cancel answer keeps the provider's id.
    assert_eq!(cancel.json()["id"], "resp_0mock1a2b3c");
    assert_eq!(mock.last_request()["body"], "{}");

    let deleted = gw.request("DELETE", &format!("/v1/responses/{id}"), &[], b"");
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(
        deleted.json(),
        json!({"id": "resp_0mock1a2b3c", "object": "response", "deleted": true})
    );
    assert_eq!(mock.last_request()["method"], "DELETE");

    // previous_response_id goes upstream as the provider's id.
    let next = gw.post(
        "/v1/responses",
        &json!({"model": "gpt", "input": "More", "previous_response_id": id}),
    );
    assert_eq!(next.status, 200, "{}", next.text());
    let sent: Value = serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["previous_response_id"], "resp_0mock1a2b3c");
}

#[test]
fn refusals_as_litellm_refuses_them() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let before = mock.requests().len();
    let error = assert_litellm_error(&gw.post("/v1/responses", &json!({"model": "gpt"})), 400);
    assert_eq!(
        error["message"],
        "/responses: Missing required parameter: 'input'."
    );
    assert_eq!(error["param"], "input");
    let error = assert_litellm_error(&gw.post("/v1/responses", &json!({"input": "x"})), 400);
    assert!(
        error["message"].as_str().unwrap().contains("model=None"),
        "{error}"
    );
    // An id the gateway did not issue names no deployment.
    let error = assert_litellm_error(&gw.get("/v1/responses/resp_plain123"), 400);
    assert_eq!(
        error["message"],
        "litellm.BadRequestError: You passed in model=None. There are no healthy deployments for this model"
    );
    let foreign = encode_id("openai", Some("nope"), "resp_1");
    let error = assert_litellm_error(&gw.get(&format!("/v1/responses/{foreign}")), 400);
    assert!(
        error["message"].as_str().unwrap().contains("model=nope"),
        "{error}"
    );
    // The bridge refuses what it cannot translate, as LiteLLM does.
    let error = assert_litellm_error(
        &gw.post(
            "/v1/responses",
            &json!({"model": "groq", "input": "x", "max_tool_calls": 1}),
        ),
        400,
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("'max_tool_calls'"),
        "{error}"
    );
    let error = assert_litellm_error(
        &gw.post(
            "/v1/responses",
            &json!({"model": "groq", "input": [{"type": "item_reference", "id": "x"}]}),
        ),
        400,
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("item_reference"),
        "{error}"
    );
    // A stored response of a provider without the Responses API names nothing to read.
    let groq_id = encode_id("groq", Some(&groq_deployment_id(&gw)), "chatcmpl-1");
    assert_litellm_error(&gw.get(&format!("/v1/responses/{groq_id}")), 400);
    assert_eq!(
        mock.requests().len(),
        before,
        "nothing sent for refused requests"
    );
    assert_eq!(gw.request("PUT", "/v1/responses", &[], b"").status, 405);
    assert_eq!(gw.post("/v1/responses/compact", &json!({})).status, 404);
    // The provider's error, LiteLLM's class.
    let error = assert_litellm_error(
        &gw.post("/v1/responses", &json!({"model": "busy", "input": "x"})),
        429,
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("RateLimitError"),
        "{error}"
    );
    gw.assert_healthy();
}

/// The deployment id of the `groq` group, as `/model/info` lists it.
fn groq_deployment_id(gw: &Gateway) -> String {
    let info = gw.get("/model/info").json();
    info["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["model_name"] == "groq")
        .map(|d| d["model_info"]["id"].as_str().unwrap().to_owned())
        .unwrap()
}

#[test]
fn a_chat_only_provider_is_bridged_through_chat_completions() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let resp = gw.post(
        "/v1/responses",
        &json!({"model": "groq", "input": "Hi", "instructions": "Be brief", "max_output_tokens": 9,
                "metadata": {"k": "v"}, "store": true}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["model"], "groq");
    assert_eq!(answer["status"], "completed");
    assert_eq!(answer["instructions"], "Be brief");
    assert_eq!(answer["metadata"], json!({"k": "v"}));
    assert_eq!(answer["output"][0]["type"], "message");
    assert_eq!(
        answer["output"][0]["content"][0]["text"],
        "Hello from the mock provider."
    );
    assert_eq!(answer["usage"]["input_tokens"], 10);
    let decoded = decode_id(answer["id"].as_str().unwrap()).unwrap();
    assert_eq!(decoded.provider, "groq");
    let seen = mock.last_request();
    assert_eq!(seen["path"], "/v1/chat/completions");
    let sent: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}],
               "model": "llama-3.1-8b-instant", "max_tokens": 9})
    );

    let resp = gw.post(
        "/v1/responses",
        &json!({"model": "groq", "input": "Hi", "stream": true}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (data, named) = events(&resp.text());
    assert!(!named);
    assert_eq!(data.last().unwrap(), "[DONE]");
    let parsed: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let kinds: Vec<&str> = parsed.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        &kinds[..4],
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(kinds.last(), Some(&"response.completed"));
    for (n, e) in parsed.iter().enumerate() {
        assert_eq!(e["sequence_number"], n, "{e}");
        assert_eq!(e["model"], "groq");
    }
    let text: String = parsed
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert!(text.starts_with("Hello from the mock provider."), "{text}");
    let done = &parsed.last().unwrap()["response"];
    assert_eq!(done["output"][0]["content"][0]["text"], text);
    assert_eq!(done["model"], "llama-3.1-8b-instant");
    assert!(done["usage"]["cost"].as_f64().unwrap() > 0.0);
    let sent: Value = serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
}

#[test]
fn a_mock_deployment_answers_as_litellm_s_mock() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let resp = gw.post("/v1/responses", &json!({"model": "mocked", "input": "Hi"}));
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["model"], "mocked");
    assert_eq!(
        answer["output"][0]["content"][0]["text"],
        "Hi from the mock deployment"
    );
    assert_eq!(answer["usage"]["total_tokens"], 123);
    let decoded = decode_id(answer["id"].as_str().unwrap()).unwrap();
    assert_eq!(decoded.provider, "openai");
    assert_eq!(
        decoded.response_id,
        "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"
    );
}
