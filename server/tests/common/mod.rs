//! Shared fixtures of the gateway's integration tests: the real `corelane` and `corelane-mock`
//! processes on ephemeral ports, a per-test config file, and a tiny blocking HTTP/1.1 client.
//!
//! # Layout
//! - [`mock_bin`], [`Mock`]: the mock provider (built once if missing), its introspection.
//! - [`Gateway`]: the gateway under test, started from a config written to a temp dir.
//! - [`Client`], [`Head`], [`Response`]: keep-alive HTTP/1.1 over `TcpStream` with
//!   Content-Length, chunked and close-delimited bodies, readable whole or chunk by chunk.
//! - [`SseEvents`]: splits a chunked event stream into `data:` events as they arrive.
//! - [`assert_litellm_error`], [`is_uuid`], [`established_to`]: checks shared by the areas.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Bound on every socket read of a test: a hung gateway fails the test instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a child process may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(20);

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

/// Output of a child process collected by a reader thread (so a full pipe never blocks it).
#[derive(Debug, Clone, Default)]
pub struct Output(Arc<Mutex<String>>, Arc<AtomicBool>);

impl Output {
    pub fn text(&self) -> String {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The pipe reached its end (the process exited and everything was read).
    pub fn ended(&self) -> bool {
        self.1.load(Ordering::Acquire)
    }
}

/// A line parser that recognises a process's "listening" line, and where to send its result.
type Ready = (fn(&str) -> Option<String>, mpsc::Sender<String>);

/// Reads `pipe` line by line into an [`Output`]; the first line that `ready` accepts is sent
/// on `first` (lines are also kept).
fn drain<R: Read + Send + 'static>(pipe: R, out: Output, ready: Option<Ready>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut ready = ready;
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    out.1.store(true, Ordering::Release);
                    return;
                }
                Ok(_) => {}
            }
            if let Some((parse, tx)) = &ready {
                if let Some(found) = parse(line.trim_end()) {
                    let _ = tx.send(found);
                    ready = None;
                }
            }
            if let Ok(mut s) = out.0.lock() {
                s.push_str(&line);
            }
        }
    });
}

/// A child process killed (SIGKILL) and reaped on drop.
#[derive(Debug)]
pub struct Proc {
    pub child: Child,
    pub stdout: Output,
    pub stderr: Output,
}

impl Proc {
    /// Wraps a spawned child with piped stdout and stderr.
    pub fn from_child(mut child: Child) -> Proc {
        let stdout = Output::default();
        let stderr = Output::default();
        drain(child.stdout.take().unwrap(), stdout.clone(), None);
        drain(child.stderr.take().unwrap(), stderr.clone(), None);
        Proc {
            child,
            stdout,
            stderr,
        }
    }

    fn spawn(
        mut cmd: Command,
        ready: fn(&str) -> Option<String>,
        what: &str,
    ) -> (Proc, SocketAddr) {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let (tx, rx) = mpsc::channel();
        let stdout = Output::default();
        let stderr = Output::default();
        drain(
            child.stdout.take().unwrap(),
            stdout.clone(),
            Some((ready, tx)),
        );
        drain(child.stderr.take().unwrap(), stderr.clone(), None);
        let proc = Proc {
            child,
            stdout,
            stderr,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => {
                let addr = addr
                    .parse()
                    .unwrap_or_else(|e| panic!("{what} address {addr:?}: {e}"));
                (proc, addr)
            }
            Err(_) => panic!(
                "{what} did not start.\nstdout:\n{}\nstderr:\n{}",
                proc.stdout.text(),
                proc.stderr.text()
            ),
        }
    }

    /// Waits for exit up to `limit`; `None` if still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader threads take in the last output.
                eventually(Duration::from_secs(2), || {
                    self.stdout.ended() && self.stderr.ended()
                });
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // A failing test shows what the process said.
            eprintln!(
                "--- pid {} stdout:\n{}\n--- stderr:\n{}",
                self.child.id(),
                self.stdout.text(),
                self.stderr.text()
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        let port = port.to_string();
        let mut cmd = Command::new(mock_bin());
        cmd.args(["--host", "127.0.0.1", "--port", &port, "--threads", "1"])
            .args(args);
        let (proc, addr) = Proc::spawn(
            cmd,
            |l| l.strip_prefix("listening on ").map(str::to_owned),
            "corelane-mock",
        );
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

static UNIQUE: AtomicUsize = AtomicUsize::new(0);

/// A temp dir of its own for one test, removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "corelane-itest-{tag}-{}-{}-{nanos}",
            std::process::id(),
            UNIQUE.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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

    fn launch(
        config: &str,
        args: &[&str],
        env: &[(&str, &Path)],
        permit_weak_key: bool,
    ) -> Gateway {
        let dir = TempDir::new("gw");
        let path = dir.write("config.yaml", config);
        let mut cmd = Command::new(gateway_bin());
        cmd.arg("--config")
            .arg(&path)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .args(args)
            .env("RUST_LOG", "warn")
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

/// A response status line and headers (names lowercased).
#[derive(Debug, Clone)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// A whole response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }
}

/// Body framing of the response being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
    Close,
    None,
}

/// A blocking HTTP/1.1 client over one connection: keep-alive, pipelining (requests can be
/// written before responses are read) and incremental reading of chunked bodies.
#[derive(Debug)]
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
    /// Chunked body in progress: true until the last chunk was read.
    in_chunked: bool,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
            in_chunked: false,
        }
    }

    pub fn set_read_timeout(&self, limit: Duration) {
        self.stream.set_read_timeout(Some(limit)).unwrap();
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to server");
    }

    /// Writes a request with `Host` and `Content-Length` (unless `headers` frame it).
    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        self.send_raw(&request_bytes(method, path, headers, body));
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send(method, path, headers, body);
        self.read_response()
    }

    pub fn post(&mut self, path: &str, body: &Value) -> Response {
        self.request("POST", path, &[], body.to_string().as_bytes())
    }

    /// One more read into the buffer; false at end of stream.
    fn fill(&mut self) -> bool {
        let mut tmp = [0u8; 64 * 1024];
        match self.stream.read(&mut tmp) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                true
            }
            Err(e) => panic!("read from server: {e}"),
        }
    }

    /// Like `fill` but a reset or closed connection is an ordinary end.
    fn fill_or_eof(&mut self) -> bool {
        let mut tmp = [0u8; 64 * 1024];
        match self.stream.read(&mut tmp) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                panic!("read from server timed out")
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                panic!("read from server timed out")
            }
            Err(_) => false,
        }
    }

    /// Reads a response head (1xx heads included: the caller decides).
    pub fn read_head(&mut self) -> Head {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 4);
                let mut lines = text.split("\r\n");
                let status_line = lines.next().unwrap_or("");
                let mut parts = status_line.splitn(3, ' ');
                assert_eq!(
                    parts.next(),
                    Some("HTTP/1.1"),
                    "status line {status_line:?}"
                );
                let status = parts
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("status line {status_line:?}"));
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let head = Head { status, headers };
                self.in_chunked = head.is_chunked() && status >= 200;
                return head;
            }
            assert!(
                self.fill(),
                "connection closed before a response head (got {:?})",
                String::from_utf8_lossy(&self.buf)
            );
        }
    }

    fn framing(head: &Head) -> Framing {
        if head.status < 200 || head.status == 204 || head.status == 304 {
            return Framing::None;
        }
        if head.is_chunked() {
            return Framing::Chunked;
        }
        match head.header("content-length") {
            Some(n) => Framing::Length(n.parse().expect("numeric content-length")),
            None => Framing::Close,
        }
    }

    /// Reads the body that follows `head`, whole.
    pub fn read_body(&mut self, head: &Head) -> Vec<u8> {
        match Client::framing(head) {
            Framing::None => Vec::new(),
            Framing::Length(n) => {
                while self.buf.len() < n {
                    assert!(self.fill(), "connection closed mid-body");
                }
                self.buf.drain(..n).collect()
            }
            Framing::Chunked => {
                let mut body = Vec::new();
                while let Some(chunk) = self.next_chunk() {
                    body.extend_from_slice(&chunk);
                }
                body
            }
            Framing::Close => {
                while self.fill_or_eof() {}
                std::mem::take(&mut self.buf)
            }
        }
    }

    /// The next chunk of a chunked body, as it arrives; `None` after the last chunk.
    /// Panics on a malformed or truncated chunked body.
    pub fn next_chunk(&mut self) -> Option<Vec<u8>> {
        match self.try_next_chunk() {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`Client::next_chunk`] reporting a connection closed mid-body as `Err`.
    pub fn try_next_chunk(&mut self) -> Result<Option<Vec<u8>>, String> {
        if !self.in_chunked {
            return Ok(None);
        }
        loop {
            if let Some(line_end) = find(&self.buf, b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                let size_text = line.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_text, 16)
                    .map_err(|_| format!("bad chunk size line {line:?}"))?;
                if size == 0 {
                    // Last chunk: skip trailers up to the blank line.
                    loop {
                        if let Some(end) = find(&self.buf[line_end..], b"\r\n\r\n") {
                            self.buf.drain(..line_end + end + 4);
                            self.in_chunked = false;
                            return Ok(None);
                        }
                        if !self.fill_or_eof() {
                            return Err("connection closed in the last chunk".into());
                        }
                    }
                }
                let need = line_end + 2 + size + 2;
                while self.buf.len() < need {
                    if !self.fill_or_eof() {
                        return Err("connection closed mid-chunk".into());
                    }
                }
                if &self.buf[need - 2..need] != b"\r\n" {
                    return Err("chunk not followed by CRLF".into());
                }
                let data = self.buf[line_end + 2..need - 2].to_vec();
                self.buf.drain(..need);
                return Ok(Some(data));
            }
            if !self.fill_or_eof() {
                return Err("connection closed between chunks".into());
            }
        }
    }

    /// Reads one final response (1xx interim responses are skipped).
    pub fn read_response(&mut self) -> Response {
        loop {
            let head = self.read_head();
            if head.status < 200 {
                continue;
            }
            let body = self.read_body(&head);
            return Response {
                status: head.status,
                headers: head.headers,
                body,
            };
        }
    }

    /// True when the server closed the connection (EOF or reset) within `limit`, with no
    /// further bytes sent.
    pub fn closed_within(&mut self, limit: Duration) -> bool {
        self.set_read_timeout(limit);
        let mut tmp = [0u8; 1024];
        let closed = match self.stream.read(&mut tmp) {
            Ok(0) => true,
            Ok(n) => panic!(
                "unexpected bytes after the response: {:?}",
                String::from_utf8_lossy(&tmp[..n])
            ),
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        };
        self.set_read_timeout(IO_TIMEOUT);
        closed
    }
}

/// The bytes of a request: `Host` and (unless the caller frames the body) `Content-Length`.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: corelane.test\r\n");
    let framed = headers.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding")
    });
    let has_type = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    if !has_type && !body.is_empty() {
        out.push_str("Content-Type: application/json\r\n");
    }
    if !framed && (method == "POST" || !body.is_empty()) {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Splits an SSE body arriving in HTTP chunks into events (text between blank lines).
#[derive(Debug, Default)]
pub struct SseEvents {
    pending: Vec<u8>,
}

impl SseEvents {
    /// Adds bytes; returns the events completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = find(&self.pending, b"\n\n") {
            let event = String::from_utf8_lossy(&self.pending[..end]).into_owned();
            self.pending.drain(..end + 2);
            if !event.trim().is_empty() {
                events.push(event);
            }
        }
        events
    }

    /// Bytes left that never ended with a blank line.
    pub fn rest(&self) -> &[u8] {
        &self.pending
    }

    /// All events of a whole SSE body; panics if it does not end on an event boundary.
    pub fn split(body: &[u8]) -> Vec<String> {
        let mut s = SseEvents::default();
        let events = s.push(body);
        assert!(
            s.rest().iter().all(u8::is_ascii_whitespace),
            "stream ends mid-event: {:?}",
            String::from_utf8_lossy(s.rest())
        );
        events
    }
}

/// The JSON of a `data: {...}` event (`None` for `[DONE]` and non-data events).
pub fn event_json(event: &str) -> Option<Value> {
    let data = event.strip_prefix("data: ")?;
    if data == "[DONE]" {
        return None;
    }
    Some(serde_json::from_str(data).unwrap_or_else(|e| panic!("event {event:?}: {e}")))
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

/// ESTABLISHED TCP connections on this machine with `port` as either end whose other end is
/// not `except` (an introspection connection of the test itself), from /proc/net/tcp{,6}.
pub fn established_to(port: u16, except: &[u16]) -> usize {
    let mut count = 0;
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 4 || cols[3] != "01" {
                continue;
            }
            let port_of = |s: &str| {
                s.rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            let (Some(local), Some(remote)) = (port_of(cols[1]), port_of(cols[2])) else {
                continue;
            };
            let other = if local == port {
                remote
            } else if remote == port {
                local
            } else {
                continue;
            };
            if !except.contains(&other) {
                count += 1;
            }
        }
    }
    count
}

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
        std::thread::sleep(Duration::from_millis(20));
    }
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
