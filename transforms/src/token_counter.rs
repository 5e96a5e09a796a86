//! `POST /utils/token_counter` as LiteLLM 1.108.7's proxy answers it (`proxy_server.py`
//! `token_counter`, `litellm_core_utils/token_counter.py`), counted locally with tiktoken:
//!
//! - a `prompt` alone is its own count; with `system` or `tools` it is a user message;
//! - messages (a `system` prepended as a system message) cost 3 each, plus the count of every
//!   string field (`role` too) and 1 more for a `name`; tool calls count their `arguments`;
//!   content lists count their text, thinking, and Anthropic tool blocks (a dict's text is
//!   Python's `str()` of it); then 3 for the reply, and for tools the count of their
//!   TypeScript-like definitions plus 9 (4 less with a system message);
//! - text is counted in chunks of 1024 characters, summed, as LiteLLM encodes it.
//!
//! What LiteLLM counts with other tokenizers (Anthropic's for Claude models after Claude 3,
//! Hugging Face downloads for Llama) is counted with tiktoken here. Images cost OpenAI's base
//! 85 tokens, as in LiteLLM's default mode; what LiteLLM would read to count (an image's size
//! for `detail: "high"`, a PDF's text) is refused: both are listed in docs/deviations.md.

use crate::json::top_members;
use crate::json::value::{elements, get, is_object, key_of, py_repr, string};
use crate::json::write_json_string;
use crate::tokens::count_tokens;

/// LiteLLM's `TIKTOKEN_ENCODE_CHUNK_SIZE_CHARS`.
const CHUNK_CHARS: usize = 1024;

/// Why a count request is refused, in the shapes LiteLLM's proxy answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountError {
    /// No `model` (FastAPI's 422 validation error).
    MissingModel,
    /// Neither `prompt`, `messages` nor `contents` (a 400 `{"detail": ...}`).
    NothingToCount,
    /// `prompt` with `messages` or `contents` (a 400 error naming `prompt`).
    PromptWithMessages,
    /// Something corelane does not count (a 400 saying what).
    Unsupported(String),
}

/// What a count request asks: the request's `model` and the count for `model_used`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRequest<'b> {
    pub model: String,
    body: &'b [u8],
}

/// Reads a count request (`body` validated JSON).
pub fn read(body: &[u8]) -> Result<CountRequest<'_>, CountError> {
    let model = get(body, "model")
        .and_then(string)
        .ok_or(CountError::MissingModel)?;
    Ok(CountRequest { model, body })
}

fn count_text(model: &str, text: &str) -> u64 {
    if text.len() <= CHUNK_CHARS {
        return count_tokens(model, text);
    }
    let mut total = 0;
    let mut start = 0;
    for (n, (at, _)) in text.char_indices().enumerate() {
        if n > 0 && n % CHUNK_CHARS == 0 {
            total += count_tokens(model, &text[start..at]);
            start = at;
        }
    }
    total + count_tokens(model, &text[start..])
}

fn non_empty(v: Option<&[u8]>) -> Option<&[u8]> {
    v.filter(|v| !matches!(*v, b"null" | b"\"\"" | b"[]" | b"{}"))
}

impl CountRequest<'_> {
    /// The token count for the deployment model `model_used` (its tokenizer's).
    pub fn count(&self, model_used: &str) -> Result<u64, CountError> {
        let [prompt, messages, contents, tools, system] = crate::json::value::fields(
            self.body,
            ["prompt", "messages", "contents", "tools", "system"],
        );
        // LiteLLM's request model takes a string prompt and a list of tools only.
        if prompt.is_some_and(|p| p != b"null" && p.first() != Some(&b'"')) {
            return Err(CountError::Unsupported(
                "`prompt` must be a string".to_owned(),
            ));
        }
        if tools.is_some_and(|t| t != b"null" && elements(t).is_none()) {
            return Err(CountError::Unsupported("`tools` must be a list".to_owned()));
        }
        let prompt = prompt.and_then(string).filter(|p| !p.is_empty());
        let messages = non_empty(messages);
        let contents = non_empty(contents);
        if prompt.is_none() && messages.is_none() && contents.is_none() {
            return Err(CountError::NothingToCount);
        }
        if prompt.is_some() && (messages.is_some() || contents.is_some()) {
            return Err(CountError::PromptWithMessages);
        }
        if contents.is_some() {
            return Err(CountError::Unsupported(
                "`contents` (Gemini's format) is not counted by corelane yet".to_owned(),
            ));
        }
        let system = non_empty(system);
        let tools = non_empty(tools);
        let counter = Counter { model: model_used };
        if let Some(prompt) = &prompt {
            if system.is_none() && tools.is_none() {
                return Ok(counter.text(prompt));
            }
        }
        let mut total = 0;
        let mut has_system = false;
        if let Some(system) = system {
            has_system = true;
            total += 3 + counter.text("system") + counter.value("content", system)?;
        }
        match (prompt, messages) {
            (Some(prompt), _) => total += 3 + counter.text("user") + counter.text(&prompt),
            (None, Some(messages)) => {
                let list = elements(messages).ok_or_else(|| {
                    CountError::Unsupported("`messages` must be a list".to_owned())
                })?;
                for m in list {
                    if !is_object(m) {
                        return Err(CountError::Unsupported(
                            "each message must be an object".to_owned(),
                        ));
                    }
                    has_system |= get(m, "role") == Some(b"\"system\"");
                    total += counter.message(m)?;
                }
            }
            (None, None) => {}
        }
        total += 3;
        if let Some(tools) = tools {
            let list = elements(tools).unwrap_or_default();
            total += counter.text(&function_definitions(&list)) + 9;
            if has_system {
                total = total.saturating_sub(4);
            }
        }
        Ok(total)
    }
}

struct Counter<'m> {
    model: &'m str,
}

impl Counter<'_> {
    fn text(&self, text: &str) -> u64 {
        count_text(self.model, text)
    }

    /// One message: 3, every string field's count (1 more for `name`), tool call arguments,
    /// content lists.
    fn message(&self, m: &[u8]) -> Result<u64, CountError> {
        let mut total = 3;
        for member in top_members(m).into_iter().flatten() {
            let key = key_of(m, &member.key).unwrap_or_default();
            let v = &m[member.value];
            if v == b"null" {
                continue;
            }
            match key.as_str() {
                "tool_calls" => {
                    for call in elements(v).unwrap_or_default() {
                        let args = get(call, "function")
                            .and_then(|f| get(f, "arguments"))
                            .unwrap_or(b"\"\"");
                        total += self.text(&python_str(args));
                    }
                }
                "function_call" => {
                    let args = get(v, "arguments").unwrap_or(b"\"\"");
                    total += self.text(&python_str(args));
                }
                _ => {
                    total += self.value(&key, v)?;
                    if key == "name" && v.first() == Some(&b'"') {
                        total += 1;
                    }
                }
            }
        }
        Ok(total)
    }

    /// A field's count: a string's text, a content list's blocks, nothing for other values.
    fn value(&self, key: &str, v: &[u8]) -> Result<u64, CountError> {
        if let Some(s) = string(v) {
            return Ok(self.text(&s));
        }
        if key == "content" {
            if let Some(list) = elements(v) {
                return self.content(&list);
            }
        }
        Ok(0)
    }

    /// `_count_content_list`.
    fn content(&self, blocks: &[&[u8]]) -> Result<u64, CountError> {
        let mut total = 0;
        for block in blocks {
            if let Some(s) = string(block) {
                total += self.text(&s);
                continue;
            }
            let kind = get(block, "type").and_then(string).unwrap_or_default();
            match kind.as_str() {
                "text" => total += self.text(&get(block, "text").map(python_str).unwrap_or_default()),
                "thinking" | "redacted_thinking" => {
                    total += self.text(&get(block, "thinking").map(python_str).unwrap_or_default())
                }
                "tool_reference" => {
                    total += self.text(&get(block, "tool_name").and_then(string).unwrap_or_default())
                }
                "tool_use" => {
                    for field in ["name", "input", "caller"] {
                        total += self.anthropic_field(get(block, field))?;
                    }
                }
                "tool_result" => total += self.anthropic_field(get(block, "content"))?,
                // `calculate_img_tokens` in its default `auto` mode: OpenAI's base 85 tokens,
                // the image itself not read.
                "image" => total += IMAGE_TOKENS,
                "image_url" => total += image_url_tokens(get(block, "image_url"))?,
                "document" => total += self.document(block)?,
                "file" | "search_result" => {
                    return Err(CountError::Unsupported(format!(
                        "content of type '{kind}' is not counted by corelane yet"
                    )))
                }
                other => {
                    return Err(CountError::Unsupported(format!(
                        "Invalid content item type: {other}. Expected str or dict with 'type' field (text, image_url, image, document, file, tool_use, tool_result, thinking, redacted_thinking, tool_reference, search_result)."
                    )))
                }
            }
        }
        Ok(total)
    }

    /// `_count_document_tokens`: its title and context, and a text source's text (a PDF's,
    /// which LiteLLM reads, is not counted here).
    fn document(&self, block: &[u8]) -> Result<u64, CountError> {
        let mut total = 0;
        for key in ["title", "context"] {
            if let Some(t) = get(block, key).and_then(string).filter(|t| !t.is_empty()) {
                total += self.text(&t);
            }
        }
        let source = get(block, "source")
            .filter(|s| is_object(s))
            .unwrap_or(b"{}");
        match get(source, "type").and_then(string).as_deref() {
            Some("text") => {
                Ok(total + self.text(&get(source, "data").and_then(string).unwrap_or_default()))
            }
            Some("content") => match get(source, "content") {
                Some(c) if string(c).is_some() => {
                    Ok(total + self.text(&string(c).unwrap_or_default()))
                }
                Some(c) => Ok(total + self.content(&elements(c).unwrap_or_default())?),
                None => Ok(total),
            },
            _ => Err(CountError::Unsupported(
                "a document other than text (a PDF) is not counted by corelane yet".to_owned(),
            )),
        }
    }

    /// A field of an Anthropic tool block: a string's text, a list's blocks, a dict's `str()`.
    fn anthropic_field(&self, v: Option<&[u8]>) -> Result<u64, CountError> {
        let Some(v) = v.filter(|v| *v != b"null") else {
            return Ok(0);
        };
        if let Some(s) = string(v) {
            return Ok(self.text(&s));
        }
        if let Some(list) = elements(v) {
            return self.content(&list);
        }
        if is_object(v) {
            return Ok(self.text(&python_str(v)));
        }
        Ok(0)
    }
}

/// An image's tokens in `calculate_img_tokens`' `low` and `auto` modes (OpenAI's base tokens).
const IMAGE_TOKENS: u64 = 85;

/// `_count_image_tokens`: an `image_url` (a URL string, or `{url, detail}`) costs the base
/// tokens; `detail: "high"` needs the image's size, which LiteLLM fetches: refused here.
fn image_url_tokens(image_url: Option<&[u8]>) -> Result<u64, CountError> {
    let invalid = |m: &str| Err(CountError::Unsupported(m.to_owned()));
    let Some(v) = image_url else {
        return invalid("Invalid image_url type: NoneType. Expected str or dict with 'url' field.");
    };
    if let Some(url) = string(v) {
        return if url.trim().is_empty() {
            invalid("Empty image_url string is not valid.")
        } else {
            Ok(IMAGE_TOKENS)
        };
    }
    if !is_object(v) {
        return invalid("Invalid image_url type. Expected str or dict with 'url' field.");
    }
    if get(v, "url").and_then(string).is_none_or(|u| u.is_empty()) {
        return invalid("Missing required key 'url' in image_url dict.");
    }
    match get(v, "detail").and_then(string).as_deref() {
        None | Some("auto" | "low") => Ok(IMAGE_TOKENS),
        Some("high") => invalid("an image_url with detail 'high' is not counted by corelane yet (LiteLLM reads the image's size)"),
        Some(other) => Err(CountError::Unsupported(format!(
            "Invalid detail value: {other}. Expected 'low', 'high', or 'auto'."
        ))),
    }
}

/// Python's `str()` of a JSON value (a string's text as it is).
fn python_str(v: &[u8]) -> String {
    if let Some(s) = string(v) {
        return s;
    }
    let mut out = String::new();
    py_repr(v, &mut out);
    out
}

/// A function definition's name, description and parameters, as found in a tool.
type Function<'b> = (Option<&'b [u8]>, Option<&'b [u8]>, Option<&'b [u8]>);

/// `_format_function_definitions`: the tools as OpenAI's TypeScript-like namespace.
fn function_definitions(tools: &[&[u8]]) -> String {
    let mut lines: Vec<String> = vec!["namespace functions {".to_owned(), String::new()];
    for tool in tools.iter().filter(|t| is_object(t)) {
        let functions: Vec<Function<'_>> =
            if let Some(f) = get(tool, "function").filter(|f| is_object(f)) {
                vec![(get(f, "name"), get(f, "description"), get(f, "parameters"))]
            } else if let Some(list) = get(tool, "function_declarations")
                .or_else(|| get(tool, "functionDeclarations"))
                .and_then(elements)
            {
                list.into_iter()
                    .filter(|d| is_object(d))
                    .map(|d| (get(d, "name"), get(d, "description"), get(d, "parameters")))
                    .collect()
            } else {
                let params = get(tool, "input_schema")
                    .filter(|p| *p != b"null")
                    .or_else(|| get(tool, "parameters"));
                vec![(get(tool, "name"), get(tool, "description"), params)]
            };
        for (name, description, parameters) in functions {
            let Some(name) = name
                .map(python_str)
                .filter(|n| !n.is_empty() && n != "None")
            else {
                continue;
            };
            let description = description
                .filter(|d| !matches!(*d, b"null" | b"\"\""))
                .map(python_str);
            let parameters = parameters.filter(|p| is_object(p));
            let properties = parameters
                .and_then(|p| get(p, "properties"))
                .filter(|p| is_object(p) && top_members(p).is_some_and(|mut m| m.next().is_some()));
            if let Some(d) = &description {
                lines.push(format!("// {d}"));
            }
            match (parameters, properties) {
                (Some(p), Some(_)) => {
                    lines.push(format!("type {name} = (_: {{"));
                    lines.push(object_parameters(p, 0, 0));
                    lines.push("}) => any;".to_owned());
                }
                _ => lines.push(format!("type {name} = () => any;")),
            }
            lines.push(String::new());
        }
    }
    lines.push("} // namespace functions".to_owned());
    lines.join("\n")
}

/// `_format_object_parameters`.
fn object_parameters(parameters: &[u8], indent: usize, depth: usize) -> String {
    let Some(properties) = get(parameters, "properties").filter(|p| is_object(p)) else {
        return String::new();
    };
    let required: std::collections::HashSet<String> = get(parameters, "required")
        .and_then(elements)
        .unwrap_or_default()
        .into_iter()
        .map(python_str)
        .collect();
    let mut lines = Vec::new();
    for m in top_members(properties).into_iter().flatten() {
        let key = key_of(properties, &m.key).unwrap_or_default();
        let props = &properties[m.value];
        if let Some(d) = get(props, "description").filter(|d| !matches!(*d, b"null" | b"\"\"")) {
            lines.push(format!("// {}", python_str(d)));
        }
        let question = if required.contains(&key) { "" } else { "?" };
        lines.push(format!(
            "{key}{question}: {},",
            format_type(props, indent, depth + 1)
        ));
    }
    lines
        .iter()
        .map(|l| format!("{}{l}", " ".repeat(indent)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `_format_type`.
/// Types nested deeper than this are written `any` (a schema's depth is the client's: each
/// level rescans the one below).
const MAX_TYPE_DEPTH: usize = 64;

fn format_type(props: &[u8], indent: usize, depth: usize) -> String {
    if depth > MAX_TYPE_DEPTH {
        return "any".to_owned();
    }
    let kind = get(props, "type").and_then(string).unwrap_or_default();
    let enumerated = || {
        get(props, "enum").map(|e| {
            elements(e)
                .unwrap_or_default()
                .into_iter()
                .map(|item| format!("\"{}\"", python_str(item)))
                .collect::<Vec<_>>()
                .join(" | ")
        })
    };
    match kind.as_str() {
        "string" => enumerated().unwrap_or_else(|| "string".to_owned()),
        "array" => format!(
            "{}[]",
            format_type(get(props, "items").unwrap_or(b"{}"), indent, depth + 1)
        ),
        "object" => format!(
            "{{\n{}\n}}",
            object_parameters(props, indent + 2, depth + 1)
        ),
        "integer" | "number" => enumerated().unwrap_or_else(|| "number".to_owned()),
        "boolean" => "boolean".to_owned(),
        "null" => "null".to_owned(),
        _ => "any".to_owned(),
    }
}

/// Writes LiteLLM's `TokenCountResponse` for a local count.
pub fn write_answer(total: u64, request_model: &str, model_used: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"total_tokens\":");
    out.extend_from_slice(itoa::Buffer::new().format(total).as_bytes());
    out.extend_from_slice(b",\"request_model\":");
    write_json_string(request_model, out);
    out.extend_from_slice(b",\"model_used\":");
    write_json_string(model_used, out);
    out.extend_from_slice(
        b",\"tokenizer_type\":\"openai_tokenizer\",\"count_source\":\"local_estimate\",\"original_response\":null,\"error\":false,\"error_message\":null,\"status_code\":null}",
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn count(body: &str) -> Result<u64, CountError> {
        read(body.as_bytes()).unwrap().count("gpt-4o")
    }

    #[test]
    fn counts_as_litellm_does() {
        // Observed against LiteLLM 1.108.7's proxy.
        assert_eq!(count(r#"{"model":"g","prompt":"hello world"}"#), Ok(2));
        assert_eq!(
            count(r#"{"model":"g","messages":[{"role":"user","content":"hello world"}]}"#),
            Ok(9)
        );
        assert_eq!(
            count(
                r#"{"model":"g","messages":[{"role":"user","content":"hello world","name":"bob"}]}"#
            ),
            Ok(11)
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(read(br#"{"prompt":"x"}"#), Err(CountError::MissingModel));
        assert_eq!(count(r#"{"model":"g"}"#), Err(CountError::NothingToCount));
        assert_eq!(
            count(r#"{"model":"g","prompt":"x","messages":[{"role":"user","content":"y"}]}"#),
            Err(CountError::PromptWithMessages)
        );
        assert!(matches!(
            count(
                r#"{"model":"g","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x","detail":"high"}}]}]}"#
            ),
            Err(CountError::Unsupported(_))
        ));
        // An image in the default mode costs OpenAI's base 85 tokens, unread.
        assert_eq!(
            count(
                r#"{"model":"g","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"iVBOR"}}]}]}"#
            ),
            Ok(3 + 1 + 85 + 3)
        );
        for body in [
            r#"{"model":"g","prompt":5}"#,
            r#"{"model":"g","prompt":"x","tools":{"a":1}}"#,
        ] {
            assert!(
                matches!(count(body), Err(CountError::Unsupported(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn long_text_is_counted_in_chunks_of_1024_characters() {
        let text = "é".repeat(2500);
        let chunked = count_text("gpt-4o", &text);
        let by_hand = count_tokens("gpt-4o", &"é".repeat(1024)) * 2
            + count_tokens("gpt-4o", &"é".repeat(452));
        assert_eq!(chunked, by_hand);
    }

    #[test]
    fn tools_are_written_as_a_namespace() {
        let tool = br#"{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string","description":"City"},"units":{"type":"string","enum":["C","F"]},"days":{"type":"array","items":{"type":"integer"}}},"required":["city"]}}}"#;
        assert_eq!(
            function_definitions(&[&tool[..]]),
            "namespace functions {\n\n// Weather\ntype get_weather = (_: {\n// City\ncity: string,\nunits?: \"C\" | \"F\",\ndays?: number[],\n}) => any;\n\n} // namespace functions"
        );
    }
}
