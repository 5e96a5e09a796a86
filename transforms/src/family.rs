//! The family seam: the dispatch sites where the upstream's wire format matters, each matched
//! exhaustively on [`Family`]. A new family is its own module plus one arm here per site:
//!
//! - [`write_request_head`]: method, path and headers (auth included) of the upstream request;
//! - [`write_request_body`] / [`body_from_file`]: the upstream request body;
//! - [`rewrite_response`] / [`body_rewriter`]: a whole response, held or streamed through;
//! - [`stream_translator`]: a stream's events (every family's streams are SSE so far);
//! - [`map_error`]: an upstream error answer to LiteLLM's class, status and message.
//!
//! The client's API (the endpoint) is the other half: [`translates`] says whether a family
//! speaks it or is translated to it.

use bumpalo::Bump;

use crate::error::{map_upstream_status, write_upstream_message, UpstreamErrorMap};
use crate::json::tape::Scratch;
use crate::openai::RequestFields;
use crate::provider::{Credentials, Endpoint, Family, ProviderRow, UpstreamTarget};
use crate::rewrite::{rewrite_reporting, ModelRewriter, Reported};
use crate::stream::{rewrite_chunk, StreamFailure, SSE_DONE};
use crate::usage::Usage;

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

/// Whether `family` answers the client's `endpoint` in another API, translated both ways
/// (chat completions to Anthropic's Messages, `/v1/messages` to an OpenAI-format provider's
/// chat completions); otherwise it speaks the client's API itself
/// (OpenAI-compatible providers on OpenAI routes, Anthropic on `/v1/messages`): the body is
/// spliced and the answer passed through with its model rewritten.
pub fn translates(family: Family, endpoint: Endpoint) -> bool {
    let messages_api = matches!(endpoint, Endpoint::Messages | Endpoint::CountTokens);
    match family {
        Family::OpenAi => messages_api,
        Family::Anthropic => !messages_api,
    }
}

/// Whether `row` can serve the client's `endpoint`: one it lists, or `/v1/messages` bridged to
/// its chat completions (and its token counting estimated locally).
pub fn serves(row: &ProviderRow, endpoint: Endpoint) -> bool {
    row.endpoints.contains(&endpoint)
        || (matches!(endpoint, Endpoint::Messages | Endpoint::CountTokens)
            && row.family == Family::OpenAi
            && row.endpoints.contains(&Endpoint::ChatCompletions))
}

/// The provider endpoint a request of the client's `endpoint` goes to.
pub fn upstream_endpoint(family: Family, endpoint: Endpoint) -> Endpoint {
    match (family, endpoint) {
        (Family::OpenAi, Endpoint::Messages) => Endpoint::ChatCompletions,
        _ => endpoint,
    }
}

/// Writes the upstream body for the client's `body` (held in memory), read as `fields`: the
/// client's bytes spliced where the family speaks the client's API, else translated. `Err`
/// carries a message for the client's 400 when the body cannot be translated.
#[allow(clippy::too_many_arguments)]
pub fn write_request_body(
    family: Family,
    endpoint: Endpoint,
    body: &[u8],
    fields: &RequestFields,
    provider_model: &str,
    force_include_usage: bool,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    if translates(family, endpoint) {
        let translated = match family {
            Family::OpenAi => crate::messages::to_chat_request(body, provider_model, out),
            Family::Anthropic => {
                crate::anthropic::transform_request(body, provider_model, scratch, out)
            }
        };
        return translated.map_err(|e| e.message().to_owned());
    }
    if endpoint == Endpoint::CountTokens {
        crate::anthropic::count_tokens_request(body, provider_model, out);
        return Ok(());
    }
    crate::openai::splice(body, fields, provider_model, force_include_usage, out);
    Ok(())
}

/// Whether a body spilled to a file can be sent piece by piece (a splice plan); a translated
/// (or, for token counting, trimmed) one is needed in memory.
pub fn body_from_file(family: Family, endpoint: Endpoint) -> bool {
    !translates(family, endpoint) && endpoint != Endpoint::CountTokens
}

/// Rewrites a whole (held) success response for the client, with `model` set to the name the
/// client asked for; returns what it reports. A translated answer gets the `id` and `created`
/// that `answer_id` gives (asked only then: it allocates and reads the clock). `Err` when the
/// provider's answer cannot be read.
pub fn rewrite_response(
    family: Family,
    endpoint: Endpoint,
    body: &[u8],
    requested_model: &str,
    answer_id: impl FnOnce() -> (String, u64),
    out: &mut Vec<u8>,
) -> Result<Reported, String> {
    match family {
        Family::OpenAi if translates(family, endpoint) => {
            crate::messages::to_message(body, requested_model, out)
                .map(|usage| Reported {
                    usage: Some(usage),
                    service_tier: None,
                })
                .map_err(|e| e.message().to_owned())
        }
        Family::OpenAi => Ok(rewrite_reporting(body, requested_model, out)),
        Family::Anthropic if endpoint == Endpoint::CountTokens => {
            crate::anthropic::count_tokens_answer(body, out);
            Ok(Reported::default())
        }
        Family::Anthropic if !translates(family, endpoint) => {
            let reported = rewrite_reporting(body, requested_model, out);
            Ok(Reported {
                usage: crate::anthropic::message_usage(body),
                ..reported
            })
        }
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

/// A rewriter for a success response too large to hold, fed piece by piece; `None` where
/// answers are translated whole.
pub fn body_rewriter(
    family: Family,
    endpoint: Endpoint,
    requested_model: &str,
) -> Option<ModelRewriter> {
    (!translates(family, endpoint)).then(|| ModelRewriter::new(requested_model))
}

/// How a stream's events become the client's: the OpenAI family's chunks are rewritten one by
/// one; the others are translated with state kept across the stream.
#[derive(Debug)]
pub enum StreamTranslator {
    /// Each chunk gets the requested model ([`rewrite_chunk`]).
    Rewrite,
    /// Anthropic's events as they came, the model of `message_start` rewritten.
    AnthropicPassthrough(crate::anthropic::MessagesStream),
    /// Anthropic's events become chat completion chunks.
    AnthropicToChat(Box<crate::anthropic::ChatStream>),
    /// Chat completion chunks become Anthropic's Messages events.
    ChatToMessages(Box<crate::messages::MessagesFromChat>),
}

/// The translator for one stream of `family`; a translated stream's chunks carry the `id` and
/// `created` that `answer_id` gives (asked only then) and the client's `requested_model`.
pub fn stream_translator(
    family: Family,
    endpoint: Endpoint,
    requested_model: &str,
    answer_id: impl FnOnce() -> (String, u64),
) -> StreamTranslator {
    match family {
        Family::OpenAi if translates(family, endpoint) => {
            let (id, _) = answer_id();
            StreamTranslator::ChatToMessages(Box::new(crate::messages::MessagesFromChat::new(
                &id,
                requested_model,
            )))
        }
        Family::OpenAi => StreamTranslator::Rewrite,
        Family::Anthropic if !translates(family, endpoint) => {
            StreamTranslator::AnthropicPassthrough(crate::anthropic::MessagesStream::default())
        }
        Family::Anthropic => {
            let (id, created) = answer_id();
            StreamTranslator::AnthropicToChat(Box::new(crate::anthropic::ChatStream::new(
                &id,
                created,
                requested_model,
            )))
        }
    }
}

impl StreamTranslator {
    /// Whether events without a single data line (comments, other fields) go to the client as
    /// they came: they do on a rewritten stream, and mean nothing on a translated one.
    pub fn passes_other_events(&self) -> bool {
        matches!(
            self,
            StreamTranslator::Rewrite | StreamTranslator::AnthropicPassthrough(_)
        )
    }

    /// Translates one event (`data` is its single data line) into zero or more client
    /// events, appended to `out` (`arena` holds scratch space the caller resets).
    /// `include_usage`: the client asked for the usage chunk. Returns the usage so far when
    /// the event reported some.
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &mut self,
        event: &[u8],
        data: &[u8],
        requested_model: &str,
        include_usage: bool,
        arena: &Bump,
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        match self {
            StreamTranslator::Rewrite => {
                if data == b"[DONE]" {
                    out.extend_from_slice(SSE_DONE);
                    return Ok(None);
                }
                let chunk = rewrite_chunk(data, requested_model, arena);
                // The usage chunk LiteLLM asks for on the client's behalf is dropped unless
                // the client asked for it too.
                if !chunk.usage_only || include_usage {
                    out.extend_from_slice(b"data: ");
                    out.extend_from_slice(chunk.data);
                    out.extend_from_slice(b"\n\n");
                }
                Ok(chunk.usage)
            }
            StreamTranslator::AnthropicPassthrough(s) => {
                Ok(s.event(event, data, requested_model, out))
            }
            StreamTranslator::AnthropicToChat(s) => s.event(data, out),
            StreamTranslator::ChatToMessages(s) => s.event(data, out),
        }
    }

    /// The upstream stream ended cleanly: appends what the client still gets (a translated
    /// stream's closing chunks and `[DONE]`; nothing on a rewritten one, whose upstream sent
    /// its own). Returns the usage of the whole stream when known here.
    pub fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        match self {
            StreamTranslator::Rewrite | StreamTranslator::AnthropicPassthrough(_) => None,
            StreamTranslator::AnthropicToChat(s) => s.end(include_usage, out),
            StreamTranslator::ChatToMessages(s) => s.end(out),
        }
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
        Family::Anthropic => crate::anthropic::error::map_error(status, body, message),
    }
}
