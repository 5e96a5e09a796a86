//! Non-stream inference through the real gateway to the mock provider: LiteLLM's response
//! headers, the model the client gets back, model resolution, routes, Azure, admin routes and
//! `mock_response`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_litellm_error, chat_body, is_uuid, Gateway, Mock};
use serde_json::{json, Value};

fn body_of(request: &Value) -> Value {
    serde_json::from_str(request["body"].as_str().unwrap()).unwrap()
}

#[test]
fn chat_returns_group_name_litellm_headers_and_sends_provider_model_and_key() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: gpt-group\n    litellm_params:\n      model: openai/provider-model-x\n      api_base: {}\n      api_key: sk-upstream-123\n    model_info:\n      id: dep-1\n",
        mock.base("/v1")
    );
    let gw = Gateway::start(&config);
    let resp = gw.post("/v1/chat/completions", &chat_body("gpt-group"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(
        v["model"], "gpt-group",
        "model is the group, not the provider's: {v}"
    );
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello from the mock provider."
    );
    assert_eq!(v["usage"]["prompt_tokens"], 10);

    let call_id = resp.header("x-litellm-call-id").expect("call id header");
    assert!(is_uuid(call_id), "call id {call_id:?} is not a UUID");
    assert_eq!(resp.header("x-litellm-model-id"), Some("dep-1"));
    assert_eq!(resp.header("x-litellm-model-group"), Some("gpt-group"));
    assert_eq!(
        resp.header("x-litellm-model-api-base"),
        Some(mock.base("/v1").as_str())
    );
    let overhead: f64 = resp
        .header("x-litellm-overhead-duration-ms")
        .expect("overhead header")
        .parse()
        .expect("overhead is a number");
    assert!(overhead >= 0.0);
    assert_eq!(resp.header("x-litellm-attempted-retries"), Some("0"));
    assert_eq!(resp.header("x-litellm-attempted-fallbacks"), Some("0"));
    assert_eq!(
        resp.header("content-length").map(str::parse::<usize>),
        Some(Ok(resp.body.len()))
    );

    // A second call gets its own call id.
    let again = gw.post("/v1/chat/completions", &chat_body("gpt-group"));
    assert_ne!(again.header("x-litellm-call-id"), Some(call_id));

    let seen = mock.last_request();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/v1/chat/completions");
    assert_eq!(seen["headers"]["authorization"], "Bearer sk-upstream-123");
    let sent = body_of(&seen);
    assert_eq!(sent["model"], "provider-model-x");
    assert_eq!(
        sent["messages"][0]["content"], "hi",
        "the rest of the body is kept"
    );
    assert!(
        sent.get("stream_options").is_none(),
        "no stream_options on non-stream calls"
    );
}

/// (path, request model or None, response model, group header, mock path, provider model)
type Case<'a> = (&'a str, Option<&'a str>, &'a str, &'a str, &'a str, &'a str);

#[test]
fn models_resolve_by_name_alias_and_wildcards_on_every_route_form() {
    let mock = Mock::start();
    let config = format!(
        r#"model_list:
  - model_name: exact-model
    litellm_params:
      model: openai/m-exact
      api_base: {exact}
  - model_name: "openai/*"
    litellm_params:
      model: "openai/*"
      api_base: {prefixed}
  - model_name: "*"
    litellm_params:
      model: "openai/*"
      api_base: {star}
router_settings:
  model_group_alias:
    my-alias: exact-model
"#,
        exact = mock.base("/exact/v1"),
        prefixed = mock.base("/prefixed/v1"),
        star = mock.base("/star/v1"),
    );
    let gw = Gateway::start(&config);
    let cases: &[Case<'_>] = &[
        (
            "/v1/chat/completions",
            Some("exact-model"),
            "exact-model",
            "exact-model",
            "/exact/v1/chat/completions",
            "m-exact",
        ),
        (
            "/chat/completions",
            Some("exact-model"),
            "exact-model",
            "exact-model",
            "/exact/v1/chat/completions",
            "m-exact",
        ),
        (
            "/v1/chat/completions",
            Some("my-alias"),
            "my-alias",
            "exact-model",
            "/exact/v1/chat/completions",
            "m-exact",
        ),
        (
            "/v1/chat/completions",
            Some("openai/gpt-foo"),
            "openai/gpt-foo",
            "openai/*",
            "/prefixed/v1/chat/completions",
            "gpt-foo",
        ),
        (
            "/chat/completions",
            Some("some-other-model"),
            "some-other-model",
            "*",
            "/star/v1/chat/completions",
            "some-other-model",
        ),
        (
            "/openai/deployments/exact-model/chat/completions?api-version=2024-10-21",
            None,
            "exact-model",
            "exact-model",
            "/exact/v1/chat/completions",
            "m-exact",
        ),
        (
            "/v1/openai/deployments/my-alias/chat/completions?api-version=2024-10-21",
            None,
            "my-alias",
            "exact-model",
            "/exact/v1/chat/completions",
            "m-exact",
        ),
    ];
    for &(path, model, want_model, group, mock_path, provider_model) in cases {
        let mut body = json!({"messages": [{"role": "user", "content": "hi"}]});
        if let Some(m) = model {
            body["model"] = json!(m);
        }
        let resp = gw.post(path, &body);
        assert_eq!(resp.status, 200, "{path} {model:?}: {}", resp.text());
        assert_eq!(resp.json()["model"], want_model, "{path} {model:?}");
        assert_eq!(
            resp.header("x-litellm-model-group"),
            Some(group),
            "{path} {model:?}"
        );
        let seen = mock.last_request();
        assert_eq!(seen["path"], mock_path, "{path} {model:?}");
        assert_eq!(body_of(&seen)["model"], provider_model, "{path} {model:?}");
    }
    // The path's deployment wins over the body's model (LiteLLM's proxy_server: `model` from
    // the path comes before `data["model"]`).
    let resp = gw.post(
        "/openai/deployments/exact-model/chat/completions",
        &chat_body("openai/from-body"),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "exact-model");
    assert_ne!(body_of(&mock.last_request())["model"], "from-body");
}

#[test]
fn azure_deployment_gets_deployment_path_api_version_and_api_key_header() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: az-gpt\n    litellm_params:\n      model: azure/my-deploy\n      api_base: {}\n      api_version: \"2024-10-21\"\n      api_key: az-secret-key\n",
        mock.base("")
    );
    let gw = Gateway::start(&config);
    let resp = gw.post("/v1/chat/completions", &chat_body("az-gpt"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "az-gpt");
    let seen = mock.last_request();
    assert_eq!(
        seen["path"],
        "/openai/deployments/my-deploy/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(seen["headers"]["api-key"], "az-secret-key");
    assert!(
        seen["headers"].get("authorization").is_none(),
        "azure keys go in api-key, not Authorization: {seen}"
    );
}

#[test]
fn legacy_completions_models_model_info_and_health() {
    let mock = Mock::start();
    let config = format!(
        r#"model_list:
  - model_name: text-model
    litellm_params:
      model: openai/provider-text
      api_base: {base}
      api_key: sk-very-secret-upstream
  - model_name: chat-model
    litellm_params:
      model: openai/provider-chat
      api_base: {base}
      api_key: sk-very-secret-upstream
router_settings:
  model_group_alias:
    visible-alias: chat-model
    hidden-alias:
      model: chat-model
      hidden: true
general_settings:
  master_key: sk-master-1234
"#,
        base = mock.base("/v1")
    );
    let gw = Gateway::start(&config);
    let auth = [("Authorization", "Bearer sk-master-1234")];

    let body = json!({"model": "text-model", "prompt": "Say hi"});
    let resp = gw.request(
        "POST",
        "/v1/completions",
        &auth,
        body.to_string().as_bytes(),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["object"], "text_completion");
    assert_eq!(v["model"], "text-model");
    let seen = mock.last_request();
    assert_eq!(seen["path"], "/v1/completions");
    assert_eq!(body_of(&seen)["model"], "provider-text");
    assert_eq!(body_of(&seen)["prompt"], "Say hi");

    let resp = gw.request("GET", "/v1/models", &auth, b"");
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["object"], "list");
    let mut ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["chat-model", "text-model", "visible-alias"]);
    assert!(v["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["object"] == "model"));
    assert_eq!(gw.request("GET", "/models", &auth, b"").status, 200);

    let resp = gw.request("GET", "/model/info", &auth, b"");
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(
        !resp.text().contains("sk-very-secret-upstream"),
        "model info leaks the api_key: {}",
        resp.text()
    );
    let v = resp.json();
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let text = data
        .iter()
        .find(|d| d["model_name"] == "text-model")
        .unwrap();
    assert_eq!(text["litellm_params"]["model"], "openai/provider-text");
    assert_eq!(text["litellm_params"]["api_base"], mock.base("/v1"));
    assert!(text["litellm_params"].get("api_key").is_none());
    assert!(text["model_info"]["id"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));

    // The admin routes need the key; the health probes do not.
    assert_eq!(gw.get("/v1/models").status, 401);
    assert_eq!(gw.get("/model/info").status, 401);
    let live = gw.get("/health/liveliness");
    assert_eq!(live.status, 200, "{}", live.text());
    assert_eq!(live.json(), json!("I'm alive!"));
    let ready = gw.get("/health/readiness");
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert_eq!(ready.json()["status"], "healthy");
}

#[test]
fn mock_response_answers_chat_stream_and_embeddings_offline() {
    // No provider is running: every answer comes from the gateway itself.
    let config = r#"model_list:
  - model_name: offline
    litellm_params:
      model: openai/gpt-4o
      mock_response: "Offline answer here."
  - model_name: offline-emb
    litellm_params:
      model: openai/text-embedding-3-small
      mock_response: "x"
"#;
    let gw = Gateway::start(config);
    let resp = gw.post("/v1/chat/completions", &chat_body("offline"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["model"], "offline");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Offline answer here."
    );
    assert_eq!(resp.header("x-litellm-model-group"), Some("offline"));
    assert!(is_uuid(resp.header("x-litellm-call-id").unwrap()));

    let mut body = chat_body("offline");
    body["stream"] = json!(true);
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/event-stream"));
    let events = common::SseEvents::split(&resp.body);
    assert_eq!(events.last().map(String::as_str), Some("data: [DONE]"));
    let mut content = String::new();
    for e in &events[..events.len() - 1] {
        let chunk = common::event_json(e).expect("data event");
        assert_eq!(chunk["model"], "offline");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        if let Some(c) = chunk["choices"][0]["delta"]["content"].as_str() {
            content.push_str(c);
        }
    }
    assert_eq!(content, "Offline answer here.");

    let body = json!({"model": "offline-emb", "input": ["a", "b", "c"]});
    let resp = gw.post("/v1/embeddings", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["model"], "offline-emb");
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    assert!(v["data"][0]["embedding"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
}

/// A chat body to an OpenAI-format row goes as LiteLLM sends it: LiteLLM's own keys stay
/// behind, `extra_body` is merged in, and the row's parameter table applies (refused, renamed,
/// dropped with `drop_params`), for a body spilled to a file as for one in memory.
#[test]
fn openai_format_rows_get_parameters_as_litellm_sends_them() {
    let mock = Mock::start();
    let base = mock.base("/v1");
    let gw = Gateway::start(&format!(
        "model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {base}\n      api_key: k\n  - model_name: mis\n    litellm_params:\n      model: mistral/mistral-large-latest\n      api_base: {base}\n      api_key: k\n  - model_name: pplx\n    litellm_params:\n      model: perplexity/sonar\n      api_base: {base}\n      api_key: k\n"
    ));
    let mut body = chat_body("gpt");
    body["metadata"] = json!({"a": 1});
    body["tags"] = json!(["t"]);
    body["user"] = json!("u");
    body["extra_body"] = json!({"eb": 1});
    assert_eq!(gw.post("/v1/chat/completions", &body).status, 200);
    assert_eq!(
        body_of(&mock.last_request()),
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "user": "u",
               "eb": 1})
    );
    // Embeddings and text completions leave LiteLLM's keys behind too (the text completion
    // of an OpenAI chat model goes as a chat completion, as LiteLLM sends it).
    let embed = json!({"model": "gpt", "input": "a", "metadata": {"a": 1}, "tags": ["t"]});
    assert_eq!(gw.post("/v1/embeddings", &embed).status, 200);
    assert_eq!(
        body_of(&mock.last_request()),
        json!({"model": "gpt-4o", "input": "a"})
    );
    let text =
        json!({"model": "gpt", "prompt": "a", "num_retries": 2, "extra_body": {"echo": true}});
    assert_eq!(gw.post("/v1/completions", &text).status, 200);
    assert_eq!(
        body_of(&mock.last_request()),
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "a"}], "echo": true})
    );
    assert_eq!(mock.last_request()["path"], "/v1/chat/completions");
    // OpenAI's own row refuses `thinking` whatever the model, as LiteLLM's OpenAI config does.
    let mut body = chat_body("gpt");
    body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    let error = assert_litellm_error(&gw.post("/v1/chat/completions", &body), 400);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("openai does not support parameters: ['thinking']"),
        "{error}"
    );
    let mut body = chat_body("mis");
    body["presence_penalty"] = json!(0.1);
    body["seed"] = json!(3);
    body["max_completion_tokens"] = json!(5);
    body["user"] = json!("u");
    let error = assert_litellm_error(&gw.post("/v1/chat/completions", &body), 400);
    assert!(
        error["message"].as_str().unwrap().contains(
            "mistral does not support parameters: ['presence_penalty'], for model=mistral-large-latest"
        ),
        "{error}"
    );
    body["drop_params"] = json!(true);
    assert_eq!(gw.post("/v1/chat/completions", &body).status, 200);
    let expected = json!({"model": "mistral-large-latest",
                          "messages": [{"role": "user", "content": "hi"}],
                          "random_seed": 3, "max_tokens": 5});
    assert_eq!(body_of(&mock.last_request()), expected);
    // Mistral's messages: content lists joined, `name` on tool messages only, tool calls
    // reshaped, empty turns left out.
    let messages = json!({"model": "mis", "messages": [
        {"role": "user", "name": "alice", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": null, "reasoning_content": "r",
         "tool_calls": [{"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "name": "f", "content": "ok"},
        {"role": "assistant", "content": ""}]});
    assert_eq!(gw.post("/v1/chat/completions", &messages).status, 200);
    assert_eq!(
        body_of(&mock.last_request())["messages"],
        json!([{"role": "user", "content": "ab"},
               {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                                     "function": {"name": "f", "arguments": "{}"}}]},
               {"role": "tool", "tool_call_id": "c1", "name": "f", "content": "ok"}])
    );
    // Over 1 MiB the body is spilled to a file as it arrives, and read back for the table.
    let long = "x".repeat(1_200_000);
    body["messages"][0]["content"] = json!(long);
    assert_eq!(gw.post("/v1/chat/completions", &body).status, 200);
    let mut expected = expected;
    expected["messages"][0]["content"] = json!(long);
    assert_eq!(body_of(&mock.last_request()), expected);
    // A translated request: `/v1/messages` to Perplexity, whose chat has no `stop`.
    let mut body = json!({"model": "pplx", "max_tokens": 5, "stop_sequences": ["END"],
                          "messages": [{"role": "user", "content": "hi"}]});
    let refused = gw.post("/v1/messages", &body);
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"]["type"], "invalid_request_error");
    assert!(
        refused
            .text()
            .contains("perplexity does not support parameters: ['stop']"),
        "{}",
        refused.text()
    );
    body["drop_params"] = json!(true);
    assert_eq!(gw.post("/v1/messages", &body).status, 200);
    let sent = body_of(&mock.last_request());
    assert_eq!(sent["model"], "sonar");
    assert!(sent.get("stop").is_none(), "{sent}");
    gw.assert_healthy();
}

/// Fireworks AI is asked for its resource name (`accounts/fireworks/models/...`) on chat, as
/// LiteLLM asks it, and for the configured name on embeddings.
#[test]
fn fireworks_ai_gets_its_resource_names() {
    let mock = Mock::start();
    let base = mock.base("/v1");
    let gw = Gateway::start(&format!(
        "model_list:\n  - model_name: fw\n    litellm_params:\n      model: fireworks_ai/llama-v3p1-8b-instruct\n      api_base: {base}\n      api_key: k\n  - model_name: fw-full\n    litellm_params:\n      model: fireworks_ai/accounts/me/models/custom\n      api_base: {base}\n      api_key: k\n"
    ));
    assert_eq!(
        gw.post("/v1/chat/completions", &chat_body("fw")).status,
        200
    );
    assert_eq!(
        body_of(&mock.last_request())["model"],
        "accounts/fireworks/models/llama-v3p1-8b-instruct"
    );
    assert_eq!(
        gw.post("/v1/chat/completions", &chat_body("fw-full"))
            .status,
        200
    );
    assert_eq!(
        body_of(&mock.last_request())["model"],
        "accounts/me/models/custom"
    );
    let embed = json!({"model": "fw", "input": "a"});
    assert_eq!(gw.post("/v1/embeddings", &embed).status, 200);
    assert_eq!(
        body_of(&mock.last_request())["model"],
        "llama-v3p1-8b-instruct"
    );
    gw.assert_healthy();
}

/// `x-litellm-response-cost` prices cache reads and reasoning as LiteLLM does: the cost map's
/// rates, or a deployment's own input and output rates with the cost map's cache rates
/// inherited (only when it has its own input rate). Expected values are what LiteLLM 1.108.7's
/// `generic_cost_per_token` computes for the same usage.
#[test]
fn response_cost_prices_cached_and_reasoning_tokens() {
    let (base, _seen) = common::scripted_upstream(|_, _| {
        let answer = json!({
            "id": "chatcmpl-c", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1500, "completion_tokens": 200, "total_tokens": 1700,
                      "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 50, "audio_tokens": 0}}
        });
        (200, "application/json", answer.to_string())
    });
    let deployment = |name: &str, prices: &str| {
        format!("  - model_name: {name}\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {base}/v1\n      api_key: sk-o\n{prices}")
    };
    let config = format!(
        "model_list:\n{}{}{}",
        deployment("mapped", ""),
        deployment(
            "own",
            "      input_cost_per_token: 1.0e-6\n      output_cost_per_token: 2.0e-6\n"
        ),
        deployment(
            "output-only",
            "    model_info:\n      output_cost_per_token: 2.0e-6\n"
        ),
    );
    let gw = Gateway::start(&config);
    for (group, litellm) in [
        ("mapped", "0.00447"),
        ("own", "0.002156"),
        ("output-only", "0.00039999999999999996"),
    ] {
        let resp = gw.post("/v1/chat/completions", &chat_body(group));
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(
            resp.header("x-litellm-response-cost"),
            Some(litellm),
            "{group}"
        );
    }
    // /model/info shows the rates priced with, the inherited cache read rate included.
    let info = gw.get("/model/info").json();
    let own = info["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["model_name"] == "own")
        .unwrap();
    assert_eq!(own["model_info"]["input_cost_per_token"], json!(1.0e-6));
    assert_eq!(
        own["model_info"]["cache_read_input_token_cost"],
        json!(1.25e-6)
    );
}
