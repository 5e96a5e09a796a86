//! The upstream request head of the Gemini family, as LiteLLM builds it
//! (`litellm/llms/vertex_ai/common_utils.py` `get_gemini_url`, `vertex_llm_base.py`
//! `_check_custom_proxy`):
//!
//! - chat: `POST {base}/models/{model}:generateContent`, streams
//!   `:streamGenerateContent?alt=sse`; embeddings: `:batchEmbedContents`;
//! - the key in `x-goog-api-key` (never in the query, where it would leak into logs);
//! - the default base is `https://generativelanguage.googleapis.com/v1beta`, and Gemini 3 and
//!   newer chat models go to `/v1alpha` there (a configured `api_base` is used as given).

use crate::provider::{
    write_auth, write_head_fields, write_request_path, Credentials, Endpoint, ProviderRow,
    UpstreamTarget,
};

/// The row's default base (AI Studio's v1beta API).
pub const DEFAULT_BASE: &str = "https://generativelanguage.googleapis.com/v1beta";
const DEFAULT_HOST: &str = "generativelanguage.googleapis.com";

/// Writes the request line and headers, auth included, without the blank line that ends the
/// head.
pub fn write_request_head(
    row: &ProviderRow,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) {
    let mut path = String::with_capacity(target.base_path.len() + target.provider_model.len() + 64);
    let on_default_base = target.host == DEFAULT_HOST && target.base_path == "/v1beta";
    if on_default_base
        && target.endpoint == Endpoint::ChatCompletions
        && is_gemini_3_or_newer(target.provider_model)
    {
        path.push_str("/v1alpha");
    } else {
        path.push_str(target.base_path);
    }
    write_request_path(
        row,
        target.endpoint,
        target.provider_model,
        None,
        target.stream,
        &mut path,
    );
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(path.as_bytes());
    write_head_fields(target, out);
    out.extend_from_slice(b"\r\naccept: application/json");
    write_auth(row, creds, target.now, out);
}

/// Whether a `vertex_ai/` model goes to Gemini's API, as LiteLLM's
/// `get_vertex_ai_model_route` decides it: a model naming `gemini` that is not an agent
/// engine, a BGE or Gemma model, or a Model Garden OpenAI-compatible model; or a tuned
/// model's numeric endpoint id with a configured `api_base`. (Partner models, Anthropic's or
/// Meta's on Vertex, go elsewhere; none of their names contain `gemini`.)
pub fn is_vertex_gemini_model(model: &str, has_api_base: bool) -> bool {
    if model.contains("agent_engine/") {
        return false;
    }
    if has_api_base && !model.is_empty() && model.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let other = model.to_ascii_lowercase().contains("bge")
        || model.contains("gemma/")
        || model.contains("openai")
        || model.starts_with("xai/");
    !other && model.contains("gemini")
}

/// LiteLLM's `_is_gemini_3_or_newer`: any model name that is not Gemini 1.x/2.x, `exp`,
/// `pro`/`flash` (their `-latest` aliases excepted), a Gemma model or a tuned model's number.
pub fn is_gemini_3_or_newer(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    if name.is_empty() || name.bytes().all(|b| b.is_ascii_digit()) || name.starts_with("gemma-") {
        return false;
    }
    let Some(rest) = name.strip_prefix("gemini-") else {
        return true;
    };
    // `^gemini-(?:[12](?:\.\d+)?|exp|(?:pro|flash)(?!-(?:lite-)?latest$))(?:-|$)`
    let ends_here = |r: &str| r.is_empty() || r.starts_with('-');
    let old_version = rest
        .strip_prefix(['1', '2'])
        .map(|r| match r.strip_prefix('.') {
            Some(d) => {
                let digits = d.bytes().take_while(u8::is_ascii_digit).count();
                // `\.\d+` must take at least one digit, else only `[12]` matched.
                if digits == 0 {
                    ends_here(r)
                } else {
                    ends_here(&d[digits..])
                }
            }
            None => ends_here(r),
        })
        .unwrap_or(false);
    let exp = rest.strip_prefix("exp").is_some_and(ends_here);
    let pro_flash = ["pro", "flash"].iter().any(|p| {
        rest.strip_prefix(p)
            .is_some_and(|r| ends_here(r) && r != "-latest" && r != "-lite-latest")
    });
    !(old_version || exp || pro_flash)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::provider::find;

    fn head(base_path: &str, host: &str, model: &str, endpoint: Endpoint, stream: bool) -> String {
        head_of("gemini", base_path, host, model, endpoint, stream)
    }

    fn head_of(
        provider: &str,
        base_path: &str,
        host: &str,
        model: &str,
        endpoint: Endpoint,
        stream: bool,
    ) -> String {
        let row = find(provider).unwrap();
        let target = UpstreamTarget {
            endpoint,
            provider_model: model,
            api_version: None,
            base_path,
            host,
            stream,
            body_len: 12,
            body: b"",
            now: std::time::SystemTime::UNIX_EPOCH,
            anthropic_beta: None,
            response_id: None,
        };
        let creds = Credentials {
            api_key: Some("AIza-key".into()),
            token: None,
            aws: None,
        };
        let mut out = Vec::new();
        write_request_head(row, &target, &creds, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn paths_and_key_header() {
        let chat = Endpoint::ChatCompletions;
        assert_eq!(
            head("/v1beta", DEFAULT_HOST, "gemini-2.5-flash", chat, false),
            "POST /v1beta/models/gemini-2.5-flash:generateContent HTTP/1.1\r\nhost: generativelanguage.googleapis.com\r\ncontent-type: application/json\r\ncontent-length: 12\r\naccept: application/json\r\nx-goog-api-key: AIza-key"
        );
        assert!(head("/p", "h", "gemini-2.5-flash", chat, true)
            .starts_with("POST /p/models/gemini-2.5-flash:streamGenerateContent?alt=sse HTTP/1.1"));
        assert!(
            head("", "h", "text-embedding-004", Endpoint::Embeddings, false)
                .starts_with("POST /models/text-embedding-004:batchEmbedContents HTTP/1.1")
        );
        // Gemini 3 goes to v1alpha on the default base only.
        assert!(
            head("/v1beta", DEFAULT_HOST, "gemini-3-pro-preview", chat, false)
                .starts_with("POST /v1alpha/models/gemini-3-pro-preview:generateContent")
        );
        assert!(
            head("/v1beta", "proxy", "gemini-3-pro-preview", chat, false)
                .starts_with("POST /v1beta/models/gemini-3-pro-preview:generateContent")
        );
        // A hostile model name cannot change the path or query.
        assert!(head("", "h", "x?y/../z", chat, false).starts_with("POST /models/x%3Fy%2F..%2Fz:"));
    }

    #[test]
    fn gemini_3_detection_follows_litellm() {
        for old in [
            "gemini-2.5-flash",
            "gemini-1.5-pro-002",
            "gemini-2.0-flash-lite",
            "gemini-2",
            "gemini-exp-1206",
            "gemini-pro",
            "gemini-flash-lite",
            "gemma-3-27b-it",
            "1234567",
            "",
        ] {
            assert!(!is_gemini_3_or_newer(old), "{old}");
        }
        for new in [
            "gemini-3-pro-preview",
            "gemini-3.1-flash",
            "gemini-pro-latest",
            "gemini-flash-lite-latest",
            "gemini-2x",
            "learnlm-2.0-flash",
        ] {
            assert!(is_gemini_3_or_newer(new), "{new}");
        }
    }

    #[test]
    fn vertex_paths_and_bearer_token() {
        use crate::provider::{RefreshedToken, TokenState};
        let row = find("vertex_ai").unwrap();
        let base = "/v1/projects/p-1/locations/us-east5";
        let target = |model, stream| UpstreamTarget {
            endpoint: Endpoint::ChatCompletions,
            provider_model: model,
            api_version: None,
            base_path: base,
            host: "us-east5-aiplatform.googleapis.com",
            stream,
            body_len: 2,
            body: b"",
            now: std::time::SystemTime::UNIX_EPOCH,
            anthropic_beta: None,
            response_id: None,
        };
        let token = std::sync::Arc::new(RefreshedToken::new(TokenState::Pending));
        let creds = Credentials {
            api_key: None,
            token: Some(token.clone()),
            aws: None,
        };
        let write = |model, stream| {
            let mut out = Vec::new();
            write_request_head(row, &target(model, stream), &creds, &mut out);
            String::from_utf8(out).unwrap()
        };
        // No token yet: nothing is sent as one (the gateway refuses before writing a head).
        assert!(!write("gemini-2.5-flash", false).contains("Authorization"));
        token.store(TokenState::Ready {
            token: "ya29.t\r\nx: y".into(),
            expires: std::time::Instant::now() + std::time::Duration::from_secs(60),
        });
        let h = write("gemini-2.5-flash", false);
        assert!(
            h.starts_with("POST /v1/projects/p-1/locations/us-east5/publishers/google/models/gemini-2.5-flash:generateContent HTTP/1.1\r\nhost: us-east5-aiplatform.googleapis.com\r\n"),
            "{h}"
        );
        assert!(h.ends_with("\r\nAuthorization: Bearer ya29.tx: y"), "{h}");
        // Gemini 3 stays on the configured version on Vertex.
        assert!(write("gemini-3-pro-preview", true).starts_with(
            "POST /v1/projects/p-1/locations/us-east5/publishers/google/models/gemini-3-pro-preview:streamGenerateContent?alt=sse HTTP/1.1"
        ));
        // A tuned model's numeric id is an endpoint of the project.
        assert!(write("4965075652664360960", false).starts_with(
            "POST /v1/projects/p-1/locations/us-east5/endpoints/4965075652664360960:generateContent"
        ));
        assert!(!head_of(
            "vertex_ai",
            base,
            "h",
            "gemini-2.5-flash",
            Endpoint::ChatCompletions,
            false
        )
        .contains("Authorization"));
    }

    #[test]
    fn vertex_serves_gemini_models_only() {
        for model in [
            "gemini-2.5-flash",
            "gemini-3-pro-preview",
            "publishers/google/gemini-x",
        ] {
            assert!(is_vertex_gemini_model(model, false), "{model}");
        }
        assert!(is_vertex_gemini_model("1234", true));
        for model in [
            "claude-sonnet-4-5@20250929",
            "meta/llama-4-maverick",
            "gemma/gemma-3-12b-it",
            "openai/gpt-oss-120b-maas",
            "xai/grok-4",
            "bge-large",
            "text-embedding-005",
            "chat-bison",
            "agent_engine/gemini-agent",
            "1234",
        ] {
            assert!(!is_vertex_gemini_model(model, false), "{model}");
        }
    }
}
