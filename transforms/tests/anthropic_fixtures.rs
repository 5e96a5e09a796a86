//! Golden fixtures under tests/fixtures/anthropic/<case>/: `openai_request.json` +
//! `anthropic_request.json` exercise the request transform, `anthropic_response.json` +
//! `openai_response.json` the response transform; `args` holds `key=value` lines. Outputs are
//! compared as JSON values. A new folder needs no code edit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture_dirs;

use std::fs;
use std::path::Path;

use corelane_transforms::anthropic;
use corelane_transforms::json::tape::Scratch;

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
                let mut b = seed.clone();
                for _ in 0..rng.usize(1..4) {
                    let i = rng.usize(..b.len());
                    match rng.u8(..3) {
                        0 => b[i] = rng.u8(..),
                        1 => {
                            b.remove(i);
                        }
                        _ => b.insert(i, *b"{}[]\",:0ae\\".get(rng.usize(..11)).unwrap()),
                    }
                }
                let mut out = Vec::new();
                let _ = anthropic::transform_request(&b, "m", &mut scratch, &mut out);
                let _ = anthropic::transform_response(&b, "id", 1, "m", &mut out);
            }
        }
    }
}
