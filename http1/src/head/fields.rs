//! One pass over the header fields that decide framing and connection reuse (RFC 9112 §6, §9).

use crate::Header;

/// What the Content-Length fields of a message say (RFC 9112 §6.3 item 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LengthField {
    Absent,
    Value(u64),
    /// Not a comma-separated list of decimal digits that fits in u64.
    Invalid,
    /// Well-formed values that disagree with each other.
    Conflicting,
}

/// What the Transfer-Encoding fields of a message say (RFC 9112 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Absent,
    /// Exactly one coding, `chunked`.
    ChunkedOnly,
    /// `chunked` is final, after other codings (`gzip, chunked`).
    ChunkedFinal,
    /// `chunked` is final but also appears earlier, which §6.1 forbids a sender to do.
    ChunkedTwice,
    /// The final coding is not `chunked`, or the list is empty.
    NotChunked,
}

/// The framing-relevant facts of one head, gathered without allocating.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Framing<'b> {
    pub length: LengthField,
    pub coding: Coding,
    /// `Connection` carries a `close` token.
    pub close: bool,
    /// `Connection` carries a `keep-alive` token.
    pub keep_alive: bool,
    /// `Expect: 100-continue` is present.
    pub expect_continue: bool,
    /// Number of `Host` fields.
    pub hosts: usize,
    /// Value of the first `Host` field.
    pub host: Option<&'b [u8]>,
}

impl<'b> Framing<'b> {
    pub fn scan(headers: &[Header<'b>]) -> Self {
        let mut framing = Self {
            length: LengthField::Absent,
            coding: Coding::Absent,
            close: false,
            keep_alive: false,
            expect_continue: false,
            hosts: 0,
            host: None,
        };
        let mut codings = Codings::default();
        for h in headers {
            let name = h.name.as_bytes();
            if name.eq_ignore_ascii_case(b"content-length") {
                framing.length = merge_length(framing.length, h.value);
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                codings.add(h.value);
            } else if name.eq_ignore_ascii_case(b"connection") {
                for token in list(h.value) {
                    framing.close |= token.eq_ignore_ascii_case(b"close");
                    framing.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            } else if name.eq_ignore_ascii_case(b"expect") {
                framing.expect_continue |= trim(h.value).eq_ignore_ascii_case(b"100-continue");
            } else if name.eq_ignore_ascii_case(b"host") {
                framing.hosts += 1;
                framing.host = framing.host.or(Some(h.value));
            }
        }
        framing.coding = codings.summary();
        framing
    }
}

/// Running summary of every Transfer-Encoding list element seen, in order.
#[derive(Default)]
struct Codings {
    seen_field: bool,
    count: usize,
    chunked: usize,
    last_is_chunked: bool,
}

impl Codings {
    fn add(&mut self, value: &[u8]) {
        self.seen_field = true;
        for coding in list(value) {
            self.count += 1;
            self.last_is_chunked = coding.eq_ignore_ascii_case(b"chunked");
            self.chunked += usize::from(self.last_is_chunked);
        }
    }

    fn summary(&self) -> Coding {
        match (self.seen_field, self.last_is_chunked, self.count) {
            (false, _, _) => Coding::Absent,
            (true, false, _) => Coding::NotChunked,
            (true, true, _) if self.chunked > 1 => Coding::ChunkedTwice,
            (true, true, 1) => Coding::ChunkedOnly,
            (true, true, _) => Coding::ChunkedFinal,
        }
    }
}

/// Folds one Content-Length field into what earlier ones said. RFC 9112 §6.3 item 5 allows a
/// list (or repeated fields) only when every element is valid and all are equal.
fn merge_length(so_far: LengthField, value: &[u8]) -> LengthField {
    let mut merged = so_far;
    // Empty elements are not skipped as §5.6.1 would allow: an empty Content-Length is a
    // framing ambiguity, and hyper rejects it too.
    for element in value.split(|&b| b == b',').map(trim) {
        let Some(n) = parse_decimal(element) else {
            return LengthField::Invalid;
        };
        merged = match merged {
            LengthField::Absent => LengthField::Value(n),
            LengthField::Value(m) if m == n => LengthField::Value(n),
            LengthField::Value(_) => LengthField::Conflicting,
            // Invalid beats Conflicting: both reject, and the first cause is the better report.
            other => other,
        };
    }
    merged
}

/// `1*DIGIT` as u64; None for empty input, any other byte, or overflow.
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// Non-empty elements of a comma-separated field value (RFC 9110 §5.6.1), OWS trimmed.
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim)
        .filter(|e| !e.is_empty())
}

/// Strips optional whitespace (SP / HTAB) from both ends.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h<'a>(name: &'a str, value: &'a str) -> Header<'a> {
        Header {
            name,
            value: value.as_bytes(),
        }
    }

    #[test]
    fn content_length_lists() {
        let len = |v: &str| Framing::scan(&[h("Content-Length", v)]).length;
        assert_eq!(len("5"), LengthField::Value(5));
        assert_eq!(len("5, 5"), LengthField::Value(5));
        assert_eq!(len(" 5 ,\t5 "), LengthField::Value(5));
        assert_eq!(len("5, 6"), LengthField::Conflicting);
        assert_eq!(len(""), LengthField::Invalid);
        assert_eq!(len("5,,5"), LengthField::Invalid);
        assert_eq!(len("+5"), LengthField::Invalid);
        assert_eq!(len("-1"), LengthField::Invalid);
        assert_eq!(len("0x10"), LengthField::Invalid);
        assert_eq!(len("18446744073709551615"), LengthField::Value(u64::MAX));
        assert_eq!(len("18446744073709551616"), LengthField::Invalid);
    }

    #[test]
    fn repeated_content_length_fields() {
        let f = Framing::scan(&[h("content-length", "7"), h("Content-Length", "7")]);
        assert_eq!(f.length, LengthField::Value(7));
        let f = Framing::scan(&[h("content-length", "7"), h("Content-Length", "8")]);
        assert_eq!(f.length, LengthField::Conflicting);
        let f = Framing::scan(&[h("content-length", "7"), h("Content-Length", "x")]);
        assert_eq!(f.length, LengthField::Invalid);
    }

    #[test]
    fn transfer_codings() {
        let te = |vs: &[&str]| {
            let hs: Vec<Header<'_>> = vs.iter().map(|v| h("Transfer-Encoding", v)).collect();
            Framing::scan(&hs).coding
        };
        assert_eq!(te(&[]), Coding::Absent);
        assert_eq!(te(&["chunked"]), Coding::ChunkedOnly);
        assert_eq!(te(&["CHUNKED"]), Coding::ChunkedOnly);
        assert_eq!(te(&["gzip, chunked"]), Coding::ChunkedFinal);
        assert_eq!(te(&["gzip", "chunked"]), Coding::ChunkedFinal);
        assert_eq!(te(&["chunked", "chunked"]), Coding::ChunkedTwice);
        assert_eq!(te(&["chunked, gzip, chunked"]), Coding::ChunkedTwice);
        assert_eq!(te(&["chunked, gzip"]), Coding::NotChunked);
        assert_eq!(te(&["gzip"]), Coding::NotChunked);
        assert_eq!(te(&[""]), Coding::NotChunked);
        assert_eq!(te(&["chunked;x=1"]), Coding::NotChunked);
    }

    #[test]
    fn connection_tokens_and_expect() {
        let f = Framing::scan(&[h("Connection", "Keep-Alive, Upgrade")]);
        assert!(f.keep_alive && !f.close);
        let f = Framing::scan(&[h("connection", "upgrade,  CLOSE ")]);
        assert!(f.close && !f.keep_alive);
        let f = Framing::scan(&[h("Connection", "closed")]);
        assert!(!f.close);
        let f = Framing::scan(&[h("Expect", " 100-Continue ")]);
        assert!(f.expect_continue);
        let f = Framing::scan(&[h("Expect", "100-continue-ish")]);
        assert!(!f.expect_continue);
    }

    #[test]
    fn host_fields() {
        let f = Framing::scan(&[h("Accept", "*/*")]);
        assert_eq!((f.hosts, f.host), (0, None));
        let f = Framing::scan(&[h("host", "a"), h("HOST", "b")]);
        assert_eq!((f.hosts, f.host), (2, Some(&b"a"[..])));
    }
}
