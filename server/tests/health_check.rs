//! LiteLLM's health routes end to end (1.108.7's `_health_endpoints.py`, `health_check.py`,
//! `ahealth_check`): `GET /health` checks each deployment by its mode through the real
//! upstream path, answers LiteLLM's endpoint lists, narrows to `model` / `model_id`, or
//! answers from the background loop's latest run; the readiness and liveliness probes.
//! The upstream is scripted: a path segment says which deployment a request is for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_litellm_error, eventually, scripted_upstream, Gateway, Recorded};
use serde_json::{json, Value};

const KEY: &str = "sk-health-test-5d2c9a";
/// The upstream key every deployment sends: it must never show in an answer.
const UPSTREAM_KEY: &str = "sk-upstream-secret-7f3e";

fn chat() -> (u16, &'static str, String) {
    let answer = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}});
    (200, "application/json", answer.to_string())
}

fn embedding() -> (u16, &'static str, String) {
    let answer = json!({"object": "list", "model": "m",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
        "usage": {"prompt_tokens": 3, "total_tokens": 3}});
    (200, "application/json", answer.to_string())
}

fn error(status: u16, message: &str) -> (u16, &'static str, String) {
    let body = json!({"error": {"message": message, "type": "x", "param": null, "code": null}});
    (status, "application/json", body.to_string())
}

/// Answers by the path: `/bad/...` with a 401, `/boom/...` with a 500, embeddings and chats
/// as OpenAI does.
fn upstream(path: &str, _body: &[u8]) -> (u16, &'static str, String) {
    if path.starts_with("/bad/") {
        error(401, "Incorrect API key provided")
    } else if path.starts_with("/boom/") {
        error(500, "upstream exploded")
    } else if path.ends_with("/embeddings") {
        embedding()
    } else {
        chat()
    }
}

/// A deployment `name` of `group` at `{base}/{name}/v1`, with `model_info` lines `info`.
fn deployment(group: &str, name: &str, model: &str, base: &str, info: &str) -> String {
    format!(
        "  - model_name: {group}\n    litellm_params:\n      model: {model}\n      api_base: {base}/{name}/v1\n      api_key: {UPSTREAM_KEY}\n    model_info:\n      id: {name}\n{info}"
    )
}

fn config(deployments: &[String], general: &str) -> String {
    format!(
        "model_list:\n{}general_settings:\n  master_key: {KEY}\n{general}",
        deployments.concat()
    )
}

fn get(gw: &Gateway, path: &str) -> common::Response {
    let auth = format!("Bearer {KEY}");
    gw.request("GET", path, &[("authorization", &auth)], b"")
}

/// (deployment, body) of what the upstream received.
fn received(seen: &Receiver<Recorded>) -> Vec<(String, Value)> {
    seen.try_iter()
        .map(|(path, _, body)| {
            let name = path.split('/').nth(1).unwrap_or("").to_owned();
            (name, serde_json::from_slice(&body).unwrap_or(Value::Null))
        })
        .collect()
}

/// The `model_id`s of one of the answer's lists.
fn ids(answer: &Value, list: &str) -> Vec<String> {
    answer[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list}: {answer}"))
        .iter()
        .map(|e| e["model_id"].as_str().unwrap().to_owned())
        .collect()
}

fn entry<'a>(answer: &'a Value, id: &str) -> &'a Value {
    ["healthy_endpoints", "unhealthy_endpoints"]
        .iter()
        .flat_map(|l| answer[*l].as_array().unwrap())
        .find(|e| e["model_id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {answer}"))
}

#[test]
fn health_checks_each_deployment_by_its_mode_and_lists_litellms_fields() {
    let (base, seen) = scripted_upstream(upstream);
    let embed = "      mode: embedding\n";
    let gw = Gateway::start(&config(
        &[
            deployment("g", "good", "openai/gpt-4o", &base, ""),
            deployment("g", "bad", "openai/gpt-4o-mini", &base, ""),
            deployment("e", "emb", "openai/my-embedder", &base, embed),
            deployment("e", "boom", "openai/my-embedder", &base, embed),
            // No mode: the cost map says text-embedding-3-small embeds.
            deployment("auto", "auto", "openai/text-embedding-3-small", &base, ""),
        ],
        "",
    ));
    let r = get(&gw, "/health");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        !r.text().contains(UPSTREAM_KEY),
        "a secret leaked: {}",
        r.text()
    );
    let answer = r.json();
    assert_eq!(ids(&answer, "healthy_endpoints"), ["good", "emb", "auto"]);
    assert_eq!(ids(&answer, "unhealthy_endpoints"), ["bad", "boom"]);
    assert_eq!(answer["healthy_count"], 3);
    assert_eq!(answer["unhealthy_count"], 2);
    assert_eq!(
        entry(&answer, "good"),
        &json!({"api_base": format!("{base}/good/v1"), "model": "openai/gpt-4o", "model_id": "good"})
    );
    let bad = entry(&answer, "bad");
    assert_eq!(bad["exception_status"], 401);
    assert_eq!(
        bad["error"],
        "litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided"
    );
    let raw = &bad["raw_request_typed_dict"];
    assert_eq!(
        raw["raw_request_api_base"],
        format!("{base}/bad/v1/chat/completions")
    );
    assert_eq!(raw["raw_request_body"]["model"], "gpt-4o-mini");
    assert_eq!(raw["raw_request_headers"]["Authorization"], "Be****3e");
    let boom = entry(&answer, "boom");
    assert_eq!(boom["exception_status"], 500);
    assert!(
        boom["error"]
            .as_str()
            .unwrap()
            .starts_with("litellm.InternalServerError"),
        "{boom}"
    );

    // What LiteLLM sends: a chat of one random question with max_tokens 16; an embedding of
    // ["test from litellm"] without max_tokens.
    let sent = received(&seen);
    assert_eq!(sent.len(), 5, "one request a deployment: {sent:?}");
    for (name, body) in &sent {
        match name.as_str() {
            "good" | "bad" => {
                assert_eq!(body["max_tokens"], 16, "{body}");
                let message = &body["messages"][0];
                assert_eq!(message["role"], "user");
                assert!(
                    ["Hey how's it going?", "What's 1 + 1?"]
                        .contains(&message["content"].as_str().unwrap()),
                    "{body}"
                );
            }
            "emb" | "boom" | "auto" => {
                assert_eq!(body["input"], json!(["test from litellm"]), "{body}");
                assert!(body.get("max_tokens").is_none(), "{body}");
            }
            other => panic!("unexpected deployment {other}"),
        }
    }
}

#[test]
fn health_needs_the_master_key_and_the_probes_do_not() {
    let (base, _seen) = scripted_upstream(upstream);
    let gw = Gateway::start(&config(
        &[deployment("g", "good", "openai/gpt-4o", &base, "")],
        "",
    ));
    assert_litellm_error(&gw.get("/health"), 401);
    let wrong = gw.request(
        "GET",
        "/health",
        &[("authorization", "Bearer sk-wrong-key-1")],
        b"",
    );
    assert_litellm_error(&wrong, 401);
    assert_litellm_error(&gw.get("/health/readiness/details"), 401);
    assert_eq!(get(&gw, "/health").status, 200);

    let ready = gw.get("/health/readiness");
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert_eq!(
        ready.json(),
        json!({"status": "healthy", "db": "connected"})
    );
    for path in ["/health/liveliness", "/health/liveness"] {
        let live = gw.get(path);
        assert_eq!(live.status, 200, "{}", live.text());
        assert_eq!(live.json(), json!("I'm alive!"));
    }
    let details = get(&gw, "/health/readiness/details");
    assert_eq!(details.status, 200, "{}", details.text());
    let details = details.json();
    for key in [
        "status",
        "db",
        "cache",
        "litellm_version",
        "success_callbacks",
        "use_aiohttp_transport",
        "log_level",
        "is_detailed_debug",
        "show_no_redis_warning",
        "show_env_credential_login_warning",
    ] {
        assert!(details.get(key).is_some(), "{key} missing: {details}");
    }
    assert_eq!(details["db"], "connected");
    assert_eq!(details["cache"], Value::Null);
}

#[test]
fn public_readiness_details_when_the_config_allows_them() {
    let gw = Gateway::start(&config(
        &[],
        "  allow_public_health_readiness_details: true\n",
    ));
    let ready = gw.get("/health/readiness").json();
    assert_eq!(ready["status"], "healthy");
    assert_eq!(ready["success_callbacks"], json!([]));
    assert!(ready.get("log_level").is_some(), "{ready}");
}

#[test]
fn health_narrows_to_a_model_or_a_model_id() {
    let (base, seen) = scripted_upstream(upstream);
    let gw = Gateway::start(&config(
        &[
            deployment("g", "good", "openai/gpt-4o", &base, ""),
            deployment("g", "bad", "openai/gpt-4o-mini", &base, ""),
            deployment("h", "other", "openai/gpt-4o", &base, ""),
        ],
        "",
    ));
    // A model group: its deployments.
    let r = get(&gw, "/health?model=g");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ids(&r.json(), "healthy_endpoints"), ["good"]);
    assert_eq!(ids(&r.json(), "unhealthy_endpoints"), ["bad"]);
    // No group of that name: the deployments whose litellm_params.model it is.
    let r = get(&gw, "/health?model=openai%2Fgpt-4o");
    assert_eq!(ids(&r.json(), "healthy_endpoints"), ["good", "other"]);
    // Nothing healthy among the ones asked for: 503, the body as always.
    let r = get(&gw, "/health?model_id=bad");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(ids(&r.json(), "unhealthy_endpoints"), ["bad"]);
    assert_eq!(r.json()["healthy_count"], 0);
    let r = get(&gw, "/health?model=nothing-by-that-name");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"healthy_endpoints": [], "unhealthy_endpoints": [], "healthy_count": 0, "unhealthy_count": 0})
    );
    // model_id wins over model; an id nobody carries is a 404.
    let r = get(&gw, "/health?model=g&model_id=other");
    assert_eq!(ids(&r.json(), "healthy_endpoints"), ["other"]);
    let _ = received(&seen);
    let r = get(&gw, "/health?model_id=nope");
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"detail": {"error": "Model with ID nope not found"}})
    );
    assert!(
        received(&seen).is_empty(),
        "nothing is checked for an unknown id"
    );
}

#[test]
fn modes_corelane_cannot_check_are_unhealthy_and_mocks_answer_themselves() {
    let (base, seen) = scripted_upstream(upstream);
    let gw = Gateway::start(&config(
        &[
            deployment("img", "img", "openai/dall-e-3", &base, "      mode: image_generation\n"),
            deployment("odd", "odd", "openai/gpt-4o", &base, "      mode: nonsense\n"),
            "  - model_name: mock\n    litellm_params:\n      model: openai/gpt-4o\n      mock_response: hi\n    model_info:\n      id: mock\n".to_owned(),
        ],
        "",
    ));
    let answer = get(&gw, "/health").json();
    assert_eq!(ids(&answer, "healthy_endpoints"), ["mock"]);
    let img = entry(&answer, "img");
    assert_eq!(img["exception_status"], 500);
    assert_eq!(img["raw_request_typed_dict"], Value::Null);
    assert!(
        img["error"]
            .as_str()
            .unwrap()
            .starts_with("Mode image_generation not supported"),
        "{img}"
    );
    assert_eq!(
        entry(&answer, "odd")["error"],
        "Mode nonsense not supported. See modes here: https://docs.litellm.ai/docs/proxy/health"
    );
    assert!(received(&seen).is_empty(), "nothing is sent for them");
}

#[test]
fn a_check_past_its_timeout_is_litellms_timeout_exceeded() {
    let (base, _seen) = scripted_upstream(|path, body| {
        if path.starts_with("/slow/") {
            std::thread::sleep(Duration::from_secs(3));
        }
        upstream(path, body)
    });
    let gw = Gateway::start(&config(
        &[
            deployment(
                "s",
                "slow",
                "openai/gpt-4o",
                &base,
                "      health_check_timeout: 1\n",
            ),
            deployment("g", "good", "openai/gpt-4o", &base, ""),
        ],
        "",
    ));
    let started = Instant::now();
    let answer = get(&gw, "/health").json();
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ids(&answer, "healthy_endpoints"), ["good"]);
    let slow = entry(&answer, "slow");
    assert_eq!(slow["error"], "Timeout exceeded");
    assert_eq!(slow["exception_status"], 408);
    assert!(slow.get("raw_request_typed_dict").is_none(), "{slow}");
}

#[test]
fn check_settings_from_model_info_and_general_settings() {
    let (base, seen) = scripted_upstream(upstream);
    let gw = Gateway::start(&config(
        &[
            deployment(
                "g",
                "tokens",
                "openai/gpt-4o",
                &base,
                "      health_check_max_tokens: 5\n",
            ),
            deployment("g", "bad", "openai/gpt-4o", &base, ""),
            deployment(
                "w/*",
                "wild",
                "openai/*",
                &base,
                "      health_check_model: openai/gpt-4o-mini\n",
            ),
            deployment(
                "off",
                "off",
                "openai/gpt-4o",
                &base,
                "      disable_background_health_check: true\n",
            ),
        ],
        "  health_check_details: false\n  health_check_skip_disabled_background_models: true\n",
    ));
    let answer = get(&gw, "/health").json();
    // health_check_details: false shows the model and the verdict only.
    assert_eq!(
        entry(&answer, "bad"),
        &json!({"model": "openai/gpt-4o", "model_id": "bad", "exception_status": 401})
    );
    assert_eq!(
        entry(&answer, "wild"),
        &json!({"model": "openai/gpt-4o-mini", "model_id": "wild"})
    );
    assert!(!ids(&answer, "healthy_endpoints").contains(&"off".to_owned()));
    let sent = received(&seen);
    let body_of = |name: &str| sent.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone());
    assert_eq!(body_of("tokens").unwrap()["max_tokens"], 5);
    let wild = body_of("wild").unwrap();
    assert_eq!(wild["model"], "gpt-4o-mini");
    // LiteLLM resolves no max_tokens for a wildcard route checked with health_check_model.
    assert!(wild.get("max_tokens").is_none(), "{wild}");
    assert!(body_of("off").is_none(), "skipped: {sent:?}");
}

#[test]
fn background_checks_run_every_interval_and_feed_health() {
    let failing = Arc::new(AtomicBool::new(false));
    let flag = failing.clone();
    let (base, seen) = scripted_upstream(move |path, body| {
        if path.starts_with("/flaky/") && flag.load(Ordering::Relaxed) {
            return error(500, "went down");
        }
        upstream(path, body)
    });
    let gw = Gateway::start(&config(
        &[
            deployment("g", "good", "openai/gpt-4o", &base, ""),
            deployment("g", "flaky", "openai/gpt-4o", &base, ""),
            deployment("g", "quiet", "openai/gpt-4o", &base, "      disable_background_health_check: true\n"),
            deployment("other", "out", "openai/gpt-4o", &base, ""),
        ],
        "  background_health_checks: true\n  health_check_interval: 1\n  background_health_check_model_groups: [g]\n",
    ));
    let healthy_ids = |r: &common::Response| {
        let v = r.json();
        v.get("healthy_endpoints")
            .map(|_| ids(&v, "healthy_endpoints"))
    };
    assert!(
        eventually(Duration::from_secs(5), || {
            healthy_ids(&get(&gw, "/health")) == Some(vec!["good".into(), "flaky".into()])
        }),
        "{}",
        get(&gw, "/health").text()
    );
    let mut checked: Vec<String> = Vec::new();
    let drain = |checked: &mut Vec<String>| {
        let new: Vec<String> = received(&seen).into_iter().map(|(n, _)| n).collect();
        checked.extend(new.iter().cloned());
        new.len()
    };
    // Answered from the latest run: five calls in a row send (almost) nothing upstream.
    drain(&mut checked);
    for _ in 0..5 {
        assert_eq!(get(&gw, "/health").status, 200);
    }
    let during = drain(&mut checked);
    assert!(during <= 4, "{during} checks for 5 cached answers");
    // The next runs see the deployment go down.
    failing.store(true, Ordering::Relaxed);
    assert!(
        eventually(Duration::from_secs(5), || {
            let v = get(&gw, "/health").json();
            v["unhealthy_endpoints"].as_array().is_some_and(|u| {
                u.iter()
                    .any(|e| e["model_id"] == "flaky" && e["exception_status"] == 500)
            })
        }),
        "{}",
        get(&gw, "/health").text()
    );
    // Narrowed from the same report: a model with no healthy deployment is a 503.
    let r = get(&gw, "/health?model_id=flaky");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(get(&gw, "/health?model_id=good").status, 200);
    // Outside background_health_check_model_groups, or opted out: never checked.
    drain(&mut checked);
    assert!(checked.iter().any(|n| n == "good"), "{checked:?}");
    assert!(
        !checked.iter().any(|n| n == "quiet" || n == "out"),
        "{checked:?}"
    );
    gw.assert_healthy();
}

/// `enable_health_check_routing` (in router_settings too): the pick leaves out what the
/// latest background run found unhealthy, and the run cools it down as LiteLLM's proxy does.
#[test]
fn health_check_routing_leaves_unhealthy_deployments_out() {
    let (base, seen) = scripted_upstream(upstream);
    for (router, general) in [
        (
            "  disable_cooldowns: true\n  enable_health_check_routing: true\n",
            "",
        ),
        ("", "  enable_health_check_routing: true\n"),
    ] {
        let text = config(
            &[
                deployment("g", "good", "openai/gpt-4o", &base, ""),
                deployment("g", "boom", "openai/gpt-4o", &base, ""),
            ],
            &format!("  background_health_checks: true\n  health_check_interval: 60\n{general}"),
        ) + &format!("router_settings:\n  num_retries: 0\n{router}");
        let gw = Gateway::start(&text);
        assert!(
            eventually(Duration::from_secs(5), || {
                get(&gw, "/health").json()["unhealthy_count"] == 1
            }),
            "{}",
            get(&gw, "/health").text()
        );
        let _ = received(&seen);
        let auth = format!("Bearer {KEY}");
        for _ in 0..20 {
            let body = json!({"model": "g", "messages": [{"role": "user", "content": "hi"}]});
            let resp = gw.request(
                "POST",
                "/v1/chat/completions",
                &[("authorization", &auth)],
                body.to_string().as_bytes(),
            );
            assert_eq!(resp.status, 200, "{}", resp.text());
        }
        let to: Vec<String> = received(&seen).into_iter().map(|(n, _)| n).collect();
        assert!(to.iter().all(|n| n == "good"), "{router}{general}: {to:?}");
        assert_eq!(to.len(), 20);
        gw.assert_healthy();
    }
}
