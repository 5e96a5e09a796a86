//! Sending the upstream request and relaying the answer to the client in bounded buffers:
//! small bodies whole (so the cost header can be computed), large bodies and streams piece by
//! piece, with the `model` value rewritten to the name the client asked for.
//!
//! `mod.rs` sends the request (with the one retry on a dead pooled connection), reads the
//! response head and maps upstream errors; `whole` relays non-stream bodies, `sse` streams.
//! The framing on both sides is http1's: `BodyDecoder` reads the upstream body, and
//! `begin_chunk`/`end_chunk` frame chunks for the client.

mod sse;
mod whole;

use std::time::{Duration, Instant};

use corelane_http1::{header_slots, parse_response_uninit, BodyDecoder, BodyKind, Method, Status};
use corelane_transforms::openai::SplicePlan;
use corelane_transforms::provider::{Endpoint, ProviderRow};
use corelane_transforms::service_tier::ServiceTier;
use corelane_transforms::usage::Usage;
use monoio::net::TcpStream;

use crate::core::Core;
use crate::errors::GatewayError;
use crate::exchange::Exchange;
use crate::gateway::{Deployment, Upstream};
use crate::spill::{SpillFile, SPILL_PIECE};
use crate::upstream::conn::UpstreamConn;

/// Non-stream bodies up to this size are held whole: the response then carries
/// Content-Length and `x-litellm-response-cost`. Larger ones stream through in pieces.
pub const SMALL_BODY: usize = 256 * 1024;
/// Upstream error bodies are read up to this size for the error message.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// How long an upstream may think before the client's socket is watched for it leaving:
/// most answers of a fast upstream come sooner, and then the watch costs nothing.
const WATCH_AFTER: Duration = Duration::from_millis(50);
/// One SSE event may not exceed this (a chunk of a chat stream is well under 1 KiB).
const MAX_EVENT: usize = 4 * 1024 * 1024;

/// The upstream request, head and body, as `bytes[start..]` (see `proxy::build_upstream`);
/// for a spilled client body, `bytes` holds the head and the body follows from its file.
#[derive(Debug)]
pub struct UpstreamRequest<'a> {
    pub bytes: Vec<u8>,
    pub start: usize,
    pub spilled: Option<SpilledBody<'a>>,
}

/// A client body in a temporary file, and the edits that make it the upstream body.
#[derive(Debug)]
pub struct SpilledBody<'a> {
    pub file: &'a SpillFile,
    pub plan: SplicePlan,
}

/// How a relayed response ended.
#[derive(Debug)]
pub struct Done {
    pub status: u16,
    pub usage: Option<Usage>,
    /// The service tier the provider reported serving the request on (a whole answer's).
    pub service_tier: Option<ServiceTier>,
    pub keep_alive: bool,
    /// A failure after the answer started (reported in-band, or the client left).
    pub failure: Option<GatewayError>,
}

/// What of the upstream's response head is needed after its buffer moves on.
pub(super) struct Head {
    pub status: u16,
    pub head_len: usize,
    pub body: BodyKind,
    pub keep_alive: bool,
    pub event_stream: bool,
    /// The answer's `retry-after`, in whole seconds (the router's wait and cooldown).
    pub retry_after: Option<u64>,
}

enum HeadError {
    /// The connection closed or failed before a single response byte: safe to retry on a
    /// fresh connection when this one came from the pool.
    NothingReceived,
    Timeout,
    Protocol(String),
}

/// Sends `request` and relays the response. `Err` means nothing was written to the client.
pub async fn relay(
    core: &Core,
    client: &mut TcpStream,
    ex: &mut Exchange<'_>,
    dep: &Deployment,
    provider: &'static ProviderRow,
    upstream: &Upstream,
    request: UpstreamRequest<'_>,
) -> Result<Done, GatewayError> {
    let (timeout, _) = ex.timeout(dep);
    let began = Instant::now();
    let deadline = began + timeout;
    let (mut conn, mut rbuf, head) = send(
        core,
        Some(client),
        ex,
        provider,
        upstream,
        request,
        began,
        deadline,
    )
    .await?;
    // Shutdown may have started while the upstream thought: the answer then closes.
    ex.keep_alive &= !core.shutting_down();
    if head.status >= 400 {
        let endpoint = ex.endpoint();
        ex.upstream_retry_after = head.retry_after;
        let err = upstream_error(
            core, conn, rbuf, &head, provider, endpoint, upstream, deadline,
        )
        .await;
        ex.timings.upstream_done = Some(Instant::now());
        return Err(err.unwrap_or_else(|()| ex.upstream_timeout(provider.name)));
    }
    let result = if ex.stream && head.event_stream {
        sse::relay_stream(
            core, client, ex, provider, &mut conn, &mut rbuf, &head, timeout,
        )
        .await
    } else {
        whole::relay_body(
            core, client, ex, provider, &mut conn, &mut rbuf, &head, deadline,
        )
        .await
    };
    let done_at = Instant::now();
    ex.timings.upstream_done = Some(done_at);
    core.give_buf(rbuf);
    let (done, reusable) = result?;
    if reusable && head.keep_alive {
        core.pool.checkin(&upstream.origin, conn, done_at);
    }
    Ok(done)
}

/// Sends `request` and reads the whole success body into memory (up to `max` bytes), for an
/// answer the gateway assembles itself (a batch of models). Returns the decoded body. The
/// caller watches the client ([`unless_client_leaves`]).
pub async fn fetch(
    core: &Core,
    ex: &mut Exchange<'_>,
    dep: &Deployment,
    provider: &'static ProviderRow,
    upstream: &Upstream,
    request: UpstreamRequest<'_>,
    max: usize,
) -> Result<Vec<u8>, GatewayError> {
    let began = Instant::now();
    let deadline = began + ex.timeout(dep).0;
    let (mut conn, mut rbuf, head) =
        send(core, None, ex, provider, upstream, request, began, deadline).await?;
    if head.status >= 400 {
        let endpoint = ex.endpoint();
        let err = upstream_error(
            core, conn, rbuf, &head, provider, endpoint, upstream, deadline,
        )
        .await;
        ex.timings.upstream_done = Some(Instant::now());
        return Err(err.unwrap_or_else(|()| ex.upstream_timeout(provider.name)));
    }
    let mut decoder = BodyDecoder::new(head.body);
    let mut body = Vec::new();
    let collected = collect(
        ex,
        provider,
        &mut conn,
        &mut rbuf,
        head.head_len,
        &mut decoder,
        &mut body,
        max,
        deadline,
    )
    .await;
    let done_at = Instant::now();
    ex.timings.upstream_done = Some(done_at);
    core.give_buf(rbuf);
    collected?;
    if !decoder.is_done() {
        return Err(GatewayError::UpstreamProtocol {
            provider: provider.name,
            detail: format!("response larger than {max} bytes"),
        });
    }
    if decoder.reusable() && head.keep_alive {
        core.pool.checkin(&upstream.origin, conn, done_at);
    }
    Ok(body)
}

/// Feeds the body from `rbuf[pos..]` on into `into` until it is done or holds more than
/// `limit` bytes, reading more by `deadline`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn collect(
    ex: &Exchange<'_>,
    provider: &'static ProviderRow,
    conn: &mut UpstreamConn,
    rbuf: &mut Vec<u8>,
    mut pos: usize,
    decoder: &mut BodyDecoder,
    into: &mut Vec<u8>,
    limit: usize,
    deadline: Instant,
) -> Result<(), GatewayError> {
    let protocol = |detail: &str| GatewayError::UpstreamProtocol {
        provider: provider.name,
        detail: detail.to_owned(),
    };
    loop {
        decoder
            .feed(&rbuf[pos..], |d| into.extend_from_slice(d))
            .map_err(|e| protocol(e.message()))?;
        if decoder.is_done() || into.len() > limit {
            return Ok(());
        }
        match refill(conn, rbuf, deadline).await {
            Ok(Some(())) => pos = 0,
            Ok(None) if decoder.eof() => return Ok(()),
            Ok(None) => return Err(protocol("upstream closed the connection mid-body")),
            Err(()) => return Err(ex.upstream_timeout(provider.name)),
        }
    }
}

/// Sends `request` (one more attempt when the error allows it) and reads the response head,
/// watching for the client to leave meanwhile. `began` is the clock reading the deadline was
/// taken from.
#[allow(clippy::too_many_arguments)]
async fn send(
    core: &Core,
    mut client: Option<&mut TcpStream>,
    ex: &mut Exchange<'_>,
    provider: &'static ProviderRow,
    upstream: &Upstream,
    request: UpstreamRequest<'_>,
    began: Instant,
    deadline: Instant,
) -> Result<(UpstreamConn, Vec<u8>, Head), GatewayError> {
    let UpstreamRequest {
        bytes: mut request,
        start,
        spilled,
    } = request;
    // One more attempt is made when the error allows it (a failed connect, or a pooled
    // connection the peer had closed); the error decides, not this loop.
    let mut attempt = 0;
    let sent = loop {
        let now = if attempt == 0 { began } else { Instant::now() };
        let (mut conn, reused) = match core.pool.checkout(&upstream.origin, now).await {
            Ok(c) => c,
            Err(e) => {
                let err = GatewayError::UpstreamConnect {
                    provider: provider.name,
                    detail: e.to_string(),
                };
                if attempt == 0 && err.retry().allows(false) {
                    attempt += 1;
                    ex.retries += 1;
                    continue;
                }
                return Err(err);
            }
        };
        // A new connection took its connect time: the request goes out now.
        let sent_at = if reused { now } else { Instant::now() };
        ex.timings.sent = Some(sent_at);
        let (res, back) = conn.write_from(request, start).await;
        request = back;
        let res = match (res, &spilled) {
            (Ok(()), Some(body)) => {
                // An upstream that stops reading must not hold the request past its deadline.
                monoio::time::timeout_at(deadline.into(), send_spilled(core, &mut conn, body))
                    .await
                    .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
            }
            (res, _) => res,
        };
        if let Err(e) = res {
            let err = if e.kind() == std::io::ErrorKind::TimedOut {
                ex.upstream_timeout(provider.name)
            } else {
                GatewayError::UpstreamSend {
                    provider: provider.name,
                    detail: e.to_string(),
                }
            };
            if attempt == 0 && err.retry().allows(reused) {
                attempt += 1;
                continue;
            }
            return Err(err);
        }
        let rbuf = core.take_buf();
        // A client that leaves while the upstream thinks cancels the upstream request.
        let reading = read_head(&mut conn, rbuf, deadline);
        let head = match client.as_deref_mut() {
            Some(client) => unless_client_leaves(client, &mut ex.early, sent_at, reading).await?,
            None => reading.await,
        };
        match head {
            Ok((rbuf, head)) => {
                ex.timings.upstream_head = Some(Instant::now());
                break (conn, rbuf, head);
            }
            Err(HeadError::NothingReceived) => {
                let err = GatewayError::UpstreamClosed {
                    provider: provider.name,
                };
                if attempt == 0 && err.retry().allows(reused) {
                    attempt += 1;
                    continue;
                }
                return Err(err);
            }
            Err(HeadError::Timeout) => return Err(ex.upstream_timeout(provider.name)),
            Err(HeadError::Protocol(detail)) => {
                return Err(GatewayError::UpstreamProtocol {
                    provider: provider.name,
                    detail,
                })
            }
        }
    };
    core.give_buf(request);
    Ok(sent)
}

async fn read_head(
    conn: &mut UpstreamConn,
    mut buf: Vec<u8>,
    deadline: Instant,
) -> Result<(Vec<u8>, Head), HeadError> {
    let limits = corelane_http1::Limits::default();
    loop {
        if !buf.is_empty() {
            let mut headers = header_slots();
            match parse_response_uninit(&buf, &mut headers, Method::Post, &limits) {
                Ok(Status::Complete(h)) if h.status < 200 => {
                    // Interim 1xx: drop it and read the final head.
                    let n = h.head_len;
                    buf.drain(..n);
                    continue;
                }
                Ok(Status::Complete(h)) => {
                    // SSE, AWS's binary event stream (Bedrock) or NDJSON (Ollama).
                    let event_stream = h.header("content-type").is_some_and(|v| {
                        let starts =
                            |p: &[u8]| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p);
                        starts(b"text/event-stream")
                            || starts(b"application/vnd.amazon.eventstream")
                            || starts(b"application/x-ndjson")
                    });
                    // Read only on error answers: a success's head is not searched again.
                    let retry_after = (h.status >= 400)
                        .then(|| h.header("retry-after"))
                        .flatten()
                        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok());
                    let head = Head {
                        status: h.status,
                        head_len: h.head_len,
                        body: h.body,
                        keep_alive: h.keep_alive,
                        event_stream,
                        retry_after,
                    };
                    return Ok((buf, head));
                }
                Ok(Status::Partial) => {}
                Err(e) => return Err(HeadError::Protocol(format!("invalid response head: {e}"))),
            }
        }
        let had_bytes = !buf.is_empty();
        match monoio::time::timeout_at(deadline.into(), conn.read_more(buf)).await {
            Ok((Ok(n), b)) if n > 0 => buf = b,
            Ok((Ok(_), _)) | Ok((Err(_), _)) if !had_bytes => {
                return Err(HeadError::NothingReceived)
            }
            Ok(_) => return Err(HeadError::Protocol("connection closed mid-head".into())),
            Err(_) => return Err(HeadError::Timeout),
        }
    }
}

/// Reads (a bounded prefix of) an upstream error body and maps it as LiteLLM does; `Err`
/// when the deadline passes first.
#[allow(clippy::too_many_arguments)]
async fn upstream_error(
    core: &Core,
    mut conn: UpstreamConn,
    mut rbuf: Vec<u8>,
    head: &Head,
    provider: &'static ProviderRow,
    endpoint: Endpoint,
    upstream: &Upstream,
    deadline: Instant,
) -> Result<GatewayError, ()> {
    let mut decoder = BodyDecoder::new(head.body);
    let mut body = Vec::new();
    let mut pos = head.head_len;
    loop {
        let fed = decoder.feed(&rbuf[pos..], |d| {
            let room = MAX_ERROR_BODY.saturating_sub(body.len());
            body.extend_from_slice(&d[..d.len().min(room)]);
        });
        if fed.is_err() || decoder.is_done() || body.len() >= MAX_ERROR_BODY {
            break;
        }
        rbuf.clear();
        pos = 0;
        match monoio::time::timeout_at(deadline.into(), conn.read_more(rbuf)).await {
            Ok((Ok(n), b)) if n > 0 => rbuf = b,
            Ok((_, b)) => {
                rbuf = b;
                decoder.eof();
                break;
            }
            Err(_) => return Err(()),
        }
    }
    if decoder.reusable() && head.keep_alive {
        core.pool.checkin(&upstream.origin, conn, Instant::now());
    }
    core.give_buf(rbuf);
    let mut message = String::with_capacity(128);
    let map = corelane_transforms::family::map_error(
        provider,
        endpoint,
        head.status,
        &body,
        &mut message,
    );
    Ok(GatewayError::Upstream {
        provider: provider.name,
        map,
        message,
    })
}

/// Sends a spilled client body from its file, spliced piece by piece.
async fn send_spilled(
    core: &Core,
    conn: &mut UpstreamConn,
    body: &SpilledBody<'_>,
) -> std::io::Result<()> {
    let len = body.file.len();
    let mut piece = core.take_buf();
    let mut out = core.take_buf();
    let mut offset = 0u64;
    while offset < len {
        let n = (len - offset).min(SPILL_PIECE as u64) as usize;
        piece = body.file.read_at(offset, n, piece).await?;
        out.clear();
        body.plan.apply(&piece, offset as usize, &mut out);
        let (written, back) = conn.write_from(out, 0).await;
        out = back;
        written?;
        offset += n as u64;
    }
    core.give_buf(piece);
    core.give_buf(out);
    Ok(())
}

/// Whether a client whose socket turned readable while it waited has gone (closed or reset
/// its connection). Bytes it sent instead (a pipelined next request) are kept in `early`.
/// Awaits `work` while watching the client from `since` + [`WATCH_AFTER`] on: a client that
/// leaves first ends it with `ClientGone`, and `work` is dropped (the upstream connections it
/// holds close, never pooled). Bytes the client sends meanwhile (a pipelined request) go to
/// `early` and the work goes on. The watch only waits for readiness, which holds no bytes;
/// the read that tells bytes from an end runs to completion outside the race, since dropping
/// an in-flight read would lose what it took.
pub async fn unless_client_leaves<T>(
    client: &mut TcpStream,
    early: &mut Vec<u8>,
    since: Instant,
    work: impl std::future::Future<Output = T>,
) -> Result<T, GatewayError> {
    let mut work = std::pin::pin!(work);
    let raced = {
        let watch = async {
            monoio::time::sleep_until((since + WATCH_AFTER).into()).await;
            client.readable(false).await
        };
        monoio::select! {
            biased;
            out = &mut work => Some(out),
            _ = watch => None,
        }
    };
    match raced {
        Some(out) => Ok(out),
        None if client_left(client, early).await => Err(GatewayError::ClientGone),
        None => Ok(work.await),
    }
}

async fn client_left(client: &mut TcpStream, early: &mut Vec<u8>) -> bool {
    // Readable: the read completes at once, with bytes or with the end of the stream.
    let buf = Vec::with_capacity(crate::io::MIN_READ_ROOM);
    let (res, buf) = monoio::io::AsyncReadRent::read(client, buf).await;
    match res {
        Ok(n) if n > 0 => {
            early.extend_from_slice(&buf[..n]);
            false
        }
        _ => true,
    }
}

/// Reads more upstream bytes into the (emptied) buffer; `None` at end of stream.
pub(super) async fn refill(
    conn: &mut UpstreamConn,
    rbuf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<Option<()>, ()> {
    rbuf.clear();
    let buf = std::mem::take(rbuf);
    match monoio::time::timeout_at(deadline.into(), conn.read_more(buf)).await {
        Ok((Ok(n), b)) => {
            *rbuf = b;
            Ok((n > 0).then_some(()))
        }
        Ok((Err(_), b)) => {
            *rbuf = b;
            Ok(None)
        }
        Err(_) => Err(()),
    }
}

pub(super) fn done(status: u16, usage: Option<Usage>, keep_alive: bool) -> Done {
    Done {
        status,
        usage,
        service_tier: None,
        keep_alive,
        failure: None,
    }
}
