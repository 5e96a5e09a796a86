//! Finds where a head ends while it arrives, looking at each byte once, so a head that trickles
//! in is parsed once instead of from its start on every read.

use crate::{Error, Limits, Status};

/// Remembers how far a growing buffer has been searched for the end of a head.
///
/// The caller appends reads to one buffer and calls [`scan`](Self::scan) after each; only
/// when it answers `Complete` does the caller run [`parse_request`](crate::parse_request) (or
/// [`parse_response`](crate::parse_response)), which then never answers `Partial`. Offsets
/// refer to the buffer's start, so make a new scanner (or [`reset`](Self::reset)) whenever
/// the buffer's start moves, e.g. for the next request on the connection.
///
/// The end is found the way httparse finds it: empty lines before the start line are skipped
/// (RFC 9112 §2.2 lets a server ignore them), then the head ends at the first empty line,
/// with CRLF or bare LF line ends ("\n\r\n" or "\n\n"). A malformed head is only reported by
/// the parse at its end, or as too large; `max_head_bytes` bounds how long that takes.
#[derive(Debug, Clone, Default)]
pub struct HeadScan {
    state: ScanState,
}

/// How far the search has come; each state holds the next offset to examine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScanState {
    /// Skipping empty lines before the start line; `at` is the next byte to look at.
    EmptyLines { at: usize },
    /// Inside the head; every LF before `from` has been ruled out as the end of a line that
    /// precedes the empty line.
    Lines { from: usize },
    /// The head ends at `end`.
    Complete { end: usize },
}

impl Default for ScanState {
    fn default() -> Self {
        Self::EmptyLines { at: 0 }
    }
}

impl HeadScan {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets what was scanned, for a buffer that now starts with a new head.
    pub fn reset(&mut self) {
        self.state = ScanState::default();
    }

    /// Searches the bytes of `buf` not examined before (plus at most two, when a line end
    /// was cut off) for the end of the head.
    ///
    /// `Complete(n)`: the head is `buf[..n]`, as `head_len` will say if it parses.
    /// `Partial`: read more. `Err(HeadTooLarge)`: no head ends within
    /// `limits.max_head_bytes`; bytes past that bound are never examined.
    pub fn scan(&mut self, buf: &[u8], limits: &Limits) -> Result<Status<usize>, Error> {
        let window = &buf[..buf.len().min(limits.max_head_bytes)];
        loop {
            match self.state {
                ScanState::Complete { end } => return Ok(Status::Complete(end)),
                ScanState::EmptyLines { at } => {
                    self.state = match (window.get(at), window.get(at + 1)) {
                        (Some(b'\n'), _) => ScanState::EmptyLines { at: at + 1 },
                        (Some(b'\r'), Some(b'\n')) => ScanState::EmptyLines { at: at + 2 },
                        (None, _) | (Some(b'\r'), None) => break,
                        // Anything else starts the start line; a lone CR is httparse's error
                        // to report.
                        _ => ScanState::Lines { from: at },
                    };
                }
                ScanState::Lines { from } => {
                    self.state = find_end(window, from);
                    if let ScanState::Lines { .. } = self.state {
                        break;
                    }
                }
            }
        }
        if buf.len() > limits.max_head_bytes {
            Err(Error::HeadTooLarge)
        } else {
            Ok(Status::Partial)
        }
    }
}

/// Looks for an LF followed by an empty line, from `from` on; memchr jumps between LFs.
fn find_end(window: &[u8], mut from: usize) -> ScanState {
    while let Some(offset) = window
        .get(from..)
        .and_then(|rest| memchr::memchr(b'\n', rest))
    {
        let lf = from + offset;
        match (window.get(lf + 1), window.get(lf + 2)) {
            (Some(b'\n'), _) => return ScanState::Complete { end: lf + 2 },
            (Some(b'\r'), Some(b'\n')) => return ScanState::Complete { end: lf + 3 },
            // The line end is cut off: look at this LF again once more bytes arrive.
            (None, _) | (Some(b'\r'), None) => return ScanState::Lines { from: lf },
            _ => from = lf + 1,
        }
    }
    ScanState::Lines {
        from: from.max(window.len()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{parse_request, EMPTY_HEADER, MAX_HEADERS};

    /// Scans `input` fed `step` bytes at a time; the first non-Partial answer and the buffer
    /// length at which it came.
    fn trickle(
        input: &[u8],
        step: usize,
        limits: &Limits,
    ) -> (Result<Status<usize>, Error>, usize) {
        let mut scan = HeadScan::new();
        let mut len = 0;
        loop {
            len = (len + step).min(input.len());
            match scan.scan(&input[..len], limits) {
                Ok(Status::Partial) if len < input.len() => {}
                other => return (other, len),
            }
        }
    }

    fn end(input: &[u8]) -> Option<usize> {
        match trickle(input, 1, &Limits::default()).0 {
            Ok(Status::Complete(n)) => Some(n),
            _ => None,
        }
    }

    #[test]
    fn ends_of_heads() {
        for (input, expected) in [
            (&b"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"[..], Some(27)),
            (b"GET / HTTP/1.1\r\n\r\n", Some(18)),
            (b"GET / HTTP/1.1\nHost: a\n\n", Some(24)),
            (b"GET / HTTP/1.1\r\nHost: a\n\r\n", Some(26)),
            (b"GET / HTTP/1.1\nHost: a\r\n\n", Some(25)),
            // RFC 9112 §2.2: leading empty lines are skipped, not taken for the end.
            (b"\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Some(32)),
            (b"\r\n\r\n", None),
            (b"\n\n\n", None),
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r", None),
            (b"GET / HTTP/1.1\r\nHost: a\r\n", None),
            // A CR that ends no line is not an end either; the parse reports it.
            (b"GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n", None),
        ] {
            assert_eq!(end(input), expected, "{input:?}");
            assert_eq!(
                trickle(input, input.len(), &Limits::default())
                    .0
                    .ok()
                    .and_then(|s| match s {
                        Status::Complete(n) => Some(n),
                        Status::Partial => None,
                    }),
                expected,
                "whole {input:?}"
            );
        }
    }

    #[test]
    fn agrees_with_parse_request_on_leading_empty_lines() {
        let input = b"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        let Ok(Status::Complete(head)) = parse_request(input, &mut headers, &Limits::default())
        else {
            panic!("httparse skips leading empty lines");
        };
        assert_eq!(end(input), Some(head.head_len));
        // Empty lines alone are Partial to both.
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        let res = parse_request(b"\r\n\r\n", &mut headers, &Limits::default());
        assert!(matches!(res, Ok(Status::Partial)));
    }

    #[test]
    fn limit_is_enforced_without_looking_past_it() {
        let limits = Limits {
            max_head_bytes: 27,
            ..Limits::default()
        };
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(trickle(head, 1, &limits).0, Ok(Status::Complete(27)));
        let long = b"GET / HTTP/1.1\r\nHost: ab\r\n\r\n";
        assert_eq!(trickle(long, 1, &limits), (Err(Error::HeadTooLarge), 28));
        // Endless empty lines are bounded too.
        let blank = [b'\n'; 64];
        assert_eq!(trickle(&blank, 5, &limits), (Err(Error::HeadTooLarge), 30));
    }

    #[test]
    fn examined_bytes_are_not_examined_again() {
        let mut scan = HeadScan::new();
        let limits = Limits::default();
        let mut buf = b"POST / HTTP/1.1\r\n".to_vec();
        assert_eq!(scan.scan(&buf, &limits), Ok(Status::Partial));
        assert_eq!(scan.state, ScanState::Lines { from: 16 }, "the cut LF");
        buf.extend_from_slice(b"X-Long: ");
        assert_eq!(scan.scan(&buf, &limits), Ok(Status::Partial));
        assert_eq!(scan.state, ScanState::Lines { from: buf.len() });
        buf.extend_from_slice(&[b'a'; 1000]);
        assert_eq!(scan.scan(&buf, &limits), Ok(Status::Partial));
        assert_eq!(scan.state, ScanState::Lines { from: buf.len() });
        // Were the old bytes searched again, this blank line would end the head.
        buf[20..23].copy_from_slice(b"\n\r\n");
        buf.extend_from_slice(b"\r\n\r\n");
        assert_eq!(scan.scan(&buf, &limits), Ok(Status::Complete(buf.len())));
        // Complete is remembered; reset starts over.
        assert_eq!(scan.scan(&[], &limits), Ok(Status::Complete(buf.len())));
        scan.reset();
        assert_eq!(scan.scan(&buf, &limits), Ok(Status::Complete(23)));
    }

    #[test]
    fn a_cut_line_end_is_looked_at_again() {
        let mut scan = HeadScan::new();
        let limits = Limits::default();
        let input = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for len in 0..input.len() {
            assert_eq!(
                scan.scan(&input[..len], &limits),
                Ok(Status::Partial),
                "{len}"
            );
        }
        assert_eq!(scan.scan(input, &limits), Ok(Status::Complete(input.len())));
    }
}
