//! Virtual keys through the real binary on its embedded store (SQLite): the key routes with
//! LiteLLM's shapes, auth on every request with LiteLLM's errors, budgets, spend rows, and
//! what survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const MASTER: &str = "sk-master-0123456789abcdef";

fn config(extra: &str) -> String {
    format!(
        "model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      mock_response: \"Hello\"
  - model_name: other
    litellm_params:
      model: openai/gpt-4o-mini
      mock_response: \"Hi\"
general_settings:
  master_key: {MASTER}
  proxy_batch_write_at: 0.2
{extra}"
    )
}

fn call(gw: &Gateway, method: &str, path: &str, key: &str, body: &Value) -> Response {
    let auth = format!("Bearer {key}");
    let body = if method == "GET" {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    gw.request(method, path, &[("Authorization", &auth)], &body)
}

fn admin(gw: &Gateway, method: &str, path: &str, body: Value) -> Value {
    let r = call(gw, method, path, MASTER, &body);
    assert_eq!(r.status, 200, "{method} {path}: {}", r.text());
    r.json()
}

fn generate(gw: &Gateway, body: Value) -> String {
    let v = admin(gw, "POST", "/key/generate", body);
    v["key"].as_str().expect("key").to_owned()
}

fn chat(gw: &Gateway, key: &str, model: &str) -> Response {
    call(gw, "POST", "/chat/completions", key, &chat_body(model))
}

/// Polls `f` until it is true or `limit` passes.
fn until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

#[test]
fn a_generated_key_has_litellms_shape_and_works() {
    let gw = Gateway::start(&config(""));
    let v = admin(
        &gw,
        "POST",
        "/key/generate",
        json!({"key_alias": "team-a", "models": ["gpt-4o"], "metadata": {"k": [1, "é"]}}),
    );
    let key = v["key"].as_str().unwrap();
    assert!(key.starts_with("sk-") && key.len() == 25, "{v}");
    let hash = corelane_store::keys::hash(key);
    assert_eq!(v["token"], hash);
    assert_eq!(v["token_id"], hash);
    assert_eq!(v["key_name"], format!("sk-...{}", &key[key.len() - 4..]));
    assert_eq!(v["key_alias"], "team-a");
    assert_eq!(v["models"], json!(["gpt-4o"]));
    assert_eq!(v["metadata"], json!({"k": [1, "é"]}));
    assert_eq!(v["spend"], 0.0);
    assert!(v.get("budget_reset_at").is_none(), "{v}");

    let r = chat(&gw, key, "gpt-4o");
    assert_eq!(r.status, 200, "{}", r.text());
    // The alias is unique.
    let dup = call(
        &gw,
        "POST",
        "/key/generate",
        MASTER,
        &json!({"key_alias": "team-a"}),
    );
    let err = assert_litellm_error(&dup, 400);
    assert_eq!(
        err["message"],
        "Key with alias 'team-a' already exists. Unique key aliases across all keys are required."
    );
    assert_eq!(err["param"], "key_alias");
    // A key of the caller's own choosing.
    let custom = generate(&gw, json!({"key": "sk-my-own-key-0001"}));
    assert_eq!(custom, "sk-my-own-key-0001");
    assert_eq!(chat(&gw, &custom, "other").status, 200);
    let short = call(
        &gw,
        "POST",
        "/key/generate",
        MASTER,
        &json!({"key": "sk-short"}),
    );
    assert_eq!(short.status, 400, "{}", short.text());
}

#[test]
fn litellms_auth_errors() {
    let gw = Gateway::start(&config(""));
    let key = generate(&gw, json!({"models": ["gpt-4o"]}));

    let err = assert_litellm_error(&chat(&gw, "sk-not-a-key-1234", "gpt-4o"), 401);
    assert_eq!(
        err["message"],
        "Authentication Error, Invalid API key provided."
    );
    assert_eq!(err["type"], "token_not_found_in_db");
    assert_eq!(err["param"], "key");

    let err = assert_litellm_error(&chat(&gw, "abcdefghijklmnop", "gpt-4o"), 401);
    assert_eq!(
        err["message"],
        "LiteLLM Virtual Key expected. Received=abcd****mnop, expected to start with 'sk-'."
    );

    let err = assert_litellm_error(&chat(&gw, &key, "other"), 403);
    assert_eq!(err["type"], "key_model_access_denied");
    assert_eq!(err["param"], "model");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("The requested model 'other' is not available for this API key"));
    // Allowed models are checked before the router: an unknown name is refused the same way.
    assert_eq!(chat(&gw, &key, "no-such-model").status, 403);

    // Management routes need the master key.
    let err = assert_litellm_error(&call(&gw, "POST", "/key/generate", &key, &json!({})), 401);
    assert_eq!(err["type"], "auth_error");
    // A key may read its own info, not another's.
    let own = call(&gw, "GET", "/key/info", &key, &json!({}));
    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(own.json()["info"]["models"], json!(["gpt-4o"]));
    let other = generate(&gw, json!({}));
    let path = format!("/key/info?key={other}");
    assert_eq!(call(&gw, "GET", &path, &key, &json!({})).status, 403);
    gw.assert_healthy();
}

#[test]
fn blocked_deleted_and_expired_keys_are_refused() {
    let gw = Gateway::start(&config(""));
    let key = generate(&gw, json!({}));
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);

    let v = admin(&gw, "POST", "/key/block", json!({"key": key}));
    assert_eq!(v["blocked"], true);
    let err = assert_litellm_error(&chat(&gw, &key, "gpt-4o"), 401);
    assert_eq!(
        err["message"],
        "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin."
    );
    admin(&gw, "POST", "/key/unblock", json!({"key": key}));
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);
    let bad = call(&gw, "POST", "/key/block", MASTER, &json!({"key": "x y"}));
    assert_eq!(bad.status, 400);

    let v = admin(&gw, "POST", "/key/delete", json!({"keys": [key]}));
    assert_eq!(v["deleted_keys"], json!([key]));
    let err = assert_litellm_error(&chat(&gw, &key, "gpt-4o"), 401);
    assert_eq!(err["type"], "token_not_found_in_db");
    let again = call(&gw, "POST", "/key/delete", MASTER, &json!({"keys": [key]}));
    assert_eq!(again.status, 404, "{}", again.text());

    let short = generate(&gw, json!({"duration": "1s"}));
    assert_eq!(chat(&gw, &short, "gpt-4o").status, 200);
    std::thread::sleep(Duration::from_millis(1200));
    let err = assert_litellm_error(&chat(&gw, &short, "gpt-4o"), 401);
    assert_eq!(err["type"], "expired_key");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("Authentication Error - Expired Key. Key Expiry time "));
}

#[test]
fn budgets_of_keys_teams_and_users() {
    let gw = Gateway::start(&config(""));
    // Each mock answer costs gpt-4o's price for 10 + 20 tokens: more than this budget.
    let key = generate(&gw, json!({"max_budget": 0.0000001, "key_alias": "tiny"}));
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);
    let err = assert_litellm_error(&chat(&gw, &key, "gpt-4o"), 422);
    assert_eq!(err["type"], "budget_exceeded");
    assert_eq!(err["param"], Value::Null);
    let m = err["message"].as_str().unwrap();
    assert!(
        m.starts_with("Budget has been exceeded! Key=tiny (sk-...")
            && m.ends_with("Max budget: 1e-07"),
        "{m}"
    );
    // Raising the budget lets it through again.
    admin(
        &gw,
        "POST",
        "/key/update",
        json!({"key": key, "max_budget": 10.0}),
    );
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);

    admin(
        &gw,
        "POST",
        "/team/new",
        json!({"team_id": "t1", "max_budget": 0.0000001}),
    );
    let tkey = generate(&gw, json!({"team_id": "t1"}));
    assert_eq!(chat(&gw, &tkey, "gpt-4o").status, 200);
    let err = assert_litellm_error(&chat(&gw, &tkey, "gpt-4o"), 422);
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("Budget has been exceeded! Team=t1 Current cost: "));
    admin(
        &gw,
        "POST",
        "/team/update",
        json!({"team_id": "t1", "blocked": true}),
    );
    let err = assert_litellm_error(&chat(&gw, &tkey, "gpt-4o"), 401);
    assert_eq!(
        err["message"],
        "Authentication Error, Team=t1 is blocked. Update via `/team/unblock` if you're an admin."
    );

    let v = admin(
        &gw,
        "POST",
        "/user/new",
        json!({"user_id": "u1", "max_budget": 0.0000001}),
    );
    let ukey = v["key"].as_str().unwrap().to_owned();
    assert_eq!(v["user_id"], "u1");
    assert_eq!(chat(&gw, &ukey, "gpt-4o").status, 200);
    let err = assert_litellm_error(&chat(&gw, &ukey, "gpt-4o"), 422);
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("ExceededBudget: User=u1 over budget. Spend="));
}

#[test]
fn spend_rows_are_written_and_read_back() {
    let gw = Gateway::start(&config(""));
    let key = generate(&gw, json!({"user_id": "u7", "team_id": "t7"}));
    let hash = corelane_store::keys::hash(&key);
    let r = chat(&gw, &key, "gpt-4o");
    assert_eq!(r.status, 200);
    let cost: f64 = r
        .header("x-litellm-response-cost")
        .and_then(|c| c.parse().ok())
        .expect("cost header");
    assert!(cost > 0.0);
    let r = chat(&gw, MASTER, "other");
    assert_eq!(r.status, 200);

    let mut rows = Value::Null;
    assert!(until(Duration::from_secs(5), || {
        rows = admin(&gw, "GET", "/spend/logs", json!({}));
        rows.as_array().is_some_and(|a| a.len() == 2)
    }));
    let path = format!("/spend/logs?api_key={key}");
    let mine = admin(&gw, "GET", &path, json!({}));
    let row = &mine[0];
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(row["api_key"], hash);
    assert_eq!(row["call_type"], "acompletion");
    assert_eq!(row["model_group"], "gpt-4o");
    assert_eq!(row["model"], "gpt-4o");
    assert_eq!(row["user"], "u7");
    assert_eq!(row["team_id"], "t7");
    assert_eq!(row["status"], "success");
    assert_eq!(row["prompt_tokens"], 10);
    assert_eq!(row["completion_tokens"], 20);
    assert_eq!(row["total_tokens"], 30);
    assert!(
        (row["spend"].as_f64().unwrap() - cost).abs() < 1e-12,
        "{row}"
    );
    assert_eq!(row["request_id"], row["litellm_call_id"]);
    assert!(is_uuid(row["request_id"].as_str().unwrap()));
    let master = admin(
        &gw,
        "GET",
        "/spend/logs?api_key=litellm_proxy_master_key",
        json!({}),
    );
    assert_eq!(master[0]["model_group"], "other");
    let by_id = format!(
        "/spend/logs?request_id={}",
        row["request_id"].as_str().unwrap()
    );
    assert_eq!(
        admin(&gw, "GET", &by_id, json!({}))
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The key's spend, as /key/info reads it from the database.
    let info_path = format!("/key/info?key={key}");
    assert!(until(Duration::from_secs(5), || {
        admin(&gw, "GET", &info_path, json!({}))["info"]["spend"]
            .as_f64()
            .is_some_and(|s| (s - cost).abs() < 1e-12)
    }));
    let global = admin(&gw, "GET", "/global/spend", json!({}));
    assert!(global["spend"].as_f64().unwrap() >= cost, "{global}");
}

#[test]
fn keys_and_spend_survive_a_restart_and_are_shared_by_instances() {
    let data = TempDir::new("keys-data");
    let dir = data.0.to_string_lossy().into_owned();
    let args = ["--num_workers", "1", "--data-dir", dir.as_str()];
    let mut gw = Gateway::start_with(&config(""), &args);
    let key = generate(&gw, json!({"key_alias": "lasting"}));
    for _ in 0..3 {
        assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);
    }
    // A second instance on the same store knows the key at once (a lookup on its miss).
    let mut other = Gateway::start_with(&config("  proxy_batch_write_at: 3600\n"), &args);
    assert_eq!(chat(&other, &key, "gpt-4o").status, 200);

    // A graceful stop writes what it holds: the long batch interval never comes.
    for g in [&mut other, &mut gw] {
        g.proc.signal("TERM");
        assert!(g.proc.wait_exit(Duration::from_secs(15)).is_some());
    }
    drop((gw, other));
    let gw = Gateway::start_with(&config("  proxy_batch_write_at: 3600\n"), &args);
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);
    let rows = admin(&gw, "GET", &format!("/spend/logs?api_key={key}"), json!({}));
    assert_eq!(rows.as_array().unwrap().len(), 4, "{rows}");
    let info = admin(&gw, "GET", &format!("/key/info?key={key}"), json!({}));
    assert_eq!(info["info"]["key_alias"], "lasting");
}

#[test]
fn key_list_update_regenerate_and_users_and_teams() {
    let gw = Gateway::start(&config(""));
    let a = generate(&gw, json!({"user_id": "ua"}));
    let b = generate(&gw, json!({"user_id": "ub"}));
    let v = admin(&gw, "GET", "/key/list?user_id=ua", json!({}));
    assert_eq!(v["keys"], json!([corelane_store::keys::hash(&a)]));
    assert_eq!(v["total_count"], 1);
    let v = admin(&gw, "GET", "/key/list?size=1&page=2", json!({}));
    assert_eq!(v["total_count"], 2);
    assert_eq!(v["total_pages"], 2);
    assert_eq!(v["current_page"], 2);
    assert_eq!(v["keys"], json!([corelane_store::keys::hash(&a)]));

    let v = admin(
        &gw,
        "POST",
        "/key/update",
        json!({"key": b, "models": ["other"], "metadata": {"x": 1}}),
    );
    assert_eq!(v["key"], b);
    assert_eq!(v["models"], json!(["other"]));
    assert_eq!(chat(&gw, &b, "gpt-4o").status, 403);
    assert_eq!(chat(&gw, &b, "other").status, 200);

    let v = admin(&gw, "POST", "/key/regenerate", json!({"key": b}));
    let b2 = v["key"].as_str().unwrap().to_owned();
    assert_ne!(b2, b);
    assert_eq!(chat(&gw, &b, "other").status, 401);
    assert_eq!(chat(&gw, &b2, "other").status, 200);
    assert_eq!(chat(&gw, &b2, "gpt-4o").status, 403);

    let v = admin(&gw, "GET", "/user/info?user_id=ua", json!({}));
    assert_eq!(v["user_info"]["user_id"], "ua");
    assert_eq!(v["keys"].as_array().unwrap().len(), 1);
    let v = admin(
        &gw,
        "POST",
        "/user/update",
        json!({"user_id": "ua", "user_alias": "A"}),
    );
    assert_eq!(v["data"]["user_alias"], "A");
    let v = admin(&gw, "GET", "/user/list", json!({}));
    assert_eq!(v["total"], 2);
    admin(&gw, "POST", "/user/delete", json!({"user_ids": ["ua"]}));
    assert_eq!(chat(&gw, &a, "gpt-4o").status, 401);

    let v = admin(
        &gw,
        "POST",
        "/team/new",
        json!({"team_alias": "T", "models": ["gpt-4o"]}),
    );
    let team = v["team_id"].as_str().unwrap().to_owned();
    assert!(is_uuid(&team), "{v}");
    let t = generate(&gw, json!({"team_id": team}));
    let err = assert_litellm_error(&chat(&gw, &t, "other"), 403);
    assert_eq!(err["type"], "team_model_access_denied");
    assert_eq!(chat(&gw, &t, "gpt-4o").status, 200);
    let v = admin(&gw, "GET", &format!("/team/info?team_id={team}"), json!({}));
    assert_eq!(v["team_info"]["team_alias"], "T");
    assert_eq!(v["keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        admin(&gw, "GET", "/team/list", json!({}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let v = admin(&gw, "POST", "/team/delete", json!({"team_ids": [team]}));
    assert_eq!(v["deleted_teams"], json!([team]));
    assert_eq!(chat(&gw, &t, "gpt-4o").status, 401);
    gw.assert_healthy();
}

#[test]
fn management_bodies_that_are_not_json_get_a_clear_error() {
    let gw = Gateway::start(&config(""));
    let auth = format!("Bearer {MASTER}");
    for body in [
        &b"{"[..],
        b"[1]",
        b"\"x\"",
        b"{\"max_budget\": \"lots\"}",
        b"{\"max_budget\": -1}",
    ] {
        let r = gw.request("POST", "/key/generate", &[("Authorization", &auth)], body);
        assert!(matches!(r.status, 400 | 422), "{:?}: {}", body, r.text());
        assert_litellm_error(&r, r.status);
    }
    gw.assert_healthy();
}

#[test]
fn a_keys_rpm_is_enforced_with_litellms_429_and_headers() {
    let gw = Gateway::start(&config(""));
    let key = generate(&gw, json!({"rpm_limit": 3}));
    let hash = corelane_store::keys::hash(&key);
    for left in [2, 1, 0] {
        let r = chat(&gw, &key, "gpt-4o");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("x-ratelimit-api_key-limit-requests"), Some("3"));
        let remaining = left.to_string();
        assert_eq!(
            r.header("x-ratelimit-api_key-remaining-requests"),
            Some(remaining.as_str())
        );
    }
    let r = chat(&gw, &key, "gpt-4o");
    let err = assert_litellm_error(&r, 429);
    assert_eq!(err["type"], "rate_limit_error");
    let want = format!(
        "Rate limit exceeded for api_key: {hash}. Limit type: requests. Current limit: 3, Remaining: 0. Limit resets at: "
    );
    assert!(err["message"].as_str().unwrap().starts_with(&want), "{err}");
    assert_eq!(r.header("retry-after"), Some("60"));
    assert_eq!(r.header("rate_limit_type"), Some("requests"));
    assert!(
        r.header("reset_at")
            .is_some_and(|t| t.len() == 23 && t.ends_with(" UTC")),
        "{:?}",
        r.header("reset_at")
    );
    // The master key and other keys are not counted against it.
    assert_eq!(chat(&gw, MASTER, "gpt-4o").status, 200);
    let other = generate(&gw, json!({}));
    let r = chat(&gw, &other, "gpt-4o");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-ratelimit-api_key-limit-requests"), None);
}

#[test]
fn team_and_user_rpm_and_tpm_and_parallel_limits() {
    let mock = Mock::start();
    let slow = format!(
        "  - model_name: slow\n    litellm_params:\n      model: openai/slow\n      api_base: {}\n      api_key: sk-up\n",
        mock.base("/delay/400/v1")
    );
    let cfg = config("").replace("general_settings:", &format!("{slow}general_settings:"));
    let gw = Gateway::start(&cfg);

    // Two keys of one team share its rpm.
    admin(
        &gw,
        "POST",
        "/team/new",
        json!({"team_id": "t", "rpm_limit": 2}),
    );
    let a = generate(&gw, json!({"team_id": "t"}));
    let b = generate(&gw, json!({"team_id": "t"}));
    assert_eq!(chat(&gw, &a, "gpt-4o").status, 200);
    let r = chat(&gw, &b, "gpt-4o");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-ratelimit-team-remaining-requests"), Some("0"));
    let err = assert_litellm_error(&chat(&gw, &a, "gpt-4o"), 429);
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("Rate limit exceeded for team: t. Limit type: requests."));

    // A user's tpm: the first answer's 30 tokens use it up.
    let v = admin(
        &gw,
        "POST",
        "/user/new",
        json!({"user_id": "u", "tpm_limit": 30}),
    );
    let u = v["key"].as_str().unwrap().to_owned();
    assert_eq!(chat(&gw, &u, "gpt-4o").status, 200);
    let err = assert_litellm_error(&chat(&gw, &u, "gpt-4o"), 429);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("Rate limit exceeded for user: u. Limit type: tokens."),
        "{err}"
    );

    // One request at a time: a second one while the first waits on the slow upstream is
    // refused; after it, the slot is free again.
    let p = generate(&gw, json!({"max_parallel_requests": 1}));
    let addr = gw.addr;
    let p2 = p.clone();
    let first = std::thread::spawn(move || {
        let mut c = Client::connect(addr);
        let auth = format!("Bearer {p2}");
        c.request(
            "POST",
            "/chat/completions",
            &[("Authorization", &auth)],
            chat_body("slow").to_string().as_bytes(),
        )
        .status
    });
    std::thread::sleep(Duration::from_millis(150));
    let err = assert_litellm_error(&chat(&gw, &p, "gpt-4o"), 429);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Limit type: max_parallel_requests. Current limit: 1"),
        "{err}"
    );
    assert_eq!(first.join().unwrap(), 200);
    assert_eq!(chat(&gw, &p, "gpt-4o").status, 200);
}

#[test]
fn keys_budgets_and_rate_limits_are_in_the_metrics() {
    let gw = Gateway::start_with(&config(""), &["--num_workers", "1", "--metrics"]);
    let key = generate(
        &gw,
        json!({"key_alias": "m", "max_budget": 1.0, "rpm_limit": 5, "tpm_limit": 1000}),
    );
    let hash = corelane_store::keys::hash(&key);
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);
    let r = call(&gw, "GET", "/metrics", MASTER, &json!({}));
    assert_eq!(r.status, 200);
    let text = r.text();
    let find = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let labels = format!("api_key_alias=\"m\",hashed_api_key=\"{hash}\"");
    let left = find(&format!(
        "litellm_remaining_api_key_budget_metric{{{labels}}}"
    ));
    assert!((left - (1.0 - 2.0 * 0.000225)).abs() < 1e-9, "{left}");
    assert_eq!(
        find(&format!("litellm_api_key_max_budget_metric{{{labels}}}")),
        1.0
    );
    let rl =
        |name: &str, kind: &str| find(&format!("{name}{{{labels},rate_limit_type=\"{kind}\"}}"));
    assert_eq!(
        rl("litellm_api_key_rate_limit_allowed_metric", "requests"),
        5.0
    );
    assert_eq!(
        rl("litellm_api_key_rate_limit_used_metric", "requests"),
        2.0
    );
    assert_eq!(
        rl("litellm_api_key_rate_limit_allowed_metric", "tokens"),
        1000.0
    );
    assert_eq!(rl("litellm_api_key_rate_limit_used_metric", "tokens"), 60.0);
    // The request metrics name the key too.
    let spend = find("litellm_spend_metric_total{api_key_alias=\"m\"");
    assert!((spend - 2.0 * 0.000225).abs() < 1e-9, "{spend}");
    assert!(text.contains(&format!("hashed_api_key=\"{hash}\"")));
    // What the store wrote is counted.
    assert!(until(Duration::from_secs(5), || {
        let t = call(&gw, "GET", "/metrics", MASTER, &json!({})).text();
        t.contains("\ncorelane_spend_rows_written_total 2.0\n")
    }));
    assert!(
        text.contains("\ncorelane_spend_rows_dropped_total 0.0\n"),
        "{text}"
    );
}

#[test]
fn fallbacks_and_model_lists_answer_to_the_keys_models_and_limits() {
    let gw = Gateway::start(&config(""));
    let key = generate(&gw, json!({"models": ["gpt-4o"]}));
    let mut body = chat_body("gpt-4o");
    body["fallbacks"] = json!(["other"]);
    let err = assert_litellm_error(&call(&gw, "POST", "/chat/completions", &key, &body), 403);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("The requested model 'other'"),
        "{err}"
    );
    body["fallbacks"] = json!([{"gpt-4o": ["other"]}]);
    assert_eq!(
        call(&gw, "POST", "/chat/completions", &key, &body).status,
        403
    );
    body["fallbacks"] = json!(["gpt-4o"]);
    assert_eq!(
        call(&gw, "POST", "/chat/completions", &key, &body).status,
        200
    );

    // A comma-separated list is one request against the key's limits, and each of its
    // models must be allowed.
    let one = generate(&gw, json!({"rpm_limit": 1, "models": ["gpt-4o", "other"]}));
    assert_eq!(chat(&gw, &one, "gpt-4o,other").status, 200);
    assert_litellm_error(&chat(&gw, &one, "gpt-4o,other"), 429);
    assert_eq!(chat(&gw, &key, "gpt-4o,other").status, 403);
}

#[test]
fn a_budget_resets_by_its_budget_duration() {
    let gw = Gateway::start(&config("  user_api_key_cache_ttl: 0.5\n"));
    let key = generate(
        &gw,
        json!({"max_budget": 0.0000001, "budget_duration": "2s"}),
    );
    let info = admin(&gw, "GET", &format!("/key/info?key={key}"), json!({}));
    assert!(info["info"]["budget_reset_at"].is_string(), "{info}");
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);
    assert_eq!(chat(&gw, &key, "gpt-4o").status, 422);
    // Within the next 2 s boundary and a cache read, the spend is back to 0.
    assert!(until(Duration::from_secs(8), || chat(&gw, &key, "gpt-4o")
        .status
        == 200));
    let info = admin(&gw, "GET", &format!("/key/info?key={key}"), json!({}));
    assert!(info["info"]["spend"].as_f64().unwrap() < 0.001, "{info}");
}

#[test]
fn a_stream_s_spend_row_has_its_cost() {
    let mock = Mock::start();
    let up = format!(
        "  - model_name: real\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {}\n      api_key: sk-up\n",
        mock.base("/v1")
    );
    let cfg = config("").replace("general_settings:", &format!("{up}general_settings:"));
    let gw = Gateway::start(&cfg);
    let key = generate(&gw, json!({}));
    let mut body = chat_body("real");
    body["stream"] = json!(true);
    let r = call(&gw, "POST", "/chat/completions", &key, &body);
    assert_eq!(r.status, 200);
    assert!(r.text().contains("[DONE]"));
    let path = format!("/spend/logs?api_key={key}");
    let mut rows = Value::Null;
    assert!(until(Duration::from_secs(5), || {
        rows = admin(&gw, "GET", &path, json!({}));
        rows.as_array().is_some_and(|a| a.len() == 1)
    }));
    let row = &rows[0];
    assert!(row["spend"].as_f64().unwrap() > 0.0, "{row}");
    assert!(row["completion_tokens"].as_i64().unwrap() > 0, "{row}");
    assert_eq!(row["custom_llm_provider"], "openai");
    assert!(
        row["api_base"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "{row}"
    );
    assert!(row["completionStartTime"].is_string(), "{row}");
}

#[test]
fn a_flood_of_unknown_keys_is_refused_and_known_keys_keep_working() {
    let gw = Gateway::start(&config(""));
    let good = generate(&gw, json!({}));
    let addr = gw.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooders: Vec<_> = (0..32)
        .map(|t| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let auth = format!("Bearer sk-bogus-{t}-{n}-0000000000");
                    let r = c.request(
                        "POST",
                        "/chat/completions",
                        &[("Authorization", &auth)],
                        chat_body("gpt-4o").to_string().as_bytes(),
                    );
                    // Unknown (looked up), or asked to retry once this core has 16 lookups
                    // in flight.
                    assert!(matches!(r.status, 401 | 503), "{}", r.text());
                    n += 1;
                }
                n
            })
        })
        .collect();
    let t0 = Instant::now();
    let mut good_ok = 0;
    while t0.elapsed() < Duration::from_secs(2) {
        assert_eq!(chat(&gw, &good, "gpt-4o").status, 200);
        good_ok += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let refused: u64 = flooders.into_iter().map(|f| f.join().unwrap()).sum();
    eprintln!("{refused} unknown keys refused in 2 s while a known key made {good_ok} requests");
    assert!(refused > 100 && good_ok > 10);
    gw.assert_healthy();
}

#[test]
fn disable_spend_logs_keeps_totals_without_rows() {
    let gw = Gateway::start(&config("  disable_spend_logs: true\n"));
    let key = generate(&gw, json!({"user_id": "u"}));
    for _ in 0..3 {
        assert_eq!(chat(&gw, &key, "gpt-4o").status, 200);
    }
    let info = format!("/key/info?key={key}");
    assert!(until(Duration::from_secs(5), || {
        let spend = admin(&gw, "GET", &info, json!({}))["info"]["spend"].as_f64();
        spend.is_some_and(|s| (s - 3.0 * 0.000225).abs() < 1e-12)
    }));
    assert_eq!(admin(&gw, "GET", "/spend/logs", json!({})), json!([]));
}

#[test]
fn extreme_dates_and_durations_are_refused_not_fatal() {
    let gw = Gateway::start(&config(""));
    for path in [
        "/spend/logs?start_date=%2B262142-12-31&end_date=%2B262142-12-31",
        "/spend/logs?start_date=0000-01-01&end_date=2026-01-01",
    ] {
        let r = call(&gw, "GET", path, MASTER, &json!({}));
        assert_litellm_error(&r, 400);
    }
    for d in ["0d", "0s", "99999999999999d"] {
        let r = call(
            &gw,
            "POST",
            "/key/generate",
            MASTER,
            &json!({"budget_duration": d}),
        );
        assert_litellm_error(&r, 400);
    }
    gw.assert_healthy();
}

#[test]
fn a_model_list_charges_each_model_s_cost_to_the_key() {
    let gw = Gateway::start(&config(""));
    let key = generate(&gw, json!({"max_budget": 0.0000001}));
    let r = chat(&gw, &key, "gpt-4o,other");
    assert_eq!(r.status, 200, "{}", r.text());
    // Both answers were charged: the budget is spent, and there is one row per model.
    assert_litellm_error(&chat(&gw, &key, "gpt-4o"), 422);
    let path = format!("/spend/logs?api_key={key}");
    let mut rows = Value::Null;
    assert!(
        until(Duration::from_secs(5), || {
            rows = admin(&gw, "GET", &path, json!({}));
            rows.as_array().is_some_and(|a| a.len() == 2)
        }),
        "{rows}"
    );
    let groups: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model_group"].as_str().unwrap())
        .collect();
    assert!(
        groups.contains(&"gpt-4o") && groups.contains(&"other"),
        "{groups:?}"
    );
}

#[test]
fn a_key_lists_the_models_it_may_call() {
    let gw = Gateway::start(&config(""));
    let names = |key: &str| -> Vec<String> {
        let v = call(&gw, "GET", "/v1/models", key, &json!({})).json();
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let narrow = generate(&gw, json!({"models": ["other"]}));
    assert_eq!(names(&narrow), ["other"]);
    let all = generate(&gw, json!({}));
    assert_eq!(names(&all).len(), 2);
    assert_eq!(names(MASTER).len(), 2);
    assert_eq!(
        call(&gw, "GET", "/v1/models/other", &narrow, &json!({})).status,
        200
    );
    assert_eq!(
        call(&gw, "GET", "/v1/models/gpt-4o", &narrow, &json!({})).status,
        404
    );
}
