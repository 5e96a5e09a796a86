//! One client connection: wait for a request, read its head within a deadline, admit it
//! (route and key) before reading a byte of its body, read the body (`client_body`), hand the
//! request to the proxy, repeat while kept alive.

use std::ops::Range;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corelane_http1::{
    header_slots, parse_request_uninit, BodyKind, HeadScan, Method, RequestHead, Status,
};
use monoio::net::TcpStream;

use crate::client_body::{read_body, BodyIn};
use crate::core::{BodyCharge, Core, InFlight, OpenConn, CONN_BUF};
use crate::errors::{Dialect, GatewayError};
use crate::exchange::{Exchange, Request};
use crate::io::{read_until, write_all, Stop};
use crate::proxy::{self, Admitted};
use crate::response::write_json;
use crate::routes::{self, Route};

/// A buffer that grew past this for a large request is given back before the connection
/// waits for the next one.
const MAX_IDLE_BUF: usize = 4 * CONN_BUF;

/// How long a closing connection keeps discarding a body its client is still sending
/// (nginx's `lingering_time` is 30 s).
const LINGER_TIME: Duration = Duration::from_secs(5);
/// How much of such a body is discarded at most: a larger upload is reset instead.
const LINGER_MAX_BYTES: usize = 4 * 1024 * 1024;
/// Read size while discarding.
const LINGER_BUF: usize = 16 * 1024;

/// Headers LiteLLM reads the caller's key from, in the order it looks at them.
const KEY_HEADERS: [&str; 5] = [
    "authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-litellm-api-key",
];

/// What of a parsed head outlives the borrow of the buffer: offsets, not slices.
struct HeadInfo {
    method: Method,
    target: Range<usize>,
    head_len: usize,
    body: BodyKind,
    keep_alive: bool,
    expect_continue: bool,
    key: Option<Range<usize>>,
    anthropic_beta: Option<Range<usize>>,
    num_retries: Option<Range<usize>>,
    timeout: Option<Range<usize>>,
    stream_timeout: Option<Range<usize>>,
    tags: Option<Range<usize>>,
}

impl HeadInfo {
    fn new(head: &RequestHead<'_, '_>, buf: &[u8], key_header: Option<&str>) -> Self {
        let offset = |s: &[u8]| {
            let start = s.as_ptr() as usize - buf.as_ptr() as usize;
            start..start + s.len()
        };
        let key = key_header
            .and_then(|h| head.header(h))
            .or_else(|| KEY_HEADERS.iter().find_map(|h| head.header(h)))
            .map(strip_bearer)
            .filter(|k| !k.is_empty())
            .map(offset);
        HeadInfo {
            method: head.method,
            target: offset(head.path.as_bytes()),
            head_len: head.head_len,
            body: head.body,
            keep_alive: head.keep_alive,
            expect_continue: head.expect_continue,
            key,
            anthropic_beta: head.header("anthropic-beta").map(offset),
            num_retries: head.header("x-litellm-num-retries").map(offset),
            timeout: head.header("x-litellm-timeout").map(offset),
            stream_timeout: head.header("x-litellm-stream-timeout").map(offset),
            tags: head.header("x-litellm-tags").map(offset),
        }
    }

    fn text<'b>(&self, buf: &'b [u8], r: &Range<usize>) -> &'b str {
        std::str::from_utf8(&buf[r.clone()]).unwrap_or("")
    }
}

fn strip_bearer(v: &[u8]) -> &[u8] {
    let v = v.trim_ascii();
    // `Bearer ` with nothing after it (its space trimmed away) is no key.
    if v.eq_ignore_ascii_case(b"bearer") {
        return b"";
    }
    match v.get(..7) {
        Some(p) if p.eq_ignore_ascii_case(b"bearer ") => v[7..].trim_ascii(),
        _ => v,
    }
}

/// Serves one connection until the client closes it, an error ends it, or shutdown.
pub async fn serve(core: Rc<Core>, mut stream: TcpStream, _open: OpenConn) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    // A new connection's first head is due within the header timeout of its accept; a kept
    // alive one may wait the keep-alive timeout for its next request to start.
    let mut first = true;
    let mut head_due = Instant::now() + core.limits.header_timeout;
    loop {
        if buf.is_empty() {
            match idle_read(&core, &mut stream, buf, first.then_some(head_due)).await {
                Ok(b) => buf = b,
                Err(_) => return,
            }
        }
        let _in_flight = InFlight::new(&core);
        let received = Instant::now();
        if !first {
            head_due = received + core.limits.header_timeout;
        }
        first = false;
        let head = match read_head(&core, &mut stream, &mut buf, head_due).await {
            Ok(h) => h,
            Err(Some(e)) => return reject(&mut stream, &e).await,
            Err(None) => return,
        };
        let target = head.text(&buf, &head.target);
        let route = routes::route(head.method, target);
        let keep_alive = head.keep_alive && !core.shutting_down();
        let mut ex = Exchange::new(
            head.method,
            routes::label(route, target),
            received,
            keep_alive,
        );
        let next = request(&core, &mut stream, &mut buf, &head, route, &mut ex).await;
        proxy::finish(&core, &mut ex);
        match next {
            Next::Close => return,
            Next::Linger => return linger(&mut stream).await,
            Next::Reject(e) => return reject(&mut stream, &e).await,
            Next::Continue(body_end) => {
                buf.drain(..body_end);
                buf.extend_from_slice(&ex.early);
            }
        }
        // A large request must not leave its memory behind on an idle keep-alive connection.
        if buf.capacity() > MAX_IDLE_BUF {
            buf.shrink_to(CONN_BUF.max(buf.len()));
        }
    }
}

/// What the connection does after a request.
enum Next {
    /// Serve the next request; this one's bytes end at the offset.
    Continue(usize),
    Close,
    /// Close, discarding what the client still sends for a while.
    Linger,
    /// Answer the error and close (the stream position is unknown).
    Reject(GatewayError),
}

/// One request after its head: admit it (route and key) before reading a byte of its body
/// (custom auth that sees the body decides once it is read), read the body, hand it to the
/// phases. Everything it learns goes into `ex`.
async fn request<'g>(
    core: &'g Core,
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    head: &HeadInfo,
    route: Route,
    ex: &mut Exchange<'g>,
) -> Next {
    let head_only = head.method == Method::Head;
    let key = head.key.as_ref().map(|k| head.text(buf, k));
    let admitted = proxy::admit(core, ex, route, key, &buf[..head.head_len]).await;
    // Where the body ends when all of it is already in the buffer.
    let here = head
        .body
        .known_end(head.head_len)
        .filter(|&end| end <= buf.len());
    let admitted = match admitted {
        Ok(a) => a,
        Err(e) => {
            // Refused from the head: answered without reading the body; the connection
            // closes unless the body is already here.
            ex.keep_alive &= here.is_some();
            let body = here.map_or(&[][..], |end| &buf[head.head_len..end]);
            let refused = Refused {
                route,
                raw_head: &buf[..head.head_len],
                body,
                key,
                head_only,
            };
            let sent = refuse(core, stream, ex, refused, e).await;
            return match here {
                None => Next::Linger,
                Some(end) if sent => Next::Continue(end),
                Some(_) => Next::Close,
            };
        }
    };
    let mut charge = BodyCharge::new(core);
    let (body_end, spilled) = if admitted == Admitted::IgnoresBody {
        // A route that takes no body never reads one; the connection closes after the
        // answer unless the body is already here.
        ex.keep_alive &= here.is_some();
        (here.unwrap_or(head.head_len), None)
    } else {
        let body = read_body(
            core,
            stream,
            buf,
            head.head_len,
            head.body,
            head.expect_continue,
            &mut charge,
        )
        .await;
        match body {
            Ok(BodyIn::Buf(end)) => (end, None),
            Ok(BodyIn::Spilled(s)) => (head.head_len, Some(s)),
            Err(Some(e)) => {
                ex.fail(&e);
                return Next::Reject(e);
            }
            Err(None) => {
                ex.fail(&GatewayError::ClientGone);
                return Next::Close;
            }
        }
    };
    let request = Request {
        method: head.method,
        raw_head: &buf[..head.head_len],
        target: head.text(buf, &head.target),
        body: &buf[head.head_len..body_end],
        spilled: spilled.as_deref(),
        anthropic_beta: head.anthropic_beta.as_ref().map(|r| head.text(buf, r)),
        router_headers: crate::router_args::RouterHeaders {
            num_retries: head.num_retries.as_ref().map(|r| head.text(buf, r)),
            timeout: head.timeout.as_ref().map(|r| head.text(buf, r)),
            stream_timeout: head.stream_timeout.as_ref().map(|r| head.text(buf, r)),
            tags: head.tags.as_ref().map(|r| head.text(buf, r)),
        },
    };
    // Custom auth that waited for the body decides now.
    let key = head.key.as_ref().map(|k| head.text(buf, k));
    if let Err(e) = proxy::admit_after_body(core, ex, route, key, &request).await {
        let refused = Refused {
            route,
            raw_head: request.raw_head,
            body: request.body,
            key,
            head_only,
        };
        let sent = refuse(core, stream, ex, refused, e).await;
        drop(charge);
        return match sent && ex.keep_alive && !core.shutting_down() {
            true => Next::Continue(body_end),
            false => Next::Close,
        };
    }
    // Boxed: the request path's future is several KiB, and an idle connection's task
    // should not carry it between requests.
    let keep = Box::pin(proxy::handle(core, stream, &request, route, ex)).await;
    // The body's memory (and its charge to the budget) lasts until the answer is out.
    drop(charge);
    if admitted == Admitted::IgnoresBody && here.is_none() {
        return Next::Linger;
    }
    if !keep || !ex.keep_alive || core.shutting_down() {
        return Next::Close;
    }
    Next::Continue(body_end)
}

/// A request refused before its phases (by its key, custom auth, a limit decided from the
/// head).
struct Refused<'r> {
    route: Route,
    raw_head: &'r [u8],
    /// What of its body is in memory.
    body: &'r [u8],
    key: Option<&'r str>,
    head_only: bool,
}

/// Answers a refused request. Plugins' failure hooks may answer another error (an auth
/// failure too), and their logging hooks see a refusal on an LLM route (LiteLLM logs
/// those). Returns whether the answer went out.
async fn refuse(
    core: &Core,
    stream: &mut TcpStream,
    ex: &mut Exchange<'_>,
    refused: Refused<'_>,
    e: GatewayError,
) -> bool {
    if core.plugins.is_some() && ex.caller == crate::exchange::Caller::Unknown {
        ex.refused_key = refused
            .key
            .map(|k| crate::auth::hex(&crate::auth::digest(k)));
    }
    if let Route::Inference { endpoint, .. } = refused.route {
        crate::plugins::keep_refused(core, ex, endpoint, refused.raw_head, refused.body);
    }
    let e = match refused.route.needs_auth() {
        true => crate::plugins::on_failure(core, ex, refused.raw_head, &e)
            .await
            .unwrap_or(e),
        false => e,
    };
    proxy::respond_error(stream, ex, &e, refused.head_only).await
}

/// Waits for the first bytes of the next request. A new connection's first head is due by
/// `first_head` (the header timeout from its accept) and is served even when shutdown has
/// started, since it was accepted; a kept-alive connection waits up to the keep-alive
/// timeout, and shutdown ends the wait. While it waits the connection holds no buffer: it
/// waits for the socket to be readable, then reads into one from the core's free list.
async fn idle_read(
    core: &Core,
    stream: &mut TcpStream,
    buf: Vec<u8>,
    first_head: Option<Instant>,
) -> Result<Vec<u8>, Stop> {
    core.give_conn_buf(buf);
    let deadline = match first_head {
        Some(deadline) => {
            wait_readable(stream, deadline).await?;
            deadline
        }
        None => {
            if core.shutting_down() {
                return Err(Stop::Draining);
            }
            let deadline = Instant::now() + core.limits.keepalive_timeout;
            monoio::select! {
                ready = wait_readable(stream, deadline) => ready?,
                _ = core.draining.wait() => return Err(Stop::Draining),
            }
            deadline
        }
    };
    read_until(stream, core.take_conn_buf(), deadline).await
}

/// Waits until `stream` has bytes (or its end) to read, by `deadline`. Waiting for readiness
/// holds no buffer; `relaxed` readiness may wake early on the epoll driver, and the read that
/// follows then simply waits.
async fn wait_readable(stream: &TcpStream, deadline: Instant) -> Result<(), Stop> {
    match monoio::time::timeout_at(deadline.into(), stream.readable(true)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Stop::Gone),
        Err(_) => Err(Stop::Late),
    }
}

/// Reads until the head is complete, by `deadline`, and parses it once. Each read's new bytes
/// are scanned once for the end of the head, so a head that trickles in costs the same CPU per
/// byte as one that arrives at once.
async fn read_head(
    core: &Core,
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<HeadInfo, Option<GatewayError>> {
    let limits = &core.gateway.limits;
    let mut scan = HeadScan::new();
    loop {
        match scan.scan(buf, limits) {
            Ok(Status::Complete(_)) => break,
            Ok(Status::Partial) => {}
            Err(e) => return Err(Some(GatewayError::Framing(e))),
        }
        match read_until(stream, std::mem::take(buf), deadline).await {
            Ok(b) => *buf = b,
            Err(Stop::Late) => return Err(Some(GatewayError::ClientTimeout)),
            Err(_) => return Err(None),
        }
    }
    let mut headers = header_slots();
    match parse_request_uninit(buf, &mut headers, limits) {
        Ok(Status::Complete(h)) => Ok(HeadInfo::new(&h, buf, core.gateway.key_header.as_deref())),
        // The scan saw the end of the head, so the parser cannot ask for more.
        Ok(Status::Partial) => Err(Some(GatewayError::Framing(corelane_http1::Error::BadHead))),
        Err(e) => Err(Some(GatewayError::Framing(e))),
    }
}

/// Answers a request that cannot be served and closes the connection (framing errors leave
/// the stream position unknown, so keep-alive is off).
async fn reject(stream: &mut TcpStream, err: &GatewayError) {
    let mut body = Vec::new();
    let status = err.render(Dialect::OpenAi, &mut body);
    let mut out = Vec::with_capacity(body.len() + 128);
    write_json(&mut out, status, &body, false, None);
    if write_all(stream, out).await.0.is_ok() && !matches!(err, GatewayError::ClientTimeout) {
        linger(stream).await;
    }
}

/// Closes a connection whose client may still be sending a body we will not read: the answer
/// is followed by our end of the stream, then what arrives is read and discarded for a while,
/// so the client can finish writing and read the answer instead of a reset (nginx's lingering
/// close). Time and bytes are bounded; the memory is one small buffer.
async fn linger(stream: &mut TcpStream) {
    if monoio::io::AsyncWriteRent::shutdown(stream).await.is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER_TIME;
    let mut buf = Vec::with_capacity(LINGER_BUF);
    let mut discarded = 0;
    while discarded < LINGER_MAX_BYTES {
        buf.clear();
        match read_until(stream, buf, deadline).await {
            Ok(b) => {
                discarded += b.len();
                buf = b;
            }
            Err(_) => return,
        }
    }
}
