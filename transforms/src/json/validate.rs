//! A streaming JSON validator: fed a document in pieces of any size, it accepts what
//! simd-json's `to_tape` accepts and tells a [`Visitor`] where keys and values start and end,
//! in constant memory (a bit per open container, at most [`MAX_DEPTH`] of them).
//!
//! What simd-json accepts is RFC 8259 with its limits: structure (§2, §4, §5), whitespace of
//! exactly space, tab, LF and CR (§2), strings with the escapes of §7 and no unescaped control
//! character, surrogate escapes only as a high-low pair (simd-json `get_unicode_codepoint`),
//! UTF-8 throughout (§8.1; no byte order mark), numbers as `json/number.rs` checks them, at most
//! [`MAX_DEPTH`] nested containers (simd-json `DEFAULT_MAX_DEPTH`), whitespace only after the
//! root value.

use super::number::{Number, Step};
use super::MAX_DEPTH;

/// What a value is, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// Told the structure of the document as the validator meets it, before the document is
/// known to be valid. Offsets are into the whole document; `depth` counts the containers
/// around the token (0 for the root value, 1 for the members of a root object).
pub trait Visitor {
    /// A value of `kind` starts at `at`. For a string, the answer says whether to pass its
    /// unescaped contents to [`Visitor::text`].
    fn value(&mut self, depth: usize, at: usize, kind: Kind) -> bool;
    /// The value that started last at `depth` ends just before `end`.
    fn value_end(&mut self, depth: usize, end: usize);
    /// An object key starts; the answer says whether to pass its unescaped contents to
    /// [`Visitor::text`].
    fn key(&mut self, depth: usize) -> bool;
    /// The key that started last ends; its value follows.
    fn key_end(&mut self, depth: usize);
    /// The next unescaped bytes of a string the visitor asked for. A UTF-8 character may be
    /// split between two calls; the concatenation is valid UTF-8 when the string ends.
    fn text(&mut self, bytes: &[u8]);
}

/// The document is not JSON that simd-json accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// Where the validator is between two bytes.
#[derive(Debug, Clone, Copy)]
enum State {
    /// A value must follow: at the start, after `:`, after `,` in an array.
    Value,
    /// After `[`: a value or `]`.
    ValueOrClose,
    /// After `{`: a key or `}`.
    KeyOrClose,
    /// After `,` in an object: a key.
    Key,
    Colon,
    /// After a value: `,` or the container's closing bracket; after the root, only whitespace.
    Next,
    /// Inside a string: a key or a value, passed to the visitor or not, within an escape or not.
    Str {
        key: bool,
        capture: bool,
        escape: Option<Escape>,
    },
    Number(Number),
    /// Inside `true`, `false` or `null`: the bytes still to come (never empty).
    Literal(&'static [u8]),
    /// An error was returned; every later call returns it again.
    Failed,
}

/// Progress through an escape sequence (RFC 8259 §7).
#[derive(Debug, Clone, Copy)]
enum Escape {
    /// After `\`.
    Backslash,
    /// Within `\uXXXX`, `digits` hex digits read; `high` is the high surrogate it must pair.
    Hex {
        code: u16,
        digits: u8,
        high: Option<u16>,
    },
    /// After a high surrogate: `\u` and a low surrogate must follow.
    PairBackslash {
        high: u16,
    },
    PairU {
        high: u16,
    },
}

/// The start of a UTF-8 character cut by the end of a piece.
#[derive(Debug, Clone, Copy, Default)]
struct Carry {
    bytes: [u8; 4],
    len: u8,
    /// Length of the whole character, from its first byte.
    need: u8,
}

/// Validates one document fed in pieces; see the module doc.
#[derive(Debug, Clone)]
pub struct Validator {
    state: State,
    /// Offset of the next byte fed.
    offset: usize,
    /// Containers open around the current token.
    depth: usize,
    /// Bit `d` set when the container at depth `d` (0 is the root) is an object.
    objects: [u64; MAX_DEPTH / 64],
    carry: Carry,
}

impl Default for Validator {
    fn default() -> Self {
        Validator {
            state: State::Value,
            offset: 0,
            depth: 0,
            objects: [0; MAX_DEPTH / 64],
            carry: Carry::default(),
        }
    }
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the next `piece` of the document, telling `visitor` what it finds. After an
    /// error the validator stays failed.
    pub fn feed<V: Visitor>(&mut self, piece: &[u8], visitor: &mut V) -> Result<(), Invalid> {
        let result = self.run(piece, visitor);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// Ends the document: valid if the root value is complete (a number may end here).
    pub fn finish<V: Visitor>(&mut self, visitor: &mut V) -> Result<(), Invalid> {
        let result = match self.state {
            State::Next if self.depth == 0 => Ok(()),
            State::Number(n) if self.depth == 0 && n.end() => {
                visitor.value_end(0, self.offset);
                Ok(())
            }
            _ => Err(Invalid),
        };
        self.state = State::Failed;
        result
    }

    fn run<V: Visitor>(&mut self, piece: &[u8], v: &mut V) -> Result<(), Invalid> {
        let base = self.offset;
        let mut state = self.state;
        let mut i = 0;
        while i < piece.len() {
            state = match state {
                State::Str {
                    key,
                    capture,
                    escape: None,
                } => {
                    let rest = &piece[i..];
                    let Some(k) = memchr::memchr2(b'"', b'\\', rest) else {
                        self.contents(rest, true, capture, v)?;
                        i = piece.len();
                        continue;
                    };
                    self.contents(&rest[..k], false, capture, v)?;
                    i += k + 1;
                    if rest[k] == b'\\' {
                        State::Str {
                            key,
                            capture,
                            escape: Some(Escape::Backslash),
                        }
                    } else if key {
                        v.key_end(self.depth);
                        State::Colon
                    } else {
                        v.value_end(self.depth, base + i);
                        State::Next
                    }
                }
                State::Str {
                    key,
                    capture,
                    escape: Some(escape),
                } => {
                    let escape = escaped(escape, piece[i], capture, v)?;
                    i += 1;
                    State::Str {
                        key,
                        capture,
                        escape,
                    }
                }
                State::Number(mut n) => loop {
                    let Some(&b) = piece.get(i) else {
                        break State::Number(n);
                    };
                    match n.push(b) {
                        Step::More => i += 1,
                        Step::End if n.end() => {
                            v.value_end(self.depth, base + i);
                            break State::Next;
                        }
                        Step::End | Step::Invalid => return Err(Invalid),
                    }
                },
                State::Literal(rest) => match rest.split_first() {
                    Some((&want, tail)) if want == piece[i] => {
                        i += 1;
                        if tail.is_empty() {
                            v.value_end(self.depth, base + i);
                            State::Next
                        } else {
                            State::Literal(tail)
                        }
                    }
                    _ => return Err(Invalid),
                },
                State::Failed => return Err(Invalid),
                _ => {
                    let b = piece[i];
                    i += 1;
                    // RFC 8259 §2: the four whitespace bytes, nothing else (no form feed, no NBSP).
                    if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                        continue;
                    }
                    self.structural(state, b, base + i - 1, v)?
                }
            };
        }
        self.state = state;
        self.offset = base + piece.len();
        Ok(())
    }

    /// The state after the non-whitespace byte `b` at offset `at`, outside strings and scalars.
    fn structural<V: Visitor>(
        &mut self,
        state: State,
        b: u8,
        at: usize,
        v: &mut V,
    ) -> Result<State, Invalid> {
        match (state, b) {
            (State::ValueOrClose, b']') => self.close(false, at + 1, v),
            (State::Value | State::ValueOrClose, _) => self.value(b, at, v),
            (State::KeyOrClose | State::Key, b'"') => Ok(State::Str {
                key: true,
                capture: v.key(self.depth),
                escape: None,
            }),
            (State::KeyOrClose, b'}') => self.close(true, at + 1, v),
            (State::Colon, b':') => Ok(State::Value),
            (State::Next, b',') if self.depth > 0 => Ok(if self.in_object() {
                State::Key
            } else {
                State::Value
            }),
            (State::Next, b'}' | b']') if self.depth > 0 => self.close(b == b'}', at + 1, v),
            _ => Err(Invalid),
        }
    }

    /// A value starting with `b` at `at`.
    fn value<V: Visitor>(&mut self, b: u8, at: usize, v: &mut V) -> Result<State, Invalid> {
        let depth = self.depth;
        Ok(match b {
            b'{' | b'[' => {
                if depth >= MAX_DEPTH {
                    return Err(Invalid);
                }
                let object = b == b'{';
                v.value(depth, at, if object { Kind::Object } else { Kind::Array });
                let (word, bit) = (depth / 64, 1u64 << (depth % 64));
                if object {
                    self.objects[word] |= bit;
                } else {
                    self.objects[word] &= !bit;
                }
                self.depth += 1;
                if object {
                    State::KeyOrClose
                } else {
                    State::ValueOrClose
                }
            }
            b'"' => State::Str {
                key: false,
                capture: v.value(depth, at, Kind::String),
                escape: None,
            },
            b'-' | b'0'..=b'9' => {
                v.value(depth, at, Kind::Number);
                State::Number(Number::new(b))
            }
            b't' => {
                v.value(depth, at, Kind::True);
                State::Literal(b"rue")
            }
            b'f' => {
                v.value(depth, at, Kind::False);
                State::Literal(b"alse")
            }
            b'n' => {
                v.value(depth, at, Kind::Null);
                State::Literal(b"ull")
            }
            _ => return Err(Invalid),
        })
    }

    /// Closes the innermost container, which must be an object iff `object`.
    fn close<V: Visitor>(&mut self, object: bool, end: usize, v: &mut V) -> Result<State, Invalid> {
        if self.in_object() != object {
            return Err(Invalid);
        }
        self.depth -= 1;
        v.value_end(self.depth, end);
        Ok(State::Next)
    }

    /// Whether the innermost open container is an object (false at the root).
    fn in_object(&self) -> bool {
        let Some(d) = self.depth.checked_sub(1) else {
            return false;
        };
        self.objects[d / 64] & (1 << (d % 64)) != 0
    }

    /// A run of string contents without quote or backslash; `at_end` when the piece ended it
    /// (so it may end inside a UTF-8 character).
    #[inline]
    fn contents<V: Visitor>(
        &mut self,
        run: &[u8],
        at_end: bool,
        capture: bool,
        v: &mut V,
    ) -> Result<(), Invalid> {
        if has_control(run) {
            return Err(Invalid); // RFC 8259 §7: control characters must be escaped.
        }
        self.utf8(run, at_end)?;
        if capture && !run.is_empty() {
            v.text(run);
        }
        Ok(())
    }

    /// Validates `run` as UTF-8, completing the character carried from the previous piece and
    /// carrying an incomplete last one when `at_end`.
    fn utf8(&mut self, mut run: &[u8], at_end: bool) -> Result<(), Invalid> {
        let c = &mut self.carry;
        if c.len > 0 {
            let have = usize::from(c.len);
            let take = usize::from(c.need - c.len).min(run.len());
            c.bytes[have..have + take].copy_from_slice(&run[..take]);
            c.len += take as u8; // take <= 3
            run = &run[take..];
            match std::str::from_utf8(&c.bytes[..usize::from(c.len)]) {
                Ok(_) => c.len = 0,
                // Still a valid start; the whole run went into it.
                Err(e) if e.error_len().is_none() && at_end => return Ok(()),
                Err(_) => return Err(Invalid),
            }
        }
        match std::str::from_utf8(run) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() && at_end => {
                let tail = &run[e.valid_up_to()..];
                let need = match tail.first() {
                    Some(0xc0..=0xdf) => 2,
                    Some(0xe0..=0xef) => 3,
                    _ => 4,
                };
                let mut bytes = [0; 4];
                bytes[..tail.len()].copy_from_slice(tail);
                *c = Carry {
                    bytes,
                    len: tail.len() as u8, // at most 3: a valid start of a character
                    need,
                };
                Ok(())
            }
            Err(_) => Err(Invalid),
        }
    }
}

/// The escape state after byte `b`, passing decoded characters to the visitor.
fn escaped<V: Visitor>(
    escape: Escape,
    b: u8,
    capture: bool,
    v: &mut V,
) -> Result<Option<Escape>, Invalid> {
    let code = match escape {
        Escape::Backslash => {
            let byte = match b {
                b'"' | b'\\' | b'/' => b,
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    return Ok(Some(Escape::Hex {
                        code: 0,
                        digits: 0,
                        high: None,
                    }))
                }
                _ => return Err(Invalid),
            };
            if capture {
                v.text(&[byte]);
            }
            return Ok(None);
        }
        Escape::PairBackslash { high } if b == b'\\' => return Ok(Some(Escape::PairU { high })),
        Escape::PairU { high } if b == b'u' => {
            return Ok(Some(Escape::Hex {
                code: 0,
                digits: 0,
                high: Some(high),
            }))
        }
        Escape::PairBackslash { .. } | Escape::PairU { .. } => return Err(Invalid),
        Escape::Hex { code, digits, high } => {
            let digit = (b as char).to_digit(16).ok_or(Invalid)? as u16;
            let code = code << 4 | digit;
            if digits < 3 {
                return Ok(Some(Escape::Hex {
                    code,
                    digits: digits + 1,
                    high,
                }));
            }
            match (high, code) {
                (None, 0xd800..=0xdbff) => return Ok(Some(Escape::PairBackslash { high: code })),
                (None, 0xdc00..=0xdfff) | (Some(_), 0..=0xdbff | 0xe000..=0xffff) => {
                    return Err(Invalid)
                }
                (None, c) => u32::from(c),
                (Some(h), low) => {
                    0x10000 + ((u32::from(h) - 0xd800) << 10) + (u32::from(low) - 0xdc00)
                }
            }
        }
    };
    if capture {
        let c = char::from_u32(code).ok_or(Invalid)?;
        v.text(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
    Ok(None)
}

/// Whether `run` holds a byte below U+0020; in blocks the compiler turns into vector code.
#[inline]
fn has_control(run: &[u8]) -> bool {
    let mut blocks = run.chunks_exact(32);
    for block in &mut blocks {
        if block.iter().fold(0xff, |m, &b| m.min(b)) < 0x20 {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| b < 0x20)
}

/// Whether `bytes` are one JSON document as simd-json accepts it (structure, UTF-8, numbers),
/// for the translations that copy a provider's values to the client as they came.
pub(crate) fn is_json(bytes: &[u8]) -> bool {
    /// Asks for nothing: the validation is all that is wanted.
    struct Quiet;
    impl Visitor for Quiet {
        fn value(&mut self, _: usize, _: usize, _: Kind) -> bool {
            false
        }
        fn value_end(&mut self, _: usize, _: usize) {}
        fn key(&mut self, _: usize) -> bool {
            false
        }
        fn key_end(&mut self, _: usize) {}
        fn text(&mut self, _: &[u8]) {}
    }
    let mut validator = Validator::new();
    validator
        .feed(bytes, &mut Quiet)
        .and_then(|()| validator.finish(&mut Quiet))
        .is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Records events as text, to pin the visitor protocol.
    #[derive(Default)]
    struct Log(String);

    impl Visitor for Log {
        fn value(&mut self, depth: usize, at: usize, kind: Kind) -> bool {
            self.0 += &format!("v{depth}@{at}:{kind:?} ");
            true
        }
        fn value_end(&mut self, depth: usize, end: usize) {
            self.0 += &format!("e{depth}@{end} ");
        }
        fn key(&mut self, depth: usize) -> bool {
            self.0 += &format!("k{depth} ");
            true
        }
        fn key_end(&mut self, depth: usize) {
            self.0 += &format!("/k{depth} ");
        }
        fn text(&mut self, bytes: &[u8]) {
            self.0 += &format!("t{:?} ", String::from_utf8_lossy(bytes));
        }
    }

    fn events(doc: &[u8]) -> Result<String, Invalid> {
        let mut log = Log::default();
        let mut val = Validator::new();
        val.feed(doc, &mut log)?;
        val.finish(&mut log)?;
        Ok(log.0)
    }

    #[test]
    fn visitor_sees_offsets_and_unescaped_text() {
        assert_eq!(
            events(br#" {"a\u00e9":[1, true],"b":"x\ny"} "#).unwrap(),
            r#"v0@1:Object k1 t"a" t"é" /k1 v1@12:Array v2@13:Number e2@14 v2@16:True e2@20 e1@21 k1 t"b" /k1 v1@26:String t"x" t"\n" t"y" e1@32 e0@33 "#
        );
        assert_eq!(events(b"12").unwrap(), "v0@0:Number e0@2 ");
    }

    #[test]
    fn depth_limit_is_simd_json_s() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(events(nest(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(events(nest(MAX_DEPTH + 1).as_bytes()), Err(Invalid));
    }

    #[test]
    fn control_bytes_are_found_in_every_block_position() {
        for len in 0..100 {
            for at in 0..len {
                let mut run = vec![b'a'; len];
                run[at] = 0x1f;
                assert!(has_control(&run), "{len} {at}");
            }
            assert!(!has_control(&vec![0x20; len]));
        }
    }
}
