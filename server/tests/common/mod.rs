//! Fixtures of the gateway's integration tests: the real `corelane` and `corelane-mock`
//! processes on ephemeral ports and a per-test config file, over the shared test support of
//! `corelane-testkit` (its HTTP/1.1 client, SSE parsing and processes, re-exported here).
//!
//! # Layout
//! - [`gateway_bin`], [`mock_bin`], [`Mock`]: the binaries under test (the mock built once if
//!   missing), the mock's introspection.
//! - [`Gateway`]: the gateway under test, started from a config written to a temp dir.
//! - [`assert_litellm_error`], [`is_uuid`]: checks of what the gateway answers.
//! - [`one_model`], [`chat_body`]: the config and request most tests start from.
//! - [`scripted_upstream`]: a provider scripted by the test itself (a closure per request),
//!   for wire formats the mock does not speak or answers a test must vary.
// Each test file is its own crate and uses a part of this module.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

pub use corelane_testkit::{
    established_to, event_json, eventually, request_bytes, Client, Head, Output, Proc, Response,
    SseEvents, TempDir, IO_TIMEOUT,
};

/// The gateway binary under test: this build's, or `CORELANE_BIN` (to measure a release build
/// with the same tests, e.g. for the README's reliability figures).
pub fn gateway_bin() -> PathBuf {
    std::env::var("CORELANE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_BIN_EXE_corelane")))
}

/// The `corelane-mock` binary, a sibling of the gateway binary in the same target dir; built
/// once per test process (`cargo build -p corelane-harness`) when `cargo test -p corelane`
/// did not build it.
pub fn mock_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = Path::new(env!("CARGO_BIN_EXE_corelane")).with_file_name("corelane-mock");
        if !bin.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
            // The gateway binary lives in <target>/<profile>/; build the mock into the same
            // target dir whatever CARGO_TARGET_DIR says.
            let profile_dir = bin.parent().expect("gateway binary has a profile dir");
            let target_dir = profile_dir
                .parent()
                .expect("gateway binary has a target dir");
            // Same profile as the gateway: <target>/debug is "dev", others are named as is.
            let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
                Some("debug") | None => "dev",
                Some(other) => other,
            };
            let status = Command::new(cargo)
                .args(["build", "-p", "corelane-harness", "--bin", "corelane-mock"])
                .args(["--profile", profile])
                .arg("--manifest-path")
                .arg(&manifest)
                .env("CARGO_TARGET_DIR", target_dir)
                .status()
                .expect("run cargo build for corelane-mock");
            assert!(status.success(), "building corelane-mock failed");
        }
        assert!(bin.exists(), "corelane-mock not found at {}", bin.display());
        bin
    })
}

/// A running `corelane-mock --threads 1` (one thread, so its introspection sees everything).
#[derive(Debug)]
pub struct Mock {
    pub proc: Proc,
    pub addr: SocketAddr,
    /// Introspection goes over one kept-alive connection opened at start, so that after a
    /// reset the mock's `connections` counter counts only the gateway's connections.
    admin: Mutex<Option<Client>>,
}

impl Mock {
    pub fn start() -> Mock {
        Mock::start_with(&[])
    }

    /// Extra `corelane-mock` flags, e.g. `["--stream-chunks", "6"]`.
    pub fn start_with(args: &[&str]) -> Mock {
        Mock::launch(0, args)
    }

    /// A mock on a given port (e.g. a restarted provider on the port of a stopped one).
    pub fn start_on(port: u16) -> Mock {
        Mock::launch(port, &[])
    }

    fn launch(port: u16, args: &[&str]) -> Mock {
        let args: Vec<&str> = ["--threads", "1"].iter().chain(args).copied().collect();
        let (proc, addr) = corelane_testkit::start_mock(mock_bin(), port, &args);
        let admin = Client::connect(addr);
        Mock {
            proc,
            addr,
            admin: Mutex::new(Some(admin)),
        }
    }

    /// `http://127.0.0.1:PORT` followed by `path` (fault prefixes, `/v1`, ...).
    pub fn base(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    fn admin(&self, method: &str, path: &str) -> Value {
        let mut guard = self.admin.lock().unwrap();
        let client = guard.get_or_insert_with(|| Client::connect(self.addr));
        let body: &[u8] = if method == "POST" { b"{}" } else { b"" };
        let resp = client.request(method, path, &[], body);
        assert_eq!(resp.status, 200, "mock {path}: {}", resp.text());
        resp.json()
    }

    /// The provider requests the mock recorded, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        match self.admin("GET", "/__mock/requests") {
            Value::Array(list) => list,
            other => panic!("/__mock/requests: {other}"),
        }
    }

    /// The last recorded provider request.
    pub fn last_request(&self) -> Value {
        self.requests().pop().expect("the mock recorded a request")
    }

    /// `(requests, connections)` since start or the last reset.
    pub fn stats(&self) -> (u64, u64) {
        let v = self.admin("GET", "/__mock/stats");
        (
            v["requests"].as_u64().unwrap(),
            v["connections"].as_u64().unwrap(),
        )
    }

    /// Local port of the introspection connection (to tell it apart from the gateway's).
    pub fn admin_port(&self) -> u16 {
        let mut guard = self.admin.lock().unwrap();
        let client = guard.get_or_insert_with(|| Client::connect(self.addr));
        client.stream.local_addr().unwrap().port()
    }

    /// ESTABLISHED connections to the mock other than the test's own introspection one.
    pub fn open_connections(&self) -> usize {
        established_to(self.addr.port(), &[self.admin_port()])
    }

    pub fn reset(&self) {
        let v = self.admin("POST", "/__mock/reset");
        assert_eq!(v["reset"], true);
    }
}

/// LiteLLM's opt-in to start with no master key or a publicly known one. Most tests run
/// keyless configs, so [`Gateway::start`] sets it; the master-key tests start without it.
pub const PERMIT_WEAK_KEY: &str = "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY";

/// The gateway under test.
#[derive(Debug)]
pub struct Gateway {
    pub proc: Proc,
    pub addr: SocketAddr,
    _dir: TempDir,
}

impl Gateway {
    /// Starts `corelane --config <yaml> --port 0 --host 127.0.0.1 --num_workers 1`.
    pub fn start(config: &str) -> Gateway {
        Gateway::start_with(config, &["--num_workers", "1"])
    }

    pub fn start_with(config: &str, args: &[&str]) -> Gateway {
        Gateway::start_env(config, args, &[])
    }

    /// As [`Gateway::start_with`], with extra environment variables for the process. The
    /// gateway runs with [`PERMIT_WEAK_KEY`]`=true`, so that test configs without a master key
    /// (or with `sk-1234`) start; [`Gateway::start_strict`] leaves it out.
    pub fn start_env(config: &str, args: &[&str], env: &[(&str, &Path)]) -> Gateway {
        Gateway::launch(config, args, env, true)
    }

    /// As [`Gateway::start_env`], without [`PERMIT_WEAK_KEY`]: the master-key rule applies as in
    /// production, and the master key and the permit come only from `config` and `env` (not
    /// from this process's environment).
    pub fn start_strict(config: &str, args: &[&str], env: &[(&str, &Path)]) -> Gateway {
        Gateway::launch(config, args, env, false)
    }

    /// As [`Gateway::start_env`], with `files` (name, text) written beside the config first
    /// (plugin modules, as LiteLLM finds them).
    pub fn start_beside(
        config: &str,
        files: &[(&str, &str)],
        args: &[&str],
        env: &[(&str, &Path)],
    ) -> Gateway {
        Gateway::launch_with(config, files, args, env, true)
    }

    fn launch(
        config: &str,
        args: &[&str],
        env: &[(&str, &Path)],
        permit_weak_key: bool,
    ) -> Gateway {
        Gateway::launch_with(config, &[], args, env, permit_weak_key)
    }

    fn launch_with(
        config: &str,
        files: &[(&str, &str)],
        args: &[&str],
        env: &[(&str, &Path)],
        permit_weak_key: bool,
    ) -> Gateway {
        let dir = TempDir::new("gw");
        for (name, text) in files {
            dir.write(name, text);
        }
        let path = dir.write("config.yaml", config);
        let mut cmd = Command::new(gateway_bin());
        cmd.arg("--config")
            .arg(&path)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .args(args)
            .env("RUST_LOG", "warn")
            // Each gateway keeps its embedded store in its own directory.
            .env("CORELANE_DATA_DIR", dir.0.join("data"))
            .env_remove("DATABASE_URL")
            .env_remove("CONFIG_FILE_PATH");
        if permit_weak_key {
            cmd.env(PERMIT_WEAK_KEY, "true");
        } else {
            cmd.env_remove(PERMIT_WEAK_KEY)
                .env_remove("LITELLM_MASTER_KEY");
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        let (proc, addr) = Proc::spawn(
            cmd,
            |l| {
                l.strip_prefix("corelane listening on http://")
                    .map(str::to_owned)
            },
            "corelane",
        );
        Gateway {
            proc,
            addr,
            _dir: dir,
        }
    }

    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// One request on a fresh connection.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.client().request(method, path, headers, body)
    }

    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.request("POST", path, &[], body.to_string().as_bytes())
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    /// Liveliness answers 200: the gateway is up and serving.
    pub fn assert_healthy(&self) {
        let r = self.get("/health/liveliness");
        assert_eq!(r.status, 200, "{}", r.text());
    }
}

/// LiteLLM's error shape: `{"error": {"message", "type", "param", "code"}}`, `code` a string
/// equal to the status; returns the `error` object.
pub fn assert_litellm_error(resp: &Response, status: u16) -> Value {
    assert_eq!(resp.status, status, "body: {}", resp.text());
    assert_eq!(
        resp.header("content-type"),
        Some("application/json"),
        "error content-type"
    );
    let v = resp.json();
    let err = v
        .get("error")
        .unwrap_or_else(|| panic!("no error object: {v}"));
    let obj = err.as_object().expect("error is an object");
    for key in ["message", "type", "param", "code"] {
        assert!(obj.contains_key(key), "error.{key} missing: {v}");
    }
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{v}"
    );
    assert_eq!(err["code"], Value::String(status.to_string()), "{v}");
    err.clone()
}

/// A lowercase hyphenated UUID (8-4-4-4-12 hex).
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A config with one OpenAI-compatible deployment `model_name` -> `openai/<provider_model>`
/// at `api_base`.
pub fn one_model(model_name: &str, provider_model: &str, api_base: &str) -> String {
    format!(
        "model_list:\n  - model_name: {model_name}\n    litellm_params:\n      model: openai/{provider_model}\n      api_base: {api_base}\n      api_key: sk-upstream-test\n"
    )
}

pub fn chat_body(model: &str) -> Value {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

/// One request a [`scripted_upstream`] received: path (with query), headers (lower-cased
/// names), body.
pub type Recorded = (String, Vec<(String, String)>, Vec<u8>);

/// An HTTP/1.1 upstream on an ephemeral port answering each request with
/// `answer(path, body) -> (status, content type, body)` and recording it; returns its base
/// URL and the record.
pub fn scripted_upstream(
    answer: impl Fn(&str, &[u8]) -> (u16, &'static str, String) + Send + Sync + 'static,
) -> (String, std::sync::mpsc::Receiver<Recorded>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (record, seen) = std::sync::mpsc::channel();
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let record = record.clone();
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut conn = conn;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let mut headers = Vec::new();
                    let mut len = 0usize;
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        let (k, v) = h.split_once(':').unwrap();
                        let (k, v) = (k.to_ascii_lowercase(), v.trim().to_owned());
                        if k == "content-length" {
                            len = v.parse().unwrap();
                        }
                        headers.push((k, v));
                    }
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    let (status, kind, payload) = answer(&path, &body);
                    let _ = record.send((path, headers, body));
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\r\n",
                        payload.len()
                    );
                    conn.write_all(head.as_bytes()).unwrap();
                    conn.write_all(payload.as_bytes()).unwrap();
                }
            });
        }
    });
    (base, seen)
}

/// A scripted upstream's chat completion saying `content`, with these token counts.
pub fn openai_answer(content: &str, prompt: u64, completion: u64) -> (u16, &'static str, String) {
    let answer = serde_json::json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion}});
    (200, "application/json", answer.to_string())
}

/// A scripted upstream's OpenAI error answer.
pub fn openai_error(status: u16, message: &str) -> (u16, &'static str, String) {
    let body = serde_json::json!({"error": {"message": message, "type": "x", "param": null, "code": null}});
    (status, "application/json", body.to_string())
}

/// A router test's deployment `id` of `group`: `openai/m` at `{base}/{id}/v1` (so the
/// scripted upstream knows it by its path), with `params` lines of litellm_params and `info`
/// lines of model_info.
pub fn routed_deployment(group: &str, id: &str, base: &str, params: &str, info: &str) -> String {
    format!(
        "  - model_name: {group}\n    litellm_params:\n      model: openai/m\n      api_base: {base}/{id}/v1\n      api_key: sk-x\n{params}    model_info:\n      id: {id}\n{info}"
    )
}

/// The deployments (first path segment) a scripted upstream saw since last asked, in order.
pub fn upstream_calls(seen: &std::sync::mpsc::Receiver<Recorded>) -> Vec<String> {
    seen.try_iter()
        .map(|(path, _, _)| path.split('/').nth(1).unwrap_or("").to_owned())
        .collect()
}
