//! The load generator against the real mock: counts must match what the mock saw.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Mock;
use corelane_harness::load::{self, LoadSpec, Target};
use serde_json::json;
use std::time::Duration;

fn spec(mock: &Mock, path: &str, body: serde_json::Value, concurrency: usize) -> LoadSpec {
    let url = format!("http://127.0.0.1:{}{path}", mock.port);
    let target = Target::new(
        "POST",
        &url,
        &["Authorization: Bearer sk-test".to_owned()],
        body.to_string().as_bytes(),
    )
    .unwrap();
    LoadSpec::closed(
        target,
        concurrency,
        Duration::from_millis(200),
        Duration::from_secs(1),
    )
}

fn mock_requests(mock: &Mock) -> u64 {
    let stats = mock.call("GET", "/__mock/stats", "").json();
    stats["requests"].as_u64().unwrap()
}

fn chat() -> serde_json::Value {
    json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
}

#[test]
fn closed_loop_counts_match_the_mock() {
    let mock = Mock::start(&["--threads", "1"]);
    let (report, ()) = load::run(spec(&mock, "/v1/chat/completions", chat(), 8), ()).unwrap();
    assert!(report.clean(), "{report:?}");
    assert!(report.ok > 100, "{report:?}");
    assert_eq!(report.responses, report.ok);
    assert_eq!(report.statuses[&200], report.ok);
    assert_eq!(report.connections, 8, "keep-alive: one connection per slot");
    assert!((report.window_s - 1.0).abs() < 0.1, "{}", report.window_s);
    assert!((report.throughput - report.ok as f64 / report.window_s).abs() < 1e-6);
    assert!(report.latency_us.p50 > 0 && report.latency_us.p50 <= report.latency_us.p99);
    assert!(
        report.latency_us.p99 <= report.latency_us.p999
            && report.latency_us.p999 <= report.latency_us.max
    );
    assert_eq!(report.latency_us.count, report.ok);
    assert!(report.completed_total >= report.ok);
    // Every response read was served by the mock; every request the mock served was sent.
    let served = mock_requests(&mock);
    assert!(
        report.completed_total <= served && served <= report.sent_total,
        "{report:?} served {served}"
    );
    assert!(report.sent_total - report.completed_total <= 8);
}

#[test]
fn streams_count_first_byte_and_events() {
    let mock = Mock::start(&["--stream-chunks", "5"]);
    let body =
        json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let (report, ()) = load::run(spec(&mock, "/v1/chat/completions", body, 4), ()).unwrap();
    assert!(report.clean(), "{report:?}");
    // Five content chunks, the finish chunk and [DONE].
    assert_eq!(report.events, report.ok * 7, "{report:?}");
    assert!(report.first_byte_us.p50 <= report.latency_us.p50);
    assert!(report.events_per_s > 0.0);
}

#[test]
fn open_loop_keeps_its_rate() {
    let mock = Mock::start(&[]);
    let mut spec = spec(&mock, "/v1/chat/completions", chat(), 4);
    spec.rate = Some(200.0);
    let (report, ()) = load::run(spec, ()).unwrap();
    assert!(report.clean(), "{report:?}");
    assert!(
        (170..=230).contains(&report.ok),
        "{} requests at 200/s for 1 s",
        report.ok
    );
    assert_eq!(report.rate, Some(200.0));
}

#[test]
fn large_embedding_bodies_stream_through() {
    let mock = Mock::start(&[]);
    let inputs: Vec<String> = (0..64).map(|i| format!("text {i}")).collect();
    let body = json!({"model": "text-embedding-3-small", "input": inputs, "dimensions": 1536});
    let (report, ()) = load::run(spec(&mock, "/v1/embeddings", body, 2), ()).unwrap();
    assert!(report.clean(), "{report:?}");
    let per_response = report.body_bytes / report.ok;
    assert!(
        per_response > 64 * 1536 * 8,
        "{per_response} bytes per response"
    );
}

#[test]
fn non_2xx_and_errors_are_counted_not_hidden() {
    let mock = Mock::start(&[]);
    let (report, ()) = load::run(
        spec(&mock, "/status/503/v1/chat/completions", chat(), 2),
        (),
    )
    .unwrap();
    assert_eq!(report.ok, 0);
    assert!(
        report.non_2xx > 0 && report.statuses[&503] == report.non_2xx,
        "{report:?}"
    );
    assert!(!report.clean());

    let (report, ()) = load::run(spec(&mock, "/reset/v1/chat/completions", chat(), 2), ()).unwrap();
    assert_eq!(report.ok, 0);
    assert!(report.errors.closed + report.errors.read > 0, "{report:?}");

    let mut refused = spec(&mock, "/v1/chat/completions", chat(), 1);
    refused.target.address = "127.0.0.1:1".parse().unwrap();
    let (report, ()) = load::run(refused, ()).unwrap();
    assert!(report.errors.connect > 0, "{report:?}");
}

#[test]
fn timeouts_are_counted() {
    let mock = Mock::start(&[]);
    let mut spec = spec(&mock, "/delay/3000/v1/chat/completions", chat(), 2);
    spec.timeout = Duration::from_millis(100);
    let (report, ()) = load::run(spec, ()).unwrap();
    assert_eq!(report.ok, 0);
    assert!(report.errors.timeout >= 10, "{report:?}");
}
