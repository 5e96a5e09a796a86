//! The virtual keys' gauges, as LiteLLM 1.108.7 names and labels them: what is left of each
//! key's budget (`litellm_remaining_api_key_budget_metric`, `+Inf` without one) and its
//! budget (`litellm_api_key_max_budget_metric`), and the rate limits of keys and teams in
//! their current window (`litellm_api_key_rate_limit_allowed_metric` / `_used_metric`,
//! `litellm_team_rate_limit_*`).
//!
//! Read at scrape time from the store's snapshot and the limits' counters, for every key in
//! the snapshot (as LiteLLM's periodic budget job sets the gauge for every key): nothing is
//! counted on the request path for them.

use std::fmt::Write as _;

use super::{float, push_label};
use crate::auth::Snapshot;
use crate::limits::Limits;

/// One gauge's rows to write: labels, value.
type Rows = Vec<(Vec<(&'static str, String)>, f64)>;

/// Appends the gauges of every key and team in `snap`.
pub fn render(snap: &Snapshot, out: &mut String) {
    if snap.keys.is_empty() {
        return;
    }
    let now = crate::limits::unix_now();
    let mut keys: Vec<_> = snap.keys.values().collect();
    keys.sort_by(|a, b| a.record.token.cmp(&b.record.token));
    let mut teams: Vec<_> = snap.teams.values().collect();
    teams.sort_by(|a, b| a.record.team_id.cmp(&b.record.team_id));
    let key_labels = |k: &crate::auth::KeyEntity| {
        vec![
            (
                "api_key_alias",
                k.record.key_alias.clone().unwrap_or_else(|| "None".into()),
            ),
            ("hashed_api_key", k.record.token.clone()),
        ]
    };

    let remaining: Rows = keys
        .iter()
        .map(|k| {
            let r = &k.record;
            let left = r
                .max_budget
                .map_or(f64::INFINITY, |max| max - k.spend_now(r.spend));
            (key_labels(k), left)
        })
        .collect();
    gauge(
        out,
        "litellm_remaining_api_key_budget_metric",
        "Remaining budget for api key",
        &remaining,
    );
    let max: Rows = keys
        .iter()
        .filter_map(|k| Some((key_labels(k), k.record.max_budget?)))
        .collect();
    gauge(
        out,
        "litellm_api_key_max_budget_metric",
        "Maximum budget set for api key",
        &max,
    );

    let key_limits: Vec<_> = keys
        .iter()
        .map(|k| {
            (
                key_labels(k),
                Limits::from_row(k.record.rpm_limit, k.record.tpm_limit, None),
                &*k.state,
            )
        })
        .collect();
    let team_limits: Vec<_> = teams
        .iter()
        .map(|t| {
            let labels = vec![
                ("team", t.record.team_id.clone()),
                (
                    "team_alias",
                    t.record.team_alias.clone().unwrap_or_else(|| "None".into()),
                ),
            ];
            (
                labels,
                Limits::from_row(t.record.rpm_limit, t.record.tpm_limit, None),
                &*t.state,
            )
        })
        .collect();
    for (who, whom, whose, entities) in [
        ("api_key", "API Key", "rpm_limit / tpm_limit", &key_limits),
        ("team", "Team", "team rpm_limit / tpm_limit", &team_limits),
    ] {
        let (mut allowed, mut used): (Rows, Rows) = (Vec::new(), Vec::new());
        for (labels, l, state) in entities.iter() {
            let left = state.limits.remaining(l, now);
            for (kind, limit, remaining) in [
                ("requests", l.rpm, left.requests),
                ("tokens", l.tpm, left.tokens),
            ] {
                let Some(limit) = limit else { continue };
                let mut labels = labels.clone();
                labels.push(("rate_limit_type", kind.to_owned()));
                let consumed = limit.saturating_sub(remaining.unwrap_or(limit));
                allowed.push((labels.clone(), limit as f64));
                used.push((labels, consumed as f64));
            }
        }
        gauge(
            out,
            &format!("litellm_{who}_rate_limit_allowed_metric"),
            &format!("Configured rate limit for the {whom} in the current window ({whose}), by rate_limit_type"),
            &allowed,
        );
        gauge(
            out,
            &format!("litellm_{who}_rate_limit_used_metric"),
            &format!("Requests or tokens the {whom} has consumed in the current rate limit window, by rate_limit_type"),
            &used,
        );
    }
}

/// corelane's own counts of the spend rows (LiteLLM has none): written, dropped (the queue
/// was full or the database refused them), held now, and whether the last write worked.
pub fn render_store(stats: &crate::store::StoreStats, out: &mut String) {
    use std::sync::atomic::Ordering::Relaxed;
    for (name, kind, help, v) in [
        (
            "corelane_spend_rows_written_total",
            "counter",
            "LiteLLM_SpendLogs rows written to the database",
            stats.rows_written.load(Relaxed) as f64,
        ),
        (
            "corelane_spend_rows_dropped_total",
            "counter",
            "Spend rows dropped: the queue was full or the database refused them",
            stats.rows_dropped.load(Relaxed) as f64,
        ),
        (
            "corelane_spend_rows_pending",
            "gauge",
            "Spend rows held until the database takes them",
            stats.rows_pending.load(Relaxed) as f64,
        ),
        (
            "corelane_store_up",
            "gauge",
            "1 when the database took the last write",
            if stats.db_up.load(Relaxed) { 1.0 } else { 0.0 },
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "{name} {}", float(v));
    }
}

/// A gauge's `# HELP` and `# TYPE` lines and its rows (labels in alphabetical order).
fn gauge(out: &mut String, name: &str, help: &str, rows: &Rows) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (labels, v) in rows {
        out.push_str(name);
        out.push('{');
        let mut first = true;
        for (label, value) in labels {
            push_label(out, &mut first, label, value);
        }
        out.push_str("} ");
        out.push_str(&float(*v));
        out.push('\n');
    }
}
