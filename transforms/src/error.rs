//! LiteLLM's error JSON and its mapping of upstream failures, in one place.
//!
//! Shape (LiteLLM `ProxyException.to_dict`): `{"error": {"message", "type", "param", "code"}}`
//! with `code` the HTTP status as a string. Upstream errors get the message LiteLLM's
//! `exception_type` builds for OpenAI-compatible providers:
//! `litellm.<Class>: [<Prefix>: ]<Provider>Exception - <upstream message>`.

use crate::json::{top_members, unescape, write_json_string};

/// Upstream message bytes kept in an error message; longer bodies are cut (at a char boundary).
pub const MAX_UPSTREAM_MESSAGE: usize = 4096;

/// Appends LiteLLM's error JSON. `param` `None` is JSON null.
pub fn write_error(message: &str, kind: &str, param: Option<&str>, code: u16, out: &mut Vec<u8>) {
    write_error_json(message, Some(kind), param, code, out);
}

/// [`write_error`] with an optional `type`: LiteLLM's proxy sends `"type": null` for an upstream
/// APIError (a status its mapping does not name).
pub fn write_error_json(
    message: &str,
    kind: Option<&str>,
    param: Option<&str>,
    code: u16,
    out: &mut Vec<u8>,
) {
    write_error_object(message, kind, param, code, false, out);
}

/// [`write_error_json`] with the message repeated in `provider_specific_fields.error`, as
/// LiteLLM's router errors carry it.
pub fn write_error_repeating_message(
    message: &str,
    kind: Option<&str>,
    param: Option<&str>,
    code: u16,
    out: &mut Vec<u8>,
) {
    write_error_object(message, kind, param, code, true, out);
}

fn write_error_object(
    message: &str,
    kind: Option<&str>,
    param: Option<&str>,
    code: u16,
    repeat: bool,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"error\":{\"message\":");
    write_json_string(message, out);
    out.extend_from_slice(b",\"type\":");
    match kind {
        Some(k) => write_json_string(k, out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"param\":");
    match param {
        Some(p) => write_json_string(p, out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"code\":\"");
    out.extend_from_slice(itoa::Buffer::new().format(code).as_bytes());
    out.push(b'"');
    if repeat {
        out.extend_from_slice(b",\"provider_specific_fields\":{\"error\":");
        write_json_string(message, out);
        out.push(b'}');
    }
    out.extend_from_slice(b"}}");
}

/// An upstream error answer's text as LiteLLM quotes it in its message: the body trimmed
/// (lossy UTF-8), `Error code: <status>` when empty, bounded by [`MAX_UPSTREAM_MESSAGE`].
pub fn raw_answer_text(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut raw = if text.trim().is_empty() {
        format!("Error code: {status}")
    } else {
        text.trim().to_owned()
    };
    truncate_at_char(&mut raw, MAX_UPSTREAM_MESSAGE);
    raw
}

/// How LiteLLM classifies an upstream HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamErrorMap {
    /// Status the client gets.
    pub status: u16,
    /// LiteLLM exception class name (its OpenAI `type` is [`proxy_error_type`]'s).
    pub exception: &'static str,
    /// The OpenAI `type` where the class does not decide it (else [`proxy_error_type`]'s).
    pub kind: Option<&'static str>,
}

impl UpstreamErrorMap {
    /// The OpenAI `type` the client gets: `null` for LiteLLM's generic APIError.
    pub fn error_type(&self) -> Option<&'static str> {
        self.kind.or_else(|| proxy_error_type(self.exception))
    }
}

/// LiteLLM's mapping for OpenAI-compatible providers (`exception_mapping_utils.py`, the
/// `status_code` branch): 400/422 BadRequestError (422 becomes 400), 401 AuthenticationError,
/// 404 NotFoundError, 408/504 Timeout, 429 RateLimitError, 500 InternalServerError,
/// 503 ServiceUnavailableError; every other status (403, 502, ...) is an APIError that keeps it.
pub fn map_upstream_status(status: u16) -> UpstreamErrorMap {
    let (status, exception) = match status {
        400 | 422 => (400, "BadRequestError"),
        401 => (401, "AuthenticationError"),
        404 => (404, "NotFoundError"),
        408 | 504 => (status, "Timeout"),
        429 => (429, "RateLimitError"),
        500 => (500, "InternalServerError"),
        503 => (503, "ServiceUnavailableError"),
        // A success status reaching here is a body the gateway could not use: LiteLLM raises
        // APIError with 500 for those.
        s if !(400..=599).contains(&s) => (500, "APIError"),
        s => (s, "APIError"),
    };
    UpstreamErrorMap {
        status,
        exception,
        kind: None,
    }
}

/// The `type` LiteLLM 1.108.7's proxy gives an upstream error of each class in OpenAI's error
/// JSON (captured by the differential suite); `None` (`null`) for the generic APIError.
pub fn proxy_error_type(exception: &str) -> Option<&'static str> {
    Some(match exception {
        "BadRequestError"
        | "ContextWindowExceededError"
        | "ContentPolicyViolationError"
        | "NotFoundError" => "invalid_request_error",
        "AuthenticationError" => "authentication_error",
        "PermissionDeniedError" => "permission_error",
        "RateLimitError" => "throttling_error",
        "InternalServerError" | "BadGatewayError" | "ServiceUnavailableError" | "Timeout" => {
            "internal_server_error"
        }
        _ => return None,
    })
}

/// The text LiteLLM inserts between the class and the provider for each class.
fn class_prefix(exception: &str) -> &'static str {
    match exception {
        "AuthenticationError" => "AuthenticationError: ",
        "NotFoundError" => "NotFoundError: ",
        "Timeout" => "Timeout Error: ",
        "RateLimitError" => "RateLimitError: ",
        "InternalServerError" => "InternalServerError: ",
        "ServiceUnavailableError" => "ServiceUnavailableError: ",
        "APIError" => "APIError: ",
        _ => "",
    }
}

/// Appends the message LiteLLM's proxy puts in `error.message` for an upstream error, e.g.
/// `litellm.RateLimitError: RateLimitError: GroqException - Rate limit reached`.
/// The upstream part is `error.message` (or a top-level `message`) of a JSON body, else the raw
/// body (trimmed, lossy UTF-8) or `Error code: <status>` when empty, bounded by
/// [`MAX_UPSTREAM_MESSAGE`]. Deviations: LiteLLM's message-content checks (context window,
/// content policy) that pick a narrower class are not applied, and a JSON body without a
/// message is quoted as JSON rather than as a Python dict repr.
pub fn write_upstream_message(provider: &str, status: u16, upstream_body: &[u8], out: &mut String) {
    let map = map_upstream_status(status);
    out.push_str("litellm.");
    out.push_str(map.exception);
    out.push_str(": ");
    out.push_str(class_prefix(map.exception));
    write_exception_provider(provider, out);
    out.push_str(" - ");
    write_upstream_text(provider, status, upstream_body, out);
}

/// The upstream part of LiteLLM's message: `error.message` (or a top-level `message`) of a
/// JSON body, else the raw body (trimmed, lossy UTF-8) or `Error code: <status>` when empty,
/// bounded by [`MAX_UPSTREAM_MESSAGE`]; OpenAI's own wording renamed for another provider.
fn write_upstream_text(provider: &str, status: u16, upstream_body: &[u8], out: &mut String) {
    let start = out.len();
    match upstream_error_message(upstream_body) {
        Some(m) => out.push_str(&m),
        None => {
            let text = String::from_utf8_lossy(upstream_body);
            let text = text.trim();
            if text.is_empty() {
                out.push_str("Error code: ");
                out.push_str(itoa::Buffer::new().format(status));
            } else if text.starts_with('{') {
                out.push_str("Error code: ");
                out.push_str(itoa::Buffer::new().format(status));
                out.push_str(" - ");
                out.push_str(text);
            } else {
                out.push_str(text);
            }
        }
    }
    if provider != "openai" && out[start..].contains("OPENAI") {
        // LiteLLM renames OpenAI's own wording so users are not told the wrong vendor failed.
        let tail = out
            .split_off(start)
            .replace("OPENAI", &provider.to_uppercase());
        out.push_str(&tail);
    }
    truncate_at_char(out, start + MAX_UPSTREAM_MESSAGE);
}

/// LiteLLM's message for an upstream error raised as `(status, text)` (its OCR handler's):
/// `litellm.RateLimitError: RateLimitError: MistralException - (429, '<answer text>')`.
pub fn write_upstream_tuple_message(
    provider: &str,
    status: u16,
    upstream_body: &[u8],
    out: &mut String,
) {
    let map = map_upstream_status(status);
    out.push_str("litellm.");
    out.push_str(map.exception);
    out.push_str(": ");
    out.push_str(class_prefix(map.exception));
    write_exception_provider(provider, out);
    out.push_str(" - (");
    out.push_str(itoa::Buffer::new().format(status));
    out.push_str(", ");
    let start = out.len();
    crate::json::value::py_repr_string(&String::from_utf8_lossy(upstream_body), out);
    out.push(')');
    truncate_at_char(out, start + MAX_UPSTREAM_MESSAGE);
}

/// LiteLLM's message for an upstream error of the rerank route to an OpenAI-format row (its
/// rerank handler raises the answer's text as it came, without the class's own prefix), and
/// of Voyage AI's embeddings: `litellm.RateLimitError: Jina_aiException - <answer text>`.
pub fn write_upstream_rerank_message(
    provider: &str,
    status: u16,
    upstream_body: &[u8],
    out: &mut String,
) {
    out.push_str("litellm.");
    out.push_str(map_upstream_status(status).exception);
    out.push_str(": ");
    write_exception_provider(provider, out);
    out.push_str(" - ");
    let start = out.len();
    out.push_str(&String::from_utf8_lossy(upstream_body));
    truncate_at_char(out, start + MAX_UPSTREAM_MESSAGE);
}

/// LiteLLM's message for an upstream error of the Responses API: the answer's text as it came,
/// after `litellm.BadRequestError: <Provider>Exception - ` whatever the status, except a 429's
/// `litellm.RateLimitError: RateLimitError: ` (its responses handler raises them so).
pub fn write_upstream_raw_message(
    provider: &str,
    status: u16,
    upstream_body: &[u8],
    out: &mut String,
) {
    out.push_str(if status == 429 {
        "litellm.RateLimitError: RateLimitError: "
    } else {
        "litellm.BadRequestError: "
    });
    write_exception_provider(provider, out);
    out.push_str(" - ");
    let start = out.len();
    out.push_str(&String::from_utf8_lossy(upstream_body));
    truncate_at_char(out, start + MAX_UPSTREAM_MESSAGE);
}

/// LiteLLM's mapping of an Azure OpenAI error answer (`_map_azure_exception`): its message
/// (`litellm.RateLimitError: AzureException RateLimitError - <upstream message>`), class and
/// status, read first from the upstream message's wording (internal error, context window,
/// content filter), then from the status. An APIError is typed by its status, as LiteLLM's
/// proxy types an exception that carries none. Deviations: the content filter's inner error
/// is not copied into `provider_specific_fields`, and a 400's own `type` and `param` are not
/// carried.
pub fn write_azure_upstream_message(
    status: u16,
    upstream_body: &[u8],
    out: &mut String,
) -> UpstreamErrorMap {
    let mut text = String::new();
    write_upstream_text("azure", status, upstream_body, &mut text);
    let code = azure_error_code(upstream_body);
    let lower = text.to_ascii_lowercase();
    let policy = code.as_deref() == Some("content_policy_violation")
        || AZURE_POLICY_WORDINGS.iter().any(|w| lower.contains(w));
    let (status, exception, label, kind) = if text.contains("Internal server error") {
        (500, "InternalServerError", "Internal server error", None)
    } else if text.contains("This model's maximum context length is") {
        (
            400,
            "ContextWindowExceededError",
            "ContextWindowExceededError",
            None,
        )
    } else if text.contains("DeploymentNotFound") {
        (404, "NotFoundError", "NotFoundError", None)
    } else if policy {
        out.push_str("litellm.BadRequestError: litellm.ContentPolicyViolationError: ");
        out.push_str(&text);
        return UpstreamErrorMap {
            status: 400,
            exception: "ContentPolicyViolationError",
            kind: None,
        };
    } else {
        match status {
            400 => (400, "BadRequestError", "", None),
            401 => (401, "AuthenticationError", "AuthenticationError", None),
            404 => (404, "NotFoundError", "NotFoundError", None),
            408 | 504 => (status, "Timeout", "Timeout", None),
            422 => (422, "BadRequestError", "BadRequestError", None),
            429 => (429, "RateLimitError", "RateLimitError", None),
            502 => (502, "BadGatewayError", "BadGatewayError", None),
            503 => (
                503,
                "ServiceUnavailableError",
                "ServiceUnavailableError",
                None,
            ),
            s if !(400..=599).contains(&s) => {
                (500, "APIError", "APIError", Some("internal_server_error"))
            }
            s => (s, "APIError", "APIError", Some(type_for_status(s))),
        }
    };
    out.push_str("litellm.");
    out.push_str(exception);
    out.push_str(": ");
    if exception == "ContextWindowExceededError" {
        out.push_str("litellm.BadRequestError: ");
    }
    out.push_str("AzureException ");
    out.push_str(label);
    if !label.is_empty() {
        out.push(' ');
    }
    out.push_str("- ");
    out.push_str(&text);
    UpstreamErrorMap {
        status,
        exception,
        kind,
    }
}

/// The wordings LiteLLM reads as an Azure content-filter refusal (lower-cased;
/// `ExceptionCheckers.is_azure_content_policy_violation_error`), besides its inner error's
/// `ResponsibleAIPolicyViolation` code.
const AZURE_POLICY_WORDINGS: [&str; 7] = [
    "content_policy_violation",
    "responsibleaipolicyviolation",
    "the response was filtered due to the prompt triggering azure openai's content management",
    "your task failed as a result of our safety system",
    "the model produced invalid content",
    "content_filter_policy",
    "your request was rejected as a result of our safety system",
];

/// An Azure error body's `error.code`, or `content_policy_violation` when its inner error
/// says `ResponsibleAIPolicyViolation` (LiteLLM reads both).
fn azure_error_code(body: &[u8]) -> Option<String> {
    let error = crate::json::value::get(body, "error").filter(|v| v.first() == Some(&b'{'))?;
    let code = crate::json::value::get(error, "code").and_then(string_value);
    if code.as_deref() != Some("content_policy_violation") {
        let inner = crate::json::value::get(error, "inner_error")
            .or_else(|| crate::json::value::get(error, "innererror"));
        if inner.and_then(|i| crate::json::value::get(i, "code"))
            == Some(br#""ResponsibleAIPolicyViolation""#.as_slice())
        {
            return Some("content_policy_violation".to_owned());
        }
    }
    code
}

/// The OpenAI `type` LiteLLM's proxy gives an error that carries none, by its status
/// (proxy/common_utils/openai_error_payload.py).
fn type_for_status(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_error",
        s if s < 500 => "invalid_request_error",
        _ => "internal_server_error",
    }
}

/// LiteLLM's mapping of an OpenAI-compatible provider's error answer
/// (`exception_mapping_utils.py` `_map_openai_exception`): the answer's wordings first (a rate
/// limit, a context window, a timeout, a content policy), then its status
/// ([`map_upstream_status`]). Appends the message to `out`.
pub fn map_openai_error(
    provider: &str,
    status: u16,
    upstream_body: &[u8],
    out: &mut String,
) -> UpstreamErrorMap {
    let raw = String::from_utf8_lossy(upstream_body);
    let text = raw.to_lowercase();
    let worded = |status, exception, prefix: &str, out: &mut String| {
        out.push_str(prefix);
        write_exception_provider(provider, out);
        out.push_str(" - ");
        write_upstream_text(provider, status, upstream_body, out);
        UpstreamErrorMap {
            status,
            exception,
            kind: None,
        }
    };
    if is_rate_limit_text(&text) {
        return worded(
            429,
            "RateLimitError",
            "litellm.RateLimitError: RateLimitError: ",
            out,
        );
    }
    if is_context_window_lowercase(&text) {
        return worded(
            400,
            "ContextWindowExceededError",
            "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: ",
            out,
        );
    }
    if raw.contains("A timeout occurred") {
        // LiteLLM's proxy types a 408 by its status.
        return UpstreamErrorMap {
            kind: Some("invalid_request_error"),
            ..worded(408, "Timeout", "litellm.Timeout: ", out)
        };
    }
    if (raw.contains("invalid_request_error") && raw.contains("content_policy_violation"))
        || (raw.contains("Invalid prompt") && raw.contains("violating our usage policy"))
        || text.contains("request was rejected as a result of the safety system")
    {
        return worded(
            400,
            "ContentPolicyViolationError",
            "litellm.BadRequestError: litellm.ContentPolicyViolationError: ContentPolicyViolationError: ",
            out,
        );
    }
    write_upstream_message(provider, status, upstream_body, out);
    map_upstream_status(status)
}

/// LiteLLM's `is_error_str_rate_limit` on a lower-cased answer (a bare 429 counts only with
/// status 429, which the status mapping already makes a rate limit).
fn is_rate_limit_text(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find("rate") {
        let after = rest[at + 4..].trim_start_matches([' ', '\t', '\n', '\r', '_', '-']);
        if after.starts_with("limit") {
            return true;
        }
        rest = &rest[at + 4..];
    }
    text.contains("service tier capacity exceeded")
}

/// LiteLLM's `ExceptionCheckers.is_error_str_context_window_exceeded`.
pub(crate) fn is_context_window_exceeded(text: &str) -> bool {
    is_context_window_lowercase(&text.to_lowercase())
}

/// [`is_context_window_exceeded`] on text already lower-cased.
fn is_context_window_lowercase(text: &str) -> bool {
    if text.contains("string_above_max_length")
        || (text.contains("invalid 'user'") && text.contains("string too long"))
    {
        return false;
    }
    const WORDINGS: &[&str] = &[
        "exceed context limit",
        "this model's maximum context length is",
        "string too long. expected a string with maximum length",
        "model's maximum context limit",
        "is longer than the model's context length",
        "input tokens exceed the configured limit",
        "`inputs` tokens + `max_new_tokens` must be",
        "exceeds the available context size",
        "exceeds the maximum number of tokens allowed",
    ];
    WORDINGS.iter().any(|w| text.contains(w))
        || (text.contains("current length is") && text.contains("while limit is"))
        || (text.contains("maximum input length is") && text.contains("tokens"))
        || (text.contains("input too long:") && text.contains("input tokens, limit is"))
}

/// Appends LiteLLM's full error JSON for an upstream error and returns the status to send.
pub fn write_upstream_error(
    provider: &str,
    status: u16,
    upstream_body: &[u8],
    out: &mut Vec<u8>,
) -> u16 {
    let map = map_upstream_status(status);
    let mut message = String::new();
    write_upstream_message(provider, status, upstream_body, &mut message);
    write_error_json(&message, None, None, map.status, out);
    map.status
}

/// `OpenAIException` for openai, otherwise the provider name with its first letter upper-cased
/// and `Exception` appended (`groq` -> `GroqException`, `together_ai` -> `Together_aiException`).
pub fn write_exception_provider(provider: &str, out: &mut String) {
    if provider == "openai" || provider.is_empty() {
        out.push_str("OpenAIException");
        return;
    }
    let mut chars = provider.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(chars.as_str());
    }
    out.push_str("Exception");
}

/// `error.message` (or `message`) of an upstream JSON error body.
fn upstream_error_message(body: &[u8]) -> Option<String> {
    let mut message = None;
    for m in top_members(body)? {
        let value = &body[m.value.clone()];
        match &body[m.key.clone()] {
            b"error" if value.first() == Some(&b'{') => {
                let inner = top_members(value)?.find(|im| &value[im.key.clone()] == b"message")?;
                return string_value(&value[inner.value]);
            }
            b"error" | b"message" if value.first() == Some(&b'"') => message = string_value(value),
            _ => {}
        }
    }
    message
}

fn string_value(v: &[u8]) -> Option<String> {
    (v.len() >= 2 && v[0] == b'"')
        .then(|| unescape(&v[1..v.len() - 1]))
        .flatten()
}

pub(crate) fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn msg(provider: &str, status: u16, body: &str) -> String {
        let mut s = String::new();
        write_upstream_message(provider, status, body.as_bytes(), &mut s);
        s
    }

    #[test]
    fn error_json_shape() {
        let mut out = Vec::new();
        write_error("bad \"x\"", "invalid_request_error", None, 400, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"error":{"message":"bad \"x\"","type":"invalid_request_error","param":null,"code":"400"}}"#
        );
    }

    #[test]
    fn messages_follow_litellm() {
        assert_eq!(
            msg(
                "groq",
                429,
                r#"{"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}"#
            ),
            "litellm.RateLimitError: RateLimitError: GroqException - Rate limit reached"
        );
        assert_eq!(
            msg("openai", 400, r#"{"error":{"message":"bad"}}"#),
            "litellm.BadRequestError: OpenAIException - bad"
        );
        assert_eq!(
            msg("together_ai", 502, "<html>bad gateway</html>"),
            "litellm.APIError: APIError: Together_aiException - <html>bad gateway</html>"
        );
        assert_eq!(msg("xai", 503, ""), "litellm.ServiceUnavailableError: ServiceUnavailableError: XaiException - Error code: 503");
        assert_eq!(
            msg("groq", 401, r#"{"error":{"message":"Invalid OPENAI key"}}"#),
            "litellm.AuthenticationError: AuthenticationError: GroqException - Invalid GROQ key"
        );
    }

    #[test]
    fn azure_errors_follow_litellm() {
        let azure = |status: u16, body: &str| {
            let mut s = String::new();
            let map = write_azure_upstream_message(status, body.as_bytes(), &mut s);
            (s, map.status, map.exception, map.error_type())
        };
        let body = |m: &str| {
            format!(r#"{{"error":{{"message":"{m}","type":"x","param":null,"code":null}}}}"#)
        };
        assert_eq!(
            azure(401, &body("bad key")),
            (
                "litellm.AuthenticationError: AzureException AuthenticationError - bad key"
                    .to_owned(),
                401,
                "AuthenticationError",
                Some("authentication_error")
            )
        );
        assert_eq!(
            azure(400, &body("bad")).0,
            "litellm.BadRequestError: AzureException - bad"
        );
        assert_eq!(azure(422, &body("bad")).1, 422);
        assert_eq!(
            azure(500, &body("Internal server error")).0,
            "litellm.InternalServerError: AzureException Internal server error - Internal server error"
        );
        let (m, status, class, kind) = azure(500, &body("boom"));
        assert_eq!(
            (m.as_str(), status, class, kind),
            (
                "litellm.APIError: AzureException APIError - boom",
                500,
                "APIError",
                Some("internal_server_error")
            )
        );
        assert_eq!(azure(403, &body("no")).3, Some("permission_error"));
        assert_eq!(
            azure(502, &body("bg")).0,
            "litellm.BadGatewayError: AzureException BadGatewayError - bg"
        );
        assert_eq!(
            azure(504, &body("slow")).0,
            "litellm.Timeout: AzureException Timeout - slow"
        );
        let (m, status, class, _) = azure(
            400,
            &body("This model's maximum context length is 8192 tokens."),
        );
        assert_eq!(status, 400);
        assert_eq!(class, "ContextWindowExceededError");
        assert!(m.starts_with("litellm.ContextWindowExceededError: litellm.BadRequestError: AzureException ContextWindowExceededError - This model"), "{m}");
        let missing = r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#;
        assert_eq!(azure(404, missing).2, "NotFoundError");
        // The content filter, by its inner error's code or by its wording.
        let filtered = r#"{"error":{"message":"Blocked.","code":"content_filter","innererror":{"code":"ResponsibleAIPolicyViolation"}}}"#;
        assert_eq!(
            azure(400, filtered),
            (
                "litellm.BadRequestError: litellm.ContentPolicyViolationError: Blocked.".to_owned(),
                400,
                "ContentPolicyViolationError",
                Some("invalid_request_error")
            )
        );
        assert_eq!(
            azure(
                400,
                &body("Your request was rejected as a result of our safety system.")
            )
            .2,
            "ContentPolicyViolationError"
        );
        assert_eq!(
            azure(
                400,
                r#"{"error":{"message":"m","code":"content_policy_violation"}}"#
            )
            .2,
            "ContentPolicyViolationError"
        );
    }

    #[test]
    fn status_map() {
        assert_eq!(map_upstream_status(422).status, 400);
        assert_eq!(map_upstream_status(403).exception, "APIError");
        assert_eq!(map_upstream_status(403).status, 403);
        assert_eq!(map_upstream_status(200).status, 500);
        assert_eq!(map_upstream_status(504).exception, "Timeout");
    }

    #[test]
    fn long_bodies_are_bounded() {
        let body = "é".repeat(10_000);
        assert!(msg("groq", 500, &body).len() < MAX_UPSTREAM_MESSAGE + 100);
    }
}
