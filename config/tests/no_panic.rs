//! Randomized robustness: 20,000 mutations of a valid config must each parse or fail cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use corelane_config::{parse, Env};

/// xorshift64*: deterministic, so a failure reproduces from the printed iteration.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to YAML structure and to the field readers.
const ALPHABET: &[u8] = b" \n\t:-[]{},&*!|>'\"#%@`?<=.0123456789eE_+xyzos/~nulTF\\";

#[test]
fn mutated_configs_never_panic() {
    let seed =
        include_str!("fixtures/full.yaml").to_string() + include_str!("fixtures/anchors.yaml");
    let env = Env::from_pairs([("OPENAI_API_KEY".to_string(), "k".to_string())]);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut failed) = (0u32, 0u32);
    for iteration in 0..20_000 {
        // All edits keep the text ASCII, so slicing at any byte index is safe.
        let mut text = seed.clone().into_bytes();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(text.len());
            match rng.below(5) {
                0 => text.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
                1 if !text.is_empty() => {
                    text.remove(at);
                }
                2 => text[at] = ALPHABET[rng.below(ALPHABET.len())],
                3 => {
                    let len = rng.below(40).min(text.len() - at);
                    let chunk = text[at..at + len].to_vec();
                    let to = rng.below(text.len());
                    text.splice(to..to, chunk);
                }
                _ => {
                    let len = rng.below(80).min(text.len() - at);
                    text.drain(at..at + len);
                }
            }
        }
        let text = String::from_utf8(text).unwrap();
        match parse(&text, "fuzz.yaml", env.clone()) {
            Ok(_) => ok += 1,
            Err(e) => {
                let s = e.to_string();
                assert!(s.starts_with("fuzz.yaml:"), "iteration {iteration}: {s}");
                failed += 1;
            }
        }
    }
    // Both outcomes must be common, or the mutations test nothing.
    assert!(ok > 1_000 && failed > 1_000, "ok={ok} failed={failed}");
}
