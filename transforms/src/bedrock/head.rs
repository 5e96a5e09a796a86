//! The upstream request head of the Bedrock family, as LiteLLM's `BedrockConverseLLM` and
//! `BaseAWSLLM.get_request_headers` build it:
//!
//! - `POST {base}/model/{modelId}/converse` (`/converse-stream` for streams), the model id
//!   percent-encoded whole (`quote(id, safe="")`: `:` and `/` too);
//! - with a Bedrock API key (`api_key` or `AWS_BEARER_TOKEN_BEDROCK`): `Authorization: Bearer`;
//! - otherwise AWS Signature Version 4 for service `bedrock`, signed by AWS's own `aws-sigv4`
//!   over `content-type`, `host` and `x-amz-date` (and `x-amz-security-token` with session
//!   credentials), the body's SHA-256 in the canonical request, the path double-encoded.
//!   Signing a 2 KB request took about as long as translating it (1.06x `chat_to_bedrock`
//!   in one run of bench `translate` here), small beside a model call. A signer of our own
//!   could cache the day's derived key; AWS's crate is kept until that matters.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_smithy_runtime_api::client::identity::Identity;

use crate::json::value::{elements, get, string};
use crate::provider::{
    push_header_value, write_head_fields, write_request_path, Credentials, Endpoint, Family,
    ProviderRow, UpstreamTarget,
};

/// What SigV4 signs with for one deployment: its identity (keys) and region.
#[derive(Debug, Clone)]
pub struct AwsSigning {
    identity: Identity,
    pub region: String,
}

impl AwsSigning {
    pub fn new(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
        region: &str,
    ) -> Self {
        let credentials = aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            session_token.map(str::to_owned),
            None,
            "corelane",
        );
        AwsSigning {
            identity: credentials.into(),
            region: region.to_owned(),
        }
    }
}

/// Writes the request line and headers, auth included, without the blank line that ends the
/// head. `target.body` is what is signed. A deployment with neither a key nor signing
/// credentials gets no auth header (the gateway refuses it before this is reached).
pub fn write_request_head(
    row: &ProviderRow,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mut path = String::with_capacity(target.base_path.len() + target.provider_model.len() + 40);
    path.push_str(target.base_path);
    write_request_path(
        row,
        target.endpoint,
        target.provider_model,
        None,
        target.stream,
        &mut path,
    );
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(path.as_bytes());
    write_head_fields(target, out);
    if target.stream {
        out.extend_from_slice(b"\r\naccept: application/vnd.amazon.eventstream");
    } else {
        out.extend_from_slice(b"\r\naccept: application/json");
    }
    if row.family == Family::BedrockClaude && target.endpoint == Endpoint::Messages {
        write_beta_header(target.body, out);
    }
    if let Some(key) = creds.api_key.as_deref() {
        out.extend_from_slice(b"\r\nAuthorization: Bearer ");
        push_header_value(key, out);
        return Ok(());
    }
    let Some(aws) = creds.aws.as_deref() else {
        return Ok(());
    };
    // The scheme is not signed; the URI only has to parse.
    let url = format!("https://{}{path}", target.host);
    for (name, value) in sign_headers(aws, &url, target.host, target.body, target.now)? {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        push_header_value(&value, out);
    }
    Ok(())
}

/// An Invoke body's `anthropic_beta` values, also sent (unsigned) as the `anthropic-beta`
/// header, comma-joined, as LiteLLM sends them.
fn write_beta_header(body: &[u8], out: &mut Vec<u8>) {
    let Some(values) = get(body, "anthropic_beta").and_then(elements) else {
        return;
    };
    let values: Vec<String> = values.into_iter().filter_map(string).collect();
    if values.is_empty() {
        return;
    }
    out.extend_from_slice(b"\r\nanthropic-beta: ");
    push_header_value(&values.join(","), out);
}

/// The headers SigV4 adds for a `POST` of `body` to `url` (`x-amz-date`, maybe
/// `x-amz-security-token`, `authorization`).
pub fn sign_headers(
    aws: &AwsSigning,
    url: &str,
    host: &str,
    body: &[u8],
    now: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&aws.identity)
        .region(&aws.region)
        .name("bedrock")
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("SigV4: {e}"))?
        .into();
    let headers = [("host", host), ("content-type", "application/json")];
    let request = SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(body))
        .map_err(|e| format!("SigV4: {e}"))?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| format!("SigV4: {e}"))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// The credentials and region of AWS's published SigV4 test suite
    /// (aws-sig-v4-test-suite's `context.json`).
    fn suite() -> AwsSigning {
        AwsSigning::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            "us-east-1",
        )
    }

    /// 2015-08-30T12:36:00Z, the suite's time.
    fn suite_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    #[test]
    fn sigv4_matches_aws_test_vectors() {
        // AWS's suite: (vector, method, session token, its header-signature.txt). Signed with
        // the suite's service name through the same aws-sigv4 call Bedrock's heads use.
        let vectors = [
            (
                "post-vanilla",
                "POST",
                None,
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
            (
                "get-vanilla-with-session-token",
                "GET",
                Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
                "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
            ),
        ];
        for (name, method, token, expected) in vectors {
            let aws = AwsSigning::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                token,
                "us-east-1",
            );
            let params = aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&aws.identity)
                .region("us-east-1")
                .name("service")
                .time(suite_time())
                .settings(SigningSettings::default())
                .build()
                .unwrap()
                .into();
            let headers = [("host", "example.amazonaws.com")];
            let request = SignableRequest::new(
                method,
                "https://example.amazonaws.com/",
                headers.into_iter(),
                SignableBody::Bytes(b""),
            )
            .unwrap();
            let (_, signature) = sign(request, &params).unwrap().into_parts();
            assert_eq!(signature, expected, "{name}");
        }
    }

    #[test]
    fn converse_paths_and_signed_heads() {
        let target = |stream| UpstreamTarget {
            endpoint: crate::provider::Endpoint::ChatCompletions,
            provider_model: "us-west-2/anthropic.claude-3-haiku-20240307-v1:0",
            api_version: None,
            base_path: "",
            host: "bedrock-runtime.us-east-1.amazonaws.com",
            stream,
            body_len: 2,
            body: b"{}",
            now: suite_time(),
            anthropic_beta: None,
            response_id: None,
        };
        let creds = Credentials {
            aws: Some(std::sync::Arc::new(suite())),
            ..Credentials::default()
        };
        let row = crate::provider::find("bedrock").unwrap();
        let mut out = Vec::new();
        write_request_head(row, &target(true), &creds, &mut out).unwrap();
        let head = String::from_utf8(out).unwrap();
        assert!(head.starts_with("POST /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream HTTP/1.1\r\nhost: bedrock-runtime.us-east-1.amazonaws.com\r\ncontent-type: application/json\r\ncontent-length: 2\r\n"), "{head}");
        assert!(head.contains("\r\nx-amz-date: 20150830T123600Z"), "{head}");
        assert!(head.contains("\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="), "{head}");
        // The same request signs the same way; another body does not.
        let mut again = Vec::new();
        write_request_head(row, &target(true), &creds, &mut again).unwrap();
        assert_eq!(head.as_bytes(), &again[..]);
        let key = Credentials {
            api_key: Some("bedrock-api-key".into()),
            ..Credentials::default()
        };
        let mut out = Vec::new();
        write_request_head(row, &target(false), &key, &mut out).unwrap();
        let head = String::from_utf8(out).unwrap();
        assert!(head.contains("/converse HTTP/1.1"));
        assert!(
            head.ends_with("\r\nAuthorization: Bearer bedrock-api-key"),
            "{head}"
        );
    }

    #[test]
    fn session_credentials_sign_the_token() {
        let aws = AwsSigning::new("AKID", "secret", Some("session-token"), "eu-west-1");
        let headers = sign_headers(
            &aws,
            "https://bedrock-runtime.eu-west-1.amazonaws.com/model/m/converse",
            "bedrock-runtime.eu-west-1.amazonaws.com",
            b"{}",
            suite_time(),
        )
        .unwrap();
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"x-amz-security-token"), "{names:?}");
        let auth = &headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap()
            .1;
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"),
            "{auth}"
        );
    }
}
