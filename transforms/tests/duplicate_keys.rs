//! A body must mean to the upstream what it meant to the gateway: keys are compared after
//! unescaping, and a repeated (or case-variant) key the gateway reads or rewrites is refused.
//! Table tests pin the attacks; a seeded generator of hostile-but-valid bodies checks the
//! property of `agree::check` on 40k bodies, since the fuzz target does not run in CI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agree;
mod bodies;

use agree::Verdict;
use bodies::{damage, Gen};
use corelane_transforms::json::tape::Scratch;
use corelane_transforms::{inspect, require, splice, Endpoint, Key, Presence, RequestError};
use fastrand::Rng;

fn refused(body: &str) -> RequestError {
    inspect(body.as_bytes(), &mut Scratch::new()).unwrap_err()
}

/// The routed model is served: a second, escaped `model` would be the one the upstream reads.
#[test]
fn escaped_repeat_of_model_is_refused() {
    let body =
        r#"{"model":"cheap","messages":[{"role":"user","content":"hi"}],"mod\u0065l":"expensive"}"#;
    assert_eq!(refused(body), RequestError::DuplicateKey(Key::Model));
    assert_eq!(agree::check(body.as_bytes()), Verdict::RefusedByInspect);
}

/// The gateway expects one JSON body; an escaped second `stream` would make the upstream stream.
#[test]
fn escaped_repeat_of_stream_is_refused() {
    let body = r#"{"model":"m","messages":[],"stream":false,"str\u0065am":true}"#;
    assert_eq!(refused(body), RequestError::DuplicateKey(Key::Stream));
}

#[test]
fn every_read_key_is_refused_when_repeated_in_any_spelling() {
    let cases: &[(&str, Key)] = &[
        (r#"{"model":"a","model":"b"}"#, Key::Model),
        (
            r#"{"\u006d\u006f\u0064\u0065\u006c":"a","model":"b"}"#,
            Key::Model,
        ),
        (r#"{"model":"a", "m\u006Fdel" : "b"}"#, Key::Model),
        (r#"{"stream":true,"stream":true}"#, Key::Stream),
        (
            r#"{"stream_options":{},"stream\u005foptions":null}"#,
            Key::StreamOptions,
        ),
        (r#"{"user":"a","\u0075ser":"b"}"#, Key::User),
        (
            r#"{"metadata":{"tags":["a"]},"metad\u0061ta":{}}"#,
            Key::Metadata,
        ),
        (
            r#"{"fallbacks":["a"],"fallback\u0073":["b"]}"#,
            Key::Fallbacks,
        ),
        (
            r#"{"stream_options":{"include_usage":false,"include\u005fusage":true}}"#,
            Key::IncludeUsage,
        ),
    ];
    for &(body, key) in cases {
        assert_eq!(refused(body), RequestError::DuplicateKey(key), "{body}");
    }
}

/// Go's encoding/json (Ollama), ASP.NET and Jackson can match keys ignoring case, with the
/// non-ASCII letters that case-map to ASCII (U+212A, U+017F, U+0130, U+0131).
#[test]
fn case_variants_of_read_keys_are_refused() {
    let cases: &[(&str, Key)] = &[
        (r#"{"model":"cheap","Model":"expensive"}"#, Key::Model),
        (r#"{"MODEL":"expensive"}"#, Key::Model),
        (r#"{"stream":false,"\u017ftream":true}"#, Key::Stream),
        (r#"{"stream":false,"ſtream":true}"#, Key::Stream),
        (r#"{"fallbac\u212as":[]}"#, Key::Fallbacks),
        (
            r#"{"stream_options":{"Include_Usage":true}}"#,
            Key::IncludeUsage,
        ),
        (
            r#"{"stream_options":{"\u0131nclude_usage":true}}"#,
            Key::IncludeUsage,
        ),
    ];
    for &(body, key) in cases {
        assert_eq!(refused(body), RequestError::CaseVariantKey(key), "{body}");
    }
}

#[test]
fn keys_that_merely_look_alike_are_other_keys() {
    let body = r#"{"model":"m","models":1,"mode":2,"model ":3,"mod\u00e9l":4,"mod\ud83d\ude00el":5,"model\u0000":6,"metadata":{"model":"x","model":"y"},"messages":[{"model":"z"}]}"#;
    let fields = inspect(body.as_bytes(), &mut Scratch::new()).unwrap();
    assert_eq!(fields.model.as_deref(), Some("m"));
    assert_eq!(agree::check(body.as_bytes()), Verdict::Accepted);
}

/// With one `model` however spelled, splice replaces that member's value.
#[test]
fn splice_replaces_an_escaped_model_and_include_usage() {
    let body = r#"{"mod\u0065l":"cheap","stream":true,"stream_options":{"x":1,"include\u005fusage":false}}"#;
    let fields = inspect(body.as_bytes(), &mut Scratch::new()).unwrap();
    assert_eq!(fields.model.as_deref(), Some("cheap"));
    assert_eq!(fields.include_usage, Some(false));
    let mut out = Vec::new();
    splice(body.as_bytes(), &fields, "NEW", true, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"mod\u0065l":"NEW","stream":true,"stream_options":{"x":1,"include\u005fusage":true}}"#
    );
    assert_eq!(agree::check(body.as_bytes()), Verdict::Accepted);
}

#[test]
fn messages_prompt_and_input_are_read_last_one_wins() {
    let fields = inspect(
        br#"{"messages":[],"m\u0065ssages":null,"prompt":null,"input":"x","input":[1]}"#,
        &mut Scratch::new(),
    )
    .unwrap();
    assert_eq!(fields.messages, Presence::Null);
    assert_eq!(fields.prompt, Presence::Null);
    assert_eq!(fields.input, Presence::Value);
}

/// LiteLLM proxy/route_llm_request.py `raise_if_required_body_param_missing`: chat needs a
/// non-null `messages`, embeddings a non-null `input`, completions a `prompt` key (null passes).
#[test]
fn require_matches_litellm() {
    use Endpoint::{ChatCompletions as Chat, Completions, Embeddings};
    let table: &[(&str, Endpoint, Result<(), RequestError>)] = &[
        (r#"{"model":"m","messages":[]}"#, Chat, Ok(())),
        (r#"{"model":"m","messages":"hi"}"#, Chat, Ok(())),
        (
            r#"{"model":"m"}"#,
            Chat,
            Err(RequestError::MissingParam(Chat)),
        ),
        (
            r#"{"model":"m","messages":null}"#,
            Chat,
            Err(RequestError::MissingParam(Chat)),
        ),
        (
            r#"{"model":"m","Messages":[]}"#,
            Chat,
            Err(RequestError::MissingParam(Chat)),
        ),
        (r#"{"model":"m","prompt":"p"}"#, Completions, Ok(())),
        (r#"{"model":"m","prompt":null}"#, Completions, Ok(())),
        (
            r#"{"model":"m"}"#,
            Completions,
            Err(RequestError::MissingParam(Completions)),
        ),
        (r#"{"model":"m","input":["a"]}"#, Embeddings, Ok(())),
        (
            r#"{"model":"m","input":null}"#,
            Embeddings,
            Err(RequestError::MissingParam(Embeddings)),
        ),
        (
            r#"{"model":"m","prompt":"p"}"#,
            Embeddings,
            Err(RequestError::MissingParam(Embeddings)),
        ),
    ];
    for (body, endpoint, want) in table {
        let fields = inspect(body.as_bytes(), &mut Scratch::new()).unwrap();
        assert_eq!(require(*endpoint, &fields), *want, "{body} on {endpoint:?}");
    }
    let e = RequestError::MissingParam(Chat);
    assert_eq!(
        (e.prefix(), e.message(), e.param()),
        (
            "",
            "/chat/completions: Missing required parameter: 'messages'.",
            "messages"
        )
    );
}

#[test]
fn messages_name_the_key_and_carry_no_payload_prefix_twice() {
    let e = RequestError::DuplicateKey(Key::Model);
    assert_eq!(
        e.message(),
        "Duplicate key 'model' in request body: each field the gateway reads must appear once"
    );
    assert_eq!((e.prefix(), e.param()), ("", "model"));
    let e = RequestError::DuplicateKey(Key::IncludeUsage);
    assert!(e.message().contains("'stream_options.include_usage'"));
    assert_eq!(e.param(), "stream_options.include_usage");
    for e in [RequestError::InvalidJson, RequestError::NotAnObject] {
        assert_eq!(
            (e.prefix(), e.param()),
            ("Invalid JSON payload: ", "request_body")
        );
        assert!(!e.message().contains("Invalid JSON payload"));
    }
    // LiteLLM's exact text for a non-object body.
    let e = RequestError::NotAnObject;
    assert_eq!(
        format!("{}{}", e.prefix(), e.message()),
        "Invalid JSON payload: expected an object"
    );
}

/// serde_json refuses these; so must inspect (simd-json agrees on each).
#[test]
fn what_serde_json_refuses_inspect_refuses() {
    for body in [
        r#"{"model":"\ud800"}"#,
        r#"{"model":"\udc00x"}"#,
        r#"{"mod\ud800el":"x"}"#,
        r#"{"a":1e400}"#,
        r#"{"a":-1e400}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":"\x"}"#,
        "{\"a\":\"\u{1}\"}",
        "\u{feff}{}",
        "{} {}",
        "{}\0",
        "",
    ] {
        assert_ne!(agree::check(body.as_bytes()), Verdict::Accepted, "{body:?}");
    }
    assert_eq!(agree::check(b"{\"a\":\"\xff\"}"), Verdict::RefusedByBoth);
}

/// The committed fuzz seeds keep the property too.
#[test]
fn fuzz_seeds_agree_with_serde_json() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/inspect");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        agree::check(&std::fs::read(entry.unwrap().path()).unwrap());
        seen += 1;
    }
    assert!(seen >= 14, "fuzz seeds went missing: {seen}");
}

/// 40k generated bodies agree with serde_json.
#[test]
fn generated_bodies_agree_with_serde_json() {
    let mut rng = Rng::with_seed(0x5eed_c0de_1a7e_0001);
    let mut counts = [0usize; 4];
    let mut body = String::new();
    for round in 0..40_000 {
        body.clear();
        Gen { rng: &mut rng }.body(&mut body);
        let mut bytes = body.clone().into_bytes();
        if round % 8 == 0 {
            damage(&mut rng, &mut bytes);
        }
        let verdict = agree::check(&bytes);
        counts[verdict as usize] += 1;
    }
    let [accepted, refused, invalid, _] = counts;
    // The generator must exercise each outcome, or the property says little.
    assert!(accepted > 10_000, "{counts:?}");
    assert!(refused > 5_000, "{counts:?}");
    assert!(invalid > 1_000, "{counts:?}");
}
