//! The response path: giving the client back the model group name in place of the provider's
//! model id, and reading usage, without re-serialising — on a whole chat completion, on a large
//! embeddings body streamed through in pieces, on one stream chunk, and the SSE framing that
//! cuts a stream into chunks.

use std::hint::black_box;

use bumpalo::Bump;
use corelane_bench::responses::{chat_completion, embeddings, sse_stream, stream_chunk};
use corelane_http1::SseFramer;
use corelane_transforms::{rewrite_chunk, rewrite_complete, ModelRewriter};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The group name the client asked for.
const GROUP: &str = "gpt-4o-mini";

/// Read size of the pass-through relay: bounded buffers, never the whole body (DESIGN.md).
const PIECE: usize = 64 * 1024;

fn complete(c: &mut Criterion) {
    let mut g = c.benchmark_group("rewrite");

    // A non-stream chat response in memory: model replaced, usage captured.
    let body = chat_completion();
    let mut out = Vec::with_capacity(1024);
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function(format!("rewrite_complete/chat_{}B", body.len()), |b| {
        b.iter(|| {
            out.clear();
            rewrite_complete(black_box(&body), GROUP, &mut out).map(|u| u.total_tokens)
        })
    });

    // The streaming rewriter over a ~5 MB embeddings body whose model sits at the end, fed in
    // relay-sized pieces; each piece's output is sent and the buffer reused.
    let body = embeddings(5 * 1024 * 1024);
    let mut out = Vec::with_capacity(PIECE + 1024);
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("model_rewriter/embeddings_5MB_in_64KiB", |b| {
        b.iter(|| {
            let mut rewriter = ModelRewriter::new(GROUP);
            let mut sent = 0;
            for piece in black_box(&body).chunks(PIECE) {
                out.clear();
                rewriter.feed(piece, &mut out);
                sent += out.len();
            }
            out.clear();
            rewriter.finish(&mut out);
            (sent + out.len(), rewriter.usage().map(|u| u.total_tokens))
        })
    });
    g.finish();
}

fn stream(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream");

    // One chunk payload rewritten in the per-core arena, reset before each chunk as the relay
    // does (the arena is sized like the server's, so no chunk reallocates it).
    let chunk = stream_chunk(" invoice");
    let mut arena = Bump::with_capacity(16 * 1024);
    g.throughput(Throughput::Bytes(chunk.len() as u64));
    g.bench_function(format!("rewrite_chunk/{}B", chunk.len()), |b| {
        b.iter(|| {
            arena.reset();
            let outcome = rewrite_chunk(black_box(&chunk), GROUP, &arena);
            outcome.data.len()
        })
    });

    // Framing only: a 100-event chat stream arriving in 4 KiB reads, every event taken out as
    // soon as it is complete. A new framer per stream, as each upstream response gets one.
    let events = sse_stream(100);
    g.throughput(Throughput::Bytes(events.len() as u64));
    g.bench_function(format!("sse_framer/100_events_{}B", events.len()), |b| {
        b.iter(|| {
            let mut framer = SseFramer::new(64 * 1024);
            let mut count = 0usize;
            for read in black_box(&events).chunks(4 * 1024) {
                framer.push(read);
                while let Ok(Some(event)) = framer.next_event() {
                    count += event.len();
                }
            }
            count
        })
    });
    g.finish();
}

criterion_group!(benches, complete, stream);
criterion_main!(benches);
