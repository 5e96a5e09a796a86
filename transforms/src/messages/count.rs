//! `/v1/messages/count_tokens` for a provider without a token-counting API: LiteLLM answers
//! with a local estimate (`litellm_count_source: local_estimate`). This estimate is tiktoken's
//! cl100k count of the request's text (system, message texts, tool inputs and results, tool
//! definitions) plus 3 tokens per message and 3 for the reply, as OpenAI's counting recipe
//! does; LiteLLM's `token_counter` formats tools and images its own way, so the two estimates
//! differ by a few tokens.

use crate::json::value::{elements, get, string};
use crate::tokens::count_tokens;

/// The estimate for the Messages request `body` (validated JSON).
pub fn estimate(body: &[u8]) -> u64 {
    let mut text = String::new();
    let mut overhead = 3u64;
    if let Some(system) = get(body, "system") {
        collect(system, &mut text);
    }
    for m in get(body, "messages").and_then(elements).unwrap_or_default() {
        overhead += 3;
        if let Some(content) = get(m, "content") {
            collect(content, &mut text);
        }
        text.push('\n');
    }
    if let Some(tools) = get(body, "tools") {
        text.push_str(&String::from_utf8_lossy(tools));
    }
    count_tokens("", &text).saturating_add(overhead)
}

/// The texts of a content value (a string, or blocks: text, tool input and result, thinking).
fn collect(content: &[u8], out: &mut String) {
    if let Some(s) = string(content) {
        out.push_str(&s);
        out.push('\n');
        return;
    }
    for block in elements(content).unwrap_or_default() {
        for key in ["text", "thinking"] {
            if let Some(s) = get(block, key).and_then(string) {
                out.push_str(&s);
                out.push('\n');
            }
        }
        if let Some(input) = get(block, "input") {
            out.push_str(&String::from_utf8_lossy(input));
            out.push('\n');
        }
        if let Some(result) = get(block, "content") {
            collect(result, out);
        }
    }
}

/// Whether the count request `body` (validated JSON) has a non-empty `messages` list: LiteLLM's
/// `if not messages` refuses `[]` as well as a missing one ([`crate::openai::require`] sees
/// only the latter).
pub fn has_messages(body: &[u8]) -> bool {
    !get(body, "messages").is_some_and(crate::json::value::is_empty_array)
}

/// Writes LiteLLM's answer for an estimate.
pub fn write_answer(tokens: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"input_tokens\":");
    out.extend_from_slice(itoa::Buffer::new().format(tokens).as_bytes());
    out.extend_from_slice(b",\"litellm_count_source\":\"local_estimate\"}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_the_text_and_counts_each_message() {
        let short = estimate(br#"{"messages":[{"role":"user","content":"Hi"}]}"#);
        let long = estimate(
            br#"{"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"Hello, how are you today?"}]}],"tools":[{"name":"get_weather","input_schema":{"type":"object"}}]}"#,
        );
        assert!(short >= 7 && long > short + 10, "{short} {long}");
        let mut out = Vec::new();
        write_answer(12, &mut out);
        assert_eq!(
            out,
            br#"{"input_tokens":12,"litellm_count_source":"local_estimate"}"#
        );
    }
}
