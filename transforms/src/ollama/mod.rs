//! The Ollama family (Ollama's native API) as pure transforms, as LiteLLM 1.108.7 speaks it,
//! dispatched from [`crate::family`]:
//!
//! - `ollama_chat/<model>` → `POST {base}/api/chat` (`OllamaChatConfig`);
//! - `ollama/<model>` → `POST {base}/api/generate`, the chat flattened into one prompt
//!   (`OllamaConfig`, `ollama_pt`), `/v1/completions` too;
//! - embeddings (`ollama/`) → `POST {base}/api/embed`;
//!
//! in parts: [`head`] (path and bearer key), [`request`], [`response`], [`stream`] (one JSON
//! object a line, framed by [`ndjson`]) and [`error`].

pub mod error;
pub mod head;
pub mod ndjson;
pub mod request;
pub mod response;
pub mod stream;

pub use request::{chat_request, embed_request, generate_request, text_request};
pub use response::{chat_response, embed_response, generate_response, text_response};
pub use stream::ChatStream;

/// Which of Ollama's two generation APIs a row speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `/api/chat` (`ollama_chat/`): messages in, a message out.
    Chat,
    /// `/api/generate` (`ollama/`): a prompt in, a `response` string out.
    Generate,
}

impl Api {
    /// The provider name LiteLLM gives the route, as its error classes spell it.
    pub fn provider(self) -> &'static str {
        match self {
            Api::Chat => "ollama_chat",
            Api::Generate => "ollama",
        }
    }
}
