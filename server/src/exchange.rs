//! The per-request context: an [`Exchange`] starts when a request head is parsed and carries
//! what each phase learns (route, caller, model, deployment, attempts, usage, status, timings)
//! to `proxy::finish`, which runs exactly once for it.

use std::time::{Duration, Instant};

use corelane_http1::Method;
use corelane_transforms::provider::{Endpoint, ProviderRow};
use corelane_transforms::service_tier::ServiceTier;
use corelane_transforms::usage::Usage;

use crate::client_body::Spilled;
use crate::errors::{ExceptionClass, GatewayError};
use crate::gateway::{Deployment, ModelGroup};
use crate::response::{CallId, LitellmHeaders};

/// A request as the phases see it: borrowed from the connection's buffer.
#[derive(Debug, Clone)]
pub struct Request<'b> {
    pub method: Method,
    /// The whole head as received (request line and header lines), read only where a
    /// header no phase takes is needed (a plugin's `data["metadata"]["headers"]`).
    pub raw_head: &'b [u8],
    /// The origin-form target (an absolute-form target is reduced to its path and query).
    pub target: &'b str,
    /// Empty when the body was spilled to a temporary file (then `spilled` has it).
    pub body: &'b [u8],
    pub spilled: Option<&'b Spilled>,
    /// The `anthropic-beta` header, forwarded on `/v1/messages` to Anthropic.
    pub anthropic_beta: Option<&'b str>,
    /// `x-litellm-num-retries`, `x-litellm-timeout`, `x-litellm-stream-timeout`.
    pub router_headers: crate::router_args::RouterHeaders<'b>,
}

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    /// Not authenticated (yet, or the route is open).
    Unknown,
    /// The master key, or any caller when no master key is configured.
    Master,
    /// A virtual key, by its process-stable id ([`crate::auth::Entity::id`]); the request's
    /// [`Exchange::identity`] has its record.
    Key(u32),
}

/// The route as metrics and logs name it: one of a fixed set, never the raw path (a path can
/// carry anything a client wants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteLabel(pub &'static str);

/// When things happened to the request.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// The head was read.
    pub received: Instant,
    /// The (last) upstream request was sent.
    pub sent: Option<Instant>,
    /// The upstream's response head arrived.
    pub upstream_head: Option<Instant>,
    /// The first stream event arrived (time to first token).
    pub first_token: Option<Instant>,
    /// The upstream's response ended.
    pub upstream_done: Option<Instant>,
}

impl Timings {
    /// Time spent waiting on the upstream: from sending to the end of its answer (or to its
    /// head while the answer is still coming).
    pub fn upstream(&self) -> Duration {
        match (self.sent, self.upstream_done.or(self.upstream_head)) {
            (Some(sent), Some(end)) => end.saturating_duration_since(sent),
            _ => Duration::ZERO,
        }
    }
}

/// Per-request state carried between phases, from the parsed head to `finish`.
#[derive(Debug)]
pub struct Exchange<'g> {
    pub call_id: CallId,
    pub method: Method,
    pub route: RouteLabel,
    /// The client API, for inference routes.
    pub api: Option<Endpoint>,
    /// The error format of the answer.
    pub dialect: crate::errors::Dialect,
    pub caller: Caller,
    /// A virtual key's record, its user and team.
    pub identity: Option<crate::auth::Identity>,
    /// The key's hold on its rate limits, settled with the real usage in `finish`.
    pub admission: Option<crate::limits::Admission>,
    /// Its spend was recorded already (a batch records one per model).
    pub spend_recorded: bool,
    /// Header lines (`name: value\r\n`) every answer to this request carries: the rate
    /// limits' `x-ratelimit-*`.
    pub extra_headers: Vec<u8>,
    pub keep_alive: bool,
    /// The model the client asked for: every response and chunk carries it back (LiteLLM).
    pub requested_model: String,
    /// The model group the requested model resolved to.
    pub group: Option<&'g ModelGroup>,
    pub deployment: Option<&'g Deployment>,
    pub provider: Option<&'static ProviderRow>,
    pub api_base: &'g str,
    pub stream: bool,
    pub client_include_usage: bool,
    /// Attempts made beyond the first.
    pub retries: u32,
    /// The router's retries of the group that answered, and the most it would have made
    /// (`x-litellm-max-retries`, after a retry).
    pub max_retries: Option<u32>,
    /// Fallback groups tried (`x-litellm-attempted-fallbacks`).
    pub fallbacks: u32,
    /// The timeouts the request set itself (`timeout`, `stream_timeout`, their headers).
    pub client_timeout: Option<Duration>,
    pub client_stream_timeout: Option<Duration>,
    /// The last upstream error answer's `retry-after`, in seconds.
    pub upstream_retry_after: Option<u64>,
    pub usage: Option<Usage>,
    /// What translating the request learned that translating the answer needs (the prompt
    /// tokens the gateway counted itself, Ollama's JSON mode).
    pub request_note: std::cell::Cell<corelane_transforms::family::RequestNote>,
    /// The request's fields a bridged Responses API answer repeats, and the provider's model
    /// (set while the upstream body is built, when it is bridged).
    pub bridged: std::cell::OnceCell<(Vec<u8>, String)>,
    /// The service tier for the metrics' label: the one the provider reported serving, else
    /// the known one the client asked for.
    pub service_tier: Option<ServiceTier>,
    /// The status the client got (0 until known; 499 when it left first).
    pub status: u16,
    /// Why the request failed, when it did.
    pub failure: Option<ExceptionClass>,
    pub timings: Timings,
    /// Bytes of a next (pipelined) request read while watching for the client to leave;
    /// they go back in front of the connection's buffer.
    pub early: Vec<u8>,
    /// What plugins' hooks after the call receive of the request and its answer, and the
    /// moderation hooks' pending verdict (only when a plugin has such a hook).
    pub plugin: Option<Box<crate::plugins::data::Captured>>,
    /// The `UserAPIKeyAuth` a plugin's custom auth returned for this request.
    pub custom_auth: Option<Box<serde_json::Value>>,
    /// The failure is the gateway's own refusal (auth, a limit, a check of the request, a
    /// hook's rejection), not the router's nor a provider's: LiteLLM's "proxy-only" error.
    pub failed_in_proxy: bool,
    /// The sha256 (hex) of the key a refused request carried, for plugins' hooks.
    pub refused_key: Option<String>,
    /// The plugins' `async_post_call_response_headers_hook` headers for the answer, each
    /// `\r\nname: value`: set before each answer's head (a stream's before its first
    /// event; a failure after it replaces them).
    pub hook_headers: std::cell::RefCell<Vec<u8>>,
}

impl<'g> Exchange<'g> {
    pub fn new(method: Method, route: RouteLabel, received: Instant, keep_alive: bool) -> Self {
        Exchange {
            call_id: CallId::default(),
            method,
            route,
            api: None,
            dialect: crate::errors::Dialect::OpenAi,
            caller: Caller::Unknown,
            identity: None,
            admission: None,
            spend_recorded: false,
            extra_headers: Vec::new(),
            keep_alive,
            requested_model: String::new(),
            group: None,
            deployment: None,
            provider: None,
            api_base: "",
            stream: false,
            client_include_usage: false,
            retries: 0,
            max_retries: None,
            fallbacks: 0,
            client_timeout: None,
            client_stream_timeout: None,
            upstream_retry_after: None,
            usage: None,
            request_note: std::cell::Cell::new(Default::default()),
            bridged: std::cell::OnceCell::new(),
            service_tier: None,
            status: 0,
            failure: None,
            timings: Timings {
                received,
                sent: None,
                upstream_head: None,
                first_token: None,
                upstream_done: None,
            },
            early: Vec::new(),
            plugin: None,
            custom_auth: None,
            failed_in_proxy: false,
            refused_key: None,
            hook_headers: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Records that the request ends with `err` (its status and class).
    pub fn fail(&mut self, err: &GatewayError) {
        self.status = err.status();
        self.failure = Some(err.exception_class(self.provider.map(|p| p.name)));
        // The proxy's own refusal: nothing was sent to a provider, and the client is there.
        self.failed_in_proxy = self.timings.sent.is_none()
            && !matches!(err, GatewayError::ClientGone)
            && matches!(
                err.source(),
                crate::errors::ErrorSource::Client | crate::errors::ErrorSource::Internal
            );
    }

    /// The upstream timeout of an attempt at `dep`, and whether the client set it (then a
    /// timeout never cools the deployment). LiteLLM's order: for a stream, the request's
    /// `stream_timeout`, the deployment's, then what a call without a stream has; else the
    /// request's `timeout`, then the deployment's.
    pub fn timeout(&self, dep: &Deployment) -> (Duration, bool) {
        let client = |t: Option<Duration>| t.map(|t| (t, true));
        let stream = if self.stream {
            client(self.client_stream_timeout).or(dep.stream_timeout.map(|t| (t, false)))
        } else {
            None
        };
        stream
            .or(client(self.client_timeout))
            .unwrap_or((dep.timeout, false))
    }

    /// The upstream timed out: the error reports the seconds since the request was sent.
    pub fn upstream_timeout(&self, provider: &'static str) -> GatewayError {
        GatewayError::UpstreamTimeout {
            provider,
            seconds: self
                .timings
                .sent
                .map_or(0.0, |sent| sent.elapsed().as_secs_f64()),
        }
    }

    pub fn headers(&self, cost: Option<f64>) -> LitellmHeaders<'_> {
        let elapsed = self
            .timings
            .received
            .elapsed()
            .saturating_sub(self.timings.upstream());
        LitellmHeaders {
            call_id: self.call_id.as_str(),
            model_id: self.deployment.map_or("", |d| d.id.as_str()),
            model_group: self.deployment.map_or("", |d| d.group.as_str()),
            api_base: self.api_base,
            cost,
            overhead_ms: elapsed.as_secs_f64() * 1000.0,
            attempted_retries: self.retries,
            max_retries: self.max_retries,
            attempted_fallbacks: self.fallbacks,
            extra: &self.extra_headers,
            plugin: Some(self.hook_headers.borrow()),
        }
    }

    /// The client API of an inference request (set before anything goes upstream).
    pub fn endpoint(&self) -> Endpoint {
        self.api.unwrap_or(Endpoint::ChatCompletions)
    }

    /// `id` and `created` of an answer the gateway writes itself (a translated one), as
    /// LiteLLM gives them: `chatcmpl-` (`msg_` on `/v1/messages`) and the call id, and the time
    /// now in seconds.
    pub fn answer_id(&self) -> (String, u64) {
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let id = match self.api {
            Some(Endpoint::Messages) => format!("msg_{}", self.call_id),
            _ => format!("chatcmpl-{}", self.call_id),
        };
        (id, created)
    }

    /// Who answered, as a Responses API answer names it (its ids, a stream's cost).
    pub fn origin(&self) -> corelane_transforms::family::Origin<'_> {
        corelane_transforms::family::Origin {
            provider: self.provider.map_or("", |p| p.name),
            model_id: self.deployment.map(|d| d.id.as_str()),
            prices: self.deployment.and_then(|d| d.prices),
            echo: self.bridged.get().map(|(echo, _)| echo.as_slice()),
            provider_model: self.bridged.get().map(|(_, model)| model.as_str()),
        }
    }

    pub fn cost(&self, usage: Option<&Usage>) -> Option<f64> {
        let prices = self.deployment?.prices.as_ref()?;
        Some(corelane_transforms::cost::cost(usage?, prices))
    }
}
