//! A Gemini error answer → LiteLLM's exception class, status and message, as
//! `_map_vertex_exception` (then `_map_exception_by_status`) maps them for `gemini/` models
//! (LiteLLM 1.108.7; each branch checked by raising it through LiteLLM's `exception_type`, and
//! the common ones against its proxy by the differential suite). The provider's answer text is
//! kept in the message (up to [`MAX_UPSTREAM_MESSAGE`](crate::error::MAX_UPSTREAM_MESSAGE) bytes).
//!
//! The answer's text is read first, in LiteLLM's order: project errors, payload size and the
//! context window phrases (ContextWindowExceededError), empty answers, invalid keys, any
//! `403`, blocked responses (ContentPolicyViolationError), quota phrases and 5xx answers that
//! carry a 429 code (RateLimitError), overload; then the status. LiteLLM's own wording differs
//! between branches (`GeminiException` or `geminiException`, a class named twice): kept as is.

use crate::error::{raw_answer_text, UpstreamErrorMap};

/// Appends LiteLLM's message for the Gemini error answer (`status`, `body`) to `message` and
/// returns its class and the status the client gets.
pub fn map_error(
    provider: &str,
    status: u16,
    body: &[u8],
    message: &mut String,
) -> UpstreamErrorMap {
    let raw = raw_answer_text(status, body);
    let (exception, status_out, lead) = classify(status, &raw);
    write_lead(provider, lead, message);
    message.push_str(&raw);
    UpstreamErrorMap {
        status: status_out,
        exception,
        kind: None,
    }
}

/// LiteLLM names the class after the provider (`{provider}Exception`, or capitalised): the
/// leads below are written for `gemini` and renamed for `vertex_ai`.
fn write_lead(provider: &str, lead: &str, message: &mut String) {
    if provider == "gemini" {
        message.push_str(lead);
        return;
    }
    let mut capitalised = String::with_capacity(provider.len());
    let mut chars = provider.chars();
    if let Some(first) = chars.next() {
        capitalised.extend(first.to_uppercase());
        capitalised.push_str(chars.as_str());
    }
    let lead = lead
        .replace("geminiException", &format!("{provider}Exception"))
        .replace("GeminiException", &format!("{capitalised}Exception"));
    message.push_str(&lead);
}

/// (class, status the client gets, LiteLLM's message before the answer's text).
fn classify(status: u16, raw: &str) -> (&'static str, u16, &'static str) {
    let has = |needles: &[&str]| needles.iter().any(|n| raw.contains(n));
    const RATE_LIMITED: (&str, u16, &str) = (
        "RateLimitError",
        429,
        "litellm.RateLimitError: litellm.RateLimitError: geminiException - ",
    );
    if has(&[
        "Vertex AI API has not been used in project",
        "Unable to find your project",
    ]) {
        return (
            "BadRequestError",
            400,
            "litellm.BadRequestError: litellm.BadRequestError: geminiException - ",
        );
    }
    if raw.contains("400 Request payload size exceeds") {
        return (
            "ContextWindowExceededError",
            400,
            "litellm.ContextWindowExceededError: litellm.BadRequestError: GeminiException - ",
        );
    }
    if crate::error::is_context_window_exceeded(raw) {
        return (
            "ContextWindowExceededError",
            400,
            "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: GeminiException - ",
        );
    }
    if has(&["None Unknown Error.", "Content has no parts."]) {
        return (
            "InternalServerError",
            500,
            "litellm.InternalServerError: litellm.InternalServerError: geminiException - ",
        );
    }
    if raw.contains("API key not valid.") {
        return (
            "AuthenticationError",
            401,
            "litellm.AuthenticationError: GeminiException - ",
        );
    }
    if raw.contains("403") {
        // LiteLLM raises a BadRequestError with status 403, which its proxy types as a
        // permission error.
        return (
            "PermissionDeniedError",
            403,
            "litellm.BadRequestError: GeminiException BadRequestError - ",
        );
    }
    if has(&[
        "The response was blocked.",
        "Output blocked by content filtering policy",
    ]) {
        return (
            "ContentPolicyViolationError",
            400,
            "litellm.BadRequestError: litellm.ContentPolicyViolationError: GeminiException ContentPolicyViolationError - ",
        );
    }
    if has(&[
        "429 Quota exceeded",
        "Quota exceeded for",
        "Resource exhausted",
        "IndexError: list index out of range",
        "429 Unable to submit request because the service is temporarily out of capacity.",
    ]) || ((500..600).contains(&status) && body_error_code(raw) == Some(429))
    {
        return RATE_LIMITED;
    }
    if has(&["500 Internal Server Error", "The model is overloaded."]) {
        return (
            "InternalServerError",
            500,
            "litellm.InternalServerError: litellm.InternalServerError: geminiException - ",
        );
    }
    match status {
        400 => (
            "BadRequestError",
            400,
            "litellm.BadRequestError: GeminiException BadRequestError - ",
        ),
        401 => (
            "AuthenticationError",
            401,
            "litellm.AuthenticationError: GeminiException - ",
        ),
        403 => (
            "PermissionDeniedError",
            403,
            "litellm.PermissionDeniedError: GeminiException - ",
        ),
        404 => (
            "NotFoundError",
            404,
            "litellm.NotFoundError: GeminiException - ",
        ),
        408 => ("Timeout", 408, "litellm.Timeout: GeminiException - "),
        429 => (
            "RateLimitError",
            429,
            "litellm.RateLimitError: litellm.RateLimitError: GeminiException - ",
        ),
        500 => (
            "InternalServerError",
            500,
            "litellm.InternalServerError: GeminiException InternalServerError - ",
        ),
        502 => (
            "APIConnectionError",
            500,
            "litellm.APIConnectionError: GeminiException - ",
        ),
        503 => (
            "ServiceUnavailableError",
            503,
            "litellm.ServiceUnavailableError: GeminiException - ",
        ),
        // `_map_exception_by_status` for the rest.
        504 => ("Timeout", 504, "litellm.Timeout: GeminiException - "),
        402 => (
            "PaymentRequiredError",
            402,
            "litellm.PaymentRequiredError: GeminiException - ",
        ),
        s if s < 500 => (
            "BadRequestError",
            s,
            "litellm.BadRequestError: GeminiException - ",
        ),
        s if s < 600 => ("APIError", s, "litellm.APIError: GeminiException - "),
        // A success status reaching here is an answer the gateway could not use.
        _ => ("APIError", 500, "litellm.APIError: GeminiException - "),
    }
}

/// `error.code` of a JSON error body (`_get_body_error_code`).
fn body_error_code(raw: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    v.get("error")?.get("code")?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16, message: &str) -> (UpstreamErrorMap, String) {
        let body = format!(
            "{{\"error\": {{\"code\": {status}, \"message\": \"{message}\", \"status\": \"X\"}}}}"
        );
        let mut out = String::new();
        let m = map_error("gemini", status, body.as_bytes(), &mut out);
        (m, out)
    }

    /// Each expectation is what LiteLLM 1.108.7's `exception_type` raised for the same answer.
    #[test]
    fn follows_litellm_branches() {
        let cases: &[(u16, &str, &str, u16, &str)] = &[
            (400, "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", "ContextWindowExceededError", 400, "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: GeminiException - "),
            (400, "API key not valid. Please pass a valid API key.", "AuthenticationError", 401, "litellm.AuthenticationError: GeminiException - "),
            (400, "x", "BadRequestError", 400, "litellm.BadRequestError: GeminiException BadRequestError - "),
            (403, "no", "PermissionDeniedError", 403, "litellm.BadRequestError: GeminiException BadRequestError - "),
            (429, "Resource exhausted. Please try again later.", "RateLimitError", 429, "litellm.RateLimitError: litellm.RateLimitError: geminiException - "),
            (429, "Number of request tokens", "RateLimitError", 429, "litellm.RateLimitError: litellm.RateLimitError: GeminiException - "),
            (500, "An internal error has occurred.", "InternalServerError", 500, "litellm.InternalServerError: GeminiException InternalServerError - "),
            (503, "The model is overloaded. Please try again later.", "InternalServerError", 500, "litellm.InternalServerError: litellm.InternalServerError: geminiException - "),
            (502, "bad gw", "APIConnectionError", 500, "litellm.APIConnectionError: GeminiException - "),
            (503, "unavailable", "ServiceUnavailableError", 503, "litellm.ServiceUnavailableError: GeminiException - "),
            (504, "gw timeout", "Timeout", 504, "litellm.Timeout: GeminiException - "),
            (404, "models/x is not found", "NotFoundError", 404, "litellm.NotFoundError: GeminiException - "),
            (400, "Unable to find your project", "BadRequestError", 400, "litellm.BadRequestError: litellm.BadRequestError: geminiException - "),
            (400, "The response was blocked.", "ContentPolicyViolationError", 400, "litellm.BadRequestError: litellm.ContentPolicyViolationError: GeminiException ContentPolicyViolationError - "),
            (400, "400 Request payload size exceeds the limit", "ContextWindowExceededError", 400, "litellm.ContextWindowExceededError: litellm.BadRequestError: GeminiException - "),
            (400, "Content has no parts.", "InternalServerError", 500, "litellm.InternalServerError: litellm.InternalServerError: geminiException - "),
            (413, "too big", "BadRequestError", 413, "litellm.BadRequestError: GeminiException - "),
        ];
        for &(status, text, class, out_status, lead) in cases {
            let (m, message) = map(status, text);
            assert_eq!((m.exception, m.status), (class, out_status), "{text}");
            assert!(message.starts_with(lead), "{message}");
            assert!(message.ends_with("\"status\": \"X\"}}"), "{message}");
        }
        // A 5xx envelope around a 429 code is a rate limit.
        let mut out = String::new();
        let m = map_error(
            "gemini",
            503,
            br#"{"error": {"code": 429, "message": "wrapped"}}"#,
            &mut out,
        );
        assert_eq!((m.exception, m.status), ("RateLimitError", 429));
        let m = map_error("gemini", 529, b"overloaded", &mut out);
        assert_eq!((m.exception, m.status), ("APIError", 529));
    }

    #[test]
    fn vertex_ai_errors_carry_its_name_as_litellm_writes_it() {
        let cases: &[(u16, &str, &str)] = &[
            (
                429,
                r#"{"error":{"code":429,"message":"x","status":"RESOURCE_EXHAUSTED"}}"#,
                "litellm.RateLimitError: litellm.RateLimitError: Vertex_aiException - ",
            ),
            (
                400,
                "bad",
                "litellm.BadRequestError: Vertex_aiException BadRequestError - ",
            ),
            (
                500,
                "boom",
                "litellm.InternalServerError: Vertex_aiException InternalServerError - ",
            ),
            (
                400,
                "Unable to find your project",
                "litellm.BadRequestError: litellm.BadRequestError: vertex_aiException - ",
            ),
        ];
        for &(status, body, lead) in cases {
            let mut out = String::new();
            map_error("vertex_ai", status, body.as_bytes(), &mut out);
            assert!(out.starts_with(lead), "{status} {body}: {out}");
        }
    }
}
