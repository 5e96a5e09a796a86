//! One SSE chunk payload of an OpenAI-compatible stream: replace every top-level model, and
//! report usage, the usage-only final chunk and mid-stream errors.

use std::ops::Range;
use std::sync::LazyLock;

use bumpalo::Bump;
use memchr::memmem::Finder;

use crate::json::{escape_with, skip_ws, top_members};
use crate::rewrite::{is_model_key, may_hold_model_key};
use crate::usage::{parse_usage, Usage};

/// The event that ends an OpenAI-format stream.
pub const SSE_DONE: &[u8] = b"data: [DONE]\n\n";

/// The two openings of a translated stream's `chat.completion.chunk` events, up to the first
/// choice's open delta, as LiteLLM's proxy writes them: `fast` for a plain text chunk (its fast
/// path: `id`, `object`, `created`, `model`, `choices`) and `slow` for the others (pydantic's
/// order: `id`, `created`, `model`, `object`, `choices`).
#[derive(Debug, Clone, Default)]
pub struct ChunkPrefixes {
    pub fast: Vec<u8>,
    pub slow: Vec<u8>,
}

impl ChunkPrefixes {
    pub fn new(id: &str, created: u64, model: &str) -> Self {
        let mut num = itoa::Buffer::new();
        let created = num.format(created).as_bytes();
        let mut fast = Vec::with_capacity(128 + id.len() + model.len());
        fast.extend_from_slice(b"data: {\"id\":");
        crate::json::write_json_string(id, &mut fast);
        fast.extend_from_slice(b",\"object\":\"chat.completion.chunk\",\"created\":");
        fast.extend_from_slice(created);
        fast.extend_from_slice(b",\"model\":");
        crate::json::write_json_string(model, &mut fast);
        fast.extend_from_slice(b",\"choices\":[{\"index\":0,\"delta\":{");
        let mut slow = Vec::with_capacity(fast.len());
        slow.extend_from_slice(b"data: {\"id\":");
        crate::json::write_json_string(id, &mut slow);
        slow.extend_from_slice(b",\"created\":");
        slow.extend_from_slice(created);
        slow.extend_from_slice(b",\"model\":");
        crate::json::write_json_string(model, &mut slow);
        slow.extend_from_slice(
            b",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{",
        );
        ChunkPrefixes { fast, slow }
    }
}

/// Why a stream cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamFailure {
    /// The provider sent an error event; the message is LiteLLM's for it (raised as an
    /// InternalServerError).
    Provider { message: String },
    /// The provider sent an error event LiteLLM raises as its own class and status (Bedrock's
    /// exception messages).
    Mapped {
        message: String,
        map: crate::error::UpstreamErrorMap,
    },
    /// An event that cannot be read.
    Malformed,
}

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
/// a JSON object (e.g. `[DONE]`) is copied unchanged. Every top-level model member before the
/// end of the object (or the first malformed byte) gets `model`: a client keeps the last of
/// repeated keys, so one left alone would show it the provider's model id.
pub fn rewrite_chunk<'a>(data: &[u8], model: &str, arena: &'a Bump) -> ChunkOutcome<'a> {
    let mut usage = None;
    let mut choices_empty = false;
    let mut is_error = false;
    let mut first = None;
    let mut count = 0;
    // Most chunks carry neither usage nor an error: then only the model matters, and the walk
    // stops at the top-level model (it comes early in every provider's chunk) when no later
    // key can spell `model`, instead of scanning the whole payload. `"usage"`/`"error"` with
    // their quotes cannot occur inside a JSON string unescaped, so their absence is certain; a
    // nested one only costs the full walk.
    let full = USAGE_KEY.find(data).is_some() || ERROR_KEY.find(data).is_some();
    if let Some(members) = top_members(data) {
        for m in members {
            let key = &data[m.key.clone()];
            if is_model_key(key) {
                if data.get(m.value.start) == Some(&b'"') {
                    first.get_or_insert(m.value.clone());
                    count += 1;
                }
                if !full && !may_hold_model_key(&data[m.value.end..]) {
                    break;
                }
                continue;
            }
            if !full {
                continue;
            }
            let value = &data[m.value.clone()];
            match key {
                b"usage" => usage = parse_usage(value),
                b"choices" => {
                    choices_empty =
                        value.first() == Some(&b'[') && skip_ws(value, 1) + 1 == value.len()
                }
                b"error" => is_error = true,
                _ => {}
            }
        }
    }
    let out = match first {
        None => arena.alloc_slice_copy(data),
        Some(span) if count == 1 => splice(data, || [span.clone()].into_iter(), model, arena),
        // A repeated model (a buggy or hostile upstream): walk again rather than keep a list
        // outside the arena; the same test in the same order yields the same first `count`.
        Some(_) => splice(data, || model_spans(data).take(count), model, arena),
    };
    ChunkOutcome {
        data: out,
        usage,
        usage_only: choices_empty && usage.is_some(),
        is_error,
    }
}

/// The string values of the top-level model members, in order.
fn model_spans(data: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    top_members(data).into_iter().flatten().filter_map(|m| {
        (is_model_key(&data[m.key]) && data.get(m.value.start) == Some(&b'"')).then_some(m.value)
    })
}

/// `data` copied into the arena with every span `spans()` yields (in order, disjoint) replaced
/// by `model` as a JSON string; sized up front so the arena slice is written once, without a
/// growable buffer.
fn splice<'a, I: Iterator<Item = Range<usize>>>(
    data: &[u8],
    spans: impl Fn() -> I,
    model: &str,
    arena: &'a Bump,
) -> &'a [u8] {
    let mut quoted_len = 0;
    escape_with(model, |part| quoted_len += part.len());
    let len = spans().fold(data.len(), |len, span| len - span.len() + quoted_len);
    let buf = arena.alloc_slice_fill_copy(len, 0u8);
    let mut at = 0;
    let mut from = 0;
    for span in spans() {
        let kept = &data[from..span.start];
        buf[at..at + kept.len()].copy_from_slice(kept);
        at += kept.len();
        escape_with(model, |part| {
            buf[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        });
        from = span.end;
    }
    buf[at..].copy_from_slice(&data[from..]);
    &*buf
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

    /// Fuzz crash 977a1d79: the second model's value `"usage"` sent the first rewrite down the
    /// full walk (which kept only the last model) and the second down the fast one (which
    /// stopped at the first). Every model is rewritten on either walk now.
    #[test]
    fn every_model_is_rewritten_on_both_walks() {
        let bump = Bump::new();
        for data in [
            &br#"{"model":"a","choices":[],"model":"usage"}"#[..],
            br#"{"model":"a","choices":[],"model":"b"}"#,
            br#"{"model":"a","choices":[],"usage":null,"model":"b"}"#,
        ] {
            let once = rewrite_chunk(data, "g", &bump).data;
            let model_count = once.windows(9).filter(|w| w == br#""model":""#).count();
            assert_eq!(model_count, 2);
            assert_eq!(
                once.windows(11).filter(|w| w == br#""model":"g""#).count(),
                2
            );
            assert_eq!(rewrite_chunk(once, "g", &bump).data, once);
        }
    }

    /// A malformed tail (a truncated or garbled chunk) keeps the models read before it
    /// rewritten, whether or not the chunk mentions usage.
    #[test]
    fn models_before_a_malformed_tail_are_rewritten() {
        let bump = Bump::new();
        let o = rewrite_chunk(br#"{"model":"a","usage":{"prompt_tokens":1},"#, "g", &bump);
        assert_eq!(o.data, br#"{"model":"g","usage":{"prompt_tokens":1},"#);
        assert_eq!(o.usage.unwrap().prompt_tokens, 1);
        let o = rewrite_chunk(br#"{"model":"a","model":"b"}trailing"#, "g", &bump);
        assert_eq!(o.data, br#"{"model":"g","model":"g"}trailing"#);
    }
}
