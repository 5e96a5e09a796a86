//! Message bodies: how long they are ([`BodyKind`]), decoding them by that framing
//! ([`BodyDecoder`]), and the chunked transfer coding.

mod chunked;
mod decode;
mod encode;

pub use chunked::{ChunkedDecoder, MAX_CHUNK_SIZE_DIGITS, MAX_EXTENSION_BYTES, MAX_TRAILER_BYTES};
pub use decode::BodyDecoder;
pub use encode::{
    begin_chunk, end_chunk, write_chunk, write_chunk_head, OpenChunk, CHUNK_END, LAST_CHUNK,
};

/// How the body that follows a head is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body at all: the next message starts right after the head.
    Empty,
    /// Exactly this many bytes (from Content-Length; `Length(0)` is kept as sent).
    Length(u64),
    /// Chunked transfer coding; decode with [`ChunkedDecoder`].
    Chunked,
    /// Until the peer closes the connection; only ever for responses.
    CloseDelimited,
}
