//! The messages of a chat request to Mistral, as LiteLLM 1.108.7's `MistralConfig`
//! rewrites them (`llms/mistral/chat/transformation.py`, `_transform_messages`):
//!
//! - an assistant turn loses what LiteLLM attaches to answers (`thinking_blocks`,
//!   `reasoning_items`, `provider_specific_fields`, `reasoning_content`; a tool call's
//!   `provider_specific_fields`), as Mistral forbids unknown fields;
//! - when some message has an `image_url` or `file` part, the messages go as they are but for
//!   a file part's `file.file_id`, sent as `file_id`;
//! - otherwise each message goes through these, in order:
//!   - a content list becomes its parts' texts joined (when they are not empty);
//!   - `name` is kept on tool messages only (and not when blank);
//!   - tool calls become `{"id", "type": "function", "function"}`;
//!   - a message whose assistant fields (`content`, `name`, `tool_calls`, `function_call`,
//!     `reasoning_content`, `thinking_blocks`, `reasoning_items`, `cache_control`) are all
//!     null or absent, or whose content is `""`, is left out, whatever its role;
//!   - null members are left out.
//!
//! A message that is not an object goes as it came.

use crate::json::value::{elements, fields, get, is_object, string};
use crate::json::{write_array, write_json_string, write_members};

/// What LiteLLM attaches to an answer's message, never sent back to Mistral.
const OUTPUT_ONLY: [&str; 4] = [
    "thinking_blocks",
    "reasoning_items",
    "provider_specific_fields",
    "reasoning_content",
];

/// The fields of LiteLLM's `ChatCompletionAssistantMessage` other than `role`.
const ASSISTANT_FIELDS: [&str; 8] = [
    "content",
    "name",
    "tool_calls",
    "function_call",
    "reasoning_content",
    "thinking_blocks",
    "reasoning_items",
    "cache_control",
];

/// Writes the `messages` value (a JSON array, else as it came) as Mistral takes it.
pub fn write_messages(messages: &[u8], out: &mut Vec<u8>) {
    let Some(list) = elements(messages) else {
        out.extend_from_slice(messages);
        return;
    };
    let media = list.iter().any(|m| has_media(m));
    out.push(b'[');
    let mut first = true;
    for message in list {
        let mark = out.len();
        if !first {
            out.push(b',');
        }
        if !is_object(message) {
            out.extend_from_slice(message);
        } else if media {
            write_with_file_ids(message, out);
        } else if !write_message(message, out) {
            out.truncate(mark);
            continue;
        }
        first = false;
    }
    out.push(b']');
}

/// Whether a message's content list has an `image_url` or `file` part.
fn has_media(message: &[u8]) -> bool {
    get(message, "content")
        .and_then(elements)
        .unwrap_or_default()
        .iter()
        .any(|part| {
            matches!(
                get(part, "type").and_then(string).as_deref(),
                Some("image_url" | "file")
            )
        })
}

fn is_assistant(message: &[u8]) -> bool {
    get(message, "role").and_then(string).as_deref() == Some("assistant")
}

/// A tool call without its `provider_specific_fields` (its function's too).
fn write_tool_call_clean(call: &[u8], out: &mut Vec<u8>) {
    if !is_object(call) {
        out.extend_from_slice(call);
        return;
    }
    write_members(call, out, |key, value, v| {
        match key {
            "provider_specific_fields" => return false,
            "function" if is_object(value) => write_members(value, v, |k, fv, v| {
                v.extend_from_slice(fv);
                k != "provider_specific_fields"
            }),
            _ => v.extend_from_slice(value),
        }
        true
    });
}

/// The image path: output-only fields dropped from assistant turns, file parts' ids as
/// `file_id`.
fn write_with_file_ids(message: &[u8], out: &mut Vec<u8>) {
    let assistant = is_assistant(message);
    write_members(message, out, |key, value, v| {
        if assistant && OUTPUT_ONLY.contains(&key) {
            return false;
        }
        match (key, elements(value)) {
            ("content", Some(parts)) => write_array(parts, v, write_file_part),
            ("tool_calls", Some(calls)) if assistant => {
                write_array(calls, v, write_tool_call_clean)
            }
            _ => v.extend_from_slice(value),
        }
        true
    });
}

/// A `file` part with a `file.file_id`: `file` replaced by `file_id` (at the end, as
/// Python's dict assignment and pop leave it); other parts as they came.
fn write_file_part(part: &[u8], out: &mut Vec<u8>) {
    let id = (get(part, "type").and_then(string).as_deref() == Some("file"))
        .then(|| get(part, "file").and_then(|f| get(f, "file_id")))
        .flatten()
        .filter(|id| *id != b"null" && *id != b"\"\"" && *id != b"false" && *id != b"0");
    let Some(id) = id else {
        out.extend_from_slice(part);
        return;
    };
    write_members(part, out, |key, value, v| {
        v.extend_from_slice(value);
        key != "file" && key != "file_id"
    });
    out.pop();
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    out.extend_from_slice(b"\"file_id\":");
    out.extend_from_slice(id);
    out.push(b'}');
}

/// One message of the text path; `false` when it is left out (empty).
fn write_message(message: &[u8], out: &mut Vec<u8>) -> bool {
    let assistant = is_assistant(message);
    let [role, content, name] = fields(message, ["role", "content", "name"]);
    // The content list's texts, when they make a non-empty string.
    let joined = content.and_then(elements).and_then(|parts| {
        let mut text = String::new();
        for part in parts {
            if let Some(t) = get(part, "text").and_then(string) {
                text.push_str(&t);
            }
        }
        (!text.is_empty()).then_some(text)
    });
    let tool = role.and_then(string).as_deref() == Some("tool");
    let keep_name = tool
        && name
            .filter(|n| *n != b"null")
            .is_some_and(|n| string(n).is_none_or(|s| !s.trim().is_empty()));
    // Empty: every assistant field null or absent, or content "" (after the joins above).
    let content_now: Option<&[u8]> = match &joined {
        Some(_) => Some(b"\"x\""),
        None => content,
    };
    let empty = ASSISTANT_FIELDS.iter().all(|f| {
        let v = match *f {
            "content" => content_now,
            "name" if !keep_name => None,
            _ if assistant && OUTPUT_ONLY.contains(f) => None,
            _ => get(message, f),
        };
        v.is_none_or(|v| v == b"null" || (*f == "content" && v == b"\"\""))
    });
    if empty {
        return false;
    }
    write_members(message, out, |key, value, v| {
        if value == b"null" || (assistant && OUTPUT_ONLY.contains(&key)) {
            return false;
        }
        match key {
            "content" => match &joined {
                Some(text) => write_json_string(text, v),
                None => v.extend_from_slice(value),
            },
            "name" if !keep_name => return false,
            "tool_calls" => match elements(value) {
                Some(calls) => write_array(calls, v, |call, v| {
                    v.extend_from_slice(b"{\"id\":");
                    v.extend_from_slice(get(call, "id").unwrap_or(b"null"));
                    v.extend_from_slice(b",\"type\":\"function\",\"function\":");
                    let function = get(call, "function").unwrap_or(b"null");
                    if assistant && is_object(function) {
                        write_members(function, v, |k, fv, v| {
                            v.extend_from_slice(fv);
                            k != "provider_specific_fields"
                        });
                    } else {
                        v.extend_from_slice(function);
                    }
                    v.push(b'}');
                }),
                None => v.extend_from_slice(value),
            },
            _ => v.extend_from_slice(value),
        }
        true
    });
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn rewrite(messages: Value) -> Value {
        let mut out = Vec::new();
        write_messages(messages.to_string().as_bytes(), &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn text_messages_as_mistral_takes_them() {
        let out = rewrite(json!([
            {"role": "system", "content": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief."}], "name": "sys"},
            {"role": "user", "content": "Hi", "name": "alice"},
            {"role": "assistant", "content": null, "reasoning_content": "hmm", "thinking_blocks": [],
             "tool_calls": [{"index": 0, "id": "c1", "type": "function",
                             "function": {"name": "f", "arguments": "{}", "provider_specific_fields": {}},
                             "provider_specific_fields": {"x": 1}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "22C", "name": "f"},
            {"role": "tool", "tool_call_id": "c2", "content": "ok", "name": "  "},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": ""},
            {"role": "assistant", "content": "Sunny", "provider_specific_fields": null, "function_call": null},
            {"role": "user", "content": []}
        ]));
        assert_eq!(
            out,
            json!([
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                                      "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "22C", "name": "f"},
                {"role": "tool", "tool_call_id": "c2", "content": "ok"},
                {"role": "assistant", "content": "Sunny"},
                {"role": "user", "content": []}
            ])
        );
    }

    #[test]
    fn an_image_keeps_the_messages_as_they_are_but_file_ids() {
        let out = rewrite(json!([
            {"role": "user", "name": "alice", "content": [
                {"type": "text", "text": "Look"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                {"type": "file", "file": {"file_id": "f-1"}}]},
            {"role": "assistant", "content": "", "reasoning_content": "r"}
        ]));
        assert_eq!(
            out,
            json!([
                {"role": "user", "name": "alice", "content": [
                    {"type": "text", "text": "Look"},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                    {"type": "file", "file_id": "f-1"}]},
                {"role": "assistant", "content": ""}
            ])
        );
    }

    #[test]
    fn what_is_not_a_list_of_objects_goes_as_it_came() {
        let mut out = Vec::new();
        write_messages(b"\"hi\"", &mut out);
        assert_eq!(out, b"\"hi\"");
        assert_eq!(
            rewrite(json!([1, {"role": "user", "content": "a"}])),
            json!([1, {"role": "user", "content": "a"}])
        );
    }
}
