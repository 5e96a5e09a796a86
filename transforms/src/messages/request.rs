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

use crate::anthropic::request::{invalid, unsupported, Result};
use crate::json::value::{
    elements, fields, get, is_object, key_of, raw_string, string, write_py_dumps_string,
};
use crate::json::{top_members, write_json_string};

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
    // One walk of the top level: the keys translated here, and the others to pass on.
    let mut known: [Option<&[u8]>; TRANSLATED.len()] = [None; TRANSLATED.len()];
    let mut others: Vec<(String, &[u8])> = Vec::new();
    for m in top_members(body).into_iter().flatten() {
        let key = key_of(body, &m.key).unwrap_or_default();
        match TRANSLATED.iter().position(|k| *k == key) {
            Some(i) => known[i] = Some(&body[m.value]),
            None => others.push((key, &body[m.value])),
        }
    }
    let at = |key: &str| {
        TRANSLATED
            .iter()
            .position(|k| *k == key)
            .and_then(|i| known[i])
    };
    for key in ["mcp_servers", "container", "output_format"] {
        if at(key).is_some_and(|v| v != b"null") {
            return Err(unsupported(format!(
                "'{key}' is not supported on /v1/messages to this provider by corelane yet"
            )));
        }
    }
    let output_config = at("output_config");
    if output_config.and_then(|c| get(c, "format")).is_some() {
        return Err(unsupported(
            "'output_config.format' is not supported on /v1/messages to this provider by corelane yet",
        ));
    }
    out.extend_from_slice(b"{\"model\":");
    write_json_string(provider_model, out);
    out.extend_from_slice(b",\"messages\":[");
    let mut list = List::new(out);
    if let Some(system) = at("system") {
        system_message(system, &mut list);
    }
    let messages = at("messages")
        .and_then(elements)
        .ok_or_else(|| invalid("'messages' must be a list"))?;
    let mut leading = true;
    for m in messages {
        message(m, &mut leading, &mut list)?;
    }
    out.push(b']');
    if at("stream") == Some(b"true") {
        out.extend_from_slice(b",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    }
    if let Some(stop) = at("stop_sequences").filter(|v| non_empty(v)) {
        out.extend_from_slice(b",\"stop\":");
        out.extend_from_slice(stop);
    }
    if let Some(effort) = reasoning_effort(at("thinking"), output_config)? {
        out.extend_from_slice(b",\"reasoning_effort\":");
        write_json_string(effort, out);
    }
    if let Some(choice) = at("tool_choice").filter(|v| *v != b"null") {
        out.extend_from_slice(b",\"tool_choice\":");
        tool_choice(choice, out)?;
    }
    if let Some(tools) = at("tools").filter(|v| non_empty(v)) {
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
    for (key, value) in others {
        out.push(b',');
        write_json_string(&key, out);
        out.push(b':');
        out.extend_from_slice(value);
    }
    out.push(b'}');
    Ok(())
}

/// A JSON array being written element by element.
struct List<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> List<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        List { out, empty: true }
    }

    /// The output, after the separator of a new element.
    fn next(&mut self) -> &mut Vec<u8> {
        if !std::mem::take(&mut self.empty) {
            self.out.push(b',');
        }
        self.out
    }
}

fn non_empty(v: &[u8]) -> bool {
    !matches!(v, b"null" | b"[]" | b"\"\"" | b"{}" | b"false")
}

/// A block's `type`, compared without allocating when it is plain.
fn block_type(b: &[u8]) -> Option<&[u8]> {
    let v = get(b, "type")?;
    raw_string(v).map(|s| &s[1..s.len() - 1])
}

/// `{"type":"text","text":...}` with the text's JSON string as it came (`""` when absent).
fn text_part(text: Option<&[u8]>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
    out.extend_from_slice(text.and_then(raw_string).unwrap_or(b"\"\""));
    out.push(b'}');
}

/// Whether a raw JSON string is `""`.
fn is_empty_string(v: &[u8]) -> bool {
    v == b"\"\""
}

/// The top-level `system` (a string or text blocks) as the first chat message.
fn system_message(system: &[u8], list: &mut List<'_>) {
    if let Some(text) = raw_string(system) {
        if !is_empty_string(text) {
            let out = list.next();
            out.extend_from_slice(b"{\"role\":\"system\",\"content\":");
            out.extend_from_slice(text);
            out.push(b'}');
        }
        return;
    }
    let blocks = elements(system).unwrap_or_default();
    let texts: Vec<Option<&[u8]>> = blocks
        .iter()
        .filter(|b| block_type(b) == Some(b"text"))
        .map(|b| get(b, "text"))
        .collect();
    if texts.is_empty() {
        return;
    }
    let out = list.next();
    out.extend_from_slice(b"{\"role\":\"system\",\"content\":");
    crate::json::write_array(texts, out, text_part);
    out.push(b'}');
}

/// `anthropic_image_source_to_openai_url` as an `image_url` part; false (nothing written) for
/// other sources.
fn image_part(block: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(source) = get(block, "source") else {
        return false;
    };
    let [kind, data, media, url] = fields(source, ["type", "data", "media_type", "url"]);
    let url = match kind.and_then(string).as_deref() {
        Some("base64") => {
            let data = data.and_then(string).unwrap_or_default();
            if data.is_empty() {
                return false;
            }
            let media = media
                .and_then(string)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "image/jpeg".to_owned());
            format!("data:{media};base64,{data}")
        }
        Some("url") => url.and_then(string).unwrap_or_default(),
        _ => return false,
    };
    out.extend_from_slice(b"{\"type\":\"image_url\",\"image_url\":{\"url\":");
    write_json_string(&url, out);
    out.extend_from_slice(b"}}");
    true
}

/// One Anthropic message as zero or more chat messages. `leading`: no non-system message came
/// yet (a system message there stays one).
fn message(m: &[u8], leading: &mut bool, list: &mut List<'_>) -> Result<()> {
    let [role, content] = fields(m, ["role", "content"]);
    let content = content.unwrap_or(b"null");
    match role.and_then(raw_string) {
        Some(b"\"system\"") => system_turn(content, *leading, list),
        Some(b"\"user\"") => {
            *leading = false;
            user_turn(content, list);
        }
        Some(b"\"assistant\"") => {
            *leading = false;
            assistant_turn(content, list);
        }
        _ => {
            let role = role.and_then(string).unwrap_or_default();
            return Err(invalid(format!(
                "messages: role must be 'user' or 'assistant', got '{role}'"
            )));
        }
    }
    Ok(())
}

fn system_turn(content: &[u8], leading: bool, list: &mut List<'_>) {
    let texts: Vec<&[u8]> = match raw_string(content) {
        Some(s) => vec![s],
        None => elements(content)
            .unwrap_or_default()
            .iter()
            .filter(|b| block_type(b) == Some(b"text"))
            .map(|b| get(b, "text").and_then(raw_string).unwrap_or(b"\"\""))
            .collect(),
    };
    if texts.iter().all(|t| is_empty_string(t)) {
        return;
    }
    let out = list.next();
    if leading {
        out.extend_from_slice(b"{\"role\":\"system\",\"content\":");
        let joined: String = texts.iter().filter_map(|t| string(t)).collect();
        write_json_string(&joined, out);
        out.push(b'}');
    } else {
        out.extend_from_slice(b"{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":");
        write_json_string(SYSTEM_NOTE, out);
        out.push(b'}');
        for t in texts {
            out.push(b',');
            text_part(Some(t), out);
        }
        out.extend_from_slice(b"]}");
    }
}

fn user_turn(content: &[u8], list: &mut List<'_>) {
    if let Some(text) = raw_string(content) {
        if !is_empty_string(text) {
            let out = list.next();
            out.extend_from_slice(b"{\"role\":\"user\",\"content\":");
            out.extend_from_slice(text);
            out.push(b'}');
        }
        return;
    }
    let Some(blocks) = elements(content) else {
        return;
    };
    // Tool results go out first, then the other parts as one user message.
    let mut parts = Vec::new();
    for b in &blocks {
        let [kind, text, id, result] = fields(b, ["type", "text", "tool_use_id", "content"]);
        match kind.and_then(raw_string) {
            Some(b"\"text\"") => {
                if !parts.is_empty() {
                    parts.push(b',');
                }
                text_part(text, &mut parts);
            }
            Some(b"\"image\"" | b"\"document\"") => {
                let mark = parts.len();
                if !parts.is_empty() {
                    parts.push(b',');
                }
                if !image_part(b, &mut parts) {
                    parts.truncate(mark);
                }
            }
            Some(b"\"tool_result\"") => {
                let out = list.next();
                out.extend_from_slice(b"{\"role\":\"tool\",\"tool_call_id\":");
                out.extend_from_slice(id.and_then(raw_string).unwrap_or(b"\"\""));
                out.extend_from_slice(b",\"content\":");
                tool_result_content(result, out);
                out.push(b'}');
            }
            _ => {}
        }
    }
    if !parts.is_empty() {
        let out = list.next();
        out.extend_from_slice(b"{\"role\":\"user\",\"content\":[");
        out.extend_from_slice(&parts);
        out.extend_from_slice(b"]}");
    }
}

/// `_tool_result_content`: a string stays; parts (text, images) are kept, a lone text part
/// becomes its string; nothing is `""`.
fn tool_result_content(content: Option<&[u8]>, out: &mut Vec<u8>) {
    let content = content.unwrap_or(b"null");
    if let Some(s) = raw_string(content) {
        out.extend_from_slice(s);
        return;
    }
    let mut parts = Vec::new();
    let mut count = 0;
    let mut lone_text: Option<&[u8]> = None;
    for item in elements(content).unwrap_or_default() {
        let mark = parts.len();
        if count > 0 {
            parts.push(b',');
        }
        if let Some(s) = raw_string(item) {
            text_part(Some(s), &mut parts);
            lone_text = Some(s);
        } else {
            let [kind, text] = fields(item, ["type", "text"]);
            match kind.and_then(raw_string) {
                Some(b"\"text\"") => {
                    text_part(text, &mut parts);
                    lone_text = Some(text.and_then(raw_string).unwrap_or(b"\"\""));
                }
                Some(b"\"image\"" | b"\"document\"") if image_part(item, &mut parts) => {
                    lone_text = None;
                }
                _ => {
                    parts.truncate(mark);
                    continue;
                }
            }
        }
        count += 1;
    }
    match (count, lone_text) {
        (0, _) => out.extend_from_slice(b"\"\""),
        (1, Some(text)) => out.extend_from_slice(text),
        _ => {
            out.push(b'[');
            out.extend_from_slice(&parts);
            out.push(b']');
        }
    }
}

fn assistant_turn(content: &[u8], list: &mut List<'_>) {
    let mut text: Option<String> = string(content);
    let mut calls = Vec::new();
    let mut thinking = Vec::new();
    let mut any_thinking = false;
    for b in elements(content).unwrap_or_default() {
        if let Some(s) = string(b) {
            text = Some(s);
            continue;
        }
        let [kind, t, id, name, input, think] =
            fields(b, ["type", "text", "id", "name", "input", "thinking"]);
        match kind.and_then(raw_string) {
            Some(b"\"text\"") => text
                .get_or_insert_with(String::new)
                .push_str(&t.and_then(string).unwrap_or_default()),
            Some(b"\"tool_use\"") => {
                if !calls.is_empty() {
                    calls.push(b',');
                }
                calls.extend_from_slice(b"{\"id\":");
                calls.extend_from_slice(id.and_then(raw_string).unwrap_or(b"\"\""));
                calls.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
                calls.extend_from_slice(name.and_then(raw_string).unwrap_or(b"\"\""));
                calls.extend_from_slice(b",\"arguments\":");
                write_py_dumps_string(input.unwrap_or(b"{}"), &mut calls);
                calls.extend_from_slice(b"}}");
            }
            Some(b"\"thinking\"") => {
                any_thinking = true;
                let t = think.and_then(string).unwrap_or_default();
                if !t.is_empty() {
                    thinking.push(t);
                }
            }
            Some(b"\"redacted_thinking\"") => any_thinking = true,
            _ => {}
        }
    }
    if text.is_none() && calls.is_empty() && !any_thinking {
        return;
    }
    let out = list.next();
    out.extend_from_slice(b"{\"role\":\"assistant\"");
    if let Some(t) = &text {
        out.extend_from_slice(b",\"content\":");
        write_json_string(t, out);
    }
    if !calls.is_empty() {
        out.extend_from_slice(b",\"tool_calls\":[");
        out.extend_from_slice(&calls);
        out.push(b']');
    }
    if !thinking.is_empty() {
        out.extend_from_slice(b",\"reasoning_content\":");
        write_json_string(&thinking.join("\n"), out);
    }
    out.push(b'}');
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
        "enabled" => Some(effort_for_budget(thinking)),
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

/// LiteLLM's `reasoning_effort_from_thinking_budget`: a `thinking` object's `budget_tokens`
/// (0 when absent) as an OpenAI reasoning effort.
pub(crate) fn effort_for_budget(thinking: &[u8]) -> &'static str {
    let budget = get(thinking, "budget_tokens")
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<i64>().ok())
        .unwrap_or(0);
    match budget {
        b if b >= 4096 => "high",
        b if b >= 2048 => "medium",
        b if b >= 1024 => "low",
        _ => "minimal",
    }
}
