//! The environment the config sees: process variables overlaid with `environment_variables`.

use std::collections::BTreeMap;

/// Prefix LiteLLM uses for "read this value from the environment" (`get_secret`).
pub const ENV_REF_PREFIX: &str = "os.environ/";

/// Environment seen by the config: a snapshot of the process env overlaid with
/// `environment_variables` from the config (config values win, as LiteLLM sets
/// `os.environ` from them).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Snapshot of this process's environment. This crate is the only place that reads it;
    /// variables whose name or value is not UTF-8 are skipped (they cannot be named in YAML).
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the environment
    pub fn from_process() -> Self {
        Self::from_pairs(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// An environment holding exactly `pairs` (later pairs win); for tests and embedding.
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        Self {
            vars: pairs.into_iter().collect(),
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Resolves `os.environ/NAME` to the variable's value. `Ok(None)` when `text` is not a
    /// reference; `Err(name)` when it is one but the variable is unset.
    pub fn resolve_ref<'a>(&'a self, text: &'a str) -> Result<Option<&'a str>, &'a str> {
        match text.strip_prefix(ENV_REF_PREFIX) {
            None => Ok(None),
            Some(name) => self.var(name).map(Some).ok_or(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_pairs_and_set_win() {
        let mut env = Env::from_pairs([("A".into(), "1".into()), ("A".into(), "2".into())]);
        assert_eq!(env.var("A"), Some("2"));
        env.set("A", "3");
        assert_eq!(env.var("A"), Some("3"));
        assert_eq!(env.var("B"), None);
    }

    #[test]
    fn resolves_references() {
        let env = Env::from_pairs([
            ("KEY".into(), "sk-1".into()),
            ("EMPTY".into(), String::new()),
        ]);
        assert_eq!(env.resolve_ref("os.environ/KEY"), Ok(Some("sk-1")));
        assert_eq!(env.resolve_ref("os.environ/EMPTY"), Ok(Some("")));
        assert_eq!(env.resolve_ref("os.environ/NOPE"), Err("NOPE"));
        assert_eq!(env.resolve_ref("plain"), Ok(None));
    }

    #[test]
    fn process_snapshot_sees_path() {
        // PATH is set for every test runner this project uses.
        assert!(Env::from_process().var("PATH").is_some());
    }
}
