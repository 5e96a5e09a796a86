//! What the golden-fixture tests share: the case folders of one family, their `args`
//! (`key=value` lines), and random edits of their inputs.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The case folders under `tests/fixtures/<family>/`, sorted.
pub fn cases(family: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(family);
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The case's `args` file as a map (empty when there is none).
pub fn args(dir: &Path) -> HashMap<String, String> {
    let text = fs::read_to_string(dir.join("args")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `seed` with 1 to `max_edits - 1` random edits: a byte replaced, removed, or a JSON
/// punctuation byte inserted.
#[allow(dead_code)]
pub fn mutate(rng: &mut fastrand::Rng, seed: &[u8], max_edits: usize) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..rng.usize(1..max_edits) {
        let i = rng.usize(..b.len());
        match rng.u8(..3) {
            0 => b[i] = rng.u8(..),
            1 => {
                b.remove(i);
            }
            _ => b.insert(i, *b"{}[]\",:0ae\\".get(rng.usize(..11)).unwrap()),
        }
    }
    b
}
