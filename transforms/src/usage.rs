//! Token usage as OpenAI-compatible providers report it, read from a usage object's bytes.

use crate::json::{skip_ws, top_members};

/// Token counts of one call. LiteLLM bills on these three numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// Writes `{"completion_tokens":..,"prompt_tokens":..,"total_tokens":..` (the object left
/// open for the details that follow), the order of LiteLLM's `Usage`.
pub(crate) fn write_counts(u: &Usage, out: &mut Vec<u8>) {
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
pub fn parse_usage(object: &[u8]) -> Option<Usage> {
    let mut members = top_members(object)?;
    let (mut prompt, mut completion, mut total) = (None, None, None);
    for m in members.by_ref() {
        let slot = match &object[m.key.clone()] {
            b"prompt_tokens" => &mut prompt,
            b"completion_tokens" => &mut completion,
            b"total_tokens" => &mut total,
            _ => continue,
        };
        *slot = parse_u64(&object[m.value.clone()]);
    }
    if members.malformed() || (prompt.is_none() && completion.is_none() && total.is_none()) {
        return None;
    }
    let (p, c) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    Some(Usage {
        prompt_tokens: p,
        completion_tokens: c,
        total_tokens: total.unwrap_or(p.saturating_add(c)),
    })
}

/// A JSON number that is a non-negative integer (`12`, also `12.0` as some providers send).
fn parse_u64(v: &[u8]) -> Option<u64> {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_chat_usage_with_details() {
        let u = parse_usage(
            br#"{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0}}"#,
        );
        assert_eq!(
            u,
            Some(Usage {
                prompt_tokens: 19,
                completion_tokens: 10,
                total_tokens: 29
            })
        );
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
        assert_eq!(
            u,
            Some(Usage {
                prompt_tokens: 0,
                completion_tokens: 2,
                total_tokens: 2
            })
        );
        assert_eq!(
            parse_usage(br#"{"prompt_tokens":5.0}"#)
                .unwrap()
                .prompt_tokens,
            5
        );
    }
}
