//! Chat completion stream chunks turned into text completion chunks (`/v1/completions` through
//! chat): arbitrary bytes, split into events at newlines, never panic the translator, and every
//! event it writes is `data:` with one JSON value (it copies values as they came, so it must
//! have validated them).
#![no_main]

use corelane_transforms::text::{TextFromChat, UsageFrom};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (from, include_usage) = match data.first().copied().unwrap_or(0) % 4 {
        0 => (UsageFrom::Provider, false),
        1 => (UsageFrom::Provider, true),
        2 => (UsageFrom::Translated, true),
        _ => (UsageFrom::Anthropic, true),
    };
    let mut s = TextFromChat::new("fuzz", from, None);
    s.include_usage = include_usage;
    let mut out = Vec::new();
    for event in data.get(1..).unwrap_or_default().split(|&b| b == b'\n') {
        if s.event(event, &mut out).is_err() {
            break;
        }
    }
    s.end(&mut out);
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let payload = line.strip_prefix(b"data: ").expect("a data line");
        if payload != b"[DONE]" {
            serde_json::from_slice::<serde_json::Value>(payload).expect("payload is JSON");
        }
    }
});
