//! Sans-I/O HTTP/1.1 codec (RFC 9112) for the corelane proxy.
//!
//! # Layout
//!
//! - [`limits`]: named bounds on heads and bodies ([`Limits`], [`MAX_HEADERS`]).
//! - [`error`]: the one [`Error`] enum, its status code, and [`reason_phrase`].
//! - [`head`]: request and response heads ([`parse_request`], [`parse_response`]) on top of
//!   httparse, with the framing rules of RFC 9112 §6.3 (`head::fields` scans the headers that
//!   decide framing; `head::request` and `head::response` hold each direction's policy;
//!   `head::target` reads request-target forms, RFC 9112 §3.2, and checks Host syntax).
//!   [`HeadScan`] (`head::scan`) finds the end of a head as it arrives, looking at each byte
//!   once, so a head is parsed once however it trickles in.
//! - [`body`]: [`BodyKind`]; [`BodyDecoder`], which decodes a body of any framing (length,
//!   chunked, close-delimited), handing payload out or moving it down in place
//!   ([`BodyDecoder::decode_in_place`]), and says whether the connection can be reused; the
//!   streaming [`ChunkedDecoder`] (which can also decode in place,
//!   [`ChunkedDecoder::decode_in_place`], so a chunked body is held once); and chunk encoding,
//!   whole ([`write_chunk`]) or with the size line reserved before the payload is written
//!   ([`begin_chunk`], [`end_chunk`]).
//! - [`sse`]: [`SseFramer`] splits a server-sent-events stream into events; [`single_data`] and
//!   [`event_name`] read their fields.
//!
//! The caller owns every buffer: parsers borrow byte slices and answer
//! [`Status::Complete`] or [`Status::Partial`]; nothing on the parsing path allocates.
//!
//! `tests/conformance.rs` holds one row per RFC 9110/9112 requirement the codec enforces, citing
//! its section; `tests/robustness.rs` checks that mutated input split anywhere gives the same
//! answers (streamed and in-place chunked decoding, [`BodyDecoder`] against [`ChunkedDecoder`],
//! [`HeadScan`] against the parsers).

pub mod body;
pub mod error;
pub mod head;
pub mod limits;
pub mod sse;

pub use body::{
    begin_chunk, end_chunk, write_chunk, write_chunk_head, BodyDecoder, BodyKind, ChunkedDecoder,
    OpenChunk, CHUNK_END, LAST_CHUNK,
};
pub use error::{reason_phrase, Error};
pub use head::{
    header_slots, parse_request, parse_request_uninit, parse_response, parse_response_uninit,
    HeadScan, HeaderSlots, Method, RequestHead, ResponseHead,
};
pub use httparse::{Header, EMPTY_HEADER};
pub use limits::{Limits, MAX_HEADERS};
pub use sse::{event_name, single_data, SseFramer};

/// Outcome of parsing a buffer that may not hold the whole item yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// The item is complete.
    Complete(T),
    /// More bytes are needed; parse again with a longer buffer.
    Partial,
}
