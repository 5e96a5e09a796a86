//! One SSE chunk payload of an OpenAI-compatible stream: replace the top-level model, and
//! report usage, the usage-only final chunk and mid-stream errors.

use std::sync::LazyLock;

use bumpalo::Bump;
use memchr::memmem::Finder;

use crate::json::{escape_with, skip_ws, top_members};
use crate::usage::{parse_usage, Usage};

/// Searchers built once: building one per call costs as much as the search on a chunk.
static USAGE_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"usage\""));
static ERROR_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"error\""));

/// The rewritten chunk and what the gateway learned from it.
#[derive(Debug)]
pub struct ChunkOutcome<'a> {
    /// The rewritten payload (model replaced), allocated in the arena.
    pub data: &'a [u8],
    /// Top-level usage when present and not null.
    pub usage: Option<Usage>,
    /// `choices` is an empty array and usage is present (OpenAI's final usage chunk, which the
    /// client gets only if it asked for `include_usage`).
    pub usage_only: bool,
    /// A top-level `error` key is present (a mid-stream error event).
    pub is_error: bool,
}

/// Rewrites one chunk payload (the data of one event, without `data: `). A payload that is not
/// a JSON object (e.g. `[DONE]`) is copied unchanged.
pub fn rewrite_chunk<'a>(data: &[u8], model: &str, arena: &'a Bump) -> ChunkOutcome<'a> {
    let mut usage = None;
    let mut choices_empty = false;
    let mut is_error = false;
    let mut model_span = None;
    // Most chunks carry neither usage nor an error: then only the top-level model matters,
    // and the walk stops there (it comes early in every provider's chunk) instead of scanning
    // the whole payload. `"usage"`/`"error"` with their quotes cannot occur inside a JSON
    // string unescaped, so their absence is certain; a nested one only costs the full walk.
    let full = USAGE_KEY.find(data).is_some() || ERROR_KEY.find(data).is_some();
    if let Some(mut members) = top_members(data) {
        for m in members.by_ref() {
            if !full {
                if &data[m.key.clone()] == b"model" {
                    if data.get(m.value.start) == Some(&b'"') {
                        model_span = Some(m.value);
                    }
                    break;
                }
                continue;
            }
            let value = &data[m.value.clone()];
            match &data[m.key.clone()] {
                b"model" if value.first() == Some(&b'"') => model_span = Some(m.value),
                b"usage" => usage = parse_usage(value),
                b"choices" => {
                    choices_empty =
                        value.first() == Some(&b'[') && skip_ws(value, 1) + 1 == value.len()
                }
                b"error" => is_error = true,
                _ => {}
            }
        }
        if full && members.malformed() {
            model_span = None;
        }
    }
    let out = match model_span {
        Some(span) => {
            // Sized up front so the arena slice is written once, without a growable buffer.
            let mut quoted_len = 0;
            escape_with(model, |part| quoted_len += part.len());
            let len = data.len() - span.len() + quoted_len;
            let buf = arena.alloc_slice_fill_copy(len, 0u8);
            buf[..span.start].copy_from_slice(&data[..span.start]);
            let mut at = span.start;
            escape_with(model, |part| {
                buf[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            });
            buf[at..].copy_from_slice(&data[span.end..]);
            &*buf
        }
        None => arena.alloc_slice_copy(data),
    };
    ChunkOutcome {
        data: out,
        usage,
        usage_only: choices_empty && usage.is_some(),
        is_error,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn content_chunk() {
        let bump = Bump::new();
        let o = rewrite_chunk(
            br#"{"id":"c","object":"chat.completion.chunk","model":"llama-3.1-8b-instant","choices":[{"index":0,"delta":{"content":"hi"}}]}"#,
            "fast",
            &bump,
        );
        assert_eq!(
            o.data,
            br#"{"id":"c","object":"chat.completion.chunk","model":"fast","choices":[{"index":0,"delta":{"content":"hi"}}]}"#
        );
        assert!(o.usage.is_none() && !o.usage_only && !o.is_error);
    }

    #[test]
    fn usage_chunk_and_error() {
        let bump = Bump::new();
        let o = rewrite_chunk(
            br#"{"model":"m","choices":[ ],"usage":{"prompt_tokens":5,"completion_tokens":7}}"#,
            "g",
            &bump,
        );
        assert_eq!(o.usage.unwrap().total_tokens, 12);
        assert!(o.usage_only);
        let o = rewrite_chunk(br#"{"model":"m","choices":[],"usage":null}"#, "g", &bump);
        assert!(!o.usage_only && o.usage.is_none());
        let o = rewrite_chunk(br#"{"error":{"message":"boom"}}"#, "g", &bump);
        assert!(o.is_error);
        assert_eq!(rewrite_chunk(b"[DONE]", "g", &bump).data, b"[DONE]");
    }
}
