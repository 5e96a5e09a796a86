//! `corelane-bench`: runs every scenario against corelane and the references, prints the table.

use clap::Parser;
use corelane_harness::suite::{self, report, targets::TargetKind, SuiteOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The one command that reproduces the performance table (harness/run.sh builds and calls it).
#[derive(Debug, Parser)]
#[command(
    name = "corelane-bench",
    about = "End-to-end benchmark of corelane against nginx, LiteLLM and the bare mock"
)]
struct Args {
    /// The gateway binary; default: `corelane` next to this binary.
    #[arg(long)]
    corelane: Option<PathBuf>,
    /// The mock provider binary; default: `corelane-mock` next to this binary.
    #[arg(long)]
    mock: Option<PathBuf>,
    /// The harness directory (nginx/, .venv-litellm/, runs/); default: this crate's source dir.
    #[arg(long)]
    harness_dir: Option<PathBuf>,
    /// Where results.json and results.md go; default: `<harness>/runs/<date>-<hostname>`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Smoke test: short windows, no LiteLLM; fails only if the harness or a target misbehaves
    /// (errors, non-2xx, no throughput), never on the performance targets.
    #[arg(long)]
    quick: bool,
    /// Measured window per scenario and target, seconds (default 10, quick 2).
    #[arg(long)]
    duration: Option<f64>,
    /// Warm-up before each window, seconds (default 2, quick 0.5).
    #[arg(long)]
    warmup: Option<f64>,
    /// CPUs of the process under test.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    target_cpus: Vec<usize>,
    /// CPUs of the load generator and the mock.
    #[arg(long, value_delimiter = ',', default_value = "0")]
    load_cpus: Vec<usize>,
    /// Run only these scenarios (comma separated).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Leave out targets: corelane, corelane-epoll, nginx, litellm (comma separated).
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// A note recorded in results (e.g. what else ran on the machine).
    #[arg(long)]
    note: Vec<String>,
    /// An extra argument for corelane, repeatable (e.g. `--corelane-arg=--metrics`).
    #[arg(long, allow_hyphen_values = true)]
    corelane_arg: Vec<String>,
    /// Exit non-zero when any target had errors or non-2xx responses (implied by --quick).
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(message) => {
            eprintln!("corelane-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<bool, String> {
    let here = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(PathBuf::from))
        .unwrap_or_default();
    let seconds = |value: Option<f64>, full: f64, quick: f64| {
        let value = value.unwrap_or(if args.quick { quick } else { full });
        Duration::try_from_secs_f64(value)
            .map_err(|_| format!("{value} is not a number of seconds"))
    };
    let skip_targets = args
        .skip
        .iter()
        .map(|name| match name.to_ascii_lowercase().as_str() {
            "corelane" => Ok(TargetKind::Corelane),
            "corelane-epoll" => Ok(TargetKind::CorelaneEpoll),
            "nginx" => Ok(TargetKind::Nginx),
            "litellm" => Ok(TargetKind::Litellm),
            other => Err(format!("unknown target {other:?} for --skip")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = SuiteOptions {
        corelane: args.corelane.unwrap_or_else(|| here.join("corelane")),
        mock: args.mock.unwrap_or_else(|| here.join("corelane-mock")),
        harness_dir: args
            .harness_dir
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        out_dir: args.out,
        quick: args.quick,
        warmup: seconds(args.warmup, 2.0, 0.5)?,
        duration: seconds(args.duration, 10.0, 2.0)?,
        target_cpus: args.target_cpus,
        load_cpus: args.load_cpus,
        only_scenarios: args.scenarios,
        skip_targets,
        notes: args.note,
        corelane_args: args.corelane_arg,
    };
    let (results, out) = suite::run(&options)?;
    println!("{}", report::markdown(&results));
    println!("results: {}/results.json and results.md", out.display());
    let problems = report::sanity_problems(&results);
    for problem in &problems {
        eprintln!("corelane-bench: problem: {problem}");
    }
    Ok(problems.is_empty() || !(args.quick || args.check))
}
