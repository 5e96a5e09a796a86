//! Request heads: no panic, and a complete head stays complete (same length) in any prefix
//! that still contains it and partial in any shorter one.
#![no_main]

use corelane_http1::{parse_request, Error, Limits, Status, EMPTY_HEADER, MAX_HEADERS};
use libfuzzer_sys::fuzz_target;

fn outcome(buf: &[u8], limits: &Limits) -> Result<Option<usize>, Error> {
    let mut headers = [EMPTY_HEADER; MAX_HEADERS];
    Ok(match parse_request(buf, &mut headers, limits)? {
        Status::Complete(head) => {
            assert!(head.head_len <= buf.len());
            let _ = (head.header("host"), head.keep_alive, head.body);
            Some(head.head_len)
        }
        Status::Partial => None,
    })
}

fuzz_target!(|data: &[u8]| {
    let small = Limits {
        max_head_bytes: 256,
        max_headers: 4,
        max_body_bytes: 16,
    };
    for limits in [Limits::default(), small] {
        if let Ok(Some(head_len)) = outcome(data, &limits) {
            let cut = data.len() / 2;
            let prefix = outcome(&data[..cut], &limits);
            if cut < head_len {
                assert_eq!(prefix, Ok(None));
            } else {
                assert_eq!(prefix, Ok(Some(head_len)));
            }
        }
    }
});
