//! Virtual keys on real servers: two instances on one Postgres (LiteLLM's schema) and one
//! Redis enforce one rpm limit together; the database killed during traffic loses no request
//! and, once it is back, no spend row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use corelane_testkit::postgres::PgServer;
use corelane_testkit::redis::RedisServer;
use serde_json::{json, Value};

const MASTER: &str = "sk-master-0123456789abcdef";

fn config(database_url: &str, redis_port: Option<u16>) -> String {
    let redis = redis_port.map_or(String::new(), |p| {
        format!("router_settings:\n  redis_host: 127.0.0.1\n  redis_port: {p}\n")
    });
    format!(
        "model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      mock_response: \"Hello\"
{redis}general_settings:
  master_key: {MASTER}
  database_url: {database_url}
  proxy_batch_write_at: 0.2
  user_api_key_cache_ttl: 1
"
    )
}

fn call(gw: &Gateway, path: &str, key: &str, body: &Value) -> Response {
    let auth = format!("Bearer {key}");
    gw.request(
        "POST",
        path,
        &[("Authorization", &auth)],
        body.to_string().as_bytes(),
    )
}

fn spend_rows(pg: &PgServer, db: &str, hash: &str) -> u64 {
    let sql = format!("SELECT count(*) FROM \"LiteLLM_SpendLogs\" WHERE api_key = '{hash}'");
    pg.psql(db, &sql).trim().parse().unwrap_or(0)
}

#[test]
fn two_instances_on_postgres_and_redis_enforce_one_rpm_limit() {
    let pg = PgServer::start();
    let url = pg.create_database("shared");
    let redis = RedisServer::start();
    let cfg = config(&url, Some(redis.port()));
    let a = Gateway::start(&cfg);
    let b = Gateway::start(&cfg);
    let v = call(&a, "/key/generate", MASTER, &json!({"rpm_limit": 10})).json();
    let key = v["key"].as_str().unwrap().to_owned();
    let hash = corelane_store::keys::hash(&key);
    let (mut passed, mut limited) = (0, 0);
    for i in 0..16 {
        let gw = if i % 2 == 0 { &a } else { &b };
        match call(gw, "/chat/completions", &key, &chat_body("gpt-4o")).status {
            200 => passed += 1,
            429 => limited += 1,
            s => panic!("status {s}"),
        }
    }
    eprintln!("one rpm limit of 10 on two instances: {passed} passed, {limited} limited");
    assert_eq!((passed, limited), (10, 6));
    // The window is LiteLLM's, in its keys: every admission counted.
    assert_eq!(
        redis.cli(&["GET", &format!("{{api_key:{hash}}}:requests")]),
        "16"
    );
    // Both instances' rows reach the shared database.
    assert!(eventually(Duration::from_secs(10), || spend_rows(
        &pg, "shared", &hash
    ) == 10));
}

#[test]
fn the_database_killed_during_traffic_loses_no_request_and_no_spend_row() {
    let mut pg = PgServer::start();
    let url = pg.create_database("faults");
    let gw = Gateway::start(&config(&url, None));
    let v = call(
        &gw,
        "/key/generate",
        MASTER,
        &json!({"key_alias": "steady"}),
    )
    .json();
    let key = v["key"].as_str().unwrap().to_owned();
    let hash = corelane_store::keys::hash(&key);
    let mut client = gw.client();
    let auth = format!("Bearer {key}");
    let body = chat_body("gpt-4o").to_string();
    let mut sent = 0u64;
    let mut send = |n: u64| {
        for _ in 0..n {
            let r = client.request(
                "POST",
                "/chat/completions",
                &[("Authorization", &auth)],
                body.as_bytes(),
            );
            assert_eq!(r.status, 200, "{}", r.text());
            sent += 1;
        }
    };
    send(50);
    pg.stop();
    let down = Instant::now();
    send(200);
    std::thread::sleep(Duration::from_millis(600));
    send(50);
    let outage = down.elapsed();
    pg.start_again();
    send(50);
    assert!(
        eventually(Duration::from_secs(20), || spend_rows(&pg, "faults", &hash)
            == sent),
        "{} of {sent} rows",
        spend_rows(&pg, "faults", &hash)
    );
    let spend: f64 = pg
        .psql(
            "faults",
            &format!("SELECT spend FROM \"LiteLLM_VerificationToken\" WHERE token = '{hash}'"),
        )
        .trim()
        .parse()
        .unwrap();
    eprintln!(
        "database down {:.1} s during traffic: {sent} requests, all answered 200; {sent} spend rows written after it came back; key spend {spend}",
        outage.as_secs_f64()
    );
    assert!((spend - sent as f64 * 0.000225).abs() < 1e-9, "{spend}");
    gw.assert_healthy();
}

#[test]
fn a_key_blocked_or_deleted_on_one_instance_is_refused_by_the_other_within_the_ttl() {
    let pg = PgServer::start();
    let url = pg.create_database("ttl");
    let cfg = config(&url, None);
    let a = Gateway::start(&cfg);
    let b = Gateway::start(&cfg);
    let v = call(&a, "/key/generate", MASTER, &json!({})).json();
    let key = v["key"].as_str().unwrap().to_owned();
    let chat = |gw: &Gateway| call(gw, "/chat/completions", &key, &chat_body("gpt-4o")).status;
    assert_eq!(chat(&b), 200);
    assert_eq!(
        call(&a, "/key/block", MASTER, &json!({"key": key})).status,
        200
    );
    // At once on the instance that blocked it; on the other within its cache TTL (1 s).
    assert_eq!(chat(&a), 401);
    let t0 = Instant::now();
    assert!(eventually(Duration::from_secs(5), || chat(&b) == 401));
    eprintln!(
        "blocked on one instance: refused by the other after {:?}",
        t0.elapsed()
    );
    assert_eq!(
        call(&a, "/key/unblock", MASTER, &json!({"key": key})).status,
        200
    );
    assert!(eventually(Duration::from_secs(5), || chat(&b) == 200));
    assert_eq!(
        call(&a, "/key/delete", MASTER, &json!({"keys": [key]})).status,
        200
    );
    assert!(eventually(Duration::from_secs(5), || chat(&b) == 401));
}

fn pg_number(pg: &PgServer, db: &str, sql: &str) -> f64 {
    pg.psql(db, sql).trim().parse().unwrap_or(f64::NAN)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// `use_redis_transaction_buffer`: each instance writes its own spend rows but sends what
/// they add to keys, users and daily rows through LiteLLM's Redis lists; whoever holds
/// LiteLLM's lock (a LiteLLM pod here, then one of the instances) writes everyone's.
#[test]
fn the_redis_transaction_buffer_writes_every_instances_spend_once_through_the_lock_holder() {
    const LIST: &str = "litellm_spend_update_buffer";
    const LOCK: &str = "cronjob_lock:db_spend_update_job";
    let pg = PgServer::start();
    let url = pg.create_database("buffered");
    let redis = RedisServer::start();
    let cfg = config(&url, Some(redis.port())).replace(
        "general_settings:\n",
        "general_settings:\n  use_redis_transaction_buffer: true\n",
    );
    // A LiteLLM pod holds the lock (its id JSON-quoted, as LiteLLM stores it).
    assert_eq!(
        redis.cli(&["SET", LOCK, "\"litellm-pod\"", "EX", "60"]),
        "OK"
    );
    let a = Gateway::start(&cfg);
    let b = Gateway::start(&cfg);
    assert_eq!(
        call(&a, "/user/new", MASTER, &json!({"user_id": "u1"})).status,
        200
    );
    let v = call(&a, "/key/generate", MASTER, &json!({"user_id": "u1"})).json();
    let key = v["key"].as_str().unwrap().to_owned();
    let hash = corelane_store::keys::hash(&key);
    for i in 0..20 {
        let gw = if i % 2 == 0 { &a } else { &b };
        let r = call(gw, "/chat/completions", &key, &chat_body("gpt-4o"));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // Each instance writes its rows itself...
    assert!(eventually(Duration::from_secs(10), || spend_rows(
        &pg, "buffered", &hash
    ) == 20));
    let rows_spend = pg_number(
        &pg,
        "buffered",
        &format!("SELECT sum(spend) FROM \"LiteLLM_SpendLogs\" WHERE api_key = '{hash}'"),
    );
    assert!(rows_spend > 0.0, "{rows_spend}");
    // ...and sends what they add to Redis, in LiteLLM's shape, one element per instance
    // and turn; nobody writes it while the LiteLLM pod holds the lock.
    let key_spend = |pg: &PgServer| {
        pg_number(
            pg,
            "buffered",
            &format!("SELECT spend FROM \"LiteLLM_VerificationToken\" WHERE token = '{hash}'"),
        )
    };
    let pushed = || -> f64 {
        let n: usize = redis.cli(&["LLEN", LIST]).parse().unwrap_or(0);
        (0..n)
            .map(|i| {
                let e: Value =
                    serde_json::from_str(&redis.cli(&["LINDEX", LIST, &i.to_string()])).unwrap();
                assert_eq!(e.as_object().unwrap().len(), 11, "{e}");
                e["key_list_transactions"][&hash].as_f64().unwrap_or(0.0)
            })
            .sum()
    };
    assert!(
        eventually(Duration::from_secs(10), || close(pushed(), rows_spend)),
        "pushed {} of {rows_spend}",
        pushed()
    );
    assert!(
        redis.cli(&["LLEN", "litellm_daily_spend_update_buffer"]) != "0",
        "the daily rows go through Redis too"
    );
    assert_eq!(key_spend(&pg), 0.0);
    // The LiteLLM pod adds its own spend, and a team member's (no table corelane writes).
    let theirs = json!({
        "key_list_transactions": {&hash: 1.0},
        "team_member_list_transactions": {"team_id::t1::user_id::u1": 0.5},
        "org_list_transactions": null,
    });
    redis.cli(&["RPUSH", LIST, &theirs.to_string()]);
    // The pod lets the lock go: an instance takes it and writes everyone's spend, once.
    redis.cli(&["DEL", LOCK]);
    assert!(
        eventually(Duration::from_secs(10), || close(
            key_spend(&pg),
            rows_spend + 1.0
        )),
        "key spend {} != {rows_spend} + 1",
        key_spend(&pg)
    );
    let user_spend = pg_number(
        &pg,
        "buffered",
        "SELECT spend FROM \"LiteLLM_UserTable\" WHERE user_id = 'u1'",
    );
    assert!(close(user_spend, rows_spend), "{user_spend}");
    let daily = |column: &str| {
        pg_number(
            &pg,
            "buffered",
            &format!("SELECT sum({column}) FROM \"LiteLLM_DailyUserSpend\" WHERE user_id = 'u1'"),
        )
    };
    assert!(eventually(Duration::from_secs(5), || daily("api_requests") == 20.0));
    assert!(close(daily("spend"), rows_spend));
    // Nothing is written twice over the next turns.
    std::thread::sleep(Duration::from_millis(1000));
    assert!(close(key_spend(&pg), rows_spend + 1.0));
    // The team member's spend is left for a LiteLLM pod, in the list (between turns).
    let left = || {
        let all = redis.cli(&["LRANGE", LIST, "0", "-1"]);
        all.contains("team_id::t1::user_id::u1") && !all.contains(&hash)
    };
    assert!(
        eventually(Duration::from_secs(5), left),
        "{}",
        redis.cli(&["LRANGE", LIST, "0", "-1"])
    );
}

#[test]
fn the_redis_transaction_buffer_without_a_redis_refuses_to_start() {
    let pg = PgServer::start();
    let url = pg.create_database("nobuffer");
    let cfg = config(&url, None).replace(
        "general_settings:\n",
        "general_settings:\n  use_redis_transaction_buffer: true\n",
    );
    let dir = TempDir::new("nobuffer");
    let path = dir.write("config.yaml", &cfg);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_corelane"));
    cmd.arg("--config")
        .arg(&path)
        .args(["--port", "0", "--host", "127.0.0.1", "--num_workers", "1"])
        .env_remove("REDIS_HOST")
        .env_remove("REDIS_PORT")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut proc = Proc::from_child(cmd.spawn().unwrap());
    let exit = proc.wait_exit(Duration::from_secs(10));
    let stderr = proc.stderr.text();
    assert!(exit.is_some_and(|e| !e.success()), "{stderr}");
    assert!(
        stderr.contains("use_redis_transaction_buffer needs a Redis"),
        "{stderr}"
    );
}
