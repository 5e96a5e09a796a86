//! One client connection: read a request head and body, hand the request to the proxy,
//! repeat while the connection is kept alive.

use std::ops::Range;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corelane_http1::{
    parse_request, BodyKind, ChunkedDecoder, Method, RequestHead, Status, EMPTY_HEADER, MAX_HEADERS,
};
use monoio::net::TcpStream;

use crate::core::{Core, InFlight};
use crate::errors::GatewayError;
use crate::io::{read_more, write_all};
use crate::response::write_json;

/// An idle keep-alive connection is closed after this long without a new request.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(120);
/// A started request head or body must keep arriving at least this often (slow clients).
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Initial capacity of a connection's read buffer.
const CONN_BUF: usize = 8 * 1024;

/// Headers LiteLLM reads the caller's key from, in the order it looks at them.
const KEY_HEADERS: [&str; 5] = [
    "authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-litellm-api-key",
];

/// A request as the proxy sees it: borrowed from the connection's buffers.
#[derive(Debug)]
pub struct Request<'b> {
    pub method: Method,
    pub target: &'b str,
    pub keep_alive: bool,
    pub key: Option<&'b str>,
    pub body: &'b [u8],
    pub received: Instant,
}

/// What of a parsed head outlives the borrow of the buffer: offsets, not slices.
struct HeadInfo {
    method: Method,
    target: Range<usize>,
    head_len: usize,
    body: BodyKind,
    keep_alive: bool,
    expect_continue: bool,
    key: Option<Range<usize>>,
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
        }
    }
}

fn strip_bearer(v: &[u8]) -> &[u8] {
    let v = v.trim_ascii();
    match v.get(..7) {
        Some(p) if p.eq_ignore_ascii_case(b"bearer ") => v[7..].trim_ascii(),
        _ => v,
    }
}

enum Read {
    Ok(Vec<u8>),
    Closed,
}

async fn read_with_timeout(stream: &mut TcpStream, buf: Vec<u8>, limit: Duration) -> Read {
    match monoio::time::timeout(limit, read_more(stream, buf)).await {
        Ok((Ok(n), buf)) if n > 0 => Read::Ok(buf),
        _ => Read::Closed,
    }
}

/// Serves one connection until the client closes it, an error ends it, or shutdown.
pub async fn serve(core: Rc<Core>, mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(CONN_BUF);
    let mut chunked = Vec::new();
    loop {
        let head = loop {
            if !buf.is_empty() {
                let mut headers = [EMPTY_HEADER; MAX_HEADERS];
                match parse_request(&buf, &mut headers, &core.gateway.limits) {
                    Ok(Status::Complete(h)) => {
                        break HeadInfo::new(&h, &buf, core.gateway.key_header.as_deref())
                    }
                    Ok(Status::Partial) => {}
                    Err(e) => return reject(&mut stream, GatewayError::Framing(e)).await,
                }
            }
            let limit = if buf.is_empty() {
                KEEPALIVE_IDLE
            } else {
                READ_TIMEOUT
            };
            match read_with_timeout(&mut stream, buf, limit).await {
                Read::Ok(b) => buf = b,
                Read::Closed => return,
            }
        };
        let _in_flight = InFlight::new(&core);
        let received = Instant::now();
        let mut sent_continue = !head.expect_continue;
        // Read the body: in place after the head (Content-Length) or decoded (chunked).
        let (body_in_buf, consumed) = match head.body {
            BodyKind::Empty => (true, head.head_len),
            BodyKind::Length(n) => {
                let end = head.head_len.saturating_add(n as usize);
                while buf.len() < end {
                    if !sent_continue {
                        sent_continue = true;
                        if !send_continue(&mut stream).await {
                            return;
                        }
                    }
                    buf.reserve(end - buf.len());
                    match read_with_timeout(&mut stream, buf, READ_TIMEOUT).await {
                        Read::Ok(b) => buf = b,
                        Read::Closed => return,
                    }
                }
                (true, end)
            }
            BodyKind::Chunked => {
                chunked.clear();
                let mut decoder = ChunkedDecoder::new();
                let mut pos = head.head_len;
                loop {
                    match decoder.decode(&buf[pos..], |d| chunked.extend_from_slice(d)) {
                        Ok(n) => pos += n,
                        Err(e) => return reject(&mut stream, GatewayError::Framing(e)).await,
                    }
                    if decoder.data_bytes() > core.gateway.limits.max_body_bytes {
                        let e = corelane_http1::Error::BodyTooLarge;
                        return reject(&mut stream, GatewayError::Framing(e)).await;
                    }
                    if decoder.is_done() {
                        break;
                    }
                    if !sent_continue {
                        sent_continue = true;
                        if !send_continue(&mut stream).await {
                            return;
                        }
                    }
                    match read_with_timeout(&mut stream, buf, READ_TIMEOUT).await {
                        Read::Ok(b) => buf = b,
                        Read::Closed => return,
                    }
                }
                (false, pos)
            }
            BodyKind::CloseDelimited => {
                let e = corelane_http1::Error::BadHead;
                return reject(&mut stream, GatewayError::Framing(e)).await;
            }
        };
        let keep_alive = head.keep_alive && !core.shutting_down();
        let text = |r: &Range<usize>| std::str::from_utf8(&buf[r.clone()]).unwrap_or("");
        let request = Request {
            method: head.method,
            target: text(&head.target),
            keep_alive,
            key: head.key.as_ref().map(text),
            body: if body_in_buf {
                &buf[head.head_len..consumed]
            } else {
                &chunked
            },
            received,
        };
        let keep = crate::proxy::handle(&core, &mut stream, &request).await;
        if !keep || !keep_alive {
            return;
        }
        buf.drain(..consumed);
        // A large request must not leave its memory behind on an idle keep-alive connection.
        if buf.capacity() > CONN_BUF * 16 {
            buf.shrink_to(CONN_BUF.max(buf.len()));
        }
        if chunked.capacity() > CONN_BUF * 16 {
            chunked = Vec::new();
        }
    }
}

async fn send_continue(stream: &mut TcpStream) -> bool {
    let (res, _) = write_all(stream, b"HTTP/1.1 100 Continue\r\n\r\n".to_vec()).await;
    res.is_ok()
}

/// Answers a request that cannot be served and closes the connection (framing errors leave
/// the stream position unknown, so keep-alive is off).
async fn reject(stream: &mut TcpStream, err: GatewayError) {
    let mut body = Vec::new();
    let status = err.render(&mut body);
    let mut out = Vec::with_capacity(body.len() + 128);
    write_json(&mut out, status, &body, false, None);
    let _ = write_all(stream, out).await;
}
