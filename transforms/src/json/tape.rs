//! Validation of a whole body with simd-json, reusing its buffers from one request to the next,
//! and the byte ranges of an object's members read off simd-json's structural indexes.
//!
//! simd-json's stage 1 records the offset of every structural character (`{ } [ ] : ,`) and of
//! the first byte of every string and scalar; stage 2 checks the grammar over them and builds
//! the tape. Once stage 2 accepted the document, the members of an object are found by walking
//! those offsets with a depth count, without reading the bytes between them again. With the
//! buffers reused (no aligned allocations per call), reading a request this way took 12.0k →
//! 8.4k instructions per request (callgrind through the gateway, the harness's chat body).
//!
//! Not used for responses: on the mock's 338-byte chat completion, simd-json's two stages
//! alone cost about as much as the byte walk of `rewrite_complete` did (about 5.5k
//! instructions), and that walk now costs about 4.2k (strings scanned a word at a time).

use std::ops::Range;

use simd_json::tape::Tape;
use simd_json::{Buffers, INPUT_PADDING};

/// Bytes of scratch space above which [`Scratch::trim`] gives everything back.
const MAX_KEPT: usize = 256 * 1024;

/// simd-json's working memory, kept between documents: the padded copy of the input (simd-json
/// unescapes strings in place), its stage-1 and stage-2 buffers, and the tape's allocation.
///
/// Its size follows the document: about 2 bytes per byte for text, up to about 14 for a body
/// of one-digit numbers (a 16-byte tape node and a 4-byte index per two bytes). A server parses
/// one document at a time per core, of at most 1 MiB (larger bodies are scanned as they spill),
/// and [`Scratch::trim`] gives it back afterwards, so it stays bounded per core.
pub struct Scratch {
    input: Vec<u8>,
    buffers: Buffers,
    /// Always empty between calls; kept for its allocation.
    tape: Tape<'static>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("input", &self.input.capacity())
            .field("tape", &self.tape.0.capacity())
            .finish()
    }
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            input: Vec::new(),
            buffers: Buffers::new(0),
            tape: Tape(Vec::new()),
        }
    }

    /// Validates `body` and calls `f` with its tape and simd-json's structural indexes
    /// (offsets into `body`); `Err` when simd-json refuses the document.
    pub fn parse<R>(
        &mut self,
        body: &[u8],
        f: impl FnOnce(&Tape<'_>, &[u32]) -> R,
    ) -> Result<R, simd_json::Error> {
        let Scratch {
            input,
            buffers,
            tape,
        } = self;
        input.clear();
        input.reserve(body.len() + INPUT_PADDING);
        input.extend_from_slice(body);
        input.resize(body.len() + INPUT_PADDING, 0);
        let mut filled: Tape<'_> = std::mem::replace(tape, Tape(Vec::new()));
        let result = simd_json::fill_tape_padded(input, body.len(), buffers, &mut filled)
            .map(|()| f(&filled, buffers.structural_indexes()));
        *tape = filled.reset();
        result
    }

    /// Gives the memory back when a large document made it grow past what is worth keeping.
    pub fn trim(&mut self) {
        let held = self.input.capacity()
            + self.buffers.structural_indexes().len() * 4
            + self.tape.0.capacity() * std::mem::size_of::<simd_json::Node<'static>>();
        if held > MAX_KEPT {
            *self = Scratch::new();
        }
    }
}

/// The value of one member of an object: its byte range (surrounding whitespace excluded)
/// and the position in the structural indexes of its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedMember {
    pub value: Range<usize>,
    pub at: usize,
}

/// Iterates the members of the object whose `{` is at `idx[at]`, in a document simd-json
/// accepted, with `idx` its structural indexes. `close()` is the `}` offset once reached.
#[derive(Debug)]
pub struct IndexedMembers<'b> {
    b: &'b [u8],
    idx: &'b [u32],
    /// The structural after the `{` or the `,` that precedes the next member.
    i: usize,
    close: Option<usize>,
}

impl<'b> IndexedMembers<'b> {
    pub fn new(b: &'b [u8], idx: &'b [u32], at: usize) -> Self {
        let open = idx.get(at).map(|&o| o as usize);
        let valid = open.is_some_and(|o| b.get(o) == Some(&b'{'));
        IndexedMembers {
            b,
            idx,
            i: if valid { at + 1 } else { idx.len() },
            close: None,
        }
    }

    pub fn close(&self) -> Option<usize> {
        self.close
    }
}

impl Iterator for IndexedMembers<'_> {
    type Item = IndexedMember;

    fn next(&mut self) -> Option<IndexedMember> {
        if self.close.is_some() {
            return None;
        }
        let (b, idx) = (self.b, self.idx);
        // Key, colon, value: the grammar simd-json checked puts them at i, i + 1, i + 2.
        let key = *idx.get(self.i)? as usize;
        match *b.get(key)? {
            b'}' => {
                self.close = Some(key);
                return None;
            }
            b'"' => {}
            _ => return None,
        }
        let at = self.i + 2;
        let start = *idx.get(at)? as usize;
        // The value ends at the first `,` or `}` outside it.
        let mut depth = 0usize;
        let mut stop = None;
        for (k, &pos) in idx.get(at..)?.iter().enumerate() {
            let pos = pos as usize;
            match *b.get(pos)? {
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => depth -= 1,
                c @ (b',' | b'}') if depth == 0 => {
                    stop = Some((at + k, pos, c == b'}'));
                    break;
                }
                _ => {}
            }
        }
        let (k, pos, closes) = stop?;
        let mut end = pos;
        while end > start && matches!(b[end - 1], b' ' | b'\t' | b'\n' | b'\r') {
            end -= 1;
        }
        if closes {
            self.close = Some(pos);
        } else {
            self.i = k + 1;
        }
        Some(IndexedMember {
            value: start..end,
            at,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::json::Members;

    /// The walk over structural indexes yields what the byte scanner yields.
    fn same_as_scanner(body: &[u8]) {
        let mut scratch = Scratch::new();
        scratch
            .parse(body, |_, idx| {
                let open = idx[0] as usize;
                let mut walk = IndexedMembers::new(body, idx, 0);
                let mut scan = Members::new(body, open);
                let walked: Vec<_> = walk.by_ref().map(|m| m.value).collect();
                let scanned: Vec<_> = scan.by_ref().map(|m| m.value).collect();
                assert_eq!(walked, scanned, "{}", String::from_utf8_lossy(body));
                assert_eq!(walk.close(), scan.close());
            })
            .unwrap();
    }

    #[test]
    fn members_match_the_byte_scanner() {
        for body in [
            &br#"{}"#[..],
            br#"  { }  "#,
            br#"{"a":1}"#,
            br#"{ "a" : 1 , "b" : [ 1 , { "c" : "}" } ] , "d" : "x\"," ,"e":null }"#,
            br#"{"m":[{"role":"user","content":"hi"}],"model":"gpt-4o","stream":true}"#,
            b"{\"a\"\t:\n-1.5e3\r\n,\"b\":{\"x\":{}},\"c\":[],\"d\":false}",
            br#"{"a":"\u00e9\\","b":"\\"}"#,
        ] {
            same_as_scanner(body);
        }
    }

    #[test]
    fn nested_object_from_its_index() {
        let body = br#"{"a":1,"so":{"include_usage":true, "x" : [1]}}"#;
        let mut scratch = Scratch::new();
        scratch
            .parse(body, |_, idx| {
                let so = IndexedMembers::new(body, idx, 0).nth(1).unwrap();
                assert_eq!(
                    &body[so.value.clone()],
                    br#"{"include_usage":true, "x" : [1]}"#
                );
                let inner: Vec<_> = IndexedMembers::new(body, idx, so.at)
                    .map(|m| &body[m.value])
                    .collect();
                assert_eq!(inner, [&b"true"[..], b"[1]"]);
            })
            .unwrap();
    }

    #[test]
    fn not_an_object_yields_nothing() {
        let body = b"[1,2]";
        let mut scratch = Scratch::new();
        scratch
            .parse(body, |_, idx| {
                assert_eq!(IndexedMembers::new(body, idx, 0).count(), 0);
            })
            .unwrap();
    }

    #[test]
    fn scratch_is_reused_and_refuses_invalid_documents() {
        let mut scratch = Scratch::new();
        assert!(scratch.parse(br#"{"a":"#, |_, _| ()).is_err());
        let n = scratch
            .parse(br#"{"a":[1,2,3]}"#, |tape, _| tape.0.len())
            .unwrap();
        assert!(n > 0);
        assert!(scratch.parse(b"{\"a\":\"\xff\"}", |_, _| ()).is_err());
        let big = format!("{{\"a\":[{}1]}}", "1,".repeat(200_000));
        scratch.parse(big.as_bytes(), |_, _| ()).unwrap();
        scratch.trim();
        assert_eq!(scratch.input.capacity(), 0);
    }
}
