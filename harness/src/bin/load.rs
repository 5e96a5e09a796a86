//! `corelane-load`: the harness's HTTP/1.1 load generator as a command (closed loop or fixed rate).

use clap::Parser;
use corelane_harness::load::{self, Driver, LoadReport, LoadSpec, Target};
use std::process::ExitCode;
use std::time::Duration;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sends one request over and over on keep-alive connections and reports what came back.
#[derive(Debug, Parser)]
#[command(
    name = "corelane-load",
    about = "HTTP/1.1 load generator of the corelane harness"
)]
struct Args {
    /// Target, http://host:port/path.
    url: String,
    /// Connections, one request in flight on each.
    #[arg(short = 'c', long, default_value_t = 50)]
    concurrency: usize,
    /// Measured window, seconds.
    #[arg(short = 'd', long, default_value_t = 10.0)]
    duration: f64,
    /// Warm-up before the window, seconds (sent, not counted).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Open loop: requests per second on a fixed schedule (default: closed loop).
    #[arg(long)]
    rate: Option<f64>,
    /// Request body file (sent with Content-Length; POST unless --method says otherwise).
    #[arg(long)]
    body: Option<std::path::PathBuf>,
    /// Extra header, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// Request method; default POST with a body, GET without.
    #[arg(long)]
    method: Option<String>,
    /// Seconds allowed for one complete response.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Pin the generator's thread to this CPU.
    #[arg(long)]
    cpu: Option<usize>,
    /// Use monoio's io_uring driver instead of epoll.
    #[arg(long)]
    io_uring: bool,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(report) if report.clean() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(2),
        Err(message) => {
            eprintln!("corelane-load: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<LoadReport, String> {
    let body = match &args.body {
        Some(path) => std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?,
        None => Vec::new(),
    };
    let method = args
        .method
        .clone()
        .unwrap_or_else(|| if args.body.is_some() { "POST" } else { "GET" }.to_owned());
    let target =
        Target::new(&method, &args.url, &args.headers, &body).map_err(|e| e.to_string())?;
    let seconds = |value: f64, name: &str| {
        Duration::try_from_secs_f64(value)
            .map_err(|_| format!("--{name} must be a non-negative number of seconds"))
    };
    let spec = LoadSpec {
        target,
        concurrency: args.concurrency,
        rate: args.rate,
        warmup: seconds(args.warmup, "warmup")?,
        duration: seconds(args.duration, "duration")?,
        timeout: seconds(args.timeout, "timeout")?,
        driver: if args.io_uring {
            Driver::IoUring
        } else {
            Driver::Epoll
        },
        cpu: args.cpu,
    };
    let (report, ()) = load::run(spec, ()).map_err(|e| e.to_string())?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", corelane_harness::suite::report::load_text(&report));
    }
    Ok(report)
}
