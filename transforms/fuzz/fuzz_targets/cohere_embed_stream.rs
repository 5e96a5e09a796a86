//! Cohere `/v2/embed` answers too large to hold: arbitrary bytes, fed in pieces (the first
//! byte picks their size) to the streaming translation, never panic it; when the whole
//! translation accepts the answer, the streamed one is the same JSON value.
#![no_main]

use corelane_transforms::cohere::embed_response;
use corelane_transforms::cohere::embed_stream::EmbedRewriter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let mut out = Vec::new();
    let mut r = EmbedRewriter::new("fuzz", 3);
    for piece in body.chunks(usize::from(split).max(1)) {
        r.feed(piece, &mut out);
    }
    r.finish(&mut out);
    let mut whole = Vec::new();
    if embed_response(body, "fuzz", 3, &mut whole).is_ok() {
        let streamed: serde_json::Value =
            serde_json::from_slice(&out).expect("a translated answer is JSON");
        let held: serde_json::Value = serde_json::from_slice(&whole).expect("JSON");
        assert_eq!(streamed, held);
    }
});
