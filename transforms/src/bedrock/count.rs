//! `/v1/messages/count_tokens` to Bedrock's CountTokens API
//! (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html), as
//! LiteLLM 1.108.7 asks it (`llms/bedrock/count_tokens/transformation.py`):
//!
//! - `POST /model/{base model, quoted}/count-tokens`: the foundation model, without a
//!   cross-region prefix (`us.`, `eu.`, ...);
//! - a conversation of plain messages goes as `{"input": {"converse": {messages, system,
//!   toolConfig}}}` (string contents as text blocks, tools as tool specs);
//! - one with Anthropic content blocks (`{"type": ...}`) as `{"input": {"invokeModel":
//!   {"body": base64}}}`: the body without `model`, with Bedrock's `anthropic_version` and a
//!   `max_tokens` of 1024 when absent, as Python's `json.dumps` writes it;
//! - the answer's `inputTokens` become `{"input_tokens", "litellm_count_source": "provider"}`.

use base64::Engine;

use crate::anthropic::request::{invalid, Result};
use crate::json::top_members;
use crate::json::value::{elements, get, is_object, key_of, string};
use crate::json::write_json_string;

/// LiteLLM's `DEFAULT_ANTHROPIC_INVOKE_MODEL_MAX_TOKENS`.
const DEFAULT_MAX_TOKENS: &str = "1024";

/// Writes the CountTokens body for the client's Messages `body`.
pub fn count_request(body: &[u8], out: &mut Vec<u8>) -> Result<()> {
    if !is_object(body) {
        return Err(invalid("the request body must be a JSON object"));
    }
    let messages = get(body, "messages").and_then(elements).unwrap_or_default();
    let anthropic_blocks = messages.iter().any(|m| {
        get(m, "content").and_then(elements).is_some_and(|blocks| {
            blocks
                .iter()
                .any(|b| is_object(b) && get(b, "type").is_some())
        })
    });
    if anthropic_blocks {
        invoke_model(body, out);
    } else {
        converse(body, &messages, out);
    }
    Ok(())
}

/// `{"input": {"converse": ...}}`.
fn converse(body: &[u8], messages: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"input\":{\"converse\":{\"messages\":[");
    for (n, m) in messages.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"role\":");
        out.extend_from_slice(get(m, "role").unwrap_or(b"null"));
        out.extend_from_slice(b",\"content\":");
        match get(m, "content") {
            Some(c) if c.first() == Some(&b'"') => {
                out.extend_from_slice(b"[{\"text\":");
                out.extend_from_slice(c);
                out.extend_from_slice(b"}]");
            }
            Some(c) if c.first() == Some(&b'[') => out.extend_from_slice(c),
            _ => out.extend_from_slice(b"[]"),
        }
        out.push(b'}');
    }
    out.push(b']');
    match get(body, "system") {
        Some(s) if s.first() == Some(&b'"') => {
            out.extend_from_slice(b",\"system\":[{\"text\":");
            out.extend_from_slice(s);
            out.extend_from_slice(b"}]");
        }
        Some(s) if s.first() == Some(&b'[') => {
            let blocks: Vec<&[u8]> = elements(s)
                .unwrap_or_default()
                .into_iter()
                .filter(|b| is_object(b))
                .collect();
            if !blocks.is_empty() {
                out.extend_from_slice(b",\"system\":[");
                for (n, b) in blocks.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"text\":");
                    out.extend_from_slice(get(b, "text").unwrap_or(b"\"\""));
                    out.push(b'}');
                }
                out.push(b']');
            }
        }
        _ => {}
    }
    let tools = get(body, "tools").and_then(elements).unwrap_or_default();
    if !tools.is_empty() {
        out.extend_from_slice(b",\"toolConfig\":{\"tools\":[");
        for (n, tool) in tools.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let name = tool_name(get(tool, "name").and_then(string).as_deref().unwrap_or(""));
            out.extend_from_slice(b"{\"toolSpec\":{\"name\":");
            write_json_string(&name, out);
            out.extend_from_slice(b",\"description\":");
            match get(tool, "description").filter(|d| *d != b"null" && *d != b"\"\"") {
                Some(d) => out.extend_from_slice(d),
                None => write_json_string(&name, out),
            }
            out.extend_from_slice(b",\"inputSchema\":{\"json\":");
            out.extend_from_slice(
                get(tool, "input_schema").unwrap_or(b"{\"type\":\"object\",\"properties\":{}}"),
            );
            out.extend_from_slice(b"}}}");
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"}}}");
}

/// A tool name as Bedrock takes it (`_sanitized_bedrock_tool_name`): other characters than
/// letters, digits and `_` become `_`, a name not starting with a letter gets `t_`, at most
/// 64 characters.
fn tool_name(raw: &str) -> String {
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = match name.chars().next() {
        Some(c) if !c.is_ascii_alphabetic() => format!("t_{name}"),
        _ => name,
    };
    name.chars().take(64).collect()
}

/// `{"input": {"invokeModel": {"body": base64}}}`.
fn invoke_model(body: &[u8], out: &mut Vec<u8>) {
    let mut data = vec![b'{'];
    let mut has = (false, false);
    for m in top_members(body).into_iter().flatten() {
        let key = key_of(body, &m.key).unwrap_or_default();
        if key == "model" {
            continue;
        }
        has.0 |= key == "anthropic_version";
        has.1 |= key == "max_tokens";
        if data.len() > 1 {
            data.push(b',');
        }
        write_json_string(&key, &mut data);
        data.push(b':');
        data.extend_from_slice(&body[m.value]);
    }
    if get(body, "messages").is_some() {
        if !has.0 {
            data.extend_from_slice(if data.len() > 1 { b"," } else { b"" });
            data.extend_from_slice(b"\"anthropic_version\":\"bedrock-2023-05-31\"");
        }
        if !has.1 {
            data.extend_from_slice(b",\"max_tokens\":");
            data.extend_from_slice(DEFAULT_MAX_TOKENS.as_bytes());
        }
    }
    data.push(b'}');
    let mut dumped = Vec::with_capacity(data.len() + 64);
    crate::json::value::py_dumps_ascii(&data, &mut dumped);
    out.extend_from_slice(b"{\"input\":{\"invokeModel\":{\"body\":\"");
    out.extend_from_slice(
        base64::engine::general_purpose::STANDARD
            .encode(dumped)
            .as_bytes(),
    );
    out.extend_from_slice(b"\"}}}");
}

/// The client's answer for Bedrock's `{"inputTokens": N}`.
pub fn count_answer(answer: &[u8], out: &mut Vec<u8>) {
    let tokens = crate::messages::count::answer_tokens(answer, "inputTokens");
    crate::messages::count::write_provider_answer(tokens, out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(body: &str) -> String {
        let mut out = Vec::new();
        count_request(body.as_bytes(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_messages_go_as_converse() {
        // As LiteLLM 1.108.7 sent them (the differential suite's count-tokens-bedrock cases).
        assert_eq!(
            request(
                r#"{"model":"br","system":"Be brief","messages":[{"role":"user","content":"hello world"}]}"#
            ),
            r#"{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"hello world"}]}],"system":[{"text":"Be brief"}]}}}"#
        );
        assert_eq!(
            request(
                r#"{"model":"br","messages":[{"role":"user","content":"hi"}],"tools":[{"name":"get weather","input_schema":{"type":"object"}}]}"#
            ),
            r#"{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}}}}"#
        );
        assert_eq!(tool_name("9lives-x"), "t_9lives_x");
    }

    #[test]
    fn anthropic_blocks_go_as_the_invoke_body() {
        let out = request(
            r#"{"model":"br","messages":[{"role":"user","content":[{"type":"text","text":"hé"}]}]}"#,
        );
        let body = out
            .strip_prefix(r#"{"input":{"invokeModel":{"body":""#)
            .and_then(|r| r.strip_suffix(r#""}}}"#))
            .unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            r#"{"messages": [{"role": "user", "content": [{"type": "text", "text": "h\u00e9"}]}], "anthropic_version": "bedrock-2023-05-31", "max_tokens": 1024}"#
        );
    }

    #[test]
    fn the_answer_is_marked_as_the_provider_s() {
        let mut out = Vec::new();
        count_answer(br#"{"inputTokens":23}"#, &mut out);
        assert_eq!(
            out,
            br#"{"input_tokens":23,"litellm_count_source":"provider"}"#
        );
    }
}
