//! The load generator: keep-alive connections at fixed concurrency, closed loop or fixed rate.
//!
//! One thread runs one monoio runtime (epoll by default: on this kernel it costs less per
//! small request than io_uring, and the generator must stay cheaper than what it measures)
//! with one task per connection. A run is a warm-up, then a measured window; callbacks at the
//! window's edges let the caller sample the process under test at exactly those instants.

pub mod conn;
pub mod response;
pub mod stats;
pub mod target;

pub use stats::{ErrorCounts, LoadReport, Percentiles};
pub use target::{Target, TargetError};

use conn::{connection, Shared};
use stats::Recorder;
use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Default time allowed for one complete response before it counts as a timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Which monoio driver runs the generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Driver {
    #[default]
    Epoll,
    IoUring,
}

/// What to send, how hard, and for how long.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub target: Target,
    /// Connections, each carrying one request at a time.
    pub concurrency: usize,
    /// Requests per second for an open loop (start times fixed in advance, latency measured
    /// from the scheduled start so queueing is not hidden); `None` for a closed loop.
    pub rate: Option<f64>,
    pub warmup: Duration,
    pub duration: Duration,
    pub timeout: Duration,
    pub driver: Driver,
    /// CPU to pin the generator's thread to.
    pub cpu: Option<usize>,
}

impl LoadSpec {
    /// A closed loop at `concurrency` for `duration` after `warmup`.
    pub fn closed(
        target: Target,
        concurrency: usize,
        warmup: Duration,
        duration: Duration,
    ) -> Self {
        Self {
            target,
            concurrency,
            rate: None,
            warmup,
            duration,
            timeout: DEFAULT_TIMEOUT,
            driver: Driver::default(),
            cpu: None,
        }
    }
}

/// Called on the generator's thread when the measured window opens and when it closes.
pub trait WindowObserver: Send {
    fn window_opened(&mut self) {}
    fn window_closed(&mut self) {}
}

impl WindowObserver for () {}

/// Runs `spec` on a new thread and returns its report once the window has closed.
pub fn run<O: WindowObserver + 'static>(
    spec: LoadSpec,
    observer: O,
) -> io::Result<(LoadReport, O)> {
    if spec.concurrency == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "concurrency must be at least 1",
        ));
    }
    if spec
        .rate
        .is_some_and(|rate| !(rate.is_finite() && rate > 0.0))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "rate must be a positive number",
        ));
    }
    let thread = std::thread::Builder::new()
        .name("corelane-load".to_owned())
        .spawn(move || run_here(spec, observer))?;
    thread
        .join()
        .map_err(|_| io::Error::other("load thread panicked"))?
}

fn run_here<O: WindowObserver>(spec: LoadSpec, observer: O) -> io::Result<(LoadReport, O)> {
    if let Some(cpu) = spec.cpu {
        monoio::utils::bind_to_cpu_set([cpu]).map_err(|e| {
            io::Error::other(format!("cannot pin load generator to cpu {cpu}: {e:?}"))
        })?;
    }
    match spec.driver {
        Driver::Epoll => monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .build()?
            .block_on(drive(spec, observer)),
        Driver::IoUring => monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .enable_timer()
            .build()?
            .block_on(drive(spec, observer)),
    }
}

async fn drive<O: WindowObserver>(spec: LoadSpec, mut observer: O) -> io::Result<(LoadReport, O)> {
    let recorder = Recorder::new(spec.concurrency, spec.rate)
        .map_err(|e| io::Error::other(format!("histogram: {e}")))?;
    let started = Instant::now();
    let window_opens = started + spec.warmup;
    let ends = window_opens + spec.duration;
    let shared = Rc::new(Shared {
        address: spec.target.address,
        request: spec.target.request,
        interval: spec.rate.map(|rate| Duration::from_secs_f64(1.0 / rate)),
        started,
        ends,
        timeout: spec.timeout,
        next_slot: Cell::new(0),
        in_flight: Cell::new(0),
        recorder: RefCell::new(recorder),
    });
    for _ in 0..spec.concurrency {
        monoio::spawn(connection(Rc::clone(&shared)));
    }
    monoio::time::sleep_until(monoio::time::Instant::from_std(window_opens)).await;
    observer.window_opened();
    shared.recorder.borrow_mut().open_window();
    let opened = Instant::now();
    monoio::time::sleep_until(monoio::time::Instant::from_std(ends)).await;
    shared.recorder.borrow_mut().close_window();
    let closed = Instant::now();
    observer.window_closed();
    // The connection tasks still hold `shared`; swap the recorder out instead of unwrapping
    // the Rc. Tasks left running are dropped with the runtime, closing their sockets.
    let recorder = shared
        .recorder
        .replace(Recorder::new(1, None).map_err(|e| io::Error::other(format!("histogram: {e}")))?);
    Ok((
        recorder.finish(closed - opened, shared.in_flight.get()),
        observer,
    ))
}
