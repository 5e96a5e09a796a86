//! Chunked transfer coding on the sending side (RFC 9112 §7.1), appended to a caller's buffer:
//! whole chunks, or a chunk whose size line is reserved first and filled in after its payload.

/// Ends a chunk's data.
pub const CHUNK_END: &[u8] = b"\r\n";

/// The last chunk with no trailers: ends a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Room [`begin_chunk`] reserves for a size line: 8 hex digits and CRLF. Leading zeros are
/// valid (RFC 9112 §7.1: chunk-size = 1*HEXDIG), and reserving them lets the payload be
/// written once, straight after, without knowing its length in advance.
const RESERVED_HEAD: usize = 10;

/// Largest chunk whose size fits the 8 reserved digits; a larger one is still framed right,
/// at the cost of moving its payload to widen the size line.
const RESERVED_MAX: usize = 0xffff_ffff;

/// A chunk begun by [`begin_chunk`] and not yet ended: where its reserved size line starts.
#[must_use = "a begun chunk is ended with end_chunk, or its reserved size line stays zeros"]
#[derive(Debug)]
pub struct OpenChunk(usize);

/// Appends one whole chunk: `{hex len}\r\n{data}\r\n`. Empty data writes nothing, because a
/// zero-size chunk would end the body (use [`LAST_CHUNK`] for that).
pub fn write_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    out.reserve(data.len() + 20);
    write_chunk_head(data.len(), out);
    out.extend_from_slice(data);
    out.extend_from_slice(CHUNK_END);
}

/// Appends a chunk-size line, `{hex len}\r\n`, for callers that send the data themselves and
/// follow it with [`CHUNK_END`].
pub fn write_chunk_head(len: usize, out: &mut Vec<u8>) {
    // Formatting into a stack buffer keeps this free of fmt machinery and allocation.
    let mut digits = [0u8; (usize::BITS / 4) as usize];
    let mut start = digits.len();
    let mut n = len;
    loop {
        start -= 1;
        digits[start] = HEX[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
    out.extend_from_slice(CHUNK_END);
}

/// Starts a chunk at the end of `out` by reserving its size line; append the payload to `out`,
/// then call [`end_chunk`]. The payload is written once, in place, whatever its length.
pub fn begin_chunk(out: &mut Vec<u8>) -> OpenChunk {
    let at = out.len();
    out.extend_from_slice(b"00000000\r\n");
    OpenChunk(at)
}

/// Completes `chunk`: fills in its size line and appends the CRLF after the payload. A chunk
/// with no payload is removed instead, because a zero-size chunk would end the body (use
/// [`LAST_CHUNK`] for that).
///
/// # Panics
///
/// If `out` was shortened past the end of the chunk's reserved size line since
/// [`begin_chunk`]: the chunk is the caller's own.
pub fn end_chunk(out: &mut Vec<u8>, chunk: OpenChunk) {
    let at = chunk.0;
    let len = out.len() - (at + RESERVED_HEAD);
    if len == 0 {
        out.truncate(at);
        return;
    }
    fill_size(out, at, len);
    out.extend_from_slice(CHUNK_END);
}

/// Writes `len` into the size line reserved at `at`.
fn fill_size(out: &mut Vec<u8>, at: usize, len: usize) {
    if len > RESERVED_MAX {
        let mut head = Vec::with_capacity(RESERVED_HEAD + 8);
        write_chunk_head(len, &mut head);
        out.splice(at..at + RESERVED_HEAD, head);
        return;
    }
    for i in 0..8 {
        out[at + 7 - i] = HEX[(len >> (4 * i)) & 0xf];
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::ChunkedDecoder;

    #[test]
    fn chunk_heads_are_lowercase_hex() {
        let mut out = Vec::new();
        for (len, want) in [
            (0, "0\r\n"),
            (9, "9\r\n"),
            (10, "a\r\n"),
            (255, "ff\r\n"),
            (4096, "1000\r\n"),
        ] {
            out.clear();
            write_chunk_head(len, &mut out);
            assert_eq!(out, want.as_bytes());
        }
        out.clear();
        write_chunk_head(usize::MAX, &mut out);
        assert_eq!(out, format!("{:x}\r\n", usize::MAX).as_bytes());
    }

    #[test]
    fn whole_chunks_and_empty_data() {
        let mut out = Vec::new();
        write_chunk(b"", &mut out);
        assert!(out.is_empty());
        write_chunk(b"hello world!", &mut out);
        assert_eq!(out, b"c\r\nhello world!\r\n");
    }

    #[test]
    fn encoder_output_round_trips_through_the_decoder() {
        let mut wire = Vec::new();
        let pieces: [&[u8]; 3] = [b"data: {}\n\n", &[b'x'; 300], b"z"];
        for p in pieces {
            write_chunk(p, &mut wire);
        }
        write_chunk_head(2, &mut wire);
        wire.extend_from_slice(b"ok");
        wire.extend_from_slice(CHUNK_END);
        wire.extend_from_slice(LAST_CHUNK);
        let mut dec = ChunkedDecoder::new();
        let mut body = Vec::new();
        let used = dec.decode(&wire, |d| body.extend_from_slice(d)).unwrap();
        assert_eq!(used, wire.len());
        assert!(dec.is_done());
        let want: Vec<u8> = pieces.concat().into_iter().chain(*b"ok").collect();
        assert_eq!(body, want);
    }

    #[test]
    fn chunks_are_framed_in_place() {
        let mut out = b"x".to_vec();
        let chunk = begin_chunk(&mut out);
        out.extend_from_slice(&[b'a'; 300]);
        end_chunk(&mut out, chunk);
        assert_eq!(&out[..11], b"x0000012c\r\n");
        assert_eq!(out.len(), 1 + RESERVED_HEAD + 300 + 2);
        assert!(out.ends_with(b"a\r\n"));
    }

    #[test]
    fn reserved_size_lines_are_eight_hex_digits() {
        for (len, want) in [
            (1, "00000001"),
            (0xf, "0000000f"),
            (0x10, "00000010"),
            (0xffff, "0000ffff"),
            (0x10000, "00010000"),
        ] {
            let mut out = Vec::new();
            let chunk = begin_chunk(&mut out);
            out.resize(out.len() + len, b'z');
            end_chunk(&mut out, chunk);
            assert_eq!(&out[..RESERVED_HEAD], format!("{want}\r\n").as_bytes());
            assert_eq!(out.len(), RESERVED_HEAD + len + 2);
        }
    }

    #[test]
    fn an_empty_chunk_is_removed_not_written() {
        let mut out = b"before".to_vec();
        let chunk = begin_chunk(&mut out);
        end_chunk(&mut out, chunk);
        assert_eq!(out, b"before");
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn sizes_past_the_reserved_digits_widen_the_size_line() {
        // The payload is not really 4 GiB: fill_size is handed the length it would have.
        let mut out = b"x00000000\r\nabc".to_vec();
        fill_size(&mut out, 1, RESERVED_MAX + 1);
        assert_eq!(out, b"x100000000\r\nabc");
        let mut out = b"00000000\r\n".to_vec();
        fill_size(&mut out, 0, RESERVED_MAX);
        assert_eq!(out, b"ffffffff\r\n");
    }

    #[test]
    fn reserved_chunks_round_trip_through_the_decoder() {
        let sizes = [1usize, 2, 15, 16, 255, 256, 4095, 70_000];
        let mut wire = Vec::new();
        let mut want = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let payload: Vec<u8> = (0..size).map(|j| (i * 31 + j) as u8).collect();
            let chunk = begin_chunk(&mut wire);
            wire.extend_from_slice(&payload);
            end_chunk(&mut wire, chunk);
            want.extend_from_slice(&payload);
            // An empty chunk between two full ones must not end the body early.
            let empty = begin_chunk(&mut wire);
            end_chunk(&mut wire, empty);
            // Whole chunks mix freely with reserved ones.
            write_chunk(b"|", &mut wire);
            want.push(b'|');
        }
        wire.extend_from_slice(LAST_CHUNK);
        for split in [0, 1, 9, 10, 11, wire.len() / 2, wire.len() - 1] {
            let mut dec = ChunkedDecoder::new();
            let mut body = Vec::new();
            let (a, b) = wire.split_at(split);
            let used = dec.decode(a, |d| body.extend_from_slice(d)).unwrap()
                + dec.decode(b, |d| body.extend_from_slice(d)).unwrap();
            assert_eq!(used, wire.len(), "split {split}");
            assert!(dec.is_done());
            assert_eq!(body, want, "split {split}");
        }
    }
}
