//! Token usage as OpenAI-compatible providers report it, read from a usage object's bytes.

use crate::json::{skip_ws, top_members};

/// Token counts of one call, as LiteLLM bills them: the three totals, and the parts of them
/// that have their own rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// Prompt tokens read from the provider's prompt cache (part of `prompt_tokens`; LiteLLM's
    /// `prompt_tokens_details.cached_tokens`).
    pub cached_tokens: u64,
    /// Prompt tokens written to the cache (part of `prompt_tokens`; LiteLLM's
    /// `prompt_tokens_details.cache_creation_tokens`).
    pub cache_creation_tokens: u64,
    /// Of those, the ones written for an hour (Anthropic's `ephemeral_1h_input_tokens`).
    pub cache_creation_1h_tokens: u64,
    /// Completion tokens spent reasoning (part of `completion_tokens`;
    /// `completion_tokens_details.reasoning_tokens`).
    pub reasoning_tokens: u64,
}

impl Usage {
    /// The three totals, with no cached or reasoning part.
    pub const fn counts(prompt_tokens: u64, completion_tokens: u64, total_tokens: u64) -> Usage {
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens,
            cached_tokens: 0,
            cache_creation_tokens: 0,
            cache_creation_1h_tokens: 0,
            reasoning_tokens: 0,
        }
    }
}

/// Writes `{"completion_tokens":..,"prompt_tokens":..,"total_tokens":..` (the object left
/// open for the details that follow), the order of LiteLLM's `Usage`.
pub fn write_counts(u: &Usage, out: &mut Vec<u8>) {
    let mut n = itoa::Buffer::new();
    out.extend_from_slice(b"{\"completion_tokens\":");
    out.extend_from_slice(n.format(u.completion_tokens).as_bytes());
    out.extend_from_slice(b",\"prompt_tokens\":");
    out.extend_from_slice(n.format(u.prompt_tokens).as_bytes());
    out.extend_from_slice(b",\"total_tokens\":");
    out.extend_from_slice(n.format(u.total_tokens).as_bytes());
}

/// Reads `prompt_tokens`, `completion_tokens` and `total_tokens` from the bytes of a JSON usage
/// object. Missing or non-integer counts are 0, and a missing `total_tokens` is prompt +
/// completion (embeddings report only prompt and total). `None` when `object` is not an object
/// or carries none of the three counts.
///
/// The billed parts are read as LiteLLM's `Usage` reads them: cache reads from
/// `prompt_tokens_details.cached_tokens`, replaced by a top-level `prompt_cache_hit_tokens`
/// (DeepSeek), then `cache_read_input_tokens`; cache writes from the details'
/// `cache_write_tokens` or `cache_creation_tokens`, replaced by a top-level
/// `cache_creation_input_tokens`; reasoning from `completion_tokens_details.reasoning_tokens`.
pub fn parse_usage(object: &[u8]) -> Option<Usage> {
    let mut members = top_members(object)?;
    let (mut prompt, mut completion, mut total) = (None, None, None);
    let mut u = Usage::default();
    let (mut hit, mut read, mut creation) = (None, None, None);
    for m in members.by_ref() {
        let value = &object[m.value.clone()];
        let slot = match &object[m.key.clone()] {
            b"prompt_tokens" => &mut prompt,
            b"completion_tokens" => &mut completion,
            b"total_tokens" => &mut total,
            b"prompt_cache_hit_tokens" => &mut hit,
            b"cache_read_input_tokens" => &mut read,
            b"cache_creation_input_tokens" => &mut creation,
            b"prompt_tokens_details" => {
                let (mut write, mut creation) = (0, 0);
                for (key, n) in counts(value) {
                    match key {
                        b"cached_tokens" => u.cached_tokens = n,
                        b"cache_write_tokens" => write = n,
                        b"cache_creation_tokens" => creation = n,
                        _ => {}
                    }
                }
                // `getattr(.., "cache_write_tokens", 0) or getattr(.., "cache_creation_tokens", 0)`
                u.cache_creation_tokens = if write > 0 { write } else { creation };
                continue;
            }
            b"completion_tokens_details" => {
                for (key, n) in counts(value) {
                    if key == b"reasoning_tokens" {
                        u.reasoning_tokens = n;
                    }
                }
                continue;
            }
            _ => continue,
        };
        *slot = parse_u64(value);
    }
    if members.malformed() || (prompt.is_none() && completion.is_none() && total.is_none()) {
        return None;
    }
    if let Some(n) = read.or(hit) {
        u.cached_tokens = n;
    }
    if let Some(n) = creation {
        u.cache_creation_tokens = n;
    }
    let (p, c) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    u.prompt_tokens = p;
    u.completion_tokens = c;
    u.total_tokens = total.unwrap_or(p.saturating_add(c));
    Some(u)
}

/// The integer members of the object `value` (others are skipped), by key.
fn counts(value: &[u8]) -> impl Iterator<Item = (&[u8], u64)> {
    top_members(value)
        .into_iter()
        .flatten()
        .filter_map(|m| Some((&value[m.key.clone()], parse_u64(&value[m.value])?)))
}

/// A JSON number that is a non-negative integer (`12`, also `12.0` as some providers send):
/// at most 19 digits (so no overflow), then optionally a `.` and one or more zeros. One pass:
/// it runs for every count of every response.
fn parse_u64(v: &[u8]) -> Option<u64> {
    let v = v.get(skip_ws(v, 0)..)?;
    let mut n = 0u64;
    let mut digits = 0;
    for (i, &c) in v.iter().enumerate() {
        match c {
            b'0'..=b'9' if digits < 19 => {
                n = n * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' => {
                let zeros = v.get(i + 1..)?;
                return (digits > 0 && !zeros.is_empty() && zeros.iter().all(|&z| z == b'0'))
                    .then_some(n);
            }
            _ => return None,
        }
    }
    (digits > 0).then_some(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// [`parse_u64`] as it was before the one-pass loop.
    fn parse_u64_before(v: &[u8]) -> Option<u64> {
        let end = skip_ws(v, 0);
        let v = &v[end..];
        let int_part = match v.iter().position(|&c| c == b'.') {
            Some(dot) if v[dot + 1..].iter().all(|&c| c == b'0') && dot + 1 < v.len() => &v[..dot],
            Some(_) => return None,
            None => v,
        };
        if int_part.is_empty() || int_part.len() > 19 || !int_part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        int_part.iter().try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    }

    #[test]
    fn parse_u64_reads_what_it_read_before() {
        let mut rng = fastrand::Rng::with_seed(11);
        const ALPHABET: &[u8] = b"0000123456789999..  \t\n-+eE,xa";
        for _ in 0..200_000 {
            let len = rng.usize(..24);
            let v: Vec<u8> = (0..len)
                .map(|_| ALPHABET[rng.usize(..ALPHABET.len())])
                .collect();
            assert_eq!(
                parse_u64(&v),
                parse_u64_before(&v),
                "{:?}",
                String::from_utf8_lossy(&v)
            );
        }
        for v in [
            &b""[..],
            b"0",
            b"12",
            b"12.0",
            b"12.",
            b".0",
            b"12.00",
            b"12.01",
            b" 7",
            b"-1",
            b"1e3",
            b"9999999999999999999",
            b"9999999999999999999.0",
            b"10000000000000000000",
            b"18446744073709551615",
            b"0000000000000000001",
            b"00000000000000000001",
        ] {
            assert_eq!(
                parse_u64(v),
                parse_u64_before(v),
                "{:?}",
                String::from_utf8_lossy(v)
            );
        }
        assert_eq!(
            parse_u64(b"9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(parse_u64(b"12.0"), Some(12));
    }

    #[test]
    fn reads_chat_usage_with_details() {
        let u = parse_usage(
            br#"{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0}}"#,
        );
        assert_eq!(u, Some(Usage::counts(19, 10, 29)));
    }

    #[test]
    fn reads_the_billed_parts_as_litellm_s_usage_does() {
        let u = parse_usage(
            br#"{"prompt_tokens":50,"completion_tokens":30,"total_tokens":80,"prompt_tokens_details":{"cached_tokens":20,"audio_tokens":0,"cache_creation_tokens":5},"completion_tokens_details":{"reasoning_tokens":12,"audio_tokens":0}}"#,
        )
        .unwrap();
        assert_eq!(
            (u.cached_tokens, u.cache_creation_tokens, u.reasoning_tokens),
            (20, 5, 12)
        );
        // `cache_write_tokens` first; top-level counts replace the details' (DeepSeek's hit
        // count, then Anthropic-style names).
        let u = parse_usage(
            br#"{"prompt_tokens":50,"prompt_cache_hit_tokens":7,"prompt_tokens_details":{"cached_tokens":20,"cache_write_tokens":3,"cache_creation_tokens":5}}"#,
        )
        .unwrap();
        assert_eq!((u.cached_tokens, u.cache_creation_tokens), (7, 3));
        let u = parse_usage(
            br#"{"prompt_tokens":50,"cache_read_input_tokens":9,"prompt_cache_hit_tokens":7,"cache_creation_input_tokens":4,"prompt_tokens_details":null}"#,
        )
        .unwrap();
        assert_eq!((u.cached_tokens, u.cache_creation_tokens), (9, 4));
    }

    #[test]
    fn embeddings_usage_has_no_completion() {
        let u = parse_usage(br#"{ "prompt_tokens": 8, "total_tokens": 8 }"#).unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (8, 0, 8)
        );
    }

    #[test]
    fn total_defaults_to_sum() {
        let u = parse_usage(br#"{"prompt_tokens":3,"completion_tokens":4}"#).unwrap();
        assert_eq!(u.total_tokens, 7);
    }

    #[test]
    fn rejects_non_objects_and_empty() {
        assert_eq!(parse_usage(b"null"), None);
        assert_eq!(parse_usage(b"{}"), None);
        assert_eq!(parse_usage(b"[1]"), None);
        assert_eq!(parse_usage(br#"{"prompt_tokens":1"#), None);
    }

    #[test]
    fn odd_numbers_count_as_missing() {
        let u = parse_usage(
            br#"{"prompt_tokens":-1,"completion_tokens":2.5,"total_tokens":99999999999999999999}"#,
        );
        assert_eq!(u, None);
        let u = parse_usage(br#"{"prompt_tokens":"7","completion_tokens":2}"#);
        assert_eq!(u, Some(Usage::counts(0, 2, 2)));
        assert_eq!(
            parse_usage(br#"{"prompt_tokens":5.0}"#)
                .unwrap()
                .prompt_tokens,
            5
        );
    }
}
