//! The family seam: the dispatch sites where the upstream's wire format matters, each matched
//! exhaustively on [`Family`]. A new family is its own module plus one arm here per site:
//!
//! - [`write_request_head`]: method, path and headers (auth included) of the upstream request;
//! - [`rewrite_response`] / [`body_rewriter`]: a whole response, held or streamed through;
//! - [`stream_framing`] and [`translate_event`]: a stream's framing and one of its events;
//! - [`map_error`]: an upstream error answer to LiteLLM's class, status and message.
//!
//! The client API (what the client speaks) is separate: today every client API is OpenAI's.

use bumpalo::Bump;

use crate::error::{map_upstream_status, write_upstream_message, UpstreamErrorMap};
use crate::provider::{Credentials, Family, ProviderRow, UpstreamTarget};
use crate::rewrite::{rewrite_reporting, ModelRewriter, Reported};
use crate::stream::{rewrite_chunk, ChunkOutcome};

/// Writes the upstream request head (without its final blank line).
pub fn write_request_head(
    row: &ProviderRow,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) {
    match row.family {
        Family::OpenAi => crate::openai::write_request_head(row, target, creds, out),
    }
}

/// Rewrites a whole (held) success response for the client, with `model` set to the name the
/// client asked for; returns the usage it reports.
pub fn rewrite_response(
    family: Family,
    body: &[u8],
    requested_model: &str,
    out: &mut Vec<u8>,
) -> Reported {
    match family {
        Family::OpenAi => rewrite_reporting(body, requested_model, out),
    }
}

/// A rewriter for a success response too large to hold, fed piece by piece.
pub fn body_rewriter(family: Family, requested_model: &str) -> ModelRewriter {
    match family {
        Family::OpenAi => ModelRewriter::new(requested_model),
    }
}

/// How a family frames the events of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFraming {
    /// Server-sent events (`data: ...\n\n`).
    Sse,
}

pub fn stream_framing(family: Family) -> StreamFraming {
    match family {
        Family::OpenAi => StreamFraming::Sse,
    }
}

/// Translates the payload of one stream event into the client's chunk, in `arena`.
pub fn translate_event<'a>(
    family: Family,
    data: &[u8],
    requested_model: &str,
    arena: &'a Bump,
) -> ChunkOutcome<'a> {
    match family {
        Family::OpenAi => rewrite_chunk(data, requested_model, arena),
    }
}

/// Maps an upstream error answer as LiteLLM does: appends its message to `message` and
/// returns the class and the status the client gets.
pub fn map_error(
    row: &ProviderRow,
    status: u16,
    body: &[u8],
    message: &mut String,
) -> UpstreamErrorMap {
    match row.family {
        Family::OpenAi => {
            write_upstream_message(row.name, status, body, message);
            map_upstream_status(status)
        }
    }
}
