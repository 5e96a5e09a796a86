//! The frames corelane and the Python sidecar exchange (`server/python/corelane_sidecar/
//! wire.py` is the other side): a 4-byte big-endian length of what follows, one byte of
//! kind, a 4-byte big-endian id, and a payload. The id pairs a CALL with its REPLY; HELLO
//! and LOG carry id 0.
//!
//! HELLO, CALL and REPLY carry JSON. A LOG frame carries events, each six parts in this
//! order, each a 4-byte big-endian length and its bytes: the event's facts (JSON),
//! the caller's `UserAPIKeyAuth` (JSON), the raw request head, the request body, the
//! answer's body and the stream's events as the client got them. The last four are copied
//! as they are: the sidecar parses them (a body that is not JSON logs as none), so a core
//! neither checks nor escapes them.
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
    out.reserve(payload.len() + HEADER);
    let at = open_frame(kind, id, out);
    out.extend_from_slice(payload);
    close_frame(out, at);
}

/// Starts a frame at the end of `out`, its payload to be written after; returns where it
/// starts, for [`close_frame`].
pub fn open_frame(kind: u8, id: u32, out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(kind);
    out.extend_from_slice(&id.to_be_bytes());
    at
}

/// Sets the length of the frame started at `at` to what follows its header in `out`.
pub fn close_frame(out: &mut [u8], at: usize) {
    let len = u32::try_from(out.len() - at - 4).unwrap_or(u32::MAX);
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// Appends one part of a LOG event.
pub fn part(bytes: &[u8], out: &mut Vec<u8>) {
    let at = open_part(out);
    out.extend_from_slice(bytes);
    close_part(out, at);
}

/// Starts a LOG event's part written after; [`close_part`] sets its length.
pub fn open_part(out: &mut Vec<u8>) -> usize {
    out.extend_from_slice(&[0; 4]);
    out.len()
}

pub fn close_part(out: &mut [u8], at: usize) {
    let len = u32::try_from(out.len() - at).unwrap_or(u32::MAX);
    out[at - 4..at].copy_from_slice(&len.to_be_bytes());
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
        let mut log = Vec::new();
        let at = open_frame(LOG, 0, &mut log);
        part(b"ab", &mut log);
        part(b"", &mut log);
        close_frame(&mut log, at);
        assert_eq!(
            log,
            [0, 0, 0, 15, LOG, 0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b', 0, 0, 0, 0]
        );
        assert_eq!(decode_header(&[0, 0, 0, 4, 1, 0, 0, 0, 0]), None);
        assert_eq!(
            decode_header(&[0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0]),
            None
        );
    }
}
