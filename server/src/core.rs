//! One core: its monoio runtime, listener, upstream pool, arena and buffers. Nothing here is
//! shared with other cores except the read-only gateway snapshot; the main thread's stop
//! message starts the core's shutdown.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bumpalo::Bump;
use monoio::net::TcpListener;
use monoio::time::TimeDriver;
use monoio::{IoUringDriver, LegacyDriver, RuntimeBuilder};

use crate::gateway::Gateway;
use crate::latch::Latch;
use crate::spill::Spiller;
use crate::upstream::dns::Resolver;
use crate::upstream::pool::UpstreamPool;

/// Capacity of the per-request read buffers (upstream reads land here).
pub const IO_BUF: usize = 64 * 1024;
/// Buffers that grew past this are freed, not kept (a large body must not pin memory).
const MAX_KEPT_BUF: usize = 2 * IO_BUF;
/// Free buffers kept per core: at most MAX_KEPT_BUFS x MAX_KEPT_BUF = 4 MiB held idle.
const MAX_KEPT_BUFS: usize = 32;
/// The JSON scratch space is given back after a request that made it grow past this.
const MAX_KEPT_SCRATCH: usize = 256 * 1024;
/// Back-off after a failed accept (descriptors exhausted), doubled up to the maximum.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));
/// Repeated warnings (accept failures, connections over the cap) are logged at most this often.
const WARN_EVERY: Duration = Duration::from_secs(10);
/// A core that started no request for this long gives its free buffers and cached pages back.
const IDLE_TRIM: Duration = Duration::from_millis(500);
/// After the grace period, how long cut streams get to write their final error event.
const CUT_WRITE: Duration = Duration::from_millis(200);

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
    pub scratch: RefCell<Vec<u8>>,
    bufs: RefCell<Vec<Vec<u8>>>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Core {
    pub fn shutting_down(&self) -> bool {
        self.draining.is_fired()
    }

    /// Gives back the JSON scratch space when a large body made it grow.
    pub fn trim_scratch(&self) {
        let mut scratch = self.scratch.borrow_mut();
        if scratch.capacity() > MAX_KEPT_SCRATCH {
            *scratch = Vec::new();
        }
    }

    /// An empty buffer with at least `IO_BUF` capacity, reused when possible.
    pub fn take_buf(&self) -> Vec<u8> {
        self.bufs
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(IO_BUF))
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

/// A warning that may repeat quickly (an accept loop without descriptors): logged at most
/// once per [`WARN_EVERY`], with the number of occurrences in between.
#[derive(Debug, Default)]
struct Throttled {
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttled {
    /// Some(occurrences since the last log) when this one should be logged.
    fn due(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < WARN_EVERY)
        {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
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

type Runtime = monoio::FusionRuntime<TimeDriver<IoUringDriver>, TimeDriver<LegacyDriver>>;

/// Builds the core's runtime: io_uring when the kernel allows it (probed by monoio), else epoll.
fn runtime(epoll: bool) -> std::io::Result<Runtime> {
    if epoll {
        Ok(RuntimeBuilder::<LegacyDriver>::new()
            .enable_timer()
            .build()?
            .into())
    } else {
        RuntimeBuilder::<monoio::FusionDriver>::new()
            .enable_timer()
            .build()
    }
}

/// Runs one core until `stop` says so; reports the driver it uses on `started`.
pub fn run(
    id: usize,
    listener: std::net::TcpListener,
    shared: Shared,
    opts: CoreOptions,
    stop: flume::Receiver<()>,
    started: std::sync::mpsc::Sender<(usize, &'static str)>,
) -> std::io::Result<()> {
    if let Some(cpu) = opts.cpu {
        if let Err(e) = monoio::utils::bind_to_cpu_set([cpu]) {
            tracing::warn!(core = id, cpu, error = ?e, "could not pin core to cpu");
        }
    }
    let mut rt = runtime(opts.epoll)?;
    rt.block_on(async move {
        let driver = if monoio::utils::is_legacy() {
            "epoll"
        } else {
            "io_uring"
        };
        let _ = started.send((id, driver));
        // The same socket, for taking what is left in its queue at shutdown without waiting.
        let backlog = listener.try_clone()?;
        let listener = TcpListener::from_std(listener)?;
        let core = Rc::new(Core {
            id,
            gateway: shared.gateway,
            pool: UpstreamPool::new(shared.resolver, shared.tls),
            spiller: shared.spiller,
            limits: opts.limits,
            draining: Latch::new(),
            cut: Latch::new(),
            active: Cell::new(0),
            started: Cell::new(0),
            connections: Cell::new(0),
            body_held: Cell::new(0),
            arena: RefCell::new(Bump::with_capacity(16 * 1024)),
            scratch: RefCell::new(Vec::with_capacity(16 * 1024)),
            bufs: RefCell::new(Vec::new()),
        });
        monoio::spawn(trim_when_idle(core.clone()));
        accept_until_stopped(&core, &listener, stop).await;
        // Stop accepting at once. Connections the kernel has already completed are taken and
        // served (their answer closes them) rather than reset with the listener.
        core.draining.fire();
        while let Ok((stream, _)) = backlog.accept() {
            let stream = stream
                .set_nonblocking(true)
                .and_then(|()| monoio::net::TcpStream::from_std(stream));
            if let Ok(stream) = stream {
                let open = OpenConn::new(core.clone());
                monoio::spawn(crate::conn::serve(core.clone(), stream, open));
            }
        }
        drop(backlog);
        drop(listener);
        // Connections taken from the queue have not started a request yet: wait for them
        // too (idle keep-alive ones close at once on the draining latch).
        let deadline = Instant::now() + opts.shutdown_grace;
        while (core.active.get() > 0 || core.connections.get() > 0) && Instant::now() < deadline {
            monoio::time::sleep(Duration::from_millis(10)).await;
        }
        if core.active.get() > 0 {
            tracing::warn!(
                core = id,
                in_flight = core.active.get(),
                "shutdown grace period over; cutting the requests still open"
            );
            core.cut.fire();
            let until = Instant::now() + CUT_WRITE;
            while core.active.get() > 0 && Instant::now() < until {
                monoio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Ok(())
    })
}

/// Gives the free buffers back, and the allocator's cached pages to the OS, once the core has
/// had no request for a while: they speed up a busy core, and an idle one returns to its idle
/// memory.
async fn trim_when_idle(core: Rc<Core>) {
    let mut seen = core.started.get();
    let mut trimmed = true;
    while !core.shutting_down() {
        monoio::time::sleep(IDLE_TRIM).await;
        let started = core.started.get();
        let idle = started == seen && core.active.get() == 0;
        seen = started;
        if !idle {
            trimmed = false;
        } else if !trimmed {
            *core.bufs.borrow_mut() = Vec::new();
            core.trim_scratch();
            crate::alloc::collect();
            trimmed = true;
        }
    }
}

/// Accepts connections until `stop` fires, spawning a task for each. Past the connection cap
/// a new connection is closed at once (so the kernel's backlog never fills with clients
/// waiting for nobody); failed accepts (no descriptors left) back off.
async fn accept_until_stopped(core: &Rc<Core>, listener: &TcpListener, stop: flume::Receiver<()>) {
    let mut stop = Box::pin(stop.into_recv_async());
    // One accept stays pending across loop turns: dropping an io_uring accept that has
    // already completed loses the accepted socket (monoio discards the result).
    let mut accept = Box::pin(listener.accept());
    let mut backoff = ACCEPT_BACKOFF.0;
    let mut accept_failed = Throttled::default();
    let mut over_cap = Throttled::default();
    loop {
        monoio::select! {
            // A completed accept goes first: dropping it would lose its connection.
            biased;
            accepted = &mut accept => {
                accept = Box::pin(listener.accept());
                match accepted {
                    Ok((stream, _peer)) => {
                        backoff = ACCEPT_BACKOFF.0;
                        if core.connections.get() >= core.limits.max_connections {
                            drop(stream);
                            if let Some(more) = over_cap.due() {
                                tracing::warn!(core = core.id, limit = core.limits.max_connections, also = more, "connection limit reached; closing new connections");
                            }
                            continue;
                        }
                        let open = OpenConn::new(core.clone());
                        monoio::spawn(crate::conn::serve(core.clone(), stream, open));
                    }
                    Err(e) => {
                        if let Some(more) = accept_failed.due() {
                            tracing::warn!(core = core.id, error = %e, also = more, "accept failed; backing off");
                        }
                        monoio::select! {
                            _ = monoio::time::sleep(backoff) => {}
                            _ = &mut stop => return,
                        }
                        backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                    }
                }
            },
            _ = &mut stop => return,
        }
    }
}
