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

impl BodyKind {
    /// Where a body that starts at offset `start` ends, when the head alone says so (RFC 9112
    /// §6.3): `Some` for an empty or Content-Length body, saturating at `usize::MAX`; `None`
    /// for a chunked or close-delimited body, whose end is found only by decoding it
    /// ([`BodyDecoder`]).
    pub fn known_end(self, start: usize) -> Option<usize> {
        match self {
            BodyKind::Empty => Some(start),
            BodyKind::Length(n) => {
                Some(start.saturating_add(usize::try_from(n).unwrap_or(usize::MAX)))
            }
            BodyKind::Chunked | BodyKind::CloseDelimited => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_end_comes_from_the_head_alone() {
        assert_eq!(BodyKind::Empty.known_end(40), Some(40));
        assert_eq!(BodyKind::Length(0).known_end(40), Some(40));
        assert_eq!(BodyKind::Length(5).known_end(40), Some(45));
        assert_eq!(BodyKind::Chunked.known_end(40), None);
        assert_eq!(BodyKind::CloseDelimited.known_end(40), None);
    }

    #[test]
    fn known_end_saturates_instead_of_wrapping() {
        assert_eq!(BodyKind::Length(u64::MAX).known_end(1), Some(usize::MAX));
        assert_eq!(
            BodyKind::Length(2).known_end(usize::MAX - 1),
            Some(usize::MAX)
        );
    }
}
