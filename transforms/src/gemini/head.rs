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
    push_percent_encoded, write_auth, Credentials, Endpoint, ProviderRow, UpstreamTarget,
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
    let mut path = String::with_capacity(target.base_path.len() + target.provider_model.len() + 48);
    let on_default_base = target.host == DEFAULT_HOST && target.base_path == "/v1beta";
    if on_default_base
        && target.endpoint == Endpoint::ChatCompletions
        && is_gemini_3_or_newer(target.provider_model)
    {
        path.push_str("/v1alpha");
    } else {
        path.push_str(target.base_path);
    }
    path.push_str("/models/");
    push_percent_encoded(target.provider_model, &mut path);
    path.push_str(match (target.endpoint, target.stream) {
        (Endpoint::Embeddings, _) => ":batchEmbedContents",
        (_, true) => ":streamGenerateContent?alt=sse",
        (_, false) => ":generateContent",
    });
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(target.host.as_bytes());
    out.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
    out.extend_from_slice(itoa::Buffer::new().format(target.body_len).as_bytes());
    out.extend_from_slice(b"\r\naccept: application/json");
    write_auth(row, creds, target.now, out);
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
        let row = find("gemini").unwrap();
        let target = UpstreamTarget {
            endpoint,
            provider_model: model,
            api_version: None,
            base_path,
            host,
            stream,
            body_len: 12,
            now: std::time::SystemTime::UNIX_EPOCH,
            anthropic_beta: None,
        };
        let creds = Credentials {
            api_key: Some("AIza-key".into()),
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
}
