//! The request path, top to bottom. The connection (`conn`) reads the head, starts the
//! [`Exchange`] and calls [`admit`] (route and [`authenticate`]) before reading a byte of the
//! body; then [`handle`] runs the phases of an inference request:
//!
//! `resolve_model → pick_deployment → build_upstream → relay`
//!
//! and the connection calls [`finish`] exactly once for every request whose head was parsed,
//! whatever phase it ended in.

use std::time::Instant;

use corelane_http1::Method;
use corelane_transforms::anthropic::TransformError;
use corelane_transforms::error::UpstreamErrorMap;
use corelane_transforms::family;
use corelane_transforms::openai::{self, RequestError, RequestFields};
use corelane_transforms::provider::{self, Endpoint, ProviderRow, TokenState};
use futures_util::future::join_all;
use futures_util::stream::{FuturesUnordered, StreamExt};
use monoio::net::TcpStream;

use crate::core::{BodyCharge, Core};
use crate::errors::{Dialect, GatewayError};
use crate::exchange::{Caller, Exchange, Request};
use crate::gateway::{Deployment, Gateway, Upstream};
use crate::io::{place_head, with_head_room, write_all, HEAD_ROOM};
use crate::relay::{unless_client_leaves, SpilledBody, UpstreamRequest};
use crate::response::{header, write_head, write_json, Framing};
use crate::router::{self, Target};
use crate::routes::Route;
use crate::spill::SpillFile;

/// What an admitted request's route does with a body. Only the inference, token-counting
/// and management routes read one: a body sent to any other route (the open health probes
/// included) is never read, buffered or spilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    ReadsBody,
    IgnoresBody,
}

/// The checks a request head alone decides, made before a byte of its body is read: the
/// route exists and, where it needs one, the key is valid (unless custom auth decides the
/// caller from the body: [`admit_after_body`]).
pub async fn admit(
    core: &Core,
    ex: &mut Exchange<'_>,
    route: Route,
    key: Option<&str>,
    raw_head: &[u8],
) -> Result<Admitted, GatewayError> {
    match route {
        Route::NotFound => return Err(GatewayError::NotFound),
        _ if route.needs_auth() && !auth_waits_for_body(core, route) => {
            identify(core, ex, route, key, raw_head, b"").await?
        }
        _ => {}
    }
    Ok(match reads_body(route) {
        true => Admitted::ReadsBody,
        false => Admitted::IgnoresBody,
    })
}

fn reads_body(route: Route) -> bool {
    matches!(
        route,
        Route::Inference { .. } | Route::TokenCounter | Route::Manage(_)
    )
}

/// Custom auth's `request` has the body on a route that reads one, as in LiteLLM (which
/// reads the body before it calls custom auth): there the caller is decided after the
/// body, by [`admit_after_body`], not from the head. (With custom auth configured, every
/// request is a call to it anyway; the body read first is bounded as any body is.)
fn auth_waits_for_body(core: &Core, route: Route) -> bool {
    route.needs_auth() && reads_body(route) && custom_auth_link(core).is_some()
}

/// The key checks of a request whose custom auth waited for its body (see
/// [`auth_waits_for_body`]); nothing for the others, decided by [`admit`].
pub async fn admit_after_body(
    core: &Core,
    ex: &mut Exchange<'_>,
    route: Route,
    key: Option<&str>,
    req: &Request<'_>,
) -> Result<(), GatewayError> {
    if !auth_waits_for_body(core, route) {
        return Ok(());
    }
    let (body, _charge) = body_in_memory(core, req).await?;
    identify(core, ex, route, key, req.raw_head, &body).await
}

/// Who the caller is: custom auth's decision when one is configured, else (or for the
/// virtual key it returned) the usual key checks.
async fn identify(
    core: &Core,
    ex: &mut Exchange<'_>,
    route: Route,
    key: Option<&str>,
    raw_head: &[u8],
    body: &[u8],
) -> Result<(), GatewayError> {
    match custom_auth(core, ex, key, raw_head, body).await? {
        CustomAuth::Admitted => Ok(()),
        CustomAuth::Key(key) => authenticate(core, ex, route, Some(&key)).await,
        CustomAuth::None => authenticate(core, ex, route, key).await,
    }
}

/// What a plugin's custom auth decided.
enum CustomAuth {
    /// No custom auth is configured: the usual checks.
    None,
    /// It admitted the request as the caller it returned (kept in `ex`).
    Admitted,
    /// It returned a virtual key, checked the usual way.
    Key(String),
}

/// The sidecar's link, when a plugin is `general_settings.custom_auth`.
fn custom_auth_link(core: &Core) -> Option<&crate::plugins::CoreLink> {
    use crate::plugins::PluginKind;
    core.plugins.as_deref().filter(|l| {
        l.sidecar
            .plugins
            .iter()
            .any(|p| p.kind == PluginKind::CustomAuth)
    })
}

/// `general_settings.custom_auth` (issue 11): the plugin's function decides, on every
/// request to a route that needs a key, before and instead of the master-key check, as in
/// LiteLLM. Its request has the body on the routes that read one.
async fn custom_auth(
    core: &Core,
    ex: &mut Exchange<'_>,
    key: Option<&str>,
    raw_head: &[u8],
    body: &[u8],
) -> Result<CustomAuth, GatewayError> {
    let Some(link) = custom_auth_link(core) else {
        return Ok(CustomAuth::None);
    };
    let payload = serde_json::json!({
        "hook": "custom_auth",
        "api_key": key,
        "head": String::from_utf8_lossy(raw_head),
    });
    let mut payload = serde_json::to_vec(&payload).unwrap_or_default();
    // The body, as text (a UTF-8 body comes back byte for byte: a plugin may check a
    // signature over it).
    if !body.is_empty() {
        payload.pop();
        payload.extend_from_slice(b",\"body\":");
        let text = String::from_utf8_lossy(body);
        corelane_transforms::json::write_json_string(&text, &mut payload);
        payload.push(b'}');
    }
    // The call's copy of the body is charged to the core's budget while it is out (a client
    // with no key can send one).
    let mut charge = BodyCharge::new(core);
    if !charge.grow_to(payload.len()) {
        return Err(GatewayError::BodyBudget);
    }
    let answer = crate::plugins::decide(link, &payload, "custom_auth").await?;
    drop(charge);
    if let Some(key) = answer.get("key").and_then(serde_json::Value::as_str) {
        return Ok(CustomAuth::Key(key.to_owned()));
    }
    match answer.get("auth") {
        Some(auth) => {
            ex.caller = Caller::Master;
            ex.custom_auth = Some(Box::new(auth.clone()));
            Ok(CustomAuth::Admitted)
        }
        None => Err(crate::plugins::unavailable(
            link,
            crate::plugins::link::CallError::Unavailable,
            "custom_auth",
        )),
    }
}

/// Keys one core may have the store look up at once.
const MAX_KEY_LOOKUPS: usize = 16;

/// authenticate: the master key (open when none is configured), else a virtual key from the
/// store's cache, checked as LiteLLM checks it (`auth::check`).
async fn authenticate(
    core: &Core,
    ex: &mut Exchange<'_>,
    route: Route,
    key: Option<&str>,
) -> Result<(), GatewayError> {
    let gw = &core.gateway;
    let Some(master) = gw.master_key.as_deref() else {
        ex.caller = Caller::Master;
        return Ok(());
    };
    let key = key.ok_or(GatewayError::NoApiKey)?;
    if constant_time_eq(key.as_bytes(), master.as_bytes()) {
        ex.caller = Caller::Master;
        return Ok(());
    }
    let Some(store) = gw.store.get() else {
        return Err(GatewayError::InvalidKey {
            shown: abbreviate_key(key),
        });
    };
    if !key.starts_with("sk-") {
        return Err(GatewayError::proxy(
            401,
            "auth_error",
            Some("None"),
            format!(
                "LiteLLM Virtual Key expected. Received={}, expected to start with 'sk-'.",
                corelane_store::keys::mask(key)
            ),
        ));
    }
    let digest = crate::auth::digest(key);
    let cached = store.cache.load().identity(&digest);
    let not_found = || {
        GatewayError::proxy(
            401,
            "token_not_found_in_db",
            Some("key"),
            "Authentication Error, Invalid API key provided.".to_owned(),
        )
    };
    let identity = match cached {
        Some(id) => id,
        // Clients sending keys nobody made cannot keep the store thread busy: each core has
        // at most MAX_KEY_LOOKUPS of them looked up at once and asks the rest to retry (a
        // new key is in every snapshot within the cache TTL anyway).
        None => {
            let Some(_held) = crate::core::Slot::take(&core.key_lookups, MAX_KEY_LOOKUPS) else {
                return Err(GatewayError::proxy(
                        503,
                        "service_unavailable",
                        None,
                        "Authentication Error, too many unknown keys are being looked up; retry shortly"
                            .to_owned(),
                    ));
            };
            store
                .call(move |ctx| ctx.lookup(digest))
                .await?
                .map_err(|e| {
                    GatewayError::proxy(
                        401,
                        "auth_error",
                        Some("None"),
                        format!("Authentication Error, {e}"),
                    )
                })?
                .ok_or_else(not_found)?
        }
    };
    let kind = match route {
        Route::Inference { .. } => crate::auth::RouteKind::Llm,
        _ => crate::auth::RouteKind::Other,
    };
    ex.caller = Caller::Key(identity.key.id);
    let checked = crate::auth::check(&identity, chrono::Utc::now(), kind);
    ex.identity = Some(identity);
    checked
}

/// Serves one admitted request; returns whether the connection may carry another. Every
/// outcome is recorded in `ex` for [`finish`].
pub async fn handle<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    route: Route,
    ex: &mut Exchange<'g>,
) -> bool {
    let head_only = req.method == Method::Head;
    let gw = &core.gateway;
    let result: Result<Vec<u8>, GatewayError> = match route {
        Route::Inference {
            endpoint,
            model_in_path,
        } => {
            return match inference(core, client, req, endpoint, model_in_path, ex).await {
                Ok(keep) => keep,
                Err(e) => {
                    // Plugins' failure hooks may answer another error; their logging hooks
                    // see a refusal before the phases kept the request.
                    crate::plugins::keep_refused(core, ex, endpoint, req.raw_head, req.body);
                    let e = crate::plugins::on_failure(core, ex, req.raw_head, &e)
                        .await
                        .unwrap_or(e);
                    if !matches!(e, GatewayError::ClientGone) {
                        let failed = crate::plugins::Answer::Failed;
                        let raw = (req.raw_head, req.body);
                        crate::plugins::response_headers(core, ex, raw, failed).await;
                    }
                    respond_error(client, ex, &e, false).await
                }
            };
        }
        // Plugins' `async_filter_listed_models` may hide names from the listings.
        Route::Models => {
            let key = ex.identity.as_ref();
            let names = crate::admin::listed(gw);
            let names = names.into_iter().filter(|m| crate::admin::may_call(key, m));
            crate::plugins::shown_models(core, ex, names.collect())
                .await
                .map(|shown| crate::admin::models(&shown))
        }
        Route::ModelById => {
            let id = crate::routes::model_id(req.target);
            // Only a model that exists is the plugins' to hide.
            let known = crate::admin::listed(gw).contains(&id)
                && crate::admin::may_call(ex.identity.as_ref(), id);
            let asked = if known { vec![id] } else { Vec::new() };
            crate::plugins::shown_models(core, ex, asked)
                .await
                .and_then(|shown| crate::admin::model_by_id(id, !shown.is_empty()))
        }
        Route::ModelInfo => {
            let mut names: Vec<&str> = gw.deployments.iter().map(|d| d.group.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            crate::plugins::shown_models(core, ex, names)
                .await
                .map(|shown| {
                    let shown: std::collections::HashSet<&str> = shown.into_iter().collect();
                    crate::admin::model_info(gw, |m| shown.contains(m))
                })
        }
        Route::Routes => Ok(crate::admin::routes()),
        Route::Manage(op) => match gw.store.get() {
            Some(store) => crate::manage::serve(store, req, op, ex).await,
            None => Err(GatewayError::NotFound),
        },
        Route::TokenCounter => token_counter(core, req, ex).await,
        Route::StoredResponse(op) => {
            return match stored_response(core, client, req, op, ex).await {
                Ok(keep) => keep,
                Err(e) => respond_error(client, ex, &e, false).await,
            }
        }
        Route::Health | Route::Liveliness | Route::Readiness | Route::ReadinessDetails => {
            return crate::health_check::serve(core, client, req, route, ex).await
        }
        Route::Metrics => match &core.metrics {
            Some(metrics) => {
                let text = metrics.scrape(core).await;
                return respond(
                    client,
                    ex,
                    "text/plain; version=0.0.4; charset=utf-8",
                    &text,
                    head_only,
                )
                .await;
            }
            None => Err(GatewayError::NotFound),
        },
        Route::NotFound => Err(GatewayError::NotFound),
        Route::MethodNotAllowed => Err(GatewayError::MethodNotAllowed),
    };
    match result {
        Ok(body) => respond(client, ex, "application/json", &body, head_only).await,
        Err(e) => respond_error(client, ex, &e, head_only).await,
    }
}

/// `/utils/token_counter`: the request's model resolved to a deployment as the router picks
/// one (its model without the provider prefix is `model_used`), counted locally.
async fn token_counter<'g>(
    core: &'g Core,
    req: &Request<'_>,
    ex: &mut Exchange<'g>,
) -> Result<Vec<u8>, GatewayError> {
    use corelane_transforms::token_counter::{read, write_answer};
    let gw = &core.gateway;
    let (body, _charge) = body_in_memory(core, req).await?;
    let body = &body[..];
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return Err(GatewayError::Detail {
            status: 422,
            detail: r#"[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error"}]"#
                .to_owned(),
        });
    }
    let counted = read(body).and_then(|request| {
        ex.requested_model = request.model.clone();
        let model_used = match router::resolve_group(gw, &request.model) {
            Some(resolved) => {
                ex.group = Some(resolved.group);
                match pick_deployment(gw, ex, resolved.star) {
                    // The model the deployment sends (a wildcard's: the request's).
                    Ok((_, Target::Upstream { provider_model, .. })) => provider_model.into_owned(),
                    Ok((deployment, Target::Mock(_))) => {
                        let model = deployment.params.model.as_str();
                        model
                            .split_once('/')
                            .map_or(model, |(_, rest)| rest)
                            .to_owned()
                    }
                    Err(_) => request.model.clone(),
                }
            }
            None => request.model.clone(),
        };
        request.count(&model_used).map(|n| (n, model_used))
    });
    let (total, model_used) = counted.map_err(count_error)?;
    let mut out = Vec::with_capacity(256);
    write_answer(total, &ex.requested_model, &model_used, &mut out);
    ex.status = 200;
    Ok(out)
}

/// A refused count in the shapes LiteLLM's proxy answers with.
fn count_error(e: corelane_transforms::token_counter::CountError) -> GatewayError {
    use corelane_transforms::token_counter::CountError;
    match e {
        CountError::MissingModel => GatewayError::Detail {
            status: 422,
            detail: r#"[{"type":"missing","loc":["body","model"],"msg":"Field required"}]"#
                .to_owned(),
        },
        CountError::NothingToCount => GatewayError::Detail {
            status: 400,
            detail: "\"prompt or messages or contents must be provided\"".to_owned(),
        },
        CountError::PromptWithMessages => GatewayError::InvalidParam {
            param: "prompt",
            message: "prompt cannot be sent with messages or contents. Set drop_params to count them without the prompt".to_owned(),
        },
        CountError::Unsupported(what) => GatewayError::InvalidParam {
            param: "messages",
            message: what,
        },
    }
}

/// The phases of an inference request. `Err` means nothing was written to the client yet.
async fn inference<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    endpoint: Endpoint,
    model_in_path: bool,
    ex: &mut Exchange<'g>,
) -> Result<bool, GatewayError> {
    let gw = &core.gateway;
    ex.api = Some(endpoint);
    // Plugins' `async_pre_call_hook` may rewrite the body: the rest reads the new one.
    let (rewritten, hooked);
    let req = match pre_call(core, req, endpoint, ex).await? {
        Some(body) => {
            rewritten = body;
            hooked = Request {
                body: &rewritten,
                spilled: None,
                ..req.clone()
            };
            &hooked
        }
        None => req,
    };
    crate::plugins::after_pre_call(core, req, endpoint, ex).await?;
    let mut fields = read_fields(core, req)?;
    // Past the body's parse, /v1/messages answers errors in Anthropic's format.
    if matches!(endpoint, Endpoint::Messages | Endpoint::CountTokens) {
        ex.dialect = Dialect::Anthropic;
    }
    openai::require(endpoint, &fields).map_err(GatewayError::Json)?;
    // OCR's `document` is checked here for a body in memory; a spilled one's transform refuses
    // a missing one.
    if endpoint == Endpoint::Ocr
        && req.spilled.is_none()
        && !corelane_transforms::ocr::has_document(req.body)
    {
        return Err(GatewayError::Json(RequestError::MissingParam(endpoint)));
    }
    // A spilled body (over 1 MiB) cannot hold an empty list of messages.
    if endpoint == Endpoint::CountTokens
        && req.spilled.is_none()
        && !corelane_transforms::messages::count::has_messages(req.body)
    {
        return Err(GatewayError::Json(RequestError::MissingParam(endpoint)));
    }
    ex.stream = fields.stream;
    ex.service_tier = fields.service_tier;
    ex.client_include_usage = fields.include_usage == Some(true);
    // resolve_model
    let path_model = if model_in_path {
        crate::routes::path_model(req.target)
    } else {
        None
    };
    // LiteLLM answers `"model": "a,b"` on chat completions with one response per model.
    let list = fields.model.as_deref().is_some_and(|m| m.contains(','));
    if list && path_model.is_none() && endpoint == Endpoint::ChatCompletions {
        ex.requested_model = fields.model.take().unwrap_or_default();
        if let Some(id) = &ex.identity {
            for model in ex.requested_model.split(',') {
                crate::auth::check_model(id, model.trim())?;
            }
        }
        // One request against the key's limits, however many models it names.
        admit_limits(gw, ex, req).await?;
        return batch(core, client, req, &fields, ex).await;
    }
    let star = resolve_model(gw, ex, path_model, &mut fields, endpoint)?;
    let star = star.map(|at| ex.requested_model[at..].to_owned());
    let group = ex.group.ok_or_else(|| GatewayError::UnknownModel {
        route: endpoint.route_name(),
        model: ex.requested_model.clone(),
    })?;
    let args = crate::router_args::read(req, &fields, gw.policy.reads_tags).await?;
    // The groups the request names to fall back to must be the key's too (LiteLLM's auth).
    if let Some(id) = &ex.identity {
        for target in args.fallback_targets() {
            crate::auth::check_model(id, target)?;
        }
    }
    admit_limits(gw, ex, req).await?;
    // The pre-call hooks may have given it already (it is in their `data`).
    if ex.call_id.as_str().is_empty() {
        ex.call_id = crate::response::CallId::random();
    }
    ex.client_timeout = args.timeout;
    ex.client_stream_timeout = args.stream_timeout;
    crate::routing::route(
        core,
        client,
        req,
        endpoint,
        &fields,
        &args,
        ex,
        group,
        star.as_deref(),
    )
    .await
}

/// The plugins' `async_pre_call_hook`s (issue 11), when a plugin has one: the request's
/// `data` goes to the sidecar, which runs them in order; the body they leave is the one
/// sent (`None`: unchanged, the original bytes go). A hook's exception is the request's
/// error; a sidecar that is down or late fails the request closed, with a 503.
async fn pre_call(
    core: &Core,
    req: &Request<'_>,
    endpoint: Endpoint,
    ex: &mut Exchange<'_>,
) -> Result<Option<Vec<u8>>, GatewayError> {
    use crate::plugins::{data, HookSet};
    let Some(link) = core
        .plugins
        .as_ref()
        .filter(|l| l.sidecar.hooks.contains(HookSet::PRE_CALL))
    else {
        return Ok(None);
    };
    let Some(call_type) = call_type(endpoint) else {
        return Ok(None);
    };
    let (body, _charge) = body_in_memory(core, req).await?;
    let body = &body[..];
    // Not JSON: no hook sees it; the body's parse refuses it next.
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return Ok(None);
    }
    ex.call_id = crate::response::CallId::random();
    let key = data::caller_key(ex);
    let mut payload = Vec::with_capacity(body.len() + 1024);
    data::write_call(
        "pre_call",
        call_type,
        ex.call_id.as_str(),
        &key,
        req.raw_head,
        body,
        &[],
        &mut payload,
    );
    let answer = crate::plugins::decide(link, &payload, "async_pre_call_hook").await?;
    match answer.get("body") {
        Some(after) => serde_json::to_vec(after)
            .map(Some)
            .map_err(|e| GatewayError::BadRequest {
                message: format!("a pre-call hook's data cannot be sent: {e}"),
            }),
        None => Ok(None),
    }
}

/// A virtual key's rpm, tpm and parallel limits, and its user's and team's rpm and tpm:
/// the request is counted against them, or refused with LiteLLM's 429. Keys with no limit
/// pay nothing here.
async fn admit_limits(
    gw: &Gateway,
    ex: &mut Exchange<'_>,
    req: &Request<'_>,
) -> Result<(), GatewayError> {
    use crate::limits::{Descriptor, Limits, Scope};
    let (Some(id), Some(limiter)) = (&ex.identity, gw.limiter.get()) else {
        return Ok(());
    };
    let limits = Limits::from_row;
    let none = Limits::default();
    let key = &id.key.record;
    let mut scopes = Vec::new();
    let mut add = |descriptor, value, limits: Limits, counters| {
        if limits != none {
            scopes.push(Scope {
                descriptor,
                value,
                limits,
                counters,
            });
        }
    };
    add(
        Descriptor::ApiKey,
        key.token.as_str(),
        limits(key.rpm_limit, key.tpm_limit, key.max_parallel_requests),
        &id.key.state.limits,
    );
    if let Some(u) = &id.user {
        let r = &u.record;
        let l = limits(r.rpm_limit, r.tpm_limit, None);
        add(Descriptor::User, r.user_id.as_str(), l, &u.state.limits);
    }
    if let Some(t) = &id.team {
        let r = &t.record;
        let l = limits(r.rpm_limit, r.tpm_limit, None);
        add(Descriptor::Team, r.team_id.as_str(), l, &t.state.limits);
    }
    if scopes.is_empty() {
        return Ok(());
    }
    // The reservation LiteLLM makes before the call: the prompt's tokens, estimated from the
    // body's size (about four bytes a token); corrected to the real usage in `finish`.
    let body_len = req.spilled.map_or(req.body.len() as u64, |s| s.file.len());
    let estimate = body_len / 4;
    match limiter
        .admit(&scopes, estimate, crate::limits::unix_now())
        .await
    {
        Ok(admission) => {
            admission.write_headers(&mut ex.extra_headers);
            ex.admission = Some(admission);
            Ok(())
        }
        Err(refusal) => {
            let mut headers = Vec::with_capacity(96);
            refusal.write_headers(&mut headers);
            Err(GatewayError::RateLimited {
                message: refusal.message(),
                headers,
            })
        }
    }
}

/// One attempt of an inference request at `deployment` (`star`: what a wildcard group's `*`
/// matched). `Err` means nothing was written to the client yet.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn attempt<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    endpoint: Endpoint,
    fields: &RequestFields,
    ex: &mut Exchange<'g>,
    deployment: &'g Deployment,
    star: Option<&str>,
) -> Result<bool, GatewayError> {
    ex.deployment = Some(deployment);
    ex.provider = None;
    ex.api_base = "";
    ex.upstream_retry_after = None;
    ex.timings.sent = None;
    ex.timings.upstream_head = None;
    ex.timings.upstream_done = None;
    ex.request_note.set(Default::default());
    ex.bridged = std::cell::OnceCell::new();
    let target = router::target(deployment, star)?;
    let (provider, provider_model, upstream) = match target {
        // A mock deployment counts tokens as any provider without a counting API does.
        Target::Mock(_) if endpoint == Endpoint::CountTokens => {
            let (body, _charge) = body_in_memory(core, req).await?;
            let tokens = corelane_transforms::token_counter::read(&body)
                .and_then(|r| r.count(&ex.requested_model))
                .map_err(count_error)?;
            let mut answer = Vec::with_capacity(64);
            corelane_transforms::messages::count::write_answer(tokens, &mut answer);
            return Ok(respond(client, ex, "application/json", &answer, false).await);
        }
        // LiteLLM's rerank has no mock_response: it would call the provider.
        Target::Mock(_) if endpoint == Endpoint::Rerank => {
            return Err(GatewayError::UnsupportedEndpoint {
                model: ex.requested_model.clone(),
                route: endpoint.path(),
            })
        }
        Target::Mock(text) => {
            return crate::mock::respond(core, client, ex, endpoint, req.body, text).await
        }
        Target::Upstream {
            provider,
            provider_model,
            upstream,
        } => (provider, provider_model, upstream),
    };
    ex.provider = Some(provider);
    ex.api_base = &upstream.api_base;
    if endpoint == Endpoint::Ocr && !family::serves(provider, endpoint) {
        // LiteLLM's OCR dispatch names the provider it has no OCR for.
        return Err(GatewayError::BadRequest {
            message: format!(
                "litellm.BadRequestError:  - invalid provider: {}",
                provider.name
            ),
        });
    }
    if !family::serves(provider, endpoint) {
        return Err(GatewayError::UnsupportedEndpoint {
            model: ex.requested_model.clone(),
            route: endpoint.path(),
        });
    }
    // build_upstream (a translated body is needed in memory: one spilled to a file is read
    // back, charged to the core's body budget until the answer is out)
    let (loaded, _charge);
    let in_memory;
    let req = match req.spilled {
        Some(spilled) if !family::body_from_file(provider, endpoint, fields) => {
            (loaded, _charge) = load_spilled(core, Some(provider), &spilled.file).await?;
            in_memory = Request {
                body: &loaded,
                spilled: None,
                ..*req
            };
            &in_memory
        }
        _ => req,
    };
    // Titan takes one request per input: sent one after another, put together here.
    if family::bridge(provider, endpoint) == family::Bridge::EmbedToBedrock
        && corelane_transforms::bedrock::embed::EmbedModel::of(&provider_model)
            .is_some_and(|m| m.one_input_a_request())
    {
        return titan_embeddings(
            core,
            client,
            req,
            ex,
            deployment,
            provider,
            &provider_model,
            upstream,
        )
        .await;
    }
    // A provider without token counting gets none asked: LiteLLM counts locally, as its
    // `/utils/token_counter` does.
    if family::bridge(provider, endpoint) == family::Bridge::LocalCount {
        let mut answer = Vec::with_capacity(64);
        let tokens = corelane_transforms::token_counter::read(req.body)
            .and_then(|r| r.count(&provider_model))
            .map_err(count_error)?;
        corelane_transforms::messages::count::write_answer(tokens, &mut answer);
        return Ok(respond(client, ex, "application/json", &answer, false).await);
    }
    let request = build_upstream(
        core,
        ex,
        deployment,
        provider,
        &provider_model,
        upstream,
        endpoint,
        req,
        fields,
    )?;
    // relay
    let done =
        crate::relay::relay(core, client, ex, deployment, provider, upstream, request).await?;
    Ok(relayed(core, ex, req.raw_head, done).await)
}

/// Records a relayed answer in `ex`; returns whether the connection may carry another. A
/// failure after the head (the client got it in the stream) goes to the plugins' failure
/// hooks, as LiteLLM's stream generator calls them; what they answer cannot change it.
async fn relayed(
    core: &Core,
    ex: &mut Exchange<'_>,
    raw_head: &[u8],
    done: crate::relay::Done,
) -> bool {
    if let Some(e) = &done.failure {
        if !matches!(e, GatewayError::ClientGone) {
            crate::plugins::on_failure(core, ex, raw_head, e).await;
        }
    }
    ex.usage = done.usage;
    ex.service_tier = done.service_tier.or(ex.service_tier);
    // A failure after the head: the client got the error in-band (the status stays the one
    // its head carried), or left (499, from `fail`).
    match &done.failure {
        Some(e @ GatewayError::ClientGone) => ex.fail(e),
        Some(e) => {
            ex.fail(e);
            ex.status = done.status;
        }
        None => ex.status = done.status,
    }
    done.keep_alive
}

/// A stored response of the Responses API (`/v1/responses/{id}`): the id names the provider's
/// id and the deployment that holds it ([`corelane_transforms::responses::decode_id`]); the
/// request goes to that deployment, as LiteLLM's router pins it. An id the gateway did not
/// issue names no deployment: LiteLLM's 400.
async fn stored_response<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    op: provider::ResponseOp,
    ex: &mut Exchange<'g>,
) -> Result<bool, GatewayError> {
    use crate::gateway::DeploymentKind;
    let gw = &core.gateway;
    let endpoint = Endpoint::Response(op);
    ex.api = Some(endpoint);
    let no_deployment = |model: &str| {
        GatewayError::BadRequest {
        message: format!(
            "litellm.BadRequestError: You passed in model={model}. There are no healthy deployments for this model"
        ),
    }
    };
    let decoded = crate::routes::response_id(req.target)
        .and_then(|id| corelane_transforms::responses::decode_id(&id))
        .ok_or_else(|| no_deployment("None"))?;
    let deployment = gw
        .deployments
        .iter()
        .find(|d| d.id == decoded.model_id)
        .ok_or_else(|| no_deployment(&decoded.model_id))?;
    // A virtual key reaches stored responses only of the groups it may call (the ids are
    // not bound to the key that made them yet: README "Not yet").
    if let Some(id) = &ex.identity {
        crate::auth::check_model(id, &deployment.group)?;
    }
    // LiteLLM names the deployment's id as the model (and its group).
    ex.requested_model.clone_from(&decoded.model_id);
    ex.group = router::resolve_group(gw, &deployment.group).map(|r| r.group);
    ex.deployment = Some(deployment);
    ex.call_id = crate::response::CallId::random();
    let DeploymentKind::Fixed {
        provider,
        provider_model,
        upstream,
    } = &deployment.kind
    else {
        return Err(GatewayError::UnsupportedEndpoint {
            model: ex.requested_model.clone(),
            route: endpoint.path(),
        });
    };
    ex.provider = Some(provider);
    ex.api_base = &upstream.api_base;
    if !family::serves(provider, endpoint) {
        return Err(GatewayError::UnsupportedEndpoint {
            model: ex.requested_model.clone(),
            route: endpoint.path(),
        });
    }
    credentials_ready(provider, upstream)?;
    let mut bytes = with_head_room(core.take_buf());
    family::write_request_body(
        provider,
        endpoint,
        b"",
        &RequestFields::default(),
        provider_model,
        None,
        false,
        false,
        &mut core.scratch.borrow_mut(),
        &mut bytes,
    )
    .map_err(|e| transform_error(provider, endpoint, e))?;
    let body_len = bytes.len() - HEAD_ROOM;
    let request = finish_upstream(
        core,
        deployment,
        provider,
        provider_model,
        upstream,
        endpoint,
        false,
        None,
        Some(&decoded.response_id),
        bytes,
        body_len,
        None,
    )?;
    let done =
        crate::relay::relay(core, client, ex, deployment, provider, upstream, request).await?;
    Ok(relayed(core, ex, req.raw_head, done).await)
}

/// Largest body translated for a provider of another format: it is held in memory, and its
/// translation holds the core (the largest Claude Code conversations stay well below).
const MAX_TRANSLATED_BODY: usize = 8 * 1024 * 1024;

/// The request's body in memory: as it came, or read back from its spill file (and charged
/// to the core's budget while it is held).
pub(crate) async fn body_in_memory<'r, 'c>(
    core: &'c Core,
    req: &Request<'r>,
) -> Result<(std::borrow::Cow<'r, [u8]>, Option<BodyCharge<'c>>), GatewayError> {
    match &req.spilled {
        Some(spilled) => {
            let (loaded, charge) = load_spilled(core, None, &spilled.file).await?;
            Ok((std::borrow::Cow::Owned(loaded), Some(charge)))
        }
        None => Ok((std::borrow::Cow::Borrowed(req.body), None)),
    }
}

/// Reads a spilled body back into memory for a translation, charged to the core's budget at
/// three times its size (the body, the parse scratch and the translated copy).
async fn load_spilled<'c>(
    core: &'c Core,
    provider: Option<&'static ProviderRow>,
    file: &SpillFile,
) -> Result<(Vec<u8>, BodyCharge<'c>), GatewayError> {
    let len = usize::try_from(file.len()).unwrap_or(usize::MAX);
    if len > MAX_TRANSLATED_BODY {
        let mib = MAX_TRANSLATED_BODY >> 20;
        return Err(match provider {
            Some(provider) => GatewayError::Untranslatable {
                provider: provider.name,
                detail: format!(
                    "a request body over {mib} MiB is not translated for this provider"
                ),
            },
            None => GatewayError::InvalidParam {
                param: "messages",
                message: format!(
                    "a request body over {mib} MiB is not held in memory (for counting its tokens, or for a plugin's hook)"
                ),
            },
        });
    }
    let mut charge = BodyCharge::new(core);
    if !charge.grow_to(len.saturating_mul(3)) {
        return Err(GatewayError::BodyBudget);
    }
    let body = file
        .read_at(0, len, Vec::new())
        .await
        .map_err(|_| GatewayError::BodyStore)?;
    Ok((body, charge))
}

/// Most models one comma-separated list may name: each is an upstream call.
const MAX_BATCH_MODELS: usize = 16;
/// Largest answer of a whole batch, all its models together: the list is held in memory
/// until it is complete. Each model may answer its share of it; a model whose answer would go
/// past its share is an error in the list.
const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// LiteLLM's batch completion (`"model": "a,b"`): the request goes to every model at once.
/// The answer is a JSON array with one element per model, in order: its response, or the
/// error it failed with (status 200 either way, as LiteLLM answers). With `fastest_response`
/// the first model to answer successfully wins and its answer goes out alone; the others are
/// cancelled (their upstream connections close).
async fn batch<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    fields: &RequestFields,
    ex: &mut Exchange<'g>,
) -> Result<bool, GatewayError> {
    if ex.stream {
        return Err(GatewayError::BatchStream);
    }
    let fastest = asks_fastest_response(req.body);
    let list = std::mem::take(&mut ex.requested_model);
    let names: Vec<&str> = list.split(',').map(str::trim).collect();
    if names.len() > MAX_BATCH_MODELS {
        let count = names.len();
        ex.requested_model = list;
        return Err(GatewayError::BatchTooLarge {
            count,
            max: MAX_BATCH_MODELS,
        });
    }
    ex.call_id = crate::response::CallId::random();
    let share = MAX_BATCH_BYTES / names.len().max(1);
    let mut items: Vec<(Exchange<'g>, Vec<u8>)> = names
        .iter()
        .map(|name| {
            let mut item = Exchange::new(ex.method, ex.route, ex.timings.received, ex.keep_alive);
            item.api = ex.api;
            item.caller = ex.caller;
            item.call_id = ex.call_id;
            item.requested_model.push_str(name);
            (item, Vec::new())
        })
        .collect();
    let calls = items
        .iter_mut()
        .map(|(item, out)| batch_item(core, req, fields, item, out, share));
    let started = Instant::now();
    let served: Vec<Result<(), GatewayError>> = if fastest {
        let first = unless_client_leaves(client, &mut ex.early, started, first_success(calls));
        match first.await? {
            Some(winner) => {
                calls_done(core, &mut items, ex);
                ex.requested_model = list;
                return fastest_answer(core, client, ex, items.swap_remove(winner)).await;
            }
            None => {
                calls_done(core, &mut items, ex);
                ex.requested_model = list;
                return Err(GatewayError::BatchAllFailed);
            }
        }
    } else {
        unless_client_leaves(client, &mut ex.early, started, join_all(calls)).await?
    };
    calls_done(core, &mut items, ex);
    let mut body = with_head_room(core.take_buf());
    body.push(b'[');
    for (i, ((_, out), result)) in items.iter().zip(served).enumerate() {
        if i > 0 {
            body.push(b',');
        }
        match result {
            Ok(()) => body.extend_from_slice(out),
            Err(e) => e.write_batch_item(names[i], &mut body),
        }
    }
    body.push(b']');
    ex.requested_model = list;
    ex.status = 200;
    let mut head = core.take_buf();
    let framing = Framing::Length(body.len() - HEAD_ROOM);
    write_head(
        &mut head,
        200,
        "application/json",
        framing,
        ex.keep_alive,
        None,
    );
    header_only_call_id(&mut head, ex.call_id.as_str());
    let start = place_head(&mut body, &head);
    core.give_buf(head);
    let (res, body) = crate::io::write_from(client, body, start).await;
    core.give_buf(body);
    Ok(res.is_ok() && ex.keep_alive)
}

/// Adds what the models' calls learnt (retries, usage) to the batch's Exchange.
fn calls_done(core: &Core, items: &mut [(Exchange<'_>, Vec<u8>)], ex: &mut Exchange<'_>) {
    let store = core.gateway.store.get();
    for (item, _) in items.iter_mut() {
        // Each model that answered is a call of its own: its cost goes to the key's budget
        // and its own spend row (as LiteLLM's batch makes one call per model).
        if let (Some(store), Some(_)) = (store, item.usage) {
            item.status = 200;
            item.call_id = crate::response::CallId::random();
            record_spend(store, item, ex.identity.as_ref());
        }
        ex.retries += item.retries;
        if let Some(u) = item.usage.take() {
            let sum = ex.usage.get_or_insert_with(Default::default);
            sum.prompt_tokens += u.prompt_tokens;
            sum.completion_tokens += u.completion_tokens;
            sum.total_tokens += u.total_tokens;
        }
    }
    ex.spend_recorded = store.is_some();
}

/// Runs the calls at once and answers the index of the first that succeeds (the others are
/// dropped, cancelled), or `None` when every one failed.
async fn first_success<F>(calls: impl Iterator<Item = F>) -> Option<usize>
where
    F: std::future::Future<Output = Result<(), GatewayError>>,
{
    let mut running: FuturesUnordered<_> = calls
        .enumerate()
        .map(|(i, call)| async move { (i, call.await) })
        .collect();
    while let Some((i, result)) = running.next().await {
        if result.is_ok() {
            return Some(i);
        }
    }
    None
}

/// The winner of a `fastest_response` batch, answered as a single model's answer is.
async fn fastest_answer<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    ex: &mut Exchange<'g>,
    (item, answer): (Exchange<'g>, Vec<u8>),
) -> Result<bool, GatewayError> {
    ex.group = item.group;
    ex.deployment = item.deployment;
    ex.provider = item.provider;
    ex.api_base = item.api_base;
    ex.service_tier = item.service_tier.or(ex.service_tier);
    ex.status = 200;
    let cost = item.cost(ex.usage.as_ref());
    let mut out = core.take_buf();
    write_json(
        &mut out,
        200,
        &answer,
        ex.keep_alive,
        Some(&item.headers(cost)),
    );
    let (res, out) = write_all(client, out).await;
    core.give_buf(out);
    Ok(res.is_ok() && ex.keep_alive)
}

/// Whether the body sets LiteLLM's `fastest_response` (first model to answer wins). Off the
/// hot path: only batches are parsed for it.
fn asks_fastest_response(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Flag {
        fastest_response: Option<serde_json::Value>,
    }
    serde_json::from_slice::<Flag>(body)
        .ok()
        .and_then(|f| f.fastest_response)
        .is_some_and(|v| v != serde_json::Value::Bool(false) && !v.is_null())
}

/// Puts `x-litellm-call-id` into a head written without LiteLLM's routing headers (a batch
/// has no one deployment to name).
fn header_only_call_id(head: &mut Vec<u8>, call_id: &str) {
    // The head ends with its blank line; the header goes before it.
    head.truncate(head.len().saturating_sub(4));
    header(head, "x-litellm-call-id", call_id);
    head.extend_from_slice(b"\r\n\r\n");
}

/// One model of a batch: its phases up to a whole response of at most `room` bytes, in `out`.
async fn batch_item<'g>(
    core: &'g Core,
    req: &Request<'_>,
    fields: &RequestFields,
    item: &mut Exchange<'g>,
    out: &mut Vec<u8>,
    room: usize,
) -> Result<(), GatewayError> {
    let gw = &core.gateway;
    let Some(resolved) = router::resolve_group(gw, &item.requested_model) else {
        return Err(GatewayError::UnknownModel {
            route: Endpoint::ChatCompletions.path(),
            model: item.requested_model.clone(),
        });
    };
    item.group = Some(resolved.group);
    let (deployment, target) = pick_deployment(gw, item, resolved.star)?;
    let (provider, provider_model, upstream) = match target {
        Target::Mock(text) => {
            item.usage = Some(crate::mock::batch_item(item, text, out));
            return Ok(());
        }
        Target::Upstream {
            provider,
            provider_model,
            upstream,
        } => (provider, provider_model, upstream),
    };
    item.provider = Some(provider);
    if !provider.endpoints.contains(&Endpoint::ChatCompletions) {
        return Err(GatewayError::UnsupportedEndpoint {
            model: item.requested_model.clone(),
            route: Endpoint::ChatCompletions.path(),
        });
    }
    let request = build_upstream(
        core,
        item,
        deployment,
        provider,
        &provider_model,
        upstream,
        Endpoint::ChatCompletions,
        req,
        fields,
    )?;
    let answer =
        crate::relay::fetch(core, item, deployment, provider, upstream, request, room).await?;
    let reported = family::rewrite_response(
        provider,
        Endpoint::ChatCompletions,
        &answer,
        &item.requested_model,
        || item.answer_id(),
        item.request_note.get(),
        &item.origin(),
        out,
    )
    .map_err(|detail| GatewayError::UpstreamProtocol {
        provider: provider.name,
        detail,
    })?;
    item.usage = reported.usage;
    item.service_tier = reported.service_tier.or(item.service_tier);
    Ok(())
}

/// The fields of the body the phases need (LiteLLM's required-parameter check, `require`,
/// comes next). A spilled body was scanned as it arrived; one in memory is inspected now, on
/// a scratch copy (charged to the body budget as it arrived).
fn read_fields(core: &Core, req: &Request<'_>) -> Result<RequestFields, GatewayError> {
    let fields = match req.spilled {
        Some(spilled) => spilled.fields.clone(),
        None => {
            let fields = openai::inspect(req.body, &mut core.scratch.borrow_mut());
            core.trim_scratch();
            fields
        }
    };
    fields.map_err(GatewayError::Json)
}

/// resolve_model: the model the client asked for (the Azure-style path's deployment wins
/// over the body's, as in LiteLLM) and the group that serves it. Returns what the `*` of a
/// wildcard group matched.
fn resolve_model<'g>(
    gw: &'g Gateway,
    ex: &mut Exchange<'g>,
    path_model: Option<&str>,
    fields: &mut RequestFields,
    endpoint: Endpoint,
) -> Result<Option<usize>, GatewayError> {
    let route = endpoint.route_name();
    // The body's model string moves into the Exchange (the splice uses its byte range).
    match (path_model, fields.model.take()) {
        (Some(m), _) => ex.requested_model.push_str(m),
        (None, Some(m)) => ex.requested_model = m,
        (None, None) => return Err(GatewayError::MissingModel { route }),
    }
    // A virtual key's allowed models, before the router looks the name up (as LiteLLM's
    // auth does).
    if let Some(id) = &ex.identity {
        crate::auth::check_model(id, &ex.requested_model)?;
    }
    let Some(resolved) = router::resolve_group(gw, &ex.requested_model) else {
        return Err(GatewayError::UnknownModel {
            route,
            model: ex.requested_model.clone(),
        });
    };
    ex.group = Some(resolved.group);
    Ok(resolved.star)
}

/// pick_deployment: one deployment of the group, and where it sends this request.
fn pick_deployment<'g>(
    gw: &'g Gateway,
    ex: &mut Exchange<'g>,
    star: Option<usize>,
) -> Result<(&'g Deployment, Target<'g>), GatewayError> {
    let unknown = |ex: &Exchange<'_>| GatewayError::UnknownModel {
        route: ex.api.map_or("", Endpoint::route_name),
        model: ex.requested_model.clone(),
    };
    let group = ex.group.ok_or_else(|| unknown(ex))?;
    let now = Instant::now();
    let ask = router::Ask::default();
    let deployment = match router::pick(gw, group, now, None, &[], &ask) {
        Ok(d) => d,
        Err(router::NoPick::Empty) => return Err(unknown(ex)),
        Err(router::NoPick::Cooling) => {
            return Err(router::no_deployments(gw, group, &ex.requested_model, now))
        }
        Err(router::NoPick::Refused(e)) => return Err(e),
    };
    ex.deployment = Some(deployment);
    let star = star.map(|at| &ex.requested_model[at..]);
    let target = router::target(deployment, star)?;
    Ok((deployment, target))
}

/// Where the client's body is.
#[derive(Debug, Clone, Copy)]
enum ClientBody<'a> {
    Bytes(&'a [u8]),
    Spilled(&'a SpillFile),
}

/// Whether the deployment has credentials to send with, matched on its auth style: a
/// minted token (Vertex AI) must be valid, a signing row (Bedrock) needs keys or an API key.
/// Otherwise nothing is sent and the client gets LiteLLM's 401 (`VertexAIError(401)` around
/// google-auth's error; boto3's "Unable to locate credentials").
fn credentials_ready(
    provider: &'static ProviderRow,
    upstream: &Upstream,
) -> Result<(), GatewayError> {
    let creds = &upstream.credentials;
    let message = match provider.auth {
        provider::Auth::GoogleOAuth => {
            let Some(token) = &creds.token else {
                return Ok(());
            };
            let state = token.load();
            let why = match &**state {
                _ if state.valid_at(Instant::now()).is_some() => return Ok(()),
                TokenState::Pending => "no access token yet: the first one is still being minted",
                TokenState::Ready { .. } => "the access token expired and could not be refreshed",
                TokenState::Failed(why) => why,
            };
            let mut message = String::from("litellm.AuthenticationError: ");
            let mut chars = provider.name.chars();
            if let Some(first) = chars.next() {
                message.extend(first.to_uppercase());
                message.push_str(chars.as_str());
            }
            message.push_str("Exception - ");
            message.push_str(why);
            message
        }
        provider::Auth::SigV4 if creds.api_key.is_none() && creds.aws.is_none() => {
            "litellm.AuthenticationError: BedrockException Invalid Authentication - Unable to locate credentials".to_owned()
        }
        _ => return Ok(()),
    };
    Err(GatewayError::Upstream {
        provider: provider.name,
        map: UpstreamErrorMap {
            status: 401,
            exception: "AuthenticationError",
            kind: None,
        },
        message,
    })
}

/// build_upstream: head, then the body the provider takes: the client's with the model (as
/// the provider names it) spliced in and `stream_options.include_usage` for streams, as
/// LiteLLM sends it, or written again or translated ([`family::write_request_body`]). A body
/// in memory is written once, into the buffer that goes upstream, with the head placed before
/// it; a spilled one that needs only the splice is spliced piece by piece as the relay reads
/// it back from its file.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_upstream<'b>(
    core: &Core,
    ex: &Exchange<'_>,
    deployment: &Deployment,
    provider: &'static ProviderRow,
    provider_model: &str,
    upstream: &Upstream,
    endpoint: Endpoint,
    req: &Request<'b>,
    fields: &RequestFields,
) -> Result<UpstreamRequest<'b>, GatewayError> {
    credentials_ready(provider, upstream)?;
    let wire_model = provider::wire_model(provider, endpoint, provider_model);
    let provider_model = &*wire_model;
    let body = match req.spilled {
        Some(spilled) => ClientBody::Spilled(&spilled.file),
        None => ClientBody::Bytes(req.body),
    };
    // Anthropic's streams always report usage.
    let force_usage =
        ex.stream && matches!(endpoint, Endpoint::ChatCompletions | Endpoint::Completions);
    let untranslatable = |detail: String| GatewayError::Untranslatable {
        provider: provider.name,
        detail,
    };
    let (bytes, body_len, spilled) = match body {
        ClientBody::Bytes(body) => {
            let mut bytes = with_head_room(core.take_buf());
            // With `drop_params`, the parameters the provider has no field for are dropped
            // and the body translated again, as LiteLLM drops them.
            let written = with_drop_params(deployment, body, |body, dropping| {
                bytes.truncate(HEAD_ROOM);
                let written = family::write_request_body(
                    provider,
                    endpoint,
                    body,
                    fields,
                    provider_model,
                    req.anthropic_beta,
                    force_usage,
                    dropping,
                    &mut core.scratch.borrow_mut(),
                    &mut bytes,
                );
                core.trim_scratch();
                written
            });
            let written = written.map_err(|e| match e {
                // LiteLLM's token counters answer their refusals with the message alone.
                TransformError::Invalid(message) if endpoint == Endpoint::CountTokens => {
                    GatewayError::BadRequest { message }
                }
                e => transform_error(provider, endpoint, e),
            })?;
            ex.request_note.set(written);
            if family::bridge(provider, endpoint) == family::Bridge::ResponsesThroughChat {
                let echo = corelane_transforms::responses::bridge::echo(body);
                let _ = ex.bridged.set((echo, provider_model.to_owned()));
            }
            let len = bytes.len() - HEAD_ROOM;
            (bytes, len, None)
        }
        // `inference` reads a spilled body back before a translation; a batch does not.
        ClientBody::Spilled(_) if !family::body_from_file(provider, endpoint, fields) => {
            return Err(untranslatable(format!(
                "a request body over {} KiB is not translated for this provider in a batch",
                crate::client_body::SPILL_ABOVE / 1024
            )));
        }
        ClientBody::Spilled(file) => {
            let plan = openai::splice_plan(fields, provider_model, force_usage);
            let len = plan.output_len(file.len() as usize);
            let spilled = SpilledBody { file, plan };
            (with_head_room(core.take_buf()), len, Some(spilled))
        }
    };
    finish_upstream(
        core,
        deployment,
        provider,
        provider_model,
        upstream,
        endpoint,
        ex.stream,
        req.anthropic_beta,
        None,
        bytes,
        body_len,
        spilled,
    )
}

/// Titan's answers put together are held whole: at most this many bytes of them.
const MAX_TITAN_ANSWERS: usize = 64 * 1024 * 1024;

/// Titan embeddings on Bedrock: one upstream request per input, in order, the answers put
/// together as LiteLLM's `BedrockEmbedding` does (inputs are at most
/// [`corelane_transforms::bedrock::embed::MAX_INPUTS`]; each request has the deployment's
/// timeout).
#[allow(clippy::too_many_arguments)]
async fn titan_embeddings<'g>(
    core: &'g Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    ex: &mut Exchange<'g>,
    deployment: &'g Deployment,
    provider: &'static ProviderRow,
    provider_model: &str,
    upstream: &'g Upstream,
) -> Result<bool, GatewayError> {
    use corelane_transforms::bedrock::embed;
    credentials_ready(provider, upstream)?;
    let plan = with_drop_params(deployment, req.body, |body, _| {
        embed::titan_requests(body, provider_model)
    })
    .map_err(|e| transform_error(provider, Endpoint::Embeddings, e))?;
    let mut items = Vec::new();
    // The answers held are charged to the core's body budget; the whole fan-out has the
    // deployment's timeout, as one call would.
    let mut charge = BodyCharge::new(core);
    let deadline = Instant::now() + ex.timeout(deployment).0;
    let mut tokens = 0u64;
    for i in 0..plan.len() {
        if Instant::now() >= deadline {
            return Err(ex.upstream_timeout(provider.name));
        }
        let mut bytes = with_head_room(core.take_buf());
        plan.body(i, &mut bytes);
        let body_len = bytes.len() - HEAD_ROOM;
        let request = finish_upstream(
            core,
            deployment,
            provider,
            provider_model,
            upstream,
            Endpoint::Embeddings,
            false,
            None,
            None,
            bytes,
            body_len,
            None,
        )?;
        let room = MAX_TITAN_ANSWERS.saturating_sub(items.len());
        let answer =
            crate::relay::fetch(core, ex, deployment, provider, upstream, request, room).await?;
        let counted = embed::titan_item(&answer, i, &mut items).map_err(|detail| {
            GatewayError::UpstreamProtocol {
                provider: provider.name,
                detail,
            }
        })?;
        tokens = tokens.saturating_add(counted);
        if !charge.grow_to(items.len()) {
            return Err(GatewayError::BodyBudget);
        }
    }
    let mut out = Vec::with_capacity(items.len() + 320);
    let usage = embed::titan_answer(&items, &ex.requested_model, tokens, plan.images(), &mut out);
    let cost = ex.cost(Some(&usage));
    ex.usage = Some(usage);
    ex.status = 200;
    let mut answer = core.take_buf();
    write_head(
        &mut answer,
        200,
        "application/json",
        Framing::Length(out.len()),
        ex.keep_alive,
        Some(&ex.headers(cost)),
    );
    answer.extend_from_slice(&out);
    let (res, answer) = write_all(client, answer).await;
    core.give_buf(answer);
    Ok(res.is_ok() && ex.keep_alive)
}

/// Runs a translation of `body`; when it refuses parameters the provider has no field for
/// and `drop_params` is on (the deployment's, the global one or the request's), runs it again
/// on the body without them, telling it to drop what it would refuse (a parameter a
/// translated body carries under another name than the client's).
fn with_drop_params<T>(
    deployment: &Deployment,
    body: &[u8],
    mut translate: impl FnMut(&[u8], bool) -> Result<T, TransformError>,
) -> Result<T, TransformError> {
    match translate(body, false) {
        Err(TransformError::UnsupportedParams { params, .. })
            if deployment.drop_params || openai::asks_drop_params(body) =>
        {
            translate(
                &corelane_transforms::json::without_members(body, &params),
                true,
            )
        }
        other => other,
    }
}

/// A request the provider's transform refuses, as the client's 400 on `endpoint`.
pub(crate) fn transform_error(
    provider: &'static ProviderRow,
    endpoint: Endpoint,
    e: TransformError,
) -> GatewayError {
    match e {
        TransformError::UnsupportedParams { message, .. } => GatewayError::UnsupportedParams {
            message,
            untyped: endpoint == Endpoint::Completions,
        },
        other => GatewayError::Untranslatable {
            provider: provider.name,
            detail: other.message().to_owned(),
        },
    }
}

/// The head of an upstream request placed before its body (`bytes`, after the head room;
/// `body_len` bytes, or a spilled body's planned length), auth applied.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish_upstream<'b>(
    core: &Core,
    deployment: &Deployment,
    provider: &'static ProviderRow,
    provider_model: &str,
    upstream: &Upstream,
    endpoint: Endpoint,
    stream: bool,
    anthropic_beta: Option<&str>,
    response_id: Option<&str>,
    mut bytes: Vec<u8>,
    body_len: usize,
    spilled: Option<SpilledBody<'b>>,
) -> Result<UpstreamRequest<'b>, GatewayError> {
    let untranslatable = |detail: String| GatewayError::Untranslatable {
        provider: provider.name,
        detail,
    };
    let mut head = core.take_buf();
    let target = provider::UpstreamTarget {
        endpoint: family::upstream_endpoint(provider, endpoint),
        provider_model,
        api_version: deployment.params.api_version.as_deref(),
        base_path: &upstream.base_path,
        host: &upstream.origin.host_header,
        stream,
        body_len,
        body: bytes.get(HEAD_ROOM..).unwrap_or_default(),
        now: std::time::SystemTime::now(),
        anthropic_beta: (endpoint == Endpoint::Messages)
            .then_some(anthropic_beta)
            .flatten(),
        response_id,
    };
    if provider.auth == provider::Auth::SigV4 && target.body.len() != body_len {
        // SigV4 signs the body: one sent from a file is never signed (translated bodies are
        // always in memory; this keeps it so).
        return Err(untranslatable(
            "a signed request body must be held in memory".to_owned(),
        ));
    }
    corelane_transforms::family::write_request_head(
        provider,
        &target,
        &upstream.credentials,
        &mut head,
    )
    .map_err(|detail| GatewayError::UpstreamConnect {
        provider: provider.name,
        detail: format!("the request could not be signed: {detail}"),
    })?;
    if let Some(org) = &deployment.params.organization {
        header(&mut head, "OpenAI-Organization", org);
    }
    for (name, value) in &deployment.params.extra_headers {
        header(&mut head, name, value);
    }
    head.extend_from_slice(b"\r\n\r\n");

    let start = place_head(&mut bytes, &head);
    core.give_buf(head);
    Ok(UpstreamRequest {
        bytes,
        start,
        spilled,
    })
}

/// finish: runs once for every request whose head was parsed, whatever phase it ended in.
/// It feeds the metrics and the access log; spend, the router's health and plugin logging
/// hooks join here.
pub fn finish(core: &Core, ex: &mut Exchange<'_>) {
    if let Some(metrics) = &core.metrics {
        metrics.record(ex);
    }
    if let Some(store) = core.gateway.store.get().filter(|_| !ex.spend_recorded) {
        record_spend(store, ex, ex.identity.as_ref());
    }
    if let Some(admission) = ex.admission.take() {
        let used = match ex.failure {
            None => ex.usage.map_or(0, |u| u.total_tokens),
            // A failed request gives its reservation back (LiteLLM's failure hook).
            Some(_) => 0,
        };
        admission.finish(used);
    }
    if core.access_log.enabled() {
        core.access_log.write(ex);
    }
    if let (Some(link), Some(captured)) = (&core.plugins, ex.plugin.take()) {
        crate::plugins::close_stream(link, ex, &captured);
        link.log_event(ex, &captured);
    }
}

/// LiteLLM's `call_type` of a client API, for its spend rows and its plugins' hooks;
/// `None` for what it keeps no spend row of and runs no hook for.
pub(crate) fn call_type(endpoint: Endpoint) -> Option<&'static str> {
    Some(match endpoint {
        Endpoint::ChatCompletions => "acompletion",
        Endpoint::Completions => "atext_completion",
        Endpoint::Embeddings => "aembedding",
        Endpoint::Messages => "anthropic_messages",
        Endpoint::Responses => "aresponses",
        Endpoint::Rerank => "arerank",
        Endpoint::Ocr => "aocr",
        Endpoint::CountTokens | Endpoint::Response(_) => return None,
    })
}

/// spend: an authenticated inference request that reached a model group adds its cost to
/// its key, user and team at once (their budgets see it), and hands what its
/// `LiteLLM_SpendLogs` row needs to the store thread, which writes it in the next batch.
/// What is handed over is indices, counts and the key's `Arc`: the core allocates nothing
/// for it, and the row's text is made on the store thread.
fn record_spend(
    store: &crate::store::Store,
    ex: &Exchange<'_>,
    identity: Option<&crate::auth::Identity>,
) {
    let (Some(endpoint), Some(group)) = (ex.api, ex.group) else {
        return;
    };
    let Some(call_type) = call_type(endpoint) else {
        return;
    };
    // Requests refused before the router took them (auth, a limit) keep no row, as in
    // LiteLLM, whose spend rows come from the call's success and failure callbacks: those
    // are the ones given a call id.
    if ex.caller == Caller::Unknown || ex.status == 0 || ex.call_id.as_str().is_empty() {
        return;
    }
    let cost = ex.cost(ex.usage.as_ref()).unwrap_or(0.0);
    if let Some(id) = identity {
        id.key.state.spend.add(cost);
        if let Some(u) = &id.user {
            u.state.spend.add(cost);
        }
        if let Some(t) = &id.team {
            t.state.spend.add(cost);
        }
    }
    let now = std::time::SystemTime::now();
    let elapsed = ex.timings.received.elapsed();
    let start = now - elapsed;
    let sent = store.record(crate::store::SpendEvent {
        call_id: ex.call_id,
        call_type,
        key: identity.map(|id| id.key.clone()),
        group: group.index,
        deployment: ex.deployment.map(|d| d.index),
        provider: ex.provider.map_or("", |p| p.name),
        cost,
        usage: ex.usage.unwrap_or_default(),
        start,
        end: now,
        first_token: ex
            .timings
            .first_token
            .map(|at| start + at.saturating_duration_since(ex.timings.received)),
        success: ex.failure.is_none() && ex.status < 400,
        custom: ex
            .custom_auth
            .as_deref()
            .map(|auth| Box::new(crate::store::CustomCaller::of(auth))),
    });
    // A dropped event is never written: the budgets stop counting it too.
    if let (false, Some(id)) = (sent, identity) {
        id.key.state.spend.take_back(cost);
        for cell in [
            id.user.as_ref().map(|u| &u.state),
            id.team.as_ref().map(|t| &t.state),
        ]
        .into_iter()
        .flatten()
        {
            cell.spend.take_back(cost);
        }
    }
}

/// Writes a 200 answer (its head only, for a HEAD request); returns whether the connection
/// may go on.
async fn respond(
    client: &mut TcpStream,
    ex: &mut Exchange<'_>,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> bool {
    ex.status = 200;
    let mut out = Vec::with_capacity(body.len() + 160);
    let framing = Framing::Length(body.len());
    write_head(&mut out, 200, content_type, framing, ex.keep_alive, None);
    if !head_only {
        out.extend_from_slice(body);
    }
    write_all(client, out).await.0.is_ok() && ex.keep_alive
}

/// Writes an error answer (its head only, for a HEAD request) and records it in `ex`;
/// returns whether the connection may go on. A client that is gone gets nothing.
pub async fn respond_error(
    client: &mut TcpStream,
    ex: &mut Exchange<'_>,
    err: &GatewayError,
    head_only: bool,
) -> bool {
    ex.fail(err);
    if matches!(err, GatewayError::ClientGone) {
        return false;
    }
    tracing::debug!(call_id = %ex.call_id, source = ?err.source(), error = ?err, "request failed");
    // A stream's plugin hooks refused it before its first byte: LiteLLM answers an event
    // stream with the error's status.
    if let GatewayError::Plugin {
        status,
        stream: Some(failure),
        ..
    } = err
    {
        if let Some(events) = &failure.before {
            let mut out = Vec::with_capacity(events.len() + 160);
            let framing = Framing::Length(events.len());
            let sse = "text/event-stream; charset=utf-8";
            write_head(&mut out, *status, sse, framing, ex.keep_alive, None);
            let head_end = out.len() - 4;
            add_hook_headers(ex, &mut out, head_end);
            if !head_only {
                out.extend_from_slice(events.as_bytes());
            }
            return write_all(client, out).await.0.is_ok() && ex.keep_alive;
        }
    }
    let mut body = Vec::with_capacity(256);
    let status = err.render(ex.dialect, &mut body);
    let mut out = Vec::with_capacity(body.len() + 160);
    write_json(&mut out, status, &body, ex.keep_alive, None);
    // LiteLLM's proxy says when to come back: the cooldown's length, rounded up; a limit's
    // minute as the provider header it would have relayed.
    let line = match err {
        GatewayError::NoDeployments { retry_after, .. } => {
            Some(format!("retry-after: {retry_after}\r\n"))
        }
        GatewayError::RouterRefusal {
            provider_retry_after: Some(s),
            ..
        } => Some(format!("llm_provider-retry-after: {s}\r\n")),
        GatewayError::RateLimited { headers, .. } => {
            Some(String::from_utf8_lossy(headers).into_owned())
        }
        _ => None,
    };
    if let Some(line) = line {
        let head_end = out.len() - body.len() - 2;
        out.splice(head_end..head_end, line.bytes());
    }
    let head_end = out.len() - body.len() - 4;
    add_hook_headers(ex, &mut out, head_end);
    if head_only {
        out.truncate(out.len() - body.len());
    }
    write_all(client, out).await.0.is_ok() && ex.keep_alive
}

/// Adds the plugins' response-headers hooks' headers to the head in `out`, which ends at
/// `at` (before its blank line); they replace its own of the same name.
fn add_hook_headers(ex: &Exchange<'_>, out: &mut Vec<u8>, at: usize) {
    let hooked = ex.hook_headers.borrow();
    if !hooked.is_empty() {
        let from = out.iter().position(|&b| b == b'\r').unwrap_or(0);
        crate::response::merge_hook_headers(out, from, at, &hooked);
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// LiteLLM shows keys in errors abbreviated: "sk-...abcd".
fn abbreviate_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "***".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_abbreviated_and_compared_in_constant_time() {
        assert_eq!(abbreviate_key("sk-1234567890abcd"), "sk-...abcd");
        assert_eq!(abbreviate_key("short"), "***");
        assert!(constant_time_eq(b"sk-1", b"sk-1"));
        assert!(!constant_time_eq(b"sk-1", b"sk-2"));
        assert!(!constant_time_eq(b"sk-1", b"sk-12"));
    }
}
