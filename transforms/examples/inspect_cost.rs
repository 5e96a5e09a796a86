//! Rough cost of the ways `openai::inspect` could validate a request and find its fields, on a
//! 2.1 KB chat body. Run optimised: `CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo run -p
//! corelane-transforms --example inspect_cost`. Figures go in openai.rs's `inspect` doc; this
//! is a measurement aid, not a benchmark of record (that is `bench`).

use std::hint::black_box;
use std::time::Instant;

use corelane_transforms::json::top_members;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Typed<'a> {
    #[serde(borrow)]
    model: Option<std::borrow::Cow<'a, str>>,
    stream: Option<bool>,
}

fn body() -> Vec<u8> {
    let mut messages = String::new();
    while messages.len() < 1900 {
        if !messages.is_empty() {
            messages.push(',');
        }
        messages.push_str(r#"{"role":"user","content":"Summarise the \"quarterly\" report in three bullet points, please."}"#);
    }
    format!(r#"{{"model":"gpt-4o-mini","messages":[{messages}],"temperature":0.2,"stream":true,"stream_options":{{"include_usage":true}},"user":"u-1"}}"#)
        .into_bytes()
}

fn time(name: &str, iters: u32, mut f: impl FnMut() -> bool) {
    for _ in 0..iters / 10 {
        black_box(f());
    }
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(iters);
    println!("{name:<48} {per:>7.2} µs");
}

fn main() {
    let body = body();
    println!("body: {} bytes", body.len());
    let mut json = corelane_transforms::json::tape::Scratch::new();
    let mut scratch = Vec::new();
    let iters = 50_000;
    time(
        "inspect (reused simd-json tape + structural walk)",
        iters,
        || corelane_transforms::inspect(&body, &mut json).is_ok(),
    );
    time("simd-json borrowed value of a copy", iters, || {
        scratch.clear();
        scratch.extend_from_slice(&body);
        simd_json::to_borrowed_value(&mut scratch).is_ok()
    });
    time("serde_json IgnoredAny validation + scan", iters, || {
        serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok()
            && top_members(&body).is_some_and(|m| m.count() > 0)
    });
    time("utf-8 check + serde_json IgnoredAny + scan", iters, || {
        std::str::from_utf8(&body).is_ok()
            && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok()
            && top_members(&body).is_some_and(|m| m.count() > 0)
    });
    time("serde_json typed struct (no offsets)", iters, || {
        serde_json::from_slice::<Typed>(&body).is_ok()
    });
    time("scan only (no validation)", iters, || {
        top_members(&body).is_some_and(|m| m.count() > 0)
    });
}
