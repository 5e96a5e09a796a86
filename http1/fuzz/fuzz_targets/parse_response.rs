//! Response heads: no panic; the first byte picks the request method.
#![no_main]

use corelane_http1::{parse_response, BodyKind, Limits, Method, Status, EMPTY_HEADER};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, buf)) = data.split_first() else {
        return;
    };
    let method = match selector % 3 {
        0 => Method::Get,
        1 => Method::Head,
        _ => Method::Post,
    };
    let mut headers = [EMPTY_HEADER; 32];
    if let Ok(Status::Complete(head)) =
        parse_response(buf, &mut headers, method, &Limits::default())
    {
        assert!(head.head_len <= buf.len());
        assert!(head.status >= 100);
        if head.body == BodyKind::CloseDelimited {
            assert!(!head.keep_alive);
        }
        if method == Method::Head {
            assert_eq!(head.body, BodyKind::Empty);
        }
    }
});
