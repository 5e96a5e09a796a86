//! The `general_settings` keys of LiteLLM's health checks (`GET /health`, the background loop,
//! health-check routing, the readiness probe), as LiteLLM 1.108.7's proxy reads them.

use std::time::Duration;

use crate::fields::{Cx, Res};
use crate::node::Node;
use crate::scalar::Scalar;

/// The keys this module reads; every other health key (`use_shared_health_check`,
/// `model_list_healthy_only`, `enable_drain_endpoint`, ...) is listed as ignored.
pub(crate) const KEYS: &[&str] = &[
    "background_health_checks",
    "health_check_interval",
    "health_check_concurrency",
    "health_check_details",
    "health_check_skip_disabled_background_models",
    "background_health_check_model_groups",
    "enable_health_check_routing",
    "health_check_staleness_threshold",
    "health_check_ignore_transient_errors",
    "allow_public_health_readiness_details",
];

/// LiteLLM's health-check settings, from `general_settings`.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheckSettings {
    /// `background_health_checks`: run the checks every `interval` and answer `GET /health`
    /// from the latest run.
    pub background: bool,
    /// `health_check_interval` as written, in seconds: `None` when unset (LiteLLM's
    /// `DEFAULT_HEALTH_CHECK_INTERVAL`, 300 s or that variable, applies), `Some(0)` when it is
    /// not a positive whole number, with which LiteLLM's loop returns at once and never
    /// checks (a warning says so).
    pub interval: Option<u64>,
    /// `health_check_concurrency`: most checks in flight at once (`None`: LiteLLM's "all").
    pub concurrency: Option<u64>,
    /// `health_check_details` (default true): false shows only `model` (and the id and
    /// status) of each endpoint, not its parameters or error.
    pub details: bool,
    /// `health_check_skip_disabled_background_models`: deployments with
    /// `model_info.disable_background_health_check` are left out of `GET /health` too.
    pub skip_disabled: bool,
    /// `background_health_check_model_groups`: the model groups the background loop (and
    /// health-check routing) covers; `None` is all.
    pub model_groups: Option<Vec<String>>,
    /// `enable_health_check_routing`: the router leaves out deployments the latest
    /// background run found unhealthy.
    pub routing: bool,
    /// `health_check_staleness_threshold`: how long a background verdict counts for routing.
    pub staleness_threshold: Option<Duration>,
    /// `health_check_ignore_transient_errors`: a 429 or 408 does not make a deployment
    /// unhealthy for routing.
    pub ignore_transient_errors: bool,
    /// `allow_public_health_readiness_details`: `/health/readiness` answers with the detailed
    /// payload without a key.
    pub public_readiness_details: bool,
}

impl Default for HealthCheckSettings {
    fn default() -> Self {
        HealthCheckSettings {
            background: false,
            interval: None,
            concurrency: None,
            details: true,
            skip_disabled: false,
            model_groups: None,
            routing: false,
            staleness_threshold: None,
            ignore_transient_errors: false,
            public_readiness_details: false,
        }
    }
}

/// Reads one of [`KEYS`] into `hc`.
pub(crate) fn read(
    cx: &mut Cx<'_>,
    hc: &mut HealthCheckSettings,
    key: &str,
    value: &Node,
    path: &str,
) -> Res<()> {
    let flag = |cx: &mut Cx<'_>| -> Res<bool> { Ok(cx.boolean(value, path)?.unwrap_or(false)) };
    match key {
        "background_health_checks" => hc.background = flag(cx)?,
        "health_check_interval" => hc.interval = Some(interval(cx, value, path)),
        "health_check_concurrency" => hc.concurrency = cx.uint(value, path)?,
        // `details is not False`: only an explicit false hides them.
        "health_check_details" => hc.details = cx.boolean(value, path)? != Some(false),
        "health_check_skip_disabled_background_models" => hc.skip_disabled = flag(cx)?,
        "background_health_check_model_groups" => hc.model_groups = groups(cx, value, path)?,
        "enable_health_check_routing" => hc.routing = flag(cx)?,
        "health_check_staleness_threshold" => hc.staleness_threshold = cx.seconds(value, path)?,
        "health_check_ignore_transient_errors" => hc.ignore_transient_errors = flag(cx)?,
        "allow_public_health_readiness_details" => {
            // `general_settings.get(...) is True`.
            hc.public_readiness_details = matches!(value.scalar(), Some(Scalar::Bool(true)))
        }
        _ => cx.ignore(path.to_owned()),
    }
    Ok(())
}

/// LiteLLM's loop runs only for `isinstance(health_check_interval, int) and > 0`; any other
/// value starts no check (and says so here), where it would not fail the start.
fn interval(cx: &mut Cx<'_>, value: &Node, path: &str) -> u64 {
    match value.scalar() {
        Some(Scalar::Int(n)) if n > 0 => u64::try_from(n).unwrap_or(0),
        _ => {
            cx.warnings.push(format!(
                "{path}: {} is not a positive whole number of seconds: background health checks do not run (as in LiteLLM)",
                value.describe()
            ));
            0
        }
    }
}

/// A list of model group names; LiteLLM refuses to start on anything else.
fn groups(cx: &mut Cx<'_>, value: &Node, path: &str) -> Res<Option<Vec<String>>> {
    let Some(items) = cx.seq(value, path)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        match item.scalar() {
            Some(Scalar::Str(_)) => out.extend(cx.string(item, &item_path)?),
            _ => {
                return Err(cx.invalid(
                    item,
                    &item_path,
                    format!("expected a model group name, got {}", item.describe()),
                ))
            }
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn general(yaml: &str) -> crate::Config {
        crate::parse(
            &format!("general_settings:\n{yaml}"),
            "t",
            Default::default(),
        )
        .unwrap()
    }

    #[test]
    fn litellms_health_keys_are_read_and_the_others_listed_as_ignored() {
        let config = general(
            "  background_health_checks: true\n  health_check_interval: 60\n  health_check_concurrency: 4\n  health_check_details: false\n  background_health_check_model_groups: [a, b]\n  enable_health_check_routing: true\n  health_check_staleness_threshold: 90\n  allow_public_health_readiness_details: true\n  use_shared_health_check: true\n",
        );
        let hc = &config.general_settings.health_checks;
        assert!(hc.background && hc.routing && hc.public_readiness_details && !hc.details);
        assert_eq!(hc.interval, Some(60));
        assert_eq!(hc.concurrency, Some(4));
        assert_eq!(
            hc.model_groups.as_deref(),
            Some(&["a".to_owned(), "b".to_owned()][..])
        );
        assert_eq!(hc.staleness_threshold, Some(Duration::from_secs(90)));
        assert_eq!(config.ignored, ["general_settings.use_shared_health_check"]);
        assert!(HealthCheckSettings::default().details);
    }

    #[test]
    fn an_interval_litellms_loop_refuses_is_warned_and_bad_groups_stop_the_start() {
        let config = general("  health_check_interval: 0.5\n");
        assert_eq!(config.general_settings.health_checks.interval, Some(0));
        assert!(config.warnings[0].contains("background health checks do not run"));
        let refused = crate::parse(
            "general_settings:\n  background_health_check_model_groups: [1]\n",
            "t",
            Default::default(),
        );
        assert!(refused.is_err());
        // LiteLLM's `is True`: only a boolean true opens the details.
        let config = general("  allow_public_health_readiness_details: 'true'\n");
        assert!(
            !config
                .general_settings
                .health_checks
                .public_readiness_details
        );
    }
}
