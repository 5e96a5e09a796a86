//! The family seam: the dispatch sites where the upstream's wire format matters, each matched
//! exhaustively on [`Family`]. A new family is its own module plus one arm here per site:
//!
//! - [`write_request_head`]: method, path and headers (auth included) of the upstream request;
//! - [`write_request_body`] / [`body_from_file`]: the upstream request body;
//! - [`rewrite_response`] / [`body_rewriter`]: a whole response, held, or streamed through
//!   (passed through with its model rewritten, or translated as it arrives);
//! - [`stream_translator`]: a stream's events (every family's streams are SSE so far);
//! - [`map_error`]: an upstream error answer to LiteLLM's class, status and message.
//!
//! The client's API (the endpoint) is the other half: [`bridge`] names the pairing of the two,
//! and the sites match on it.

use bumpalo::Bump;

use crate::cost::Prices;
use crate::error::{map_upstream_status, UpstreamErrorMap};
use crate::json::tape::Scratch;
use crate::openai::RequestFields;
use crate::provider::{
    Credentials, Endpoint, Family, PathStyle, ProviderRow, ResponseOp, UpstreamTarget,
};
use crate::rewrite::{rewrite_reporting, ModelRewriter, Reported};
use crate::stream::{rewrite_chunk, StreamFailure, SSE_DONE};
use crate::usage::Usage;

/// Writes the upstream request head (without its final blank line). `Err` when a signed
/// request cannot be signed (its URI does not parse).
pub fn write_request_head(
    row: &ProviderRow,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match row.family {
        Family::OpenAi => crate::openai::write_request_head(row, target, creds, out),
        Family::Anthropic => crate::anthropic::head::write_request_head(row, target, creds, out),
        Family::VertexClaude => {
            crate::anthropic::vertex::write_request_head(row, target, creds, out)
        }
        Family::Gemini => crate::gemini::head::write_request_head(row, target, creds, out),
        Family::Bedrock | Family::BedrockClaude | Family::BedrockEmbed | Family::BedrockRerank => {
            return crate::bedrock::head::write_request_head(row, target, creds, out)
        }
        Family::Ollama | Family::OllamaChat => {
            crate::ollama::head::write_request_head(row, ollama_api(row.family), target, creds, out)
        }
        Family::Cohere | Family::CohereChat => {
            crate::cohere::head::write_request_head(row, target, creds, out)
        }
    }
    Ok(())
}

/// How a request of the client's API (`endpoint`) reaches a provider of `family`: each site
/// below matches on it, so a pairing is decided in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bridge {
    /// An OpenAI-compatible provider on an OpenAI route: the client's body spliced (model),
    /// the answer passed through with its model rewritten.
    OpenAi,
    /// Anthropic on `/v1/messages`: spliced and passed through the same way.
    Anthropic,
    /// Chat completions (or another OpenAI route) to Anthropic's Messages, and back.
    ChatToAnthropic,
    /// `/v1/messages` to an OpenAI-compatible provider's chat completions, and back.
    MessagesToChat,
    /// Token counting by Anthropic's API (LiteLLM's fields sent, the answer marked).
    AnthropicCount,
    /// Token counting for a provider without such an API: a local estimate, nothing upstream.
    LocalCount,
    /// Token counting by Bedrock's CountTokens API ([`crate::bedrock::count`]).
    BedrockCount,
    /// Token counting by Vertex AI's count-tokens for Claude: the client's body with the
    /// model unversioned ([`crate::anthropic::vertex::count_request`]).
    VertexClaudeCount,
    /// `/v1/messages/count_tokens` to Gemini's `countTokens` ([`crate::gemini::count`]).
    GeminiCount,
    /// Chat completions to Gemini's `generateContent`, and back.
    ChatToGemini,
    /// Embeddings to Gemini's `batchEmbedContents`, and back.
    EmbedToGemini,
    /// Embeddings to Vertex AI's text-embedding `:predict`, and back
    /// ([`crate::gemini::predict`]).
    EmbedToVertex,
    /// `/v1/messages` to Gemini through a chat completion, as LiteLLM chains them (Messages →
    /// chat → `generateContent`, and back the same way).
    MessagesToGemini,
    /// Chat completions to Bedrock's Converse, and back.
    ChatToBedrock,
    /// `/v1/messages` to Bedrock's Converse through a chat completion, as LiteLLM chains them
    /// for models other than Claude.
    MessagesToBedrock,
    /// `/v1/messages` to Claude on Bedrock's Invoke API, in Anthropic's format
    /// ([`crate::bedrock::invoke`]).
    BedrockInvokeMessages,
    /// Embeddings to Bedrock's Invoke API: Cohere's in one request, and back; Titan's take
    /// one request per input, which the gateway sends ([`crate::bedrock::embed`]).
    EmbedToBedrock,
    /// Chat completions to Claude on Vertex AI (Anthropic's format), and back.
    ChatToVertexClaude,
    /// `/v1/messages` to Claude on Vertex AI: reshaped as LiteLLM does, the answer passed
    /// through with its model rewritten.
    VertexClaudeMessages,
    /// Mistral's OCR: the document and options sent, the answer in LiteLLM's shape
    /// ([`crate::ocr`]).
    Ocr,
    /// Chat completions to Ollama's `/api/chat`, and back.
    ChatToOllamaChat,
    /// Chat completions to Ollama's `/api/generate` (the messages flattened into a prompt),
    /// and back.
    ChatToOllamaGenerate,
    /// Text completions to a provider without `/completions` in LiteLLM, as a chat
    /// completion (through the family's own chat translation), and back ([`crate::text`]).
    TextThroughChat,
    /// Text completions to Ollama's `/api/generate`, and back.
    TextToOllamaGenerate,
    /// Text completions to Ollama's `/api/chat` (the prompt as one user message), and back.
    TextToOllamaChat,
    /// Embeddings to Ollama's `/api/embed`, and back.
    EmbedToOllama,
    /// `/v1/messages` to Ollama's `/api/chat` through a chat completion, as LiteLLM chains
    /// them.
    MessagesToOllamaChat,
    /// `/v1/messages` to Ollama's `/api/generate` through a chat completion.
    MessagesToOllamaGenerate,
    /// Chat completions to Cohere's `/v2/chat`, and back.
    ChatToCohere,
    /// Embeddings to Cohere's `/v2/embed`, and back.
    EmbedToCohere,
    /// Embeddings to Voyage AI's `/embeddings` (its parameter names), its usage back in
    /// LiteLLM's shape ([`crate::voyage`]).
    EmbedToVoyage,
    /// The rerank route to Cohere's `/v2/rerank`, and back.
    RerankToCohere,
    /// The rerank route to an OpenAI-format row that lists it, in the row's rerank shape
    /// (hosted_vllm's `/rerank` in Cohere's, Jina's own), and back ([`crate::rerank`]).
    RerankOpenAiFormat,
    /// The rerank route to Bedrock's Rerank API, and back ([`crate::bedrock::rerank`]).
    RerankToBedrock,
    /// The Responses API to a provider that has it ([`crate::responses`]): LiteLLM's
    /// parameters sent, answers rebuilt with the client's ids, events relayed with its model.
    Responses,
    /// The Responses API to a provider's chat completions ([`crate::responses::bridge`]),
    /// through its family's own chat translation, and back.
    ResponsesThroughChat,
    /// A pairing no transform serves (the row does not list the endpoint): never sent.
    Unserved,
}

pub fn bridge(row: &ProviderRow, endpoint: Endpoint) -> Bridge {
    match (row.family, endpoint) {
        (Family::Cohere, Endpoint::Rerank) => Bridge::RerankToCohere,
        (Family::OpenAi, Endpoint::Rerank) => Bridge::RerankOpenAiFormat,
        (Family::BedrockRerank, Endpoint::Rerank) => Bridge::RerankToBedrock,
        (Family::OpenAi, Endpoint::Embeddings)
            if row.embeddings == crate::provider::Embeddings::Voyage =>
        {
            Bridge::EmbedToVoyage
        }
        (_, Endpoint::Rerank) => Bridge::Unserved,
        (Family::OpenAi, Endpoint::Messages) => Bridge::MessagesToChat,
        (Family::OpenAi, Endpoint::CountTokens) => Bridge::LocalCount,
        (Family::OpenAi, Endpoint::Ocr) => Bridge::Ocr,
        (_, Endpoint::Ocr) => Bridge::Unserved,
        (Family::OpenAi, Endpoint::Responses | Endpoint::Response(_))
            if row.endpoints.contains(&Endpoint::Responses) =>
        {
            Bridge::Responses
        }
        // A provider without the Responses API gets chat completions, as LiteLLM bridges them;
        // it stores no responses to read by id.
        (_, Endpoint::Responses) => Bridge::ResponsesThroughChat,
        (_, Endpoint::Response(_)) => Bridge::Unserved,
        (Family::OpenAi, Endpoint::Completions)
            if row.endpoints.contains(&Endpoint::Completions) =>
        {
            Bridge::OpenAi
        }
        // Text completions to a provider without `/completions` in LiteLLM go through its
        // chat completions, as LiteLLM's `text_completion` sends them (Ollama's have their own
        // bridges).
        (family, Endpoint::Completions)
            if !matches!(family, Family::Ollama | Family::OllamaChat) =>
        {
            Bridge::TextThroughChat
        }
        (Family::OpenAi, _) => Bridge::OpenAi,
        (Family::Anthropic, Endpoint::Messages) => Bridge::Anthropic,
        (Family::Anthropic, Endpoint::CountTokens) => Bridge::AnthropicCount,
        (Family::Anthropic, _) => Bridge::ChatToAnthropic,
        (Family::Gemini, Endpoint::ChatCompletions) => Bridge::ChatToGemini,
        (Family::Gemini, Endpoint::Embeddings) if row.path == PathStyle::Vertex => {
            Bridge::EmbedToVertex
        }
        (Family::Gemini, Endpoint::Embeddings) => Bridge::EmbedToGemini,
        (Family::Gemini, Endpoint::Messages) => Bridge::MessagesToGemini,
        (Family::Gemini, Endpoint::CountTokens) => Bridge::GeminiCount,
        (Family::Gemini, _) => Bridge::Unserved,
        (Family::Bedrock | Family::BedrockClaude, Endpoint::ChatCompletions) => {
            Bridge::ChatToBedrock
        }
        (Family::Bedrock, Endpoint::Messages) => Bridge::MessagesToBedrock,
        (Family::BedrockClaude, Endpoint::Messages) => Bridge::BedrockInvokeMessages,
        (Family::BedrockEmbed, Endpoint::Embeddings) => Bridge::EmbedToBedrock,
        (Family::Bedrock | Family::BedrockClaude, Endpoint::CountTokens) => Bridge::BedrockCount,
        (Family::VertexClaude, Endpoint::CountTokens) => Bridge::VertexClaudeCount,
        (Family::VertexClaude, Endpoint::ChatCompletions) => Bridge::ChatToVertexClaude,
        (Family::VertexClaude, Endpoint::Messages) => Bridge::VertexClaudeMessages,
        (Family::VertexClaude, _) => Bridge::Unserved,
        (
            Family::Bedrock | Family::BedrockClaude | Family::BedrockEmbed | Family::BedrockRerank,
            _,
        ) => Bridge::Unserved,
        (Family::Ollama, Endpoint::ChatCompletions) => Bridge::ChatToOllamaGenerate,
        (Family::Ollama, Endpoint::Completions) => Bridge::TextToOllamaGenerate,
        (Family::Ollama, Endpoint::Embeddings) => Bridge::EmbedToOllama,
        (Family::Ollama, Endpoint::Messages) => Bridge::MessagesToOllamaGenerate,
        (Family::Ollama | Family::OllamaChat, Endpoint::CountTokens) => Bridge::LocalCount,
        (Family::OllamaChat, Endpoint::ChatCompletions) => Bridge::ChatToOllamaChat,
        (Family::OllamaChat, Endpoint::Completions) => Bridge::TextToOllamaChat,
        (Family::OllamaChat, Endpoint::Messages) => Bridge::MessagesToOllamaChat,
        (Family::OllamaChat, _) => Bridge::Unserved,
        (Family::Cohere | Family::CohereChat, Endpoint::ChatCompletions) => Bridge::ChatToCohere,
        (Family::Cohere, Endpoint::Embeddings) => Bridge::EmbedToCohere,
        (Family::Cohere | Family::CohereChat, _) => Bridge::Unserved,
    }
}

/// Which Ollama API a row of an Ollama family speaks.
fn ollama_api(family: Family) -> crate::ollama::Api {
    match family {
        Family::OllamaChat => crate::ollama::Api::Chat,
        _ => crate::ollama::Api::Generate,
    }
}

/// Whether `row` can serve the client's `endpoint`: one it lists, or `/v1/messages`, the
/// Responses API and text completions bridged to its chat completions (and its token counting
/// estimated locally).
pub fn serves(row: &ProviderRow, endpoint: Endpoint) -> bool {
    (row.endpoints.contains(&endpoint.listed_as()) && bridge(row, endpoint) != Bridge::Unserved)
        || (matches!(
            bridge(row, endpoint),
            Bridge::MessagesToChat
                | Bridge::LocalCount
                | Bridge::MessagesToGemini
                | Bridge::GeminiCount
                | Bridge::MessagesToOllamaChat
                | Bridge::MessagesToOllamaGenerate
                | Bridge::ResponsesThroughChat
                | Bridge::TextThroughChat
        ) && serves(row, Endpoint::ChatCompletions))
}

/// The provider endpoint a request of the client's `endpoint` goes to.
pub fn upstream_endpoint(row: &ProviderRow, endpoint: Endpoint) -> Endpoint {
    match bridge(row, endpoint) {
        Bridge::MessagesToChat
        | Bridge::MessagesToGemini
        | Bridge::MessagesToBedrock
        | Bridge::MessagesToOllamaChat
        | Bridge::MessagesToOllamaGenerate
        | Bridge::ResponsesThroughChat
        | Bridge::TextThroughChat => Endpoint::ChatCompletions,
        _ => endpoint,
    }
}

/// What translating a request learned that translating its answer needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestNote {
    /// The prompt tokens the gateway counted itself (Gemini embeddings, as LiteLLM does).
    pub counted_prompt_tokens: Option<u64>,
    /// Ollama's `/api/generate` was asked for JSON (`format: "json"`): LiteLLM reads such an
    /// answer as JSON, a `{"name", "arguments"}` object as a tool call.
    pub json_mode: bool,
}

/// Writes the upstream body for the client's `body` (held in memory), read as `fields`: the
/// client's bytes spliced where the family speaks the client's API (written again where an
/// OpenAI-format row's parameter table or LiteLLM's own keys ask for it), else translated.
/// Returns what [`rewrite_response`] needs to know of the request. `Err` says why the body
/// cannot be translated (the client's 400). `anthropic_beta` is the client's `anthropic-beta` header (a
/// Messages request's). With `drop_refused` (`drop_params`), an OpenAI-format row's chat body
/// leaves out the parameters its table refuses ([`crate::params`]).
#[allow(clippy::too_many_arguments)]
pub fn write_request_body(
    row: &ProviderRow,
    endpoint: Endpoint,
    body: &[u8],
    fields: &RequestFields,
    provider_model: &str,
    anthropic_beta: Option<&str>,
    force_include_usage: bool,
    drop_refused: bool,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<RequestNote, crate::anthropic::TransformError> {
    let none = |r: Result<(), crate::anthropic::TransformError>| r.map(|()| RequestNote::default());
    let json_mode = |json_mode| RequestNote {
        json_mode,
        ..RequestNote::default()
    };
    if endpoint == Endpoint::Embeddings && matches!(bridge(row, endpoint), Bridge::OpenAi) {
        let refused = crate::params::refused_embedding_params(
            body,
            &row.params,
            row.name,
            provider_model,
            drop_refused,
        );
        if let Some(refused) = refused {
            // Left out with drop_params, else refused.
            let kept = crate::json::without_members(body, &refused?);
            return none(crate::params::write_chat_body(
                &kept,
                &crate::params::ParamRules::OPENAI,
                row.name,
                provider_model,
                force_include_usage,
                drop_refused,
                out,
            ));
        }
    }
    match bridge(row, endpoint) {
        Bridge::OpenAi | Bridge::Anthropic => match rewritten_params(row, endpoint, fields) {
            Some(rules) => none(crate::params::write_chat_body(
                body,
                &rules,
                row.name,
                provider_model,
                force_include_usage,
                drop_refused,
                out,
            )),
            None => {
                // Where LiteLLM never sends `stream_options`, it is not added for usage either.
                let usage = force_include_usage
                    && !(endpoint == Endpoint::ChatCompletions
                        && row
                            .params
                            .unsent
                            .contains(crate::params::Param::StreamOptions));
                crate::openai::splice(body, fields, provider_model, usage, out);
                Ok(RequestNote::default())
            }
        },
        Bridge::ChatToAnthropic => none(crate::anthropic::transform_request(
            body,
            provider_model,
            scratch,
            out,
        )),
        Bridge::TextThroughChat => {
            let mut chat = Vec::with_capacity(body.len() + 64);
            crate::text::to_chat_request(body, provider_model, &mut chat)?;
            if row.family == Family::OpenAi {
                // The row's chat table, without the `stream: false` LiteLLM's HTTP handler
                // adds to chat requests only.
                return none(crate::params::write_chat_body(
                    &chat,
                    &text_rules(row),
                    row.name,
                    provider_model,
                    force_include_usage,
                    drop_refused,
                    out,
                ));
            }
            family_chat_body(
                row,
                &chat,
                provider_model,
                force_include_usage,
                drop_refused,
                scratch,
                out,
            )
        }
        Bridge::MessagesToChat => none(chat_for_row(
            row,
            provider_model,
            drop_refused,
            out,
            |chat| crate::messages::to_chat_request(body, provider_model, chat),
        )),
        Bridge::AnthropicCount => {
            crate::anthropic::count_tokens_request(body, provider_model, out);
            Ok(RequestNote::default())
        }
        Bridge::ChatToGemini => none(crate::gemini::transform_request(
            body,
            provider_model,
            scratch,
            out,
        )),
        Bridge::EmbedToGemini => {
            crate::gemini::embed_request(body, provider_model, out).map(|n| RequestNote {
                counted_prompt_tokens: Some(n),
                ..RequestNote::default()
            })
        }
        Bridge::EmbedToVertex => none(crate::gemini::predict::embed_request(
            body,
            provider_model,
            out,
        )),
        Bridge::ChatToBedrock => none(crate::bedrock::transform_request(
            body,
            provider_model,
            scratch,
            out,
        )),
        Bridge::ChatToOllamaChat => none(crate::ollama::chat_request(
            body,
            provider_model,
            scratch,
            out,
        )),
        Bridge::ChatToOllamaGenerate => {
            crate::ollama::generate_request(body, provider_model, scratch, out).map(json_mode)
        }
        Bridge::TextToOllamaGenerate => none(crate::ollama::text_request(
            body,
            provider_model,
            scratch,
            out,
        )),
        Bridge::TextToOllamaChat => none(crate::ollama::generate::text_chat_request(
            body,
            provider_model,
            scratch,
            out,
        )),
        Bridge::EmbedToOllama => none(crate::ollama::embed_request(body, provider_model, out)),
        Bridge::MessagesToOllamaChat => {
            let mut chat = Vec::with_capacity(body.len() + 128);
            none(
                crate::messages::to_chat_request(body, provider_model, &mut chat).and_then(|()| {
                    crate::ollama::chat_request(&chat, provider_model, scratch, out)
                }),
            )
        }
        Bridge::MessagesToOllamaGenerate => {
            let mut chat = Vec::with_capacity(body.len() + 128);
            crate::messages::to_chat_request(body, provider_model, &mut chat)
                .and_then(|()| crate::ollama::generate_request(&chat, provider_model, scratch, out))
                .map(json_mode)
        }
        Bridge::MessagesToGemini => {
            let mut chat = Vec::with_capacity(body.len() + 128);
            none(
                crate::messages::to_chat_request(body, provider_model, &mut chat).and_then(|()| {
                    crate::gemini::transform_request(&chat, provider_model, scratch, out)
                }),
            )
        }
        Bridge::MessagesToBedrock => {
            let mut chat = Vec::with_capacity(body.len() + 128);
            none(
                crate::messages::to_chat_request(body, provider_model, &mut chat).and_then(|()| {
                    crate::bedrock::transform_request(&chat, provider_model, scratch, out)
                }),
            )
        }
        Bridge::EmbedToBedrock => crate::bedrock::embed::cohere_request(body, provider_model, out)
            .map(|n| RequestNote {
                counted_prompt_tokens: Some(n),
                ..RequestNote::default()
            }),
        Bridge::Ocr => none(crate::ocr::request(body, provider_model, out)),
        Bridge::ChatToVertexClaude => none(crate::anthropic::vertex::chat_request(
            body,
            provider_model,
            scratch,
            out,
        )),
        Bridge::VertexClaudeMessages => none(crate::anthropic::vertex::messages_request(
            body,
            provider_model,
            scratch,
            out,
        )),
        Bridge::ChatToCohere => none(crate::cohere::transform_request(
            body,
            provider_model,
            cohere_provider(row.family),
            scratch,
            out,
        )),
        Bridge::EmbedToCohere => {
            crate::cohere::embed_request(body, provider_model, out).map(|n| RequestNote {
                counted_prompt_tokens: Some(n),
                ..RequestNote::default()
            })
        }
        Bridge::RerankToCohere => none(crate::rerank::rerank_request(
            crate::rerank::Flavor::CohereV2,
            body,
            provider_model,
            out,
        )),
        Bridge::EmbedToVoyage => none(crate::voyage::embed_request(body, provider_model, out)),
        Bridge::RerankOpenAiFormat => none(crate::rerank::rerank_request(
            row.rerank,
            body,
            provider_model,
            out,
        )),
        Bridge::RerankToBedrock => none(crate::bedrock::rerank::request(body, provider_model, out)),
        Bridge::BedrockInvokeMessages => none(crate::bedrock::invoke::messages_request(
            body,
            provider_model,
            anthropic_beta,
            scratch,
            out,
        )),
        Bridge::Responses => match endpoint {
            Endpoint::Response(ResponseOp::Cancel) => {
                out.extend_from_slice(b"{}");
                Ok(RequestNote::default())
            }
            Endpoint::Response(_) => Ok(RequestNote::default()),
            _ => none(crate::responses::request::native_request(
                body,
                provider_model,
                out,
            )),
        },
        Bridge::ResponsesThroughChat
            if bridge(row, Endpoint::ChatCompletions) == Bridge::OpenAi =>
        {
            none(chat_for_row(
                row,
                provider_model,
                drop_refused,
                out,
                |chat| {
                    crate::responses::bridge::to_chat_request(body, provider_model, row.name, chat)
                },
            ))
        }
        Bridge::ResponsesThroughChat => {
            let mut chat = Vec::with_capacity(body.len() + 256);
            crate::responses::bridge::to_chat_request(body, provider_model, row.name, &mut chat)?;
            family_chat_body(
                row,
                &chat,
                provider_model,
                false,
                drop_refused,
                scratch,
                out,
            )
        }
        Bridge::BedrockCount => none(crate::bedrock::count::count_request(body, out)),
        Bridge::GeminiCount => none(crate::gemini::count::count_request(
            body,
            provider_model,
            row.path == crate::provider::PathStyle::Vertex,
            scratch,
            out,
        )),
        Bridge::VertexClaudeCount => {
            crate::anthropic::vertex::count_request(body, provider_model, out);
            Ok(RequestNote::default())
        }
        // Nothing goes upstream (the gateway answers itself).
        Bridge::LocalCount => Ok(RequestNote::default()),
        Bridge::Unserved => Err(crate::anthropic::TransformError::Unsupported(
            "this provider does not serve this route".to_owned(),
        )),
    }
}

/// Voyage AI's answer with the client's model and LiteLLM's usage.
fn voyage_rewriter(requested_model: &str) -> ModelRewriter {
    ModelRewriter::with_usage_rewrite(requested_model, crate::voyage::usage)
}

/// A chat body `translate` writes for an OpenAI-format row (its model and usage option set),
/// as the row's parameter table sends it ([`crate::params`]): straight into `out` where the
/// table changes nothing, else written again from a scratch copy.
fn chat_for_row(
    row: &ProviderRow,
    provider_model: &str,
    drop_refused: bool,
    out: &mut Vec<u8>,
    translate: impl FnOnce(&mut Vec<u8>) -> Result<(), crate::anthropic::TransformError>,
) -> Result<(), crate::anthropic::TransformError> {
    // A bridged body is not the client's: LiteLLM's bridges decide `stream` and write the
    // messages themselves.
    let rules = crate::params::ParamRules {
        stream_false: false,
        messages: crate::params::MessageRules::NONE,
        ..row.params
    };
    if rules == crate::params::ParamRules::OPENAI {
        return translate(out);
    }
    let mut chat = Vec::new();
    translate(&mut chat)?;
    crate::params::write_chat_body(
        &chat,
        &rules,
        row.name,
        provider_model,
        false,
        drop_refused,
        out,
    )
}

/// Writes the chat completions body `chat` (written by a bridge) as the row's own chat
/// request: read as a client's, then written by the family ([`write_request_body`]).
fn family_chat_body(
    row: &ProviderRow,
    chat: &[u8],
    provider_model: &str,
    force_include_usage: bool,
    drop_refused: bool,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<RequestNote, crate::anthropic::TransformError> {
    let fields = crate::openai::inspect(chat, scratch)
        .map_err(|e| crate::anthropic::request::invalid(e.message()))?;
    write_request_body(
        row,
        Endpoint::ChatCompletions,
        chat,
        &fields,
        provider_model,
        None,
        force_include_usage,
        drop_refused,
        scratch,
        out,
    )
}

/// The parameter rules of a row's text completions: LiteLLM reads them with the row's chat
/// table (`get_optional_params`), and sends no `stream: false` and no messages there.
fn text_rules(row: &ProviderRow) -> crate::params::ParamRules {
    crate::params::ParamRules {
        stream_false: false,
        messages: crate::params::MessageRules::NONE,
        ..row.params
    }
}

/// Who writes the usage of a family's answers as chat completions, for the text completions
/// made of them ([`crate::text::UsageFrom`]).
fn usage_from(family: Family) -> crate::text::UsageFrom {
    match family {
        Family::OpenAi => crate::text::UsageFrom::Provider,
        Family::Anthropic | Family::VertexClaude => crate::text::UsageFrom::Anthropic,
        _ => crate::text::UsageFrom::Translated,
    }
}

/// LiteLLM's name of a Cohere family's provider, for its messages.
fn cohere_provider(family: Family) -> &'static str {
    match family {
        Family::CohereChat => "cohere_chat",
        _ => "cohere",
    }
}

/// Whether a body spilled to a file can be sent piece by piece (a splice plan); the others are
/// needed in memory (translated, trimmed or counted).
pub fn body_from_file(row: &ProviderRow, endpoint: Endpoint, fields: &RequestFields) -> bool {
    passed_through(row, endpoint) && rewritten_params(row, endpoint, fields).is_none()
}

/// Whether the provider speaks the client's API: bodies go both ways as they came, the
/// model aside.
fn passed_through(row: &ProviderRow, endpoint: Endpoint) -> bool {
    matches!(bridge(row, endpoint), Bridge::OpenAi | Bridge::Anthropic)
}

/// The parameter table a body to an OpenAI-format row is written again with, rather than
/// spliced ([`crate::params`]): a chat body with a parameter the row refuses, renames or does
/// not send; a chat, text completion or embeddings body with one of LiteLLM's own keys or
/// `extra_body` (the row's table applies to chat only).
fn rewritten_params(
    row: &ProviderRow,
    endpoint: Endpoint,
    fields: &RequestFields,
) -> Option<crate::params::ParamRules> {
    let rules = match endpoint {
        Endpoint::ChatCompletions => row.params,
        Endpoint::Completions => text_rules(row),
        Endpoint::Embeddings => crate::params::ParamRules::OPENAI,
        _ => return None,
    };
    // A body read in pieces (spilled, over 1 MiB) was not walked: its messages go as they
    // came rather than being read back into memory. Messages nothing changes are not written
    // again when the body is rewritten for another reason.
    let messages_change = fields
        .shapes
        .is_some_and(|shapes| rules.messages.changes(shapes));
    let rules = crate::params::ParamRules {
        messages: match messages_change {
            true => rules.messages,
            false => crate::params::MessageRules::NONE,
        },
        ..rules
    };
    (fields.keys.rewrite(&rules) || messages_change).then_some(rules)
}

/// A Messages answer for a provider whose answer the gateway reads as a chat completion:
/// `chat_answer` writes that completion into a scratch buffer, which becomes the message.
fn messages_through_chat(
    body_len: usize,
    requested_model: &str,
    out: &mut Vec<u8>,
    chat_answer: impl FnOnce(&mut Vec<u8>) -> Result<Usage, crate::anthropic::TransformError>,
) -> Result<Reported, String> {
    let mut chat = Vec::with_capacity(body_len + 256);
    chat_answer(&mut chat)
        .and_then(|_| crate::messages::to_message(&chat, requested_model, out))
        .reported()
}

/// Who answered, as a Responses API answer names it: the client's ids wrap the provider's
/// with the provider and the deployment's id, and a stream's last event carries the cost.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub provider: &'static str,
    pub model_id: Option<&'a str>,
    pub prices: Option<Prices>,
    /// The request's fields a bridged answer repeats ([`crate::responses::bridge::echo`]).
    pub echo: Option<&'a [u8]>,
    /// The provider's model, which a bridged stream's responses name (LiteLLM's chunks
    /// carry it).
    pub provider_model: Option<&'a str>,
}

/// Rewrites a whole (held) success response for the client, with `model` set to the name the
/// client asked for; returns what it reports. A translated answer gets the `id` and `created`
/// that `answer_id` gives (asked only then: it allocates and reads the clock).
/// `note` is what [`write_request_body`] returned. `Err` when the provider's answer cannot be
/// read.
#[allow(clippy::too_many_arguments)]
pub fn rewrite_response(
    row: &ProviderRow,
    endpoint: Endpoint,
    body: &[u8],
    requested_model: &str,
    answer_id: impl FnOnce() -> (String, u64),
    note: RequestNote,
    origin: &Origin<'_>,
    out: &mut Vec<u8>,
) -> Result<Reported, String> {
    let translated = |usage: Usage| Reported {
        usage: Some(usage),
        service_tier: None,
    };
    match bridge(row, endpoint) {
        // LocalCount never sends anything upstream: nothing to rewrite.
        Bridge::OpenAi | Bridge::LocalCount => Ok(rewrite_reporting(body, requested_model, out)),
        Bridge::Anthropic | Bridge::BedrockInvokeMessages | Bridge::VertexClaudeMessages => {
            Ok(Reported {
                usage: crate::anthropic::message_usage(body),
                ..rewrite_reporting(body, requested_model, out)
            })
        }
        Bridge::ChatToAnthropic | Bridge::ChatToVertexClaude => {
            let (id, created) = answer_id();
            crate::anthropic::transform_response(body, &id, created, requested_model, out)
                .reported()
        }
        Bridge::MessagesToChat => {
            crate::messages::to_message(body, requested_model, out).reported()
        }
        Bridge::TextThroughChat => {
            // The family's own answer as a chat completion (what it reports counts), then
            // that as a text completion.
            let (id, created) = answer_id();
            let mut chat = Vec::with_capacity(body.len() + 256);
            let reported = chat_answer(
                row,
                body,
                requested_model,
                (&id, created),
                note,
                origin,
                &mut chat,
            )?;
            crate::text::to_text_completion(&chat, requested_model, usage_from(row.family), out)
                .map_err(|e| e.message().to_owned())?;
            Ok(reported)
        }
        Bridge::AnthropicCount => {
            crate::anthropic::count_tokens_answer(body, out);
            Ok(Reported::default())
        }
        Bridge::ChatToGemini => {
            let (id, created) = answer_id();
            crate::gemini::transform_response(body, &id, created, requested_model, out).reported()
        }
        Bridge::EmbedToGemini => crate::gemini::embed_response(
            body,
            requested_model,
            note.counted_prompt_tokens.unwrap_or(0),
            out,
        )
        .reported(),
        Bridge::EmbedToVertex => {
            crate::gemini::predict::embed_response(body, requested_model, out).reported()
        }
        Bridge::MessagesToGemini => {
            let (id, created) = answer_id();
            messages_through_chat(body.len(), requested_model, out, |chat| {
                crate::gemini::transform_response(body, &id, created, requested_model, chat)
            })
        }
        Bridge::ChatToBedrock => {
            let (id, created) = answer_id();
            crate::bedrock::transform_response(body, &id, created, requested_model, out).reported()
        }
        Bridge::MessagesToBedrock => {
            let (id, created) = answer_id();
            // LiteLLM's Converse answer has a `chatcmpl-` id, which its Messages translation
            // keeps.
            let id = match id.strip_prefix("msg_") {
                Some(rest) => format!("chatcmpl-{rest}"),
                None => id,
            };
            messages_through_chat(body.len(), requested_model, out, |chat| {
                crate::bedrock::transform_response(body, &id, created, requested_model, chat)
            })
        }
        Bridge::ChatToOllamaChat => {
            let (id, created) = answer_id();
            crate::ollama::chat_response(body, &id, created, requested_model, out).reported()
        }
        Bridge::ChatToOllamaGenerate => {
            let (id, created) = answer_id();
            crate::ollama::generate_response(
                body,
                &id,
                created,
                requested_model,
                note.json_mode,
                out,
            )
            .reported()
        }
        Bridge::TextToOllamaGenerate => {
            let (id, created) = answer_id();
            crate::ollama::text_response(body, &id, created, requested_model, out).reported()
        }
        Bridge::TextToOllamaChat => {
            let (id, created) = answer_id();
            crate::ollama::response::chat_text_response(body, &id, created, requested_model, out)
                .reported()
        }
        Bridge::EmbedToOllama => {
            crate::ollama::embed_response(body, requested_model, out).reported()
        }
        Bridge::MessagesToOllamaChat | Bridge::MessagesToOllamaGenerate => {
            // LiteLLM's Messages answer keeps the chat completion's id.
            let (id, created) = answer_id();
            let id = format!("chatcmpl-{}", id.strip_prefix("msg_").unwrap_or(&id));
            messages_through_chat(body.len(), requested_model, out, |chat| {
                if row.family == Family::OllamaChat {
                    crate::ollama::chat_response(body, &id, created, requested_model, chat)
                } else {
                    crate::ollama::generate_response(
                        body,
                        &id,
                        created,
                        requested_model,
                        note.json_mode,
                        chat,
                    )
                }
            })
        }
        // Titan's answers are put together by the gateway; a whole answer here is Cohere's.
        Bridge::EmbedToBedrock => crate::bedrock::embed::cohere_response(
            body,
            requested_model,
            note.counted_prompt_tokens.unwrap_or(0),
            out,
        )
        .map(translated),
        Bridge::Ocr => {
            crate::ocr::response(body, requested_model, out).map(|_| Reported::default())
        }
        Bridge::ChatToCohere => {
            let (id, created) = answer_id();
            crate::cohere::transform_response(body, &id, created, requested_model, out).reported()
        }
        Bridge::EmbedToCohere => crate::cohere::embed_response(
            body,
            requested_model,
            note.counted_prompt_tokens.unwrap_or(0),
            out,
        )
        .reported(),
        Bridge::RerankToCohere => {
            rerank_answer(crate::rerank::Flavor::CohereV2, body, answer_id, out)
        }
        Bridge::EmbedToVoyage => {
            // One path for every size: the streaming rewriter, fed the whole answer.
            let mut rewriter = voyage_rewriter(requested_model);
            rewriter.feed(body, out);
            rewriter.finish(out);
            Ok(Reported {
                usage: rewriter.usage(),
                ..Reported::default()
            })
        }
        Bridge::RerankOpenAiFormat => rerank_answer(row.rerank, body, answer_id, out),
        Bridge::RerankToBedrock => {
            crate::bedrock::rerank::response(body, || rerank_id(answer_id), out)
                .map(|()| Reported::default())
                .map_err(|e| e.message().to_owned())
        }
        Bridge::Responses => responses_answer(endpoint, body, requested_model, origin, out),
        Bridge::BedrockCount => {
            crate::bedrock::count::count_answer(body, out);
            Ok(Reported::default())
        }
        Bridge::GeminiCount => {
            let tokens = crate::messages::count::answer_tokens(body, "totalTokens");
            crate::messages::count::write_provider_answer(tokens, out);
            Ok(Reported::default())
        }
        Bridge::VertexClaudeCount => {
            let tokens = crate::messages::count::answer_tokens(body, "input_tokens");
            crate::messages::count::write_provider_answer(tokens, out);
            Ok(Reported::default())
        }
        Bridge::ResponsesThroughChat => {
            let (id, created) = answer_id();
            let mut chat = Vec::with_capacity(body.len() + 256);
            chat_answer(
                row,
                body,
                requested_model,
                (&id, created),
                note,
                origin,
                &mut chat,
            )?;
            let chat = crate::json::value::answer_object(&chat)?;
            let provider_id = crate::json::value::get(chat, "id")
                .and_then(crate::json::value::string)
                .unwrap_or_else(|| id.clone());
            let wrapped =
                crate::responses::encode_id(origin.provider, origin.model_id, &provider_id);
            let item = id.strip_prefix("chatcmpl-").unwrap_or(&id);
            crate::responses::bridge::from_chat(
                chat,
                origin.echo.unwrap_or(b"{}"),
                &wrapped,
                item,
                requested_model,
                out,
            )
            .reported()
        }
        Bridge::Unserved => Err("this provider does not serve this route".to_owned()),
    }
}

/// A chat or Messages translation's result as what a rewrite reports: its usage, or the
/// reason the answer could not be read.
trait IntoReported {
    fn reported(self) -> Result<Reported, String>;
}

impl IntoReported for Result<Usage, crate::anthropic::TransformError> {
    fn reported(self) -> Result<Reported, String> {
        self.map(|usage| Reported {
            usage: Some(usage),
            service_tier: None,
        })
        .map_err(|e| e.message().to_owned())
    }
}

/// The uuid4 LiteLLM gives a rerank answer without an id: the gateway's call id.
fn rerank_id(answer_id: impl FnOnce() -> (String, u64)) -> String {
    let (id, _) = answer_id();
    id.strip_prefix("chatcmpl-")
        .map(str::to_owned)
        .unwrap_or(id)
}

/// A rerank answer in `flavor`'s shape; LiteLLM's uuid4 where the provider names no answer is
/// the gateway's call id.
fn rerank_answer(
    flavor: crate::rerank::Flavor,
    body: &[u8],
    answer_id: impl FnOnce() -> (String, u64),
    out: &mut Vec<u8>,
) -> Result<Reported, String> {
    crate::rerank::rerank_response(flavor, body, || rerank_id(answer_id), out)
        .map(|()| Reported::default())
        .map_err(|e| e.message().to_owned())
}

/// A provider's answer as a chat completion, through its family's chat translation (the
/// Responses API bridge's first half; not generic, so the recursion has one instance).
fn chat_answer(
    row: &ProviderRow,
    body: &[u8],
    requested_model: &str,
    (id, created): (&str, u64),
    note: RequestNote,
    origin: &Origin<'_>,
    out: &mut Vec<u8>,
) -> Result<Reported, String> {
    let answer_id = || (id.to_owned(), created);
    rewrite_response(
        row,
        Endpoint::ChatCompletions,
        body,
        requested_model,
        answer_id,
        note,
        origin,
        out,
    )
}

/// A provider's stream as chat completion chunks, as [`chat_answer`] for a whole answer.
fn chat_translator(
    row: &ProviderRow,
    requested_model: &str,
    (id, created): (&str, u64),
    origin: &Origin<'_>,
) -> StreamTranslator {
    let answer_id = || (id.to_owned(), created);
    stream_translator(
        row,
        Endpoint::ChatCompletions,
        requested_model,
        answer_id,
        origin,
    )
}

/// A Responses API answer for the client: a response (created, read or cancelled) rebuilt as
/// LiteLLM returns it, the others (a deletion, a list of input items) as they came.
fn responses_answer(
    endpoint: Endpoint,
    body: &[u8],
    requested_model: &str,
    origin: &Origin<'_>,
    out: &mut Vec<u8>,
) -> Result<Reported, String> {
    use crate::responses::object::{response_id, write_response, Nulls, Rewrite};
    let obj = crate::json::value::answer_object(body)?;
    let (wrap, model) = match endpoint {
        Endpoint::Responses => (true, Some(requested_model)),
        Endpoint::Response(ResponseOp::Get) => (true, None),
        // LiteLLM's cancel answer keeps the provider's id.
        Endpoint::Response(ResponseOp::Cancel) => (false, None),
        _ => {
            out.extend_from_slice(body);
            return Ok(Reported::default());
        }
    };
    let id = response_id(obj)
        .filter(|_| wrap)
        .map(|id| crate::responses::encode_id(origin.provider, origin.model_id, &id));
    let rewrite = Rewrite {
        id: id.as_deref(),
        model,
        cost: None,
    };
    write_response(obj, &rewrite, Nulls::Written, out);
    Ok(Reported {
        usage: crate::json::value::get(obj, "usage").and_then(crate::responses::stream::read_usage),
        service_tier: None,
    })
}

/// A rewriter for a success response too large to hold, fed piece by piece; `None` where
/// answers are translated whole only. `counted_prompt_tokens` is what
/// [`write_request_body`] returned.
pub fn body_rewriter(
    row: &ProviderRow,
    endpoint: Endpoint,
    requested_model: &str,
    note: RequestNote,
) -> Option<BodyRewriter> {
    match bridge(row, endpoint) {
        Bridge::EmbedToOllama => Some(BodyRewriter::OllamaEmbed(Box::new(
            crate::ollama::EmbedRewriter::new(requested_model),
        ))),
        Bridge::EmbedToCohere => Some(BodyRewriter::CohereEmbed(Box::new(
            crate::cohere::embed_stream::EmbedRewriter::new(
                requested_model,
                note.counted_prompt_tokens.unwrap_or(0),
            ),
        ))),
        Bridge::EmbedToVoyage => Some(BodyRewriter::Model(voyage_rewriter(requested_model))),
        // A deletion or a page of input items goes back as it came, however large (it names
        // no model at its top level).
        Bridge::Responses
            if matches!(
                endpoint,
                Endpoint::Response(ResponseOp::Delete | ResponseOp::InputItems)
            ) =>
        {
            Some(BodyRewriter::Model(ModelRewriter::new(requested_model)))
        }
        _ => passed_through(row, endpoint)
            .then(|| BodyRewriter::Model(ModelRewriter::new(requested_model))),
    }
}

/// How a response too large to hold reaches the client, piece by piece.
#[derive(Debug)]
pub enum BodyRewriter {
    /// The provider's bytes with the model rewritten ([`ModelRewriter`]).
    Model(ModelRewriter),
    /// An Ollama `/api/embed` answer translated as it arrives.
    OllamaEmbed(Box<crate::ollama::EmbedRewriter>),
    /// A Cohere embeddings answer translated as it arrives.
    CohereEmbed(Box<crate::cohere::embed_stream::EmbedRewriter>),
}

impl BodyRewriter {
    /// Appends the client's bytes for the next `input` piece of the answer.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match self {
            BodyRewriter::Model(r) => r.feed(input, out),
            BodyRewriter::OllamaEmbed(r) => r.feed(input, out),
            BodyRewriter::CohereEmbed(r) => r.feed(input, out),
        }
    }

    /// The answer ended: appends what is still owed.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self {
            BodyRewriter::Model(r) => r.finish(out),
            BodyRewriter::OllamaEmbed(r) => r.finish(out),
            BodyRewriter::CohereEmbed(r) => r.finish(out),
        }
    }

    /// Whether the answer could not be translated: what the client got so far is cut short.
    pub fn failed(&self) -> bool {
        match self {
            BodyRewriter::Model(_) => false,
            BodyRewriter::OllamaEmbed(r) => r.failed(),
            BodyRewriter::CohereEmbed(r) => r.failed(),
        }
    }

    pub fn usage(&self) -> Option<Usage> {
        match self {
            BodyRewriter::Model(r) => r.usage(),
            BodyRewriter::OllamaEmbed(r) => r.usage(),
            BodyRewriter::CohereEmbed(r) => r.usage(),
        }
    }
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
    /// A provider's stream as chat chunks (its family's own translation), and those text
    /// completion chunks.
    TextThroughChat(Box<Chained<StreamTranslator, crate::text::TextFromChat>>),
    /// Gemini's `GenerateContentResponse` events become chat completion chunks.
    GeminiToChat(Box<crate::gemini::ChatStream>),
    /// Gemini's events become chat chunks, and those Anthropic's Messages events.
    GeminiToMessages(Box<Chained<crate::gemini::ChatStream>>),
    /// Bedrock's ConverseStream messages (AWS event-stream frames, see [`stream_framing`])
    /// become chat completion chunks.
    BedrockToChat(Box<crate::bedrock::ChatStream>),
    /// Bedrock's ConverseStream messages become chat chunks, and those Anthropic's Messages
    /// events.
    BedrockToMessages(Box<Chained<crate::bedrock::ChatStream>>),
    /// Claude's events from Bedrock's Invoke stream, base64 in AWS event-stream frames,
    /// written as Anthropic's server-sent events.
    BedrockInvokeMessages(Box<crate::bedrock::invoke::MessagesStream>),
    /// Ollama's NDJSON lines become chat completion chunks.
    OllamaToChat(Box<crate::ollama::ChatStream>),
    /// Ollama's lines become chat chunks, and those Anthropic's Messages events.
    OllamaToMessages(Box<Chained<crate::ollama::ChatStream>>),
    /// Cohere's `/v2/chat` events become chat completion chunks.
    CohereToChat(Box<crate::cohere::ChatStream>),
    /// A Responses API stream relayed as LiteLLM relays it.
    Responses(Box<crate::responses::stream::ResponsesStream>),
    /// A provider's stream as chat chunks (its family's own translation), and those the
    /// Responses API's events.
    ResponsesThroughChat(
        Box<Chained<StreamTranslator, crate::responses::bridge_stream::ResponsesFromChat>>,
    ),
}

/// How a family's stream is cut into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFraming {
    /// Server-sent events (`data: ...` and a blank line).
    Sse,
    /// AWS event-stream binary messages ([`crate::bedrock::eventstream`]).
    AwsEventStream,
    /// One JSON object a line ([`crate::ollama::ndjson`]).
    Ndjson,
}

pub fn stream_framing(family: Family) -> StreamFraming {
    match family {
        Family::OpenAi
        | Family::Anthropic
        | Family::Gemini
        | Family::VertexClaude
        | Family::Cohere
        | Family::CohereChat => StreamFraming::Sse,
        Family::Bedrock | Family::BedrockClaude | Family::BedrockEmbed | Family::BedrockRerank => {
            StreamFraming::AwsEventStream
        }
        Family::Ollama | Family::OllamaChat => StreamFraming::Ndjson,
    }
}

/// Two translations in a row, as LiteLLM chains a provider's stream through chat completion
/// chunks into Messages events: the first writes chat chunks (`data: {..}\n\n`) into `chunks`,
/// each of which the second reads.
#[derive(Debug)]
pub struct Chained<T, S = crate::messages::MessagesFromChat> {
    first: T,
    second: S,
    /// The first translation's output of one event, reused.
    chunks: Vec<u8>,
}

/// The second of two chained translations: chat completion chunks into the client's API.
pub trait FromChat {
    /// Translates one chunk (its data line).
    fn chunk(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<Option<Usage>, StreamFailure>;
    /// The chunks ended: appends the close; returns the usage.
    fn close(&mut self, out: &mut Vec<u8>) -> Option<Usage>;
}

impl FromChat for crate::messages::MessagesFromChat {
    fn chunk(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<Option<Usage>, StreamFailure> {
        self.event(data, out)
    }

    fn close(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        self.end(out)
    }
}

impl FromChat for crate::text::TextFromChat {
    fn chunk(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<Option<Usage>, StreamFailure> {
        self.event(data, out)
    }

    fn close(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        self.end(out)
    }
}

impl FromChat for crate::responses::bridge_stream::ResponsesFromChat {
    fn chunk(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<Option<Usage>, StreamFailure> {
        self.event(data, out)
    }

    fn close(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        self.end(out)
    }
}

impl ChatChunks for StreamTranslator {
    fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        StreamTranslator::end(self, include_usage, out)
    }
}

/// The first of two chained translations: a provider's stream as chat completion chunks.
pub trait ChatChunks {
    /// Appends the closing chunks (the usage chunk with `include_usage`); returns the usage.
    fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage>;
}

impl ChatChunks for crate::gemini::ChatStream {
    fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        crate::gemini::ChatStream::end(self, include_usage, out)
    }
}

impl ChatChunks for crate::ollama::ChatStream {
    fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        crate::ollama::ChatStream::end(self, include_usage, out)
    }
}

impl ChatChunks for crate::bedrock::ChatStream {
    fn end(&mut self, include_usage: bool, out: &mut Vec<u8>) -> Option<Usage> {
        crate::bedrock::ChatStream::end(self, include_usage, out)
    }
}

impl<T: ChatChunks, S: FromChat> Chained<T, S> {
    /// The upstream stream ended: the first's closing chunks through the second, then the
    /// second's close.
    fn end(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        // The usage chunk is always asked of the first: it carries the Messages usage.
        self.first.end(true, &mut self.chunks);
        // The first's closing chunks are its own JSON objects, never an error event: draining
        // them cannot fail, and the Messages close is written regardless.
        let _ = self.drain(out);
        self.second.close(out)
    }
}

impl<T, S: FromChat> Chained<T, S> {
    /// Feeds the chat chunks in `self.chunks` to the Messages translation; returns the last
    /// usage one reported. The chunks split at `\n\n` safely: each is one line of JSON, its
    /// strings written escaped and its raw parts copied from single-line upstream events.
    fn drain(&mut self, out: &mut Vec<u8>) -> Result<Option<Usage>, StreamFailure> {
        let mut usage = None;
        let mut rest = &self.chunks[..];
        while let Some(start) = rest.strip_prefix(b"data: ") {
            let end = start
                .windows(2)
                .position(|w| w == b"\n\n")
                .unwrap_or(start.len());
            if let Some(u) = self.second.chunk(&start[..end], out)? {
                usage = Some(u);
            }
            rest = start.get(end + 2..).unwrap_or_default();
        }
        self.chunks.clear();
        Ok(usage)
    }
}

/// The translator for one stream of `row`'s family; a translated stream's chunks carry the `id`
/// and `created` that `answer_id` gives (asked only then) and the client's `requested_model`.
pub fn stream_translator(
    row: &ProviderRow,
    endpoint: Endpoint,
    requested_model: &str,
    answer_id: impl FnOnce() -> (String, u64),
    origin: &Origin<'_>,
) -> StreamTranslator {
    match bridge(row, endpoint) {
        Bridge::ResponsesThroughChat => {
            let (id, created) = answer_id();
            let item = id.strip_prefix("chatcmpl-").unwrap_or(&id).to_owned();
            let chunk_model = origin.provider_model.unwrap_or(requested_model);
            let first = chat_translator(row, chunk_model, (&id, created), origin);
            StreamTranslator::ResponsesThroughChat(Box::new(Chained {
                first,
                second: crate::responses::bridge_stream::ResponsesFromChat::new(
                    origin,
                    origin.echo.unwrap_or(b"{}"),
                    &item,
                    requested_model,
                    created,
                ),
                chunks: Vec::new(),
            }))
        }
        Bridge::Responses => {
            StreamTranslator::Responses(Box::new(crate::responses::stream::ResponsesStream::new(
                origin.provider,
                origin.model_id,
                origin.prices,
            )))
        }
        Bridge::TextThroughChat => {
            let (id, created) = answer_id();
            StreamTranslator::TextThroughChat(Box::new(Chained {
                first: chat_translator(row, requested_model, (&id, created), origin),
                second: crate::text::TextFromChat::new(
                    requested_model,
                    usage_from(row.family),
                    origin.prices,
                ),
                chunks: Vec::new(),
            }))
        }
        Bridge::MessagesToChat => {
            let (id, _) = answer_id();
            StreamTranslator::ChatToMessages(Box::new(crate::messages::MessagesFromChat::new(
                &id,
                requested_model,
            )))
        }
        Bridge::ChatToAnthropic | Bridge::ChatToVertexClaude => {
            let (id, created) = answer_id();
            StreamTranslator::AnthropicToChat(Box::new(
                crate::anthropic::ChatStream::new(&id, created, requested_model)
                    .priced(origin.prices),
            ))
        }
        Bridge::Anthropic | Bridge::AnthropicCount | Bridge::VertexClaudeMessages => {
            StreamTranslator::AnthropicPassthrough(crate::anthropic::MessagesStream::default())
        }
        Bridge::ChatToGemini => {
            let (id, created) = answer_id();
            StreamTranslator::GeminiToChat(Box::new(
                crate::gemini::ChatStream::new(row.name, &id, created, requested_model)
                    .priced(origin.prices),
            ))
        }
        Bridge::MessagesToGemini => {
            let (id, created) = answer_id();
            StreamTranslator::GeminiToMessages(Box::new(Chained {
                first: crate::gemini::ChatStream::new(row.name, &id, created, requested_model),
                second: crate::messages::MessagesFromChat::new(&id, requested_model),
                chunks: Vec::new(),
            }))
        }
        Bridge::ChatToBedrock => {
            let (id, created) = answer_id();
            StreamTranslator::BedrockToChat(Box::new(
                crate::bedrock::ChatStream::new(&id, created, requested_model)
                    .priced(origin.prices),
            ))
        }
        Bridge::MessagesToBedrock => {
            let (id, created) = answer_id();
            StreamTranslator::BedrockToMessages(Box::new(Chained {
                first: crate::bedrock::ChatStream::new(&id, created, requested_model),
                second: crate::messages::MessagesFromChat::new(&id, requested_model),
                chunks: Vec::new(),
            }))
        }
        Bridge::BedrockInvokeMessages => StreamTranslator::BedrockInvokeMessages(Box::new(
            crate::bedrock::invoke::MessagesStream::new(requested_model),
        )),
        Bridge::ChatToOllamaChat | Bridge::ChatToOllamaGenerate => {
            let (id, created) = answer_id();
            StreamTranslator::OllamaToChat(Box::new(
                crate::ollama::ChatStream::new(
                    ollama_api(row.family),
                    &id,
                    created,
                    requested_model,
                )
                .priced(origin.prices),
            ))
        }
        Bridge::ChatToCohere => {
            let (id, created) = answer_id();
            StreamTranslator::CohereToChat(Box::new(
                crate::cohere::ChatStream::new(&id, created, requested_model).priced(origin.prices),
            ))
        }
        Bridge::TextToOllamaGenerate | Bridge::TextToOllamaChat => {
            let (id, created) = answer_id();
            StreamTranslator::OllamaToChat(Box::new(crate::ollama::ChatStream::text_completion(
                ollama_api(row.family),
                &id,
                created,
                requested_model,
            )))
        }
        Bridge::MessagesToOllamaChat | Bridge::MessagesToOllamaGenerate => {
            let (id, created) = answer_id();
            StreamTranslator::OllamaToMessages(Box::new(Chained {
                first: crate::ollama::ChatStream::new(
                    ollama_api(row.family),
                    &id,
                    created,
                    requested_model,
                ),
                second: crate::messages::MessagesFromChat::new(&id, requested_model),
                chunks: Vec::new(),
            }))
        }
        Bridge::OpenAi
        | Bridge::LocalCount
        | Bridge::EmbedToGemini
        | Bridge::EmbedToVertex
        | Bridge::EmbedToBedrock
        | Bridge::EmbedToOllama
        | Bridge::EmbedToCohere
        | Bridge::EmbedToVoyage
        | Bridge::RerankToCohere
        | Bridge::RerankOpenAiFormat
        | Bridge::RerankToBedrock
        | Bridge::BedrockCount
        | Bridge::VertexClaudeCount
        | Bridge::GeminiCount
        | Bridge::Ocr
        | Bridge::Unserved => StreamTranslator::Rewrite,
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
            StreamTranslator::TextThroughChat(s) => {
                // The usage chunk is always asked of the first; the second writes it when the
                // client asked.
                s.second.include_usage = include_usage;
                let Chained { first, chunks, .. } = &mut **s;
                let reported = first.event(event, data, requested_model, true, arena, chunks)?;
                Ok(s.drain(out)?.or(reported))
            }
            StreamTranslator::GeminiToChat(s) => s.event(data, out),
            StreamTranslator::CohereToChat(s) => s.event(event, data, out),
            StreamTranslator::Responses(s) => s.event(data, requested_model, out),
            StreamTranslator::ResponsesThroughChat(s) => {
                // The usage chunk is always asked of the first: it carries the usage. Its
                // chunks name the provider's model, as the responses do.
                let Chained {
                    first,
                    second,
                    chunks,
                } = &mut **s;
                let reported =
                    first.event(event, data, &second.chunk_model, true, arena, chunks)?;
                Ok(s.drain(out)?.or(reported))
            }
            // Their messages come through `aws_event` and `ndjson_line`, never as SSE.
            StreamTranslator::BedrockToChat(_)
            | StreamTranslator::BedrockToMessages(_)
            | StreamTranslator::BedrockInvokeMessages(_)
            | StreamTranslator::OllamaToChat(_)
            | StreamTranslator::OllamaToMessages(_) => Err(StreamFailure::Malformed),
            StreamTranslator::GeminiToMessages(s) => {
                // Gemini's events report usage as they go; the chat chunks only at the end,
                // so a stream cut short still has what Gemini reported.
                let reported = s.first.event(data, &mut s.chunks)?;
                Ok(s.drain(out)?.or(reported))
            }
        }
    }

    /// Translates one AWS event-stream message (the [`StreamFraming::AwsEventStream`]
    /// families'); as [`StreamTranslator::event`] otherwise.
    pub fn aws_event(
        &mut self,
        event: &crate::bedrock::eventstream::Event,
        include_usage: bool,
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        match self {
            StreamTranslator::BedrockToChat(s) => {
                s.event(&event.message_type, &event.name, &event.payload, out)
            }
            StreamTranslator::BedrockToMessages(s) => {
                // As GeminiToMessages: the usage Bedrock reported, else the chunks'.
                let reported = s.first.event(
                    &event.message_type,
                    &event.name,
                    &event.payload,
                    &mut s.chunks,
                )?;
                Ok(s.drain(out)?.or(reported))
            }
            StreamTranslator::BedrockInvokeMessages(s) => {
                s.event(&event.message_type, &event.name, &event.payload, out)
            }
            StreamTranslator::ResponsesThroughChat(s) => {
                let reported = s.first.aws_event(event, true, &mut s.chunks)?;
                Ok(s.drain(out)?.or(reported))
            }
            StreamTranslator::TextThroughChat(s) => {
                s.second.include_usage = include_usage;
                let reported = s.first.aws_event(event, true, &mut s.chunks)?;
                Ok(s.drain(out)?.or(reported))
            }
            _ => Err(StreamFailure::Malformed),
        }
    }

    /// Translates one NDJSON line (the [`StreamFraming::Ndjson`] families'); as
    /// [`StreamTranslator::event`] otherwise.
    pub fn ndjson_line(
        &mut self,
        line: &[u8],
        include_usage: bool,
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        match self {
            StreamTranslator::OllamaToChat(s) => s.line(line, out),
            StreamTranslator::OllamaToMessages(s) => {
                let reported = s.first.line(line, &mut s.chunks)?;
                Ok(s.drain(out)?.or(reported))
            }
            StreamTranslator::ResponsesThroughChat(s) => {
                let reported = s.first.ndjson_line(line, true, &mut s.chunks)?;
                Ok(s.drain(out)?.or(reported))
            }
            StreamTranslator::TextThroughChat(s) => {
                s.second.include_usage = include_usage;
                let reported = s.first.ndjson_line(line, true, &mut s.chunks)?;
                Ok(s.drain(out)?.or(reported))
            }
            _ => Err(StreamFailure::Malformed),
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
            StreamTranslator::TextThroughChat(s) => {
                s.second.include_usage = include_usage;
                s.end(out)
            }
            StreamTranslator::GeminiToChat(s) => s.end(include_usage, out),
            StreamTranslator::BedrockToChat(s) => s.end(include_usage, out),
            StreamTranslator::OllamaToChat(s) => s.end(include_usage, out),
            StreamTranslator::OllamaToMessages(s) => s.end(out),
            StreamTranslator::GeminiToMessages(s) => s.end(out),
            StreamTranslator::BedrockToMessages(s) => s.end(out),
            StreamTranslator::BedrockInvokeMessages(s) => s.end(out),
            StreamTranslator::CohereToChat(s) => s.end(include_usage, out),
            StreamTranslator::Responses(s) => {
                s.end(out);
                None
            }
            StreamTranslator::ResponsesThroughChat(s) => s.end(out),
        }
    }

    /// Why a stream that ended cleanly still failed (a Responses stream without its last
    /// event); checked before [`StreamTranslator::end`].
    pub fn unfinished(&self) -> Option<StreamFailure> {
        match self {
            StreamTranslator::Responses(s) => s.unfinished(),
            _ => None,
        }
    }

    /// Writes a failure in the stream's own terms, where it has them (a Responses stream's
    /// `response.failed` event); `false` leaves it to the client dialect's error event.
    pub fn write_failure(
        &mut self,
        status: u16,
        message: &str,
        unseen: (&str, u64),
        out: &mut Vec<u8>,
    ) -> bool {
        match self {
            StreamTranslator::Responses(s) => {
                s.failure(status, message, unseen, out);
                true
            }
            StreamTranslator::ResponsesThroughChat(s) => {
                s.second.failure(status, message, unseen, out);
                true
            }
            _ => false,
        }
    }
}

/// Maps an upstream error answer to the client's `endpoint` as LiteLLM does: appends its
/// message to `message` and returns the class and the status the client gets.
pub fn map_error(
    row: &ProviderRow,
    endpoint: Endpoint,
    status: u16,
    body: &[u8],
    message: &mut String,
) -> UpstreamErrorMap {
    match row.family {
        // LiteLLM's OCR handler raises the status and the answer's text as a tuple.
        Family::OpenAi if endpoint == Endpoint::Ocr => {
            crate::error::write_upstream_tuple_message(row.name, status, body, message);
            map_upstream_status(status)
        }
        // Voyage AI's embeddings raise the answer's text as it came too.
        Family::OpenAi
            if endpoint == Endpoint::Rerank || bridge(row, endpoint) == Bridge::EmbedToVoyage =>
        {
            crate::error::write_upstream_rerank_message(row.name, status, body, message);
            map_upstream_status(status)
        }
        Family::OpenAi if endpoint.listed_as() == Endpoint::Responses => {
            crate::error::write_upstream_raw_message(row.name, status, body, message);
            map_upstream_status(status)
        }
        Family::OpenAi if row.errors == crate::provider::Errors::Azure => {
            crate::error::write_azure_upstream_message(status, body, message)
        }
        Family::OpenAi => crate::error::map_openai_error(row.name, status, body, message),
        // LiteLLM's AnthropicError carries the answer's text as it came.
        Family::Anthropic => crate::anthropic::error::map_error(status, body, message),
        // Vertex AI classes Claude's errors as it classes Gemini's.
        Family::Gemini | Family::VertexClaude => {
            crate::gemini::error::map_error(row.name, status, body, message)
        }
        Family::Bedrock | Family::BedrockClaude | Family::BedrockEmbed | Family::BedrockRerank => {
            crate::bedrock::error::map_error(status, body, message)
        }
        Family::Ollama | Family::OllamaChat => {
            crate::ollama::error::map_error(ollama_api(row.family), status, body, message)
        }
        Family::Cohere | Family::CohereChat => {
            crate::cohere::error::map_error(row.name, status, body, message)
        }
    }
}
