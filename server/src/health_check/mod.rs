//! LiteLLM's health checks of the deployments: `GET /health` checks them on demand, or answers
//! from the latest run of the background loop (`general_settings.background_health_checks`),
//! whose verdicts the router may route on (`enable_health_check_routing`).
//!
//! # Layout
//! - `probe`: one deployment's check: LiteLLM's request for its mode (`model_info.mode`, else
//!   the cost map's, else chat), sent through the gateway's own upstream path, within the
//!   check's timeout.
//! - `report`: the endpoint entries LiteLLM lists (display parameters, error, `model_id`,
//!   `exception_status`) and `/health`'s answer, with its `model` / `model_id` filters.
//! - `serve`: the health routes (`/health`, `/health/readiness`, `/health/readiness/details`,
//!   `/health/liveliness`).
//! - this file: the settings, the roster (which deployments, in LiteLLM's order), the
//!   background loop and the verdicts every core reads.
//!
//! # Why the background loop is a task on core 0
//! A run is a handful of small requests every `health_check_interval` (300 s by default). As a
//! monoio task on core 0 it reuses that core's upstream pool, TLS and resolver and the very
//! request path clients take (`proxy::build_upstream`, `relay::fetch`), so a check sees what a
//! request would see; it costs the core a few microseconds of work per check, off every
//! request's path (it never holds a request up: the core interleaves it like any other
//! connection). A dedicated thread would need its own runtime, pool and TLS sessions for no
//! gain. Its results cross cores as whole snapshots (`ArcSwap`) and one atomic a deployment.

mod probe;
mod report;
mod serve;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use corelane_config::Config;

use crate::core::Core;
use crate::gateway::Gateway;

pub(crate) use serve::serve;

/// LiteLLM's `DEFAULT_HEALTH_CHECK_INTERVAL` (seconds; the variable of that name overrides it).
const DEFAULT_INTERVAL: u64 = 300;
/// LiteLLM's `HEALTH_CHECK_TIMEOUT_SECONDS` default: one check's budget unless
/// `model_info.health_check_timeout` sets it.
const DEFAULT_TIMEOUT: u64 = 60;
/// LiteLLM's `DEFAULT_HEALTH_CHECK_STALENESS_MULTIPLIER`: a verdict counts for routing for
/// this many default intervals unless `health_check_staleness_threshold` says otherwise.
const STALENESS_MULTIPLIER: u64 = 2;
/// Checks in flight at once when `health_check_concurrency` is unset. LiteLLM starts them all
/// at once; a bound keeps a config of thousands of deployments from opening as many upstream
/// connections on one core.
const DEFAULT_CONCURRENCY: usize = 32;

/// What the checks are told by the config and LiteLLM's environment variables.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub background: bool,
    /// `None`: the loop never runs (an interval LiteLLM's loop refuses).
    pub interval: Option<Duration>,
    pub concurrency: usize,
    pub details: bool,
    pub skip_disabled: bool,
    pub model_groups: Option<Vec<String>>,
    pub routing: bool,
    pub staleness: Duration,
    pub ignore_transient: bool,
    pub public_readiness_details: bool,
    /// `HEALTH_CHECK_TIMEOUT_SECONDS`.
    pub timeout: Duration,
    /// `DEFAULT_HEALTH_CHECK_PROMPT`: the text of completion, embedding, rerank and
    /// responses checks.
    pub prompt: String,
    /// `BACKGROUND_HEALTH_CHECK_MAX_TOKENS` and `..._REASONING`.
    pub max_tokens: Option<u64>,
    pub max_tokens_reasoning: Option<u64>,
}

/// One row of LiteLLM's `llm_model_list`: the name it is listed under (a visible alias lists
/// its group's deployments under the alias) and the deployment.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    deployment: usize,
}

/// The health checks' settings, the latest background report, and each deployment's latest
/// background verdict, shared by every core.
pub struct HealthChecks {
    settings: Settings,
    /// LiteLLM's `router.get_model_list()` order: visible aliases' rows first (in config
    /// order), then `model_list`.
    roster: Vec<Row>,
    /// Per deployment: `(milliseconds since epoch + 1) << 1 | unhealthy` of the latest
    /// background run that checked it; 0 when none has.
    verdicts: Box<[AtomicU64]>,
    epoch: Instant,
    latest: ArcSwapOption<report::Report>,
}

impl std::fmt::Debug for HealthChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthChecks")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl HealthChecks {
    pub fn new(config: &Config, gw: &Gateway) -> Self {
        let hc = &config.general_settings.health_checks;
        // Health-check routing's keys count from router_settings too.
        let rs = &config.router_settings.health_routing;
        let env_int = |name: &str| {
            config
                .env
                .var(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        let default_interval = env_int("DEFAULT_HEALTH_CHECK_INTERVAL")
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(DEFAULT_INTERVAL);
        let interval = hc.interval.unwrap_or(default_interval);
        let timeout = env_int("HEALTH_CHECK_TIMEOUT_SECONDS")
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(DEFAULT_TIMEOUT);
        let settings = Settings {
            background: hc.background,
            interval: (interval > 0).then(|| Duration::from_secs(interval)),
            concurrency: hc
                .concurrency
                .filter(|&n| n > 0)
                .map_or(DEFAULT_CONCURRENCY, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }),
            details: hc.details,
            skip_disabled: hc.skip_disabled,
            model_groups: hc.model_groups.clone(),
            routing: hc.routing || rs.routing,
            staleness: rs
                .staleness_threshold
                .or(hc.staleness_threshold)
                .filter(|t| !t.is_zero())
                .unwrap_or(Duration::from_secs(default_interval * STALENESS_MULTIPLIER)),
            ignore_transient: hc.ignore_transient_errors || rs.ignore_transient_errors,
            public_readiness_details: hc.public_readiness_details,
            timeout: Duration::from_secs(timeout),
            prompt: config
                .env
                .var("DEFAULT_HEALTH_CHECK_PROMPT")
                .unwrap_or("test from litellm")
                .to_owned(),
            max_tokens: env_int("BACKGROUND_HEALTH_CHECK_MAX_TOKENS")
                .and_then(|n| u64::try_from(n).ok()),
            max_tokens_reasoning: env_int("BACKGROUND_HEALTH_CHECK_MAX_TOKENS_REASONING")
                .and_then(|n| u64::try_from(n).ok()),
        };
        let mut roster = Vec::with_capacity(gw.deployments.len());
        for alias in &config.router_settings.model_group_alias {
            if alias.hidden {
                continue;
            }
            if let Some(&group) = gw.by_name.get(&alias.model) {
                roster.extend(gw.groups[group].deployments.iter().map(|&d| Row {
                    name: alias.alias.clone(),
                    deployment: d,
                }));
            }
        }
        roster.extend(gw.deployments.iter().map(|d| Row {
            name: d.group.clone(),
            deployment: d.index,
        }));
        HealthChecks {
            settings,
            roster,
            verdicts: (0..gw.deployments.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            epoch: Instant::now(),
            latest: ArcSwapOption::empty(),
        }
    }

    /// Whether the background loop runs, and how often.
    pub fn background_interval(&self) -> Option<Duration> {
        self.settings
            .background
            .then_some(self.settings.interval)
            .flatten()
    }

    /// `enable_health_check_routing`: the pick filters on the verdicts (and LiteLLM lets a
    /// pick ignore cooldowns when they leave nothing and the router has an
    /// `allowed_fails_policy`).
    pub fn routing(&self) -> bool {
        self.settings.routing
    }

    /// Whether the latest background run found `deployment` unhealthy, and that verdict is
    /// younger than `health_check_staleness_threshold` (an older one is "unknown", as in
    /// LiteLLM's `DeploymentHealthCache`). Only with `enable_health_check_routing`.
    pub fn marked_unhealthy(&self, deployment: usize, now: Instant) -> bool {
        if !self.settings.routing {
            return false;
        }
        let Some(packed) = self
            .verdicts
            .get(deployment)
            .map(|v| v.load(Ordering::Relaxed))
        else {
            return false;
        };
        if packed & 1 == 0 {
            return false;
        }
        let at = self.epoch + Duration::from_millis((packed >> 1).saturating_sub(1));
        now.saturating_duration_since(at) < self.settings.staleness
    }

    /// LiteLLM's `Router._async_filter_health_check_unhealthy_deployments`, over the
    /// deployment indexes a pick considers, before the cooldown filter: with
    /// `enable_health_check_routing`, the ones [`Self::marked_unhealthy`] leave, unless
    /// that would leave none (then all stay). `background_health_check_model_groups`
    /// confines it to those groups; without that list, a router `allowed_fails_policy`
    /// turns it off (cooldowns alone decide then). `group_of` names a deployment's group.
    pub fn retain_routable<'a>(
        &self,
        candidates: &mut Vec<usize>,
        group_of: impl Fn(usize) -> &'a str,
        router_allowed_fails_policy: bool,
        now: Instant,
    ) {
        let scoped = self.settings.model_groups.as_deref();
        if !self.settings.routing || (router_allowed_fails_policy && scoped.is_none()) {
            return;
        }
        let out_of_scope =
            |d: usize| scoped.is_some_and(|groups| !groups.iter().any(|g| g == group_of(d)));
        let keep = |d: usize| !self.marked_unhealthy(d, now) || out_of_scope(d);
        if candidates.iter().any(|&d| keep(d)) {
            candidates.retain(|&d| keep(d));
        }
    }

    /// Records a background run: its report for `GET /health` and each checked deployment's
    /// verdict for routing (a 429 or 408 counts as healthy with
    /// `health_check_ignore_transient_errors`).
    fn record(&self, report: report::Report, now: Instant) {
        let at = u64::try_from(now.saturating_duration_since(self.epoch).as_millis())
            .unwrap_or(u64::MAX >> 2)
            .min(u64::MAX >> 2)
            + 1;
        for (deployment, unhealthy) in report.verdicts(self.settings.ignore_transient) {
            if let Some(cell) = self.verdicts.get(deployment) {
                cell.store(at << 1 | u64::from(unhealthy), Ordering::Relaxed);
            }
        }
        self.latest.store(Some(Arc::new(report)));
    }

    /// The rows a background run checks: every deployment but those with
    /// `model_info.disable_background_health_check`, within
    /// `background_health_check_model_groups` when it is set.
    fn background_rows(&self, gw: &Gateway) -> Vec<Row> {
        let groups = self.settings.model_groups.as_deref();
        self.roster
            .iter()
            .filter(|r| !probe::skips_background(&gw.deployments[r.deployment]))
            .filter(|r| groups.is_none_or(|g| g.contains(&r.name)))
            .cloned()
            .collect()
    }
}

/// The background loop (LiteLLM's `_run_background_health_check`): a run at start, then one
/// `health_check_interval` after each run ends, until shutdown.
pub(crate) async fn run_background(core: std::rc::Rc<Core>, checks: Arc<HealthChecks>) {
    let Some(interval) = checks.background_interval() else {
        return;
    };
    let gw = core.gateway.clone();
    if checks.settings.model_groups.is_some() && checks.background_rows(&gw).is_empty() {
        tracing::warn!(
            groups = ?checks.settings.model_groups,
            "background_health_check_model_groups matched no deployments"
        );
    }
    while !core.shutting_down() {
        let started = Instant::now();
        let rows = checks.background_rows(&gw);
        let deployments = report::unique(&gw, &rows);
        let run = probe::check_all(&core, &checks.settings, &deployments);
        let outcomes = monoio::select! {
            outcomes = run => outcomes,
            _ = core.draining.wait() => return,
        };
        let report = report::Report::new(&gw, &checks.settings, &deployments, outcomes);
        tracing::debug!(
            healthy = report.healthy_count(),
            unhealthy = report.unhealthy_count(),
            took_ms = started.elapsed().as_millis() as u64,
            "background health check done"
        );
        if started.elapsed() > interval {
            tracing::warn!(
                took_s = started.elapsed().as_secs(),
                interval_s = interval.as_secs(),
                "a background health check run took longer than health_check_interval"
            );
        }
        let now = Instant::now();
        if checks.routing() {
            cool_failed(&gw, &report, checks.settings.ignore_transient, now);
        }
        checks.record(report, now);
        monoio::select! {
            _ = monoio::time::sleep(interval) => {}
            _ = core.draining.wait() => return,
        }
    }
}

/// With health-check routing, LiteLLM's proxy also counts each failed check as a failure of
/// its deployment and cools it down as the router would (for the router's `cooldown_time`;
/// a 429 or 408 not, with `health_check_ignore_transient_errors`): its
/// `_write_health_state_to_router_cache`.
fn cool_failed(gw: &Gateway, report: &report::Report, ignore_transient: bool, now: Instant) {
    let rules = &gw.policy.cooldown;
    for (deployment, status) in report.failures() {
        if ignore_transient && matches!(status, 429 | 408) {
            continue;
        }
        let kinds: &'static [corelane_config::ErrorKind] = {
            use corelane_config::ErrorKind::*;
            match status {
                429 => &[RateLimit],
                408 => &[Timeout],
                401 => &[Authentication],
                404 => &[NotFound],
                400 => &[BadRequest],
                503 => &[ServiceUnavailable],
                s if s >= 500 => &[InternalServer],
                _ => &[],
            }
        };
        let Some(dep) = gw.deployments.get(deployment) else {
            continue;
        };
        let single = gw
            .groups
            .iter()
            .find(|g| g.deployments.contains(&deployment))
            .is_some_and(|g| g.deployments.len() == 1);
        let failure = crate::health::Failure {
            status,
            kinds,
            retry_after: None,
            single,
            lone: single && gw.policy.no_fallbacks_for(&dep.group),
            client_timeout: false,
        };
        let own = crate::health::DeploymentRules {
            cooldown_time: None,
            ..dep.cooldown
        };
        gw.health.failed(deployment, now, failure, rules, &own);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::report::{Failure, Outcome, Report};
    use super::*;

    /// Three deployments `a`, `b` (group `g`) and `c` (group `h`), with `general` settings.
    fn setup(general: &str) -> (Gateway, HealthChecks) {
        let mut yaml = String::from("model_list:\n");
        for (group, id) in [("g", "a"), ("g", "b"), ("h", "c")] {
            yaml.push_str(&format!(
                "  - model_name: {group}\n    litellm_params: {{model: openai/m, api_base: 'http://127.0.0.1:9/v1', api_key: k}}\n    model_info: {{id: {id}}}\n"
            ));
        }
        yaml.push_str("general_settings:\n");
        yaml.push_str(general);
        let config = corelane_config::parse(&yaml, "test", Default::default()).unwrap();
        let gw = Gateway::build(&config).unwrap();
        let checks = HealthChecks::new(&config, &gw);
        (gw, checks)
    }

    fn failed(status: u16) -> Outcome {
        Outcome::Unhealthy(Failure {
            error: "x".into(),
            status,
            raw_request: None,
        })
    }

    /// Records a run in which `a` is healthy, `b` failed with `b_status` and `c` failed.
    fn run(gw: &Gateway, checks: &HealthChecks, b_status: u16, at: Instant) {
        let outcomes = vec![Outcome::Healthy, failed(b_status), failed(500)];
        checks.record(Report::new(gw, &checks.settings, &[0, 1, 2], outcomes), at);
    }

    fn routable(checks: &HealthChecks, gw: &Gateway, policy: bool, now: Instant) -> Vec<usize> {
        let mut live = vec![0, 1, 2];
        checks.retain_routable(&mut live, |d| gw.deployments[d].group.as_str(), policy, now);
        live
    }

    #[test]
    fn unhealthy_deployments_leave_the_pick_only_with_health_check_routing() {
        let now = Instant::now();
        let (gw, off) = setup("  background_health_checks: true\n");
        run(&gw, &off, 500, now);
        assert!(!off.marked_unhealthy(1, now));
        assert_eq!(routable(&off, &gw, false, now), [0, 1, 2]);

        let (gw, on) = setup("  enable_health_check_routing: true\n");
        run(&gw, &on, 500, now);
        assert!(!on.marked_unhealthy(0, now));
        assert!(on.marked_unhealthy(1, now));
        assert_eq!(routable(&on, &gw, false, now), [0]);
        // A router allowed_fails_policy leaves routing to cooldowns.
        assert_eq!(routable(&on, &gw, true, now), [0, 1, 2]);
        // A verdict older than the staleness threshold (600 s by default) is unknown.
        let later = now + Duration::from_secs(601);
        assert!(!on.marked_unhealthy(1, later));
    }

    #[test]
    fn all_unhealthy_keeps_all_and_transient_errors_can_be_ignored() {
        let now = Instant::now();
        let (gw, checks) = setup(
            "  enable_health_check_routing: true\n  health_check_ignore_transient_errors: true\n  health_check_staleness_threshold: 30\n",
        );
        run(&gw, &checks, 429, now);
        assert!(!checks.marked_unhealthy(1, now), "a 429 is transient");
        assert!(checks.marked_unhealthy(2, now));
        assert!(!checks.marked_unhealthy(2, now + Duration::from_secs(31)));
        let mut only_c = vec![2];
        checks.retain_routable(&mut only_c, |_| "h", false, now);
        assert_eq!(only_c, [2], "none would be left: all stay");
    }

    #[test]
    fn model_groups_scope_health_check_routing() {
        let now = Instant::now();
        let (gw, checks) = setup(
            "  enable_health_check_routing: true\n  background_health_check_model_groups: [h]\n",
        );
        run(&gw, &checks, 500, now);
        // `b` (group g) is out of scope and stays; `c` (group h) leaves, even with a policy.
        assert_eq!(routable(&checks, &gw, true, now), [0, 1]);
        let rows: Vec<usize> = checks
            .background_rows(&gw)
            .iter()
            .map(|r| r.deployment)
            .collect();
        assert_eq!(rows, [2]);
    }
}
