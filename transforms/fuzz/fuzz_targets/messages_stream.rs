//! Chat completion stream chunks bridged to Anthropic's Messages events: arbitrary bytes, split
//! into events at newlines, never panic the translator, and every event it writes is
//! `event: NAME` then `data:` with one JSON value.
#![no_main]

use corelane_transforms::messages::MessagesFromChat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut s = MessagesFromChat::new("msg_fuzz", "fuzz");
    let mut out = Vec::new();
    for event in data.split(|&b| b == b'\n') {
        if s.event(event, &mut out).is_err() {
            break;
        }
    }
    s.end(&mut out);
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Some(payload) = line.strip_prefix(b"data: ") {
            serde_json::from_slice::<serde_json::Value>(payload).expect("payload is JSON");
        } else {
            assert!(line.starts_with(b"event: "), "{}", String::from_utf8_lossy(line));
        }
    }
});
