//! Byte-level JSON helpers shared by the transforms: string escaping, unescaping, a
//! borrowed scanner over complete buffers that yields byte ranges instead of values, and
//! ([`validate`]) a streaming validator for documents that arrive in pieces.

use std::ops::Range;

mod number;
pub mod tape;
pub mod validate;
pub mod value;

/// Deepest nesting the scanners follow before they call the input malformed: simd-json's
/// `DEFAULT_MAX_DEPTH`, which [`validate::Validator`] applies exactly so the two agree.
pub const MAX_DEPTH: usize = 1024;

/// A JSON array of `items`, each written by `each`.
pub(crate) fn write_array<T>(
    items: impl IntoIterator<Item = T>,
    out: &mut Vec<u8>,
    mut each: impl FnMut(T, &mut Vec<u8>),
) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(item, out);
    }
    out.push(b']');
}

/// The object `object` written again member by member, keys as they came: `keep(key, value,
/// out)` writes each member's value (after its key) into `out` and says whether the member
/// stays; a member it leaves out is taken back. Nothing is copied through a second buffer.
pub(crate) fn write_members(
    object: &[u8],
    out: &mut Vec<u8>,
    mut keep: impl FnMut(&str, &[u8], &mut Vec<u8>) -> bool,
) {
    out.push(b'{');
    let mut first = true;
    for m in top_members(object).into_iter().flatten() {
        let raw = &object[m.key.clone()];
        // Most keys have no escapes: borrowed, not unescaped into a new string.
        let key = match raw.contains(&b'\\') {
            false => std::borrow::Cow::Borrowed(std::str::from_utf8(raw).unwrap_or_default()),
            true => std::borrow::Cow::Owned(unescape(raw).unwrap_or_default()),
        };
        let mark = out.len();
        if !first {
            out.push(b',');
        }
        // The key as written, its quotes included.
        out.extend_from_slice(&object[m.key.start - 1..m.key.end + 1]);
        out.push(b':');
        if keep(&key, &object[m.value.clone()], out) {
            first = false;
        } else {
            out.truncate(mark);
        }
    }
    out.push(b'}');
}

/// Appends `n` in decimal.
pub(crate) fn write_u64(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `s` as a JSON string literal (with quotes), escaping per RFC 8259 §7: the quote, the
/// backslash and every control character below U+0020; everything else is copied verbatim.
pub fn write_json_string(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    escape_with(s, |part| out.extend_from_slice(part));
}

/// The object `obj` (validated JSON) without its top-level members named in `keys`.
pub fn without_members(obj: &[u8], keys: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(obj.len());
    out.push(b'{');
    for m in top_members(obj).into_iter().flatten() {
        if keys
            .iter()
            .any(|k| crate::json::value::key_is(obj, &m.key, k))
        {
            continue;
        }
        if out.len() > 1 {
            out.push(b',');
        }
        out.extend_from_slice(&obj[m.key.start - 1..m.key.end + 1]);
        out.push(b':');
        out.extend_from_slice(&obj[m.value]);
    }
    out.push(b'}');
    out
}

/// A JSON array of strings.
pub fn write_string_list<S: AsRef<str>>(items: &[S], out: &mut Vec<u8>) {
    out.push(b'[');
    for (n, s) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_json_string(s.as_ref(), out);
    }
    out.push(b']');
}

/// [`write_json_string`] into any byte sink (an arena vector, a `String` buffer), in runs.
pub fn escape_with(s: &str, mut sink: impl FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    sink(b"\"");
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        sink(&bytes[start..i]);
        if short.is_empty() {
            sink(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]);
        } else {
            sink(short);
        }
        start = i + 1;
    }
    sink(&bytes[start..]);
    sink(b"\"");
}

/// Same as [`write_json_string`] for a `String` sink.
pub fn write_json_string_to(s: &str, out: &mut String) {
    // Escaping only ever splits around ASCII bytes, so every run is valid UTF-8.
    escape_with(s, |part| {
        out.push_str(std::str::from_utf8(part).unwrap_or(""))
    });
}

/// Decodes the inside of a JSON string literal (the bytes between the quotes). Returns `None`
/// on a bad escape or invalid UTF-8; lone surrogates become U+FFFD as serde_json does lossily.
pub fn unescape(raw: &[u8]) -> Option<String> {
    if !raw.contains(&b'\\') {
        return std::str::from_utf8(raw).ok().map(str::to_owned);
    }
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let esc = *raw.get(i + 1)?;
        i += 2;
        let ch = match esc {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(raw.get(i..i + 4)?)?;
                i += 4;
                if (0xd800..0xdc00).contains(&hi) && raw.get(i..i + 2) == Some(b"\\u") {
                    let lo = hex4(raw.get(i + 2..i + 6)?)?;
                    if (0xdc00..0xe000).contains(&lo) {
                        i += 6;
                        let c = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                        char::from_u32(c).unwrap_or('\u{fffd}')
                    } else {
                        '\u{fffd}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{fffd}')
                }
            }
            _ => return None,
        };
        let mut tmp = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
    }
    String::from_utf8(out).ok()
}

fn hex4(h: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in h {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// Appends the JSON value `v` (valid JSON) without its insignificant whitespace, so it fits
/// one line (an SSE `data:` line); strings are copied as they are (they hold no raw newline).
pub fn write_compact(v: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in v {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            if b == b'"' {
                in_string = true;
            }
            out.push(b);
        }
    }
}

/// Index of the first non-whitespace byte at or after `i` (JSON whitespace, RFC 8259 §2).
#[inline(always)]
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// With `b[i] == b'"'`, the index just past the closing quote.
#[inline(always)]
pub fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let k = j + quote_or_backslash(b.get(j..)?)?;
        if b[k] == b'"' {
            return Some(k + 1);
        }
        j = k + 2;
    }
}

/// Bytes [`quote_or_backslash`] reads a word at a time before it hands the rest to memchr.
const SHORT_STRING: usize = 32;

/// Index of the first `"` or `\` in `s`. Keys and most values in API bodies are a few bytes
/// long, where memchr's per-call cost (dispatch, alignment, tail handling) is several times the
/// scan itself: the first [`SHORT_STRING`] bytes are read eight at a time in a register
/// (SWAR), the rest by memchr (message text, base64 embeddings).
#[inline(always)]
fn quote_or_backslash(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    // A byte of `x` is zero exactly where the lowest set high bit of the result is (a borrow
    // can only mark bytes above a zero byte), so the first match is found exactly.
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut at = 0;
    while at < SHORT_STRING {
        let Some(word) = s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) else {
            // Fewer than eight bytes left.
            let tail = s.get(at..)?;
            return tail
                .iter()
                .position(|&c| c == b'"' || c == b'\\')
                .map(|k| at + k);
        };
        let w = u64::from_le_bytes(word);
        let found = zero_byte(w ^ QUOTES) | zero_byte(w ^ BACKSLASHES);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr2(b'"', b'\\', s.get(at..)?).map(|k| at + k)
}

/// With `b[i]` the first byte of a value, the index just past that value. Containers are
/// matched by depth only (contents are not validated: callers validate separately or tolerate).
#[inline]
pub fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return None;
                        }
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        b',' | b'}' | b']' | b':' => None,
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// One member of an object: the raw key bytes (inside the quotes) and the value's range.
#[derive(Debug, Clone)]
pub struct Member {
    pub key: Range<usize>,
    pub value: Range<usize>,
}

/// Iterates the members of the object whose `{` is at `open`. `malformed()` tells whether it
/// stopped early on bad structure rather than at the closing `}`; `close()` is the `}` index.
#[derive(Debug)]
pub struct Members<'b> {
    b: &'b [u8],
    i: usize,
    first: bool,
    done: bool,
    close: Option<usize>,
}

impl<'b> Members<'b> {
    pub fn new(b: &'b [u8], open: usize) -> Self {
        let ok = b.get(open) == Some(&b'{');
        Members {
            b,
            i: open + 1,
            first: true,
            done: !ok,
            close: None,
        }
    }

    pub fn malformed(&self) -> bool {
        self.close.is_none()
    }

    pub fn close(&self) -> Option<usize> {
        self.close
    }

    fn step(&mut self) -> Option<Member> {
        let b = self.b;
        let mut i = skip_ws(b, self.i);
        if *b.get(i)? == b'}' {
            self.close = Some(i);
            return None;
        }
        if !self.first {
            if b[i] != b',' {
                return None;
            }
            i = skip_ws(b, i + 1);
        }
        if *b.get(i)? != b'"' {
            return None;
        }
        let key_end = string_end(b, i)?;
        let key = i + 1..key_end - 1;
        let colon = skip_ws(b, key_end);
        if *b.get(colon)? != b':' {
            return None;
        }
        let vstart = skip_ws(b, colon + 1);
        let vend = value_end(b, vstart)?;
        if vend == vstart {
            return None;
        }
        self.i = vend;
        self.first = false;
        Some(Member {
            key,
            value: vstart..vend,
        })
    }
}

impl Iterator for Members<'_> {
    type Item = Member;

    fn next(&mut self) -> Option<Member> {
        if self.done {
            return None;
        }
        let m = self.step();
        if m.is_none() {
            self.done = true;
        }
        m
    }
}

/// The members of the top-level object of `b`, if `b` starts (after whitespace) with `{`.
pub fn top_members(b: &[u8]) -> Option<Members<'_>> {
    let open = skip_ws(b, 0);
    (b.get(open) == Some(&b'{')).then(|| Members::new(b, open))
}

/// Appends `s` as Python's `repr` of a `str` writes it (for LiteLLM's messages that print
/// Python values).
pub fn py_repr_str(s: &str, out: &mut String) {
    value::py_repr_string(s, out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// [`string_end`] as it was before the word-at-a-time scan: memchr over the whole rest.
    fn string_end_memchr(b: &[u8], i: usize) -> Option<usize> {
        let mut j = i + 1;
        loop {
            let k = j + memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
            if b[k] == b'"' {
                return Some(k + 1);
            }
            j = k + 2;
        }
    }

    /// Random bytes weighted towards what moves the scanners (quotes, backslashes, brackets),
    /// with non-ASCII bytes whose high bits could fool a careless word-at-a-time test.
    fn noise(rng: &mut fastrand::Rng, len: usize) -> Vec<u8> {
        const ALPHABET: &[u8] =
            b"\"\\{}[],: \t\n\rab0123456789.-etrunlfx\x00\x01\x7f\x80\xa2\xdc\xe2\xff";
        (0..len)
            .map(|_| match rng.u8(..4) {
                0 => rng.u8(..),
                _ => ALPHABET[rng.usize(..ALPHABET.len())],
            })
            .collect()
    }

    #[test]
    fn string_end_matches_the_memchr_scan() {
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..20_000 {
            // Sparse quotes and backslashes too, so scans cross the word and memchr boundaries.
            let len = rng.usize(..120);
            let mut b = noise(&mut rng, len);
            if round % 2 == 0 {
                for c in b.iter_mut() {
                    if matches!(*c, b'"' | b'\\') && rng.u8(..8) != 0 {
                        *c = b'a';
                    }
                }
            }
            for i in 0..=b.len() {
                assert_eq!(
                    string_end(&b, i),
                    string_end_memchr(&b, i),
                    "{i} {:?}",
                    String::from_utf8_lossy(&b)
                );
            }
        }
    }

    #[test]
    fn string_end_at_word_and_scan_boundaries() {
        for len in 0..80 {
            for at in 0..len {
                for special in [b'"', b'\\'] {
                    let mut b = vec![b'x'; len];
                    b[at] = special;
                    for i in 0..=len {
                        assert_eq!(
                            string_end(&b, i),
                            string_end_memchr(&b, i),
                            "{len} {at} {i}"
                        );
                    }
                }
            }
        }
        assert_eq!(string_end(br#""abc""#, 0), Some(5));
        assert_eq!(string_end(br#""a\"b" "#, 0), Some(6));
        assert_eq!(string_end(br#""a\\"b"#, 0), Some(5));
        assert_eq!(string_end(br#""abc\"#, 0), None);
    }
}
