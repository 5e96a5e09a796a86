//! Non-stream response bodies: the streaming rewrite must give the same bytes for any split.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, body)) = data.split_first() else { return };
    let mut whole = Vec::new();
    let usage = corelane_transforms::rewrite_complete(body, "fuzz", &mut whole);
    let cut = usize::from(cut) * body.len() / 256;
    let mut r = corelane_transforms::ModelRewriter::new("fuzz");
    let mut out = Vec::new();
    r.feed(&body[..cut], &mut out);
    r.feed(&body[cut..], &mut out);
    r.finish(&mut out);
    assert_eq!(out, whole);
    assert_eq!(r.usage(), usage);
    let _ = corelane_transforms::parse_usage(body);
});
