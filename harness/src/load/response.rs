//! Sans-I/O reader of HTTP/1.1 responses for the load generator: head, body framing, SSE events.

/// Largest response head accepted; a bigger one is reported as malformed, not buffered.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most headers parsed in one response head.
const MAX_HEADERS: usize = 64;

/// Why a response could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseError {
    /// The head is not valid HTTP/1.1 or exceeds [`MAX_HEAD_BYTES`].
    BadHead,
    /// Content-Length is missing a number or conflicts with Transfer-Encoding.
    BadLength,
    /// Chunked framing is broken (bad size line or missing CRLF).
    BadChunk,
}

/// How the body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Length(u64),
    Chunked(Chunk),
    /// No framing: the body runs until the server closes.
    UntilClose,
}

/// Where the chunked decoder is inside the chunk stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Hex digits of a size line; `seen` tells whether any digit was read.
    Size {
        size: u64,
        seen: bool,
    },
    /// Chunk extension after the size, skipped up to LF.
    Extension {
        size: u64,
    },
    /// CR read after the size; LF must follow.
    SizeLf {
        size: u64,
    },
    Data {
        left: u64,
    },
    DataCr,
    DataLf,
    /// Start of a trailer line after the last chunk; an empty line ends the body.
    TrailerStart,
    /// Inside a trailer field line, skipped up to LF.
    TrailerLine,
    /// CR of the final empty line read; LF must follow.
    EndLf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Body(Body),
    Done,
}

/// What one call to [`ResponseReader::feed`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fed {
    /// Bytes of the input used; the caller drops them and keeps the rest.
    pub consumed: usize,
    /// The response is complete.
    pub complete: bool,
}

/// Reads one response at a time; [`ResponseReader::reset`] prepares it for the next.
#[derive(Debug, Clone)]
pub struct ResponseReader {
    state: State,
    status: u16,
    keep_alive: bool,
    event_stream: bool,
    body_bytes: u64,
    events: u64,
    /// SSE: whether the current line has no content yet (an empty line ends an event).
    line_empty: bool,
}

impl Default for ResponseReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseReader {
    pub fn new() -> Self {
        Self {
            state: State::Head,
            status: 0,
            keep_alive: true,
            event_stream: false,
            body_bytes: 0,
            events: 0,
            line_empty: false,
        }
    }

    /// Forgets the previous response.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Status code, once the head is read (0 before).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the connection may carry another request after this response.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Body bytes decoded so far (chunk framing excluded).
    pub fn body_bytes(&self) -> u64 {
        self.body_bytes
    }

    /// Server-sent events completed so far (`text/event-stream` bodies only).
    pub fn events(&self) -> u64 {
        self.events
    }

    pub fn head_done(&self) -> bool {
        self.state != State::Head
    }

    /// The server closed the connection: completes a body delimited by close.
    pub fn eof(&mut self) -> bool {
        if self.state == State::Body(Body::UntilClose) {
            self.state = State::Done;
            return true;
        }
        self.state == State::Done
    }

    /// Consumes as much of `input` as belongs to this response.
    pub fn feed(&mut self, input: &[u8]) -> Result<Fed, ResponseError> {
        let mut at = 0;
        loop {
            match self.state {
                State::Done => {
                    return Ok(Fed {
                        consumed: at,
                        complete: true,
                    })
                }
                State::Head => match self.head(&input[at..])? {
                    Some(used) => at += used,
                    None => {
                        return Ok(Fed {
                            consumed: at,
                            complete: false,
                        })
                    }
                },
                State::Body(body) => {
                    let (used, next) = self.body(body, &input[at..])?;
                    at += used;
                    self.state = next;
                    if at == input.len() && self.state != State::Done {
                        return Ok(Fed {
                            consumed: at,
                            complete: false,
                        });
                    }
                }
            }
        }
    }

    fn head(&mut self, input: &[u8]) -> Result<Option<usize>, ResponseError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let used = match response.parse(input) {
            Ok(httparse::Status::Complete(used)) => used,
            Ok(httparse::Status::Partial) if input.len() > MAX_HEAD_BYTES => {
                return Err(ResponseError::BadHead)
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(ResponseError::BadHead),
        };
        let status = response.code.unwrap_or(0);
        // HTTP/1.0 closes by default (RFC 9112 §9.3).
        self.keep_alive = response.version == Some(1);
        let mut length = None;
        let mut chunked = false;
        for header in response.headers.iter() {
            let value = header.value;
            if header.name.eq_ignore_ascii_case("content-length") {
                let parsed = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .ok_or(ResponseError::BadLength)?;
                if length.is_some_and(|l| l != parsed) {
                    return Err(ResponseError::BadLength);
                }
                length = Some(parsed);
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = contains_token(value, b"chunked");
            } else if header.name.eq_ignore_ascii_case("connection") {
                if contains_token(value, b"close") {
                    self.keep_alive = false;
                } else if contains_token(value, b"keep-alive") {
                    self.keep_alive = true;
                }
            } else if header.name.eq_ignore_ascii_case("content-type") {
                self.event_stream = contains_token(value, b"text/event-stream");
            }
        }
        if (100..200).contains(&status) {
            // Interim response: the final head follows.
            return Ok(Some(used));
        }
        self.status = status;
        // 204 and 304 never carry a body (RFC 9112 §6.3, rule 1).
        let body = if status == 204 || status == 304 {
            Body::Length(0)
        } else if chunked {
            if length.is_some() {
                // A sender must not send both; a proxy that does is broken (§6.3, rule 3).
                return Err(ResponseError::BadLength);
            }
            Body::Chunked(Chunk::Size {
                size: 0,
                seen: false,
            })
        } else if let Some(length) = length {
            Body::Length(length)
        } else {
            self.keep_alive = false;
            Body::UntilClose
        };
        self.state = match body {
            Body::Length(0) => State::Done,
            body => State::Body(body),
        };
        self.line_empty = false;
        Ok(Some(used))
    }

    /// Decodes body bytes; returns bytes used and the next state.
    fn body(&mut self, body: Body, input: &[u8]) -> Result<(usize, State), ResponseError> {
        match body {
            Body::Length(left) => {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                self.data(&input[..take]);
                let left = left - take as u64;
                let next = if left == 0 {
                    State::Done
                } else {
                    State::Body(Body::Length(left))
                };
                Ok((take, next))
            }
            Body::UntilClose => {
                self.data(input);
                Ok((input.len(), State::Body(Body::UntilClose)))
            }
            Body::Chunked(chunk) => {
                let (used, next) = self.chunked(chunk, input)?;
                Ok((used, next))
            }
        }
    }

    fn chunked(&mut self, mut chunk: Chunk, input: &[u8]) -> Result<(usize, State), ResponseError> {
        let mut at = 0;
        while at < input.len() {
            if let Chunk::Data { left } = chunk {
                let take = usize::try_from(left)
                    .unwrap_or(usize::MAX)
                    .min(input.len() - at);
                self.data(&input[at..at + take]);
                at += take;
                let left = left - take as u64;
                chunk = if left == 0 {
                    Chunk::DataCr
                } else {
                    Chunk::Data { left }
                };
                continue;
            }
            let byte = input[at];
            at += 1;
            chunk = match (chunk, byte) {
                (Chunk::Size { size, .. }, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F') => {
                    let digit = u64::from((byte as char).to_digit(16).unwrap_or(0));
                    let size = size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(digit))
                        .ok_or(ResponseError::BadChunk)?;
                    Chunk::Size { size, seen: true }
                }
                (Chunk::Size { size, seen: true }, b'\r') => Chunk::SizeLf { size },
                (Chunk::Size { size, seen: true }, b';' | b' ' | b'\t') => {
                    Chunk::Extension { size }
                }
                (Chunk::Extension { size }, b'\r') => Chunk::SizeLf { size },
                (Chunk::Extension { size }, _) => Chunk::Extension { size },
                (Chunk::SizeLf { size: 0 }, b'\n') => Chunk::TrailerStart,
                (Chunk::SizeLf { size }, b'\n') => Chunk::Data { left: size },
                (Chunk::DataCr, b'\r') => Chunk::DataLf,
                (Chunk::DataLf, b'\n') => Chunk::Size {
                    size: 0,
                    seen: false,
                },
                (Chunk::TrailerStart, b'\r') => Chunk::EndLf,
                (Chunk::TrailerStart | Chunk::TrailerLine, b'\n') => Chunk::TrailerStart,
                (Chunk::TrailerStart | Chunk::TrailerLine, _) => Chunk::TrailerLine,
                (Chunk::EndLf, b'\n') => return Ok((at, State::Done)),
                _ => return Err(ResponseError::BadChunk),
            };
        }
        Ok((at, State::Body(Body::Chunked(chunk))))
    }

    /// Counts body bytes and, for event streams, events ended by an empty line (WHATWG SSE).
    fn data(&mut self, bytes: &[u8]) {
        self.body_bytes += bytes.len() as u64;
        if !self.event_stream {
            return;
        }
        for &byte in bytes {
            match byte {
                b'\n' => {
                    if self.line_empty {
                        self.events += 1;
                    }
                    self.line_empty = true;
                }
                b'\r' => {}
                _ => self.line_empty = false,
            }
        }
    }
}

/// Whether a comma-separated header value holds `token` (ASCII case-insensitive).
fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',' || b == b';')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Feeds `bytes` in pieces of `step`, keeping unconsumed bytes as a caller does; returns
    /// the reader and how many bytes the response used.
    fn read_split(bytes: &[u8], step: usize) -> (ResponseReader, usize) {
        let mut reader = ResponseReader::new();
        let mut pending = Vec::new();
        let mut used = 0;
        let mut at = 0;
        loop {
            let end = (at + step).min(bytes.len());
            pending.extend_from_slice(&bytes[at..end]);
            at = end;
            let fed = reader.feed(&pending).unwrap();
            pending.drain(..fed.consumed);
            used += fed.consumed;
            if fed.complete {
                return (reader, used);
            }
            assert!(at < bytes.len(), "ran out of input at step {step}");
        }
    }

    /// A chunked response of `content_type` whose chunks are `pieces`, then `tail`.
    fn chunked(content_type: &str, pieces: &[&str], tail: &str) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        for piece in pieces {
            out.push_str(&format!("{:x}\r\n{piece}\r\n", piece.len()));
        }
        out.push_str(tail);
        out.into_bytes()
    }

    #[test]
    fn content_length_body_at_every_split() {
        let response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1";
        for step in 1..response.len() {
            let (reader, used) = read_split(response, step);
            assert_eq!(reader.status(), 200);
            assert_eq!(reader.body_bytes(), 5);
            assert!(reader.keep_alive());
            assert_eq!(used, response.len() - 8, "took bytes of the next response");
        }
    }

    #[test]
    fn chunked_event_stream_counts_events_at_every_split() {
        let events = [
            "data: {\"a\":1}\n\n",
            "data: {\"b\":22}\n\nda",
            "ta: [DONE]\n\n",
        ];
        let stream = chunked("text/event-stream", &events, "0\r\n\r\n");
        let body: usize = events.iter().map(|e| e.len()).sum();
        for step in 1..=stream.len() {
            let (reader, used) = read_split(&stream, step);
            assert_eq!(reader.events(), 3, "step {step}");
            assert_eq!(reader.body_bytes(), body as u64);
            assert_eq!(used, stream.len());
        }
    }

    #[test]
    fn crlf_events_extensions_and_trailers() {
        let mut response = chunked(
            "text/event-stream; charset=utf-8",
            &["data: x\r\n\r\ndata:\r\n\r\n"],
            "0\r\nx-trailer: 1\r\n\r\n",
        );
        // A chunk extension after the size is skipped (RFC 9112 §7.1.1).
        let at = response.windows(4).position(|w| w == b"14\r\n").unwrap();
        response.splice(at + 2..at + 2, b";ext=1".iter().copied());
        let (reader, used) = read_split(&response, 1);
        assert_eq!(reader.events(), 2);
        assert_eq!(used, response.len());
    }

    #[test]
    fn json_bodies_count_no_events() {
        let (reader, _) = read_split(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\n\n\n\n", 3);
        assert_eq!(reader.events(), 0);
    }

    #[test]
    fn status_and_connection_close() {
        let (reader, _) = read_split(
            b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            7,
        );
        assert_eq!(reader.status(), 503);
        assert!(!reader.keep_alive());
    }

    #[test]
    fn interim_response_is_skipped() {
        let (reader, _) = read_split(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            4,
        );
        assert_eq!(reader.status(), 201);
        assert_eq!(reader.body_bytes(), 2);
    }

    #[test]
    fn body_until_close() {
        let mut reader = ResponseReader::new();
        let fed = reader.feed(b"HTTP/1.1 200 OK\r\n\r\nabc").unwrap();
        assert!(!fed.complete);
        assert!(reader.eof());
        assert!(!reader.keep_alive());
        assert_eq!(reader.body_bytes(), 3);
    }

    #[test]
    fn eof_mid_length_body_is_incomplete() {
        let mut reader = ResponseReader::new();
        reader
            .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc")
            .unwrap();
        assert!(!reader.eof());
    }

    #[test]
    fn malformed_responses_are_errors() {
        let cases: [(&[u8], ResponseError); 5] = [
            (b"NOT HTTP\r\n\r\n", ResponseError::BadHead),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                ResponseError::BadLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                ResponseError::BadLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                ResponseError::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
                ResponseError::BadChunk,
            ),
        ];
        for (input, error) in cases {
            assert_eq!(ResponseReader::new().feed(input), Err(error), "{input:?}");
        }
        let huge = vec![b'a'; MAX_HEAD_BYTES + 1];
        let mut head = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
        head.extend_from_slice(&huge);
        assert_eq!(
            ResponseReader::new().feed(&head),
            Err(ResponseError::BadHead)
        );
    }

    #[test]
    fn reset_reads_the_next_response() {
        let mut reader = ResponseReader::new();
        let two = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        let fed = reader.feed(two).unwrap();
        assert!(fed.complete);
        reader.reset();
        let fed2 = reader.feed(&two[fed.consumed..]).unwrap();
        assert!(fed2.complete);
        assert_eq!(reader.status(), 404);
        assert_eq!(fed.consumed + fed2.consumed, two.len());
    }
}
