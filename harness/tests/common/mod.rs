//! Test helpers: start `corelane-mock` as a process and speak raw HTTP/1.1 to it, over the
//! shared test support of `corelane-testkit` (re-exported here).
// Each test file is its own crate and uses a part of this module.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use serde_json::Value;

pub use corelane_testkit::{parse_events, Client, Proc, Response};

/// How long the mock may take to exit on SIGTERM.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running mock; killed when dropped.
pub struct Mock {
    pub proc: Proc,
    pub addr: SocketAddr,
    pub port: u16,
}

impl Mock {
    /// Starts the mock on an ephemeral port with `args`.
    pub fn start(args: &[&str]) -> Mock {
        let bin = Path::new(env!("CARGO_BIN_EXE_corelane-mock"));
        let (proc, addr) = corelane_testkit::start_mock(bin, 0, args);
        Mock {
            proc,
            addr,
            port: addr.port(),
        }
    }

    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    /// One request on a fresh connection.
    pub fn call(&self, method: &str, path: &str, body: &str) -> Response {
        let mut conn = self.connect();
        conn.send_raw(&request(method, path, body));
        conn.read_response()
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Response {
        self.call("POST", path, &body.to_string())
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        self.proc.signal("TERM");
        self.proc
            .wait_exit(EXIT_TIMEOUT)
            .expect("mock did not exit on SIGTERM")
    }
}

/// A raw request as a client of the provider sends it: a bearer key and a Content-Length
/// body, even an empty one.
pub fn request(method: &str, path: &str, body: &str) -> Vec<u8> {
    let length = body.len().to_string();
    corelane_testkit::request_bytes(
        method,
        path,
        &[
            ("Authorization", "Bearer sk-test"),
            ("Content-Type", "application/json"),
            ("Content-Length", &length),
        ],
        body.as_bytes(),
    )
}
