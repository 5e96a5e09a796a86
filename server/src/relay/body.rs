//! Decoding an upstream response body by its framing (length, chunked, close-delimited),
//! handing out payload bytes borrowed from the read buffer.

use corelane_http1::{BodyKind, ChunkedDecoder, Error};

#[derive(Debug)]
pub struct BodyDecoder {
    kind: BodyKind,
    remaining: u64,
    chunked: ChunkedDecoder,
    done: bool,
}

impl BodyDecoder {
    pub fn new(kind: BodyKind) -> Self {
        BodyDecoder {
            kind,
            remaining: match kind {
                BodyKind::Length(n) => n,
                _ => 0,
            },
            chunked: ChunkedDecoder::new(),
            done: matches!(kind, BodyKind::Empty | BodyKind::Length(0)),
        }
    }

    /// Feeds raw bytes; payload goes to `on_data`. Returns bytes consumed (less than the input
    /// only when the body ended inside it).
    pub fn feed(&mut self, input: &[u8], mut on_data: impl FnMut(&[u8])) -> Result<usize, Error> {
        if self.done {
            return Ok(0);
        }
        match self.kind {
            BodyKind::Empty => Ok(0),
            BodyKind::Length(_) => {
                let n = input
                    .len()
                    .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                if n > 0 {
                    on_data(&input[..n]);
                }
                self.remaining -= n as u64;
                self.done = self.remaining == 0;
                Ok(n)
            }
            BodyKind::Chunked => {
                let n = self.chunked.decode(input, on_data)?;
                self.done = self.chunked.is_done();
                Ok(n)
            }
            BodyKind::CloseDelimited => {
                if !input.is_empty() {
                    on_data(input);
                }
                Ok(input.len())
            }
        }
    }

    /// The peer closed: fine for close-delimited bodies, a truncation otherwise.
    pub fn eof(&mut self) -> bool {
        if self.kind == BodyKind::CloseDelimited {
            self.done = true;
        }
        self.done
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the connection can be reused once the body is done.
    pub fn reusable(&self) -> bool {
        self.done && self.kind != BodyKind::CloseDelimited
    }
}

/// Room reserved in front of a chunk for its size line: 8 hex digits and CRLF. Leading zeros
/// are valid (RFC 9112 §7.1: chunk-size = 1*HEXDIG), and reserving them lets the payload be
/// written once, straight after, without knowing its length in advance.
const CHUNK_HEAD: usize = 10;

/// Starts a chunk in `out`; returns its position for [`end_chunk`].
pub fn begin_chunk(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(b"00000000\r\n");
    at
}

/// Completes the chunk begun at `at` (drops it when empty: an empty chunk would end the body).
pub fn end_chunk(out: &mut Vec<u8>, at: usize) {
    let len = out.len() - at - CHUNK_HEAD;
    if len == 0 {
        out.truncate(at);
        return;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in 0..8 {
        out[at + 7 - i] = HEX[(len >> (4 * i)) & 0xf];
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_framed_in_place() {
        let mut out = b"x".to_vec();
        let at = begin_chunk(&mut out);
        out.extend_from_slice(&[b'a'; 300]);
        end_chunk(&mut out, at);
        assert_eq!(&out[..11], b"x0000012c\r\n");
        assert!(out.ends_with(b"a\r\n"));
        let at = begin_chunk(&mut out);
        let before = out.len() - CHUNK_HEAD;
        end_chunk(&mut out, at);
        assert_eq!(out.len(), before);
    }

    #[test]
    fn length_bodies_stop_at_their_end() {
        let mut d = BodyDecoder::new(BodyKind::Length(5));
        let mut got = Vec::new();
        assert_eq!(d.feed(b"abc", |x| got.extend_from_slice(x)).unwrap(), 3);
        assert_eq!(d.feed(b"deNEXT", |x| got.extend_from_slice(x)).unwrap(), 2);
        assert!(d.is_done() && d.reusable());
        assert_eq!(got, b"abcde");
        let mut c = BodyDecoder::new(BodyKind::CloseDelimited);
        assert!(!c.is_done());
        assert!(c.eof() && !c.reusable());
        let mut l = BodyDecoder::new(BodyKind::Length(3));
        assert!(!l.eof());
    }
}
