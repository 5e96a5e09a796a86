//! `/v1/messages/count_tokens` for a provider without a token-counting API: LiteLLM answers
//! with a local count (`litellm_count_source: local_estimate`), counted as its
//! `/utils/token_counter` counts ([`crate::token_counter`]).

use crate::json::value::get;

/// Whether the count request `body` (validated JSON) has a non-empty `messages` list: LiteLLM's
/// `if not messages` refuses `[]` as well as a missing one ([`crate::openai::require`] sees
/// only the latter).
pub fn has_messages(body: &[u8]) -> bool {
    !get(body, "messages").is_some_and(crate::json::value::is_empty_array)
}

/// Writes LiteLLM's answer for an estimate.
pub fn write_answer(tokens: u64, out: &mut Vec<u8>) {
    write_answer_from(tokens, "local_estimate", out);
}

/// A count the provider made: `{"input_tokens", "litellm_count_source": "provider"}`.
pub fn write_provider_answer(tokens: u64, out: &mut Vec<u8>) {
    write_answer_from(tokens, "provider", out);
}

fn write_answer_from(tokens: u64, source: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"input_tokens\":");
    out.extend_from_slice(itoa::Buffer::new().format(tokens).as_bytes());
    out.extend_from_slice(b",\"litellm_count_source\":\"");
    out.extend_from_slice(source.as_bytes());
    out.extend_from_slice(b"\"}");
}

/// The integer `key` of a provider's count answer (0 when absent, as LiteLLM reads it).
pub fn answer_tokens(answer: &[u8], key: &str) -> u64 {
    crate::json::value::get(answer, key)
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_marked_as_a_local_estimate() {
        let mut out = Vec::new();
        write_answer(12, &mut out);
        assert_eq!(
            out,
            br#"{"input_tokens":12,"litellm_count_source":"local_estimate"}"#
        );
    }
}
