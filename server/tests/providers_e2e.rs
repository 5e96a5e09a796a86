//! Every OpenAI-family row of the provider table, end to end: a deployment per provider that
//! serves chat (its base pointed at the mock), one chat request through the real binary each,
//! and what reached the mock checked against the row: the path under the base, the auth header
//! the row names, and the provider's model name in the body. The answer carries the client's
//! group. (The Anthropic row has its own test, `tests/anthropic.rs`.)
//! A new row is covered with no edit here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{chat_body, Gateway, Mock};
use corelane_transforms::provider::{Auth, Endpoint, Family, PathStyle, ProviderRow, PROVIDERS};

/// One model group per row, `g-<name>`, its base under `/<name>/v1` of the mock (Azure's
/// with an api_version).
fn config(mock: &Mock, rows: &[&ProviderRow]) -> String {
    let mut config = String::from("model_list:\n");
    for row in rows {
        config.push_str(&format!(
            "  - model_name: g-{name}\n    litellm_params:\n      model: {name}/m-{name}\n      api_base: {base}\n      api_key: k-{name}\n",
            name = row.name,
            base = mock.base(&format!("/{}/v1", row.name)),
        ));
        if row.path != PathStyle::Plain {
            config.push_str("      api_version: 2024-10-21\n");
        }
    }
    config
}

#[test]
fn every_chat_provider_row_reaches_the_mock_as_its_row_says() {
    let mock = Mock::start();
    let rows: Vec<_> = PROVIDERS
        .iter()
        .filter(|r| r.endpoints.contains(&Endpoint::ChatCompletions))
        .filter(|r| r.path == PathStyle::Plain && r.family == Family::OpenAi)
        .collect();
    assert!(rows.len() >= 60, "{} chat rows", rows.len());
    let gw = Gateway::start(&config(&mock, &rows));
    for row in &rows {
        mock.reset();
        let group = format!("g-{}", row.name);
        let resp = gw.post("/v1/chat/completions", &chat_body(&group));
        assert_eq!(resp.status, 200, "{}: {}", row.name, resp.text());
        assert_eq!(resp.json()["model"], group.as_str(), "{}", row.name);
        let seen = mock.last_request();
        assert_eq!(seen["method"], "POST", "{}", row.name);
        assert_eq!(
            seen["path"],
            format!("/{}/v1/chat/completions", row.name),
            "{}",
            row.name
        );
        let key = format!("k-{}", row.name);
        match row.auth {
            Auth::Bearer => assert_eq!(
                seen["headers"]["authorization"],
                format!("Bearer {key}"),
                "{}",
                row.name
            ),
            Auth::Header(name) => assert_eq!(seen["headers"][name], key, "{}", row.name),
            Auth::None => assert!(seen["headers"]["authorization"].is_null(), "{}", row.name),
            // Vertex AI and Bedrock rows are other families, filtered out above.
            Auth::GoogleOAuth | Auth::SigV4 => unreachable!("{}", row.name),
        }
        let body: serde_json::Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
        let model = format!("m-{}", row.name);
        let wire =
            corelane_transforms::provider::wire_model(row, Endpoint::ChatCompletions, &model);
        assert_eq!(body["model"], *wire, "{}", row.name);
    }
    gw.assert_healthy();
}

/// Every endpoint each OpenAI-family row serves (README's providers × endpoints table), Azure
/// included: a chat stream, embeddings, completions, and `/v1/messages` bridged to chat
/// completions; each reaches the mock under the row's base and comes back in the client's
/// shape.
#[test]
fn every_row_serves_each_endpoint_it_lists() {
    use corelane_transforms::family::serves;
    let mock = Mock::start();
    let rows: Vec<_> = PROVIDERS
        .iter()
        .filter(|r| r.family == Family::OpenAi)
        .collect();
    let gw = Gateway::start(&config(&mock, &rows));
    let mut served = 0;
    for row in &rows {
        let group = format!("g-{}", row.name);
        // The path under the row's base (Azure's names the deployment first), query aside.
        let reached = |endpoint: &str| {
            let seen = mock.last_request()["path"].as_str().unwrap().to_owned();
            let path = seen.split('?').next().unwrap_or("").to_owned();
            assert!(
                path.starts_with(&format!("/{}/v1", row.name)) && path.ends_with(endpoint),
                "{}: {seen}",
                row.name
            );
        };
        if serves(row, Endpoint::ChatCompletions) {
            let mut body = chat_body(&group);
            body["stream"] = true.into();
            let resp = gw.post("/v1/chat/completions", &body);
            assert_eq!(resp.status, 200, "{}: {}", row.name, resp.text());
            assert!(resp.text().ends_with("data: [DONE]\n\n"), "{}", row.name);
            reached("/chat/completions");
            served += 1;
        }
        if serves(row, Endpoint::Embeddings) {
            let mut body =
                serde_json::json!({"model": group, "input": ["a", "b"], "dimensions": 8});
            if row.params.embedding_refused.contains(&"dimensions") {
                // LiteLLM's embedding config for the row refuses it (400), as corelane does.
                let resp = gw.post("/v1/embeddings", &body);
                assert_eq!(resp.status, 400, "{}: {}", row.name, resp.text());
                body.as_object_mut().unwrap().remove("dimensions");
            }
            let resp = gw.post("/v1/embeddings", &body);
            assert_eq!(resp.status, 200, "{}: {}", row.name, resp.text());
            assert_eq!(
                resp.json()["data"].as_array().unwrap().len(),
                2,
                "{}",
                row.name
            );
            reached("/embeddings");
            served += 1;
        }
        if serves(row, Endpoint::Completions) {
            // Natively, or as a chat completion where LiteLLM sends it so (by the row the
            // deployment's model resolves to: `azure/` deployments' go through chat).
            let (resolved, _) = corelane_transforms::provider::resolve(
                &format!("{name}/m-{name}", name = row.name),
                None,
            )
            .unwrap();
            let through_chat = corelane_transforms::family::bridge(resolved, Endpoint::Completions)
                == corelane_transforms::family::Bridge::TextThroughChat;
            let path = if through_chat {
                "/chat/completions"
            } else {
                "/completions"
            };
            let reached = |path: &str| {
                reached(path);
                let seen = mock.last_request()["path"].as_str().unwrap().to_owned();
                assert_eq!(
                    seen.contains("/chat/"),
                    through_chat,
                    "{}: {seen}",
                    row.name
                );
            };
            let body = serde_json::json!({"model": group, "prompt": "Say hi"});
            let resp = gw.post("/v1/completions", &body);
            assert_eq!(resp.status, 200, "{}: {}", row.name, resp.text());
            assert_eq!(resp.json()["object"], "text_completion", "{}", row.name);
            assert!(
                resp.json()["choices"][0]["text"].is_string(),
                "{}",
                row.name
            );
            assert_eq!(resp.json()["model"], group.as_str(), "{}", row.name);
            reached(path);
            let body = serde_json::json!({"model": group, "prompt": "Say hi", "stream": true,
                "stream_options": {"include_usage": true}});
            let resp = gw.post("/v1/completions", &body);
            assert_eq!(resp.status, 200, "{}: {}", row.name, resp.text());
            let text = resp.text();
            assert!(text.ends_with("data: [DONE]\n\n"), "{}: {text}", row.name);
            let chunks: Vec<serde_json::Value> = text
                .split("\n\n")
                .filter_map(|e| e.strip_prefix("data: "))
                .filter(|d| *d != "[DONE]")
                .map(|d| serde_json::from_str(d).unwrap())
                .collect();
            assert!(
                chunks.iter().all(|c| c["object"] == "text_completion"),
                "{}: {text}",
                row.name
            );
            // The usage chunk, where the row sends `stream_options` (asking for it).
            let asks_usage = !row
                .params
                .unsent
                .contains(corelane_transforms::params::Param::StreamOptions);
            assert_eq!(
                chunks.last().unwrap()["usage"]["total_tokens"].is_u64(),
                asks_usage,
                "{}: {text}",
                row.name
            );
            reached(path);
            served += 1;
        }
        if serves(row, Endpoint::Messages) {
            // Some rows (morph, v0) refuse max_tokens, as LiteLLM does: dropped on request.
            let body = serde_json::json!({"model": group, "max_tokens": 16, "drop_params": true,
                "messages": [{"role": "user", "content": "Hi"}]});
            let resp = gw.post("/v1/messages", &body);
            assert_eq!(resp.status, 200, "{}: {}", row.name, resp.text());
            assert_eq!(resp.json()["type"], "message", "{}", row.name);
            reached("/chat/completions");
            served += 1;
        }
        if serves(row, Endpoint::Responses) {
            let body = serde_json::json!({"model": group, "input": "Hi", "stream": true});
            let resp = gw.post("/v1/responses", &body);
            assert_eq!(resp.status, 200, "{}: {}", row.name, resp.text());
            assert!(resp.text().ends_with("data: [DONE]\n\n"), "{}", row.name);
            // Natively, or bridged through its chat completions.
            let native = corelane_transforms::family::bridge(row, Endpoint::Responses)
                == corelane_transforms::family::Bridge::Responses;
            reached(if native {
                "/responses"
            } else {
                "/chat/completions"
            });
            let resp = gw.post(
                "/v1/responses",
                &serde_json::json!({"model": group, "input": "Hi"}),
            );
            assert_eq!(resp.json()["object"], "response", "{}", row.name);
            served += 1;
        }
    }
    assert!(served > 200, "{served}");
    gw.assert_healthy();
}
