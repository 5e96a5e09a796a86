//! The frames corelane and the Python sidecar exchange (`server/python/corelane_sidecar/
//! wire.py` is the other side): a 4-byte big-endian length of what follows, one byte of
//! kind, a 4-byte big-endian id, and a JSON payload. The id pairs a CALL with its REPLY;
//! HELLO and LOG carry id 0.
//!
//! Written by hand: nine bytes of header; no crate is needed for that.

pub const HELLO: u8 = 1;
pub const CALL: u8 = 2;
pub const REPLY: u8 = 3;
pub const LOG: u8 = 4;

pub const HEADER: usize = 9;
/// A frame larger than this is a broken peer (corelane bounds what it sends itself).
pub const MAX_FRAME: usize = 256 * 1024 * 1024;

/// Appends a frame of `kind` and `id` around `payload` (JSON bytes).
pub fn encode(kind: u8, id: u32, payload: &[u8], out: &mut Vec<u8>) {
    encode_parts(kind, id, &[payload], out);
}

/// As [`encode`], the payload given in parts (copied once, into the frame).
pub fn encode_parts(kind: u8, id: u32, parts: &[&[u8]], out: &mut Vec<u8>) {
    let payload: usize = parts.iter().map(|p| p.len()).sum();
    out.reserve(payload + HEADER);
    let len = u32::try_from(payload + 5).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(&id.to_be_bytes());
    for part in parts {
        out.extend_from_slice(part);
    }
}

/// A frame's header: (payload length, kind, id); `None` for a length no frame may have.
pub fn decode_header(head: &[u8; HEADER]) -> Option<(usize, u8, u32)> {
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if !(5..=MAX_FRAME).contains(&len) {
        return None;
    }
    let id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]);
    Some((len - 5, head[4], id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_odd_lengths_are_refused() {
        let mut out = Vec::new();
        encode(CALL, 7, b"{}", &mut out);
        assert_eq!(out, [0, 0, 0, 7, CALL, 0, 0, 0, 7, b'{', b'}']);
        let mut head = [0u8; HEADER];
        head.copy_from_slice(&out[..HEADER]);
        assert_eq!(decode_header(&head), Some((2, CALL, 7)));
        assert_eq!(decode_header(&[0, 0, 0, 4, 1, 0, 0, 0, 0]), None);
        assert_eq!(
            decode_header(&[0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0]),
            None
        );
    }
}
