//! HTTP/1.1 heads and chunked bodies shaped like the traffic a gateway sees.

use corelane_http1::{write_chunk, LAST_CHUNK};

/// The head the official OpenAI Python SDK sends for a chat completion: bearer key,
/// `X-Stainless-*` telemetry fields, JSON content type, keep-alive. About 600 bytes.
pub fn request_head() -> Vec<u8> {
    let fields: &[(&str, &str)] = &[
        ("Host", "llm-gateway.internal.example.com:4000"),
        ("Accept-Encoding", "gzip, deflate"),
        ("Connection", "keep-alive"),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("User-Agent", "OpenAI/Python 1.99.9"),
        ("X-Stainless-Lang", "python"),
        ("X-Stainless-Package-Version", "1.99.9"),
        ("X-Stainless-OS", "Linux"),
        ("X-Stainless-Arch", "x64"),
        ("X-Stainless-Runtime", "CPython"),
        ("X-Stainless-Runtime-Version", "3.12.3"),
        (
            "Authorization",
            "Bearer sk-litellm-7Qm2Vt9cXw4Lp0Rb8Hn3Zk6Jd1Fs5Ya2Ue7Gi4Oc9Nq",
        ),
        ("X-Stainless-Async", "false"),
        ("x-stainless-retry-count", "0"),
        ("x-stainless-read-timeout", "600"),
        ("Content-Length", "2143"),
    ];
    head("POST /v1/chat/completions HTTP/1.1", fields)
}

/// A 200 response head as OpenAI's edge returns it for a non-stream chat completion:
/// rate-limit fields, request id, Cloudflare fields. About 900 bytes.
pub fn response_head() -> Vec<u8> {
    let fields: &[(&str, &str)] = &[
        ("Date", "Tue, 17 Jun 2025 09:41:27 GMT"),
        ("Content-Type", "application/json"),
        ("Content-Length", "730"),
        ("Connection", "keep-alive"),
        ("access-control-expose-headers", "X-Request-ID"),
        ("openai-organization", "user-4xq0c1d7m2n8p5r3s6t9v1w0"),
        ("openai-processing-ms", "412"),
        ("openai-project", "proj_Hk3Lm9Pq2Rs7Tv4Wx1Yz8Ab5"),
        ("openai-version", "2020-10-01"),
        ("x-envoy-upstream-service-time", "417"),
        ("x-ratelimit-limit-requests", "30000"),
        ("x-ratelimit-limit-tokens", "150000000"),
        ("x-ratelimit-remaining-requests", "29999"),
        ("x-ratelimit-remaining-tokens", "149999950"),
        ("x-ratelimit-reset-requests", "2ms"),
        ("x-ratelimit-reset-tokens", "0s"),
        ("x-request-id", "req_5b0e8f3c2a9d4e71b6c8f0a1d2e3b4c5"),
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains; preload",
        ),
        ("cf-cache-status", "DYNAMIC"),
        ("X-Content-Type-Options", "nosniff"),
        ("Server", "cloudflare"),
        ("CF-RAY", "9510c3f6e8a1b2c4-FRA"),
        ("alt-svc", "h3=\":443\"; ma=86400"),
    ];
    head("HTTP/1.1 200 OK", fields)
}

fn head(start_line: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(start_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in fields {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// `data_len` bytes of JSON-looking text, so chunk data is not a run of one byte.
pub fn body_data(data_len: usize) -> Vec<u8> {
    const LINE: &[u8] =
        br#"{"index":0,"delta":{"content":"The quick brown fox jumps over the lazy dog."}},"#;
    LINE.iter().copied().cycle().take(data_len).collect()
}

/// A chunked-coded body carrying `data_len` bytes in chunks of `chunk_len` (the last chunk may
/// be shorter), ended by the last chunk with no trailers.
pub fn chunked_body(data_len: usize, chunk_len: usize) -> Vec<u8> {
    let data = body_data(data_len);
    let mut out = Vec::with_capacity(data_len + data_len / chunk_len.max(1) * 8 + 16);
    for chunk in data.chunks(chunk_len.max(1)) {
        write_chunk(chunk, &mut out);
    }
    out.extend_from_slice(LAST_CHUNK);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use corelane_http1::{
        parse_request, parse_response, BodyKind, ChunkedDecoder, Limits, Method, Status,
        EMPTY_HEADER, MAX_HEADERS,
    };

    #[test]
    fn request_head_is_complete_and_about_600_bytes() {
        let buf = request_head();
        assert!((560..=660).contains(&buf.len()), "{}", buf.len());
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        let Status::Complete(head) = parse_request(&buf, &mut headers, &Limits::default()).unwrap()
        else {
            panic!("partial");
        };
        assert_eq!(head.head_len, buf.len());
        assert_eq!(head.body, BodyKind::Length(2143));
        assert!(head
            .header("authorization")
            .unwrap()
            .starts_with(b"Bearer sk-"));
    }

    #[test]
    fn response_head_is_complete() {
        let buf = response_head();
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        let Status::Complete(head) =
            parse_response(&buf, &mut headers, Method::Post, &Limits::default()).unwrap()
        else {
            panic!("partial");
        };
        assert_eq!(head.status, 200);
        assert_eq!(head.head_len, buf.len());
        assert_eq!(head.body, BodyKind::Length(730));
    }

    #[test]
    fn chunked_body_decodes_to_its_data() {
        let body = chunked_body(64 * 1024, 4096);
        let mut dec = ChunkedDecoder::new();
        let mut data = Vec::new();
        let used = dec.decode(&body, |d| data.extend_from_slice(d)).unwrap();
        assert_eq!(used, body.len());
        assert!(dec.is_done());
        assert_eq!(data, body_data(64 * 1024));
    }
}
