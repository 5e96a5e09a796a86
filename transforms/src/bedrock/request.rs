//! An OpenAI chat-completions body → the Converse body LiteLLM 1.108.7 sends Bedrock for it
//! (`AmazonConverseConfig.map_openai_params` and `_transform_request`,
//! `_bedrock_converse_messages_pt`, `_bedrock_tools_pt`), checked against its proxy by the
//! differential suite:
//!
//! - the leading system messages become `system` text blocks; a later system message becomes
//!   a user turn that says it was one (LiteLLM's "Operator note");
//! - consecutive user messages, and the tool results after them, merge into one `user` turn
//!   (text, data-URL images as `image` bytes, `toolResult` blocks); consecutive assistant
//!   messages into one `assistant` turn (signed thinking blocks as `reasoningContent`, the
//!   text, then each call as `toolUse` with its parsed `arguments`);
//! - with no `tools` in the request, tool calls and results are written as text, as LiteLLM
//!   neutralises orphaned tool blocks;
//! - `inferenceConfig` in LiteLLM's order: `temperature`, `topP`, `stopSequences`,
//!   `maxTokens`; `additionalModelRequestFields` for Anthropic's `thinking` (from
//!   `reasoning_effort` or `thinking`) and `top_k`;
//! - `tools` as `toolSpec`s keeping `type`, `properties` and `required` (and, for Anthropic
//!   models, `additionalProperties` and `strict`), `tool_choice` as `toolChoice`.
//!
//! Refused (400) with LiteLLM's `UnsupportedParamsError` text: the OpenAI parameters Converse
//! has no field for (`seed`, `n` > 1, penalties, `logit_bias`, `logprobs`, ...) and
//! `tool_choice: "none"`. Refused where corelane does not follow LiteLLM yet: remote image
//! URLs (LiteLLM downloads them), documents and files, `$ref` in tool schemas, tool names
//! Bedrock would not take (LiteLLM renames them), `response_format` with a schema (LiteLLM's
//! forced `json_tool_call`), and `reasoning_effort` on models other than Anthropic's.

use super::{is_anthropic, model_id};
use crate::anthropic::request::{invalid, unsupported, Result};
use crate::anthropic::TransformError;
use crate::chat::{data_url, request_object, role_of, text_part, unsupported_params, Role};
use crate::json::tape::Scratch;
use crate::json::value::{elements, fields, get, is_object, key_of, string};
use crate::json::{top_members, write_json_string};

/// OpenAI parameters Converse has no field for: LiteLLM's `UnsupportedParamsError`.
const UNSUPPORTED_PARAMS: &[&str] = &[
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "functions",
    "function_call",
    "audio",
    "modalities",
    "prediction",
    "web_search_options",
];

/// The first text of a system message met after the conversation started.
const OPERATOR_NOTE: &str =
    "Operator note (not from the user): the following was originally a mid-conversation system-role reminder.";

/// Anthropic's thinking budgets for `reasoning_effort` (LiteLLM's defaults).
fn thinking_budget(effort: &str) -> Option<u64> {
    match effort {
        "minimal" | "low" => Some(1024),
        "medium" => Some(2048),
        "high" => Some(4096),
        "xhigh" => Some(8192),
        _ => None,
    }
}

/// `maxTokens` added to a thinking budget when the client set none (LiteLLM's
/// `DEFAULT_MAX_TOKENS`).
const THINKING_HEADROOM: u64 = 4096;

#[derive(Default)]
struct Params<'b> {
    messages: Option<&'b [u8]>,
    temperature: Option<&'b [u8]>,
    top_p: Option<&'b [u8]>,
    stop: Option<&'b [u8]>,
    max_tokens: Option<&'b [u8]>,
    max_completion_tokens: Option<&'b [u8]>,
    tools: Option<&'b [u8]>,
    tool_choice: Option<&'b [u8]>,
    reasoning_effort: Option<&'b [u8]>,
    thinking: Option<&'b [u8]>,
    top_k: Option<&'b [u8]>,
    response_format: Option<&'b [u8]>,
    n: Option<&'b [u8]>,
}

fn read_params<'b>(body: &'b [u8], model: &str) -> Result<Params<'b>> {
    let mut p = Params::default();
    let mut refused = Vec::new();
    for m in top_members(body).ok_or_else(|| invalid("expected an object"))? {
        let key = key_of(body, &m.key).unwrap_or_default();
        let v = &body[m.value];
        let slot = match key.as_str() {
            "messages" => &mut p.messages,
            "temperature" => &mut p.temperature,
            "top_p" => &mut p.top_p,
            "stop" => &mut p.stop,
            "max_tokens" => &mut p.max_tokens,
            "max_completion_tokens" => &mut p.max_completion_tokens,
            "tools" => &mut p.tools,
            "tool_choice" => &mut p.tool_choice,
            "reasoning_effort" => &mut p.reasoning_effort,
            "thinking" => &mut p.thinking,
            "top_k" => &mut p.top_k,
            "response_format" => &mut p.response_format,
            "n" => &mut p.n,
            k if UNSUPPORTED_PARAMS.contains(&k) => {
                if v != b"null" {
                    refused.push(k.to_owned());
                }
                continue;
            }
            _ => continue,
        };
        *slot = (v != b"null").then_some(v);
    }
    if p.n.is_some_and(|n| n != b"1") {
        refused.push("n".to_owned());
    }
    if !refused.is_empty() {
        return Err(unsupported_params("bedrock", &refused, model));
    }
    Ok(p)
}

/// Turns the OpenAI chat-completions `body` into the Converse body for `provider_model` (the
/// model after `bedrock/`), appended to `out`. `out` is left as it was on error.
pub fn transform_request(
    body: &[u8],
    provider_model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    if !super::is_converse_model(provider_model) {
        // Claude's `invoke/` route: LiteLLM sends its chat through the Invoke API.
        return Err(unsupported(
            "chat completions through Bedrock's Invoke API (bedrock/invoke/...); use bedrock/converse/<model> or the model id",
        ));
    }
    let body = request_object(body, scratch)?;
    let (_, id) = model_id(provider_model);
    let anthropic = is_anthropic(id);
    let p = read_params(body, id)?;
    let messages = p
        .messages
        .and_then(elements)
        .ok_or_else(|| invalid("messages: expected a list of messages"))?;
    if let Some(format) = p.response_format {
        let kind = get(format, "type").and_then(string).unwrap_or_default();
        if kind != "text" && kind != "json_object" {
            return Err(unsupported(
                "response_format with a JSON schema is not supported for bedrock by corelane yet",
            ));
        }
    }
    let tools = p.tools.and_then(elements).unwrap_or_default();
    let thinking = thinking(&p, anthropic, id)?;
    let mut buf = Vec::with_capacity(body.len() + 256);
    buf.extend_from_slice(b"{\"messages\":");
    let system = write_messages(&messages, !tools.is_empty(), &mut buf)?;
    write_inference_config(&p, thinking.as_ref(), &mut buf)?;
    let mut additional = Vec::new();
    if let Some(t) = &thinking {
        additional.push(t.field.clone());
    }
    if p.top_k.is_some_and(|k| !is_number(k)) {
        return Err(invalid("top_k: expected a number"));
    }
    if let Some(k) = p.top_k {
        let model = id.to_ascii_lowercase();
        if anthropic {
            let mut f = b"\"top_k\":".to_vec();
            f.extend_from_slice(k);
            additional.push(f);
        } else if model.contains("nova") {
            let mut f = b"\"inferenceConfig\":{\"topK\":".to_vec();
            f.extend_from_slice(k);
            f.push(b'}');
            additional.push(f);
        }
    }
    if !additional.is_empty() {
        buf.extend_from_slice(b",\"additionalModelRequestFields\":{");
        buf.extend_from_slice(&additional.join(&b","[..]));
        buf.push(b'}');
    }
    if thinking.is_some() {
        buf.extend_from_slice(
            b",\"additionalModelResponseFieldPaths\":[\"/usage/output_tokens_details\"]",
        );
    }
    if !system.is_empty() {
        buf.extend_from_slice(b",\"system\":[");
        buf.extend_from_slice(&system.join(&b","[..]));
        buf.push(b']');
    }
    if !tools.is_empty() {
        write_tool_config(&tools, p.tool_choice, thinking.is_some(), id, &mut buf)?;
    } else if p.tool_choice.and_then(string).as_deref() == Some("none") {
        return Err(tool_choice_none());
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

/// Anthropic's extended thinking: the `thinking` field and the budget it adds to `maxTokens`.
struct Thinking {
    field: Vec<u8>,
    budget: u64,
}

/// Claude models that think (3.7, the 4 and 5 families), as LiteLLM's model map says.
fn reasoning_model(id: &str) -> bool {
    let base = super::base_model(id);
    [
        "claude-3-7",
        "claude-sonnet-4",
        "claude-opus-4",
        "claude-haiku-4",
        "claude-sonnet-5",
        "claude-opus-5",
        "claude-fable",
    ]
    .iter()
    .any(|family| base.contains(family))
}

fn thinking(p: &Params<'_>, anthropic: bool, id: &str) -> Result<Option<Thinking>> {
    if let Some(effort) = p.reasoning_effort {
        let effort =
            string(effort).ok_or_else(|| invalid("reasoning_effort: expected a string"))?;
        if effort == "none" {
            return Ok(None);
        }
        if !anthropic {
            return Err(unsupported(
                "reasoning_effort is supported for Anthropic models on bedrock by corelane so far",
            ));
        }
        if !reasoning_model(id) {
            return Err(unsupported_params(
                "bedrock",
                &["reasoning_effort".to_owned()],
                id,
            ));
        }
        let budget = thinking_budget(&effort)
            .ok_or_else(|| invalid(format!("reasoning_effort: unknown value {effort:?}")))?;
        let field = format!("\"thinking\":{{\"type\":\"enabled\",\"budget_tokens\":{budget}}}")
            .into_bytes();
        return Ok(Some(Thinking { field, budget }));
    }
    let Some(t) = p.thinking else {
        return Ok(None);
    };
    if !anthropic {
        return Err(unsupported(
            "thinking is supported for Anthropic models on bedrock by corelane so far",
        ));
    }
    if !reasoning_model(id) {
        return Err(unsupported_params("bedrock", &["thinking".to_owned()], id));
    }
    let [kind, budget] = fields(t, ["type", "budget_tokens"]);
    if kind.and_then(string).as_deref() != Some("enabled") {
        return Ok(None);
    }
    let budget = budget
        .and_then(|b| std::str::from_utf8(b).ok()?.trim().parse::<u64>().ok())
        .ok_or_else(|| invalid("thinking.budget_tokens: expected a positive integer"))?
        .max(1024);
    let field =
        format!("\"thinking\":{{\"type\":\"enabled\",\"budget_tokens\":{budget}}}").into_bytes();
    Ok(Some(Thinking { field, budget }))
}

fn write_inference_config(
    p: &Params<'_>,
    thinking: Option<&Thinking>,
    out: &mut Vec<u8>,
) -> Result<()> {
    let mut config: Vec<Vec<u8>> = Vec::new();
    for (name, value) in [
        ("temperature", p.temperature),
        ("top_p", p.top_p),
        ("max_tokens", p.max_tokens),
        ("max_completion_tokens", p.max_completion_tokens),
    ] {
        if value.is_some_and(|v| !is_number(v)) {
            return Err(invalid(format!("{name}: expected a number")));
        }
    }
    let mut field = |name: &str, value: &[u8]| {
        let mut f = Vec::with_capacity(name.len() + value.len() + 4);
        f.push(b'"');
        f.extend_from_slice(name.as_bytes());
        f.extend_from_slice(b"\":");
        f.extend_from_slice(value);
        config.push(f);
    };
    if let Some(t) = p.temperature {
        field("temperature", t);
    }
    if let Some(t) = p.top_p {
        field("topP", t);
    }
    if let Some(stop) = p.stop {
        if let Some(s) = string(stop) {
            if !s.is_empty() {
                let mut list = b"[".to_vec();
                write_json_string(&s, &mut list);
                list.push(b']');
                field("stopSequences", &list);
            }
        } else if elements(stop).is_some_and(|l| l.iter().all(|s| string(s).is_some())) {
            field("stopSequences", stop);
        } else {
            return Err(invalid("stop: expected a string or a list of strings"));
        }
    }
    match p.max_completion_tokens.or(p.max_tokens) {
        Some(max) => field("maxTokens", max),
        None => {
            if let Some(t) = thinking {
                field(
                    "maxTokens",
                    t.budget
                        .saturating_add(THINKING_HEADROOM)
                        .to_string()
                        .as_bytes(),
                );
            }
        }
    }
    out.extend_from_slice(b",\"inferenceConfig\":{");
    out.extend_from_slice(&config.join(&b","[..]));
    out.push(b'}');
    Ok(())
}

/// A JSON number (as a value slice of a parsed body).
fn is_number(v: &[u8]) -> bool {
    v.first().is_some_and(|b| b.is_ascii_digit() || *b == b'-')
}

/// The texts of a content (a string, or the `text` parts of a list).
fn texts(content: Option<&[u8]>) -> Vec<String> {
    let Some(content) = content else {
        return Vec::new();
    };
    if let Some(s) = string(content) {
        return vec![s];
    }
    elements(content)
        .unwrap_or_default()
        .iter()
        .filter(|i| get(i, "type").and_then(string).as_deref() == Some("text"))
        .filter_map(|i| get(i, "text").and_then(string))
        .collect()
}

/// Writes the `messages` list; returns the `system` blocks.
fn write_messages(messages: &[&[u8]], with_tools: bool, out: &mut Vec<u8>) -> Result<Vec<Vec<u8>>> {
    let mut roles = Vec::with_capacity(messages.len());
    for m in messages {
        let role = role_of(m)?;
        if role == Role::Function {
            return Err(invalid(
                "Invalid Message: bedrock does not take 'function' role messages; use tool messages",
            ));
        }
        roles.push(role);
    }
    let mut system = Vec::new();
    let mut i = 0;
    while i < messages.len() && roles[i] == Role::System {
        for text in texts(get(messages[i], "content")) {
            if !text.is_empty() {
                system.push(text_part(&text));
            }
        }
        i += 1;
    }
    if i == messages.len() {
        return Err(invalid(
            "Invalid Message bedrock requires at least one non-system message",
        ));
    }
    out.push(b'[');
    let mut turns = 0usize;
    let mut turn = |role: &str, blocks: &[Vec<u8>], out: &mut Vec<u8>| {
        if turns > 0 {
            out.push(b',');
        }
        turns += 1;
        out.extend_from_slice(b"{\"role\":\"");
        out.extend_from_slice(role.as_bytes());
        out.extend_from_slice(b"\",\"content\":[");
        out.extend_from_slice(&blocks.join(&b","[..]));
        out.extend_from_slice(b"]}");
    };
    while i < messages.len() {
        // User messages, later system messages and tool results up to the next assistant
        // message make one user turn, in order.
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        while i < messages.len() && roles[i] != Role::Assistant {
            match roles[i] {
                Role::Tool => blocks.push(tool_result(messages[i], with_tools)?),
                role => {
                    if role == Role::System {
                        blocks.push(text_part(OPERATOR_NOTE));
                    }
                    user_blocks(get(messages[i], "content"), &mut blocks)?;
                }
            }
            i += 1;
        }
        if !blocks.is_empty() {
            turn("user", &blocks, out);
        }
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        while i < messages.len() && roles[i] == Role::Assistant {
            assistant_blocks(messages[i], with_tools, &mut blocks)?;
            i += 1;
        }
        if !blocks.is_empty() {
            turn("assistant", &blocks, out);
        }
    }
    out.push(b']');
    Ok(system)
}

/// The blocks of one user message's content.
fn user_blocks(content: Option<&[u8]>, blocks: &mut Vec<Vec<u8>>) -> Result<()> {
    let Some(content) = content else {
        return Ok(());
    };
    if let Some(text) = string(content) {
        blocks.push(text_part(&text));
        return Ok(());
    }
    for item in elements(content).unwrap_or_default() {
        match get(item, "type").and_then(string).as_deref() {
            Some("text") => {
                let text = get(item, "text").and_then(string).unwrap_or_default();
                blocks.push(text_part(&text));
            }
            Some("image_url") => {
                let image = get(item, "image_url").unwrap_or(b"null");
                let url = string(image)
                    .or_else(|| get(image, "url").and_then(string))
                    .ok_or_else(|| invalid("image_url: expected a url"))?;
                blocks.push(image_block(&url)?);
            }
            Some(other) => {
                return Err(unsupported(format!(
                    "content parts of type {other:?} are not supported for bedrock by corelane yet"
                )))
            }
            None => {}
        }
    }
    Ok(())
}

/// A `data:` URL image as an `image` block (its base64 as given); remote URLs are refused.
fn image_block(url: &str) -> Result<Vec<u8>> {
    let (mime, data) = data_url(url)?.ok_or_else(|| {
        unsupported(
            "remote image URLs are not supported for bedrock by corelane yet (LiteLLM downloads them); send a base64 data: URL",
        )
    })?;
    let format = match mime {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => {
            return Err(unsupported(format!(
                "{other} content is not supported for bedrock by corelane yet (images: png, jpeg, gif, webp)"
            )))
        }
    };
    let mut b = Vec::with_capacity(data.len() + 64);
    b.extend_from_slice(b"{\"image\":{\"format\":\"");
    b.extend_from_slice(format.as_bytes());
    b.extend_from_slice(b"\",\"source\":{\"bytes\":");
    write_json_string(data, &mut b);
    b.extend_from_slice(b"}}}");
    Ok(b)
}

/// One tool message as a `toolResult` block, or as text when the request has no tools.
fn tool_result(message: &[u8], with_tools: bool) -> Result<Vec<u8>> {
    let [content, id] = fields(message, ["content", "tool_call_id"]);
    let id = id.and_then(string).unwrap_or_default();
    let text: String = texts(content).concat();
    if !with_tools {
        return Ok(text_part(&format!("[tool result for {id}: {text}]")));
    }
    let mut b = b"{\"toolResult\":{\"content\":[".to_vec();
    b.extend_from_slice(&text_part(&text));
    b.extend_from_slice(b"],\"toolUseId\":");
    write_json_string(&id, &mut b);
    b.extend_from_slice(b"}}");
    Ok(b)
}

/// One assistant message's blocks: signed thinking, text, tool calls.
fn assistant_blocks(message: &[u8], with_tools: bool, blocks: &mut Vec<Vec<u8>>) -> Result<()> {
    let [content, thinking, calls] = fields(message, ["content", "thinking_blocks", "tool_calls"]);
    for block in thinking.and_then(elements).unwrap_or_default() {
        if get(block, "type").and_then(string).as_deref() != Some("thinking") {
            continue;
        }
        let text = get(block, "thinking").and_then(string).unwrap_or_default();
        match get(block, "signature").and_then(string) {
            Some(signature) => {
                let mut b = b"{\"reasoningContent\":{\"reasoningText\":{\"text\":".to_vec();
                write_json_string(&text, &mut b);
                b.extend_from_slice(b",\"signature\":");
                write_json_string(&signature, &mut b);
                b.extend_from_slice(b"}}}");
                blocks.push(b);
            }
            None if !text.trim().is_empty() => blocks.push(text_part(&text)),
            None => {}
        }
    }
    for text in texts(content) {
        if !text.trim().is_empty() {
            blocks.push(text_part(&text));
        }
    }
    for call in calls.and_then(elements).unwrap_or_default() {
        let id = get(call, "id").and_then(string).unwrap_or_default();
        let function = get(call, "function").unwrap_or(b"{}");
        let [name, arguments] = fields(function, ["name", "arguments"]);
        let name = name.and_then(string).unwrap_or_default();
        let arguments = arguments.and_then(string).unwrap_or_default();
        if !with_tools {
            blocks.push(text_part(&format!("[tool call {id}: {name}({arguments})]")));
            continue;
        }
        let mut b = b"{\"toolUse\":{\"input\":".to_vec();
        // `json.loads(arguments)`, anything but an object becoming `{}`.
        let trimmed = arguments.trim();
        let object = serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok()
            && trimmed.starts_with('{');
        b.extend_from_slice(if object { trimmed.as_bytes() } else { b"{}" });
        b.extend_from_slice(b",\"name\":");
        write_json_string(&name, &mut b);
        b.extend_from_slice(b",\"toolUseId\":");
        write_json_string(&id, &mut b);
        b.extend_from_slice(b"}}");
        blocks.push(b);
    }
    Ok(())
}

fn tool_choice_none() -> TransformError {
    unsupported(
        "Bedrock doesn't support tool_choice=none. To drop it from the call, set `litellm.drop_params = True.",
    )
}

/// Whether Bedrock takes `name` as a tool name (`[a-zA-Z][a-zA-Z0-9_-]*`, at most 64).
fn valid_tool_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
}

fn write_tool_config(
    tools: &[&[u8]],
    choice: Option<&[u8]>,
    thinking: bool,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<()> {
    let base = super::base_model(model);
    let strict_tools =
        base.starts_with("anthropic") && !base.contains("opus-4-7") && !base.contains("opus-4-8");
    out.extend_from_slice(b",\"toolConfig\":{\"tools\":[");
    for (i, tool) in tools.iter().enumerate() {
        let function =
            get(tool, "function").ok_or_else(|| invalid("tools: each tool needs a function"))?;
        let [name, description, parameters, strict] =
            fields(function, ["name", "description", "parameters", "strict"]);
        let name = name.and_then(string).unwrap_or_default();
        if !valid_tool_name(&name) {
            return Err(unsupported(format!(
                "tool name {name:?} is not one Bedrock takes ([a-zA-Z][a-zA-Z0-9_-]*); corelane does not rename tools yet"
            )));
        }
        let description = description
            .and_then(string)
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| name.clone());
        let parameters = parameters.unwrap_or(b"{}");
        if memchr::memmem::find(parameters, b"\"$ref\"").is_some() {
            return Err(unsupported(
                "$ref in tool schemas is not supported for bedrock by corelane yet",
            ));
        }
        let [kind, properties, required, additional] = fields(
            parameters,
            ["type", "properties", "required", "additionalProperties"],
        );
        if properties.is_some_and(|p| !is_object(p))
            || required.is_some_and(|r| elements(r).is_none())
        {
            return Err(invalid(format!(
                "tools: the parameters of {name:?} need an object of properties and a list of required names"
            )));
        }
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"toolSpec\":{\"inputSchema\":{\"json\":{\"type\":");
        match kind.filter(|k| {
            matches!(
                string(k).as_deref(),
                Some("array" | "boolean" | "integer" | "null" | "number" | "object" | "string")
            )
        }) {
            Some(k) => out.extend_from_slice(k),
            None => out.extend_from_slice(b"\"object\""),
        }
        out.extend_from_slice(b",\"properties\":");
        out.extend_from_slice(properties.unwrap_or(b"{}"));
        out.extend_from_slice(b",\"required\":");
        out.extend_from_slice(required.unwrap_or(b"[]"));
        if let (true, Some(a)) = (strict_tools, additional) {
            out.extend_from_slice(b",\"additionalProperties\":");
            out.extend_from_slice(a);
        }
        out.extend_from_slice(b"}},\"name\":");
        write_json_string(&name, out);
        out.extend_from_slice(b",\"description\":");
        write_json_string(&description, out);
        if strict_tools && strict == Some(b"true") {
            out.extend_from_slice(b",\"strict\":true");
        }
        out.extend_from_slice(b"}}");
    }
    out.push(b']');
    if let Some(choice) = choice {
        let mapped: Vec<u8> = match string(choice).as_deref() {
            Some("auto") => b"{\"auto\":{}}".to_vec(),
            Some("required") if thinking => b"{\"auto\":{}}".to_vec(),
            Some("required") => b"{\"any\":{}}".to_vec(),
            Some("none") => return Err(tool_choice_none()),
            Some(other) => return Err(invalid(format!("tool_choice: unknown value {other:?}"))),
            None => {
                let name = get(choice, "function")
                    .and_then(|f| get(f, "name"))
                    .and_then(string)
                    .ok_or_else(|| invalid("tool_choice: expected a function name"))?;
                if thinking {
                    b"{\"auto\":{}}".to_vec()
                } else {
                    let mut c = b"{\"tool\":{\"name\":".to_vec();
                    write_json_string(&name, &mut c);
                    c.extend_from_slice(b"}}");
                    c
                }
            }
        };
        out.extend_from_slice(b",\"toolChoice\":");
        out.extend_from_slice(&mapped);
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn converse(body: Value, model: &str) -> std::result::Result<Value, String> {
        let mut out = Vec::new();
        transform_request(
            body.to_string().as_bytes(),
            model,
            &mut Scratch::default(),
            &mut out,
        )
        .map_err(|e| e.message().to_owned())?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

    #[test]
    fn system_params_and_turns() {
        let sent = converse(
            json!({"model": "m", "max_tokens": 100, "temperature": 0.5, "top_p": 0.9, "stop": "X",
                   "messages": [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Hi"},
                                {"role": "user", "content": [{"type": "text", "text": "there"}]},
                                {"role": "assistant", "content": "Hello"}]}),
            CLAUDE,
        )
        .unwrap();
        assert_eq!(
            sent,
            json!({"messages": [{"role": "user", "content": [{"text": "Hi"}, {"text": "there"}]},
                                {"role": "assistant", "content": [{"text": "Hello"}]}],
                   "inferenceConfig": {"temperature": 0.5, "topP": 0.9, "stopSequences": ["X"], "maxTokens": 100},
                   "system": [{"text": "Be brief."}]})
        );
    }

    #[test]
    fn tools_calls_and_results() {
        let sent = converse(
            json!({"messages": [
                {"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": "", "tool_calls": [{"id": "t1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
                {"role": "tool", "tool_call_id": "t1", "content": "Sunny"}],
                "tools": [{"type": "function", "function": {"name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                   "additionalProperties": false}}}],
                "tool_choice": "required"}),
            "meta.llama3-1-70b-instruct-v1:0",
        )
        .unwrap();
        assert_eq!(
            sent["messages"][1]["content"],
            json!([{"toolUse": {"input": {"city": "Paris"}, "name": "get_weather", "toolUseId": "t1"}}])
        );
        assert_eq!(
            sent["messages"][2]["content"],
            json!([{"toolResult": {"content": [{"text": "Sunny"}], "toolUseId": "t1"}}])
        );
        assert_eq!(
            sent["toolConfig"],
            json!({"tools": [{"toolSpec": {"inputSchema": {"json": {"type": "object",
                     "properties": {"city": {"type": "string"}}, "required": []}},
                     "name": "get_weather", "description": "get_weather"}}],
                   "toolChoice": {"any": {}}})
        );
    }

    #[test]
    fn without_tools_calls_and_results_are_text() {
        let sent = converse(
            json!({"messages": [
                {"role": "user", "content": "Go"},
                {"role": "assistant", "tool_calls": [{"id": "t1", "type": "function",
                    "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "t1", "content": "done"}]}),
            CLAUDE,
        )
        .unwrap();
        assert_eq!(
            sent["messages"][1]["content"],
            json!([{"text": "[tool call t1: f({})]"}])
        );
        assert_eq!(
            sent["messages"][2]["content"],
            json!([{"text": "[tool result for t1: done]"}])
        );
    }

    #[test]
    fn reasoning_effort_is_anthropic_thinking() {
        let sent = converse(
            json!({"reasoning_effort": "low", "messages": [{"role": "user", "content": "Hi"}]}),
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        )
        .unwrap();
        // Claude 3.5 does not think: LiteLLM refuses the parameter.
        let err = converse(
            json!({"reasoning_effort": "low", "messages": [{"role": "user", "content": "Hi"}]}),
            CLAUDE,
        )
        .unwrap_err();
        assert!(
            err.starts_with("bedrock does not support parameters: ['reasoning_effort']"),
            "{err}"
        );
        assert_eq!(sent["inferenceConfig"], json!({"maxTokens": 5120}));
        assert_eq!(
            sent["additionalModelRequestFields"],
            json!({"thinking": {"type": "enabled", "budget_tokens": 1024}})
        );
        assert_eq!(
            sent["additionalModelResponseFieldPaths"],
            json!(["/usage/output_tokens_details"])
        );
    }

    #[test]
    fn refusals_carry_litellms_text() {
        let err = converse(
            json!({"seed": 1, "n": 2, "messages": [{"role": "user", "content": "Hi"}]}),
            CLAUDE,
        )
        .unwrap_err();
        assert!(
            err.starts_with(
                "bedrock does not support parameters: ['seed', 'n'], for model=anthropic.claude"
            ),
            "{err}"
        );
        let none = json!({"tool_choice": "none", "messages": [{"role": "user", "content": "Hi"}],
                          "tools": [{"type": "function", "function": {"name": "f"}}]});
        assert!(converse(none, CLAUDE)
            .unwrap_err()
            .starts_with("Bedrock doesn't support tool_choice=none"));
        let only_system = json!({"messages": [{"role": "system", "content": "x"}]});
        assert!(converse(only_system, CLAUDE)
            .unwrap_err()
            .contains("at least one non-system message"));
        let wrong_type =
            json!({"temperature": "hot", "messages": [{"role": "user", "content": "Hi"}]});
        assert_eq!(
            converse(wrong_type, CLAUDE).unwrap_err(),
            "temperature: expected a number"
        );
        let bad_tool = json!({"messages": [{"role": "user", "content": "Hi"}], "tools": [
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": []}}}]});
        assert!(converse(bad_tool, CLAUDE).is_err());
        // A budget at the top of u64 neither panics nor wraps.
        let huge = json!({"thinking": {"type": "enabled", "budget_tokens": u64::MAX},
                          "messages": [{"role": "user", "content": "Hi"}]});
        let sent = converse(huge, "anthropic.claude-sonnet-4-5-20250929-v1:0").unwrap();
        assert_eq!(sent["inferenceConfig"]["maxTokens"], json!(u64::MAX));
        let remote = json!({"messages": [{"role": "user", "content": [{"type": "image_url",
            "image_url": {"url": "https://example.com/a.png"}}]}]});
        assert!(converse(remote, CLAUDE).is_err());
    }
}
