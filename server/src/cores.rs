//! The cores: each runs its monoio runtime, accepts on its listener, serves connections,
//! gives idle memory back, and drains at shutdown.

use std::rc::Rc;
use std::time::{Duration, Instant};

use monoio::net::TcpListener;
use monoio::time::TimeDriver;
use monoio::{IoUringDriver, LegacyDriver, RuntimeBuilder};

use crate::access_log::FLUSH_EVERY;
use crate::core::{Core, CoreOptions, OpenConn, Shared};
use crate::metrics::{Inbox, Metrics};

/// Back-off after a failed accept (descriptors exhausted), doubled up to the maximum.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));
/// Repeated warnings (accept failures, connections over the cap) are logged at most this often.
const WARN_EVERY: Duration = Duration::from_secs(10);
/// A core that started no request for this long gives its free buffers and cached pages back.
const IDLE_TRIM: Duration = Duration::from_millis(500);
/// After the grace period, how long cut streams get to write their final error event.
const CUT_WRITE: Duration = Duration::from_millis(200);

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

type Runtime = monoio::FusionRuntime<TimeDriver<IoUringDriver>, TimeDriver<LegacyDriver>>;

/// Builds the core's runtime: io_uring when the kernel allows it (probed by monoio), else epoll.
///
/// The ring runs completion work only when this thread enters the kernel (single issuer,
/// deferred task-run; kernel 6.1+), or at least without interrupting it (cooperative
/// task-run; 5.19+). With the kernel's default, every completion that another CPU causes
/// (the peer's bytes arriving) interrupts the core with an IPI to run it: on chat at 50
/// connections that was ~0.4 IPIs per request, and deferring cut the core's system time
/// from 27 to 20 µs per request (harness, 13 alternating runs, medians). Each core builds and drives its
/// own ring on its own thread, as single issuer requires. Older kernels refuse the flags;
/// the ring is then built with fewer.
fn runtime(epoll: bool) -> std::io::Result<Runtime> {
    if epoll {
        return Ok(RuntimeBuilder::<LegacyDriver>::new()
            .enable_timer()
            .build()?
            .into());
    }
    let build = |flags: io_uring::Builder| {
        RuntimeBuilder::<monoio::FusionDriver>::new()
            .enable_timer()
            .uring_builder(flags)
            .build()
    };
    let mut deferred = io_uring::IoUring::builder();
    deferred.setup_single_issuer().setup_defer_taskrun();
    let mut cooperative = io_uring::IoUring::builder();
    cooperative.setup_coop_taskrun();
    build(deferred)
        .or_else(|_| build(cooperative))
        .or_else(|_| build(io_uring::IoUring::builder()))
}

/// Runs one core until `stop` says so; reports the driver it uses on `started`.
pub fn run(
    id: usize,
    listener: std::net::TcpListener,
    shared: Shared,
    opts: CoreOptions,
    stop: flume::Receiver<()>,
    inbox: Option<Inbox>,
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
        // The same socket, for taking what is left in its queue at shutdown without waiting.
        let backlog = listener.try_clone()?;
        let listener = TcpListener::from_std(listener)?;
        let core = Rc::new(Core::new(id, shared, opts.limits));
        monoio::spawn(trim_when_idle(core.clone()));
        if let Some(inbox) = inbox {
            monoio::spawn(Metrics::serve(core.clone(), inbox));
        }
        if core.access_log.enabled() {
            monoio::spawn(flush_access_log(core.clone()));
        }
        if let Some(link) = &core.plugins {
            use crate::plugins::HookSet;
            if link
                .sidecar
                .hooks
                .intersects(HookSet::LOG_SUCCESS.union(HookSet::LOG_FAILURE))
            {
                monoio::spawn(link.clone().flush_logs());
            }
        }
        // One loop for the process: the reasons it lives on core 0 are in `health_check`.
        if id == 0 && core.health_checks.background_interval().is_some() {
            let checks = core.health_checks.clone();
            monoio::spawn(crate::health_check::run_background(core.clone(), checks));
        }
        // Ready: what the core holds for its life is open, so "listening" means settled.
        let _ = started.send((id, driver));
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

/// Hands the access log's buffered lines to its writer now and then.
async fn flush_access_log(core: Rc<Core>) {
    while !core.shutting_down() {
        monoio::time::sleep(FLUSH_EVERY).await;
        core.access_log.flush();
    }
    core.access_log.flush();
}

/// Gives the free buffers back, and the allocator's cached pages to the OS, once the core has
/// had no request for a while: they speed up a busy core, and an idle one returns to its idle
/// memory.
async fn trim_when_idle(core: Rc<Core>) {
    let mut seen = core.started();
    let mut trimmed = true;
    while !core.shutting_down() {
        monoio::time::sleep(IDLE_TRIM).await;
        let started = core.started();
        let idle = started == seen && core.active.get() == 0;
        seen = started;
        if !idle {
            trimmed = false;
        } else if !trimmed {
            core.drop_free_buffers();
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
