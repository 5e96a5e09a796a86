//! A Responses API stream relayed as LiteLLM relays it: arbitrary bytes, split into events at
//! newlines, never panic the translator, and every event it writes (the failure event too) is
//! one `data:` line of JSON, or `[DONE]`, after at most an `event:` line.
#![no_main]

use corelane_transforms::responses::stream::ResponsesStream;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut s = ResponsesStream::new("openai", Some("dep-1"), None);
    let mut out = Vec::new();
    let mut failed = false;
    for event in data.split(|&b| b == b'\n') {
        if s.event(event, "fuzz", &mut out).is_err() {
            failed = true;
            break;
        }
    }
    if failed || s.unfinished().is_some() {
        s.failure(500, "fuzz", ("resp_fuzz", 1), &mut out);
    } else {
        s.end(&mut out);
    }
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Some(payload) = line.strip_prefix(b"data: ") {
            // Valid JSON (numbers are copied as the provider wrote them, of any size).
            if payload != b"[DONE]" {
                serde_json::from_slice::<serde::de::IgnoredAny>(payload).expect("payload is JSON");
            }
        } else {
            assert!(line.starts_with(b"event: "), "{}", String::from_utf8_lossy(line));
        }
    }
});
