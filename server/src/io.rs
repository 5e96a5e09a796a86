//! Owned-buffer I/O helpers over monoio's rent traits: append reads and whole writes.

use std::io;

use monoio::buf::{IoBuf, IoBufMut};
use monoio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};

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
