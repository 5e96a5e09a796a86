//! Framing chunks for the client: the size line is reserved first and filled in once the
//! payload is written.

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
}
