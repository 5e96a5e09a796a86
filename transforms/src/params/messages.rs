//! The chat messages of a request to an OpenAI-format provider, as LiteLLM 1.108.7 prepares
//! them before any provider sees them, and as most provider configs then change them:
//!
//! - `validate_and_fix_openai_messages` (every provider): a message's `null` members are left
//!   out, and a message without a `role` is an assistant's;
//! - `translate_developer_role_to_system_role` (every provider config LiteLLM knows by name):
//!   a `developer` turn becomes a `system` turn;
//! - `remove_cache_control_flag_from_messages_and_tools` (`OpenAIGPTConfig` for every provider
//!   but a few): `cache_control` is removed from each message at any depth;
//! - a few providers' content list rewrites ([`ContentAsText`]);
//! - `convert_to_azure_openai_messages` (Azure): a user turn's `image_url` parts as objects,
//!   without `format`, and its `file` parts without `format`;
//! - DeepSeek's `_fill_reasoning_content` (thinking on, a model that reasons): an assistant
//!   turn without `reasoning_content` gets the one kept in its `provider_specific_fields`, else
//!   a single space.
//!
//! Which of these a provider gets is its [`MessageRules`]. A message that is not an object
//! goes as it came.

use crate::json::value::{elements, get, is_object, string};
use crate::json::{write_array, write_json_string, write_members};

/// What is done to a provider's messages (each flag one of the steps in the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRules {
    /// `null` members left out; a message without `role` gets `"role": "assistant"`.
    pub validated: bool,
    /// `developer` turns sent as `system`.
    pub developer_as_system: bool,
    /// `cache_control` removed from messages and tools.
    pub strip_cache_control: bool,
    /// Which content lists are sent as text.
    pub content_as_text: ContentAsText,
    /// A user turn's `image_url` parts as `{"url": ...}` objects without `format`, and its
    /// `file` parts without `format` (Azure).
    pub azure_parts: bool,
    /// Which assistant turns without a `reasoning_content` (by Python's truth) get the one in
    /// their `provider_specific_fields` (removed there), else `" "`.
    pub reasoning_fill: ReasoningFill,
}

/// Which assistant turns a provider's reasoning models need a `reasoning_content` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningFill {
    Never,
    /// Every assistant turn (DeepSeek in thinking mode; the request decides whether thinking
    /// is on).
    Assistant,
    /// An assistant turn with tool calls (Moonshot's reasoning models).
    ToolCalls,
}

/// Which content lists a provider's config sends as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentAsText {
    Never,
    /// Every message's list, as its parts' non-empty texts joined, when that is not empty
    /// (images and other parts are dropped with it):
    /// `handle_messages_with_content_list_to_str_conversion` (SambaNova, DeepSeek, Docker Model
    /// Runner, PublicAI).
    Always,
    /// A list of text parts only, as their texts joined (ModelScope).
    TextOnly,
    /// An assistant's list of text parts only, as their texts joined by newlines (hosted_vllm).
    AssistantTextOnly,
    /// A tool result's list: one text part as its text, else the list as Python's
    /// `json.dumps` writes it (DeepInfra).
    ToolResult,
    /// As [`ContentAsText::Always`] unless a message has a part other than text, then none
    /// (Moonshot: its multimodal models take the lists).
    UnlessNonText,
}

impl MessageRules {
    /// Messages as the client sent them.
    pub const NONE: MessageRules = MessageRules {
        validated: false,
        developer_as_system: false,
        strip_cache_control: false,
        content_as_text: ContentAsText::Never,
        azure_parts: false,
        reasoning_fill: ReasoningFill::Never,
    };

    /// What LiteLLM does for most OpenAI-format providers.
    pub const LITELLM: MessageRules = MessageRules {
        validated: true,
        developer_as_system: true,
        strip_cache_control: true,
        content_as_text: ContentAsText::Never,
        azure_parts: false,
        reasoning_fill: ReasoningFill::Never,
    };

    /// Whether messages with `shapes` (a [`Shapes`] set) come out changed.
    pub(crate) const fn changes(&self, shapes: Shapes) -> bool {
        let mut changing = Shapes::EMPTY;
        if self.validated {
            changing = changing.with(Shapes::NULL_MEMBER).with(Shapes::NO_ROLE);
        }
        if self.developer_as_system {
            changing = changing.with(Shapes::DEVELOPER);
        }
        if self.strip_cache_control {
            changing = changing.with(Shapes::CACHE_CONTROL);
        }
        if !matches!(self.content_as_text, ContentAsText::Never) || self.azure_parts {
            changing = changing.with(Shapes::CONTENT_LIST);
        }
        if !matches!(self.reasoning_fill, ReasoningFill::Never) {
            changing = changing.with(Shapes::ASSISTANT).with(Shapes::NO_ROLE);
        }
        shapes.0 & changing.0 != 0
    }
}

/// What a request's messages (and tools) hold that [`MessageRules`] change, noted while the
/// request is inspected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shapes(pub(crate) u8);

impl Shapes {
    pub const EMPTY: Shapes = Shapes(0);
    /// A message member whose value is `null`.
    pub const NULL_MEMBER: Shapes = Shapes(1);
    /// A message without `role`.
    pub const NO_ROLE: Shapes = Shapes(2);
    /// A `developer` turn.
    pub const DEVELOPER: Shapes = Shapes(4);
    /// `cache_control` on a message, on one of its content parts, or on a tool.
    pub const CACHE_CONTROL: Shapes = Shapes(8);
    /// A message whose content is a list.
    pub const CONTENT_LIST: Shapes = Shapes(16);
    /// An assistant turn.
    pub const ASSISTANT: Shapes = Shapes(32);

    pub const fn with(self, other: Shapes) -> Shapes {
        Shapes(self.0 | other.0)
    }
}

/// Writes the `messages` value (a JSON array, else as it came) as `rules` say.
pub(crate) fn write_messages(messages: &[u8], rules: &MessageRules, out: &mut Vec<u8>) {
    let Some(list) = elements(messages) else {
        out.extend_from_slice(messages);
        return;
    };
    let owned;
    let rules = match rules.content_as_text {
        ContentAsText::UnlessNonText => {
            let non_text = list.iter().any(|message| {
                get(message, "content")
                    .and_then(elements)
                    .is_some_and(|parts| {
                        parts.iter().any(|part| {
                            get(part, "type").and_then(string).as_deref() != Some("text")
                        })
                    })
            });
            owned = MessageRules {
                content_as_text: if non_text {
                    ContentAsText::Never
                } else {
                    ContentAsText::Always
                },
                ..*rules
            };
            &owned
        }
        _ => rules,
    };
    write_array(list, out, |message, out| {
        if is_object(message) {
            write_message(message, rules, out);
        } else {
            out.extend_from_slice(message);
        }
    });
}

fn write_message(message: &[u8], rules: &MessageRules, out: &mut Vec<u8>) {
    let mut has_role = false;
    // The role decides only these content rules (and may come after the content).
    let role = (rules.azure_parts
        || rules.reasoning_fill != ReasoningFill::Never
        || matches!(
            rules.content_as_text,
            ContentAsText::AssistantTextOnly | ContentAsText::ToolResult
        ))
    .then(|| get(message, "role").and_then(string))
    .flatten();
    // A role-less message is an assistant's where messages are validated.
    let assistant = || {
        role.as_deref() == Some("assistant") || (rules.validated && get(message, "role").is_none())
    };
    // The reasoning fill: the value the turn gets (its kept one, else a space), if it needs one.
    let needs_fill = match rules.reasoning_fill {
        ReasoningFill::Never => false,
        ReasoningFill::Assistant => assistant(),
        ReasoningFill::ToolCalls => assistant() && get(message, "tool_calls").is_some_and(truthy),
    };
    let fill = (needs_fill && !get(message, "reasoning_content").is_some_and(truthy)).then(|| {
        get(message, "provider_specific_fields")
            .and_then(|fields| get(fields, "reasoning_content"))
            .filter(|kept| truthy(kept))
    });
    write_members(message, out, |key, value, out| {
        if rules.validated && value == b"null" {
            return false;
        }
        if fill.is_some() && key == "reasoning_content" {
            return false;
        }
        if let (Some(Some(_)), "provider_specific_fields") = (fill, key) {
            // Its own member only (at the depth limit the values go as they came).
            super::write_without_keys(value, &["reasoning_content"], 100, out);
            return true;
        }
        if rules.strip_cache_control && key == "cache_control" {
            return false;
        }
        match key {
            "role" => {
                has_role = true;
                if rules.developer_as_system && string(value).as_deref() == Some("developer") {
                    out.extend_from_slice(b"\"system\"");
                    return true;
                }
            }
            "content" if as_text(rules.content_as_text, role.as_deref(), value, out) => {
                return true;
            }
            "content" if rules.azure_parts && role.as_deref() == Some("user") => {
                if let Some(parts) = elements(value) {
                    write_array(parts, out, write_azure_part);
                    return true;
                }
            }
            _ => {}
        }
        if rules.strip_cache_control {
            super::write_without_keys(value, &["cache_control"], 0, out);
        } else {
            out.extend_from_slice(value);
        }
        true
    });
    if rules.validated && !has_role {
        append_member(out, br#""role":"assistant""#);
    }
    if let Some(kept) = fill {
        let mut member = br#""reasoning_content":"#.to_vec();
        member.extend_from_slice(kept.unwrap_or(br#"" ""#));
        append_member(out, &member);
    }
}

/// Appends `member` (`"key":value`) to the object just written to `out`.
fn append_member(out: &mut Vec<u8>, member: &[u8]) {
    out.pop();
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    out.extend_from_slice(member);
    out.push(b'}');
}

/// Python's truth of a JSON value: not `null`, `false`, a zero, `""`, `[]` or `{}`.
fn truthy(value: &[u8]) -> bool {
    match value.first() {
        None | Some(b'n' | b'f') => false,
        Some(b'"') => value.len() > 2,
        Some(b'[') => elements(value).is_some_and(|items| !items.is_empty()),
        Some(b'{') => crate::json::top_members(value).is_some_and(|mut m| m.next().is_some()),
        Some(b't') => true,
        Some(_) => std::str::from_utf8(value)
            .ok()
            .and_then(|n| n.parse::<f64>().ok())
            .is_some_and(|n| n != 0.0),
    }
}

/// A user turn's content part as Azure takes it: an `image_url` given as a string becomes
/// `{"url": ...}`, and `format` is left out of an `image_url` or `file` object.
fn write_azure_part(part: &[u8], out: &mut Vec<u8>) {
    let kind = get(part, "type").and_then(string);
    let inner = match kind.as_deref() {
        Some("image_url") => "image_url",
        Some("file") => "file",
        _ => {
            out.extend_from_slice(part);
            return;
        }
    };
    write_members(part, out, |key, value, out| {
        if key != inner {
            out.extend_from_slice(value);
        } else if inner == "image_url" && value.first() == Some(&b'"') {
            out.extend_from_slice(b"{\"url\":");
            out.extend_from_slice(value);
            out.push(b'}');
        } else if is_object(value) {
            write_members(value, out, |k, v, out| {
                out.extend_from_slice(v);
                k != "format"
            });
        } else {
            out.extend_from_slice(value);
        }
        true
    });
}

/// Writes `content` (of a message with `role`) as text where `how` says so; false when it
/// goes as it came.
fn as_text(how: ContentAsText, role: Option<&str>, content: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(parts) = elements(content) else {
        return false;
    };
    let text_of = |part: &&[u8]| get(part, "text").and_then(string);
    let all_text = || {
        parts
            .iter()
            .all(|part| get(part, "type").and_then(string).as_deref() == Some("text"))
    };
    let text = match how {
        ContentAsText::Never => return false,
        // `convert_content_list_to_str`: only a non-empty result replaces the list.
        ContentAsText::Always => {
            let text: String = parts.iter().filter_map(text_of).collect();
            if text.is_empty() {
                return false;
            }
            text
        }
        ContentAsText::TextOnly if all_text() => parts.iter().filter_map(text_of).collect(),
        ContentAsText::AssistantTextOnly if role == Some("assistant") && all_text() => parts
            .iter()
            .map(|part| text_of(part).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n"),
        ContentAsText::ToolResult if role == Some("tool") => match parts.as_slice() {
            [one] if all_text() && get(one, "text").is_some() => match text_of(one) {
                Some(text) => text,
                None => return false,
            },
            _ => {
                crate::json::value::write_py_dumps_string(content, out);
                return true;
            }
        },
        _ => return false,
    };
    write_json_string(&text, out);
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn written(messages: Value, rules: MessageRules) -> Value {
        let mut out = Vec::new();
        write_messages(&serde_json::to_vec(&messages).unwrap(), &rules, &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn litellm_s_preparation() {
        let messages = json!([
            {"role": "developer", "content": [{"type": "text", "text": "Rule.", "cache_control": {"type": "ephemeral"}}]},
            {"content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "user", "content": "Hi", "name": null, "cache_control": {"type": "ephemeral"}},
            "not a message"
        ]);
        assert_eq!(
            written(messages.clone(), MessageRules::LITELLM),
            json!([
                {"role": "system", "content": [{"type": "text", "text": "Rule."}]},
                {"tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}], "role": "assistant"},
                {"role": "user", "content": "Hi"},
                "not a message"
            ])
        );
        assert_eq!(written(messages.clone(), MessageRules::NONE), messages);
    }

    #[test]
    fn content_lists_as_their_texts() {
        let rules = MessageRules {
            content_as_text: ContentAsText::Always,
            ..MessageRules::LITELLM
        };
        let messages = json!([
            {"role": "user", "content": [{"type": "text", "text": "What is "}, {"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "it?"}]},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
            {"role": "user", "content": "as is"}
        ]);
        assert_eq!(
            written(messages, rules),
            json!([
                {"role": "user", "content": "What is it?"},
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
                {"role": "user", "content": "as is"}
            ])
        );
    }

    #[test]
    fn providers_own_content_rewrites() {
        let messages = json!([
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "x"}}]},
            {"role": "tool", "content": [{"type": "text", "text": "20"}]},
            {"role": "tool", "content": [{"type": "text", "text": "é"}, {"type": "text", "text": "b"}]}
        ]);
        let with = |how| MessageRules {
            content_as_text: how,
            ..MessageRules::NONE
        };
        let contents = |how| -> Vec<Value> {
            written(messages.clone(), with(how))
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].clone())
                .collect()
        };
        let original: Vec<Value> = messages
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].clone())
            .collect();
        let text_only = contents(ContentAsText::TextOnly);
        assert_eq!(text_only[0], json!("ab"));
        assert_eq!(text_only[2], original[2]);
        let vllm = contents(ContentAsText::AssistantTextOnly);
        assert_eq!(vllm[1], json!("a\nb"));
        assert_eq!(vllm[0], original[0]);
        let deepinfra = contents(ContentAsText::ToolResult);
        assert_eq!(deepinfra[3], json!("20"));
        assert_eq!(
            deepinfra[4],
            // (serde_json wrote the parts' keys sorted)
            json!(r#"[{"text": "\u00e9", "type": "text"}, {"text": "b", "type": "text"}]"#)
        );
        assert_eq!(deepinfra[0], original[0]);
    }

    #[test]
    fn azure_content_parts() {
        let rules = MessageRules {
            azure_parts: true,
            ..MessageRules::NONE
        };
        let messages = json!([
            {"role": "user", "content": [
                {"type": "text", "text": "a", "format": "kept"},
                {"type": "image_url", "image_url": "data:image/png;base64,AA=="},
                {"type": "image_url", "image_url": {"url": "https://x/a.png", "format": "image/png", "detail": "low"}},
                {"type": "file", "file": {"file_id": "f1", "format": "application/pdf"}},
                "not a part"]},
            {"role": "assistant", "content": [{"type": "image_url", "image_url": "x"}]},
            {"role": "user", "content": "as is"}
        ]);
        assert_eq!(
            written(messages, rules),
            json!([
                {"role": "user", "content": [
                    {"type": "text", "text": "a", "format": "kept"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                    {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}},
                    {"type": "file", "file": {"file_id": "f1"}},
                    "not a part"]},
                {"role": "assistant", "content": [{"type": "image_url", "image_url": "x"}]},
                {"role": "user", "content": "as is"}
            ])
        );
        assert!(rules.changes(Shapes::CONTENT_LIST));
    }

    #[test]
    fn deepseek_reasoning_turns_are_filled() {
        let rules = MessageRules {
            reasoning_fill: ReasoningFill::Assistant,
            ..MessageRules::LITELLM
        };
        let messages = json!([
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "a", "provider_specific_fields": {"reasoning_content": "kept", "x": {"reasoning_content": 1}}},
            {"role": "assistant", "content": "b", "reasoning_content": ""},
            {"role": "assistant", "content": "c", "reasoning_content": "own", "provider_specific_fields": {"reasoning_content": "kept"}},
            {"role": "assistant", "content": "d", "reasoning_content": 0, "provider_specific_fields": {"reasoning_content": ""}},
            {"content": "e"},
            {"role": "tool", "content": "f"}
        ]);
        assert_eq!(
            written(messages, rules),
            json!([
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "a", "provider_specific_fields": {"x": {"reasoning_content": 1}}, "reasoning_content": "kept"},
                {"role": "assistant", "content": "b", "reasoning_content": " "},
                {"role": "assistant", "content": "c", "reasoning_content": "own", "provider_specific_fields": {"reasoning_content": "kept"}},
                {"role": "assistant", "content": "d", "provider_specific_fields": {"reasoning_content": ""}, "reasoning_content": " "},
                {"content": "e", "role": "assistant", "reasoning_content": " "},
                {"role": "tool", "content": "f"}
            ])
        );
        assert!(rules.changes(Shapes::ASSISTANT));
        assert!(!MessageRules::LITELLM.changes(Shapes::ASSISTANT));
        for (value, truth) in [
            ("null", false),
            ("0", false),
            ("0.0", false),
            ("-0", false),
            ("0e5", false),
            ("\"\"", false),
            ("[]", false),
            ("{}", false),
            ("false", false),
            ("true", true),
            ("1", true),
            ("\" \"", true),
            ("[0]", true),
            ("{\"a\":1}", true),
            ("-0.5", true),
        ] {
            assert_eq!(truthy(value.as_bytes()), truth, "{value}");
        }
    }

    #[test]
    fn moonshot_s_content_lists_and_tool_call_turns() {
        let rules = MessageRules {
            content_as_text: ContentAsText::UnlessNonText,
            reasoning_fill: ReasoningFill::ToolCalls,
            ..MessageRules::LITELLM
        };
        let call =
            json!([{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]);
        let text_only = json!([
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "assistant", "content": "x", "tool_calls": call.clone()},
            {"role": "assistant", "content": "y", "tool_calls": []},
            {"role": "assistant", "content": "z"}
        ]);
        assert_eq!(
            written(text_only, rules),
            json!([
                {"role": "user", "content": "ab"},
                {"role": "assistant", "content": "x", "tool_calls": call, "reasoning_content": " "},
                {"role": "assistant", "content": "y", "tool_calls": []},
                {"role": "assistant", "content": "z"}
            ])
        );
        let with_image = json!([
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
        ]);
        assert_eq!(written(with_image.clone(), rules), with_image);
    }

    #[test]
    fn changes_follow_the_rules() {
        let all = Shapes::NULL_MEMBER
            .with(Shapes::NO_ROLE)
            .with(Shapes::DEVELOPER)
            .with(Shapes::CACHE_CONTROL)
            .with(Shapes::CONTENT_LIST);
        assert!(!MessageRules::NONE.changes(all));
        assert!(!MessageRules::LITELLM.changes(Shapes::CONTENT_LIST));
        assert!(MessageRules::LITELLM.changes(Shapes::DEVELOPER));
        assert!(!MessageRules::LITELLM.changes(Shapes::EMPTY));
    }
}
