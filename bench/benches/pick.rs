//! The router's pick (`corelane::router::pick`) per request: a group of 1, 10 and 1,000
//! deployments, plain, weighted, with `order` tiers, and with half of them cooling down (the
//! pick reads every deployment's shared cooldown cell).

use std::hint::black_box;
use std::time::Instant;

use corelane::gateway::Gateway;
use corelane::health::{CooldownRules, DeploymentRules, Failure};
use corelane::router;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

/// A config with one group `g` of `n` deployments, each with `extra(i)` litellm_params lines.
fn gateway(n: usize, extra: impl Fn(usize) -> String) -> Gateway {
    let mut yaml = String::from("model_list:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - model_name: g\n    litellm_params:\n      model: openai/m\n      api_base: http://127.0.0.1:9/{i}/v1\n      api_key: sk-x\n{}    model_info:\n      id: d{i}\n",
            extra(i)
        ));
    }
    let config = match corelane_config::parse(&yaml, "bench.yaml", corelane_config::Env::default())
    {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    match Gateway::build(&config) {
        Ok(gw) => gw,
        Err(e) => panic!("{e}"),
    }
}

fn pick(c: &mut Criterion) {
    let mut g = c.benchmark_group("router/pick");
    for n in [1usize, 10, 1000] {
        let cases: [(&str, Gateway); 3] = [
            ("uniform", gateway(n, |_| String::new())),
            (
                "weighted",
                gateway(n, |i| format!("      weight: {}\n", 1 + i % 7)),
            ),
            (
                "order_tiers",
                gateway(n, |i| format!("      order: {}\n", 1 + i % 3)),
            ),
        ];
        for (name, gw) in &cases {
            let group = &gw.groups[0];
            g.bench_with_input(BenchmarkId::new(*name, n), &n, |b, _| {
                b.iter(|| {
                    router::pick(gw, black_box(group), Instant::now(), None, &[])
                        .map_or(0, |d| d.index)
                })
            });
        }
        // Half of them cooling down.
        if n == 1 {
            continue;
        }
        let gw = gateway(n, |_| String::new());
        let rules = CooldownRules {
            disabled: false,
            cooldown_time: std::time::Duration::from_secs(3600),
            allowed_fails: 0,
            counting: true,
            policy: None,
        };
        let now = Instant::now();
        for d in (0..n).step_by(2) {
            let failure = Failure {
                status: 500,
                kinds: &[],
                retry_after: None,
                single: false,
                lone: false,
                client_timeout: false,
            };
            gw.health
                .failed(d, now, failure, &rules, &DeploymentRules::default());
        }
        let group = &gw.groups[0];
        g.bench_with_input(BenchmarkId::new("half_cooling", n), &n, |b, _| {
            b.iter(|| {
                router::pick(&gw, black_box(group), Instant::now(), None, &[])
                    .map_or(0, |d| d.index)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, pick);
criterion_main!(benches);
