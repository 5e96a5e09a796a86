//! The Responses API in front of a provider that has only chat completions, as LiteLLM
//! 1.108.7's bridge does it (`responses/litellm_completion_transformation/transformation.py`):
//!
//! - [`to_chat_request`]: `instructions` and `input` become messages; function tools, their
//!   `tool_choice`, `text.format`, `reasoning.effort` and the sampling parameters their chat
//!   names; parameters the Responses API alone has are not sent (`store`, `include`,
//!   `truncation`, `previous_response_id`, ...), three are refused as LiteLLM refuses them
//!   (`max_tool_calls`, `partial_images`, `prompt_cache_options`), and any other key goes on as
//!   it came;
//! - [`echo`]: the request's fields a response repeats;
//! - [`from_chat`]: a chat completion becomes a response (reasoning, message and function call
//!   items; the finish reason as its status; usage in the Responses API's names).
//!
//! What it does not translate yet is refused with a clear 400: input items other than
//! messages, function calls, their outputs and reasoning; tools other than functions and web
//! search. A `previous_response_id` is echoed but its history not replayed: LiteLLM rebuilds it
//! from its spend logs, which corelane does not keep yet.

use crate::anthropic::request::{invalid, unsupported, Result, TransformError};
use crate::json::top_members;
use crate::json::value::{elements, get, is_null, is_object, key_of, string};
use crate::json::write_json_string;
use crate::usage::Usage;

/// The request fields a response repeats (`_EchoedResponsesRequestParams`), and `tool_choice`.
pub const ECHOED: &[&str] = &[
    "instructions",
    "metadata",
    "parallel_tool_calls",
    "temperature",
    "tools",
    "top_p",
    "max_output_tokens",
    "previous_response_id",
    "reasoning",
    "text",
    "truncation",
    "user",
    "store",
    "tool_choice",
];

/// Responses API parameters the bridge never sends on.
const NOT_BRIDGED: &[&str] = &[
    "include",
    "store",
    "background",
    "truncation",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "stream_options",
    "top_logprobs",
    "conversation",
    "input",
    "model",
    "stream",
    "extra_body",
];

/// The chat keys the bridge writes itself: a client key of the same name is not sent again.
const WRITTEN: &[&str] = &[
    "messages",
    "max_tokens",
    "response_format",
    "reasoning_effort",
    "web_search_options",
];

/// Responses API parameters LiteLLM's bridge refuses (`UnsupportedParamsError`) unless
/// `drop_params`.
const UNTRANSLATABLE: &[&str] = &["max_tool_calls", "partial_images", "prompt_cache_options"];

/// Writes the chat completions request for the client's Responses API `body`.
pub fn to_chat_request(
    body: &[u8],
    provider_model: &str,
    provider: &str,
    out: &mut Vec<u8>,
) -> Result<()> {
    if !is_object(body) {
        return Err(invalid("the request body must be a JSON object"));
    }
    let mut refused: Vec<String> = Vec::new();
    let mut others: Vec<(String, &[u8])> = Vec::new();
    for m in top_members(body).into_iter().flatten() {
        let Some(key) = key_of(body, &m.key) else {
            continue;
        };
        let value = &body[m.value];
        if UNTRANSLATABLE.contains(&key.as_str()) {
            if value != b"null" {
                refused.push(key);
            }
        } else if !NOT_BRIDGED.contains(&key.as_str())
            && !is_translated(&key)
            && !WRITTEN.contains(&key.as_str())
        {
            // The last of a repeated key, once.
            others.retain(|(k, _)| *k != key);
            others.push((key, value));
        }
    }
    if !refused.is_empty() {
        refused.sort();
        let list = refused
            .iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(TransformError::UnsupportedParams {
            message: format!(
                "{provider} does not support parameters: [{list}], for model={provider_model}. The Responses API to chat completions bridge cannot translate them. To drop these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n. \n If you want to use these params dynamically send allowed_openai_params=[{list}] in your request."
            ),
            params: refused,
        });
    }
    let field = |key: &str| get(body, key).filter(|v| !is_null(Some(v)));
    out.extend_from_slice(b"{\"messages\":[");
    let mut first = true;
    if let Some(instructions) = field("instructions")
        .and_then(string)
        .filter(|s| !s.is_empty())
    {
        out.extend_from_slice(b"{\"role\":\"system\",\"content\":");
        write_json_string(&instructions, out);
        out.push(b'}');
        first = false;
    }
    match field("input") {
        Some(input) if input.first() == Some(&b'"') => {
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"role\":\"user\",\"content\":");
            out.extend_from_slice(input);
            out.push(b'}');
        }
        Some(input) => {
            let items = elements(input)
                .ok_or_else(|| invalid("'input' must be a string or a list of items"))?;
            write_input_items(&items, first, out)?;
        }
        None => return Err(invalid("Missing required parameter: 'input'.")),
    }
    out.extend_from_slice(b"],\"model\":");
    write_json_string(provider_model, out);
    let tools = field("tools").map(write_tools).transpose()?;
    let (chat_tools, web_search) = tools.unwrap_or_default();
    let has_tools = chat_tools.len() > 2;
    if has_tools {
        if let Some(choice) = field("tool_choice") {
            out.extend_from_slice(b",\"tool_choice\":");
            write_tool_choice(choice, out);
        }
        out.extend_from_slice(b",\"tools\":");
        out.extend_from_slice(&chat_tools);
    }
    for (name, chat_name) in [
        ("top_p", "top_p"),
        ("user", "user"),
        ("temperature", "temperature"),
        ("parallel_tool_calls", "parallel_tool_calls"),
        ("max_output_tokens", "max_tokens"),
    ] {
        if name == "parallel_tool_calls" && !has_tools {
            continue;
        }
        if let Some(v) = field(name) {
            out.push(b',');
            write_json_string(chat_name, out);
            out.push(b':');
            out.extend_from_slice(v);
        }
    }
    let stream = field("stream") == Some(b"true".as_slice());
    if stream {
        out.extend_from_slice(b",\"stream\":true");
    }
    // `metadata` is LiteLLM's own (its logging), never the provider's.
    for name in ["service_tier", "safety_identifier"] {
        if let Some(v) = field(name) {
            out.push(b',');
            write_json_string(name, out);
            out.push(b':');
            out.extend_from_slice(v);
        }
    }
    if let Some(options) = web_search {
        out.extend_from_slice(b",\"web_search_options\":");
        out.extend_from_slice(&options);
    }
    if let Some(format) = field("text").and_then(|t| get(t, "format")) {
        write_response_format(format, out);
    }
    if let Some(effort) = field("reasoning")
        .and_then(|r| get(r, "effort"))
        .filter(|v| !is_null(Some(v)))
    {
        out.extend_from_slice(b",\"reasoning_effort\":");
        out.extend_from_slice(effort);
    }
    for (key, value) in others {
        out.push(b',');
        write_json_string(&key, out);
        out.push(b':');
        out.extend_from_slice(value);
    }
    if stream {
        out.extend_from_slice(b",\"stream_options\":{\"include_usage\":true}");
    }
    out.push(b'}');
    Ok(())
}

/// Keys [`to_chat_request`] translates itself (or leaves out).
fn is_translated(key: &str) -> bool {
    matches!(
        key,
        "instructions"
            | "tools"
            | "tool_choice"
            | "top_p"
            | "user"
            | "temperature"
            | "parallel_tool_calls"
            | "max_output_tokens"
            | "metadata"
            | "service_tier"
            | "safety_identifier"
            | "text"
            | "reasoning"
    )
}

/// The input items as chat messages: messages with their parts, function calls (in a row, one
/// assistant message), their outputs as tool messages, and reasoning carried to the next
/// assistant message as `reasoning_content`.
fn write_input_items(items: &[&[u8]], mut first: bool, out: &mut Vec<u8>) -> Result<()> {
    let mut reasoning: Option<String> = None;
    let mut i = 0;
    let sep = |out: &mut Vec<u8>, first: &mut bool| {
        if !*first {
            out.push(b',');
        }
        *first = false;
    };
    while i < items.len() {
        let item = items[i];
        if !is_object(item) {
            return Err(invalid("each input item must be an object"));
        }
        let kind = get(item, "type").and_then(string);
        match kind.as_deref() {
            None | Some("message") => {
                let role = get(item, "role")
                    .and_then(string)
                    .ok_or_else(|| invalid("an input message needs a 'role'"))?;
                let role = if role == "developer" { "system".to_owned() } else { role };
                sep(out, &mut first);
                out.extend_from_slice(b"{\"role\":");
                write_json_string(&role, out);
                out.extend_from_slice(b",\"content\":");
                match get(item, "content") {
                    Some(c) if c.first() == Some(&b'[') => write_parts(c, out)?,
                    Some(c) => out.extend_from_slice(c),
                    None => out.extend_from_slice(b"\"\""),
                }
                if role == "assistant" {
                    if let Some(r) = reasoning.take() {
                        out.extend_from_slice(b",\"reasoning_content\":");
                        write_json_string(&r, out);
                    }
                }
                out.push(b'}');
                i += 1;
            }
            Some("function_call") => {
                sep(out, &mut first);
                out.extend_from_slice(b"{\"role\":\"assistant\"");
                if let Some(r) = reasoning.take() {
                    out.extend_from_slice(b",\"reasoning_content\":");
                    write_json_string(&r, out);
                }
                out.extend_from_slice(b",\"tool_calls\":[");
                let mut index = 0;
                while let Some(call) = items
                    .get(i)
                    .filter(|c| get(c, "type").and_then(string).as_deref() == Some("function_call"))
                {
                    if index > 0 {
                        out.push(b',');
                    }
                    let [call_id, name, arguments] = crate::json::value::fields(call, ["call_id", "name", "arguments"]);
                    out.extend_from_slice(b"{\"id\":");
                    out.extend_from_slice(call_id.unwrap_or(b"null"));
                    out.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
                    out.extend_from_slice(name.unwrap_or(b"null"));
                    out.extend_from_slice(b",\"arguments\":");
                    out.extend_from_slice(arguments.unwrap_or(b"\"\""));
                    out.extend_from_slice(b"},\"index\":");
                    crate::json::write_u64(index, out);
                    out.push(b'}');
                    index += 1;
                    i += 1;
                }
                out.extend_from_slice(b"]}");
            }
            Some("function_call_output") => {
                let [call_id, output] = crate::json::value::fields(item, ["call_id", "output"]);
                sep(out, &mut first);
                out.extend_from_slice(b"{\"role\":\"tool\",\"content\":");
                out.extend_from_slice(output.unwrap_or(b"\"\""));
                out.extend_from_slice(b",\"tool_call_id\":");
                out.extend_from_slice(call_id.unwrap_or(b"null"));
                out.push(b'}');
                i += 1;
            }
            Some("reasoning") => {
                let text: Vec<String> = get(item, "summary")
                    .and_then(elements)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|s| get(s, "text").and_then(string))
                    .collect();
                reasoning = Some(text.join("\n"));
                i += 1;
            }
            Some(other) => {
                return Err(unsupported(format!(
                    "input items of type '{other}' are not translated to chat completions by corelane yet"
                )))
            }
        }
    }
    Ok(())
}

/// A message's content parts in chat's form.
fn write_parts(parts: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let parts = elements(parts).ok_or_else(|| invalid("'content' must be a list of parts"))?;
    out.push(b'[');
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match get(part, "type").and_then(string).as_deref() {
            Some("input_text" | "output_text" | "text") => {
                out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
                out.extend_from_slice(get(part, "text").unwrap_or(b"\"\""));
                out.push(b'}');
            }
            Some("input_image") => {
                let [url, detail] = crate::json::value::fields(part, ["image_url", "detail"]);
                out.extend_from_slice(b"{\"type\":\"image_url\",\"image_url\":{\"url\":");
                out.extend_from_slice(url.unwrap_or(b"\"\""));
                if let Some(detail) = detail.filter(|d| !is_null(Some(d))) {
                    out.extend_from_slice(b",\"detail\":");
                    out.extend_from_slice(detail);
                }
                out.extend_from_slice(b"}}");
            }
            other => {
                return Err(unsupported(format!(
                "content parts of type '{}' are not translated to chat completions by corelane yet",
                other.unwrap_or("(none)")
            )))
            }
        }
    }
    out.push(b']');
    Ok(())
}

/// The chat tools for the Responses API's (functions), and the web search options a
/// `web_search_preview` tool asks for.
fn write_tools(tools: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let tools = elements(tools).ok_or_else(|| invalid("'tools' must be a list"))?;
    let mut out = vec![b'['];
    let mut web = None;
    for tool in tools {
        match get(tool, "type").and_then(string).as_deref() {
            Some("function") => {
                if out.len() > 1 {
                    out.push(b',');
                }
                let [name, description, parameters, strict] = crate::json::value::fields(
                    tool,
                    ["name", "description", "parameters", "strict"],
                );
                out.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"name\":");
                out.extend_from_slice(name.unwrap_or(b"\"\""));
                out.extend_from_slice(b",\"description\":");
                out.extend_from_slice(description.filter(|d| !is_null(Some(d))).unwrap_or(b"\"\""));
                out.extend_from_slice(b",\"parameters\":");
                out.extend_from_slice(parameters.unwrap_or(b"{}"));
                out.extend_from_slice(b",\"strict\":");
                out.extend_from_slice(strict.filter(|s| !is_null(Some(s))).unwrap_or(b"false"));
                out.extend_from_slice(b"}}");
            }
            Some("web_search_preview" | "web_search") => {
                let [size, location] =
                    crate::json::value::fields(tool, ["search_context_size", "user_location"]);
                let mut options = b"{\"search_context_size\":".to_vec();
                options.extend_from_slice(size.unwrap_or(b"null"));
                options.extend_from_slice(b",\"user_location\":");
                options.extend_from_slice(location.unwrap_or(b"null"));
                options.push(b'}');
                web = Some(options);
            }
            other => {
                return Err(unsupported(format!(
                    "tools of type '{}' are not translated to chat completions by corelane yet",
                    other.unwrap_or("(none)")
                )))
            }
        }
    }
    out.push(b']');
    Ok((out, web))
}

/// `tool_choice` in chat's form (`_transform_tool_choice`).
fn write_tool_choice(choice: &[u8], out: &mut Vec<u8>) {
    if !is_object(choice) {
        out.extend_from_slice(choice);
        return;
    }
    if get(choice, "function")
        .and_then(|f| get(f, "name"))
        .is_some()
    {
        out.extend_from_slice(choice);
        return;
    }
    let named = |out: &mut Vec<u8>, name: &[u8]| {
        out.extend_from_slice(b"{\"type\":\"function\",\"function\":{\"name\":");
        out.extend_from_slice(name);
        out.extend_from_slice(b"}}");
    };
    match get(choice, "type").and_then(string).as_deref() {
        Some("auto") => out.extend_from_slice(b"\"auto\""),
        Some("none") => out.extend_from_slice(b"\"none\""),
        Some("required" | "tool" | "any") => out.extend_from_slice(b"\"required\""),
        Some("function" | "custom") => match get(choice, "name").filter(|n| !is_null(Some(n))) {
            Some(name) => named(out, name),
            None => out.extend_from_slice(b"\"required\""),
        },
        _ => out.extend_from_slice(choice),
    }
}

/// `response_format` for `text.format` (`_transform_text_format_to_response_format`).
fn write_response_format(format: &[u8], out: &mut Vec<u8>) {
    match get(format, "type").and_then(string).as_deref() {
        Some("json_schema") => {
            let [name, schema, strict] =
                crate::json::value::fields(format, ["name", "schema", "strict"]);
            out.extend_from_slice(
                b",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":",
            );
            out.extend_from_slice(name.unwrap_or(b"\"response_schema\""));
            out.extend_from_slice(b",\"schema\":");
            out.extend_from_slice(schema.unwrap_or(b"{}"));
            out.extend_from_slice(b",\"strict\":");
            out.extend_from_slice(strict.unwrap_or(b"false"));
            out.extend_from_slice(b"}}");
        }
        Some("json_object") => {
            out.extend_from_slice(b",\"response_format\":{\"type\":\"json_object\"}")
        }
        _ => {}
    }
}

/// Writes `,"key":value` (`value` raw JSON).
pub(crate) fn write_member(key: &str, value: &[u8], out: &mut Vec<u8>) {
    out.push(b',');
    write_json_string(key, out);
    out.push(b':');
    out.extend_from_slice(value);
}

/// The request's fields a response repeats, as one JSON object on one line (kept for the
/// answer).
pub fn echo(body: &[u8]) -> Vec<u8> {
    let mut out = vec![b'{'];
    for key in ECHOED {
        if let Some(v) = get(body, key).filter(|v| !is_null(Some(v))) {
            if out.len() > 1 {
                out.push(b',');
            }
            write_json_string(key, &mut out);
            out.push(b':');
            // One line: the echo goes into stream events.
            crate::json::write_compact(v, &mut out);
        }
    }
    out.push(b'}');
    out
}

/// The Responses API `status` for a chat finish reason.
pub fn status(finish_reason: Option<&str>) -> &'static str {
    match finish_reason {
        None => "incomplete",
        Some("length" | "content_filter" | "refusal") => "incomplete",
        Some(_) => "completed",
    }
}

/// `incomplete_details` for a finish reason, when it has one.
pub fn incomplete_reason(finish_reason: Option<&str>) -> Option<&'static str> {
    match finish_reason {
        Some("length") => Some("max_output_tokens"),
        Some("content_filter" | "refusal") => Some("content_filter"),
        _ => None,
    }
}

/// The `tool_choice` a response repeats: the request's (a Responses API form), `"auto"` when
/// it sent none.
fn write_echoed_tool_choice(choice: Option<&[u8]>, out: &mut Vec<u8>) {
    match choice {
        None => out.extend_from_slice(b"\"auto\""),
        Some(c) if !is_object(c) => out.extend_from_slice(c),
        Some(c) => match get(c, "function").and_then(|f| get(f, "name")) {
            // A chat-form named choice, in the Responses API's form.
            Some(name) => {
                out.extend_from_slice(b"{\"name\":");
                out.extend_from_slice(name);
                out.extend_from_slice(b",\"type\":\"function\"}");
            }
            None => out.extend_from_slice(c),
        },
    }
}

/// Writes the response for a chat completion `chat` (validated JSON) to the request whose
/// [`echo`] is `echo`: `id` is the client's id for it, `item_id` the uuid its items' ids are
/// made of, `model` the client's. Returns its usage.
pub fn from_chat(
    chat: &[u8],
    echo: &[u8],
    id: &str,
    item_id: &str,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage> {
    let [created, choices, usage] =
        crate::json::value::fields(chat, ["created", "choices", "usage"]);
    let choice = choices.and_then(elements).and_then(|c| c.first().copied());
    let message = choice.and_then(|c| get(c, "message"));
    let finish = choice
        .and_then(|c| get(c, "finish_reason"))
        .and_then(string);
    let status = status(finish.as_deref());
    let echoed = |key: &str| get(echo, key);
    out.extend_from_slice(b"{\"id\":");
    write_json_string(id, out);
    out.extend_from_slice(b",\"created_at\":");
    out.extend_from_slice(created.unwrap_or(b"0"));
    out.extend_from_slice(b",\"error\":null,\"incomplete_details\":");
    match incomplete_reason(finish.as_deref()) {
        Some(reason) => {
            out.extend_from_slice(b"{\"reason\":\"");
            out.extend_from_slice(reason.as_bytes());
            out.extend_from_slice(b"\"}");
        }
        None => out.extend_from_slice(b"null"),
    }
    let raw_or = |out: &mut Vec<u8>, key: &str, default: &[u8]| {
        out.extend_from_slice(echoed(key).unwrap_or(default));
    };
    out.extend_from_slice(b",\"instructions\":");
    raw_or(out, "instructions", b"null");
    out.extend_from_slice(b",\"metadata\":");
    raw_or(out, "metadata", b"{}");
    out.extend_from_slice(b",\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"object\":\"response\",\"output\":[");
    let mut items = 0;
    if let Some(message) = message {
        write_output_items(message, status, item_id, &mut items, out);
    }
    out.extend_from_slice(b"],\"parallel_tool_calls\":");
    raw_or(out, "parallel_tool_calls", b"false");
    out.extend_from_slice(b",\"temperature\":");
    raw_or(out, "temperature", b"null");
    out.extend_from_slice(b",\"tool_choice\":");
    write_echoed_tool_choice(echoed("tool_choice"), out);
    out.extend_from_slice(b",\"tools\":");
    match echoed("tools") {
        Some(tools) => crate::responses::object::write_tools(tools, out),
        None => out.extend_from_slice(b"[]"),
    }
    for key in [
        "top_p",
        "max_output_tokens",
        "previous_response_id",
        "reasoning",
    ] {
        out.push(b',');
        write_json_string(key, out);
        out.push(b':');
        raw_or(out, key, b"null");
    }
    out.extend_from_slice(b",\"status\":\"");
    out.extend_from_slice(status.as_bytes());
    out.extend_from_slice(b"\",\"text\":");
    raw_or(out, "text", b"{}");
    out.extend_from_slice(b",\"truncation\":");
    raw_or(out, "truncation", b"null");
    out.extend_from_slice(b",\"usage\":");
    let counted = write_usage(usage.filter(|u| is_object(u)), None, true, out);
    out.extend_from_slice(b",\"user\":");
    raw_or(out, "user", b"null");
    out.extend_from_slice(b",\"store\":");
    raw_or(out, "store", b"null");
    // The provider's own fields of the message (Anthropic's citations and thinking blocks).
    if let Some(fields) = message
        .and_then(|m| get(m, "provider_specific_fields"))
        .filter(|f| is_object(f))
    {
        out.extend_from_slice(b",\"provider_specific_fields\":");
        out.extend_from_slice(fields);
    }
    out.push(b'}');
    Ok(counted)
}

/// A chat message's output items: its reasoning, its text, then its tool calls.
pub fn write_output_items(
    message: &[u8],
    status: &str,
    item_id: &str,
    items: &mut usize,
    out: &mut Vec<u8>,
) {
    let [content, reasoning, tool_calls, role] = crate::json::value::fields(
        message,
        ["content", "reasoning_content", "tool_calls", "role"],
    );
    let mut sep = |out: &mut Vec<u8>| {
        if *items > 0 {
            out.push(b',');
        }
        *items += 1;
    };
    let id = |prefix: &str| format!("{prefix}_{item_id}");
    if let Some(reasoning) = reasoning.filter(|r| r.first() == Some(&b'"')) {
        sep(out);
        write_text_item(
            "reasoning",
            &id("rs"),
            status,
            b"\"assistant\"",
            reasoning,
            true,
            out,
        );
    }
    if let Some(content) = content.filter(|c| c.first() == Some(&b'"')) {
        sep(out);
        let role = role.unwrap_or(b"\"assistant\"");
        write_text_item("message", &id("msg"), status, role, content, true, out);
    }
    for call in tool_calls.and_then(elements).unwrap_or_default() {
        let [call_id, function] = crate::json::value::fields(call, ["id", "function"]);
        let [name, arguments] = function
            .map(|f| crate::json::value::fields(f, ["name", "arguments"]))
            .unwrap_or([None, None]);
        let fc_id = call_id.and_then(string).map(|c| format!("fc_{c}"));
        sep(out);
        write_call_item(
            arguments.unwrap_or(b"\"\""),
            call_id.unwrap_or(b"null"),
            name.unwrap_or(b"null"),
            fc_id.as_deref(),
            true,
            out,
        );
    }
}

/// A reasoning or message output item as LiteLLM's bridge writes it (`text` a JSON string):
/// with `"phase":null` in a whole answer (`phase`), without in a stream's last event.
pub(crate) fn write_text_item(
    kind: &str,
    id: &str,
    status: &str,
    role: &[u8],
    text: &[u8],
    phase: bool,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"type\":");
    write_json_string(kind, out);
    out.extend_from_slice(b",\"id\":");
    write_json_string(id, out);
    out.extend_from_slice(b",\"status\":");
    write_json_string(status, out);
    out.extend_from_slice(b",\"role\":");
    out.extend_from_slice(role);
    out.extend_from_slice(b",\"content\":[{\"type\":\"output_text\",\"text\":");
    out.extend_from_slice(text);
    out.extend_from_slice(b",\"annotations\":[]}]");
    if phase {
        out.extend_from_slice(b",\"phase\":null");
    }
    out.push(b'}');
}

/// A function call output item (`arguments` a JSON string, `call_id` and `name` raw JSON):
/// with the SDK type's `null` members in a whole answer (`nulls`), without in a stream's.
pub(crate) fn write_call_item(
    arguments: &[u8],
    call_id: &[u8],
    name: &[u8],
    id: Option<&str>,
    nulls: bool,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"arguments\":");
    out.extend_from_slice(arguments);
    out.extend_from_slice(b",\"call_id\":");
    out.extend_from_slice(call_id);
    out.extend_from_slice(b",\"name\":");
    out.extend_from_slice(name);
    out.extend_from_slice(b",\"type\":\"function_call\",\"id\":");
    match id {
        Some(id) => write_json_string(id, out),
        None => out.extend_from_slice(b"null"),
    }
    if nulls {
        out.extend_from_slice(b",\"async\":null,\"caller\":null,\"namespace\":null");
    }
    out.extend_from_slice(b",\"status\":\"completed\"}");
}

/// The Responses API's usage for a chat usage object (`None`: zeros); `expand` writes the
/// details with their `null` members (a whole answer), else as they are (a stream's). `cost`
/// is added when given. Returns the counts.
pub fn write_usage(
    usage: Option<&[u8]>,
    cost: Option<f64>,
    expand: bool,
    out: &mut Vec<u8>,
) -> Usage {
    let counts = usage
        .and_then(crate::usage::parse_usage)
        .unwrap_or_default();
    let mut n = itoa::Buffer::new();
    out.extend_from_slice(b"{\"input_tokens\":");
    out.extend_from_slice(n.format(counts.prompt_tokens).as_bytes());
    let details = |key| usage.and_then(|u| get(u, key)).filter(|d| is_object(d));
    fn count<'d>(d: &'d [u8], key: &str) -> Option<&'d [u8]> {
        get(d, key).filter(|v| !is_null(Some(v)))
    }
    if let Some(d) = details("prompt_tokens_details") {
        out.extend_from_slice(b",\"input_tokens_details\":{");
        if expand {
            out.extend_from_slice(b"\"audio_tokens\":");
            out.extend_from_slice(count(d, "audio_tokens").unwrap_or(b"null"));
            out.extend_from_slice(b",\"cached_tokens\":");
            out.extend_from_slice(count(d, "cached_tokens").unwrap_or(b"0"));
            out.extend_from_slice(b",\"cached_tokens_details\":null");
            for key in ["image_tokens", "text_tokens", "video_tokens"] {
                out.push(b',');
                write_json_string(key, out);
                out.push(b':');
                out.extend_from_slice(count(d, key).unwrap_or(b"null"));
            }
        } else {
            out.extend_from_slice(b"\"cached_tokens\":");
            out.extend_from_slice(count(d, "cached_tokens").unwrap_or(b"0"));
            for key in [
                "audio_tokens",
                "image_tokens",
                "text_tokens",
                "video_tokens",
            ] {
                if let Some(v) = count(d, key) {
                    write_member(key, v, out);
                }
            }
        }
        // Anthropic's cache writes (`cache_write_tokens`, else `cache_creation_tokens`).
        if let Some(v) =
            count(d, "cache_write_tokens").or_else(|| count(d, "cache_creation_tokens"))
        {
            out.extend_from_slice(b",\"cache_write_tokens\":");
            out.extend_from_slice(v);
        }
        out.push(b'}');
    } else if expand {
        out.extend_from_slice(b",\"input_tokens_details\":null");
    }
    out.extend_from_slice(b",\"output_tokens\":");
    out.extend_from_slice(n.format(counts.completion_tokens).as_bytes());
    if let Some(d) = details("completion_tokens_details") {
        out.extend_from_slice(b",\"output_tokens_details\":{");
        if expand {
            out.extend_from_slice(b"\"audio_tokens\":");
            out.extend_from_slice(count(d, "audio_tokens").unwrap_or(b"null"));
            out.extend_from_slice(b",\"reasoning_tokens\":");
            out.extend_from_slice(count(d, "reasoning_tokens").unwrap_or(b"0"));
            out.extend_from_slice(b",\"text_tokens\":");
            out.extend_from_slice(count(d, "text_tokens").unwrap_or(b"null"));
        } else {
            out.extend_from_slice(b"\"reasoning_tokens\":");
            out.extend_from_slice(count(d, "reasoning_tokens").unwrap_or(b"0"));
            for key in ["audio_tokens", "text_tokens", "image_tokens"] {
                if let Some(v) = count(d, key) {
                    write_member(key, v, out);
                }
            }
        }
        out.push(b'}');
    } else if expand {
        out.extend_from_slice(b",\"output_tokens_details\":null");
    }
    out.extend_from_slice(b",\"total_tokens\":");
    out.extend_from_slice(n.format(counts.total_tokens).as_bytes());
    match cost {
        Some(c) => {
            out.extend_from_slice(b",\"cost\":");
            crate::cost::write_cost(c, out);
        }
        None if expand => out.extend_from_slice(b",\"cost\":null"),
        None => {}
    }
    out.push(b'}');
    counts
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chat(body: &str) -> Result<String> {
        let mut out = Vec::new();
        to_chat_request(body.as_bytes(), "m1", "groq", &mut out)?;
        let text = String::from_utf8(out).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap();
        Ok(text)
    }

    #[test]
    fn a_request_becomes_chat() {
        let body = r#"{"model":"g","input":"Hi","instructions":"Be brief","max_output_tokens":5,
            "store":true,"metadata":{"k":"v"},"zz":1,"stream":true,"reasoning":{"effort":"low"},
            "text":{"format":{"type":"json_object"}}}"#;
        assert_eq!(
            chat(body).unwrap(),
            r#"{"messages":[{"role":"system","content":"Be brief"},{"role":"user","content":"Hi"}],"model":"m1","max_tokens":5,"stream":true,"response_format":{"type":"json_object"},"reasoning_effort":"low","zz":1,"stream_options":{"include_usage":true}}"#
        );
    }

    #[test]
    fn items_become_messages_and_tools_chat_tools() {
        let body = r#"{"model":"g","tool_choice":{"type":"function","name":"f"},"parallel_tool_calls":false,
            "tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"input":[
            {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Think."}]},
            {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
            {"type":"function_call","call_id":"c2","name":"f","arguments":"{\"a\":1}"},
            {"type":"function_call_output","call_id":"c1","output":"ok"},
            {"role":"developer","content":[{"type":"input_text","text":"Rules"}]}]}"#;
        let text = chat(body).unwrap();
        assert!(text.starts_with(r#"{"messages":[{"role":"assistant","reasoning_content":"Think.","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"},"index":0},{"id":"c2","type":"function","function":{"name":"f","arguments":"{\"a\":1}"},"index":1}]},{"role":"tool","content":"ok","tool_call_id":"c1"},{"role":"system","content":[{"type":"text","text":"Rules"}]}]"#), "{text}");
        assert!(text.contains(r#""tool_choice":{"type":"function","function":{"name":"f"}},"tools":[{"type":"function","function":{"name":"f","description":"","parameters":{"type":"object"},"strict":false}}]"#), "{text}");
        assert!(text.contains(r#""parallel_tool_calls":false"#), "{text}");
    }

    #[test]
    fn refusals_name_what_is_not_translated() {
        let e =
            chat(r#"{"model":"g","input":"x","max_tool_calls":2,"partial_images":1}"#).unwrap_err();
        let TransformError::UnsupportedParams { params, message } = e else {
            panic!()
        };
        assert_eq!(params, ["max_tool_calls", "partial_images"]);
        assert!(message
            .starts_with("groq does not support parameters: ['max_tool_calls', 'partial_images']"));
        for body in [
            r#"{"model":"g","input":[{"type":"item_reference","id":"x"}]}"#,
            r#"{"model":"g","input":"x","tools":[{"type":"file_search"}]}"#,
            r#"{"model":"g","input":[{"role":"user","content":[{"type":"input_audio"}]}]}"#,
            r#"{"model":"g","input":7}"#,
        ] {
            assert!(chat(body).is_err(), "{body}");
        }
    }

    #[test]
    fn a_chat_answer_becomes_a_response() {
        let answer = r#"{"id":"chatcmpl-1","created":5,"model":"m1","choices":[{"index":0,"finish_reason":"length",
            "message":{"role":"assistant","content":"cut","reasoning_content":"Hm",
            "tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}}],
            "usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1}}}"#;
        let echo = echo(br#"{"instructions":"Be brief","tools":[{"type":"function","name":"f","parameters":{}}],"tool_choice":{"type":"function","function":{"name":"f"}}}"#);
        let mut out = Vec::new();
        let usage = from_chat(answer.as_bytes(), &echo, "resp_X", "u-1", "g", &mut out).unwrap();
        assert_eq!(usage.total_tokens, 5);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["status"], "incomplete");
        assert_eq!(v["incomplete_details"]["reason"], "max_output_tokens");
        assert_eq!(v["output"][0]["id"], "rs_u-1");
        assert_eq!(v["output"][1]["content"][0]["text"], "cut");
        assert_eq!(v["output"][2]["id"], "fc_c1");
        assert_eq!(
            v["tool_choice"],
            serde_json::json!({"name": "f", "type": "function"})
        );
        assert_eq!(v["tools"][0]["strict"], serde_json::Value::Null);
        assert_eq!(v["usage"]["input_tokens_details"]["cached_tokens"], 1);
        assert_eq!(v["usage"]["output_tokens_details"], serde_json::Value::Null);
        assert_eq!(v["instructions"], "Be brief");
    }

    #[test]
    fn the_echo_fits_one_line() {
        let e = echo(b"{\"tools\": [ {\"name\": \"a b\\n\"} ],\n \"zz\": 1}");
        assert_eq!(e, br#"{"tools":[{"name":"a b\n"}]}"#);
    }
}
