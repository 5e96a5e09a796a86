//! Chunked decoding: no panic, and the same data, length and error however the input is split,
//! whether decoded streaming or in place.
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

/// `decode`'s outcome, decoding in place with the input appended in `pieces` to one buffer
/// that is compacted before each append. After an error the decoded data is unspecified.
fn decode_in_place(pieces: &[&[u8]]) -> (Result<usize, Error>, Vec<u8>, bool) {
    let mut dec = ChunkedDecoder::new();
    let mut buf = Vec::new();
    let (mut read, mut write, mut fed) = (0, 0, 0);
    for p in pieces {
        buf.drain(write..read);
        read = write;
        buf.extend_from_slice(p);
        fed += p.len();
        match dec.decode_in_place(&mut buf, read, write) {
            Ok((r, w)) => {
                (read, write) = (r, w);
                if dec.is_done() {
                    break;
                }
            }
            Err(e) => return (Err(e), Vec::new(), dec.is_done()),
        }
    }
    assert_eq!(dec.data_bytes(), write as u64);
    let used = fed - (buf.len() - read);
    buf.truncate(write);
    (Ok(used), buf, dec.is_done())
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
    let in_place = decode_in_place(&[a, b]);
    if whole.0.is_ok() {
        assert_eq!(whole, in_place);
    } else {
        assert_eq!((whole.0, whole.2), (in_place.0, in_place.2));
    }
});
