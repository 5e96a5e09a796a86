//! The routing strategies, tag routing and the pre-call checks end to end, against a
//! scripted upstream (one path prefix per deployment) that counts the calls each deployment
//! got. The rules are LiteLLM 1.108.7's (see `server/src/router.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::mpsc::Receiver;
use std::time::Duration;

use common::{
    assert_litellm_error, chat_body, routed_deployment as deployment, scripted_upstream,
    upstream_calls as calls, Gateway, Recorded,
};
use serde_json::{json, Value};

fn ok(name: &str) -> (u16, &'static str, String) {
    common::openai_answer(&format!("from {name}"), 5, 5)
}

/// An upstream answering as the deployment its path names; a prompt saying "slow" waits
/// `slow` first, and the deployment `lag` always waits 300 ms.
fn upstream(slow: Duration) -> (String, Receiver<Recorded>) {
    let (base, seen, _arrived) = upstream_telling_slow_arrivals(slow);
    (base, seen)
}

/// [`upstream`], also telling when a slow request has arrived (before it waits).
fn upstream_telling_slow_arrivals(slow: Duration) -> (String, Receiver<Recorded>, Receiver<()>) {
    let (arrived, arrivals) = std::sync::mpsc::channel();
    let (base, seen) = scripted_upstream(move |path, body| {
        let name = path.split('/').nth(1).unwrap_or("").to_owned();
        if String::from_utf8_lossy(body).contains("slow") {
            let _ = arrived.send(());
            std::thread::sleep(slow);
        }
        if name == "lag" {
            std::thread::sleep(Duration::from_millis(300));
        }
        ok(&name)
    });
    (base, seen, arrivals)
}

/// Waits out the end of a UTC minute, so a test of per-minute limits stays in one.
fn within_one_minute() {
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second > 45 {
        std::thread::sleep(Duration::from_secs(61 - second));
    }
}

fn answered_by(resp: &common::Response) -> String {
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.header("x-litellm-model-id").unwrap().to_owned()
}

#[test]
fn least_busy_goes_where_fewest_are_in_flight() {
    let (base, _seen, arrivals) = upstream_telling_slow_arrivals(Duration::from_millis(1500));
    let config = format!(
        "model_list:\n{}{}router_settings:\n  routing_strategy: least-busy\n",
        deployment("g", "first", &base, "", ""),
        deployment("g", "second", &base, "", ""),
    );
    let gw = Gateway::start_with(&config, &["--num_workers", "2"]);
    // Idle: the first in config order.
    for _ in 0..3 {
        assert_eq!(
            answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))),
            "first"
        );
    }
    // One slow request holds `first`: the next ones, from any core, go to `second`.
    let slow = json!({"model": "g", "messages": [{"role": "user", "content": "slow"}]});
    let held = std::thread::scope(|s| {
        let held = s.spawn(|| answered_by(&gw.post("/v1/chat/completions", &slow)));
        // In flight once the upstream has it (a fixed wait is too short on a busy machine).
        arrivals.recv_timeout(Duration::from_secs(10)).unwrap();
        for _ in 0..4 {
            assert_eq!(
                answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))),
                "second"
            );
        }
        held.join().unwrap()
    });
    assert_eq!(held, "first");
    assert_eq!(
        answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))),
        "first"
    );
    gw.assert_healthy();
}

#[test]
fn latency_based_routing_prefers_the_fastest() {
    let (base, seen) = upstream(Duration::ZERO);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  routing_strategy: latency-based-routing\n  routing_strategy_args: {{ttl: 60}}\n",
        deployment("g", "lag", &base, "", ""),
        deployment("g", "quick", &base, "", ""),
    );
    let gw = Gateway::start(&config);
    for _ in 0..12 {
        answered_by(&gw.post("/v1/chat/completions", &chat_body("g")));
    }
    // A deployment without samples counts as fastest, so `lag` is tried at most once or
    // twice before its latency shows; then `quick` takes everything.
    let calls = calls(&seen);
    let lag = calls.iter().filter(|c| *c == "lag").count();
    assert!(lag <= 2, "{calls:?}");
    assert!(
        calls[calls.len() - 6..].iter().all(|c| c == "quick"),
        "{calls:?}"
    );
    gw.assert_healthy();
}

#[test]
fn usage_based_routing_v2_spreads_tokens_and_enforces_rpm() {
    within_one_minute();
    let (base, seen) = upstream(Duration::ZERO);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  routing_strategy: usage-based-routing-v2\n",
        deployment("g", "a", &base, "      rpm: 2\n", ""),
        deployment("g", "b", &base, "", "      rpm: 2\n"),
    );
    let gw = Gateway::start(&config);
    // The lowest tokens this minute: one each (an rpm of 2 lets one through a minute, as
    // LiteLLM's `>=` does).
    let mut got = vec![
        answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))),
        answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))),
    ];
    got.sort();
    assert_eq!(got, ["a", "b"]);
    let resp = gw.post("/v1/chat/completions", &chat_body("g"));
    let err = assert_litellm_error(&resp, 429);
    assert_eq!(err["type"], "throttling_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("litellm.RateLimitError: No deployments available for selected model. Passed model=g. Deployments={'a': {'current_tpm': 10, 'tpm_limit': inf, 'current_rpm': 1, 'rpm_limit': 2}"),
        "{message}"
    );
    assert_eq!(resp.header("llm_provider-retry-after"), Some("60"));
    assert_eq!(calls(&seen).len(), 2);
    gw.assert_healthy();
}

#[test]
fn cost_based_routing_takes_the_cheapest_within_its_limits() {
    within_one_minute();
    let (base, seen) = upstream(Duration::ZERO);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  routing_strategy: cost-based-routing\n",
        deployment("g", "dear", &base, "      input_cost_per_token: 0.00001\n      output_cost_per_token: 0.00003\n", ""),
        deployment("g", "cheap", &base, "      input_cost_per_token: 0.0000001\n      output_cost_per_token: 0.0000002\n      rpm: 2\n", ""),
    );
    let gw = Gateway::start(&config);
    // An rpm of 2 lets two a minute through (LiteLLM's cost strategy counts successes).
    for _ in 0..2 {
        assert_eq!(
            answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))),
            "cheap"
        );
    }
    assert_eq!(
        answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))),
        "dear"
    );
    assert_eq!(calls(&seen), ["cheap", "cheap", "dear"]);
    gw.assert_healthy();
}

#[test]
fn usage_based_routing_v1_takes_the_least_used_first() {
    within_one_minute();
    let (base, _seen) = upstream(Duration::ZERO);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  routing_strategy: usage-based-routing\n",
        deployment("g", "a", &base, "", ""),
        deployment("g", "b", &base, "", ""),
    );
    let gw = Gateway::start(&config);
    let got: Vec<String> = (0..4)
        .map(|_| answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))))
        .collect();
    assert_eq!(got, ["a", "b", "a", "b"]);
}

#[test]
fn tag_routing() {
    let (base, _seen) = upstream(Duration::ZERO);
    let config = format!(
        "model_list:\n{}{}{}{}router_settings:\n  enable_tag_filtering: true\n",
        deployment("g", "ta", &base, "      tags: [teamA]\n", ""),
        deployment("g", "tb", &base, "      tags: [teamB]\n", ""),
        deployment("g", "td", &base, "      tags: [default]\n", ""),
        deployment("h", "hb", &base, "      tags: [teamB]\n", ""),
    );
    let gw = Gateway::start(&config);
    let post = |extra: Value, headers: &[(&str, &str)], model: &str| {
        let mut body = chat_body(model);
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        gw.request(
            "POST",
            "/v1/chat/completions",
            headers,
            body.to_string().as_bytes(),
        )
    };
    let by = |extra: Value, headers: &[(&str, &str)]| answered_by(&post(extra, headers, "g"));
    assert_eq!(by(json!({"metadata": {"tags": ["teamA"]}}), &[]), "ta");
    assert_eq!(by(json!({"tags": ["teamB"]}), &[]), "tb");
    assert_eq!(by(json!({}), &[("x-litellm-tags", "teamA")]), "ta");
    // Untagged, and tags no deployment carries: the default deployments.
    for _ in 0..3 {
        assert_eq!(by(json!({}), &[]), "td");
        assert_eq!(by(json!({"tags": ["teamC"]}), &[]), "td");
        assert_eq!(by(json!({"tags": ["!teamA"]}), &[]), "td");
    }
    // No match and no default: LiteLLM's 401.
    let resp = post(json!({"tags": ["teamC"]}), &[], "h");
    let err = assert_litellm_error(&resp, 401);
    assert_eq!(
        err["message"],
        "Not allowed to access model due to tags configuration. Passed model=h and tags=['teamC']"
    );
    assert_eq!(
        answered_by(&post(json!({"tags": ["teamB"]}), &[], "h")),
        "hb"
    );
    // Tags are bounded (their deduplication is quadratic).
    let many: Vec<String> = (0..300).map(|i| format!("t{i}")).collect();
    let resp = post(json!({}), &[("x-litellm-tags", &many.join(","))], "g");
    let err = assert_litellm_error(&resp, 400);
    assert!(err["message"].as_str().unwrap().contains("'tags'"), "{err}");
    // A body spilled to a file with a large `metadata`: its tags are not read back (the
    // default deployment serves it), and it is not refused.
    let big = json!({"metadata": {"tags": ["teamA"], "note": "x".repeat(100_000)},
                     "messages": [{"role": "user", "content": "y".repeat(2 << 20)}]});
    assert_eq!(by(big, &[]), "td");
    gw.assert_healthy();
}

#[test]
fn pre_call_checks_leave_out_small_context_windows() {
    let (base, seen) = upstream(Duration::ZERO);
    let config = format!(
        "model_list:\n{}{}{}{}router_settings:\n  enable_pre_call_checks: true\n  context_window_fallbacks: [{{tiny: [big]}}]\n",
        deployment("g", "small", &base, "", "      max_input_tokens: 20\n"),
        deployment("g", "large", &base, "", "      max_input_tokens: 100000\n"),
        deployment("tiny", "tiny", &base, "", "      max_input_tokens: 5\n"),
        deployment("big", "big", &base, "", ""),
    );
    let gw = Gateway::start(&config);
    let long = json!({"model": "g", "messages": [{"role": "user", "content": "word ".repeat(50)}]});
    for _ in 0..5 {
        assert_eq!(
            answered_by(&gw.post("/v1/chat/completions", &long)),
            "large"
        );
    }
    // "hi" is 8 tokens: over `tiny`'s window, so its context-window fallback answers.
    let resp = gw.post("/v1/chat/completions", &chat_body("tiny"));
    assert_eq!(answered_by(&resp), "big");
    let _ = calls(&seen);
    // Without fallbacks: LiteLLM's ContextWindowExceededError.
    let resp = gw.post(
        "/v1/chat/completions",
        &json!({"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "fallbacks": null, "context_window_fallbacks": null}),
    );
    let err = assert_litellm_error(&resp, 400);
    assert!(
        err["message"].as_str().unwrap().starts_with(
            "litellm.ContextWindowExceededError: litellm.BadRequestError: litellm._pre_call_checks: Context Window exceeded for given call. No models have context window large enough for this call.\nModel=openai/m, Max Input Tokens=5, Got=8"
        ),
        "{err}"
    );
    assert!(calls(&seen).is_empty());
    gw.assert_healthy();
    drop(gw);
    // Without model_info, the bundled table's window (LiteLLM's cost map: 2,048 here).
    let config = format!(
        "model_list:\n{}{}router_settings:\n  enable_pre_call_checks: true\n",
        deployment("g", "phi", &base, "", "").replace(
            "model: openai/m",
            "model: fireworks_ai/accounts/fireworks/models/phi-2-3b"
        ),
        deployment("g", "large", &base, "", ""),
    );
    let gw = Gateway::start(&config);
    let long =
        json!({"model": "g", "messages": [{"role": "user", "content": "word ".repeat(2100)}]});
    for _ in 0..5 {
        assert_eq!(
            answered_by(&gw.post("/v1/chat/completions", &long)),
            "large"
        );
    }
    let mut short: Vec<String> = (0..12)
        .map(|_| answered_by(&gw.post("/v1/chat/completions", &chat_body("g"))))
        .collect();
    short.sort();
    short.dedup();
    assert_eq!(short, ["large", "phi"]);
}
