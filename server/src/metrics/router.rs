//! The router's metrics, as LiteLLM 1.108.7 names, labels and sets them: cooldowns
//! (`litellm_deployment_cooled_down`, and the complete outage of `litellm_deployment_state`),
//! fallbacks (`litellm_deployment_successful_fallbacks` / `_failed_fallbacks`), the limits of
//! the deployments that served (`litellm_deployment_tpm_limit` / `_rpm_limit`) and what is
//! left of their group's minute (`litellm_remaining_requests_metric` / `_tokens_metric`).
//!
//! Counted per core where the router acts (`crate::routing`), with no lock, and merged when
//! scraped like the request metrics. Every key is bounded by the configuration: deployment and
//! group indexes, statuses, error classes, callers.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Instant;

use super::{sample, unix_now, Callers, Key, Metrics, Requested, L, L::*};
use crate::errors::{ExceptionClass, GatewayError};
use crate::exchange::{Caller, Exchange, RouteLabel};
use crate::gateway::{Deployment, Gateway, ModelGroup};

/// A cooldown, by what caused it (LiteLLM's `increment_deployment_cooled_down`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Cooled {
    deployment: u32,
    status: u16,
}

/// One fallback attempt as LiteLLM's `log_success_fallback_event` /
/// `log_failure_fallback_event` label it: the group that failed, with its error, and the
/// group tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Fallback {
    caller: Caller,
    from: u32,
    /// `None`: a name that is no group (labelled "other", as LiteLLM bounds unknown models).
    to: Option<u32>,
    class: ExceptionClass,
    status: u16,
    succeeded: bool,
}

/// A counter's value and when its series was first seen.
#[derive(Debug, Clone, Copy)]
struct Count {
    n: u64,
    created: f64,
}

impl Count {
    fn merge(&mut self, o: Count) {
        self.n += o.n;
        self.created = self.created.min(o.created);
    }
}

/// What was left of a group's rpm and tpm this minute when a deployment of it last served
/// (LiteLLM's `_async_set_router_remaining_metrics`: the sums of the deployments' limits
/// minus the sums of their usage).
#[derive(Debug, Clone, Copy)]
struct Remaining {
    requests: Option<i64>,
    tokens: Option<i64>,
    at: Instant,
}

/// One core's router metrics (and, merged, every core's).
#[derive(Debug, Default, Clone)]
pub(super) struct RouterCounts {
    cooled: HashMap<Cooled, Count>,
    fallbacks: HashMap<Fallback, Count>,
    /// When each deployment last cooled down (LiteLLM's `set_deployment_complete_outage`).
    outages: HashMap<u32, Instant>,
    /// The deployments that served a request, by caller.
    served: HashMap<(u32, Caller), Remaining>,
}

impl RouterCounts {
    pub(super) fn merge(&mut self, o: RouterCounts) {
        for (k, c) in o.cooled {
            self.cooled.entry(k).or_insert(Count { n: 0, ..c }).merge(c);
        }
        for (k, c) in o.fallbacks {
            self.fallbacks
                .entry(k)
                .or_insert(Count { n: 0, ..c })
                .merge(c);
        }
        for (d, at) in o.outages {
            let e = self.outages.entry(d).or_insert(at);
            *e = (*e).max(at);
        }
        for (k, r) in o.served {
            let e = self.served.entry(k).or_insert(r);
            if r.at > e.at {
                *e = r;
            }
        }
    }
}

/// A group's limits: the sums of its deployments' `rpm` and `tpm` (`None` where none sets
/// one), as LiteLLM's `_set_model_group_info` adds them.
type GroupLimits = (Option<u64>, Option<u64>);

/// One core's router metrics and what it computed once from the configuration.
#[derive(Debug, Default)]
pub(super) struct RouterTable {
    pub(super) counts: RouterCounts,
    /// By group index, computed on the group's first success.
    limits: Vec<Option<GroupLimits>>,
}

fn count<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Count>, key: K) {
    map.entry(key)
        .or_insert_with(|| Count {
            n: 0,
            created: unix_now(),
        })
        .n += 1;
}

impl Metrics {
    /// The router cooled `d` down after an answer with `status`: LiteLLM's
    /// `router_cooldown_event_callback` counts it and marks the deployment's complete outage.
    pub fn cooled(&self, d: &Deployment, status: u16) {
        let mut table = self.router.borrow_mut();
        let counts = &mut table.counts;
        let deployment = d.index as u32;
        count(&mut counts.cooled, Cooled { deployment, status });
        counts.outages.insert(deployment, Instant::now());
    }

    /// `d` of `group` served a request of `caller` (LiteLLM's success metrics set the
    /// deployment's limit gauges, and the group's remaining requests and tokens after this
    /// request's usage was counted). Nothing to keep when the group sets no limit.
    pub fn served(&self, gw: &Gateway, group: &ModelGroup, d: &Deployment, caller: Caller) {
        let mut table = self.router.borrow_mut();
        if table.limits.len() <= group.index {
            table.limits.resize(group.index + 1, None);
        }
        let (rpm, tpm) = *table.limits[group.index].get_or_insert_with(|| group_limits(gw, group));
        if rpm.is_none() && tpm.is_none() {
            return;
        }
        // LiteLLM's router counts usage only for deployments with a limit.
        let minute = crate::router::minute_now();
        let (mut requests, mut tokens) = (0u64, 0u64);
        for &i in &group.deployments {
            if crate::router::limits(&gw.deployments[i]) != (None, None) {
                let (r, t) = gw.health.minute_usage(i, minute);
                requests += u64::from(r);
                tokens += t;
            }
        }
        let left = |limit: u64, used: u64| limit as i64 - used as i64;
        table.counts.served.insert(
            (d.index as u32, caller),
            Remaining {
                requests: rpm.map(|l| left(l, requests)),
                tokens: tpm.map(|l| left(l, tokens)),
                at: Instant::now(),
            },
        );
    }
}

fn group_limits(gw: &Gateway, group: &ModelGroup) -> GroupLimits {
    let mut sums: GroupLimits = (None, None);
    for &i in &group.deployments {
        let (rpm, tpm) = crate::router::limits(&gw.deployments[i]);
        if let Some(r) = rpm {
            sums.0 = Some(sums.0.unwrap_or(0).saturating_add(r));
        }
        if let Some(t) = tpm {
            sums.1 = Some(sums.1.unwrap_or(0).saturating_add(t));
        }
    }
    sums
}

/// Where the attempts of a fallback level start from: the group that failed, and how.
#[derive(Debug, Clone, Copy)]
struct Origin {
    group: u32,
    class: ExceptionClass,
    status: u16,
}

impl Origin {
    fn of(ex: &Exchange<'_>, group: &ModelGroup, e: &GatewayError) -> Self {
        Origin {
            group: group.index as u32,
            class: e.exception_class(ex.provider.map(|p| p.name)),
            status: e.status(),
        }
    }
}

/// The fallbacks of one request, logged as LiteLLM's nested `run_async_fallback` logs them
/// (`router_utils/fallback_event_handlers.py`): each attempt is labelled with the group it
/// falls back from and that group's error; an attempt that fails and goes on to fallbacks
/// of its own is settled when they are, so an answer found below it is its success too
/// (LiteLLM logs a success at every level the answer returns through), and it failed only
/// when everything below it did. An `order` tier is an attempt of the same group, nested
/// under the tier before it, as LiteLLM nests them.
#[derive(Debug)]
pub struct FallbackLog<'m> {
    metrics: Option<&'m Metrics>,
    caller: Caller,
    origin: Origin,
    /// Attempts that failed and went on to fallbacks of their own, oldest first, each with
    /// the origin it was made from.
    open: Vec<(Origin, u32)>,
}

impl<'m> FallbackLog<'m> {
    /// Fallbacks from `group`, which failed with `e`.
    pub fn new(
        metrics: Option<&'m Metrics>,
        ex: &Exchange<'_>,
        group: &ModelGroup,
        e: &GatewayError,
    ) -> Self {
        FallbackLog {
            metrics,
            caller: ex.caller,
            origin: Origin::of(ex, group, e),
            open: Vec::new(),
        }
    }

    /// `to` answered.
    pub fn succeeded(&mut self, to: &ModelGroup) {
        self.count(self.origin, Some(to.index as u32), true);
        while let Some((origin, to)) = self.open.pop() {
            self.count(origin, Some(to), true);
        }
    }

    /// `to` failed with `e`; what is tried next falls back from it.
    pub fn descend(&mut self, ex: &Exchange<'_>, to: &ModelGroup, e: &GatewayError) {
        self.open.push((self.origin, to.index as u32));
        self.origin = Origin::of(ex, to, e);
    }

    /// Nothing is left below the newest open attempt: it failed.
    pub fn ascend(&mut self) {
        if let Some((origin, to)) = self.open.pop() {
            self.count(origin, Some(to), false);
            self.origin = origin;
        }
    }

    /// A name that is no group was tried: it failed at once.
    pub fn unknown(&mut self) {
        self.count(self.origin, None, false);
    }

    /// Nothing answered: every open attempt failed.
    pub fn exhausted(&mut self) {
        while !self.open.is_empty() {
            self.ascend();
        }
    }

    fn count(&self, from: Origin, to: Option<u32>, succeeded: bool) {
        let Some(m) = self.metrics else {
            return;
        };
        let key = Fallback {
            caller: self.caller,
            from: from.group,
            to,
            class: from.class,
            status: from.status,
            succeeded,
        };
        count(&mut m.router.borrow_mut().counts.fallbacks, key);
    }
}

/// A key that labels a deployment alone (the label code of the request metrics).
fn deployment_key(deployment: u32, caller: Caller, status: u16) -> Key {
    Key {
        route: RouteLabel(""),
        llm: true,
        caller: caller.into(),
        requested: Requested::Absent,
        deployment: Some(deployment),
        status,
        failure: None,
        service_tier: None,
    }
}

fn label(key: &Key, l: L, gw: &Gateway, absent: &'static str) -> String {
    let mut s = String::new();
    key.label(l, gw, &Callers::default(), absent, &mut s);
    s
}

/// The series of `litellm_deployment_state` LiteLLM's cooldown callback sets to 2: labelled
/// with the deployment's `model_name` (its group), not the model the request metrics name, so
/// a group named unlike its model keeps a series of its own. Into `rows`, where the latest
/// event for the same labels wins.
pub(super) fn outages(
    gw: &Gateway,
    c: &RouterCounts,
    labels: &[L],
    rows: &mut BTreeMap<Vec<String>, (Instant, f64)>,
) {
    for (&d, &at) in &c.outages {
        let Some(dep) = gw.deployments.get(d as usize) else {
            continue;
        };
        let key = deployment_key(d, Caller::Master, 0);
        let values = labels
            .iter()
            .map(|&l| match l {
                LitellmModelName => dep.group.clone(),
                _ => label(&key, l, gw, ""),
            })
            .collect();
        let row = rows.entry(values).or_insert((at, 2.0));
        if at >= row.0 {
            *row = (at, 2.0);
        }
    }
}

const LIMIT: &[L] = &[ApiBase, ApiProvider, LitellmModelName, ModelGroup, ModelId];
const COOLED: &[L] = &[
    ApiBase,
    ApiProvider,
    ExceptionStatus,
    LitellmModelName,
    ModelId,
];
const FALLBACK: &[L] = &[
    ApiKeyAlias,
    ExceptionClass,
    ExceptionStatus,
    FallbackModel,
    HashedApiKey,
    ModelId,
    RequestedModel,
    Team,
    TeamAlias,
];
/// The same labels as the overhead histogram's.
const REMAINING: &[L] = super::OVERHEAD;

/// The router's families, after `litellm_deployment_state`; each HELP and TYPE line is
/// written even with no series, as prometheus_client writes them.
pub(super) fn render(gw: &Gateway, c: &RouterCounts, out: &mut String) {
    // The limits, as `_set_deployment_tpm_rpm_limit_metrics` reads them: `model_info`'s,
    // else (a missing or 0 value, Python's `or`) `litellm_params`'.
    let served: std::collections::BTreeSet<u32> = c.served.keys().map(|&(d, _)| d).collect();
    for (name, help, pick) in [
        (
            "litellm_deployment_tpm_limit",
            "Deployment TPM limit found in config",
            (|d: &Deployment| d.info.tpm.filter(|&t| t != 0).or(d.params.tpm))
                as fn(&Deployment) -> Option<u64>,
        ),
        (
            "litellm_deployment_rpm_limit",
            "Deployment RPM limit found in config",
            |d: &Deployment| d.info.rpm.filter(|&r| r != 0).or(d.params.rpm),
        ),
    ] {
        let mut rows = BTreeMap::new();
        for &d in &served {
            let Some(limit) = gw.deployments.get(d as usize).and_then(pick) else {
                continue;
            };
            let key = deployment_key(d, Caller::Master, 0);
            let values: Vec<String> = LIMIT.iter().map(|&l| label(&key, l, gw, "")).collect();
            rows.insert(values, limit as f64);
        }
        gauge(out, name, help, LIMIT, &rows);
    }

    let mut rows = BTreeMap::new();
    for (k, n) in &c.cooled {
        let Some(dep) = gw.deployments.get(k.deployment as usize) else {
            continue;
        };
        let key = deployment_key(k.deployment, Caller::Master, k.status);
        let values: Vec<String> = COOLED
            .iter()
            .map(|&l| match l {
                // The deployment's `model_name`, as the cooldown callback passes it.
                LitellmModelName => dep.group.clone(),
                _ => label(&key, l, gw, ""),
            })
            .collect();
        rows.entry(values).or_insert(Count { n: 0, ..*n }).merge(*n);
    }
    counter(
        out,
        "litellm_deployment_cooled_down_total",
        "LLM Deployment Analytics - Number of times a deployment has been cooled down by LiteLLM load balancing logic. exception_status is the status of the exception that caused the deployment to be cooled down",
        COOLED,
        &rows,
    );

    for (succeeded, name, help) in [
        (
            true,
            "litellm_deployment_successful_fallbacks_total",
            "LLM Deployment Analytics - Number of successful fallback requests from primary model -> fallback model",
        ),
        (
            false,
            "litellm_deployment_failed_fallbacks_total",
            "LLM Deployment Analytics - Number of failed fallback requests from primary model -> fallback model",
        ),
    ] {
        let mut rows = BTreeMap::new();
        for (k, n) in c.fallbacks.iter().filter(|(k, _)| k.succeeded == succeeded) {
            let key = Key {
                route: RouteLabel(""),
                llm: true,
                caller: k.caller.into(),
                requested: Requested::Group(k.from),
                deployment: None,
                status: k.status,
                failure: Some(k.class),
                service_tier: None,
            };
            let values: Vec<String> = FALLBACK
                .iter()
                .map(|&l| match l {
                    FallbackModel => k
                        .to
                        .and_then(|g| gw.groups.get(g as usize))
                        .map_or_else(|| "other".to_owned(), |g| g.name.clone()),
                    // No deployment is known to the fallback event: `model_id` is "None".
                    _ => label(&key, l, gw, "None"),
                })
                .collect();
            rows.entry(values).or_insert(Count { n: 0, ..*n }).merge(*n);
        }
        counter(out, name, help, FALLBACK, &rows);
    }

    for (name, help, requests) in [
        (
            "litellm_remaining_requests_metric",
            "LLM Deployment Analytics - remaining requests for model, returned from LLM API Provider",
            true,
        ),
        (
            "litellm_remaining_tokens_metric",
            "remaining tokens for model, returned from LLM API Provider",
            false,
        ),
    ] {
        let mut rows = BTreeMap::new();
        for (&(d, caller), r) in &c.served {
            let Some(v) = (if requests { r.requests } else { r.tokens }) else {
                continue;
            };
            let key = deployment_key(d, caller, 0);
            let values: Vec<String> = REMAINING.iter().map(|&l| label(&key, l, gw, "")).collect();
            rows.insert(values, v as f64);
        }
        gauge(out, name, help, REMAINING, &rows);
    }
}

fn gauge(
    out: &mut String,
    name: &str,
    help: &str,
    labels: &[L],
    rows: &BTreeMap<Vec<String>, f64>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (values, v) in rows {
        sample(out, name, labels, values, None, *v);
    }
}

/// A counter family and, when it has series, its `_created` gauges.
fn counter(
    out: &mut String,
    name: &str,
    help: &str,
    labels: &[L],
    rows: &BTreeMap<Vec<String>, Count>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    for (values, c) in rows {
        sample(out, name, labels, values, None, c.n as f64);
    }
    if rows.is_empty() {
        return;
    }
    let base = name.strip_suffix("_total").unwrap_or(name);
    let _ = writeln!(out, "# HELP {base}_created {help}");
    let _ = writeln!(out, "# TYPE {base}_created gauge");
    for (values, c) in rows {
        sample(
            out,
            &format!("{base}_created"),
            labels,
            values,
            None,
            c.created,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_sorted() {
        for labels in [LIMIT, COOLED, FALLBACK, REMAINING] {
            let names: Vec<&str> = labels.iter().map(|l| l.name()).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(names, sorted);
        }
    }

    fn group(index: usize, name: &str) -> ModelGroup {
        ModelGroup {
            index,
            name: name.to_owned(),
            deployments: Vec::new(),
            wildcard_prefix: None,
        }
    }

    fn refusal(status: u16) -> GatewayError {
        GatewayError::RouterRefusal {
            status,
            class: "RateLimitError",
            kind: "throttling_error",
            message: String::new(),
            provider_retry_after: None,
        }
    }

    /// `a` fails (429), its second `order` tier fails (503), its fallback `b` fails (500) with
    /// nothing of its own, then `c` answers: as LiteLLM nests them, `b` and `c` fall back from
    /// the last tier's error, and the tier's attempt succeeded through `c`.
    #[test]
    fn fallbacks_settle_as_litellm_nests_them() {
        let (peers, _inboxes) = super::super::channels(1);
        let metrics = Metrics::new(peers);
        let ex = Exchange::new(
            corelane_http1::Method::Post,
            RouteLabel("/v1/chat/completions"),
            Instant::now(),
            true,
        );
        let (a, b, c) = (group(0, "a"), group(1, "b"), group(2, "c"));
        let mut log = FallbackLog::new(Some(&metrics), &ex, &a, &refusal(429));
        log.descend(&ex, &a, &refusal(503));
        log.descend(&ex, &b, &refusal(500));
        log.ascend();
        log.succeeded(&c);
        let table = metrics.router.borrow();
        let mut got: Vec<(u32, Option<u32>, u16, bool, u64)> = table
            .counts
            .fallbacks
            .iter()
            .map(|(k, n)| (k.from, k.to, k.status, k.succeeded, n.n))
            .collect();
        got.sort_unstable();
        assert_eq!(
            got,
            [
                (0, Some(0), 429, true, 1),
                (0, Some(1), 503, false, 1),
                (0, Some(2), 503, true, 1),
            ]
        );
    }

    #[test]
    fn counts_merge_by_sum_and_earliest_creation() {
        let key = Cooled {
            deployment: 0,
            status: 429,
        };
        let mut a = RouterCounts::default();
        a.cooled.insert(key, Count { n: 2, created: 5.0 });
        let mut b = RouterCounts::default();
        b.cooled.insert(key, Count { n: 1, created: 3.0 });
        a.merge(b);
        let c = a.cooled[&key];
        assert_eq!((c.n, c.created), (3, 3.0));
    }
}
