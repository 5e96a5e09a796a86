//! An OpenAI chat-completions body → the `generateContent` body LiteLLM 1.108.7 sends Google
//! AI Studio for it (`GoogleAIStudioGeminiConfig.map_openai_params`, `transform_request_body`,
//! `gemini_convert_messages_with_history`, `convert_to_gemini_tool_call_invoke` / `_result`),
//! checked against its proxy by the differential suite:
//!
//! - every `system` message (wherever it is) becomes a part of `system_instruction` (a list
//!   content's texts joined), for models that take one; older ones get it as user text;
//! - consecutive user messages merge into one `user` content (text parts, `image_url` and
//!   `file` data URLs as `inline_data`, `input_audio` as `inline_data` with `audio/{format}`;
//!   a content without text gets a `" "` text part, as LiteLLM adds);
//! - consecutive assistant messages merge into one `model` content: `reasoning_content` as a
//!   thought part, the text, then each tool call as `function_call` with its parsed
//!   `arguments` (`{"type": "object"}` for empty ones);
//! - tool results become `function_response` parts named after the matching call; a JSON
//!   object result is the `response` itself, anything else `{"content": text}`; consecutive
//!   results share one `user` content;
//! - `generationConfig` in LiteLLM's parameter order: `temperature`, `top_p`,
//!   `candidate_count` (n), `stop_sequences`, `max_output_tokens`, `presence_penalty`,
//!   `frequency_penalty` (not for Gemini 3), `response_mime_type` and `response_json_schema`
//!   (response_format), `seed`, `responseLogprobs`, `thinkingConfig` (reasoning_effort as a
//!   thinking budget: minimal/low/medium/high/disable/none);
//! - `tools` as one `function_declarations` list (parameters cleaned as `clean_schema`
//!   says), `tool_choice` as `toolConfig`.
//!
//! Refused (400) with LiteLLM's `UnsupportedParamsError` text: `top_logprobs`, `logit_bias`,
//! `function_call`, `prediction`. Refused where LiteLLM would fetch or upload something, or
//! where this transform does not follow it yet: remote image or file URLs (LiteLLM downloads
//! them), `file_id`s, `functions`, `audio`, `modalities`, `web_search_options`,
//! `service_tier`, reasoning effort on Gemini 3 models (`thinkingLevel`), `thinking` and
//! `top_k`.
//! Not sent, as LiteLLM does not send them to Gemini: `user`, `metadata`, `stream_options`,
//! `parallel_tool_calls`.

use crate::anthropic::request::{invalid, unsupported, Result};
use crate::chat::{data_url, request_object, role_of, text_part, unsupported_params, Role};
use crate::json::tape::Scratch;
use crate::json::value::{elements, fields, get, is_object, key_of, string};
use crate::json::{top_members, write_json_string};

/// OpenAI parameters Gemini has no field for (not in LiteLLM's
/// `get_supported_openai_params`): LiteLLM's `UnsupportedParamsError`.
const UNSUPPORTED_PARAMS: &[&str] = &["top_logprobs", "logit_bias", "function_call", "prediction"];

/// Parameters LiteLLM maps for Gemini and this transform does not yet (see the module doc).
const REFUSED_PARAMS: &[&str] = &[
    "functions",
    "audio",
    "modalities",
    "web_search_options",
    "service_tier",
    "thinking",
    "top_k",
];

/// The top-level members read, the last of each name winning; `null` is as if absent.
#[derive(Default)]
struct Params<'b> {
    messages: Option<&'b [u8]>,
    temperature: Option<&'b [u8]>,
    top_p: Option<&'b [u8]>,
    n: Option<&'b [u8]>,
    stop: Option<&'b [u8]>,
    max_tokens: Option<&'b [u8]>,
    max_completion_tokens: Option<&'b [u8]>,
    presence_penalty: Option<&'b [u8]>,
    frequency_penalty: Option<&'b [u8]>,
    reasoning_effort: Option<&'b [u8]>,
    response_format: Option<&'b [u8]>,
    seed: Option<&'b [u8]>,
    tools: Option<&'b [u8]>,
    tool_choice: Option<&'b [u8]>,
    logprobs: Option<&'b [u8]>,
}

fn read_params<'b>(body: &'b [u8], model: &str) -> Result<Params<'b>> {
    let mut p = Params::default();
    let mut unsupported_found = Vec::new();
    for m in top_members(body).ok_or_else(|| invalid("expected an object"))? {
        let key = key_of(body, &m.key).unwrap_or_default();
        let v = &body[m.value];
        let slot = match key.as_str() {
            "messages" => &mut p.messages,
            "temperature" => &mut p.temperature,
            "top_p" => &mut p.top_p,
            "n" => &mut p.n,
            "stop" => &mut p.stop,
            "max_tokens" => &mut p.max_tokens,
            "max_completion_tokens" => &mut p.max_completion_tokens,
            "presence_penalty" => &mut p.presence_penalty,
            "frequency_penalty" => &mut p.frequency_penalty,
            "reasoning_effort" => &mut p.reasoning_effort,
            "response_format" => &mut p.response_format,
            "seed" => &mut p.seed,
            "tools" => &mut p.tools,
            "tool_choice" => &mut p.tool_choice,
            "logprobs" => &mut p.logprobs,
            k if UNSUPPORTED_PARAMS.contains(&k) => {
                if v != b"null" {
                    unsupported_found.push(k.to_owned());
                }
                continue;
            }
            k if REFUSED_PARAMS.contains(&k) => {
                if v == b"null" {
                    continue;
                }
                return Err(unsupported(format!(
                    "{k} is not supported for Gemini by corelane yet"
                )));
            }
            _ => continue,
        };
        *slot = (v != b"null").then_some(v);
    }
    if !unsupported_found.is_empty() {
        return Err(unsupported_params("gemini", &unsupported_found, model));
    }
    Ok(p)
}

/// Turns the OpenAI chat-completions `body` into the `generateContent` body for `model` (the
/// provider model name, after `gemini/`), appended to `out`. `out` is left as it was on error.
pub fn transform_request(
    body: &[u8],
    model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    let body = request_object(body, scratch)?;
    let p = read_params(body, model)?;
    let messages = p
        .messages
        .and_then(elements)
        .ok_or_else(|| invalid("messages: expected a list of messages"))?;
    let mut buf = Vec::with_capacity(body.len() + 256);
    buf.extend_from_slice(b"{\"contents\":");
    let system = write_contents(&messages, model, &mut buf)?;
    if !system.is_empty() {
        buf.extend_from_slice(b",\"system_instruction\":{\"parts\":[");
        for (i, text) in system.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"text\":");
            write_json_string(text, &mut buf);
            buf.push(b'}');
        }
        buf.extend_from_slice(b"]}");
    }
    if let Some(tools) = p.tools {
        write_tools(tools, &mut buf)?;
    }
    if let Some(choice) = p.tool_choice {
        write_tool_choice(choice, &mut buf)?;
    }
    write_generation_config(&p, model, &mut buf)?;
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

/// Whether LiteLLM sends `system_instruction` to `model` (its model map's
/// `supports_system_messages`): Gemini 2.5, 3 and newer, the `-latest` and `exp` aliases.
/// Older models (1.5, 2.0) and Gemma get the system text as user text.
fn supports_system_message(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    !(m.starts_with("gemma-")
        || m.starts_with("gemini-1.")
        || m.starts_with("gemini-2.0")
        || m == "gemini-pro")
        && (m.starts_with("gemini-") || m.starts_with("learnlm-"))
}

/// Writes the `contents` list; returns the system texts.
fn write_contents(messages: &[&[u8]], model: &str, out: &mut Vec<u8>) -> Result<Vec<String>> {
    let mut system = Vec::new();
    let mut rest = Vec::with_capacity(messages.len());
    let extract_system = supports_system_message(model);
    for m in messages {
        let role = match role_of(m)? {
            Role::Function => Role::Tool,
            role => role,
        };
        if extract_system && role == Role::System {
            let content = get(m, "content");
            if let Some(text) = content.and_then(string) {
                system.push(text);
            } else if let Some(items) = content.and_then(elements) {
                system.push(
                    items
                        .iter()
                        .filter_map(|i| get(i, "text").and_then(string))
                        .collect(),
                );
            }
        } else {
            rest.push((role, *m));
        }
    }
    if rest.is_empty() && !system.is_empty() {
        out.extend_from_slice(b"[{\"role\":\"user\",\"parts\":[{\"text\":\".\"}]}]");
        return Ok(system);
    }
    out.push(b'[');
    let mut contents = 0usize;
    let mut open = |role: &str, out: &mut Vec<u8>| {
        if contents > 0 {
            out.push(b',');
        }
        contents += 1;
        out.extend_from_slice(b"{\"role\":\"");
        out.extend_from_slice(role.as_bytes());
        out.extend_from_slice(b"\",\"parts\":[");
    };
    let mut last_calls: Option<&[u8]> = None;
    let mut results: Vec<Vec<u8>> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        while i < rest.len() && matches!(rest[i].0, Role::User | Role::System) {
            user_parts(get(rest[i].1, "content"), &mut parts)?;
            i += 1;
        }
        if !parts.is_empty() {
            if !parts.iter().any(|p| p.starts_with(b"{\"text\":")) {
                parts.push(b"{\"text\":\" \"}".to_vec());
            }
            open("user", out);
            out.extend_from_slice(&parts.join(&b","[..]));
            out.extend_from_slice(b"]}");
        }
        let mut parts: Vec<Vec<u8>> = Vec::new();
        while i < rest.len() && rest[i].0 == Role::Assistant {
            let m = rest[i].1;
            let [content, reasoning, calls] =
                fields(m, ["content", "reasoning_content", "tool_calls"]);
            if let Some(r) = reasoning.and_then(string) {
                let mut p = b"{\"thought\":true,\"text\":".to_vec();
                write_json_string(&r, &mut p);
                p.push(b'}');
                parts.push(p);
            }
            if let Some(text) = content.and_then(string) {
                parts.push(text_part(&text));
            } else if let Some(items) = content.and_then(elements) {
                for item in items {
                    if get(item, "type").and_then(string).as_deref() == Some("text") {
                        parts.push(text_part(
                            &get(item, "text").and_then(string).unwrap_or_default(),
                        ));
                    }
                }
            }
            if let Some(list) = calls.and_then(elements).filter(|l| !l.is_empty()) {
                for call in &list {
                    let part = function_call(call)?;
                    if !parts.contains(&part) {
                        parts.push(part);
                    }
                }
                last_calls = calls;
            }
            i += 1;
        }
        if !parts.is_empty() {
            open("model", out);
            out.extend_from_slice(&parts.join(&b","[..]));
            out.extend_from_slice(b"]}");
        }
        if i < rest.len() && rest[i].0 == Role::Tool {
            results.push(function_response(rest[i].1, last_calls)?);
            i += 1;
        }
        let next_is_result = i < rest.len() && rest[i].0 == Role::Tool;
        if !next_is_result && !results.is_empty() && i < rest.len() {
            open("user", out);
            out.extend_from_slice(&results.join(&b","[..]));
            out.extend_from_slice(b"]}");
            results.clear();
        }
    }
    if !results.is_empty() {
        open("user", out);
        out.extend_from_slice(&results.join(&b","[..]));
        out.extend_from_slice(b"]}");
    }
    if contents == 0 {
        out.extend_from_slice(b"{\"role\":\"user\",\"parts\":[{\"text\":\" \"}]}");
    }
    out.push(b']');
    Ok(system)
}

/// The parts of one user message's content.
fn user_parts(content: Option<&[u8]>, parts: &mut Vec<Vec<u8>>) -> Result<()> {
    let Some(content) = content else {
        return Ok(());
    };
    if let Some(text) = string(content) {
        parts.push(text_part(&text));
        return Ok(());
    }
    let Some(items) = elements(content) else {
        return Ok(());
    };
    for item in items {
        match get(item, "type").and_then(string).as_deref() {
            Some("text") => {
                if let Some(text) = get(item, "text").and_then(string).filter(|t| !t.is_empty()) {
                    parts.push(text_part(&text));
                }
            }
            Some("image_url") => {
                let image = get(item, "image_url").ok_or_else(|| {
                    invalid("Invalid message content: element type is 'image_url' but 'image_url' field is missing ")
                })?;
                let url = string(image)
                    .or_else(|| get(image, "url").and_then(string))
                    .ok_or_else(|| invalid("Invalid message content: element type is 'image_url' but 'url' field is missing inside 'image_url' "))?;
                parts.push(inline_data(&url)?);
            }
            Some("input_audio") => {
                let audio = get(item, "input_audio").unwrap_or(b"{}");
                let [data, format] = fields(audio, ["data", "format"]);
                if let (Some(data), Some(format)) = (data.and_then(string), format.and_then(string))
                {
                    let mime = if format.starts_with("audio/") {
                        format
                    } else {
                        format!("audio/{format}")
                    };
                    parts.push(blob(&data, &mime));
                }
            }
            Some("file") => {
                let file = get(item, "file").ok_or_else(|| {
                    invalid(
                        "Content block has type='file' but is missing the required 'file' field",
                    )
                })?;
                match get(file, "file_data").and_then(string) {
                    Some(data) => parts.push(inline_data(&data)?),
                    None => {
                        return Err(unsupported(
                            "Gemini file_id inputs are not supported by corelane yet; send file_data as a data: URL",
                        ))
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A `data:` URL as an `inline_data` part; remote URLs are refused (LiteLLM downloads them).
fn inline_data(url: &str) -> Result<Vec<u8>> {
    let (mime, data) = data_url(url)?.ok_or_else(|| {
        unsupported(
            "remote image and file URLs are not supported for Gemini by corelane yet (LiteLLM downloads them); send a base64 data: URL",
        )
    })?;
    Ok(blob(data, mime))
}

fn blob(data: &str, mime: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(data.len() + mime.len() + 48);
    p.extend_from_slice(b"{\"inline_data\":{\"data\":");
    write_json_string(data, &mut p);
    p.extend_from_slice(b",\"mime_type\":");
    write_json_string(mime, &mut p);
    p.extend_from_slice(b"}}");
    p
}

/// One OpenAI tool call as a `function_call` part.
fn function_call(call: &[u8]) -> Result<Vec<u8>> {
    let function =
        get(call, "function").ok_or_else(|| invalid("tool_calls: each call needs a function"))?;
    let [name, arguments] = fields(function, ["name", "arguments"]);
    let name = name.and_then(string).unwrap_or_default();
    let arguments = arguments.and_then(string).unwrap_or_default();
    let mut p = b"{\"function_call\":{\"name\":".to_vec();
    write_json_string(&name, &mut p);
    p.extend_from_slice(b",\"args\":");
    // The arguments are JSON text: validated, then copied as they came (no value tree built).
    let arguments = arguments.trim();
    if arguments.is_empty() {
        p.extend_from_slice(b"{\"type\":\"object\"}");
    } else if serde_json::from_str::<serde::de::IgnoredAny>(arguments).is_ok() {
        p.extend_from_slice(arguments.as_bytes());
    } else {
        return Err(invalid(format!(
            "tool_calls: the arguments of {name:?} are not valid JSON"
        )));
    }
    p.extend_from_slice(b"}}");
    Ok(p)
}

/// One tool result as a `function_response` part named after its call in `last_calls`.
fn function_response(message: &[u8], last_calls: Option<&[u8]>) -> Result<Vec<u8>> {
    let [content, call_id, name] = fields(message, ["content", "tool_call_id", "name"]);
    let mut text = String::new();
    if let Some(s) = content.and_then(string) {
        text = s;
    } else if let Some(items) = content.and_then(elements) {
        for item in items {
            match get(item, "type").and_then(string).as_deref() {
                Some("text") => {
                    text.push_str(&get(item, "text").and_then(string).unwrap_or_default())
                }
                Some(_) => return Err(unsupported(
                    "images and files in tool results are not supported for Gemini by corelane yet",
                )),
                None => {}
            }
        }
    }
    let mut name = name.and_then(string).unwrap_or_default();
    if let (Some(calls), Some(id)) = (last_calls.and_then(elements), call_id.and_then(string)) {
        for call in calls {
            if get(call, "id").and_then(string).as_deref() == Some(id.as_str()) {
                name = get(call, "function")
                    .and_then(|f| get(f, "name"))
                    .and_then(string)
                    .unwrap_or_default();
            }
        }
    }
    if name.is_empty() {
        return Err(invalid(
            "Missing corresponding tool call for tool response message",
        ));
    }
    let mut p = b"{\"function_response\":{\"name\":".to_vec();
    write_json_string(&name, &mut p);
    p.extend_from_slice(b",\"response\":");
    // A result that is a JSON object is the response itself (valid JSON starting with `{`).
    let trimmed = text.trim();
    let object =
        trimmed.starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok();
    if object {
        p.extend_from_slice(trimmed.as_bytes());
    } else {
        p.extend_from_slice(b"{\"content\":");
        write_json_string(&text, &mut p);
        p.push(b'}');
    }
    p.extend_from_slice(b"}}");
    Ok(p)
}

/// `tools` → `[{"function_declarations": [...]}]`.
fn write_tools(tools: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let list = elements(tools).ok_or_else(|| invalid("tools: expected a list"))?;
    out.extend_from_slice(b",\"tools\":[{\"function_declarations\":[");
    for (i, tool) in list.iter().enumerate() {
        if get(tool, "type").and_then(string).as_deref() != Some("function") {
            return Err(unsupported(
                "only function tools are supported for Gemini by corelane yet",
            ));
        }
        let function = get(tool, "function")
            .ok_or_else(|| invalid("tools: a function tool needs a function"))?;
        let [name, description, parameters] =
            fields(function, ["name", "description", "parameters"]);
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        write_json_string(&name.and_then(string).unwrap_or_default(), out);
        if let Some(d) = description.and_then(string) {
            out.extend_from_slice(b",\"description\":");
            write_json_string(&d, out);
        }
        if let Some(params) = parameters.filter(|p| *p != b"null") {
            // The schema is cleaned as a value tree (a few times its text in memory): bounded.
            if params.len() > MAX_TOOL_SCHEMA {
                return Err(invalid(format!(
                    "tools: a function's parameters schema is over {} KiB",
                    MAX_TOOL_SCHEMA >> 10
                )));
            }
            let mut schema: serde_json::Value =
                serde_json::from_slice(params).map_err(|e| invalid(e.to_string()))?;
            clean_schema(&mut schema)?;
            out.extend_from_slice(b",\"parameters\":");
            serde_json::to_writer(&mut *out, &schema).map_err(|e| invalid(e.to_string()))?;
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}]");
    Ok(())
}

/// The largest tool parameters schema translated (real ones are a few KiB).
const MAX_TOOL_SCHEMA: usize = 256 * 1024;

/// The schema keys Gemini's function declarations take (`build_vertex_schema`'s filter).
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "default",
    "items",
    "minItems",
    "maxItems",
    "enum",
    "properties",
    "propertyOrdering",
    "required",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
];

/// A tool's parameters as LiteLLM cleans them for Gemini (`_map_function`,
/// `build_vertex_schema`): `additionalProperties: false` and every `strict` removed, type
/// lists and `null` branches of `anyOf` made `nullable`, `enum` kept on strings only, arrays
/// given `items`, and only the keys Gemini takes kept (`format` only as `enum`/`date-time`).
/// `$ref` is refused (LiteLLM inlines `$defs`; not done here yet).
fn clean_schema(v: &mut serde_json::Value) -> Result<()> {
    use serde_json::{json, Value};
    let Value::Object(map) = v else {
        if let Value::Array(items) = v {
            for item in items {
                clean_schema(item)?;
            }
        }
        return Ok(());
    };
    if map.contains_key("$ref") {
        return Err(unsupported(
            "tool parameter schemas with $ref are not supported for Gemini by corelane yet",
        ));
    }
    if map.get("additionalProperties") == Some(&Value::Bool(false)) {
        map.remove("additionalProperties");
    }
    map.remove("strict");
    // A type list: `["string", "null"]` → `anyOf` of the types.
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        map.remove("type");
        map.insert(
            "anyOf".into(),
            Value::Array(types.into_iter().map(|t| json!({ "type": t })).collect()),
        );
    }
    if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
        let before = branches.len();
        branches.retain(|b| b.get("type") != Some(&Value::String("null".into())));
        if branches.len() < before {
            for b in branches.iter_mut() {
                if let Value::Object(o) = b {
                    o.insert("nullable".into(), Value::Bool(true));
                }
            }
        }
    }
    if map.get("type").and_then(Value::as_str) != Some("string") {
        map.remove("enum");
    }
    if map.get("type").and_then(Value::as_str) == Some("array")
        && map
            .get("items")
            .is_none_or(|i| i.as_object().is_some_and(|o| o.is_empty()))
    {
        map.insert("items".into(), json!({ "type": "object" }));
    }
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| f != "enum" && f != "date-time")
    {
        map.remove("format");
    }
    if map
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.is_empty())
    {
        map.remove("properties");
    }
    map.retain(|k, _| SCHEMA_KEYS.contains(&k.as_str()));
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for p in props.values_mut() {
            clean_schema(p)?;
        }
    }
    for key in ["items", "anyOf"] {
        if let Some(child) = map.get_mut(key) {
            clean_schema(child)?;
        }
    }
    if !map.contains_key("type") && !map.contains_key("anyOf") {
        map.insert("type".into(), Value::String("object".into()));
    }
    Ok(())
}

fn write_tool_choice(choice: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let mode_only = |mode: &str, out: &mut Vec<u8>| {
        out.extend_from_slice(b",\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"");
        out.extend_from_slice(mode.as_bytes());
        out.extend_from_slice(b"\"}}");
    };
    match string(choice).as_deref() {
        Some("none") => mode_only("NONE", out),
        Some("required") => mode_only("ANY", out),
        Some("auto") => mode_only("AUTO", out),
        Some(other) => {
            return Err(unsupported(format!(
                "VertexAI doesn't support tool_choice={other}. Supported tool_choice values=['auto', 'required', json object]. To drop it from the call, set `litellm.drop_params = True."
            )))
        }
        None if is_object(choice) => {
            let name = get(choice, "function")
                .and_then(|f| get(f, "name"))
                .and_then(string)
                .unwrap_or_default();
            out.extend_from_slice(
                b",\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowed_function_names\":[",
            );
            write_json_string(&name, out);
            out.extend_from_slice(b"]}}");
        }
        None => return Err(invalid("tool_choice: expected a string or an object")),
    }
    Ok(())
}

fn write_generation_config(p: &Params<'_>, model: &str, out: &mut Vec<u8>) -> Result<()> {
    let mut config: Vec<u8> = Vec::new();
    let member = |key: &str, value: &[u8], config: &mut Vec<u8>| {
        config.push(if config.is_empty() { b'{' } else { b',' });
        config.push(b'"');
        config.extend_from_slice(key.as_bytes());
        config.extend_from_slice(b"\":");
        config.extend_from_slice(value);
    };
    let number = |name: &str, v: &[u8]| -> Result<()> {
        if v.first().is_some_and(|b| b.is_ascii_digit() || *b == b'-') {
            Ok(())
        } else {
            Err(invalid(format!("{name}: expected a number")))
        }
    };
    if let Some(v) = p.temperature {
        number("temperature", v)?;
        member("temperature", v, &mut config);
    }
    if let Some(v) = p.top_p {
        number("top_p", v)?;
        member("top_p", v, &mut config);
    }
    if let Some(v) = p.n {
        number("n", v)?;
        member("candidate_count", v, &mut config);
    }
    if let Some(v) = p.stop {
        if v.first() == Some(&b'"') {
            let mut list = b"[".to_vec();
            list.extend_from_slice(v);
            list.push(b']');
            member("stop_sequences", &list, &mut config);
        } else if v.first() == Some(&b'[') {
            member("stop_sequences", v, &mut config);
        } else {
            return Err(invalid("stop: expected a string or a list of strings"));
        }
    }
    if let Some(v) = p.max_completion_tokens.or(p.max_tokens) {
        number("max_tokens", v)?;
        member("max_output_tokens", v, &mut config);
    }
    // LiteLLM drops the penalties for Gemini 3 and newer (`_supports_penalty_parameters`).
    let penalties = !super::head::is_gemini_3_or_newer(model);
    if let Some(v) = p.presence_penalty.filter(|_| penalties) {
        number("presence_penalty", v)?;
        member("presence_penalty", v, &mut config);
    }
    if let Some(v) = p.frequency_penalty.filter(|_| penalties) {
        number("frequency_penalty", v)?;
        member("frequency_penalty", v, &mut config);
    }
    if let Some(format) = p.response_format {
        match get(format, "type").and_then(string).as_deref() {
            Some("json_object") => {
                member("response_mime_type", b"\"application/json\"", &mut config)
            }
            Some("json_schema") => {
                member("response_mime_type", b"\"application/json\"", &mut config);
                if let Some(schema) = get(format, "json_schema").and_then(|s| get(s, "schema")) {
                    member("response_json_schema", schema, &mut config);
                }
            }
            Some("text") => member("response_mime_type", b"\"text/plain\"", &mut config),
            None => {}
            Some(other) => {
                return Err(invalid(format!(
                    "response_format: unsupported type {other:?}"
                )))
            }
        }
    }
    if let Some(v) = p.seed {
        number("seed", v)?;
        member("seed", v, &mut config);
    }
    if let Some(v) = p.logprobs {
        member("responseLogprobs", v, &mut config);
    }
    if let Some(effort) = p.reasoning_effort {
        let effort =
            string(effort).ok_or_else(|| invalid("reasoning_effort: expected a string"))?;
        if super::head::is_gemini_3_or_newer(model) {
            return Err(unsupported(
                "reasoning_effort on Gemini 3 models (thinkingLevel) is not supported by corelane yet",
            ));
        }
        let lower = model.to_ascii_lowercase();
        let (budget, include) = match effort.as_str() {
            "minimal" if lower.contains("gemini-2.5-flash-lite") => (512, true),
            "minimal" if lower.contains("gemini-2.5-pro") => (128, true),
            "minimal" if lower.contains("gemini-2.5-flash") => (1, true),
            "minimal" => (128, true),
            "low" => (1024, true),
            "medium" => (2048, true),
            "high" => (4096, true),
            "disable" | "none" => (0, false),
            other => {
                return Err(invalid(format!(
                    "Invalid reasoning_effort: {other}. Must be one of 'minimal', 'low', 'medium', 'high', 'disable', 'none'"
                )))
            }
        };
        let mut thinking = b"{\"thinkingBudget\":".to_vec();
        thinking.extend_from_slice(itoa::Buffer::new().format(budget).as_bytes());
        thinking.extend_from_slice(if include {
            b",\"includeThoughts\":true}"
        } else {
            b",\"includeThoughts\":false}"
        });
        member("thinkingConfig", &thinking, &mut config);
    }
    if !config.is_empty() {
        config.push(b'}');
        out.extend_from_slice(b",\"generationConfig\":");
        out.extend_from_slice(&config);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::anthropic::TransformError;

    fn translate(body: &str) -> Result<String> {
        let mut out = Vec::new();
        transform_request(
            body.as_bytes(),
            "gemini-2.5-flash",
            &mut Scratch::default(),
            &mut out,
        )?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn tool_call_arguments_are_copied_and_schemas_bounded() {
        let body = r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":" {\"a\": [1, 2]} "}}]},{"role":"tool","tool_call_id":"c1","content":" {\"ok\": true} "}]}"#;
        let out = translate(body).unwrap();
        assert!(
            out.contains(r#"{"function_call":{"name":"f","args":{"a": [1, 2]}}}"#),
            "{out}"
        );
        assert!(
            out.contains(r#"{"function_response":{"name":"f","response":{"ok": true}}}"#),
            "{out}"
        );
        let bad = body.replace(r#"{\"a\": [1, 2]}"#, r#"{\"a\": "#);
        assert!(matches!(translate(&bad), Err(TransformError::Invalid(_))));
        let huge = format!(
            r#"{{"messages":[{{"role":"user","content":"hi"}}],"tools":[{{"type":"function","function":{{"name":"f","parameters":{{"type":"object","description":"{}"}}}}}}]}}"#,
            "x".repeat(MAX_TOOL_SCHEMA)
        );
        assert!(matches!(translate(&huge), Err(TransformError::Invalid(_))));
    }
}
