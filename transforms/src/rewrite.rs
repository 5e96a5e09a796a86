//! Streaming rewrite of a non-stream response body: every top-level `"model"` value becomes the
//! model group the client asked for, the top-level `"usage"` object is captured, and every
//! other byte passes through, whatever the split of the input into pieces.

use crate::json::{top_members, unescape, write_json_string};
use crate::keys::Key;
use crate::service_tier::ServiceTier;
use crate::usage::{parse_usage, Usage};

/// Largest top-level usage object kept for billing; a bigger one is not usage as any provider
/// sends it, and dropping it keeps memory bounded.
pub const MAX_USAGE_BYTES: usize = 16 * 1024;

/// Largest upstream model value held back for replacement; beyond it the value is passed
/// through unchanged so a hostile body cannot make the rewriter buffer without bound.
pub const MAX_MODEL_BYTES: usize = 4 * 1024;

/// Longest raw spelling of a `model` key: each of its five letters as a `\uXXXX` escape. The
/// case folding of [`Key::find`] turns no non-ASCII letter into m, o, d, e or l, so no other
/// spelling is longer.
const MAX_MODEL_KEY_BYTES: usize = 6 * Key::Model.name().len();

/// Whether a top-level response key as sent (the bytes between its quotes) is read as `model`
/// by a client: equal after unescaping (`"mod\u0065l"`), or only in letter case (`"Model"`,
/// which Go's `encoding/json` reads as `model`), matched as [`Key::find`] matches request keys.
/// Clients keep the last of repeated keys (some the first), so every such member gets the
/// group name (DESIGN.md: every response and chunk carries the name the client asked for).
pub(crate) fn is_model_key(raw: &[u8]) -> bool {
    // Every spelling starts with `m`, `M` or an escape; most keys are rejected here.
    if !matches!(raw.first(), Some(b'm' | b'M' | b'\\')) || raw.len() > MAX_MODEL_KEY_BYTES {
        return false;
    }
    if raw == b"model" {
        return true;
    }
    let model = [Key::Model];
    if raw.contains(&b'\\') {
        unescape(raw).is_some_and(|key| Key::find(&key, &model).is_some())
    } else {
        std::str::from_utf8(raw).is_ok_and(|key| Key::find(key, &model).is_some())
    }
}

/// Whether `rest`, the bytes after a member's value, could hold a later member whose key is
/// read as `model` ([`is_model_key`]): a comma, whitespace, a quote, then `m`, `M` or a
/// backslash. Those three bytes are rarer than quotes, so they are the ones searched; a
/// nested key or an array string that starts so only costs the caller a longer walk.
pub(crate) fn may_hold_model_key(rest: &[u8]) -> bool {
    memchr::memchr3_iter(b'm', b'M', b'\\', rest).any(|at| {
        let Some(before) = at.checked_sub(1).filter(|&q| rest[q] == b'"') else {
            return false;
        };
        let last = rest[..before].iter().rposition(|&b| !is_ws(b));
        last.is_some_and(|i| rest[i] == b',')
    })
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether a model value of `len` bytes (quotes included) is replaced: the streaming rewriter
/// holds back its opening quote and contents, at most [`MAX_MODEL_BYTES`] of them.
fn model_fits(len: usize) -> bool {
    len.saturating_sub(1) <= MAX_MODEL_BYTES
}

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
    /// The raw key being read, up to the longest spelling of `model`; `key_len` counts on.
    key: [u8; MAX_MODEL_KEY_BYTES],
    key_len: usize,
    target: Target,
    held: Vec<u8>,
    usage_buf: Vec<u8>,
    capturing: bool,
    usage: Option<Usage>,
    /// Where the top-level usage object is held back and replaced by what this writes of it
    /// (a provider whose usage the client gets in LiteLLM's shape); it returns the usage.
    usage_rewrite: Option<UsageRewrite>,
}

/// Writes the client's usage object for the provider's one (`usage`) into `out`, and returns
/// the usage it reports.
pub type UsageRewrite = fn(usage: &[u8], out: &mut Vec<u8>) -> Option<Usage>;

impl ModelRewriter {
    /// A rewriter that also holds back the top-level usage object and writes `rewrite`'s form
    /// of it instead (one at most [`MAX_USAGE_BYTES`] long; a longer one passes unchanged).
    pub fn with_usage_rewrite(model: &str, rewrite: UsageRewrite) -> Self {
        ModelRewriter {
            usage_rewrite: Some(rewrite),
            ..ModelRewriter::new(model)
        }
    }

    /// `model` is the model group name the client asked for.
    pub fn new(model: &str) -> Self {
        ModelRewriter {
            model: model.to_owned(),
            state: State::Start,
            key: [0; MAX_MODEL_KEY_BYTES],
            key_len: 0,
            target: Target::Other,
            held: Vec::new(),
            usage_buf: Vec::new(),
            capturing: false,
            usage: None,
            usage_rewrite: None,
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
                        self.target = match self.key.get(..self.key_len) {
                            Some(raw) if is_model_key(raw) => Target::Model,
                            Some(b"usage") => Target::Usage,
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
                            if self.usage_rewrite.is_some() {
                                // Held back from here: written again once whole.
                                out.extend_from_slice(&input[emit..i]);
                                emit = i;
                            }
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
                                let whole = self.append_capture(&input[capture..=i], out);
                                self.capturing = false;
                                if let Some(rewrite) = self.usage_rewrite {
                                    // Held back up to here: written again, or (too long to
                                    // be usage) already passed on.
                                    if whole {
                                        self.usage = rewrite(&self.usage_buf, out).or(self.usage);
                                    }
                                    emit = i + 1;
                                } else if whole {
                                    self.usage = parse_usage(&self.usage_buf).or(self.usage);
                                }
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
            self.append_capture(&input[capture..], out);
            if self.usage_rewrite.is_some() {
                // Held back (in `usage_buf`), or passed on if it grew too long.
                return;
            }
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
        if self.capturing && self.usage_rewrite.is_some() {
            // The answer ended inside a held usage object: what came goes out as it came.
            out.extend_from_slice(&self.usage_buf);
            self.usage_buf.clear();
            self.capturing = false;
        }
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

    /// Adds `bytes` to the usage being read; past [`MAX_USAGE_BYTES`] it is not usage: the
    /// capture stops, and what was held back and `bytes` go to `out`. Whether the usage is
    /// still whole.
    fn append_capture(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> bool {
        if self.usage_buf.len() + bytes.len() > MAX_USAGE_BYTES {
            self.capturing = false;
            if self.usage_rewrite.is_some() {
                out.extend_from_slice(&self.usage_buf);
                out.extend_from_slice(bytes);
            }
            self.usage_buf = Vec::new();
            false
        } else {
            self.usage_buf.extend_from_slice(bytes);
            true
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

/// What a whole response reports besides its content: usage, and the service tier the
/// provider served it on (a known tier in the top-level `service_tier`, the last one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reported {
    pub usage: Option<Usage>,
    pub service_tier: Option<ServiceTier>,
}

/// One-shot form of [`ModelRewriter`] for a body already in memory; returns the usage.
pub fn rewrite_complete(body: &[u8], model: &str, out: &mut Vec<u8>) -> Option<Usage> {
    rewrite_reporting(body, model, out).usage
}

/// [`rewrite_complete`] with everything the body reports. A well-formed object is walked
/// member by member (strings and nested values are skipped with memchr, several times faster
/// than the byte-at-a-time streaming scanner); anything else goes through the scanner, which
/// reads usage only.
pub fn rewrite_reporting(body: &[u8], model: &str, out: &mut Vec<u8>) -> Reported {
    let start = out.len();
    out.reserve(body.len() + model.len());
    if let Some(mut members) = top_members(body) {
        let mut copied = 0;
        let mut usage = None;
        let mut service_tier = None;
        for m in members.by_ref() {
            let value = &body[m.value.clone()];
            let key = &body[m.key.clone()];
            if value.first() == Some(&b'"') && model_fits(value.len()) && is_model_key(key) {
                out.extend_from_slice(&body[copied..m.value.start]);
                write_json_string(model, out);
                copied = m.value.end;
            } else if key == b"usage"
                && value.first() == Some(&b'{')
                && value.len() <= MAX_USAGE_BYTES
            {
                usage = parse_usage(value).or(usage);
            } else if key == b"service_tier" {
                service_tier = tier(value);
            }
        }
        if !members.malformed() && members.close().is_some() {
            out.extend_from_slice(&body[copied..]);
            return Reported {
                usage,
                service_tier,
            };
        }
        out.truncate(start);
    }
    let mut r = ModelRewriter::new(model);
    r.feed(body, out);
    r.finish(out);
    Reported {
        usage: r.usage(),
        service_tier: None,
    }
}

/// The known tier a JSON value names, if it is a string naming one.
fn tier(value: &[u8]) -> Option<ServiceTier> {
    let inner = value.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.contains(&b'\\') {
        return unescape(inner).and_then(|s| ServiceTier::from_name(&s));
    }
    ServiceTier::from_name(std::str::from_utf8(inner).ok()?)
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
    fn model_key_spellings() {
        for raw in [
            r"model",
            r"Model",
            r"MODEL",
            r"mod\u0065l",
            r"mod\u0045l",
            r"\u006d\u006f\u0064\u0065\u006c",
            r"\u004D\u004F\u0044\u0045\u004C",
        ] {
            assert!(is_model_key(raw.as_bytes()), "{raw}");
        }
        for raw in [
            r"models",
            r"mode",
            r"mode\u006",
            r"mod\x65l",
            r"mod\u0065l ",
            "mod\u{e9}l",
            "\u{ff4d}odel",
            r"\u006d\u006f\u0064\u0065\u006c\u0000",
            r"usage",
            r"",
        ] {
            assert!(!is_model_key(raw.as_bytes()), "{raw}");
        }
        assert_eq!(r"\u006d\u006f\u0064\u0065\u006c".len(), MAX_MODEL_KEY_BYTES);
    }

    #[test]
    fn later_model_keys_are_never_missed() {
        for rest in [
            r#","model":1}"#,
            ",\n\t \"Model\":1}",
            r#","\u006dodel":1}"#,
            r#","choices":[],"model":"usage"}"#,
        ] {
            assert!(may_hold_model_key(rest.as_bytes()), "{rest}");
        }
        // Value strings and nested first keys are no top-level member after the model (a key
        // such as `metadata` is a candidate: `is_model_key` turns it down).
        for rest in [
            r#","content":"my","x":"\n"}"#,
            r#","d":{"model":"inner"}}"#,
            r#","c":"a,\"model\""}"#,
            r#","id":"Mx","tags":["m"]}"#,
            r#"}"#,
        ] {
            assert!(!may_hold_model_key(rest.as_bytes()), "{rest}");
        }
    }

    /// A model value too long to hold back passes through the streaming rewriter, and so it
    /// must through the one-shot path (the server uses either, by body size).
    #[test]
    fn long_models_pass_through_in_both_paths() {
        for len in [MAX_MODEL_BYTES - 1, MAX_MODEL_BYTES, MAX_MODEL_BYTES + 1] {
            let body = format!(r#"{{"model":"{}","a":1}}"#, "x".repeat(len));
            let mut r = ModelRewriter::new("group");
            let mut streamed = Vec::new();
            r.feed(body.as_bytes(), &mut streamed);
            r.finish(&mut streamed);
            let (whole, _) = rw(&body);
            assert_eq!(String::from_utf8(streamed).unwrap(), whole, "{len}");
            assert_eq!(whole.contains("group"), len < MAX_MODEL_BYTES, "{len}");
        }
    }

    #[test]
    fn escaped_key_is_not_model() {
        assert_eq!(
            rw(r#"{"mode\"l":"a","model" : "b\"c" }"#).0,
            r#"{"mode\"l":"a","model" : "group" }"#
        );
    }
}
