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
    with_router(n, extra, "")
}

/// [`gateway`] with `router` (indented lines) as router_settings.
fn with_router(n: usize, extra: impl Fn(usize) -> String, router: &str) -> Gateway {
    let mut yaml = format!("router_settings:\n{router}model_list:\n");
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
    let ask = router::Ask::default();
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
                    router::pick(gw, black_box(group), Instant::now(), None, &[], &ask)
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
                router::pick(&gw, black_box(group), Instant::now(), None, &[], &ask)
                    .map_or(0, |d| d.index)
            })
        });
    }
    g.finish();
}

/// The other strategies over 10 and 1,000 deployments, each with an rpm and tpm limit (the
/// strategies that keep usage read it for every deployment).
fn strategies(c: &mut Criterion) {
    let ask = router::Ask {
        stream: false,
        input_tokens: Some(100),
        tags: &[],
    };
    let mut g = c.benchmark_group("router/strategy");
    for n in [10usize, 1000] {
        for name in [
            "least-busy",
            "latency-based-routing",
            "usage-based-routing-v2",
            "cost-based-routing",
        ] {
            let gw = with_router(
                n,
                |i| {
                    format!(
                        "      rpm: 100000\n      tpm: 100000000\n      input_cost_per_token: {}\n",
                        1e-6 * (1 + i % 5) as f64
                    )
                },
                &format!("  routing_strategy: {name}\n"),
            );
            let group = &gw.groups[0];
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| {
                    router::pick(&gw, black_box(group), Instant::now(), None, &[], &ask)
                        .map_or(0, |d| d.index)
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, pick, strategies);
criterion_main!(benches);
