//! Every top-level `model` of a response body or stream chunk carries the group name, in every
//! spelling a client's parser reads as `model` (repeated, escaped, another letter case): a
//! parser keeps the last of repeated keys (some the first), so one left alone shows the client
//! the provider's model id. Each row goes through the chunk rewrite (twice: it is idempotent),
//! the one-shot rewrite and the streaming rewriter at every split.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use corelane_transforms::{rewrite_chunk, rewrite_complete, ModelRewriter};

const GROUP: &str = "group";

/// (what the row pins, upstream body, what the client gets).
const ROWS: &[(&str, &str, &str)] = &[
    (
        "repeated",
        r#"{"model":"p1","choices":[],"model":"p2"}"#,
        r#"{"model":"group","choices":[],"model":"group"}"#,
    ),
    (
        "escaped repeat",
        r#"{"model":"p1","choices":[],"mod\u0065l":"p2"}"#,
        r#"{"model":"group","choices":[],"mod\u0065l":"group"}"#,
    ),
    (
        "every letter escaped",
        r#"{"id":"c","\u006d\u006f\u0064\u0065\u006c":"p1"}"#,
        r#"{"id":"c","\u006d\u006f\u0064\u0065\u006c":"group"}"#,
    ),
    (
        "case variants, read as model by Go's encoding/json",
        r#"{"Model":"p1","model":"p2","MOD\u0045L":"p3"}"#,
        r#"{"Model":"group","model":"group","MOD\u0045L":"group"}"#,
    ),
    (
        "nested models and quoted text untouched",
        r#"{"model":"p1","choices":[{"model":"inner","delta":{"content":"\"model\":\"x\""}}],"model":"p2"}"#,
        r#"{"model":"group","choices":[{"model":"inner","delta":{"content":"\"model\":\"x\""}}],"model":"group"}"#,
    ),
    (
        "content starting with m: the chunk walk goes on past the first model",
        r#"{"model":"p1","choices":[{"delta":{"content":"my"}}],"model":"p2"}"#,
        r#"{"model":"group","choices":[{"delta":{"content":"my"}}],"model":"group"}"#,
    ),
    (
        "usage chunk (full walk)",
        r#"{"model":"p1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"model":"p2"}"#,
        r#"{"model":"group","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"model":"group"}"#,
    ),
    (
        "a model named usage (fuzz crash 977a1d79)",
        r#"{"model":"p1","choices":[],"model":"usage"}"#,
        r#"{"model":"group","choices":[],"model":"group"}"#,
    ),
    (
        "non-string repeat kept",
        r#"{"model":"p1","model":null}"#,
        r#"{"model":"group","model":null}"#,
    ),
    (
        "look-alike keys kept",
        r#"{"models":"p1","mode":"p2","mod\"l":"p3","mode\u006c2":"p4","modél":"p5","model":"p6"}"#,
        r#"{"models":"p1","mode":"p2","mod\"l":"p3","mode\u006c2":"p4","modél":"p5","model":"group"}"#,
    ),
    (
        "whitespace",
        "{ \"model\" : \"p1\" ,\n \"mod\\u0065l\"\t:\"p2\" }",
        "{ \"model\" : \"group\" ,\n \"mod\\u0065l\"\t:\"group\" }",
    ),
    (
        "escapes in the values",
        r#"{"model":"p\"1","model":"p\\2"}"#,
        r#"{"model":"group","model":"group"}"#,
    ),
    (
        "trailing bytes after the object",
        r#"{"model":"p1","model":"p2"}garbage"#,
        r#"{"model":"group","model":"group"}garbage"#,
    ),
    (
        "truncated object",
        r#"{"model":"p1","usage":null,"model":"p2","#,
        r#"{"model":"group","usage":null,"model":"group","#,
    ),
];

#[test]
fn every_top_level_model_spelling_gets_the_group_name() {
    let bump = bumpalo::Bump::new();
    for &(row, body, want) in ROWS {
        let once = rewrite_chunk(body.as_bytes(), GROUP, &bump).data;
        assert_eq!(String::from_utf8_lossy(once), want, "chunk: {row}");
        let twice = rewrite_chunk(once, GROUP, &bump).data;
        assert_eq!(twice, once, "chunk, rewritten again: {row}");

        let mut whole = Vec::new();
        rewrite_complete(body.as_bytes(), GROUP, &mut whole);
        assert_eq!(String::from_utf8_lossy(&whole), want, "complete: {row}");

        for cut in 0..=body.len() {
            let mut r = ModelRewriter::new(GROUP);
            let mut out = Vec::new();
            r.feed(&body.as_bytes()[..cut], &mut out);
            r.feed(&body.as_bytes()[cut..], &mut out);
            r.finish(&mut out);
            assert_eq!(
                String::from_utf8_lossy(&out),
                want,
                "streamed, cut {cut}: {row}"
            );
        }

        // What a client sees: serde_json keeps the last of repeated keys, as Python's json,
        // JSON.parse and Go's encoding/json do.
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(want) {
            for (key, value) in v.as_object().unwrap() {
                if key.eq_ignore_ascii_case("model") && value.is_string() {
                    assert_eq!(value, GROUP, "{row}: {key}");
                }
            }
        }
    }
}

/// The fuzz input that found the bug (two top-level models, invalid UTF-8, trailing bytes),
/// also the chunk target's seed `seed-duplicate-model`.
#[test]
fn fuzz_crash_977a1d79_is_idempotent() {
    let data = include_bytes!("../fuzz/corpus/chunk/seed-duplicate-model");
    let bump = bumpalo::Bump::new();
    let once = rewrite_chunk(data, "fuzz", &bump);
    let twice = rewrite_chunk(once.data, "fuzz", &bump);
    assert_eq!(once.data, twice.data);
    let needle = br#""model":"fuzz""#;
    let rewritten = once
        .data
        .windows(needle.len())
        .filter(|w| w == needle)
        .count();
    assert_eq!(rewritten, 2);
}
