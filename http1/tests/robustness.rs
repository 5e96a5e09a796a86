//! Deterministic randomized robustness: mutated messages at random split points must never
//! panic, and every parser must give the same answer however its input is split.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use corelane_http1::{
    event_name, parse_request, parse_response, single_data, BodyDecoder, BodyKind, ChunkedDecoder,
    Error, HeadScan, Limits, Method, SseFramer, Status, EMPTY_HEADER, MAX_HEADERS,
};

const ITERATIONS: usize = 200_000;

/// xorshift64*: tiny, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const REQUESTS: &[&[u8]] = &[
    b"GET /v1/models HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
    b"POST /x HTTP/1.1\r\nHost: [::1]:4000\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, Upgrade\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"\r\nPOST http://gw:4000/v1/x?y=1 HTTP/1.1\r\nHost: gw:4000\r\nContent-Length: 0\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 1, 1\r\n\r\nx",
];

const RESPONSES: &[&[u8]] = &[
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Type: text/event-stream\r\n\r\n",
    b"HTTP/1.0 502 Bad Gateway\r\nConnection: close\r\n\r\n",
];

const CHUNKED: &[&[u8]] = &[
    b"5\r\nhello\r\n0\r\n\r\n",
    b"1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n3 \r\nabc\r\n0\r\nT: 1\r\n\r\n",
    b"FFFF\r\nshort\r\n",
];

const SSE: &[&[u8]] = &[
    b"data: {\"a\":1}\n\ndata: [DONE]\n\n",
    b"event: message_start\r\ndata: {}\r\n\r\n: ping\n\r\nid: 3\ndata: x\r\n\n",
    b"\n\ndata: a\ndata: b\n\ndata",
];

/// Bytes that matter to the grammars, so mutations hit interesting paths often.
const ALPHABET: &[u8] = b"\r\n \t:;,=0123456789abcdefABCDEF-\x00\x7f\xff";

fn mutate(rng: &mut Rng, seed: &[u8], all: &[&[&[u8]]]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let len = out.len();
        match rng.below(7) {
            0 if len > 0 => out[rng.below(len)] = rng.next() as u8,
            1 => out.insert(rng.below(len + 1), ALPHABET[rng.below(ALPHABET.len())]),
            2 if len > 0 => {
                out.remove(rng.below(len));
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = a + rng.below(len - a).min(64);
                let copy = out[a..b].to_vec();
                let at = rng.below(out.len() + 1);
                out.splice(at..at, copy);
            }
            4 => out.truncate(rng.below(len + 1)),
            5 => {
                let group = all[rng.below(all.len())];
                let other = group[rng.below(group.len())];
                let at = rng.below(len + 1);
                out.splice(at..at, other.iter().copied());
            }
            _ => {
                let digits = b"99999999999999999999";
                let at = rng.below(len + 1);
                out.splice(at..at, digits[..rng.below(digits.len())].iter().copied());
            }
        }
    }
    out
}

/// `Some(head_len)` for a complete head, `None` for partial, `Err` for an error.
fn request_outcome(buf: &[u8], limits: &Limits) -> Result<Option<usize>, Error> {
    let mut headers = [EMPTY_HEADER; MAX_HEADERS];
    Ok(match parse_request(buf, &mut headers, limits)? {
        Status::Complete(head) => {
            assert!(head.head_len <= buf.len());
            let _ = head.header("content-length");
            Some(head.head_len)
        }
        Status::Partial => None,
    })
}

fn response_outcome(buf: &[u8], method: Method, limits: &Limits) -> Result<Option<usize>, Error> {
    let mut headers = [EMPTY_HEADER; 16];
    Ok(match parse_response(buf, &mut headers, method, limits)? {
        Status::Complete(head) => {
            assert!(head.head_len <= buf.len());
            assert!(head.status >= 100);
            Some(head.head_len)
        }
        Status::Partial => None,
    })
}

/// A complete head must be complete in every longer buffer and partial in every shorter one.
fn check_prefix(
    full: Result<Option<usize>, Error>,
    prefix: Result<Option<usize>, Error>,
    cut: usize,
) {
    if let Ok(Some(head_len)) = full {
        if cut < head_len {
            assert_eq!(prefix, Ok(None), "cut {cut} < head_len {head_len}");
        } else {
            assert_eq!(prefix, Ok(Some(head_len)));
        }
    }
}

/// Feeds a growing buffer to a `HeadScan`, one piece at a time; the first answer that is not
/// `Partial` (or the last) and the buffer length it came at.
fn scan_outcome(pieces: &[&[u8]], limits: &Limits) -> (Result<Option<usize>, Error>, usize) {
    let mut scan = HeadScan::new();
    let mut buf = Vec::new();
    let mut answer = Ok(None);
    for p in pieces {
        buf.extend_from_slice(p);
        answer = match scan.scan(&buf, limits) {
            Ok(Status::Complete(n)) => Ok(Some(n)),
            Ok(Status::Partial) => continue,
            Err(e) => Err(e),
        };
        break;
    }
    (answer, buf.len())
}

/// The scanner's answer must be what the parser says of the same bytes: `Complete(n)` only
/// where the parser completes with `head_len == n` (or rejects), `Partial` only where it is
/// partial (or rejects early, which the scanner leaves to the parse), and too large only
/// where the parser rejects too.
fn check_scan(parsed: Result<Option<usize>, Error>, scanned: Result<Option<usize>, Error>) {
    match scanned {
        Ok(Some(end)) => assert!(
            matches!(parsed, Ok(Some(n)) if n == end) || parsed.is_err(),
            "scan ends at {end}, parse says {parsed:?}"
        ),
        Ok(None) => assert!(
            matches!(parsed, Ok(None)) || matches!(parsed, Err(e) if e != Error::HeadTooLarge),
            "scan partial, parse says {parsed:?}"
        ),
        Err(e) => {
            assert_eq!(e, Error::HeadTooLarge);
            assert!(parsed.is_err(), "scan too large, parse says {parsed:?}");
        }
    }
}

/// Result, decoded data, done, data_bytes.
type ChunkedOutcome = (Result<usize, Error>, Vec<u8>, bool, u64);

fn chunked_outcome(pieces: &[&[u8]]) -> ChunkedOutcome {
    let mut dec = ChunkedDecoder::new();
    let mut data = Vec::new();
    let mut used = 0;
    for p in pieces {
        match dec.decode(p, |d| data.extend_from_slice(d)) {
            Ok(n) => {
                assert!(n <= p.len());
                used += n;
                if n < p.len() {
                    assert!(dec.is_done());
                    break;
                }
            }
            Err(e) => return (Err(e), data, dec.is_done(), dec.data_bytes()),
        }
    }
    assert_eq!(dec.data_bytes(), data.len() as u64);
    (Ok(used), data, dec.is_done(), dec.data_bytes())
}

/// The same as `chunked_outcome`, through a [`BodyDecoder`] for a chunked body, which must
/// add nothing to the chunked decoder's answers.
fn body_chunked_outcome(pieces: &[&[u8]]) -> ChunkedOutcome {
    let mut dec = BodyDecoder::new(BodyKind::Chunked);
    let mut data = Vec::new();
    let mut used = 0;
    for p in pieces {
        match dec.feed(p, |d| data.extend_from_slice(d)) {
            Ok(n) => {
                used += n;
                if n < p.len() {
                    assert!(dec.is_done() && dec.reusable());
                    break;
                }
            }
            Err(e) => return (Err(e), data, dec.is_done(), dec.data_bytes()),
        }
    }
    assert_eq!(dec.data_bytes(), data.len() as u64);
    (Ok(used), data, dec.is_done(), dec.data_bytes())
}

/// The same as `chunked_outcome`, decoded in place: the input arrives in `pieces` appended to
/// one buffer that is compacted (consumed raw bytes dropped) before each read, as a server
/// does. On error the decoded bytes are not recoverable, so only the counters are compared.
fn chunked_in_place_outcome(pieces: &[&[u8]]) -> ChunkedOutcome {
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
                assert!(w <= r && r <= buf.len());
                (read, write) = (r, w);
                if r < buf.len() {
                    assert!(dec.is_done());
                    break;
                }
            }
            Err(e) => return (Err(e), Vec::new(), dec.is_done(), dec.data_bytes()),
        }
    }
    assert_eq!(dec.data_bytes(), write as u64);
    let used = fed - (buf.len() - read);
    buf.truncate(write);
    (Ok(used), buf, dec.is_done(), dec.data_bytes())
}

/// Compares two chunked outcomes; after an error, in-place decoded data is not comparable.
fn same_chunked(streamed: &ChunkedOutcome, in_place: &ChunkedOutcome) -> bool {
    if streamed.0.is_ok() {
        streamed == in_place
    } else {
        (&streamed.0, streamed.2, streamed.3) == (&in_place.0, in_place.2, in_place.3)
    }
}

/// Events framed, then the unterminated remainder `finish` returned.
type Framed = (Vec<Vec<u8>>, Option<Vec<u8>>);

fn sse_outcome(pieces: &[&[u8]], max: usize) -> Result<Framed, Error> {
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
    assert_eq!(framer.buffered(), 0);
    Ok((events, rest))
}

fn split3<'a>(rng: &mut Rng, input: &'a [u8]) -> [&'a [u8]; 3] {
    let a = rng.below(input.len() + 1);
    let b = a + rng.below(input.len() - a + 1);
    [&input[..a], &input[a..b], &input[b..]]
}

#[test]
fn mutated_inputs_never_panic_and_splits_agree() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let all: [&[&[u8]]; 4] = [REQUESTS, RESPONSES, CHUNKED, SSE];
    let small = Limits {
        max_head_bytes: 48,
        max_headers: 2,
        max_body_bytes: 4,
    };
    // How often each parser reached each outcome: proves the mutations exercise both paths.
    let (mut heads_ok, mut heads_err, mut chunked_done, mut chunked_err, mut events, mut scans) =
        (0, 0, 0, 0, 0, 0);
    for i in 0..ITERATIONS {
        let group = all[i % all.len()];
        let seed = group[rng.below(group.len())];
        let input = mutate(&mut rng, seed, &all);
        let cut = rng.below(input.len() + 1);

        for limits in [Limits::default(), small] {
            let full = request_outcome(&input, &limits);
            match full {
                Ok(Some(_)) => heads_ok += 1,
                Err(_) => heads_err += 1,
                Ok(None) => {}
            }
            check_prefix(full, request_outcome(&input[..cut], &limits), cut);
            let pieces = split3(&mut rng, &input);
            let (scanned, len) = scan_outcome(&pieces, &limits);
            assert_eq!(
                scanned,
                scan_outcome(&[&input[..len]], &limits).0,
                "{input:?}"
            );
            check_scan(request_outcome(&input[..len], &limits), scanned);
            let method = [Method::Get, Method::Post][rng.below(2)];
            check_scan(response_outcome(&input[..len], method, &limits), scanned);
            scans += usize::from(matches!(scanned, Ok(Some(_))));
            let method = [Method::Get, Method::Head, Method::Post][rng.below(3)];
            let full = response_outcome(&input, method, &limits);
            check_prefix(full, response_outcome(&input[..cut], method, &limits), cut);
        }

        let whole = chunked_outcome(&[&input]);
        chunked_done += usize::from(whole.2);
        chunked_err += usize::from(whole.0.is_err());
        assert_eq!(
            whole,
            chunked_outcome(&split3(&mut rng, &input)),
            "{input:?}"
        );
        assert_eq!(
            whole,
            body_chunked_outcome(&split3(&mut rng, &input)),
            "{input:?}"
        );
        let pieces = split3(&mut rng, &input);
        let in_place = chunked_in_place_outcome(&pieces);
        assert!(
            same_chunked(&whole, &in_place),
            "{input:?} split {pieces:?}: {whole:?} vs in place {in_place:?}"
        );

        let whole = sse_outcome(&[&input], 1 << 16);
        events += whole.as_ref().map_or(0, |(e, _)| e.len());
        assert_eq!(
            whole,
            sse_outcome(&split3(&mut rng, &input), 1 << 16),
            "{input:?}"
        );
        let _ = sse_outcome(&split3(&mut rng, &input), 8);
    }
    let counts = [
        heads_ok,
        heads_err,
        chunked_done,
        chunked_err,
        events,
        scans,
    ];
    assert!(counts.iter().all(|&c| c > ITERATIONS / 100), "{counts:?}");
    eprintln!("heads ok/err, chunked done/err, sse events, scans complete: {counts:?}");
}

/// The server parses into uninitialised header slots: every mutated head, under the default
/// limits and a small header cap, gets exactly the answer the initialised slots give (head,
/// headers, framing, error).
#[test]
fn uninitialised_slots_parse_as_initialised_ones() {
    use corelane_http1::{header_slots, parse_request_uninit, parse_response_uninit};
    let mut rng = Rng(0x005e_ed0f_5107);
    let mut many = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..MAX_HEADERS {
        many.extend_from_slice(format!("x-{i}: {i}\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let few = Limits {
        max_headers: 2,
        ..Limits::default()
    };
    for round in 0..ITERATIONS / 4 {
        let limits = if round % 3 == 0 {
            &few
        } else {
            &Limits::default()
        };
        let input = if round % 1000 == 0 {
            many.clone()
        } else {
            let seeds = if round % 2 == 0 { REQUESTS } else { RESPONSES };
            let seed = seeds[rng.below(seeds.len())];
            mutate(&mut rng, seed, &[REQUESTS, RESPONSES])
        };
        let mut init = [EMPTY_HEADER; MAX_HEADERS];
        let mut uninit = header_slots();
        assert_eq!(
            format!("{:?}", parse_request(&input, &mut init, limits)),
            format!("{:?}", parse_request_uninit(&input, &mut uninit, limits)),
            "{:?}",
            String::from_utf8_lossy(&input)
        );
        let method = [Method::Post, Method::Get, Method::Head][rng.below(3)];
        let mut init = [EMPTY_HEADER; MAX_HEADERS];
        let mut uninit = header_slots();
        assert_eq!(
            format!("{:?}", parse_response(&input, &mut init, method, limits)),
            format!(
                "{:?}",
                parse_response_uninit(&input, &mut uninit, method, limits)
            ),
            "{:?}",
            String::from_utf8_lossy(&input)
        );
    }
}
