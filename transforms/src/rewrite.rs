//! Streaming rewrite of a non-stream response body: the top-level `"model"` value becomes the
//! model group the client asked for, the top-level `"usage"` object is captured, and every
//! other byte passes through, whatever the split of the input into pieces.

use crate::json::write_json_string;
use crate::usage::{parse_usage, Usage};

/// Largest top-level usage object kept for billing; a bigger one is not usage as any provider
/// sends it, and dropping it keeps memory bounded.
pub const MAX_USAGE_BYTES: usize = 16 * 1024;

/// Largest upstream model value held back for replacement; beyond it the value is passed
/// through unchanged so a hostile body cannot make the rewriter buffer without bound.
pub const MAX_MODEL_BYTES: usize = 4 * 1024;

/// Where the scanner is within the top-level object (a byte-at-a-time state machine, so any
/// split of the input is handled alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the top-level `{`.
    Start,
    /// After `{` or `,`: a key or (first only) `}`.
    Key {
        first: bool,
    },
    InKey {
        esc: bool,
    },
    Colon,
    Value,
    /// A top-level string value (not the model); `esc` after a backslash.
    Str {
        esc: bool,
    },
    /// The model string being held back.
    ModelStr {
        esc: bool,
    },
    /// Inside an object or array value.
    Nested {
        depth: u32,
        in_str: bool,
        esc: bool,
    },
    /// A number or literal; ends at a delimiter, which is then re-read in `Comma`.
    Scalar,
    Comma,
    /// After the top-level `}`, or input that is not an object: bytes pass unchanged.
    Pass,
}

/// The key just read, as far as the rewriter cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Model,
    Usage,
    Other,
}

/// Rewrites one response body fed in pieces; see the module doc.
#[derive(Debug)]
pub struct ModelRewriter {
    model: String,
    state: State,
    key: [u8; 8],
    key_len: usize,
    target: Target,
    held: Vec<u8>,
    usage_buf: Vec<u8>,
    capturing: bool,
    usage: Option<Usage>,
}

impl ModelRewriter {
    /// `model` is the model group name the client asked for.
    pub fn new(model: &str) -> Self {
        ModelRewriter {
            model: model.to_owned(),
            state: State::Start,
            key: [0; 8],
            key_len: 0,
            target: Target::Other,
            held: Vec::new(),
            usage_buf: Vec::new(),
            capturing: false,
            usage: None,
        }
    }

    /// Appends the rewritten form of `input` to `out`; bytes of the model value may be held
    /// back until its closing quote arrives (or [`finish`](Self::finish)).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut emit = 0; // start of the input not yet copied to `out`
        let mut capture = 0; // start of the input not yet copied to `usage_buf`
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Pass {
                break;
            }
            let b = input[i];
            let mut advance = true;
            match self.state {
                State::Start => match b {
                    b'{' => self.state = State::Key { first: true },
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ => self.state = State::Pass,
                },
                State::Key { first } => match b {
                    b'"' => {
                        self.key_len = 0;
                        self.state = State::InKey { esc: false };
                    }
                    b'}' if first => self.state = State::Pass,
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ => self.state = State::Pass,
                },
                State::InKey { esc } => {
                    if esc {
                        self.state = State::InKey { esc: false };
                        self.push_key(b);
                    } else if b == b'"' {
                        self.target = match &self.key[..self.key_len.min(8)] {
                            b"model" if self.key_len == 5 => Target::Model,
                            b"usage" if self.key_len == 5 => Target::Usage,
                            _ => Target::Other,
                        };
                        self.state = State::Colon;
                    } else {
                        self.state = State::InKey { esc: b == b'\\' };
                        self.push_key(b);
                    }
                }
                State::Colon => match b {
                    b':' => self.state = State::Value,
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ => self.state = State::Pass,
                },
                State::Value => match b {
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    b'"' if self.target == Target::Model => {
                        out.extend_from_slice(&input[emit..i]);
                        emit = i;
                        self.held.clear();
                        self.state = State::ModelStr { esc: false };
                    }
                    b'"' => self.state = State::Str { esc: false },
                    b'{' | b'[' => {
                        if self.target == Target::Usage && b == b'{' {
                            self.capturing = true;
                            self.usage_buf.clear();
                            capture = i;
                        }
                        self.state = State::Nested {
                            depth: 1,
                            in_str: false,
                            esc: false,
                        };
                    }
                    b',' | b'}' | b']' | b':' => self.state = State::Pass,
                    _ => self.state = State::Scalar,
                },
                State::Str { esc } => {
                    self.state = match (esc, b) {
                        (true, _) => State::Str { esc: false },
                        (false, b'"') => State::Comma,
                        (false, b'\\') => State::Str { esc: true },
                        _ => {
                            // Long strings (base64 embeddings) skip ahead to the next quote or backslash.
                            if let Some(k) = memchr::memchr2(b'"', b'\\', &input[i..]) {
                                i += k;
                                advance = false;
                            } else {
                                i = input.len();
                                advance = false;
                            }
                            State::Str { esc: false }
                        }
                    };
                }
                State::ModelStr { esc } => {
                    self.state = match (esc, b) {
                        (true, _) => State::ModelStr { esc: false },
                        (false, b'"') => {
                            self.held.extend_from_slice(&input[emit..=i]);
                            emit = i + 1;
                            write_json_string(&self.model, out);
                            self.held.clear();
                            State::Comma
                        }
                        (false, b'\\') => State::ModelStr { esc: true },
                        _ => State::ModelStr { esc: false },
                    };
                    if self.held.len() + (i + 1 - emit) > MAX_MODEL_BYTES
                        && self.state != State::Comma
                    {
                        // Too long to be a model name: give up replacing, pass it through.
                        out.extend_from_slice(&self.held);
                        self.held.clear();
                        self.state = State::Str {
                            esc: matches!(self.state, State::ModelStr { esc: true }),
                        };
                    }
                }
                State::Nested { in_str, esc, .. } if !esc && !is_nested_event(in_str, b) => {
                    // Fast path through nested values (an embedding's numbers, a message's
                    // text): jump to the next byte that can change the state.
                    let rest = &input[i..];
                    let skip = if in_str {
                        memchr::memchr2(b'"', b'\\', rest)
                    } else {
                        // Five bytes matter here; memchr takes three at a time, so find the
                        // first quote or square bracket, then a curly one before it (both SIMD
                        // scans, far faster than a byte loop over an embedding's numbers).
                        let square = memchr::memchr3(b'"', b'[', b']', rest).unwrap_or(rest.len());
                        Some(memchr::memchr2(b'{', b'}', &rest[..square]).unwrap_or(square))
                    };
                    i += skip.unwrap_or(rest.len());
                    advance = false;
                }
                State::Nested { depth, in_str, esc } => {
                    self.state = match (in_str, esc, b) {
                        (true, true, _) => State::Nested {
                            depth,
                            in_str,
                            esc: false,
                        },
                        (true, false, b'\\') => State::Nested {
                            depth,
                            in_str,
                            esc: true,
                        },
                        (true, false, b'"') => State::Nested {
                            depth,
                            in_str: false,
                            esc,
                        },
                        (true, false, _) => State::Nested { depth, in_str, esc },
                        (false, _, b'"') => State::Nested {
                            depth,
                            in_str: true,
                            esc: false,
                        },
                        (false, _, b'{' | b'[') if depth < crate::json::MAX_DEPTH as u32 => {
                            State::Nested {
                                depth: depth + 1,
                                in_str,
                                esc,
                            }
                        }
                        (false, _, b'{' | b'[') => State::Pass,
                        (false, _, b'}' | b']') if depth == 1 => {
                            if self.capturing {
                                self.append_capture(&input[capture..=i]);
                                self.capturing = false;
                                self.usage = parse_usage(&self.usage_buf).or(self.usage);
                                self.usage_buf.clear();
                            }
                            State::Comma
                        }
                        (false, _, b'}' | b']') => State::Nested {
                            depth: depth - 1,
                            in_str,
                            esc,
                        },
                        _ => State::Nested { depth, in_str, esc },
                    };
                }
                State::Scalar => {
                    if matches!(b, b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        self.state = State::Comma;
                        advance = false;
                    }
                }
                State::Comma => match b {
                    b',' => self.state = State::Key { first: false },
                    b'}' => self.state = State::Pass,
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ => self.state = State::Pass,
                },
                State::Pass => {}
            }
            if advance {
                i += 1;
            }
        }
        if self.capturing {
            self.append_capture(&input[capture..]);
        }
        if matches!(self.state, State::ModelStr { .. }) {
            self.held.extend_from_slice(&input[emit..]);
        } else {
            out.extend_from_slice(&input[emit..]);
        }
    }

    /// Flushes a model value still held back (input ended inside it) unchanged.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.held);
        self.held.clear();
        if matches!(self.state, State::ModelStr { .. }) {
            self.state = State::Pass;
        }
    }

    /// The top-level usage, once its object has been read completely.
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    fn push_key(&mut self, b: u8) {
        if self.key_len < self.key.len() {
            self.key[self.key_len] = b;
        }
        self.key_len = self.key_len.saturating_add(1);
    }

    fn append_capture(&mut self, bytes: &[u8]) {
        if self.usage_buf.len() + bytes.len() > MAX_USAGE_BYTES {
            self.capturing = false;
            self.usage_buf = Vec::new();
        } else {
            self.usage_buf.extend_from_slice(bytes);
        }
    }
}

/// Whether byte `b` can change a `Nested` state: a quote or backslash inside a string,
/// a quote or bracket outside one.
#[inline]
fn is_nested_event(in_str: bool, b: u8) -> bool {
    if in_str {
        matches!(b, b'"' | b'\\')
    } else {
        matches!(b, b'"' | b'{' | b'[' | b'}' | b']')
    }
}

/// One-shot form of [`ModelRewriter`] for a body already in memory. A well-formed object is
/// walked member by member (strings and nested values are skipped with memchr, several times
/// faster than the byte-at-a-time streaming scanner); anything else goes through the scanner.
pub fn rewrite_complete(body: &[u8], model: &str, out: &mut Vec<u8>) -> Option<Usage> {
    if let Some(mut members) = crate::json::top_members(body) {
        let mut model_span = None;
        let mut usage = None;
        for m in members.by_ref() {
            let value = &body[m.value.clone()];
            match &body[m.key.clone()] {
                b"model" if value.first() == Some(&b'"') => model_span = Some(m.value),
                b"usage" if value.first() == Some(&b'{') && value.len() <= MAX_USAGE_BYTES => {
                    usage = parse_usage(value).or(usage)
                }
                _ => {}
            }
        }
        if !members.malformed() && members.close().is_some() {
            out.reserve(body.len() + model.len());
            match model_span {
                Some(span) => {
                    out.extend_from_slice(&body[..span.start]);
                    write_json_string(model, out);
                    out.extend_from_slice(&body[span.end..]);
                }
                None => out.extend_from_slice(body),
            }
            return usage;
        }
    }
    let mut r = ModelRewriter::new(model);
    out.reserve(body.len() + model.len());
    r.feed(body, out);
    r.finish(out);
    r.usage()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rw(body: &str) -> (String, Option<Usage>) {
        let mut out = Vec::new();
        let u = rewrite_complete(body.as_bytes(), "group", &mut out);
        (String::from_utf8(out).unwrap(), u)
    }

    #[test]
    fn replaces_only_top_level_model() {
        let (out, u) = rw(
            r#"{"id":"x","choices":[{"model":"inner","message":{"content":"\"model\":\"no\""}}],"model":"gpt-4o-2024","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#,
        );
        assert_eq!(
            out,
            r#"{"id":"x","choices":[{"model":"inner","message":{"content":"\"model\":\"no\""}}],"model":"group","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#
        );
        assert_eq!(u.unwrap().total_tokens, 3);
    }

    #[test]
    fn non_objects_and_non_string_models_pass() {
        assert_eq!(rw("[1,2]").0, "[1,2]");
        assert_eq!(rw("not json").0, "not json");
        assert_eq!(rw(r#"{"model":null,"a":1}"#).0, r#"{"model":null,"a":1}"#);
        assert_eq!(
            rw(r#"{"model":"unterminated"#).0,
            r#"{"model":"unterminated"#
        );
    }

    #[test]
    fn escaped_key_is_not_model() {
        assert_eq!(
            rw(r#"{"mode\"l":"a","model" : "b\"c" }"#).0,
            r#"{"mode\"l":"a","model" : "group" }"#
        );
    }
}
