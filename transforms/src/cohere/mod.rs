//! The Cohere provider family (Cohere's v2 API) as pure transforms, dispatched from
//! [`crate::family`]:
//!
//! - [`head`]: the upstream request line and headers (bearer key, `Request-Source`);
//! - [`request`]: an OpenAI chat-completions body → a `/v2/chat` body, as LiteLLM 1.108.7's
//!   `CohereV2ChatConfig` builds it (OpenAI messages and tools kept, parameters renamed);
//! - [`response`]: a `/v2/chat` answer → LiteLLM's `chat.completion`;
//! - [`stream`]: `/v2/chat` server-sent events → `chat.completion.chunk` events (Cohere's
//!   documented events; LiteLLM's own parser fails on them, see docs/deviations.md);
//! - [`embed`]: OpenAI embeddings ↔ `/v2/embed`; [`embed_stream`] for answers too large to
//!   hold;
//! - [`crate::rerank`]: the rerank route ↔ `/v2/rerank` (shared with the providers that
//!   take Cohere's rerank shape);
//! - [`error`]: Cohere's error answers → LiteLLM's classes (`_map_cohere_exception`).
//!
//! Every part reads a body simd-json (or serde_json) has validated with the byte scanner of
//! [`crate::json`].

pub mod embed;
pub mod embed_stream;
pub mod error;
pub mod head;
pub mod request;
pub mod response;
pub mod stream;

pub use embed::{embed_request, embed_response};
pub use request::transform_request;
pub use response::transform_response;
pub use stream::ChatStream;

/// The `cohere/` models LiteLLM files under its `cohere_chat` provider (`cohere_chat_models`,
/// the cost map's `cohere_chat` entries in 1.108.7): their errors and parameter refusals name
/// `cohere_chat`.
const COHERE_CHAT_MODELS: &[&str] = &[
    "command-a-03-2025",
    "command-r-08-2024",
    "command-r-plus-08-2024",
    "command-r7b-12-2024",
    "c4ai-aya-expanse-32b",
    "command-a-plus-05-2026",
];

/// A provider answer (or stream event) as a validated JSON object
/// ([`crate::json::value::strict_object`]): a whole answer and one streamed through
/// [`embed_stream`] are held to one rule (both found by the `cohere_embed_stream` fuzz target).
pub(crate) fn answer_object(body: &[u8]) -> Result<&[u8], &'static str> {
    crate::json::value::strict_object(body)
}

/// Whether LiteLLM names `cohere/<model>` `cohere_chat`.
pub fn is_cohere_chat_model(model: &str) -> bool {
    COHERE_CHAT_MODELS.contains(&model)
}
