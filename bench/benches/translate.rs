//! Translations between wire formats, on the bodies a gateway sees from coding agents:
//! `/v1/messages` (Claude Code's shape) to an OpenAI-format provider's chat completions, and
//! a chat completion to an Anthropic Messages body.

use std::hint::black_box;

use corelane_bench::requests::{chat_body, claude_code_messages};
use corelane_transforms::json::tape::Scratch;
use corelane_transforms::{anthropic, messages};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn translate(c: &mut Criterion) {
    let mut g = c.benchmark_group("translate");
    for turns in [30, 300] {
        let body = claude_code_messages("gpt-4o", turns);
        let mut out = Vec::with_capacity(body.len() + 4096);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(format!("messages_to_chat/{}KB", body.len() / 1024), |b| {
            b.iter(|| {
                out.clear();
                messages::to_chat_request(black_box(&body), "gpt-4o", &mut out).map(|()| out.len())
            })
        });
    }
    let body = chat_body("claude", 0, false);
    let mut out = Vec::with_capacity(body.len() + 1024);
    let mut scratch = Scratch::new();
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function(format!("chat_to_anthropic/{}B", body.len()), |b| {
        b.iter(|| {
            out.clear();
            anthropic::transform_request(
                black_box(&body),
                "claude-sonnet-4-5",
                &mut scratch,
                &mut out,
            )
            .map(|()| out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, translate);
criterion_main!(benches);
