//! The OpenAI-compatible request path: `openai::inspect` (validate the client's JSON and locate
//! model/stream/stream_options) plus `openai::splice` (copy the body with the model replaced and,
//! for streams, `stream_options.include_usage` added), on a ~2 KB and a ~200 KB chat body.
//!
//! `serde_json_value/*` does the same job the way a naive gateway does — parse into a generic
//! `serde_json::Value`, edit it, serialise it again — so the README can show the ratio. Both
//! write into an output buffer reused across iterations, as the server reuses its buffers.

use std::hint::black_box;

use corelane_bench::requests::chat_body;
use corelane_transforms::json::top_members;
use corelane_transforms::{inspect, splice};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{Map, Value};

const CLIENT_MODEL: &str = "gpt-4o-mini";
const UPSTREAM_MODEL: &str = "gpt-4o-mini-2024-07-18";

/// Sizes: the conversation alone, and the conversation plus a pasted source file.
const BODIES: [(&str, usize); 2] = [("2KB", 0), ("200KB", 195_000)];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("splice");
    let mut scratch = corelane_transforms::json::tape::Scratch::new();
    let mut out = Vec::new();
    for (size, document) in BODIES {
        for stream in [false, true] {
            let body = chat_body(CLIENT_MODEL, document, stream);
            let mode = if stream { "stream" } else { "non_stream" };
            g.throughput(Throughput::Bytes(body.len() as u64));

            g.bench_function(format!("corelane/{size}/{mode}"), |b| {
                b.iter(|| {
                    out.clear();
                    if let Ok(fields) = inspect(black_box(&body), &mut scratch) {
                        splice(&body, &fields, UPSTREAM_MODEL, fields.stream, &mut out);
                    }
                    out.len()
                })
            });

            g.bench_function(format!("serde_json_value/{size}/{mode}"), |b| {
                b.iter(|| {
                    out.clear();
                    naive(black_box(&body), &mut out).map_or(0, |()| out.len())
                })
            });
        }
        // inspect alone, and the byte scan inside it that finds the top-level members (the rest
        // of inspect is simd-json's validation), to split the corelane figure.
        let body = chat_body(CLIENT_MODEL, document, false);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(format!("corelane_inspect_only/{size}"), |b| {
            b.iter(|| {
                inspect(black_box(&body), &mut scratch)
                    .map_or(0, |f| f.model_span.map_or(0, |s| s.end))
            })
        });
        g.bench_function(format!("corelane_member_scan_only/{size}"), |b| {
            b.iter(|| {
                top_members(black_box(&body)).map_or(0, |m| m.map(|m| m.value.end).sum::<usize>())
            })
        });
    }
    g.finish();
}

/// What a gateway built on a generic JSON value does: parse, read the routing fields, replace
/// the model, add include_usage for streams, serialise.
fn naive(body: &[u8], out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    let mut value: Value = serde_json::from_slice(body)?;
    if let Some(object) = value.as_object_mut() {
        let model_ok = object.get("model").and_then(Value::as_str).is_some();
        let stream = object
            .get("stream")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if model_ok {
            object.insert("model".to_owned(), Value::String(UPSTREAM_MODEL.to_owned()));
        }
        if stream {
            let options = object
                .entry("stream_options")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(options) = options.as_object_mut() {
                options.insert("include_usage".to_owned(), Value::Bool(true));
            }
        }
    }
    serde_json::to_writer(&mut *out, &value)
}

criterion_group!(benches, bench);
criterion_main!(benches);
