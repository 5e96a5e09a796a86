//! Chat completion chunks bridged to the Responses API's events: arbitrary bytes, split into
//! chunks at newlines, never panic the translator, and every event it writes is one `data:`
//! line of JSON (or `[DONE]`), after at most an `event:` line (the failure event).
#![no_main]

use corelane_transforms::family::Origin;
use corelane_transforms::responses::bridge_stream::ResponsesFromChat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let origin = Origin {
        provider: "groq",
        model_id: Some("dep-1"),
        prices: None,
        echo: None,
        provider_model: Some("m1"),
    };
    let mut s = ResponsesFromChat::new(&origin, br#"{"instructions":"x"}"#, "u1", "fuzz", 1);
    let mut out = Vec::new();
    let mut failed = false;
    for chunk in data.split(|&b| b == b'\n') {
        if s.event(chunk, &mut out).is_err() {
            failed = true;
            break;
        }
    }
    if failed {
        s.failure(500, "fuzz", ("resp_fuzz", 1), &mut out);
    } else {
        s.end(&mut out);
    }
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Some(payload) = line.strip_prefix(b"data: ") {
            if payload != b"[DONE]" {
                serde_json::from_slice::<serde::de::IgnoredAny>(payload).expect("payload is JSON");
            }
        } else {
            assert!(line.starts_with(b"event: "), "{}", String::from_utf8_lossy(line));
        }
    }
});
