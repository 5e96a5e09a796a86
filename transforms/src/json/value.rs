//! Reading values out of a validated JSON document by byte range: members by (unescaped) key,
//! array elements, strings, and Python's `json.dumps` rendering of a value (the form LiteLLM
//! writes tool arguments and stream events in). Used by the translating transforms, which read
//! a body simd-json has validated and copy raw sub-values verbatim.

use std::ops::Range;

use super::{skip_ws, top_members, unescape, value_end};

/// The value of the last member named `key` (keys compared unescaped): duplicate keys resolve
/// to the last one, as Python's `json.loads` does. `obj` must be a validated object's bytes.
pub(crate) fn get<'b>(obj: &'b [u8], key: &str) -> Option<&'b [u8]> {
    let mut found = None;
    for m in top_members(obj)? {
        if key_is(obj, &m.key, key) {
            found = Some(&obj[m.value]);
        }
    }
    found
}

/// The values of `keys` in the object `obj`, read in one walk of its members (the last of
/// repeated keys wins, as [`get`]); `None` where absent or when `obj` is not an object.
pub(crate) fn fields<'b, const N: usize>(obj: &'b [u8], keys: [&str; N]) -> [Option<&'b [u8]>; N] {
    let mut found = [None; N];
    for m in top_members(obj).into_iter().flatten() {
        if let Some(i) = keys.iter().position(|k| key_is(obj, &m.key, k)) {
            found[i] = Some(&obj[m.value]);
        }
    }
    found
}

/// A provider answer's body as a validated JSON object (leading whitespace skipped), or what
/// it is instead (`"not JSON"`, `"not an object"`), for the translating response transforms.
pub(crate) fn answer_object(body: &[u8]) -> Result<&[u8], &'static str> {
    // serde_json skips an ignored string's bytes without checking them: the translations copy
    // strings as they came, so the UTF-8 is checked here, whole.
    if std::str::from_utf8(body).is_err()
        || serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err()
    {
        return Err("not JSON");
    }
    let body = &body[skip_ws(body, 0)..];
    if is_object(body) {
        Ok(body)
    } else {
        Err("not an object")
    }
}

/// [`answer_object`] validated by the streaming [`Validator`](super::validate::Validator),
/// which checks the UTF-8 of every string and reads what simd-json reads (no integer past 64
/// bits, no number past a double's range), for translations that copy values as they came into
/// what the client parses.
pub(crate) fn strict_object(body: &[u8]) -> Result<&[u8], &'static str> {
    if !super::validate::is_json(body) {
        return Err("not JSON");
    }
    answer_object(body)
}

/// Whether `v` is an empty JSON array (`[]`, whitespace allowed inside).
pub fn is_empty_array(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    v.first() == Some(&b'[') && skip_ws(v, 1) + 1 == v.len() && v.last() == Some(&b']')
}

/// `v` when it is a JSON string token (quotes included): valid JSON to copy as it came.
pub(crate) fn raw_string(v: &[u8]) -> Option<&[u8]> {
    (v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"').then_some(v)
}

pub(crate) fn key_is(obj: &[u8], key: &Range<usize>, want: &str) -> bool {
    let raw = &obj[key.clone()];
    if raw.contains(&b'\\') {
        unescape(raw).is_some_and(|k| k == want)
    } else {
        raw == want.as_bytes()
    }
}

/// The unescaped key of a member.
pub(crate) fn key_of(obj: &[u8], key: &Range<usize>) -> Option<String> {
    unescape(&obj[key.clone()])
}

/// The elements of the array `arr`, or `None` when it is not an array.
pub(crate) fn elements(arr: &[u8]) -> Option<Vec<&[u8]>> {
    let mut i = skip_ws(arr, 0);
    if arr.get(i) != Some(&b'[') {
        return None;
    }
    let mut out = Vec::new();
    i = skip_ws(arr, i + 1);
    if arr.get(i) == Some(&b']') {
        return Some(out);
    }
    loop {
        let end = value_end(arr, i)?;
        out.push(&arr[i..end]);
        i = skip_ws(arr, end);
        match arr.get(i)? {
            b',' => i = skip_ws(arr, i + 1),
            b']' => return Some(out),
            _ => return None,
        }
    }
}

/// The unescaped string, or `None` when `v` is not a JSON string.
pub(crate) fn string(v: &[u8]) -> Option<String> {
    if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' {
        unescape(&v[1..v.len() - 1])
    } else {
        None
    }
}

pub(crate) fn is_object(v: &[u8]) -> bool {
    v.first() == Some(&b'{')
}

pub(crate) fn is_null(v: Option<&[u8]>) -> bool {
    v.is_none_or(|v| v == b"null")
}

/// Python's `json.dumps` of a validated JSON value (`", "` and `": "` separators); with
/// `ascii` (Python's default `ensure_ascii`) everything outside printable ASCII is escaped as
/// `\uXXXX`, else only control characters are. Numbers are copied as written (Python would
/// print `1e5` as `100000.0`).
fn py_dumps(v: &[u8], ascii: bool, out: &mut Vec<u8>) {
    match v.first() {
        Some(b'{') => {
            out.push(b'{');
            for (n, m) in top_members(v).into_iter().flatten().enumerate() {
                if n > 0 {
                    out.extend_from_slice(b", ");
                }
                py_str(&unescape(&v[m.key]).unwrap_or_default(), ascii, out);
                out.extend_from_slice(b": ");
                py_dumps(&v[m.value], ascii, out);
            }
            out.push(b'}');
        }
        Some(b'[') => {
            out.push(b'[');
            for (n, e) in elements(v).unwrap_or_default().into_iter().enumerate() {
                if n > 0 {
                    out.extend_from_slice(b", ");
                }
                py_dumps(e, ascii, out);
            }
            out.push(b']');
        }
        Some(b'"') => py_str(&string(v).unwrap_or_default(), ascii, out),
        _ => out.extend_from_slice(std::str::from_utf8(v).map_or(b"null", str::as_bytes)),
    }
}

/// Python's `json.dumps` of `v` (default separators, `ensure_ascii`), as bytes.
pub(crate) fn py_dumps_ascii(v: &[u8], out: &mut Vec<u8>) {
    py_dumps(v, true, out);
}

/// A JSON string whose text is `json.dumps` of `v`, as LiteLLM writes tool call `arguments`.
pub(crate) fn write_py_dumps_string(v: &[u8], out: &mut Vec<u8>) {
    write_dumped(v, true, out);
}

/// As [`write_py_dumps_string`] with `ensure_ascii=False` (non-ASCII text as it is).
pub(crate) fn write_py_dumps_string_unicode(v: &[u8], out: &mut Vec<u8>) {
    write_dumped(v, false, out);
}

fn write_dumped(v: &[u8], ascii: bool, out: &mut Vec<u8>) {
    let mut dumped = Vec::with_capacity(v.len() + 16);
    py_dumps(v, ascii, &mut dumped);
    // No control characters are left: only the quote and the backslash need escaping.
    out.push(b'"');
    for &b in &dumped {
        if matches!(b, b'"' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Python's `str()` of a validated JSON value as `json.loads` reads it (`repr` of dicts,
/// lists, strings, `True`, `False`, `None`), as LiteLLM's token counter counts a dict's text.
/// Numbers are copied as written.
pub(crate) fn py_repr(v: &[u8], out: &mut String) {
    match v.first() {
        Some(b'{') => {
            out.push('{');
            for (n, m) in top_members(v).into_iter().flatten().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                py_repr_string(&unescape(&v[m.key]).unwrap_or_default(), out);
                out.push_str(": ");
                py_repr(&v[m.value], out);
            }
            out.push('}');
        }
        Some(b'[') => {
            out.push('[');
            for (n, e) in elements(v).unwrap_or_default().into_iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                py_repr(e, out);
            }
            out.push(']');
        }
        Some(b'"') => py_repr_string(&string(v).unwrap_or_default(), out),
        _ => out.push_str(match v {
            b"true" => "True",
            b"false" => "False",
            b"null" => "None",
            n => std::str::from_utf8(n).unwrap_or("None"),
        }),
    }
}

/// Python's `repr` of a string: single quotes unless it holds a single quote and no double
/// one; backslashes and quotes escaped, control characters as `\n`, `\xNN`, `\uNNNN`
/// (LiteLLM's messages quote texts so).
pub(crate) fn py_repr_string(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// A string as Python's `json.dumps` writes it (ASCII only).
pub(crate) fn py_string(s: &str, out: &mut Vec<u8>) {
    py_str(s, true, out);
}

fn py_str(s: &str, ascii: bool, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for c in s.chars() {
        let short: &[u8] = match c {
            '"' => b"\\\"",
            '\\' => b"\\\\",
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            '\u{8}' => b"\\b",
            '\u{c}' => b"\\f",
            c if (c as u32) < 0x20 || (ascii && (c as u32) > 0x7f) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.extend_from_slice(b"\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX[usize::from((*u >> shift) & 0xf)]);
                    }
                }
                continue;
            }
            c => {
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                continue;
            }
        };
        out.extend_from_slice(short);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_answer_must_be_utf8_json() {
        assert!(super::answer_object(b"{\"a\":\"\xff\"}").is_err());
        assert!(super::answer_object(b" {\"a\":\"\xc3\xa9\"}").is_ok());
        assert!(super::answer_object(b"[1]").is_err());
    }

    #[test]
    fn python_repr_of_values() {
        let mut out = String::new();
        super::py_repr(
            br#"{"a": "it's", "b": [1, 2.5, true, false, null], "c": {"d": "x\ny\u0001", "e": "say \"hi\" it's"}}"#,
            &mut out,
        );
        assert_eq!(
            out,
            r#"{'a': "it's", 'b': [1, 2.5, True, False, None], 'c': {'d': 'x\ny\x01', 'e': 'say "hi" it\'s'}}"#
        );
    }
}
