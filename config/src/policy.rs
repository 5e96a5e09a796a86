//! LiteLLM's per-exception-class router policies: `retry_policy` (`RetryPolicy`, also per
//! group in `model_group_retry_policy`) and `allowed_fails_policy` (`AllowedFailsPolicy`,
//! router-wide or a deployment's `model_info`). Their fields are `<Class>ErrorRetries` and
//! `<Class>ErrorAllowedFails`, plus `DefaultRetries`.

use crate::fields::{join, Cx, Res};
use crate::node::Node;

/// The exception classes the policies name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Authentication,
    Timeout,
    RateLimit,
    ContentPolicyViolation,
    InternalServer,
    ServiceUnavailable,
    BadGateway,
    NotFound,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::BadRequest,
        ErrorKind::Authentication,
        ErrorKind::Timeout,
        ErrorKind::RateLimit,
        ErrorKind::ContentPolicyViolation,
        ErrorKind::InternalServer,
        ErrorKind::ServiceUnavailable,
        ErrorKind::BadGateway,
        ErrorKind::NotFound,
    ];

    /// The name the policy fields start with.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "BadRequest",
            ErrorKind::Authentication => "Authentication",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::RateLimit => "RateLimit",
            ErrorKind::ContentPolicyViolation => "ContentPolicyViolation",
            ErrorKind::InternalServer => "InternalServer",
            ErrorKind::ServiceUnavailable => "ServiceUnavailable",
            ErrorKind::BadGateway => "BadGateway",
            ErrorKind::NotFound => "NotFound",
        }
    }

    /// The kinds a LiteLLM exception class is an instance of, the most specific first (its
    /// MRO among them).
    pub fn of_class(class: &str) -> &'static [ErrorKind] {
        use ErrorKind::*;
        match class {
            "ContentPolicyViolationError" => &[ContentPolicyViolation, BadRequest],
            "BadRequestError"
            | "ContextWindowExceededError"
            | "UnsupportedParamsError"
            | "RejectedRequestError" => &[BadRequest],
            "AuthenticationError" => &[Authentication],
            "Timeout" => &[Timeout],
            "RateLimitError" => &[RateLimit],
            "InternalServerError" => &[InternalServer],
            "ServiceUnavailableError" => &[ServiceUnavailable],
            "BadGatewayError" => &[BadGateway],
            "NotFoundError" => &[NotFound],
            _ => &[],
        }
    }
}

/// A count per [`ErrorKind`] (`None`: not set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByKind(pub [Option<u64>; 9]);

impl ByKind {
    /// The first count set among `kinds`.
    pub fn first(&self, kinds: &[ErrorKind]) -> Option<u64> {
        kinds.iter().find_map(|&k| self.0[k as usize])
    }
}

/// `RetryPolicy`: retries per exception class, else `DefaultRetries`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    pub by_kind: ByKind,
    pub default: Option<u64>,
}

/// Reads a `RetryPolicy` mapping; unknown fields are ignored (and said), as pydantic ignores
/// them.
pub(crate) fn retry_policy(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<Option<RetryPolicy>> {
    let Some(entries) = cx.map(node, path)? else {
        return Ok(None);
    };
    let mut policy = RetryPolicy::default();
    for (key, value) in entries {
        let kp = join(path, &key.text);
        if key.text == "DefaultRetries" {
            policy.default = cx.uint(value, &kp)?;
            continue;
        }
        // `BadGatewayErrorRetries` is no field of LiteLLM's RetryPolicy.
        let kind = key.text.strip_suffix("ErrorRetries").and_then(|name| {
            ErrorKind::ALL
                .into_iter()
                .find(|k| k.name() == name && *k != ErrorKind::BadGateway)
        });
        match kind {
            Some(k) => policy.by_kind.0[k as usize] = cx.uint(value, &kp)?,
            None => cx.ignore(kp),
        }
    }
    Ok(Some(policy))
}

/// Reads an `AllowedFailsPolicy` mapping.
pub(crate) fn allowed_fails_policy(
    cx: &mut Cx<'_>,
    node: &Node,
    path: &str,
) -> Res<Option<ByKind>> {
    let Some(entries) = cx.map(node, path)? else {
        return Ok(None);
    };
    let mut policy = ByKind::default();
    for (key, value) in entries {
        let kp = join(path, &key.text);
        let kind = key
            .text
            .strip_suffix("ErrorAllowedFails")
            .and_then(|name| ErrorKind::ALL.into_iter().find(|k| k.name() == name));
        match kind {
            Some(k) => policy.0[k as usize] = cx.uint(value, &kp)?,
            None => cx.ignore(kp),
        }
    }
    Ok(Some(policy))
}

/// Reads `model_group_retry_policy`: a `RetryPolicy` per model group.
pub(crate) fn group_retry_policies(
    cx: &mut Cx<'_>,
    node: &Node,
    path: &str,
) -> Res<Vec<(String, RetryPolicy)>> {
    let Some(entries) = cx.map(node, path)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let kp = join(path, &key.text);
        if let Some(policy) = retry_policy(cx, value, &kp)? {
            out.push((key.text.clone(), policy));
        }
    }
    Ok(out)
}

/// `routing_strategy`: how a deployment is chosen among those left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RoutingStrategy {
    #[default]
    SimpleShuffle,
    LeastBusy,
    LatencyBased,
    /// `usage-based-routing` (v1).
    UsageBased,
    UsageBasedV2,
    CostBased,
}

impl RoutingStrategy {
    pub const ALL: [RoutingStrategy; 6] = [
        RoutingStrategy::SimpleShuffle,
        RoutingStrategy::LeastBusy,
        RoutingStrategy::LatencyBased,
        RoutingStrategy::UsageBased,
        RoutingStrategy::UsageBasedV2,
        RoutingStrategy::CostBased,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            RoutingStrategy::SimpleShuffle => "simple-shuffle",
            RoutingStrategy::LeastBusy => "least-busy",
            RoutingStrategy::LatencyBased => "latency-based-routing",
            RoutingStrategy::UsageBased => "usage-based-routing",
            RoutingStrategy::UsageBasedV2 => "usage-based-routing-v2",
            RoutingStrategy::CostBased => "cost-based-routing",
        }
    }

    /// The strategy named exactly `name` (LiteLLM has no aliases).
    pub fn of(name: &str) -> Option<RoutingStrategy> {
        RoutingStrategy::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// `routing_strategy_args` (LiteLLM's defaults where unset): the latency strategy's, and the
/// usage strategies' `ttl`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StrategyArgs {
    pub ttl: Option<std::time::Duration>,
    pub lowest_latency_buffer: Option<f64>,
    pub max_latency_list_size: Option<u64>,
    pub ttft_percentile: Option<f64>,
}

/// Reads `routing_strategy` and `routing_strategy_args` (in either order) into `rs`.
pub(crate) fn strategy(cx: &mut Cx<'_>, value: &Node, path: &str) -> Res<RoutingStrategy> {
    let Some(name) = cx.string(value, path)? else {
        return Ok(RoutingStrategy::default());
    };
    if let Some(s) = RoutingStrategy::of(&name) {
        return Ok(s);
    }
    let message = match name.as_str() {
        "lar1" | "provider-budget-routing" => format!(
            "routing_strategy '{name}' is not supported by corelane; use simple-shuffle, least-busy, latency-based-routing, usage-based-routing, usage-based-routing-v2 or cost-based-routing"
        ),
        _ => format!(
            "Invalid routing_strategy: '{name}'. Valid options: ['simple-shuffle', 'lar1', 'least-busy', 'latency-based-routing', 'cost-based-routing', 'usage-based-routing-v2', 'usage-based-routing', 'provider-budget-routing']. Check 'router_settings.routing_strategy' in your config.yaml or the 'routing_strategy' parameter if using the Router SDK directly."
        ),
    };
    Err(cx.invalid(value, path, message))
}

pub(crate) fn strategy_args(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<StrategyArgs> {
    let mut args = StrategyArgs::default();
    let Some(entries) = cx.map(node, path)? else {
        return Ok(args);
    };
    for (key, value) in entries {
        let kp = join(path, &key.text);
        match key.text.as_str() {
            "ttl" => args.ttl = cx.seconds(value, &kp)?,
            "lowest_latency_buffer" => args.lowest_latency_buffer = cx.number(value, &kp)?,
            "max_latency_list_size" => args.max_latency_list_size = cx.uint(value, &kp)?,
            "ttft_percentile" => {
                args.ttft_percentile = cx.number(value, &kp)?;
                if args.ttft_percentile.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
                    return Err(cx.invalid(value, &kp, "ttft_percentile must be in (0, 1]"));
                }
            }
            _ => cx.ignore(kp),
        }
    }
    Ok(args)
}

/// The Redis the router shares its state through, across instances: `redis_url`, else
/// `redis_host` and `redis_port` (with `redis_password`, `redis_username`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedisSettings {
    pub url: Option<String>,
    pub host: Option<String>,
    pub port: Option<u64>,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl RedisSettings {
    /// Whether it names a server (LiteLLM's Router uses Redis only then).
    pub fn is_set(&self) -> bool {
        self.url.is_some() || (self.host.is_some() && self.port.is_some())
    }

    /// The `redis://` URL to connect to.
    pub fn connect_url(&self) -> Option<String> {
        if let Some(url) = &self.url {
            return Some(url.clone());
        }
        let (host, port) = (self.host.as_ref()?, self.port?);
        let auth = match (&self.username, &self.password) {
            (Some(u), Some(p)) => format!("{}:{}@", encode(u), encode(p)),
            (None, Some(p)) => format!(":{}@", encode(p)),
            _ => String::new(),
        };
        Some(format!("redis://{auth}{host}:{port}"))
    }
}

/// Percent-encodes what a URL's user part cannot hold as it is.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reads one of router_settings' `redis_*` keys (or cache_params' `host`, `port`, ...);
/// false when `key` is none of them.
pub(crate) fn redis_key(
    cx: &mut Cx<'_>,
    redis: &mut RedisSettings,
    key: &str,
    value: &Node,
    path: &str,
) -> Res<bool> {
    match key {
        "redis_url" | "url" => redis.url = cx.string(value, path)?,
        "redis_host" | "host" => redis.host = cx.string(value, path)?,
        "redis_port" | "port" => redis.port = cx.uint(value, path)?,
        "redis_username" | "username" => redis.username = cx.string(value, path)?,
        "redis_password" | "password" => redis.password = cx.string(value, path)?,
        _ => return Ok(false),
    }
    Ok(true)
}
