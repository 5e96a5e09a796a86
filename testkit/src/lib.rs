//! Test support shared by the integration suites of `server` and `harness`: speak raw
//! HTTP/1.1 to a real process, read its event streams, start and stop it. It depends on no
//! corelane crate (a test peer must not share the code under test); the suites pass in the
//! binaries they test by path.
//!
//! # Layout
//! - `client`: [`Client`], [`Head`], [`Response`], [`request_bytes`]: a blocking HTTP/1.1
//!   client over one `TcpStream` (keep-alive, pipelining) reading Content-Length, chunked
//!   and close-delimited bodies, whole or chunk by chunk.
//! - `sse`: [`SseEvents`], [`event_json`], [`parse_events`]: server-sent events split as
//!   they arrive or from a whole body.
//! - `process`: [`Proc`], [`Output`]: a child process whose output reader threads drain,
//!   started once it prints its listening line, killed on drop.
//! - `mock`: [`start_mock`], the `corelane-mock` command line and listening line.
//! - `temp_dir`: [`TempDir`], a directory of one test's own, removed on drop.
//! - `sockets`: [`established_to`], open TCP connections to a port, from the kernel's table.
//! - `postgres`: [`postgres::PgServer`], a throwaway Postgres server (initdb, free port, trust).
//! - `redis`: [`redis::RedisServer`], a real redis-server on a free port, stopped and started again.
//! - [`eventually`]: polling for a condition another process makes true.
// Test support reports a failure by panicking, so unwrap and expect are its way of
// asserting; its locks guard process output, far from any hot path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_types,
    clippy::disallowed_methods
)]

mod client;
mod mock;
pub mod postgres;
mod process;
pub mod redis;
mod sockets;
mod sse;
mod temp_dir;

use std::time::{Duration, Instant};

pub use client::{request_bytes, Client, Head, Response, IO_TIMEOUT};
pub use mock::start_mock;
pub use process::{Output, Proc, START_TIMEOUT};
pub use sockets::established_to;
pub use sse::{event_json, parse_events, SseEvents};
pub use temp_dir::TempDir;

/// How often [`eventually`] looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Polls `cond` every 20 ms until it holds or `limit` passes; returns whether it held.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eventually_reports_whether_the_condition_held() {
        let mut calls = 0;
        assert!(eventually(Duration::from_secs(1), || {
            calls += 1;
            calls == 3
        }));
        assert_eq!(calls, 3);
        let started = Instant::now();
        assert!(!eventually(Duration::from_millis(60), || false));
        assert!(started.elapsed() >= Duration::from_millis(60));
    }
}
