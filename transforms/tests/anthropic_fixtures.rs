//! Golden fixtures under tests/fixtures/anthropic/<case>/: `openai_request.json` +
//! `anthropic_request.json` exercise the request transform, `anthropic_response.json` +
//! `openai_response.json` the response transform, `anthropic_stream.sse` +
//! `openai_stream.sse` the stream translation; `args` holds `key=value` lines. Whole
//! outputs are compared as JSON values, streams byte for byte (they were captured from
//! LiteLLM's proxy). A new folder needs no code edit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture_dirs;

use std::fs;
use std::path::Path;

use corelane_transforms::anthropic::{self, ChatStream};
use corelane_transforms::json::tape::Scratch;
use corelane_transforms::stream::StreamFailure;

fn json(dir: &Path, name: &str) -> serde_json::Value {
    let bytes =
        fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

fn parse_out(name: &str, out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!(
            "{name}: output not JSON: {e}\n{}",
            String::from_utf8_lossy(out)
        )
    })
}

#[test]
fn every_anthropic_fixture_matches() {
    let mut ran = 0;
    for dir in fixture_dirs::cases("anthropic") {
        let a = fixture_dirs::args(&dir);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(dir.join("README").exists(), "{name}: README missing");
        if dir.join("openai_request.json").exists() {
            let body = fs::read(dir.join("openai_request.json")).unwrap();
            let mut out = Vec::new();
            anthropic::transform_request(&body, &a["model"], &mut Scratch::new(), &mut out)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(
                parse_out(&name, &out),
                json(&dir, "anthropic_request.json"),
                "{name}"
            );
            ran += 1;
        }
        if dir.join("anthropic_response.json").exists() {
            let body = fs::read(dir.join("anthropic_response.json")).unwrap();
            let mut out = Vec::new();
            let usage = anthropic::transform_response(
                &body,
                &a["id"],
                a["created"].parse().unwrap(),
                &a["model"],
                &mut out,
            )
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let expected = json(&dir, "openai_response.json");
            assert_eq!(parse_out(&name, &out), expected, "{name}");
            let u = &expected["usage"];
            assert_eq!(
                usage.prompt_tokens,
                u["prompt_tokens"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                usage.completion_tokens,
                u["completion_tokens"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                usage.total_tokens,
                u["total_tokens"].as_u64().unwrap(),
                "{name}"
            );
            ran += 1;
        }
    }
    assert!(ran >= 5, "only {ran} fixtures ran");
}

/// The data of each event of an SSE text (events end with a blank line; one data line each).
fn event_data(sse: &[u8]) -> Vec<&[u8]> {
    sse.split(|&b| b == b'\n')
        .filter_map(|line| line.strip_prefix(b"data: "))
        .collect()
}

/// Feeds `input` through a stream translator: the client's bytes, and the failure that
/// stopped it.
fn translate_stream(
    input: &[u8],
    args: &std::collections::HashMap<String, String>,
) -> (Vec<u8>, Option<StreamFailure>) {
    let mut s = ChatStream::new(
        &args["id"],
        args["created"].parse().unwrap(),
        &args["model"],
    );
    let mut out = Vec::new();
    for data in event_data(input) {
        if let Err(e) = s.event(data, &mut out) {
            return (out, Some(e));
        }
    }
    s.end(args["include_usage"] == "true", &mut out);
    (out, None)
}

#[test]
fn every_anthropic_stream_fixture_matches() {
    let mut ran = 0;
    for dir in fixture_dirs::cases("anthropic") {
        let Ok(input) = fs::read(dir.join("anthropic_stream.sse")) else {
            continue;
        };
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let a = fixture_dirs::args(&dir);
        let (out, failure) = translate_stream(&input, &a);
        let expected = fs::read(dir.join("openai_stream.sse")).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected),
            "{name}"
        );
        let want = a
            .get("failure")
            .map(|m| StreamFailure::Provider { message: m.clone() });
        assert_eq!(failure, want, "{name}");
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} stream fixtures ran");
}

/// Arbitrary bytes as stream events (mutated fixtures, and byte soup) never panic the
/// translator, and what it writes is always a run of `data:` events with JSON payloads.
#[test]
fn mutated_stream_events_never_panic() {
    let mut rng = fastrand::Rng::with_seed(11);
    let args: std::collections::HashMap<String, String> = [
        ("id", "chatcmpl-x"),
        ("created", "1"),
        ("model", "m"),
        ("include_usage", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for dir in fixture_dirs::cases("anthropic") {
        let Ok(seed) = fs::read(dir.join("anthropic_stream.sse")) else {
            continue;
        };
        for _ in 0..300 {
            let b = fixture_dirs::mutate(&mut rng, &seed, 6);
            let (out, _) = translate_stream(&b, &args);
            for data in event_data(&out) {
                if data != b"[DONE]" {
                    serde_json::from_slice::<serde_json::Value>(data)
                        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(data)));
                }
            }
        }
    }
}

/// Mutated fixture bytes never panic either transform (they may be refused).
#[test]
fn mutated_inputs_never_panic() {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut scratch = Scratch::new();
    for dir in fixture_dirs::cases("anthropic") {
        for name in ["openai_request.json", "anthropic_response.json"] {
            let Ok(seed) = fs::read(dir.join(name)) else {
                continue;
            };
            for _ in 0..300 {
                let b = fixture_dirs::mutate(&mut rng, &seed, 4);
                let mut out = Vec::new();
                let _ = anthropic::transform_request(&b, "m", &mut scratch, &mut out);
                let _ = anthropic::transform_response(&b, "id", 1, "m", &mut out);
            }
        }
    }
}
