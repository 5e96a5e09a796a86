//! The upstream request head of the Anthropic family: `POST {base}/v1/messages` with the key in
//! `x-api-key` and `anthropic-version: 2023-06-01`, as LiteLLM sends them (main.py appends
//! `/v1/messages` to a base that does not end with it; common_utils.py `get_anthropic_headers`),
//! and the client's `anthropic-beta` on its own `/v1/messages` requests.

use crate::provider::{
    write_auth, write_head_fields, Credentials, Endpoint, ProviderRow, UpstreamTarget,
};

/// The path every Messages request goes to, under the base.
const MESSAGES: &str = "/v1/messages";

/// Writes the request line and headers, auth included, without the blank line that ends the
/// head.
pub fn write_request_head(
    row: &ProviderRow,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(target.base_path.as_bytes());
    if !target.base_path.ends_with(MESSAGES) {
        out.extend_from_slice(MESSAGES.as_bytes());
    }
    if target.endpoint == Endpoint::CountTokens {
        out.extend_from_slice(b"/count_tokens");
    }
    write_head_fields(target, out);
    out.extend_from_slice(b"\r\naccept: application/json\r\nanthropic-version: 2023-06-01");
    // Token counting goes with its own beta flag (LiteLLM's), the client's otherwise.
    let beta = match target.endpoint {
        Endpoint::CountTokens => Some("token-counting-2024-11-01"),
        _ => target.anthropic_beta,
    };
    if let Some(beta) = beta {
        out.extend_from_slice(b"\r\nanthropic-beta: ");
        out.extend_from_slice(beta.as_bytes());
    }
    write_auth(row, creds, target.now, out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::provider::find;

    fn head(base_path: &str) -> String {
        let row = find("anthropic").unwrap();
        let target = UpstreamTarget {
            endpoint: Endpoint::ChatCompletions,
            provider_model: "claude-sonnet-4-5",
            api_version: None,
            base_path,
            host: "api.anthropic.com",
            stream: false,
            body_len: 12,
            body: b"",
            now: std::time::SystemTime::UNIX_EPOCH,
            anthropic_beta: None,
            response_id: None,
        };
        let creds = Credentials {
            api_key: Some("sk-ant".into()),
            token: None,
            aws: None,
        };
        let mut out = Vec::new();
        write_request_head(row, &target, &creds, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn messages_path_key_and_version() {
        assert_eq!(
            head(""),
            "POST /v1/messages HTTP/1.1\r\nhost: api.anthropic.com\r\ncontent-type: application/json\r\ncontent-length: 12\r\naccept: application/json\r\nanthropic-version: 2023-06-01\r\nx-api-key: sk-ant"
        );
        assert!(head("/proxy/v1/messages").starts_with("POST /proxy/v1/messages HTTP/1.1"));
        assert!(head("/proxy").starts_with("POST /proxy/v1/messages HTTP/1.1"));
    }
}
