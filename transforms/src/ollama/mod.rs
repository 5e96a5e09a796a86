//! The Ollama family (Ollama's native API) as pure transforms, as LiteLLM 1.108.7 speaks it,
//! dispatched from [`crate::family`]:
//!
//! - `ollama_chat/<model>` → `POST {base}/api/chat` (`OllamaChatConfig`);
//! - `ollama/<model>` → `POST {base}/api/generate`, the chat flattened into one prompt
//!   (`OllamaConfig`, `ollama_pt`), `/v1/completions` too;
//! - embeddings (`ollama/`) → `POST {base}/api/embed` (a large answer translated as it
//!   arrives by [`embed_stream`]);
//!
//! in parts: [`head`] (path and bearer key), [`request`] and [`generate`] (its prompt),
//! [`response`], [`stream`] (one JSON object a line, framed by [`ndjson`]) and [`error`].

pub mod embed_stream;
pub mod error;
pub mod generate;
pub mod head;
pub mod ndjson;
pub mod request;
pub mod response;
pub mod stream;

pub use embed_stream::EmbedRewriter;
pub use generate::{generate_request, text_request};
pub use request::{chat_request, embed_request};
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

/// A provider answer (a whole body, or one line of a stream) as a JSON object, checked by
/// [`crate::json::validate::is_json`] before any of its values is copied to the client as it came (found by the
/// `ollama_stream` fuzz target: a name with invalid UTF-8 passed a check that skips over
/// strings).
pub(crate) fn answer_object(body: &[u8]) -> Result<&[u8], &'static str> {
    if !crate::json::validate::is_json(body) {
        return Err("not JSON");
    }
    let body = &body[crate::json::skip_ws(body, 0)..];
    if body.first() == Some(&b'{') {
        Ok(body)
    } else {
        Err("not an object")
    }
}
