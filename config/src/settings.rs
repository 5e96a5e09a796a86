//! `router_settings`, `litellm_settings` and `general_settings`: the keys corelane implements.

use std::time::Duration;

use crate::fields::{join, Cx, Res};
use crate::master_key::{is_litellm_true, PERMIT_WEAK_KEY_SETTING};
use crate::node::{Kind, Node};
use crate::policy::{self, ByKind, RedisSettings, RetryPolicy, RoutingStrategy, StrategyArgs};
use crate::scalar::{quote, Scalar};

/// Router options (LiteLLM's `Router.__init__` arguments).
#[derive(Debug, Clone, Default)]
pub struct RouterSettings {
    pub routing_strategy: RoutingStrategy,
    pub routing_strategy_args: StrategyArgs,
    /// Tag routing (`tags` on deployments and requests).
    pub enable_tag_filtering: Option<bool>,
    pub tag_filtering_match_any: Option<bool>,
    /// Context-window (and rpm) checks before a deployment is picked.
    pub enable_pre_call_checks: Option<bool>,
    /// `redis_*`: the Redis instances share the router's state through.
    pub redis: RedisSettings,
    /// Health-check routing's keys, which LiteLLM also reads here (`enable_health_check_routing`,
    /// `health_check_staleness_threshold`, `health_check_ignore_transient_errors`).
    pub health_routing: crate::health_checks::HealthCheckSettings,
    pub model_group_alias: Vec<GroupAlias>,
    pub timeout: Option<Duration>,
    pub stream_timeout: Option<Duration>,
    pub retries: RetrySettings,
    /// The least wait between retries of a group without another deployment to go to.
    pub retry_after: Option<Duration>,
    /// Failures a deployment may have before it cools down (LiteLLM counts them only when
    /// this differs from `litellm_settings.allowed_fails`, 3 by default).
    pub allowed_fails: Option<u64>,
    pub cooldown_time: Option<Duration>,
    pub disable_cooldowns: Option<bool>,
    pub retry_policy: Option<RetryPolicy>,
    /// A `RetryPolicy` per model group, replacing `retry_policy` for it.
    pub model_group_retry_policy: Vec<(String, RetryPolicy)>,
    pub allowed_fails_policy: Option<ByKind>,
}

/// The retry and fallback keys LiteLLM reads from `router_settings`, and from
/// `litellm_settings` where `router_settings` leaves them unset.
#[derive(Debug, Clone, Default)]
pub struct RetrySettings {
    pub num_retries: Option<u64>,
    pub max_fallbacks: Option<u64>,
    /// `[{group: [fallback groups]}]`, in order; `"*"` matches every group.
    pub fallbacks: Vec<Fallback>,
    /// Appended to `fallbacks` as `{"*": [...]}`.
    pub default_fallbacks: Vec<String>,
    pub context_window_fallbacks: Vec<Fallback>,
    pub content_policy_fallbacks: Vec<Fallback>,
}

/// One `fallbacks` entry: requests for `group` that fail go on to `targets`, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    pub group: String,
    pub targets: Vec<String>,
}

/// `model_group_alias` entry: requests for `alias` go to model group `model`; `hidden`
/// aliases are served but left out of `/v1/models`, `/v1/model/info` and
/// `/v1/model_group/info` (LiteLLM's `RouterModelGroupAliasItem`).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAlias {
    pub alias: String,
    pub model: String,
    pub hidden: bool,
}

/// Module-level `litellm.*` settings.
#[derive(Debug, Clone, Default)]
pub struct LitellmSettings {
    pub request_timeout: Option<Duration>,
    /// The router keys LiteLLM also reads from here (`router_settings` wins).
    pub retries: RetrySettings,
    /// `litellm.allowed_fails` (3 when unset): the router counts failures only when its own
    /// `allowed_fails` differs from it.
    pub allowed_fails: Option<u64>,
    /// Parsed (and type-checked) but not applied yet: listed as ignored.
    pub drop_params: Option<bool>,
    /// `prometheus` is named in `callbacks`, `success_callback` or `failure_callback`.
    pub prometheus: bool,
    /// `callbacks` entries naming a Python object (`custom_callbacks.proxy_handler_instance`).
    pub python_callbacks: Vec<String>,
    /// `cache_params`' Redis (`type: redis`, the default): where the router shares its state
    /// when `router_settings` names no Redis.
    pub cache_redis: RedisSettings,
}

/// Proxy server settings.
#[derive(Debug, Clone, Default)]
pub struct GeneralSettings {
    pub master_key: Option<String>,
    pub database_url: Option<String>,
    pub max_request_size_mb: Option<f64>,
    /// Parsed (and type-checked) but not applied yet: listed as ignored.
    pub max_response_size_mb: Option<f64>,
    pub litellm_key_header_name: Option<String>,
    /// Start even with an unset, empty or publicly known master key (local development only).
    pub dangerously_permit_weak_or_unset_master_key: bool,
    /// `background_health_checks`, `health_check_*` and the other health keys.
    pub health_checks: crate::health_checks::HealthCheckSettings,
    /// How long a virtual key's record is served from memory before it is read again
    /// (LiteLLM's default: 60 s).
    pub user_api_key_cache_ttl: Option<Duration>,
    /// How often spend is written to the database (LiteLLM's default: 10 s).
    pub proxy_batch_write_at: Option<Duration>,
    /// No `LiteLLM_SpendLogs` row per request; keys', users' and teams' spend and the daily
    /// tables are still written.
    pub disable_spend_logs: bool,
    /// Spend increments go through Redis lists, and one instance at a time (the holder of
    /// LiteLLM's lock) writes them to the database.
    pub use_redis_transaction_buffer: bool,
    /// A Python `async def user_api_key_auth(request, api_key)` (`module.function`).
    pub custom_auth: Option<String>,
}

pub(crate) fn router(cx: &mut Cx<'_>, node: &Node) -> Res<RouterSettings> {
    const PATH: &str = "router_settings";
    let mut rs = RouterSettings::default();
    let Some(entries) = cx.map(node, PATH)? else {
        return Ok(rs);
    };
    for (key, value) in entries {
        let kp = join(PATH, &key.text);
        match key.text.as_str() {
            "routing_strategy" => rs.routing_strategy = policy::strategy(cx, value, &kp)?,
            "routing_strategy_args" => {
                rs.routing_strategy_args = policy::strategy_args(cx, value, &kp)?
            }
            "enable_tag_filtering" => rs.enable_tag_filtering = cx.boolean(value, &kp)?,
            "tag_filtering_match_any" => rs.tag_filtering_match_any = cx.boolean(value, &kp)?,
            "enable_pre_call_checks" => rs.enable_pre_call_checks = cx.boolean(value, &kp)?,
            k if k.starts_with("redis_")
                && policy::redis_key(cx, &mut rs.redis, k, value, &kp)? => {}
            k @ ("enable_health_check_routing"
            | "health_check_staleness_threshold"
            | "health_check_ignore_transient_errors") => {
                crate::health_checks::read(cx, &mut rs.health_routing, k, value, &kp)?
            }
            "model_group_alias" => rs.model_group_alias = aliases(cx, value, &kp)?,
            "timeout" => rs.timeout = cx.seconds(value, &kp)?,
            "stream_timeout" => rs.stream_timeout = cx.seconds(value, &kp)?,
            "retry_after" => rs.retry_after = cx.seconds(value, &kp)?,
            "allowed_fails" => rs.allowed_fails = cx.uint(value, &kp)?,
            "cooldown_time" => rs.cooldown_time = cx.seconds(value, &kp)?,
            "disable_cooldowns" => rs.disable_cooldowns = cx.boolean(value, &kp)?,
            "retry_policy" => rs.retry_policy = policy::retry_policy(cx, value, &kp)?,
            "model_group_retry_policy" => {
                rs.model_group_retry_policy = policy::group_retry_policies(cx, value, &kp)?
            }
            "allowed_fails_policy" => {
                rs.allowed_fails_policy = policy::allowed_fails_policy(cx, value, &kp)?
            }
            k if retry_key(cx, &mut rs.retries, k, value, &kp)? => {}
            _ => cx.ignore(kp),
        }
    }
    Ok(rs)
}

/// `cache_params`: its Redis server; its other keys configure response caching, which
/// corelane does not have (listed as ignored).
fn cache_redis(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<RedisSettings> {
    let mut redis = RedisSettings::default();
    let Some(entries) = cx.map(node, path)? else {
        return Ok(redis);
    };
    let mut is_redis = true;
    for (key, value) in entries {
        let kp = join(path, &key.text);
        match key.text.as_str() {
            "type" => is_redis = cx.string(value, &kp)?.is_none_or(|t| t == "redis"),
            k if policy::redis_key(cx, &mut redis, k, value, &kp)? => {}
            _ => cx.ignore(kp),
        }
    }
    Ok(if is_redis {
        redis
    } else {
        RedisSettings::default()
    })
}

/// Reads one of the retry and fallback keys into `rs`; false when `key` is none of them.
fn retry_key(
    cx: &mut Cx<'_>,
    rs: &mut RetrySettings,
    key: &str,
    value: &Node,
    path: &str,
) -> Res<bool> {
    match key {
        "num_retries" => rs.num_retries = cx.uint(value, path)?,
        "max_fallbacks" => rs.max_fallbacks = cx.uint(value, path)?,
        "fallbacks" => rs.fallbacks = fallbacks(cx, value, path)?,
        "context_window_fallbacks" => rs.context_window_fallbacks = fallbacks(cx, value, path)?,
        "content_policy_fallbacks" => rs.content_policy_fallbacks = fallbacks(cx, value, path)?,
        "default_fallbacks" => rs.default_fallbacks = strings(cx, value, path)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// `[{group: [targets]}, ...]` (LiteLLM's `fallbacks` list of one-key dicts; a dict of
/// several keys is read as several entries, in order).
fn fallbacks(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<Vec<Fallback>> {
    let mut out = Vec::new();
    for (i, item) in cx.seq(node, path)?.unwrap_or_default().iter().enumerate() {
        let ip = format!("{path}[{i}]");
        let Some(entries) = cx.map(item, &ip)? else {
            continue;
        };
        for (key, targets) in entries {
            let kp = join(&ip, &key.text);
            out.push(Fallback {
                group: key.text.clone(),
                targets: strings(cx, targets, &kp)?,
            });
        }
    }
    Ok(out)
}

/// A list of strings (a single string is a list of one, as LiteLLM's lookups treat it).
pub(crate) fn strings(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<Vec<String>> {
    if let Some(items) = cx.seq(node, path).ok().flatten() {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = cx.string(item, &format!("{path}[{i}]"))? {
                out.push(s);
            }
        }
        return Ok(out);
    }
    Ok(cx.string(node, path)?.into_iter().collect())
}

/// `{alias: "target"}` or `{alias: {model: "target", hidden: true}}` (LiteLLM's
/// `RouterModelGroupAliasItem`; `hidden` defaults to false).
fn aliases(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<Vec<GroupAlias>> {
    let Some(entries) = cx.map(node, path)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let kp = join(path, &key.text);
        let alias = key.text.clone();
        if let Kind::Map(fields) = &value.kind {
            let model = cx.required_string(fields, value, &kp, "model")?;
            let mut hidden = false;
            for (k, v) in fields {
                let fp = join(&kp, &k.text);
                match k.text.as_str() {
                    "model" => {}
                    "hidden" => hidden = cx.boolean(v, &fp)?.unwrap_or(false),
                    _ => cx.ignore(fp),
                }
            }
            out.push(GroupAlias {
                alias,
                model,
                hidden,
            });
        } else if let Some(model) = cx.string(value, &kp)? {
            out.push(GroupAlias {
                alias,
                model,
                hidden: false,
            });
        }
    }
    Ok(out)
}

pub(crate) fn litellm(cx: &mut Cx<'_>, node: &Node) -> Res<LitellmSettings> {
    const PATH: &str = "litellm_settings";
    let mut ls = LitellmSettings::default();
    let Some(entries) = cx.map(node, PATH)? else {
        return Ok(ls);
    };
    for (key, value) in entries {
        let kp = join(PATH, &key.text);
        match key.text.as_str() {
            "request_timeout" => ls.request_timeout = cx.seconds(value, &kp)?,
            "allowed_fails" => ls.allowed_fails = cx.uint(value, &kp)?,
            "cache_params" => ls.cache_redis = cache_redis(cx, value, &kp)?,
            k if retry_key(cx, &mut ls.retries, k, value, &kp)? => {}
            "drop_params" => ls.drop_params = cx.boolean(value, &kp)?,
            // `/v1/messages` to an OpenAI-format provider always goes to its chat completions
            // here; `false` asks for LiteLLM's Responses API route for openai models, which
            // corelane does not have yet.
            "use_chat_completions_url_for_anthropic_messages" => {
                if cx.boolean(value, &kp)? != Some(true) {
                    cx.ignore(kp);
                }
            }
            "callbacks" | "success_callback" | "failure_callback" => {
                // A single name or a list of them.
                let names: Vec<&Node> = match cx.seq(value, &kp) {
                    Ok(Some(items)) => items.iter().collect(),
                    _ => vec![value],
                };
                let mut others = false;
                for name in names {
                    match cx.string(name, &kp)? {
                        Some(n) if n == "prometheus" => ls.prometheus = true,
                        // A plugin object beside the config, run in the Python sidecar.
                        Some(n) if key.text == "callbacks" && crate::is_python_path(&n) => {
                            ls.python_callbacks.push(n)
                        }
                        Some(_) => others = true,
                        None => {}
                    }
                }
                // Other callbacks (langfuse, datadog, ...) are not run yet.
                if others {
                    cx.ignore(kp);
                }
            }
            _ => cx.ignore(kp),
        }
    }
    Ok(ls)
}

pub(crate) fn general(cx: &mut Cx<'_>, node: &Node) -> Res<GeneralSettings> {
    const PATH: &str = "general_settings";
    let mut gs = GeneralSettings::default();
    let Some(entries) = cx.map(node, PATH)? else {
        return Ok(gs);
    };
    for (key, value) in entries {
        let kp = join(PATH, &key.text);
        match key.text.as_str() {
            "master_key" => gs.master_key = cx.string(value, &kp)?,
            "database_url" => gs.database_url = cx.string(value, &kp)?,
            "max_request_size_mb" => gs.max_request_size_mb = cx.number(value, &kp)?,
            "max_response_size_mb" => {
                gs.max_response_size_mb = cx.number(value, &kp)?;
                cx.ignore(kp);
            }
            "litellm_key_header_name" => gs.litellm_key_header_name = cx.string(value, &kp)?,
            PERMIT_WEAK_KEY_SETTING => {
                gs.dangerously_permit_weak_or_unset_master_key = permit_flag(cx, value, &kp)
            }
            k if crate::health_checks::KEYS.contains(&k) => {
                crate::health_checks::read(cx, &mut gs.health_checks, k, value, &kp)?
            }
            "user_api_key_cache_ttl" => gs.user_api_key_cache_ttl = cx.seconds(value, &kp)?,
            "proxy_batch_write_at" => gs.proxy_batch_write_at = cx.seconds(value, &kp)?,
            "disable_spend_logs" => {
                gs.disable_spend_logs = cx.boolean(value, &kp)?.unwrap_or(false)
            }
            "custom_auth" => gs.custom_auth = cx.string(value, &kp)?,
            "use_redis_transaction_buffer" => {
                gs.use_redis_transaction_buffer = cx.boolean(value, &kp)?.unwrap_or(false)
            }
            _ => cx.ignore(kp),
        }
    }
    Ok(gs)
}

/// LiteLLM honours the weak-key opt-in only when it is exactly `True`
/// (`general_settings.get(...) is True`): a YAML 1.1 boolean, or an `os.environ/` reference whose
/// variable reads "true" (its config loader turns those into booleans). Anything else leaves the
/// master-key rule on; it is a warning, not an error, since LiteLLM starts the same way.
fn permit_flag(cx: &mut Cx<'_>, node: &Node, path: &str) -> bool {
    let shown = match node.scalar() {
        Some(Scalar::Bool(on)) => return on,
        Some(Scalar::Null) => return false,
        Some(Scalar::Str(text)) => match cx.env.resolve_ref(text) {
            Ok(Some(value)) if is_litellm_true(value) => return true,
            Ok(Some(value)) if value.trim().eq_ignore_ascii_case("false") => return false,
            Ok(Some(value)) => format!("{text} = {}", quote(value)),
            Ok(None) => quote(text),
            Err(_) => format!("{text} (not set)"),
        },
        _ => node.describe(),
    };
    cx.warnings.push(format!(
        "{path}: {shown} is not the boolean true, so it does not permit a weak master key"
    ));
    false
}
