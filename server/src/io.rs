//! Owned-buffer I/O helpers over monoio's rent traits: append reads and whole writes.

use std::io;
use std::time::Instant;

use monoio::net::TcpStream;

use monoio::buf::{IoBuf, IoBufMut};
use monoio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};

/// Room reserved at the front of a message buffer for a head written after its body (whose
/// length the head states): the body is then written once, in place.
pub const HEAD_ROOM: usize = 1024;

/// Empties `buf` and reserves the head room; the body is appended after it.
pub fn with_head_room(mut buf: Vec<u8>) -> Vec<u8> {
    buf.clear();
    buf.resize(HEAD_ROOM, 0);
    buf
}

/// Puts `head` right before the body of a buffer from [`with_head_room`]; returns where the
/// message starts. A head larger than the room (rare: very many headers) moves the body once.
pub fn place_head(buf: &mut Vec<u8>, head: &[u8]) -> usize {
    match HEAD_ROOM.checked_sub(head.len()) {
        Some(start) => {
            buf[start..HEAD_ROOM].copy_from_slice(head);
            start
        }
        None => {
            buf.splice(..HEAD_ROOM, head.iter().copied());
            0
        }
    }
}

/// Smallest free space a read is given; below it the buffer grows first.
pub const MIN_READ_ROOM: usize = 4096;

/// Reads once, appending after the bytes already in `buf` (monoio reads into index 0 of a
/// Vec unless given the spare range). Returns the bytes read; 0 means end of stream.
pub async fn read_more<R: AsyncReadRent>(
    io: &mut R,
    mut buf: Vec<u8>,
) -> (io::Result<usize>, Vec<u8>) {
    if buf.capacity() - buf.len() < MIN_READ_ROOM {
        buf.reserve(MIN_READ_ROOM.max(buf.len()));
    }
    let len = buf.len();
    let cap = buf.capacity();
    let (res, slice) = io.read(buf.slice_mut(len..cap)).await;
    (res, slice.into_inner())
}

/// Writes all of `buf`, giving it back unchanged (callers clear it or resend it).
pub async fn write_all<W: AsyncWriteRent>(io: &mut W, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
    write_from(io, buf, 0).await
}

/// Writes `buf[start..]`, giving the whole buffer back.
pub async fn write_from<W: AsyncWriteRent>(
    io: &mut W,
    buf: Vec<u8>,
    start: usize,
) -> (io::Result<()>, Vec<u8>) {
    if start >= buf.len() {
        return (Ok(()), buf);
    }
    let (res, slice) = io.write_all(buf.slice(start..)).await;
    (res.map(|_| ()), slice.into_inner())
}

/// How reading from the client ended when it did not deliver bytes.
pub enum Stop {
    /// The client closed or failed: nothing to answer.
    Gone,
    /// A deadline passed: answer 408 and close.
    Late,
    /// Shutdown started while the connection was idle.
    Draining,
}

/// Reads more bytes by `deadline`: `Ok` with bytes, else the reason nothing came.
pub async fn read_until(
    stream: &mut TcpStream,
    buf: Vec<u8>,
    deadline: Instant,
) -> Result<Vec<u8>, Stop> {
    match monoio::time::timeout_at(deadline.into(), read_more(stream, buf)).await {
        Ok((Ok(n), buf)) if n > 0 => Ok(buf),
        Ok(_) => Err(Stop::Gone),
        Err(_) => Err(Stop::Late),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_goes_right_before_the_body() {
        let mut buf = with_head_room(Vec::new());
        buf.extend_from_slice(b"BODY");
        let start = place_head(&mut buf, b"HEAD\r\n\r\n");
        assert_eq!(&buf[start..], b"HEAD\r\n\r\nBODY");
        let big = vec![b'h'; HEAD_ROOM + 10];
        let mut buf = with_head_room(b"old".to_vec());
        buf.extend_from_slice(b"BODY");
        let start = place_head(&mut buf, &big);
        assert_eq!(start, 0);
        assert_eq!(&buf[..big.len()], &big[..]);
        assert_eq!(&buf[big.len()..], b"BODY");
    }
}
