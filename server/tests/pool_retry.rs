//! The one transparent retry: a pooled upstream connection that the provider closed while it
//! sat idle is detected before any response byte, and the request goes out once more on a
//! fresh connection, with the client none the wiser.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{chat_body, Gateway, Mock};

/// Listening TCP sockets on `port` (from /proc/net/tcp, state 0A).
fn listeners_on(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let local = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[1].ends_with(&local) && f[3] == "0A"
        })
        .count()
}

#[test]
fn dead_pooled_connection_is_retried_once_on_a_fresh_one() {
    let first = Mock::start();
    let port = first.addr.port();
    let config = format!(
        "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/m\n      api_base: http://127.0.0.1:{port}/v1\n"
    );
    let gw = Gateway::start(&config);
    let resp = gw.post("/v1/chat/completions", &chat_body("g"));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(first.stats().0, 1);

    // The provider goes away and comes back on the same port: the pooled connection is dead.
    drop(first);
    // An exited io_uring process's sockets are torn down asynchronously; a lingering listener
    // on the port would take (and reset) connections meant for the new one.
    assert!(
        common::eventually(Duration::from_secs(5), || listeners_on(port) == 0),
        "the old mock's listener lingers"
    );
    let second = Mock::start_on(port);
    second.reset(); // count only the gateway's connections, not the test's own
    for _ in 0..3 {
        let resp = gw.post("/v1/chat/completions", &chat_body("g"));
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(resp.header("x-litellm-attempted-retries"), Some("0"));
    }
    // Every request reached the new provider exactly once, over one fresh connection.
    assert_eq!(second.stats(), (3, 1));
}
