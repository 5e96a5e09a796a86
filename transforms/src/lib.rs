//! corelane-transforms: pure provider transforms for the gateway — no sockets, clocks, env
//! reads or stored secrets; everything arrives as arguments.
//!
//! # Layout
//!
//! - [`provider`]: providers as rows of one static table, `provider/model` routing, request
//!   paths, auth.
//! - [`family`]: the dispatch sites of the provider-family seam (request head, response,
//!   stream event, error), each matched exhaustively on the family.
//! - [`openai`]: the OpenAI-compatible request path: `inspect` the client body (or feed it to a
//!   `BodyScanner` piece by piece when it is spilled to a file), `require` its endpoint's
//!   parameter, `splice` the upstream one (a `SplicePlan` applied in one piece or many).
//! - [`anthropic`]: the Anthropic provider family (chat completions to Messages and back,
//!   its streams, and its own `/v1/messages` passed through).
//! - [`messages`]: the `/v1/messages` client API in front of OpenAI-format providers.
//! - [`ollama`]: the Ollama family (its native `/api/chat`, `/api/generate` and `/api/embed`,
//!   NDJSON streams).
//! - [`keys`]: the request keys the gateway reads or rewrites, matched after unescaping.
//! - [`rewrite`]: streaming rewrite of a non-stream response body (top-level `model`, usage capture).
//! - [`stream`]: rewrite of one SSE chunk payload in an arena.
//! - [`usage`]: token usage read from a usage object.
//! - [`cost`](mod@cost): bundled LiteLLM prices and the cost header's number format.
//! - [`error`]: LiteLLM's error JSON and upstream status mapping, in one place.
//! - [`mock`]: `mock_response` bodies and stream chunks as LiteLLM produces them.
//! - [`tokens`]: lazily loaded tiktoken counts for when a provider reports no usage.
//! - [`json`]: byte-level JSON helpers (escaping, unescaping, range scanner) and a streaming
//!   validator that accepts what simd-json accepts.

#![forbid(unsafe_code)]

pub mod anthropic;
pub mod bedrock;
mod chat;
pub mod cohere;
pub mod cost;
pub mod error;
pub mod family;
pub mod gemini;
pub mod json;
pub mod keys;
pub mod messages;
pub mod mock;
pub mod ocr;
pub mod ollama;
pub mod openai;
pub mod params;
pub mod provider;
pub mod rerank;
pub mod responses;
pub mod rewrite;
pub mod service_tier;
pub mod stream;
pub mod text;
pub mod token_counter;
pub mod tokens;
pub mod usage;
pub mod voyage;

pub use cost::{bundled_prices, cost, write_cost, Prices};
pub use error::{map_upstream_status, write_error, write_upstream_message, UpstreamErrorMap};
pub use json::write_json_string;
pub use keys::Key;
pub use mock::MockMeta;
pub use openai::{
    inspect, require, splice, splice_plan, BodyScanner, ObjectSpan, Presence, RequestError,
    RequestFields, SplicePlan,
};
pub use provider::{
    find, resolve, write_request_path, Auth, Credentials, Endpoint, Family, PathStyle, ProviderRow,
    UnknownProvider, UpstreamTarget, PROVIDERS,
};
pub use rewrite::{rewrite_complete, ModelRewriter};
pub use stream::{rewrite_chunk, ChunkOutcome};
pub use tokens::count_tokens;
pub use usage::{parse_usage, Usage};
