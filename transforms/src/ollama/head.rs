//! The upstream request head of the Ollama family, as LiteLLM builds it:
//!
//! - `POST {base}/api/chat` (`ollama_chat/`), `{base}/api/generate` (`ollama/`, chat and text
//!   completions) or `{base}/api/embed` (embeddings); a base that already ends with the path is
//!   used as given (`get_complete_url`, `_ollama_embed_url`);
//! - the key, when one is configured, as `Authorization: Bearer` (`_complete_ollama`,
//!   `_complete_ollama_chat`); embeddings go without it, as LiteLLM's `ollama_embeddings`
//!   posts them with no headers.

use crate::provider::{
    write_auth, write_head_fields, Credentials, Endpoint, ProviderRow, UpstreamTarget,
};

/// The API path of `endpoint` on a row of `api`.
pub fn api_path(api: super::Api, endpoint: Endpoint) -> &'static str {
    match (api, endpoint) {
        (_, Endpoint::Embeddings) => "/api/embed",
        (super::Api::Chat, _) => "/api/chat",
        (super::Api::Generate, _) => "/api/generate",
    }
}

/// Writes the request line and headers, auth included, without the blank line that ends the
/// head.
pub fn write_request_head(
    row: &ProviderRow,
    api: super::Api,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) {
    let path = api_path(api, target.endpoint);
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(target.base_path.as_bytes());
    if !target.base_path.ends_with(path) {
        out.extend_from_slice(path.as_bytes());
    }
    write_head_fields(target, out);
    if target.endpoint != Endpoint::Embeddings {
        write_auth(row, creds, target.now, out);
    }
}
