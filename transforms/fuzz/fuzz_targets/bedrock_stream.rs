//! Bedrock ConverseStream bodies: arbitrary bytes, pushed in pieces into the AWS event-stream
//! framer and every message it yields into the chat translator, never panic either; every
//! event the translator writes carries one JSON value (or `[DONE]`). The input's first byte
//! picks the piece size, so split messages are exercised too. As checksums keep mutated
//! messages from reaching the translator, the input is also read as messages directly:
//! lines of `name` NUL `payload`.
#![no_main]

use corelane_transforms::bedrock::eventstream::EventFramer;
use corelane_transforms::bedrock::ChatStream;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let mut framer = EventFramer::new(64 * 1024);
    let mut stream = ChatStream::new("chatcmpl-fuzz", 1, "fuzz");
    let mut out = Vec::new();
    'feed: for piece in body.chunks(usize::from(split).max(1)) {
        framer.push(piece);
        loop {
            match framer.next_event() {
                Ok(Some(event)) => {
                    if stream
                        .event(&event.message_type, &event.name, &event.payload, &mut out)
                        .is_err()
                    {
                        break 'feed;
                    }
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    stream.end(true, &mut out);
    let mut direct = ChatStream::new("chatcmpl-fuzz", 1, "fuzz");
    for line in body.split(|&b| b == b'\n') {
        let (name, payload) = match line.iter().position(|&b| b == 0) {
            Some(at) => (&line[..at], &line[at + 1..]),
            None => (&b"contentBlockDelta"[..], line),
        };
        let name = String::from_utf8_lossy(name);
        if direct.event("event", &name, payload, &mut out).is_err() {
            break;
        }
    }
    direct.end(true, &mut out);
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let payload = line.strip_prefix(b"data: ").expect("every line is a data line");
        if payload != b"[DONE]" {
            serde_json::from_slice::<serde_json::Value>(payload).expect("payload is JSON");
        }
    }
});
