//! Chunked decoding: no panic, and the same data, length and error however the input is split.
#![no_main]

use corelane_http1::{ChunkedDecoder, Error};
use libfuzzer_sys::fuzz_target;

fn decode(pieces: &[&[u8]]) -> (Result<usize, Error>, Vec<u8>, bool) {
    let mut dec = ChunkedDecoder::new();
    let mut data = Vec::new();
    let mut used = 0;
    for p in pieces {
        match dec.decode(p, |d| data.extend_from_slice(d)) {
            Ok(n) => {
                used += n;
                if n < p.len() {
                    assert!(dec.is_done());
                    break;
                }
            }
            Err(e) => return (Err(e), data, dec.is_done()),
        }
    }
    assert_eq!(dec.data_bytes(), data.len() as u64);
    (Ok(used), data, dec.is_done())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let cut = usize::from(selector) % (input.len() + 1);
    let (a, b) = input.split_at(cut);
    let whole = decode(&[input]);
    assert_eq!(whole, decode(&[a, b]));
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(whole, decode(&bytes));
});
