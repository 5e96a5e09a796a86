//! The Anthropic provider family as pure transforms, dispatched from [`crate::family`]:
//!
//! - [`request`]: an OpenAI chat-completions body → the body of `POST {api_base}/v1/messages`,
//!   as LiteLLM's `AnthropicConfig.map_openai_params` + `transform_request` and
//!   `anthropic_messages_pt` build it;
//! - [`response`]: an Anthropic Messages response → the `chat.completion` body LiteLLM returns
//!   (`AnthropicConfig.transform_parsed_response`, `calculate_usage`);
//! - [`stream`]: a Messages event stream → the `chat.completion.chunk` events LiteLLM's proxy
//!   sends for it;
//! - [`messages`]: Anthropic's own `/v1/messages` passed through (model and usage).
//!
//! Both read a body simd-json has validated with the byte scanner of [`crate::json`]: value
//! ranges, keys unescaped only to compare them, raw sub-values copied verbatim.

pub mod caps;
pub mod error;
pub mod head;
pub mod messages;
pub mod request;
pub(crate) mod reshape;
pub mod response;
pub mod stream;
pub mod vertex;

pub use messages::{count_tokens_answer, count_tokens_request, message_usage, MessagesStream};
pub use request::{transform_request, TransformError};
pub use response::transform_response;
pub use stream::ChatStream;

pub(crate) use crate::json::value::{elements, get, is_null, is_object, key_is, key_of, string};
