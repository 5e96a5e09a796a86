//! Model resolution and deployment choice: exact group, `model_group_alias`, then wildcard
//! patterns (longest prefix first), as LiteLLM's router orders them; several deployments of a
//! group are picked by simple-shuffle among those not cooling down, in the lowest `order`
//! tier. The retry and fallback loop that calls [`pick`] is in `proxy`; [`Policy`] holds its
//! settings, [`crate::health`] the cooldowns every core sees.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use corelane_config::{Config, ErrorKind, Fallback, RetryPolicy, RoutingStrategy, StrategyArgs};
use corelane_transforms::provider::{self, ProviderRow, UnknownProvider};

use crate::errors::GatewayError;
use crate::gateway::{Deployment, DeploymentKind, Gateway, ModelGroup, Upstream};
use crate::health::CooldownRules;

/// LiteLLM's retries when none are configured (`openai.DEFAULT_MAX_RETRIES`).
const DEFAULT_RETRIES: u32 = 2;
/// LiteLLM's `ROUTER_MAX_FALLBACKS`.
const DEFAULT_MAX_FALLBACKS: u32 = 5;
/// LiteLLM's `DEFAULT_COOLDOWN_TIME_SECONDS`.
const DEFAULT_COOLDOWN: Duration = Duration::from_secs(5);
/// LiteLLM's `litellm.allowed_fails` default.
const DEFAULT_ALLOWED_FAILS: u64 = 3;
/// The first wait between retries, doubled each time up to the longest
/// (`INITIAL_RETRY_DELAY`, `MAX_RETRY_DELAY`), plus up to `JITTER` at random.
const FIRST_WAIT: f64 = 0.5;
const LONGEST_WAIT: f64 = 8.0;
const JITTER: f64 = 0.75;

/// The router's retry, fallback and cooldown settings: `router_settings`, else the same keys
/// of `litellm_settings`, else LiteLLM's defaults.
#[derive(Debug, Clone)]
pub struct Policy {
    pub num_retries: u32,
    /// How deep fallbacks of fallbacks may go.
    pub max_fallbacks: u32,
    /// `fallbacks`, then `default_fallbacks` as a `"*"` entry.
    pub fallbacks: Vec<Fallback>,
    /// `None` when unset: such errors then take the ordinary fallbacks.
    pub context_window_fallbacks: Option<Vec<Fallback>>,
    pub content_policy_fallbacks: Option<Vec<Fallback>>,
    /// The least wait between retries where no other deployment can take them.
    pub retry_after: Duration,
    pub cooldown: CooldownRules,
    /// `retry_policy`, and `model_group_retry_policy` replacing it for a group.
    pub retry_policy: Option<RetryPolicy>,
    pub group_retry_policy: Vec<(String, RetryPolicy)>,
    pub strategy: Strategy,
    /// `enable_tag_filtering` (a group's `model_info.enable_tag_filtering` wins) and
    /// `tag_filtering_match_any`.
    pub tag_filtering: bool,
    pub tag_match_any: bool,
    /// Whether any group routes by tags (so requests' tags are read).
    pub reads_tags: bool,
    /// `enable_pre_call_checks`: deployments whose context window the prompt exceeds are
    /// left out.
    pub pre_call_checks: bool,
}

/// `routing_strategy`, with its `routing_strategy_args`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    /// By `weight`, else `rpm`, else `tpm`, else uniform.
    SimpleShuffle,
    /// Fewest attempts in flight; the first in config order among equals.
    LeastBusy,
    /// Lowest mean of the latest samples (seconds per output token; a stream's time to first
    /// token when it has some), at random among those within `buffer` of it; a deployment
    /// without samples counts 0. The minute's successes count against `rpm`/`tpm`.
    Latency {
        ttl: Duration,
        buffer: f64,
        samples: usize,
        ttft_percentile: Option<f64>,
    },
    /// Lowest tokens this minute (successes), the first among equals; a deployment whose
    /// successes reached `rpm - 1` is left out.
    UsageV1,
    /// Lowest tokens this minute, at random among equals; requests count before the call and
    /// one over `rpm` fails (and cools the deployment); `rpm - 1` leaves it out.
    UsageV2,
    /// Lowest input plus output price per token (5.0 each where unknown); the minute's
    /// successes count against `rpm`/`tpm`.
    Cost,
}

impl Strategy {
    /// Whether the strategy keeps a minute's requests and tokens.
    pub fn counts_usage(self) -> bool {
        !matches!(self, Strategy::SimpleShuffle | Strategy::LeastBusy)
    }
}

/// LiteLLM's `LowestLatencyLoggingHandler` defaults.
const LATENCY_TTL: Duration = Duration::from_secs(3600);
const LATENCY_SAMPLES: u64 = 10;
/// Most latency samples kept per deployment, whatever `max_latency_list_size` says.
const MAX_SAMPLES: u64 = 1000;

impl Policy {
    pub fn new(config: &Config) -> Self {
        let router = &config.router_settings;
        let litellm = &config.litellm_settings;
        let (r, l) = (&router.retries, &litellm.retries);
        // LiteLLM's `arg or litellm.<key>`: an empty list is unset.
        let pick = |a: &Vec<Fallback>, b: &Vec<Fallback>| {
            if a.is_empty() {
                b.clone()
            } else {
                a.clone()
            }
        };
        let mut fallbacks = pick(&r.fallbacks, &l.fallbacks);
        let defaults = if r.default_fallbacks.is_empty() {
            &l.default_fallbacks
        } else {
            &r.default_fallbacks
        };
        if !defaults.is_empty() {
            fallbacks.push(Fallback {
                group: "*".to_owned(),
                targets: defaults.clone(),
            });
        }
        let optional = |a: &Vec<Fallback>, b: &Vec<Fallback>| {
            let v = pick(a, b);
            (!v.is_empty()).then_some(v)
        };
        // `Router.allowed_fails` is the router's, else `litellm.allowed_fails`; failures are
        // counted against it only when it differs from the latter or a policy is set.
        let litellm_allowed = litellm.allowed_fails.unwrap_or(DEFAULT_ALLOWED_FAILS);
        let allowed_fails = router.allowed_fails.unwrap_or(litellm_allowed);
        Policy {
            num_retries: clamp(r.num_retries.or(l.num_retries), DEFAULT_RETRIES),
            max_fallbacks: clamp(r.max_fallbacks.or(l.max_fallbacks), DEFAULT_MAX_FALLBACKS),
            fallbacks,
            context_window_fallbacks: optional(
                &r.context_window_fallbacks,
                &l.context_window_fallbacks,
            ),
            content_policy_fallbacks: optional(
                &r.content_policy_fallbacks,
                &l.content_policy_fallbacks,
            ),
            retry_after: router.retry_after.unwrap_or_default(),
            cooldown: CooldownRules {
                disabled: router.disable_cooldowns == Some(true),
                // `cooldown_time or DEFAULT`: 0 is the default too.
                cooldown_time: router
                    .cooldown_time
                    .filter(|t| !t.is_zero())
                    .unwrap_or(DEFAULT_COOLDOWN),
                allowed_fails: clamp(Some(allowed_fails), 0),
                counting: allowed_fails != litellm_allowed || router.allowed_fails_policy.is_some(),
                policy: router.allowed_fails_policy,
            },
            retry_policy: router.retry_policy,
            group_retry_policy: router.model_group_retry_policy.clone(),
            strategy: strategy(router.routing_strategy, &router.routing_strategy_args),
            tag_filtering: router.enable_tag_filtering == Some(true),
            tag_match_any: router.tag_filtering_match_any != Some(false),
            reads_tags: router.enable_tag_filtering == Some(true)
                || config
                    .model_list
                    .iter()
                    .any(|m| m.model_info.enable_tag_filtering == Some(true)),
            pre_call_checks: router.enable_pre_call_checks == Some(true),
        }
    }

    /// How many latency samples each deployment keeps (1 unless the strategy reads them).
    pub fn samples(&self) -> usize {
        match self.strategy {
            Strategy::Latency { samples, .. } => samples,
            _ => 1,
        }
    }

    /// Whether a lone deployment is picked without looking at anything but its cooldown.
    fn plain(&self) -> bool {
        matches!(self.strategy, Strategy::SimpleShuffle | Strategy::LeastBusy)
            && !self.pre_call_checks
    }

    /// The retries the retry policy gives an error of `kinds` (status `status`) in `group`:
    /// the group's policy, else `retry_policy`; a 404 takes `NotFoundErrorRetries` first,
    /// then the most specific class it names, else `DefaultRetries`.
    pub fn policy_retries(&self, group: &str, kinds: &[ErrorKind], status: u16) -> Option<u32> {
        let policy = self
            .group_retry_policy
            .iter()
            .find(|(g, _)| g == group)
            .map(|(_, p)| p)
            .or(self.retry_policy.as_ref())?;
        let not_found = (status == 404).then_some(&[ErrorKind::NotFound][..]);
        let n = not_found
            .and_then(|k| policy.by_kind.first(k))
            .or_else(|| policy.by_kind.first(kinds))
            .or(policy.default)?;
        Some(clamp(Some(n), 0))
    }

    /// Whether a deployment alone in `group` has no fallbacks either (LiteLLM's
    /// `is_lone_deployment`, from the router's `fallbacks`).
    pub fn no_fallbacks_for(&self, group: &str) -> bool {
        Policy::chain(&self.fallbacks, group).is_none_or(<[String]>::is_empty)
    }

    /// The fallback groups for `group` in `table`: its own entry, else `"*"`'s.
    pub fn chain<'p>(table: &'p [Fallback], group: &str) -> Option<&'p [String]> {
        table
            .iter()
            .find(|f| f.group == group)
            .or_else(|| table.iter().find(|f| f.group == "*"))
            .map(|f| f.targets.as_slice())
    }

    /// How long to wait before retry number `done + 1` of `num_retries` (LiteLLM's
    /// `calculate_retry_after`): the provider's `retry-after` when it is 1 to 60 seconds,
    /// else 0.5 s doubled per retry made, at least `retry_after`, at most 8 s; plus jitter.
    pub fn wait(&self, done: u32, retry_after: Option<u64>) -> Duration {
        let jitter = JITTER * fastrand::f64();
        let secs = match retry_after {
            Some(s @ 1..=60) => s as f64,
            _ => (FIRST_WAIT * 2f64.powi(done.min(16) as i32))
                .max(self.retry_after.as_secs_f64())
                .min(LONGEST_WAIT),
        };
        Duration::from_secs_f64(secs + jitter)
    }
}

fn strategy(name: RoutingStrategy, args: &StrategyArgs) -> Strategy {
    match name {
        RoutingStrategy::SimpleShuffle => Strategy::SimpleShuffle,
        RoutingStrategy::LeastBusy => Strategy::LeastBusy,
        RoutingStrategy::LatencyBased => Strategy::Latency {
            ttl: args.ttl.unwrap_or(LATENCY_TTL),
            buffer: args.lowest_latency_buffer.unwrap_or(0.0).max(0.0),
            samples: args
                .max_latency_list_size
                .unwrap_or(LATENCY_SAMPLES)
                .clamp(1, MAX_SAMPLES) as usize,
            ttft_percentile: args.ttft_percentile,
        },
        RoutingStrategy::UsageBased => Strategy::UsageV1,
        RoutingStrategy::UsageBasedV2 => Strategy::UsageV2,
        RoutingStrategy::CostBased => Strategy::Cost,
    }
}

/// A configured count as u32, or the default.
fn clamp(v: Option<u64>, default: u32) -> u32 {
    v.map_or(default, |v| v.min(u64::from(u32::MAX)) as u32)
}

/// A group resolved for one request.
#[derive(Debug)]
pub struct Resolved<'g> {
    pub group: &'g ModelGroup,
    /// Where, in the requested model, the text the `*` of a wildcard group matched starts.
    pub star: Option<usize>,
}

/// Where one attempt goes.
#[derive(Debug)]
pub enum Target<'g> {
    Mock(&'g str),
    Upstream {
        provider: &'static ProviderRow,
        provider_model: Cow<'g, str>,
        upstream: &'g Upstream,
    },
}

pub fn resolve_group<'g>(gw: &'g Gateway, model: &str) -> Option<Resolved<'g>> {
    if let Some(&g) = gw.by_name.get(model) {
        return Some(Resolved {
            group: &gw.groups[g],
            star: None,
        });
    }
    if let Some(alias) = gw.aliases.get(model) {
        return Some(Resolved {
            group: &gw.groups[alias.group],
            star: None,
        });
    }
    gw.wildcards.iter().find_map(|&g| {
        let group = &gw.groups[g];
        let prefix = group.wildcard_prefix.as_deref()?;
        model.strip_prefix(prefix)?;
        Some(Resolved {
            group,
            star: Some(prefix.len()),
        })
    })
}

/// Why no deployment of a group could be picked.
#[derive(Debug)]
pub enum NoPick {
    /// The group has no deployments.
    Empty,
    /// Every deployment is cooling down.
    Cooling,
    /// The router's checks left none: its error for it.
    Refused(GatewayError),
}

/// What the pick knows of the request.
#[derive(Debug, Default)]
pub struct Ask<'a> {
    pub stream: bool,
    /// The prompt's tokens, when counted (for the limits and context windows).
    pub input_tokens: Option<u64>,
    /// The request's tags (`metadata.tags`, `tags`, `x-litellm-tags`), for tag routing.
    pub tags: &'a [String],
}

/// One deployment of `group` for an attempt at `now`, as LiteLLM's router picks it: those not
/// cooling down (in `tier` or above), within the context window (`enable_pre_call_checks`),
/// matching the request's tags (tag routing), in the lowest `order` tier among them, not
/// among `skip` (unless that leaves none), by the routing strategy.
pub fn pick<'g>(
    gw: &'g Gateway,
    group: &ModelGroup,
    now: Instant,
    tier: Option<u64>,
    skip: &[usize],
    ask: &Ask<'_>,
) -> Result<&'g Deployment, NoPick> {
    let ids = &group.deployments;
    if ids.is_empty() {
        return Err(NoPick::Empty);
    }
    let deps = &gw.deployments;
    let policy = &gw.policy;
    let tags = tag_filtering(gw, group);
    // The common case: one deployment, not cooling.
    if let ([only], true, false) = (&ids[..], policy.plain(), tags) {
        return match gw.health.cooling(*only, now) {
            None => Ok(&deps[*only]),
            Some(_) => Err(NoPick::Cooling),
        };
    }
    let mut live: Vec<usize> = ids
        .iter()
        .copied()
        .filter(|&d| match (tier, deps[d].params.order) {
            (Some(t), Some(o)) => o >= t,
            _ => true,
        })
        .collect();
    // Health-check routing first (never leaving none), then cooldowns; with an
    // `allowed_fails_policy`, cooldowns that leave none are not applied (LiteLLM's order).
    let checks = gw.health_checks.get().filter(|c| c.routing());
    if let Some(checks) = checks {
        let policy_set = policy.cooldown.policy.is_some();
        checks.retain_routable(&mut live, |d| deps[d].group.as_str(), policy_set, now);
    }
    let before = (checks.is_some() && policy.cooldown.policy.is_some()).then(|| live.clone());
    live.retain(|&d| gw.health.cooling(d, now).is_none());
    if live.is_empty() {
        match before {
            Some(all) if !all.is_empty() => live = all,
            _ => return Err(NoPick::Cooling),
        }
    }
    if policy.pre_call_checks {
        pre_call_checks(gw, ask, &mut live)?;
    }
    if tags {
        by_tags(gw, group, ask.tags, policy.tag_match_any, &mut live)?;
    }
    // `order`: only the lowest tier present; deployments without one drop out when any has.
    if let Some(lowest) = live.iter().filter_map(|&d| deps[d].params.order).min() {
        live.retain(|&d| deps[d].params.order == Some(lowest));
    }
    if live.iter().any(|d| !skip.contains(d)) {
        live.retain(|d| !skip.contains(d));
    }
    let chosen = match policy.strategy {
        Strategy::SimpleShuffle => Some(shuffle(gw, &live)),
        Strategy::LeastBusy => live.iter().copied().min_by_key(|&d| gw.health.in_flight(d)),
        Strategy::Latency {
            ttl,
            buffer,
            ttft_percentile,
            ..
        } => fastest(gw, &live, ask, now, ttl, buffer, ttft_percentile),
        Strategy::UsageV1 | Strategy::UsageV2 => least_used(gw, &live, ask, policy.strategy),
        Strategy::Cost => cheapest(gw, &live, ask),
    };
    match chosen {
        Some(d) => Ok(&deps[d]),
        None if policy.strategy == Strategy::UsageV2 => {
            Err(NoPick::Refused(over_limits(gw, group, &live)))
        }
        None => Err(NoPick::Refused(no_deployments(gw, group, &group.name, now))),
    }
}

/// Whether tag routing applies to `group`: the first of its deployments that sets
/// `model_info.enable_tag_filtering` decides, else the router's setting.
fn tag_filtering(gw: &Gateway, group: &ModelGroup) -> bool {
    group
        .deployments
        .iter()
        .find_map(|&d| gw.deployments[d].info.enable_tag_filtering)
        .unwrap_or(gw.policy.tag_filtering)
}

/// A deployment's `rpm` and `tpm`: litellm_params', else model_info's.
pub fn limits(d: &Deployment) -> (Option<u64>, Option<u64>) {
    (d.params.rpm.or(d.info.rpm), d.params.tpm.or(d.info.tpm))
}

/// The current UTC minute, since the Unix epoch (the usage counters' window).
pub fn minute_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 60)
}

/// Whether `d`'s minute is within its limits for one more request of `tokens` (LiteLLM's
/// latency and cost strategies: a limit of 0 is none, `rpm` requests a minute pass).
fn within(gw: &Gateway, d: usize, minute: u64, tokens: u64) -> bool {
    let (rpm, tpm) = limits(&gw.deployments[d]);
    let (requests, used) = gw.health.minute_usage(d, minute);
    let rpm_ok = rpm
        .filter(|&r| r > 0)
        .is_none_or(|r| u64::from(requests) < r);
    let tpm_ok = tpm.filter(|&t| t > 0).is_none_or(|t| used + tokens <= t);
    rpm_ok && tpm_ok
}

/// latency-based-routing: the lowest mean latency (a stream's time to first token where the
/// deployment has samples of it), at random among those within `buffer` of it.
fn fastest(
    gw: &Gateway,
    live: &[usize],
    ask: &Ask<'_>,
    now: Instant,
    ttl: Duration,
    buffer: f64,
    ttft_percentile: Option<f64>,
) -> Option<usize> {
    let minute = minute_now();
    let tokens = ask.input_tokens.unwrap_or(0);
    let mut samples = Vec::new();
    let mut scored: Vec<(usize, f64)> = Vec::with_capacity(live.len());
    for &d in live {
        if !within(gw, d, minute, tokens) {
            continue;
        }
        let mut score = None;
        if ask.stream {
            gw.health
                .samples(d, now, crate::health::Sample::FirstToken, ttl, &mut samples);
            if !samples.is_empty() {
                score = Some(match ttft_percentile {
                    Some(p) => percentile(&mut samples, p),
                    None => mean(&samples),
                });
            }
        }
        let score = score.unwrap_or_else(|| {
            gw.health
                .samples(d, now, crate::health::Sample::Latency, ttl, &mut samples);
            if samples.is_empty() {
                0.0
            } else {
                mean(&samples)
            }
        });
        scored.push((d, score));
    }
    let lowest = scored.iter().map(|&(_, s)| s).fold(f64::INFINITY, f64::min);
    let near: Vec<usize> = scored
        .iter()
        .filter(|&&(_, s)| s <= lowest + buffer * lowest)
        .map(|&(d, _)| d)
        .collect();
    (!near.is_empty()).then(|| near[fastrand::usize(..near.len())])
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// LiteLLM's percentile: the sorted samples' `ceil(n * p) - 1`th.
fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let at = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[at]
}

/// usage-based-routing (v1 and v2): the lowest tokens this minute among those whose prompt
/// fits their `tpm` and whose requests are under `rpm - 1` (a limit of 0 is 0); v1 takes
/// the first of equals, v2 one at random.
fn least_used(gw: &Gateway, live: &[usize], ask: &Ask<'_>, strategy: Strategy) -> Option<usize> {
    let minute = minute_now();
    let tokens = ask.input_tokens.unwrap_or(0);
    let mut best: Vec<usize> = Vec::new();
    let mut lowest = u64::MAX;
    for &d in live {
        let (rpm, tpm) = limits(&gw.deployments[d]);
        let (requests, used) = gw.health.minute_usage(d, minute);
        // v1 judges `rpm` only for a deployment with successes this minute.
        let counted = strategy == Strategy::UsageV2 || requests > 0;
        let over_tpm = tpm.is_some_and(|t| used + tokens > t);
        let over_rpm = counted && rpm.is_some_and(|r| u64::from(requests) + 1 >= r);
        if over_tpm || over_rpm {
            continue;
        }
        if used < lowest {
            lowest = used;
            best.clear();
        }
        if used == lowest {
            best.push(d);
        }
    }
    match (strategy, best.len()) {
        (_, 0) => None,
        (Strategy::UsageV2, n) => Some(best[fastrand::usize(..n)]),
        _ => Some(best[0]),
    }
}

/// cost-based-routing: the lowest input plus output price per token (5.0 each where the
/// deployment has none), the first of equals.
fn cheapest(gw: &Gateway, live: &[usize], ask: &Ask<'_>) -> Option<usize> {
    const UNKNOWN: f64 = 5.0;
    let minute = minute_now();
    let tokens = ask.input_tokens.unwrap_or(0);
    let cost = |d: usize| {
        gw.deployments[d]
            .prices
            .as_ref()
            .map_or(2.0 * UNKNOWN, |p| {
                let or_unknown = |v: f64| if v > 0.0 { v } else { UNKNOWN };
                or_unknown(p.input_per_token) + or_unknown(p.output_per_token)
            })
    };
    live.iter()
        .copied()
        .filter(|&d| within(gw, d, minute, tokens))
        .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
}

/// usage-based-routing-v2 with every deployment over its limits: LiteLLM's RateLimitError
/// naming each deployment's usage and limits.
fn over_limits(gw: &Gateway, group: &ModelGroup, live: &[usize]) -> GatewayError {
    let minute = minute_now();
    let mut message = String::from(
        "litellm.RateLimitError: No deployments available for selected model. Passed model=",
    );
    message.push_str(&group.name);
    message.push_str(". Deployments={");
    for (i, &d) in live.iter().enumerate() {
        let dep = &gw.deployments[d];
        let (rpm, tpm) = limits(dep);
        let (requests, used) = gw.health.minute_usage(d, minute);
        if i > 0 {
            message.push_str(", ");
        }
        corelane_transforms::json::py_repr_str(&dep.id, &mut message);
        let limit = |l: Option<u64>| l.map_or("inf".to_owned(), |l| l.to_string());
        let _ = write!(
            message,
            ": {{'current_tpm': {used}, 'tpm_limit': {}, 'current_rpm': {requests}, 'rpm_limit': {}}}",
            limit(tpm),
            limit(rpm)
        );
    }
    message.push('}');
    GatewayError::RouterRefusal {
        status: 429,
        class: "RateLimitError",
        kind: "throttling_error",
        message,
        provider_retry_after: Some(60),
    }
}

/// usage-based-routing-v2's count before a call at `d`: one more request this minute, and
/// LiteLLM's RateLimitError when that passes the deployment's `rpm`.
pub fn take_request(gw: &Gateway, d: &Deployment) -> Result<(), GatewayError> {
    let n = gw.health.count_usage(d.index, minute_now(), 1, 0);
    match limits(d).0 {
        Some(rpm) if u64::from(n) > rpm => Err(GatewayError::RouterRefusal {
            status: 429,
            class: "RateLimitError",
            kind: "throttling_error",
            message: format!(
                "litellm.RateLimitError: Deployment over defined rpm limit={rpm}. current usage={}",
                n - 1
            ),
            provider_retry_after: Some(60),
        }),
        _ => Ok(()),
    }
}

/// `enable_pre_call_checks`: leaves out the deployments whose context window the prompt
/// exceeds (`model_info.max_input_tokens`, else the bundled table's) and, with usage-based-routing v1, those whose
/// successes this minute reached their `rpm`; LiteLLM's errors when none is left.
fn pre_call_checks(gw: &Gateway, ask: &Ask<'_>, live: &mut Vec<usize>) -> Result<(), NoPick> {
    let deps = &gw.deployments;
    let minute = minute_now();
    let mut windows = String::new();
    let mut limited = false;
    live.retain(|&d| {
        let dep = &deps[d];
        if let (Some(max), Some(tokens)) = (dep.max_input_tokens, ask.input_tokens) {
            if tokens > max {
                let model = dep.info.base_model.as_deref().unwrap_or(&dep.params.model);
                let _ = write!(
                    windows,
                    "Model={model}, Max Input Tokens={max}, Got={tokens}"
                );
                return false;
            }
        }
        if gw.policy.strategy == Strategy::UsageV1 {
            if let Some(rpm) = dep.params.rpm {
                if rpm <= u64::from(gw.health.minute_usage(d, minute).0) {
                    limited = true;
                    return false;
                }
            }
        }
        true
    });
    if !live.is_empty() {
        return Ok(());
    }
    Err(NoPick::Refused(if limited {
        GatewayError::RouterRefusal {
            status: 429,
            class: "RouterRateLimitErrorBasic",
            kind: "rate_limit_error",
            message: "No deployments available for selected model.".to_owned(),
            provider_retry_after: None,
        }
    } else {
        GatewayError::RouterRefusal {
            status: 400,
            class: "ContextWindowExceededError",
            kind: "invalid_request_error",
            message: format!("litellm.ContextWindowExceededError: litellm.BadRequestError: litellm._pre_call_checks: Context Window exceeded for given call. No models have context window large enough for this call.\n{windows}"),
            provider_retry_after: None,
        }
    }))
}

/// Tag routing (LiteLLM's `get_deployments_for_tag`): `!tag` leaves out the deployments
/// that carry it, `&tag` keeps only those that do; then the deployments matching the plain
/// tags (any of them with `tag_filtering_match_any`, else all), else those tagged
/// `"default"` unless a deployment of the group carries one of the tags; an untagged request
/// goes to the `"default"` deployments where there are some.
fn by_tags(
    gw: &Gateway,
    group: &ModelGroup,
    asked: &[String],
    match_any: bool,
    live: &mut Vec<usize>,
) -> Result<(), NoPick> {
    let deps = &gw.deployments;
    let has = |d: usize, tag: &str| deps[d].params.tags.iter().any(|t| t == tag);
    let is_default = |d: usize| has(d, "default");
    let mut plain: Vec<&str> = Vec::new();
    let mut without: Vec<&str> = Vec::new();
    let mut with: Vec<&str> = Vec::new();
    for tag in asked {
        if let Some(t) = tag.strip_prefix('!') {
            without.push(t);
        } else if let Some(t) = tag.strip_prefix('&') {
            with.push(t);
        } else {
            plain.push(tag);
        }
    }
    let refused = || {
        let mut message = format!(
            "Not allowed to access model due to tags configuration. Passed model={} and tags=",
            group.name
        );
        message.push('[');
        for (i, t) in asked.iter().enumerate() {
            if i > 0 {
                message.push_str(", ");
            }
            corelane_transforms::json::py_repr_str(t, &mut message);
        }
        message.push(']');
        NoPick::Refused(GatewayError::RouterRefusal {
            status: 401,
            class: "ValueError",
            kind: "internal_server_error",
            message,
            provider_retry_after: None,
        })
    };
    let constraints =
        |d: usize| without.iter().all(|t| !has(d, t)) && with.iter().all(|t| has(d, t));
    let any_default = live.iter().any(|&d| is_default(d));
    if plain.is_empty() {
        if asked.is_empty() {
            if any_default {
                live.retain(|&d| is_default(d));
            }
            return Ok(());
        }
        // Only constraints: `&` over all; `!` alone over the default pool (else all).
        if with.is_empty() && any_default {
            live.retain(|&d| is_default(d));
        }
        live.retain(|&d| constraints(d));
        return if live.is_empty() {
            Err(refused())
        } else {
            Ok(())
        };
    }
    let matches = |d: usize| {
        let tags = &deps[d].params.tags;
        if match_any {
            plain.iter().any(|p| tags.iter().any(|t| t == p))
        } else {
            plain.iter().all(|p| tags.iter().any(|t| t == p))
        }
    };
    let matched: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&d| matches(d) && constraints(d))
        .collect();
    if !matched.is_empty() {
        *live = matched;
        return Ok(());
    }
    let carried = group
        .deployments
        .iter()
        .any(|&d| plain.iter().any(|p| has(d, p)));
    if !any_default || carried {
        return Err(refused());
    }
    live.retain(|&d| is_default(d) && constraints(d));
    if live.is_empty() {
        Err(refused())
    } else {
        Ok(())
    }
}

/// simple-shuffle over `live` (not empty): the first of `weight`, `rpm`, `tpm` that any of
/// them sets weighs them all (those without it are never picked); none set: uniform.
fn shuffle(gw: &Gateway, live: &[usize]) -> usize {
    let deps = &gw.deployments;
    let sources: [fn(&Deployment) -> Option<f64>; 3] = [
        |d| d.params.weight,
        |d| d.params.rpm.map(|r| r as f64),
        |d| d.params.tpm.map(|t| t as f64),
    ];
    for source in sources {
        let weight = |d: usize| source(&deps[d]).filter(|w| *w > 0.0).unwrap_or(0.0);
        let total: f64 = live.iter().map(|&d| weight(d)).sum();
        if total <= 0.0 {
            continue;
        }
        let mut x = fastrand::f64() * total;
        for &d in live {
            let w = weight(d);
            if x < w {
                return d;
            }
            x -= w;
        }
        if let Some(&d) = live.iter().rev().find(|&&d| weight(d) > 0.0) {
            return d;
        }
    }
    live[fastrand::usize(..live.len())]
}

/// LiteLLM's `RouterRateLimitError` for a group with no deployment left: the shortest
/// cooldown length among its cooling ones (else the router's), and every cooling
/// deployment's id router-wide; "All deployments ... are in cooldown" when they all are.
pub fn no_deployments(gw: &Gateway, group: &ModelGroup, model: &str, now: Instant) -> GatewayError {
    let (cooling, least) = gw
        .health
        .cooling_among(group.deployments.iter().copied(), now);
    let all_cooling = cooling == group.deployments.len();
    let least = least.unwrap_or(gw.policy.cooldown.cooldown_time);
    let mut message = String::from("No deployments available for selected model, Try again in ");
    write_seconds(least, &mut message);
    message.push_str(" seconds.");
    if all_cooling {
        message.push_str(" All deployments for selected model are in cooldown.");
    }
    let checks = if gw.policy.pre_call_checks {
        "True"
    } else {
        "False"
    };
    let _ = write!(
        message,
        " Passed model={model}. pre-call-checks={checks}, cooldown_list=["
    );
    let mut first = true;
    for d in &gw.deployments {
        if gw.health.cooling(d.index, now).is_some() {
            if !std::mem::take(&mut first) {
                message.push_str(", ");
            }
            corelane_transforms::json::py_repr_str(&d.id, &mut message);
        }
    }
    message.push(']');
    GatewayError::NoDeployments {
        message,
        retry_after: least.as_secs() + u64::from(least.subsec_nanos() > 0),
        all_cooling,
    }
}

/// Seconds as Python prints LiteLLM's value: whole ones as an int, else a float.
fn write_seconds(d: Duration, out: &mut String) {
    if d.subsec_nanos() == 0 {
        let _ = write!(out, "{}", d.as_secs());
    } else {
        let _ = write!(out, "{}", d.as_secs_f64());
    }
}

/// The provider and model one deployment sends this request to.
pub fn target<'g>(dep: &'g Deployment, star: Option<&str>) -> Result<Target<'g>, GatewayError> {
    let unsupported = |provider: &str| GatewayError::UnsupportedProvider {
        model: dep.params.model.clone(),
        provider: provider.to_owned(),
    };
    match &dep.kind {
        DeploymentKind::Mock(text) => Ok(Target::Mock(text)),
        DeploymentKind::Unsupported { provider } => Err(unsupported(provider)),
        DeploymentKind::Fixed {
            provider,
            provider_model,
            upstream,
        } => Ok(Target::Upstream {
            provider,
            provider_model: Cow::Borrowed(provider_model),
            upstream,
        }),
        DeploymentKind::Wildcard {
            template,
            upstreams,
        } => {
            let model = template.replace('*', star.unwrap_or(""));
            let (row, provider_model) =
                match provider::resolve(&model, dep.params.custom_llm_provider.as_deref()) {
                    Ok(found) => found,
                    Err(UnknownProvider::Unsupported(name)) => return Err(unsupported(name)),
                    Err(UnknownProvider::Unknown) => {
                        return Err(GatewayError::UpstreamConnect {
                            provider: "openai",
                            detail: format!("LLM Provider NOT provided for model={model}"),
                        })
                    }
                };
            if let Some(label) =
                provider::unserved_model(row, provider_model, dep.params.api_base.is_some())
            {
                return Err(unsupported(label));
            }
            if row.auth == provider::Auth::GoogleOAuth && !upstreams.contains_key(row.name) {
                // Credentials are loaded only for a wildcard that names the provider.
                return Err(unsupported(
                    "vertex_ai (through a wildcard that does not name vertex_ai)",
                ));
            }
            let upstream =
                upstreams
                    .get(row.name)
                    .ok_or_else(|| GatewayError::UpstreamConnect {
                        provider: row.name,
                        detail: format!("provider {} has no api_base configured", row.name),
                    })?;
            Ok(Target::Upstream {
                provider: provider::on_host(row, &upstream.origin.host, provider_model),
                provider_model: Cow::Owned(provider_model.to_owned()),
                upstream,
            })
        }
    }
}
