//! The request path, top to bottom:
//! `authenticate → resolve_model → pick_deployment → build_upstream → relay → account`,
//! with an [`Exchange`] carrying what one phase learns to the next.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use corelane_transforms::openai::{self, RequestFields};
use corelane_transforms::provider::{self, Endpoint, ProviderRow};
use corelane_transforms::usage::Usage;
use monoio::net::TcpStream;

use corelane_http1::Method;

use crate::conn::Request;
use crate::core::Core;
use crate::errors::GatewayError;
use crate::gateway::{Deployment, Gateway, Upstream};
use crate::io::{place_head, with_head_room, write_all, HEAD_ROOM};
use crate::relay::{SpilledBody, UpstreamRequest};
use crate::response::{header, write_json, LitellmHeaders};
use crate::router::{self, Target};
use crate::routes::{self, Route};
use crate::spill::SpillFile;

/// Per-request state carried between phases.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub call_id: String,
    pub received: Instant,
    pub keep_alive: bool,
    /// The model the client asked for: every response and chunk carries it back (LiteLLM).
    pub requested_model: &'a str,
    pub deployment: &'a Deployment,
    pub api_base: &'a str,
    pub stream: bool,
    pub client_include_usage: bool,
    /// Time spent waiting for the upstream, excluded from the overhead header.
    pub upstream_wait: Duration,
    pub retries: u32,
    /// Where bytes of a pipelined next request go when they arrive mid-answer.
    pub early: &'a RefCell<Vec<u8>>,
}

impl Exchange<'_> {
    pub fn headers(&self, cost: Option<f64>) -> LitellmHeaders<'_> {
        let elapsed = self.received.elapsed().saturating_sub(self.upstream_wait);
        LitellmHeaders {
            call_id: &self.call_id,
            model_id: &self.deployment.id,
            model_group: &self.deployment.group,
            api_base: self.api_base,
            cost,
            overhead_ms: elapsed.as_secs_f64() * 1000.0,
            attempted_retries: self.retries,
        }
    }

    pub fn cost(&self, usage: Option<&Usage>) -> Option<f64> {
        let prices = self.deployment.prices.as_ref()?;
        Some(corelane_transforms::cost::cost(usage?, prices))
    }
}

/// The checks a request head alone decides, made before a byte of its body is read: the
/// route exists and, where it needs one, the key is valid.
pub fn admit(
    gw: &Gateway,
    method: Method,
    target: &str,
    key: Option<&str>,
) -> Result<Admitted, GatewayError> {
    let route = routes::route(method, target);
    match route {
        Route::NotFound => return Err(GatewayError::NotFound),
        _ if route.needs_auth() => authenticate(gw, key)?,
        _ => {}
    }
    Ok(match route {
        Route::Inference { .. } => Admitted::ReadsBody,
        _ => Admitted::IgnoresBody,
    })
}

/// What an admitted request's route does with a body. Only inference routes read one: a
/// body sent to any other route (the open health probes included) is never read, buffered or
/// spilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    ReadsBody,
    IgnoresBody,
}

/// Serves one admitted request; returns whether the connection may carry another.
pub async fn handle(core: &Core, client: &mut TcpStream, req: &Request<'_>) -> bool {
    let head_only = req.method == Method::Head;
    let result = match routes::route(req.method, req.target) {
        Route::Inference {
            endpoint,
            path_model,
        } => return inference(core, client, req, endpoint, path_model).await,
        Route::Models => Ok(crate::admin::models(&core.gateway)),
        Route::ModelInfo => Ok(crate::admin::model_info(&core.gateway)),
        Route::Liveliness => Ok(crate::admin::liveliness()),
        Route::Readiness => Ok(crate::admin::readiness()),
        Route::NotFound => Err(GatewayError::NotFound),
        Route::MethodNotAllowed => Err(GatewayError::MethodNotAllowed),
    };
    match result {
        Ok(body) => {
            let mut out = Vec::with_capacity(body.len() + 128);
            write_json(&mut out, 200, &body, req.keep_alive, None);
            if head_only {
                out.truncate(out.len() - body.len());
            }
            write_all(client, out).await.0.is_ok()
        }
        Err(e) => respond_error(client, &e, req.keep_alive, head_only).await,
    }
}

/// Master key check (open when none is configured). Virtual keys come with the key store.
fn authenticate(gw: &Gateway, key: Option<&str>) -> Result<(), GatewayError> {
    let Some(master) = gw.master_key.as_deref() else {
        return Ok(());
    };
    let key = key.ok_or(GatewayError::NoApiKey)?;
    if constant_time_eq(key.as_bytes(), master.as_bytes()) {
        return Ok(());
    }
    Err(GatewayError::InvalidKey {
        shown: abbreviate_key(key),
    })
}

async fn inference(
    core: &Core,
    client: &mut TcpStream,
    req: &Request<'_>,
    endpoint: Endpoint,
    path_model: Option<&str>,
) -> bool {
    let gw = &core.gateway;
    // resolve_model: a spilled body was scanned as it arrived; one in memory is inspected
    // now, on a scratch copy.
    let fields = match req.spilled {
        Some(spilled) => spilled.fields.clone(),
        None => {
            // Its copies (scratch, upstream request) were charged to the budget as it arrived.
            let fields = openai::inspect(req.body, &mut core.scratch.borrow_mut());
            core.trim_scratch();
            fields
        }
    };
    // LiteLLM checks the endpoint's required parameters first (`route_request`).
    let fields = fields.and_then(|f| openai::require(endpoint, &f).map(|()| f));
    let fields = match fields {
        Ok(f) => f,
        Err(e) => {
            return respond_error(client, &GatewayError::Json(e), req.keep_alive, false).await
        }
    };
    let route = endpoint.path();
    // The Azure-style path names the deployment; LiteLLM lets it win over the body's model.
    let requested = match path_model.or(fields.model.as_deref()) {
        Some(m) => m,
        None => {
            let e = GatewayError::MissingModel { route };
            return respond_error(client, &e, req.keep_alive, false).await;
        }
    };
    let Some(resolved) = router::resolve_group(gw, requested) else {
        let e = GatewayError::UnknownModel {
            route,
            model: requested.to_owned(),
        };
        return respond_error(client, &e, req.keep_alive, false).await;
    };
    // pick_deployment
    let Some(deployment) = router::pick(gw, resolved.group) else {
        let e = GatewayError::UnknownModel {
            route,
            model: requested.to_owned(),
        };
        return respond_error(client, &e, req.keep_alive, false).await;
    };
    let target = match router::target(deployment, resolved.star) {
        Ok(t) => t,
        Err(detail) => {
            let e = GatewayError::UpstreamConnect {
                provider: "openai",
                detail,
            };
            return respond_error(client, &e, req.keep_alive, false).await;
        }
    };
    let mut ex = Exchange {
        call_id: crate::response::call_id(),
        received: req.received,
        keep_alive: req.keep_alive,
        requested_model: requested,
        deployment,
        api_base: "",
        stream: fields.stream,
        client_include_usage: fields.include_usage == Some(true),
        upstream_wait: Duration::ZERO,
        retries: 0,
        early: &req.early,
    };
    let (provider, provider_model, upstream) = match target {
        Target::Mock(text) => {
            return crate::mock::respond(core, client, &mut ex, endpoint, req.body, text).await
        }
        Target::Upstream {
            provider,
            provider_model,
            upstream,
        } => (provider, provider_model, upstream),
    };
    if !provider.endpoints.contains(&endpoint) {
        let e = GatewayError::UnsupportedEndpoint {
            model: requested.to_owned(),
            route,
        };
        return respond_error(client, &e, req.keep_alive, false).await;
    }
    ex.api_base = &upstream.api_base;
    // build_upstream
    let request = build_upstream(
        core,
        &ex,
        provider,
        &provider_model,
        upstream,
        endpoint,
        match req.spilled {
            Some(spilled) => ClientBody::Spilled(&spilled.file),
            None => ClientBody::Bytes(req.body),
        },
        &fields,
    );
    // relay
    let done = match crate::relay::relay(core, client, &mut ex, provider, upstream, request).await {
        Ok(done) => done,
        Err(e) => {
            tracing::debug!(call_id = %ex.call_id, source = ?e.source(), error = ?e, "upstream attempt failed");
            account(&ex, e.render(&mut Vec::new()), None);
            if matches!(e, GatewayError::ClientGone) {
                return false;
            }
            return respond_error(client, &e, req.keep_alive, false).await;
        }
    };
    // account
    account(&ex, done.status, done.usage.as_ref());
    done.keep_alive
}

/// Where the client's body is.
#[derive(Debug, Clone, Copy)]
enum ClientBody<'a> {
    Bytes(&'a [u8]),
    Spilled(&'a SpillFile),
}

/// The upstream request: head, then the client's body with the model spliced in (and
/// `stream_options.include_usage` for streams, as LiteLLM sends it). A body in memory is
/// spliced once, into the buffer that goes upstream, with the head placed before it; a
/// spilled one is spliced piece by piece as the relay reads it back from its file.
#[allow(clippy::too_many_arguments)]
fn build_upstream<'b>(
    core: &Core,
    ex: &Exchange<'_>,
    provider: &'static ProviderRow,
    provider_model: &str,
    upstream: &Upstream,
    endpoint: Endpoint,
    body: ClientBody<'b>,
    fields: &RequestFields,
) -> UpstreamRequest<'b> {
    let force_usage = ex.stream && endpoint != Endpoint::Embeddings;
    let (mut bytes, body_len, spilled) = match body {
        ClientBody::Bytes(body) => {
            let mut bytes = with_head_room(core.take_buf());
            openai::splice(body, fields, provider_model, force_usage, &mut bytes);
            let len = bytes.len() - HEAD_ROOM;
            (bytes, len, None)
        }
        ClientBody::Spilled(file) => {
            let plan = openai::splice_plan(fields, provider_model, force_usage);
            let len = plan.output_len(file.len() as usize);
            let spilled = SpilledBody { file, plan };
            (with_head_room(core.take_buf()), len, Some(spilled))
        }
    };

    let mut path = String::with_capacity(upstream.base_path.len() + 64);
    path.push_str(&upstream.base_path);
    provider::write_request_path(
        provider,
        endpoint,
        provider_model,
        ex.deployment.params.api_version.as_deref(),
        &mut path,
    );
    let mut head = core.take_buf();
    head.extend_from_slice(b"POST ");
    head.extend_from_slice(path.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    head.extend_from_slice(upstream.origin.host_header.as_bytes());
    head.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
    head.extend_from_slice(itoa::Buffer::new().format(body_len).as_bytes());
    if ex.stream {
        head.extend_from_slice(b"\r\naccept: text/event-stream");
    } else {
        head.extend_from_slice(b"\r\naccept: application/json");
    }
    if let Some((name, value)) = &upstream.auth {
        header(&mut head, name, value);
    }
    if let Some(org) = &ex.deployment.params.organization {
        header(&mut head, "OpenAI-Organization", org);
    }
    for (name, value) in &ex.deployment.params.extra_headers {
        header(&mut head, name, value);
    }
    head.extend_from_slice(b"\r\n\r\n");

    let start = place_head(&mut bytes, &head);
    core.give_buf(head);
    UpstreamRequest {
        bytes,
        start,
        spilled,
    }
}

/// Per-request accounting; spend and metrics accumulators arrive with the key store.
fn account(ex: &Exchange<'_>, status: u16, usage: Option<&Usage>) {
    tracing::debug!(
        call_id = %ex.call_id,
        model = ex.requested_model,
        deployment = %ex.deployment.id,
        status,
        prompt_tokens = usage.map(|u| u.prompt_tokens),
        completion_tokens = usage.map(|u| u.completion_tokens),
        cost = ex.cost(usage),
        ms = ex.received.elapsed().as_secs_f64() * 1000.0,
        "request done"
    );
}

/// Writes an error response (its head only, for a HEAD request); returns whether the
/// connection may go on.
pub async fn respond_error(
    client: &mut TcpStream,
    err: &GatewayError,
    keep_alive: bool,
    head_only: bool,
) -> bool {
    let mut body = Vec::with_capacity(256);
    let status = err.render(&mut body);
    let mut out = Vec::with_capacity(body.len() + 160);
    write_json(&mut out, status, &body, keep_alive, None);
    if head_only {
        out.truncate(out.len() - body.len());
    }
    write_all(client, out).await.0.is_ok() && keep_alive
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
