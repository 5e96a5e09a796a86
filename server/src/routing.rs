//! The router's loop around the attempts of one inference request, with LiteLLM 1.108.7's
//! semantics (`Router.async_function_with_fallbacks` / `async_function_with_retries` /
//! `should_retry_this_error` / `run_async_fallback`):
//!
//! - each attempt picks a deployment again ([`router::pick`]): cooling deployments are left
//!   out, and one that failed is skipped for the rest of the request while another is left
//!   (LiteLLM skips only those that failed with 401/403, so a retry can land on the broken
//!   deployment again);
//! - a failure cools the deployment down when [`crate::health`] says so, for every core;
//! - retries: `num_retries` (the deployment's, else the router's, else 2) for 408, 409, 429
//!   and 5xx answers and connection failures, and for 401/403 in a group of several; none
//!   when no deployment of the group is left (all cooling), for a context-window or
//!   content-policy error that has its own fallbacks, or for a 429 with nothing left and
//!   fallbacks to go to. No wait while another deployment can take the retry; else the
//!   provider's `retry-after` (1 to 60 s), else 0.5 s doubled per retry (at least
//!   `retry_after`, at most 8 s), plus up to 0.75 s of jitter;
//! - fallbacks, after the group's retries: the group's higher `order` tiers, then its chain
//!   (`context_window_fallbacks` / `content_policy_fallbacks` for those errors when set, else
//!   `fallbacks` with `"*"` and `default_fallbacks`), each fallback group with its own retries;
//!   a failed fallback group goes on with its own chain (else the first group's), groups
//!   already tried skipped, at most `max_fallbacks` deep;
//! - when everything failed, the client gets the first group's error;
//! - a request may set its own `num_retries` (beating the deployment's), `fallbacks` (a
//!   table, or a client-side chain every failed group goes on to, which takes
//!   context-window and content-policy errors too), `context_window_fallbacks`,
//!   `content_policy_fallbacks`, `max_fallbacks` and `disable_fallbacks` (no fallbacks, not
//!   even `order` tiers) ([`crate::router_args`]).
//!
//! Only errors the upstream caused (and no deployment being left) are retried or fall back:
//! a request corelane refuses itself fails at once. Nothing is retried once a byte of the
//! answer went to the client: an attempt's `Err` means nothing was written.
//!
//! A wildcard deployment (`openai/*`) never cools down: what fails there is the model the
//! client named, and a cooldown would let one client's bogus model take every model behind
//! the wildcard out.
//!
//! Deliberate differences from LiteLLM's proxy: every failed attempt is judged for cooldown
//! (its proxy judges only a request's first failure, sharing one logging object across the
//! attempts), and no wait follows the last attempt.

use std::time::Instant;

use corelane_config::{ErrorKind, Fallback};
use corelane_transforms::openai::RequestFields;
use corelane_transforms::provider::Endpoint;
use monoio::net::TcpStream;

use crate::core::Core;
use crate::errors::{ErrorSource, GatewayError};
use crate::exchange::{Exchange, Request};
use crate::gateway::Deployment;
use crate::gateway::{DeploymentKind, Gateway, ModelGroup};
use crate::health::Failure;
use crate::health::Sample;
use crate::metrics::FallbackLog;
use crate::router::{self, Ask, NoPick, Policy, Strategy};
use crate::router_args::{Fallbacks, RequestRouting};

/// Serves the request from `group` (whose `*` matched `star`), with retries and fallbacks.
#[allow(clippy::too_many_arguments)]
pub async fn route<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    endpoint: Endpoint,
    fields: &RequestFields,
    args: &RequestRouting,
    ex: &mut Exchange<'g>,
    group: &'g ModelGroup,
    star: Option<&str>,
) -> Result<bool, GatewayError> {
    let gw: &'g Gateway = &core.gateway;
    let plan = Plan::new(&gw.policy, args);
    let mut run = Run {
        core,
        client,
        req,
        endpoint,
        fields,
        args,
        plan: &plan,
    };
    let lowest = lowest_tier(gw, group);
    let first = match run.group(ex, group, star, lowest).await {
        Ok(keep) => return Ok(keep),
        Err(e) => e,
    };
    if !routable(&first) || plan.disable_fallbacks {
        return Err(first);
    }
    let mut log = FallbackLog::new(core.metrics.as_ref(), ex, group, &first);
    let special = plan.special(&first);
    // Higher `order` tiers of the group come first (not for the errors with fallbacks of
    // their own kind).
    if !has_own_fallbacks(&first) {
        for tier in higher_tiers(gw, group, lowest) {
            ex.fallbacks += 1;
            match run.group(ex, group, star, Some(tier)).await {
                Ok(keep) => {
                    log.succeeded(group);
                    return Ok(keep);
                }
                Err(GatewayError::ClientGone) => return Err(GatewayError::ClientGone),
                Err(e) => log.descend(ex, group, &e),
            }
        }
    }
    let table = special.unwrap_or(plan.fallbacks);
    let Some(chain) = table.chain(&group.name) else {
        log.exhausted();
        return Err(first);
    };
    let mut tried: Vec<&str> = vec![group.name.as_str()];
    // Each frame: a chain, how far along it is, and its depth.
    let mut stack: Vec<(&[String], usize, u32)> = vec![(chain, 0, 0)];
    let mut top = ex.fallbacks;
    while let Some(frame) = stack.last_mut() {
        let (chain, at, depth) = *frame;
        if at >= chain.len() || depth >= plan.max_fallbacks {
            stack.pop();
            if !stack.is_empty() {
                log.ascend();
            }
            continue;
        }
        frame.1 += 1;
        let name = chain[at].as_str();
        if tried.contains(&name) {
            continue;
        }
        tried.push(name);
        if stack.len() == 1 {
            top += 1;
        }
        ex.fallbacks = top;
        let Some(resolved) = router::resolve_group(gw, name) else {
            log.unknown();
            continue;
        };
        ex.group = Some(resolved.group);
        let star = resolved.star.map(|at| &name[at..]);
        let tier = lowest_tier(gw, resolved.group);
        match run.group(ex, resolved.group, star, tier).await {
            Ok(keep) => {
                log.succeeded(resolved.group);
                return Ok(keep);
            }
            Err(GatewayError::ClientGone) => return Err(GatewayError::ClientGone),
            Err(e) => {
                // A failed group goes on with its own chain, else the one it came from.
                let next = table.chain(name).unwrap_or(chain);
                log.descend(ex, resolved.group, &e);
                stack.push((next, 0, depth + 1));
            }
        }
    }
    log.exhausted();
    Err(first)
}

/// Where a failed group goes on to: the router's table (or one the request sent), or the
/// request's client-side chain, the same for every group.
#[derive(Debug, Clone, Copy)]
enum Chains<'p> {
    Table(&'p [Fallback]),
    Chain(&'p [String]),
}

impl<'p> Chains<'p> {
    /// The groups `group` falls back to: its own entry, else `"*"`'s.
    fn chain(self, group: &str) -> Option<&'p [String]> {
        match self {
            Chains::Table(table) => Policy::chain(table, group),
            Chains::Chain(chain) => Some(chain),
        }
    }

    fn is_empty(self) -> bool {
        match self {
            Chains::Table(t) => t.is_empty(),
            Chains::Chain(c) => c.is_empty(),
        }
    }
}

/// The router's policy with what the request overrides.
struct Plan<'p> {
    policy: &'p Policy,
    /// The request's `num_retries`: beats the deployment's and the router's.
    num_retries: Option<u32>,
    fallbacks: Chains<'p>,
    context_window_fallbacks: Option<&'p [Fallback]>,
    content_policy_fallbacks: Option<&'p [Fallback]>,
    disable_fallbacks: bool,
    max_fallbacks: u32,
}

impl<'p> Plan<'p> {
    fn new(policy: &'p Policy, args: &'p RequestRouting) -> Self {
        let special = |asked: &'p Option<Option<Vec<Fallback>>>, own: &'p Option<Vec<Fallback>>| {
            match asked {
                Some(asked) => asked.as_deref(),
                None => own.as_deref(),
            }
        };
        Plan {
            policy,
            num_retries: args.num_retries,
            fallbacks: match &args.fallbacks {
                None => Chains::Table(&policy.fallbacks),
                Some(Fallbacks::Table(t)) => Chains::Table(t),
                Some(Fallbacks::Chain(c)) => Chains::Chain(c),
            },
            context_window_fallbacks: special(
                &args.context_window_fallbacks,
                &policy.context_window_fallbacks,
            ),
            content_policy_fallbacks: special(
                &args.content_policy_fallbacks,
                &policy.content_policy_fallbacks,
            ),
            disable_fallbacks: args.disable_fallbacks,
            max_fallbacks: args.max_fallbacks.unwrap_or(policy.max_fallbacks),
        }
    }

    /// The fallbacks a context-window or content-policy error takes, when they are set. A
    /// request's client-side chain takes every error (LiteLLM goes to it first).
    fn special(&self, e: &GatewayError) -> Option<Chains<'p>> {
        if let Chains::Chain(_) = self.fallbacks {
            return None;
        }
        self.special_table(e).map(Chains::Table)
    }

    fn special_table(&self, e: &GatewayError) -> Option<&'p [Fallback]> {
        match e.exception_class(None).class {
            "ContextWindowExceededError" => self.context_window_fallbacks,
            "ContentPolicyViolationError" => self.content_policy_fallbacks,
            _ => None,
        }
    }
}

/// What stays the same across the attempts of one request.
struct Run<'a, 'g> {
    core: &'g Core,
    client: &'a mut TcpStream,
    req: &'a Request<'a>,
    endpoint: Endpoint,
    fields: &'a RequestFields,
    args: &'a RequestRouting,
    plan: &'a Plan<'a>,
}

impl<'g> Run<'_, 'g> {
    /// The prompt's tokens, counted (with LiteLLM's default tokenizer) only when a
    /// deployment of `group` has a `tpm` limit the strategy keeps, or a context window the
    /// pre-call checks compare; `None` for a body spilled to a file or one without messages.
    fn input_tokens(&self, gw: &Gateway, group: &ModelGroup) -> Option<u64> {
        let policy = &gw.policy;
        let needed = group.deployments.iter().any(|&d| {
            let dep = &gw.deployments[d];
            (policy.strategy.counts_usage() && router::limits(dep).1.is_some())
                || (policy.pre_call_checks && dep.max_input_tokens.is_some())
        });
        if !needed || self.req.spilled.is_some() {
            return None;
        }
        corelane_transforms::token_counter::read(self.req.body)
            .and_then(|r| r.count(""))
            .ok()
    }

    /// Attempts `group` (in `tier`, when given) with its retries.
    async fn group(
        &mut self,
        ex: &mut Exchange<'g>,
        group: &'g ModelGroup,
        star: Option<&str>,
        tier: Option<u64>,
    ) -> Result<bool, GatewayError> {
        let gw: &'g Gateway = &self.core.gateway;
        let plan = self.plan;
        let policy = plan.policy;
        let mut skip: Vec<usize> = Vec::new();
        let mut allowed: Option<(u32, bool)> = None;
        let mut made = 0u32;
        let mut last: Option<GatewayError> = None;
        ex.retries = 0;
        ex.max_retries = None;
        let ask = Ask {
            stream: ex.stream,
            input_tokens: self.input_tokens(gw, group),
            tags: &self.args.tags,
        };
        loop {
            let now = Instant::now();
            let deployment = match router::pick(gw, group, now, tier, &skip, &ask) {
                Ok(d) => d,
                Err(NoPick::Empty) => {
                    return Err(GatewayError::UnknownModel {
                        route: self.endpoint.route_name(),
                        model: ex.requested_model.clone(),
                    })
                }
                // A retry that finds nothing left answers with the failure that led to it.
                Err(NoPick::Cooling) => {
                    return Err(last.unwrap_or_else(|| {
                        router::no_deployments(gw, group, &ex.requested_model, now)
                    }))
                }
                Err(NoPick::Refused(e)) => return Err(last.unwrap_or(e)),
            };
            // usage-based-routing-v2 counts the request before it goes, and refuses one over
            // the deployment's rpm (a failure of the deployment, as LiteLLM's).
            let counted = match policy.strategy {
                Strategy::UsageV2 => router::take_request(gw, deployment),
                _ => Ok(()),
            };
            let result = match counted {
                Ok(()) => {
                    let _busy = (policy.strategy == Strategy::LeastBusy)
                        .then(|| gw.health.begin(deployment.index));
                    crate::proxy::attempt(
                        self.core,
                        self.client,
                        self.req,
                        self.endpoint,
                        self.fields,
                        ex,
                        deployment,
                        star,
                    )
                    .await
                }
                Err(e) => {
                    // Judged without the last attempt's answer.
                    ex.upstream_retry_after = None;
                    Err(e)
                }
            };
            let e = match result {
                Ok(keep) => {
                    gw.health.succeeded(deployment.index, Instant::now());
                    record_success(gw, ex, deployment);
                    if let Some(m) = &self.core.metrics {
                        m.served(gw, group, deployment, ex.caller);
                    }
                    return Ok(keep);
                }
                Err(e) => e,
            };
            if !routable(&e) {
                return Err(e);
            }
            if matches!(policy.strategy, Strategy::Latency { .. })
                && matches!(e, GatewayError::UpstreamTimeout { .. })
            {
                // LiteLLM's latency strategy counts a timeout as a 1,000 s answer.
                gw.health
                    .sample(deployment.index, Instant::now(), Sample::Latency, 1000.0);
            }
            let status = e.status();
            let single = group.deployments.len() == 1;
            // A deployment is judged by what its upstream did: a request refused before it
            // went out (no credentials) says nothing of the upstream's health. A wildcard
            // deployment serves whatever model the client names, so its failures are the
            // model's: cooling it would let one client's bogus model (a 404) cut every
            // other model it serves off. A request over the deployment's rpm is judged.
            let reached = ex.timings.sent.is_some()
                || matches!(
                    e,
                    GatewayError::UpstreamConnect { .. } | GatewayError::RouterRefusal { .. }
                );
            let wildcard = matches!(deployment.kind, DeploymentKind::Wildcard { .. });
            let kinds = ErrorKind::of_class(e.exception_class(None).class);
            if reached && !wildcard {
                let cooled = gw.health.failed(
                    deployment.index,
                    Instant::now(),
                    Failure {
                        status,
                        kinds,
                        retry_after: ex.upstream_retry_after,
                        single,
                        lone: single && policy.no_fallbacks_for(&group.name),
                        client_timeout: matches!(e, GatewayError::UpstreamTimeout { .. })
                            && ex.timeout(deployment).1,
                    },
                    &policy.cooldown,
                    &deployment.cooldown,
                );
                if let (true, Some(m)) = (cooled, &self.core.metrics) {
                    m.cooled(deployment, status);
                }
            }
            // How many retries, from the first failure: the retry policy's for the error (then
            // whether to retry is the policy's alone; a request's `num_retries: 0` turns the
            // policy off), else the request's, else the failed deployment's, else the
            // router's.
            let (n, by_policy) = *allowed.get_or_insert_with(|| {
                let by_policy = match plan.num_retries {
                    Some(0) => None,
                    _ => policy.policy_retries(&group.name, kinds, status),
                };
                let n = by_policy.or(plan.num_retries).unwrap_or_else(|| {
                    deployment
                        .params
                        .num_retries
                        .map_or(policy.num_retries, |n| n.min(u64::from(u32::MAX)) as u32)
                });
                (n, by_policy.is_some())
            });
            let now = Instant::now();
            let (cooling, _) = gw
                .health
                .cooling_among(group.deployments.iter().copied(), now);
            let healthy = group.deployments.len() - cooling;
            if made >= n
                || (!by_policy && !should_retry(plan, &e, healthy, group.deployments.len()))
            {
                return Err(e);
            }
            // LiteLLM skips only a 401/403 deployment and may pick a failed one again (its
            // proxy let about 1 request in 10 fail with one broken deployment of two); here
            // the retry goes to another deployment while the group has one.
            skip.push(deployment.index);
            // No wait while another deployment can take the retry.
            if single || healthy == 0 {
                let wait = policy.wait(made, ex.upstream_retry_after);
                monoio::time::sleep(wait).await;
            }
            made += 1;
            ex.retries = made;
            ex.max_retries = Some(n);
            last = Some(e);
        }
    }
}

/// Whether the router acts on an error: one the upstream caused, or its own.
fn routable(e: &GatewayError) -> bool {
    matches!(e.source(), ErrorSource::Upstream | ErrorSource::Router)
}

/// What a success teaches the strategy: the minute's requests (v2 counted it before) and
/// tokens; the latency strategy's seconds per output token and time to first token. A
/// deployment with a limit counts its minute whatever the strategy, as LiteLLM's router does
/// (`_increment_deployment_usage`): the remaining-requests and -tokens metrics read it.
fn record_success(gw: &Gateway, ex: &Exchange<'_>, d: &Deployment) {
    let strategy = gw.policy.strategy;
    if !strategy.counts_usage() && router::limits(d) == (None, None) {
        return;
    }
    let tokens = ex.usage.as_ref().map_or(0, |u| u.total_tokens);
    let requests = u32::from(strategy != Strategy::UsageV2);
    gw.health
        .count_usage(d.index, router::minute_now(), requests, tokens);
    if let (Strategy::Latency { .. }, Some(sent)) = (strategy, ex.timings.sent) {
        let now = Instant::now();
        let end = ex.timings.upstream_done.unwrap_or(now);
        let seconds = end.saturating_duration_since(sent).as_secs_f64();
        let completion = ex.usage.as_ref().map_or(0, |u| u.completion_tokens);
        let sample = if completion > 0 {
            seconds / completion as f64
        } else {
            seconds
        };
        gw.health.sample(d.index, now, Sample::Latency, sample);
        if let (true, Some(first)) = (ex.stream, ex.timings.first_token) {
            let ttft = first.saturating_duration_since(sent).as_secs_f64();
            gw.health.sample(d.index, now, Sample::FirstToken, ttft);
        }
    }
}

/// A context-window or content-policy error: LiteLLM never takes `order` tiers for them.
fn has_own_fallbacks(e: &GatewayError) -> bool {
    matches!(
        e.exception_class(None).class,
        "ContextWindowExceededError" | "ContentPolicyViolationError"
    )
}

/// LiteLLM's `should_retry_this_error`, in its order.
fn should_retry(plan: &Plan<'_>, e: &GatewayError, healthy: usize, all: usize) -> bool {
    if plan.special_table(e).is_some() || matches!(e, GatewayError::NoDeployments { .. }) {
        return false;
    }
    let status = e.status();
    let retryable = matches!(status, 408 | 409 | 429) || status >= 500;
    if !retryable && !matches!(status, 401 | 403) {
        return false;
    }
    if status == 429 && healthy == 0 && !plan.fallbacks.is_empty() {
        return false;
    }
    // An authentication or permission error is not retried alone in its group. By the class
    // LiteLLM raises, which its message names first: a 403 it raises as a BadRequestError
    // (Gemini's) or an APIError (Azure's) is retried.
    let raised_as = |class: &str| match e {
        GatewayError::Upstream { message, .. } => message
            .strip_prefix("litellm.")
            .is_some_and(|m| m.starts_with(class)),
        _ => false,
    };
    if (raised_as("AuthenticationError") || raised_as("PermissionDeniedError")) && all <= 1 {
        return false;
    }
    healthy > 0
}

/// The lowest `order` among the group's deployments, when any sets one.
fn lowest_tier(gw: &Gateway, group: &ModelGroup) -> Option<u64> {
    group
        .deployments
        .iter()
        .filter_map(|&d| gw.deployments[d].params.order)
        .min()
}

/// The group's `order` tiers above `lowest`, in order.
fn higher_tiers(gw: &Gateway, group: &ModelGroup, lowest: Option<u64>) -> Vec<u64> {
    let Some(lowest) = lowest else {
        return Vec::new();
    };
    let mut tiers: Vec<u64> = group
        .deployments
        .iter()
        .filter_map(|&d| gw.deployments[d].params.order)
        .filter(|&o| o > lowest)
        .collect();
    tiers.sort_unstable();
    tiers.dedup();
    tiers
}
