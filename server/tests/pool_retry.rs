//! The one transparent retry: a pooled upstream connection that the provider closed while it
//! sat idle is detected before any response byte, and the request goes out once more on a
//! fresh connection, with the client none the wiser.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{chat_body, Gateway, Mock};

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
