//! Non-stream response bodies: the streaming rewrite must give the same bytes for any split,
//! also when it holds back the usage to write it again (Voyage AI's answers).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
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
    // Holding the usage back: one feed or two give the same bytes.
    let voyage = || {
        corelane_transforms::ModelRewriter::with_usage_rewrite(
            "fuzz",
            corelane_transforms::voyage::usage,
        )
    };
    let (mut one, mut two) = (voyage(), voyage());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    one.feed(body, &mut a);
    one.finish(&mut a);
    two.feed(&body[..cut], &mut b);
    two.feed(&body[cut..], &mut b);
    two.finish(&mut b);
    assert_eq!(a, b);
    assert_eq!(one.usage(), two.usage());
});
