//! Model resolution and deployment choice: exact group, `model_group_alias`, then wildcard
//! patterns (longest prefix first), as LiteLLM's router orders them; several deployments of a
//! group are picked by simple-shuffle among those not cooling down, in the lowest `order`
//! tier. The retry and fallback loop that calls [`pick`] is in `proxy`; [`Policy`] holds its
//! settings, [`crate::health`] the cooldowns every core sees.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use corelane_config::{Config, ErrorKind, Fallback, RetryPolicy};
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
}

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
        }
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
}

/// One deployment of `group` for an attempt at `now`, as LiteLLM's router picks it: those not
/// cooling down, in the lowest `order` tier among them (at least `tier`), not among `skip`
/// (unless that leaves none), by simple-shuffle.
pub fn pick<'g>(
    gw: &'g Gateway,
    group: &ModelGroup,
    now: Instant,
    tier: Option<u64>,
    skip: &[usize],
) -> Result<&'g Deployment, NoPick> {
    let ids = &group.deployments;
    if ids.is_empty() {
        return Err(NoPick::Empty);
    }
    let deps = &gw.deployments;
    // The common case: one deployment, not cooling.
    if let [only] = ids[..] {
        return match gw.health.cooling(only, now) {
            None => Ok(&deps[only]),
            Some(_) => Err(NoPick::Cooling),
        };
    }
    let mut live: Vec<usize> = ids
        .iter()
        .copied()
        .filter(|&d| gw.health.cooling(d, now).is_none())
        .filter(|&d| match (tier, deps[d].params.order) {
            (Some(t), Some(o)) => o >= t,
            _ => true,
        })
        .collect();
    if live.is_empty() {
        return Err(NoPick::Cooling);
    }
    // `order`: only the lowest tier present; deployments without one drop out when any has.
    if let Some(lowest) = live.iter().filter_map(|&d| deps[d].params.order).min() {
        live.retain(|&d| deps[d].params.order == Some(lowest));
    }
    if live.iter().any(|d| !skip.contains(d)) {
        live.retain(|d| !skip.contains(d));
    }
    Ok(&deps[shuffle(gw, &live)])
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

/// LiteLLM's `RouterRateLimitError` for a group whose deployments all cool down: the
/// shortest cooldown length among them, and every cooling deployment's id router-wide.
pub fn no_deployments(gw: &Gateway, group: &ModelGroup, model: &str, now: Instant) -> GatewayError {
    let (_, least) = gw
        .health
        .cooling_among(group.deployments.iter().copied(), now);
    let least = least.unwrap_or(DEFAULT_COOLDOWN);
    let mut message = String::from("No deployments available for selected model, Try again in ");
    write_seconds(least, &mut message);
    let _ = write!(
        message,
        " seconds. All deployments for selected model are in cooldown. Passed model={model}. pre-call-checks=False, cooldown_list=["
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
