//! Inputs that read better as files than as code, embedded at compile time.

/// About 1 KiB of plain English prose (no markup), for token counting.
pub const ENGLISH_1K: &str = include_str!("../data/english-1k.txt");

/// A LiteLLM `config.yaml` with a dozen model groups over several providers, for routing.
pub const ROUTER_CONFIG: &str = include_str!("../data/router.yaml");
