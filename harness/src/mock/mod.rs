//! The mock LLM provider: a monoio thread-per-core HTTP/1.1 server speaking provider wire formats.

pub mod anthropic;
pub mod api_request;
pub mod bedrock;
pub mod chunked;
pub mod cohere;
pub mod conn;
pub mod embeddings;
pub mod errors;
pub mod fault;
pub mod gemini;
pub mod head;
mod ollama;
pub mod openai;
pub mod options;
pub mod record;
pub mod responses;
pub mod route;
pub mod script;
pub mod server;
