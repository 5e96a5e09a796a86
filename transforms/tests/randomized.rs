//! No-panic tests: 100k mutations of realistic inputs through every parser of outside bytes,
//! with a fixed-seed PRNG so a failure reproduces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use corelane_transforms::json::tape::Scratch;
use corelane_transforms::provider::{self, Endpoint};
use corelane_transforms::{family, inspect, parse_usage, rewrite_chunk, splice, ModelRewriter};

/// xorshift64*: tiny, deterministic, good enough to pick mutation sites.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&[u8]] = &[
    br#"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"hi \"x\" \u00e9"}],"user":"u"}"#,
    br#"{"id":"c","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#,
    br#"{"object":"list","data":[{"embedding":[0.1,-2e-3],"index":0}],"model":"e","usage":{"prompt_tokens":8,"total_tokens":8}}"#,
    br#"{"error":{"message":"x","type":null}}"#,
    br#"{"model":"m","messages":[{"role":"user","name":"a","content":[{"type":"text","text":"x"},{"type":"file","file":{"file_id":"f"}}]},{"role":"assistant","content":"","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}","strict":true}}]},{"role":"tool","name":" ","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","strict":true,"parameters":{"anyOf":[{"strict":1}]}}}],"usage":{"include":false}}"#,
    br#"{"model":"r","query":"q","documents":["a",{"t":1}],"top_n":1,"system":[{"type":"text","text":"s"}]}"#,
];

/// Deployments whose request writers the mutations go through, with the client's endpoint.
const WRITERS: &[(&str, Endpoint)] = &[
    ("mistral/mistral-large-latest", Endpoint::ChatCompletions),
    ("xai/grok-3", Endpoint::ChatCompletions),
    ("openrouter/openai/gpt-4o", Endpoint::ChatCompletions),
    ("bedrock/amazon.rerank-v1:0", Endpoint::Rerank),
    ("gemini/gemini-2.5-flash", Endpoint::CountTokens),
];

const ALPHABET: &[u8] = b"{}[]\":,\\ \n0123456789.-+eEtrufalsnmodelusagechoices\x00\xff\xc3\xa9";

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(4) {
            0 if !input.is_empty() => {
                let at = at.min(input.len() - 1);
                input[at] = ALPHABET[rng.below(ALPHABET.len())];
            }
            1 => input.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
            2 if !input.is_empty() => {
                let end = (at + rng.below(8)).min(input.len());
                input.drain(at.min(end)..end);
            }
            _ => {
                let end = (at + rng.below(16)).min(input.len());
                let copy = input[at.min(end)..end].to_vec();
                let to = rng.below(input.len() + 1);
                input.splice(to..to, copy);
            }
        }
    }
}

#[test]
fn hundred_thousand_mutations_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    let mut bump = bumpalo::Bump::new();
    let mut accepted = 0;
    let mut writers_ok = [0; WRITERS.len()];
    for round in 0..100_000 {
        let mut input = SEEDS[round % SEEDS.len()].to_vec();
        mutate(&mut rng, &mut input);

        if let Ok(fields) = inspect(&input, &mut scratch) {
            accepted += 1;
            out.clear();
            splice(&input, &fields, "new \"model\"", round % 2 == 0, &mut out);
            // Valid JSON in, valid JSON out.
            assert!(
                serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
                "splice broke {:?}",
                String::from_utf8_lossy(&input)
            );
        }

        // The request writers of the rows that rewrite bodies member by member (Mistral's
        // messages, xAI's tools, OpenRouter's usage), Bedrock's rerank and Gemini's token
        // count: an answer is valid JSON.
        // One round of the seeds in eight, so each seed comes through.
        if (round / SEEDS.len()).is_multiple_of(8) {
            if let Ok(fields) = inspect(&input, &mut scratch) {
                for (i, (model, endpoint)) in WRITERS.iter().enumerate() {
                    let (row, provider_model) = provider::resolve(model, None).unwrap();
                    out.clear();
                    let written = family::write_request_body(
                        row,
                        *endpoint,
                        &input,
                        &fields,
                        provider_model,
                        None,
                        true,
                        round % 16 == 0,
                        &mut scratch,
                        &mut out,
                    );
                    if written.is_ok() {
                        writers_ok[i] += 1;
                        assert!(
                            serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
                            "{model} broke {:?}",
                            String::from_utf8_lossy(&input)
                        );
                    }
                }
            }
        }

        let mut r = ModelRewriter::new("g");
        out.clear();
        let cut = rng.below(input.len() + 1);
        r.feed(&input[..cut], &mut out);
        r.feed(&input[cut..], &mut out);
        r.finish(&mut out);
        let _ = r.usage();
        if serde_json::from_slice::<serde_json::Value>(&input).is_ok() {
            assert!(
                serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
                "rewrite broke {:?}",
                String::from_utf8_lossy(&input)
            );
        }

        // Holding the usage back to write it again (Voyage AI's answers) keeps JSON valid too.
        let mut r = ModelRewriter::with_usage_rewrite("g", corelane_transforms::voyage::usage);
        out.clear();
        r.feed(&input[..cut], &mut out);
        r.feed(&input[cut..], &mut out);
        r.finish(&mut out);
        if serde_json::from_slice::<serde_json::Value>(&input).is_ok() {
            assert!(
                serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
                "usage rewrite broke {:?}",
                String::from_utf8_lossy(&input)
            );
        }

        let o = rewrite_chunk(&input, "g", &bump);
        let _ = (o.usage, o.usage_only, o.is_error);
        let _ = parse_usage(&input);
        if round % 1024 == 0 {
            bump.reset();
        }
    }
    assert!(
        accepted > 1_000,
        "mutations should keep some inputs valid: {accepted}"
    );
    assert!(
        writers_ok.iter().all(|n| *n > 100),
        "each writer should take some inputs: {writers_ok:?}"
    );
}
