//! Sending the upstream request and relaying the answer to the client in bounded buffers:
//! small bodies whole (so the cost header can be computed), large bodies and streams piece by
//! piece, with the `model` value rewritten to the name the client asked for.

mod body;

use std::time::{Duration, Instant};

use corelane_http1::{
    parse_response, BodyKind, Method, SseFramer, Status, EMPTY_HEADER, LAST_CHUNK, MAX_HEADERS,
};
use corelane_transforms::error::write_upstream_error;
use corelane_transforms::provider::ProviderRow;
use corelane_transforms::rewrite::{rewrite_complete, ModelRewriter};
use corelane_transforms::stream::rewrite_chunk;
use corelane_transforms::usage::Usage;
use monoio::net::TcpStream;

use self::body::{begin_chunk, end_chunk, BodyDecoder};
use crate::core::Core;
use crate::errors::{GatewayError, Retry};
use crate::gateway::Upstream;
use crate::io::write_all;
use crate::proxy::Exchange;
use crate::response::{write_head, Framing};
use crate::upstream::conn::UpstreamConn;

/// Non-stream bodies up to this size are held whole: the response then carries
/// Content-Length and `x-litellm-response-cost`. Larger ones stream through in pieces.
pub const SMALL_BODY: usize = 256 * 1024;
/// Upstream error bodies are read up to this size for the error message.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// One SSE event may not exceed this (a chunk of a chat stream is well under 1 KiB).
const MAX_EVENT: usize = 4 * 1024 * 1024;

/// How a relayed response ended.
#[derive(Debug)]
pub struct Done {
    pub status: u16,
    pub usage: Option<Usage>,
    pub keep_alive: bool,
}

/// What of the upstream's response head is needed after its buffer moves on.
struct Head {
    status: u16,
    head_len: usize,
    body: BodyKind,
    keep_alive: bool,
    event_stream: bool,
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
    provider: &'static ProviderRow,
    upstream: &Upstream,
    mut request: Vec<u8>,
) -> Result<Done, GatewayError> {
    let dep = ex.deployment;
    let timeout = if ex.stream {
        dep.stream_timeout
    } else {
        dep.timeout
    };
    let deadline = Instant::now() + timeout;
    let connect_err = |e: std::io::Error| GatewayError::UpstreamConnect {
        provider: provider.name,
        detail: e.to_string(),
    };
    let mut attempt = 0;
    let (mut conn, mut rbuf, head) = loop {
        let (mut conn, reused) = match core.pool.checkout(&upstream.origin).await {
            Ok(c) => c,
            Err(e) => {
                let err = connect_err(e);
                if err.retry() == Retry::Yes && attempt == 0 {
                    attempt += 1;
                    ex.retries += 1;
                    continue;
                }
                return Err(err);
            }
        };
        let sent_at = Instant::now();
        let (res, back) = conn.write_all(request).await;
        request = back;
        if let Err(e) = res {
            if reused && attempt == 0 {
                attempt += 1;
                continue;
            }
            return Err(connect_err(e));
        }
        let rbuf = core.take_buf();
        match read_head(&mut conn, rbuf, deadline).await {
            Ok((rbuf, head)) => {
                ex.upstream_wait = sent_at.elapsed();
                break (conn, rbuf, head);
            }
            Err(HeadError::NothingReceived) if reused && attempt == 0 => {
                attempt += 1;
                continue;
            }
            Err(HeadError::NothingReceived) => {
                return Err(GatewayError::UpstreamProtocol {
                    provider: provider.name,
                    detail: "connection closed before any response".into(),
                })
            }
            Err(HeadError::Timeout) => {
                return Err(GatewayError::UpstreamTimeout {
                    provider: provider.name,
                    seconds: timeout.as_secs_f64(),
                })
            }
            Err(HeadError::Protocol(detail)) => {
                return Err(GatewayError::UpstreamProtocol {
                    provider: provider.name,
                    detail,
                })
            }
        }
    };
    core.give_buf(request);
    if head.status >= 400 {
        return Err(upstream_error(core, conn, rbuf, &head, provider, upstream, deadline).await);
    }
    let result = if ex.stream && head.event_stream {
        relay_stream(core, client, ex, &mut conn, &mut rbuf, &head, timeout).await
    } else {
        relay_body(core, client, ex, &mut conn, &mut rbuf, &head, deadline).await
    };
    core.give_buf(rbuf);
    let (done, reusable) = result?;
    if reusable && head.keep_alive {
        core.pool.checkin(&upstream.origin, conn);
    }
    Ok(done)
}

async fn read_head(
    conn: &mut UpstreamConn,
    mut buf: Vec<u8>,
    deadline: Instant,
) -> Result<(Vec<u8>, Head), HeadError> {
    let limits = corelane_http1::Limits::default();
    loop {
        if !buf.is_empty() {
            let mut headers = [EMPTY_HEADER; MAX_HEADERS];
            match parse_response(&buf, &mut headers, Method::Post, &limits) {
                Ok(Status::Complete(h)) if h.status < 200 => {
                    // Interim 1xx: drop it and read the final head.
                    let n = h.head_len;
                    buf.drain(..n);
                    continue;
                }
                Ok(Status::Complete(h)) => {
                    let event_stream = h.header("content-type").is_some_and(|v| {
                        v.len() >= 17 && v[..17].eq_ignore_ascii_case(b"text/event-stream")
                    });
                    let head = Head {
                        status: h.status,
                        head_len: h.head_len,
                        body: h.body,
                        keep_alive: h.keep_alive,
                        event_stream,
                    };
                    return Ok((buf, head));
                }
                Ok(Status::Partial) => {}
                Err(e) => return Err(HeadError::Protocol(format!("invalid response head: {e}"))),
            }
        }
        let had_bytes = !buf.is_empty();
        let left = deadline.saturating_duration_since(Instant::now());
        match monoio::time::timeout(left, conn.read_more(buf)).await {
            Ok((Ok(n), b)) if n > 0 => buf = b,
            Ok((Ok(_), _)) | Ok((Err(_), _)) if !had_bytes => {
                return Err(HeadError::NothingReceived)
            }
            Ok(_) => return Err(HeadError::Protocol("connection closed mid-head".into())),
            Err(_) => return Err(HeadError::Timeout),
        }
    }
}

/// Reads (a bounded prefix of) an upstream error body and maps it as LiteLLM does.
async fn upstream_error(
    core: &Core,
    mut conn: UpstreamConn,
    mut rbuf: Vec<u8>,
    head: &Head,
    provider: &'static ProviderRow,
    upstream: &Upstream,
    deadline: Instant,
) -> GatewayError {
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
        let left = deadline.saturating_duration_since(Instant::now());
        match monoio::time::timeout(left, conn.read_more(rbuf)).await {
            Ok((Ok(n), b)) if n > 0 => rbuf = b,
            Ok((_, b)) => {
                rbuf = b;
                decoder.eof();
                break;
            }
            Err(_) => {
                return GatewayError::UpstreamTimeout {
                    provider: provider.name,
                    seconds: 0.0,
                }
            }
        }
    }
    if decoder.reusable() && head.keep_alive {
        core.pool.checkin(&upstream.origin, conn);
    }
    core.give_buf(rbuf);
    let mut json = Vec::with_capacity(body.len() + 128);
    let status = write_upstream_error(provider.name, head.status, &body, &mut json);
    GatewayError::Upstream { status, json }
}

/// Reads more upstream bytes into the (emptied) buffer; `None` at end of stream.
async fn refill(
    conn: &mut UpstreamConn,
    rbuf: &mut Vec<u8>,
    limit: Duration,
) -> Result<Option<()>, ()> {
    rbuf.clear();
    let buf = std::mem::take(rbuf);
    match monoio::time::timeout(limit, conn.read_more(buf)).await {
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

/// A non-stream response: held whole when small, else streamed through chunked.
async fn relay_body(
    core: &Core,
    client: &mut TcpStream,
    ex: &Exchange<'_>,
    conn: &mut UpstreamConn,
    rbuf: &mut Vec<u8>,
    head: &Head,
    deadline: Instant,
) -> Result<(Done, bool), GatewayError> {
    let protocol = |detail: &str| GatewayError::UpstreamProtocol {
        provider: "upstream",
        detail: detail.to_owned(),
    };
    let mut decoder = BodyDecoder::new(head.body);
    let mut whole = core.take_buf();
    let mut pos = head.head_len;
    // Phase 1: collect up to SMALL_BODY.
    loop {
        decoder
            .feed(&rbuf[pos..], |d| whole.extend_from_slice(d))
            .map_err(|e| protocol(e.message()))?;
        if decoder.is_done() || whole.len() > SMALL_BODY {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match refill(conn, rbuf, left).await {
            Ok(Some(())) => pos = 0,
            Ok(None) => {
                if decoder.eof() {
                    break;
                }
                return Err(protocol("upstream closed the connection mid-body"));
            }
            Err(()) => {
                return Err(GatewayError::UpstreamTimeout {
                    provider: "upstream",
                    seconds: ex.deployment.timeout.as_secs_f64(),
                })
            }
        }
    }
    let mut out = core.take_buf();
    if decoder.is_done() {
        let mut body = core.take_buf();
        let usage = rewrite_complete(&whole, ex.requested_model, &mut body);
        let cost = ex.cost(usage.as_ref());
        write_head(
            &mut out,
            head.status,
            "application/json",
            Framing::Length(body.len()),
            ex.keep_alive,
            Some(&ex.headers(cost)),
        );
        out.extend_from_slice(&body);
        core.give_buf(body);
        core.give_buf(whole);
        let (res, out) = write_all(client, out).await;
        core.give_buf(out);
        let keep = res.is_ok() && ex.keep_alive;
        return Ok((done(head.status, usage, keep), decoder.reusable()));
    }
    // Phase 2: large body, streamed through the rewriter as chunks.
    write_head(
        &mut out,
        head.status,
        "application/json",
        Framing::Chunked,
        ex.keep_alive,
        Some(&ex.headers(None)),
    );
    let mut rewriter = ModelRewriter::new(ex.requested_model);
    let at = begin_chunk(&mut out);
    rewriter.feed(&whole, &mut out);
    end_chunk(&mut out, at);
    core.give_buf(whole);
    loop {
        let (res, back) = write_all(client, out).await;
        out = back;
        out.clear();
        if res.is_err() {
            // The client left: drop the upstream connection mid-body (never pooled).
            return Ok((done(head.status, None, false), false));
        }
        if decoder.is_done() {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let at = begin_chunk(&mut out);
        match refill(conn, rbuf, left).await {
            Ok(Some(())) => {
                if decoder.feed(rbuf, |d| rewriter.feed(d, &mut out)).is_err() {
                    // Bad framing mid-body: the headers are sent, so all that is left is to
                    // cut the response short (no terminating chunk) and drop both connections.
                    return Ok((done(head.status, None, false), false));
                }
            }
            Ok(None) => {
                if !decoder.eof() {
                    // Truncated: end the chunked body abnormally so the client sees the cut.
                    return Ok((done(head.status, None, false), false));
                }
            }
            Err(()) => return Ok((done(head.status, None, false), false)),
        }
        if decoder.is_done() {
            rewriter.finish(&mut out);
        }
        end_chunk(&mut out, at);
        if decoder.is_done() {
            out.extend_from_slice(LAST_CHUNK);
        }
    }
    core.give_buf(out);
    Ok((
        done(head.status, rewriter.usage(), ex.keep_alive),
        decoder.reusable(),
    ))
}

/// An SSE stream: each event's JSON gets the requested model; the usage chunk LiteLLM asked
/// for on the client's behalf is dropped unless the client asked for it too.
async fn relay_stream(
    core: &Core,
    client: &mut TcpStream,
    ex: &Exchange<'_>,
    conn: &mut UpstreamConn,
    rbuf: &mut Vec<u8>,
    head: &Head,
    idle: Duration,
) -> Result<(Done, bool), GatewayError> {
    let mut decoder = BodyDecoder::new(head.body);
    let mut framer = SseFramer::new(MAX_EVENT);
    let mut usage = None;
    let mut saw_done = false;
    let mut out = core.take_buf();
    write_head(
        &mut out,
        head.status,
        "text/event-stream",
        Framing::Chunked,
        ex.keep_alive,
        Some(&ex.headers(None)),
    );
    let mut pos = head.head_len;
    let mut failure: Option<&'static str> = None;
    loop {
        match decoder.feed(&rbuf[pos..], |d| framer.push(d)) {
            Ok(_) => {}
            Err(_) => failure = Some("invalid chunked framing from upstream"),
        }
        let at = begin_chunk(&mut out);
        loop {
            match framer.next_event() {
                Ok(Some(event)) => {
                    saw_done |= write_event(core, ex, event, &mut out, &mut usage);
                }
                Ok(None) => break,
                Err(_) => {
                    failure = Some("stream event too large");
                    break;
                }
            }
        }
        if decoder.is_done() || failure.is_some() {
            if let Some(rest) = framer.finish() {
                saw_done |= write_event(core, ex, rest, &mut out, &mut usage);
            }
            if !saw_done && failure.is_none() && decoder.is_done() {
                // A complete body without [DONE] is a finished stream too.
            } else if let Some(reason) = failure {
                write_error_event(reason, &mut out);
            }
            end_chunk(&mut out, at);
            out.extend_from_slice(LAST_CHUNK);
            let (res, back) = write_all(client, out).await;
            core.give_buf(back);
            let reusable = failure.is_none() && decoder.reusable();
            return Ok((
                done(head.status, usage, res.is_ok() && ex.keep_alive),
                reusable,
            ));
        }
        end_chunk(&mut out, at);
        if !out.is_empty() {
            let (res, back) = write_all(client, out).await;
            out = back;
            out.clear();
            if res.is_err() {
                core.give_buf(out);
                return Ok((done(head.status, usage, false), false));
            }
        }
        pos = 0;
        match refill(conn, rbuf, idle).await {
            Ok(Some(())) => {}
            Ok(None) => {
                if !decoder.eof() {
                    failure = Some("upstream closed the stream before it finished");
                }
                rbuf.clear();
            }
            Err(()) => {
                failure = Some("upstream stream timed out");
                rbuf.clear();
            }
        }
    }
}

/// Writes one event (rewritten when it is a JSON chunk); returns true for `[DONE]`.
fn write_event(
    core: &Core,
    ex: &Exchange<'_>,
    event: &[u8],
    out: &mut Vec<u8>,
    usage: &mut Option<Usage>,
) -> bool {
    let Some(data) = corelane_http1::single_data(event) else {
        if !event.iter().all(u8::is_ascii_whitespace) {
            out.extend_from_slice(event);
            out.extend_from_slice(b"\n\n");
        }
        return false;
    };
    if data == b"[DONE]" {
        write_sse_done(out);
        return true;
    }
    let mut arena = core.arena.borrow_mut();
    {
        let chunk = rewrite_chunk(data, ex.requested_model, &arena);
        if let Some(u) = chunk.usage {
            *usage = Some(u);
        }
        if !chunk.usage_only || ex.client_include_usage {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(chunk.data);
            out.extend_from_slice(b"\n\n");
        }
    }
    arena.reset();
    false
}

/// The terminating event of an OpenAI-compatible stream.
pub fn write_sse_done(out: &mut Vec<u8>) {
    out.extend_from_slice(b"data: [DONE]\n\n");
}

/// A mid-stream failure, reported in-band as LiteLLM does (never a silent cut).
fn write_error_event(reason: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"data: ");
    corelane_transforms::error::write_error(reason, "api_error", None, 502, out);
    out.extend_from_slice(b"\n\n");
}

fn done(status: u16, usage: Option<Usage>, keep_alive: bool) -> Done {
    Done {
        status,
        usage,
        keep_alive,
    }
}
