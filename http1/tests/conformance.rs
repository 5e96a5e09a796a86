//! One row per protocol requirement the codec enforces: input bytes, the outcome, and the RFC
//! section that demands it. A failing row names its section; rows are checked all together so
//! one run lists every requirement broken.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use corelane_http1::limits::{DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEAD_BYTES};
use corelane_http1::{
    parse_request, parse_response, BodyKind, ChunkedDecoder, Error, HeadScan, Limits, Method,
    RequestHead, Status, EMPTY_HEADER, MAX_HEADERS,
};

/// What a row expects of a complete head, or the error and status it must be refused with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Body(BodyKind),
    Target {
        path: &'static str,
        authority: Option<&'static str>,
    },
    KeepAlive(bool),
    Continue(bool),
    Method(Method),
    Reject(Error, u16),
}

use Expect::*;

const DEFAULT: Limits = Limits {
    max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
    max_headers: MAX_HEADERS,
    max_body_bytes: DEFAULT_MAX_BODY_BYTES,
};
const SMALL: Limits = Limits {
    max_head_bytes: 64,
    max_headers: 2,
    max_body_bytes: 10,
};

/// (section, request bytes, limits, expectation)
type RequestRow = (&'static str, &'static [u8], Limits, Expect);

#[rustfmt::skip]
const REQUESTS: &[RequestRow] = &[
    // Message format and versions.
    ("RFC 9112 §2.2 a server SHOULD ignore at least one empty line before the request-line",
        b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", DEFAULT, Body(BodyKind::Empty)),
    ("RFC 9112 §2.2 a recipient MAY accept a bare LF as a line terminator",
        b"GET / HTTP/1.1\nHost: a\n\n", DEFAULT, Body(BodyKind::Empty)),
    ("RFC 9110 §2.5 / §6.2 only HTTP/1.0 and HTTP/1.1 are served over this framing",
        b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", DEFAULT, Reject(Error::UnsupportedVersion, 400)),
    ("RFC 9110 §2.5 / §6.2 HTTP/0.9 is not served",
        b"GET / HTTP/0.9\r\n\r\n", DEFAULT, Reject(Error::UnsupportedVersion, 400)),
    ("RFC 9112 §3 request-line = method SP request-target SP HTTP-version (single SP)",
        b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", DEFAULT, Reject(Error::BadHead, 400)),
    ("RFC 9110 §9.1 method names are case-sensitive",
        b"get / HTTP/1.1\r\nHost: a\r\n\r\n", DEFAULT, Method(Method::Other)),
    // Host.
    ("RFC 9112 §3.2 an HTTP/1.1 request without Host MUST get 400",
        b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", DEFAULT, Reject(Error::MissingHost, 400)),
    ("RFC 9112 §3.2 more than one Host field MUST get 400",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", DEFAULT, Reject(Error::BadHead, 400)),
    ("RFC 9112 §3.2 a Host with an invalid field value MUST get 400",
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", DEFAULT, Reject(Error::InvalidHost, 400)),
    ("RFC 9112 §3.2 / RFC 3986 §3.2.3 port = *DIGIT",
        b"GET / HTTP/1.1\r\nHost: a:http\r\n\r\n", DEFAULT, Reject(Error::InvalidHost, 400)),
    ("RFC 9110 §7.2 Host = uri-host [ \":\" port ], no userinfo",
        b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", DEFAULT, Reject(Error::InvalidHost, 400)),
    ("RFC 9110 §7.2 host and port, IP-literal included",
        b"GET / HTTP/1.1\r\nHost: [::1]:4000\r\n\r\n", DEFAULT, Body(BodyKind::Empty)),
    ("RFC 9110 §7.2 Host is empty when the target URI has no authority",
        b"GET / HTTP/1.1\r\nHost:\r\n\r\n", DEFAULT, Body(BodyKind::Empty)),
    ("RFC 9112 §3.2 only HTTP/1.1 requires Host",
        b"GET / HTTP/1.0\r\n\r\n", DEFAULT, Body(BodyKind::Empty)),
    ("RFC 9112 §3.2 an invalid Host gets 400 in any request",
        b"GET / HTTP/1.0\r\nHost: a/b\r\n\r\n", DEFAULT, Reject(Error::InvalidHost, 400)),
    // Request targets.
    ("RFC 9112 §3.2.1 origin-form is routed as sent",
        b"GET /v1/models?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", DEFAULT,
        Target { path: "/v1/models?x=1", authority: None }),
    ("RFC 9112 §3.2.2 a server MUST accept absolute-form",
        b"POST http://gw:4000/v1/chat/completions?x=1 HTTP/1.1\r\nHost: gw:4000\r\n\r\n",
        DEFAULT, Target { path: "/v1/chat/completions?x=1", authority: Some("gw:4000") }),
    ("RFC 9112 §3.2.2 the target's authority is used, Host is ignored",
        b"GET HTTPS://gw/a HTTP/1.1\r\nHost: elsewhere\r\n\r\n", DEFAULT,
        Target { path: "/a", authority: Some("gw") }),
    ("RFC 9112 §3.2.1 an empty path is \"/\" in origin-form",
        b"GET http://gw HTTP/1.1\r\nHost: gw\r\n\r\n", DEFAULT,
        Target { path: "/", authority: Some("gw") }),
    ("RFC 9112 §3.2 a client MUST send Host even with absolute-form",
        b"GET http://gw/ HTTP/1.1\r\n\r\n", DEFAULT, Reject(Error::MissingHost, 400)),
    ("RFC 9110 §4.2 only http and https URIs are served",
        b"GET ftp://gw/ HTTP/1.1\r\nHost: gw\r\n\r\n", DEFAULT, Reject(Error::BadHead, 400)),
    ("RFC 9110 §4.2.1 an http URI with an empty host MUST be rejected",
        b"GET http:///a HTTP/1.1\r\nHost: gw\r\n\r\n", DEFAULT, Reject(Error::BadHead, 400)),
    ("RFC 9110 §4.2.4 userinfo in an http URI is treated as an error",
        b"GET http://u:p@gw/ HTTP/1.1\r\nHost: gw\r\n\r\n", DEFAULT, Reject(Error::BadHead, 400)),
    ("RFC 9112 §3.2 a target is one of the four forms",
        b"GET v1/models HTTP/1.1\r\nHost: gw\r\n\r\n", DEFAULT, Reject(Error::BadHead, 400)),
    ("RFC 9112 §3.2.4 asterisk-form for OPTIONS",
        b"OPTIONS * HTTP/1.1\r\nHost: gw\r\n\r\n", DEFAULT, Target { path: "*", authority: None }),
    // Field syntax.
    ("RFC 9112 §5.1 whitespace between field name and colon MUST get 400",
        b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", DEFAULT, Reject(Error::BadHead, 400)),
    ("RFC 9112 §5.2 obs-fold in a request: reject with 400",
        b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n", DEFAULT, Reject(Error::ObsFold, 400)),
    ("RFC 9110 §5.1 field names are case-insensitive",
        b"POST / HTTP/1.1\r\nhOST: a\r\ncontent-LENGTH: 3\r\n\r\n", DEFAULT,
        Body(BodyKind::Length(3))),
    // Transfer-Encoding.
    ("RFC 9112 §6.3 item 4 chunked as the final coding frames the body",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", DEFAULT,
        Body(BodyKind::Chunked)),
    ("RFC 9112 §6.3 item 4 a request whose final coding is not chunked MUST get 400",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", DEFAULT,
        Reject(Error::InvalidTransferEncoding, 400)),
    ("RFC 9112 §6.3 item 4 the final coding counts across field lines",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
        DEFAULT, Reject(Error::InvalidTransferEncoding, 400)),
    ("RFC 9112 §6.1 a sender MUST NOT apply chunked more than once",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", DEFAULT,
        Reject(Error::InvalidTransferEncoding, 400)),
    ("RFC 9112 §6.1 a coding the server does not understand SHOULD get 501",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", DEFAULT,
        Reject(Error::UnsupportedTransferEncoding, 501)),
    ("RFC 9112 §6.1 Transfer-Encoding in HTTP/1.0 means faulty framing",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", DEFAULT,
        Reject(Error::BadHead, 400)),
    ("RFC 9112 §6.1 / §6.3 item 3 a server MAY reject Content-Length with Transfer-Encoding",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        DEFAULT, Reject(Error::ContentLengthWithTransferEncoding, 400)),
    // Content-Length.
    ("RFC 9112 §6.3 item 5 a valid Content-Length is the body length",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", DEFAULT,
        Body(BodyKind::Length(5))),
    ("RFC 9112 §6.3 item 5 a list of identical values is accepted",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", DEFAULT,
        Body(BodyKind::Length(5))),
    ("RFC 9112 §6.3 item 5 differing values are an unrecoverable error",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", DEFAULT,
        Reject(Error::ConflictingContentLength, 400)),
    ("RFC 9110 §8.6 Content-Length = 1*DIGIT",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", DEFAULT,
        Reject(Error::InvalidContentLength, 400)),
    ("RFC 9110 §8.6 recipients MUST anticipate overflow",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", DEFAULT,
        Reject(Error::InvalidContentLength, 400)),
    ("RFC 9112 §6.3 item 6 a request with neither field has no body",
        b"POST / HTTP/1.1\r\nHost: a\r\n\r\n", DEFAULT, Body(BodyKind::Empty)),
    // Limits.
    ("RFC 9110 §15.5.14 a body over the limit gets 413 before it is read",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", SMALL,
        Reject(Error::BodyTooLarge, 413)),
    ("RFC 6585 §5 an over-long head gets 431",
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789012345678901234567890123456789\r\n\r\n",
        SMALL,
        Reject(Error::HeadTooLarge, 431)),
    ("RFC 6585 §5 too many header fields get 431",
        b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", SMALL,
        Reject(Error::TooManyHeaders, 431)),
    // Persistence and expectations.
    ("RFC 9112 §9.3 HTTP/1.1 persists by default",
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", DEFAULT, KeepAlive(true)),
    ("RFC 9112 §9.3 Connection: close ends it",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", DEFAULT,
        KeepAlive(false)),
    ("RFC 9112 §9.3 HTTP/1.0 closes unless keep-alive",
        b"GET / HTTP/1.0\r\n\r\n", DEFAULT, KeepAlive(false)),
    ("RFC 9112 §9.3 / §C.2.2 HTTP/1.0 keep-alive persists",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", DEFAULT, KeepAlive(true)),
    ("RFC 9110 §10.1.1 100-continue in HTTP/1.1 asks for an interim response",
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
        DEFAULT, Continue(true)),
    ("RFC 9110 §10.1.1 a server MUST ignore 100-continue in HTTP/1.0",
        b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", DEFAULT,
        Continue(false)),
];

/// (section, response bytes, method of the request it answers, expectation)
type ResponseRow = (&'static str, &'static [u8], Method, Expect);

#[rustfmt::skip]
const RESPONSES: &[ResponseRow] = &[
    ("RFC 9112 §6.3 item 1 a response to HEAD has no body",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", Method::Head, Body(BodyKind::Empty)),
    ("RFC 9112 §6.3 item 1 1xx has no body",
        b"HTTP/1.1 100 Continue\r\n\r\n", Method::Post, Body(BodyKind::Empty)),
    ("RFC 9112 §6.3 item 1 204 has no body",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", Method::Get, Body(BodyKind::Empty)),
    ("RFC 9112 §6.3 item 1 304 has no body",
        b"HTTP/1.1 304 Not Modified\r\n\r\n", Method::Get, Body(BodyKind::Empty)),
    ("RFC 9112 §6.3 item 4 chunked final frames a response",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Method::Get,
        Body(BodyKind::Chunked)),
    ("RFC 9112 §6.3 item 4 a response whose final coding is not chunked runs to close",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", Method::Get,
        Body(BodyKind::CloseDelimited)),
    ("RFC 9112 §6.3 item 3 Content-Length with Transfer-Encoding is an error",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        Method::Get, Reject(Error::ContentLengthWithTransferEncoding, 400)),
    ("RFC 9112 §6.3 item 8 with neither field the body runs to close",
        b"HTTP/1.1 200 OK\r\n\r\n", Method::Get, Body(BodyKind::CloseDelimited)),
    ("RFC 9112 §9.3 a close-delimited response ends the connection",
        b"HTTP/1.1 200 OK\r\n\r\n", Method::Get, KeepAlive(false)),
    ("RFC 9110 §15 a status code is three digits from 100",
        b"HTTP/1.1 099 Odd\r\n\r\n", Method::Get, Reject(Error::BadHead, 400)),
    ("RFC 9112 §5.2 obs-fold in a response is rejected too",
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n", Method::Get,
        Reject(Error::ObsFold, 400)),
];

/// (section, chunked body bytes, decoded data or the error)
type ChunkedRow = (&'static str, &'static [u8], Result<&'static [u8], Error>);

#[rustfmt::skip]
const CHUNKED: &[ChunkedRow] = &[
    ("RFC 9112 §7.1 chunks then last-chunk then CRLF",
        b"5\r\nhello\r\n0\r\n\r\n", Ok(b"hello")),
    ("RFC 9112 §7.1 chunk-size is hex, either case",
        b"a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n", Ok(b"01234567890123456789")),
    ("RFC 9112 §7.1.1 unrecognised chunk extensions are ignored",
        b"5;a=b;c\r\nhello\r\n0;z\r\n\r\n", Ok(b"hello")),
    ("RFC 9112 §7.1.2 trailer fields may be discarded",
        b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", Ok(b"hello")),
    ("RFC 9112 §7.1 recipients MUST anticipate chunk-size overflow",
        b"10000000000000000\r\n", Err(Error::InvalidChunkSize)),
    ("RFC 9112 §7.1 chunk-size = 1*HEXDIG",
        b"0x5\r\nhello\r\n0\r\n\r\n", Err(Error::InvalidChunkSize)),
    ("RFC 9112 §7.1 chunk data ends with CRLF (bare LF is a smuggling vector)",
        b"5\r\nhello\n0\r\n\r\n", Err(Error::BadChunk)),
    ("RFC 9112 §7.1 the size line ends with CRLF",
        b"5\nhello\r\n0\r\n\r\n", Err(Error::InvalidChunkSize)),
    ("RFC 9112 §7.1 chunk data is exactly chunk-size octets",
        b"3\r\nhello\r\n0\r\n\r\n", Err(Error::BadChunk)),
];

fn check_request(row: &RequestRow) -> Result<(), String> {
    let (_, input, limits, expect) = *row;
    let mut headers = [EMPTY_HEADER; MAX_HEADERS];
    let outcome = parse_request(input, &mut headers, &limits);
    // Every row must also agree with the head scanner on where the head ends.
    let scanned = HeadScan::new().scan(input, &limits);
    match (&outcome, scanned) {
        (Ok(Status::Complete(h)), Ok(Status::Complete(end))) if h.head_len == end => {}
        (Err(_), _) => {}
        (_, scanned) => return Err(format!("scan {scanned:?} disagrees with {outcome:?}")),
    }
    match (outcome, expect) {
        (Ok(Status::Complete(h)), expect) => check_head(&h, expect),
        (Err(e), Reject(want, status)) if e == want && e.status() == status => Ok(()),
        (other, _) => Err(format!("got {other:?}")),
    }
}

fn check_head(h: &RequestHead<'_, '_>, expect: Expect) -> Result<(), String> {
    let ok = match expect {
        Body(kind) => h.body == kind,
        Target { path, authority } => h.path == path && h.authority == authority,
        KeepAlive(keep) => h.keep_alive == keep,
        Continue(cont) => h.expect_continue == cont,
        Method(m) => h.method == m,
        Reject(..) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("got {h:?}"))
    }
}

fn check_response(row: &ResponseRow) -> Result<(), String> {
    let (_, input, method, expect) = *row;
    let mut headers = [EMPTY_HEADER; 16];
    let ok = match (
        parse_response(input, &mut headers, method, &DEFAULT),
        expect,
    ) {
        (Ok(Status::Complete(h)), Body(kind)) => h.body == kind,
        (Ok(Status::Complete(h)), KeepAlive(keep)) => h.keep_alive == keep,
        (Err(e), Reject(want, status)) => e == want && e.status() == status,
        (other, _) => return Err(format!("got {other:?}")),
    };
    if ok {
        Ok(())
    } else {
        Err("head differs".into())
    }
}

/// Decodes with both `decode` and `decode_in_place`; they must agree with the row and each
/// other.
fn check_chunked(row: &ChunkedRow) -> Result<(), String> {
    let (_, input, expect) = *row;
    let mut streamed = Vec::new();
    let mut dec = ChunkedDecoder::new();
    let streamed = dec
        .decode(input, |d| streamed.extend_from_slice(d))
        .and_then(|_| {
            if dec.is_done() {
                Ok(streamed)
            } else {
                Err(Error::BadChunk)
            }
        });
    let mut buf = input.to_vec();
    let mut dec = ChunkedDecoder::new();
    let in_place = dec.decode_in_place(&mut buf, 0, 0).and_then(|(_, write)| {
        buf.truncate(write);
        if dec.is_done() {
            Ok(buf)
        } else {
            Err(Error::BadChunk)
        }
    });
    let expect = expect.map(<[u8]>::to_vec);
    if streamed == expect && in_place == expect {
        Ok(())
    } else {
        Err(format!("decode {streamed:?}, in place {in_place:?}"))
    }
}

#[test]
fn every_requirement_holds() {
    let mut failures = Vec::new();
    let results = REQUESTS
        .iter()
        .map(|r| (r.0, check_request(r)))
        .chain(RESPONSES.iter().map(|r| (r.0, check_response(r))))
        .chain(CHUNKED.iter().map(|r| (r.0, check_chunked(r))));
    for (section, result) in results {
        if let Err(why) = result {
            failures.push(format!("{section}: {why}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_row_cites_a_section() {
    let sections = REQUESTS
        .iter()
        .map(|r| r.0)
        .chain(RESPONSES.iter().map(|r| r.0))
        .chain(CHUNKED.iter().map(|r| r.0));
    for section in sections {
        assert!(
            section.starts_with("RFC ") && section.contains('§'),
            "{section}"
        );
    }
}
