//! An Anthropic Messages request → the chat completions request LiteLLM sends an
//! OpenAI-compatible provider for it (`LiteLLMAnthropicMessagesAdapter.translate_anthropic_to_openai`,
//! then the provider's own request transform), checked against LiteLLM 1.108.7's proxy:
//!
//! - `system` (a string or text blocks) becomes the first message, `role: system`; a
//!   `system`-role message after the first turn becomes a user message led by LiteLLM's
//!   operator note (`convert_mid_conversation_system_turns`);
//! - a user turn's `tool_result` blocks become `role: tool` messages (a lone text part as a
//!   string), then its text, image and document blocks one user message of parts (images and
//!   documents as `image_url`, base64 sources as `data:` URLs); string content stays a string;
//! - an assistant turn's text blocks join into `content`, `tool_use` blocks become
//!   `tool_calls` (`arguments` is `json.dumps(input)`), thinking texts join with `\n` into
//!   `reasoning_content`;
//! - `tools` become functions (`input_schema` → `parameters`, `description`, `strict`; other
//!   keys join `parameters`), `tool_choice` maps `any`/`auto`/`none`/`tool`,
//!   `stop_sequences` → `stop`, `thinking` → `reasoning_effort` (budget buckets of 1024/2048/4096
//!   tokens; adaptive takes `output_config.effort`, else `medium`; disabled is `none`);
//! - `max_tokens`, `temperature`, `top_p`, `top_k` and any other key pass as they came;
//!   `stream` adds `stream_options.include_usage`.
//!
//! Refused (400), where LiteLLM would send what the provider cannot take or needs state this
//! bridge does not keep: Anthropic's hosted tools (`web_search`, `bash`, `computer`, ...),
//! tool names over 64 characters (LiteLLM truncates and maps them back), `output_format` /
//! `output_config.format`, `mcp_servers` and `container`. Left out: `cache_control` (OpenAI
//! providers do not take it), `metadata` (LiteLLM sends `user` and `prompt_cache_key` only to
//! providers that declare them), `context_management`.

use crate::anthropic::TransformError;
use crate::json::value::{elements, get, is_object, key_of, py_dumps, string};
use crate::json::{top_members, write_json_string};

type Result<T> = std::result::Result<T, TransformError>;

fn invalid(m: impl Into<String>) -> TransformError {
    TransformError::Invalid(m.into())
}

fn unsupported(m: impl Into<String>) -> TransformError {
    TransformError::Unsupported(m.into())
}

/// LiteLLM's note before a system message that came mid-conversation.
const SYSTEM_NOTE: &str =
    "Operator note (not from the user): the following was originally a mid-conversation system-role reminder.";

/// Keys the translation reads; every other top-level key passes as it came.
const TRANSLATED: &[&str] = &[
    "model",
    "messages",
    "system",
    "metadata",
    "tool_choice",
    "tools",
    "thinking",
    "output_format",
    "output_config",
    "stop_sequences",
    "stream",
    "context_management",
    "mcp_servers",
    "container",
];

/// Writes the chat completions body for the Messages request `body` (validated JSON).
pub fn to_chat_request(body: &[u8], provider_model: &str, out: &mut Vec<u8>) -> Result<()> {
    if !is_object(body) {
        return Err(invalid("the request body must be a JSON object"));
    }
    for key in ["mcp_servers", "container", "output_format"] {
        if get(body, key).is_some_and(|v| v != b"null") {
            return Err(unsupported(format!(
                "'{key}' is not supported on /v1/messages to this provider by corelane yet"
            )));
        }
    }
    let output_config = get(body, "output_config");
    if output_config.and_then(|c| get(c, "format")).is_some() {
        return Err(unsupported(
            "'output_config.format' is not supported on /v1/messages to this provider by corelane yet",
        ));
    }
    out.extend_from_slice(b"{\"model\":");
    write_json_string(provider_model, out);
    out.extend_from_slice(b",\"messages\":[");
    let mut first = true;
    let mut push = |m: &[u8], out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.extend_from_slice(m);
    };
    if let Some(system) = get(body, "system") {
        if let Some(m) = system_message(system)? {
            push(&m, out);
        }
    }
    let messages = get(body, "messages")
        .and_then(elements)
        .ok_or_else(|| invalid("'messages' must be a list"))?;
    let mut leading = true;
    for m in messages {
        for translated in message(m, &mut leading)? {
            push(&translated, out);
        }
    }
    out.push(b']');
    if get(body, "stream") == Some(b"true") {
        out.extend_from_slice(b",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    }
    if let Some(stop) = get(body, "stop_sequences").filter(|v| non_empty(v)) {
        out.extend_from_slice(b",\"stop\":");
        out.extend_from_slice(stop);
    }
    if let Some(effort) = reasoning_effort(get(body, "thinking"), output_config)? {
        out.extend_from_slice(b",\"reasoning_effort\":");
        write_json_string(effort, out);
    }
    if let Some(choice) = get(body, "tool_choice").filter(|v| *v != b"null") {
        out.extend_from_slice(b",\"tool_choice\":");
        tool_choice(choice, out)?;
    }
    if let Some(tools) = get(body, "tools").filter(|v| non_empty(v)) {
        out.extend_from_slice(b",\"tools\":[");
        let tools = elements(tools).ok_or_else(|| invalid("'tools' must be a list"))?;
        for (i, t) in tools.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            tool(t, i, out)?;
        }
        out.push(b']');
    }
    for m in top_members(body).into_iter().flatten() {
        let key = key_of(body, &m.key).unwrap_or_default();
        if TRANSLATED.contains(&key.as_str()) {
            continue;
        }
        out.push(b',');
        write_json_string(&key, out);
        out.push(b':');
        out.extend_from_slice(&body[m.value]);
    }
    out.push(b'}');
    Ok(())
}

fn non_empty(v: &[u8]) -> bool {
    !matches!(v, b"null" | b"[]" | b"\"\"" | b"{}" | b"false")
}

/// The top-level `system` as the first chat message (`None` when empty).
fn system_message(system: &[u8]) -> Result<Option<Vec<u8>>> {
    if let Some(text) = string(system) {
        if text.is_empty() {
            return Ok(None);
        }
        let mut m = b"{\"role\":\"system\",\"content\":".to_vec();
        write_json_string(&text, &mut m);
        m.push(b'}');
        return Ok(Some(m));
    }
    let Some(blocks) = elements(system) else {
        return Ok(None);
    };
    let parts: Vec<Vec<u8>> = blocks
        .iter()
        .filter(|b| block_type(b).as_deref() == Some("text"))
        .map(|b| text_part(&text_of(b)))
        .collect();
    if parts.is_empty() {
        return Ok(None);
    }
    let mut m = b"{\"role\":\"system\",\"content\":[".to_vec();
    m.extend_from_slice(&parts.join(&b","[..]));
    m.extend_from_slice(b"]}");
    Ok(Some(m))
}

fn block_type(b: &[u8]) -> Option<String> {
    get(b, "type").and_then(string)
}

fn text_of(b: &[u8]) -> String {
    get(b, "text").and_then(string).unwrap_or_default()
}

fn text_part(text: &str) -> Vec<u8> {
    let mut p = b"{\"type\":\"text\",\"text\":".to_vec();
    write_json_string(text, &mut p);
    p.push(b'}');
    p
}

/// `anthropic_image_source_to_openai_url` as an `image_url` part (`None` for other sources).
fn image_part(block: &[u8]) -> Option<Vec<u8>> {
    let source = get(block, "source")?;
    let url = match get(source, "type").and_then(string).as_deref() {
        Some("base64") => {
            let data = get(source, "data").and_then(string).unwrap_or_default();
            if data.is_empty() {
                return None;
            }
            let media = get(source, "media_type")
                .and_then(string)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "image/jpeg".to_owned());
            format!("data:{media};base64,{data}")
        }
        Some("url") => get(source, "url").and_then(string).unwrap_or_default(),
        _ => return None,
    };
    let mut p = b"{\"type\":\"image_url\",\"image_url\":{\"url\":".to_vec();
    write_json_string(&url, &mut p);
    p.extend_from_slice(b"}}");
    Some(p)
}

/// One Anthropic message as zero or more chat messages. `leading`: no non-system message came
/// yet (a system message there stays one).
fn message(m: &[u8], leading: &mut bool) -> Result<Vec<Vec<u8>>> {
    let role = get(m, "role").and_then(string).unwrap_or_default();
    let content = get(m, "content").unwrap_or(b"null");
    match role.as_str() {
        "system" => system_turn(content, *leading),
        "user" => {
            *leading = false;
            user_turn(content)
        }
        "assistant" => {
            *leading = false;
            Ok(assistant_turn(content).into_iter().collect())
        }
        other => Err(invalid(format!(
            "messages: role must be 'user' or 'assistant', got '{other}'"
        ))),
    }
}

fn system_turn(content: &[u8], leading: bool) -> Result<Vec<Vec<u8>>> {
    let texts: Vec<String> = match string(content) {
        Some(s) => vec![s],
        None => elements(content)
            .unwrap_or_default()
            .iter()
            .filter(|b| block_type(b).as_deref() == Some("text"))
            .map(|b| text_of(b))
            .collect(),
    };
    if texts.iter().all(String::is_empty) {
        return Ok(Vec::new());
    }
    let mut m = Vec::new();
    if leading {
        m.extend_from_slice(b"{\"role\":\"system\",\"content\":");
        write_json_string(&texts.concat(), &mut m);
        m.push(b'}');
    } else {
        m.extend_from_slice(b"{\"role\":\"user\",\"content\":[");
        m.extend_from_slice(&text_part(SYSTEM_NOTE));
        for t in &texts {
            m.push(b',');
            m.extend_from_slice(&text_part(t));
        }
        m.extend_from_slice(b"]}");
    }
    Ok(vec![m])
}

fn user_turn(content: &[u8]) -> Result<Vec<Vec<u8>>> {
    if let Some(text) = string(content) {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let mut m = b"{\"role\":\"user\",\"content\":".to_vec();
        write_json_string(&text, &mut m);
        m.push(b'}');
        return Ok(vec![m]);
    }
    let Some(blocks) = elements(content) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut parts = Vec::new();
    for b in &blocks {
        match block_type(b).as_deref() {
            Some("text") => parts.push(text_part(&text_of(b))),
            Some("image" | "document") => parts.extend(image_part(b)),
            Some("tool_result") => {
                let mut t = b"{\"role\":\"tool\",\"tool_call_id\":".to_vec();
                let id = get(b, "tool_use_id").and_then(string).unwrap_or_default();
                write_json_string(&id, &mut t);
                t.extend_from_slice(b",\"content\":");
                tool_result_content(get(b, "content"), &mut t);
                t.push(b'}');
                out.push(t);
            }
            _ => {}
        }
    }
    if !parts.is_empty() {
        let mut m = b"{\"role\":\"user\",\"content\":[".to_vec();
        m.extend_from_slice(&parts.join(&b","[..]));
        m.extend_from_slice(b"]}");
        out.push(m);
    }
    Ok(out)
}

/// `_tool_result_content`: a string stays; parts (text, images) are kept, a lone text part
/// becomes its string; nothing is `""`.
fn tool_result_content(content: Option<&[u8]>, out: &mut Vec<u8>) {
    let content = content.unwrap_or(b"null");
    if let Some(s) = string(content) {
        write_json_string(&s, out);
        return;
    }
    let mut parts: Vec<(Option<String>, Vec<u8>)> = Vec::new();
    for item in elements(content).unwrap_or_default() {
        if let Some(s) = string(item) {
            parts.push((Some(s.clone()), text_part(&s)));
            continue;
        }
        match block_type(item).as_deref() {
            Some("text") => {
                let t = text_of(item);
                parts.push((Some(t.clone()), text_part(&t)));
            }
            Some("image" | "document") => {
                if let Some(p) = image_part(item) {
                    parts.push((None, p));
                }
            }
            _ => {}
        }
    }
    match parts.as_slice() {
        [] => out.extend_from_slice(b"\"\""),
        [(Some(text), _)] => write_json_string(text, out),
        _ => {
            out.push(b'[');
            let joined: Vec<&[u8]> = parts.iter().map(|(_, p)| p.as_slice()).collect();
            out.extend_from_slice(&joined.join(&b","[..]));
            out.push(b']');
        }
    }
}

fn assistant_turn(content: &[u8]) -> Option<Vec<u8>> {
    let mut text: Option<String> = string(content);
    let mut calls = Vec::new();
    let mut thinking = Vec::new();
    let mut any_thinking = false;
    for b in elements(content).unwrap_or_default() {
        if let Some(s) = string(b) {
            text = Some(s);
            continue;
        }
        match block_type(b).as_deref() {
            Some("text") => text.get_or_insert_with(String::new).push_str(&text_of(b)),
            Some("tool_use") => {
                let mut c = b"{\"id\":".to_vec();
                let id = get(b, "id").and_then(string).unwrap_or_default();
                write_json_string(&id, &mut c);
                c.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
                let name = get(b, "name").and_then(string).unwrap_or_default();
                write_json_string(&name, &mut c);
                c.extend_from_slice(b",\"arguments\":");
                let mut args = String::new();
                py_dumps(get(b, "input").unwrap_or(b"{}"), &mut args);
                write_json_string(&args, &mut c);
                c.extend_from_slice(b"}}");
                calls.push(c);
            }
            Some("thinking") => {
                any_thinking = true;
                let t = get(b, "thinking").and_then(string).unwrap_or_default();
                if !t.is_empty() {
                    thinking.push(t);
                }
            }
            Some("redacted_thinking") => any_thinking = true,
            _ => {}
        }
    }
    if text.is_none() && calls.is_empty() && !any_thinking {
        return None;
    }
    let mut m = b"{\"role\":\"assistant\"".to_vec();
    if let Some(t) = &text {
        m.extend_from_slice(b",\"content\":");
        write_json_string(t, &mut m);
    }
    if !calls.is_empty() {
        m.extend_from_slice(b",\"tool_calls\":[");
        m.extend_from_slice(&calls.join(&b","[..]));
        m.push(b']');
    }
    if !thinking.is_empty() {
        m.extend_from_slice(b",\"reasoning_content\":");
        write_json_string(&thinking.join("\n"), &mut m);
    }
    m.push(b'}');
    Some(m)
}

/// `translate_anthropic_thinking_to_reasoning_effort`, with an adaptive request's
/// `output_config.effort` first.
fn reasoning_effort(
    thinking: Option<&[u8]>,
    output_config: Option<&[u8]>,
) -> Result<Option<&'static str>> {
    let Some(thinking) = thinking.filter(|t| is_object(t) && *t != b"{}") else {
        return Ok(None);
    };
    let kind = get(thinking, "type")
        .and_then(string)
        .unwrap_or_else(|| "disabled".to_owned());
    Ok(match kind.as_str() {
        "disabled" => Some("none"),
        "enabled" => {
            let budget = get(thinking, "budget_tokens")
                .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<i64>().ok())
                .unwrap_or(0);
            Some(match budget {
                b if b >= 4096 => "high",
                b if b >= 2048 => "medium",
                b if b >= 1024 => "low",
                _ => "minimal",
            })
        }
        "adaptive" => {
            let effort = output_config
                .and_then(|c| get(c, "effort"))
                .and_then(string);
            Some(match effort.as_deref() {
                None | Some("") => "medium",
                Some("low") => "low",
                Some("medium") => "medium",
                Some("high") => "high",
                Some("minimal") => "minimal",
                Some("xhigh") => "xhigh",
                Some("max") => "max",
                Some(other) => {
                    return Err(invalid(format!(
                        "output_config.effort: unknown effort '{other}'"
                    )))
                }
            })
        }
        _ => None,
    })
}

fn tool_choice(choice: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let kind = get(choice, "type").and_then(string).unwrap_or_default();
    match kind.as_str() {
        "any" => out.extend_from_slice(b"\"required\""),
        "auto" => out.extend_from_slice(b"\"auto\""),
        "none" => out.extend_from_slice(b"\"none\""),
        "tool" => {
            let name = get(choice, "name").and_then(string).unwrap_or_default();
            check_name(&name)?;
            out.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"name\":");
            write_json_string(&name, out);
            out.extend_from_slice(b"}}");
        }
        _ => {
            return Err(invalid(format!(
                "Incompatible tool choice param submitted - {}",
                String::from_utf8_lossy(choice)
            )))
        }
    }
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    if name.chars().count() > 64 {
        return Err(unsupported(format!(
            "tool name '{name}' is longer than the 64 characters OpenAI-compatible providers accept"
        )));
    }
    Ok(())
}

/// Keys of an Anthropic tool that are not merged into the function's `parameters`.
const MAPPED_TOOL_KEYS: &[&str] = &[
    "name",
    "input_schema",
    "description",
    "cache_control",
    "strict",
    "type",
    "eager_input_streaming",
];

fn tool(t: &[u8], index: usize, out: &mut Vec<u8>) -> Result<()> {
    if let Some(kind) = get(t, "type").and_then(string) {
        if kind == "function" {
            // Already an OpenAI function tool: LiteLLM passes it as it came.
            out.extend_from_slice(t);
            return Ok(());
        }
        if kind != "custom" {
            return Err(unsupported(format!(
                "Anthropic's hosted tool '{kind}' is not supported on /v1/messages to this provider"
            )));
        }
    }
    let name = get(t, "name")
        .and_then(string)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("litellm_unnamed_tool_{index}"));
    check_name(&name)?;
    out.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"name\":");
    write_json_string(&name, out);
    let extra: Vec<(String, &[u8])> = top_members(t)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let k = key_of(t, &m.key)?;
            (!MAPPED_TOOL_KEYS.contains(&k.as_str())).then(|| (k, &t[m.value]))
        })
        .collect();
    let schema = get(t, "input_schema");
    if schema.is_some() || !extra.is_empty() {
        out.extend_from_slice(b",\"parameters\":");
        match (schema, extra.is_empty()) {
            (Some(s), true) => out.extend_from_slice(s),
            (s, false) => {
                // `function_chunk.setdefault("parameters", {}).update({k: v})`.
                let base = s.filter(|s| is_object(s)).unwrap_or(b"{}");
                let mut members: Vec<(String, &[u8])> = top_members(base)
                    .into_iter()
                    .flatten()
                    .filter_map(|m| Some((key_of(base, &m.key)?, &base[m.value])))
                    .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
                    .collect();
                members.extend(extra.iter().cloned());
                out.push(b'{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_string(k, out);
                    out.push(b':');
                    out.extend_from_slice(v);
                }
                out.push(b'}');
            }
            (None, true) => {}
        }
    }
    if let Some(d) = get(t, "description") {
        out.extend_from_slice(b",\"description\":");
        out.extend_from_slice(d);
    }
    if let Some(s) = get(t, "strict") {
        out.extend_from_slice(b",\"strict\":");
        out.extend_from_slice(if s == b"true" { b"true" } else { b"false" });
    }
    out.extend_from_slice(b"}}");
    Ok(())
}
