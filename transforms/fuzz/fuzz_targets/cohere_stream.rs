//! Cohere `/v2/chat` stream events: arbitrary bytes, split into events at newlines (each
//! `name` NUL `data`, or data alone, its name then taken from its `type`), never panic the
//! translator to chat chunks, and every event it writes carries one JSON value (or `[DONE]`).
#![no_main]

use corelane_transforms::cohere::ChatStream;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut s = ChatStream::new("chatcmpl-fuzz", 1, "fuzz");
    let mut out = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        let (name, event) = match line.iter().position(|&b| b == 0) {
            Some(at) => (&line[..at], &line[at + 1..]),
            None => (&b""[..], line),
        };
        if s.event(name, event, &mut out).is_err() {
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
