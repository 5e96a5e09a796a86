//! Chunked transfer coding on the sending side (RFC 9112 §7.1), appended to a caller's buffer.

/// Ends a chunk's data.
pub const CHUNK_END: &[u8] = b"\r\n";

/// The last chunk with no trailers: ends a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

const HEX: &[u8; 16] = b"0123456789abcdef";

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
}
