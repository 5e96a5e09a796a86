//! Voyage AI's embeddings (docs.voyageai.com/reference/embeddings-api), as LiteLLM 1.108.7's
//! `VoyageEmbeddingConfig` (llms/voyage/embedding/transformation.py) and its proxy send and
//! answer them:
//!
//! - the request: `input` as the client sent it, `model`, `encoding_format`, `dimensions` as
//!   `output_dimension`, then the client's other members as they came (`input_type`,
//!   `truncation`, `output_dtype`, ...), LiteLLM's own keys and `null`s left out; `user`
//!   (Voyage has no such field) is LiteLLM's `UnsupportedParamsError`, dropped with
//!   `drop_params`;
//! - the answer: Voyage's own (`object`, `data`, `model`) with the client's model, and its
//!   `usage` (`total_tokens` only) as LiteLLM's embedding usage: prompt and total tokens both
//!   Voyage's total. A large answer is rewritten as it arrives
//!   ([`crate::rewrite::ModelRewriter::with_usage_rewrite`]).

use crate::anthropic::TransformError;
use crate::json::value::{fields, get};
use crate::json::write_json_string;
use crate::usage::Usage;

/// Writes Voyage's embeddings body for the client's `body` and `provider_model`.
pub fn embed_request(
    body: &[u8],
    provider_model: &str,
    out: &mut Vec<u8>,
) -> Result<(), TransformError> {
    let body = &body[crate::json::skip_ws(body, 0)..];
    // One walk of the members (an input can be megabytes); `null` is as if absent.
    let [user, input, format, dimensions] =
        fields(body, ["user", "input", "encoding_format", "dimensions"])
            .map(|v| v.filter(|v| *v != b"null"));
    if let Some(user) = user {
        return Err(crate::cohere::embed::unsupported_embedding_user(
            "voyage",
            user,
            provider_model,
        ));
    }
    let input = input.ok_or_else(|| TransformError::Invalid("input: required".into()))?;
    out.extend_from_slice(b"{\"input\":");
    out.extend_from_slice(input);
    out.extend_from_slice(b",\"model\":");
    write_json_string(provider_model, out);
    if let Some(format) = format {
        out.extend_from_slice(b",\"encoding_format\":");
        out.extend_from_slice(format);
    }
    if let Some(dimensions) = dimensions {
        out.extend_from_slice(b",\"output_dimension\":");
        out.extend_from_slice(dimensions);
    }
    const OWN: &[&str] = &["input", "model", "encoding_format", "dimensions", "user"];
    for (_, key, v) in crate::params::passed_members(body, OWN) {
        out.push(b',');
        out.extend_from_slice(key);
        out.push(b':');
        out.extend_from_slice(v);
    }
    out.push(b'}');
    Ok(())
}

/// Voyage's `usage` (`{"total_tokens": N}`) as LiteLLM's embedding usage; the usage it
/// reports. A [`crate::rewrite::UsageRewrite`].
pub fn usage(voyage: &[u8], out: &mut Vec<u8>) -> Option<Usage> {
    let total = get(voyage, "total_tokens")
        .and_then(|t| std::str::from_utf8(t).ok())
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(0);
    let usage = Usage::counts(total, 0, total);
    crate::usage::write_counts(&usage, out);
    out.extend_from_slice(b",\"completion_tokens_details\":null,\"prompt_tokens_details\":null}");
    Some(usage)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::rewrite::ModelRewriter;

    #[test]
    fn requests_carry_voyages_names() {
        let mut out = Vec::new();
        embed_request(
            br#"{"model":"v","input":["a","b"],"dimensions":256,"encoding_format":"float","input_type":"query","metadata":{"x":1},"truncation":true,"output_dtype":null}"#,
            "voyage-3",
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"input":["a","b"],"model":"voyage-3","encoding_format":"float","output_dimension":256,"input_type":"query","truncation":true}"#
        );
        let mut out = Vec::new();
        let e = embed_request(
            br#"{"model":"v","input":"a","user":"u"}"#,
            "voyage-3",
            &mut out,
        )
        .unwrap_err();
        assert!(
            e.message().starts_with(
                "voyage does not support parameters: {'user': 'u'}, for model=voyage-3."
            ),
            "{e:?}"
        );
    }

    #[test]
    fn answers_get_litellms_usage_in_any_pieces() {
        let answer = br#"{"object":"list","data":[{"object":"embedding","embedding":[0.1,0.2],"index":0}],"model":"voyage-3","usage":{"total_tokens":10}}"#;
        let want = r#"{"object":"list","data":[{"object":"embedding","embedding":[0.1,0.2],"index":0}],"model":"emb","usage":{"completion_tokens":0,"prompt_tokens":10,"total_tokens":10,"completion_tokens_details":null,"prompt_tokens_details":null}}"#;
        for size in [1, 2, 7, 30, answer.len()] {
            let mut r = ModelRewriter::with_usage_rewrite("emb", usage);
            let mut out = Vec::new();
            for piece in answer.chunks(size) {
                r.feed(piece, &mut out);
            }
            r.finish(&mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want, "pieces of {size}");
            assert_eq!(r.usage().map(|u| u.prompt_tokens), Some(10));
        }
        // A usage too long to be one passes as it came.
        let long = format!(
            r#"{{"model":"m","usage":{{"total_tokens":1,"x":"{}"}}}}"#,
            "y".repeat(crate::rewrite::MAX_USAGE_BYTES)
        );
        for size in [100, 5000, long.len()] {
            let mut r = ModelRewriter::with_usage_rewrite("emb", usage);
            let mut out = Vec::new();
            for piece in long.as_bytes().chunks(size) {
                r.feed(piece, &mut out);
            }
            r.finish(&mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                long.replace(r#""model":"m""#, r#""model":"emb""#),
                "pieces of {size}"
            );
        }
        // An answer cut inside its usage keeps what came.
        let mut r = ModelRewriter::with_usage_rewrite("emb", usage);
        let mut out = Vec::new();
        r.feed(br#"{"model":"m","usage":{"total_tok"#, &mut out);
        r.finish(&mut out);
        assert_eq!(out, br#"{"model":"emb","usage":{"total_tok"#);
    }
}
