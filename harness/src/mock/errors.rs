//! Error bodies in each family's shape, and the reason phrases of the statuses the mock sends.

/// Which provider's error JSON to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{"error":{"message","type","param","code"}}`.
    OpenAi,
    /// `{"type":"error","error":{"type","message"}}`, as api.anthropic.com answers.
    Anthropic,
    /// `{"error":{"code","message","status"}}`, Google's API error (google.rpc.Status).
    Gemini,
    /// `{"message": ...}`, as Bedrock answers (its error type in `x-amzn-ErrorType`).
    Bedrock,
    /// `{"error": "..."}`, as Ollama's native API answers.
    Ollama,
    /// `{"message": ...}`, as Cohere's API answers.
    Cohere,
}

/// OpenAI's `type` and `code` for a status, as its API reports them.
fn openai_kind(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("invalid_request_error", "bad_request"),
        401 => ("invalid_request_error", "invalid_api_key"),
        403 => ("permission_error", "permission_denied"),
        404 => ("invalid_request_error", "not_found"),
        405 => ("invalid_request_error", "method_not_allowed"),
        408 => ("timeout_error", "timeout"),
        413 => ("invalid_request_error", "request_too_large"),
        429 => ("requests", "rate_limit_exceeded"),
        431 => ("invalid_request_error", "headers_too_large"),
        500 => ("server_error", "internal_error"),
        502 => ("server_error", "bad_gateway"),
        503 => ("server_error", "service_unavailable"),
        504 => ("server_error", "gateway_timeout"),
        _ if status < 500 => ("invalid_request_error", "mock_error"),
        _ => ("server_error", "mock_error"),
    }
}

/// Anthropic's error `type` for a status (docs.anthropic.com, "Errors").
fn anthropic_kind(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ if status < 500 => "invalid_request_error",
        _ => "api_error",
    }
}

/// Google's canonical status name for an HTTP status (google.rpc.Code mapping).
fn google_status(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ if status < 500 => "FAILED_PRECONDITION",
        _ => "INTERNAL",
    }
}

/// Renders an error body for `status` with `message` (plain text, escaped here).
pub fn error_body(out: &mut Vec<u8>, shape: ErrorShape, status: u16, message: &str) {
    let message = serde_json::Value::from(message).to_string();
    match shape {
        ErrorShape::OpenAi => {
            let (kind, code) = openai_kind(status);
            out.extend_from_slice(b"{\"error\":{\"message\":");
            out.extend_from_slice(message.as_bytes());
            out.extend_from_slice(b",\"type\":\"");
            out.extend_from_slice(kind.as_bytes());
            out.extend_from_slice(b"\",\"param\":null,\"code\":\"");
            out.extend_from_slice(code.as_bytes());
            out.extend_from_slice(b"\"}}");
        }
        ErrorShape::Anthropic => {
            out.extend_from_slice(b"{\"type\":\"error\",\"error\":{\"type\":\"");
            out.extend_from_slice(anthropic_kind(status).as_bytes());
            out.extend_from_slice(b"\",\"message\":");
            out.extend_from_slice(message.as_bytes());
            out.extend_from_slice(b"}}");
        }
        ErrorShape::Bedrock | ErrorShape::Cohere => {
            out.extend_from_slice(b"{\"message\":");
            out.extend_from_slice(message.as_bytes());
            out.push(b'}');
        }
        ErrorShape::Ollama => {
            out.extend_from_slice(b"{\"error\":");
            out.extend_from_slice(message.as_bytes());
            out.push(b'}');
        }
        ErrorShape::Gemini => {
            out.extend_from_slice(b"{\"error\":{\"code\":");
            out.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
            out.extend_from_slice(b",\"message\":");
            out.extend_from_slice(message.as_bytes());
            out.extend_from_slice(b",\"status\":\"");
            out.extend_from_slice(google_status(status).as_bytes());
            out.extend_from_slice(b"\"}}");
        }
    }
}

/// Reason phrase for the status line; clients ignore it, humans reading captures do not.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Mock Status",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn gemini_shape() {
        let mut out = Vec::new();
        error_body(&mut out, ErrorShape::Gemini, 429, "mock error 429");
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["error"]["code"], 429);
        assert_eq!(value["error"]["message"], "mock error 429");
        assert_eq!(value["error"]["status"], "RESOURCE_EXHAUSTED");
    }

    #[test]
    fn openai_shape() {
        let mut out = Vec::new();
        error_body(&mut out, ErrorShape::OpenAi, 429, "mock error 429");
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["error"]["message"], "mock error 429");
        assert_eq!(value["error"]["code"], "rate_limit_exceeded");
        assert!(value["error"]["param"].is_null());
    }

    #[test]
    fn anthropic_shape_escapes_message() {
        let mut out = Vec::new();
        error_body(&mut out, ErrorShape::Anthropic, 529, "bad \"quote\"\n");
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["type"], "error");
        assert_eq!(value["error"]["type"], "overloaded_error");
        assert_eq!(value["error"]["message"], "bad \"quote\"\n");
    }
}
