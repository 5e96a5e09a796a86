//! Streaming decoder for the chunked transfer coding (RFC 9112 §7.1), fed any split of input.

use crate::Error;

/// Hex digits allowed in a chunk size: 16 fill a u64, more can only be padding or overflow.
pub const MAX_CHUNK_SIZE_DIGITS: u8 = 16;

/// Chunk-extension bytes accepted over a whole body; we ignore extensions, so a peer sending
/// more is only making us scan.
pub const MAX_EXTENSION_BYTES: usize = 4 * 1024;

/// Trailer-section bytes accepted over a whole body; trailers are skipped, not forwarded.
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// Where the decoder is within the chunked grammar; each state carries what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkedState {
    /// Reading the hex chunk-size.
    Size { size: u64, digits: u8 },
    /// Whitespace after the size (BWS before a chunk-ext).
    SizeWs { size: u64 },
    /// Inside chunk extensions, up to the CR.
    Extension { size: u64 },
    /// Expecting the LF that ends the size line.
    SizeLf { size: u64 },
    /// Passing chunk data through.
    Data { remaining: u64 },
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// After the last chunk: a trailer field line or the final CRLF.
    TrailerStart,
    /// Inside a trailer field line, up to the CR.
    Trailer,
    /// Expecting the LF that ends a trailer line.
    TrailerLf,
    /// Expecting the LF of the final CRLF.
    EndLf,
    /// The body is over; further input belongs to the next message.
    Done,
}

/// What the front of the input turned out to be: bytes of framing to skip, or chunk data.
enum Piece {
    Framing(usize),
    Data(usize),
}

/// Decodes a chunked body incrementally, borrowing data out of each input slice.
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: ChunkedState,
    extension_bytes: usize,
    trailer_bytes: usize,
    data_bytes: u64,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    pub fn new() -> Self {
        Self {
            state: ChunkedState::Size { size: 0, digits: 0 },
            extension_bytes: 0,
            trailer_bytes: 0,
            data_bytes: 0,
        }
    }

    /// Decodes as much of `input` as it can, handing each piece of chunk data (borrowed from
    /// `input`) to `on_data`. Returns bytes consumed: all of `input`, unless the body (last
    /// chunk, trailers, final CRLF) ends inside it, in which case it stops right after the end.
    pub fn decode(&mut self, input: &[u8], mut on_data: impl FnMut(&[u8])) -> Result<usize, Error> {
        let mut pos = 0;
        while pos < input.len() && !self.is_done() {
            match self.next_piece(&input[pos..])? {
                Piece::Framing(n) => pos += n,
                Piece::Data(n) => {
                    on_data(&input[pos..pos + n]);
                    pos += n;
                }
            }
        }
        Ok(pos)
    }

    /// Decodes `buf[read..]` as [`decode`](Self::decode) would, but instead of handing data
    /// out it moves each piece down to `write`, so raw and decoded bytes share one buffer.
    ///
    /// Returns `(read, write)`: where decoding stopped (the end of `buf`, or right after the
    /// end of the body when the body ends inside it) and the end of decoded data. Decoded data
    /// never overtakes the read cursor, so the caller may feed more raw bytes after `read` and
    /// call again. On error the bytes between `write` and `read` are unspecified; the caller
    /// closes the connection anyway.
    ///
    /// # Panics
    ///
    /// If `write > read` or `read > buf.len()`: both are the caller's own cursors.
    pub fn decode_in_place(
        &mut self,
        buf: &mut [u8],
        mut read: usize,
        mut write: usize,
    ) -> Result<(usize, usize), Error> {
        assert!(
            write <= read && read <= buf.len(),
            "decode_in_place: cursors out of order"
        );
        while read < buf.len() && !self.is_done() {
            match self.next_piece(&buf[read..])? {
                Piece::Framing(n) => read += n,
                Piece::Data(n) => {
                    // Overlapping moves are fine: copy_within is a memmove.
                    buf.copy_within(read..read + n, write);
                    read += n;
                    write += n;
                }
            }
        }
        Ok((read, write))
    }

    /// True once the final CRLF after the last chunk (and any trailers) has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == ChunkedState::Done
    }

    /// Chunk data decoded so far, for the caller's body limit.
    pub fn data_bytes(&self) -> u64 {
        self.data_bytes
    }

    /// Classifies the front of `rest` (non-empty, decoder not done) and advances the state
    /// past it; both `decode` and `decode_in_place` are this loop with a different sink.
    fn next_piece(&mut self, rest: &[u8]) -> Result<Piece, Error> {
        match self.state {
            ChunkedState::Data { remaining } => {
                let n = usize::try_from(remaining).map_or(rest.len(), |r| r.min(rest.len()));
                self.data_bytes += n as u64;
                let left = remaining - n as u64;
                self.state = if left == 0 {
                    ChunkedState::DataCr
                } else {
                    ChunkedState::Data { remaining: left }
                };
                Ok(Piece::Data(n))
            }
            ChunkedState::Extension { size } => {
                let (skipped, line_end) = skip_line(rest)?;
                self.extension_bytes += skipped;
                if self.extension_bytes > MAX_EXTENSION_BYTES {
                    return Err(Error::BadChunk);
                }
                if line_end {
                    self.state = ChunkedState::SizeLf { size };
                }
                Ok(Piece::Framing(skipped + usize::from(line_end)))
            }
            ChunkedState::Trailer => {
                let (skipped, line_end) = skip_line(rest)?;
                self.trailer_bytes += skipped;
                if self.trailer_bytes > MAX_TRAILER_BYTES {
                    return Err(Error::BadChunk);
                }
                if line_end {
                    self.state = ChunkedState::TrailerLf;
                }
                Ok(Piece::Framing(skipped + usize::from(line_end)))
            }
            _ => {
                self.state = self.step(rest[0])?;
                Ok(Piece::Framing(1))
            }
        }
    }

    /// One byte of framing. Line ends must be CRLF: accepting a bare LF inside chunked framing
    /// is a known smuggling vector when another hop on the path disagrees.
    fn step(&mut self, b: u8) -> Result<ChunkedState, Error> {
        use ChunkedState::*;
        Ok(match (self.state, b) {
            (Size { size, digits }, _) if b.is_ascii_hexdigit() => {
                // §7.1: chunk-size = 1*HEXDIG; recipients must guard against overflow.
                if digits >= MAX_CHUNK_SIZE_DIGITS {
                    return Err(Error::InvalidChunkSize);
                }
                let digit = (b as char).to_digit(16).ok_or(Error::InvalidChunkSize)?;
                let size = size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(u64::from(digit)))
                    .ok_or(Error::InvalidChunkSize)?;
                Size {
                    size,
                    digits: digits + 1,
                }
            }
            (Size { digits: 0, .. }, _) => return Err(Error::InvalidChunkSize),
            (Size { size, .. } | SizeWs { size }, b' ' | b'\t') => SizeWs { size },
            // §7.1.1: extensions are accepted and ignored; MAX_EXTENSION_BYTES bounds them.
            (Size { size, .. } | SizeWs { size }, b';') => Extension { size },
            (Size { size, .. } | SizeWs { size }, b'\r') => SizeLf { size },
            (Size { .. } | SizeWs { .. }, _) => return Err(Error::InvalidChunkSize),
            (SizeLf { size: 0 }, b'\n') => TrailerStart,
            (SizeLf { size }, b'\n') => Data { remaining: size },
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => Size { size: 0, digits: 0 },
            (TrailerStart, b'\r') => EndLf,
            // §7.1.2: trailer fields are skipped; a proxy may drop them.
            (TrailerStart, b'\n') => return Err(Error::BadChunk),
            (TrailerStart, _) => {
                self.trailer_bytes += 1;
                Trailer
            }
            (TrailerLf, b'\n') => TrailerStart,
            (EndLf, b'\n') => Done,
            _ => return Err(Error::BadChunk),
        })
    }
}

/// Bytes of `rest` before its first CR, and whether that CR was found (the caller consumes
/// it). A bare LF in an extension or trailer line is rejected like any other bare LF.
fn skip_line(rest: &[u8]) -> Result<(usize, bool), Error> {
    match memchr::memchr2(b'\r', b'\n', rest) {
        Some(i) if rest[i] == b'\r' => Ok((i, true)),
        Some(_) => Err(Error::BadChunk),
        None => Ok((rest.len(), false)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"5;name=val\r\nhello\r\n1A \t;a;b=\"q\"\r\n\
abcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\nNEXT";
    const SAMPLE_BODY: &[u8] = b"helloabcdefghijklmnopqrstuvwxyz";
    /// Where the chunked body ends inside SAMPLE ("NEXT" is the following message).
    const SAMPLE_END: usize = SAMPLE.len() - 4;

    /// Feeds `pieces` in order; returns the decoded body and the total bytes consumed.
    fn feed(pieces: &[&[u8]]) -> Result<(Vec<u8>, usize, ChunkedDecoder), Error> {
        let mut dec = ChunkedDecoder::new();
        let mut body = Vec::new();
        let mut used = 0;
        for p in pieces {
            used += dec.decode(p, |d| body.extend_from_slice(d))?;
        }
        Ok((body, used, dec))
    }

    fn decode_all(input: &[u8]) -> Result<(Vec<u8>, usize, ChunkedDecoder), Error> {
        feed(&[input])
    }

    #[test]
    fn whole_sample_stops_at_the_end() {
        let (body, used, dec) = decode_all(SAMPLE).unwrap();
        assert_eq!(body, SAMPLE_BODY);
        assert_eq!(used, SAMPLE_END);
        assert!(dec.is_done());
        assert_eq!(dec.data_bytes(), SAMPLE_BODY.len() as u64);
    }

    #[test]
    fn every_split_point() {
        for split in 0..=SAMPLE.len() {
            let (a, b) = SAMPLE.split_at(split);
            let (body, used, dec) = feed(&[a, b]).unwrap();
            assert_eq!(body, SAMPLE_BODY, "split {split}");
            assert_eq!(used, SAMPLE_END, "split {split}");
            assert!(dec.is_done());
        }
    }

    #[test]
    fn byte_by_byte() {
        let pieces: Vec<&[u8]> = SAMPLE.chunks(1).collect();
        let (body, used, dec) = feed(&pieces).unwrap();
        assert_eq!(body, SAMPLE_BODY);
        assert_eq!(used, SAMPLE_END);
        assert!(dec.is_done());
    }

    #[test]
    fn not_done_until_final_crlf() {
        let (_, used, dec) = decode_all(b"3\r\nabc\r\n0\r\n\r").unwrap();
        assert_eq!(used, 12);
        assert!(!dec.is_done());
    }

    #[test]
    fn after_done_consumes_nothing() {
        let (_, _, mut dec) = decode_all(b"0\r\n\r\n").unwrap();
        assert!(dec.is_done());
        assert_eq!(
            dec.decode(b"more", |_| panic!("no data after the end"))
                .unwrap(),
            0
        );
    }

    #[test]
    fn uppercase_hex_and_leading_zeros() {
        let (body, _, dec) = decode_all(b"0000A\r\n0123456789\r\n0\r\n\r\n").unwrap();
        assert_eq!(body, b"0123456789");
        assert!(dec.is_done());
    }

    #[test]
    fn size_errors() {
        for bad in [
            &b"\r\n"[..],
            b"g\r\n",
            b"-1\r\n",
            b"0x5\r\n",
            b" 5\r\n",
            b"5 x\r\n",
            b"00000000000000001\r\n",
            b"10000000000000000\r\n",
            b"3\nabc\r\n",
        ] {
            assert_eq!(
                decode_all(bad).err(),
                Some(Error::InvalidChunkSize),
                "{bad:?}"
            );
        }
        // 16 digits is the most a u64 holds and still fine as a size line.
        let (_, used, _) = decode_all(b"ffffffffffffffff\r\nab").unwrap();
        assert_eq!(used, 20);
    }

    #[test]
    fn framing_errors() {
        for bad in [
            &b"3\r\nabcX"[..],
            b"3\r\nabc\rX",
            b"3\r\nabc\n",
            b"3;ext\nabc",
            b"3\rX",
            b"0\r\n\n",
            b"0\r\nX-T: 1\n\r\n",
            b"0\r\n\r\r",
        ] {
            assert_eq!(decode_all(bad).err(), Some(Error::BadChunk), "{bad:?}");
        }
    }

    #[test]
    fn extension_bound() {
        let mut input = b"1;".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_EXTENSION_BYTES));
        input.extend_from_slice(b"\r\na\r\n");
        assert!(decode_all(&input).is_ok());
        let mut input = b"1;".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_EXTENSION_BYTES + 1));
        assert_eq!(decode_all(&input).err(), Some(Error::BadChunk));
        // The bound is per body, not per chunk.
        let mut input = Vec::new();
        for _ in 0..5 {
            input.extend_from_slice(b"1;");
            input.extend(std::iter::repeat_n(b'x', 1000));
            input.extend_from_slice(b"\r\na\r\n");
        }
        assert_eq!(decode_all(&input).err(), Some(Error::BadChunk));
    }

    #[test]
    fn trailer_bound() {
        let mut input = b"0\r\n".to_vec();
        for _ in 0..(MAX_TRAILER_BYTES / 98 + 1) {
            input.extend(std::iter::repeat_n(b'x', 98));
            input.extend_from_slice(b"\r\n");
        }
        assert_eq!(decode_all(&input).err(), Some(Error::BadChunk));
    }

    /// Decodes `input` in place, arriving in pieces that end at each of `cuts`, the way a
    /// server appends reads after what it has not consumed yet.
    fn in_place(input: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, usize, ChunkedDecoder), Error> {
        let mut dec = ChunkedDecoder::new();
        let mut buf = Vec::new();
        let (mut read, mut write, mut fed) = (0, 0, 0);
        for &end in cuts.iter().chain([&input.len()]) {
            // Compact as a server would: drop consumed raw bytes between write and read.
            buf.drain(write..read);
            read = write;
            buf.extend_from_slice(&input[fed..end]);
            fed = end;
            (read, write) = dec.decode_in_place(&mut buf, read, write)?;
            if dec.is_done() {
                break;
            }
        }
        let consumed = fed - (buf.len() - read);
        buf.truncate(write);
        Ok((buf, consumed, dec))
    }

    #[test]
    fn in_place_matches_decode_at_every_split() {
        for split in 0..=SAMPLE.len() {
            let (body, used, dec) = in_place(SAMPLE, &[split]).unwrap();
            assert_eq!(body, SAMPLE_BODY, "split {split}");
            assert_eq!(used, SAMPLE_END, "split {split}");
            assert!(dec.is_done());
            assert_eq!(dec.data_bytes(), SAMPLE_BODY.len() as u64);
        }
        let cuts: Vec<usize> = (1..SAMPLE.len()).collect();
        let (body, used, _) = in_place(SAMPLE, &cuts).unwrap();
        assert_eq!((body.as_slice(), used), (SAMPLE_BODY, SAMPLE_END));
    }

    #[test]
    fn in_place_leaves_the_next_message_after_read() {
        let mut buf = b"HEAD".to_vec();
        buf.extend_from_slice(SAMPLE);
        let mut dec = ChunkedDecoder::new();
        let (read, write) = dec.decode_in_place(&mut buf, 4, 4).unwrap();
        assert_eq!(read, 4 + SAMPLE_END);
        assert_eq!(&buf[..write], b"HEADhelloabcdefghijklmnopqrstuvwxyz");
        assert_eq!(&buf[read..], b"NEXT");
        // Done: further calls consume nothing and write nothing.
        assert_eq!(
            dec.decode_in_place(&mut buf, read, write).unwrap(),
            (read, write)
        );
    }

    #[test]
    fn in_place_reports_the_same_errors_and_limits() {
        let mut long_ext = b"1;".to_vec();
        long_ext.extend(std::iter::repeat_n(b'x', MAX_EXTENSION_BYTES + 1));
        for bad in [&b"3\r\nabcX"[..], b"g\r\n", b"0\r\n\n", &long_ext] {
            let mut buf = bad.to_vec();
            let res = ChunkedDecoder::new().decode_in_place(&mut buf, 0, 0);
            assert_eq!(res.err(), decode_all(bad).err(), "{bad:?}");
        }
    }

    #[test]
    #[should_panic(expected = "cursors out of order")]
    fn in_place_write_past_read_is_a_caller_bug() {
        let _ = ChunkedDecoder::new().decode_in_place(&mut [0; 4], 1, 2);
    }

    #[test]
    fn large_chunk_across_many_inputs() {
        let mut dec = ChunkedDecoder::new();
        assert_eq!(dec.decode(b"100000\r\n", |_| {}).unwrap(), 8);
        let block = [7u8; 4096];
        let mut seen = 0usize;
        for _ in 0..256 {
            assert_eq!(dec.decode(&block, |d| seen += d.len()).unwrap(), 4096);
        }
        assert_eq!(seen, 0x100000);
        assert_eq!(dec.data_bytes(), 0x100000);
        assert_eq!(dec.decode(b"\r\n0\r\n\r\n", |_| {}).unwrap(), 7);
        assert!(dec.is_done());
    }
}
