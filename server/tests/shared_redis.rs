//! Two corelane instances on one real Redis (Debian's `redis-server`, started here) see each
//! other's cooldowns and usage counts, in LiteLLM's keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use corelane_testkit::redis::RedisServer as Redis;

use common::{
    assert_litellm_error, chat_body, scripted_upstream, upstream_calls as calls, Gateway,
};

fn error(status: u16) -> (u16, &'static str, String) {
    common::openai_error(status, "limited")
}

fn ok() -> (u16, &'static str, String) {
    common::openai_answer("hi", 5, 5)
}

fn deployment(group: &str, name: &str, base: &str, extra: &str) -> String {
    common::routed_deployment(group, name, base, extra, "")
}

/// Waits for the instances' next exchange with Redis (every 100 ms).
fn sync() {
    std::thread::sleep(Duration::from_millis(400));
}

#[test]
fn instances_share_cooldowns() {
    let redis = Redis::start();
    let (base, seen) = scripted_upstream(|_, _| error(429));
    let config = format!(
        "model_list:\n{}{}router_settings:\n  num_retries: 0\n  cooldown_time: 30\n  redis_host: 127.0.0.1\n  redis_port: {}\n",
        deployment("g", "a", &base, ""),
        deployment("g", "b", &base, ""),
        redis.port()
    );
    let one = Gateway::start(&config);
    let two = Gateway::start(&config);
    // The first 429 cools its deployment (a group of two), in both instances.
    assert_litellm_error(&one.post("/v1/chat/completions", &chat_body("g")), 429);
    let first = calls(&seen);
    assert_eq!(first.len(), 1);
    sync();
    // The other instance goes to the other deployment, which cools too.
    assert_litellm_error(&two.post("/v1/chat/completions", &chat_body("g")), 429);
    let second = calls(&seen);
    assert_eq!(second.len(), 1);
    assert_ne!(
        first, second,
        "the second instance did not see the first's cooldown"
    );
    sync();
    // Now both cool everywhere: LiteLLM's cooldown answer, without an upstream call.
    let err = assert_litellm_error(&one.post("/v1/chat/completions", &chat_body("g")), 429);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("All deployments for selected model are in cooldown"),
        "{err}"
    );
    assert!(calls(&seen).is_empty());
    // In LiteLLM's key and value, so LiteLLM instances on the same Redis see them too.
    let value: serde_json::Value =
        serde_json::from_str(&redis.cli(&["GET", &format!("deployment:{}:cooldown", first[0])]))
            .unwrap();
    assert_eq!(value["cooldown_time"], 30.0);
    let ttl: u64 = redis
        .cli(&["PTTL", &format!("deployment:{}:cooldown", first[0])])
        .parse()
        .unwrap();
    assert!((20_000..=30_000).contains(&ttl), "{ttl}");
    one.assert_healthy();
    two.assert_healthy();
}

#[test]
fn instances_share_usage_counts() {
    // Stay within one UTC minute.
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second > 45 {
        std::thread::sleep(Duration::from_secs(61 - second));
    }
    let redis = Redis::start();
    let (base, seen) = scripted_upstream(|_, _| ok());
    // An rpm of 3 lets 2 requests a minute through (LiteLLM's `>=`), across instances.
    let config = format!(
        "model_list:\n{}router_settings:\n  routing_strategy: usage-based-routing-v2\n  redis_host: 127.0.0.1\n  redis_port: {}\n",
        deployment("g", "u", &base, "      rpm: 3\n"),
        redis.port()
    );
    let one = Gateway::start(&config);
    let two = Gateway::start(&config);
    assert_eq!(
        one.post("/v1/chat/completions", &chat_body("g")).status,
        200
    );
    sync();
    assert_eq!(
        two.post("/v1/chat/completions", &chat_body("g")).status,
        200
    );
    sync();
    let err = assert_litellm_error(&one.post("/v1/chat/completions", &chat_body("g")), 429);
    assert_eq!(err["type"], "throttling_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("'current_rpm': 2"),
        "{err}"
    );
    assert_eq!(calls(&seen).len(), 2);
    one.assert_healthy();
    two.assert_healthy();
}

#[test]
fn a_redis_that_is_down_leaves_each_instance_its_own_state() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (base, _seen) = scripted_upstream(|_, _| ok());
    let config = format!(
        "model_list:\n{}router_settings:\n  redis_host: 127.0.0.1\n  redis_port: {port}\n",
        deployment("g", "a", &base, ""),
    );
    let gw = Gateway::start(&config);
    for _ in 0..5 {
        assert_eq!(gw.post("/v1/chat/completions", &chat_body("g")).status, 200);
    }
    sync();
    let stderr = gw.proc.stderr.text();
    assert_eq!(stderr.matches("router redis:").count(), 1, "{stderr}");
    gw.assert_healthy();
}

/// The `router_settings` reference block of LiteLLM's docs (its config settings page), as
/// written there with a real Redis: every key is read (none said to be ignored) and
/// traffic flows.
#[test]
fn litellms_documented_router_settings_work_unchanged() {
    let redis = Redis::start();
    let (base, seen) = scripted_upstream(|_, _| ok());
    let config = format!(
        r#"model_list:
{}{}router_settings:
  routing_strategy: usage-based-routing-v2 # Literal["simple-shuffle", "least-busy", "usage-based-routing","latency-based-routing"], default="simple-shuffle"
  redis_host: 127.0.0.1                   # string
  redis_password: null                    # string
  redis_port: {}                          # string
  enable_pre_call_checks: true            # bool - Before call is made check if a call is within model context window
  allowed_fails: 3 # cooldown model if it fails > 1 call in a minute.
  cooldown_time: 30 # (in seconds) how long to cooldown model if fails/min > allowed_fails
  disable_cooldowns: True                  # bool - Disable cooldowns for all models
  enable_tag_filtering: True                # bool - Use tag based routing for requests
  retry_policy: {{                          # Dict[str, int]: retry policy for different types of exceptions
    "AuthenticationErrorRetries": 3,
    "TimeoutErrorRetries": 3,
    "RateLimitErrorRetries": 3,
    "ContentPolicyViolationErrorRetries": 4,
    "InternalServerErrorRetries": 4
  }}
  allowed_fails_policy: {{
    "BadRequestErrorAllowedFails": 1000, # Allow 1000 BadRequestErrors before cooling down a deployment
    "AuthenticationErrorAllowedFails": 10, # int
    "TimeoutErrorAllowedFails": 12, # int
    "RateLimitErrorAllowedFails": 10000, # int
    "ContentPolicyViolationErrorAllowedFails": 15, # int
    "InternalServerErrorAllowedFails": 20, # int
  }}
  num_retries: 3
  timeout: 30
  retry_after: 5
  model_group_alias: {{"gpt-4": "g"}}
"#,
        deployment(
            "g",
            "a",
            &base,
            "      rpm: 100\n      tpm: 100000\n      tags: [default]\n"
        ),
        deployment(
            "g",
            "b",
            &base,
            "      rpm: 100\n      tpm: 100000\n      tags: [default]\n"
        ),
        redis.port()
    );
    let gw = Gateway::start(&config);
    for model in ["g", "gpt-4"] {
        for _ in 0..3 {
            assert_eq!(
                gw.post("/v1/chat/completions", &chat_body(model)).status,
                200
            );
        }
    }
    assert_eq!(calls(&seen).len(), 6);
    let stderr = gw.proc.stderr.text();
    assert!(!stderr.contains("router_settings"), "{stderr}");
    sync();
    // The usage counts went to Redis, in LiteLLM's keys.
    let keys = redis.cli(&["KEYS", "*:rpm:*"]);
    assert!(
        keys.contains("a:openai/m:rpm:") || keys.contains("b:openai/m:rpm:"),
        "{keys}"
    );
    gw.assert_healthy();
}
