//! Results of a run: the JSON document, the headline table with ratios, and its Markdown.

use super::machine::Machine;
use super::scenarios::{FLAKY_PERCENT, FLAKY_SCENARIOS};
use super::targets::TargetKind;
use super::watch::ProcessReport;
use crate::load::LoadReport;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything one run measured; written as results.json.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub machine: Machine,
    /// "full" or "quick".
    pub mode: String,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub placement: Placement,
    /// Version string of each target, by label.
    pub versions: BTreeMap<String, String>,
    /// Targets not run, with the reason.
    pub skipped: BTreeMap<String, String>,
    pub scenarios: Vec<ScenarioResult>,
    pub summary: Vec<Row>,
    /// Free text about the conditions of the run.
    pub notes: Vec<String>,
    /// /proc/loadavg when the last scenario finished.
    pub load_average_at_end: String,
}

/// Which CPUs each party was allowed to use, as requested and as /proc showed it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub target_cpus: Vec<usize>,
    pub load_cpus: Vec<usize>,
    pub mock_cpus: Vec<usize>,
    /// Cpus_allowed_list of each started process, by label.
    pub observed: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub about: String,
    pub concurrency: usize,
    pub runs: Vec<TargetRun>,
}

impl ScenarioResult {
    pub fn run(&self, kind: TargetKind) -> Option<&TargetRun> {
        self.runs.iter().find(|run| run.target == kind)
    }
}

/// One target under one scenario; `error` says why there are no numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRun {
    pub target: TargetKind,
    pub load: Option<LoadReport>,
    pub process: Option<ProcessReport>,
    /// Requests the mock received over the whole load run, warm-up included (from its
    /// `/__mock/stats`): over `load.completed_total`, the upstream attempts per response, in
    /// which retries show.
    #[serde(default)]
    pub mock_requests: Option<u64>,
    pub error: Option<String>,
}

impl TargetRun {
    /// Upstream attempts per client response over the whole run (retries make it above 1).
    pub fn attempts_per_response(&self) -> Option<f64> {
        let completed = self.load.as_ref()?.completed_total;
        let requests = self.mock_requests?;
        (completed > 0).then(|| requests as f64 / completed as f64)
    }
}

/// One line of the headline table: a metric per target, and corelane's ratio to each reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub metric: String,
    pub unit: String,
    pub lower_is_better: bool,
    pub values: BTreeMap<String, f64>,
    /// corelane's value divided by each reference's, by reference label.
    pub ratios: BTreeMap<String, f64>,
}

/// Targets in the order of the table's columns.
const COLUMNS: [TargetKind; 5] = TargetKind::ALL;
/// References corelane is divided by.
const REFERENCES: [TargetKind; 3] = [TargetKind::Nginx, TargetKind::Litellm, TargetKind::Direct];

fn scenario<'a>(results: &'a [ScenarioResult], name: &str) -> Option<&'a ScenarioResult> {
    results.iter().find(|s| s.name == name)
}

fn clean_load(run: &TargetRun) -> Option<&LoadReport> {
    run.load.as_ref().filter(|load| load.ok > 0)
}

/// The headline rows, from the scenarios measured in this run.
pub fn summarize(scenarios: &[ScenarioResult]) -> Vec<Row> {
    let mut rows = Vec::new();
    let metric = |name: &str, unit: &str, lower: bool, pick: &dyn Fn(TargetKind) -> Option<f64>| {
        let mut values = BTreeMap::new();
        for kind in COLUMNS {
            if let Some(value) = pick(kind) {
                values.insert(kind.label().to_owned(), value);
            }
        }
        let mut ratios = BTreeMap::new();
        if let Some(&ours) = values.get(TargetKind::Corelane.label()) {
            for reference in REFERENCES {
                if let Some(&theirs) = values.get(reference.label()) {
                    if theirs != 0.0 {
                        ratios.insert(reference.label().to_owned(), ours / theirs);
                    }
                }
            }
        }
        Row {
            metric: name.to_owned(),
            unit: unit.to_owned(),
            lower_is_better: lower,
            values,
            ratios,
        }
    };
    let load_of = |name: &str, kind: TargetKind| -> Option<&LoadReport> {
        scenario(scenarios, name)?.run(kind).and_then(clean_load)
    };
    let process_of = |name: &str, kind: TargetKind| -> Option<&ProcessReport> {
        // The mock serves every scenario, so its memory and CPU are not per scenario.
        if kind == TargetKind::Direct {
            return None;
        }
        let run = scenario(scenarios, name)?.run(kind)?;
        clean_load(run)?;
        run.process.as_ref()
    };
    let direct_p50 = load_of("chat-c1", TargetKind::Direct).map(|l| l.latency_us.p50 as f64);
    rows.push(metric(
        "Per-request overhead (chat-c1 p50 − direct p50)",
        "µs",
        true,
        &|kind| {
            if kind == TargetKind::Direct {
                return None;
            }
            Some(load_of("chat-c1", kind)?.latency_us.p50 as f64 - direct_p50?)
        },
    ));
    rows.push(metric(
        "Latency p50 at 1 connection (chat-c1)",
        "µs",
        true,
        &|kind| Some(load_of("chat-c1", kind)?.latency_us.p50 as f64),
    ));
    rows.push(metric(
        "CPU per request (chat-c50, utime+stime)",
        "µs",
        true,
        &|kind| process_of("chat-c50", kind)?.cpu_us_per_request,
    ));
    rows.push(metric(
        "Throughput at 50 concurrent (chat-c50)",
        "req/s",
        false,
        &|kind| Some(load_of("chat-c50", kind)?.throughput),
    ));
    rows.push(metric(
        "Peak memory under load (chat-c50, VmHWM)",
        "MB",
        true,
        &|kind| Some(process_of("chat-c50", kind)?.vm_hwm_kb as f64 / 1024.0),
    ));
    rows.push(metric(
        "Streams/s at 50 concurrent (stream-c50)",
        "streams/s",
        false,
        &|kind| Some(load_of("stream-c50", kind)?.throughput),
    ));
    rows.push(metric(
        "Stream time to first byte p50 (stream-c50)",
        "µs",
        true,
        &|kind| Some(load_of("stream-c50", kind)?.first_byte_us.p50 as f64),
    ));
    // The router with one of two deployments failing: what clients see (issue 9's target is
    // no error at all), how many attempts it took, and what absorbing them costs against
    // chat-c50 in the same run.
    for flaky in FLAKY_SCENARIOS {
        rows.push(metric(
            &format!("Client-visible error rate, one of two deployments failing {FLAKY_PERCENT} % ({flaky})"),
            "%",
            true,
            &|kind| Some(load_of(flaky, kind)?.error_rate * 100.0),
        ));
        rows.push(metric(
            &format!("Upstream attempts per response ({flaky})"),
            "per response",
            true,
            &|kind| {
                let run = scenario(scenarios, flaky)?.run(kind)?;
                clean_load(run)?;
                run.attempts_per_response()
            },
        ));
        rows.push(metric(
            &format!("CPU per request, {flaky} ÷ chat-c50"),
            "x",
            true,
            &|kind| {
                Some(
                    process_of(flaky, kind)?.cpu_us_per_request?
                        / process_of("chat-c50", kind)?.cpu_us_per_request?,
                )
            },
        ));
        rows.push(metric(
            &format!("Throughput, {flaky} ÷ chat-c50"),
            "x",
            false,
            &|kind| Some(load_of(flaky, kind)?.throughput / load_of("chat-c50", kind)?.throughput),
        ));
    }
    // Virtual keys (issue 10's target: at most 5 % more CPU per request than the master key).
    rows.push(metric(
        "CPU per request, keys ÷ chat-c50 (virtual key with limits and spend)",
        "x",
        true,
        &|kind| {
            Some(
                process_of("keys", kind)?.cpu_us_per_request?
                    / process_of("chat-c50", kind)?.cpu_us_per_request?,
            )
        },
    ));
    rows.push(metric("Throughput, keys ÷ chat-c50", "x", false, &|kind| {
        Some(load_of("keys", kind)?.throughput / load_of("chat-c50", kind)?.throughput)
    }));
    // Python plugins (issue 11's target: a logging-only plugin costs the cores under 10 %).
    for (scenario, what) in [
        ("plugin-log", "logging-only plugin"),
        ("plugin-precall", "pre-call hook"),
    ] {
        rows.push(metric(
            &format!("CPU per request, {scenario} ÷ chat-c50 ({what})"),
            "x",
            true,
            &|kind| {
                Some(
                    process_of(scenario, kind)?.cpu_us_per_request?
                        / process_of("chat-c50", kind)?.cpu_us_per_request?,
                )
            },
        ));
        rows.push(metric(
            &format!("Throughput, {scenario} ÷ chat-c50"),
            "x",
            false,
            &|kind| {
                Some(load_of(scenario, kind)?.throughput / load_of("chat-c50", kind)?.throughput)
            },
        ));
    }
    // What translation costs each gateway, against its own OpenAI pass-through in the run.
    for (translated, plain, what) in [
        (
            "anthropic-stream-c50",
            "stream-c50",
            "Anthropic stream ÷ OpenAI stream",
        ),
        ("messages-c50", "chat-c50", "/v1/messages to OpenAI ÷ chat"),
    ] {
        rows.push(metric(
            &format!("CPU per request, {what}"),
            "x",
            true,
            &|kind| {
                Some(
                    process_of(translated, kind)?.cpu_us_per_request?
                        / process_of(plain, kind)?.cpu_us_per_request?,
                )
            },
        ));
        rows.push(metric(
            &format!("Peak memory (VmHWM), {what}"),
            "x",
            true,
            &|kind| {
                Some(
                    process_of(translated, kind)?.vm_hwm_kb as f64
                        / process_of(plain, kind)?.vm_hwm_kb as f64,
                )
            },
        ));
    }
    for batch in [64, 256] {
        let name = format!("embed-batch-{batch}");
        rows.push(metric(
            &format!("Peak memory, {batch}x1536 embeddings (VmHWM)"),
            "MB",
            true,
            &|kind| Some(process_of(&name, kind)?.vm_hwm_kb as f64 / 1024.0),
        ));
    }
    rows
}

/// Whether a run is sane enough for a smoke test: every target that ran answered, without
/// errors or non-2xx responses. Returns the problems found.
pub fn sanity_problems(results: &Results) -> Vec<String> {
    let mut problems = Vec::new();
    for scenario in &results.scenarios {
        for run in &scenario.runs {
            let label = format!("{} / {}", scenario.name, run.target.label());
            match (&run.load, &run.error) {
                (_, Some(error)) => problems.push(format!("{label}: {error}")),
                (None, None) => problems.push(format!("{label}: no numbers")),
                (Some(load), None) => {
                    if load.ok == 0 || load.throughput <= 0.0 {
                        problems.push(format!("{label}: no successful responses"));
                    }
                    if load.errors.total() > 0 {
                        problems.push(format!(
                            "{label}: {} errors {:?}",
                            load.errors.total(),
                            load.errors
                        ));
                    }
                    if load.non_2xx > 0 {
                        problems.push(format!(
                            "{label}: {} non-2xx responses {:?}",
                            load.non_2xx, load.statuses
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// A share as a percentage, with the precision a rare error needs.
pub fn percent(share: f64) -> String {
    number(share * 100.0, "%")
}

fn number(value: f64, unit: &str) -> String {
    match unit {
        "MB" => format!("{value:.1} MB"),
        "%" if value > 0.0 && value < 0.01 => format!("{value:.1e} %"),
        "%" => format!("{value:.2} %"),
        "per response" => format!("{value:.3}"),
        "req/s" | "streams/s" => format!("{} {unit}", group(value.round() as i64)),
        "µs" if value.abs() >= 10_000.0 => format!("{:.1} ms", value / 1000.0),
        "µs" if value.abs() >= 100.0 => format!("{value:.0} µs"),
        _ => format!("{value:.1} {unit}"),
    }
}

/// Thousands separators, as the issue's table writes them.
fn group(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

/// The headline table and every scenario's detail, as Markdown (also printed as is).
pub fn markdown(results: &Results) -> String {
    let mut out = String::new();
    let m = &results.machine;
    let _ = writeln!(
        out,
        "# corelane harness run, {} ({})\n",
        m.date, results.mode
    );
    let _ = writeln!(
        out,
        "- Machine: `{}`, {} x {}, kernel {}",
        m.hostname, m.cpus, m.cpu_model, m.kernel
    );
    let _ = writeln!(out, "- Started: {}", m.started_at);
    let _ = writeln!(
        out,
        "- /proc/loadavg at start: `{}`; at end: `{}`",
        m.load_average_at_start, results.load_average_at_end
    );
    let p = &results.placement;
    let _ = writeln!(
        out,
        "- Placement: target on CPU {:?}; load generator on {:?}; mock on {:?}",
        p.target_cpus, p.load_cpus, p.mock_cpus
    );
    for (label, cpus) in &p.observed {
        let _ = writeln!(out, "  - observed Cpus_allowed_list of {label}: {cpus}");
    }
    let _ = writeln!(
        out,
        "- Window: {} s after {} s warm-up per scenario and target",
        results.duration_s, results.warmup_s
    );
    for (label, version) in &results.versions {
        let _ = writeln!(out, "- {label}: {version}");
    }
    for (label, reason) in &results.skipped {
        let _ = writeln!(out, "- {label}: skipped: {reason}");
    }
    for note in &results.notes {
        let _ = writeln!(out, "- Note: {note}");
    }
    let columns: Vec<TargetKind> = COLUMNS
        .into_iter()
        .filter(|kind| !results.skipped.contains_key(kind.label()))
        .collect();
    let references: Vec<TargetKind> = REFERENCES
        .into_iter()
        .filter(|k| columns.contains(k))
        .collect();
    let _ = writeln!(out, "\n## Summary\n");
    let mut header = "| |".to_owned();
    let mut rule = "|---|".to_owned();
    for kind in &columns {
        let _ = write!(header, " {} |", kind.label());
        rule.push_str("---:|");
    }
    for reference in &references {
        let _ = write!(header, " corelane ÷ {} |", reference.label());
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for row in &results.summary {
        let better = if row.lower_is_better {
            "lower is better"
        } else {
            "higher is better"
        };
        let mut line = format!("| {} ({better}) |", row.metric);
        for kind in &columns {
            let cell = row
                .values
                .get(kind.label())
                .map_or("–".to_owned(), |v| number(*v, &row.unit));
            let _ = write!(line, " {cell} |");
        }
        for reference in &references {
            let cell = row
                .ratios
                .get(reference.label())
                .map_or("–".to_owned(), |r| format!("{r:.2}×"));
            let _ = write!(line, " {cell} |");
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "\n## Scenarios\n");
    for scenario in &results.scenarios {
        let _ = writeln!(out, "### {} — {}\n", scenario.name, scenario.about);
        let _ = writeln!(
            out,
            "| target | req/s | p50 | p90 | p99 | p99.9 | first byte p50 | events/s | ok | non-2xx | errors | error rate | upstream/response | CPU µs/req | CPU use | RSS before | peak RSS (sampled) | VmHWM | RSS after |"
        );
        let _ = writeln!(
            out,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for run in &scenario.runs {
            let _ = writeln!(out, "{}", detail_line(run));
        }
        let _ = writeln!(out);
    }
    out
}

fn detail_line(run: &TargetRun) -> String {
    let label = if run.target == TargetKind::Direct {
        "direct (process = the mock)"
    } else {
        run.target.label()
    };
    let Some(load) = &run.load else {
        return format!(
            "| {label} | failed: {} |",
            run.error.as_deref().unwrap_or("no numbers")
        );
    };
    let us = |v: u64| number(v as f64, "µs");
    let mb = |kb: u64| format!("{:.1} MB", kb as f64 / 1024.0);
    let mut line = format!(
        "| {label} | {:.0} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
        load.throughput,
        us(load.latency_us.p50),
        us(load.latency_us.p90),
        us(load.latency_us.p99),
        us(load.latency_us.p999),
        us(load.first_byte_us.p50),
        load.events_per_s,
        load.ok,
        load.non_2xx,
        load.errors.total(),
        percent(load.error_rate),
        run.attempts_per_response()
            .map_or("–".to_owned(), |v| number(v, "per response")),
    );
    match &run.process {
        Some(p) => {
            let _ = write!(
                line,
                " {} | {:.0} % | {} | {} | {} | {} |",
                p.cpu_us_per_request
                    .map_or("–".to_owned(), |v| format!("{v:.1}")),
                p.cpu_utilisation * 100.0,
                mb(p.rss_before_kb),
                mb(p.peak_rss_sampled_kb),
                mb(p.vm_hwm_kb),
                mb(p.rss_after_kb),
            );
        }
        None => line.push_str(" – | – | – | – | – | – |"),
    }
    line
}

/// A load report as a few readable lines (the `corelane-load` command's output).
pub fn load_text(load: &LoadReport) -> String {
    let mut out = String::new();
    let mode = load.rate.map_or("closed loop".to_owned(), |r| {
        format!("open loop at {r} req/s")
    });
    let _ = writeln!(
        out,
        "{} connections, {mode}, {:.2} s window",
        load.concurrency, load.window_s
    );
    let _ = writeln!(
        out,
        "  throughput  {:.1} req/s ({} ok)",
        load.throughput, load.ok
    );
    let l = &load.latency_us;
    let _ = writeln!(
        out,
        "  latency µs  p50 {} | p90 {} | p99 {} | p99.9 {} | max {} | mean {:.1}",
        l.p50, l.p90, l.p99, l.p999, l.max, l.mean
    );
    let f = &load.first_byte_us;
    let _ = writeln!(out, "  first byte  p50 {} | p99 {} µs", f.p50, f.p99);
    if load.events > 0 {
        let _ = writeln!(
            out,
            "  events      {} ({:.1}/s)",
            load.events, load.events_per_s
        );
    }
    let _ = writeln!(
        out,
        "  non-2xx     {} {:?}\n  errors      {} {:?}\n  in flight at end {}, connections opened {}, body bytes {}",
        load.non_2xx,
        load.statuses,
        load.errors.total(),
        load.errors,
        load.in_flight_at_end,
        load.connections,
        load.body_bytes
    );
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::load::Percentiles;

    fn run(target: TargetKind, p50: u64, throughput: f64, hwm_kb: u64, cpu: f64) -> TargetRun {
        TargetRun {
            target,
            load: Some(LoadReport {
                ok: 100,
                throughput,
                latency_us: Percentiles {
                    p50,
                    ..Percentiles::default()
                },
                ..LoadReport::default()
            }),
            process: Some(ProcessReport {
                vm_hwm_kb: hwm_kb,
                cpu_us_per_request: Some(cpu),
                ..ProcessReport::default()
            }),
            mock_requests: None,
            error: None,
        }
    }

    fn scenarios() -> Vec<ScenarioResult> {
        let chat = |name: &str| ScenarioResult {
            name: name.to_owned(),
            runs: vec![
                run(TargetKind::Corelane, 330, 26_000.0, 10 * 1024, 30.0),
                run(TargetKind::Nginx, 320, 28_000.0, 18 * 1024, 29.0),
                run(TargetKind::Litellm, 7_800, 45.0, 340 * 1024, 20_000.0),
                run(TargetKind::Direct, 300, 37_000.0, 5 * 1024, 10.0),
            ],
            ..ScenarioResult::default()
        };
        vec![chat("chat-c1"), chat("chat-c50")]
    }

    fn row<'a>(rows: &'a [Row], prefix: &str) -> &'a Row {
        rows.iter().find(|r| r.metric.starts_with(prefix)).unwrap()
    }

    #[test]
    fn overhead_throughput_memory_and_ratios() {
        let rows = summarize(&scenarios());
        let overhead = row(&rows, "Per-request overhead");
        assert_eq!(overhead.values["corelane"], 30.0);
        assert_eq!(overhead.values["nginx"], 20.0);
        assert_eq!(overhead.values["LiteLLM"], 7_500.0);
        assert!(!overhead.values.contains_key("direct"));
        assert_eq!(overhead.ratios["nginx"], 1.5);
        assert_eq!(overhead.ratios["LiteLLM"], 0.004);
        let throughput = row(&rows, "Throughput");
        assert!(!throughput.lower_is_better);
        assert_eq!(throughput.ratios["direct"], 26_000.0 / 37_000.0);
        let memory = row(&rows, "Peak memory under load");
        assert_eq!(memory.values["corelane"], 10.0);
        assert!(
            !memory.values.contains_key("direct"),
            "the mock's memory is not per scenario"
        );
        assert_eq!(row(&rows, "CPU per request").values["LiteLLM"], 20_000.0);
        // Scenarios not run give empty rows, not zeros.
        assert!(row(&rows, "Streams/s").values.is_empty());
    }

    #[test]
    fn failed_runs_are_left_out_of_the_summary_and_flagged() {
        let mut scenarios = scenarios();
        scenarios[1].runs[1] = TargetRun {
            target: TargetKind::Nginx,
            load: None,
            process: None,
            mock_requests: None,
            error: Some("did not start".into()),
        };
        if let Some(load) = scenarios[1].runs[0].load.as_mut() {
            load.non_2xx = 3;
            load.errors.timeout = 1;
        }
        let rows = summarize(&scenarios);
        assert!(!row(&rows, "Throughput").values.contains_key("nginx"));
        let results = Results {
            scenarios,
            ..Results::default()
        };
        let problems = sanity_problems(&results);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("did not start")));
        assert!(problems.iter().any(|p| p.contains("non-2xx")));
    }

    #[test]
    fn flaky_rows_report_error_rate_attempts_and_cost_against_chat() {
        let mut scenarios = scenarios();
        let mut flaky = run(TargetKind::Corelane, 400, 20_000.0, 10 * 1024, 36.0);
        if let Some(load) = flaky.load.as_mut() {
            load.responses = 1000;
            load.non_2xx = 1;
            load.error_rate = 1.0 / 1000.0;
            load.completed_total = 4000;
        }
        flaky.mock_requests = Some(5000);
        scenarios.push(ScenarioResult {
            name: "chat-c50-flaky".to_owned(),
            runs: vec![flaky],
            ..ScenarioResult::default()
        });
        let rows = summarize(&scenarios);
        let errors = row(&rows, "Client-visible error rate");
        assert_eq!(errors.values["corelane"], 0.1);
        assert_eq!(errors.values.len(), 1, "corelane only: {errors:?}");
        assert_eq!(
            row(&rows, "Upstream attempts per response").values["corelane"],
            1.25
        );
        assert_eq!(
            row(&rows, "CPU per request, chat-c50-flaky").values["corelane"],
            1.2
        );
        let throughput = row(&rows, "Throughput, chat-c50-flaky");
        assert_eq!(throughput.values["corelane"], 20_000.0 / 26_000.0);
        assert!(!throughput.lower_is_better);
        let text = markdown(&Results {
            summary: rows,
            scenarios,
            ..Results::default()
        });
        assert!(text.contains("| 1 | 0 | 0.10 % | 1.250 |"), "{text}");
        assert!(text.contains("| 0 | 0 | 0.00 % | – |"), "{text}");
        assert_eq!(percent(1.0 / 300_000.0), "3.3e-4 %");
    }

    #[test]
    fn markdown_has_the_table_and_json_round_trips() {
        let scenarios = scenarios();
        let mut skipped = BTreeMap::new();
        skipped.insert("corelane (epoll)".to_owned(), "not asked for".to_owned());
        let results = Results {
            mode: "quick".into(),
            summary: summarize(&scenarios),
            scenarios,
            skipped,
            ..Results::default()
        };
        let text = markdown(&results);
        assert!(text.contains("| | corelane | nginx | LiteLLM | direct | corelane ÷ nginx | corelane ÷ LiteLLM | corelane ÷ direct |"), "{text}");
        assert!(text.contains("26,000 req/s"), "{text}");
        assert!(
            text.contains("7.5 ms") || text.contains("7500 µs"),
            "{text}"
        );
        assert!(text.contains("0.93×"), "{text}");
        assert!(text.contains("direct (process = the mock)"));
        let json = serde_json::to_string(&results).unwrap();
        // serde_json's default float parsing may differ in the last bit: ratios are compared
        // within a tolerance, everything else exactly.
        let back: Results = serde_json::from_str(&json).unwrap();
        assert_eq!(back.scenarios, results.scenarios);
        assert_eq!(back.skipped, results.skipped);
        for (theirs, ours) in back.summary.iter().zip(&results.summary) {
            assert_eq!(theirs.values, ours.values);
            for (label, ratio) in &ours.ratios {
                assert!((theirs.ratios[label] - ratio).abs() < 1e-12);
            }
        }
        assert!(json.contains("\"corelane-epoll\"") || !json.contains("CorelaneEpoll"));
    }

    #[test]
    fn numbers_read_like_the_issue_table() {
        assert_eq!(group(6782), "6,782");
        assert_eq!(group(-1_234_567), "-1,234,567");
        assert_eq!(number(31.7, "MB"), "31.7 MB");
        assert_eq!(number(7_500.0, "µs"), "7500 µs");
        assert_eq!(number(52.0, "µs"), "52.0 µs");
        assert_eq!(number(20_000.0, "µs"), "20.0 ms");
    }
}
