//! tiktoken counting, used only when a provider reports no usage: cost per 1 KB of English
//! prose with each encoding. The first call per encoding loads its tables (~0.1-0.25 s); it is
//! made before measuring, so the figures are steady-state counting only.

use std::hint::black_box;

use corelane_bench::data::ENGLISH_1K;
use corelane_transforms::count_tokens;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tokens");
    g.throughput(Throughput::Bytes(ENGLISH_1K.len() as u64));
    // gpt-3.5-turbo maps to cl100k_base, gpt-4o-mini to o200k_base.
    for (encoding, model) in [("cl100k", "gpt-3.5-turbo"), ("o200k", "gpt-4o-mini")] {
        // Loads the encoding outside the measurement.
        black_box(count_tokens(model, "warm up"));
        g.bench_function(
            format!("count_tokens/{encoding}/english_{}B", ENGLISH_1K.len()),
            |b| b.iter(|| count_tokens(model, black_box(ENGLISH_1K))),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
