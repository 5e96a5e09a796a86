//! Command-line flags, named and defaulted as LiteLLM's `litellm` proxy command names them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// The flags a LiteLLM user already passes (`--config`, `--port`, `--host`, `--num_workers`),
/// plus corelane's own runtime switches.
#[derive(Debug, Parser)]
#[command(name = "corelane", version, about = "A LiteLLM-compatible AI gateway")]
pub struct Args {
    /// LiteLLM config.yaml (also CONFIG_FILE_PATH).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,

    /// Port to listen on; 0 picks a free one (printed on start).
    #[arg(long, default_value_t = 4000)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub host: String,

    /// Cores (one event loop each); default: the CPUs this process may use.
    #[arg(long = "num_workers", alias = "num-workers")]
    pub num_workers: Option<usize>,

    /// Use the epoll driver even where io_uring is available.
    #[arg(long = "epoll")]
    pub epoll: bool,

    /// Pin core N to CPU N (or to the CPUs listed, comma separated).
    #[arg(long = "pin-cpus", num_args = 0..=1, default_missing_value = "", value_name = "LIST")]
    pub pin_cpus: Option<String>,

    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long = "shutdown-grace", default_value_t = 10.0)]
    pub shutdown_grace: f64,

    /// Seconds a client has to send a whole request head, counted from its first byte (or
    /// from the connection's accept); nginx's `client_header_timeout` is 60.
    #[arg(
        long = "header-timeout",
        default_value_t = 60.0,
        value_name = "SECONDS"
    )]
    pub header_timeout: f64,

    /// Seconds a request body may go without a byte arriving; nginx's `client_body_timeout`.
    #[arg(long = "body-timeout", default_value_t = 60.0, value_name = "SECONDS")]
    pub body_timeout: f64,

    /// Least average rate (bytes/s) a request body must keep once one body timeout has passed.
    #[arg(long = "body-min-rate", default_value_t = 1024, value_name = "BYTES")]
    pub body_min_rate: u64,

    /// Seconds an idle keep-alive connection is kept open; nginx's `keepalive_timeout` is 75.
    #[arg(
        long = "keepalive-timeout",
        default_value_t = 75.0,
        value_name = "SECONDS"
    )]
    pub keepalive_timeout: f64,

    /// Open client connections per core; beyond it new ones are accepted and closed at once.
    /// Default: half the descriptor limit (the other half is for upstream connections),
    /// shared between the cores.
    #[arg(long = "max-connections", value_name = "N")]
    pub max_connections: Option<usize>,

    /// MiB of request bodies one core holds in memory at once; a body that would go past it
    /// spills to a temporary file (503 only when not even that fits).
    #[arg(long = "body-budget-mb", default_value_t = 256.0, value_name = "MIB")]
    pub body_budget_mb: f64,

    /// Log every request at debug level (LiteLLM's --detailed_debug); turns the access log on.
    #[arg(long = "detailed_debug")]
    pub detailed_debug: bool,

    /// Serve LiteLLM's Prometheus metrics on /metrics, as `litellm_settings.callbacks:
    /// ["prometheus"]` does.
    #[arg(long)]
    pub metrics: bool,

    /// Write one access log line per request to stderr (JSON when JSON_LOGS=true).
    #[arg(long = "access-log")]
    pub access_log: bool,

    /// Where the embedded key and spend store lives (a SQLite file, created on first start)
    /// when the config names no database_url.
    #[arg(long = "data-dir", env = "CORELANE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Requests whose spend rows are held in memory while the database cannot take them
    /// (about 230 bytes each); beyond this the oldest are dropped (and counted).
    #[arg(long = "spend-queue-rows", default_value_t = 50_000, value_name = "N")]
    pub spend_queue_rows: usize,

    /// The Python interpreter that runs the config's plugins (callbacks, guardrails, custom
    /// auth) in the sidecar; default `PYTHON`, else `python3`.
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,

    /// Seconds a plugin's hook may take before its request fails with a 503 (10 by
    /// default, at most 86400); `NAME=SECONDS` sets one plugin's, by its name in the config
    /// (a callback's path, a guardrail's name, the custom auth function's path). Repeatable.
    #[arg(long = "plugin-timeout", value_name = "[NAME=]SECONDS", value_parser = plugin_timeout)]
    pub plugin_timeout: Vec<(Option<String>, f64)>,
}

/// `SECONDS` or `NAME=SECONDS`, with SECONDS a positive number.
fn plugin_timeout(s: &str) -> Result<(Option<String>, f64), String> {
    let (name, secs) = match s.rsplit_once('=') {
        Some((name, secs)) if !name.is_empty() => (Some(name.to_owned()), secs),
        _ => (None, s),
    };
    match secs.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok((name, v)),
        _ => Err(format!("{secs:?} is not a positive number of seconds")),
    }
}

impl Args {
    /// `--plugin-timeout`: the default (the last bare value, else 10 s) and each plugin's
    /// own.
    pub fn plugin_timeouts(&self) -> (Duration, Vec<(String, Duration)>) {
        let secs = |s: f64| Duration::try_from_secs_f64(s.min(86_400.0)).unwrap_or(Duration::ZERO);
        let default = self
            .plugin_timeout
            .iter()
            .rev()
            .find(|(name, _)| name.is_none())
            .map_or(Duration::from_secs(10), |(_, s)| secs(*s));
        let named = self
            .plugin_timeout
            .iter()
            .filter_map(|(name, s)| Some((name.clone()?, secs(*s))))
            .collect();
        (default, named)
    }

    /// CPU for core `index` when pinning is on.
    pub fn cpu_for(&self, index: usize) -> Option<usize> {
        let list = self.pin_cpus.as_deref()?;
        if list.trim().is_empty() {
            return Some(index);
        }
        let cpus: Vec<usize> = list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        if cpus.is_empty() {
            return Some(index);
        }
        Some(cpus[index % cpus.len()])
    }
}
