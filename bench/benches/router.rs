//! Per-request routing work that lives in library code: `provider::resolve` (the
//! `provider/model` split over the provider table) and a group lookup in a `HashMap` shaped like
//! `server/src/gateway.rs`; `RouteTable::route` takes the group's first deployment. The
//! server's own pick is measured in `pick.rs`.

use std::hint::black_box;

use corelane_bench::data::ROUTER_CONFIG;
use corelane_bench::routes::RouteTable;
use corelane_transforms::provider;
use criterion::{criterion_group, criterion_main, Criterion};

fn resolve(c: &mut Criterion) {
    let mut g = c.benchmark_group("router/resolve");
    let cases: [(&str, &str, Option<&str>); 4] = [
        // First row of the table.
        ("openai_prefix", "openai/gpt-4o-mini", None),
        // A row in the middle of the table.
        (
            "together_prefix",
            "together_ai/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
            None,
        ),
        // No known prefix: scans the table, then falls back to openai.
        ("unprefixed", "Qwen/Qwen2.5-7B-Instruct", None),
        // custom_llm_provider given, near the end of the table.
        (
            "custom_provider",
            "Qwen/Qwen2.5-7B-Instruct",
            Some("hosted_vllm"),
        ),
    ];
    for (name, model, custom) in cases {
        g.bench_function(name, |b| {
            b.iter(|| {
                provider::resolve(black_box(model), black_box(custom)).map_or(0, |(_, m)| m.len())
            })
        });
    }
    g.finish();
}

fn route(c: &mut Criterion) {
    let table = match RouteTable::from_yaml(ROUTER_CONFIG) {
        Ok(table) => table,
        Err(e) => panic!("bench/data/router.yaml does not parse: {e}"),
    };
    let mut g = c.benchmark_group("router/lookup_and_resolve");
    for (name, model) in [
        ("group_openai", "gpt-4o-mini"),
        ("group_together", "llama-3.1-70b"),
        ("alias", "gpt4"),
        ("unknown_model", "claude-3-opus"),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| table.route(black_box(model)).map_or(0, |(_, m)| m.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, resolve, route);
criterion_main!(benches);
