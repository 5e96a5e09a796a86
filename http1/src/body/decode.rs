//! Decoding a message body by its framing (RFC 9112 §6.3): a Content-Length, the chunked
//! coding, or the end of the connection, with payload borrowed from the caller's buffer.

use super::{BodyKind, ChunkedDecoder};
use crate::Error;

/// Where the decoder is within the body; each framing carries what it needs.
#[derive(Debug)]
enum State {
    /// A Content-Length body with this many bytes still to come (`Empty` starts at zero).
    Length { remaining: u64 },
    /// A chunked body; the inner decoder knows when it is over.
    Chunked(ChunkedDecoder),
    /// A close-delimited body: everything until the peer closes is payload.
    UntilClose,
    /// The peer closed a close-delimited body: it is complete, and so is the connection.
    Closed,
}

/// Decodes one body of any framing incrementally, fed whatever the caller has read.
///
/// Built from the [`BodyKind`] a parsed head announced; [`feed`](Self::feed) hands payload
/// out borrowed from the input, and [`eof`](Self::eof) tells the decoder the peer closed.
#[derive(Debug)]
pub struct BodyDecoder {
    state: State,
}

impl BodyDecoder {
    /// A decoder for a body framed as `kind` announced.
    pub fn new(kind: BodyKind) -> Self {
        let state = match kind {
            BodyKind::Empty => State::Length { remaining: 0 },
            BodyKind::Length(n) => State::Length { remaining: n },
            BodyKind::Chunked => State::Chunked(ChunkedDecoder::new()),
            BodyKind::CloseDelimited => State::UntilClose,
        };
        BodyDecoder { state }
    }

    /// Decodes as much of `input` as belongs to the body, handing each piece of payload
    /// (borrowed from `input`) to `on_data`. Returns bytes consumed: all of `input`, unless
    /// the body ends inside it, in which case it stops right after the end and the rest
    /// belongs to the next message. A body already done consumes nothing.
    pub fn feed(&mut self, input: &[u8], mut on_data: impl FnMut(&[u8])) -> Result<usize, Error> {
        match &mut self.state {
            State::Length { remaining } => {
                let n = take(*remaining, input.len());
                if n > 0 {
                    on_data(&input[..n]);
                }
                *remaining -= n as u64;
                Ok(n)
            }
            State::Chunked(chunked) => chunked.decode(input, on_data),
            State::UntilClose => {
                if !input.is_empty() {
                    on_data(input);
                }
                Ok(input.len())
            }
            State::Closed => Ok(0),
        }
    }

    /// The peer closed the connection. Returns whether the body is complete: a close ends a
    /// close-delimited body (RFC 9112 §6.3 item 8) and truncates any other unfinished one.
    pub fn eof(&mut self) -> bool {
        if matches!(self.state, State::UntilClose) {
            self.state = State::Closed;
        }
        self.is_done()
    }

    /// True once the whole body has been decoded (for a close-delimited body, after
    /// [`eof`](Self::eof)).
    pub fn is_done(&self) -> bool {
        match &self.state {
            State::Length { remaining } => *remaining == 0,
            State::Chunked(chunked) => chunked.is_done(),
            State::UntilClose => false,
            State::Closed => true,
        }
    }

    /// Whether the connection can carry another message once this body is done: not before
    /// the end, and never after a close-delimited body, whose end is the connection's.
    pub fn reusable(&self) -> bool {
        !matches!(self.state, State::Closed) && self.is_done()
    }
}

/// How many of `available` bytes a length body with `remaining` bytes to come takes.
fn take(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |r| r.min(available))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A chunked body with extensions and trailers, then the next message.
    const CHUNKED: &[u8] =
        b"5;x=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\nHTTP/1.1 200 OK\r\n";
    const CHUNKED_BODY: &[u8] = b"hello, world";
    const CHUNKED_END: usize = CHUNKED.len() - b"HTTP/1.1 200 OK\r\n".len();

    /// Feeds `pieces` in order, stopping at the first short read as a caller would; returns
    /// the payload, the bytes consumed, and the decoder.
    fn feed(kind: BodyKind, pieces: &[&[u8]]) -> Result<(Vec<u8>, usize, BodyDecoder), Error> {
        let mut dec = BodyDecoder::new(kind);
        let mut body = Vec::new();
        let mut used = 0;
        for p in pieces {
            let n = dec.feed(p, |d| body.extend_from_slice(d))?;
            used += n;
            if n < p.len() {
                break;
            }
        }
        Ok((body, used, dec))
    }

    #[test]
    fn length_body_stops_at_its_end() {
        let (body, used, dec) = feed(BodyKind::Length(5), &[b"abc", b"deNEXT"]).unwrap();
        assert_eq!((body.as_slice(), used), (&b"abcde"[..], 5));
        assert!(dec.is_done() && dec.reusable());
    }

    #[test]
    fn length_body_at_every_split() {
        let input = b"0123456789NEXT";
        for split in 0..=input.len() {
            let (a, b) = input.split_at(split);
            let (body, used, dec) = feed(BodyKind::Length(10), &[a, b]).unwrap();
            assert_eq!((body.as_slice(), used), (&input[..10], 10), "split {split}");
            assert!(dec.is_done() && dec.reusable());
        }
    }

    #[test]
    fn zero_length_and_empty_bodies_are_done_at_once() {
        for kind in [BodyKind::Empty, BodyKind::Length(0)] {
            let mut dec = BodyDecoder::new(kind);
            assert!(dec.is_done() && dec.reusable(), "{kind:?}");
            let n = dec.feed(b"NEXT", |_| panic!("no payload")).unwrap();
            assert_eq!(n, 0);
            assert!(dec.eof() && dec.reusable());
        }
    }

    #[test]
    fn chunked_body_at_every_split() {
        for split in 0..=CHUNKED.len() {
            let (a, b) = CHUNKED.split_at(split);
            let (body, used, dec) = feed(BodyKind::Chunked, &[a, b]).unwrap();
            assert_eq!(
                (body.as_slice(), used),
                (CHUNKED_BODY, CHUNKED_END),
                "{split}"
            );
            assert!(dec.is_done() && dec.reusable());
        }
    }

    #[test]
    fn chunked_body_byte_by_byte() {
        let pieces: Vec<&[u8]> = CHUNKED.chunks(1).collect();
        let (body, used, dec) = feed(BodyKind::Chunked, &pieces).unwrap();
        assert_eq!((body.as_slice(), used), (CHUNKED_BODY, CHUNKED_END));
        assert!(dec.is_done());
    }

    #[test]
    fn chunked_errors_come_from_the_chunked_decoder() {
        let mut dec = BodyDecoder::new(BodyKind::Chunked);
        assert_eq!(dec.feed(b"3\r\nabcX", |_| {}), Err(Error::BadChunk));
        assert!(!dec.is_done() && !dec.reusable());
        let mut dec = BodyDecoder::new(BodyKind::Chunked);
        assert_eq!(dec.feed(b"zz\r\n", |_| {}), Err(Error::InvalidChunkSize));
    }

    #[test]
    fn close_delimited_body_ends_at_eof_and_is_not_reusable() {
        let input = b"everything until the peer closes";
        for split in 0..=input.len() {
            let (a, b) = input.split_at(split);
            let (body, used, mut dec) = feed(BodyKind::CloseDelimited, &[a, b]).unwrap();
            assert_eq!((body.as_slice(), used), (&input[..], input.len()));
            assert!(!dec.is_done() && !dec.reusable());
            assert!(dec.eof());
            assert!(dec.is_done() && !dec.reusable());
            // After the close nothing more is payload.
            assert_eq!(dec.feed(b"late", |_| panic!("no payload")).unwrap(), 0);
        }
    }

    #[test]
    fn eof_before_the_end_is_a_truncation() {
        let (_, _, mut dec) = feed(BodyKind::Length(10), &[b"short"]).unwrap();
        assert!(!dec.eof());
        assert!(!dec.is_done() && !dec.reusable());
        let (_, _, mut dec) = feed(BodyKind::Chunked, &[b"5\r\nhel"]).unwrap();
        assert!(!dec.eof());
        assert!(!dec.is_done() && !dec.reusable());
        // A chunked body missing only its final CRLF is still cut short.
        let (_, _, mut dec) = feed(BodyKind::Chunked, &[b"0\r\n\r"]).unwrap();
        assert!(!dec.eof());
    }

    #[test]
    fn a_finished_body_consumes_nothing_more() {
        let (_, _, mut dec) = feed(BodyKind::Chunked, &[CHUNKED]).unwrap();
        assert_eq!(dec.feed(b"0\r\n\r\n", |_| panic!("no payload")).unwrap(), 0);
    }

    #[test]
    fn large_declared_lengths_take_what_arrived() {
        let mut dec = BodyDecoder::new(BodyKind::Length(u64::MAX));
        assert_eq!(dec.feed(&[7; 4096], |_| {}).unwrap(), 4096);
        assert!(!dec.is_done());
    }
}
