//! Gemini stream events (`streamGenerateContent?alt=sse` data lines): arbitrary bytes, split
//! into events at newlines, never panic the translator to chat chunks, where every event it
//! writes carries one JSON value (or `[DONE]`), nor the chained translator to Messages events
//! (`/v1/messages` to Gemini), where every event is `event: NAME` then `data:` with one JSON
//! value.
#![no_main]

use bumpalo::Bump;
use corelane_transforms::family::{stream_translator, Origin};
use corelane_transforms::gemini::ChatStream;
use corelane_transforms::provider::{find, Endpoint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut s = ChatStream::new("gemini", "chatcmpl-fuzz", 1, "fuzz");
    let mut out = Vec::new();
    for event in data.split(|&b| b == b'\n') {
        if s.event(event, &mut out).is_err() {
            break;
        }
    }
    s.end(true, &mut out);
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let payload = line.strip_prefix(b"data: ").expect("every line is a data line");
        if payload != b"[DONE]" {
            serde_json::from_slice::<serde_json::Value>(payload).expect("payload is JSON");
        }
    }

    let arena = Bump::new();
    let row = find("gemini").expect("the gemini row");
    let origin = Origin {
        provider: row.name,
        model_id: None,
        prices: None,
        echo: None,
        provider_model: None,
    };
    let mut t = stream_translator(
        row,
        Endpoint::Messages,
        "fuzz",
        || ("msg_fuzz".to_owned(), 1),
        &origin,
    );
    let mut out = Vec::new();
    for event in data.split(|&b| b == b'\n') {
        if t.event(b"", event, "fuzz", false, &arena, &mut out).is_err() {
            break;
        }
    }
    t.end(false, &mut out);
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Some(payload) = line.strip_prefix(b"data: ") {
            serde_json::from_slice::<serde_json::Value>(payload).expect("payload is JSON");
        } else {
            assert!(line.starts_with(b"event: "), "{}", String::from_utf8_lossy(line));
        }
    }
});
