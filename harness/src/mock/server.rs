//! Server threads: one monoio runtime and one SO_REUSEPORT listener per thread.

use super::conn::{serve_connection, ThreadState};
use super::fault::FlakyCounts;
use super::options::MockOptions;
use super::record::Recorder;
use monoio::net::TcpListener;
use monoio::{FusionDriver, LegacyDriver, RuntimeBuilder};
use std::cell::RefCell;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

/// Pause after a failed accept (EMFILE and the like) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// Starts every server thread, calls `ready` with the bound address once all listen, then
/// serves until the process ends. Returns only if a thread fails to start or stops.
pub fn run(options: MockOptions, ready: impl FnOnce(SocketAddr)) -> io::Result<()> {
    let mut address = (options.host.as_str(), options.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "host resolves to nothing"))?;
    let options = Arc::new(options);
    let (bound_tx, bound_rx) = mpsc::channel();
    let mut threads = Vec::new();
    for index in 0..options.threads.max(1) {
        let options = Arc::clone(&options);
        let bound_tx = bound_tx.clone();
        let handle = thread::Builder::new()
            .name(format!("mock-{index}"))
            .spawn(move || thread_main(index, options, address, bound_tx))?;
        threads.push(handle);
        // Threads bind one after another: with port 0 the first picks the port and the
        // others join it through SO_REUSEPORT.
        address = bound_rx
            .recv()
            .map_err(|_| io::Error::other("server thread exited before binding"))??;
    }
    ready(address);
    for handle in threads {
        if handle.join().is_err() {
            return Err(io::Error::other("server thread panicked"));
        }
    }
    Err(io::Error::other("server threads stopped"))
}

type Bound = mpsc::Sender<io::Result<SocketAddr>>;

fn thread_main(index: usize, options: Arc<MockOptions>, address: SocketAddr, bound: Bound) {
    if !options.cpus.is_empty() {
        let cpu = options.cpus[index % options.cpus.len()];
        if let Err(error) = monoio::utils::bind_to_cpu_set([cpu]) {
            eprintln!("corelane-mock: thread {index} not pinned to cpu {cpu}: {error:?}");
        }
    }
    let serve = || accept_loop(index, options.clone(), address, bound.clone());
    let started = if options.legacy_driver {
        RuntimeBuilder::<LegacyDriver>::new()
            .enable_timer()
            .build()
            .map(|mut runtime| runtime.block_on(serve()))
    } else {
        RuntimeBuilder::<FusionDriver>::new()
            .enable_timer()
            .build()
            .map(|mut runtime| runtime.block_on(serve()))
    };
    if let Err(error) = started {
        let _ = bound.send(Err(error));
    }
}

async fn accept_loop(index: usize, options: Arc<MockOptions>, address: SocketAddr, bound: Bound) {
    let listener = match TcpListener::bind(address).and_then(|listener| {
        let local = listener.local_addr()?;
        Ok((listener, local))
    }) {
        Ok((listener, local)) => {
            let _ = bound.send(Ok(local));
            listener
        }
        Err(error) => {
            let _ = bound.send(Err(error));
            return;
        }
    };
    let driver = if monoio::utils::is_legacy() {
        "epoll"
    } else {
        "io_uring"
    };
    eprintln!("corelane-mock: thread {index} serving with the {driver} driver");
    let state = Rc::new(ThreadState {
        options,
        recorder: RefCell::new(Recorder::default()),
        flaky: FlakyCounts::default(),
    });
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                monoio::spawn(serve_connection(stream, Rc::clone(&state)));
            }
            Err(error) => {
                eprintln!("corelane-mock: accept failed: {error}");
                monoio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}
