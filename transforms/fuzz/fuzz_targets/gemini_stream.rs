//! Gemini stream events (`streamGenerateContent?alt=sse` data lines): arbitrary bytes, split into events at newlines, never panic the
//! translator, and every event it writes carries one JSON value (or `[DONE]`).
#![no_main]

use corelane_transforms::gemini::ChatStream;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut s = ChatStream::new("chatcmpl-fuzz", 1, "fuzz");
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
});
