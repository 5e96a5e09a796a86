//! The master key in every header form LiteLLM reads, and its 401 answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_litellm_error, chat_body, Gateway, Mock};

const MASTER: &str = "sk-master-key-1234";

fn config(mock: &Mock) -> String {
    format!(
        "{}general_settings:\n  master_key: {MASTER}\n  litellm_key_header_name: X-Custom-Key\n",
        common::one_model("g", "prov", &mock.base("/v1"))
    )
}

#[test]
fn master_key_is_accepted_in_every_header_form() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let bearer = format!("Bearer {MASTER}");
    let forms: [(&str, &str); 7] = [
        ("Authorization", &bearer),
        ("authorization", &format!("bearer {MASTER}")),
        ("x-api-key", MASTER),
        ("api-key", MASTER),
        ("x-goog-api-key", MASTER),
        ("x-litellm-api-key", MASTER),
        ("X-Custom-Key", MASTER),
    ];
    let body = chat_body("g").to_string();
    for (name, value) in forms {
        let resp = gw.request(
            "POST",
            "/v1/chat/completions",
            &[(name, value)],
            body.as_bytes(),
        );
        assert_eq!(resp.status, 200, "{name}: {}", resp.text());
        assert_eq!(resp.json()["model"], "g");
        // The caller's key never travels upstream: the provider gets the configured key.
        let seen = mock.last_request();
        assert_eq!(
            seen["headers"]["authorization"], "Bearer sk-upstream-test",
            "{name}"
        );
        assert!(
            !seen.to_string().contains(MASTER),
            "master key forwarded upstream via {name}"
        );
        let resp = gw.request("GET", "/v1/models", &[(name, value)], b"");
        assert_eq!(resp.status, 200, "{name}: {}", resp.text());
    }
}

#[test]
fn missing_or_wrong_key_is_401_in_litellm_shape() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock));
    let body = chat_body("g").to_string();

    let resp = gw.request("POST", "/v1/chat/completions", &[], body.as_bytes());
    let err = assert_litellm_error(&resp, 401);
    assert_eq!(err["type"], "auth_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("No api key passed in"),
        "{err}"
    );

    let wrong = "sk-wrong-key-abcdef99";
    // A virtual key the store does not know is LiteLLM's token_not_found_in_db; no key at all
    // is its auth_error.
    for (name, value, kind) in [
        (
            "Authorization",
            format!("Bearer {wrong}"),
            "token_not_found_in_db",
        ),
        ("x-api-key", wrong.to_owned(), "token_not_found_in_db"),
        ("X-Custom-Key", wrong.to_owned(), "token_not_found_in_db"),
        (
            "Authorization",
            format!("Bearer {MASTER}x"),
            "token_not_found_in_db",
        ),
        ("Authorization", "Bearer ".to_owned(), "auth_error"),
    ] {
        let resp = gw.request(
            "POST",
            "/v1/chat/completions",
            &[(name, &value)],
            body.as_bytes(),
        );
        let err = assert_litellm_error(&resp, 401);
        assert_eq!(err["type"], kind, "{name}: {value}");
        let message = err["message"].as_str().unwrap();
        assert!(message.starts_with("Authentication Error"), "{message}");
        assert!(
            !message.contains(wrong),
            "the full key is echoed back: {message}"
        );
    }
    let resp = gw.request("GET", "/model/info", &[("x-api-key", wrong)], b"");
    assert_litellm_error(&resp, 401);
    // Nothing reached the provider.
    assert_eq!(mock.stats().0, 0);
    // The health probes stay open.
    assert_eq!(gw.get("/health/readiness").status, 200);
    assert_eq!(gw.get("/health/liveliness").status, 200);
}
