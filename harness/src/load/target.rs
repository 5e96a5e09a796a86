//! The request a load run repeats: where it goes and the exact bytes sent.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

/// Why a target could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// Only `http://host:port/path` URLs are supported (the harness never speaks TLS).
    Url(String),
    /// The host did not resolve to an address.
    Resolve(String),
    /// A header is not `Name: value`.
    Header(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) => write!(f, "unsupported URL {url:?}: expected http://host:port/path"),
            Self::Resolve(host) => write!(f, "cannot resolve {host:?}"),
            Self::Header(header) => write!(f, "bad header {header:?}: expected \"Name: value\""),
        }
    }
}

impl std::error::Error for TargetError {}

/// One HTTP/1.1 request, serialised once and written as is on every send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub address: SocketAddr,
    /// The complete request: head and body.
    pub request: Vec<u8>,
}

impl Target {
    /// Builds `method url` with `body` (sent with Content-Length, `application/json` unless a
    /// header says otherwise) and extra `headers` given as `Name: value`.
    pub fn new(
        method: &str,
        url: &str,
        headers: &[String],
        body: &[u8],
    ) -> Result<Self, TargetError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| TargetError::Url(url.to_owned()))?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(TargetError::Url(url.to_owned()));
        }
        let with_port = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let address = with_port
            .to_socket_addrs()
            .ok()
            .and_then(|mut addresses| addresses.next())
            .ok_or_else(|| TargetError::Resolve(authority.to_owned()))?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\n");
        let mut has_content_type = false;
        for header in headers {
            let (name, value) = header
                .split_once(':')
                .filter(|(name, _)| is_token(name.trim()))
                .ok_or_else(|| TargetError::Header(header.clone()))?;
            let value = value.trim();
            if value.contains(['\r', '\n']) {
                return Err(TargetError::Header(header.clone()));
            }
            let name = name.trim();
            has_content_type |= name.eq_ignore_ascii_case("content-type");
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method != "GET" {
            if !has_content_type && !body.is_empty() {
                head.push_str("Content-Type: application/json\r\n");
            }
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        Ok(Self { address, request })
    }
}

/// RFC 9110 §5.6.2 token characters.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_exact_request() {
        let target = Target::new(
            "POST",
            "http://127.0.0.1:8080/v1/chat/completions",
            &["Authorization: Bearer sk-1".to_owned()],
            b"{}",
        )
        .unwrap();
        assert_eq!(target.address, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(
            std::str::from_utf8(&target.request).unwrap(),
            "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer sk-1\r\n\
             Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        );
    }

    #[test]
    fn get_without_body_and_default_path() {
        let target = Target::new("GET", "http://127.0.0.1:9", &[], b"").unwrap();
        assert_eq!(
            target.request,
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"
        );
    }

    #[test]
    fn own_content_type_wins() {
        let target = Target::new(
            "POST",
            "http://127.0.0.1:1/x",
            &["content-type: text/plain".into()],
            b"a",
        )
        .unwrap();
        let text = String::from_utf8(target.request).unwrap();
        assert_eq!(text.matches("ontent-").count(), 2, "{text}");
        assert!(text.contains("content-type: text/plain\r\n"));
    }

    #[test]
    fn rejects_bad_urls_and_headers() {
        assert!(matches!(
            Target::new("GET", "https://127.0.0.1:1/", &[], b""),
            Err(TargetError::Url(_))
        ));
        assert!(matches!(
            Target::new("GET", "http:///x", &[], b""),
            Err(TargetError::Url(_))
        ));
        assert!(matches!(
            Target::new("GET", "http://127.0.0.1:1/", &["no colon".into()], b""),
            Err(TargetError::Header(_))
        ));
        assert!(matches!(
            Target::new("GET", "http://127.0.0.1:1/", &["a b: c".into()], b""),
            Err(TargetError::Header(_))
        ));
        assert!(matches!(
            Target::new("GET", "http://127.0.0.1:1/", &["a: b\r\nc: d".into()], b""),
            Err(TargetError::Header(_))
        ));
    }
}
