//! Ollama NDJSON stream bodies: arbitrary bytes, pushed in pieces into the line framer and
//! every line it yields into the chat translator (`/api/chat`'s or `/api/generate`'s, as the
//! input's second byte picks), never panic either; every event the translator writes carries
//! one JSON value (or `[DONE]`). The input's first byte picks the piece size, so lines split
//! across reads are exercised too. The body is also fed, in the same pieces, to the
//! `/api/embed` rewriter that translates a large answer as it arrives: it never panics, and
//! what it writes for a body it did not refuse is one JSON value.
#![no_main]

use corelane_transforms::ollama::ndjson::LineFramer;
use corelane_transforms::ollama::{Api, ChatStream, EmbedRewriter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [split, api, body @ ..] = data else {
        return;
    };
    let api = if api & 1 == 0 { Api::Chat } else { Api::Generate };
    let mut framer = LineFramer::new(64 * 1024);
    let mut stream = ChatStream::new(api, "chatcmpl-0b6c6c8e-5f0e-4a47-9d6f-6a4e1c2d3b4a", 1, "fuzz");
    let mut out = Vec::new();
    let mut failed = false;
    'feed: for piece in body.chunks(usize::from(*split).max(1)) {
        framer.push(piece);
        loop {
            match framer.next_line() {
                Ok(Some(line)) => {
                    if stream.line(line, &mut out).is_err() {
                        failed = true;
                        break 'feed;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break 'feed;
                }
            }
        }
    }
    if !failed {
        if let Some(rest) = framer.finish() {
            failed = stream.line(rest, &mut out).is_err();
        }
    }
    if !failed {
        stream.end(true, &mut out);
    }
    let mut embed = EmbedRewriter::new("fuzz");
    let mut list = Vec::new();
    for piece in body.chunks(usize::from(*split).max(1)) {
        embed.feed(piece, &mut list);
    }
    embed.finish(&mut list);
    if !embed.failed() {
        serde_json::from_slice::<serde_json::Value>(&list).expect("the embeddings list is JSON");
    }
    for event in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let payload = event.strip_prefix(b"data: ").expect("every line is a data line");
        if payload != b"[DONE]" {
            serde_json::from_slice::<serde_json::Value>(payload).expect("payload is JSON");
        }
    }
});
