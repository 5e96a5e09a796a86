//! One keep-alive connection: read a request, plan the reply, write it, repeat.

use super::chunked::{ChunkError, ChunkedDecoder};
use super::embeddings::EmbeddingBody;
use super::errors::{error_body, reason, ErrorShape};
use super::fault::{Faults, FlakyCounts};
use super::head::{parse_head, Framing, Head, HeadError};
use super::options::MockOptions;
use super::record::Recorder;
use super::route::{plan, Introspection, Reply, StreamReply};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body accepted (a 2,048-input embeddings batch fits); more gets 413.
pub const MAX_BODY_BYTES: usize = 64 << 20;
/// Initial capacity of each connection's input and output buffers.
const BUFFER_BYTES: usize = 16 * 1024;
/// Output is written once it holds this much, bounding memory for large bodies.
const FLUSH_BYTES: usize = 64 * 1024;
/// Buffers grown past this by a large request or reply are shrunk back afterwards.
const SHRINK_ABOVE: usize = 256 * 1024;

/// What one server thread shares between its connections.
#[derive(Debug)]
pub struct ThreadState {
    pub options: Arc<MockOptions>,
    pub recorder: RefCell<Recorder>,
    pub flaky: FlakyCounts,
}

/// Whether the connection may carry another request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    KeepAlive,
    Close,
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFraming {
    Length(u64),
    Chunked,
}

/// Serves requests on `stream` until the peer closes, an error occurs or a reply closes it.
pub async fn serve_connection(stream: TcpStream, state: Rc<ThreadState>) {
    state.recorder.borrow_mut().connection();
    // Stream events must leave as written, not wait for Nagle to coalesce them.
    let _ = stream.set_nodelay(true);
    let mut connection = Connection {
        stream,
        input: Vec::with_capacity(BUFFER_BYTES),
        output: Vec::with_capacity(BUFFER_BYTES),
        scratch: Vec::new(),
        state,
    };
    while let Ok(After::KeepAlive) = connection.exchange().await {}
}

struct Connection {
    stream: TcpStream,
    /// Bytes read but not yet consumed; may hold the start of a pipelined request.
    input: Vec<u8>,
    output: Vec<u8>,
    /// One rendered event or embeddings piece before framing.
    scratch: Vec<u8>,
    state: Rc<ThreadState>,
}

impl Connection {
    /// Reads one request and answers it.
    async fn exchange(&mut self) -> io::Result<After> {
        let head = loop {
            match parse_head(&self.input) {
                Ok(Some(head)) => break head,
                Ok(None) => {
                    if self.fill().await? == 0 {
                        return Ok(After::Close);
                    }
                }
                Err(error) => return self.refuse(error).await,
            }
        };
        let raw_head = self.input[..head.len].to_vec();
        let (body, consumed) = match self.read_body(&head).await? {
            Ok(read) => read,
            Err(error) => return self.refuse(error).await,
        };
        self.input.drain(..consumed);
        if self.input.capacity() > SHRINK_ABOVE {
            self.input.shrink_to(BUFFER_BYTES);
        }
        let path = head.target.split('?').next().unwrap_or("");
        if let Some(endpoint) = Introspection::from_path(path) {
            return self.introspect(endpoint, &head).await;
        }
        let options = Arc::clone(&self.state.options);
        let (reply, faults) = plan(
            &head.method,
            &head.target,
            &body,
            &options,
            &self.state.flaky,
        );
        self.state
            .recorder
            .borrow_mut()
            .request(head.method, head.target, raw_head, body);
        let delay = faults.delay + Duration::from_millis(options.latency_ms);
        if !delay.is_zero() {
            monoio::time::sleep(delay).await;
        }
        let close = !head.keep_alive || faults.close;
        let after = match reply {
            Reply::Reset => return Ok(After::Close),
            Reply::Full { status, body } => self.send_full(status, &body, &faults, close).await?,
            Reply::Embeddings(spec) => self.send_embeddings(&spec, &faults, close).await?,
            Reply::Stream(stream) => {
                let gap = faults
                    .slowstream
                    .unwrap_or(Duration::from_millis(options.chunk_delay_ms));
                self.send_stream(&stream, gap, faults.truncate, close)
                    .await?
            }
        };
        if self.output.capacity() > SHRINK_ABOVE {
            self.output = Vec::with_capacity(BUFFER_BYTES);
            self.scratch = Vec::new();
        }
        Ok(after)
    }

    /// Reads the body after `head`; returns it and the bytes of input the request used.
    async fn read_body(&mut self, head: &Head) -> io::Result<Result<(Vec<u8>, usize), HeadError>> {
        let mut continued = !head.expect_continue;
        match head.framing {
            Framing::Length(length) => {
                if length > MAX_BODY_BYTES as u64 {
                    return Ok(Err(too_large()));
                }
                let end = head.len + length as usize;
                if self.input.len() < end {
                    self.continue_once(&mut continued).await?;
                    self.input.reserve(end - self.input.len());
                }
                while self.input.len() < end {
                    if self.fill().await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Ok(Ok((self.input[head.len..end].to_vec(), end)))
            }
            Framing::Chunked => {
                let mut decoder = ChunkedDecoder::new(MAX_BODY_BYTES);
                let mut body = Vec::new();
                loop {
                    let used = match decoder.decode(&self.input[head.len..], &mut body) {
                        Ok(used) => used,
                        Err(ChunkError::TooLarge) => return Ok(Err(too_large())),
                        Err(ChunkError::Malformed) => {
                            return Ok(Err(HeadError {
                                status: 400,
                                message: "malformed chunked body",
                            }))
                        }
                    };
                    if decoder.is_done() {
                        return Ok(Ok((body, head.len + used)));
                    }
                    // All buffered framing is decoded into `body`; drop it so the input
                    // buffer stays small however large the body is.
                    self.input.truncate(head.len);
                    self.continue_once(&mut continued).await?;
                    if self.fill().await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
            }
        }
    }

    /// Sends `100 Continue` the first time the body is awaited (RFC 9110 §10.1.1).
    async fn continue_once(&mut self, continued: &mut bool) -> io::Result<()> {
        if !*continued {
            *continued = true;
            self.output
                .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            self.flush().await?;
        }
        Ok(())
    }

    /// Reads more bytes after those already buffered; 0 means the peer closed.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.input.capacity() - self.input.len() < 4096 {
            self.input.reserve(BUFFER_BYTES);
        }
        let (start, end) = (self.input.len(), self.input.capacity());
        let buffer = std::mem::take(&mut self.input);
        // monoio reads into a buffer from index 0; the slice makes it append instead.
        let (result, slice) = self.stream.read(buffer.slice_mut(start..end)).await;
        self.input = slice.into_inner();
        result
    }

    async fn flush(&mut self) -> io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        let buffer = std::mem::take(&mut self.output);
        let (result, mut buffer) = self.stream.write_all(buffer).await;
        buffer.clear();
        self.output = buffer;
        result.map(drop)
    }

    /// Answers a request that cannot be read and closes: its framing can't be trusted.
    async fn refuse(&mut self, error: HeadError) -> io::Result<After> {
        let mut body = Vec::new();
        error_body(&mut body, ErrorShape::OpenAi, error.status, error.message);
        self.send_full(error.status, &body, &Faults::default(), true)
            .await?;
        Ok(After::Close)
    }

    async fn introspect(&mut self, endpoint: Introspection, head: &Head) -> io::Result<After> {
        let close = !head.keep_alive;
        if head.method != endpoint.method() {
            let mut body = Vec::new();
            let message = format!("mock: use {}", endpoint.method());
            error_body(&mut body, ErrorShape::OpenAi, 405, &message);
            return self.send_full(405, &body, &Faults::default(), close).await;
        }
        let body = {
            let mut recorder = self.state.recorder.borrow_mut();
            match endpoint {
                Introspection::Requests => recorder.requests_json(),
                Introspection::Stats => recorder.stats_json(),
                Introspection::Reset => {
                    recorder.reset();
                    self.state.flaky.reset();
                    b"{\"reset\":true}".to_vec()
                }
            }
        };
        self.send_full(200, &body, &Faults::default(), close).await
    }

    fn head(&mut self, status: u16, content_type: &str, framing: BodyFraming, close: bool) {
        let out = &mut self.output;
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
        out.push(b' ');
        out.extend_from_slice(reason(status).as_bytes());
        out.extend_from_slice(b"\r\ncontent-type: ");
        out.extend_from_slice(content_type.as_bytes());
        match framing {
            BodyFraming::Length(length) => {
                out.extend_from_slice(b"\r\ncontent-length: ");
                out.extend_from_slice(itoa::Buffer::new().format(length).as_bytes());
            }
            BodyFraming::Chunked => out.extend_from_slice(b"\r\ntransfer-encoding: chunked"),
        }
        if close {
            out.extend_from_slice(b"\r\nconnection: close");
        }
        out.extend_from_slice(b"\r\n\r\n");
    }

    /// Appends `data` to the output, as one HTTP chunk when `framing` is chunked.
    fn body_bytes(&mut self, framing: BodyFraming, data: &[u8]) {
        if framing == BodyFraming::Chunked {
            if data.is_empty() {
                return; // a zero-size chunk would end the body early
            }
            self.output
                .extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
            self.output.extend_from_slice(data);
            self.output.extend_from_slice(b"\r\n");
        } else {
            self.output.extend_from_slice(data);
        }
    }

    async fn finish(&mut self, framing: BodyFraming, close: bool) -> io::Result<After> {
        if framing == BodyFraming::Chunked {
            self.output.extend_from_slice(b"0\r\n\r\n");
        }
        self.flush().await?;
        Ok(if close {
            After::Close
        } else {
            After::KeepAlive
        })
    }

    async fn send_full(
        &mut self,
        status: u16,
        body: &[u8],
        faults: &Faults,
        close: bool,
    ) -> io::Result<After> {
        let framing = if faults.chunked {
            BodyFraming::Chunked
        } else {
            BodyFraming::Length(body.len() as u64)
        };
        self.head(status, "application/json", framing, close);
        if faults.truncate {
            self.body_bytes(framing, &body[..body.len() / 2]);
            self.flush().await?;
            return Ok(After::Close);
        }
        self.body_bytes(framing, body);
        self.finish(framing, close).await
    }

    async fn send_embeddings(
        &mut self,
        spec: &EmbeddingBody,
        faults: &Faults,
        close: bool,
    ) -> io::Result<After> {
        let total = spec.content_length();
        let budget = if faults.truncate { total / 2 } else { total };
        let framing = if faults.chunked {
            BodyFraming::Chunked
        } else {
            BodyFraming::Length(total)
        };
        self.head(200, "application/json", framing, close);
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut cursor = 0;
        let mut sent = 0u64;
        loop {
            scratch.clear();
            let done = spec.fill(&mut cursor, &mut scratch, FLUSH_BYTES);
            let allowed = (budget - sent).min(scratch.len() as u64) as usize;
            self.body_bytes(framing, &scratch[..allowed]);
            sent += allowed as u64;
            if let Err(error) = self.flush().await {
                self.scratch = scratch;
                return Err(error);
            }
            if done || sent == budget {
                break;
            }
        }
        self.scratch = scratch;
        if faults.truncate {
            return Ok(After::Close);
        }
        self.finish(framing, close).await
    }

    async fn send_stream(
        &mut self,
        stream: &StreamReply,
        gap: Duration,
        truncate: bool,
        close: bool,
    ) -> io::Result<After> {
        self.output
            .extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-type: ");
        self.output
            .extend_from_slice(stream.content_type().as_bytes());
        self.output
            .extend_from_slice(b"\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n");
        if close {
            self.output.extend_from_slice(b"connection: close\r\n");
        }
        self.output.extend_from_slice(b"\r\n");
        let count = if truncate {
            stream.truncated_count()
        } else {
            stream.count()
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        for index in 0..count {
            if index > 0 && !gap.is_zero() {
                // Each event reaches the client before the pause, so it sees them one by one.
                if let Err(error) = self.flush().await {
                    self.scratch = scratch;
                    return Err(error);
                }
                monoio::time::sleep(gap).await;
            }
            scratch.clear();
            stream.render(index, &mut scratch);
            self.body_bytes(BodyFraming::Chunked, &scratch);
            if self.output.len() >= FLUSH_BYTES {
                if let Err(error) = self.flush().await {
                    self.scratch = scratch;
                    return Err(error);
                }
            }
        }
        self.scratch = scratch;
        if truncate {
            self.flush().await?;
            return Ok(After::Close);
        }
        self.finish(BodyFraming::Chunked, close).await
    }
}

fn too_large() -> HeadError {
    HeadError {
        status: 413,
        message: "request body too large",
    }
}
