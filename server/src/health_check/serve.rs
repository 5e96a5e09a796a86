//! The health routes as LiteLLM 1.108.7's `_health_endpoints.py` answers them: `GET /health`
//! (the deployments' checks, by `model` or `model_id`), `/health/readiness` (open, status and
//! database only unless `allow_public_health_readiness_details`),
//! `/health/readiness/details` (with a key) and `/health/liveliness` (`/health/liveness`).

use std::time::Instant;

use corelane_http1::Method;
use monoio::net::TcpStream;
use serde_json::json;

use super::report::{unique, Report};
use super::{probe, HealthChecks, Row};
use crate::core::Core;
use crate::errors::GatewayError;
use crate::exchange::{Exchange, Request};
use crate::gateway::Gateway;
use crate::io::write_all;
use crate::response::write_json;
use crate::routes::Route;

/// Serves one of the health routes; returns whether the connection may carry another.
pub async fn serve<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    route: Route,
    ex: &mut Exchange<'g>,
) -> bool {
    let head_only = req.method == Method::Head;
    let checks = &core.health_checks;
    // Once shutdown starts, LiteLLM's probes say so (orchestrators stop sending traffic).
    let shutting_down = || (503, br#"{"status":"shutting_down"}"#.to_vec());
    let answer = match route {
        Route::Liveliness | Route::Readiness if core.shutting_down() => Ok(shutting_down()),
        Route::Liveliness => Ok((200, b"\"I'm alive!\"".to_vec())),
        Route::Readiness if checks.settings.public_readiness_details => {
            Ok((200, readiness_details(core)))
        }
        Route::Readiness => Ok((
            200,
            format!(r#"{{"status":"healthy","db":"{}"}}"#, db_status(core)).into_bytes(),
        )),
        Route::ReadinessDetails => Ok((200, readiness_details(core))),
        _ => health(core, client, req, ex).await,
    };
    match answer {
        Ok((status, body)) => {
            ex.status = status;
            let mut out = Vec::with_capacity(body.len() + 160);
            write_json(&mut out, status, &body, ex.keep_alive, None);
            if head_only {
                out.truncate(out.len() - body.len());
            }
            write_all(client, out).await.0.is_ok() && ex.keep_alive
        }
        Err(e) => crate::proxy::respond_error(client, ex, &e, head_only).await,
    }
}

/// LiteLLM's `_get_health_readiness_details`, with what corelane can say of itself: no
/// database, no cache, its own version, `prometheus` when metrics are on, its log level.
/// `show_no_redis_warning` is false: the cores of one process share the router's state
/// without Redis (LiteLLM's warning is about workers that do not).
fn readiness_details(core: &Core) -> Vec<u8> {
    use tracing::level_filters::LevelFilter;
    let level = LevelFilter::current();
    let log_level = match level {
        LevelFilter::TRACE | LevelFilter::DEBUG => "DEBUG",
        LevelFilter::INFO => "INFO",
        LevelFilter::WARN => "WARNING",
        LevelFilter::ERROR => "ERROR",
        _ => "CRITICAL",
    };
    let callbacks: &[&str] = if core.metrics.is_some() {
        &["prometheus"]
    } else {
        &[]
    };
    serde_json::to_vec(&json!({
        "status": "healthy",
        "db": db_status(core),
        "cache": null,
        "litellm_version": concat!("corelane-", env!("CARGO_PKG_VERSION")),
        "success_callbacks": callbacks,
        "use_aiohttp_transport": false,
        "log_level": log_level,
        "is_detailed_debug": level >= LevelFilter::DEBUG,
        "show_no_redis_warning": false,
        "show_env_credential_login_warning": false,
    }))
    .unwrap_or_default()
}

/// `GET /health`: the deployments' checks (LiteLLM's `health_endpoint`). With background
/// checks, the latest run's report (`{}` before the first run ends), narrowed to the
/// requested deployments; else a run now. A request that names a `model` or `model_id` with
/// no healthy deployment is a 503 (the body unchanged).
async fn health<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    ex: &mut Exchange<'g>,
) -> Result<(u16, Vec<u8>), GatewayError> {
    let gw = &core.gateway;
    let checks = &core.health_checks;
    let query = Query::of(req.target);
    // `model_id` wins over `model`; an id no deployment carries is a 404 (LiteLLM's
    // `_health_endpoint_resolve_target_model_name`).
    if let Some(id) = &query.model_id {
        if !gw.deployments.iter().any(|d| d.id == *id) {
            return Err(GatewayError::Detail {
                status: 404,
                detail: json!({"error": format!("Model with ID {id} not found")}).to_string(),
            });
        }
    }
    let targeted = targeted_rows(checks, gw, &query);
    let specific = targeted.is_some();
    let (body, healthy) = if checks.settings.background {
        let latest = checks.latest.load_full();
        match (latest, &targeted) {
            (None, None) => (b"{}".to_vec(), 0),
            (latest, Some(rows)) => {
                let ids: Vec<&str> = rows
                    .iter()
                    .map(|r| gw.deployments[r.deployment].id.as_str())
                    .collect();
                let keep = |d: usize| ids.contains(&gw.deployments[d].id.as_str());
                match latest {
                    Some(report) => report.answer(keep),
                    None => Report::default().answer(keep),
                }
            }
            (Some(report), None) => report.answer(|_| true),
        }
    } else {
        let rows = targeted.unwrap_or_else(|| checks.roster.clone());
        let rows: Vec<Row> = rows
            .into_iter()
            .filter(|r| {
                !(checks.settings.skip_disabled
                    && probe::skips_background(&gw.deployments[r.deployment]))
            })
            .collect();
        let deployments = unique(gw, &rows);
        let run = probe::check_all(core, &checks.settings, &deployments);
        let started = Instant::now();
        let outcomes =
            crate::relay::unless_client_leaves(client, &mut ex.early, started, run).await?;
        Report::new(gw, &checks.settings, &deployments, outcomes).answer(|_| true)
    };
    let status = if specific && healthy == 0 { 503 } else { 200 };
    Ok((status, body))
}

/// The rows a `model` or `model_id` names (`None`: no target). LiteLLM's `_narrow_to_target`:
/// by id; else the rows listed under that name (a group, or a visible alias), else the
/// deployments whose `litellm_params.model` is that string.
fn targeted_rows(checks: &HealthChecks, gw: &Gateway, query: &Query) -> Option<Vec<Row>> {
    let roster = &checks.roster;
    let pick =
        |f: &dyn Fn(&Row) -> bool| roster.iter().filter(|r| f(r)).cloned().collect::<Vec<_>>();
    if let Some(id) = &query.model_id {
        return Some(pick(&|r| gw.deployments[r.deployment].id == *id));
    }
    let name = query.model.as_deref()?;
    let by_name = pick(&|r| r.name == name);
    if !by_name.is_empty() {
        return Some(by_name);
    }
    Some(pick(&|r| gw.deployments[r.deployment].params.model == name))
}

/// The database as LiteLLM's readiness names it: "connected" while the key store's last
/// write worked (LiteLLM's answer with a database), else "disconnected".
fn db_status(core: &Core) -> &'static str {
    match core.gateway.store.get() {
        Some(store) if store.stats.db_up.load(std::sync::atomic::Ordering::Relaxed) => "connected",
        Some(_) => "disconnected",
        None => "Not connected",
    }
}

/// `/health`'s query parameters (the last of a repeated one, as Starlette reads them; empty
/// is absent, as LiteLLM's truth tests treat it).
#[derive(Debug, Default, PartialEq)]
struct Query {
    model: Option<String>,
    model_id: Option<String>,
}

impl Query {
    fn of(target: &str) -> Query {
        Query {
            model: crate::routes::query_param(target, "model"),
            model_id: crate::routes::query_param(target, "model_id"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_a_model_or_an_id_form_decoded() {
        let q = Query::of("/health?model=openai%2Fgpt-4o&x=1");
        assert_eq!(q.model.as_deref(), Some("openai/gpt-4o"));
        assert_eq!(q.model_id, None);
        let q = Query::of("/health?model_id=a+b&model=&model_id=c");
        assert_eq!(q.model_id.as_deref(), Some("c"));
        assert_eq!(q.model, None);
        assert_eq!(Query::of("/health"), Query::default());
    }
}
