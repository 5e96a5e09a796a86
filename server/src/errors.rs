//! Every way a request can fail: who caused it, whether another attempt may be made, the
//! status the client gets, LiteLLM's exception class (for metrics), and the ONE function that
//! writes it in the client's dialect.

use std::fmt::Write as _;

use corelane_transforms::error::{
    write_error_json, write_error_repeating_message, write_exception_provider, UpstreamErrorMap,
};
use corelane_transforms::json::write_json_string;
use corelane_transforms::openai::RequestError;

/// Who caused an error (pingora's ErrorSource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    Client,
    Upstream,
    /// The gateway itself (its limits, its disk, its configuration).
    Internal,
    /// The router's own refusals (no deployment left, a limit, the tags, a context window):
    /// they take fallbacks as upstream errors do.
    Router,
}

/// Whether another attempt may be made (pingora's RetryType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    No,
    Yes,
    /// Only if the failed attempt used a pooled connection (the peer may have closed it
    /// while it sat in the pool).
    IfReused,
}

impl Retry {
    /// Whether an attempt that failed this way, on a pooled (`reused`) connection or a fresh
    /// one, may be made again.
    pub fn allows(self, reused: bool) -> bool {
        match self {
            Retry::No => false,
            Retry::Yes => true,
            Retry::IfReused => reused,
        }
    }
}

/// The error format the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// `{"error": {"message", "type", "param", "code"}}`.
    #[default]
    OpenAi,
    /// `{"type": "error", "error": {"type", "message"}}`, on `/v1/messages` once its body is
    /// read (LiteLLM answers auth and unreadable bodies there in OpenAI's format too).
    Anthropic,
}

/// Anthropic's error `type` for a status (LiteLLM's `ANTHROPIC_ERROR_TYPE_MAP`).
fn anthropic_error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

/// The class of a request whose client left before its answer was out (corelane's own).
pub const CLIENT_DISCONNECTED: &str = "ClientDisconnected";

/// LiteLLM's `exception_class` metric label: `<Provider>.<Class>` for errors raised for a
/// provider (`Openai.InternalServerError`, `Groq.RateLimitError`), else the class alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExceptionClass {
    pub provider: Option<&'static str>,
    pub class: &'static str,
}

impl ExceptionClass {
    /// Appends the label value. The provider is capitalised as Python's `str.capitalize`
    /// does it (first letter upper, the rest lower).
    pub fn write(&self, out: &mut String) {
        if let Some(p) = self.provider.filter(|p| !p.is_empty()) {
            let mut chars = p.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.extend(chars.flat_map(char::to_lowercase));
            }
            out.push('.');
        }
        out.push_str(self.class);
    }
}

#[derive(Debug)]
pub enum GatewayError {
    /// Malformed HTTP from the client; the connection is closed after the answer.
    Framing(corelane_http1::Error),
    Json(RequestError),
    MissingModel {
        route: &'static str,
    },
    UnknownModel {
        route: &'static str,
        model: String,
    },
    /// The model's provider does not serve this endpoint.
    UnsupportedEndpoint {
        model: String,
        route: &'static str,
    },
    /// The deployment names a provider LiteLLM knows and corelane does not implement yet.
    UnsupportedProvider {
        model: String,
        provider: String,
    },
    /// A request the provider's family cannot be given yet: a stream it does not translate,
    /// a body too large to translate, or content its translation refuses (the detail says).
    Untranslatable {
        provider: &'static str,
        detail: String,
    },
    /// OpenAI parameters the provider has no field for (LiteLLM's `UnsupportedParamsError`,
    /// its message). `untyped` on text completions, whose route LiteLLM's proxy answers with
    /// the type `"None"`.
    UnsupportedParams {
        message: String,
        untyped: bool,
    },
    NoApiKey,
    InvalidKey {
        shown: String,
    },
    NotFound,
    /// `/models/{id}` names no model this gateway lists.
    ModelNotFound {
        id: String,
    },
    MethodNotAllowed,
    /// The client did not send its head or body in time (header timeout, body rate).
    ClientTimeout,
    /// The core already holds its budget of request bodies in memory.
    BodyBudget,
    /// A request body too large for memory could not be stored in its temporary file.
    BodyStore,
    /// The client went away while its request was being served; nobody gets an answer.
    ClientGone,
    /// No connection to the upstream could be made.
    UpstreamConnect {
        provider: &'static str,
        detail: String,
    },
    /// The request could not be written to an open upstream connection.
    UpstreamSend {
        provider: &'static str,
        detail: String,
    },
    /// An upstream connection closed before a single response byte (on a pooled connection,
    /// the peer may have closed it while it sat in the pool).
    UpstreamClosed {
        provider: &'static str,
    },
    UpstreamTimeout {
        provider: &'static str,
        seconds: f64,
    },
    /// The upstream broke HTTP (bad head, bad framing, reset mid-response).
    UpstreamProtocol {
        provider: &'static str,
        detail: String,
    },
    /// The upstream answered with an error status.
    Upstream {
        provider: &'static str,
        /// LiteLLM's class and status for it (its family's mapping: 422 becomes 400, ...).
        map: UpstreamErrorMap,
        /// LiteLLM's message for it (`litellm.RateLimitError: ... GroqException - ...`).
        message: String,
    },
    /// The upstream sent an error event inside a stream that LiteLLM raises as its own class
    /// and status (Bedrock's exception messages); in-band its `type` is null, as LiteLLM's
    /// proxy writes it.
    UpstreamStreamError {
        provider: &'static str,
        map: UpstreamErrorMap,
        message: String,
    },
    /// The upstream sent an error event inside a stream (LiteLLM raises it as an
    /// InternalServerError; the message is LiteLLM's).
    UpstreamEvent {
        provider: &'static str,
        message: String,
    },
    /// The gateway is shutting down and cut a response short.
    ShuttingDown,
    /// A comma-separated list of models asked for a stream (LiteLLM cannot serve one either).
    BatchStream,
    /// `fastest_response` with a list of models, and every model failed (LiteLLM's bare
    /// `Exception("All tasks failed")`).
    BatchAllFailed,
    /// A comma-separated list names more models than one request may fan out to.
    BatchTooLarge {
        count: usize,
        max: usize,
    },
    /// A request LiteLLM's proxy refuses with FastAPI's `{"detail": ...}` shape (its
    /// validation errors); `detail` is the JSON value.
    Detail {
        status: u16,
        detail: String,
    },
    /// A request refused with LiteLLM's message as it is (a 400, no `param`).
    BadRequest {
        message: String,
    },
    /// No deployment the request could go to is left (LiteLLM's `RouterRateLimitError`);
    /// `retry_after` is the cooldown's length, in whole seconds; `all_cooling` when every
    /// deployment of the group cools down (else limits or checks left none).
    NoDeployments {
        message: String,
        retry_after: u64,
        all_cooling: bool,
    },
    /// The router refused the request itself, as LiteLLM's router raises `class` (a
    /// deployment over its rpm, none within the usage limits, no deployment for the request's
    /// tags or context window): its status, `type` and message, and the `retry-after` LiteLLM
    /// sends as `llm_provider-retry-after`.
    RouterRefusal {
        status: u16,
        class: &'static str,
        kind: &'static str,
        message: String,
        provider_retry_after: Option<u64>,
    },
    /// A request field that cannot be served as sent (a 400 naming it).
    InvalidParam {
        param: &'static str,
        message: String,
    },
    /// A virtual key, user or team over its rpm, tpm or parallel limit: LiteLLM's 429 and the
    /// header lines it sends with it (`retry-after`, `rate_limit_type`, `reset_at`).
    RateLimited {
        message: String,
        headers: Vec<u8>,
    },
    /// LiteLLM's `ProxyException` as its auth, limits and management routes raise it: the
    /// status, `type`, `param` and message as LiteLLM sends them.
    Proxy {
        status: u16,
        kind: &'static str,
        param: Option<&'static str>,
        message: String,
    },
    /// A plugin's hook refused the request (issue 11): the error object LiteLLM answers for
    /// what it raised (built by the sidecar), and its message.
    Plugin {
        status: u16,
        message: String,
        /// `{"message", "type", "param", "code"[, "provider_specific_fields"]}` as JSON.
        error: String,
        /// A stream's hooks failed: what LiteLLM answers instead of the JSON error.
        stream: Option<Box<StreamFailure>>,
    },
}

/// What a client gets when a stream's plugin hooks raise, as LiteLLM answers it (the
/// sidecar writes the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFailure {
    /// Before the first byte: an event stream (the error event and `[DONE]`) with the
    /// error's status, instead of a JSON answer.
    pub before: Option<String>,
    /// After the first byte: what is added before the stream ends (`None`: the stream is
    /// cut where it is, the connection closed without the body's end, as LiteLLM does).
    pub after: Option<String>,
    /// `after` goes in the stream even before its first byte (a Responses API stream's
    /// `response.failed` event): never an error status.
    pub in_stream: bool,
}

impl GatewayError {
    pub fn proxy(
        status: u16,
        kind: &'static str,
        param: Option<&'static str>,
        message: String,
    ) -> Self {
        GatewayError::Proxy {
            status,
            kind,
            param,
            message,
        }
    }

    pub fn source(&self) -> ErrorSource {
        match self {
            GatewayError::UpstreamConnect { .. }
            | GatewayError::UpstreamSend { .. }
            | GatewayError::UpstreamClosed { .. }
            | GatewayError::UpstreamTimeout { .. }
            | GatewayError::UpstreamProtocol { .. }
            | GatewayError::Upstream { .. }
            | GatewayError::UpstreamStreamError { .. }
            | GatewayError::UpstreamEvent { .. } => ErrorSource::Upstream,
            GatewayError::BodyBudget
            | GatewayError::BodyStore
            | GatewayError::UnsupportedProvider { .. }
            | GatewayError::ShuttingDown => ErrorSource::Internal,
            GatewayError::NoDeployments { .. } | GatewayError::RouterRefusal { .. } => {
                ErrorSource::Router
            }
            _ => ErrorSource::Client,
        }
    }

    pub fn retry(&self) -> Retry {
        match self {
            GatewayError::UpstreamConnect { .. } => Retry::Yes,
            GatewayError::UpstreamSend { .. } | GatewayError::UpstreamClosed { .. } => {
                Retry::IfReused
            }
            _ => Retry::No,
        }
    }

    /// The error as the client gets it when no stream event was sent yet: a whole error
    /// answer, typed as any upstream error is (an in-stream error's `type` is null).
    pub fn before_stream(self) -> Self {
        match self {
            GatewayError::UpstreamStreamError {
                provider,
                map,
                message,
            } => GatewayError::Upstream {
                provider,
                map,
                message,
            },
            other => other,
        }
    }

    /// The provider an upstream error is about.
    pub fn provider(&self) -> Option<&'static str> {
        match self {
            GatewayError::UpstreamConnect { provider, .. }
            | GatewayError::UpstreamSend { provider, .. }
            | GatewayError::UpstreamClosed { provider }
            | GatewayError::UpstreamTimeout { provider, .. }
            | GatewayError::UpstreamProtocol { provider, .. }
            | GatewayError::Upstream { provider, .. }
            | GatewayError::UpstreamStreamError { provider, .. }
            | GatewayError::UpstreamEvent { provider, .. } => Some(provider),
            _ => None,
        }
    }

    /// The status the client gets.
    pub fn status(&self) -> u16 {
        match self {
            GatewayError::Framing(e) => e.status(),
            GatewayError::Json(_)
            | GatewayError::MissingModel { .. }
            | GatewayError::UnknownModel { .. }
            | GatewayError::UnsupportedEndpoint { .. }
            | GatewayError::UnsupportedProvider { .. }
            | GatewayError::Untranslatable { .. }
            | GatewayError::UnsupportedParams { .. }
            | GatewayError::BatchStream
            | GatewayError::InvalidParam { .. }
            | GatewayError::BadRequest { .. }
            | GatewayError::BatchTooLarge { .. } => 400,
            GatewayError::Detail { status, .. }
            | GatewayError::Proxy { status, .. }
            | GatewayError::Plugin { status, .. } => *status,
            GatewayError::BatchAllFailed => 500,
            GatewayError::NoDeployments { .. } | GatewayError::RateLimited { .. } => 429,
            GatewayError::RouterRefusal { status, .. } => *status,
            GatewayError::NoApiKey | GatewayError::InvalidKey { .. } => 401,
            GatewayError::NotFound | GatewayError::ModelNotFound { .. } => 404,
            GatewayError::MethodNotAllowed => 405,
            GatewayError::ClientTimeout | GatewayError::UpstreamTimeout { .. } => 408,
            // nginx's 499: only ever logged, the client is gone.
            GatewayError::ClientGone => 499,
            GatewayError::UpstreamConnect { .. }
            | GatewayError::UpstreamSend { .. }
            | GatewayError::UpstreamEvent { .. } => 500,
            GatewayError::UpstreamClosed { .. } | GatewayError::UpstreamProtocol { .. } => 502,
            GatewayError::BodyBudget | GatewayError::BodyStore | GatewayError::ShuttingDown => 503,
            GatewayError::Upstream { map, .. } | GatewayError::UpstreamStreamError { map, .. } => {
                map.status
            }
        }
    }

    /// LiteLLM's exception class for the metric label; `provider` is the deployment's
    /// provider when one was picked (LiteLLM names it on errors raised after routing).
    pub fn exception_class(&self, provider: Option<&'static str>) -> ExceptionClass {
        let provider = self.provider().or(provider);
        let class = match self {
            GatewayError::Upstream { map, .. } | GatewayError::UpstreamStreamError { map, .. } => {
                map.exception
            }
            GatewayError::UpstreamEvent { .. } => "InternalServerError",
            GatewayError::UnsupportedParams { .. } => "UnsupportedParamsError",
            GatewayError::UpstreamConnect { .. } | GatewayError::UpstreamSend { .. } => {
                "APIConnectionError"
            }
            GatewayError::UpstreamTimeout { .. } => "Timeout",
            GatewayError::UpstreamProtocol { .. } | GatewayError::UpstreamClosed { .. } => {
                "APIError"
            }
            GatewayError::Json(
                RequestError::MissingParam(_)
                | RequestError::MissingMaxTokens
                | RequestError::MissingDocuments,
            ) => {
                return ExceptionClass {
                    provider: None,
                    class: "ProxyMissingRequiredParamError",
                }
            }
            GatewayError::MissingModel { .. } | GatewayError::UnknownModel { .. } => {
                return ExceptionClass {
                    provider: None,
                    class: "ProxyModelNotFoundError",
                }
            }
            // LiteLLM raises a bare Exception for a missing key, and when every model of a
            // fastest_response batch failed.
            GatewayError::NoApiKey | GatewayError::BatchAllFailed => {
                return ExceptionClass {
                    provider: None,
                    class: "Exception",
                }
            }
            GatewayError::NoDeployments { .. } => {
                return ExceptionClass {
                    provider: None,
                    class: "RouterRateLimitError",
                }
            }
            GatewayError::RouterRefusal { class, .. } => {
                return ExceptionClass {
                    provider: None,
                    class,
                }
            }
            GatewayError::ClientGone => {
                return ExceptionClass {
                    provider: None,
                    class: CLIENT_DISCONNECTED,
                }
            }
            _ => {
                return ExceptionClass {
                    provider: None,
                    class: "ProxyException",
                }
            }
        };
        ExceptionClass { provider, class }
    }

    /// A model-name error whose message LiteLLM repeats in `provider_specific_fields`.
    fn repeats_model_error(&self) -> bool {
        match self {
            GatewayError::MissingModel { route } | GatewayError::UnknownModel { route, .. } => {
                !matches!(*route, "/rerank" | "/completions")
            }
            _ => false,
        }
    }

    /// Writes the error in the client's dialect to `out` and returns the status code.
    pub fn render(&self, dialect: Dialect, out: &mut Vec<u8>) -> u16 {
        let status = self.status();
        if let GatewayError::Detail { detail, .. } = self {
            out.extend_from_slice(b"{\"detail\":");
            out.extend_from_slice(detail.as_bytes());
            out.push(b'}');
            return status;
        }
        if let (GatewayError::Plugin { error, .. }, Dialect::OpenAi) = (self, dialect) {
            out.extend_from_slice(b"{\"error\":");
            out.extend_from_slice(error.as_bytes());
            out.push(b'}');
            return status;
        }
        let (kind, param, message) = self.parts();
        match dialect {
            // LiteLLM's model-name errors repeat the message (but the wrapped ones); its
            // proxy sends `"type": null` for an upstream APIError.
            Dialect::OpenAi if self.repeats_model_error() => {
                write_error_repeating_message(&message, kind, param, status, out)
            }
            Dialect::OpenAi => write_error_json(&message, kind, param, status, out),
            Dialect::Anthropic => {
                out.extend_from_slice(b"{\"type\":\"error\",\"error\":{\"type\":\"");
                out.extend_from_slice(anthropic_error_type(status).as_bytes());
                out.extend_from_slice(b"\",\"message\":");
                write_json_string(&message, out);
                // LiteLLM's model-name errors repeat the message here.
                if self.repeats_model_error() {
                    out.extend_from_slice(b",\"provider_specific_fields\":{\"error\":");
                    write_json_string(&message, out);
                    out.push(b'}');
                }
                out.extend_from_slice(b"}}");
            }
        }
        status
    }

    /// Writes the error as the stream event that ends a stream already under way: OpenAI's
    /// `data:` event, or Anthropic's `event: error`.
    pub fn write_in_band(&self, dialect: Dialect, out: &mut Vec<u8>) {
        if let GatewayError::Plugin {
            stream: Some(failure),
            ..
        } = self
        {
            if let Some(after) = &failure.after {
                out.extend_from_slice(after.as_bytes());
            }
            return;
        }
        if dialect == Dialect::Anthropic {
            out.extend_from_slice(b"event: error\n");
        }
        out.extend_from_slice(b"data: ");
        self.render(dialect, out);
        out.extend_from_slice(b"\n\n");
    }

    /// One failed model of a batch, as LiteLLM lists it in place of a response: the
    /// exception's fields (`status_code`, `message`, `llm_provider`, `model`, `code`, `type`).
    pub fn write_batch_item(&self, model: &str, out: &mut Vec<u8>) {
        let status = self.status();
        let (kind, _, message) = self.parts();
        let mut num = itoa::Buffer::new();
        out.extend_from_slice(b"{\"status_code\":");
        out.extend_from_slice(num.format(status).as_bytes());
        out.extend_from_slice(b",\"message\":");
        write_json_string(&message, out);
        out.extend_from_slice(b",\"llm_provider\":");
        match self.provider() {
            Some(p) => write_json_string(p, out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"model\":");
        write_json_string(model, out);
        out.extend_from_slice(b",\"code\":\"");
        out.extend_from_slice(num.format(status).as_bytes());
        out.extend_from_slice(b"\",\"type\":");
        match kind {
            Some(k) => write_json_string(k, out),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }

    /// The error's message, as its JSON carries it.
    pub fn message(&self) -> String {
        self.parts().2
    }

    /// OpenAI error type, param and message.
    fn parts(&self) -> (Option<&'static str>, Option<&'static str>, String) {
        let (kind, param, message): (&str, Option<&str>, String) = match self {
            GatewayError::Framing(e) => ("invalid_request_error", None, e.message().to_owned()),
            GatewayError::Json(e) => (
                "invalid_request_error",
                Some(e.param()),
                format!("{}{}", e.prefix(), e.message()),
            ),
            // LiteLLM 1.108.7 (captured): the message in the HTTPException the router raises,
            // param null (its `provider_specific_fields` are written by `render`); the rerank
            // route wraps it in the HTTPException it re-raises, and the text completion
            // route too, without a type or param.
            GatewayError::MissingModel { route } | GatewayError::UnknownModel { route, .. } => {
                let model = match self {
                    GatewayError::UnknownModel { model, .. } => model.as_str(),
                    _ => "None",
                };
                let message = format!(
                    "{route}: Invalid model name passed in model={model}. Call `/v1/models` to view available models for your key."
                );
                match *route {
                    "/rerank" => ("invalid_request_error", None, format!("400: {{'error': '{message}'}}")),
                    "/completions" => ("None", Some("None"), format!("400: {{'error': '{message}'}}")),
                    _ => ("invalid_request_error", None, message),
                }
            }
            GatewayError::UnsupportedEndpoint { model, route } => (
                "invalid_request_error",
                Some("model"),
                format!("{route} is not supported for model={model}"),
            ),
            GatewayError::UnsupportedProvider { model, provider } => (
                "invalid_request_error",
                Some("model"),
                format!(
                    "litellm.BadRequestError: LLM Provider '{provider}' (model={model}) is not supported by corelane yet. Supported providers: {}",
                    supported_providers()
                ),
            ),
            GatewayError::Untranslatable { provider, detail } => (
                "invalid_request_error",
                None,
                format!("litellm.BadRequestError: {provider}: {detail}"),
            ),
            GatewayError::UnsupportedParams { message, untyped } => (
                match untyped {
                    true => "None",
                    false => "invalid_request_error",
                },
                None,
                format!("litellm.UnsupportedParamsError: {message}"),
            ),
            GatewayError::InvalidParam { param, message } => {
                ("invalid_request_error", Some(*param), message.clone())
            }
            GatewayError::BadRequest { message } => ("invalid_request_error", None, message.clone()),
            GatewayError::Detail { detail, .. } => ("invalid_request_error", None, detail.clone()),
            GatewayError::BatchStream => (
                "invalid_request_error",
                Some("stream"),
                "stream is not supported with a comma-separated list of models".to_owned(),
            ),
            GatewayError::BatchAllFailed => ("None", Some("None"), "All tasks failed".to_owned()),
            GatewayError::NoDeployments {
                message,
                all_cooling,
                ..
            } => {
                let kind = if *all_cooling {
                    "all_deployments_in_cooldown"
                } else {
                    "rate_limit_error"
                };
                (kind, None, message.clone())
            }
            GatewayError::RouterRefusal { kind, message, .. } => (kind, None, message.clone()),
            GatewayError::Proxy {
                kind,
                param,
                message,
                ..
            } => (kind, *param, message.clone()),
            GatewayError::RateLimited { message, .. } => ("rate_limit_error", None, message.clone()),
            GatewayError::Plugin { message, .. } => ("None", None, message.clone()),
            GatewayError::BatchTooLarge { count, max } => (
                "invalid_request_error",
                Some("model"),
                format!("a comma-separated list may name at most {max} models; this one names {count}"),
            ),
            GatewayError::NoApiKey => (
                "auth_error",
                Some("None"),
                "Authentication Error, No api key passed in.".to_owned(),
            ),
            GatewayError::InvalidKey { shown } => (
                "auth_error",
                Some("None"),
                format!("Authentication Error, Invalid proxy server token passed. Received API Key = {shown}, Unable to find token in cache or `LiteLLM_VerificationTokenTable`"),
            ),
            GatewayError::NotFound => ("not_found_error", None, "Not Found".to_owned()),
            GatewayError::ModelNotFound { id } => (
                "invalid_request_error",
                Some("model"),
                format!("The model `{id}` does not exist"),
            ),
            GatewayError::MethodNotAllowed => {
                ("invalid_request_error", None, "Method Not Allowed".to_owned())
            }
            GatewayError::ClientTimeout => (
                "timeout",
                None,
                "Request Timeout: the request was not received in time".to_owned(),
            ),
            GatewayError::BodyBudget => (
                "service_unavailable",
                None,
                "Service Unavailable: the gateway holds as many request bodies as it may; retry shortly".to_owned(),
            ),
            GatewayError::BodyStore => (
                "service_unavailable",
                None,
                "Service Unavailable: the request body could not be stored; retry shortly".to_owned(),
            ),
            GatewayError::ShuttingDown => (
                "service_unavailable",
                None,
                "Service Unavailable: the gateway is shutting down".to_owned(),
            ),
            GatewayError::ClientGone => ("client_closed_request", None, "Client Closed Request".to_owned()),
            GatewayError::UpstreamConnect { provider, detail }
            | GatewayError::UpstreamSend { provider, detail } => (
                "api_connection_error",
                None,
                format!("litellm.APIConnectionError: APIConnectionError: {} - Connection error. {detail}", exception_name(provider)),
            ),
            GatewayError::UpstreamTimeout { provider, seconds } => {
                let mut m = format!("litellm.Timeout: Timeout Error: {} - Request timed out. timeout=", exception_name(provider));
                let _ = write!(m, "{:.3}", seconds);
                ("timeout", None, m)
            }
            GatewayError::UpstreamClosed { provider } => (
                "api_error",
                None,
                format!("litellm.APIError: APIError: {} - connection closed before any response", exception_name(provider)),
            ),
            GatewayError::UpstreamProtocol { provider, detail } => (
                "api_error",
                None,
                format!("litellm.APIError: APIError: {} - {detail}", exception_name(provider)),
            ),
            GatewayError::Upstream { map, message, .. } => {
                return (map.error_type(), None, message.clone())
            }
            GatewayError::UpstreamStreamError { message, .. } => {
                return (None, None, message.clone())
            }
            GatewayError::UpstreamEvent { message, .. } => {
                ("internal_server_error", None, message.clone())
            }
        };
        (Some(kind), param, message)
    }
}

/// The provider names corelane routes to, for the unsupported-provider message.
fn supported_providers() -> String {
    let names: Vec<&str> = corelane_transforms::provider::PROVIDERS
        .iter()
        .map(|r| r.name)
        .collect();
    names.join(", ")
}

/// LiteLLM's exception name for a provider ("OpenAIException", "GroqException").
fn exception_name(provider: &str) -> String {
    let mut name = String::new();
    write_exception_provider(provider, &mut name);
    name
}
