//! What a core sends the sidecar, which builds LiteLLM 1.108.7's shapes from it
//! (`server/python/corelane_sidecar/shapes.py`: `data`, logging `kwargs` and the
//! `standard_logging_object`), so that a core copies bytes and builds no Python-shaped JSON:
//! - the caller as LiteLLM's `UserAPIKeyAuth` holds it ([`user_api_key_dict`]): the master
//!   key (`litellm_proxy_master_key`, `proxy_admin`) or a virtual key (its row, its user's
//!   and team's), as captured from LiteLLM itself;
//! - a hook call's payload ([`write_call`]): the raw head and body;
//! - a finished request's logging event ([`write_event`]);
//! - and back, a hook's rejection as LiteLLM's error ([`rejection`]).

use std::cell::{OnceCell, RefCell};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::auth::Identity;
use crate::errors::GatewayError;
use crate::exchange::{Caller, Exchange};

/// LiteLLM's name for the master key in `token`, `api_key` and `user_api_key_hash`.
const MASTER: &str = "litellm_proxy_master_key";

/// `UserAPIKeyAuth` of the request's caller: what custom auth returned, else the master key
/// or the virtual key; its `request_route` is the route the client called.
pub fn caller_key(ex: &Exchange<'_>) -> Value {
    let route = ex.route.0;
    match (&ex.custom_auth, ex.caller) {
        (Some(key), _) => {
            let mut key = Value::clone(key);
            key["request_route"] = json!(route);
            key
        }
        // Refused before it was authenticated: what LiteLLM's auth failure passes, the key
        // as its hash (LiteLLM keeps a key without `sk-` as it came; corelane hashes it).
        (None, Caller::Unknown) => match &ex.refused_key {
            Some(hash) => json!({"token": hash, "api_key": hash, "request_route": route}),
            None => json!({"request_route": route}),
        },
        (None, _) => user_api_key_dict(ex.caller, ex.identity.as_ref(), route),
    }
}

/// `UserAPIKeyAuth` of the caller, with the fields LiteLLM sets.
pub fn user_api_key_dict(caller: Caller, identity: Option<&Identity>, route: &str) -> Value {
    let Some(id) = identity.filter(|_| matches!(caller, Caller::Key(_))) else {
        return json!({
            "token": MASTER,
            "api_key": MASTER,
            "user_id": "default_user_id",
            "user_role": "proxy_admin",
            "request_route": route,
            "spend": 0.0,
        });
    };
    let k = &id.key.record;
    let mut v = json!({
        "token": k.token,
        "api_key": k.token,
        "key_name": k.key_name,
        "key_alias": k.key_alias,
        "spend": id.key.spend_now(k.spend),
        "max_budget": k.max_budget,
        "expires": k.expires.map(|t| t.to_rfc3339()),
        "models": k.models,
        "user_id": k.user_id,
        "team_id": k.team_id,
        "max_parallel_requests": k.max_parallel_requests,
        "metadata": k.metadata,
        "tpm_limit": k.tpm_limit,
        "rpm_limit": k.rpm_limit,
        "budget_duration": k.budget_duration,
        "budget_reset_at": k.budget_reset_at.map(|t| t.to_rfc3339()),
        "blocked": k.blocked,
        "request_route": route,
    });
    if let Some(user) = &id.user {
        let u = &user.record;
        v["user_role"] = json!(u.user_role);
        v["user_email"] = json!(u.user_email);
        v["user_spend"] = json!(user.spend_now(u.spend));
        v["user_max_budget"] = json!(u.max_budget);
    }
    if let Some(team) = &id.team {
        let t = &team.record;
        v["team_alias"] = json!(t.team_alias);
        v["team_spend"] = json!(team.spend_now(t.spend));
        v["team_max_budget"] = json!(t.max_budget);
        v["team_tpm_limit"] = json!(t.tpm_limit);
        v["team_rpm_limit"] = json!(t.rpm_limit);
        v["team_models"] = json!(t.models);
        v["team_blocked"] = json!(t.blocked);
        v["team_metadata"] = json!(t.metadata);
    }
    v
}

/// A hook's rejection, as the sidecar relays it: `{"status", "error": {...}}`, the error
/// object LiteLLM answers, built by the sidecar from what the hook raised.
pub fn rejection(answer: &Value) -> GatewayError {
    let status = answer
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (400..=599).contains(s))
        .unwrap_or(500);
    let error = answer.get("error").cloned().unwrap_or_else(|| json!({}));
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let text = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
    let stream = (answer.get("before").is_some() || answer.get("after").is_some()).then(|| {
        Box::new(crate::errors::StreamFailure {
            before: text("before"),
            after: text("after"),
            in_stream: answer.get("in_stream") == Some(&Value::Bool(true)),
        })
    });
    GatewayError::Plugin {
        status,
        message,
        error: error.to_string(),
        stream,
    }
}

/// A hook's CALL payload: the hook, the caller, the call, the raw head and body, and `extra`
/// fields (name, JSON value); the body and the extra values are JSON already (checked by the
/// caller).
#[allow(clippy::too_many_arguments)]
pub fn write_call(
    hook: &str,
    call_type: &str,
    call_id: &str,
    key: &Value,
    raw_head: &[u8],
    body: &[u8],
    extra: &[(&str, &[u8])],
    out: &mut Vec<u8>,
) {
    let head = json!({
        "hook": hook,
        "call_type": call_type,
        "call_id": call_id,
        "key": key,
        "head": String::from_utf8_lossy(raw_head),
    });
    let Ok(mut text) = serde_json::to_vec(&head) else {
        return;
    };
    text.pop();
    out.extend_from_slice(&text);
    out.extend_from_slice(b",\"body\":");
    out.extend_from_slice(body);
    for (name, value) in extra {
        out.push(b',');
        corelane_transforms::json::write_json_string(name, out);
        out.push(b':');
        out.extend_from_slice(value);
    }
    out.push(b'}');
}

/// What hooks after the call receive of a request beyond its [`Exchange`]: its head and
/// body as sent upstream, its answer's body when the gateway held it whole, and the
/// moderation hooks' verdict while they run beside the call.
#[derive(Debug, Default)]
pub struct Captured {
    pub head: Vec<u8>,
    pub request: Vec<u8>,
    /// `request` is one JSON value: checked once, when a hook that gets it as JSON needs it
    /// (a logging event carries it as it is).
    request_is_json: OnceCell<bool>,
    /// A plugin has a logging hook: the answer (or a stream's events) is kept for it.
    pub logs: bool,
    /// The answer's body, as it is (at most [`MAX_LOGGED_RESPONSE`]).
    pub response: OnceCell<Vec<u8>>,
    /// A stream's events as the client got them, for logging hooks: whole events, at most
    /// [`MAX_LOGGED_RESPONSE`] bytes of them (the sidecar assembles the answer).
    pub stream: RefCell<Vec<u8>>,
    /// `stream` reached its bound.
    stream_full: std::cell::Cell<bool>,
    /// The stream's session in the sidecar's streaming hooks is open.
    pub stream_opened: std::cell::Cell<bool>,
    /// The sidecar ended that session (its end was fed, or its hooks failed).
    pub stream_closed: std::cell::Cell<bool>,
    /// The client API of a request refused before its phases set [`Exchange::api`].
    pub endpoint: Option<corelane_transforms::provider::Endpoint>,
    pub moderation: RefCell<Option<flume::Receiver<Result<Value, super::link::CallError>>>>,
}

impl Captured {
    pub fn new(head: &[u8], request: &[u8], logs: bool) -> Captured {
        Captured {
            head: head.to_vec(),
            request: request.to_vec(),
            logs,
            ..Captured::default()
        }
    }

    /// `request` is one JSON value (a hook's payload embeds it as JSON).
    pub fn request_is_json(&self) -> bool {
        *self
            .request_is_json
            .get_or_init(|| serde_json::from_slice::<serde::de::IgnoredAny>(&self.request).is_ok())
    }

    /// Keeps the stream events in `events` (whole events, as a client was sent them) for a
    /// logging hook, until they would pass [`MAX_LOGGED_RESPONSE`]: from there on none are
    /// kept, so what is kept is the stream's start, without gaps.
    pub fn note_stream(&self, events: &[u8]) {
        if !self.logs || self.stream_full.get() {
            return;
        }
        let mut stream = self.stream.borrow_mut();
        if stream.len() + events.len() <= MAX_LOGGED_RESPONSE {
            stream.extend_from_slice(events);
        } else {
            self.stream_full.set(true);
        }
    }

    /// Keeps a whole answer's body for a logging hook (at most [`MAX_LOGGED_RESPONSE`]).
    pub fn note_answer(&self, body: &[u8]) {
        if self.logs && body.len() <= MAX_LOGGED_RESPONSE {
            let _ = self.response.set(body.to_vec());
        }
    }
}

/// The events of whole server-sent events in `buf` (each without its blank line).
pub fn sse_events(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let (event, next) = match memchr::memmem::find(rest, b"\n\n") {
                Some(end) => (&rest[..end], &rest[end + 2..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = next;
            if !event.is_empty() {
                return Some(event);
            }
        }
        None
    })
}

/// Answers larger than this are logged without their body (LiteLLM logs them whole; a
/// core does not copy megabytes for a logger).
pub const MAX_LOGGED_RESPONSE: usize = 1024 * 1024;

/// One request's logging event, in a LOG frame's parts ([`super::wire`]; the sidecar's
/// `hooks.log_event` builds LiteLLM's `kwargs` and `standard_logging_object` from it, off
/// the cores): the exchange's facts, the caller (`key`, its JSON), then the head, bodies
/// and stream as they are. Written by hand: it runs on a core for every request a logger
/// sees.
pub fn write_event(ex: &Exchange<'_>, captured: &Captured, key: &[u8], out: &mut Vec<u8>) {
    use super::wire;
    use corelane_transforms::json::write_json_string as string;
    let facts = wire::open_part(out);
    let now = Instant::now();
    let epoch_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let epoch = |t: Instant| epoch_now - now.saturating_duration_since(t).as_secs_f64();
    let mut num = itoa::Buffer::new();
    let success = ex.failure.is_none() && (200..300).contains(&ex.status);
    let dep = ex.deployment;
    out.extend_from_slice(if success {
        b"{\"kind\":\"success\",\"call_id\":"
    } else {
        b"{\"kind\":\"failure\",\"call_id\":"
    });
    string(ex.call_id.as_str(), out);
    out.extend_from_slice(b",\"call_type\":");
    string(
        ex.api
            .or(captured.endpoint)
            .and_then(crate::proxy::call_type)
            .unwrap_or(""),
        out,
    );
    out.extend_from_slice(if ex.stream {
        b",\"stream\":true,\"requested_model\":"
    } else {
        b",\"stream\":false,\"requested_model\":"
    });
    string(&ex.requested_model, out);
    out.extend_from_slice(b",\"model_group\":");
    string(ex.group.map_or("", |g| g.name.as_str()), out);
    if let Some(d) = dep {
        let (provider, model) = crate::metrics::deployment_model(d);
        out.extend_from_slice(b",\"model\":");
        string(
            &format!("{}/{}", provider.unwrap_or(""), model.unwrap_or("")),
            out,
        );
        out.extend_from_slice(b",\"model_id\":");
        string(&d.id, out);
        out.extend_from_slice(b",\"api_base\":");
        string(crate::metrics::api_base(d), out);
    }
    if let Some(p) = ex.provider {
        out.extend_from_slice(b",\"provider\":");
        string(p.name, out);
    }
    out.extend_from_slice(b",\"status\":");
    out.extend_from_slice(num.format(ex.status).as_bytes());
    if let Some(f) = ex.failure {
        if ex.failed_in_proxy {
            out.extend_from_slice(b",\"proxy_only\":true");
        }
        out.extend_from_slice(b",\"error\":{\"class\":");
        string(f.class, out);
        if let Some(p) = f.provider {
            out.extend_from_slice(b",\"provider\":");
            string(p, out);
        }
        out.push(b'}');
    }
    let float = |name: &[u8], v: f64, out: &mut Vec<u8>| {
        out.extend_from_slice(name);
        let _ = std::io::Write::write_fmt(out, format_args!("{v}"));
    };
    float(b",\"start\":", epoch(ex.timings.received), out);
    float(
        b",\"end\":",
        epoch(ex.timings.upstream_done.unwrap_or(now)),
        out,
    );
    if let Some(t) = ex.timings.first_token {
        float(b",\"first_token\":", epoch(t), out);
    }
    if let Some(u) = &ex.usage {
        out.extend_from_slice(b",\"usage\":");
        corelane_transforms::usage::write_counts(u, out);
        out.push(b'}');
    }
    if let Some(cost) = ex.cost(ex.usage.as_ref()).filter(|c| c.is_finite()) {
        float(b",\"cost\":", cost, out);
    }
    out.extend_from_slice(b",\"retries\":");
    out.extend_from_slice(num.format(ex.retries).as_bytes());
    out.extend_from_slice(b",\"fallbacks\":");
    out.extend_from_slice(num.format(ex.fallbacks).as_bytes());
    out.push(b'}');
    wire::close_part(out, facts);
    wire::part(key, out);
    wire::part(&captured.head, out);
    wire::part(&captured.request, out);
    wire::part(captured.response.get().map_or(&[][..], Vec::as_slice), out);
    wire::part(&captured.stream.borrow(), out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rejections_keep_the_hooks_status_and_fields() {
        let error = json!({"message": "blocked", "type": "invalid_request_error", "param": null,
            "code": "400", "provider_specific_fields": {"error": "blocked"}});
        let e = rejection(&json!({"status": 400, "error": error}));
        let mut out = Vec::new();
        assert_eq!(e.render(crate::errors::Dialect::OpenAi, &mut out), 400);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, json!({"error": error}));
        assert_eq!(e.message(), "blocked");
        // A status no HTTP error has is a 500.
        assert_eq!(
            rejection(&json!({"status": 200, "error": {}})).status(),
            500
        );
    }
}
