//! The upstream request head of the Cohere family, as LiteLLM builds it
//! (`litellm/llms/cohere/common_utils.py` `validate_environment`,
//! `chat/v2_transformation.py` `get_complete_url`, `embed/transformation.py`,
//! `rerank_v2/transformation.py`):
//!
//! - chat and embeddings post to the api_base exactly as configured (LiteLLM's default bases
//!   carry the path, `https://api.cohere.com/v2/chat` and `https://api.cohere.ai/v2/embed`);
//!   the row's default base, Cohere's bare host, gets `/v2/chat` or `/v2/embed`;
//! - rerank appends `/v2/rerank` to the base unless it already ends with it;
//! - `Authorization: Bearer <key>` only when there is a key; `Request-Source:
//!   unspecified:litellm` on chat, `accept: application/json` on chat and rerank.

use crate::provider::{
    write_auth, write_head_fields, Credentials, Endpoint, ProviderRow, UpstreamTarget,
};

/// The row's default base: Cohere's host, the path added per endpoint.
pub const DEFAULT_BASE: &str = "https://api.cohere.com";
const DEFAULT_HOST: &str = "api.cohere.com";

/// Writes the request line and headers, auth included, without the blank line that ends the
/// head.
pub fn write_request_head(
    row: &ProviderRow,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) {
    let base = target.base_path.trim_end_matches('/');
    out.extend_from_slice(b"POST ");
    let on_default = target.host == DEFAULT_HOST && base.is_empty();
    match target.endpoint {
        Endpoint::Rerank => {
            out.extend_from_slice(base.as_bytes());
            if !base.ends_with("/v2/rerank") {
                out.extend_from_slice(b"/v2/rerank");
            }
        }
        endpoint if on_default => {
            let mut path = String::new();
            write_path(endpoint, &mut path);
            out.extend_from_slice(path.as_bytes());
        }
        _ if base.is_empty() => out.push(b'/'),
        _ => out.extend_from_slice(base.as_bytes()),
    }
    write_head_fields(target, out);
    if target.endpoint == Endpoint::ChatCompletions {
        out.extend_from_slice(b"\r\nRequest-Source: unspecified:litellm");
    }
    if target.endpoint != Endpoint::Embeddings {
        out.extend_from_slice(b"\r\naccept: application/json");
    }
    write_auth(row, creds, target.now, out);
}

/// The path of `endpoint` under Cohere's own host.
pub fn write_path(endpoint: Endpoint, out: &mut String) {
    out.push_str(match endpoint {
        Endpoint::Embeddings => "/v2/embed",
        Endpoint::Rerank => "/v2/rerank",
        _ => "/v2/chat",
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::provider::find;

    fn head(host: &str, base_path: &str, endpoint: Endpoint, key: Option<&str>) -> String {
        let row = find("cohere").unwrap();
        let target = UpstreamTarget {
            endpoint,
            provider_model: "command-r-plus",
            api_version: None,
            base_path,
            host,
            stream: false,
            body_len: 2,
            body: b"{}",
            now: std::time::SystemTime::UNIX_EPOCH,
            anthropic_beta: None,
            response_id: None,
        };
        let creds = Credentials {
            api_key: key.map(str::to_owned),
            ..Credentials::default()
        };
        let mut out = Vec::new();
        write_request_head(row, &target, &creds, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn paths_as_litellm_builds_them() {
        let line = |h: String| h.lines().next().unwrap().to_owned();
        let chat = Endpoint::ChatCompletions;
        assert_eq!(
            line(head("api.cohere.com", "", chat, None)),
            "POST /v2/chat HTTP/1.1"
        );
        assert_eq!(
            line(head("api.cohere.com", "", Endpoint::Embeddings, None)),
            "POST /v2/embed HTTP/1.1"
        );
        // A configured base is used as given (LiteLLM's get_complete_url).
        assert_eq!(line(head("h:1", "", chat, None)), "POST / HTTP/1.1");
        assert_eq!(
            line(head("h:1", "/v2/chat", chat, None)),
            "POST /v2/chat HTTP/1.1"
        );
        assert_eq!(
            line(head("h:1", "/x", Endpoint::Rerank, None)),
            "POST /x/v2/rerank HTTP/1.1"
        );
        assert_eq!(
            line(head("h:1", "/v2/rerank", Endpoint::Rerank, None)),
            "POST /v2/rerank HTTP/1.1"
        );
    }

    #[test]
    fn key_sent_only_when_there_is_one() {
        let chat = Endpoint::ChatCompletions;
        assert!(!head("h", "", chat, None).contains("Authorization"));
        let h = head("h", "", chat, Some("co-key"));
        assert!(h.contains("\r\nAuthorization: Bearer co-key"), "{h}");
        assert!(h.contains("\r\nRequest-Source: unspecified:litellm"), "{h}");
    }
}
