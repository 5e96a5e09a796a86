//! The Bedrock family end to end against the mock provider, which speaks Converse and
//! ConverseStream (AWS event-stream framing, its own encoder): how a deployment finds its
//! credentials (SigV4 keys, a Bedrock API key, none), its region and base, and what is
//! refused before anything is sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{assert_litellm_error, chat_body, Gateway, Mock};
use serde_json::json;

const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

fn deployment(name: &str, model: &str, extra: &str) -> String {
    format!("  - model_name: {name}\n    litellm_params:\n      model: {model}\n{extra}")
}

#[test]
fn credentials_come_from_params_the_environment_or_a_bedrock_key() {
    let mock = Mock::start();
    let base = mock.base("");
    let config = format!(
        "model_list:\n{}{}{}{}",
        deployment(
            "keys-plain",
            &format!("bedrock/{CLAUDE}"),
            &format!("      api_base: {base}\n      aws_access_key_id: AKIDPLAIN\n      aws_secret_access_key: secret\n")
        ),
        deployment(
            "keys",
            &format!("bedrock/{CLAUDE}"),
            &format!("      api_base: {base}\n      aws_region_name: eu-west-3\n      aws_access_key_id: AKIDPARAM\n      aws_secret_access_key: secret\n      aws_session_token: tok-1\n")
        ),
        deployment(
            "env-keys",
            &format!("bedrock/us-east-2/{CLAUDE}"),
            &format!("      api_base: {base}\n")
        ),
        deployment(
            "api-key",
            &format!("bedrock/converse/{CLAUDE}"),
            &format!("      api_base: {base}\n      api_key: bedrock-api-key-1\n")
        ),
    );
    // The environment's session token is never paired with configured keys.
    let env: [(&str, &Path); 3] = [
        ("AWS_ACCESS_KEY_ID", Path::new("AKIDENV")),
        ("AWS_SECRET_ACCESS_KEY", Path::new("env-secret")),
        ("AWS_SESSION_TOKEN", Path::new("env-token")),
    ];
    let gw = Gateway::start_env(&config, &[], &env);
    for (model, auth_starts, auth_has) in [
        (
            "keys-plain",
            "AWS4-HMAC-SHA256 Credential=AKIDPLAIN/",
            "/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=",
        ),
        (
            "keys",
            "AWS4-HMAC-SHA256 Credential=AKIDPARAM/",
            "/eu-west-3/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=",
        ),
        (
            "env-keys",
            "AWS4-HMAC-SHA256 Credential=AKIDENV/",
            "/us-east-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=",
        ),
        ("api-key", "Bearer bedrock-api-key-1", ""),
    ] {
        let resp = gw.post("/v1/chat/completions", &chat_body(model));
        assert_eq!(resp.status, 200, "{model}: {}", resp.text());
        assert_eq!(resp.json()["model"], model);
        let seen = mock.last_request();
        assert_eq!(
            seen["path"],
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
            "{model}"
        );
        let auth = seen["headers"]["authorization"].as_str().unwrap();
        assert!(auth.starts_with(auth_starts), "{model}: {auth}");
        assert!(auth.contains(auth_has), "{model}: {auth}");
        let token = &seen["headers"]["x-amz-security-token"];
        let want = match model {
            "keys" => json!("tok-1"),
            "env-keys" => json!("env-token"),
            _ => serde_json::Value::Null,
        };
        assert_eq!(token, &want, "{model}");
    }
    gw.assert_healthy();
}

#[test]
fn what_cannot_be_sent_is_refused_before_anything_goes_upstream() {
    let mock = Mock::start();
    let base = mock.base("");
    let config = format!(
        "model_list:\n{}{}{}",
        deployment(
            "no-creds",
            &format!("bedrock/{CLAUDE}"),
            &format!("      api_base: {base}\n")
        ),
        deployment(
            "role",
            &format!("bedrock/{CLAUDE}"),
            &format!("      api_base: {base}\n      aws_role_name: arn:aws:iam::1:role/r\n      aws_session_name: s\n")
        ),
        deployment(
            "titan",
            "bedrock/amazon.titan-text-express-v1",
            &format!("      api_base: {base}\n      aws_access_key_id: A\n      aws_secret_access_key: S\n")
        ),
    );
    // No AWS variables reach the gateway: a deployment without keys has no credentials.
    let gw = Gateway::start(&config);
    let err = assert_litellm_error(
        &gw.post("/v1/chat/completions", &chat_body("no-creds")),
        401,
    );
    assert_eq!(
        err["message"],
        "litellm.AuthenticationError: BedrockException Invalid Authentication - Unable to locate credentials"
    );
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("role")), 400);
    assert!(
        err["message"].as_str().unwrap().contains("assumed roles"),
        "{err}"
    );
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("titan")), 400);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Invoke API chat models"),
        "{err}"
    );
    let mut stream = chat_body("no-creds");
    stream["stream"] = json!(true);
    assert_litellm_error(&gw.post("/v1/chat/completions", &stream), 401);
    assert_eq!(mock.stats().0, 0, "nothing was sent upstream");
    gw.assert_healthy();
}

#[test]
fn a_cut_event_stream_ends_with_an_error_event() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n{}",
        deployment(
            "br",
            &format!("bedrock/{CLAUDE}"),
            &format!(
                "      api_base: {}\n      aws_access_key_id: A\n      aws_secret_access_key: S\n",
                mock.base("/truncate")
            )
        ),
    );
    let gw = Gateway::start(&config);
    let mut body = chat_body("br");
    body["stream"] = json!(true);
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    let last = text
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .last()
        .unwrap();
    let error: serde_json::Value =
        serde_json::from_str(last.strip_prefix("data: ").unwrap()).unwrap();
    assert!(error["error"]["message"].is_string(), "{text}");
    assert!(text.contains("\"content\":\"Hello\""), "{text}");
    gw.assert_healthy();
}

#[test]
fn messages_to_claude_go_through_invoke_and_a_cut_stream_ends_with_an_error_event() {
    let mock = Mock::start();
    let keys = "      aws_access_key_id: A\n      aws_secret_access_key: S\n";
    let config = format!(
        "model_list:\n{}{}",
        deployment(
            "br",
            &format!("bedrock/{CLAUDE}"),
            &format!("      api_base: {}\n{keys}", mock.base(""))
        ),
        deployment(
            "br-cut",
            &format!("bedrock/{CLAUDE}"),
            &format!("      api_base: {}\n{keys}", mock.base("/truncate"))
        ),
    );
    let gw = Gateway::start(&config);
    let body = |model: &str, stream: bool| {
        json!({"model": model, "max_tokens": 32, "stream": stream,
               "messages": [{"role": "user", "content": "Hello"}]})
    };
    let resp = gw.post("/v1/messages", &body("br", false));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "br");
    assert_eq!(resp.json()["type"], "message");
    let seen = mock.last_request();
    assert_eq!(seen["path"], format!("/model/{CLAUDE}/invoke"));
    let sent: serde_json::Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["anthropic_version"], "bedrock-2023-05-31");
    assert!(sent.get("model").is_none() && sent.get("stream").is_none());

    let resp = gw.post("/v1/messages", &body("br", true));
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    assert!(text.starts_with("event: message_start\n"), "{text}");
    // The invocation metrics of the last chunk are its usage, and the held delta gets the
    // input tokens.
    let tail = text.trim_end().rsplit("\n\n").next().unwrap();
    assert!(
        tail.starts_with(
            "event: message_stop\ndata: {\"type\":\"message_stop\",\"usage\":{\"input_tokens\":10,"
        ),
        "{text}"
    );
    assert!(
        text.contains("\"usage\":{\"output_tokens\":10,\"input_tokens\":10}"),
        "{text}"
    );

    let resp = gw.post("/v1/messages", &body("br-cut", true));
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    let last = text
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .last()
        .unwrap();
    assert!(last.starts_with("event: error\n"), "{text}");
    assert!(text.contains("\"text_delta\""), "{text}");
    // Token counting asks Bedrock's CountTokens API (see the test below).
    let resp = gw.post("/v1/messages/count_tokens", &body("br", false));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(mock.last_request()["path"]
        .as_str()
        .unwrap()
        .ends_with("/count-tokens"));
    gw.assert_healthy();
}

#[test]
fn titan_embeddings_take_a_request_per_input_and_cohere_s_take_one() {
    let mock = Mock::start();
    let keys = "      aws_access_key_id: A\n      aws_secret_access_key: S\n";
    let config = format!(
        "model_list:\n{}{}{}",
        deployment(
            "titan",
            "bedrock/amazon.titan-embed-text-v2:0",
            &format!("      api_base: {}\n{keys}", mock.base(""))
        ),
        deployment(
            "titan-down",
            "bedrock/amazon.titan-embed-text-v2:0",
            &format!("      api_base: {}\n{keys}", mock.base("/status/503"))
        ),
        deployment(
            "co",
            "bedrock/cohere.embed-english-v3",
            &format!("      api_base: {}\n{keys}", mock.base(""))
        ),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "titan", "input": ["one two", "three"], "dimensions": 3}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["model"], "titan");
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);
    assert_eq!(answer["data"][1]["index"], 1);
    assert_eq!(answer["data"][0]["embedding"].as_array().unwrap().len(), 3);
    // The mock counts a token per word: 2 + 1.
    assert_eq!(answer["usage"]["prompt_tokens"], 3);
    let sent = mock.requests();
    assert_eq!(sent.len(), 2);
    for (request, text) in sent.iter().zip(["one two", "three"]) {
        assert_eq!(
            request["path"],
            "/model/amazon.titan-embed-text-v2%3A0/invoke"
        );
        let body: serde_json::Value =
            serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, json!({"inputText": text, "dimensions": 3}));
        assert!(request["headers"]["authorization"]
            .as_str()
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 Credential=A/"));
    }

    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "titan-down", "input": ["a", "b"]}),
    );
    assert_eq!(resp.status, 503, "{}", resp.text());
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "titan", "input": "a", "user": "u"}),
    );
    let error = assert_litellm_error(&resp, 400);
    assert!(error["message"].as_str().unwrap().starts_with(
        "litellm.UnsupportedParamsError: bedrock does not support parameters: {'user': 'u'}"
    ));

    let before = mock.requests().len();
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "co", "input": ["a", "b"], "encoding_format": "float"}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["data"][1]["type"], "float");
    let sent = mock.requests();
    assert_eq!(sent.len(), before + 1);
    let body: serde_json::Value =
        serde_json::from_str(sent[before]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"input_type": "search_document", "texts": ["a", "b"], "embedding_types": ["float"]})
    );
    gw.assert_healthy();
}

#[test]
fn drop_params_drops_what_the_provider_has_no_field_for() {
    let mock = Mock::start();
    let keys = "      aws_access_key_id: A\n      aws_secret_access_key: S\n";
    let base = mock.base("");
    let deployments = format!(
        "model_list:\n{}{}",
        deployment(
            "strict",
            &format!("bedrock/{CLAUDE}"),
            &format!("      api_base: {base}\n{keys}")
        ),
        deployment(
            "lenient",
            &format!("bedrock/{CLAUDE}"),
            &format!("      api_base: {base}\n{keys}      drop_params: true\n")
        ),
    );
    let mut body = chat_body("strict");
    body["seed"] = json!(7);
    let gw = Gateway::start(&deployments);
    // Refused as LiteLLM refuses it, unless the deployment or the request drops it.
    let error = assert_litellm_error(&gw.post("/v1/chat/completions", &body), 400);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("bedrock does not support parameters: ['seed']"));
    body["drop_params"] = json!(true);
    assert_eq!(gw.post("/v1/chat/completions", &body).status, 200);
    body["model"] = json!("lenient");
    body.as_object_mut().unwrap().remove("drop_params");
    assert_eq!(gw.post("/v1/chat/completions", &body).status, 200);
    let sent: serde_json::Value =
        serde_json::from_str(mock.last_request()["body"].as_str().unwrap()).unwrap();
    assert!(!sent.to_string().contains("seed"), "{sent}");
    drop(gw);
    // The global setting drops it for every deployment.
    let gw = Gateway::start(&format!(
        "{deployments}litellm_settings:\n  drop_params: true\n"
    ));
    body["model"] = json!("strict");
    assert_eq!(gw.post("/v1/chat/completions", &body).status, 200);
    gw.assert_healthy();
}

#[test]
fn the_invoke_route_serves_messages_and_refuses_chat() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n{}",
        deployment(
            "br-invoke",
            &format!("bedrock/invoke/{CLAUDE}"),
            &format!(
                "      api_base: {}\n      aws_access_key_id: A\n      aws_secret_access_key: S\n",
                mock.base("")
            )
        ),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post(
        "/v1/messages",
        &json!({"model": "br-invoke", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        mock.last_request()["path"],
        format!("/model/{CLAUDE}/invoke")
    );
    let before = mock.requests().len();
    let err = assert_litellm_error(
        &gw.post("/v1/chat/completions", &chat_body("br-invoke")),
        400,
    );
    assert!(
        err["message"].as_str().unwrap().contains("Invoke API"),
        "{err}"
    );
    assert_eq!(mock.requests().len(), before);
    gw.assert_healthy();
}

#[test]
fn messages_token_counts_ask_bedrock_s_count_tokens_api() {
    let mock = Mock::start();
    let keys = format!(
        "      api_base: {}\n      aws_access_key_id: A\n      aws_secret_access_key: S\n",
        mock.base("")
    );
    let config = format!(
        "model_list:\n{}{}",
        deployment("br", &format!("bedrock/us.{CLAUDE}"), &keys),
        deployment(
            "br-busy",
            &format!("bedrock/{CLAUDE}"),
            &keys.replace(&mock.base(""), &mock.base("/status/429"))
        ),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post(
        "/v1/messages/count_tokens",
        &json!({"model": "br", "system": "Be brief", "messages": [{"role": "user", "content": "Hi"}]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let seen = mock.last_request();
    // The foundation model, its `:` quoted; the cross-region prefix dropped.
    assert_eq!(
        seen["path"],
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/count-tokens"
    );
    assert!(seen["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("AWS4-HMAC-SHA256 Credential=A/"));
    let sent: serde_json::Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"input": {"converse": {"messages": [{"role": "user", "content": [{"text": "Hi"}]}],
                                      "system": [{"text": "Be brief"}]}}})
    );
    // The mock counts a token per 4 bytes of the body.
    let tokens = seen["body"].as_str().unwrap().len().div_ceil(4);
    assert_eq!(
        resp.json(),
        json!({"input_tokens": tokens, "litellm_count_source": "provider"})
    );
    // Bedrock's error, in Anthropic's error shape.
    let resp = gw.post(
        "/v1/messages/count_tokens",
        &json!({"model": "br-busy", "messages": [{"role": "user", "content": "Hi"}]}),
    );
    assert_eq!(resp.status, 429, "{}", resp.text());
    assert_eq!(resp.json()["type"], "error");
    gw.assert_healthy();
}

#[test]
fn rerank_models_go_to_the_rerank_api_signed_in_the_arn_s_region() {
    let mock = Mock::start();
    let arn = "arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0";
    // A Bedrock API key is not used for rerank (LiteLLM signs it): the keys are.
    let config = format!(
        "model_list:\n{}{}",
        deployment(
            "br-rerank",
            &format!("bedrock/{arn}"),
            &format!(
                "      api_base: {}\n      api_key: bedrock-api-key-1\n      aws_access_key_id: AKIDRERANK\n      aws_secret_access_key: S\n",
                mock.base("")
            )
        ),
        deployment(
            "br-rerank-key-only",
            "bedrock/cohere.rerank-v3-5:0",
            &format!(
                "      api_base: {}\n      api_key: bedrock-api-key-1\n",
                mock.base("")
            )
        ),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post(
        "/v1/rerank",
        &json!({"model": "br-rerank", "query": "q", "documents": ["a", {"title": "b"}, "c"], "top_n": 2,
                "return_documents": true}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let seen = mock.last_request();
    assert_eq!(seen["path"], "/rerank");
    let auth = seen["headers"]["authorization"].as_str().unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDRERANK/")
            && auth.contains("/us-west-2/bedrock/aws4_request"),
        "{auth}"
    );
    let sent: serde_json::Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"queries": [{"textQuery": {"text": "q"}, "type": "TEXT"}],
               "rerankingConfiguration": {"bedrockRerankingConfiguration": {
                   "modelConfiguration": {"modelArn": arn}, "numberOfResults": 2},
                   "type": "BEDROCK_RERANKING_MODEL"},
               "sources": [
                   {"inlineDocumentSource": {"textDocument": {"text": "a"}, "type": "TEXT"}, "type": "INLINE"},
                   {"inlineDocumentSource": {"jsonDocument": {"title": "b"}, "type": "JSON"}, "type": "INLINE"},
                   {"inlineDocumentSource": {"textDocument": {"text": "c"}, "type": "TEXT"}, "type": "INLINE"}]})
    );
    let answer = resp.json();
    assert!(answer["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(
        answer["results"],
        json!([{"index": 0, "relevance_score": 0.5}, {"index": 1, "relevance_score": 1.0 / 3.0}])
    );
    assert_eq!(
        answer["meta"],
        json!({"billed_units": {"search_units": 1}, "tokens": {}})
    );
    // Without signing keys, LiteLLM's 401; a rerank model serves rerank only.
    let before = mock.requests().len();
    assert_litellm_error(
        &gw.post(
            "/v1/rerank",
            &json!({"model": "br-rerank-key-only", "query": "q", "documents": ["a"]}),
        ),
        401,
    );
    assert_litellm_error(
        &gw.post("/v1/chat/completions", &chat_body("br-rerank")),
        400,
    );
    assert_eq!(mock.requests().len(), before);
    gw.assert_healthy();
}
