//! Decides the reply to a request from its method, path suffix, fault prefixes and body.

use super::anthropic::{self, AnthropicEvent};
use super::api_request::ApiRequest;
use super::bedrock::{self, BedrockEvent};
use super::embeddings::{EmbeddingBody, MAX_DIMS};
use super::errors::{error_body, ErrorShape};
use super::fault::{split_faults, BadFault, Faults, FlakyCounts};
use super::gemini::{self, GeminiEvent};
use super::ollama::{self, OllamaEvent};
use super::openai::{self, OpenAiEvent, OpenAiStream};
use super::options::MockOptions;

/// Provider endpoint picked by the end of the path, so any api_base prefix works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    ChatCompletions,
    Completions,
    Embeddings,
    Messages,
    /// Anthropic's token counting (`/v1/messages/count_tokens`), also Vertex AI's for Claude
    /// (`publishers/anthropic/models/count-tokens:rawPredict`).
    CountTokens,
    /// Bedrock's CountTokens (`/model/{id}/count-tokens`): `{"inputTokens": n}`.
    BedrockCount,
    Models,
    /// Gemini's `/models/{model}:{method}`; the model is the path's.
    Gemini(gemini::Method),
    /// An OAuth token endpoint (`/token`, as a Google service account's `token_uri` names).
    OAuthToken,
    /// Bedrock's `/model/{id}/converse` (false) or `/converse-stream` (true).
    Converse(bool),
    /// Bedrock's `/model/{id}/invoke` (false) or `/invoke-with-response-stream` (true), for
    /// Claude in Anthropic's format.
    Invoke(bool),
    /// Mistral's OCR (`/v1/ocr`).
    Ocr,
    /// Vertex AI's `publishers/anthropic/models/{model}:rawPredict` (false) or
    /// `:streamRawPredict` (true), Claude in Anthropic's format.
    RawPredict(bool),
    /// Ollama's native `/api/chat`, `/api/generate` or `/api/embed`.
    Ollama(ollama::Api),
    /// Cohere's `/v2/chat`, `/v2/embed` or `/v2/rerank`.
    Cohere(super::cohere::Endpoint),
    /// OpenAI's Responses API: `/responses`.
    Responses,
    /// A stored response: `/responses/{id}[/input_items|/cancel]`.
    StoredResponse,
    Unknown,
}

impl Route {
    pub fn from_path(path: &str) -> Self {
        // Order matters: "/chat/completions" also ends with "/completions".
        if path.ends_with("/count-tokens:rawPredict") {
            Self::CountTokens
        } else if path.starts_with("/model/") && path.ends_with("/count-tokens") {
            Self::BedrockCount
        } else if let Some((method, _)) = gemini::Method::from_path(path) {
            Self::Gemini(method)
        } else if let Some(stream) = raw_predict(path) {
            Self::RawPredict(stream)
        } else if path == "/token" {
            Self::OAuthToken
        } else if let Some(stream) = bedrock::converse_stream(path) {
            Self::Converse(stream)
        } else if let Some((stream, _)) = bedrock::invoke_stream(path) {
            Self::Invoke(stream)
        } else if let Some(api) = ollama::Api::from_path(path) {
            Self::Ollama(api)
        } else if let Some(endpoint) = super::cohere::Endpoint::from_path(path) {
            Self::Cohere(endpoint)
        } else if path.ends_with("/responses") {
            Self::Responses
        } else if super::responses::stored(path).is_some() {
            Self::StoredResponse
        } else if path.ends_with("/chat/completions") {
            Self::ChatCompletions
        } else if path.ends_with("/completions") {
            Self::Completions
        } else if path.ends_with("/embeddings") {
            Self::Embeddings
        } else if path.ends_with("/messages") {
            Self::Messages
        } else if path.ends_with("/messages/count_tokens") {
            Self::CountTokens
        } else if path.ends_with("/models") {
            Self::Models
        } else if path.ends_with("/ocr") {
            Self::Ocr
        } else {
            Self::Unknown
        }
    }

    fn error_shape(self) -> ErrorShape {
        match self {
            Self::Messages | Self::CountTokens | Self::RawPredict(_) => ErrorShape::Anthropic,
            Self::Gemini(_) => ErrorShape::Gemini,
            Self::Converse(_) | Self::Invoke(_) | Self::BedrockCount => ErrorShape::Bedrock,
            Self::Ollama(_) => ErrorShape::Ollama,
            Self::Cohere(_) => ErrorShape::Cohere,
            _ => ErrorShape::OpenAi,
        }
    }
}

/// The `/__mock/*` test endpoints; matched on the exact path, never through fault prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Introspection {
    Requests,
    Stats,
    Reset,
}

impl Introspection {
    pub fn from_path(path: &str) -> Option<Self> {
        match path {
            "/__mock/requests" => Some(Self::Requests),
            "/__mock/stats" => Some(Self::Stats),
            "/__mock/reset" => Some(Self::Reset),
            _ => None,
        }
    }

    pub fn method(self) -> &'static str {
        match self {
            Self::Requests | Self::Stats => "GET",
            Self::Reset => "POST",
        }
    }
}

/// Which stream a streaming reply carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFamily {
    Chat,
    Text,
    Anthropic,
    Gemini,
    /// AWS event-stream messages (Bedrock's ConverseStream).
    Bedrock,
    /// Anthropic's events in Bedrock Invoke `chunk` messages.
    BedrockInvoke,
    /// NDJSON lines (Ollama's `/api/chat` or `/api/generate`).
    Ollama(ollama::Api),
    /// The events of a [`Script`](super::script::Script), in `StreamReply::script`.
    Scripted,
    /// Scripted events already framed as AWS event-stream messages.
    ScriptedEventStream,
}

/// A server-sent-event stream to write event by event.
#[derive(Debug, Clone)]
pub struct StreamReply {
    pub family: StreamFamily,
    /// The echoed model as a JSON string literal.
    pub model: String,
    pub chunks: usize,
    /// The client set `stream_options.include_usage` (OpenAI only).
    pub include_usage: bool,
    /// False under `/nousage`.
    pub with_usage: bool,
    /// The events of a scripted stream (empty for the others).
    pub script: Vec<Vec<u8>>,
}

impl StreamReply {
    fn openai(&self, kind: OpenAiStream) -> OpenAiEvent<'_> {
        OpenAiEvent {
            kind,
            model: &self.model,
            chunks: self.chunks,
            include_usage: self.include_usage && self.with_usage,
            usage_chunk: self.include_usage && self.with_usage,
        }
    }

    fn gemini(&self) -> GeminiEvent<'_> {
        GeminiEvent {
            model: &self.model,
            chunks: self.chunks,
            with_usage: self.with_usage,
        }
    }

    fn bedrock(&self) -> BedrockEvent {
        BedrockEvent {
            chunks: self.chunks,
            with_usage: self.with_usage,
        }
    }

    /// The content type of the stream's body.
    pub fn content_type(&self) -> &'static str {
        match self.family {
            StreamFamily::Bedrock
            | StreamFamily::BedrockInvoke
            | StreamFamily::ScriptedEventStream => "application/vnd.amazon.eventstream",
            StreamFamily::Ollama(_) => "application/x-ndjson",
            _ => "text/event-stream",
        }
    }

    fn ollama(&self, api: ollama::Api) -> OllamaEvent<'_> {
        OllamaEvent {
            api,
            model: &self.model,
            chunks: self.chunks,
            with_usage: self.with_usage,
        }
    }

    fn anthropic(&self) -> AnthropicEvent<'_> {
        AnthropicEvent {
            model: &self.model,
            chunks: self.chunks,
            with_usage: self.with_usage,
        }
    }

    pub fn count(&self) -> usize {
        match self.family {
            StreamFamily::Chat => self.openai(OpenAiStream::Chat).count(),
            StreamFamily::Text => self.openai(OpenAiStream::Text).count(),
            StreamFamily::Anthropic | StreamFamily::BedrockInvoke => self.anthropic().count(),
            StreamFamily::Gemini => self.gemini().count(),
            StreamFamily::Bedrock => self.bedrock().count(),
            StreamFamily::Ollama(api) => self.ollama(api).count(),
            StreamFamily::Scripted | StreamFamily::ScriptedEventStream => self.script.len(),
        }
    }

    /// Events sent before `/truncate` cuts the connection: half of the content.
    pub fn truncated_count(&self) -> usize {
        match self.family {
            StreamFamily::Chat
            | StreamFamily::Text
            | StreamFamily::Gemini
            | StreamFamily::Ollama(_) => self.chunks / 2,
            StreamFamily::Bedrock => 1 + self.chunks / 2,
            StreamFamily::Anthropic | StreamFamily::BedrockInvoke => {
                self.anthropic().truncated_count()
            }
            StreamFamily::Scripted | StreamFamily::ScriptedEventStream => self.script.len() / 2,
        }
    }

    pub fn render(&self, index: usize, out: &mut Vec<u8>) {
        match self.family {
            StreamFamily::Chat => self.openai(OpenAiStream::Chat).render(index, out),
            StreamFamily::Text => self.openai(OpenAiStream::Text).render(index, out),
            StreamFamily::Anthropic => self.anthropic().render(index, out),
            StreamFamily::Gemini => self.gemini().render(index, out),
            StreamFamily::Bedrock => self.bedrock().render(index, out),
            StreamFamily::Ollama(api) => self.ollama(api).render(index, out),
            StreamFamily::BedrockInvoke => {
                let mut event = Vec::with_capacity(256);
                self.anthropic().render(index, &mut event);
                bedrock::invoke_chunk(&event, self.with_usage, self.chunks, out);
            }
            StreamFamily::Scripted | StreamFamily::ScriptedEventStream => {
                out.extend_from_slice(&self.script[index])
            }
        }
    }
}

/// What to send back.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete JSON body.
    Full {
        status: u16,
        body: Vec<u8>,
    },
    /// An embeddings list rendered while it is written.
    Embeddings(EmbeddingBody),
    Stream(StreamReply),
    /// Close the connection without answering.
    Reset,
}

impl Reply {
    fn error(shape: ErrorShape, status: u16, message: &str) -> Self {
        let mut body = Vec::with_capacity(160);
        error_body(&mut body, shape, status, message);
        Self::Full { status, body }
    }
}

/// Plans the reply to a provider request (anything but `/__mock/*`); `flaky` counts the
/// requests of each `/flaky/{percent}` share.
pub fn plan(
    method: &str,
    target: &str,
    body: &[u8],
    options: &MockOptions,
    flaky: &FlakyCounts,
) -> (Reply, Faults) {
    let path = target.split('?').next().unwrap_or("");
    let (faults, rest) = match split_faults(path) {
        Ok((faults, rest)) => (faults.for_this_request(flaky), rest),
        Err(BadFault(keyword)) => {
            let message = format!("invalid mock fault prefix /{keyword}");
            return (
                Reply::error(ErrorShape::OpenAi, 400, &message),
                Faults::default(),
            );
        }
    };
    if faults.reset {
        return (Reply::Reset, faults);
    }
    let route = Route::from_path(rest);
    let shape = route.error_shape();
    if let Some(status) = faults.status {
        return (
            Reply::error(shape, status, &format!("mock error {status}")),
            faults,
        );
    }
    let reply = match route {
        Route::Unknown => Reply::error(shape, 404, &format!("mock: no route for {rest}")),
        Route::Models if method == "GET" => Reply::Full {
            status: 200,
            body: openai::MODEL_LIST.as_bytes().to_vec(),
        },
        Route::Models => Reply::error(shape, 405, "mock: use GET"),
        Route::StoredResponse => match super::responses::stored(rest)
            .ok_or("mock: no stored response named")
            .and_then(|(id, what)| super::responses::answer(method, id, what))
        {
            Ok(answer) => Reply::Full {
                status: 200,
                body: answer.to_string().into_bytes(),
            },
            Err(message) => Reply::error(shape, 405, message),
        },
        _ if method != "POST" => Reply::error(shape, 405, "mock: use POST"),
        Route::Responses => {
            match super::responses::create(body, options.stream_chunks, !faults.nousage) {
                Ok(reply) => reply,
                Err(message) => Reply::error(shape, 400, &message),
            }
        }
        // A fixed rule, so tests can predict it: a token per 4 bytes of the request body.
        Route::CountTokens => Reply::Full {
            status: 200,
            body: format!("{{\"input_tokens\":{}}}", body.len().div_ceil(4)).into_bytes(),
        },
        Route::BedrockCount => Reply::Full {
            status: 200,
            body: format!("{{\"inputTokens\":{}}}", body.len().div_ceil(4)).into_bytes(),
        },
        Route::Gemini(method) => gemini_reply(method, rest, body, &faults, options),
        Route::Ollama(api) => ollama_reply(api, body, &faults, options),
        Route::Converse(stream) => match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Err(error) => Reply::error(shape, 400, &format!("Malformed input request: {error}")),
            Ok(_) if stream => Reply::Stream(StreamReply {
                family: StreamFamily::Bedrock,
                model: String::new(),
                chunks: options.stream_chunks,
                include_usage: false,
                with_usage: !faults.nousage,
                script: Vec::new(),
            }),
            Ok(_) => {
                let mut out = Vec::with_capacity(256);
                bedrock::answer(&mut out, !faults.nousage);
                Reply::Full {
                    status: 200,
                    body: out,
                }
            }
        },
        Route::Invoke(stream) => invoke_reply(stream, rest, body, &faults, options),
        Route::Ocr => ocr_reply(body),
        Route::RawPredict(stream) => raw_predict_reply(stream, rest, body, &faults, options),
        // Bedrock's Rerank API shares the path's end with Cohere's and vLLM's.
        Route::Cohere(endpoint) => match (endpoint == super::cohere::Endpoint::Rerank)
            .then(|| bedrock::rerank_answer(body))
            .flatten()
        {
            Some(Ok(body)) => Reply::Full { status: 200, body },
            Some(Err(message)) => Reply::error(ErrorShape::Bedrock, 400, &message),
            None => cohere_reply(endpoint, body, &faults, options),
        },
        // Any grant gets a token (RFC 6749 §5.1's answer); the gateway's request is recorded.
        Route::OAuthToken => Reply::Full {
            status: 200,
            body:
                br#"{"access_token":"mock-access-token","expires_in":3599,"token_type":"Bearer"}"#
                    .to_vec(),
        },
        _ => api_reply(route, body, &faults, options),
    };
    (reply, faults)
}

/// Bedrock's Invoke: an embedding model's request gets its answer ([`bedrock::embedding_answer`]);
/// Claude's body must be one Bedrock takes (an `anthropic_version`, no `model` or `stream`)
/// and the answer is Anthropic's, for the path's model.
fn invoke_reply(
    stream: bool,
    path: &str,
    body: &[u8],
    faults: &Faults,
    options: &MockOptions,
) -> Reply {
    let shape = ErrorShape::Bedrock;
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(error) => {
            return Reply::error(shape, 400, &format!("Malformed input request: {error}"))
        }
    };
    if let Some(answer) = bedrock::embedding_answer(&value, path) {
        return Reply::Full {
            status: 200,
            body: answer,
        };
    }
    for key in ["model", "stream"] {
        if value.get(key).is_some() {
            return Reply::error(
                shape,
                400,
                &format!("Malformed input request: #: extraneous key [{key}] is not permitted, please reformat your input and try again."),
            );
        }
    }
    if value.get("anthropic_version").is_none() {
        return Reply::error(
            shape,
            400,
            "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.",
        );
    }
    let plain_model = bedrock::invoke_stream(path).map_or("", |(_, m)| m);
    claude_reply(
        stream,
        plain_model,
        body,
        faults,
        options,
        ClaudeStream::InvokeChunks,
    )
}

/// Which Vertex raw prediction a path names: `Some(stream)` for Anthropic's publisher.
fn raw_predict(path: &str) -> Option<bool> {
    let (head, method) = path.rsplit_once(':')?;
    let stream = match method {
        "rawPredict" => false,
        "streamRawPredict" => true,
        _ => return None,
    };
    head.contains("/publishers/anthropic/models/")
        .then_some(stream)
}

/// Claude on Vertex AI (the Vertex docs' "Use Claude models"): a body Vertex takes (its
/// `anthropic_version`, no `model`), answered as Anthropic answers, for the path's model.
fn raw_predict_reply(
    stream: bool,
    path: &str,
    body: &[u8],
    faults: &Faults,
    options: &MockOptions,
) -> Reply {
    let shape = ErrorShape::Anthropic;
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(error) => return Reply::error(shape, 400, &format!("invalid JSON: {error}")),
    };
    if value.get("model").is_some() {
        return Reply::error(shape, 400, "model: Extra inputs are not permitted");
    }
    if value.get("anthropic_version").and_then(|v| v.as_str()) != Some("vertex-2023-10-16") {
        return Reply::error(shape, 400, "anthropic_version: Field required");
    }
    let head = path.rsplit_once(':').map_or(path, |(h, _)| h);
    let plain_model = head.rsplit_once("/models/").map_or("", |(_, m)| m);
    claude_reply(
        stream,
        plain_model,
        body,
        faults,
        options,
        ClaudeStream::Sse,
    )
}

/// How a Claude reply's stream is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClaudeStream {
    /// Anthropic's server-sent events (Vertex AI's `:streamRawPredict`).
    Sse,
    /// Each event base64 in an AWS event-stream `chunk` message (Bedrock's Invoke stream).
    InvokeChunks,
}

/// Claude's answer in Anthropic's format for `plain_model`, whole or streamed: the body's
/// script when it carries one, else the mock's message.
fn claude_reply(
    stream: bool,
    plain_model: &str,
    body: &[u8],
    faults: &Faults,
    options: &MockOptions,
    framing: ClaudeStream,
) -> Reply {
    let with_usage = !faults.nousage;
    if let Some(script) = super::script::script(body) {
        if !stream {
            return Reply::Full {
                status: 200,
                body: script.message(plain_model),
            };
        }
        let events = script.events(plain_model);
        let (family, script) = match framing {
            ClaudeStream::Sse => (StreamFamily::Scripted, events),
            ClaudeStream::InvokeChunks => (
                StreamFamily::ScriptedEventStream,
                events
                    .iter()
                    .map(|e| {
                        let mut framed = Vec::with_capacity(e.len() * 2);
                        bedrock::invoke_chunk(e, with_usage, 0, &mut framed);
                        framed
                    })
                    .filter(|framed| !framed.is_empty())
                    .collect(),
            ),
        };
        return Reply::Stream(StreamReply {
            family,
            model: String::new(),
            chunks: 0,
            include_usage: false,
            with_usage,
            script,
        });
    }
    // The JSON string of the model, as the Anthropic answers echo it.
    let model = serde_json::Value::from(plain_model).to_string();
    if stream {
        return Reply::Stream(StreamReply {
            family: match framing {
                ClaudeStream::Sse => StreamFamily::Anthropic,
                ClaudeStream::InvokeChunks => StreamFamily::BedrockInvoke,
            },
            model,
            chunks: options.stream_chunks,
            include_usage: false,
            with_usage,
            script: Vec::new(),
        });
    }
    let mut out = Vec::with_capacity(512);
    anthropic::message(&mut out, &model, with_usage);
    Reply::Full {
        status: 200,
        body: out,
    }
}

fn cohere_reply(
    endpoint: super::cohere::Endpoint,
    body: &[u8],
    faults: &Faults,
    options: &MockOptions,
) -> Reply {
    use super::cohere::Answer;
    match super::cohere::answer(
        endpoint,
        body,
        options.stream_chunks,
        options.embed_dims,
        !faults.nousage,
    ) {
        Answer::Json(body) => Reply::Full { status: 200, body },
        Answer::Events(script) => Reply::Stream(StreamReply {
            family: StreamFamily::Scripted,
            model: String::new(),
            chunks: 0,
            include_usage: false,
            with_usage: !faults.nousage,
            script,
        }),
        Answer::Error(status, message) => Reply::error(ErrorShape::Cohere, status, &message),
    }
}

/// Mistral's OCR answer (https://docs.mistral.ai/api/#tag/ocr): one page whose markdown is
/// the mock text, for a body with a `model` and a `document` of a known type.
fn ocr_reply(body: &[u8]) -> Reply {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let kind = value.pointer("/document/type").and_then(|t| t.as_str());
    let (Some(model), Some("document_url" | "image_url")) =
        (value.get("model").and_then(|m| m.as_str()), kind)
    else {
        return Reply::error(
            ErrorShape::OpenAi,
            422,
            "mock: an OCR body needs a model and a document",
        );
    };
    let answer = serde_json::json!({
        "pages": [{"index": 0, "markdown": openai::CONTENT, "images": [],
                   "dimensions": {"dpi": 200, "height": 2200, "width": 1700}}],
        "model": model,
        "document_annotation": null,
        "usage_info": {"pages_processed": 1, "doc_size_bytes": body.len()},
    });
    Reply::Full {
        status: 200,
        body: answer.to_string().into_bytes(),
    }
}

/// The fields of a Gemini request the mock reads: `batchEmbedContents`' requests.
#[derive(Debug, Default, serde::Deserialize)]
struct GeminiRequest {
    #[serde(default)]
    requests: Option<Vec<GeminiEmbedRequest>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GeminiEmbedRequest {
    #[serde(default)]
    output_dimensionality: Option<u64>,
}

fn gemini_reply(
    method: gemini::Method,
    path: &str,
    body: &[u8],
    faults: &Faults,
    options: &MockOptions,
) -> Reply {
    let shape = ErrorShape::Gemini;
    let request: GeminiRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(error) => return Reply::error(shape, 400, &format!("Invalid JSON payload: {error}")),
    };
    let model = gemini::Method::from_path(path).map_or("", |(_, model)| model);
    if !matches!(
        method,
        gemini::Method::BatchEmbed | gemini::Method::CountTokens
    ) {
        if let Some(script) = super::script::script(body) {
            let answer = script.gemini_answer(model).to_string();
            if method == gemini::Method::Generate {
                return Reply::Full {
                    status: 200,
                    body: answer.into_bytes(),
                };
            }
            return Reply::Stream(StreamReply {
                family: StreamFamily::Scripted,
                model: String::new(),
                chunks: 0,
                include_usage: false,
                with_usage: true,
                script: vec![format!("data: {answer}\r\n\r\n").into_bytes()],
            });
        }
    }
    let model = serde_json::Value::from(model).to_string();
    let with_usage = !faults.nousage;
    match method {
        gemini::Method::Generate => {
            let mut out = Vec::with_capacity(512);
            gemini::generate(&mut out, &model, with_usage);
            Reply::Full {
                status: 200,
                body: out,
            }
        }
        gemini::Method::CountTokens => match gemini::count_answer(body) {
            Some(answer) => Reply::Full {
                status: 200,
                body: answer.into_bytes(),
            },
            None => Reply::error(shape, 400, "Invalid JSON payload: contents must be a list"),
        },
        gemini::Method::StreamGenerate => Reply::Stream(StreamReply {
            family: StreamFamily::Gemini,
            model,
            chunks: options.stream_chunks,
            include_usage: false,
            with_usage,
            script: Vec::new(),
        }),
        gemini::Method::BatchEmbed => {
            let requests = request.requests.unwrap_or_default();
            if requests.is_empty() {
                return Reply::error(
                    shape,
                    400,
                    "* BatchEmbedContentsRequest.requests: contents is not specified",
                );
            }
            let dims = requests[0]
                .output_dimensionality
                .unwrap_or(options.embed_dims as u64);
            if dims == 0 || dims > MAX_DIMS as u64 {
                let message = format!("outputDimensionality must be between 1 and {MAX_DIMS}");
                return Reply::error(shape, 400, &message);
            }
            Reply::Embeddings(EmbeddingBody {
                model,
                batch: requests.len(),
                dims: dims as usize,
                base64: false,
                with_usage,
                gemini: true,
            })
        }
    }
}

/// The fields of an Ollama request the mock reads.
#[derive(Debug, Default, serde::Deserialize)]
struct OllamaRequest {
    model: Option<String>,
    /// Ollama streams unless told not to.
    stream: Option<bool>,
    input: Option<serde_json::Value>,
    /// `/api/embed`'s output size.
    dimensions: Option<usize>,
}

fn ollama_reply(api: ollama::Api, body: &[u8], faults: &Faults, options: &MockOptions) -> Reply {
    let shape = ErrorShape::Ollama;
    let request: OllamaRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(error) => return Reply::error(shape, 400, &format!("invalid JSON: {error}")),
    };
    let Some(model) = request.model.filter(|m| !m.is_empty()) else {
        return Reply::error(shape, 400, "model is required");
    };
    let stream = request.stream.unwrap_or(true);
    if api == ollama::Api::Chat {
        if let Some(script) = super::script::script(body) {
            if !stream {
                return Reply::Full {
                    status: 200,
                    body: script.ollama_answer(&model).to_string().into_bytes(),
                };
            }
            return Reply::Stream(StreamReply {
                family: StreamFamily::Scripted,
                model: String::new(),
                chunks: 0,
                include_usage: false,
                with_usage: true,
                script: script.ollama_lines(&model),
            });
        }
    }
    let model = serde_json::Value::from(model).to_string();
    let with_usage = !faults.nousage;
    let mut out = Vec::with_capacity(512);
    match api {
        ollama::Api::Embed => {
            let batch = match request.input {
                Some(serde_json::Value::String(_)) => 1,
                Some(serde_json::Value::Array(items)) if !items.is_empty() => items.len(),
                _ => return Reply::error(shape, 400, "invalid input type"),
            };
            let dims = request.dimensions.unwrap_or(options.embed_dims);
            if dims == 0 || dims > MAX_DIMS {
                return Reply::error(shape, 400, "dimensions out of range");
            }
            ollama::embeddings(&mut out, &model, batch, dims, with_usage);
        }
        _ if stream => {
            return Reply::Stream(StreamReply {
                family: StreamFamily::Ollama(api),
                model,
                chunks: options.stream_chunks,
                include_usage: false,
                with_usage,
                script: Vec::new(),
            })
        }
        _ => ollama::answer(&mut out, api, &model, with_usage),
    }
    Reply::Full {
        status: 200,
        body: out,
    }
}

fn api_reply(route: Route, body: &[u8], faults: &Faults, options: &MockOptions) -> Reply {
    let shape = route.error_shape();
    let request = match ApiRequest::parse(body) {
        Ok(request) => request,
        Err(error) => return Reply::error(shape, 400, &format!("invalid JSON body: {error}")),
    };
    let Some(model) = request.model.as_deref() else {
        return Reply::error(shape, 400, "you must provide a model parameter");
    };
    if matches!(route, Route::Messages | Route::ChatCompletions) {
        if let Some(script) = super::script::script(body) {
            let chat = route == Route::ChatCompletions;
            if !request.streams() {
                let body = if chat {
                    script.chat_message(model)
                } else {
                    script.message(model)
                };
                return Reply::Full { status: 200, body };
            }
            let events = if chat {
                script.chat_events(model, request.include_usage())
            } else {
                script.events(model)
            };
            return Reply::Stream(StreamReply {
                family: StreamFamily::Scripted,
                model: String::new(),
                chunks: 0,
                include_usage: false,
                with_usage: true,
                script: events,
            });
        }
    }
    let model = serde_json::Value::from(model).to_string();
    let with_usage = !faults.nousage;
    let family = match route {
        Route::ChatCompletions => StreamFamily::Chat,
        Route::Completions => StreamFamily::Text,
        Route::Messages => StreamFamily::Anthropic,
        _ => return embeddings_reply(&request, model, with_usage, options),
    };
    if request.streams() {
        return Reply::Stream(StreamReply {
            family,
            model,
            chunks: options.stream_chunks,
            include_usage: request.include_usage(),
            with_usage,
            script: Vec::new(),
        });
    }
    let mut out = Vec::with_capacity(512);
    match family {
        StreamFamily::Chat => {
            let tier = request.service_tier.as_ref().map(|t| t.to_string());
            openai::chat_completion(&mut out, &model, with_usage, tier.as_deref())
        }
        StreamFamily::Text => openai::text_completion(&mut out, &model, with_usage),
        StreamFamily::Anthropic => anthropic::message(&mut out, &model, with_usage),
        StreamFamily::Gemini
        | StreamFamily::Bedrock
        | StreamFamily::Ollama(_)
        | StreamFamily::BedrockInvoke
        | StreamFamily::Scripted
        | StreamFamily::ScriptedEventStream => {}
    }
    Reply::Full {
        status: 200,
        body: out,
    }
}

fn embeddings_reply(
    request: &ApiRequest,
    model: String,
    with_usage: bool,
    options: &MockOptions,
) -> Reply {
    let batch = match request.input {
        None => return Reply::error(ErrorShape::OpenAi, 400, "'input' is a required property"),
        Some(input) if input.0 == 0 => {
            return Reply::error(ErrorShape::OpenAi, 400, "'input' cannot be an empty array")
        }
        Some(input) => input.0,
    };
    let dims = request
        .dimensions
        .map_or(options.embed_dims as u64, |dims| dims);
    if dims == 0 || dims > MAX_DIMS as u64 {
        let message = format!("'dimensions' must be between 1 and {MAX_DIMS}");
        return Reply::error(ErrorShape::OpenAi, 400, &message);
    }
    Reply::Embeddings(EmbeddingBody {
        model,
        batch,
        dims: dims as usize,
        base64: request.encoding_format.as_deref() == Some("base64"),
        with_usage,
        gemini: false,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn status_of(reply: &Reply) -> u16 {
        match reply {
            Reply::Full { status, .. } => *status,
            _ => 200,
        }
    }

    #[test]
    fn routes_on_suffix() {
        assert_eq!(
            Route::from_path("/openai/deployments/x/chat/completions"),
            Route::ChatCompletions
        );
        assert_eq!(Route::from_path("/v1/completions"), Route::Completions);
        assert_eq!(Route::from_path("/embeddings"), Route::Embeddings);
        assert_eq!(Route::from_path("/v1/messages"), Route::Messages);
        assert_eq!(Route::from_path("/v1/models"), Route::Models);
        assert_eq!(Route::from_path("/v1/chat"), Route::Unknown);
        assert_eq!(Route::from_path("/token"), Route::OAuthToken);
        assert_eq!(Route::from_path("/x/token"), Route::Unknown);
    }

    #[test]
    fn plans_errors_and_faults() {
        let options = MockOptions::default();
        let chat = br#"{"model":"m","messages":[]}"#;
        let (reply, _) = plan(
            "POST",
            "/status/503/v1/chat/completions",
            chat,
            &options,
            &FlakyCounts::default(),
        );
        assert_eq!(status_of(&reply), 503);
        let (reply, faults) = plan(
            "POST",
            "/reset/v1/chat/completions",
            chat,
            &options,
            &FlakyCounts::default(),
        );
        assert!(matches!(reply, Reply::Reset) && faults.reset);
        let (reply, _) = plan(
            "POST",
            "/v1/chat/completions",
            b"{",
            &options,
            &FlakyCounts::default(),
        );
        assert_eq!(status_of(&reply), 400);
        let (reply, _) = plan(
            "POST",
            "/v1/chat/completions",
            b"{}",
            &options,
            &FlakyCounts::default(),
        );
        assert_eq!(status_of(&reply), 400);
        let (reply, _) = plan(
            "GET",
            "/v1/chat/completions",
            b"",
            &options,
            &FlakyCounts::default(),
        );
        assert_eq!(status_of(&reply), 405);
        let (reply, _) = plan("GET", "/nope?x=1", b"", &options, &FlakyCounts::default());
        assert_eq!(status_of(&reply), 404);
        let (reply, _) = plan(
            "GET",
            "/delay/x/v1/models",
            b"",
            &options,
            &FlakyCounts::default(),
        );
        assert_eq!(status_of(&reply), 400);
    }

    #[test]
    fn flaky_prefix_fails_its_share_in_the_route_shape() {
        let options = MockOptions::default();
        let flaky = FlakyCounts::default();
        let chat = br#"{"model":"m","messages":[]}"#;
        let statuses: Vec<u16> = (0..4)
            .map(|_| {
                status_of(
                    &plan(
                        "POST",
                        "/flaky/50/v1/chat/completions",
                        chat,
                        &options,
                        &flaky,
                    )
                    .0,
                )
            })
            .collect();
        assert_eq!(statuses, [200, 500, 200, 500]);
        let (reply, _) = plan(
            "POST",
            "/flaky/100/status/529/v1/messages",
            b"{}",
            &options,
            &flaky,
        );
        let Reply::Full { status: 529, body } = reply else {
            panic!("not an error")
        };
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["error"]["type"], "overloaded_error");
        let (reply, faults) = plan(
            "POST",
            "/flaky/0/reset/v1/chat/completions",
            chat,
            &options,
            &flaky,
        );
        assert_eq!(status_of(&reply), 200);
        assert!(!faults.reset);
    }

    #[test]
    fn plans_embeddings_shape() {
        let options = MockOptions::default();
        let body = br#"{"model":"e","input":["a","b"],"dimensions":8,"encoding_format":"base64"}"#;
        let (reply, _) = plan(
            "POST",
            "/v1/embeddings",
            body,
            &options,
            &FlakyCounts::default(),
        );
        let Reply::Embeddings(spec) = reply else {
            panic!("not embeddings")
        };
        assert_eq!((spec.batch, spec.dims, spec.base64), (2, 8, true));
        let (reply, _) = plan(
            "POST",
            "/v1/embeddings",
            br#"{"model":"e","input":"a"}"#,
            &options,
            &FlakyCounts::default(),
        );
        let Reply::Embeddings(spec) = reply else {
            panic!("not embeddings")
        };
        assert_eq!((spec.batch, spec.dims), (1, 1536));
        let bad = br#"{"model":"e","input":[],"dimensions":0}"#;
        assert_eq!(
            status_of(
                &plan(
                    "POST",
                    "/v1/embeddings",
                    bad,
                    &options,
                    &FlakyCounts::default()
                )
                .0
            ),
            400
        );
    }

    #[test]
    fn gemini_routes_answer_in_gemini_shapes() {
        let options = MockOptions::default();
        let chat = br#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#;
        let path = "/v1beta/models/gemini-2.5-flash:generateContent";
        let (reply, _) = plan("POST", path, chat, &options, &FlakyCounts::default());
        let Reply::Full { status: 200, body } = reply else {
            panic!("not an answer")
        };
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["modelVersion"], "gemini-2.5-flash");
        let path = "/v1beta/models/g:streamGenerateContent?alt=sse";
        let (reply, _) = plan("POST", path, chat, &options, &FlakyCounts::default());
        assert!(matches!(
            reply,
            Reply::Stream(StreamReply {
                family: StreamFamily::Gemini,
                ..
            })
        ));
        let embed = br#"{"requests":[{"model":"models/e","content":{"parts":[{"text":"a"}]},"outputDimensionality":4},{"content":{"parts":[]}}]}"#;
        let (reply, _) = plan(
            "POST",
            "/models/e:batchEmbedContents",
            embed,
            &options,
            &FlakyCounts::default(),
        );
        let Reply::Embeddings(spec) = reply else {
            panic!("not embeddings")
        };
        assert_eq!((spec.batch, spec.dims, spec.gemini), (2, 4, true));
        let (reply, _) = plan(
            "POST",
            "/status/429/models/g:generateContent",
            chat,
            &options,
            &FlakyCounts::default(),
        );
        let Reply::Full { status: 429, body } = reply else {
            panic!("not an error")
        };
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["error"]["status"], "RESOURCE_EXHAUSTED");
        let (reply, _) = plan(
            "POST",
            "/models/e:batchEmbedContents",
            b"{}",
            &options,
            &FlakyCounts::default(),
        );
        assert_eq!(status_of(&reply), 400);
    }

    #[test]
    fn anthropic_route_uses_anthropic_errors() {
        let options = MockOptions::default();
        let (reply, _) = plan(
            "POST",
            "/status/429/v1/messages",
            b"{}",
            &options,
            &FlakyCounts::default(),
        );
        let Reply::Full { body, .. } = reply else {
            panic!("not full")
        };
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["error"]["type"], "rate_limit_error");
        assert_eq!(value["error"]["message"], "mock error 429");
    }
}
