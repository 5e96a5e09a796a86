//! The router's Prometheus metrics on `/metrics`, as LiteLLM 1.108.7 writes them: cooldowns
//! (`litellm_deployment_cooled_down`, `litellm_deployment_state` 2), fallbacks
//! (`litellm_deployment_successful_fallbacks` / `_failed_fallbacks`), deployment limits
//! (`litellm_deployment_tpm_limit` / `_rpm_limit`) and the remaining requests and tokens of a
//! group. Each scenario runs against a scripted upstream (one path prefix per deployment) that
//! counts its calls, on two cores, so every count is the merge of both cores' tables; the
//! expected lines are written out whole, labels in prometheus_client's order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::mpsc::Receiver;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{chat_body, routed_deployment as deployment, scripted_upstream, Gateway, Recorded};

fn ok() -> (u16, &'static str, String) {
    common::openai_answer("hi", 1, 1)
}

fn error(status: u16) -> (u16, &'static str, String) {
    common::openai_error(status, "no")
}

/// An upstream answering `/{name}/...` with the status the name's first letters say:
/// `e429`, `e500`, `e503`, else a chat completion.
fn upstream() -> (String, Receiver<Recorded>) {
    scripted_upstream(|path, _| {
        let name = path.split('/').nth(1).unwrap_or("");
        match name.get(..4) {
            Some("e429") => error(429),
            Some("e500") => error(500),
            Some("e503") => error(503),
            _ => ok(),
        }
    })
}

fn start(models: &[String], router_settings: &str) -> Gateway {
    let config = format!(
        "model_list:\n{}litellm_settings:\n  callbacks: [\"prometheus\"]\nrouter_settings:\n{router_settings}",
        models.concat()
    );
    Gateway::start_with(&config, &["--num_workers", "2"])
}

fn scrape(gw: &Gateway) -> String {
    let resp = gw.get("/metrics");
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.text()
}

/// The samples of `name` (exactly), as `(labels, value)` lines.
fn series<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{'))
        })
        .collect()
}

fn assert_line(text: &str, line: &str) {
    let name = line.split('{').next().unwrap();
    assert!(
        text.lines().any(|l| l == line),
        "no line\n  {line}\namong\n  {}",
        series(text, name).join("\n  ")
    );
}

fn calls_of(seen: &Receiver<Recorded>, counts: &mut Vec<String>, name: &str) -> usize {
    counts.extend(
        seen.try_iter()
            .map(|(path, _, _)| path.split('/').nth(1).unwrap_or("").to_owned()),
    );
    counts.iter().filter(|c| *c == name).count()
}

#[test]
fn a_cooldown_counts_with_its_status_and_marks_a_complete_outage() {
    let (base, seen) = upstream();
    // A 429 cools a deployment that has another in its group at once; 60 s keeps it out for
    // the rest of the test.
    let gw = start(
        &[
            deployment("g", "e429", &base, "", ""),
            deployment("g", "good", &base, "", ""),
        ],
        "  cooldown_time: 60\n",
    );
    let before = scrape(&gw);
    for name in [
        "litellm_deployment_cooled_down_total",
        "litellm_deployment_state",
    ] {
        assert!(series(&before, name).is_empty(), "{before}");
    }
    assert!(before.contains("# TYPE litellm_deployment_cooled_down_total counter\n"));
    assert!(!before.contains("litellm_deployment_cooled_down_created"));
    let mut calls = Vec::new();
    for _ in 0..20 {
        let resp = gw.post("/v1/chat/completions", &chat_body("g"));
        assert_eq!(resp.status, 200, "{}", resp.text());
    }
    // Picked at random until it failed once, then cooling.
    assert_eq!(calls_of(&seen, &mut calls, "e429"), 1, "{calls:?}");
    let text = scrape(&gw);
    let labels = format!(
        "api_base=\"{base}/e429/v1\",api_provider=\"openai\",exception_status=\"429\",litellm_model_name=\"g\",model_id=\"e429\""
    );
    assert_line(
        &text,
        &format!("litellm_deployment_cooled_down_total{{{labels}}} 1.0"),
    );
    assert_eq!(
        series(&text, "litellm_deployment_cooled_down_total").len(),
        1
    );
    let created = series(&text, "litellm_deployment_cooled_down_created");
    assert_eq!(created.len(), 1, "{text}");
    assert!(created[0].starts_with(&format!(
        "litellm_deployment_cooled_down_created{{{labels}}} 1."
    )));
    // The cooldown's complete outage is labelled with the deployment's model_name (its
    // group), as LiteLLM's cooldown callback passes it; the request metrics' series name the
    // model, and the deployment that answered is healthy.
    assert_line(
        &text,
        &format!("litellm_deployment_state{{api_base=\"{base}/e429/v1\",api_provider=\"openai\",litellm_model_name=\"g\",model_id=\"e429\"}} 2.0"),
    );
    assert_line(
        &text,
        &format!("litellm_deployment_state{{api_base=\"{base}/good/v1\",api_provider=\"openai\",litellm_model_name=\"m\",model_id=\"good\"}} 0.0"),
    );
    // No fallback was made: a retry in the group is none.
    assert!(series(&text, "litellm_deployment_successful_fallbacks_total").is_empty());
    assert!(series(&text, "litellm_deployment_failed_fallbacks_total").is_empty());
    gw.assert_healthy();
}

#[test]
fn fallbacks_count_per_attempt_with_the_group_they_fall_back_from() {
    let (base, seen) = upstream();
    let gw = start(
        &[
            deployment("a", "e429a", &base, "", ""),
            deployment("b", "e500b", &base, "", ""),
            deployment("c", "c", &base, "", ""),
            deployment("d", "e503d", &base, "", ""),
            deployment("t", "e429t", &base, "      order: 1\n", ""),
            deployment("t", "t2", &base, "      order: 2\n", ""),
        ],
        "  num_retries: 0\n  fallbacks: [{\"a\": [\"b\", \"c\"]}, {\"d\": [\"b\"]}]\n",
    );
    // a fails, b fails, then c (b has no fallbacks of its own: it goes on with a's) answers.
    // LiteLLM nests b's fallbacks under b: c's success is b's too.
    for _ in 0..2 {
        let resp = gw.post("/v1/chat/completions", &chat_body("a"));
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(resp.header("x-litellm-model-id"), Some("c"));
    }
    // d fails, b fails and has nothing left: d -> b failed.
    let resp = gw.post("/v1/chat/completions", &chat_body("d"));
    assert_eq!(resp.status, 503, "{}", resp.text());
    // t's first tier fails, its second answers: LiteLLM counts an `order` tier as a fallback
    // of the group to itself.
    let resp = gw.post("/v1/chat/completions", &chat_body("t"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-litellm-model-id"), Some("t2"));
    let mut calls = Vec::new();
    for (name, n) in [
        ("e429a", 2),
        ("e500b", 3),
        ("c", 2),
        ("e503d", 1),
        ("t2", 1),
    ] {
        assert_eq!(calls_of(&seen, &mut calls, name), n, "{name}: {calls:?}");
    }

    let text = scrape(&gw);
    let line = |name: &str, class: &str, status: u16, from: &str, to: &str, n: f64| {
        format!(
            "{name}{{api_key_alias=\"None\",exception_class=\"{class}\",exception_status=\"{status}\",fallback_model=\"{to}\",hashed_api_key=\"litellm_proxy_master_key\",model_id=\"None\",requested_model=\"{from}\",team=\"None\",team_alias=\"None\"}} {n:?}"
        )
    };
    let ok = "litellm_deployment_successful_fallbacks_total";
    let failed = "litellm_deployment_failed_fallbacks_total";
    let expected_ok = [
        line(ok, "Openai.RateLimitError", 429, "a", "b", 2.0),
        line(ok, "Openai.InternalServerError", 500, "b", "c", 2.0),
        line(ok, "Openai.RateLimitError", 429, "t", "t", 1.0),
    ];
    for l in &expected_ok {
        assert_line(&text, l);
    }
    assert_eq!(series(&text, ok).len(), 3, "{text}");
    assert_line(
        &text,
        &line(failed, "Openai.ServiceUnavailableError", 503, "d", "b", 1.0),
    );
    assert_eq!(series(&text, failed).len(), 1, "{text}");
    // Each counter has its `_created` companion, one per series.
    assert_eq!(
        series(&text, "litellm_deployment_successful_fallbacks_created").len(),
        3
    );
    assert_eq!(
        series(&text, "litellm_deployment_failed_fallbacks_created").len(),
        1
    );
    // t's first tier cooled (a 429 with another deployment in the group).
    assert_line(
        &text,
        &format!("litellm_deployment_cooled_down_total{{api_base=\"{base}/e429t/v1\",api_provider=\"openai\",exception_status=\"429\",litellm_model_name=\"t\",model_id=\"e429t\"}} 1.0"),
    );
}

#[test]
fn limits_and_remaining_usage_appear_once_a_limited_deployment_served() {
    let (base, _seen) = upstream();
    let gw = start(
        &[
            // model_info's tpm beats litellm_params' for the limit gauge (LiteLLM's
            // `_set_deployment_tpm_rpm_limit_metrics`); the group's tpm, the remaining tokens'
            // base, is litellm_params' (its `_set_model_group_info`).
            deployment(
                "lim",
                "lim",
                &base,
                "      rpm: 100\n      tpm: 1000\n",
                "      tpm: 2000\n",
            ),
            deployment("limfail", "e500f", &base, "      rpm: 10\n", ""),
            deployment("free", "free", &base, "", ""),
        ],
        "  num_retries: 0\n",
    );
    let families = [
        "litellm_deployment_tpm_limit",
        "litellm_deployment_rpm_limit",
        "litellm_remaining_requests_metric",
        "litellm_remaining_tokens_metric",
    ];
    let before = scrape(&gw);
    for name in families {
        assert!(
            before.contains(&format!("# TYPE {name} gauge\n")),
            "{before}"
        );
        assert!(series(&before, name).is_empty(), "{before}");
    }
    assert_eq!(
        gw.post("/v1/chat/completions", &chat_body("limfail"))
            .status,
        500
    );
    assert_eq!(
        gw.post("/v1/chat/completions", &chat_body("free")).status,
        200
    );
    // The usage counts per UTC minute: keep the three requests inside one.
    let second = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            % 60
    };
    while second() > 50 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let minute = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60;
    for _ in 0..3 {
        let resp = gw.post("/v1/chat/completions", &chat_body("lim"));
        assert_eq!(resp.status, 200, "{}", resp.text());
    }
    let text = scrape(&gw);
    assert_eq!(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 60,
        minute,
        "the test crossed a minute"
    );
    // Only the deployment that served and has limits: not the one that only failed, not the
    // one without limits.
    let deployment = format!(
        "api_base=\"{base}/lim/v1\",api_provider=\"openai\",litellm_model_name=\"m\",model_group=\"lim\",model_id=\"lim\""
    );
    assert_line(
        &text,
        &format!("litellm_deployment_tpm_limit{{{deployment}}} 2000.0"),
    );
    assert_line(
        &text,
        &format!("litellm_deployment_rpm_limit{{{deployment}}} 100.0"),
    );
    // 3 requests of 2 tokens each this minute.
    let caller = format!(
        "api_base=\"{base}/lim/v1\",api_key_alias=\"None\",api_provider=\"openai\",hashed_api_key=\"litellm_proxy_master_key\",litellm_model_name=\"m\",model_group=\"lim\",model_id=\"lim\""
    );
    assert_line(
        &text,
        &format!("litellm_remaining_requests_metric{{{caller}}} 97.0"),
    );
    assert_line(
        &text,
        &format!("litellm_remaining_tokens_metric{{{caller}}} 994.0"),
    );
    for name in families {
        assert_eq!(series(&text, name).len(), 1, "{name}:\n{text}");
    }
}
