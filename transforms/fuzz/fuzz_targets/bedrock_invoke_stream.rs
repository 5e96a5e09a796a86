//! Bedrock Invoke streams of Claude (`/v1/messages`): each input line is one decoded Anthropic
//! event, sent to the translator base64-encoded in a `chunk` payload as Bedrock sends it (a
//! line starting with NUL is sent as the payload itself, unencoded); arbitrary bytes never
//! panic, and every event the translator writes is `event: <name>` and one JSON data line.
#![no_main]

use base64::Engine as _;
use corelane_transforms::bedrock::invoke::MessagesStream;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut stream = MessagesStream::new("fuzz");
    let mut out = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        let payload = match line.split_first() {
            Some((0, raw)) => raw.to_vec(),
            _ => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(line);
                format!("{{\"bytes\":\"{encoded}\"}}").into_bytes()
            }
        };
        if stream.event("event", "chunk", &payload, &mut out).is_err() {
            break;
        }
    }
    stream.end(&mut out);
    let text = String::from_utf8(out).expect("events are UTF-8");
    assert!(text.is_empty() || text.ends_with("\n\n"));
    for event in text.split("\n\n").filter(|e| !e.is_empty()) {
        let (name, data) = event.split_once('\n').expect("two lines");
        assert!(name.starts_with("event: "), "{name:?}");
        let data = data.strip_prefix("data: ").expect("a data line");
        // Syntax only: numbers beyond f64 are JSON all the same.
        serde_json::from_str::<serde::de::IgnoredAny>(data).expect("data is JSON");
    }
});
