//! Ollama's whole answers → the client's, as LiteLLM 1.108.7's proxy writes them:
//!
//! - `/api/chat` → `chat.completion` (`OllamaChatConfig.transform_response`): the message's
//!   `thinking` as `reasoning_content` (else a leading `<think>` block of its content), tool
//!   calls with ids (LiteLLM's are bare uuid4s; here derived from the answer's id) and
//!   `json.dumps`ed arguments, `finish_reason` from `done_reason` (`tool_calls` when calls
//!   came);
//! - `/api/generate` → `chat.completion` (`OllamaConfig.transform_response`): `response` as
//!   the content, `thinking` (or a `<think>` block) as `reasoning_content`, `stop` always;
//!   or → `text_completion` for `/v1/completions`;
//! - `/api/embed` → the embeddings list, `prompt_eval_count` as the prompt tokens;
//! - usage from `prompt_eval_count` and `eval_count` (0 where Ollama omits one: LiteLLM counts
//!   the prompt with its tokenizer there).

use super::answer_object;
use super::request::split_reasoning;
use crate::anthropic::TransformError;
use crate::json::value::{elements, fields, get, string, write_py_dumps_string};
use crate::json::write_json_string;
use crate::usage::{write_counts, Usage};

fn bad(m: &str) -> TransformError {
    TransformError::Invalid(format!("Ollama response: {m}"))
}

/// A count of an answer (a non-negative integer), 0 when absent.
pub(crate) fn count(v: Option<&[u8]>) -> u64 {
    v.and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok())
        .unwrap_or(0)
}

/// The usage an answer (or a stream's last line) reports.
pub(crate) fn usage_of(prompt: Option<&[u8]>, completion: Option<&[u8]>) -> Usage {
    let (prompt_tokens, completion_tokens) = (count(prompt), count(completion));
    Usage::counts(
        prompt_tokens,
        completion_tokens,
        prompt_tokens.saturating_add(completion_tokens),
    )
}

/// The id of the `n`th tool call of an answer, as a JSON string: `prefix` and a uuid like
/// LiteLLM's, derived from the answer's `id` (a uuid, with or without a prefix) so that it is
/// unique within the answer.
pub(crate) fn tool_id(prefix: &str, id: &str, n: usize, out: &mut Vec<u8>) {
    let is_uuid = |u: &str| {
        u.len() == 36
            && u.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            })
    };
    let base = id
        .len()
        .checked_sub(36)
        .and_then(|at| id.get(at..))
        .filter(|u| is_uuid(u))
        .unwrap_or("00000000-0000-4000-8000-000000000000");
    // The last four hex digits, varied by the call's index.
    let (head, tail) = base.split_at(32);
    let tail = u16::from_str_radix(tail, 16).unwrap_or(0) ^ (n as u16).wrapping_add(1);
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(format!("{tail:04x}").as_bytes());
    out.push(b'"');
}

fn write_head(id: &str, created: u64, model: &str, object: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":");
    write_json_string(id, out);
    out.extend_from_slice(b",\"created\":");
    crate::json::write_u64(created, out);
    out.extend_from_slice(b",\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"object\":\"");
    out.extend_from_slice(object.as_bytes());
    out.extend_from_slice(b"\",\"choices\":[");
}

fn write_usage(u: &Usage, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"usage\":");
    write_counts(u, out);
    out.extend_from_slice(b"}}");
}

/// `litellm.map_finish_reason` of Ollama's `done_reason`.
pub(crate) fn finish_reason(done_reason: Option<&[u8]>) -> String {
    match done_reason.and_then(string).filter(|r| !r.is_empty()) {
        None => "stop".to_owned(),
        Some(r) => match r.as_str() {
            "stop" | "eos" | "end_turn" | "stop_sequence" => "stop".to_owned(),
            "length" | "max_tokens" => "length".to_owned(),
            "tool_calls" | "tool_use" | "function_call" => "tool_calls".to_owned(),
            _ => r,
        },
    }
}

/// Writes one tool call of Ollama's (`{"function": {"name", "arguments"}}`) as OpenAI's:
/// `function` (`arguments` as `json.dumps` writes it, `name`), then `id`, `type` (the key
/// order LiteLLM's message model serialises).
/// The id Ollama gave a tool call (a JSON string token), if any.
pub(crate) fn own_id(call: &[u8]) -> Option<&[u8]> {
    get(call, "id").filter(|v| v.first() == Some(&b'"'))
}

/// `id` is the answer's id and the call's index, for an id made here (else the call's own,
/// if it has one), `prefix` what a made id starts with.
pub(crate) fn write_tool_call(
    call: &[u8],
    id: Option<(&str, usize)>,
    prefix: &str,
    out: &mut Vec<u8>,
) {
    let function = get(call, "function").unwrap_or(b"{}");
    let [name, arguments] = fields(function, ["name", "arguments"]);
    out.extend_from_slice(b"{");
    if let Some((answer, n)) = id {
        out.extend_from_slice(b"\"id\":");
        tool_id(prefix, answer, n, out);
        out.push(b',');
    } else if let Some(own) = own_id(call) {
        // Newer Ollama versions name their calls; LiteLLM keeps the name.
        out.extend_from_slice(b"\"id\":");
        out.extend_from_slice(own);
        out.push(b',');
    }
    out.extend_from_slice(b"\"function\":{\"arguments\":");
    match arguments {
        // A string is already JSON text (LiteLLM keeps it).
        Some(a) if a.first() == Some(&b'"') => out.extend_from_slice(a),
        Some(a) => write_py_dumps_string(a, out),
        None => out.extend_from_slice(b"\"{}\""),
    }
    out.extend_from_slice(b",\"name\":");
    out.extend_from_slice(name.filter(|n| n.first() == Some(&b'"')).unwrap_or(b"null"));
    out.extend_from_slice(b"},\"type\":\"function\"}");
}

/// Writes the client's `chat.completion` for the `/api/chat` answer `body`; returns its
/// usage. `id` is the answer's and seeds the tool call ids.
pub fn chat_response(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let body = answer_object(body).map_err(bad)?;
    let [message, done_reason, prompt, completion] = fields(
        body,
        ["message", "done_reason", "prompt_eval_count", "eval_count"],
    );
    let message = message
        .filter(|m| m.first() == Some(&b'{'))
        .ok_or_else(|| bad("no message"))?;
    let [content, thinking, calls] = fields(message, ["content", "thinking", "tool_calls"]);
    let calls = calls.and_then(elements).unwrap_or_default();
    let content = content.and_then(string);
    let (reasoning, content) = match (thinking, content.as_deref()) {
        (Some(t), c) => (string(t), c.map(str::to_owned)),
        (None, Some(c)) => match split_reasoning(c) {
            Some((r, rest)) => (Some(r.to_owned()), Some(rest.to_owned())),
            None => (None, Some(c.to_owned())),
        },
        (None, None) => (None, None),
    };
    let finish = if calls.is_empty() {
        finish_reason(done_reason)
    } else {
        "tool_calls".to_owned()
    };
    write_head(id, created, model, "chat.completion", out);
    out.extend_from_slice(b"{\"finish_reason\":");
    write_json_string(&finish, out);
    out.extend_from_slice(b",\"index\":0,\"message\":{\"content\":");
    match &content {
        Some(c) => write_json_string(c, out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"role\":\"assistant\"");
    if !calls.is_empty() {
        out.extend_from_slice(b",\"tool_calls\":[");
        for (n, call) in calls.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let made = own_id(call).is_none().then_some((id, n));
            write_tool_call(call, made, "", out);
        }
        out.push(b']');
    }
    if let Some(r) = &reasoning {
        out.extend_from_slice(b",\"reasoning_content\":");
        write_json_string(r, out);
    }
    out.extend_from_slice(b"}}]");
    let usage = usage_of(prompt, completion);
    write_usage(&usage, out);
    Ok(usage)
}

/// The text and reasoning of a `/api/generate` answer (`_OllamaGenerateReasoning.split`):
/// its `thinking` wins, else a leading `<think>` block of `response`.
fn generate_parts(body: &[u8]) -> Result<(Option<String>, Option<String>, Usage), TransformError> {
    let body = answer_object(body).map_err(bad)?;
    let [response, thinking, prompt, completion] = fields(
        body,
        ["response", "thinking", "prompt_eval_count", "eval_count"],
    );
    let response = match response {
        None => Some(String::new()),
        Some(r) => string(r),
    };
    let thinking = thinking.and_then(string).filter(|t| !t.is_empty());
    let (reasoning, content) = match (thinking, response) {
        (Some(t), r) => (Some(t), r),
        (None, None) => (None, None),
        (None, Some(r)) => match split_reasoning(&r) {
            Some((t, rest)) => (Some(t.to_owned()), Some(rest.to_owned())),
            None => (None, Some(r)),
        },
    };
    Ok((reasoning, content, usage_of(prompt, completion)))
}

/// Writes the client's `chat.completion` for the `/api/generate` answer `body`. In
/// `json_mode` (the request asked for `format: "json"`), LiteLLM reads the answer as JSON (a
/// code fence around it dropped): a `{"name", "arguments"}` object is a tool call, other JSON
/// is the content as `json.dumps` writes it, anything else the text as usual.
pub fn generate_response(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    json_mode: bool,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    if json_mode {
        if let Some(usage) = json_answer(body, id, created, model, out)? {
            return Ok(usage);
        }
    }
    let (reasoning, content, usage) = generate_parts(body)?;
    write_head(id, created, model, "chat.completion", out);
    out.extend_from_slice(b"{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"content\":");
    match &content {
        Some(c) => write_json_string(c, out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"role\":\"assistant\"");
    if let Some(r) = &reasoning {
        out.extend_from_slice(b",\"reasoning_content\":");
        write_json_string(r, out);
    }
    out.extend_from_slice(b"}}]");
    write_usage(&usage, out);
    Ok(usage)
}

/// The JSON-mode reading of an `/api/generate` answer; `None` when its text is not JSON (it
/// is then read as text).
fn json_answer(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Option<Usage>, TransformError> {
    let body = answer_object(body).map_err(bad)?;
    let [response, thinking, prompt, completion] = fields(
        body,
        ["response", "thinking", "prompt_eval_count", "eval_count"],
    );
    let text = response.and_then(string).unwrap_or_default();
    let thinking = thinking.and_then(string).filter(|t| !t.is_empty());
    let usage = usage_of(prompt, completion);
    let json = strip_json_code_fence(&text);
    let empty = text.trim().is_empty();
    if !empty && !crate::json::validate::is_json(json.as_bytes()) {
        return Ok(None);
    }
    let value = json.trim().as_bytes();
    let call = (value.first() == Some(&b'{'))
        .then(|| fields(value, ["name", "arguments"]))
        .filter(|[name, arguments]| name.is_some() && arguments.is_some());
    write_head(id, created, model, "chat.completion", out);
    out.extend_from_slice(b"{\"finish_reason\":");
    out.extend_from_slice(if call.is_some() {
        b"\"tool_calls\""
    } else {
        b"\"stop\""
    });
    out.extend_from_slice(b",\"index\":0,\"message\":{\"content\":");
    match call {
        Some([name, arguments]) => {
            out.extend_from_slice(b"null,\"role\":\"assistant\",\"tool_calls\":[{\"id\":");
            tool_id("call_", id, 0, out);
            out.extend_from_slice(b",\"function\":{\"arguments\":");
            write_py_dumps_string(arguments.unwrap_or(b"{}"), out);
            out.extend_from_slice(b",\"name\":");
            out.extend_from_slice(name.filter(|n| n.first() == Some(&b'"')).unwrap_or(b"null"));
            out.extend_from_slice(b"},\"type\":\"function\"}]");
        }
        None if empty => out.extend_from_slice(b"\"\",\"role\":\"assistant\""),
        None => {
            write_py_dumps_string(value, out);
            out.extend_from_slice(b",\"role\":\"assistant\"");
        }
    }
    if let Some(r) = &thinking {
        out.extend_from_slice(b",\"reasoning_content\":");
        write_json_string(r, out);
    }
    out.extend_from_slice(b"}}]");
    write_usage(&usage, out);
    Ok(Some(usage))
}

/// `_strip_json_code_fence`: the inside of a ```` ```json ```` fence, else the text.
pub(crate) fn strip_json_code_fence(text: &str) -> String {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return text.to_owned();
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    let rest = rest.strip_suffix("```").unwrap_or(rest);
    rest.trim().to_owned()
}

/// Writes the client's `text_completion` for the `/api/generate` answer `body`.
pub fn text_response(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let (_, content, usage) = generate_parts(body)?;
    write_text_completion(id, created, model, "stop", content.as_deref(), &usage, out);
    Ok(usage)
}

/// Writes the client's `text_completion` for the `/api/chat` answer `body` (`ollama_chat/`):
/// the message's text, its finish reason.
pub fn chat_text_response(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let body = answer_object(body).map_err(bad)?;
    let [message, done_reason, prompt, completion] = fields(
        body,
        ["message", "done_reason", "prompt_eval_count", "eval_count"],
    );
    let message = message
        .filter(|m| m.first() == Some(&b'{'))
        .ok_or_else(|| bad("no message"))?;
    let [content, thinking] = fields(message, ["content", "thinking"]);
    let content = content.and_then(string);
    let text = match (thinking, content.as_deref()) {
        (None, Some(c)) => split_reasoning(c).map_or(c, |(_, rest)| rest),
        (_, c) => c.unwrap_or_default(),
    };
    let usage = usage_of(prompt, completion);
    let finish = finish_reason(done_reason);
    write_text_completion(id, created, model, &finish, Some(text), &usage, out);
    Ok(usage)
}

fn write_text_completion(
    id: &str,
    created: u64,
    model: &str,
    finish: &str,
    text: Option<&str>,
    usage: &Usage,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"id\":");
    write_json_string(id, out);
    out.extend_from_slice(b",\"object\":\"text_completion\",\"created\":");
    crate::json::write_u64(created, out);
    out.extend_from_slice(b",\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"choices\":[{\"finish_reason\":");
    write_json_string(finish, out);
    out.extend_from_slice(b",\"index\":0,\"text\":");
    write_json_string(text.unwrap_or_default(), out);
    out.extend_from_slice(b",\"logprobs\":null}],\"usage\":");
    write_counts(usage, out);
    out.extend_from_slice(b",\"completion_tokens_details\":null,\"prompt_tokens_details\":null}}");
}

/// Writes the client's embeddings list for the `/api/embed` answer `body`.
pub fn embed_response(
    body: &[u8],
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let body = answer_object(body).map_err(bad)?;
    let [embeddings, prompt] = fields(body, ["embeddings", "prompt_eval_count"]);
    let embeddings = embeddings
        .and_then(elements)
        .ok_or_else(|| bad("no embeddings"))?;
    out.extend_from_slice(b"{\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"data\":[");
    for (i, e) in embeddings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"object\":\"embedding\",\"index\":");
        crate::json::write_u64(i as u64, out);
        out.extend_from_slice(b",\"embedding\":");
        out.extend_from_slice(e);
        out.push(b'}');
    }
    let usage = usage_of(prompt, None);
    out.extend_from_slice(b"],\"object\":\"list\",\"usage\":");
    write_counts(&usage, out);
    out.extend_from_slice(b",\"completion_tokens_details\":null,\"prompt_tokens_details\":null}}");
    Ok(usage)
}
