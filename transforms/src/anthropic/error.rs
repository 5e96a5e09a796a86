//! An Anthropic error answer → LiteLLM's exception class, status and message, as
//! `_map_anthropic_exception` maps them (LiteLLM 1.108.7, checked against its proxy by the
//! differential suite). The provider's answer text is kept in the message (up to
//! [`MAX_UPSTREAM_MESSAGE`] bytes).
//!
//! The text is read first: "prompt is too long" (or "prompt: length") is a
//! ContextWindowExceededError, "overloaded_error"/"Overloaded" an InternalServerError,
//! "Invalid API Key" an AuthenticationError, "content filtering policy" a
//! ContentPolicyViolationError (all 400 or the class's status, named `AnthropicError`). Then the
//! status: 401, 403, 400 and 413 (400), 404, 408, 429, 500 and 529 (500), 502, 503, 504, each
//! with LiteLLM's wording; any other status is the generic mapping.
//!
//! Not added here: the router's text after the provider's (`model=... fallbacks=None`, "No
//! fallback was attempted"), which comes with the router.

use crate::error::{map_upstream_status, truncate_at_char, UpstreamErrorMap, MAX_UPSTREAM_MESSAGE};

/// Appends LiteLLM's message for the Anthropic error answer (`status`, `body`) to `message`
/// and returns its class and the status the client gets.
pub fn map_error(status: u16, body: &[u8], message: &mut String) -> UpstreamErrorMap {
    let text = String::from_utf8_lossy(body);
    let mut raw = if text.trim().is_empty() {
        format!("Error code: {status}")
    } else {
        text.trim().to_owned()
    };
    truncate_at_char(&mut raw, MAX_UPSTREAM_MESSAGE);
    let map = |status, kind, exception| UpstreamErrorMap {
        status,
        kind,
        exception,
    };
    let (m, lead, tail) = if raw.contains("prompt is too long") || raw.contains("prompt: length") {
        (
            map(400, "invalid_request_error", "ContextWindowExceededError"),
            "litellm.ContextWindowExceededError: litellm.BadRequestError: AnthropicError - ",
            "",
        )
    } else if raw.contains("overloaded_error") || raw.contains("Overloaded") {
        (
            map(500, "internal_server_error", "InternalServerError"),
            "litellm.InternalServerError: AnthropicError - ",
            "",
        )
    } else if raw.contains("Invalid API Key") {
        (
            map(401, "authentication_error", "AuthenticationError"),
            "litellm.AuthenticationError: AnthropicError - ",
            "",
        )
    } else if raw.contains("content filtering policy") {
        (
            map(400, "invalid_request_error", "ContentPolicyViolationError"),
            "litellm.BadRequestError: litellm.ContentPolicyViolationError: AnthropicError - ",
            "",
        )
    } else {
        match status {
            401 => (
                map(401, "authentication_error", "AuthenticationError"),
                "litellm.AuthenticationError: AnthropicException - ",
                "",
            ),
            403 => (
                map(403, "permission_error", "PermissionDeniedError"),
                "litellm.PermissionDeniedError: AnthropicException - ",
                "",
            ),
            400 | 413 => (
                map(400, "invalid_request_error", "BadRequestError"),
                "litellm.BadRequestError: AnthropicException - ",
                "",
            ),
            404 => (
                map(404, "invalid_request_error", "NotFoundError"),
                "litellm.NotFoundError: AnthropicException - ",
                "",
            ),
            408 => (
                map(408, "timeout_error", "Timeout"),
                "litellm.Timeout: AnthropicException - ",
                "",
            ),
            429 => (
                map(429, "rate_limit_error", "RateLimitError"),
                "litellm.RateLimitError: AnthropicException - ",
                "",
            ),
            500 | 529 => (
                map(500, "internal_server_error", "InternalServerError"),
                "litellm.InternalServerError: AnthropicException - ",
                ". Handle with `litellm.InternalServerError`.",
            ),
            502 => (
                map(502, "internal_server_error", "BadGatewayError"),
                "litellm.BadGatewayError: AnthropicException BadGatewayError - ",
                "",
            ),
            503 => (
                map(503, "internal_server_error", "ServiceUnavailableError"),
                "litellm.ServiceUnavailableError: AnthropicException - ",
                ". Handle with `litellm.ServiceUnavailableError`.",
            ),
            504 => (
                map(504, "internal_server_error", "Timeout"),
                "litellm.Timeout: AnthropicException Timeout - ",
                "",
            ),
            other => {
                let m = map_upstream_status(other);
                message.push_str("litellm.");
                message.push_str(m.exception);
                message.push_str(": AnthropicException - ");
                message.push_str(&raw);
                return m;
            }
        }
    };
    message.push_str(lead);
    message.push_str(&raw);
    message.push_str(tail);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(status: u16, body: &str) -> (u16, &'static str, String) {
        let mut message = String::new();
        let m = map_error(status, body.as_bytes(), &mut message);
        (m.status, m.exception, message)
    }

    #[test]
    fn classes_by_text_then_status() {
        let too_long = r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#;
        let (status, class, message) = mapped(400, too_long);
        assert_eq!((status, class), (400, "ContextWindowExceededError"));
        assert_eq!(
            message,
            format!("litellm.ContextWindowExceededError: litellm.BadRequestError: AnthropicError - {too_long}")
        );
        assert_eq!(mapped(529, "overloaded_error").0, 500);
        assert_eq!(mapped(413, "too big").0, 400);
        let (status, class, message) = mapped(500, "boom");
        assert_eq!((status, class), (500, "InternalServerError"));
        assert_eq!(
            message,
            "litellm.InternalServerError: AnthropicException - boom. Handle with `litellm.InternalServerError`."
        );
        assert_eq!(mapped(502, "x").1, "BadGatewayError");
        assert_eq!(mapped(403, "x").1, "PermissionDeniedError");
        assert_eq!(
            mapped(418, "").2,
            "litellm.APIError: AnthropicException - Error code: 418"
        );
    }
}
