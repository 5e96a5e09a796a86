//! One SSE chunk payload: rewrite_chunk must never panic, and is idempotent (rewriting its own
//! output with the same model changes nothing).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bump = bumpalo::Bump::new();
    let once = corelane_transforms::rewrite_chunk(data, "fuzz", &bump);
    let twice = corelane_transforms::rewrite_chunk(once.data, "fuzz", &bump);
    assert_eq!(once.data, twice.data);
    assert_eq!(once.usage, twice.usage);
    assert_eq!((once.usage_only, once.is_error), (twice.usage_only, twice.is_error));
});
