//! A blocking HTTP/1.1 client over one connection, built to see exactly what a server sends.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

use crate::sse::parse_events;

/// Bound on every socket read of a test: a hung server fails the test instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// Bytes asked of the socket per read.
const READ_SIZE: usize = 64 * 1024;

/// A blocking HTTP/1.1 client over one connection: keep-alive, pipelining (requests can be
/// written before responses are read) and incremental reading of chunked bodies.
#[derive(Debug)]
pub struct Client {
    pub stream: TcpStream,
    /// Bytes read from the stream and not yet handed out.
    buf: Vec<u8>,
    /// Chunked body in progress: true until the last chunk was read.
    in_chunked: bool,
}

/// Body framing of the response being read (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
    Close,
    None,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
            in_chunked: false,
        }
    }

    pub fn set_read_timeout(&self, limit: Duration) {
        self.stream.set_read_timeout(Some(limit)).unwrap();
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to server");
    }

    /// Writes a request with `Host` and `Content-Length` (unless `headers` frame it).
    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        self.send_raw(&request_bytes(method, path, headers, body));
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send(method, path, headers, body);
        self.read_response()
    }

    pub fn post(&mut self, path: &str, body: &Value) -> Response {
        self.request("POST", path, &[], body.to_string().as_bytes())
    }

    /// One more read into the buffer: `Ok(false)` at end of stream; a timeout panics.
    fn read_more(&mut self) -> io::Result<bool> {
        let mut tmp = [0u8; READ_SIZE];
        match self.stream.read(&mut tmp) {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                Ok(true)
            }
            Err(e) if is_timeout(&e) => panic!("read from server timed out"),
            Err(e) => Err(e),
        }
    }

    /// One more read into the buffer; false at end of stream, a reset panics.
    fn fill(&mut self) -> bool {
        self.read_more()
            .unwrap_or_else(|e| panic!("read from server: {e}"))
    }

    /// Like `fill` but a reset or closed connection is an ordinary end.
    fn fill_or_eof(&mut self) -> bool {
        self.read_more().unwrap_or(false)
    }

    /// Reads a response head (1xx heads included: the caller decides).
    pub fn read_head(&mut self) -> Head {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 4);
                let head = Head::parse(&text);
                self.in_chunked = head.is_chunked() && head.status >= 200;
                return head;
            }
            assert!(
                self.fill(),
                "connection closed before a response head (got {:?})",
                String::from_utf8_lossy(&self.buf)
            );
        }
    }

    /// Reads the body that follows `head`, whole.
    pub fn read_body(&mut self, head: &Head) -> Vec<u8> {
        match head.framing() {
            Framing::None => Vec::new(),
            Framing::Length(n) => {
                while self.buf.len() < n {
                    assert!(self.fill(), "connection closed mid-body");
                }
                self.buf.drain(..n).collect()
            }
            Framing::Chunked => {
                let mut body = Vec::new();
                while let Some(chunk) = self.next_chunk() {
                    body.extend_from_slice(&chunk);
                }
                body
            }
            Framing::Close => self.read_to_close(),
        }
    }

    /// Everything up to the server's close (EOF or reset), buffered bytes included: a
    /// close-delimited body, or what is left of a cut one.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        while self.fill_or_eof() {}
        std::mem::take(&mut self.buf)
    }

    /// The next chunk of a chunked body, as it arrives; `None` after the last chunk.
    /// Panics on a malformed or truncated chunked body.
    pub fn next_chunk(&mut self) -> Option<Vec<u8>> {
        match self.try_next_chunk() {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`Client::next_chunk`] reporting a body cut by the server's close or reset as
    /// `UnexpectedEof`, and a malformed one as `InvalidData`.
    pub fn try_next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        if !self.in_chunked {
            return Ok(None);
        }
        let cut = |what: &str| io::Error::new(io::ErrorKind::UnexpectedEof, what);
        loop {
            if let Some(line_end) = find(&self.buf, b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                // RFC 9112 §7.1.1: extensions after `;` are ignored.
                let size_text = line.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_text, 16).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("bad chunk size line {line:?}"),
                    )
                })?;
                if size == 0 {
                    // Last chunk: skip trailers up to the blank line.
                    loop {
                        if let Some(end) = find(&self.buf[line_end..], b"\r\n\r\n") {
                            self.buf.drain(..line_end + end + 4);
                            self.in_chunked = false;
                            return Ok(None);
                        }
                        if !self.fill_or_eof() {
                            return Err(cut("connection closed in the last chunk"));
                        }
                    }
                }
                let need = line_end + 2 + size + 2;
                while self.buf.len() < need {
                    if !self.fill_or_eof() {
                        return Err(cut("connection closed mid-chunk"));
                    }
                }
                if &self.buf[need - 2..need] != b"\r\n" {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "chunk not followed by CRLF",
                    ));
                }
                let data = self.buf[line_end + 2..need - 2].to_vec();
                self.buf.drain(..need);
                return Ok(Some(data));
            }
            if !self.fill_or_eof() {
                return Err(cut("connection closed between chunks"));
            }
        }
    }

    /// Reads one final response (1xx interim responses are skipped).
    pub fn read_response(&mut self) -> Response {
        loop {
            let head = self.read_head();
            if head.status < 200 {
                continue;
            }
            let body = self.read_body(&head);
            return Response {
                status: head.status,
                headers: head.headers,
                body,
            };
        }
    }

    /// True when the server closed the connection (EOF or reset) within `limit`, with no
    /// further bytes sent; panics on bytes past the responses read.
    pub fn closed_within(&mut self, limit: Duration) -> bool {
        assert!(
            self.buf.is_empty(),
            "unexpected bytes after the response: {:?}",
            String::from_utf8_lossy(&self.buf)
        );
        self.set_read_timeout(limit);
        let mut tmp = [0u8; 1024];
        let closed = match self.stream.read(&mut tmp) {
            Ok(0) => true,
            Ok(n) => panic!(
                "unexpected bytes after the response: {:?}",
                String::from_utf8_lossy(&tmp[..n])
            ),
            Err(e) => !is_timeout(&e),
        };
        self.set_read_timeout(IO_TIMEOUT);
        closed
    }
}

/// A read that ran into the socket's read timeout (`WouldBlock` on Unix).
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A response status line and headers (names lowercased).
#[derive(Debug, Clone)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// Parses a head without its final blank line; panics unless it starts `HTTP/1.1 NNN`.
    fn parse(text: &str) -> Head {
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(
            parts.next(),
            Some("HTTP/1.1"),
            "status line {status_line:?}"
        );
        let status = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {status_line:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Head { status, headers }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// How the body after this head ends (RFC 9112 §6.3: 1xx, 204 and 304 have none).
    fn framing(&self) -> Framing {
        if self.status < 200 || self.status == 204 || self.status == 304 {
            return Framing::None;
        }
        if self.is_chunked() {
            return Framing::Chunked;
        }
        match self.header("content-length") {
            Some(n) => Framing::Length(n.parse().expect("numeric content-length")),
            None => Framing::Close,
        }
    }
}

/// A whole response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }

    /// The body's server-sent events as (event name, data) pairs; see [`parse_events`].
    pub fn events(&self) -> Vec<(Option<String>, String)> {
        parse_events(&self.text())
    }
}

/// The first value of header `name` (case-insensitive).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The bytes of a request: `Host`, `Content-Type: application/json` for a body unless
/// `headers` name one, and `Content-Length` for a POST or a body unless `headers` frame it.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: corelane.test\r\n");
    let framed = headers.iter().any(|(n, _)| {
        n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding")
    });
    let has_type = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    if !has_type && !body.is_empty() {
        out.push_str("Content-Type: application/json\r\n");
    }
    if !framed && (method == "POST" || !body.is_empty()) {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Shutdown, TcpListener};
    use std::thread::JoinHandle;

    /// A one-connection server that reads one request head, writes `pieces` apart (to split
    /// heads and chunks across reads), then closes.
    fn serve(pieces: Vec<&'static [u8]>) -> (SocketAddr, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut seen = Vec::new();
            let mut tmp = [0u8; 1024];
            while find(&seen, b"\r\n\r\n").is_none() {
                let n = s.read(&mut tmp).unwrap();
                seen.extend_from_slice(&tmp[..n]);
            }
            for piece in pieces {
                s.write_all(piece).unwrap();
                std::thread::sleep(Duration::from_millis(5));
            }
            s.shutdown(Shutdown::Write).unwrap();
        });
        (addr, handle)
    }

    #[test]
    fn request_bytes_frames_a_json_body() {
        let bytes = request_bytes("POST", "/v1/x", &[("Authorization", "Bearer k")], b"{}");
        assert_eq!(
            bytes,
            b"POST /v1/x HTTP/1.1\r\nHost: corelane.test\r\nAuthorization: Bearer k\r\n\
              Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        );
        let get = request_bytes("GET", "/", &[], b"");
        assert_eq!(get, b"GET / HTTP/1.1\r\nHost: corelane.test\r\n\r\n");
        let chunked = request_bytes("POST", "/", &[("Transfer-Encoding", "chunked")], b"");
        assert!(!String::from_utf8(chunked)
            .unwrap()
            .contains("Content-Length"));
    }

    #[test]
    fn reads_length_then_chunked_responses_on_one_connection() {
        let (addr, server) = serve(vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Le",
            b"ngth: 5\r\n\r\nhel",
            b"loHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nab",
            b"c\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
        ]);
        let mut c = Client::connect(addr);
        c.send("GET", "/", &[], b"");
        let first = c.read_response();
        assert_eq!((first.status, first.text().as_str()), (200, "hello"));
        let head = c.read_head();
        assert!(head.is_chunked());
        assert_eq!(c.next_chunk(), Some(b"abc".to_vec()));
        assert_eq!(c.next_chunk(), Some(b"de".to_vec()));
        assert_eq!(c.next_chunk(), None);
        assert!(c.closed_within(Duration::from_secs(5)));
        server.join().unwrap();
    }

    #[test]
    fn close_delimited_body_and_cut_chunked_body() {
        let (addr, server) = serve(vec![b"HTTP/1.1 200 OK\r\n\r\n{\"a\":", b"1}"]);
        let mut c = Client::connect(addr);
        let r = c.request("GET", "/", &[], b"");
        assert_eq!(r.json()["a"], 1);
        server.join().unwrap();

        let (addr, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        ]);
        let mut c = Client::connect(addr);
        c.send("GET", "/", &[], b"");
        assert_eq!(c.read_head().status, 200);
        let err = c.try_next_chunk().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        server.join().unwrap();
    }

    #[test]
    fn no_body_after_204_and_bytes_after_a_response_are_not_a_close() {
        let (addr, server) = serve(vec![
            b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ]);
        let mut c = Client::connect(addr);
        c.send("GET", "/", &[], b"");
        assert_eq!(c.read_response().status, 204);
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            c.closed_within(Duration::from_secs(1))
        }));
        assert!(err.is_err(), "a second response is not a close");
        server.join().unwrap();
    }
}
