//! An Anthropic error answer → LiteLLM's exception class, status and message, as
//! `_map_anthropic_exception` maps them (LiteLLM 1.108.7, checked against its proxy by the
//! differential suite). The provider's answer text is kept in the message (up to
//! [`MAX_UPSTREAM_MESSAGE`](crate::error::MAX_UPSTREAM_MESSAGE) bytes).
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

use crate::error::{map_upstream_status, raw_answer_text, UpstreamErrorMap};

/// Appends LiteLLM's message for the Anthropic error answer (`status`, `body`) to `message`
/// and returns its class and the status the client gets.
pub fn map_error(status: u16, body: &[u8], message: &mut String) -> UpstreamErrorMap {
    let raw = raw_answer_text(status, body);
    // (class, status the client gets, text before the answer, text after it)
    let (exception, status_out, lead, tail) = match TEXT_CLASSES.iter().find(|c| raw.contains(c.0))
    {
        Some(&(_, exception, status, lead)) => (exception, status, lead, ""),
        None => match BY_STATUS.iter().find(|c| c.0.contains(&status)) {
            Some(&(_, exception, status, lead, tail)) => (exception, status, lead, tail),
            None => {
                let m = map_upstream_status(status);
                message.push_str("litellm.");
                message.push_str(m.exception);
                message.push_str(": AnthropicException - ");
                message.push_str(&raw);
                return m;
            }
        },
    };
    message.push_str(lead);
    message.push_str(&raw);
    message.push_str(tail);
    UpstreamErrorMap {
        status: status_out,
        exception,
        kind: None,
    }
}

/// Classes read from the answer's text, checked in order before the status: (text, class,
/// status, LiteLLM's message before the answer).
const TEXT_CLASSES: &[(&str, &str, u16, &str)] = &[
    (
        "prompt is too long",
        "ContextWindowExceededError",
        400,
        "litellm.ContextWindowExceededError: litellm.BadRequestError: AnthropicError - ",
    ),
    (
        "prompt: length",
        "ContextWindowExceededError",
        400,
        "litellm.ContextWindowExceededError: litellm.BadRequestError: AnthropicError - ",
    ),
    (
        "overloaded_error",
        "InternalServerError",
        500,
        "litellm.InternalServerError: AnthropicError - ",
    ),
    (
        "Overloaded",
        "InternalServerError",
        500,
        "litellm.InternalServerError: AnthropicError - ",
    ),
    (
        "Invalid API Key",
        "AuthenticationError",
        401,
        "litellm.AuthenticationError: AnthropicError - ",
    ),
    (
        "content filtering policy",
        "ContentPolicyViolationError",
        400,
        "litellm.BadRequestError: litellm.ContentPolicyViolationError: AnthropicError - ",
    ),
];

/// Classes by the answer's status: (statuses, class, status the client gets, LiteLLM's
/// message before and after the answer).
const BY_STATUS: &[(&[u16], &str, u16, &str, &str)] = &[
    (
        &[401],
        "AuthenticationError",
        401,
        "litellm.AuthenticationError: AnthropicException - ",
        "",
    ),
    (
        &[403],
        "PermissionDeniedError",
        403,
        "litellm.PermissionDeniedError: AnthropicException - ",
        "",
    ),
    (
        &[400, 413],
        "BadRequestError",
        400,
        "litellm.BadRequestError: AnthropicException - ",
        "",
    ),
    (
        &[404],
        "NotFoundError",
        404,
        "litellm.NotFoundError: AnthropicException - ",
        "",
    ),
    (
        &[408],
        "Timeout",
        408,
        "litellm.Timeout: AnthropicException - ",
        "",
    ),
    (
        &[429],
        "RateLimitError",
        429,
        "litellm.RateLimitError: AnthropicException - ",
        "",
    ),
    (
        &[500, 529],
        "InternalServerError",
        500,
        "litellm.InternalServerError: AnthropicException - ",
        ". Handle with `litellm.InternalServerError`.",
    ),
    (
        &[502],
        "BadGatewayError",
        502,
        "litellm.BadGatewayError: AnthropicException BadGatewayError - ",
        "",
    ),
    (
        &[503],
        "ServiceUnavailableError",
        503,
        "litellm.ServiceUnavailableError: AnthropicException - ",
        ". Handle with `litellm.ServiceUnavailableError`.",
    ),
    (
        &[504],
        "Timeout",
        504,
        "litellm.Timeout: AnthropicException Timeout - ",
        "",
    ),
];

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
