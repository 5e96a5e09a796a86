//! The end-to-end suite behind `corelane-bench`: every scenario against every target, one table.

pub mod machine;
pub mod procfs;
pub mod procs;
pub mod report;
pub mod scenarios;
pub mod targets;
pub mod watch;

use crate::load::{self, LoadSpec, Target};
use machine::Machine;
use report::{Placement, Results, ScenarioResult, TargetRun};
use scenarios::Scenario;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use targets::{Env, TargetKind};
use watch::Watch;

/// How a suite run is set up.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    pub corelane: PathBuf,
    pub mock: PathBuf,
    /// The harness directory (nginx template, LiteLLM virtualenv, runs/).
    pub harness_dir: PathBuf,
    pub out_dir: Option<PathBuf>,
    pub quick: bool,
    pub warmup: Duration,
    pub duration: Duration,
    pub target_cpus: Vec<usize>,
    pub load_cpus: Vec<usize>,
    /// Scenario names to run (all when empty).
    pub only_scenarios: Vec<String>,
    /// Targets to leave out, by label.
    pub skip_targets: Vec<TargetKind>,
    pub notes: Vec<String>,
    /// Extra arguments for corelane (e.g. `--metrics`), recorded in the results' notes.
    pub corelane_args: Vec<String>,
}

/// Runs the suite, printing progress to stderr; returns the results and where they went.
pub fn run(options: &SuiteOptions) -> Result<(Results, PathBuf), String> {
    let machine = Machine::detect();
    if let Err(error) = monoio::utils::bind_to_cpu_set(options.load_cpus.iter().copied()) {
        return Err(format!(
            "cannot pin the harness to cpus {:?}: {error:?}",
            options.load_cpus
        ));
    }
    let out = options.out_dir.clone().unwrap_or_else(|| {
        options.harness_dir.join("runs").join(format!(
            "{}-{}{}",
            machine.date,
            machine.hostname,
            if options.quick { "-quick" } else { "" }
        ))
    });
    let raw = out.join("raw");
    std::fs::create_dir_all(&raw).map_err(|e| format!("{}: {e}", raw.display()))?;
    eprintln!("corelane-bench: writing {}", out.display());

    let mut placement = Placement {
        target_cpus: options.target_cpus.clone(),
        load_cpus: options.load_cpus.clone(),
        mock_cpus: options.load_cpus.clone(),
        observed: BTreeMap::new(),
    };
    let mut mock = start_mock(options, &raw)?;
    let mock_address = mock.1;
    placement
        .observed
        .insert("mock".to_owned(), cpus_allowed(mock.0.pid()));
    let env = Env {
        corelane: options.corelane.clone(),
        nginx: find_in_path("nginx"),
        nginx_template: options.harness_dir.join("nginx").join("nginx.conf.in"),
        litellm: options
            .harness_dir
            .join(".venv-litellm")
            .join("bin")
            .join("litellm"),
        raw: raw.clone(),
        target_cpus: options.target_cpus.clone(),
        mock: mock_address,
        mock_pid: mock.0.pid(),
        quick: options.quick,
        corelane_args: options.corelane_args.clone(),
    };

    let mut results = Results {
        machine,
        mode: if options.quick { "quick" } else { "full" }.to_owned(),
        warmup_s: options.warmup.as_secs_f64(),
        duration_s: options.duration.as_secs_f64(),
        notes: options
            .notes
            .iter()
            .cloned()
            .chain(
                (!options.corelane_args.is_empty())
                    .then(|| format!("corelane run with {}", options.corelane_args.join(" "))),
            )
            .collect(),
        ..Results::default()
    };
    let mut kinds = Vec::new();
    for kind in TargetKind::ALL {
        let reason = if options.skip_targets.contains(&kind) {
            Some("left out with --skip".to_owned())
        } else {
            targets::unavailable(kind, &env)
        };
        match reason {
            Some(reason) => {
                eprintln!("corelane-bench: {}: skipped: {reason}", kind.label());
                results.skipped.insert(kind.label().to_owned(), reason);
            }
            None => {
                results
                    .versions
                    .insert(kind.label().to_owned(), targets::version(kind, &env));
                kinds.push(kind);
            }
        }
    }

    for scenario in scenarios::all() {
        if !options.only_scenarios.is_empty() && !options.only_scenarios.contains(&scenario.name) {
            continue;
        }
        let mut result = ScenarioResult {
            name: scenario.name.clone(),
            about: scenario.about.clone(),
            concurrency: scenario.concurrency,
            runs: Vec::new(),
        };
        for &kind in &kinds {
            if !scenario.runs.includes(kind) {
                continue;
            }
            mock.0
                .check_alive()
                .map_err(|e| format!("the mock died: {e}"))?;
            let run = run_one(kind, &scenario, &env, options, &mut placement);
            eprintln!(
                "corelane-bench: {:<14} {:<17} {}",
                scenario.name,
                kind.label(),
                one_line(&run)
            );
            result.runs.push(run);
        }
        results.scenarios.push(result);
    }
    mock.0.stop();
    results.load_average_at_end = machine::load_average();
    results.placement = placement;
    results.summary = report::summarize(&results.scenarios);
    let json = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(out.join("results.json"), json + "\n")
        .map_err(|e| format!("results.json: {e}"))?;
    std::fs::write(out.join("results.md"), report::markdown(&results))
        .map_err(|e| format!("results.md: {e}"))?;
    Ok((results, out))
}

fn run_one(
    kind: TargetKind,
    scenario: &Scenario,
    env: &Env,
    options: &SuiteOptions,
    placement: &mut Placement,
) -> TargetRun {
    let failed = |error: String| TargetRun {
        target: kind,
        load: None,
        process: None,
        mock_requests: None,
        error: Some(error),
    };
    let running = match targets::start(kind, env, scenario) {
        Ok(running) => running,
        Err(error) => return failed(error),
    };
    if kind != TargetKind::Direct {
        placement
            .observed
            .insert(kind.label().to_owned(), cpus_allowed(running.pid));
    }
    let outcome = measure(&running.address, running.pid, env.mock, scenario, options);
    running.stop();
    match outcome {
        Ok((load, process, mock_requests)) => TargetRun {
            target: kind,
            load: Some(load),
            process: Some(process),
            mock_requests,
            error: None,
        },
        Err(error) => failed(error),
    }
}

/// The load report, the process report, and the requests the mock received meanwhile.
fn measure(
    address: &SocketAddr,
    pid: u32,
    mock: SocketAddr,
    scenario: &Scenario,
    options: &SuiteOptions,
) -> Result<(load::LoadReport, watch::ProcessReport, Option<u64>), String> {
    let url = format!("http://{address}{}", scenario.path);
    // Every request authenticates with the master key, as a client of either proxy must, or
    // with a virtual key made for the run.
    let master = format!("Authorization: Bearer {}", targets::MASTER_KEY);
    let auth = if scenario.virtual_key {
        format!("Authorization: Bearer {}", virtual_key(*address, &master)?)
    } else {
        master
    };
    let target = Target::new("POST", &url, &[auth], &scenario.body).map_err(|e| e.to_string())?;
    let mut spec = LoadSpec::closed(
        target,
        scenario.concurrency,
        options.warmup,
        options.duration,
    );
    spec.cpu = options.load_cpus.first().copied();
    // Zero the mock's counts (and start its `/flaky` cycles again, so runs fail alike).
    let counting = procs::http_ok_body(mock, "POST", "/__mock/reset").is_ok();
    let watch = Watch::start(pid);
    let probe = watch.window_probe();
    let (load, probe) = load::run(spec, probe).map_err(|e| format!("load generator: {e}"))?;
    let process = watch.finish(&probe, load.ok, load.window_s);
    let mock_requests = counting.then(|| mock_requests(mock)).flatten();
    Ok((load, process, mock_requests))
}

/// A virtual key for a run: limits far above what the run reaches (so every request is
/// checked against them and none is refused) and a budget, with its spend recorded.
fn virtual_key(address: SocketAddr, master: &str) -> Result<String, String> {
    let body = serde_json::json!({
        "key_alias": "bench",
        "rpm_limit": 1_000_000_000u64,
        "tpm_limit": 1_000_000_000_000u64,
        "max_parallel_requests": 100_000,
        "max_budget": 1_000_000.0,
    });
    let answer = procs::http_ok_exchange(
        address,
        "POST",
        "/key/generate",
        &[master],
        body.to_string().as_bytes(),
    )
    .map_err(|e| format!("/key/generate: {e}"))?;
    serde_json::from_slice::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| v["key"].as_str().map(str::to_owned))
        .ok_or_else(|| "/key/generate answered no key".to_owned())
}

/// Requests the mock has received since its last reset (it runs one thread, so one count).
fn mock_requests(mock: SocketAddr) -> Option<u64> {
    let body = procs::http_ok_body(mock, "GET", "/__mock/stats").ok()?;
    serde_json::from_slice::<serde_json::Value>(&body).ok()?["requests"].as_u64()
}

fn one_line(run: &TargetRun) -> String {
    match (&run.load, &run.process) {
        (Some(load), process) => format!(
            "{:>9.0} req/s  p50 {:>7} µs  p99 {:>7} µs  errors {}  non-2xx {}  error rate {}  upstream/response {}  CPU {} µs/req  HWM {:.1} MB",
            load.throughput,
            load.latency_us.p50,
            load.latency_us.p99,
            load.errors.total(),
            load.non_2xx,
            report::percent(load.error_rate),
            run.attempts_per_response()
                .map_or("–".to_owned(), |v| format!("{v:.3}")),
            process
                .as_ref()
                .and_then(|p| p.cpu_us_per_request)
                .map_or("–".to_owned(), |v| format!("{v:.1}")),
            process.as_ref().map_or(0.0, |p| p.vm_hwm_kb as f64 / 1024.0),
        ),
        (None, _) => format!("failed: {}", run.error.as_deref().unwrap_or("?")),
    }
}

fn start_mock(options: &SuiteOptions, raw: &Path) -> Result<(procs::Spawned, SocketAddr), String> {
    let cpus: Vec<String> = options.load_cpus.iter().map(usize::to_string).collect();
    let mut command = Command::new(&options.mock);
    command.args(["--host", "127.0.0.1", "--port", "0", "--threads", "1"]);
    if !cpus.is_empty() {
        command.arg("--cpus").arg(cpus.join(","));
    }
    let mut mock = procs::spawn_on(
        "corelane-mock",
        command,
        &options.load_cpus,
        &raw.join("mock.log"),
        true,
    )
    .map_err(|e| format!("starting {}: {e}", options.mock.display()))?;
    let rest = procs::wait_for_line(&mut mock, "listening on ", Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    let address = rest
        .parse()
        .map_err(|_| format!("mock printed an unreadable address {rest:?}"))?;
    Ok((mock, address))
}

fn cpus_allowed(pid: u32) -> String {
    procfs::status(pid).map_or_else(|e| format!("unreadable: {e}"), |s| s.cpus_allowed)
}

// The harness is a test tool, not the gateway: it may read PATH to find nginx.
#[allow(clippy::disallowed_methods)]
fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
