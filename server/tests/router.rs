//! The router end to end: retries, fallbacks, cooldowns and `order` tiers, against a scripted
//! upstream that fails as each test says (one path prefix per deployment), counting the calls
//! each deployment got. The rules are LiteLLM 1.108.7's (see `server/src/routing.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    assert_litellm_error, chat_body, openai_error as error, scripted_upstream,
    upstream_calls as calls, Gateway, Recorded,
};
use serde_json::{json, Value};

fn ok(name: &str) -> (u16, &'static str, String) {
    common::openai_answer(&format!("from {name}"), 1, 1)
}

fn deployment(group: &str, name: &str, base: &str, extra: &str) -> String {
    common::routed_deployment(group, name, base, extra, "")
}

fn calls_of(seen: &Receiver<Recorded>, name: &str) -> usize {
    calls(seen).iter().filter(|c| *c == name).count()
}

#[test]
fn a_broken_deployment_never_reaches_the_client() {
    let (base, seen) = scripted_upstream(|path, _| {
        if path.starts_with("/bad/") {
            error(500, "boom")
        } else {
            ok("good")
        }
    });
    // Without cooldowns the broken deployment keeps being picked first half the time.
    let config = format!(
        "model_list:\n{}{}router_settings:\n  disable_cooldowns: true\n",
        deployment("g", "bad", &base, ""),
        deployment("g", "good", &base, "")
    );
    let gw = Gateway::start_with(&config, &["--num_workers", "2"]);
    for _ in 0..60 {
        let resp = gw.post("/v1/chat/completions", &chat_body("g"));
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(resp.header("x-litellm-model-id"), Some("good"));
    }
    let calls = calls(&seen);
    let bad = calls.iter().filter(|c| *c == "bad").count();
    assert!(
        (10..=50).contains(&bad),
        "{bad} calls to the broken deployment"
    );
    assert_eq!(calls.len(), 60 + bad);
    drop(gw);
    // With cooldowns, it cools down once over half of 5 or more requests failed.
    let config = format!(
        "model_list:\n{}{}",
        deployment("g", "bad", &base, ""),
        deployment("g", "good", &base, "")
    );
    let gw = Gateway::start(&config);
    for _ in 0..30 {
        let resp = gw.post("/v1/chat/completions", &chat_body("g"));
        assert_eq!(resp.status, 200, "{}", resp.text());
    }
    let bad = calls_of(&seen, "bad");
    assert!(
        bad <= 5,
        "{bad} calls to the broken deployment after it cooled"
    );
    gw.assert_healthy();
}

#[test]
fn retries_wait_and_report_in_headers() {
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    let (base, seen) = scripted_upstream(move |_, _| {
        if count.fetch_add(1, Ordering::SeqCst) < 2 {
            error(503, "busy")
        } else {
            ok("only")
        }
    });
    let gw = Gateway::start(&format!(
        "model_list:\n{}",
        deployment("g", "only", &base, "")
    ));
    let started = Instant::now();
    let resp = gw.post("/v1/chat/completions", &chat_body("g"));
    let took = started.elapsed();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(calls(&seen), ["only", "only", "only"]);
    assert_eq!(resp.header("x-litellm-attempted-retries"), Some("2"));
    assert_eq!(resp.header("x-litellm-max-retries"), Some("2"));
    assert_eq!(resp.header("x-litellm-attempted-fallbacks"), Some("0"));
    // Alone in its group: 0.5 s then 1 s, each with up to 0.75 s of jitter.
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn what_is_retried_and_how_often() {
    let (base, seen) = scripted_upstream(|path, _| match path.split('/').nth(1) {
        Some("bad-request") => error(400, "bad"),
        Some("not-found") => error(404, "gone"),
        _ => error(500, "boom"),
    });
    let config = format!(
        "model_list:\n{}{}{}{}router_settings:\n  retry_after: 0\n",
        deployment("br", "bad-request", &base, ""),
        deployment("nf", "not-found", &base, ""),
        deployment("none", "no-retries", &base, "      num_retries: 0\n"),
        deployment("one", "one-retry", &base, "      num_retries: 1\n"),
    );
    let gw = Gateway::start(&config);
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("br")), 400);
    assert_eq!(calls(&seen), ["bad-request"]);
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("nf")), 404);
    assert_eq!(calls(&seen), ["not-found"]);
    // The deployment's num_retries wins over the router's 2.
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("none")), 500);
    assert_eq!(calls(&seen), ["no-retries"]);
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("one")), 500);
    assert_eq!(calls(&seen), ["one-retry", "one-retry"]);
    // A 404 cooled its lone deployment: the next request is LiteLLM's cooldown 429.
    let resp = gw.post("/v1/chat/completions", &chat_body("nf"));
    let err = assert_litellm_error(&resp, 429);
    assert_eq!(err["type"], "all_deployments_in_cooldown");
    assert_eq!(
        err["message"],
        "No deployments available for selected model, Try again in 5 seconds. All deployments for selected model are in cooldown. Passed model=nf. pre-call-checks=False, cooldown_list=['not-found']"
    );
    assert_eq!(resp.header("retry-after"), Some("5"));
    assert!(calls(&seen).is_empty());
}

#[test]
fn cooldowns_are_seen_by_every_core_and_end() {
    let (base, seen) = scripted_upstream(|_, _| {
        let (status, _, body) = error(429, "slow down");
        (status, "application/json\r\nretry-after: 1", body)
    });
    let config = format!(
        "model_list:\n{}{}",
        deployment("g", "a", &base, ""),
        deployment("g", "b", &base, "")
    );
    let gw = Gateway::start_with(&config, &["--num_workers", "2"]);
    // Each 429 cools its deployment (for its retry-after, 1 s); the retry goes to the other
    // at once, then nothing is left.
    let started = Instant::now();
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("g")), 429);
    assert!(started.elapsed() < Duration::from_millis(500));
    let mut first = calls(&seen);
    first.sort();
    assert_eq!(first, ["a", "b"]);
    // New connections land on either core: all see both cooling.
    for _ in 0..6 {
        let resp = gw.post("/v1/chat/completions", &chat_body("g"));
        let err = assert_litellm_error(&resp, 429);
        assert_eq!(err["type"], "all_deployments_in_cooldown", "{err}");
        assert!(err["message"]
            .as_str()
            .unwrap()
            .starts_with("No deployments available for selected model, Try again in 1 seconds."));
    }
    assert!(calls(&seen).is_empty());
    std::thread::sleep(Duration::from_millis(1100));
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("g")), 429);
    assert_eq!(calls(&seen).len(), 2);
}

#[test]
fn fallbacks_take_over_with_their_own_retries() {
    let (base, seen) = scripted_upstream(|path, body| {
        let text = String::from_utf8_lossy(body);
        match path.split('/').nth(1) {
            Some("primary") if text.contains("too long") => {
                error(400, "This model's maximum context length is 10 tokens.")
            }
            Some("primary") | Some("second") => error(503, "down"),
            Some(name) => ok(name),
            None => error(500, "?"),
        }
    });
    let config = format!(
        "model_list:\n{}{}{}{}router_settings:\n  num_retries: 1\n  retry_after: 0\n  fallbacks: [{{g: [second, third]}}, {{third: [nowhere]}}]\n  context_window_fallbacks: [{{g: [big]}}]\n",
        deployment("g", "primary", &base, ""),
        deployment("second", "second", &base, ""),
        deployment("third", "third", &base, ""),
        deployment("big", "big", &base, ""),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post("/v1/chat/completions", &chat_body("g"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    // A fallback group that is not in model_list is said at start.
    assert!(gw
        .proc
        .stderr
        .text()
        .contains("fallbacks: third: fallback model group 'nowhere' is not in model_list"));
    assert_eq!(resp.header("x-litellm-model-group"), Some("third"));
    assert_eq!(resp.header("x-litellm-model-id"), Some("third"));
    // `third` ran nested under `second`'s failure: one fallback at the top level.
    assert_eq!(resp.header("x-litellm-attempted-fallbacks"), Some("1"));
    assert_eq!(resp.header("x-litellm-attempted-retries"), Some("0"));
    assert_eq!(
        calls(&seen),
        ["primary", "primary", "second", "second", "third"]
    );
    // A context-window error is not retried and takes its own fallbacks.
    let long = json!({"model": "g", "messages": [{"role": "user", "content": "too long"}]});
    let resp = gw.post("/v1/chat/completions", &long);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-litellm-model-group"), Some("big"));
    assert_eq!(calls(&seen), ["primary", "big"]);
}

#[test]
fn when_every_fallback_fails_the_first_error_is_the_answer() {
    let (base, seen) = scripted_upstream(|path, _| match path.split('/').nth(1) {
        Some("primary") => error(429, "limited"),
        _ => error(500, "broken"),
    });
    let config = format!(
        "model_list:\n{}{}router_settings:\n  num_retries: 0\n  default_fallbacks: [other]\n",
        deployment("g", "primary", &base, ""),
        deployment("other", "other", &base, ""),
    );
    let gw = Gateway::start(&config);
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("g")), 429);
    assert!(
        err["message"].as_str().unwrap().contains("limited"),
        "{err}"
    );
    assert_eq!(calls(&seen), ["primary", "other"]);
}

#[test]
fn higher_order_tiers_serve_when_the_lowest_fails() {
    let (base, seen) = scripted_upstream(|path, _| {
        if path.starts_with("/first/") {
            error(500, "down")
        } else {
            ok("backup")
        }
    });
    let config = format!(
        "model_list:\n{}{}router_settings:\n  retry_after: 0\n",
        deployment("g", "backup", &base, "      order: 2\n"),
        deployment("g", "first", &base, "      order: 1\n"),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post("/v1/chat/completions", &chat_body("g"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-litellm-model-id"), Some("backup"));
    assert_eq!(resp.header("x-litellm-attempted-fallbacks"), Some("1"));
    assert_eq!(calls(&seen), ["first", "first", "first", "backup"]);
}

#[test]
fn an_auth_failure_moves_the_retry_to_another_deployment() {
    let (base, seen) = scripted_upstream(|path, _| {
        if path.starts_with("/locked/") {
            error(401, "bad key")
        } else {
            ok("open")
        }
    });
    let config = format!(
        "model_list:\n{}{}",
        deployment("g", "locked", &base, "      weight: 1000000\n"),
        deployment("g", "open", &base, "      weight: 1\n"),
    );
    let gw = Gateway::start(&config);
    let resp = gw.post("/v1/chat/completions", &chat_body("g"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(calls(&seen), ["locked", "open"]);
    assert_eq!(resp.header("x-litellm-attempted-retries"), Some("1"));
}

#[test]
fn a_stream_falls_back_before_its_first_byte() {
    let (base, seen) = scripted_upstream(|path, _| {
        if path.starts_with("/down/") {
            return error(503, "down");
        }
        let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": "streamed"}, "finish_reason": "stop"}]});
        (
            200,
            "text/event-stream",
            format!("data: {chunk}\n\ndata: [DONE]\n\n"),
        )
    });
    let config = format!(
        "model_list:\n{}{}router_settings:\n  num_retries: 0\n  fallbacks: [{{g: [h]}}]\n",
        deployment("g", "down", &base, ""),
        deployment("h", "up", &base, ""),
    );
    let gw = Gateway::start(&config);
    let body =
        json!({"model": "g", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.text().contains("streamed"), "{}", resp.text());
    assert_eq!(calls(&seen), ["down", "up"]);
}

#[test]
fn a_bogus_model_through_a_wildcard_cools_nothing() {
    let (base, seen) = scripted_upstream(|_, body| {
        if String::from_utf8_lossy(body).contains("no-such-model") {
            error(404, "The model `no-such-model` does not exist")
        } else {
            ok("wild")
        }
    });
    let config = format!(
        "model_list:\n  - model_name: \"*\"\n    litellm_params:\n      model: openai/*\n      api_base: {base}/wild/v1\n      api_key: sk-x\n"
    );
    let gw = Gateway::start(&config);
    for _ in 0..3 {
        assert_litellm_error(
            &gw.post("/v1/chat/completions", &chat_body("no-such-model")),
            404,
        );
    }
    let resp = gw.post("/v1/chat/completions", &chat_body("gpt-4o"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(calls(&seen).len(), 4);
}

#[test]
fn a_request_sets_its_own_retries_and_fallbacks() {
    let (base, seen) = scripted_upstream(|path, _| match path.split('/').nth(1) {
        Some("primary") => error(503, "down"),
        Some(name) => ok(name),
        None => error(500, "?"),
    });
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 0\n  retry_after: 0\n  fallbacks: [{{g: [second]}}]\n",
        deployment("g", "primary", &base, ""),
        deployment("second", "second", &base, ""),
        deployment("third", "third", &base, ""),
    );
    let gw = Gateway::start(&config);
    let post = |extra: Value, headers: &[(&str, &str)]| {
        let mut body = chat_body("g");
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let resp = gw.request(
            "POST",
            "/v1/chat/completions",
            headers,
            body.to_string().as_bytes(),
        );
        (resp, calls(&seen))
    };
    // The router's fallbacks, then the request's `num_retries` (the header beats the body).
    let (resp, seen_now) = post(json!({}), &[]);
    assert_eq!(resp.header("x-litellm-model-id"), Some("second"));
    assert_eq!(seen_now, ["primary", "second"]);
    let (resp, seen_now) = post(json!({"num_retries": 1}), &[]);
    assert_eq!(resp.header("x-litellm-max-retries"), None);
    assert_eq!(seen_now, ["primary", "primary", "second"]);
    let (_, seen_now) = post(json!({"num_retries": 0}), &[("x-litellm-num-retries", "2")]);
    assert_eq!(seen_now, ["primary", "primary", "primary", "second"]);
    // The request's fallbacks: a client-side chain, a table, none, or disabled.
    let (resp, seen_now) = post(json!({"fallbacks": ["third"]}), &[]);
    assert_eq!(resp.header("x-litellm-model-id"), Some("third"));
    assert_eq!(seen_now, ["primary", "third"]);
    let (resp, seen_now) = post(json!({"fallbacks": [{"model": "third"}]}), &[]);
    assert_eq!(resp.header("x-litellm-model-id"), Some("third"));
    assert_eq!(seen_now, ["primary", "third"]);
    let (resp, seen_now) = post(
        json!({"fallbacks": [{"other": ["second"]}, {"*": ["third"]}]}),
        &[],
    );
    assert_eq!(resp.header("x-litellm-model-id"), Some("third"));
    assert_eq!(seen_now, ["primary", "third"]);
    for off in [
        json!({"fallbacks": null}),
        json!({"disable_fallbacks": true}),
    ] {
        let (resp, seen_now) = post(off.clone(), &[]);
        assert_litellm_error(&resp, 503);
        assert_eq!(seen_now, ["primary"], "{off}");
    }
    // `max_fallbacks: 0` goes nowhere.
    let (resp, _) = post(json!({"max_fallbacks": 0}), &[]);
    assert_litellm_error(&resp, 503);
    // None of LiteLLM's members goes upstream.
    let _ = post(
        json!({"fallbacks": ["third"], "num_retries": 0, "timeout": 30}),
        &[],
    );
    let (resp, _) = post(
        json!({"fallbacks": ["third"], "num_retries": 0, "timeout": 30}),
        &[],
    );
    assert_eq!(resp.status, 200);
    // Values LiteLLM could not use are refused by name, before anything goes upstream.
    for (bad, named) in [
        (json!({"num_retries": "2"}), "num_retries"),
        (json!({"num_retries": 11}), "num_retries"),
        (json!({"fallbacks": "third"}), "fallbacks"),
        (
            json!({"fallbacks": [{"model": "third", "temperature": 1}]}),
            "fallbacks",
        ),
        (json!({"timeout": "soon"}), "timeout"),
    ] {
        let (resp, seen_now) = post(bad.clone(), &[]);
        let err = assert_litellm_error(&resp, 400);
        assert!(
            err["message"].as_str().unwrap().contains(named),
            "{bad}: {err}"
        );
        assert!(seen_now.is_empty(), "{bad}");
    }
    let (resp, _) = post(json!({}), &[("x-litellm-num-retries", "many")]);
    assert_litellm_error(&resp, 400);
    // A body large enough to be spilled to a file is read the same.
    let big = json!({"messages": [{"role": "user", "content": "x".repeat(3 << 20)}],
                     "fallbacks": ["third"]});
    let (resp, seen_now) = post(big, &[]);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-litellm-model-id"), Some("third"));
    assert_eq!(seen_now, ["primary", "third"]);
    gw.assert_healthy();
}

#[test]
fn litellm_members_are_not_sent_upstream() {
    let (base, seen) = scripted_upstream(|_, _| ok("only"));
    let gw = Gateway::start(&format!(
        "model_list:\n{}",
        deployment("g", "only", &base, "")
    ));
    let mut body = chat_body("g");
    for (k, v) in [
        ("num_retries", json!(1)),
        ("fallbacks", json!(["g"])),
        ("timeout", json!(20)),
        ("stream_timeout", json!(20)),
        ("disable_fallbacks", json!(false)),
        ("max_fallbacks", json!(2)),
        ("context_window_fallbacks", json!([{"g": ["g"]}])),
    ] {
        body[k] = v;
    }
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (_, _, sent) = seen.try_iter().next().unwrap();
    let sent: Value = serde_json::from_slice(&sent).unwrap();
    let keys: Vec<&String> = sent.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["messages", "model"], "{sent}");
}

#[test]
fn timeouts_from_the_request_the_deployment_and_the_router() {
    let (base, seen) = scripted_upstream(|_, _| {
        std::thread::sleep(Duration::from_millis(700));
        ok("slow")
    });
    // Two deployments that cool on their first failure (`allowed_fails: 0`), timing out at
    // 0.3 s unless a request says otherwise.
    let config = format!(
        "model_list:\n{}{}router_settings:\n  num_retries: 0\n  allowed_fails: 0\n  timeout: 30\n",
        deployment("g", "a", &base, "      timeout: 0.3\n"),
        deployment("g", "b", &base, "      timeout: 0.3\n"),
    );
    let gw = Gateway::start(&config);
    let post = |body: Value, headers: &[(&str, &str)]| {
        let started = Instant::now();
        let resp = gw.request(
            "POST",
            "/v1/chat/completions",
            headers,
            body.to_string().as_bytes(),
        );
        (resp, started.elapsed())
    };
    let mut body = chat_body("g");
    // A timeout the client set is a 408 that cools nothing.
    for _ in 0..3 {
        let (resp, took) = post(body.clone(), &[("x-litellm-timeout", "0.1")]);
        let err = assert_litellm_error(&resp, 408);
        assert!(
            err["message"].as_str().unwrap().contains("Timeout"),
            "{err}"
        );
        assert!(took < Duration::from_millis(600), "{took:?}");
    }
    // The request's `timeout` beats the deployment's.
    body["timeout"] = json!(5);
    let (resp, _) = post(body.clone(), &[]);
    assert_eq!(resp.status, 200, "{}", resp.text());
    // A stream takes `stream_timeout` first.
    let mut stream = body.clone();
    stream["stream"] = json!(true);
    stream["stream_timeout"] = json!(0.1);
    let (resp, took) = post(stream, &[]);
    assert_litellm_error(&resp, 408);
    assert!(took < Duration::from_millis(600), "{took:?}");
    // The upstream records a call once it answered.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(calls(&seen).len(), 5);
    // The deployment's own timeout cools it: two requests take both out.
    let body = chat_body("g");
    for _ in 0..2 {
        assert_litellm_error(&post(body.clone(), &[]).0, 408);
    }
    let err = assert_litellm_error(&post(body, &[]).0, 429);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("No deployments available"),
        "{err}"
    );
    gw.assert_healthy();
}

#[test]
fn retry_policies_by_error_class() {
    let (base, seen) = scripted_upstream(|path, _| match path.split('/').nth(1) {
        Some("bad") => error(400, "bad input"),
        Some("broken") => error(500, "broken"),
        _ => error(404, "no such model"),
    });
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  disable_cooldowns: true\n  retry_policy:\n    BadRequestErrorRetries: 2\n    NotFoundErrorRetries: 1\n  model_group_retry_policy:\n    q: {{InternalServerErrorRetries: 0}}\n",
        deployment("p", "bad", &base, ""),
        deployment("q", "broken", &base, ""),
        deployment("r", "gone", &base, ""),
    );
    let gw = Gateway::start(&config);
    // A 400 is never retried, unless the policy says so.
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("p")), 400);
    assert_eq!(calls(&seen), ["bad", "bad", "bad"]);
    // A group's policy replaces the router's: no retries for its 500s (the router's 2 are
    // not used either).
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("q")), 500);
    assert_eq!(calls(&seen), ["broken"]);
    assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("r")), 404);
    assert_eq!(calls(&seen), ["gone", "gone"]);
    // A request's `num_retries: 0` turns the policy off.
    let mut body = chat_body("p");
    body["num_retries"] = json!(0);
    assert_litellm_error(&gw.post("/v1/chat/completions", &body), 400);
    assert_eq!(calls(&seen), ["bad"]);
    gw.assert_healthy();
}

#[test]
fn allowed_fails_policies_of_the_router_and_the_deployment() {
    let (base, seen) = scripted_upstream(|path, _| match path.split('/').nth(1) {
        Some("limited") => error(429, "slow down"),
        Some("fussy") => error(400, "bad input"),
        _ => ok("fine"),
    });
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 0\n  allowed_fails_policy:\n    RateLimitErrorAllowedFails: 1\n",
        deployment("solo", "limited", &base, ""),
        deployment("fussy", "fussy", &base, "").replace(
            "    model_info:\n",
            "    model_info:\n      cooldown_time: 1\n      allowed_fails_policy: {BadRequestErrorAllowedFails: 0}\n"
        ),
        deployment("fine", "fine", &base, ""),
    );
    let gw = Gateway::start(&config);
    let post = |group: &str| gw.post("/v1/chat/completions", &chat_body(group));
    // The router's policy names 429s: even a lone deployment cools, on the second.
    assert_litellm_error(&post("solo"), 429);
    assert_litellm_error(&post("solo"), 429);
    let err = assert_litellm_error(&post("solo"), 429);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("No deployments available for selected model, Try again in 5 seconds"),
        "{err}"
    );
    assert_eq!(calls(&seen), ["limited", "limited"]);
    // The deployment's own policy cools it on a 400, for its own cooldown_time.
    assert_litellm_error(&post("fussy"), 400);
    let err = assert_litellm_error(&post("fussy"), 429);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Try again in 1 seconds"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert_litellm_error(&post("fussy"), 400);
    assert_eq!(calls(&seen), ["fussy", "fussy"]);
    assert_eq!(post("fine").status, 200);
    gw.assert_healthy();
}

/// The fault-injecting mock: a deployment that resets every connection never reaches the
/// client while its group has another; a stream cut after its first bytes is not retried
/// (the client has them) and ends with an error event.
#[test]
fn resets_are_absorbed_and_a_stream_cut_midway_is_not_retried() {
    let mock = common::Mock::start();
    let entry = |group: &str, id: &str, base: String| {
        format!(
            "  - model_name: {group}\n    litellm_params:\n      model: openai/m\n      api_base: {base}\n      api_key: sk-x\n    model_info:\n      id: {id}\n"
        )
    };
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  disable_cooldowns: true\n",
        entry("g", "reset", mock.base("/reset/v1")),
        entry("g", "fine", mock.base("/v1")),
        entry("cut", "cut", mock.base("/truncate/v1")),
    );
    let gw = Gateway::start_with(&config, &["--num_workers", "2"]);
    for _ in 0..30 {
        let resp = gw.post("/v1/chat/completions", &chat_body("g"));
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(resp.header("x-litellm-model-id"), Some("fine"));
    }
    mock.reset();
    let mut body = chat_body("cut");
    body["stream"] = json!(true);
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200);
    let text = resp.text();
    let events = common::SseEvents::split(text.as_bytes());
    let last = events.iter().rev().find(|e| !e.contains("[DONE]")).unwrap();
    assert!(last.contains("\"error\""), "{text}");
    assert!(events.len() > 2, "{text}");
    // One upstream call: nothing was retried once bytes had gone to the client.
    assert_eq!(mock.stats().0, 1);
    gw.assert_healthy();
}
