//! What the golden-fixture tests share: the case folders of one family, and their `args`
//! (`key=value` lines).

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
