//! Every way a request can fail, where it came from, whether it may be retried, and the ONE
//! function that turns it into LiteLLM's status code and error JSON.

use corelane_transforms::error::write_error;
use corelane_transforms::openai::RequestError;

/// Who caused an error (pingora's ErrorSource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    Client,
    Upstream,
}

/// Whether another attempt may be made (pingora's RetryType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    No,
    Yes,
    /// Only if the failed attempt used a pooled connection (it may have been closed by the peer).
    IfReused,
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
    NoApiKey,
    InvalidKey {
        shown: String,
    },
    NotFound,
    MethodNotAllowed,
    /// The client did not send its head or body in time (header timeout, body rate).
    ClientTimeout,
    /// The core already holds its budget of request bodies in memory.
    BodyBudget,
    /// A request body too large for memory could not be stored in its temporary file.
    BodyStore,
    /// The client went away while its request was being served; nobody gets an answer.
    ClientGone,
    UpstreamConnect {
        provider: &'static str,
        detail: String,
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
    /// The upstream answered with an error status; `json` is LiteLLM's error body for it.
    Upstream {
        status: u16,
        json: Vec<u8>,
    },
}

impl GatewayError {
    pub fn source(&self) -> ErrorSource {
        match self {
            GatewayError::UpstreamConnect { .. }
            | GatewayError::UpstreamTimeout { .. }
            | GatewayError::UpstreamProtocol { .. }
            | GatewayError::Upstream { .. } => ErrorSource::Upstream,
            _ => ErrorSource::Client,
        }
    }

    pub fn retry(&self) -> Retry {
        match self {
            GatewayError::UpstreamConnect { .. } => Retry::Yes,
            GatewayError::UpstreamProtocol { .. } => Retry::IfReused,
            _ => Retry::No,
        }
    }

    /// Writes LiteLLM's error JSON to `out` and returns the status code.
    pub fn render(&self, out: &mut Vec<u8>) -> u16 {
        let (status, kind, param, message): (u16, &str, Option<&str>, String) = match self {
            GatewayError::Framing(e) => (e.status(), "invalid_request_error", None, e.message().to_owned()),
            GatewayError::Json(e) => (
                400,
                "invalid_request_error",
                Some(e.param()),
                format!("{}{}", e.prefix(), e.message()),
            ),
            GatewayError::MissingModel { route } => (
                400,
                "invalid_request_error",
                Some("model"),
                format!(
                    "{route}: Invalid model name passed in model=None. Call `/v1/models` to view available models for your key."
                ),
            ),
            GatewayError::UnknownModel { route, model } => (
                400,
                "invalid_request_error",
                Some("model"),
                format!(
                    "{route}: Invalid model name passed in model={model}. Call `/v1/models` to view available models for your key."
                ),
            ),
            GatewayError::UnsupportedEndpoint { model, route } => (
                400,
                "invalid_request_error",
                Some("model"),
                format!("{route} is not supported for model={model}"),
            ),
            GatewayError::NoApiKey => (
                401,
                "auth_error",
                Some("None"),
                "Authentication Error, No api key passed in.".to_owned(),
            ),
            GatewayError::InvalidKey { shown } => (
                401,
                "auth_error",
                Some("None"),
                format!("Authentication Error, Invalid proxy server token passed. Received API Key = {shown}, Unable to find token in cache or `LiteLLM_VerificationTokenTable`"),
            ),
            GatewayError::NotFound => (404, "not_found_error", None, "Not Found".to_owned()),
            GatewayError::MethodNotAllowed => {
                (405, "invalid_request_error", None, "Method Not Allowed".to_owned())
            }
            GatewayError::ClientTimeout => (
                408,
                "timeout",
                None,
                "Request Timeout: the request was not received in time".to_owned(),
            ),
            GatewayError::BodyBudget => (
                503,
                "service_unavailable",
                None,
                "Service Unavailable: the gateway holds as many request bodies as it may; retry shortly".to_owned(),
            ),
            GatewayError::BodyStore => (
                503,
                "service_unavailable",
                None,
                "Service Unavailable: the request body could not be stored; retry shortly".to_owned(),
            ),
            // nginx's 499: only ever logged, the client is gone.
            GatewayError::ClientGone => (499, "client_closed_request", None, "Client Closed Request".to_owned()),
            GatewayError::UpstreamConnect { provider, detail } => (
                500,
                "api_connection_error",
                None,
                format!("litellm.APIConnectionError: APIConnectionError: {} - Connection error. {detail}", exception_name(provider)),
            ),
            GatewayError::UpstreamTimeout { provider, seconds } => (
                408,
                "timeout",
                None,
                format!("litellm.Timeout: Timeout Error: {} - Request timed out. timeout={seconds}", exception_name(provider)),
            ),
            GatewayError::UpstreamProtocol { provider, detail } => (
                502,
                "api_error",
                None,
                format!("litellm.APIError: APIError: {} - {detail}", exception_name(provider)),
            ),
            GatewayError::Upstream { status, json } => {
                out.extend_from_slice(json);
                return *status;
            }
        };
        write_error(&message, kind, param, status, out);
        status
    }
}

/// LiteLLM's exception name for a provider ("OpenAIException", "GroqException"), from the
/// same rule the upstream error mapping uses.
fn exception_name(provider: &str) -> String {
    let mut name = String::new();
    corelane_transforms::error::write_exception_provider(provider, &mut name);
    name
}
