//! The Gemini provider family (Google AI Studio's `generativelanguage` API) as pure
//! transforms, dispatched from [`crate::family`]:
//!
//! - [`head`]: the upstream request line and headers (`x-goog-api-key`);
//! - [`request`]: an OpenAI chat-completions body → a `generateContent` body, as LiteLLM's
//!   `GoogleAIStudioGeminiConfig` maps it;
//! - [`response`]: a `GenerateContentResponse` → LiteLLM's `chat.completion`;
//! - [`stream`]: `streamGenerateContent?alt=sse` events → `chat.completion.chunk` events;
//! - [`embed`]: OpenAI embeddings ↔ `batchEmbedContents`;
//! - [`predict`]: OpenAI embeddings ↔ Vertex AI's text-embedding `:predict`;
//! - [`count`]: `/v1/messages/count_tokens` → `countTokens`;
//! - [`error`]: Gemini's error answers → LiteLLM's classes.
//!
//! Every part reads a body simd-json has validated with the byte scanner of [`crate::json`].

pub mod count;
pub mod embed;
pub mod error;
pub mod head;
pub mod predict;
pub mod request;
pub mod response;
pub mod stream;

pub use embed::{embed_request, embed_response};
pub use request::transform_request;
pub use response::transform_response;
pub use stream::ChatStream;
