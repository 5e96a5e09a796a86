//! Request-head parsing with httparse: what the mock needs to frame and route a request.

/// Most header lines accepted; more gets 431, as a real server would.
pub const MAX_HEADERS: usize = 96;
/// Largest request head; beyond it the request is refused with 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How the request body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Length(u64),
    Chunked,
}

/// The parts of a request head the mock acts on; the raw head is kept separately for recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Bytes of the head including the blank line.
    pub len: usize,
    pub method: String,
    pub target: String,
    pub framing: Framing,
    pub keep_alive: bool,
    pub expect_continue: bool,
}

/// A head that cannot be served; the connection is answered with `status` and closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadError {
    pub status: u16,
    pub message: &'static str,
}

const fn bad(status: u16, message: &'static str) -> HeadError {
    HeadError { status, message }
}

/// Parses a head from the start of `buf`; `Ok(None)` means more bytes are needed.
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
            return Err(bad(431, "request head too large"))
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(bad(431, "too many headers")),
        Err(_) => return Err(bad(400, "malformed request head")),
    };
    let version = request.version.unwrap_or(1);
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoding = false;
    // HTTP/1.1 is persistent unless told otherwise; 1.0 only when asked (RFC 9112 §9.3).
    let mut keep_alive = version == 1;
    let mut expect_continue = false;
    for header in request.headers.iter() {
        let value = std::str::from_utf8(header.value)
            .map_err(|_| bad(400, "non-UTF-8 header value"))?
            .trim();
        if header.name.eq_ignore_ascii_case("content-length") {
            let parsed: u64 = value
                .parse()
                .map_err(|_| bad(400, "invalid content-length"))?;
            if content_length.is_some_and(|previous| previous != parsed) {
                return Err(bad(400, "conflicting content-length headers"));
            }
            content_length = Some(parsed);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            // Only a final `chunked` coding delimits the body (RFC 9112 §6.3 rule 4).
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if header.name.eq_ignore_ascii_case("connection") {
            for option in value.split(',').map(str::trim) {
                if option.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if option.eq_ignore_ascii_case("keep-alive") {
                    keep_alive = true;
                }
            }
        } else if header.name.eq_ignore_ascii_case("expect") {
            expect_continue = value.eq_ignore_ascii_case("100-continue");
        }
    }
    let framing = if transfer_encoding {
        if !chunked {
            return Err(bad(400, "unsupported transfer-encoding"));
        }
        // A message with both is a smuggling risk: serve it, then close (RFC 9112 §6.3 rule 3).
        if content_length.is_some() {
            keep_alive = false;
        }
        Framing::Chunked
    } else {
        Framing::Length(content_length.unwrap_or(0))
    };
    Ok(Some(Head {
        len,
        method: request.method.unwrap_or("").to_owned(),
        target: request.path.unwrap_or("").to_owned(),
        framing,
        keep_alive,
        expect_continue: expect_continue && version == 1,
    }))
}

/// Header lines of a recorded raw head, names lowercased, for `/__mock/requests`.
pub fn header_pairs(raw: &[u8]) -> Vec<(String, String)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    if request.parse(raw).is_err() {
        return Vec::new();
    }
    request
        .headers
        .iter()
        .filter(|header| !header.name.is_empty())
        .map(|header| {
            (
                header.name.to_ascii_lowercase(),
                String::from_utf8_lossy(header.value).into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn partial_then_complete() {
        assert_eq!(
            parse_head(b"POST /v1/x HTTP/1.1\r\nHost: a\r\n").unwrap(),
            None
        );
        let head = parse_head(b"POST /v1/x?q=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap()
            .unwrap();
        assert_eq!(head.len, 46);
        assert_eq!(head.method, "POST");
        assert_eq!(head.target, "/v1/x?q=1");
        assert_eq!(head.framing, Framing::Length(5));
        assert!(head.keep_alive);
    }

    #[test]
    fn connection_and_version_rules() {
        let close = parse_head(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
        assert!(!close.unwrap().keep_alive);
        let old = parse_head(b"GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(!old.keep_alive);
        let old_ka = parse_head(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
        assert!(old_ka.unwrap().keep_alive);
    }

    #[test]
    fn chunked_framing_wins_and_closes() {
        let head = parse_head(
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.framing, Framing::Chunked);
        assert!(!head.keep_alive);
    }

    #[test]
    fn refuses_bad_heads() {
        let status = |raw: &[u8]| parse_head(raw).unwrap_err().status;
        assert_eq!(status(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 400);
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            400
        );
        assert_eq!(status(b"\x01\x02 nonsense\r\n\r\n"), 400);
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..MAX_HEADERS + 1 {
            many.extend_from_slice(format!("x-{i}: v\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(status(&many), 431);
        let mut huge = b"GET / HTTP/1.1\r\nx: ".to_vec();
        huge.resize(MAX_HEAD_BYTES + 10, b'a');
        assert_eq!(status(&huge), 431);
    }

    #[test]
    fn records_lowercased_headers() {
        let pairs = header_pairs(b"GET / HTTP/1.1\r\nX-Api-Key: k\r\nHost: h\r\n\r\n");
        assert_eq!(
            pairs,
            vec![
                ("x-api-key".to_owned(), "k".to_owned()),
                ("host".to_owned(), "h".to_owned())
            ]
        );
    }
}
