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
/// out borrowed from the input, [`decode_in_place`](Self::decode_in_place) moves it down in
/// the caller's buffer instead, and [`eof`](Self::eof) tells the decoder the peer closed.
#[derive(Debug)]
pub struct BodyDecoder {
    state: State,
    data_bytes: u64,
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
        BodyDecoder {
            state,
            data_bytes: 0,
        }
    }

    /// Decodes as much of `input` as belongs to the body, handing each piece of payload
    /// (borrowed from `input`) to `on_data`. Returns bytes consumed: all of `input`, unless
    /// the body ends inside it, in which case it stops right after the end and the rest
    /// belongs to the next message. A body already done consumes nothing.
    pub fn feed(&mut self, input: &[u8], mut on_data: impl FnMut(&[u8])) -> Result<usize, Error> {
        let n = match &mut self.state {
            State::Length { remaining } => {
                let n = take(*remaining, input.len());
                if n > 0 {
                    on_data(&input[..n]);
                }
                *remaining -= n as u64;
                n
            }
            State::Chunked(chunked) => {
                let before = chunked.data_bytes();
                let n = chunked.decode(input, on_data);
                self.data_bytes += chunked.data_bytes() - before;
                return n;
            }
            State::UntilClose => {
                if !input.is_empty() {
                    on_data(input);
                }
                input.len()
            }
            State::Closed => 0,
        };
        self.data_bytes += n as u64;
        Ok(n)
    }

    /// Decodes `buf[read..]` as [`feed`](Self::feed) would, but moves the payload down to
    /// `write` instead of handing it out, so raw and decoded bytes share one buffer (for a
    /// length or close-delimited body with `read == write`, nothing moves at all).
    ///
    /// Returns `(read, write)` with the same meaning as
    /// [`ChunkedDecoder::decode_in_place`]: where decoding stopped and the end of decoded
    /// data, which never overtakes the read cursor.
    ///
    /// # Panics
    ///
    /// If `write > read` or `read > buf.len()`: both are the caller's own cursors.
    pub fn decode_in_place(
        &mut self,
        buf: &mut [u8],
        read: usize,
        write: usize,
    ) -> Result<(usize, usize), Error> {
        assert!(
            write <= read && read <= buf.len(),
            "decode_in_place: cursors out of order"
        );
        let n = match &mut self.state {
            State::Length { remaining } => {
                let n = take(*remaining, buf.len() - read);
                *remaining -= n as u64;
                n
            }
            State::Chunked(chunked) => {
                let before = chunked.data_bytes();
                let cursors = chunked.decode_in_place(buf, read, write);
                self.data_bytes += chunked.data_bytes() - before;
                return cursors;
            }
            State::UntilClose => buf.len() - read,
            State::Closed => 0,
        };
        // Payload already where it belongs (read == write, the usual case) is not moved;
        // otherwise overlapping moves are fine: copy_within is a memmove.
        if read != write {
            buf.copy_within(read..read + n, write);
        }
        self.data_bytes += n as u64;
        Ok((read + n, write + n))
    }

    /// The peer closed the connection. Returns whether the body is complete: a close ends a
    /// close-delimited body (RFC 9112 §6.3, a response without a declared length) and
    /// truncates any other unfinished one.
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

    /// Payload decoded so far, for the caller's body limit.
    pub fn data_bytes(&self) -> u64 {
        self.data_bytes
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
        assert_eq!(dec.data_bytes(), body.len() as u64);
        Ok((body, used, dec))
    }

    /// Decodes `input` in place, arriving in two pieces split at `split`, compacting between
    /// reads as a server does; returns the payload, the bytes consumed, and the decoder.
    fn in_place(kind: BodyKind, input: &[u8], split: usize) -> (Vec<u8>, usize, BodyDecoder) {
        let mut dec = BodyDecoder::new(kind);
        let mut buf = b"HEAD".to_vec();
        let (mut read, mut write, mut fed) = (4, 4, 0);
        for piece in [&input[..split], &input[split..]] {
            buf.drain(write..read);
            read = write;
            buf.extend_from_slice(piece);
            fed += piece.len();
            (read, write) = dec.decode_in_place(&mut buf, read, write).unwrap();
            if read < buf.len() {
                break;
            }
        }
        assert_eq!(dec.data_bytes(), (write - 4) as u64);
        let used = fed - (buf.len() - read);
        (buf[4..write].to_vec(), used, dec)
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
            let (body, used, dec) = in_place(BodyKind::Length(10), input, split);
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
            let mut buf = *b"NEXT";
            assert_eq!(dec.decode_in_place(&mut buf, 0, 0).unwrap(), (0, 0));
            assert!(dec.eof() && dec.reusable());
            assert_eq!(dec.data_bytes(), 0);
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
            let (body, used, dec) = in_place(BodyKind::Chunked, CHUNKED, split);
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
        let mut buf = *b"zz\r\n";
        let mut dec = BodyDecoder::new(BodyKind::Chunked);
        assert_eq!(
            dec.decode_in_place(&mut buf, 0, 0),
            Err(Error::InvalidChunkSize)
        );
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
            let (body, used, mut dec) = in_place(BodyKind::CloseDelimited, input, split);
            assert_eq!((body.as_slice(), used), (&input[..], input.len()));
            assert!(dec.eof() && !dec.reusable());
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
        let mut buf = *b"5\r\nhello";
        assert_eq!(dec.decode_in_place(&mut buf, 0, 0).unwrap(), (0, 0));
        assert_eq!(dec.data_bytes(), CHUNKED_BODY.len() as u64);
    }

    #[test]
    fn in_place_length_body_moves_down_to_write() {
        let mut buf = b"HEADxxabcdefNEXT".to_vec();
        let mut dec = BodyDecoder::new(BodyKind::Length(6));
        assert_eq!(dec.decode_in_place(&mut buf, 6, 4).unwrap(), (12, 10));
        assert_eq!(&buf[..10], b"HEADabcdef");
        assert_eq!(&buf[12..], b"NEXT");
        assert!(dec.is_done());
    }

    #[test]
    fn large_declared_lengths_take_what_arrived() {
        let mut dec = BodyDecoder::new(BodyKind::Length(u64::MAX));
        assert_eq!(dec.feed(&[7; 4096], |_| {}).unwrap(), 4096);
        assert!(!dec.is_done());
        assert_eq!(dec.data_bytes(), 4096);
    }

    #[test]
    #[should_panic(expected = "cursors out of order")]
    fn in_place_write_past_read_is_a_caller_bug() {
        let _ = BodyDecoder::new(BodyKind::Length(1)).decode_in_place(&mut [0; 4], 1, 2);
    }
}
