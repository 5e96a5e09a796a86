//! HTTP/1.1 codec costs paid on every proxied request: parsing the client's request head and
//! the provider's response head, decoding a chunked upstream body, and chunk-encoding what the
//! gateway sends on.

use std::hint::black_box;

use corelane_bench::heads::{body_data, chunked_body, request_head, response_head};
use corelane_bench::responses::stream_chunk;
use corelane_http1::{
    parse_request, parse_response, write_chunk, ChunkedDecoder, Limits, Method, Status,
    EMPTY_HEADER, MAX_HEADERS,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Head parsing, including the zeroed header-slot array the server puts on the stack for each
/// parse (conn.rs, relay/mod.rs), so the figure is what one request costs.
fn heads(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("http1/head");

    let req = request_head();
    g.throughput(Throughput::Bytes(req.len() as u64));
    g.bench_function(format!("parse_request/{}B", req.len()), |b| {
        b.iter(|| {
            let mut headers = [EMPTY_HEADER; MAX_HEADERS];
            match parse_request(black_box(&req), &mut headers, &limits) {
                Ok(Status::Complete(head)) => head.head_len,
                _ => 0,
            }
        })
    });

    let res = response_head();
    g.throughput(Throughput::Bytes(res.len() as u64));
    g.bench_function(format!("parse_response/{}B", res.len()), |b| {
        b.iter(|| {
            let mut headers = [EMPTY_HEADER; MAX_HEADERS];
            match parse_response(black_box(&res), &mut headers, Method::Post, &limits) {
                Ok(Status::Complete(head)) => head.head_len,
                _ => 0,
            }
        })
    });
    g.finish();
}

/// The chunked decoder's walk over a 64 KiB body sent in 4 KiB chunks, handed over as one
/// buffer (splitting it into reads only adds calls). The data callback only counts bytes, so
/// no copy is measured; throughput is over the encoded bytes.
fn chunked(c: &mut Criterion) {
    let body = chunked_body(64 * 1024, 4 * 1024);
    let mut g = c.benchmark_group("http1/chunked");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("decode/64KiB_in_4KiB_chunks", |b| {
        b.iter(|| {
            let mut dec = ChunkedDecoder::new();
            let mut data = 0usize;
            let used = dec.decode(black_box(&body), |d| data += d.len());
            (used, data, dec.is_done())
        })
    });

    // Encoding appends into a buffer reused across calls, as the relay reuses its write buffer.
    let block = body_data(4 * 1024);
    let mut event = b"data: ".to_vec();
    event.extend_from_slice(&stream_chunk(" invoice"));
    event.extend_from_slice(b"\n\n");
    let mut out = Vec::with_capacity(8 * 1024);
    for (name, data) in [("encode/4KiB", &block), ("encode/sse_event", &event)] {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(format!("{name}/{}B", data.len()), |b| {
            b.iter(|| {
                out.clear();
                write_chunk(black_box(data), &mut out);
                out.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, heads, chunked);
criterion_main!(benches);
