//! An upstream origin (scheme, host, port) parsed from a LiteLLM `api_base`.
//!
//! Hand-written because it is tiny and all we need is scheme, authority and path: a full URL
//! crate would add nothing but weight.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// Scheme + host + port of an upstream: the key of the per-core connection pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub tls: bool,
    /// Host without brackets (IPv6 literals unbracketed).
    pub host: String,
    pub port: u16,
    /// The `Host` header value (host, plus the port when not the scheme's default).
    pub host_header: String,
    /// Pool key, e.g. "https://api.openai.com:443".
    pub key: Arc<str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginError {
    Scheme,
    Host,
    Port,
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OriginError::Scheme => "expected an http:// or https:// URL",
            OriginError::Host => "missing or invalid host",
            OriginError::Port => "invalid port",
        })
    }
}

impl Origin {
    /// Splits `https://host[:port]/path` into the origin and the path prefix (no trailing slash).
    pub fn parse(url: &str) -> Result<(Origin, String), OriginError> {
        let url = url.trim();
        let (tls, rest) = if let Some(r) = strip_prefix_ci(url, "https://") {
            (true, r)
        } else if let Some(r) = strip_prefix_ci(url, "http://") {
            (false, r)
        } else {
            return Err(OriginError::Scheme);
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let close = v6.find(']').ok_or(OriginError::Host)?;
            let host = &v6[..close];
            host.parse::<IpAddr>().map_err(|_| OriginError::Host)?;
            let port = match &v6[close + 1..] {
                "" => default_port,
                p => p
                    .strip_prefix(':')
                    .and_then(|p| p.parse().ok())
                    .ok_or(OriginError::Port)?,
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| OriginError::Port)?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(OriginError::Host);
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = path.trim_end_matches('/').to_owned();
        let bracketed = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let host_header = if port == default_port {
            bracketed.clone()
        } else {
            format!("{bracketed}:{port}")
        };
        let key: Arc<str> = format!(
            "{}://{}:{}",
            if tls { "https" } else { "http" },
            bracketed,
            port
        )
        .into();
        Ok((
            Origin {
                tls,
                host: host.to_ascii_lowercase(),
                port,
                host_header,
                key,
            },
            path,
        ))
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_bases() {
        let (o, p) = Origin::parse("https://api.openai.com/v1").unwrap();
        assert!(o.tls);
        assert_eq!(
            (o.host.as_str(), o.port, p.as_str()),
            ("api.openai.com", 443, "/v1")
        );
        assert_eq!(o.host_header, "api.openai.com");
        let (o, p) = Origin::parse("http://127.0.0.1:8000/v1/").unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, p.as_str()),
            ("127.0.0.1", 8000, "/v1")
        );
        assert_eq!(o.host_header, "127.0.0.1:8000");
        let (o, p) = Origin::parse("https://x.openai.azure.com").unwrap();
        assert_eq!((o.port, p.as_str()), (443, ""));
        let (o, _) = Origin::parse("http://[::1]:9000/api").unwrap();
        assert_eq!((o.host.as_str(), o.port), ("::1", 9000));
        assert_eq!(o.host_header, "[::1]:9000");
    }

    #[test]
    fn rejects_bad_bases() {
        assert_eq!(Origin::parse("api.openai.com"), Err(OriginError::Scheme));
        assert_eq!(Origin::parse("http://:80/"), Err(OriginError::Host));
        assert_eq!(Origin::parse("http://h:99999/"), Err(OriginError::Port));
        assert_eq!(Origin::parse("http://[zz]:1/"), Err(OriginError::Host));
    }
}
