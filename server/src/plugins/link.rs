//! A core's connections to the sidecar: one for hook calls (many in flight, answers matched
//! by id), one for logging (batches sent and not answered). Each core has its own, opened on
//! first use and again after a failure; nothing here is shared with another core.
//!
//! Logging is bounded per core: events wait in a buffer of at most [`LOG_EVENTS`] and
//! [`LOG_BYTES`], sent every [`LOG_EVERY`] as one batch; batches wait for the socket at most
//! [`LOG_BATCHES`] deep. Beyond that (the sidecar slow or down) events are dropped and
//! counted: a request never waits for logging.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use monoio::io::{AsyncReadRentExt, AsyncWriteRentExt, Splitable};
use monoio::net::UnixStream;
use serde_json::Value;

use super::{wire, Sidecar};

/// Logging events a core holds before sending, at most.
pub const LOG_EVENTS: usize = 4096;
pub const LOG_BYTES: usize = 4 * 1024 * 1024;
/// Batches waiting for the socket, at most.
pub const LOG_BATCHES: usize = 2;
pub const LOG_EVERY: Duration = Duration::from_millis(50);
/// After a failed connection, the wait before the next try.
const RETRY: Duration = Duration::from_millis(250);
/// How long connecting to the sidecar may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a hook call got no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The sidecar is down or the connection broke.
    Unavailable,
    /// No answer within the plugin timeout.
    Timeout,
}

/// Counters of one core: its core alone writes them, the metrics scrape sums every core's.
#[derive(Debug, Default)]
pub struct LinkStats {
    pub calls: AtomicU64,
    pub call_failures: AtomicU64,
    pub log_sent: AtomicU64,
    pub log_dropped: AtomicU64,
}

impl LinkStats {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

type Waiters = Rc<RefCell<HashMap<u32, flume::Sender<Value>>>>;

/// One connection's state.
enum Conn {
    Closed {
        retry_at: Instant,
    },
    Connecting,
    /// `generation` tells this connection's tasks from a later one's.
    Open {
        frames: flume::Sender<Vec<u8>>,
        generation: u64,
    },
}

struct Channel {
    conn: RefCell<Conn>,
    /// Callers waiting for an answer, by id (the call connection only).
    waiters: Waiters,
    /// Frames the writer may hold before senders are refused.
    depth: usize,
    generations: Cell<u64>,
}

/// A call waited for, by its id; dropping it takes the id from the waiters.
struct Waiting<'a>(&'a Waiters, u32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().remove(&self.1);
    }
}

pub struct CoreLink {
    pub sidecar: Arc<Sidecar>,
    calls: Rc<Channel>,
    logs: Rc<Channel>,
    next_id: Cell<u32>,
    /// Events waiting for the next batch: a LOG frame being written (its header first).
    log_buf: RefCell<Vec<u8>>,
    log_count: Cell<usize>,
    /// The master key's `UserAPIKeyAuth` JSON by route (the same for every request).
    master_keys: RefCell<HashMap<&'static str, Vec<u8>>>,
    /// Failure-hook calls in flight for requests refused before they were authenticated
    /// (see [`super::on_failure`]).
    pub refusal_calls: Cell<usize>,
    pub stats: Arc<LinkStats>,
}

impl std::fmt::Debug for CoreLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreLink").finish_non_exhaustive()
    }
}

impl CoreLink {
    pub fn new(sidecar: Arc<Sidecar>) -> CoreLink {
        let stats = Arc::new(LinkStats::default());
        sidecar.links.rcu(|all| {
            let mut all = Vec::clone(all);
            all.push(stats.clone());
            all
        });
        let channel = |depth| {
            Rc::new(Channel {
                conn: RefCell::new(Conn::Closed {
                    retry_at: Instant::now(),
                }),
                waiters: Rc::new(RefCell::new(HashMap::new())),
                depth,
                generations: Cell::new(0),
            })
        };
        CoreLink {
            sidecar,
            calls: channel(usize::MAX),
            logs: channel(LOG_BATCHES),
            next_id: Cell::new(1),
            log_buf: RefCell::new(log_frame(0)),
            log_count: Cell::new(0),
            master_keys: RefCell::new(HashMap::new()),
            refusal_calls: Cell::new(0),
            stats,
        }
    }

    /// Calls a hook (`payload` is the CALL's JSON) and waits for its answer, at most the
    /// plugin timeout.
    pub async fn call(&self, payload: &[u8]) -> Result<Value, CallError> {
        LinkStats::add(&self.stats.calls, 1);
        let result = self.call_inner(payload).await;
        if result.is_err() {
            LinkStats::add(&self.stats.call_failures, 1);
        }
        result
    }

    async fn call_inner(&self, payload: &[u8]) -> Result<Value, CallError> {
        let frames = self.open(&self.calls).await?;
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1).max(1));
        let (tx, rx) = flume::bounded(1);
        self.calls.waiters.borrow_mut().insert(id, tx);
        // However the wait ends (an answer, the timeout, the request dropped), the call is
        // no longer waited for: a frame still queued for it is not sent.
        let _waiting = Waiting(&self.calls.waiters, id);
        let mut frame = Vec::with_capacity(payload.len() + wire::HEADER);
        wire::encode(wire::CALL, id, payload, &mut frame);
        if frames.send(frame).is_err() {
            return Err(CallError::Unavailable);
        }
        match monoio::time::timeout(self.sidecar.timeout, rx.recv_async()).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(CallError::Unavailable),
            Err(_) => Err(CallError::Timeout),
        }
    }

    /// Queues the logging event of a finished request; dropped and counted when the queue
    /// is full.
    pub fn log_event(&self, ex: &crate::exchange::Exchange<'_>, captured: &super::data::Captured) {
        use super::HookSet;
        let success = ex.failure.is_none() && (200..300).contains(&ex.status);
        let hooks = self.sidecar.hooks;
        let wanted = match success {
            true => hooks.contains(HookSet::LOG_SUCCESS),
            // The sync `log_failure_event` is called for the proxy's own refusals only.
            false => {
                hooks.contains(HookSet::LOG_FAILURE)
                    || (ex.failed_in_proxy && hooks.contains(HookSet::LOG_FAILURE_SYNC))
            }
        };
        if !wanted {
            return;
        }
        let mut buf = self.log_buf.borrow_mut();
        // While the sidecar lags (its batches fill the socket's queue) an event is dropped
        // before it is written: what it would cost the core buys nothing.
        if self.logs_backlogged() || self.log_count.get() >= LOG_EVENTS || buf.len() >= LOG_BYTES {
            LinkStats::add(&self.stats.log_dropped, 1);
            return;
        }
        let route = ex.route.0;
        if ex.custom_auth.is_none() && ex.caller == crate::exchange::Caller::Master {
            let mut keys = self.master_keys.borrow_mut();
            let key = keys.entry(route).or_insert_with(|| {
                let v = super::data::user_api_key_dict(ex.caller, None, route);
                serde_json::to_vec(&v).unwrap_or_else(|_| b"{}".to_vec())
            });
            super::data::write_event(ex, captured, key, &mut buf);
        } else {
            let key = super::data::caller_key(ex);
            let key = serde_json::to_vec(&key).unwrap_or_else(|_| b"{}".to_vec());
            super::data::write_event(ex, captured, &key, &mut buf);
        }
        self.log_count.set(self.log_count.get() + 1);
    }

    /// Whether a refusal's event may be kept: refusals (which clients without a key can
    /// cause) take at most half of what a core holds for the next batch, so a flood of them
    /// cannot crowd out the logging of served requests.
    pub fn room_for_refusals(&self) -> bool {
        !self.logs_backlogged()
            && self.log_count.get() < LOG_EVENTS / 2
            && self.log_buf.borrow().len() < LOG_BYTES / 2
    }

    /// The logging connection's queue of batches is full.
    fn logs_backlogged(&self) -> bool {
        matches!(&*self.logs.conn.borrow(), Conn::Open { frames, .. } if frames.is_full())
    }

    /// Sends what the logging buffer holds, every [`LOG_EVERY`], for the core's life.
    pub async fn flush_logs(self: Rc<Self>) {
        loop {
            monoio::time::sleep(LOG_EVERY).await;
            let n = self.log_count.get();
            if n == 0 {
                continue;
            }
            // The next batch starts with room for about as much as this one took, at most
            // LOG_BYTES / 8 (512 KiB), which an idle core keeps.
            let mut frame = {
                let mut buf = self.log_buf.borrow_mut();
                let next = log_frame(buf.len().min(LOG_BYTES / 8));
                std::mem::replace(&mut *buf, next)
            };
            self.log_count.set(0);
            wire::close_frame(&mut frame, 0);
            let sent = match self.open(&self.logs).await {
                Ok(frames) => frames.try_send(frame).is_ok(),
                Err(_) => false,
            };
            let counter = if sent {
                &self.stats.log_sent
            } else {
                &self.stats.log_dropped
            };
            LinkStats::add(counter, n as u64);
        }
    }

    /// The channel's writer, connecting first when needed.
    async fn open(&self, channel: &Rc<Channel>) -> Result<flume::Sender<Vec<u8>>, CallError> {
        // Another request of this core may be connecting: wait for it (at most the connect
        // timeout) rather than fail a request that needs a hook.
        let waited = Instant::now();
        let retry_at = loop {
            match &*channel.conn.borrow() {
                Conn::Open { frames, .. } => return Ok(frames.clone()),
                Conn::Closed { retry_at } => break *retry_at,
                Conn::Connecting if waited.elapsed() > CONNECT_TIMEOUT => {
                    return Err(CallError::Unavailable)
                }
                Conn::Connecting => {}
            }
            monoio::time::sleep(Duration::from_millis(2)).await;
        };
        if Instant::now() < retry_at || !self.sidecar.up.load(Ordering::Relaxed) {
            return Err(CallError::Unavailable);
        }
        *channel.conn.borrow_mut() = Conn::Connecting;
        match connect(&self.sidecar).await {
            Ok(stream) => {
                let (reader, writer) = stream.into_split();
                let (frames, queue) = match channel.depth {
                    usize::MAX => flume::unbounded(),
                    depth => flume::bounded(depth),
                };
                let generation = channel.generations.get() + 1;
                channel.generations.set(generation);
                *channel.conn.borrow_mut() = Conn::Open {
                    frames: frames.clone(),
                    generation,
                };
                monoio::spawn(read_answers(reader, channel.clone(), generation));
                monoio::spawn(write_frames(writer, queue, channel.clone(), generation));
                Ok(frames)
            }
            Err(e) => {
                tracing::debug!("connecting to the Python sidecar: {e}");
                *channel.conn.borrow_mut() = Conn::Closed {
                    retry_at: Instant::now() + RETRY,
                };
                Err(CallError::Unavailable)
            }
        }
    }
}

/// An empty LOG frame with room for `capacity` bytes.
fn log_frame(capacity: usize) -> Vec<u8> {
    let mut frame = Vec::with_capacity(capacity.max(wire::HEADER));
    wire::open_frame(wire::LOG, 0, &mut frame);
    frame
}

/// Connects and reads the HELLO every connection starts with.
async fn connect(sidecar: &Sidecar) -> std::io::Result<UnixStream> {
    let mut stream =
        monoio::time::timeout(Duration::from_secs(1), UnixStream::connect(&sidecar.socket))
            .await
            .map_err(|_| std::io::Error::other("connect timed out"))??;
    let head = read_frame(&mut stream).await?;
    match head {
        Some((wire::HELLO, _, _)) => Ok(stream),
        _ => Err(std::io::Error::other("no HELLO")),
    }
}

/// The next frame: (kind, id, payload); `None` at the end of the stream.
async fn read_frame<R: monoio::io::AsyncReadRent>(
    reader: &mut R,
) -> std::io::Result<Option<(u8, u32, Vec<u8>)>> {
    let (res, head) = reader.read_exact(vec![0u8; wire::HEADER]).await;
    match res {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut fixed = [0u8; wire::HEADER];
    fixed.copy_from_slice(&head);
    let (len, kind, id) =
        wire::decode_header(&fixed).ok_or_else(|| std::io::Error::other("bad frame"))?;
    let (res, body) = reader.read_exact(vec![0u8; len]).await;
    res?;
    Ok(Some((kind, id, body)))
}

async fn read_answers<R: monoio::io::AsyncReadRent>(
    mut reader: R,
    channel: Rc<Channel>,
    generation: u64,
) {
    loop {
        match read_frame(&mut reader).await {
            Ok(Some((wire::REPLY, id, body))) => {
                let waiter = channel.waiters.borrow_mut().remove(&id);
                if let (Some(waiter), Ok(answer)) = (waiter, serde_json::from_slice(&body)) {
                    let _ = waiter.send(answer);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    close(&channel, generation);
}

async fn write_frames<W: monoio::io::AsyncWriteRent>(
    mut writer: W,
    queue: flume::Receiver<Vec<u8>>,
    channel: Rc<Channel>,
    generation: u64,
) {
    while let Ok(frame) = queue.recv_async().await {
        // A call whose request stopped waiting (past its timeout, or gone) is not sent:
        // what is queued stays bounded by the calls still waited for.
        if frame.get(4) == Some(&wire::CALL) {
            let id = frame.get(5..9).and_then(|b| <[u8; 4]>::try_from(b).ok());
            let id = id.map_or(0, u32::from_be_bytes);
            if !channel.waiters.borrow().contains_key(&id) {
                continue;
            }
        }
        let (res, _) = writer.write_all(frame).await;
        if res.is_err() {
            break;
        }
    }
    close(&channel, generation);
}

/// Marks the channel's connection `generation` closed (a later one is left alone): its
/// waiters get no answer, so their calls fail as unavailable.
fn close(channel: &Channel, generation: u64) {
    let mut conn = channel.conn.borrow_mut();
    if matches!(*conn, Conn::Open { generation: g, .. } if g == generation) {
        *conn = Conn::Closed {
            retry_at: Instant::now() + RETRY,
        };
        drop(conn);
        channel.waiters.borrow_mut().clear();
    }
}
