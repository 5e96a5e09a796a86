//! Request-target forms (RFC 9112 §3.2) and the `uri-host [ ":" port ]` syntax (RFC 3986 §3.2)
//! that the Host field and an absolute-form's authority share.

use crate::Error;
use std::net::Ipv6Addr;

/// What a request-target says about where the request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target<'b> {
    /// Origin-form path and query, a slice of the target (see `RequestHead::path`).
    pub path: &'b str,
    /// The authority carried by an absolute-form or authority-form target.
    pub authority: Option<&'b str>,
}

/// Classifies `target` (as httparse returned it) by its first bytes, RFC 9112 §3.2.
pub(crate) fn parse_target<'b>(target: &'b str, method: &str) -> Result<Target<'b>, Error> {
    let origin = Target {
        path: target,
        authority: None,
    };
    match target.as_bytes() {
        // §3.2.1 origin-form, and §3.2.4 asterisk-form (`OPTIONS *`), kept as sent.
        [b'/', ..] | b"*" => Ok(origin),
        // §3.2.3: authority-form is only for CONNECT, and is `uri-host ":" port`; the gateway
        // routes nothing on it, so the target stays the path as before.
        _ if method == "CONNECT" => match target.rsplit_once(':') {
            Some((host, port)) if is_host(host.as_bytes()) && is_port(port.as_bytes()) => {
                Ok(Target {
                    authority: Some(target),
                    ..origin
                })
            }
            _ => Err(Error::BadHead),
        },
        _ => absolute_form(target),
    }
}

/// §3.2.2 absolute-form: a server MUST accept it. Only `http` and `https` URIs name something
/// a gateway can serve; the origin-form part becomes the path so routing is unchanged.
fn absolute_form(target: &str) -> Result<Target<'_>, Error> {
    let (scheme, rest) = target.split_once(':').ok_or(Error::BadHead)?;
    // RFC 3986 §3.1: schemes are case-insensitive.
    let known = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    // RFC 9110 §4.2.1/§4.2.2: `"http" "://" authority path-abempty [ "?" query ]`.
    let Some(hier) = rest.strip_prefix("//").filter(|_| known) else {
        return Err(Error::BadHead);
    };
    let end = hier.find(['/', '?']).unwrap_or(hier.len());
    let (authority, path) = hier.split_at(end);
    // RFC 9110 §4.2.4: userinfo is deprecated in http(s) URIs and a recipient SHOULD treat it
    // as an error; §4.2.1: an empty host MUST be rejected. Both fail `is_host_port`.
    if !is_host_port(authority.as_bytes()) {
        return Err(Error::BadHead);
    }
    let path = match path.as_bytes() {
        [b'/', ..] => path,
        // RFC 9112 §3.2.1: an empty path is "/" in origin-form. Borrow the first slash of
        // "//" so the path stays a slice of the caller's buffer like every other field.
        [] => &rest[..1],
        // `http://h?q` would be "/?q", which exists nowhere in the buffer; no client we know
        // sends it (they normalise to `http://h/?q`), so it is refused rather than misrouted.
        _ => return Err(Error::BadHead),
    };
    Ok(Target {
        path,
        authority: Some(authority),
    })
}

/// A Host field value (RFC 9110 §7.2): `uri-host [ ":" port ]`, or empty, which a client
/// sends when the target URI has no authority.
pub(crate) fn is_host_field(value: &[u8]) -> bool {
    value.is_empty() || is_host_port(value)
}

/// `uri-host [ ":" port ]` with a non-empty host (RFC 9110 §4.2.1 rejects an empty one).
fn is_host_port(v: &[u8]) -> bool {
    if v.first() == Some(&b'[') {
        let Some(close) = memchr::memchr(b']', v) else {
            return false;
        };
        let (literal, after) = v.split_at(close + 1);
        return is_ip_literal(literal)
            && match after {
                [] => true,
                [b':', port @ ..] => is_port(port),
                _ => false,
            };
    }
    // reg-name has no ':', so the first one starts the port.
    match memchr::memchr(b':', v) {
        Some(i) => is_host(&v[..i]) && is_port(&v[i + 1..]),
        None => is_host(v),
    }
}

/// A non-empty `uri-host`: IP-literal, or reg-name, whose grammar also covers IPv4address.
fn is_host(v: &[u8]) -> bool {
    match v {
        [] => false,
        [b'[', ..] => is_ip_literal(v),
        _ => is_reg_name(v),
    }
}

/// RFC 3986 §3.2.3: `port = *DIGIT` (empty allowed).
fn is_port(v: &[u8]) -> bool {
    v.iter().all(u8::is_ascii_digit)
}

/// RFC 3986 §3.2.2: `reg-name = *( unreserved / pct-encoded / sub-delims )`.
fn is_reg_name(v: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = v.get(i) {
        if b == b'%' {
            // pct-encoded = "%" HEXDIG HEXDIG
            match v.get(i + 1..i + 3) {
                Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else if is_unreserved(b) || is_sub_delim(b) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// RFC 3986 §3.2.2: `IP-literal = "[" ( IPv6address / IPvFuture ) "]"`.
fn is_ip_literal(v: &[u8]) -> bool {
    let Some(inner) = v.strip_prefix(b"[").and_then(|v| v.strip_suffix(b"]")) else {
        return false;
    };
    match inner {
        // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
        [b'v' | b'V', rest @ ..] => match rest.iter().position(|&b| b == b'.') {
            Some(dot) if dot > 0 => {
                let (version, tail) = (&rest[..dot], &rest[dot + 1..]);
                version.iter().all(u8::is_ascii_hexdigit)
                    && !tail.is_empty()
                    && tail
                        .iter()
                        .all(|&b| is_unreserved(b) || is_sub_delim(b) || b == b':')
            }
            _ => false,
        },
        // std's parser takes exactly RFC 4291 text forms, no zone identifier.
        _ => std::str::from_utf8(inner).is_ok_and(|s| s.parse::<Ipv6Addr>().is_ok()),
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_field_values() {
        for ok in [
            "",
            "a",
            "localhost:4000",
            "api.example.com",
            "api.example.com:",
            "127.0.0.1:8080",
            "999.1.1.1",
            "xn--bcher-kva.example",
            "a%2Db",
            "a_b~c!$&'()*+,;=",
            "[::1]",
            "[::1]:4000",
            "[2001:db8::ffff:1.2.3.4]",
            "[v1.fe80::a+en1]",
        ] {
            assert!(is_host_field(ok.as_bytes()), "{ok:?}");
        }
        for bad in [
            ":80",
            "a:b",
            "a:80:90",
            "a b",
            "a/b",
            "a?b",
            "a#b",
            "user@a",
            "a%2",
            "a%zz",
            "[::1",
            "::1",
            "[::1]x",
            "[::1]:x",
            "[]",
            "[fe80::1%25eth0]",
            "[1.2.3.4]",
            "[v.x]",
            "[v1.]",
            "é.example",
            "a\tb",
        ] {
            assert!(!is_host_field(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn target_forms() {
        let t = |target, method| parse_target(target, method);
        let origin = |path| {
            Ok(Target {
                path,
                authority: None,
            })
        };
        let absolute = |path, authority| {
            Ok(Target {
                path,
                authority: Some(authority),
            })
        };
        assert_eq!(t("/v1/models?x=1", "GET"), origin("/v1/models?x=1"));
        assert_eq!(t("*", "OPTIONS"), origin("*"));
        assert_eq!(
            t("http://h:4000/v1/chat/completions?x=1", "POST"),
            absolute("/v1/chat/completions?x=1", "h:4000")
        );
        assert_eq!(t("HTTPS://[::1]/a", "GET"), absolute("/a", "[::1]"));
        assert_eq!(t("http://h", "GET"), absolute("/", "h"));
        assert_eq!(t("http://h:80", "GET"), absolute("/", "h:80"));
        assert_eq!(t("h:443", "CONNECT"), absolute("h:443", "h:443"));
        for bad in [
            "ftp://h/",
            "http:/h/",
            "http:h/",
            "http:///a",
            "http://u@h/",
            "http://h:x/",
            "http://h?q",
            "httpx://h/",
            "h:443",
            "v1/models",
            "",
        ] {
            assert_eq!(t(bad, "GET"), Err(Error::BadHead), "{bad:?}");
        }
        assert_eq!(t("h", "CONNECT"), Err(Error::BadHead));
        assert_eq!(t("h:x", "CONNECT"), Err(Error::BadHead));
    }

    #[test]
    fn empty_absolute_path_borrows_the_targets_slash() {
        let target = "http://h";
        let path = parse_target(target, "GET").map(|t| t.path).unwrap_or("");
        assert_eq!(path, "/");
        let offset = path.as_ptr() as usize - target.as_ptr() as usize;
        assert_eq!(offset, 5);
    }
}
