//! Translations between wire formats, on the bodies a gateway sees from coding agents:
//! `/v1/messages` (Claude Code's shape) to an OpenAI-format provider's chat completions, and
//! a chat completion to an Anthropic Messages body, to Gemini's, to Bedrock's and to Ollama's
//! (`/api/chat`, and `/api/generate`'s flattened prompt), and the
//! SigV4 signature of a Bedrock request (its head, with the body's hash).

use std::hint::black_box;

use corelane_bench::requests::{chat_body, claude_code_messages};
use corelane_transforms::bedrock::head::AwsSigning;
use corelane_transforms::json::tape::Scratch;
use corelane_transforms::{anthropic, bedrock, gemini, messages, ollama};
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
    let translations: [(&str, Translate); 4] = [
        ("chat_to_gemini", |b, s, o| {
            gemini::transform_request(b, "gemini-2.5-flash", s, o).is_ok()
        }),
        ("chat_to_bedrock", |b, s, o| {
            bedrock::transform_request(b, "anthropic.claude-3-5-sonnet-20240620-v1:0", s, o).is_ok()
        }),
        ("chat_to_ollama_chat", |b, s, o| {
            ollama::chat_request(b, "llama3.2", s, o).is_ok()
        }),
        ("chat_to_ollama_generate", |b, s, o| {
            ollama::generate_request(b, "llama3.2", s, o).is_ok()
        }),
    ];
    for (name, translate) in translations {
        g.bench_function(format!("{name}/{}B", body.len()), |b| {
            b.iter(|| {
                out.clear();
                translate(black_box(&body), &mut scratch, &mut out)
            })
        });
    }
    let aws = AwsSigning::new("AKIDEXAMPLE", "secret", None, "us-east-1");
    let now = std::time::SystemTime::now();
    g.bench_function(format!("sigv4_sign/{}B", body.len()), |b| {
        b.iter(|| {
            bedrock::head::sign_headers(
                &aws,
                "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
                "bedrock-runtime.us-east-1.amazonaws.com",
                black_box(&body),
                now,
            )
            .map(|h| h.len())
        })
    });
    g.finish();
}

/// A chat completions body to a provider's, into `out`; whether it translated.
type Translate = fn(&[u8], &mut Scratch, &mut Vec<u8>) -> bool;

criterion_group!(benches, translate);
criterion_main!(benches);
