//! `/v1/messages/count_tokens` to Gemini's `countTokens`
//! (https://ai.google.dev/api/tokens#method:-models.counttokens; Vertex AI's
//! `publishers/google/models/{model}:countTokens`), as LiteLLM 1.108.7 asks it
//! (`llms/gemini/count_tokens/handler.py`, `llms/vertex_ai/count_tokens/`):
//!
//! - `contents`: the messages as a `/v1/messages` request to Gemini sends them (through a chat
//!   completion), without the system prompt;
//! - `systemInstruction`: the request's `system`, a string or text blocks (any other block is
//!   refused, as LiteLLM refuses it), as text parts;
//! - `tools`: the function tools as `functionDeclarations`, as a chat request's tools map;
//! - Google AI Studio takes `{"contents"}` alone, else the three inside a
//!   `generateContentRequest` that names the model (`models/{model}`); Vertex AI takes them at
//!   the top level;
//! - the answer's `totalTokens` become `{"input_tokens", "litellm_count_source": "provider"}`.

use crate::anthropic::request::{invalid, Result};
use crate::json::tape::Scratch;
use crate::json::value::{elements, fields, get, is_object, string};
use crate::json::write_json_string;

/// Writes the `countTokens` body for the client's Messages `body`; `vertex` for Vertex AI's
/// shape.
pub fn count_request(
    body: &[u8],
    provider_model: &str,
    vertex: bool,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    if !is_object(body) {
        return Err(invalid("the request body must be a JSON object"));
    }
    let mut system_parts = Vec::new();
    match get(body, "system").filter(|s| *s != b"null") {
        None => {}
        Some(s) if s == b"\"\"" => {}
        Some(s) if s.first() == Some(&b'"') => write_text_part(s, &mut system_parts),
        Some(s) => {
            let blocks = elements(s).ok_or_else(|| invalid(NOT_TEXT))?;
            for block in blocks {
                let [kind, text] = fields(block, ["type", "text"]);
                let text = text.filter(|t| string(t).is_some());
                match (kind.and_then(string).as_deref(), text) {
                    (Some("text"), Some(text)) => write_text_part(text, &mut system_parts),
                    _ => return Err(invalid(NOT_TEXT)),
                }
            }
        }
    }
    // The messages (and tools) as a Messages request to Gemini translates them.
    let mut chat = Vec::with_capacity(body.len() + 128);
    crate::messages::to_chat_request(body, provider_model, &mut chat)?;
    let mut generate = Vec::with_capacity(chat.len() + 128);
    super::transform_request(&chat, provider_model, scratch, &mut generate)?;
    let [contents, tools] = fields(&generate, ["contents", "tools"]);
    let declarations: Vec<&[u8]> = tools
        .and_then(elements)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| get(t, "function_declarations"))
        .collect();
    let wrapped = !vertex && (!system_parts.is_empty() || !declarations.is_empty());
    out.push(b'{');
    if wrapped {
        out.extend_from_slice(b"\"generateContentRequest\":{\"model\":");
        if provider_model.starts_with("models/") {
            write_json_string(provider_model, out);
        } else {
            write_json_string(&format!("models/{provider_model}"), out);
        }
        out.push(b',');
    }
    out.extend_from_slice(b"\"contents\":");
    out.extend_from_slice(contents.unwrap_or(b"[]"));
    if !system_parts.is_empty() {
        out.extend_from_slice(b",\"systemInstruction\":{\"parts\":[");
        out.extend_from_slice(&system_parts);
        out.extend_from_slice(b"]}");
    }
    if !declarations.is_empty() {
        out.extend_from_slice(b",\"tools\":");
        crate::json::write_array(declarations, out, |d, out| {
            out.extend_from_slice(b"{\"functionDeclarations\":");
            out.extend_from_slice(d);
            out.push(b'}');
        });
    }
    if wrapped {
        out.push(b'}');
    }
    out.push(b'}');
    Ok(())
}

/// LiteLLM's refusal of a system prompt Gemini cannot take as text.
const NOT_TEXT: &str = "Gemini system instructions only support text blocks.";

/// `{"text": ...}`, comma-separated from the parts before it.
fn write_text_part(text: &[u8], out: &mut Vec<u8>) {
    if !out.is_empty() {
        out.push(b',');
    }
    out.extend_from_slice(b"{\"text\":");
    out.extend_from_slice(text);
    out.push(b'}');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn count(body: &str, vertex: bool) -> Result<serde_json::Value> {
        let mut out = Vec::new();
        count_request(
            body.as_bytes(),
            "gemini-2.5-flash",
            vertex,
            &mut Scratch::default(),
            &mut out,
        )?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    #[test]
    fn plain_messages_go_as_contents_alone() {
        let v = count(
            r#"{"model":"g","messages":[{"role":"user","content":"hello world"}]}"#,
            false,
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"contents": [{"role": "user", "parts": [{"text": "hello world"}]}]})
        );
    }

    #[test]
    fn a_system_prompt_or_tools_go_in_a_generate_content_request() {
        let body = r#"{"model":"g","system":[{"type":"text","text":"Be brief."}],
            "tools":[{"name":"get_weather","description":"d","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
            "messages":[{"role":"user","content":"Hi"}]}"#;
        let v = count(body, false).unwrap();
        let inner = &v["generateContentRequest"];
        assert_eq!(inner["model"], "models/gemini-2.5-flash");
        assert_eq!(
            inner["systemInstruction"],
            serde_json::json!({"parts": [{"text": "Be brief."}]})
        );
        assert_eq!(
            inner["tools"][0]["functionDeclarations"][0]["name"],
            "get_weather"
        );
        assert_eq!(
            inner["contents"],
            serde_json::json!([{"role": "user", "parts": [{"text": "Hi"}]}])
        );
        // Vertex AI: the same members at the top level.
        let v = count(body, true).unwrap();
        assert_eq!(v["systemInstruction"]["parts"][0]["text"], "Be brief.");
        assert!(v.get("generateContentRequest").is_none());
        assert!(v["tools"][0]["functionDeclarations"].is_array());
    }

    #[test]
    fn a_system_block_other_than_text_is_refused() {
        let body = r#"{"model":"g","system":[{"type":"image","source":{}}],"messages":[{"role":"user","content":"Hi"}]}"#;
        let err = count(body, false).unwrap_err();
        assert_eq!(err.message(), NOT_TEXT);
        // An empty string is no system prompt.
        let v = count(
            r#"{"model":"g","system":"","messages":[{"role":"user","content":"Hi"}]}"#,
            false,
        )
        .unwrap();
        assert!(v.get("generateContentRequest").is_none());
    }
}
