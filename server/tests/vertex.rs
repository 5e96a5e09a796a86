//! Vertex AI (Gemini models) end to end: the real binary against a scripted upstream that is
//! both the OAuth token endpoint a service account's `token_uri` names (RFC 7523 JWT bearer
//! grant, https://developers.google.com/identity/protocols/oauth2/service-account) and the
//! Vertex AI API (`projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent`,
//! https://cloud.google.com/vertex-ai/docs/reference/rest).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{assert_litellm_error, scripted_upstream, Gateway, Recorded, TempDir};
use serde_json::{json, Value};

/// A throwaway key generated for the tests (it signs nothing real).
const TEST_KEY: &str = include_str!("data/test-rsa-key.pem");

const GEMINI_PATH: &str =
    "/v1/projects/proj-1/locations/us-east5/publishers/google/models/gemini-2.5-flash";

fn answer() -> String {
    json!({"candidates": [{"content": {"parts": [{"text": "Hello from Vertex"}], "role": "model"},
                            "finishReason": "STOP", "index": 0}],
           "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 3, "totalTokenCount": 7},
           "modelVersion": "gemini-2.5-flash", "responseId": "vx-1"})
    .to_string()
}

/// Token endpoint and Vertex AI in one: tokens are `ya29.<n>` (n counts the mints) and live
/// `lifetime` seconds; `[err-429]` in a prompt gets Google's 429.
fn vertex(lifetime: u64, mints: Arc<AtomicUsize>) -> (String, Receiver<Recorded>) {
    scripted_upstream(move |path, body| {
        if path == "/token" {
            let n = mints.fetch_add(1, Ordering::SeqCst) + 1;
            let token = json!({"access_token": format!("ya29.{n}"), "expires_in": lifetime,
                               "token_type": "Bearer"});
            return (200, "application/json", token.to_string());
        }
        if String::from_utf8_lossy(body).contains("[err-429]") {
            let error = json!({"error": {"code": 429, "message": "Resource exhausted.",
                                         "status": "RESOURCE_EXHAUSTED"}});
            return (429, "application/json", error.to_string());
        }
        if path.ends_with(":streamGenerateContent?alt=sse") {
            return (
                200,
                "text/event-stream",
                format!("data: {}\r\n\r\n", answer()),
            );
        }
        if path.ends_with(":generateContent") {
            return (200, "application/json", answer());
        }
        if path.ends_with(":predict") {
            // Text embeddings: one prediction per instance, its token count the content's length.
            let sent: Value = serde_json::from_slice(body).unwrap();
            let predictions: Vec<Value> = sent["instances"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| json!({"embeddings": {"values": [0.5, -0.25],
                    "statistics": {"token_count": i["content"].as_str().unwrap().len(), "truncated": false}}}))
                .collect();
            let answer =
                json!({"predictions": predictions, "metadata": {"billableCharacterCount": 9}});
            return (200, "application/json", answer.to_string());
        }
        (404, "application/json", "{}".to_owned())
    })
}

fn service_account(dir: &TempDir, token_uri: &str) -> std::path::PathBuf {
    let file = json!({"type": "service_account", "project_id": "proj-from-file",
                      "private_key_id": "kid-7", "private_key": TEST_KEY,
                      "client_email": "gw@proj-1.iam.gserviceaccount.com",
                      "token_uri": token_uri});
    dir.write("sa.json", &file.to_string())
}

fn config(base: &str, credentials: &Path, extra: &str) -> String {
    format!(
        "model_list:\n  - model_name: vx\n    litellm_params:\n      model: vertex_ai/gemini-2.5-flash\n      api_base: {base}\n      vertex_project: proj-1\n      vertex_location: us-east5\n      vertex_credentials: {}\n{extra}",
        credentials.display()
    )
}

/// Requests other than the token endpoint's, in order.
fn api_requests(seen: &Receiver<Recorded>) -> Vec<Recorded> {
    seen.try_iter().filter(|(p, _, _)| p != "/token").collect()
}

fn header<'a>(request: &'a Recorded, name: &str) -> Option<&'a str> {
    request
        .1
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The service account's assertion: its claims, after checking its signature with the key's
/// public half.
fn verified_claims(form: &[u8]) -> Value {
    let form = String::from_utf8(form.to_vec()).unwrap();
    let field = |name: &str| {
        form.split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap()
            .replace("%3A", ":")
    };
    assert_eq!(
        field("grant_type"),
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let jwt = field("assertion");
    let parts: Vec<&str> = jwt.split('.').collect();
    let der = rustls::pki_types::PrivatePkcs8KeyDer::from_pem_slice(TEST_KEY.as_bytes()).unwrap();
    let key = ring::signature::RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).unwrap();
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        key.public().as_ref(),
    )
    .verify(
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
    )
    .expect("the assertion is signed with the service account's key");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["kid"], "kid-7");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

use rustls::pki_types::pem::PemObject as _;

#[test]
fn chat_goes_to_vertex_with_a_token_minted_from_the_service_account() {
    let mints = Arc::new(AtomicUsize::new(0));
    let (base, seen) = vertex(3600, mints.clone());
    let dir = TempDir::new("vertex");
    let sa = service_account(&dir, &format!("{base}/token"));
    let gw = Gateway::start(&config(&base, &sa, ""));
    let body = json!({"model": "vx", "max_tokens": 20,
                      "messages": [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Hello from Vertex"
    );
    assert_eq!(answer["model"], "vx");
    assert_eq!(answer["usage"]["total_tokens"], 7);

    let all: Vec<Recorded> = seen.try_iter().collect();
    let token_request = all
        .iter()
        .find(|r| r.0 == "/token")
        .expect("a token was minted");
    assert_eq!(
        header(token_request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let claims = verified_claims(&token_request.2);
    assert_eq!(claims["iss"], "gw@proj-1.iam.gserviceaccount.com");
    // google-auth's audience: Google's endpoint, wherever the assertion is posted.
    assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/cloud-platform"
    );
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );

    let call = all.iter().find(|r| r.0 != "/token").unwrap();
    assert_eq!(call.0, format!("{GEMINI_PATH}:generateContent"));
    assert_eq!(header(call, "authorization"), Some("Bearer ya29.1"));
    assert!(header(call, "x-goog-api-key").is_none());
    let sent: Value = serde_json::from_slice(&call.2).unwrap();
    assert_eq!(
        sent,
        json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
               "system_instruction": {"parts": [{"text": "Be brief."}]},
               "generationConfig": {"max_output_tokens": 20}})
    );

    // A stream, and /v1/messages, go the same way with the same token.
    let stream =
        json!({"model": "vx", "stream": true, "messages": [{"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/chat/completions", &stream);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.text().contains("Hello from Vertex"));
    let messages =
        json!({"model": "vx", "max_tokens": 20, "messages": [{"role": "user", "content": "Hi"}]});
    let resp = gw.post("/v1/messages", &messages);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["content"][0]["text"], "Hello from Vertex");
    let calls = api_requests(&seen);
    assert_eq!(
        calls.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        [
            format!("{GEMINI_PATH}:streamGenerateContent?alt=sse"),
            format!("{GEMINI_PATH}:generateContent")
        ]
    );
    assert!(calls
        .iter()
        .all(|r| header(r, "authorization") == Some("Bearer ya29.1")));
    assert_eq!(mints.load(Ordering::SeqCst), 1);

    // Vertex's errors carry its name as LiteLLM writes it (its quota branch lower-cases it).
    let limited = json!({"model": "vx", "messages": [{"role": "user", "content": "[err-429] Hi"}]});
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &limited), 429);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("litellm.RateLimitError: litellm.RateLimitError: vertex_aiException - "),
        "{err}"
    );
    gw.assert_healthy();
}

#[test]
fn a_short_lived_token_is_replaced_before_it_expires() {
    let mints = Arc::new(AtomicUsize::new(0));
    let (base, seen) = vertex(4, mints.clone());
    let dir = TempDir::new("vertex");
    let sa = service_account(&dir, &format!("{base}/token"));
    let gw = Gateway::start(&config(&base, &sa, ""));
    let body = json!({"model": "vx", "messages": [{"role": "user", "content": "Hi"}]});
    assert_eq!(gw.post("/v1/chat/completions", &body).status, 200);
    // Refreshed at half its life: a second token within about two seconds.
    common::eventually(Duration::from_secs(5), || mints.load(Ordering::SeqCst) >= 2);
    assert_eq!(gw.post("/v1/chat/completions", &body).status, 200);
    let calls = api_requests(&seen);
    let tokens: Vec<&str> = calls
        .iter()
        .map(|r| header(r, "authorization").unwrap())
        .collect();
    assert_eq!(tokens[0], "Bearer ya29.1");
    assert_ne!(tokens[1], "Bearer ya29.1");
}

#[test]
fn without_a_token_requests_get_litellms_401_and_nothing_goes_upstream() {
    // The token endpoint refuses the assertion.
    let (base, seen) = scripted_upstream(|path, _| {
        if path == "/token" {
            let refusal =
                json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."});
            return (400, "application/json", refusal.to_string());
        }
        (200, "application/json", answer())
    });
    let dir = TempDir::new("vertex");
    let sa = service_account(&dir, &format!("{base}/token"));
    // Authorized-user credentials naming no project, and no vertex_project.
    let user = dir.write(
        "user.json",
        &json!({"type": "authorized_user", "client_id": "c", "client_secret": "s",
                "refresh_token": "r", "token_uri": format!("{base}/token")})
        .to_string(),
    );
    let extra = format!(
        "  - model_name: no-project\n    litellm_params:\n      model: vertex_ai/gemini-2.5-flash\n      api_base: {base}\n      vertex_credentials: {}\n  - model_name: claude-on-vertex\n    litellm_params:\n      model: vertex_ai/claude-sonnet-4-5@20250929\n      vertex_project: p\n      vertex_credentials: {}\n  - model_name: odd-base\n    litellm_params:\n      model: vertex_ai/gemini-2.5-flash\n      api_base: {base}/custom/path\n      vertex_project: p\n      vertex_credentials: {}\n  - model_name: vxw-*\n    litellm_params:\n      model: vertex_ai/*\n      api_base: {base}\n      vertex_project: p\n      vertex_credentials: {}\n",
        user.display(),
        sa.display(),
        sa.display(),
        sa.display()
    );
    let gw = Gateway::start(&config(&base, &sa, &extra));
    let chat =
        |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "Hi"}]});
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat("vx")), 401);
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("litellm.AuthenticationError: Vertex_aiException - "),
        "{message}"
    );
    assert!(
        message.contains("invalid_grant: Invalid JWT Signature."),
        "{message}"
    );
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat("no-project")), 401);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Could not resolve project_id"),
        "{err}"
    );
    // A wildcard over Vertex reaches its Gemini models (here: no token, so a 401).
    assert_litellm_error(
        &gw.post("/v1/chat/completions", &chat("vxw-gemini-2.5-pro")),
        401,
    );
    // Claude on Vertex is served too (here: no token, so a 401).
    for model in ["claude-on-vertex", "vxw-claude-opus-4"] {
        assert_litellm_error(&gw.post("/v1/chat/completions", &chat(model)), 401);
    }
    // Models and bases corelane does not serve on Vertex yet are refused, never guessed.
    for model in ["odd-base", "vxw-llama-3.1-405b-instruct-maas"] {
        let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat(model)), 400);
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("not supported by corelane yet"),
            "{err}"
        );
    }
    assert!(api_requests(&seen).is_empty());
    gw.assert_healthy();
}

#[test]
fn text_embeddings_go_to_predict() {
    let mints = Arc::new(AtomicUsize::new(0));
    let (base, seen) = vertex(3600, mints);
    let dir = TempDir::new("vertex");
    let sa = service_account(&dir, &format!("{base}/token"));
    let extra = format!(
        "  - model_name: vx-embed\n    litellm_params:\n      model: vertex_ai/text-embedding-005\n      api_base: {base}\n      vertex_project: proj-1\n      vertex_location: us-east5\n      vertex_credentials: {sa}\n  - model_name: vx-embed-drop\n    litellm_params:\n      model: vertex_ai/gemini-embedding-001\n      api_base: {base}\n      vertex_project: proj-1\n      vertex_location: us-east5\n      vertex_credentials: {sa}\n      drop_params: true\n  - model_name: vx-mm\n    litellm_params:\n      model: vertex_ai/multimodalembedding@001\n      api_base: {base}\n      vertex_project: proj-1\n      vertex_credentials: {sa}\n  - model_name: vxw-*\n    litellm_params:\n      model: vertex_ai/*\n      api_base: {base}\n      vertex_project: proj-1\n      vertex_location: us-east5\n      vertex_credentials: {sa}\n",
        sa = sa.display()
    );
    let gw = Gateway::start(&config(&base, &sa, &extra));
    let body = json!({"model": "vx-embed", "input": ["hello", "hi"], "dimensions": 2,
                      "task_type": "RETRIEVAL_DOCUMENT", "encoding_format": "float"});
    let resp = gw.post("/v1/embeddings", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(answer["model"], "vx-embed");
    assert_eq!(answer["data"][1]["embedding"], json!([0.5, -0.25]));
    assert_eq!(answer["data"][1]["index"], 1);
    assert_eq!(answer["usage"]["prompt_tokens"], 7);
    assert_eq!(
        answer["usage"]["prompt_tokens_details"]["character_count"],
        9
    );
    // Priced per token, as LiteLLM prices Vertex embeddings (text-embedding-005: 1e-07).
    assert_eq!(resp.header("x-litellm-response-cost"), Some("7e-07"));
    let calls = api_requests(&seen);
    assert_eq!(
        calls[0].0,
        "/v1/projects/proj-1/locations/us-east5/publishers/google/models/text-embedding-005:predict"
    );
    assert_eq!(header(&calls[0], "authorization"), Some("Bearer ya29.1"));
    let sent: Value = serde_json::from_slice(&calls[0].2).unwrap();
    assert_eq!(
        sent,
        json!({"instances": [{"content": "hello", "task_type": "RETRIEVAL_DOCUMENT"},
                             {"content": "hi", "task_type": "RETRIEVAL_DOCUMENT"}],
               "parameters": {"outputDimensionality": 2, "task_type": "RETRIEVAL_DOCUMENT"}})
    );

    // `user` is LiteLLM's UnsupportedParamsError, and dropped with drop_params.
    let user = json!({"model": "vx-embed", "input": "q", "user": "u1"});
    let err = assert_litellm_error(&gw.post("/v1/embeddings", &user), 400);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("vertex_ai does not support parameters: {'user': 'u1'}"),
        "{err}"
    );
    let dropped = json!({"model": "vx-embed-drop", "input": "q", "user": "u1"});
    assert_eq!(gw.post("/v1/embeddings", &dropped).status, 200);
    // A wildcard reaches the text-embedding models too.
    let wild = json!({"model": "vxw-text-embedding-005", "input": "abc"});
    assert_eq!(gw.post("/v1/embeddings", &wild).status, 200);
    let calls = api_requests(&seen);
    assert_eq!(
        calls.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        [
            "/v1/projects/proj-1/locations/us-east5/publishers/google/models/gemini-embedding-001:predict",
            "/v1/projects/proj-1/locations/us-east5/publishers/google/models/text-embedding-005:predict"
        ]
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&calls[0].2).unwrap(),
        json!({"instances": [{"content": "q"}], "parameters": {}})
    );

    // Token ids, chat to an embedding model and the multimodal model are refused, never sent.
    let tokens = json!({"model": "vx-embed", "input": [1, 2]});
    assert_litellm_error(&gw.post("/v1/embeddings", &tokens), 400);
    let chat = json!({"model": "vx-embed", "messages": [{"role": "user", "content": "Hi"}]});
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat), 400);
    let mm = json!({"model": "vx-mm", "input": "a cat"});
    let err = assert_litellm_error(&gw.post("/v1/embeddings", &mm), 400);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not supported by corelane yet"),
        "{err}"
    );
    assert!(api_requests(&seen).is_empty());
    gw.assert_healthy();
}
