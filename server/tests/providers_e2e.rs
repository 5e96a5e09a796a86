//! Every OpenAI-family row of the provider table, end to end: a deployment per provider that
//! serves chat (its base pointed at the mock), one chat request through the real binary each,
//! and what reached the mock checked against the row: the path under the base, the auth header
//! the row names, and the provider's model name in the body. The answer carries the client's
//! group. (The Anthropic row has its own test, `tests/anthropic.rs`.)
//! A new row is covered with no edit here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{chat_body, Gateway, Mock};
use corelane_transforms::provider::{Auth, Endpoint, Family, PathStyle, PROVIDERS};

#[test]
fn every_chat_provider_row_reaches_the_mock_as_its_row_says() {
    let mock = Mock::start();
    let rows: Vec<_> = PROVIDERS
        .iter()
        .filter(|r| r.endpoints.contains(&Endpoint::ChatCompletions))
        .filter(|r| r.path == PathStyle::Plain && r.family == Family::OpenAi)
        .collect();
    assert!(rows.len() >= 60, "{} chat rows", rows.len());
    let mut config = String::from("model_list:\n");
    for row in &rows {
        config.push_str(&format!(
            "  - model_name: g-{name}\n    litellm_params:\n      model: {name}/m-{name}\n      api_base: {base}\n      api_key: k-{name}\n",
            name = row.name,
            base = mock.base(&format!("/{}/v1", row.name)),
        ));
    }
    let gw = Gateway::start(&config);
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
        }
        let body: serde_json::Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["model"], format!("m-{}", row.name), "{}", row.name);
    }
    gw.assert_healthy();
}
