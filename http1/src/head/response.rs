//! Response heads and the client-side framing policy (RFC 9112 §4, §6.3).

use super::fields::{Coding, Framing, LengthField};
use super::{find_header, from_httparse, partial, slots, Method};
use std::mem::MaybeUninit;

use crate::{BodyKind, Error, Header, Limits, Status};

/// A parsed response head; every slice borrows the caller's buffer.
#[derive(Debug)]
pub struct ResponseHead<'h, 'b> {
    pub status: u16,
    /// The reason phrase as sent ("" when absent or not UTF-8).
    pub reason: &'b str,
    pub minor_version: u8,
    /// Bytes of the head including the final CRLFCRLF; the body starts here.
    pub head_len: usize,
    /// Empty for 1xx, 204, 304 and responses to HEAD; else Length, Chunked or CloseDelimited.
    pub body: BodyKind,
    /// False for close-delimited bodies, `Connection: close`, and HTTP/1.0 without keep-alive.
    pub keep_alive: bool,
    pub headers: &'h [Header<'b>],
}

impl<'b> ResponseHead<'_, 'b> {
    /// Value of the first field named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&'b [u8]> {
        find_header(self.headers, name)
    }
}

/// Parses a response head from the start of `buf`; `request_method` decides whether a body
/// follows (a response to HEAD never has one).
///
/// 1xx interim responses come back `Complete` with their status and `BodyKind::Empty`: the
/// caller skips `head_len` bytes and parses again for the final response.
pub fn parse_response<'h, 'b>(
    buf: &'b [u8],
    headers: &'h mut [Header<'b>],
    request_method: Method,
    limits: &Limits,
) -> Result<Status<ResponseHead<'h, 'b>>, Error> {
    let mut res = httparse::Response::new(slots(headers, limits));
    let parsed = res.parse(buf);
    response_head(buf, res, parsed, request_method, limits)
}

/// [`parse_response`] into header storage that is not initialised first ([`HeaderSlots`]):
/// the same parse and answer, without writing every slot before httparse does (the relay's
/// path, once per upstream response).
///
/// [`HeaderSlots`]: crate::HeaderSlots
pub fn parse_response_uninit<'h, 'b>(
    buf: &'b [u8],
    headers: &'h mut [MaybeUninit<Header<'b>>],
    request_method: Method,
    limits: &Limits,
) -> Result<Status<ResponseHead<'h, 'b>>, Error> {
    let mut res = httparse::Response::new(&mut []);
    // `Response::parse` is this with the default configuration.
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut res,
        buf,
        slots(headers, limits),
    );
    response_head(buf, res, parsed, request_method, limits)
}

/// The head httparse tokenised (`parsed` is what it answered for `res`), under RFC 9112.
fn response_head<'h, 'b>(
    buf: &'b [u8],
    res: httparse::Response<'h, 'b>,
    parsed: httparse::Result<usize>,
    request_method: Method,
    limits: &Limits,
) -> Result<Status<ResponseHead<'h, 'b>>, Error> {
    let head_len = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return partial(buf, limits),
        Err(e) => return Err(from_httparse(e, buf, limits)),
    };
    if head_len > limits.max_head_bytes {
        return Err(Error::HeadTooLarge);
    }
    let (Some(status), Some(minor_version)) = (res.code, res.version) else {
        return Err(Error::BadHead);
    };
    // RFC 9110 §15: status codes are three digits, 100 to 599; httparse accepts 000 to 999, and
    // we let 6xx-9xx through as unknown classes but refuse what cannot be a status at all.
    if status < 100 {
        return Err(Error::BadHead);
    }
    let headers: &'h [Header<'b>] = res.headers;
    let framing = Framing::scan(headers);
    let body = body_kind(&framing, status, minor_version, request_method)?;
    let keep_alive = match body {
        // §9.3: the end of a close-delimited body is the end of the connection.
        BodyKind::CloseDelimited => false,
        _ if framing.close => false,
        _ => minor_version == 1 || framing.keep_alive,
    };
    Ok(Status::Complete(ResponseHead {
        status,
        reason: res.reason.unwrap_or(""),
        minor_version,
        head_len,
        body,
        keep_alive,
        headers,
    }))
}

/// Response body length, RFC 9112 §6.3 items 1 to 7.
fn body_kind(
    framing: &Framing,
    status: u16,
    minor_version: u8,
    request_method: Method,
) -> Result<BodyKind, Error> {
    // §6.3 item 1: responses to HEAD, 1xx, 204 and 304 end at the head whatever the fields say.
    if request_method == Method::Head || status < 200 || status == 204 || status == 304 {
        return Ok(BodyKind::Empty);
    }
    if framing.coding != Coding::Absent {
        // §6.3 item 3: both fields "ought to be handled as an error"; a proxy that forwarded
        // such a response would invite response splitting, so we refuse it (caller: 502).
        if framing.length != LengthField::Absent {
            return Err(Error::ContentLengthWithTransferEncoding);
        }
        // §6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty.
        if minor_version == 0 {
            return Err(Error::BadHead);
        }
        return Ok(match framing.coding {
            // A repeated `chunked` is decoded once, as before; policing it is the origin's job.
            Coding::ChunkedOnly | Coding::ChunkedFinal | Coding::ChunkedTwice => BodyKind::Chunked,
            // §6.3 item 3: chunked not final in a response means read until close.
            _ => BodyKind::CloseDelimited,
        });
    }
    match framing.length {
        LengthField::Value(n) => Ok(BodyKind::Length(n)),
        // §6.3 item 5: an invalid Content-Length is an unrecoverable framing error.
        LengthField::Invalid => Err(Error::InvalidContentLength),
        LengthField::Conflicting => Err(Error::ConflictingContentLength),
        // §6.3 item 8: otherwise the body runs until the server closes the connection.
        LengthField::Absent => Ok(BodyKind::CloseDelimited),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{EMPTY_HEADER, MAX_HEADERS};

    /// `res!(name, bytes, method, |head| { asserts })` or `res!(name, bytes, method, Err(..))`.
    macro_rules! res {
        ($name:ident, $buf:expr, $method:expr, |$head:ident| $body:expr) => {
            #[test]
            fn $name() {
                let mut headers = [EMPTY_HEADER; MAX_HEADERS];
                match parse_response($buf, &mut headers, $method, &Limits::default()) {
                    Ok(Status::Complete($head)) => $body,
                    other => panic!("expected a complete head, got {other:?}"),
                }
            }
        };
        ($name:ident, $buf:expr, $method:expr, Err($err:expr)) => {
            #[test]
            fn $name() {
                let mut headers = [EMPTY_HEADER; MAX_HEADERS];
                let res = parse_response($buf, &mut headers, $method, &Limits::default());
                assert_eq!(res.err(), Some($err));
            }
        };
    }

    res!(
        ok_with_length,
        b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n",
        Method::Post,
        |h| {
            assert_eq!(h.status, 200);
            assert_eq!(h.reason, "OK");
            assert_eq!(h.minor_version, 1);
            assert_eq!(h.head_len, 39);
            assert_eq!(h.body, BodyKind::Length(12));
            assert!(h.keep_alive);
            assert_eq!(h.header("content-LENGTH"), Some(&b"12"[..]));
        }
    );
    res!(
        chunked,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        Method::Post,
        |h| {
            assert_eq!(h.body, BodyKind::Chunked);
            assert!(h.keep_alive);
        }
    );
    res!(
        gzip_chunked,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        Method::Get,
        |h| {
            assert_eq!(h.body, BodyKind::Chunked);
        }
    );
    res!(
        te_without_chunked,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        Method::Get,
        |h| {
            assert_eq!(h.body, BodyKind::CloseDelimited);
            assert!(!h.keep_alive);
        }
    );
    res!(
        chunked_not_final,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        Method::Get,
        |h| {
            assert_eq!(h.body, BodyKind::CloseDelimited);
        }
    );
    res!(
        no_length_is_close_delimited,
        b"HTTP/1.1 200 OK\r\n\r\n",
        Method::Get,
        |h| {
            assert_eq!(h.body, BodyKind::CloseDelimited);
            assert!(!h.keep_alive);
        }
    );
    res!(
        interim_100,
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
        Method::Post,
        |h| {
            assert_eq!(h.status, 100);
            assert_eq!(h.body, BodyKind::Empty);
            assert_eq!(h.head_len, 25);
        }
    );
    res!(
        no_content,
        b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
        Method::Delete,
        |h| {
            assert_eq!(h.body, BodyKind::Empty);
            assert!(h.keep_alive);
        }
    );
    res!(
        not_modified,
        b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
        Method::Get,
        |h| {
            assert_eq!(h.body, BodyKind::Empty);
        }
    );
    res!(
        head_response,
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
        Method::Head,
        |h| {
            assert_eq!(h.body, BodyKind::Empty);
        }
    );
    res!(
        close_header,
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n",
        Method::Get,
        |h| {
            assert!(!h.keep_alive);
            assert_eq!(h.body, BodyKind::Length(1));
        }
    );
    res!(
        http10_default_close,
        b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n",
        Method::Get,
        |h| {
            assert!(!h.keep_alive);
        }
    );
    res!(
        http10_keep_alive,
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n",
        Method::Get,
        |h| assert!(h.keep_alive)
    );
    res!(
        empty_reason,
        b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
        Method::Get,
        |h| {
            assert_eq!(h.reason, "");
            assert_eq!(h.body, BodyKind::Length(0));
        }
    );
    res!(
        cl_with_te,
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        Method::Get,
        Err(Error::ContentLengthWithTransferEncoding)
    );
    res!(
        bad_cl,
        b"HTTP/1.1 200 OK\r\nContent-Length: three\r\n\r\n",
        Method::Get,
        Err(Error::InvalidContentLength)
    );
    res!(
        conflicting_cl,
        b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
        Method::Get,
        Err(Error::ConflictingContentLength)
    );
    res!(
        obs_fold,
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\n\r\n",
        Method::Get,
        Err(Error::ObsFold)
    );
    res!(
        status_000,
        b"HTTP/1.1 000 Zero\r\n\r\n",
        Method::Get,
        Err(Error::BadHead)
    );
    res!(
        status_not_digits,
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        Method::Get,
        Err(Error::BadHead)
    );
    res!(
        http2_version,
        b"HTTP/2.0 200 OK\r\n\r\n",
        Method::Get,
        Err(Error::UnsupportedVersion)
    );
    res!(
        te_in_http10,
        b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        Method::Get,
        Err(Error::BadHead)
    );

    #[test]
    fn partial_and_head_too_large() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
        for end in 0..full.len() {
            let mut headers = [EMPTY_HEADER; 8];
            let res = parse_response(&full[..end], &mut headers, Method::Get, &Limits::default());
            assert!(matches!(res, Ok(Status::Partial)), "prefix {end}: {res:?}");
        }
        let small = Limits {
            max_head_bytes: 10,
            ..Limits::default()
        };
        let mut headers = [EMPTY_HEADER; 8];
        let res = parse_response(&full[..20], &mut headers, Method::Get, &small);
        assert_eq!(res.err(), Some(Error::HeadTooLarge));
        let mut headers = [EMPTY_HEADER; 8];
        let res = parse_response(full, &mut headers, Method::Get, &small);
        assert_eq!(res.err(), Some(Error::HeadTooLarge));
    }

    #[test]
    fn too_many_headers() {
        let limits = Limits {
            max_headers: 1,
            ..Limits::default()
        };
        let mut headers = [EMPTY_HEADER; 8];
        let res = parse_response(
            b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n",
            &mut headers,
            Method::Get,
            &limits,
        );
        assert_eq!(res.err(), Some(Error::TooManyHeaders));
    }
}
