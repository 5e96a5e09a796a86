//! OpenAI chat and text completions → the `/api/generate` body LiteLLM 1.108.7 sends for them
//! (`OllamaConfig.transform_request`): chat messages flattened into one prompt of
//! `### User:`, `### System:` and `### Assistant:` sections as `ollama_pt` writes it, the user
//! turns' images beside it; a text prompt as given (a list of prompts joined). The options are
//! [`super::request`]'s, with `frequency_penalty` kept by its name and `keep_alive` among them.
//!
//! Tools are written into the prompt as LiteLLM's `function_call_prompt` writes them (its
//! header, then each tool as Python prints it, appended to the system messages or as a system
//! section of its own) and the answer is asked for as JSON (`format: "json"`), which the
//! answer's translation reads back as a tool call ([`super::response::generate_response`]).
//!
//! Refused where corelane does not follow LiteLLM: remote image URLs (LiteLLM downloads them),
//! token prompts, and tool call arguments that are not JSON (LiteLLM fails with a 500).

use super::request::{
    base64_of, content_text, format, image_urls, read_params, think, write_model, write_options,
    write_stream, Params,
};
use super::Api;
use crate::anthropic::request::{invalid, unsupported, Result};
use crate::chat::{request_object, role_of, Role};
use crate::json::tape::Scratch;
use crate::json::value::{elements, get, string};
use crate::json::write_json_string;

/// Turns a chat-completions `body` into the `/api/generate` body for `model`: the messages
/// flattened into a prompt as LiteLLM's `ollama_pt` does. Appended to `out` (left as it was
/// on error).
pub fn generate_request(
    body: &[u8],
    model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<bool> {
    let body = request_object(body, scratch)?;
    let p = read_params(body, Api::Generate, model)?;
    let messages = p
        .messages
        .and_then(elements)
        .ok_or_else(|| invalid("messages: expected a list of messages"))?;
    let tools = p
        .tools
        .and_then(elements)
        .filter(|t| !t.is_empty())
        .map(|tools| function_prompt(&tools));
    let (prompt, images) = flatten(&messages, tools.as_deref())?;
    // Tools make LiteLLM ask for JSON whatever `response_format` says.
    let format = match tools {
        Some(_) => Some(&b"\"json\""[..]),
        None => p.response_format.and_then(format),
    };
    let mut buf = Vec::with_capacity(body.len() + 128);
    write_model(model, &mut buf);
    buf.extend_from_slice(b",\"prompt\":");
    write_json_string(&prompt, &mut buf);
    if let Some(k) = p.keep_alive {
        let mut p = Params {
            options: p.options.clone(),
            ..Params::default()
        };
        p.options.push(("keep_alive", k));
        write_options(&p, &mut buf);
    } else {
        write_options(&p, &mut buf);
    }
    write_stream(p.stream, &mut buf);
    if let Some(f) = format {
        buf.extend_from_slice(b",\"format\":");
        buf.extend_from_slice(f);
    }
    buf.extend_from_slice(b",\"images\":[");
    for (n, url) in images.iter().enumerate() {
        if n > 0 {
            buf.push(b',');
        }
        if url.starts_with("http://") || url.starts_with("https://") {
            return Err(unsupported(
                "image URLs are not supported for ollama by corelane yet (LiteLLM downloads them); send a data: URL",
            ));
        }
        write_json_string(base64_of(url), &mut buf);
    }
    buf.push(b']');
    if let Some(e) = p.reasoning_effort {
        buf.extend_from_slice(b",\"think\":");
        think(e, model, &mut buf);
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(format == Some(&b"\"json\""[..]))
}

/// LiteLLM's `function_call_prompt` header, before the tools it lists.
const FUNCTION_PROMPT: &str = "To call a function, reply with JSON ONLY in this format {\"name\": \"function_name\", \"arguments\":{\"argument_name\": \"argument_value\"}}. Once a function result answers the request, reply to the user in plain text instead of calling a function again. The following functions are available to you:";

/// The text LiteLLM adds to the system prompt for `tools` on `/api/generate`: its header,
/// then each tool as Python prints the dict, on a line of its own.
fn function_prompt(tools: &[&[u8]]) -> String {
    let mut prompt = String::from(FUNCTION_PROMPT);
    for tool in tools {
        prompt.push('\n');
        crate::json::value::py_repr(tool, &mut prompt);
        prompt.push('\n');
    }
    prompt
}

/// `ollama_pt`: runs of user (and tool) messages, then of system messages, then of assistant
/// messages, each run one section of the prompt; the user turns' images beside it.
/// With `functions` (LiteLLM's function prompt), every system message ends with it after a
/// space, or a system section of it ends the prompt when there is no system message.
fn flatten(messages: &[&[u8]], functions: Option<&str>) -> Result<(String, Vec<String>)> {
    let mut prompt = String::new();
    let mut images = Vec::new();
    let roles = messages
        .iter()
        .map(|m| role_of(m))
        .collect::<Result<Vec<_>>>()?;
    let mut i = 0;
    while i < messages.len() {
        let start = i;
        let mut user = Vec::new();
        while i < messages.len() && matches!(roles[i], Role::User | Role::Tool | Role::Function) {
            let content = get(messages[i], "content");
            let texts: Vec<String> = match content {
                None | Some(b"null") => Vec::new(),
                Some(c) => match string(c) {
                    Some(s) => (!s.is_empty()).then_some(s).into_iter().collect(),
                    None => {
                        let parts = elements(c).ok_or_else(|| {
                            invalid("messages: content must be a string or a list of content parts")
                        })?;
                        let mut texts = Vec::new();
                        for part in parts {
                            if let Some(t) = get(part, "text").and_then(string) {
                                if !t.is_empty() {
                                    texts.push(t);
                                }
                            }
                        }
                        texts
                    }
                },
            };
            if !texts.is_empty() {
                user.push(texts.join("\n"));
            }
            images.extend(image_urls(content));
            i += 1;
        }
        if !user.is_empty() {
            prompt.push_str("### User:\n");
            prompt.push_str(&user.join("\n"));
            prompt.push_str("\n\n");
        }
        let mut system = String::new();
        while i < messages.len() && roles[i] == Role::System {
            system.push_str(&content_text(get(messages[i], "content")));
            if let Some(f) = functions.filter(|_| is_system(messages[i])) {
                system.push(' ');
                system.push_str(f);
            }
            i += 1;
        }
        if !system.is_empty() {
            prompt.push_str("### System:\n");
            prompt.push_str(&system);
            prompt.push_str("\n\n");
        }
        let mut assistant = String::new();
        while i < messages.len() && roles[i] == Role::Assistant {
            assistant.push_str(&content_text(get(messages[i], "content")));
            if let Some(calls) = get(messages[i], "tool_calls")
                .and_then(elements)
                .filter(|c| !c.is_empty())
            {
                if !assistant.is_empty() {
                    assistant.push('\n');
                }
                for (n, call) in calls.iter().enumerate() {
                    if n > 0 {
                        assistant.push('\n');
                    }
                    assistant.push_str(&dumped_call(call)?);
                }
            }
            i += 1;
        }
        if !assistant.is_empty() {
            prompt.push_str("### Assistant:\n");
            prompt.push_str(&assistant);
            prompt.push_str("\n\n");
        }
        if i == start {
            return Err(invalid(
                "messages: a message could not be placed in the prompt",
            ));
        }
    }
    if let Some(f) = functions.filter(|_| !messages.iter().any(|m| is_system(m))) {
        prompt.push_str("### System:\n");
        prompt.push_str(f);
        prompt.push_str("\n\n");
    }
    Ok((prompt, images))
}

/// `_is_system_message`: a role naming `system` (not `developer`).
fn is_system(message: &[u8]) -> bool {
    get(message, "role")
        .and_then(string)
        .is_some_and(|r| r.contains("system"))
}

/// `json.dumps({"name": ..., "arguments": json.loads(arguments)})` of one tool call.
fn dumped_call(call: &[u8]) -> Result<String> {
    let function = get(call, "function").unwrap_or(b"{}");
    let name = get(function, "name").unwrap_or(b"null");
    let arguments = get(function, "arguments")
        .and_then(string)
        .filter(|a| serde_json::from_str::<serde::de::IgnoredAny>(a).is_ok())
        .ok_or_else(|| invalid("messages: a tool call's arguments must be a JSON string"))?;
    let mut object = b"{\"name\":".to_vec();
    object.extend_from_slice(name);
    object.extend_from_slice(b",\"arguments\":");
    object.extend_from_slice(arguments.as_bytes());
    object.push(b'}');
    let mut quoted = Vec::new();
    crate::json::value::write_py_dumps_string(&object, &mut quoted);
    Ok(string(&quoted).unwrap_or_default())
}

/// Turns a text-completions `body` into the `/api/generate` body for `model`: the prompt as
/// given, a list of prompts joined into one (LiteLLM's `get_str_from_messages` of the one
/// user message it makes of them).
pub fn text_request(
    body: &[u8],
    model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    let body = request_object(body, scratch)?;
    let p = read_params(body, Api::Generate, model)?;
    let prompt = prompt_text(p.prompt)?;
    let mut buf = Vec::with_capacity(prompt.len() + 128);
    write_model(model, &mut buf);
    buf.extend_from_slice(b",\"prompt\":");
    write_json_string(&prompt, &mut buf);
    write_options(&p, &mut buf);
    write_stream(p.stream, &mut buf);
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

/// A text-completions prompt as one text: a string as it is, a list of strings joined.
fn prompt_text(prompt: Option<&[u8]>) -> Result<String> {
    let prompt = prompt.ok_or_else(|| invalid("prompt: required"))?;
    if let Some(s) = string(prompt) {
        return Ok(s);
    }
    let parts = elements(prompt)
        .filter(|parts| !parts.is_empty())
        .ok_or_else(|| invalid("prompt: expected a string or a list of strings"))?;
    let mut joined = String::new();
    for part in parts {
        joined.push_str(&string(part).ok_or_else(|| {
            unsupported("token prompts are not supported for ollama by corelane yet: send text")
        })?);
    }
    Ok(joined)
}

/// Turns a text-completions `body` into the `/api/chat` body for `model` (`ollama_chat/`):
/// the prompt as the one user message, as LiteLLM's `text_completion` sends it.
pub fn text_chat_request(
    body: &[u8],
    model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    let body = request_object(body, scratch)?;
    let p = read_params(body, Api::Chat, model)?;
    let prompt = prompt_text(p.prompt)?;
    let mut buf = Vec::with_capacity(prompt.len() + 128);
    write_model(model, &mut buf);
    buf.extend_from_slice(b",\"messages\":[{\"role\":\"user\",\"content\":");
    write_json_string(&prompt, &mut buf);
    buf.extend_from_slice(b",\"images\":[]}]");
    write_options(&p, &mut buf);
    write_stream(p.stream, &mut buf);
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}
