//! Request heads and the server-side framing policy (RFC 9112 §3, §6.3).

use super::fields::{Coding, Framing, LengthField};
use super::target::{is_host_field, parse_target};
use super::{find_header, from_httparse, partial, slots, Method};
use std::mem::MaybeUninit;

use crate::{BodyKind, Error, Header, Limits, Status};

/// A parsed request head; every slice borrows the caller's buffer.
#[derive(Debug)]
pub struct RequestHead<'h, 'b> {
    pub method: Method,
    pub method_str: &'b str,
    /// The origin-form path and query the gateway routes on: the request-target as sent,
    /// except that an absolute-form target (RFC 9112 §3.2.2) contributes only its path and
    /// query ("/" when its path is empty). Always a slice of the parsed buffer.
    pub path: &'b str,
    /// The request-target exactly as sent.
    pub target: &'b str,
    /// The authority of an absolute-form target (or CONNECT's authority-form); when present
    /// it, not Host, names the target host (RFC 9112 §3.2.2).
    pub authority: Option<&'b str>,
    pub minor_version: u8,
    /// Bytes of the head including the final CRLFCRLF; the body starts here.
    pub head_len: usize,
    pub body: BodyKind,
    /// HTTP/1.1: true unless `Connection: close`; HTTP/1.0: only with `Connection: keep-alive`.
    pub keep_alive: bool,
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    pub expect_continue: bool,
    pub headers: &'h [Header<'b>],
}

impl<'b> RequestHead<'_, 'b> {
    /// Value of the first field named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&'b [u8]> {
        find_header(self.headers, name)
    }
}

/// Parses a request head from the start of `buf`.
///
/// `Partial` means the head is not complete yet; the caller reads more and calls again with
/// the longer buffer, which parses the head from its start each time. A caller that lets a
/// [`HeadScan`](crate::HeadScan) say when the head is complete calls this once per head
/// instead. Header slots come from `headers`, capped at `limits.max_headers`.
pub fn parse_request<'h, 'b>(
    buf: &'b [u8],
    headers: &'h mut [Header<'b>],
    limits: &Limits,
) -> Result<Status<RequestHead<'h, 'b>>, Error> {
    let mut req = httparse::Request::new(slots(headers, limits));
    let parsed = req.parse(buf);
    request_head(buf, req, parsed, limits)
}

/// [`parse_request`] into header storage that is not initialised first ([`HeaderSlots`]):
/// the same parse and answer, without writing every slot before httparse does (the server's
/// path, once per request).
///
/// [`HeaderSlots`]: crate::HeaderSlots
pub fn parse_request_uninit<'h, 'b>(
    buf: &'b [u8],
    headers: &'h mut [MaybeUninit<Header<'b>>],
    limits: &Limits,
) -> Result<Status<RequestHead<'h, 'b>>, Error> {
    let mut req = httparse::Request::new(&mut []);
    let parsed = req.parse_with_uninit_headers(buf, slots(headers, limits));
    request_head(buf, req, parsed, limits)
}

/// The head httparse tokenised (`parsed` is what it answered for `req`), under RFC 9112.
fn request_head<'h, 'b>(
    buf: &'b [u8],
    req: httparse::Request<'h, 'b>,
    parsed: httparse::Result<usize>,
    limits: &Limits,
) -> Result<Status<RequestHead<'h, 'b>>, Error> {
    let head_len = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return partial(buf, limits),
        Err(e) => return Err(from_httparse(e, buf, limits)),
    };
    if head_len > limits.max_head_bytes {
        return Err(Error::HeadTooLarge);
    }
    // httparse only completes with all three set; BadHead keeps this panic-free regardless.
    let (Some(method_str), Some(target), Some(minor_version)) = (req.method, req.path, req.version)
    else {
        return Err(Error::BadHead);
    };
    let headers: &'h [Header<'b>] = req.headers;
    let framing = Framing::scan(headers);
    let parsed = parse_target(target, method_str)?;
    check_host(&framing, minor_version)?;
    let body = body_kind(&framing, minor_version, limits)?;
    let keep_alive = if minor_version == 0 {
        framing.keep_alive && !framing.close
    } else {
        !framing.close
    };
    Ok(Status::Complete(RequestHead {
        method: Method::from_bytes(method_str.as_bytes()),
        method_str,
        path: parsed.path,
        target,
        authority: parsed.authority,
        minor_version,
        head_len,
        body,
        keep_alive,
        // RFC 9110 §10.1.1: a server MUST ignore 100-continue in an HTTP/1.0 request.
        expect_continue: framing.expect_continue && minor_version == 1,
        headers,
    }))
}

/// RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host, and to any
/// request with more than one Host or an invalid Host value. The value is only checked for
/// syntax: with an absolute-form target §3.2.2 has the server ignore it for the authority.
fn check_host(framing: &Framing<'_>, minor_version: u8) -> Result<(), Error> {
    match framing.host {
        _ if framing.hosts > 1 => Err(Error::BadHead),
        // HTTP/1.0 predates Host; only 1.1 requires it.
        None if minor_version == 1 => Err(Error::MissingHost),
        Some(value) if !is_host_field(value) => Err(Error::InvalidHost),
        _ => Ok(()),
    }
}

/// Request body length, RFC 9112 §6.3 items 3 to 6.
fn body_kind(framing: &Framing, minor_version: u8, limits: &Limits) -> Result<BodyKind, Error> {
    match framing.coding {
        Coding::Absent => {}
        // §6.3 item 3 / §6.1: a server MAY reject a request with both fields; we always do,
        // because the two framings disagreeing between hops is how requests get smuggled.
        _ if framing.length != LengthField::Absent => {
            return Err(Error::ContentLengthWithTransferEncoding)
        }
        // §6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty.
        _ if minor_version == 0 => return Err(Error::BadHead),
        Coding::ChunkedOnly => return Ok(BodyKind::Chunked),
        // §6.1: a server SHOULD answer 501 to a transfer coding it does not understand; the
        // only one we decode is `chunked`, so `gzip, chunked` is Not Implemented.
        Coding::ChunkedFinal => return Err(Error::UnsupportedTransferEncoding),
        // §6.3 item 4: if chunked is not the final coding of a request, the server MUST answer
        // 400 and close, as the length cannot be determined. §6.1: a sender MUST NOT apply
        // chunked more than once, so a repeat is the same framing fault.
        Coding::NotChunked | Coding::ChunkedTwice => return Err(Error::InvalidTransferEncoding),
    }
    match framing.length {
        // §6.3 item 6: a request with neither field has no body.
        LengthField::Absent => Ok(BodyKind::Empty),
        // Refuse at head time (RFC 9110 §15.5.14) so the body is never read.
        LengthField::Value(n) if n > limits.max_body_bytes => Err(Error::BodyTooLarge),
        LengthField::Value(n) => Ok(BodyKind::Length(n)),
        // §6.3 item 5: an invalid Content-Length is an unrecoverable framing error.
        LengthField::Invalid => Err(Error::InvalidContentLength),
        LengthField::Conflicting => Err(Error::ConflictingContentLength),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{EMPTY_HEADER, MAX_HEADERS};

    fn parse(
        buf: &[u8],
        limits: &Limits,
        check: impl FnOnce(Result<Status<RequestHead<'_, '_>>, Error>),
    ) {
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        check(parse_request(buf, &mut headers, limits));
    }

    /// `req!(name, bytes, |head| { asserts })` or `req!(name, bytes, Err(Error::X))`, in the
    /// manner of httparse's `req!`.
    macro_rules! req {
        ($name:ident, $buf:expr, |$head:ident| $body:expr) => {
            req!($name, $buf, Limits::default(), |$head| $body);
        };
        ($name:ident, $buf:expr, $limits:expr, |$head:ident| $body:expr) => {
            #[test]
            fn $name() {
                parse($buf, &$limits, |res| match res {
                    Ok(Status::Complete($head)) => $body,
                    other => panic!("expected a complete head, got {other:?}"),
                });
            }
        };
        ($name:ident, $buf:expr, Err($err:expr)) => {
            req!($name, $buf, Limits::default(), Err($err));
        };
        ($name:ident, $buf:expr, $limits:expr, Err($err:expr)) => {
            #[test]
            fn $name() {
                parse($buf, &$limits, |res| match res {
                    Err(e) => assert_eq!(e, $err),
                    other => panic!("expected {:?}, got {other:?}", $err),
                });
            }
        };
        ($name:ident, $buf:expr, $limits:expr, Partial) => {
            #[test]
            fn $name() {
                parse($buf, &$limits, |res| {
                    assert!(matches!(res, Ok(Status::Partial)), "{res:?}")
                });
            }
        };
    }

    req!(
        simple_get,
        b"GET /v1/models?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
        |h| {
            assert_eq!(h.method, Method::Get);
            assert_eq!(h.method_str, "GET");
            assert_eq!(h.path, "/v1/models?x=1");
            assert_eq!(h.minor_version, 1);
            assert_eq!(h.head_len, 40);
            assert_eq!(h.body, BodyKind::Empty);
            assert!(h.keep_alive);
            assert!(!h.expect_continue);
            assert_eq!(h.header("HOST"), Some(&b"a"[..]));
            assert_eq!(h.header("missing"), None);
        }
    );

    req!(
        head_len_stops_before_body,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",
        |h| {
            assert_eq!(h.head_len, 47);
            assert_eq!(h.method, Method::Post);
            assert_eq!(h.body, BodyKind::Length(2));
        }
    );

    req!(
        content_length_zero_is_literal,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        |h| {
            assert_eq!(h.body, BodyKind::Length(0));
        }
    );

    req!(
        methods_are_case_sensitive,
        b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
        |h| {
            assert_eq!(h.method, Method::Other);
            assert_eq!(h.method_str, "get");
        }
    );

    req!(
        other_method,
        b"PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n",
        |h| assert_eq!(h.method, Method::Other)
    );

    req!(
        chunked,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
        |h| {
            assert_eq!(h.body, BodyKind::Chunked);
        }
    );

    req!(
        same_content_length_list,
        b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
        |h| {
            assert_eq!(h.method, Method::Put);
            assert_eq!(h.body, BodyKind::Length(5));
        }
    );

    req!(
        same_content_length_repeated,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
        |h| assert_eq!(h.body, BodyKind::Length(5))
    );

    req!(
        keep_alive_http11_default,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\n",
        |h| assert!(h.keep_alive)
    );
    req!(
        close_http11,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n",
        |h| {
            assert!(!h.keep_alive);
        }
    );
    req!(http10_default_close, b"GET / HTTP/1.0\r\n\r\n", |h| {
        assert_eq!(h.minor_version, 0);
        assert!(!h.keep_alive);
    });
    req!(
        http10_keep_alive,
        b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
        |h| {
            assert!(h.keep_alive);
        }
    );

    req!(
        expect_continue,
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
        |h| {
            assert!(h.expect_continue);
        }
    );
    req!(
        expect_continue_ignored_in_10,
        b"POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
        |h| {
            assert!(!h.expect_continue);
        }
    );

    req!(
        bare_lf_lines_accepted,
        b"GET / HTTP/1.1\nHost: a\n\n",
        |h| {
            assert_eq!(h.head_len, 24);
        }
    );

    req!(
        cl_with_te,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        Err(Error::ContentLengthWithTransferEncoding)
    );
    req!(
        conflicting_cl,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        Err(Error::ConflictingContentLength)
    );
    req!(
        conflicting_cl_list,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n",
        Err(Error::ConflictingContentLength)
    );
    req!(
        non_digit_cl,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\n",
        Err(Error::InvalidContentLength)
    );
    req!(
        signed_cl,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
        Err(Error::InvalidContentLength)
    );
    req!(
        overflowing_cl,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
        Err(Error::InvalidContentLength)
    );
    req!(
        gzip_te,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
        Err(Error::InvalidTransferEncoding)
    );
    req!(
        gzip_then_chunked_te,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        Err(Error::UnsupportedTransferEncoding)
    );
    req!(
        chunked_not_final,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
        Err(Error::InvalidTransferEncoding)
    );
    req!(
        chunked_twice,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        Err(Error::InvalidTransferEncoding)
    );
    req!(
        empty_te,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n",
        Err(Error::InvalidTransferEncoding)
    );
    req!(
        te_in_http10,
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        Err(Error::BadHead)
    );
    req!(
        two_hosts,
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        Err(Error::BadHead)
    );
    req!(
        missing_host,
        b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
        Err(Error::MissingHost)
    );
    req!(http10_needs_no_host, b"GET / HTTP/1.0\r\n\r\n", |h| {
        assert_eq!(h.header("host"), None);
    });
    req!(
        empty_host_for_origin_form,
        b"GET / HTTP/1.1\r\nHost: \r\n\r\n",
        |h| assert_eq!(h.header("host"), Some(&b""[..]))
    );
    req!(
        host_with_port_and_ipv6,
        b"GET / HTTP/1.1\r\nHost: [::1]:4000\r\n\r\n",
        |h| assert_eq!(h.authority, None)
    );
    req!(
        invalid_host,
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        Err(Error::InvalidHost)
    );
    req!(
        host_with_userinfo,
        b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
        Err(Error::InvalidHost)
    );
    req!(
        invalid_host_in_http10,
        b"GET / HTTP/1.0\r\nHost: a:b\r\n\r\n",
        Err(Error::InvalidHost)
    );
    req!(
        two_hosts_one_empty,
        b"GET / HTTP/1.1\r\nHost: a\r\nHost:\r\n\r\n",
        Err(Error::BadHead)
    );

    req!(
        absolute_form,
        b"POST http://gw:4000/v1/chat/completions?x=1 HTTP/1.1\r\nHost: other\r\n\r\n",
        |h| {
            assert_eq!(h.path, "/v1/chat/completions?x=1");
            assert_eq!(h.target, "http://gw:4000/v1/chat/completions?x=1");
            assert_eq!(h.authority, Some("gw:4000"));
            // §3.2.2: Host is ignored for the authority, so it need not match.
            assert_eq!(h.header("host"), Some(&b"other"[..]));
        }
    );
    req!(
        absolute_form_empty_path,
        b"GET HtTpS://gw HTTP/1.1\r\nHost: gw\r\n\r\n",
        |h| {
            assert_eq!((h.path, h.authority), ("/", Some("gw")));
        }
    );
    req!(
        absolute_form_still_needs_host,
        b"GET http://gw/ HTTP/1.1\r\n\r\n",
        Err(Error::MissingHost)
    );
    req!(
        absolute_form_host_still_checked_for_syntax,
        b"GET http://gw/ HTTP/1.1\r\nHost: gw/\r\n\r\n",
        Err(Error::InvalidHost)
    );
    req!(
        absolute_form_other_scheme,
        b"GET ftp://gw/ HTTP/1.1\r\nHost: gw\r\n\r\n",
        Err(Error::BadHead)
    );
    req!(
        relative_target,
        b"GET v1/models HTTP/1.1\r\nHost: gw\r\n\r\n",
        Err(Error::BadHead)
    );
    req!(
        asterisk_form,
        b"OPTIONS * HTTP/1.1\r\nHost: gw\r\n\r\n",
        |h| {
            assert_eq!((h.method, h.path, h.target), (Method::Options, "*", "*"));
            assert_eq!(h.authority, None);
        }
    );
    req!(
        origin_form_target_is_path,
        b"GET /a?b HTTP/1.1\r\nHost: gw\r\n\r\n",
        |h| assert_eq!((h.path, h.target, h.authority), ("/a?b", "/a?b", None))
    );
    req!(
        leading_empty_lines_are_skipped,
        b"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        |h| assert_eq!(h.head_len, 30)
    );

    req!(
        obs_fold,
        b"GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n",
        Err(Error::ObsFold)
    );
    req!(
        obs_fold_tab,
        b"GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n",
        Err(Error::ObsFold)
    );
    req!(
        space_before_colon,
        b"GET / HTTP/1.1\r\nHost: a\r\nX-A : one\r\n\r\n",
        Err(Error::BadHead)
    );
    req!(
        http2_version,
        b"GET / HTTP/2.0\r\n\r\n",
        Err(Error::UnsupportedVersion)
    );
    req!(
        http09_version,
        b"GET / HTTP/0.9\r\n\r\n",
        Err(Error::UnsupportedVersion)
    );
    req!(
        garbage,
        b"\x00\x01\x02 / HTTP/1.1\r\nHost: a\r\n\r\n",
        Err(Error::BadHead)
    );
    req!(
        double_space,
        b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        Err(Error::BadHead)
    );

    req!(
        body_over_limit_at_head_time,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n",
        Limits {
            max_body_bytes: 10,
            ..Limits::default()
        },
        Err(Error::BodyTooLarge)
    );
    req!(
        body_at_limit,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n",
        Limits {
            max_body_bytes: 10,
            ..Limits::default()
        },
        |h| assert_eq!(h.body, BodyKind::Length(10))
    );
    req!(
        partial_under_limit,
        b"GET / HTTP/1.1\r\nHost: a",
        Limits {
            max_head_bytes: 23,
            ..Limits::default()
        },
        Partial
    );
    req!(
        partial_over_limit,
        b"GET / HTTP/1.1\r\nHost: ab",
        Limits {
            max_head_bytes: 23,
            ..Limits::default()
        },
        Err(Error::HeadTooLarge)
    );
    req!(
        complete_head_over_limit,
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        Limits {
            max_head_bytes: 26,
            ..Limits::default()
        },
        Err(Error::HeadTooLarge)
    );
    req!(
        complete_head_at_limit,
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody bytes beyond the head",
        Limits {
            max_head_bytes: 27,
            ..Limits::default()
        },
        |h| assert_eq!(h.head_len, 27)
    );
    req!(
        headers_over_limit,
        b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n",
        Limits {
            max_headers: 2,
            ..Limits::default()
        },
        Err(Error::TooManyHeaders)
    );
    req!(
        headers_at_limit,
        b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n",
        Limits {
            max_headers: 2,
            ..Limits::default()
        },
        |h| assert_eq!(h.headers.len(), 2)
    );

    #[test]
    fn too_many_headers_for_the_storage_slice() {
        let mut headers = [EMPTY_HEADER; 1];
        let res = parse_request(
            b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n",
            &mut headers,
            &Limits::default(),
        );
        assert_eq!(res.err(), Some(Error::TooManyHeaders));
    }

    #[test]
    fn every_prefix_is_partial() {
        let full = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
        for end in 0..full.len() {
            parse(&full[..end], &Limits::default(), |res| {
                assert!(matches!(res, Ok(Status::Partial)), "prefix {end}: {res:?}");
            });
        }
    }

    #[test]
    fn obs_fold_is_what_httparse_rejects_by_default() {
        // Pins the dependency's behaviour our ObsFold mapping relies on.
        let mut headers = [EMPTY_HEADER; 4];
        let mut req = httparse::Request::new(&mut headers);
        let res = req.parse(b"GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n");
        assert_eq!(res.err(), Some(httparse::Error::HeaderName));
    }
}
