//! Command-line options of `corelane-mock`, shared read-only by every server thread.

use clap::Parser;

/// How the mock provider listens and how it shapes its answers.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "corelane-mock",
    about = "Deterministic mock LLM provider (OpenAI and Anthropic wire formats) for corelane tests and load runs"
)]
pub struct MockOptions {
    /// Address to bind; tests keep the default loopback.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks an ephemeral port, printed on the first stdout line.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Server threads, each with its own runtime and SO_REUSEPORT listener.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// CPUs to pin threads to, round-robin (e.g. `0,1`); empty leaves them unpinned.
    #[arg(long, value_delimiter = ',')]
    pub cpus: Vec<usize>,
    /// Delay before every response head, added to any `/delay/{ms}` prefix.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Content chunks in every stream.
    #[arg(long, default_value_t = 10)]
    pub stream_chunks: usize,
    /// Delay between stream events unless `/slowstream/{ms}` overrides it.
    #[arg(long, default_value_t = 0)]
    pub chunk_delay_ms: u64,
    /// Embedding dimensions when the request has no `dimensions`.
    #[arg(long, default_value_t = 1536)]
    pub embed_dims: usize,
    /// Force monoio's epoll driver instead of probing io_uring.
    #[arg(long)]
    pub legacy_driver: bool,
}

impl Default for MockOptions {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            threads: 1,
            cpus: Vec::new(),
            latency_ms: 0,
            stream_chunks: 10,
            chunk_delay_ms: 0,
            embed_dims: 1536,
            legacy_driver: false,
        }
    }
}
