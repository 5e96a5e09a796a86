//! A Cohere error answer → LiteLLM's exception class, status and message, as
//! `_map_cohere_exception` and then `_map_exception_by_status` map them (LiteLLM 1.108.7,
//! `litellm_core_utils/exception_mapping_utils.py`; checked against its proxy by the
//! differential suite). The answer's text is quoted as it came (up to
//! [`MAX_UPSTREAM_MESSAGE`](crate::error::MAX_UPSTREAM_MESSAGE) bytes).
//!
//! The text is read first: `invalid api token` / `No API key provided.` (401),
//! `invalid type: parameter` (400), `too many tokens` (ContextWindowExceededError, 400),
//! `internal server error` in any case (500); then statuses 400 and 498 (400), 408, 500. Those
//! branches always say `CohereException`; every other status is mapped by status with the
//! provider's own name (`Cohere_chatException` for `cohere_chat`), a 4xx keeping its status.

use crate::error::{raw_answer_text, write_exception_provider, UpstreamErrorMap};

/// Appends LiteLLM's message for the Cohere error answer (`status`, `body`) of `provider`
/// (`cohere` or `cohere_chat`) to `message` and returns its class and the status the client
/// gets.
pub fn map_error(
    provider: &str,
    status: u16,
    body: &[u8],
    message: &mut String,
) -> UpstreamErrorMap {
    let raw = raw_answer_text(status, body);
    let (exception, status_out, own_name) = classify(status, &raw);
    message.push_str("litellm.");
    message.push_str(exception);
    message.push_str(": ");
    if exception == "ContextWindowExceededError" {
        // The class wraps BadRequestError's message in its own.
        message.push_str("litellm.BadRequestError: ");
    }
    if own_name {
        write_exception_provider(provider, message);
    } else {
        message.push_str("CohereException");
    }
    message.push_str(" - ");
    message.push_str(&raw);
    UpstreamErrorMap {
        status: status_out,
        exception,
        kind: None,
    }
}

/// (class, status the client gets, whether the message names the provider itself).
fn classify(status: u16, raw: &str) -> (&'static str, u16, bool) {
    if raw.contains("invalid api token") || raw.contains("No API key provided.") {
        return ("AuthenticationError", 401, false);
    }
    if raw.contains("invalid type: parameter") {
        return ("BadRequestError", 400, false);
    }
    if raw.contains("too many tokens") {
        return ("ContextWindowExceededError", 400, false);
    }
    if raw.to_ascii_lowercase().contains("internal server error") {
        return ("InternalServerError", 500, false);
    }
    match status {
        400 | 498 => ("BadRequestError", 400, false),
        408 => ("Timeout", 408, false),
        500 => ("InternalServerError", 500, false),
        401 => ("AuthenticationError", 401, true),
        403 => ("PermissionDeniedError", 403, true),
        404 => ("NotFoundError", 404, true),
        429 => ("RateLimitError", 429, true),
        502 => ("BadGatewayError", 502, true),
        503 => ("ServiceUnavailableError", 503, true),
        504 => ("Timeout", 504, true),
        402 => ("PaymentRequiredError", 402, true),
        s if (400..500).contains(&s) => ("BadRequestError", s, true),
        // A success status here is an answer the gateway could not read.
        s if !(400..=599).contains(&s) => ("APIError", 500, true),
        s => ("APIError", s, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(provider: &str, status: u16, body: &str) -> (UpstreamErrorMap, String) {
        let mut m = String::new();
        let map = map_error(provider, status, body.as_bytes(), &mut m);
        (map, m)
    }

    #[test]
    fn text_branches_say_cohere_exception() {
        let (map, m) = run("cohere_chat", 401, r#"{"message": "invalid api token"}"#);
        assert_eq!((map.status, map.exception), (401, "AuthenticationError"));
        assert_eq!(
            m,
            r#"litellm.AuthenticationError: CohereException - {"message": "invalid api token"}"#
        );
        let (map, _) = run("cohere", 400, "too many tokens: 5000 > 4096");
        assert_eq!(map.exception, "ContextWindowExceededError");
        let (map, _) = run("cohere", 503, "Internal Server Error");
        assert_eq!((map.status, map.exception), (500, "InternalServerError"));
    }

    #[test]
    fn statuses_name_the_provider() {
        let (map, m) = run("cohere_chat", 429, "slow down");
        assert_eq!((map.status, map.exception), (429, "RateLimitError"));
        assert_eq!(
            m,
            "litellm.RateLimitError: Cohere_chatException - slow down"
        );
        let (map, m) = run("cohere", 422, "bad");
        assert_eq!((map.status, map.exception), (422, "BadRequestError"));
        assert_eq!(m, "litellm.BadRequestError: CohereException - bad");
        let (map, _) = run("cohere", 500, "boom");
        assert_eq!((map.status, map.exception), (500, "InternalServerError"));
    }
}
