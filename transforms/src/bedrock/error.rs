//! A Bedrock error answer → LiteLLM's exception class, status and message, as
//! `_map_bedrock_exception` (then its status branch) maps them (LiteLLM 1.108.7,
//! `exception_mapping_utils.py`): the answer's text is the message (`{"message": ...}` not
//! unwrapped, `x-amzn-ErrorType` not read); phrases first (context window, credentials,
//! access, throttling, timeouts), then the status.

use crate::error::{raw_answer_text, UpstreamErrorMap};

/// Appends LiteLLM's message for the Bedrock error answer (`status`, `body`) to `message` and
/// returns its class and the status the client gets.
pub fn map_error(status: u16, body: &[u8], message: &mut String) -> UpstreamErrorMap {
    map_text(status, &raw_answer_text(status, body), message)
}

/// As [`map_error`] for an error's text (a stream's exception message reads
/// `"{type} {payload}"`).
pub fn map_text(status: u16, raw: &str, message: &mut String) -> UpstreamErrorMap {
    let (exception, status_out, lead) = classify(status, raw);
    message.push_str(lead);
    message.push_str(raw);
    UpstreamErrorMap {
        status: status_out,
        exception,
        kind: None,
    }
}

const CONTEXT_WINDOW: &[&str] = &[
    "too many tokens",
    "expected maxLength:",
    "Input is too long",
    "prompt is too long",
    "prompt: length: 1..",
    "Too many input tokens",
];

/// (class, status the client gets, LiteLLM's message before the answer's text).
fn classify(status: u16, raw: &str) -> (&'static str, u16, &'static str) {
    let has = |needles: &[&str]| needles.iter().any(|n| raw.contains(n));
    if has(CONTEXT_WINDOW) {
        return (
            "ContextWindowExceededError",
            400,
            "litellm.ContextWindowExceededError: litellm.BadRequestError: BedrockException: Context Window Error - ",
        );
    }
    if raw.contains("Malformed input request") {
        return (
            "BadRequestError",
            status,
            "litellm.BadRequestError: BedrockException - ",
        );
    }
    if has(&[
        "Unable to locate credentials",
        "The security token included in the request is invalid",
    ]) {
        return (
            "AuthenticationError",
            status,
            "litellm.AuthenticationError: BedrockException Invalid Authentication - ",
        );
    }
    if raw.contains("AccessDeniedException") {
        return (
            "PermissionDeniedError",
            403,
            "litellm.PermissionDeniedError: BedrockException PermissionDeniedError - ",
        );
    }
    if has(&["throttlingException", "ThrottlingException"]) {
        return (
            "RateLimitError",
            429,
            "litellm.RateLimitError: BedrockException: Rate Limit Error - ",
        );
    }
    if has(&["Connect timeout on endpoint URL", "timed out"]) {
        return (
            "Timeout",
            408,
            "litellm.Timeout: BedrockException: Timeout Error - ",
        );
    }
    match status {
        500 => (
            "ServiceUnavailableError",
            503,
            "litellm.ServiceUnavailableError: BedrockException - ",
        ),
        401 => (
            "AuthenticationError",
            401,
            "litellm.AuthenticationError: BedrockException - ",
        ),
        403 => (
            "PermissionDeniedError",
            403,
            "litellm.PermissionDeniedError: BedrockException - ",
        ),
        404 => (
            "NotFoundError",
            404,
            "litellm.NotFoundError: BedrockException - ",
        ),
        408 | 504 => ("Timeout", status, "litellm.Timeout: BedrockException - "),
        429 => (
            "RateLimitError",
            429,
            "litellm.RateLimitError: BedrockException - ",
        ),
        502 => (
            "BadGatewayError",
            502,
            "litellm.BadGatewayError: BedrockException - ",
        ),
        503 => (
            "ServiceUnavailableError",
            503,
            "litellm.ServiceUnavailableError: BedrockException - ",
        ),
        s if s < 500 => (
            "BadRequestError",
            s,
            "litellm.BadRequestError: BedrockException - ",
        ),
        s => ("APIError", s, "litellm.APIError: BedrockException - "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_litellm_branches() {
        let cases: &[(u16, &str, &str, u16, &str)] = &[
            (400, r#"{"message":"Input is too long for requested model."}"#, "ContextWindowExceededError", 400,
             "litellm.ContextWindowExceededError: litellm.BadRequestError: BedrockException: Context Window Error - "),
            (403, r#"{"message":"The security token included in the request is invalid."}"#, "AuthenticationError", 403,
             "litellm.AuthenticationError: BedrockException Invalid Authentication - "),
            (429, r#"{"message":"Too many requests, please wait before trying again."}"#, "RateLimitError", 429,
             "litellm.RateLimitError: BedrockException - "),
            (500, r#"{"message":"internal"}"#, "ServiceUnavailableError", 503,
             "litellm.ServiceUnavailableError: BedrockException - "),
            (424, r#"{"message":"model error"}"#, "BadRequestError", 424,
             "litellm.BadRequestError: BedrockException - "),
            (400, r#"{"message":"Malformed input request: x"}"#, "BadRequestError", 400,
             "litellm.BadRequestError: BedrockException - "),
        ];
        for &(status, body, class, status_out, lead) in cases {
            let mut message = String::new();
            let m = map_error(status, body.as_bytes(), &mut message);
            assert_eq!((m.exception, m.status), (class, status_out), "{body}");
            assert_eq!(message, format!("{lead}{body}"));
        }
    }
}
