//! The access log: one line per request, written by `finish`. Text, or JSON when
//! `JSON_LOGS=true` (LiteLLM's switch). Each core formats into its own buffer; full buffers
//! (and, every [`FLUSH_EVERY`], partial ones) go to one writer thread, so a core never
//! blocks on the terminal or a pipe. When the log is off, `finish` checks one bool.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::exchange::Exchange;

/// A core hands its buffer to the writer once it holds this much.
const FLUSH_AT: usize = 32 * 1024;
/// And at least this often while requests come.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Buffers waiting for the writer; past this, lines are dropped (and counted) rather than
/// letting a stalled terminal hold memory.
const QUEUE: usize = 64;

/// Where the access log goes, shared by the cores.
#[derive(Debug, Clone)]
pub struct Sink {
    tx: flume::Sender<Vec<u8>>,
    json: bool,
}

impl Sink {
    /// Starts the writer thread (stderr, beside the other logs).
    pub fn start(json: bool) -> std::io::Result<Self> {
        let (tx, rx) = flume::bounded::<Vec<u8>>(QUEUE);
        std::thread::Builder::new()
            .name("corelane-access-log".into())
            .spawn(move || {
                let stderr = std::io::stderr();
                for batch in rx.iter() {
                    let mut out = stderr.lock();
                    let _ = out.write_all(&batch);
                    let _ = out.flush();
                }
            })?;
        Ok(Sink { tx, json })
    }
}

/// One core's access log.
#[derive(Debug, Default)]
pub struct AccessLog {
    sink: Option<Sink>,
    buf: RefCell<String>,
    dropped: std::cell::Cell<u64>,
}

impl AccessLog {
    pub fn new(sink: Option<Sink>) -> Self {
        AccessLog {
            sink,
            buf: RefCell::new(String::new()),
            dropped: std::cell::Cell::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// Appends the request's line.
    pub fn write(&self, ex: &Exchange<'_>) {
        let Some(sink) = &self.sink else { return };
        let mut buf = self.buf.borrow_mut();
        if sink.json {
            json_line(ex, &mut buf);
        } else {
            text_line(ex, &mut buf);
        }
        if buf.len() >= FLUSH_AT {
            let full = std::mem::take(&mut *buf);
            drop(buf);
            self.send(sink, full);
        }
    }

    /// Hands what is buffered to the writer.
    pub fn flush(&self) {
        let Some(sink) = &self.sink else { return };
        let pending = std::mem::take(&mut *self.buf.borrow_mut());
        if !pending.is_empty() {
            self.send(sink, pending);
        }
    }

    fn send(&self, sink: &Sink, mut batch: String) {
        let dropped = self.dropped.take();
        if dropped > 0 {
            let _ = writeln!(
                batch,
                "corelane: {dropped} access log lines dropped (the log writer was behind)"
            );
        }
        if sink.tx.try_send(batch.into_bytes()).is_err() {
            self.dropped.set(dropped + 1);
        }
    }
}

struct Fields<'a> {
    call_id: &'a str,
    deployment: &'a str,
    upstream_ms: f64,
    total_ms: f64,
    prompt: u64,
    completion: u64,
}

fn fields<'a>(ex: &'a Exchange<'_>) -> Fields<'a> {
    let usage = ex.usage.unwrap_or_default();
    Fields {
        call_id: ex.call_id.as_str(),
        deployment: ex.deployment.map_or("", |d| d.id.as_str()),
        upstream_ms: ex.timings.upstream().as_secs_f64() * 1000.0,
        total_ms: ex.timings.received.elapsed().as_secs_f64() * 1000.0,
        prompt: usage.prompt_tokens,
        completion: usage.completion_tokens,
    }
}

fn text_line(ex: &Exchange<'_>, out: &mut String) {
    let f = fields(ex);
    let _ = writeln!(
        out,
        "{} {} {} model={} deployment={} status={} upstream_ms={:.3} total_ms={:.3} prompt_tokens={} completion_tokens={} call_id={}",
        unix_seconds(),
        ex.method.as_str(),
        ex.route.0,
        if ex.requested_model.is_empty() { "-" } else { &ex.requested_model },
        if f.deployment.is_empty() { "-" } else { f.deployment },
        ex.status,
        f.upstream_ms,
        f.total_ms,
        f.prompt,
        f.completion,
        if f.call_id.is_empty() { "-" } else { f.call_id },
    );
}

fn json_line(ex: &Exchange<'_>, out: &mut String) {
    let f = fields(ex);
    let mut s = Vec::with_capacity(256);
    s.extend_from_slice(b"{\"timestamp\":");
    s.extend_from_slice(format!("{:.3}", unix_seconds()).as_bytes());
    s.extend_from_slice(b",\"level\":\"INFO\",\"message\":\"request\",\"method\":");
    corelane_transforms::write_json_string(ex.method.as_str(), &mut s);
    s.extend_from_slice(b",\"route\":");
    corelane_transforms::write_json_string(ex.route.0, &mut s);
    s.extend_from_slice(b",\"requested_model\":");
    corelane_transforms::write_json_string(&ex.requested_model, &mut s);
    s.extend_from_slice(b",\"model_id\":");
    corelane_transforms::write_json_string(f.deployment, &mut s);
    s.extend_from_slice(format!(
        ",\"status\":{},\"upstream_ms\":{:.3},\"total_ms\":{:.3},\"prompt_tokens\":{},\"completion_tokens\":{},\"call_id\":",
        ex.status, f.upstream_ms, f.total_ms, f.prompt, f.completion
    ).as_bytes());
    corelane_transforms::write_json_string(f.call_id, &mut s);
    s.extend_from_slice(b"}\n");
    out.push_str(&String::from_utf8_lossy(&s));
}

fn unix_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
