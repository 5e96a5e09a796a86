//! One load connection: send the request, read the whole response, record it, repeat.

use super::response::{ResponseError, ResponseReader};
use super::stats::{Completion, Failure, Recorder};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Read buffer of each connection; large bodies stream through it, never held whole.
const READ_BYTES: usize = 64 * 1024;
/// Pause after a failed connect so a refused port does not spin the generator's core.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// What every connection task of one run shares (a single thread: plain cells).
#[derive(Debug)]
pub struct Shared {
    pub address: SocketAddr,
    pub request: Vec<u8>,
    /// Open loop: time between scheduled starts.
    pub interval: Option<Duration>,
    pub started: Instant,
    pub ends: Instant,
    pub timeout: Duration,
    /// Open loop: index of the next scheduled start.
    pub next_slot: Cell<u64>,
    pub in_flight: Cell<u64>,
    pub recorder: RefCell<Recorder>,
}

impl Shared {
    /// When the next request should start, or `None` once the run is over.
    fn next_start(&self) -> Option<Instant> {
        let now = Instant::now();
        let start = match self.interval {
            None => now,
            Some(interval) => {
                let slot = self.next_slot.get();
                self.next_slot.set(slot + 1);
                let offset = interval.checked_mul(u32::try_from(slot).ok()?)?;
                self.started + offset
            }
        };
        (start < self.ends).then_some(start)
    }
}

/// Runs requests on one keep-alive connection until the run ends; reconnects after errors.
pub async fn connection(shared: Rc<Shared>) {
    let mut stream: Option<TcpStream> = None;
    let mut request = shared.request.clone();
    let mut buffer = Vec::with_capacity(READ_BYTES);
    let mut reader = ResponseReader::new();
    while let Some(start) = shared.next_start() {
        if start > Instant::now() {
            monoio::time::sleep_until(monoio::time::Instant::from_std(start)).await;
        }
        let mut conn = match stream.take() {
            Some(conn) => conn,
            None => match TcpStream::connect_addr(shared.address).await {
                Ok(conn) => {
                    let _ = conn.set_nodelay(true);
                    shared.recorder.borrow_mut().connected();
                    conn
                }
                Err(_) => {
                    shared.recorder.borrow_mut().fail(Failure::Connect);
                    monoio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
            },
        };
        shared.in_flight.set(shared.in_flight.get() + 1);
        shared.recorder.borrow_mut().sent();
        reader.reset();
        buffer.clear();
        let exchange = exchange(&mut conn, request, buffer, &mut reader, start);
        let outcome = monoio::time::timeout(shared.timeout, exchange).await;
        shared.in_flight.set(shared.in_flight.get() - 1);
        let mut recorder = shared.recorder.borrow_mut();
        match outcome {
            Ok((Ok(done), sent, read)) => {
                request = sent;
                buffer = read;
                recorder.complete(done);
                if reader.keep_alive() {
                    stream = Some(conn);
                }
            }
            Ok((Err(failure), sent, read)) => {
                request = sent;
                buffer = read;
                recorder.fail(failure);
            }
            Err(_) => {
                // The buffers went down with the dropped future; the connection goes too.
                request = shared.request.clone();
                buffer = Vec::with_capacity(READ_BYTES);
                recorder.fail(Failure::Timeout);
            }
        }
    }
}

/// Writes the request and reads one response; hands the buffers back in every case.
async fn exchange(
    conn: &mut TcpStream,
    request: Vec<u8>,
    mut buffer: Vec<u8>,
    reader: &mut ResponseReader,
    start: Instant,
) -> (Result<Completion, Failure>, Vec<u8>, Vec<u8>) {
    let (written, request) = conn.write_all(request).await;
    if written.is_err() {
        return (Err(Failure::Write), request, buffer);
    }
    let mut first_byte = None;
    loop {
        let len = buffer.len();
        if len == buffer.capacity() {
            // Only an unfinished head can fill the buffer; the reader bounds its size.
            buffer.reserve(READ_BYTES);
        }
        let cap = buffer.capacity();
        let (read, slice) = conn.read(buffer.slice_mut(len..cap)).await;
        buffer = slice.into_inner();
        let n = match read {
            Ok(n) => n,
            Err(_) => return (Err(Failure::Read), request, buffer),
        };
        if n == 0 {
            let result = if reader.eof() {
                Ok(completion(reader, start, first_byte))
            } else {
                Err(Failure::Closed)
            };
            return (result, request, buffer);
        }
        match reader.feed(&buffer) {
            Ok(fed) => {
                if first_byte.is_none() && reader.body_bytes() > 0 {
                    first_byte = Some(Instant::now());
                }
                buffer.drain(..fed.consumed);
                if fed.complete {
                    return (Ok(completion(reader, start, first_byte)), request, buffer);
                }
            }
            Err(ResponseError::BadHead | ResponseError::BadLength | ResponseError::BadChunk) => {
                return (Err(Failure::Malformed), request, buffer)
            }
        }
    }
}

fn completion(reader: &ResponseReader, start: Instant, first_byte: Option<Instant>) -> Completion {
    let now = Instant::now();
    Completion {
        status: reader.status(),
        latency: now.saturating_duration_since(start),
        // An empty body's first byte is its end.
        first_byte: first_byte.unwrap_or(now).saturating_duration_since(start),
        body_bytes: reader.body_bytes(),
        events: reader.events(),
    }
}
