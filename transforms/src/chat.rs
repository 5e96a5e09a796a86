//! What the translations of a chat-completions request share: reading the body and its
//! messages' roles, data URLs, text parts, LiteLLM's unsupported-parameter error.

use crate::anthropic::request::{invalid, Result};
use crate::anthropic::TransformError;
use crate::json::tape::Scratch;
use crate::json::value::{get, is_object, string};
use crate::json::write_json_string;

/// The client's body checked as one JSON object (parsed on the tape, nothing built): the
/// object's bytes from its opening brace.
pub(crate) fn request_object<'b>(body: &'b [u8], scratch: &mut Scratch) -> Result<&'b [u8]> {
    scratch
        .parse(body, |_, _| ())
        .map_err(|_| invalid("request body could not be parsed as JSON"))?;
    let body = &body[crate::json::skip_ws(body, 0)..];
    if !is_object(body) {
        return Err(invalid("expected an object"));
    }
    Ok(body)
}

/// A `{"text": ...}` part (Gemini's part, Bedrock's content block).
pub(crate) fn text_part(text: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(text.len() + 12);
    p.extend_from_slice(b"{\"text\":");
    write_json_string(text, &mut p);
    p.push(b'}');
    p
}

/// The role of one chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `system` or `developer`.
    System,
    User,
    Assistant,
    Tool,
    /// The legacy function result.
    Function,
}

/// The role of `message`; a message that is not an object, or has no known role, is invalid.
pub(crate) fn role_of(message: &[u8]) -> Result<Role> {
    if !is_object(message) {
        return Err(invalid("messages: each message must be an object"));
    }
    let role = get(message, "role")
        .and_then(string)
        .ok_or_else(|| invalid("messages: each message needs a role"))?;
    Ok(match role.as_str() {
        "system" | "developer" => Role::System,
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        "function" => Role::Function,
        other => return Err(invalid(format!("messages: unsupported role {other:?}"))),
    })
}

/// The media type and base64 data of a `data:` URL; `None` for any other URL.
pub(crate) fn data_url(url: &str) -> Result<Option<(&str, &str)>> {
    let Some(rest) = url.strip_prefix("data:") else {
        return Ok(None);
    };
    let (mime, data) = rest
        .split_once(";base64,")
        .ok_or_else(|| invalid("a data: URL must be base64 (data:<mime>;base64,<data>)"))?;
    Ok(Some((mime.split(';').next().unwrap_or(mime).trim(), data)))
}

/// LiteLLM's `UnsupportedParamsError` text for OpenAI `params` that `provider` has no field
/// for (`get_optional_params._check_valid_arg`).
pub(crate) fn unsupported_params(provider: &str, params: &[String], model: &str) -> TransformError {
    let list = params
        .iter()
        .map(|p| format!("'{p}'"))
        .collect::<Vec<_>>()
        .join(", ");
    TransformError::UnsupportedParams {
        message: format!(
            "{provider} does not support parameters: [{list}], for model={model}. To drop these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n. \n If you want to use these params dynamically send allowed_openai_params=[{list}] in your request."
        ),
        params: params.to_vec(),
    }
}
