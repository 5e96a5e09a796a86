//! Token counts with tiktoken, for responses that carry no usage. Each encoding is loaded on
//! first use only (cl100k ~23 MB, o200k ~52 MB resident, PERF-NOTES.md).

use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

static CL100K: OnceLock<Option<CoreBPE>> = OnceLock::new();
static O200K: OnceLock<Option<CoreBPE>> = OnceLock::new();

/// Which encoding a model uses: o200k_base for the gpt-4o, gpt-4.1, gpt-5 and o-series
/// families (OpenAI's tiktoken model map), cl100k_base for everything else, as LiteLLM's
/// default tokenizer is cl100k.
pub fn uses_o200k(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or(model);
    [
        "gpt-4o",
        "gpt-4.1",
        "gpt-4.5",
        "gpt-5",
        "chatgpt-4o",
        "o1",
        "o3",
        "o4",
    ]
    .iter()
    .any(|p| {
        name.starts_with(p)
            && name[p.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == '-' || c == '.' || c == ':')
    })
}

/// Tokens in `text` for `model`; special-token text counts as ordinary text. If an encoding
/// cannot be loaded (it is embedded, so only on memory exhaustion), falls back to the
/// ~4 bytes per token rule of thumb rather than failing the request.
pub fn count_tokens(model: &str, text: &str) -> u64 {
    let cell = if uses_o200k(model) { &O200K } else { &CL100K };
    let bpe = cell.get_or_init(|| {
        if std::ptr::eq(cell, &O200K) {
            tiktoken_rs::o200k_base().ok()
        } else {
            tiktoken_rs::cl100k_base().ok()
        }
    });
    match bpe {
        Some(bpe) => bpe.encode_ordinary(text).len() as u64,
        None => (text.len() as u64).div_ceil(4),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn picks_encoding_by_family() {
        assert!(uses_o200k("gpt-4o-mini"));
        assert!(uses_o200k("openai/o3-mini"));
        assert!(uses_o200k("gpt-4.1"));
        assert!(!uses_o200k("gpt-4"));
        assert!(!uses_o200k("gpt-3.5-turbo"));
        assert!(!uses_o200k("o1x"));
    }

    #[test]
    fn counts_known_strings() {
        // "hello world" is two tokens in both encodings.
        assert_eq!(count_tokens("gpt-3.5-turbo", "hello world"), 2);
        assert_eq!(count_tokens("gpt-4o", "hello world"), 2);
        assert_eq!(count_tokens("gpt-4o", ""), 0);
    }
}
