//! One core: its monoio runtime, listener, upstream pool, arena and buffers. Nothing here is
//! shared with other cores except the read-only gateway snapshot; the main thread's stop
//! message starts the core's shutdown.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bumpalo::Bump;
use corelane_transforms::json::tape::Scratch;

use crate::access_log::AccessLog;
use crate::gateway::Gateway;
use crate::latch::Latch;
use crate::metrics::Metrics;
use crate::spill::Spiller;
use crate::upstream::dns::Resolver;
use crate::upstream::pool::UpstreamPool;

/// Capacity of the per-request read buffers (upstream reads land here).
pub const IO_BUF: usize = 64 * 1024;
/// Buffers that grew past this are freed, not kept (a large body must not pin memory).
const MAX_KEPT_BUF: usize = 2 * IO_BUF;
/// Free buffers kept per core: at most MAX_KEPT_BUFS x MAX_KEPT_BUF = 4 MiB held idle.
const MAX_KEPT_BUFS: usize = 32;

/// Capacity of a connection's read buffer when a request starts: a typical chat request
/// fits. An idle connection holds none.
pub const CONN_BUF: usize = 4 * 1024;
/// Free connection buffers kept per core: at most 64 x 8 KiB held idle.
const MAX_KEPT_CONN_BUFS: usize = 64;

/// Per-connection bounds: deadlines for slow clients, the connection cap, the body budget.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// Bytes/s a body must average once one `body_timeout` has passed.
    pub body_min_rate: u64,
    pub keepalive_timeout: Duration,
    pub max_connections: usize,
    /// Bytes of request bodies (and their parse scratch) held at once on this core.
    pub body_budget: usize,
}

/// What every core receives from the main thread: shared read-only state and handles.
#[derive(Debug, Clone)]
pub struct Shared {
    pub gateway: Arc<Gateway>,
    pub resolver: Resolver,
    pub spiller: Spiller,
    pub tls: Arc<rustls::ClientConfig>,
    /// Every core's metrics channel, when metrics are on.
    pub metrics: Option<crate::metrics::Peers>,
    pub access_log: Option<crate::access_log::Sink>,
    /// The health checks' settings, latest background report and verdicts.
    pub health_checks: Arc<crate::health_check::HealthChecks>,
}

/// Start-up options a core needs.
#[derive(Debug, Clone)]
pub struct CoreOptions {
    pub epoll: bool,
    pub cpu: Option<usize>,
    pub shutdown_grace: Duration,
    pub limits: ConnLimits,
}

/// Per-core state handed to every connection task on the core.
pub struct Core {
    pub id: usize,
    pub gateway: Arc<Gateway>,
    pub pool: UpstreamPool,
    /// Where request bodies too large for memory go (the spill thread).
    pub spiller: Spiller,
    pub limits: ConnLimits,
    /// Fired when shutdown starts: idle connections close, answers say `Connection: close`.
    pub draining: Latch,
    /// Fired when the grace period is over: open streams end with an error event.
    pub cut: Latch,
    /// Requests being served right now (graceful shutdown waits for 0).
    pub active: Cell<usize>,
    /// Requests started since the core started (an idle core is one where this stands still).
    started: Cell<u64>,
    /// Open client connections (capped by `limits.max_connections`).
    pub connections: Cell<usize>,
    /// Request-body bytes held right now (capped by `limits.body_budget`).
    body_held: Cell<usize>,
    /// Per-chunk temporaries of stream rewriting; reset after each chunk.
    pub arena: RefCell<Bump>,
    /// Scratch space for parsing request JSON (simd-json parses in place).
    pub scratch: RefCell<Scratch>,
    bufs: RefCell<Vec<Vec<u8>>>,
    /// Free connection read buffers ([`CONN_BUF`]): a request takes one when its first bytes
    /// arrive and gives it back when its connection goes idle.
    conn_bufs: RefCell<Vec<Vec<u8>>>,
    /// LiteLLM's Prometheus metrics, when on.
    pub metrics: Option<Metrics>,
    pub access_log: AccessLog,
    /// Shared by every core: `GET /health` reads it, core 0's background loop writes it.
    pub health_checks: Arc<crate::health_check::HealthChecks>,
    /// Keys this core is having the store look up (ones its snapshot lacks).
    pub key_lookups: Cell<usize>,
    /// This core's connections to the Python sidecar, when the config names plugins.
    pub plugins: Option<Rc<crate::plugins::CoreLink>>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Core {
    pub fn new(id: usize, shared: Shared, limits: ConnLimits) -> Self {
        let plugins = shared.gateway.plugins.get().cloned();
        let plugins = plugins.map(|s| Rc::new(crate::plugins::CoreLink::new(s)));
        Core {
            id,
            gateway: shared.gateway,
            pool: UpstreamPool::new(shared.resolver, shared.tls),
            spiller: shared.spiller,
            limits,
            draining: Latch::new(),
            cut: Latch::new(),
            active: Cell::new(0),
            started: Cell::new(0),
            connections: Cell::new(0),
            body_held: Cell::new(0),
            arena: RefCell::new(Bump::with_capacity(16 * 1024)),
            scratch: RefCell::new(Scratch::new()),
            bufs: RefCell::new(Vec::new()),
            conn_bufs: RefCell::new(Vec::new()),
            metrics: shared.metrics.map(Metrics::new),
            access_log: AccessLog::new(shared.access_log),
            health_checks: shared.health_checks,
            key_lookups: Cell::new(0),
            plugins,
        }
    }

    /// Requests started since the core started (an idle core is one where this stands still).
    pub fn started(&self) -> u64 {
        self.started.get()
    }

    /// Gives the free buffers and the JSON scratch space back.
    pub fn drop_free_buffers(&self) {
        *self.bufs.borrow_mut() = Vec::new();
        *self.conn_bufs.borrow_mut() = Vec::new();
        *self.scratch.borrow_mut() = Scratch::new();
    }

    pub fn shutting_down(&self) -> bool {
        self.draining.is_fired()
    }

    /// Gives back the JSON scratch space when a large body made it grow.
    pub fn trim_scratch(&self) {
        self.scratch.borrow_mut().trim();
    }

    /// An empty buffer with at least `IO_BUF` capacity, reused when possible.
    pub fn take_buf(&self) -> Vec<u8> {
        self.bufs
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(IO_BUF))
    }

    /// An empty connection read buffer of at least [`CONN_BUF`] capacity, reused when possible.
    pub fn take_conn_buf(&self) -> Vec<u8> {
        self.conn_bufs
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(CONN_BUF))
    }

    /// Keeps `buf` for the next request unless it grew (a large request's memory is not kept)
    /// or enough are kept already.
    pub fn give_conn_buf(&self, mut buf: Vec<u8>) {
        if buf.capacity() < CONN_BUF || buf.capacity() > 2 * CONN_BUF {
            return;
        }
        let mut bufs = self.conn_bufs.borrow_mut();
        if bufs.len() < MAX_KEPT_CONN_BUFS {
            buf.clear();
            bufs.push(buf);
        }
    }

    pub fn give_buf(&self, mut buf: Vec<u8>) {
        if buf.capacity() < IO_BUF || buf.capacity() > MAX_KEPT_BUF {
            return;
        }
        let mut bufs = self.bufs.borrow_mut();
        if bufs.len() < MAX_KEPT_BUFS {
            buf.clear();
            bufs.push(buf);
        }
    }
}

/// Body memory charged to the core's budget by one request; given back on drop.
#[derive(Debug)]
pub struct BodyCharge<'c> {
    core: &'c Core,
    bytes: usize,
}

impl<'c> BodyCharge<'c> {
    pub fn new(core: &'c Core) -> Self {
        BodyCharge { core, bytes: 0 }
    }

    /// Raises this request's charge to `bytes`; false (and no change) when the core's budget
    /// cannot take it.
    pub fn grow_to(&mut self, bytes: usize) -> bool {
        if bytes <= self.bytes {
            return true;
        }
        let held = self.core.body_held.get() + (bytes - self.bytes);
        if held > self.core.limits.body_budget {
            return false;
        }
        self.core.body_held.set(held);
        self.bytes = bytes;
        true
    }
}

impl BodyCharge<'_> {
    /// Sets this request's charge to `bytes`, lower or higher; false (and no change) when the
    /// core's budget cannot take a raise.
    pub fn set(&mut self, bytes: usize) -> bool {
        if bytes > self.bytes {
            return self.grow_to(bytes);
        }
        let held = self.core.body_held.get().saturating_sub(self.bytes - bytes);
        self.core.body_held.set(held);
        self.bytes = bytes;
        true
    }
}

impl Drop for BodyCharge<'_> {
    fn drop(&mut self) {
        let held = self.core.body_held.get().saturating_sub(self.bytes);
        self.core.body_held.set(held);
    }
}

/// One of at most so many things a core counts in a cell (its key lookups, its failure-hook
/// calls for refused requests), given back when dropped, however the request's future ends
/// (a client that leaves drops it mid-wait).
#[derive(Debug)]
pub struct Slot<'a>(&'a Cell<usize>);

impl<'a> Slot<'a> {
    /// A slot of `count`, unless `max` are taken.
    pub fn take(count: &'a Cell<usize>, max: usize) -> Option<Slot<'a>> {
        if count.get() >= max {
            return None;
        }
        count.set(count.get() + 1);
        Some(Slot(count))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

/// Counts an open client connection for as long as it lives.
#[derive(Debug)]
pub struct OpenConn(Rc<Core>);

impl OpenConn {
    pub fn new(core: Rc<Core>) -> Self {
        core.connections.set(core.connections.get() + 1);
        OpenConn(core)
    }
}

impl Drop for OpenConn {
    fn drop(&mut self) {
        let n = self.0.connections.get().saturating_sub(1);
        self.0.connections.set(n);
    }
}

/// Counts a request as in flight for as long as it lives.
#[derive(Debug)]
pub struct InFlight<'c>(&'c Core);

impl<'c> InFlight<'c> {
    pub fn new(core: &'c Core) -> Self {
        core.active.set(core.active.get() + 1);
        core.started.set(core.started.get() + 1);
        InFlight(core)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.active.set(self.0.active.get().saturating_sub(1));
    }
}
