//! One core: its monoio runtime, listener, upstream pool, arena and buffers. Nothing here is
//! shared with other cores except the read-only gateway snapshot and the shutdown flag.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bumpalo::Bump;
use monoio::net::TcpListener;
use monoio::time::TimeDriver;
use monoio::{IoUringDriver, LegacyDriver, RuntimeBuilder};

use crate::gateway::Gateway;
use crate::upstream::dns::Resolver;
use crate::upstream::pool::UpstreamPool;

/// Capacity of the per-request read buffers (upstream reads land here).
pub const IO_BUF: usize = 64 * 1024;
/// Buffers that grew past this are freed, not kept (a large body must not pin memory).
const MAX_KEPT_BUF: usize = 2 * IO_BUF;
/// Free buffers kept per core: at most MAX_KEPT_BUFS x MAX_KEPT_BUF = 4 MiB held idle.
const MAX_KEPT_BUFS: usize = 32;
/// How often an idle accept loop looks at the shutdown flag.
const SHUTDOWN_POLL: Duration = Duration::from_millis(100);

/// What every core receives from the main thread: shared read-only state and handles.
#[derive(Debug, Clone)]
pub struct Shared {
    pub gateway: Arc<Gateway>,
    pub shutdown: Arc<AtomicBool>,
    pub resolver: Resolver,
    pub tls: Arc<rustls::ClientConfig>,
}

/// Start-up options a core needs.
#[derive(Debug, Clone)]
pub struct CoreOptions {
    pub epoll: bool,
    pub cpu: Option<usize>,
    pub shutdown_grace: Duration,
}

/// Per-core state handed to every connection task on the core.
pub struct Core {
    pub id: usize,
    pub gateway: Arc<Gateway>,
    pub pool: UpstreamPool,
    shutdown: Arc<AtomicBool>,
    /// Requests being served right now (graceful shutdown waits for 0).
    pub active: Cell<usize>,
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
        self.shutdown.load(Ordering::Relaxed)
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

/// Counts a request as in flight for as long as it lives.
#[derive(Debug)]
pub struct InFlight<'c>(&'c Core);

impl<'c> InFlight<'c> {
    pub fn new(core: &'c Core) -> Self {
        core.active.set(core.active.get() + 1);
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

/// Runs one core until shutdown; returns the driver name it used.
pub fn run(
    id: usize,
    listener: std::net::TcpListener,
    shared: Shared,
    opts: CoreOptions,
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
        let listener = TcpListener::from_std(listener)?;
        let core = Rc::new(Core {
            id,
            gateway: shared.gateway,
            pool: UpstreamPool::new(shared.resolver, shared.tls),
            shutdown: shared.shutdown,
            active: Cell::new(0),
            arena: RefCell::new(Bump::with_capacity(16 * 1024)),
            scratch: RefCell::new(Vec::with_capacity(16 * 1024)),
            bufs: RefCell::new(Vec::new()),
        });
        // One accept stays pending across shutdown polls: dropping an io_uring accept that
        // has already completed loses the accepted socket (monoio discards the result), and
        // that client would hang unanswered.
        let mut accept = Box::pin(listener.accept());
        loop {
            monoio::select! {
                accepted = &mut accept => {
                    accept = Box::pin(listener.accept());
                    match accepted {
                        Ok((stream, _peer)) => {
                            monoio::spawn(crate::conn::serve(core.clone(), stream));
                        }
                        Err(e) => {
                            tracing::warn!(core = id, error = %e, "accept failed");
                            monoio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                },
                _ = monoio::time::sleep(SHUTDOWN_POLL) => {
                    if core.shutting_down() { break; }
                }
            }
        }
        drop(accept);
        drop(listener);
        let deadline = Instant::now() + opts.shutdown_grace;
        while core.active.get() > 0 && Instant::now() < deadline {
            monoio::time::sleep(Duration::from_millis(20)).await;
        }
        if core.active.get() > 0 {
            tracing::warn!(
                core = id,
                in_flight = core.active.get(),
                "shutdown grace period over; dropping requests"
            );
        }
        Ok(())
    })
}
