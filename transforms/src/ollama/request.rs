//! OpenAI request bodies → the bodies LiteLLM 1.108.7 sends Ollama for them, checked against
//! its proxy by the differential suite:
//!
//! - chat → `/api/chat` (`OllamaChatConfig.map_openai_params`, `transform_request`): each
//!   message as `role`, `thinking` (its `reasoning_content`, or a leading `<think>` block of
//!   its text), `content` (the text parts joined), `images` (the base64 of data URLs, other
//!   URLs as given), `tool_calls` with parsed `arguments`, `tool_call_id`; `tools` (and
//!   legacy `functions`) as given, `tool_choice` dropped;
//! - chat and text completions → `/api/generate`: see [`super::generate`];
//! - embeddings → `/api/embed`;
//! - sampling options in `options`: `max_tokens`/`max_completion_tokens` → `num_predict`,
//!   `temperature`, `top_p`, `seed`, `stop`, `frequency_penalty` (→ `repeat_penalty` on
//!   `/api/chat`), and Ollama's own options passed by name (`top_k`, `num_ctx`, ...);
//!   `response_format` → `format` (`"json"` or the schema); `reasoning_effort` → `think`.
//!
//! Refused with LiteLLM's `UnsupportedParamsError` text: the OpenAI parameters Ollama has no
//! field for (on embeddings: `user`, `encoding_format`).

use super::Api;
use crate::anthropic::request::{invalid, Result};
use crate::anthropic::TransformError;
use crate::chat::{request_object, role_of, unsupported_params};
use crate::json::tape::Scratch;
use crate::json::value::{elements, get, key_of, string, write_py_dumps_string_unicode};
use crate::json::{top_members, write_json_string};

/// OpenAI parameters neither Ollama config supports: LiteLLM's `UnsupportedParamsError` (and
/// `n` other than 1).
const UNSUPPORTED_PARAMS: &[&str] = &[
    "presence_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "function_call",
    "audio",
    "modalities",
    "prediction",
    "web_search_options",
    "parallel_tool_calls",
];

/// Ollama's own options (its API's `options` fields), which LiteLLM passes through by name.
const NATIVE_OPTIONS: &[&str] = &[
    "mirostat",
    "mirostat_eta",
    "mirostat_tau",
    "num_ctx",
    "num_gqa",
    "num_gpu",
    "num_thread",
    "num_keep",
    "num_batch",
    "repeat_last_n",
    "repeat_penalty",
    "tfs_z",
    "num_predict",
    "top_k",
    "min_p",
    "typical_p",
];

/// The request's parameters, read once.
#[derive(Default)]
pub(super) struct Params<'b> {
    pub(super) messages: Option<&'b [u8]>,
    pub(super) prompt: Option<&'b [u8]>,
    pub(super) stream: bool,
    /// `options` members in the client's order (a later one replaces an earlier).
    pub(super) options: Vec<(&'static str, &'b [u8])>,
    pub(super) response_format: Option<&'b [u8]>,
    pub(super) reasoning_effort: Option<&'b [u8]>,
    pub(super) tools: Option<&'b [u8]>,
    pub(super) keep_alive: Option<&'b [u8]>,
}

impl<'b> Params<'b> {
    pub(super) fn option(&mut self, name: &'static str, v: &'b [u8]) {
        match self.options.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = v,
            None => self.options.push((name, v)),
        }
    }
}

pub(super) fn read_params<'b>(body: &'b [u8], api: Api, model: &str) -> Result<Params<'b>> {
    let mut p = Params::default();
    let mut refused = Vec::new();
    for m in top_members(body).ok_or_else(|| invalid("expected an object"))? {
        let key = key_of(body, &m.key).unwrap_or_default();
        let v = &body[m.value];
        if v == b"null" {
            continue;
        }
        match key.as_str() {
            "messages" => p.messages = Some(v),
            "prompt" => p.prompt = Some(v),
            "stream" => p.stream = v == b"true",
            "max_tokens" | "max_completion_tokens" => p.option("num_predict", v),
            "temperature" => p.option("temperature", v),
            "top_p" => p.option("top_p", v),
            "seed" => p.option("seed", v),
            "stop" => p.option("stop", v),
            "frequency_penalty" => p.option(
                match api {
                    Api::Chat => "repeat_penalty",
                    Api::Generate => "frequency_penalty",
                },
                v,
            ),
            "response_format" => p.response_format = Some(v),
            "reasoning_effort" => p.reasoning_effort = Some(v),
            "tools" | "functions" => p.tools = Some(v),
            // `tool_choice` makes Ollama hang: LiteLLM drops it.
            "tool_choice" => {}
            "keep_alive" => p.keep_alive = Some(v),
            "n" if v != b"1" => refused.push("n".to_owned()),
            "n" => {}
            k if UNSUPPORTED_PARAMS.contains(&k) => refused.push(k.to_owned()),
            k => {
                if let Some(name) = NATIVE_OPTIONS.iter().find(|&&n| n == k) {
                    p.option(name, v);
                }
            }
        }
    }
    if !refused.is_empty() {
        return Err(unsupported_params(api.provider(), &refused, model));
    }
    Ok(p)
}

/// `"format"` for `response_format`: `"json"` for a JSON object, the schema of a JSON schema.
pub(super) fn format(response_format: &[u8]) -> Option<&[u8]> {
    match get(response_format, "type").and_then(string).as_deref() {
        Some("json_object") => Some(b"\"json\""),
        Some("json_schema") => get(response_format, "json_schema").and_then(|s| get(s, "schema")),
        _ => None,
    }
}

/// `"think"` for `reasoning_effort`: the effort as given for gpt-oss models, else whether it
/// is `low`, `medium` or `high`.
pub(super) fn think(effort: &[u8], model: &str, out: &mut Vec<u8>) {
    if model.starts_with("gpt-oss") {
        out.extend_from_slice(effort);
    } else {
        let on = matches!(string(effort).as_deref(), Some("low" | "medium" | "high"));
        out.extend_from_slice(if on { b"true" } else { b"false" });
    }
}

pub(super) fn write_options(p: &Params<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"options\":{");
    for (n, (name, v)) in p.options.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_json_string(name, out);
        out.push(b':');
        out.extend_from_slice(v);
    }
    out.push(b'}');
}

pub(super) fn write_model(model: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"model\":");
    write_json_string(model, out);
}

pub(super) fn write_stream(stream: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if stream {
        b",\"stream\":true"
    } else {
        b",\"stream\":false"
    });
}

/// Turns a chat-completions `body` into the `/api/chat` body for `model`, appended to `out`
/// (left as it was on error).
pub fn chat_request(
    body: &[u8],
    model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    let body = request_object(body, scratch)?;
    let p = read_params(body, Api::Chat, model)?;
    let messages = p
        .messages
        .and_then(elements)
        .ok_or_else(|| invalid("messages: expected a list of messages"))?;
    let mut buf = Vec::with_capacity(body.len() + 128);
    write_model(model, &mut buf);
    buf.extend_from_slice(b",\"messages\":[");
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        chat_message(m, &mut buf)?;
    }
    buf.push(b']');
    write_options(&p, &mut buf);
    write_stream(p.stream, &mut buf);
    if let Some(f) = p.response_format.and_then(format) {
        buf.extend_from_slice(b",\"format\":");
        buf.extend_from_slice(f);
    }
    if let Some(tools) = p.tools {
        buf.extend_from_slice(b",\"tools\":");
        buf.extend_from_slice(tools);
    }
    if let Some(k) = p.keep_alive {
        buf.extend_from_slice(b",\"keep_alive\":");
        buf.extend_from_slice(k);
    }
    if let Some(e) = p.reasoning_effort {
        buf.extend_from_slice(b",\"think\":");
        think(e, model, &mut buf);
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

/// One message of `/api/chat`, its members in LiteLLM's order.
fn chat_message(m: &[u8], out: &mut Vec<u8>) -> Result<()> {
    role_of(m)?;
    let mut role = get(m, "role").and_then(string).unwrap_or_default();
    // LiteLLM maps OpenAI's `developer` role to `system` for providers without it.
    if role == "developer" {
        role = "system".to_owned();
    }
    let content = get(m, "content");
    out.extend_from_slice(b"{\"role\":");
    write_json_string(&role, out);
    if let Some(thinking) = reasoning_of(m, content) {
        out.extend_from_slice(b",\"thinking\":");
        write_json_string(&thinking, out);
    }
    out.extend_from_slice(b",\"content\":");
    write_json_string(&content_text(content), out);
    out.extend_from_slice(b",\"images\":[");
    for (n, url) in image_urls(content).iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_json_string(base64_of(url), out);
    }
    out.push(b']');
    if let Some(calls) = get(m, "tool_calls").and_then(elements) {
        out.extend_from_slice(b",\"tool_calls\":[");
        let mut first = true;
        for call in calls {
            if get(call, "type").and_then(string).as_deref() != Some("function") {
                continue;
            }
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            let function = get(call, "function").unwrap_or(b"{}");
            let name = get(function, "name").and_then(string).unwrap_or_default();
            out.extend_from_slice(b"{\"function\":{\"name\":");
            write_json_string(&name, out);
            out.extend_from_slice(b",\"arguments\":");
            let arguments = arguments_object(get(function, "arguments")).ok_or_else(|| {
                let id = get(call, "id").and_then(string).unwrap_or_default();
                invalid(format!(
                    "OllamaException - arguments of assistant tool call '{id}' are not a JSON object"
                ))
            })?;
            out.extend_from_slice(arguments.as_bytes());
            out.extend_from_slice(b"}}");
        }
        out.push(b']');
    }
    if let Some(id) = get(m, "tool_call_id").filter(|v| *v != b"null") {
        out.extend_from_slice(b",\"tool_call_id\":");
        out.extend_from_slice(id);
    }
    out.push(b'}');
    Ok(())
}

/// A tool call's `arguments` as a JSON object's text: a string is parsed (empty or absent is
/// `{}`), an object taken as it is; anything else is `None`.
fn arguments_object(arguments: Option<&[u8]>) -> Option<String> {
    let text = match arguments {
        None | Some(b"null") => return Some("{}".to_owned()),
        Some(v) if v.first() == Some(&b'{') => {
            return std::str::from_utf8(v).ok().map(str::to_owned)
        }
        Some(v) => string(v)?,
    };
    let text = text.trim();
    if text.is_empty() {
        return Some("{}".to_owned());
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    text.starts_with('{').then(|| text.to_owned())
}

/// A message's reasoning as LiteLLM's `extract_reasoning_content` finds it: its
/// `reasoning_content` (or `reasoning`), else a leading `<think>` block of a text content.
fn reasoning_of(m: &[u8], content: Option<&[u8]>) -> Option<String> {
    for key in ["reasoning_content", "reasoning"] {
        if let Some(v) = get(m, key) {
            return string(v);
        }
    }
    let text = content.and_then(string)?;
    split_reasoning(&text).map(|(r, _)| r.to_owned())
}

/// `parse_content_for_reasoning`: `<think>…</think>rest` (or `thinking`, `budget:thinking`)
/// at the start of a text → (reasoning, rest).
pub(crate) fn split_reasoning(text: &str) -> Option<(&str, &str)> {
    for tag in ["think", "thinking", "budget:thinking"] {
        let Some(rest) = text
            .strip_prefix('<')
            .and_then(|t| t.strip_prefix(tag))
            .and_then(|t| t.strip_prefix('>'))
        else {
            continue;
        };
        // The first closing tag of any of the three names ends the reasoning.
        let close = ["</think>", "</thinking>", "</budget:thinking>"]
            .iter()
            .filter_map(|c| rest.find(c).map(|at| (at, c.len())))
            .min();
        if let Some((at, len)) = close {
            return Some((&rest[..at], &rest[at + len..]));
        }
    }
    None
}

/// `convert_content_list_to_str`: a text content as it is, the text parts of a list joined.
pub(super) fn content_text(content: Option<&[u8]>) -> String {
    let Some(content) = content else {
        return String::new();
    };
    if let Some(s) = string(content) {
        return s;
    }
    let mut text = String::new();
    for part in elements(content).unwrap_or_default() {
        if let Some(t) = get(part, "text").and_then(string) {
            text.push_str(&t);
        }
    }
    text
}

/// The image URLs of a content list's `image_url` parts (a string, or an object's `url`).
pub(super) fn image_urls(content: Option<&[u8]>) -> Vec<String> {
    let mut urls = Vec::new();
    for part in content.and_then(elements).unwrap_or_default() {
        let Some(image) = get(part, "image_url") else {
            continue;
        };
        if let Some(url) = string(image).or_else(|| get(image, "url").and_then(string)) {
            if !url.is_empty() {
                urls.push(url);
            }
        }
    }
    urls
}

/// The base64 data of a `data:` URL; any other URL as it is.
pub(super) fn base64_of(url: &str) -> &str {
    match url.strip_prefix("data:") {
        Some(rest) => rest.split_once(',').map_or(url, |(_, data)| data),
        None => url,
    }
}

/// Turns an embeddings `body` into the `/api/embed` body for `model` (LiteLLM's
/// `_prepare_ollama_embedding_payload`): `input` always a list of strings; `dimensions`,
/// `truncate`, `keep_alive` and `options` beside it, Ollama's own options in `options`.
/// `user` and `encoding_format` get LiteLLM's `UnsupportedParamsError` (the openai SDK sends
/// `encoding_format` unless told not to: LiteLLM refuses those requests too).
pub fn embed_request(body: &[u8], model: &str, out: &mut Vec<u8>) -> Result<()> {
    let body =
        crate::json::value::answer_object(body).map_err(|_| invalid("expected an object"))?;
    let [user, encoding_format] = crate::json::value::fields(body, ["user", "encoding_format"]);
    let refused: Vec<(&str, &[u8])> = [("user", user), ("encoding_format", encoding_format)]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| *v != b"null").map(|v| (k, v)))
        .collect();
    if !refused.is_empty() {
        let mut setting = String::from("{");
        for (n, (k, v)) in refused.iter().enumerate() {
            if n > 0 {
                setting.push_str(", ");
            }
            setting.push('\'');
            setting.push_str(k);
            setting.push_str("': ");
            crate::json::value::py_repr(v, &mut setting);
        }
        setting.push('}');
        return Err(TransformError::UnsupportedParams {
            message: format!(
                "Setting {setting} is not supported by ollama. To drop it from the call, set `litellm.drop_params = True`."
            ),
            params: refused.iter().map(|(k, _)| (*k).to_owned()).collect(),
        });
    }
    let input = get(body, "input").ok_or_else(|| invalid("input: required"))?;
    let mut buf = Vec::with_capacity(body.len() + 64);
    write_model(model, &mut buf);
    buf.extend_from_slice(b",\"input\":");
    if input.first() == Some(&b'"') {
        buf.push(b'[');
        buf.extend_from_slice(input);
        buf.push(b']');
    } else {
        let items = elements(input).unwrap_or_default();
        if input.first() != Some(&b'[') || items.iter().any(|i| i.first() != Some(&b'"')) {
            let mut shown = Vec::new();
            write_py_dumps_string_unicode(input, &mut shown);
            return Err(invalid(format!(
                "Invalid input for ollama embeddings. input={}",
                string(&shown).unwrap_or_default()
            )));
        }
        buf.extend_from_slice(input);
    }
    for key in ["dimensions", "truncate", "keep_alive", "options"] {
        if let Some(v) = get(body, key).filter(|v| *v != b"null") {
            buf.push(b',');
            write_json_string(key, &mut buf);
            buf.push(b':');
            buf.extend_from_slice(v);
        }
    }
    if get(body, "options").is_none() {
        let mut p = Params::default();
        for m in top_members(body).into_iter().flatten() {
            let key = key_of(body, &m.key).unwrap_or_default();
            if let Some(name) = NATIVE_OPTIONS.iter().find(|&&n| n == key) {
                p.option(name, &body[m.value]);
            }
        }
        if !p.options.is_empty() {
            write_options(&p, &mut buf);
        }
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}
