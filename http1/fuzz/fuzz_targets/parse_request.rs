//! Request heads: no panic, a complete head stays complete (same length) in any prefix that
//! still contains it and partial in any shorter one, and HeadScan fed the input in two pieces
//! agrees with the parser on where the head ends.
#![no_main]

use corelane_http1::{
    parse_request, Error, HeadScan, Limits, Status, EMPTY_HEADER, MAX_HEADERS,
};
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

/// HeadScan's first answer that is not Partial, fed `data` in two pieces, must match the
/// parser on the buffer it had then: the same end, or a parser error.
fn check_scan(data: &[u8], limits: &Limits) {
    let cut = data.len() / 3;
    let mut scan = HeadScan::new();
    let mut seen = &data[..cut];
    let mut answer = scan.scan(seen, limits);
    if answer == Ok(Status::Partial) {
        seen = data;
        answer = scan.scan(seen, limits);
    }
    let parsed = outcome(seen, limits);
    match answer {
        Ok(Status::Complete(end)) => assert!(parsed == Ok(Some(end)) || parsed.is_err()),
        Ok(Status::Partial) => {
            assert!(parsed == Ok(None) || matches!(parsed, Err(e) if e != Error::HeadTooLarge))
        }
        Err(_) => assert!(parsed.is_err()),
    }
}

fuzz_target!(|data: &[u8]| {
    let small = Limits {
        max_head_bytes: 256,
        max_headers: 4,
        max_body_bytes: 16,
    };
    for limits in [Limits::default(), small] {
        check_scan(data, &limits);
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
