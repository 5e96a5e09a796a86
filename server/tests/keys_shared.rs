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
