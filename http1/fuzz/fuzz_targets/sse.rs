//! SSE framing: no panic, and the same events however the stream is split.
#![no_main]

use corelane_http1::{event_name, single_data, Error, SseFramer};
use libfuzzer_sys::fuzz_target;

type Framed = (Vec<Vec<u8>>, Option<Vec<u8>>);

fn frame(pieces: &[&[u8]], max: usize) -> Result<Framed, Error> {
    let mut framer = SseFramer::new(max);
    let mut events = Vec::new();
    for p in pieces {
        framer.push(p);
        while let Some(ev) = framer.next_event()? {
            let _ = (single_data(ev), event_name(ev));
            events.push(ev.to_vec());
        }
    }
    let rest = framer.finish().map(<[u8]>::to_vec);
    Ok((events, rest))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let cut = usize::from(selector) % (input.len() + 1);
    let (a, b) = input.split_at(cut);
    let whole = frame(&[input], usize::MAX);
    assert_eq!(whole, frame(&[a, b], usize::MAX));
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(whole, frame(&bytes, usize::MAX));
    let _ = frame(&[a, b], usize::from(selector));
});
