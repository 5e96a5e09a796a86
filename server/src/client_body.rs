//! Reading a request body: in the connection's buffer right after the head when it is small,
//! spilled to a temporary file when it is large, so memory stays flat with request size. The
//! buffer grows with what arrived (never with what the head announced), a chunked body is
//! decoded in place, every growth is charged to the core's body budget, and a body must keep
//! a minimum pace.

use std::time::{Duration, Instant};

use corelane_http1::{BodyDecoder, BodyKind};
use corelane_transforms::openai::{BodyScanner, RequestError, RequestFields};
use monoio::net::TcpStream;

use crate::core::{BodyCharge, Core};
use crate::errors::GatewayError;
use crate::io::{read_until, Stop};
use crate::io::{write_all, MIN_READ_ROOM};
use crate::spill::{SpillFile, SPILL_PIECE};

/// Bodies larger than this are spilled to a temporary file instead of held in memory (where
/// they would also be copied into the parse scratch and the upstream request).
pub const SPILL_ABOVE: usize = 1024 * 1024;

/// Where a body ended up.
#[derive(Debug)]
pub enum BodyIn {
    /// In the connection's buffer, from the end of the head to this offset.
    Buf(usize),
    /// In a temporary file; the fields the gateway reads were scanned as it arrived.
    Spilled(Box<Spilled>),
}

/// A request body in a temporary file, and what the gateway read from it on the way in.
#[derive(Debug)]
pub struct Spilled {
    pub file: SpillFile,
    pub fields: Result<RequestFields, RequestError>,
}

/// Why reading a body stopped without a body: an answer to give, or `None` (client gone).
type Failed = Option<GatewayError>;

/// Reads the body of a request whose head ends at `head_len` in `buf`.
pub async fn read_body(
    core: &Core,
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    head_len: usize,
    kind: BodyKind,
    expect_continue: bool,
    charge: &mut BodyCharge<'_>,
) -> Result<BodyIn, Failed> {
    let mut pace = BodyPace::new(core);
    let decoder = match kind.known_end(head_len) {
        // Empty, or a Content-Length body that arrived with its head.
        Some(end) if buf.len() >= end => return Ok(BodyIn::Buf(end)),
        // A Content-Length body still on its way: in memory while it is small and the budget
        // takes it, else spilled.
        Some(end) => {
            if expect_continue {
                send_continue(stream).await?;
            }
            if end - head_len <= SPILL_ABOVE {
                match read_length(stream, buf, end, charge, &mut pace).await? {
                    Fit::InMemory => return Ok(BodyIn::Buf(end)),
                    // The budget is spent: the rest goes to a file.
                    Fit::OverBudget => {}
                }
            }
            BodyDecoder::new(kind)
        }
        // A chunked body: decoded in place, in memory until it outgrows SPILL_ABOVE or the
        // budget.
        None if kind == BodyKind::Chunked => {
            let mut decoder = BodyDecoder::new(kind);
            let mut continued = !expect_continue;
            let ended = read_chunked(
                core,
                stream,
                buf,
                head_len,
                &mut decoder,
                charge,
                &mut pace,
                &mut continued,
            )
            .await?;
            match ended {
                Chunked::Done(end) => return Ok(BodyIn::Buf(end)),
                Chunked::Spill(decoded_end) => {
                    return spill(
                        core,
                        stream,
                        buf,
                        head_len,
                        decoded_end,
                        decoder,
                        charge,
                        &mut pace,
                    )
                    .await
                }
            }
        }
        // A request body is never close-delimited (RFC 9112 §6.3 item 6); parse_request
        // does not produce one, and this keeps the match exhaustive.
        None => return Err(Some(GatewayError::Framing(corelane_http1::Error::BadHead))),
    };
    spill(
        core, stream, buf, head_len, head_len, decoder, charge, &mut pace,
    )
    .await
}

/// How reading a chunked body in memory ended.
enum Chunked {
    /// The body ended; it lies between the head and this offset.
    Done(usize),
    /// Past [`SPILL_ABOVE`] or the budget: the decoded part ends at this offset, the raw
    /// rest follows it.
    Spill(usize),
}

/// Whether a body read into memory fitted the core's budget.
enum Fit {
    InMemory,
    /// The budget could not take it; the caller spills the rest.
    OverBudget,
}

/// Reads a Content-Length body into `buf` up to `end`, while the budget takes it.
async fn read_length(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    end: usize,
    charge: &mut BodyCharge<'_>,
    pace: &mut BodyPace,
) -> Result<Fit, Failed> {
    while buf.len() < end {
        if !room(buf, end - buf.len(), charge) {
            return Ok(Fit::OverBudget);
        }
        read_more(stream, buf, pace).await?;
    }
    Ok(Fit::InMemory)
}

/// Decodes a chunked body in place in `buf`, in memory while it stays within [`SPILL_ABOVE`]
/// and the budget.
#[allow(clippy::too_many_arguments)]
async fn read_chunked(
    core: &Core,
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    head_len: usize,
    decoder: &mut BodyDecoder,
    charge: &mut BodyCharge<'_>,
    pace: &mut BodyPace,
    continued: &mut bool,
) -> Result<Chunked, Failed> {
    let mut write = head_len;
    loop {
        let (r, w) = decoder
            .decode_in_place(buf, write, write)
            .map_err(|e| Some(GatewayError::Framing(e)))?;
        // Move what is not decoded yet down against the decoded data, so the raw bytes and
        // the body share one buffer and it grows only with the body.
        buf.copy_within(r.., w);
        buf.truncate(w + (buf.len() - r));
        write = w;
        check_max(core, decoder)?;
        if decoder.is_done() {
            return Ok(Chunked::Done(write));
        }
        if write - head_len > SPILL_ABOVE {
            return Ok(Chunked::Spill(write));
        }
        if !*continued {
            *continued = true;
            send_continue(stream).await?;
        }
        if !room(buf, buf.len().max(MIN_READ_ROOM), charge) {
            return Ok(Chunked::Spill(write));
        }
        read_more(stream, buf, pace).await?;
    }
}

/// Spills the body to a temporary file: what is already decoded in `buf` (from the head to
/// `decoded_end`), then the rest as it arrives, scanned on the way. Memory stays at the head
/// plus a piece.
#[allow(clippy::too_many_arguments)]
async fn spill(
    core: &Core,
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    head_len: usize,
    decoded_end: usize,
    mut decoder: BodyDecoder,
    charge: &mut BodyCharge<'_>,
    pace: &mut BodyPace,
) -> Result<BodyIn, Failed> {
    let mut file = match core.spiller.create().await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "cannot create a temporary file for a request body");
            return Err(Some(GatewayError::BodyStore));
        }
    };
    let mut scanner = BodyScanner::new();
    let mut piece = core.take_buf();
    feed(
        &mut scanner,
        &mut file,
        &mut piece,
        &buf[head_len..decoded_end],
    )
    .await?;
    buf.copy_within(decoded_end.., head_len);
    buf.truncate(head_len + (buf.len() - decoded_end));
    loop {
        // Take the body bytes out of the raw window after the head (decoded in place when
        // chunked), then drop what was consumed.
        let (r, w) = decoder
            .decode_in_place(buf, head_len, head_len)
            .map_err(|e| Some(GatewayError::Framing(e)))?;
        check_max(core, &decoder)?;
        feed(&mut scanner, &mut file, &mut piece, &buf[head_len..w]).await?;
        buf.copy_within(r.., head_len);
        buf.truncate(head_len + (buf.len() - r));
        if decoder.is_done() {
            break;
        }
        // What the body grew in memory before it spilled goes back (and so does its charge):
        // from here on the buffer holds the head and one piece of raw bytes.
        if buf.capacity() > head_len + 2 * SPILL_PIECE {
            buf.shrink_to(head_len + SPILL_PIECE + MIN_READ_ROOM);
        }
        if buf.capacity() - buf.len() < MIN_READ_ROOM {
            buf.reserve_exact(SPILL_PIECE);
        }
        if !charge.set(buf.capacity() + piece.capacity()) {
            return Err(Some(GatewayError::BodyBudget));
        }
        read_more(stream, buf, pace).await?;
    }
    if !piece.is_empty() {
        piece = append(&mut file, piece).await?;
    }
    core.give_buf(piece);
    Ok(BodyIn::Spilled(Box::new(Spilled {
        file,
        fields: scanner.finish(),
    })))
}

/// Scans `data` and queues it for the file in pieces of [`SPILL_PIECE`].
async fn feed(
    scanner: &mut BodyScanner,
    file: &mut SpillFile,
    piece: &mut Vec<u8>,
    data: &[u8],
) -> Result<(), Failed> {
    for part in data.chunks(SPILL_PIECE) {
        // An invalid body is answered at once: the rest of it is never read.
        scanner
            .feed(part)
            .map_err(|e| Some(GatewayError::Json(e)))?;
        piece.extend_from_slice(part);
        if piece.len() >= SPILL_PIECE {
            *piece = append(file, std::mem::take(piece)).await?;
        }
    }
    Ok(())
}

async fn append(file: &mut SpillFile, piece: Vec<u8>) -> Result<Vec<u8>, Failed> {
    file.append(piece).await.map_err(|e| {
        tracing::warn!(error = %e, "cannot write a request body to its temporary file");
        Some(GatewayError::BodyStore)
    })
}

fn check_max(core: &Core, decoder: &BodyDecoder) -> Result<(), Failed> {
    if decoder.data_bytes() > core.gateway.limits.max_body_bytes {
        return Err(Some(GatewayError::Framing(
            corelane_http1::Error::BodyTooLarge,
        )));
    }
    Ok(())
}

/// What a body held in memory costs per byte of its buffer: the buffer, the parse scratch
/// copy and the upstream request it is spliced into.
const IN_MEMORY_COPIES: usize = 3;

/// Makes room in `buf` for one more read, growing geometrically but never past `want` more
/// bytes; false when the core's budget cannot take the growth.
fn room(buf: &mut Vec<u8>, want: usize, charge: &mut BodyCharge<'_>) -> bool {
    let grown = if buf.capacity() - buf.len() < MIN_READ_ROOM {
        buf.len() + want.clamp(MIN_READ_ROOM, buf.len().max(MIN_READ_ROOM))
    } else {
        buf.capacity()
    };
    if !charge.grow_to(IN_MEMORY_COPIES * grown) {
        return false;
    }
    if grown > buf.capacity() {
        buf.reserve_exact(grown - buf.len());
    }
    true
}

/// The pace a body must keep: no read may wait longer than the body timeout, and once one body
/// timeout has passed the body must have averaged the minimum rate (a slow start is not an
/// attack; a steady trickle is).
struct BodyPace {
    start: Instant,
    got: usize,
    timeout: Duration,
    min_rate: u64,
}

impl BodyPace {
    fn new(core: &Core) -> Self {
        BodyPace {
            start: Instant::now(),
            got: 0,
            timeout: core.limits.body_timeout,
            min_rate: core.limits.body_min_rate,
        }
    }

    fn deadline(&self) -> Instant {
        let silence = Instant::now() + self.timeout;
        if self.min_rate == 0 {
            return silence;
        }
        let earned = Duration::from_secs_f64(self.got as f64 / self.min_rate as f64);
        silence.min(self.start + self.timeout + earned)
    }
}

/// Reads more body bytes into `buf` by the pace's deadline.
async fn read_more(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    pace: &mut BodyPace,
) -> Result<(), Failed> {
    let before = buf.len();
    *buf = read_until(stream, std::mem::take(buf), pace.deadline())
        .await
        .map_err(|s| match s {
            Stop::Late => Some(GatewayError::ClientTimeout),
            Stop::Gone | Stop::Draining => None,
        })?;
    pace.got += buf.len() - before;
    Ok(())
}

async fn send_continue(stream: &mut TcpStream) -> Result<(), Failed> {
    let (res, _) = write_all(stream, b"HTTP/1.1 100 Continue\r\n\r\n".to_vec()).await;
    res.map_err(|_| None)
}
