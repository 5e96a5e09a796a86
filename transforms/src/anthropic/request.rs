//! OpenAI chat-completions body → Anthropic Messages body, as LiteLLM 1.106.2 builds it for
//! `anthropic/` models. Each behaviour cites the LiteLLM function it follows:
//!
//! - system: the leading run of `system` messages becomes top-level `system`, a list of text
//!   blocks keeping `cache_control` verbatim, empty texts skipped (`split_leading_system_run`,
//!   `translate_system_message`). A later system message becomes a user turn opened by
//!   LiteLLM's operator note, moved after a following run of tool messages, with
//!   `cache_control` rebuilt as `{"type":"ephemeral"[,"ttl"]}` (`place_mid_conversation_system`,
//!   `_converted_for_unflagged_model`): corelane has no cost map, so no model counts as
//!   `supports_mid_conversation_system`.
//! - messages: consecutive user/tool messages merge into one user turn, consecutive assistant
//!   messages into one assistant turn; empty or blank text becomes LiteLLM's placeholder; the
//!   final assistant turn's texts lose trailing whitespace (`anthropic_messages_pt`,
//!   `_sanitize_empty_text_content`).
//! - images: `https://` URLs become `url` sources, `data:` URLs `base64` sources, `format`
//!   overriding the media type (`create_anthropic_image_param`, `convert_to_anthropic_image_obj`).
//! - tool calls: `tool_use` blocks with the id sanitized to `[a-zA-Z0-9_-]`, duplicate ids in
//!   one turn dropped, `input` the parsed `arguments` (`convert_to_anthropic_tool_invoke`,
//!   `parse_tool_call_arguments`); tool messages become `tool_result` blocks
//!   (`convert_to_anthropic_tool_result`); tool calls without `tools` add LiteLLM's dummy tool
//!   (`has_tool_call_blocks`, `add_dummy_tool`).
//! - parameters: `AnthropicConfig.map_openai_params`, `_map_tools`/`_map_tool_helper`
//!   (`sanitize_input_schema_for_anthropic`), `_map_tool_choice`, `_map_stop_sequences`,
//!   `_map_reasoning_effort`, `update_optional_params_with_thinking_tokens`, `_valid_user_id`,
//!   and `get_max_tokens_for_model`'s fallback `DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS`.
//!
//! What LiteLLM can do but this transform refuses with [`TransformError::Unsupported`]:
//! `http://` image URLs (LiteLLM downloads them), `file` parts, `function` messages and
//! `function_call`, non-function tool types, tool names LiteLLM would rename (it keeps a
//! per-request map to rename them back), schemas with `definitions`/`components` (LiteLLM
//! inlines their refs), `response_format`, `web_search_options`, and OpenAI parameters
//! Anthropic has no equivalent for (LiteLLM refuses those too unless `drop_params`).

use crate::json::tape::Scratch;
use crate::json::{top_members, write_json_string};

use super::{elements, get, is_null, is_object, key_of, string};

/// LiteLLM's `DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS`, for a model its cost map does not list.
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// The max output tokens of the Anthropic models in LiteLLM 1.108.7's cost map
/// (`model_prices_and_context_window.json`, `litellm_provider: anthropic`), which
/// `get_max_tokens_for_model` gives a request without `max_tokens`. Sorted by name.
static MAX_OUTPUT_TOKENS: &[(&str, u64)] = &[
    ("claude-fable-5", 128000),
    ("claude-fable-5-1", 128000),
    ("claude-haiku-4-5", 64000),
    ("claude-haiku-4-5-20251001", 64000),
    ("claude-haiku-5-5", 128000),
    ("claude-mythos-5", 128000),
    ("claude-mythos-5-1", 128000),
    ("claude-mythos-preview", 128000),
    ("claude-opus-4-5", 64000),
    ("claude-opus-4-5-20251101", 64000),
    ("claude-opus-4-6", 128000),
    ("claude-opus-4-6-20260205", 128000),
    ("claude-opus-4-7", 128000),
    ("claude-opus-4-7-20260416", 128000),
    ("claude-opus-4-8", 128000),
    ("claude-opus-5", 128000),
    ("claude-opus-5-5", 128000),
    ("claude-sonnet-4-5", 64000),
    ("claude-sonnet-4-5-20250929", 64000),
    ("claude-sonnet-4-6", 128000),
    ("claude-sonnet-5", 128000),
    ("claude-sonnet-5-5", 128000),
];

/// `get_max_tokens_for_model`: the model's max output tokens, else [`DEFAULT_MAX_TOKENS`].
pub fn default_max_tokens(model: &str) -> u64 {
    MAX_OUTPUT_TOKENS
        .binary_search_by(|(name, _)| (*name).cmp(model))
        .map_or(DEFAULT_MAX_TOKENS, |i| MAX_OUTPUT_TOKENS[i].1)
}

/// LiteLLM's `DEFAULT_MAX_TOKENS`, added to the thinking budget when the client set no
/// `max_tokens` (`update_optional_params_with_thinking_tokens`).
pub const THINKING_HEADROOM: u64 = 4096;

/// LiteLLM's `_EMPTY_TEXT_PLACEHOLDER`.
pub const EMPTY_TEXT_PLACEHOLDER: &str =
    "[System: Empty message content sanitised to satisfy protocol]";

/// LiteLLM's `CONVERTED_SYSTEM_NOTE`, opening a later system message turned into a user turn.
pub const CONVERTED_SYSTEM_NOTE: &str = "Operator note (not from the user): the following was originally a mid-conversation system-role reminder.";

/// Why a request could not be transformed; the server answers 400 with [`Self::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransformError {
    /// The body is not JSON, or not the shape the OpenAI API defines.
    Invalid(String),
    /// Valid input this transform does not handle (see the module docs).
    Unsupported(String),
    /// OpenAI parameters the provider has no field for: LiteLLM's `UnsupportedParamsError`
    /// (its message as LiteLLM writes it).
    /// LiteLLM's `UnsupportedParamsError`: its message, and the request's top-level
    /// parameters it names (dropped, and the request translated again, with `drop_params`).
    UnsupportedParams {
        message: String,
        params: Vec<String>,
    },
}

impl TransformError {
    pub fn message(&self) -> &str {
        match self {
            TransformError::Invalid(m)
            | TransformError::Unsupported(m)
            | TransformError::UnsupportedParams { message: m, .. } => m,
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, TransformError>;

pub(crate) fn invalid(m: impl Into<String>) -> TransformError {
    TransformError::Invalid(m.into())
}

pub(crate) fn unsupported(m: impl Into<String>) -> TransformError {
    TransformError::Unsupported(m.into())
}

/// OpenAI parameters Anthropic has no equivalent for: LiteLLM raises `UnsupportedParamsError`
/// for them (without `drop_params`), and those it maps but this transform does not yet.
const REFUSED_PARAMS: &[&str] = &[
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "seed",
    "functions",
    "function_call",
    "audio",
    "modalities",
    "prediction",
    "response_format",
    "web_search_options",
    "context_management",
    "speed",
];

/// Turns the OpenAI chat-completions `body` into the Anthropic Messages body for `model` (the
/// provider model name, after `anthropic/`), appended to `out`. `out` is left as it was on error.
pub fn transform_request(
    body: &[u8],
    model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    crate::chat::request_object(body, scratch)?;
    let mut buf = Vec::with_capacity(body.len() + 256);
    write_body(body, model, &mut buf)?;
    out.extend_from_slice(&buf);
    Ok(())
}

/// The top-level members LiteLLM reads, the last of each name winning.
#[derive(Default)]
struct Params<'b> {
    messages: Option<&'b [u8]>,
    max_tokens: Option<&'b [u8]>,
    max_completion_tokens: Option<&'b [u8]>,
    stop: Option<&'b [u8]>,
    temperature: Option<&'b [u8]>,
    top_p: Option<&'b [u8]>,
    top_k: Option<&'b [u8]>,
    stream: Option<&'b [u8]>,
    user: Option<&'b [u8]>,
    metadata: Option<&'b [u8]>,
    reasoning_effort: Option<&'b [u8]>,
    thinking: Option<&'b [u8]>,
    tools: Option<&'b [u8]>,
    tool_choice: Option<&'b [u8]>,
    parallel_tool_calls: Option<&'b [u8]>,
    cache_control: Option<&'b [u8]>,
}

fn read_params(body: &[u8]) -> Result<Params<'_>> {
    let mut p = Params::default();
    for m in top_members(body).ok_or_else(|| invalid("expected an object"))? {
        let key = key_of(body, &m.key).unwrap_or_default();
        let v = &body[m.value];
        let slot = match key.as_str() {
            "messages" => &mut p.messages,
            "max_tokens" => &mut p.max_tokens,
            "max_completion_tokens" => &mut p.max_completion_tokens,
            "stop" => &mut p.stop,
            "temperature" => &mut p.temperature,
            "top_p" => &mut p.top_p,
            "top_k" => &mut p.top_k,
            "stream" => &mut p.stream,
            "user" => &mut p.user,
            "metadata" => &mut p.metadata,
            "reasoning_effort" => &mut p.reasoning_effort,
            "thinking" => &mut p.thinking,
            "tools" => &mut p.tools,
            "tool_choice" => &mut p.tool_choice,
            "parallel_tool_calls" => &mut p.parallel_tool_calls,
            "cache_control" => &mut p.cache_control,
            k if REFUSED_PARAMS.contains(&k) => {
                if v == b"null" {
                    continue;
                }
                return Err(unsupported(format!(
                    "anthropic does not support parameters: ['{k}']"
                )));
            }
            // Proxy-level keys (`model`, `fallbacks`, `stream_options`, ...) and anything else
            // LiteLLM would pass on as a provider-specific parameter: not forwarded.
            _ => continue,
        };
        // LiteLLM only maps non-default parameters: an explicit null is as if absent.
        *slot = (v != b"null").then_some(v);
    }
    Ok(p)
}

fn write_body(body: &[u8], model: &str, out: &mut Vec<u8>) -> Result<()> {
    let p = read_params(body)?;
    let messages = p
        .messages
        .and_then(elements)
        .ok_or_else(|| invalid("messages: expected a list of messages"))?;
    let any_tool_calls = messages
        .iter()
        .any(|m| is_object(m) && !is_null(get(m, "tool_calls")));

    out.extend_from_slice(b"{\"model\":");
    write_json_string(model, out);

    let leading = messages
        .iter()
        .take_while(|m| role_of(m).as_deref() == Some("system"))
        .count();
    let mut system = Vec::new();
    for m in &messages[..leading] {
        system_blocks(m, &mut system)?;
    }
    out.extend_from_slice(b",\"messages\":");
    write_messages(&place_later_system(&messages[leading..])?, out)?;
    if !system.is_empty() {
        out.extend_from_slice(b",\"system\":[");
        out.extend_from_slice(&system.join(&b","[..]));
        out.push(b']');
    }

    if let Some(tools) = p.tools {
        out.extend_from_slice(b",\"tools\":");
        write_tools(tools, out)?;
    } else if any_tool_calls {
        out.extend_from_slice(br#","tools":[{"name":"dummy_tool","input_schema":{"type":"object","properties":{}},"type":"custom","description":"This is a dummy tool call"}]"#);
    }
    write_tool_choice(p.tool_choice, p.parallel_tool_calls, out)?;

    if let Some(stop) = p.stop {
        write_stop(stop, out)?;
    }
    for (name, value) in [
        ("temperature", p.temperature),
        ("top_p", p.top_p),
        ("top_k", p.top_k),
    ] {
        if let Some(v) = value {
            write_sampling(model, name, v, out)?;
        }
    }
    match p.stream {
        Some(b"true") => out.extend_from_slice(b",\"stream\":true"),
        Some(b"false") | None => {}
        Some(_) => return Err(invalid("Invalid value for 'stream': expected a boolean")),
    }
    if let Some(user_id) = user_id(p.user, p.metadata) {
        out.extend_from_slice(b",\"metadata\":{\"user_id\":");
        write_json_string(&user_id, out);
        out.push(b'}');
    }
    if let Some(cc) = p.cache_control.filter(|v| is_object(v)) {
        out.extend_from_slice(b",\"cache_control\":");
        out.extend_from_slice(cc);
    }

    let budget = write_thinking(p.thinking, p.reasoning_effort, out)?;
    let max_tokens = match p.max_completion_tokens.or(p.max_tokens) {
        Some(v) => Some(max_tokens_value(v)?),
        None => budget.map(|b| b.saturating_add(THINKING_HEADROOM)),
    };
    out.extend_from_slice(b",\"max_tokens\":");
    out.extend_from_slice(
        itoa::Buffer::new()
            .format(max_tokens.unwrap_or_else(|| default_max_tokens(model)))
            .as_bytes(),
    );
    out.push(b'}');
    Ok(())
}

fn role_of(m: &[u8]) -> Option<String> {
    get(m, "role").and_then(string)
}

/// `max_tokens`: an integer as is, a float rounded with a floor of 1 (`map_openai_params`).
fn max_tokens_value(v: &[u8]) -> Result<u64> {
    let text = std::str::from_utf8(v).unwrap_or("");
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    }
    let is_int = !text.contains(['.', 'e', 'E']);
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && !is_int => Ok(f.round().max(1.0) as u64),
        _ => Err(invalid("max_tokens: expected a positive integer")),
    }
}

/// One content block of a wire message. Text stays structured so the final assistant turn can
/// lose its trailing whitespace; everything else is written once.
enum Block {
    Text {
        text: String,
        cache: Option<Vec<u8>>,
    },
    Raw(Vec<u8>),
}

impl Block {
    fn text(text: &str, cache: Option<&[u8]>) -> Block {
        // `_sanitize_empty_text_content`: Anthropic refuses empty text blocks.
        let text = if text.trim().is_empty() {
            EMPTY_TEXT_PLACEHOLDER
        } else {
            text
        };
        Block::Text {
            text: text.to_owned(),
            cache: cache.map(<[u8]>::to_vec),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Block::Text { text, cache } => {
                out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
                write_json_string(text, out);
                if let Some(cc) = cache {
                    out.extend_from_slice(b",\"cache_control\":");
                    out.extend_from_slice(cc);
                }
                out.push(b'}');
            }
            Block::Raw(raw) => out.extend_from_slice(raw),
        }
    }
}

/// `cache_control` as `add_cache_control_to_content` copies it: only when it is an object.
fn cache_of(holder: &[u8]) -> Option<&[u8]> {
    get(holder, "cache_control").filter(|v| is_object(v))
}

/// Top-level `system` blocks of one leading system message (`translate_system_message`).
fn system_blocks(m: &[u8], out: &mut Vec<Vec<u8>>) -> Result<()> {
    let content = get(m, "content").ok_or_else(|| invalid("system message without content"))?;
    let mut push = |text: &str, cache: Option<&[u8]>| {
        if !text.is_empty() {
            let mut b = Vec::new();
            Block::Text {
                text: text.to_owned(),
                cache: cache.map(<[u8]>::to_vec),
            }
            .write(&mut b);
            out.push(b);
        }
    };
    if let Some(text) = string(content) {
        // Here LiteLLM copies the message's `cache_control` whatever its type.
        let mut b = Vec::new();
        if !text.is_empty() {
            b.extend_from_slice(b"{\"type\":\"text\",\"text\":");
            write_json_string(&text, &mut b);
            if let Some(cc) = get(m, "cache_control") {
                b.extend_from_slice(b",\"cache_control\":");
                b.extend_from_slice(cc);
            }
            b.push(b'}');
            out.push(b);
        }
    } else if let Some(parts) = elements(content) {
        for part in parts {
            if !is_object(part) {
                return Err(invalid("system message content parts must be objects"));
            }
            if get(part, "type").and_then(string).as_deref() != Some("text") {
                return Err(unsupported("system message content parts other than text"));
            }
            let text = get(part, "text").and_then(string).unwrap_or_default();
            push(&text, get(part, "cache_control"));
        }
    }
    Ok(())
}

/// A message after the leading system run, or a later system message turned into a user turn.
#[derive(Clone, Copy)]
enum Turn<'b> {
    Msg(&'b [u8]),
    SystemAsUser(&'b [u8]),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    System,
    Tool,
    Other,
}

fn kind(m: &[u8]) -> Kind {
    match role_of(m).as_deref() {
        Some("system") => Kind::System,
        Some("tool" | "function") => Kind::Tool,
        _ => Kind::Other,
    }
}

/// `_converted_for_unflagged_model`: each later system message becomes a user turn in place,
/// except that a system run followed by tool messages goes after them.
fn place_later_system<'b>(msgs: &[&'b [u8]]) -> Result<Vec<Turn<'b>>> {
    let mut runs: Vec<(Kind, &[&'b [u8]])> = Vec::new();
    let mut start = 0;
    for i in 1..=msgs.len() {
        if i == msgs.len() || kind(msgs[i]) != kind(msgs[start]) {
            runs.push((kind(msgs[start]), &msgs[start..i]));
            start = i;
        }
    }
    let converted = |run: &[&'b [u8]]| -> Vec<Turn<'b>> {
        run.iter()
            .filter(|m| has_system_text(m))
            .map(|m| Turn::SystemAsUser(m))
            .collect()
    };
    let mut turns = Vec::with_capacity(msgs.len());
    for (i, &(k, run)) in runs.iter().enumerate() {
        let next = runs.get(i + 1).map(|r| r.0);
        match k {
            Kind::System if next == Some(Kind::Tool) => {}
            Kind::System => turns.extend(converted(run)),
            _ => {
                turns.extend(run.iter().map(|m| Turn::Msg(m)));
                if k == Kind::Tool && i > 0 && runs[i - 1].0 == Kind::System {
                    turns.extend(converted(runs[i - 1].1));
                }
            }
        }
    }
    Ok(turns)
}

/// The non-empty text parts of a system message with `cache_control` rebuilt as
/// `mid_conversation_system._cache_control` does.
fn system_text_parts(m: &[u8]) -> Vec<(String, Option<&'static [u8]>)> {
    let Some(content) = get(m, "content") else {
        return Vec::new();
    };
    if let Some(text) = string(content) {
        return if text.is_empty() {
            Vec::new()
        } else {
            vec![(text, ephemeral(m))]
        };
    }
    elements(content)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| get(p, "type").and_then(string).as_deref() == Some("text"))
        .filter_map(|p| {
            let text = get(p, "text").and_then(string)?;
            (!text.is_empty()).then(|| (text, ephemeral(p)))
        })
        .collect()
}

fn has_system_text(m: &[u8]) -> bool {
    !system_text_parts(m).is_empty()
}

fn ephemeral(holder: &[u8]) -> Option<&'static [u8]> {
    let cc = get(holder, "cache_control").filter(|v| is_object(v))?;
    if get(cc, "type").and_then(string).as_deref() != Some("ephemeral") {
        return None;
    }
    Some(match get(cc, "ttl").and_then(string).as_deref() {
        Some("1h") => br#"{"type":"ephemeral","ttl":"1h"}"#,
        Some("5m") => br#"{"type":"ephemeral","ttl":"5m"}"#,
        _ => br#"{"type":"ephemeral"}"#,
    })
}

/// `anthropic_messages_pt`: merges runs of user-type and of assistant messages into turns.
fn write_messages(turns: &[Turn<'_>], out: &mut Vec<u8>) -> Result<()> {
    if turns.is_empty() {
        return Err(invalid(
            "Anthropic requires at least one non-system message.",
        ));
    }
    let mut wire: Vec<(&str, Vec<Block>)> = Vec::new();
    let mut i = 0;
    while i < turns.len() {
        let start = i;
        let mut user = Vec::new();
        while let Some(&turn) = turns.get(i) {
            match turn {
                Turn::SystemAsUser(m) => {
                    user.push(Block::text(CONVERTED_SYSTEM_NOTE, None));
                    for (text, cache) in system_text_parts(m) {
                        user.push(Block::text(&text, cache));
                    }
                }
                Turn::Msg(m) => match role_of(m).as_deref() {
                    Some("user") => user_blocks(m, &mut user)?,
                    Some("tool") => user.push(tool_result(m)?),
                    Some("function") => return Err(unsupported("messages with role 'function'")),
                    _ => break,
                },
            }
            i += 1;
        }
        if !user.is_empty() {
            wire.push(("user", user));
        }
        let mut assistant = Vec::new();
        let mut ids = Vec::new();
        while let Some(&Turn::Msg(m)) = turns.get(i) {
            if role_of(m).as_deref() != Some("assistant") {
                break;
            }
            assistant_blocks(m, &mut ids, &mut assistant)?;
            i += 1;
        }
        if !assistant.is_empty() {
            wire.push(("assistant", assistant));
        }
        if i == start {
            return Err(invalid(
                "Invalid Message: each message needs a role of system, user, assistant or tool",
            ));
        }
    }
    if let Some((role, blocks)) = wire.last_mut() {
        if *role == "assistant" {
            for b in blocks {
                if let Block::Text { text, .. } = b {
                    text.truncate(text.trim_end().len());
                }
            }
        }
    }
    out.push(b'[');
    for (n, (role, blocks)) in wire.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"role\":\"");
        out.extend_from_slice(role.as_bytes());
        out.extend_from_slice(b"\",\"content\":[");
        for (k, b) in blocks.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            b.write(out);
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
    Ok(())
}

fn content_of(m: &[u8]) -> Result<&[u8]> {
    get(m, "content").ok_or_else(|| invalid("message without content"))
}

fn user_blocks(m: &[u8], out: &mut Vec<Block>) -> Result<()> {
    let content = content_of(m)?;
    if let Some(text) = string(content) {
        out.push(Block::text(&text, cache_of(m)));
        return Ok(());
    }
    for part in elements(content).unwrap_or_default() {
        if !is_object(part) {
            return Err(invalid("message content parts must be objects"));
        }
        match get(part, "type").and_then(string).as_deref() {
            Some("text") => {
                let text = get(part, "text").and_then(string).unwrap_or_default();
                out.push(Block::text(&text, cache_of(part)));
            }
            Some("image_url") => out.push(Block::Raw(image_block(part)?)),
            Some("document") => out.push(Block::Raw(part.to_vec())),
            Some("file") => return Err(unsupported("content parts of type 'file'")),
            // LiteLLM drops part types it does not know.
            _ => {}
        }
    }
    Ok(())
}

/// `create_anthropic_image_param` for the direct Anthropic API.
fn image_block(part: &[u8]) -> Result<Vec<u8>> {
    let image =
        get(part, "image_url").ok_or_else(|| invalid("image_url part without image_url"))?;
    let (url, format) = match string(image) {
        Some(url) => (url, None),
        None => (
            get(image, "url")
                .and_then(string)
                .ok_or_else(|| invalid("image_url.url: expected a string"))?,
            get(image, "format").and_then(string),
        ),
    };
    let mut b = Vec::with_capacity(url.len() + 96);
    b.extend_from_slice(b"{\"type\":\"image\",\"source\":");
    if url.starts_with("https://") {
        b.extend_from_slice(b"{\"type\":\"url\",\"url\":");
        write_json_string(&url, &mut b);
    } else if url.starts_with("http://") {
        return Err(unsupported(
            "http:// image URLs (LiteLLM downloads them); send https:// or a data: URL",
        ));
    } else {
        let (media, data) = url
            .strip_prefix("data:")
            .and_then(|rest| rest.split_once(";base64,"))
            .filter(|(_, data)| !data.contains(";base64,"))
            .ok_or_else(|| {
                invalid("Image url not in expected format. Example Expected input - \"image_url\": \"data:image/jpeg;base64,{base64_image}\".")
            })?;
        b.extend_from_slice(b"{\"type\":\"base64\",\"media_type\":");
        match format {
            Some(f) => write_json_string(&f, &mut b),
            None => write_json_string(&media.replace("\\/", "/"), &mut b),
        }
        b.extend_from_slice(b",\"data\":");
        write_json_string(data, &mut b);
    }
    b.extend_from_slice(b"}");
    if let Some(cc) = cache_of(part) {
        b.extend_from_slice(b",\"cache_control\":");
        b.extend_from_slice(cc);
    }
    b.push(b'}');
    Ok(b)
}

/// `_sanitize_anthropic_tool_use_id` (also `normalize_anthropic_tool_use_id`): every character
/// outside `[a-zA-Z0-9_-]` becomes `_`.
pub(crate) fn sanitize_tool_id(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "tool_use_id".to_owned()
    } else {
        s
    }
}

/// `convert_to_anthropic_tool_result` for a `role: tool` message.
fn tool_result(m: &[u8]) -> Result<Block> {
    let id = get(m, "tool_call_id")
        .and_then(string)
        .ok_or_else(|| invalid("tool message without a string tool_call_id"))?;
    let content = content_of(m)?;
    let mut b = Vec::new();
    b.extend_from_slice(b"{\"type\":\"tool_result\",\"tool_use_id\":");
    write_json_string(&sanitize_tool_id(&id), &mut b);
    b.extend_from_slice(b",\"content\":");
    if let Some(text) = string(content) {
        write_json_string(&text, &mut b);
    } else if let Some(parts) = elements(content) {
        b.push(b'[');
        let mut first = true;
        for part in parts {
            let kind = get(part, "type").and_then(string);
            let mut block = Vec::new();
            match kind.as_deref() {
                Some("text") => {
                    let text = get(part, "text")
                        .and_then(string)
                        .ok_or_else(|| invalid("text part without text"))?;
                    block.extend_from_slice(b"{\"type\":\"text\",\"text\":");
                    write_json_string(&text, &mut block);
                    if let Some(cc) = get(part, "cache_control").filter(|v| *v != b"null") {
                        block.extend_from_slice(b",\"cache_control\":");
                        block.extend_from_slice(cc);
                    }
                    block.push(b'}');
                }
                Some("image_url") => {
                    let url = get(part, "image_url")
                        .and_then(|i| string(i).or_else(|| get(i, "url").and_then(string)))
                        .unwrap_or_default();
                    if url.starts_with("data:application/pdf") || url.starts_with("data:text/plain")
                    {
                        return Err(unsupported("document data URLs in tool results"));
                    }
                    block = image_block(part)?;
                }
                Some("tool_reference") => {
                    let name = get(part, "tool_name")
                        .and_then(string)
                        .ok_or_else(|| invalid("tool_reference without tool_name"))?;
                    block.extend_from_slice(b"{\"type\":\"tool_reference\",\"tool_name\":");
                    write_json_string(&name, &mut block);
                    block.push(b'}');
                }
                Some("file") => return Err(unsupported("content parts of type 'file'")),
                _ => continue,
            }
            if !first {
                b.push(b',');
            }
            first = false;
            b.extend_from_slice(&block);
        }
        b.push(b']');
    } else {
        b.extend_from_slice(b"\"\"");
    }
    if let Some(cc) = get(m, "cache_control").filter(|v| *v != b"null") {
        b.extend_from_slice(b",\"cache_control\":");
        b.extend_from_slice(cc);
    }
    b.push(b'}');
    Ok(Block::Raw(b))
}

/// A thinking block Anthropic can verify: signed, or redacted (`is_unsignable_thinking_block`).
fn signable(block: &[u8]) -> bool {
    get(block, "type").and_then(string).as_deref() != Some("thinking")
        || get(block, "signature")
            .and_then(string)
            .is_some_and(|s| !s.is_empty())
}

fn is_thinking_part(part: &[u8]) -> bool {
    matches!(
        get(part, "type").and_then(string).as_deref(),
        Some("thinking" | "redacted_thinking")
    )
}

/// The assistant half of `anthropic_messages_pt` ("SEQUENTIAL MODE").
fn assistant_blocks(m: &[u8], ids: &mut Vec<String>, out: &mut Vec<Block>) -> Result<()> {
    if !is_null(get(m, "function_call")) {
        return Err(unsupported("assistant function_call"));
    }
    let content = get(m, "content").filter(|c| *c != b"null");
    let parts = content.and_then(elements);
    if let Some(blocks) = get(m, "thinking_blocks").and_then(elements) {
        if !parts
            .as_ref()
            .is_some_and(|p| p.iter().any(|p| is_thinking_part(p)))
        {
            out.extend(
                blocks
                    .into_iter()
                    .filter(|b| signable(b))
                    .map(|b| Block::Raw(b.to_vec())),
            );
        }
    }
    if let Some(parts) = parts {
        for part in parts.into_iter().filter(|p| is_object(p)) {
            match get(part, "type").and_then(string).as_deref() {
                Some("thinking") if signable(part) => out.push(Block::Raw(part.to_vec())),
                Some("text") => {
                    let text = get(part, "text").and_then(string).unwrap_or_default();
                    out.push(Block::text(&text, cache_of(part)));
                }
                Some(t) if t == "server_tool_use" || t.ends_with("_tool_result") => {
                    out.push(Block::Raw(part.to_vec()));
                }
                _ => {}
            }
        }
    } else if let Some(text) = content.and_then(string) {
        out.push(Block::text(&text, cache_of(m)));
    }
    let Some(calls) = get(m, "tool_calls").filter(|v| *v != b"null") else {
        return Ok(());
    };
    let calls = elements(calls).ok_or_else(|| invalid("tool_calls: expected a list"))?;
    for call in calls {
        if get(call, "type").and_then(string).as_deref() != Some("function") {
            continue;
        }
        let id = get(call, "id")
            .and_then(string)
            .ok_or_else(|| invalid("tool_calls[].id: expected a string"))?;
        if id.starts_with("srvtoolu_") {
            return Err(unsupported(
                "server tool calls (srvtoolu_ ids) in assistant messages",
            ));
        }
        let function =
            get(call, "function").ok_or_else(|| invalid("tool call without function"))?;
        let name = get(function, "name")
            .and_then(string)
            .ok_or_else(|| invalid("tool_calls[].function.name: expected a string"))?;
        let id = sanitize_tool_id(&id);
        if ids.contains(&id) {
            continue;
        }
        let mut b = Vec::new();
        b.extend_from_slice(b"{\"type\":\"tool_use\",\"id\":");
        write_json_string(&id, &mut b);
        b.extend_from_slice(b",\"name\":");
        write_json_string(&name, &mut b);
        b.extend_from_slice(b",\"input\":");
        write_arguments(get(function, "arguments"), &name, &mut b)?;
        if let Some(cc) = cache_of(call) {
            b.extend_from_slice(b",\"cache_control\":");
            b.extend_from_slice(cc);
        }
        b.push(b'}');
        ids.push(id);
        out.push(Block::Raw(b));
    }
    Ok(())
}

/// `parse_tool_call_arguments`: null or blank is `{}`, else the JSON the string holds.
/// LiteLLM tries to repair truncated JSON; this refuses it instead.
fn write_arguments(args: Option<&[u8]>, name: &str, out: &mut Vec<u8>) -> Result<()> {
    let text = match args {
        None | Some(b"null") => String::new(),
        Some(v) => string(v)
            .ok_or_else(|| invalid("tool_calls[].function.arguments: expected a string"))?,
    };
    let text = text.trim();
    if text.is_empty() {
        out.extend_from_slice(b"{}");
        return Ok(());
    }
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return Err(invalid(format!(
            "tool call arguments for '{name}' are not valid JSON"
        )));
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// `_map_tools` / `_map_tool_helper` for function tools; tools already in Anthropic's shape
/// (with `input_schema`) are copied.
fn write_tools(tools: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let tools = elements(tools).ok_or_else(|| invalid("tools: expected a list"))?;
    out.push(b'[');
    for (n, tool) in tools.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        if !is_object(tool) {
            return Err(invalid("tools[]: expected an object"));
        }
        if get(tool, "input_schema").is_some() {
            out.extend_from_slice(tool);
            continue;
        }
        let kind = get(tool, "type").and_then(string).unwrap_or_default();
        if kind != "function" && kind != "custom" {
            return Err(unsupported(format!("Unsupported tool type: {kind}")));
        }
        let function = get(tool, "function")
            .filter(|f| is_object(f))
            .ok_or_else(|| invalid("tools[].function: expected an object"))?;
        let name = get(function, "name")
            .and_then(string)
            .ok_or_else(|| invalid("tools[].function.name: expected a string"))?;
        if name.is_empty()
            || name.len() > 128
            || !name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            return Err(unsupported(format!(
                "tool name '{name}': Anthropic requires ^[a-zA-Z0-9_-]{{1,128}}$"
            )));
        }
        out.extend_from_slice(b"{\"name\":");
        write_json_string(&name, out);
        out.extend_from_slice(b",\"input_schema\":");
        write_schema(get(function, "parameters"), out)?;
        out.extend_from_slice(b",\"type\":\"custom\"");
        for key in ["eager_input_streaming", "defer_loading"] {
            if let Some(v) = get(tool, key)
                .or_else(|| get(function, key))
                .filter(|v| *v != b"null")
            {
                if v != b"true" && v != b"false" {
                    return Err(invalid(format!("{key} must be a boolean")));
                }
                write_member(key, v, out);
            }
        }
        if let Some(d) = get(function, "description").filter(|v| *v != b"null") {
            write_member("description", d, out);
        }
        if let Some(cc) = get(tool, "cache_control")
            .filter(|v| *v != b"null")
            .or_else(|| cache_of(function))
        {
            write_member("cache_control", cc, out);
        }
        if let Some(v) = get(tool, "allowed_callers")
            .or_else(|| get(function, "allowed_callers"))
            .filter(|v| *v != b"null")
        {
            let ok = elements(v).is_some_and(|e| e.iter().all(|s| string(s).is_some()));
            if !ok {
                return Err(invalid("allowed_callers must be a list of strings"));
            }
            write_member("allowed_callers", v, out);
        }
        if let Some(v) = [get(tool, "input_examples"), get(function, "input_examples")]
            .into_iter()
            .flatten()
            .find(|v| elements(v).is_some())
        {
            write_member("input_examples", v, out);
        }
        out.push(b'}');
    }
    out.push(b']');
    Ok(())
}

fn write_member(key: &str, raw: &[u8], out: &mut Vec<u8>) {
    out.push(b',');
    write_json_string(key, out);
    out.push(b':');
    out.extend_from_slice(raw);
}

/// Keys `AnthropicInputSchema` allows; `sanitize_input_schema_for_anthropic` drops the rest.
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "properties",
    "additionalProperties",
    "required",
    "$defs",
    "strict",
];

/// `sanitize_input_schema_for_anthropic`: `type` forced to `"object"`, `properties` added when
/// missing, keys outside [`SCHEMA_KEYS`] dropped; kept values are copied verbatim.
fn write_schema(parameters: Option<&[u8]>, out: &mut Vec<u8>) -> Result<()> {
    let schema = match parameters {
        None | Some(b"null") => b"{}".as_slice(),
        Some(v) if is_object(v) => v,
        Some(_) => return Err(invalid("tools[].function.parameters: expected an object")),
    };
    let mut kept: Vec<(String, &[u8])> = Vec::new();
    for m in top_members(schema).into_iter().flatten() {
        let key = key_of(schema, &m.key).unwrap_or_default();
        if key == "definitions" || key == "components" {
            return Err(unsupported(
                "tool schemas with 'definitions' or 'components' (LiteLLM inlines their refs)",
            ));
        }
        if SCHEMA_KEYS.contains(&key.as_str()) {
            kept.retain(|(k, _)| *k != key);
            kept.push((key, &schema[m.value]));
        }
    }
    out.extend_from_slice(b"{\"type\":\"object\"");
    let mut has_properties = false;
    for (key, value) in &kept {
        if key == "type" {
            continue;
        }
        has_properties |= key == "properties";
        write_member(key, value, out);
    }
    if !has_properties {
        out.extend_from_slice(b",\"properties\":{}");
    }
    out.push(b'}');
    Ok(())
}

/// `_map_tool_choice`, with `parallel_tool_calls` as `disable_parallel_tool_use`.
fn write_tool_choice(
    choice: Option<&[u8]>,
    parallel: Option<&[u8]>,
    out: &mut Vec<u8>,
) -> Result<()> {
    let choice_str = choice.and_then(string);
    let mut name = None;
    let kind = match (choice, choice_str.as_deref()) {
        (_, Some("auto")) => Some("auto"),
        (_, Some("required")) => Some("any"),
        (_, Some("none")) => Some("none"),
        (Some(c), None) if is_object(c) => {
            let function = get(c, "function");
            match (get(c, "type").and_then(string).as_deref(), function) {
                (Some(t), None) => match t {
                    "auto" => Some("auto"),
                    "required" | "any" => Some("any"),
                    "none" => Some("none"),
                    _ => None,
                },
                (_, f) => {
                    name = f.and_then(|f| get(f, "name")).and_then(string);
                    name.as_ref().map(|_| "tool")
                }
            }
        }
        _ => None,
    };
    let disable = match parallel {
        None => None,
        Some(b"true") => Some(false),
        Some(b"false") => Some(true),
        Some(_) => return Err(invalid("parallel_tool_calls: expected a boolean")),
    };
    let disable = if choice_str.as_deref() == Some("none") {
        None
    } else {
        disable
    };
    let kind = match (kind, disable) {
        (None, Some(_)) => "auto",
        (None, None) => return Ok(()),
        (Some(k), _) => k,
    };
    out.extend_from_slice(b",\"tool_choice\":{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.push(b'"');
    if let Some(n) = &name {
        out.extend_from_slice(b",\"name\":");
        write_json_string(n, out);
    }
    if let Some(d) = disable {
        out.extend_from_slice(if d {
            b",\"disable_parallel_tool_use\":true"
        } else {
            b",\"disable_parallel_tool_use\":false"
        });
    }
    out.push(b'}');
    Ok(())
}

/// `_map_stop_sequences` (without `drop_params`, whitespace-only sequences are kept).
fn write_stop(stop: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let list: Vec<String> = if let Some(s) = string(stop) {
        vec![s]
    } else if let Some(items) = elements(stop) {
        items
            .into_iter()
            .map(|v| string(v).ok_or_else(|| invalid("stop: expected strings")))
            .collect::<Result<_>>()?
    } else {
        // LiteLLM ignores a `stop` that is neither a string nor a list.
        return Ok(());
    };
    if list.is_empty() {
        return Ok(());
    }
    out.extend_from_slice(b",\"stop_sequences\":");
    crate::json::write_string_list(&list, out);
    Ok(())
}

/// `_apply_sampling_param`: forwarded, except on models whose names mark them as taking no
/// sampling parameters (LiteLLM's name fallback; its cost-map flag is not available here),
/// where only `temperature=1` passes.
fn write_sampling(model: &str, name: &str, v: &[u8], out: &mut Vec<u8>) -> Result<()> {
    if std::str::from_utf8(v)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .is_none()
    {
        return Err(invalid(format!("{name}: expected a number")));
    }
    let lower = model.to_ascii_lowercase();
    let no_sampling = [
        "fable", "opus-4-7", "opus_4_7", "opus-4.7", "opus_4.7", "opus-4-8", "opus_4_8",
        "opus-4.8", "opus_4.8",
    ]
    .iter()
    .any(|m| lower.contains(m));
    let is_one = std::str::from_utf8(v)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        == Some(1.0);
    if no_sampling && !(name == "temperature" && is_one) {
        return Err(unsupported(format!("{model} does not support {name}")));
    }
    write_member(name, v, out);
    Ok(())
}

/// `metadata.user_id`: from `user`, overridden by `metadata.user_id` (`transform_request`),
/// each only when `_valid_user_id` accepts it.
fn user_id(user: Option<&[u8]>, metadata: Option<&[u8]>) -> Option<String> {
    let from_metadata = metadata
        .filter(|m| is_object(m))
        .and_then(|m| get(m, "user_id"))
        .and_then(string)
        .filter(|u| valid_user_id(u));
    from_metadata.or_else(|| user.and_then(string).filter(|u| valid_user_id(u)))
}

/// `_valid_user_id`: not an email address nor a phone number, by LiteLLM's two patterns.
fn valid_user_id(id: &str) -> bool {
    !looks_like_email(id) && !looks_like_phone(id)
}

/// `^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$`
fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._%+-".contains(&c));
    let Some((host, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    local_ok
        && !host.is_empty()
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        && tld.len() >= 2
        && tld.bytes().all(|c| c.is_ascii_alphabetic())
}

/// `^\+?[\d\s\(\)-]{7,}$`
fn looks_like_phone(s: &str) -> bool {
    let rest = s.strip_prefix('+').unwrap_or(s);
    let ok = |c: char| c.is_ascii_digit() || c.is_whitespace() || matches!(c, '(' | ')' | '-');
    rest.chars().count() >= 7 && rest.chars().all(ok)
}

/// Budgets of `_map_reasoning_effort` (non-adaptive models; `minimal` is raised to
/// `ANTHROPIC_MIN_THINKING_BUDGET_TOKENS`).
pub(crate) fn effort_budget(effort: &str) -> Result<Option<u64>> {
    Ok(Some(match effort {
        "none" => return Ok(None),
        "minimal" | "low" => 1024,
        "medium" => 2048,
        "high" => 4096,
        "xhigh" => 8192,
        "max" => 16384,
        other => {
            return Err(invalid(format!(
                "Unmapped reasoning effort: '{other}'. Must be one of: 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'none'."
            )))
        }
    }))
}

/// Writes `thinking` from `reasoning_effort` (or a client `thinking` object, copied) and
/// returns its `budget_tokens` for the `max_tokens` default.
fn write_thinking(
    thinking: Option<&[u8]>,
    effort: Option<&[u8]>,
    out: &mut Vec<u8>,
) -> Result<Option<u64>> {
    let effort = effort.and_then(|e| string(e).or_else(|| get(e, "effort").and_then(string)));
    if let Some(effort) = effort {
        let Some(budget) = effort_budget(&effort)? else {
            return Ok(None);
        };
        out.extend_from_slice(b",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":");
        out.extend_from_slice(itoa::Buffer::new().format(budget).as_bytes());
        out.push(b'}');
        return Ok(Some(budget));
    }
    let Some(t) = thinking.filter(|t| is_object(t)) else {
        return Ok(None);
    };
    if get(t, "type").and_then(string).as_deref() == Some("adaptive") {
        return Err(unsupported(
            "thinking of type 'adaptive' (LiteLLM decides per model from its cost map)",
        ));
    }
    write_member("thinking", t, out);
    let enabled = get(t, "type").and_then(string).as_deref() == Some("enabled");
    Ok(get(t, "budget_tokens")
        .filter(|_| enabled)
        .and_then(|b| std::str::from_utf8(b).ok()?.parse::<u64>().ok()))
}
