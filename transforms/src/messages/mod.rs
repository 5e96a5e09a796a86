//! Anthropic's Messages API (`/v1/messages`) in front of an OpenAI-format provider, both ways,
//! as LiteLLM's Anthropic adapter does it:
//!
//! - [`request`]: a Messages request → a chat completions request;
//! - [`response`]: a chat completion → an Anthropic message;
//! - [`stream`]: chat completion chunks → Messages stream events;
//! - [`count`]: `/v1/messages/count_tokens` estimated locally.
//!
//! Like the provider families, they read a validated body by byte range and copy raw
//! sub-values (schemas, stop lists, unknown parameters) as they came.

pub mod count;
pub mod request;
pub mod response;
pub mod stream;

pub use request::to_chat_request;
pub use response::to_message;
pub use stream::MessagesFromChat;
