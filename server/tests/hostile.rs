//! Hostile and malformed input over real sockets: mutated requests (bytes flipped, cut,
//! repeated, inserted) are each answered or closed, and the gateway stays healthy throughout.
//! The parsers have their own fuzz targets; this checks the server around them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Gateway, Mock};
use fastrand::Rng;

/// A value below `n` (0 for an empty range).
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.usize(..n.max(1))
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + below(rng, 4) {
        let at = below(rng, v.len());
        match below(rng, 6) {
            0 => v[at] = rng.u8(..),
            1 => v.truncate(at),
            2 => v.insert(at, b"\r\n:{}\"\\ \t0aZ"[below(rng, 12)]),
            3 => {
                let end = (at + below(rng, 40)).min(v.len());
                let piece = v[at..end].to_vec();
                v.splice(at..at, piece);
            }
            4 => {
                let end = (at + below(rng, 40)).min(v.len());
                v.drain(at..end);
            }
            _ => v.extend(std::iter::repeat_n(b'9', below(rng, 30))),
        }
        if v.is_empty() {
            v.push(b'G');
        }
    }
    v
}

#[test]
fn mutated_requests_never_take_the_gateway_down() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/m\n      api_base: {}\ngeneral_settings:\n  master_key: sk-master\n",
        mock.base("/v1")
    );
    let gw = Gateway::start(&config);
    let body = br#"{"model":"g","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"h\u00e9llo \"q\""}]}"#;
    let seeds: Vec<Vec<u8>> = vec![
        [
            format!("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-master\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(),
            body,
        ]
        .concat(),
        [
            b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nx-api-key: sk-master\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice(),
            b"1a\r\n{\"model\":\"g\",\"input\":[\"a\"]}\r\n0\r\n\r\n",
        ]
        .concat(),
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\napi-key: sk-master\r\nConnection: close\r\n\r\n".to_vec(),
    ];
    let mut rng = Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    let mut answered = 0;
    for case in 0..600 {
        let seed = &seeds[case % seeds.len()];
        let input = mutate(&mut rng, seed);
        let mut s = TcpStream::connect(gw.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let _ = s.write_all(&input);
        // Half-close so a request waiting for more body bytes ends; the gateway must answer
        // or close either way, never hang on to the socket or crash.
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        if reply.starts_with(b"HTTP/1.1 ") {
            answered += 1;
        }
        if case % 50 == 49 {
            gw.assert_healthy();
        }
    }
    gw.assert_healthy();
    // Most mutants still form a request line, so most get an HTTP answer (4xx or otherwise).
    assert!(answered > 300, "only {answered} of 600 got an HTTP answer");
    assert!(gw.proc.stderr.text().matches("panicked").count() == 0);
}
