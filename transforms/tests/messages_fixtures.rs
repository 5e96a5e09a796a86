//! Golden fixtures under tests/fixtures/messages/<case>/ for `/v1/messages` in front of an
//! OpenAI-format provider, captured from LiteLLM 1.108.7's proxy (each README says how):
//! `anthropic_request.json` → `openai_request.json` (compared as JSON values),
//! `openai_response.json` → `anthropic_response.json` (as JSON values), and
//! `openai_stream.sse` → `anthropic_stream.sse` (byte for byte). A new folder needs no code
//! edit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture_dirs;

use std::fs;

use corelane_transforms::messages::{to_chat_request, to_message, MessagesFromChat};

fn value(bytes: &[u8], what: &str) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{what}: {e}\n{}", String::from_utf8_lossy(bytes)))
}

#[test]
fn every_messages_fixture_matches() {
    let (mut requests, mut responses, mut streams) = (0, 0, 0);
    for dir in fixture_dirs::cases("messages") {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let a = fixture_dirs::args(&dir);
        assert!(dir.join("README").exists(), "{name}: README missing");
        if let Ok(body) = fs::read(dir.join("anthropic_request.json")) {
            let mut out = Vec::new();
            to_chat_request(&body, &a["model"], &mut out)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let want = fs::read(dir.join("openai_request.json")).unwrap();
            assert_eq!(value(&out, &name), value(&want, &name), "{name}");
            requests += 1;
        }
        if let Ok(body) = fs::read(dir.join("openai_response.json")) {
            let mut out = Vec::new();
            let usage = to_message(&body, &a["model"], &mut out)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let want = value(
                &fs::read(dir.join("anthropic_response.json")).unwrap(),
                &name,
            );
            assert_eq!(value(&out, &name), want, "{name}");
            let answer: serde_json::Value = value(&body, &name);
            assert_eq!(
                usage.prompt_tokens,
                answer["usage"]["prompt_tokens"].as_u64().unwrap(),
                "{name}"
            );
            responses += 1;
        }
        if let Ok(input) = fs::read(dir.join("openai_stream.sse")) {
            let mut s = MessagesFromChat::new(&a["id"], &a["model"]);
            let mut out = Vec::new();
            let mut usage = None;
            for line in input.split(|&b| b == b'\n') {
                if let Some(data) = line.strip_prefix(b"data: ") {
                    if let Some(u) = s.event(data, &mut out).unwrap() {
                        usage = Some(u);
                    }
                }
            }
            if let Some(u) = s.end(&mut out) {
                usage = Some(u);
            }
            let want = fs::read(dir.join("anthropic_stream.sse")).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want),
                "{name}"
            );
            assert!(usage.is_some_and(|u| u.total_tokens > 0), "{name}");
            streams += 1;
        }
    }
    assert!(
        requests >= 3 && responses >= 4 && streams >= 4,
        "{requests} {responses} {streams}"
    );
}

/// Mutated fixture inputs never panic the translators, and what they write is JSON (whole
/// answers and requests) or events whose data is JSON (streams).
#[test]
fn mutated_inputs_never_panic() {
    let mut rng = fastrand::Rng::with_seed(5);
    for dir in fixture_dirs::cases("messages") {
        for name in [
            "anthropic_request.json",
            "openai_response.json",
            "openai_stream.sse",
        ] {
            let Ok(seed) = fs::read(dir.join(name)) else {
                continue;
            };
            for _ in 0..300 {
                let b = fixture_dirs::mutate(&mut rng, &seed, 5);
                let mut out = Vec::new();
                match name {
                    "anthropic_request.json" => {
                        if serde_json::from_slice::<serde_json::Value>(&b).is_ok()
                            && to_chat_request(&b, "m", &mut out).is_ok()
                        {
                            value(&out, "request");
                        }
                    }
                    "openai_response.json" => {
                        if to_message(&b, "m", &mut out).is_ok() {
                            value(&out, "response");
                        }
                    }
                    _ => {
                        let mut s = MessagesFromChat::new("msg_x", "m");
                        for line in b.split(|&c| c == b'\n') {
                            if let Some(data) = line.strip_prefix(b"data: ") {
                                if s.event(data, &mut out).is_err() {
                                    break;
                                }
                            }
                        }
                        s.end(&mut out);
                        for line in out.split(|&c| c == b'\n') {
                            if let Some(data) = line.strip_prefix(b"data: ") {
                                value(data, "stream event");
                            }
                        }
                    }
                }
            }
        }
    }
}
