//! The family seam: the dispatch sites where the upstream's wire format matters, each matched
//! exhaustively on [`Family`]. A new family is its own module plus one arm here per site:
//!
//! - [`write_request_head`]: method, path and headers (auth included) of the upstream request;
//! - [`write_request_body`] / [`body_from_file`]: the upstream request body;
//! - [`rewrite_response`] / [`body_rewriter`]: a whole response, held or streamed through;
//! - [`stream_framing`] and [`translate_event`]: a stream's framing and one of its events;
//! - [`map_error`]: an upstream error answer to LiteLLM's class, status and message.
//!
//! The client API (what the client speaks) is separate: today every client API is OpenAI's.

use bumpalo::Bump;

use crate::error::{
    map_upstream_status, write_raw_upstream_message, write_upstream_message, UpstreamErrorMap,
};
use crate::json::tape::Scratch;
use crate::openai::RequestFields;
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
        Family::Anthropic => crate::anthropic::head::write_request_head(row, target, creds, out),
    }
}

/// Writes the upstream body for the client's `body` (held in memory), read as `fields`: the
/// OpenAI family splices the client's bytes; the others translate them. `Err` carries a
/// message for the client's 400 when the body cannot be translated.
pub fn write_request_body(
    family: Family,
    body: &[u8],
    fields: &RequestFields,
    provider_model: &str,
    force_include_usage: bool,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match family {
        Family::OpenAi => {
            crate::openai::splice(body, fields, provider_model, force_include_usage, out);
            Ok(())
        }
        Family::Anthropic => {
            crate::anthropic::transform_request(body, provider_model, scratch, out)
                .map_err(|e| e.message().to_owned())
        }
    }
}

/// Whether the family can send a body spilled to a file, piece by piece (a splice plan);
/// the others need the body in memory to translate it.
pub fn body_from_file(family: Family) -> bool {
    match family {
        Family::OpenAi => true,
        Family::Anthropic => false,
    }
}

/// Whether the family's streams are translated for the client; a stream to one that is not
/// is refused before any upstream request.
pub fn streams(family: Family) -> bool {
    match family {
        Family::OpenAi => true,
        Family::Anthropic => false,
    }
}

/// Rewrites a whole (held) success response for the client, with `model` set to the name the
/// client asked for; returns what it reports. A translated answer gets the `id` and `created`
/// that `answer_id` gives (asked only then: it allocates and reads the clock). `Err` when the
/// provider's answer cannot be read.
pub fn rewrite_response(
    family: Family,
    body: &[u8],
    requested_model: &str,
    answer_id: impl FnOnce() -> (String, u64),
    out: &mut Vec<u8>,
) -> Result<Reported, String> {
    match family {
        Family::OpenAi => Ok(rewrite_reporting(body, requested_model, out)),
        Family::Anthropic => {
            let (id, created) = answer_id();
            crate::anthropic::transform_response(body, &id, created, requested_model, out)
                .map(|usage| Reported {
                    usage: Some(usage),
                    service_tier: None,
                })
                .map_err(|e| e.message().to_owned())
        }
    }
}

/// A rewriter for a success response too large to hold, fed piece by piece; `None` for a
/// family whose answers are translated whole.
pub fn body_rewriter(family: Family, requested_model: &str) -> Option<ModelRewriter> {
    match family {
        Family::OpenAi => Some(ModelRewriter::new(requested_model)),
        Family::Anthropic => None,
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
        Family::OpenAi | Family::Anthropic => StreamFraming::Sse,
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
        // Never reached: streams to this family are refused up front (`streams`).
        Family::Anthropic => ChunkOutcome {
            data: arena.alloc_slice_copy(
                br#"{"error":{"message":"streams from anthropic are not translated yet"}}"#,
            ),
            usage: None,
            usage_only: false,
            is_error: true,
        },
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
        // LiteLLM's AnthropicError carries the answer's text as it came.
        Family::Anthropic => {
            write_raw_upstream_message(row.name, status, body, message);
            map_upstream_status(status)
        }
    }
}
