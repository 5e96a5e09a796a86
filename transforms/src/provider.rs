//! Providers as rows of one static table (STYLE.md "row -> hook -> family"), LiteLLM's
//! `provider/model` routing over it, and the upstream request head a row's family writes.

use crate::params::{rows, ParamRules};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwap;

/// Wire family of a provider: the closed set of request/response shapes. Matched
/// exhaustively at the dispatch sites in [`crate::family`], so a new family shows every place
/// it must be handled. Variations within a family (Azure's deployment path) are row fields,
/// not families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// OpenAI's wire format: `/chat/completions`, `/completions`, `/embeddings`, SSE streams.
    OpenAi,
    /// Anthropic's Messages API (`/v1/messages`); chat completions are translated both ways
    /// ([`crate::anthropic`]).
    Anthropic,
    /// Google's Gemini API (`models/{model}:generateContent`, `:streamGenerateContent`,
    /// `:batchEmbedContents`); chat completions and embeddings are translated both ways
    /// ([`crate::gemini`]).
    Gemini,
    /// Amazon Bedrock's Converse API (`/model/{id}/converse`, `/converse-stream` with AWS
    /// event-stream framing); chat completions are translated both ways ([`crate::bedrock`]),
    /// and `/v1/messages` through a chat completion.
    Bedrock,
    /// Claude on Amazon Bedrock: chat completions through Converse as [`Family::Bedrock`],
    /// `/v1/messages` in Anthropic's format through the Invoke API
    /// ([`crate::bedrock::invoke`]). [`resolve`] picks it for a Claude model of `bedrock/`.
    BedrockClaude,
    /// Claude on Vertex AI: Anthropic's Messages format through `rawPredict`, with Google's
    /// token ([`crate::anthropic::vertex`]). [`resolve`] picks it for a Claude model of
    /// `vertex_ai/`.
    VertexClaude,
    /// Embedding models on Amazon Bedrock's Invoke API (Titan, Cohere;
    /// [`crate::bedrock::embed`]). [`resolve`] picks it for an embedding model of `bedrock/`.
    BedrockEmbed,
    /// Bedrock's rerank models on its Rerank API (`bedrock-agent-runtime`'s `/rerank`).
    BedrockRerank,
    /// Ollama's native `/api/generate` (`ollama/`): chat completions flattened into a prompt,
    /// text completions, and `/api/embed`; NDJSON streams ([`crate::ollama`]).
    Ollama,
    /// Ollama's native `/api/chat` (`ollama_chat/`); NDJSON streams ([`crate::ollama`]).
    OllamaChat,
    /// Cohere's v2 API (`/v2/chat`, `/v2/embed`, `/v2/rerank`); chat completions, embeddings
    /// and rerank are translated both ways ([`crate::cohere`]).
    Cohere,
    /// Cohere for LiteLLM's `cohere_chat` provider: as [`Family::Cohere`], with its name in
    /// LiteLLM's messages. [`resolve`] picks it for `cohere_chat/` and for the `cohere/` models
    /// LiteLLM files under `cohere_chat`.
    CohereChat,
}

/// How the provider key travels upstream, applied per request by [`write_auth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The key as the whole value of the named header.
    Header(&'static str),
    /// `Authorization: Bearer <access token>`, the token minted from Google credentials and
    /// refreshed off the cores ([`Credentials::token`]).
    GoogleOAuth,
    /// AWS Signature Version 4 over each request ([`Credentials::aws`]), or a Bedrock API
    /// key as a bearer token when one is configured.
    SigV4,
    None,
}

/// How a row addresses an endpoint under its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStyle {
    /// `<base>/chat/completions`.
    Plain,
    /// Azure OpenAI: `<base>/openai/deployments/<model>/chat/completions?api-version=<v>`.
    AzureDeployment,
    /// Gemini (AI Studio): `<base>/models/<model>:generateContent`,
    /// `:streamGenerateContent?alt=sse` or `:batchEmbedContents`.
    GeminiModels,
    /// Vertex AI: `<base>/publishers/google/models/<model>:<method>`, or
    /// `<base>/endpoints/<id>:<method>` for a tuned model's numeric id; the base is
    /// `/<version>/projects/<project>/locations/<location>`.
    Vertex,
    /// Bedrock: `<base>/model/<model id>/converse` or `/converse-stream`.
    BedrockModel,
    /// Ollama's native API: `<base>/api/chat`, `/api/generate` or `/api/embed`.
    OllamaApi,
    /// Cohere: chat and embeddings post to the api_base as given (LiteLLM appends nothing),
    /// Cohere's own host getting `/v2/chat` or `/v2/embed`; rerank appends `/v2/rerank`.
    Cohere,
}

/// A deployment's credentials, resolved at start-up from `litellm_params` and the env. Auth
/// styles that sign or mint tokens (SigV4, OAuth) add their fields here; the time they need
/// comes in per request.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub api_key: Option<String>,
    /// The access token of [`Auth::GoogleOAuth`], kept fresh by a refresher off the cores.
    pub token: Option<Arc<RefreshedToken>>,
    /// The signing identity and region of [`Auth::SigV4`].
    pub aws: Option<Arc<crate::bedrock::head::AwsSigning>>,
}

/// A credential minted and refreshed away from the request path (Vertex AI's OAuth access
/// token): the refresher stores a new state, requests load the current one without a lock.
#[derive(Debug)]
pub struct RefreshedToken(ArcSwap<TokenState>);

/// What a request finds in a [`RefreshedToken`].
#[derive(Clone, PartialEq, Eq)]
pub enum TokenState {
    /// Not minted yet.
    Pending,
    /// A token, valid until `expires`.
    Ready { token: String, expires: Instant },
    /// No valid token: why (the last minting error, or a configuration problem).
    Failed(String),
}

impl TokenState {
    /// The token, if there is one still valid at `now`.
    pub fn valid_at(&self, now: Instant) -> Option<&str> {
        match self {
            TokenState::Ready { token, expires } if now < *expires => Some(token),
            _ => None,
        }
    }
}

impl std::fmt::Debug for TokenState {
    // The token itself never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenState::Pending => f.write_str("Pending"),
            TokenState::Ready { expires, .. } => write!(f, "Ready(expires {expires:?})"),
            TokenState::Failed(why) => write!(f, "Failed({why})"),
        }
    }
}

impl RefreshedToken {
    pub fn new(state: TokenState) -> Self {
        RefreshedToken(ArcSwap::from_pointee(state))
    }

    pub fn load(&self) -> arc_swap::Guard<Arc<TokenState>> {
        self.0.load()
    }

    pub fn store(&self, state: TokenState) {
        self.0.store(Arc::new(state));
    }
}

/// What one upstream request is: everything the head needs besides the row and credentials.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamTarget<'a> {
    pub endpoint: Endpoint,
    /// The provider's model id (the row's prefix stripped).
    pub provider_model: &'a str,
    /// `litellm_params.api_version` (Azure).
    pub api_version: Option<&'a str>,
    /// Path prefix of the api_base, no trailing slash (see [`base_path`]).
    pub base_path: &'a str,
    /// The `Host` header value.
    pub host: &'a str,
    pub stream: bool,
    pub body_len: usize,
    /// The body, for auth styles that sign it (empty when it is sent from a file).
    pub body: &'a [u8],
    /// The request's time, for auth styles that sign.
    pub now: SystemTime,
    /// The client's `anthropic-beta` header, forwarded on its `/v1/messages` requests.
    pub anthropic_beta: Option<&'a str>,
    /// The provider's id of a stored response ([`Endpoint::Response`]).
    pub response_id: Option<&'a str>,
}

/// OpenAI-compatible endpoints a row may serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    ChatCompletions,
    Completions,
    Embeddings,
    /// Anthropic's Messages API (`/v1/messages`).
    Messages,
    /// Anthropic's token counting for a Messages request (`/v1/messages/count_tokens`).
    CountTokens,
    /// Mistral's OCR API (`/v1/ocr`).
    Ocr,
    /// Cohere's rerank API (`/rerank`, `/v1/rerank`, `/v2/rerank`).
    Rerank,
    /// OpenAI's Responses API (`POST /v1/responses`).
    Responses,
    /// A stored response of the Responses API (`/v1/responses/{id}`), served by the rows
    /// that list [`Endpoint::Responses`]; the id is [`UpstreamTarget::response_id`].
    Response(ResponseOp),
}

/// What a request names a stored response for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseOp {
    /// `GET /v1/responses/{id}`.
    Get,
    /// `DELETE /v1/responses/{id}`.
    Delete,
    /// `GET /v1/responses/{id}/input_items`.
    InputItems,
    /// `POST /v1/responses/{id}/cancel`.
    Cancel,
}

impl ResponseOp {
    /// The request method upstream.
    pub fn method(self) -> &'static str {
        match self {
            ResponseOp::Get | ResponseOp::InputItems => "GET",
            ResponseOp::Delete => "DELETE",
            ResponseOp::Cancel => "POST",
        }
    }

    /// What follows `/responses/{id}` upstream: LiteLLM asks for its default page of input
    /// items (`limit=20&order=desc`) whatever the client's query.
    fn suffix(self) -> (&'static str, &'static str) {
        match self {
            ResponseOp::Get | ResponseOp::Delete => ("", ""),
            ResponseOp::InputItems => ("/input_items", "limit=20&order=desc"),
            ResponseOp::Cancel => ("/cancel", ""),
        }
    }
}

impl Endpoint {
    /// The endpoints of OpenAI's wire format.
    pub const OPENAI_FORMAT: [Endpoint; 3] = [
        Endpoint::ChatCompletions,
        Endpoint::Completions,
        Endpoint::Embeddings,
    ];

    /// The endpoint's path: under an OpenAI-compatible base for the OpenAI-format ones, from
    /// the root for Messages.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "/chat/completions",
            Endpoint::Completions => "/completions",
            Endpoint::Embeddings => "/embeddings",
            Endpoint::Messages => "/v1/messages",
            Endpoint::CountTokens => "/v1/messages/count_tokens",
            Endpoint::Ocr => "/ocr",
            Endpoint::Rerank => "/rerank",
            Endpoint::Responses | Endpoint::Response(_) => "/responses",
        }
    }

    /// The request method upstream.
    pub fn method(self) -> &'static str {
        match self {
            Endpoint::Response(op) => op.method(),
            _ => "POST",
        }
    }

    /// The endpoint a row lists to serve this one.
    pub fn listed_as(self) -> Endpoint {
        match self {
            Endpoint::Response(_) => Endpoint::Responses,
            e => e,
        }
    }

    /// The route name LiteLLM puts before its request errors (`ROUTE_ENDPOINT_MAPPING`).
    pub fn route_name(self) -> &'static str {
        match self {
            Endpoint::Messages | Endpoint::CountTokens => "anthropic_messages",
            e => e.path(),
        }
    }
}

/// One provider. Bases and env names are LiteLLM's (`get_llm_provider_logic.py` and each
/// provider's `_get_openai_compatible_provider_info`), so an existing LiteLLM env works.
#[derive(Debug)]
pub struct ProviderRow {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub family: Family,
    /// Default base URL; "" only where the base is built per deployment (azure: per resource;
    /// vertex_ai: per project and location).
    pub api_base: &'static str,
    /// Env vars that override the base, first set wins; empty where LiteLLM reads none (the
    /// base is then `api_base` or the default).
    pub base_env: &'static [&'static str],
    /// Env vars holding the key, first set wins.
    pub key_env: &'static [&'static str],
    pub auth: Auth,
    pub key_required: bool,
    pub endpoints: &'static [Endpoint],
    pub path: PathStyle,
    /// Appended to a base whose path does not already end with it (Docker Model Runner: users
    /// give the engine's address, its OpenAI-compatible API lives under `/v1`).
    pub base_suffix: Option<&'static str>,
    /// Whose shape an OpenAI-format row's `/rerank` speaks, where it lists [`Endpoint::Rerank`].
    pub rerank: crate::rerank::Flavor,
    /// What an OpenAI-format row does with the OpenAI chat parameters.
    pub params: ParamRules,
    /// How the provider names a model in a request body ([`wire_model`]).
    pub wire_model: WireModel,
    /// Whose embeddings API an OpenAI-format row's `/embeddings` speaks.
    pub embeddings: Embeddings,
    /// How an OpenAI-format row's error answers are mapped.
    pub errors: Errors,
}

/// How LiteLLM maps an OpenAI-format row's error answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Errors {
    /// Its mapping for OpenAI-compatible providers ([`crate::error::write_upstream_message`]).
    OpenAi,
    /// Its Azure mapping ([`crate::error::write_azure_upstream_message`]).
    Azure,
}

/// Whose embeddings API an OpenAI-format row speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embeddings {
    OpenAi,
    /// Voyage AI's: its parameter names and its usage ([`crate::voyage`]).
    Voyage,
}

/// How a provider names a model in a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireModel {
    /// As configured (after the provider's prefix).
    AsConfigured,
    /// Fireworks AI's resource name (`accounts/fireworks/models/<name>`) on every route but
    /// embeddings: LiteLLM's `resolve_fireworks_resource_name`
    /// (litellm/llms/fireworks_ai/common_utils.py) in its chat, completion and Responses
    /// transforms.
    FireworksResource,
}

/// The model as `row` names it in the body of an `endpoint` request, for the configured
/// `model` (after the provider's prefix).
pub fn wire_model<'m>(
    row: &ProviderRow,
    endpoint: Endpoint,
    model: &'m str,
) -> std::borrow::Cow<'m, str> {
    use std::borrow::Cow;
    match row.wire_model {
        WireModel::AsConfigured => Cow::Borrowed(model),
        WireModel::FireworksResource if endpoint == Endpoint::Embeddings => Cow::Borrowed(model),
        WireModel::FireworksResource => {
            if model.starts_with("accounts/") || model.starts_with("FW-") || model.contains('#') {
                Cow::Borrowed(model)
            } else if model.starts_with("routers/") || model.starts_with("models/") {
                Cow::Owned(format!("accounts/fireworks/{model}"))
            } else if model.ends_with("-fast")
                || matches!(model, "firerouter" | "auto" | "auto-instant")
                || model.starts_with("firerouter/")
            {
                Cow::Owned(format!("accounts/fireworks/routers/{model}"))
            } else {
                Cow::Owned(format!("accounts/fireworks/models/{model}"))
            }
        }
    }
}

/// Why [`resolve`] found no row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownProvider {
    /// A provider LiteLLM routes to that corelane does not implement yet: it is refused,
    /// never guessed.
    Unsupported(&'static str),
    /// `custom_llm_provider` names no provider LiteLLM knows either.
    Unknown,
}

/// LiteLLM's default `api-version` for Azure OpenAI (`litellm.AZURE_DEFAULT_API_VERSION`).
pub const AZURE_DEFAULT_API_VERSION: &str = "2025-02-01-preview";

const ALL: &[Endpoint] = &Endpoint::OPENAI_FORMAT;
const CHAT: &[Endpoint] = &[Endpoint::ChatCompletions];
/// The OpenAI-format endpoints and the Responses API.
const ALL_AND_RESPONSES: &[Endpoint] = &[
    Endpoint::ChatCompletions,
    Endpoint::Completions,
    Endpoint::Embeddings,
    Endpoint::Responses,
];
const CHAT_AND_RESPONSES: &[Endpoint] = &[Endpoint::ChatCompletions, Endpoint::Responses];
const CHAT_EMBED_RESPONSES: &[Endpoint] = &[
    Endpoint::ChatCompletions,
    Endpoint::Embeddings,
    Endpoint::Responses,
];
const CHAT_MESSAGES: &[Endpoint] = &[
    Endpoint::ChatCompletions,
    Endpoint::Messages,
    Endpoint::CountTokens,
];
const CHAT_EMBED: &[Endpoint] = &[Endpoint::ChatCompletions, Endpoint::Embeddings];
const CHAT_EMBED_OCR: &[Endpoint] = &[
    Endpoint::ChatCompletions,
    Endpoint::Embeddings,
    Endpoint::Ocr,
];
/// Chat, Messages and the provider's own token counting (Bedrock, Claude on Vertex AI).
const CHAT_MESSAGES_COUNT: &[Endpoint] = &[
    Endpoint::ChatCompletions,
    Endpoint::Messages,
    Endpoint::CountTokens,
];
const CHAT_TEXT: &[Endpoint] = &[Endpoint::ChatCompletions, Endpoint::Completions];
const EMBED: &[Endpoint] = &[Endpoint::Embeddings];
const RERANK: &[Endpoint] = &[Endpoint::Rerank];
const EMBED_AND_RERANK: &[Endpoint] = &[Endpoint::Embeddings, Endpoint::Rerank];
/// hosted_vllm: its OpenAI-compatible API, vLLM's `/rerank` in Cohere's shape, and the
/// Responses API.
const ALL_AND_RERANK: &[Endpoint] = &[
    Endpoint::ChatCompletions,
    Endpoint::Completions,
    Endpoint::Embeddings,
    Endpoint::Rerank,
    Endpoint::Responses,
];
const CHAT_EMBED_RERANK: &[Endpoint] = &[
    Endpoint::ChatCompletions,
    Endpoint::Embeddings,
    Endpoint::Rerank,
];

/// Cohere (v2): litellm/main.py `_complete_cohere_chat` (COHERE_API_BASE, the key from
/// COHERE_API_KEY or CO_API_KEY, sent only when there is one), llms/cohere/common_utils.py
/// (headers), embed/transformation.py, rerank_v2/transformation.py.
const COHERE: ProviderRow = ProviderRow {
    name: "cohere",
    aliases: &[],
    family: Family::Cohere,
    api_base: crate::cohere::head::DEFAULT_BASE,
    base_env: &["COHERE_API_BASE"],
    key_env: &["COHERE_API_KEY", "CO_API_KEY"],
    auth: Auth::Bearer,
    key_required: false,
    endpoints: CHAT_EMBED_RERANK,
    path: PathStyle::Cohere,
    base_suffix: None,
    rerank: crate::rerank::Flavor::HostedVllm,
    params: ParamRules::OPENAI,
    wire_model: WireModel::AsConfigured,
    embeddings: Embeddings::OpenAi,
    errors: Errors::OpenAi,
};

const fn openai_like(
    name: &'static str,
    aliases: &'static [&'static str],
    api_base: &'static str,
    base_env: &'static [&'static str],
    key_env: &'static [&'static str],
    key_required: bool,
    endpoints: &'static [Endpoint],
) -> ProviderRow {
    ProviderRow {
        name,
        aliases,
        family: Family::OpenAi,
        api_base,
        base_env,
        key_env,
        auth: Auth::Bearer,
        key_required,
        endpoints,
        path: PathStyle::Plain,
        base_suffix: None,
        rerank: crate::rerank::Flavor::HostedVllm,
        params: ParamRules::OPENAI,
        wire_model: WireModel::AsConfigured,
        embeddings: Embeddings::OpenAi,
        errors: Errors::OpenAi,
    }
}

// litellm/main.py `_resolve_openai_api_base`: OPENAI_BASE_URL before OPENAI_API_BASE.
const OPENAI: ProviderRow = ProviderRow {
    params: rows::OPENAI_OWN,
    ..openai_like(
        "openai",
        &["custom_openai", "text-completion-openai", "aiohttp_openai"],
        "https://api.openai.com/v1",
        &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
        &["OPENAI_API_KEY"],
        true,
        ALL_AND_RESPONSES,
    )
};

const AZURE: ProviderRow = ProviderRow {
    name: "azure",
    aliases: &["azure_text"],
    family: Family::OpenAi,
    api_base: "",
    base_env: &["AZURE_API_BASE"],
    key_env: &["AZURE_API_KEY"],
    auth: Auth::Header("api-key"),
    key_required: true,
    endpoints: ALL_AND_RESPONSES,
    path: PathStyle::AzureDeployment,
    base_suffix: None,
    rerank: crate::rerank::Flavor::HostedVllm,
    params: rows::AZURE,
    wire_model: WireModel::AsConfigured,
    embeddings: Embeddings::OpenAi,
    errors: Errors::Azure,
};

/// The `openai` row without `/completions`, for the deployments whose text completions
/// LiteLLM sends as chat completions ([`text_through_chat`]).
const OPENAI_CHAT: ProviderRow = ProviderRow {
    endpoints: CHAT_EMBED_RESPONSES,
    ..OPENAI
};

/// Which of OpenAI's model series a model is: LiteLLM picks an `openai/` model's chat config
/// by its name (`ProviderConfigManager.get_provider_chat_config`), and the GPT-5 sampling
/// rules by the model's reasoning levels in its cost map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenAiSeries {
    Other,
    /// `o` and a digit, among LiteLLM's OpenAI chat models (`OpenAIOSeriesConfig`).
    O,
    /// `gpt-5` or `gpt-6` in the name, not `gpt-5-chat` (`OpenAIGPT5Config`), without a
    /// `none` reasoning effort in the cost map (unknown names included). Its search models,
    /// which LiteLLM gives a table of their own, are left as [`OpenAiSeries::Other`].
    Gpt5,
    /// A GPT-5 model with a `none` reasoning effort.
    Gpt5NoneLevel,
    /// A GPT-5 model whose default reasoning effort is `none`.
    Gpt5NoneDefault,
}

impl OpenAiSeries {
    /// Every series, in the order of [`OPENAI_ROWS`].
    const ALL: [OpenAiSeries; 5] = [
        OpenAiSeries::Other,
        OpenAiSeries::O,
        OpenAiSeries::Gpt5,
        OpenAiSeries::Gpt5NoneLevel,
        OpenAiSeries::Gpt5NoneDefault,
    ];

    pub fn of(model: &str) -> OpenAiSeries {
        let name = model.rsplit('/').next().unwrap_or(model);
        let b = name.as_bytes();
        if b.len() > 1 && b[0] == b'o' && b[1].is_ascii_digit() && is_openai_chat_model(name) {
            OpenAiSeries::O
        } else if (model.contains("gpt-5") || model.contains("gpt-6"))
            && !name.contains("gpt-5-chat")
            && !(model.contains("gpt-5") && model.contains("search"))
        {
            match none_effort(model) {
                None => OpenAiSeries::Gpt5,
                Some(false) => OpenAiSeries::Gpt5NoneLevel,
                Some(true) => OpenAiSeries::Gpt5NoneDefault,
            }
        } else {
            OpenAiSeries::Other
        }
    }

    const fn params(self, base: ParamRules) -> ParamRules {
        use crate::params::NoneLevel;
        match self {
            OpenAiSeries::Other => base,
            OpenAiSeries::O => rows::o_series(base),
            OpenAiSeries::Gpt5 => rows::gpt_5(base, NoneLevel::Unsupported),
            OpenAiSeries::Gpt5NoneLevel => rows::gpt_5(base, NoneLevel::Supported),
            OpenAiSeries::Gpt5NoneDefault => rows::gpt_5(base, NoneLevel::Default),
        }
    }
}

/// LiteLLM 1.108.7's OpenAI models with a `none` reasoning effort (scripts/litellm-prices.py
/// writes the list; `default` marks the ones whose default effort it is).
const OPENAI_NONE_EFFORT: &str = include_str!("openai_none_effort.txt");

/// Whether `model` has a `none` reasoning effort in LiteLLM's cost map: `Some(true)` when it
/// is the model's default.
fn none_effort(model: &str) -> Option<bool> {
    static MODELS: std::sync::LazyLock<Vec<(&'static str, bool)>> =
        std::sync::LazyLock::new(|| {
            listed(OPENAI_NONE_EFFORT)
                .map(|l| match l.split_once('\t') {
                    Some((name, mark)) => (name, mark == "default"),
                    None => (l, false),
                })
                .collect()
        });
    let i = MODELS.binary_search_by(|(name, _)| name.cmp(&model)).ok()?;
    MODELS.get(i).map(|(_, default)| *default)
}

/// The entries of a list scripts/litellm-prices.py wrote: its lines but the comment.
fn listed(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines().filter(|l| !l.starts_with('#'))
}

/// LiteLLM 1.108.7's models that reason, as `provider/model` (scripts/litellm-prices.py
/// writes the list).
const REASONING_MODELS: &str = include_str!("reasoning_models.txt");

/// Whether LiteLLM's cost map says `provider`'s `model` (with or without the `provider/`
/// prefix) reasons: `litellm.supports_reasoning`.
pub fn supports_reasoning(provider: &str, model: &str) -> bool {
    reasons(provider, model)
}

/// Whether LiteLLM's cost map says `provider`'s `model` reasons (`supports_reasoning`).
fn reasons(provider: &str, model: &str) -> bool {
    static MODELS: std::sync::LazyLock<Vec<&'static str>> =
        std::sync::LazyLock::new(|| listed(REASONING_MODELS).collect());
    let model = model
        .strip_prefix(provider)
        .and_then(|m| m.strip_prefix('/'))
        .unwrap_or(model);
    // `provider/model`, compared without writing it (wildcard deployments resolve per request).
    let qualified = || provider.bytes().chain(*b"/").chain(model.bytes());
    MODELS
        .binary_search_by(|m| m.bytes().cmp(qualified()))
        .is_ok()
}

// LiteLLM's deepseek default is the /beta base (it enables FIM and prefix completion).
const DEEPSEEK: ProviderRow = ProviderRow {
    params: rows::DEEPSEEK,
    ..openai_like(
        "deepseek",
        &[],
        "https://api.deepseek.com/beta",
        &["DEEPSEEK_API_BASE"],
        &["DEEPSEEK_API_KEY"],
        true,
        CHAT,
    )
};

/// The deepseek row for the models that reason ([`rows::DEEPSEEK_REASONING`]).
static DEEPSEEK_REASONING: ProviderRow = ProviderRow {
    params: rows::DEEPSEEK_REASONING,
    ..DEEPSEEK
};

// litellm/llms/moonshot/chat/transformation.py
const MOONSHOT: ProviderRow = ProviderRow {
    params: rows::MOONSHOT,
    ..openai_like(
        "moonshot",
        &[],
        "https://api.moonshot.ai/v1",
        &["MOONSHOT_API_BASE"],
        &["MOONSHOT_API_KEY"],
        true,
        CHAT_TEXT,
    )
};

/// The moonshot row for the models that reason ([`rows::MOONSHOT_REASONING`]).
static MOONSHOT_REASONING: ProviderRow = ProviderRow {
    params: rows::MOONSHOT_REASONING,
    ..MOONSHOT
};

/// An `openai` row: with `/completions` or through chat, with cache marks kept or removed
/// ([`rows::OPENAI_NO_CACHE_MARKS`]), with the parameter table of the model's series.
const fn openai_variant(chat: bool, strip: bool, series: OpenAiSeries) -> ProviderRow {
    let base = if strip {
        rows::OPENAI_NO_CACHE_MARKS
    } else {
        rows::OPENAI_OWN
    };
    let row = if chat { OPENAI_CHAT } else { OPENAI };
    ProviderRow {
        params: series.params(base),
        ..row
    }
}

/// Every [`openai_variant`], by `[chat][strip][series]`.
static OPENAI_ROWS: [[[ProviderRow; 5]; 2]; 2] = [
    [openai_series(false, false), openai_series(false, true)],
    [openai_series(true, false), openai_series(true, true)],
];

/// The [`openai_variant`]s of each series, in [`OpenAiSeries::ALL`]'s order.
const fn openai_series(chat: bool, strip: bool) -> [ProviderRow; 5] {
    let all = OpenAiSeries::ALL;
    [
        openai_variant(chat, strip, all[0]),
        openai_variant(chat, strip, all[1]),
        openai_variant(chat, strip, all[2]),
        openai_variant(chat, strip, all[3]),
        openai_variant(chat, strip, all[4]),
    ]
}

/// The [`openai_variant`] row.
fn openai_row(chat: bool, strip: bool, series: OpenAiSeries) -> &'static ProviderRow {
    &OPENAI_ROWS[usize::from(chat)][usize::from(strip)][series as usize]
}

/// [`OPENAI_CHAT`] for `aiohttp_openai/` ([`rows::AIOHTTP_OPENAI`]).
pub static AIOHTTP_OPENAI_CHAT: ProviderRow = ProviderRow {
    params: rows::AIOHTTP_OPENAI,
    ..OPENAI_CHAT
};

/// The row for a deployment of `provider_model` whose requests go to `host`: an `openai` row
/// on OpenAI's own host (`openai.com` or a subdomain; the row's default base is one) is the
/// one that removes cache marks, as LiteLLM's `_targets_openai_hosted_endpoint` decides.
/// Deviation: for the models that read OpenAI's `prompt_cache_breakpoint` (gpt-5.6 and
/// later), LiteLLM rewrites the marks to it rather than removing them.
pub fn on_host(
    row: &'static ProviderRow,
    host: &str,
    provider_model: &str,
) -> &'static ProviderRow {
    let openai_host = host.eq_ignore_ascii_case("openai.com")
        || host
            .len()
            .checked_sub(".openai.com".len())
            .and_then(|i| host.get(i..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(".openai.com"));
    if row.name != "openai" || !openai_host || row.params.messages.strip_cache_control {
        return row;
    }
    let chat = !row.endpoints.contains(&Endpoint::Completions);
    openai_row(chat, true, OpenAiSeries::of(provider_model))
}

/// The `azure` row for `azure/` deployments, whose text completions LiteLLM sends as chat
/// completions (`azure_text/` keeps `/completions`).
pub static AZURE_CHAT: ProviderRow = ProviderRow {
    endpoints: CHAT_EMBED_RESPONSES,
    ..AZURE
};

/// Vertex AI's Gemini models.
const VERTEX_AI: ProviderRow = ProviderRow {
    name: "vertex_ai",
    aliases: &[],
    family: Family::Gemini,
    api_base: "",
    base_env: &["VERTEXAI_API_BASE"],
    key_env: &[],
    auth: Auth::GoogleOAuth,
    key_required: false,
    endpoints: CHAT,
    path: PathStyle::Vertex,
    base_suffix: None,
    rerank: crate::rerank::Flavor::HostedVllm,
    params: ParamRules::OPENAI,
    wire_model: WireModel::AsConfigured,
    embeddings: Embeddings::OpenAi,
    errors: Errors::OpenAi,
};

/// The `vertex_ai` row for Claude ([`Family::VertexClaude`]), chosen by [`resolve`].
pub static VERTEX_CLAUDE: ProviderRow = ProviderRow {
    family: Family::VertexClaude,
    endpoints: CHAT_MESSAGES_COUNT,
    ..VERTEX_AI
};

/// The `vertex_ai` row for text-embedding models (`:predict`,
/// [`crate::gemini::predict`]), chosen by [`resolve`].
pub static VERTEX_EMBED: ProviderRow = ProviderRow {
    endpoints: EMBED,
    ..VERTEX_AI
};

/// Bedrock (Converse for chat; `/v1/messages` through a chat completion):
/// litellm/llms/bedrock/base_aws_llm.py (`get_runtime_endpoint`, `bedrock_bearer_token`, SigV4
/// for service `bedrock`), chat/converse_handler.py; the base built from the region at
/// start-up.
const BEDROCK: ProviderRow = ProviderRow {
    name: "bedrock",
    aliases: &[],
    family: Family::Bedrock,
    api_base: "",
    base_env: &["AWS_BEDROCK_RUNTIME_ENDPOINT"],
    key_env: &["AWS_BEARER_TOKEN_BEDROCK"],
    auth: Auth::SigV4,
    key_required: false,
    endpoints: CHAT_MESSAGES_COUNT,
    path: PathStyle::BedrockModel,
    base_suffix: None,
    rerank: crate::rerank::Flavor::HostedVllm,
    params: ParamRules::OPENAI,
    wire_model: WireModel::AsConfigured,
    embeddings: Embeddings::OpenAi,
    errors: Errors::OpenAi,
};

/// The `bedrock` row for Claude models ([`Family::BedrockClaude`]): not listed in
/// [`PROVIDERS`] (it is the same provider), chosen by [`resolve`].
pub static BEDROCK_CLAUDE: ProviderRow = ProviderRow {
    family: Family::BedrockClaude,
    ..BEDROCK
};

/// The `bedrock` row for embedding models ([`Family::BedrockEmbed`]), chosen by [`resolve`].
pub static BEDROCK_EMBED: ProviderRow = ProviderRow {
    family: Family::BedrockEmbed,
    endpoints: EMBED,
    ..BEDROCK
};

/// The `bedrock` row for rerank models ([`Family::BedrockRerank`]), chosen by [`resolve`].
pub static BEDROCK_RERANK: ProviderRow = ProviderRow {
    family: Family::BedrockRerank,
    endpoints: RERANK,
    ..BEDROCK
};

/// Every provider corelane can route to. Adding an OpenAI-compatible provider is one row here;
/// `tests/providers.rs` checks each row without edits.
pub static PROVIDERS: &[ProviderRow] = &[
    OPENAI,
    // litellm/llms/anthropic/common_utils.py (get_api_base, get_api_key), litellm/main.py
    // (`/v1/messages` appended to the base).
    ProviderRow {
        name: "anthropic",
        aliases: &[],
        family: Family::Anthropic,
        api_base: "https://api.anthropic.com",
        base_env: &["ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"],
        key_env: &["ANTHROPIC_API_KEY"],
        auth: Auth::Header("x-api-key"),
        key_required: true,
        endpoints: CHAT_MESSAGES,
        path: PathStyle::Plain,
        base_suffix: None,
        rerank: crate::rerank::Flavor::HostedVllm,
        params: ParamRules::OPENAI,
        wire_model: WireModel::AsConfigured,
        embeddings: Embeddings::OpenAi,
        errors: Errors::OpenAi,
    },
    // litellm/main.py (GEMINI_API_BASE; the key from GOOGLE_API_KEY, GEMINI_API_KEY or
    // PALM_API_KEY), litellm/llms/vertex_ai/common_utils.py `get_gemini_url` (the default base
    // and its version) and vertex_llm_base.py `_check_custom_proxy` (`x-goog-api-key`).
    ProviderRow {
        name: "gemini",
        aliases: &[],
        family: Family::Gemini,
        api_base: crate::gemini::head::DEFAULT_BASE,
        base_env: &["GEMINI_API_BASE"],
        key_env: &["GOOGLE_API_KEY", "GEMINI_API_KEY", "PALM_API_KEY"],
        auth: Auth::Header("x-goog-api-key"),
        key_required: true,
        endpoints: CHAT_EMBED,
        path: PathStyle::GeminiModels,
        base_suffix: None,
        rerank: crate::rerank::Flavor::HostedVllm,
        params: ParamRules::OPENAI,
        wire_model: WireModel::AsConfigured,
        embeddings: Embeddings::OpenAi,
        errors: Errors::OpenAi,
    },
    // litellm/main.py `_complete_vertex_ai` (vertex_project/location/credentials, VERTEXAI_*
    // env, VERTEXAI_API_BASE), llms/vertex_ai/common_utils.py `get_vertex_url` and
    // `get_vertex_base_url`: Gemini models on Vertex AI, the base built from the project and
    // location at start-up, a bearer token minted from Google credentials.
    VERTEX_AI,
    BEDROCK,
    COHERE,
    // LiteLLM's `cohere_chat`: chat only (its rerank refuses "Unsupported provider").
    ProviderRow {
        name: "cohere_chat",
        family: Family::CohereChat,
        endpoints: CHAT,
        ..COHERE
    },
    AZURE,
    ProviderRow {
        params: rows::GROQ,
        ..openai_like(
            "groq",
            &[],
            "https://api.groq.com/openai/v1",
            &["GROQ_API_BASE"],
            &["GROQ_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py (api.together.ai; .xyz is the old host).
    ProviderRow {
        params: rows::TOGETHER_AI,
        ..openai_like(
            "together_ai",
            &[],
            "https://api.together.ai/v1",
            &["TOGETHER_AI_API_BASE"],
            &[
                "TOGETHER_API_KEY",
                "TOGETHER_AI_API_KEY",
                "TOGETHERAI_API_KEY",
                "TOGETHER_AI_TOKEN",
            ],
            true,
            ALL,
        )
    },
    ProviderRow {
        params: rows::FIREWORKS_AI,
        wire_model: WireModel::FireworksResource,
        ..openai_like(
            "fireworks_ai",
            &[],
            "https://api.fireworks.ai/inference/v1",
            &["FIREWORKS_API_BASE"],
            &[
                "FIREWORKS_API_KEY",
                "FIREWORKS_AI_API_KEY",
                "FIREWORKSAI_API_KEY",
                "FIREWORKS_AI_TOKEN",
            ],
            true,
            ALL_AND_RESPONSES,
        )
    },
    DEEPSEEK,
    ProviderRow {
        params: rows::MISTRAL,
        ..openai_like(
            "mistral",
            &[],
            "https://api.mistral.ai/v1",
            &["MISTRAL_AZURE_API_BASE"],
            &["MISTRAL_AZURE_API_KEY", "MISTRAL_API_KEY"],
            true,
            CHAT_EMBED_OCR,
        )
    },
    ProviderRow {
        params: rows::XAI,
        ..openai_like(
            "xai",
            &[],
            "https://api.x.ai/v1",
            &["XAI_API_BASE"],
            &["XAI_API_KEY"],
            true,
            CHAT_AND_RESPONSES,
        )
    },
    ProviderRow {
        params: rows::PERPLEXITY,
        ..openai_like(
            "perplexity",
            &[],
            "https://api.perplexity.ai",
            &["PERPLEXITY_API_BASE"],
            &["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"],
            true,
            CHAT,
        )
    },
    ProviderRow {
        params: rows::OPENROUTER,
        ..openai_like(
            "openrouter",
            &[],
            "https://openrouter.ai/api/v1",
            &["OPENROUTER_API_BASE"],
            &["OPENROUTER_API_KEY", "OR_API_KEY"],
            true,
            CHAT_AND_RESPONSES,
        )
    },
    ProviderRow {
        params: rows::DEEPINFRA,
        ..openai_like(
            "deepinfra",
            &[],
            "https://api.deepinfra.com/v1/openai",
            &["DEEPINFRA_API_BASE"],
            &["DEEPINFRA_API_KEY"],
            true,
            CHAT_EMBED,
        )
    },
    ProviderRow {
        params: rows::CEREBRAS,
        ..openai_like(
            "cerebras",
            &[],
            "https://api.cerebras.ai/v1",
            &["CEREBRAS_API_BASE"],
            &["CEREBRAS_API_KEY"],
            true,
            CHAT,
        )
    },
    ProviderRow {
        params: rows::NVIDIA_NIM,
        ..openai_like(
            "nvidia_nim",
            &[],
            "https://integrate.api.nvidia.com/v1",
            &["NVIDIA_NIM_API_BASE"],
            &["NVIDIA_NIM_API_KEY"],
            true,
            CHAT_EMBED,
        )
    },
    ProviderRow {
        params: rows::SAMBANOVA,
        ..openai_like(
            "sambanova",
            &[],
            "https://api.sambanova.ai/v1",
            &["SAMBANOVA_API_BASE"],
            &["SAMBANOVA_API_KEY"],
            true,
            CHAT,
        )
    },
    // vLLM has no public default; localhost:8000 is vLLM's own serve default, used when the env is unset.
    ProviderRow {
        params: rows::HOSTED_VLLM,
        ..openai_like(
            "hosted_vllm",
            &["vllm"],
            "http://localhost:8000/v1",
            &["HOSTED_VLLM_API_BASE"],
            &["HOSTED_VLLM_API_KEY"],
            false,
            ALL_AND_RERANK,
        )
    },
    // litellm/main.py `_complete_ollama`, `_complete_ollama_chat` and the ollama embedding
    // branch; get_llm_provider_logic.py (OLLAMA_API_BASE, OLLAMA_API_KEY): the bare host, the
    // native API under it, the key (if any) as a bearer token.
    ProviderRow {
        name: "ollama",
        aliases: &[],
        family: Family::Ollama,
        api_base: "http://localhost:11434",
        base_env: &["OLLAMA_API_BASE"],
        key_env: &["OLLAMA_API_KEY"],
        auth: Auth::Bearer,
        key_required: false,
        endpoints: ALL,
        path: PathStyle::OllamaApi,
        base_suffix: None,
        rerank: crate::rerank::Flavor::HostedVllm,
        params: ParamRules::OPENAI,
        wire_model: WireModel::AsConfigured,
        embeddings: Embeddings::OpenAi,
        errors: Errors::OpenAi,
    },
    ProviderRow {
        name: "ollama_chat",
        aliases: &[],
        family: Family::OllamaChat,
        api_base: "http://localhost:11434",
        base_env: &["OLLAMA_API_BASE"],
        key_env: &["OLLAMA_API_KEY"],
        auth: Auth::Bearer,
        key_required: false,
        endpoints: CHAT_TEXT,
        path: PathStyle::OllamaApi,
        base_suffix: None,
        rerank: crate::rerank::Flavor::HostedVllm,
        params: ParamRules::OPENAI,
        wire_model: WireModel::AsConfigured,
        embeddings: Embeddings::OpenAi,
        errors: Errors::OpenAi,
    },
    ProviderRow {
        params: rows::LM_STUDIO,
        ..openai_like(
            "lm_studio",
            &[],
            "http://localhost:1234/v1",
            &["LM_STUDIO_API_BASE"],
            &["LM_STUDIO_API_KEY"],
            false,
            CHAT_EMBED,
        )
    },
    // LiteLLM has no default base for litellm_proxy; a local proxy's port 4000 is the one default
    // that cannot surprise anyone (a deployment normally sets api_base).
    ProviderRow {
        params: rows::LITELLM_PROXY,
        ..openai_like(
            "litellm_proxy",
            &[],
            "http://localhost:4000",
            &["LITELLM_PROXY_API_BASE"],
            &["LITELLM_PROXY_API_KEY"],
            false,
            CHAT_EMBED_RESPONSES,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py; LiteLLM turns `ai21/<chat model>`
    // into ai21_chat.
    ProviderRow {
        params: rows::AI21_CHAT,
        ..openai_like(
            "ai21_chat",
            &["ai21"],
            "https://api.ai21.com/studio/v1",
            &["AI21_API_BASE"],
            &["AI21_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/aiml/chat/transformation.py
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "aiml",
            &[],
            "https://api.aimlapi.com/v1",
            &["AIML_API_BASE"],
            &["AIML_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/amazon_nova/chat/transformation.py, main.py `_complete_amazon_nova`
    ProviderRow {
        params: rows::AMAZON_NOVA,
        ..openai_like(
            "amazon_nova",
            &[],
            "https://api.nova.amazon.com/v1",
            &["AMAZON_NOVA_API_BASE"],
            &["AMAZON_NOVA_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/clarifai/chat/transformation.py (no base env var: api_base only)
    openai_like(
        "clarifai",
        &[],
        "https://api.clarifai.com/v2/ext/openai/v1",
        &[],
        &["CLARIFAI_API_KEY"],
        true,
        CHAT,
    ),
    // litellm/litellm_core_utils/get_llm_provider_logic.py (text-completion-codestral is FIM,
    // /fim/completions: no row).
    ProviderRow {
        params: rows::MISTRAL,
        ..openai_like(
            "codestral",
            &[],
            "https://codestral.mistral.ai/v1",
            &["CODESTRAL_API_BASE"],
            &["CODESTRAL_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/main.py `_complete_cometapi`, litellm/llms/cometapi/embed/transformation.py
    ProviderRow {
        params: rows::stream_false(rows::OPENAI_LIKE),
        ..openai_like(
            "cometapi",
            &[],
            "https://api.cometapi.com/v1",
            &["COMETAPI_API_BASE"],
            &["COMETAPI_KEY"],
            true,
            CHAT_EMBED,
        )
    },
    // litellm/main.py `_complete_compactifai` (no base env var: api_base only)
    ProviderRow {
        params: rows::stream_false(rows::OPENAI_LIKE),
        ..openai_like(
            "compactifai",
            &[],
            "https://api.compactif.ai/v1",
            &[],
            &["COMPACTIFAI_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/dashscope/chat/transformation.py, embed/transformation.py
    ProviderRow {
        params: rows::DASHSCOPE,
        ..openai_like(
            "dashscope",
            &[],
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            &["DASHSCOPE_API_BASE"],
            &["DASHSCOPE_API_KEY"],
            true,
            ALL,
        )
    },
    // litellm/llms/dashscope/qwencloud.py
    ProviderRow {
        params: rows::QWEN,
        ..openai_like(
            "qwencloud",
            &[],
            "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
            &["QWENCLOUD_API_BASE"],
            &["QWENCLOUD_API_KEY", "DASHSCOPE_API_KEY"],
            true,
            ALL,
        )
    },
    // litellm/llms/dashscope/qwen_ai_platform.py
    ProviderRow {
        params: rows::QWEN,
        ..openai_like(
            "qwen_ai_platform",
            &[],
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            &["QWEN_AI_PLATFORM_API_BASE"],
            &["QWEN_AI_PLATFORM_API_KEY", "DASHSCOPE_API_KEY"],
            true,
            ALL,
        )
    },
    // litellm/llms/docker_model_runner/chat/transformation.py: the base names the engine
    // (http://host:22088/engines/llama.cpp) and the API lives under its /v1.
    ProviderRow {
        base_suffix: Some("/v1"),
        params: rows::CONTENT_AS_TEXT,
        ..openai_like(
            "docker_model_runner",
            &[],
            "http://localhost:22088/engines/llama.cpp/v1",
            &["DOCKER_MODEL_RUNNER_API_BASE"],
            &["DOCKER_MODEL_RUNNER_API_KEY"],
            false,
            CHAT,
        )
    },
    // litellm/llms/edenai/common_utils.py, chat/ and embedding/transformation.py
    ProviderRow {
        params: rows::stream_false(rows::OPENAI_LIKE),
        ..openai_like(
            "edenai",
            &[],
            "https://api.edenai.run/v3",
            &["EDENAI_API_BASE"],
            &["EDENAI_API_KEY"],
            true,
            CHAT_EMBED,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "empower",
            &[],
            "https://app.empower.dev/api/v1",
            &["EMPOWER_API_BASE"],
            &["EMPOWER_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/featherless_ai/chat/transformation.py
    ProviderRow {
        params: rows::FEATHERLESS_AI,
        ..openai_like(
            "featherless_ai",
            &[],
            "https://api.featherless.ai/v1",
            &["FEATHERLESS_AI_API_BASE", "FEATHERLESS_API_BASE"],
            &["FEATHERLESS_AI_API_KEY", "FEATHERLESS_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "friendliai",
            &[],
            "https://api.friendli.ai/serverless/v1",
            &["FRIENDLI_API_BASE"],
            &["FRIENDLIAI_API_KEY", "FRIENDLI_TOKEN"],
            true,
            CHAT,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "galadriel",
            &[],
            "https://api.galadriel.com/v1",
            &["GALADRIEL_API_BASE"],
            &["GALADRIEL_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "github",
            &[],
            "https://models.inference.ai.azure.com",
            &["GITHUB_API_BASE"],
            &["GITHUB_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/hyperbolic/chat/transformation.py
    ProviderRow {
        params: rows::HYPERBOLIC,
        ..openai_like(
            "hyperbolic",
            &[],
            "https://api.hyperbolic.xyz/v1",
            &["HYPERBOLIC_API_BASE"],
            &["HYPERBOLIC_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/inception/chat/transformation.py (text-completion-inception is FIM: no row)
    ProviderRow {
        params: rows::INCEPTION,
        ..openai_like(
            "inception",
            &[],
            "https://api.inceptionlabs.ai/v1",
            &["INCEPTION_API_BASE"],
            &["INCEPTION_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/jina_ai/embedding/transformation.py (embeddings only)
    // litellm/llms/jina_ai/rerank/transformation.py: its own rerank shape.
    ProviderRow {
        rerank: crate::rerank::Flavor::Jina,
        params: ParamRules::OPENAI,
        wire_model: WireModel::AsConfigured,
        embeddings: Embeddings::OpenAi,
        errors: Errors::OpenAi,
        ..openai_like(
            "jina_ai",
            &[],
            "https://api.jina.ai/v1",
            &["JINA_AI_API_BASE"],
            &["JINA_AI_API_KEY", "JINA_API_KEY", "JINA_AI_TOKEN"],
            true,
            EMBED_AND_RERANK,
        )
    },
    // litellm/llms/voyage/rerank/transformation.py (`get_complete_url`: `/v1` added to a base
    // without it), embedding/transformation.py, common_utils.py (its key env vars).
    ProviderRow {
        rerank: crate::rerank::Flavor::Voyage,
        embeddings: Embeddings::Voyage,
        errors: Errors::OpenAi,
        base_suffix: Some("/v1"),
        ..openai_like(
            "voyage",
            &[],
            "https://api.voyageai.com/v1",
            &[],
            &["VOYAGE_API_KEY", "VOYAGE_AI_API_KEY", "VOYAGE_AI_TOKEN"],
            true,
            EMBED_AND_RERANK,
        )
    },
    // litellm/llms/lambda_ai/chat/transformation.py
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "lambda_ai",
            &[],
            "https://api.lambda.ai/v1",
            &["LAMBDA_API_BASE"],
            &["LAMBDA_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/lemonade/chat/transformation.py (local server)
    ProviderRow {
        params: rows::stream_false(rows::OPENAI_LIKE_NO_REASONING),
        ..openai_like(
            "lemonade",
            &[],
            "http://localhost:8000/api/v1",
            &["LEMONADE_API_BASE"],
            &["LEMONADE_API_KEY"],
            false,
            CHAT,
        )
    },
    // litellm/llms/llamafile/chat/transformation.py (local server)
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "llamafile",
            &[],
            "http://127.0.0.1:8080/v1",
            &["LLAMAFILE_API_BASE"],
            &["LLAMAFILE_API_KEY"],
            false,
            ALL,
        )
    },
    // litellm/main.py `_complete_maritalk`
    ProviderRow {
        params: rows::MARITALK,
        ..openai_like(
            "maritalk",
            &[],
            "https://chat.maritaca.ai/api",
            &["MARITALK_API_BASE"],
            &["MARITALK_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py
    ProviderRow {
        params: rows::META_LLAMA,
        ..openai_like(
            "meta_llama",
            &[],
            "https://api.llama.com/compat/v1",
            &["LLAMA_API_BASE"],
            &["LLAMA_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/minimax/chat/transformation.py
    ProviderRow {
        params: rows::MINIMAX,
        ..openai_like(
            "minimax",
            &[],
            "https://api.minimax.io/v1",
            &["MINIMAX_API_BASE"],
            &["MINIMAX_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/modelscope/chat/transformation.py
    ProviderRow {
        params: rows::MODELSCOPE,
        ..openai_like(
            "modelscope",
            &[],
            "https://api-inference.modelscope.cn/v1",
            &["MODELSCOPE_API_BASE"],
            &["MODELSCOPE_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    MOONSHOT,
    // litellm/llms/morph/chat/transformation.py
    ProviderRow {
        params: rows::MORPH,
        ..openai_like(
            "morph",
            &[],
            "https://api.morphllm.com/v1",
            &["MORPH_API_BASE"],
            &["MORPH_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py,
    // litellm/constants.py NADIR_DEFAULT_API_BASE
    ProviderRow {
        params: rows::NADIR,
        ..openai_like(
            "nadir",
            &[],
            "https://api.getnadir.com/v1",
            &["NADIR_API_BASE"],
            &["NADIR_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "nebius",
            &[],
            "https://api.studio.nebius.ai/v1",
            &["NEBIUS_API_BASE"],
            &["NEBIUS_API_KEY"],
            true,
            ALL,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "novita",
            &[],
            "https://api.novita.ai/v3/openai",
            &["NOVITA_API_BASE"],
            &["NOVITA_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/nscale/chat/transformation.py
    ProviderRow {
        params: rows::NSCALE,
        ..openai_like(
            "nscale",
            &[],
            "https://inference.api.nscale.com/v1",
            &["NSCALE_API_BASE"],
            &["NSCALE_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/main.py `_complete_ovhcloud`, litellm/llms/ovhcloud/
    ProviderRow {
        params: rows::OVHCLOUD,
        ..openai_like(
            "ovhcloud",
            &[],
            "https://oai.endpoints.kepler.ai.cloud.ovh.net/v1",
            &["OVHCLOUD_API_BASE"],
            &["OVHCLOUD_API_KEY"],
            true,
            CHAT_EMBED,
        )
    },
    // litellm/llms/tencent/chat/transformation.py
    ProviderRow {
        params: rows::TENCENT,
        ..openai_like(
            "tencent",
            &[],
            "https://tokenhub-intl.tencentcloudmaas.com/v1",
            &["TENCENT_API_BASE"],
            &["TENCENT_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/v0/chat/transformation.py
    ProviderRow {
        params: rows::V0,
        ..openai_like(
            "v0",
            &[],
            "https://api.v0.dev/v1",
            &["V0_API_BASE"],
            &["V0_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/vercel_ai_gateway/chat/ and embedding/transformation.py
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "vercel_ai_gateway",
            &[],
            "https://ai-gateway.vercel.sh/v1",
            &["VERCEL_AI_GATEWAY_API_BASE"],
            &["VERCEL_AI_GATEWAY_API_KEY", "VERCEL_OIDC_TOKEN"],
            true,
            CHAT_EMBED,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py; ARK_API_KEY is LiteLLM's fallback
    // for volcengine embeddings (main.py).
    ProviderRow {
        params: rows::VOLCENGINE,
        ..openai_like(
            "volcengine",
            &[],
            "https://ark.cn-beijing.volces.com/api/v3",
            &["VOLCENGINE_API_BASE"],
            &["VOLCENGINE_API_KEY", "ARK_API_KEY"],
            true,
            CHAT_EMBED,
        )
    },
    // litellm/litellm_core_utils/get_llm_provider_logic.py
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "wandb",
            &[],
            "https://api.inference.wandb.ai/v1",
            &["WANDB_API_BASE"],
            &["WANDB_API_KEY"],
            true,
            ALL,
        )
    },
    // litellm/main.py xinference embedding branch (LiteLLM's chat path has no default base).
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "xinference",
            &[],
            "http://127.0.0.1:9997/v1",
            &["XINFERENCE_API_BASE"],
            &["XINFERENCE_API_KEY"],
            false,
            CHAT_EMBED,
        )
    },
    // litellm/llms/zai/chat/transformation.py
    ProviderRow {
        params: rows::ZAI,
        ..openai_like(
            "zai",
            &[],
            "https://api.z.ai/api/paas/v4",
            &["ZAI_API_BASE"],
            &["ZAI_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "abliteration",
            &[],
            "https://api.abliteration.ai/v1",
            &[],
            &["ABLITERATION_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "aihubmix",
            &[],
            "https://aihubmix.com/v1",
            &["AIHUBMIX_API_BASE"],
            &["AIHUBMIX_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "apertis",
            &[],
            "https://api.stima.tech/v1",
            &[],
            &["STIMA_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "assemblyai",
            &[],
            "https://llm-gateway.assemblyai.com/v1",
            &[],
            &["ASSEMBLYAI_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "charity_engine",
            &[],
            "https://api.charityengine.services/remotejobs/v2/inference",
            &[],
            &["CHARITY_ENGINE_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "chutes",
            &[],
            "https://llm.chutes.ai/v1",
            &[],
            &["CHUTES_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "cognition",
            &[],
            "https://api.cognition.ai/v1",
            &["COGNITION_API_BASE"],
            &["COGNITION_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "cortecs",
            &[],
            "https://api.cortecs.ai/v1",
            &["CORTECS_API_BASE"],
            &["CORTECS_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "crusoe",
            &[],
            "https://managed-inference-api-proxy.crusoecloud.com/v1",
            &["CRUSOE_API_BASE"],
            &["CRUSOE_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "darkbloom",
            &[],
            "https://api.darkbloom.dev/v1",
            &["DARKBLOOM_API_BASE"],
            &["DARKBLOOM_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "empiriolabs",
            &[],
            "https://api.empiriolabs.ai/v1",
            &["EMPIRIOLABS_API_BASE"],
            &["EMPIRIOLABS_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "gmi",
            &[],
            "https://api.gmi-serving.com/v1",
            &[],
            &["GMI_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "helicone",
            &[],
            "https://ai-gateway.helicone.ai",
            &[],
            &["HELICONE_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "libertai",
            &[],
            "https://api.libertai.io/v1",
            &["LIBERTAI_API_BASE"],
            &["LIBERTAI_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "llamagate",
            &[],
            "https://api.llamagate.dev/v1",
            &[],
            &["LLAMAGATE_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "meta",
            &[],
            "https://api.meta.ai/v1",
            &["META_API_BASE"],
            &["META_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "nano-gpt",
            &[],
            "https://nano-gpt.com/api/v1",
            &[],
            &["NANOGPT_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "neosantara",
            &[],
            "https://api.neosantara.xyz/v1",
            &["NEOSANTARA_API_BASE"],
            &["NEOSANTARA_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "parasail",
            &[],
            "https://api.parasail.io/v1",
            &["PARASAIL_API_BASE"],
            &["PARASAIL_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "pinstripes",
            &[],
            "https://pinstripes.io/v1",
            &["PINSTRIPES_API_BASE"],
            &["PINSTRIPES_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "poe",
            &[],
            "https://api.poe.com/v1",
            &[],
            &["POE_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "prism",
            &[],
            "https://api.prisminference.com/v1",
            &["PRISM_API_BASE"],
            &["PRISM_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::CONTENT_AS_TEXT,
        ..openai_like(
            "publicai",
            &[],
            "https://api.publicai.co/v1",
            &["PUBLICAI_API_BASE"],
            &["PUBLICAI_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "reka",
            &[],
            "https://api.reka.ai/v1",
            &["REKA_API_BASE"],
            &["REKA_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json, litellm/llms/sail/chat/transformation.py
    ProviderRow {
        params: rows::SAIL,
        ..openai_like(
            "sail",
            &[],
            "https://api.sailresearch.com/v1",
            &["SAIL_API_BASE"],
            &["SAIL_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json. Its `headers` entry (api-subscription-key) is not
    // read by LiteLLM's loader (json_loader.py), so the key goes as Bearer, as LiteLLM sends it.
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "sarvam",
            &[],
            "https://api.sarvam.ai/v1",
            &[],
            &["SARVAM_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE,
        ..openai_like(
            "scaleway",
            &[],
            "https://api.scaleway.ai/v1",
            &[],
            &["SCW_SECRET_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "scx-ai",
            &[],
            "https://api.scx.ai/v1",
            &["SCX_API_BASE"],
            &["SCX_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "synthetic",
            &[],
            "https://api.synthetic.new/openai/v1",
            &[],
            &["SYNTHETIC_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "tensormesh",
            &[],
            "https://serverless.tensormesh.ai/v1",
            &["TENSORMESH_SERVERLESS_BASE_URL"],
            &["TENSORMESH_INFERENCE_API_KEY"],
            true,
            CHAT_TEXT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_NO_REASONING,
        ..openai_like(
            "veniceai",
            &[],
            "https://api.venice.ai/api/v1",
            &[],
            &["VENICE_AI_API_KEY"],
            true,
            CHAT,
        )
    },
    // litellm/llms/openai_like/providers.json
    ProviderRow {
        params: rows::OPENAI_LIKE_MAX_TOKENS,
        ..openai_like(
            "xiaomi_mimo",
            &[],
            "https://api.xiaomimimo.com/v1",
            &[],
            &["XIAOMI_MIMO_API_KEY"],
            true,
            CHAT,
        )
    },
];

/// The row named `name`, by name or alias.
pub fn find(name: &str) -> Option<&'static ProviderRow> {
    PROVIDERS
        .iter()
        .find(|r| r.name == name || r.aliases.contains(&name))
}

/// Provider names LiteLLM routes to (its `LlmProviders`) that have no row here yet. A model
/// prefixed with one of them is refused with a clear error instead of being sent to OpenAI.
pub static NOT_YET_SUPPORTED: &[&str] = &[
    "anthropic_text",
    "bedrock_converse",
    "sagemaker",
    "sagemaker_chat",
    "vertex_ai_beta",
    "palm",
    "replicate",
    "huggingface",
    "nlp_cloud",
    "aleph_alpha",
    "petals",
    "baseten",
    "databricks",
    "watsonx",
    "watsonx_text",
    "cloudflare",
    "predibase",
    "github_copilot",
    "text-completion-codestral",
    "azure_ai",
    "triton",
    "infinity",
    "oci",
    "snowflake",
    "topaz",
    "datarobot",
    "elevenlabs",
    "deepgram",
    "fal_ai",
    "recraft",
    "heroku",
    "bytez",
    "gradient_ai",
    "gigachat",
    "ragflow",
    "langgraph",
    "sap",
    "perplexity_agent",
    "stability",
    "runwayml",
    "vllm_embedding",
    "custom",
    "openai_like",
    "text-completion-gemini",
    "anyscale",
    "mistral_ocr",
    "azure_anthropic",
    "snowflake_cortex",
    "hugging_face",
    "chatgpt",
    "sagemaker_nova",
    "bedrock_mantle",
    "gdc",
    "oobabooga",
    "text-completion-inception",
    "manus",
    "langflow",
    "a2a",
];

/// LiteLLM provider routing: `"groq/llama-3.1-8b"` -> (groq, `"llama-3.1-8b"`);
/// `"hosted_vllm/meta-llama/X"` -> (hosted_vllm, `"meta-llama/X"`). A given
/// `custom_llm_provider` wins; a `model` that repeats it as prefix has the prefix stripped, as
/// LiteLLM does. A prefix that names a LiteLLM provider without a row here is
/// [`UnknownProvider::Unsupported`]; any other prefix is part of an OpenAI model name.
///
/// Deviation from LiteLLM: LiteLLM infers a provider for bare names from its model cost map
/// (e.g. `claude-3-5-sonnet` -> anthropic); corelane sends every unprefixed name to openai.
pub fn resolve<'m>(
    model: &'m str,
    custom_llm_provider: Option<&str>,
) -> Result<(&'static ProviderRow, &'m str), UnknownProvider> {
    if let Some(name) = custom_llm_provider {
        let row = find(name).ok_or_else(|| not_a_row(name))?;
        let stripped = model
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(model);
        return Ok((
            text_through_chat(name, refine(row, stripped), stripped),
            stripped,
        ));
    }
    if let Some((prefix, rest)) = model.split_once('/') {
        if let Some(row) = find(prefix) {
            return Ok((text_through_chat(prefix, refine(row, rest), rest), rest));
        }
        if let UnknownProvider::Unsupported(name) = not_a_row(prefix) {
            return Err(UnknownProvider::Unsupported(name));
        }
    }
    let openai = find("openai").ok_or(UnknownProvider::Unknown)?;
    Ok((text_through_chat("openai", openai, model), model))
}

/// LiteLLM's `text_completion` (litellm/main.py) keeps `/completions` for `openai/` models
/// that are not among its OpenAI chat models (`open_ai_chat_completion_models`, the cost map's
/// `openai` models), for `text-completion-openai/` and for `azure_text/`; it sends the text
/// completions of OpenAI's chat models, of `custom_openai/` and `aiohttp_openai/`, and of
/// `azure/` as chat completions: their rows without `/completions` (`name` is the provider
/// as the model or `custom_llm_provider` named it).
fn text_through_chat(
    name: &str,
    row: &'static ProviderRow,
    provider_model: &str,
) -> &'static ProviderRow {
    match name {
        "openai" => openai_row(
            is_openai_chat_model(provider_model),
            false,
            OpenAiSeries::of(provider_model),
        ),
        // LiteLLM keeps cache marks for `openai/` only.
        "custom_openai" => openai_row(true, true, OpenAiSeries::Other),
        "aiohttp_openai" => &AIOHTTP_OPENAI_CHAT,
        "azure" => &AZURE_CHAT,
        _ => row,
    }
}

/// LiteLLM 1.108.7's OpenAI chat models (scripts/litellm-prices.py writes the list).
const OPENAI_CHAT_MODELS: &str = include_str!("openai_chat_models.txt");

/// Whether `model` is one of LiteLLM's OpenAI chat models (the list is sorted by bytes).
pub fn is_openai_chat_model(model: &str) -> bool {
    static MODELS: std::sync::LazyLock<Vec<&'static str>> =
        std::sync::LazyLock::new(|| listed(OPENAI_CHAT_MODELS).collect());
    MODELS.binary_search(&model).is_ok()
}

/// The row for one of a provider's models where its models speak different APIs: Claude on
/// Vertex AI speaks Anthropic's format ([`VERTEX_CLAUDE`]); Claude on Bedrock takes
/// `/v1/messages` through the Invoke API ([`BEDROCK_CLAUDE`]), its embedding models take
/// embeddings only ([`BEDROCK_EMBED`]), its rerank models rerank only ([`BEDROCK_RERANK`]); the `cohere/` models LiteLLM files under
/// `cohere_chat` take that row.
fn refine(row: &'static ProviderRow, provider_model: &str) -> &'static ProviderRow {
    match row.family {
        Family::Gemini
            if row.path == PathStyle::Vertex
                && crate::anthropic::vertex::is_vertex_claude_model(provider_model) =>
        {
            &VERTEX_CLAUDE
        }
        Family::Gemini
            if row.path == PathStyle::Vertex
                && (crate::gemini::predict::is_text_embedding_model(provider_model)
                    || crate::gemini::predict::is_other_embedding_model(provider_model)) =>
        {
            &VERTEX_EMBED
        }
        Family::Bedrock if crate::bedrock::rerank::is_rerank_model(provider_model) => {
            &BEDROCK_RERANK
        }
        Family::Bedrock if crate::bedrock::embed::EmbedModel::of(provider_model).is_some() => {
            &BEDROCK_EMBED
        }
        Family::Bedrock if crate::bedrock::invoke::messages_via_invoke(provider_model) => {
            &BEDROCK_CLAUDE
        }
        Family::Cohere if crate::cohere::is_cohere_chat_model(provider_model) => {
            find("cohere_chat").unwrap_or(row)
        }
        Family::OpenAi if row.name == "deepseek" && reasons("deepseek", provider_model) => {
            &DEEPSEEK_REASONING
        }
        Family::OpenAi if row.name == "moonshot" && reasons("moonshot", provider_model) => {
            &MOONSHOT_REASONING
        }
        _ => row,
    }
}

/// A row and the rows [`resolve`] picks instead of it for some of its models (the provider's
/// whole support, as the README's endpoint table shows it).
pub fn with_model_rows(row: &'static ProviderRow) -> Vec<&'static ProviderRow> {
    if row.family == Family::Bedrock {
        vec![row, &BEDROCK_CLAUDE, &BEDROCK_EMBED, &BEDROCK_RERANK]
    } else if row.path == PathStyle::Vertex {
        vec![row, &VERTEX_CLAUDE, &VERTEX_EMBED]
    } else if row.name == "openai" {
        let mut rows = vec![row, &AIOHTTP_OPENAI_CHAT];
        rows.extend(OPENAI_ROWS.iter().flatten().flatten());
        rows
    } else if row.name == "azure" {
        vec![row, &AZURE_CHAT]
    } else {
        vec![row]
    }
}

fn not_a_row(name: &str) -> UnknownProvider {
    match NOT_YET_SUPPORTED.iter().find(|&&n| n == name) {
        Some(n) => UnknownProvider::Unsupported(n),
        None => UnknownProvider::Unknown,
    }
}

/// Why `row` cannot serve `provider_model` where a row serves only some of its provider's
/// models (Vertex AI: Gemini models only; Bedrock: Converse models only): a label for the
/// refusal, naming what is refused.
pub fn unserved_model(
    row: &ProviderRow,
    provider_model: &str,
    has_api_base: bool,
) -> Option<&'static str> {
    match row.path {
        PathStyle::Vertex
            if row.family == Family::Gemini
                && row.endpoints == EMBED
                && crate::gemini::predict::is_other_embedding_model(provider_model) =>
        {
            Some("vertex_ai (multimodal embedding models and gemini-embedding-2, which take embedContent)")
        }
        PathStyle::Vertex
            if row.family == Family::Gemini
                && row.endpoints != EMBED
                && !crate::gemini::head::is_vertex_gemini_model(provider_model, has_api_base) =>
        {
            Some("vertex_ai (partner, Model Garden and other non-Gemini models)")
        }
        // Claude's `invoke/` route serves `/v1/messages` (its chat is refused per request).
        PathStyle::BedrockModel
            if row.family == Family::Bedrock
                && !crate::bedrock::is_converse_model(provider_model) =>
        {
            Some(
                "bedrock (Invoke API chat models: Titan text, Cohere command and others; send Converse models, or bedrock/converse/<model>)",
            )
        }
        PathStyle::Cohere if provider_model.contains("v1/") => {
            Some("cohere (Cohere's v1 chat API, v1/ models)")
        }
        // LiteLLM sends these to `/contextualizedembeddings` and `/multimodalembeddings`.
        _ if row.embeddings == Embeddings::Voyage && {
            let m = provider_model.to_lowercase();
            m.contains("context") || m.contains("multimodal")
        } =>
        {
            Some("voyage (contextualized and multimodal embedding models)")
        }
        _ => None,
    }
}

/// The api_base path prefix requests are joined to, with the row's suffix hook applied.
pub fn base_path<'p>(row: &ProviderRow, api_base_path: &'p str) -> std::borrow::Cow<'p, str> {
    let path = api_base_path.trim_end_matches('/');
    match row.base_suffix {
        Some(suffix) if !path.ends_with(suffix) => {
            std::borrow::Cow::Owned(format!("{path}{suffix}"))
        }
        _ => std::borrow::Cow::Borrowed(path),
    }
}

/// Appends the request path (and query) for `endpoint`, to be joined to the api_base path.
pub fn write_request_path(
    row: &ProviderRow,
    endpoint: Endpoint,
    provider_model: &str,
    api_version: Option<&str>,
    stream: bool,
    out: &mut String,
) {
    match row.path {
        PathStyle::Plain => out.push_str(endpoint.path()),
        PathStyle::AzureDeployment => azure_path(endpoint, provider_model, api_version, out),
        PathStyle::GeminiModels => {
            out.push_str("/models/");
            push_percent_encoded(provider_model, out);
            out.push_str(gemini_method(endpoint, stream));
        }
        PathStyle::BedrockModel
            if row.family == Family::BedrockClaude && endpoint == Endpoint::Messages =>
        {
            // Invoke's model id goes with its `:` as it is, an ARN quoted whole
            // (`get_bedrock_model_id`); nothing else a client could choose (a wildcard's
            // model) may reach the path unencoded.
            let id = crate::bedrock::invoke::invoke_model_id(provider_model);
            out.push_str("/model/");
            if id.starts_with("arn:") {
                push_percent_encoded(id, out);
            } else {
                push_path_segment(id, out);
            }
            out.push_str(if stream {
                "/invoke-with-response-stream"
            } else {
                "/invoke"
            });
        }
        PathStyle::BedrockModel if endpoint == Endpoint::CountTokens => {
            // CountTokens names the foundation model, quoted whole (`get_bedrock_base_model`).
            let (_, id) =
                crate::bedrock::model_id(crate::bedrock::invoke::invoke_model_id(provider_model));
            out.push_str("/model/");
            push_percent_encoded(crate::bedrock::base_model(id), out);
            out.push_str("/count-tokens");
        }
        // The Rerank API names the model in its body.
        PathStyle::BedrockModel if row.family == Family::BedrockRerank => out.push_str("/rerank"),
        PathStyle::BedrockModel if row.family == Family::BedrockEmbed => {
            // `embedding.py`: the id quoted whole (`quote(model_id, safe="")`).
            out.push_str("/model/");
            push_percent_encoded(crate::bedrock::invoke::invoke_model_id(provider_model), out);
            out.push_str("/invoke");
        }
        PathStyle::OllamaApi => {
            let api = match row.family {
                Family::OllamaChat => crate::ollama::Api::Chat,
                _ => crate::ollama::Api::Generate,
            };
            out.push_str(crate::ollama::head::api_path(api, endpoint));
        }
        PathStyle::BedrockModel => {
            let (_, id) = crate::bedrock::model_id(provider_model);
            out.push_str("/model/");
            push_percent_encoded(id, out);
            out.push_str(if stream {
                "/converse-stream"
            } else {
                "/converse"
            });
        }
        PathStyle::Vertex
            if row.family == Family::VertexClaude && endpoint == Endpoint::CountTokens =>
        {
            // The partner count-tokens endpoint names no model (the body does).
            out.push_str("/publishers/anthropic/models/count-tokens:rawPredict");
        }
        PathStyle::Vertex if row.family == Family::VertexClaude => {
            // `get_complete_vertex_url` for a partner: Anthropic's publisher, raw predictions.
            out.push_str("/publishers/anthropic/models/");
            push_path_segment(provider_model, out);
            out.push_str(if stream {
                ":streamRawPredict?alt=sse"
            } else {
                ":rawPredict"
            });
        }
        PathStyle::Cohere => crate::cohere::head::write_path(endpoint, out),
        PathStyle::Vertex => {
            // `get_vertex_url`: a tuned model's numeric id is an endpoint of the project.
            let tuned =
                !provider_model.is_empty() && provider_model.bytes().all(|b| b.is_ascii_digit());
            out.push_str(if tuned {
                "/endpoints/"
            } else {
                "/publishers/google/models/"
            });
            push_percent_encoded(provider_model, out);
            out.push_str(if endpoint == Endpoint::Embeddings {
                // Vertex's text embeddings are predictions (`:predict`).
                ":predict"
            } else {
                gemini_method(endpoint, stream)
            });
        }
    }
}

/// The `:method` (and query) of a Gemini API call.
fn gemini_method(endpoint: Endpoint, stream: bool) -> &'static str {
    match (endpoint, stream) {
        (Endpoint::Embeddings, _) => ":batchEmbedContents",
        (Endpoint::CountTokens, _) => ":countTokens",
        (_, true) => ":streamGenerateContent?alt=sse",
        (_, false) => ":generateContent",
    }
}

/// Ends a request line (after its path) and writes the headers every family sends: `host`,
/// `content-type: application/json`, `content-length`.
pub(crate) fn write_head_fields(target: &UpstreamTarget<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(target.host.as_bytes());
    out.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
    out.extend_from_slice(itoa::Buffer::new().format(target.body_len).as_bytes());
}

/// Appends the provider key as the row's auth style sends it (a header line, `\r\n` first).
/// Nothing is written when there is no key or the row sends none.
pub fn write_auth(row: &ProviderRow, creds: &Credentials, _now: SystemTime, out: &mut Vec<u8>) {
    if row.auth == Auth::GoogleOAuth {
        if let Some(token) = &creds.token {
            if let TokenState::Ready { token: t, .. } = &**token.load() {
                out.extend_from_slice(b"\r\nAuthorization: Bearer ");
                push_header_value(t, out);
            }
        }
        return;
    }
    let Some(key) = creds.api_key.as_deref() else {
        return;
    };
    match row.auth {
        Auth::Bearer => {
            out.extend_from_slice(b"\r\nAuthorization: Bearer ");
            push_header_value(key, out);
        }
        Auth::Header(name) => {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            push_header_value(key, out);
        }
        // SigV4 signs the whole request: the Bedrock head writes it.
        Auth::GoogleOAuth | Auth::SigV4 | Auth::None => {}
    }
}

/// A header value from configuration or an upstream: CR, LF and NUL are dropped so no value
/// can end the line it is on. Values almost never hold one, so the clean case is one copy.
pub fn push_header_value(value: &str, out: &mut Vec<u8>) {
    let bytes = value.as_bytes();
    if memchr::memchr3(b'\r', b'\n', 0, bytes).is_none() {
        out.extend_from_slice(bytes);
    } else {
        out.extend(bytes.iter().filter(|&&b| !matches!(b, b'\r' | b'\n' | 0)));
    }
}

/// Appends the Responses API's path (and query) for `endpoint`, to be joined to the api_base
/// path: `/responses`, `/responses/{id}` and what follows it. Azure's is its resource's
/// `/openai/responses?api-version=` (LiteLLM's `AZURE_DEFAULT_RESPONSES_API_VERSION`,
/// `preview`, by default), under `/openai/v1` for the versions `preview`, `latest` and `v1`
/// (`BaseAzureLLM._get_base_azure_url`).
pub fn write_responses_path(
    row: &ProviderRow,
    endpoint: Endpoint,
    response_id: Option<&str>,
    api_version: Option<&str>,
    out: &mut String,
) {
    let version = match row.path {
        PathStyle::AzureDeployment => {
            let version = api_version.unwrap_or("preview");
            out.push_str(if matches!(version, "preview" | "latest" | "v1") {
                "/openai/v1"
            } else {
                "/openai"
            });
            Some(version)
        }
        _ => None,
    };
    out.push_str("/responses");
    let mut query = "";
    if let Endpoint::Response(op) = endpoint {
        out.push('/');
        push_percent_encoded(response_id.unwrap_or_default(), out);
        let (suffix, q) = op.suffix();
        out.push_str(suffix);
        query = q;
    }
    let mut sep = '?';
    if let Some(version) = version {
        out.push_str("?api-version=");
        push_percent_encoded(version, out);
        sep = '&';
    }
    if !query.is_empty() {
        out.push(sep);
        out.push_str(query);
    }
}

/// Azure hook: deployments are addressed in the path and the API version in the query
/// (Azure OpenAI REST reference, "/openai/deployments/{deployment-id}/chat/completions").
fn azure_path(endpoint: Endpoint, deployment: &str, api_version: Option<&str>, out: &mut String) {
    out.push_str("/openai/deployments/");
    push_percent_encoded(deployment, out);
    out.push_str(endpoint.path());
    out.push_str("?api-version=");
    push_percent_encoded(api_version.unwrap_or(AZURE_DEFAULT_API_VERSION), out);
}

/// RFC 3986 §2.3 unreserved characters pass; everything else is percent-encoded, so a hostile
/// deployment name cannot change the path or query.
pub fn push_percent_encoded(s: &str, out: &mut String) {
    push_encoded(s, b"-._~", out);
}

/// As [`push_percent_encoded`] but `@` and `:` kept, as a path segment may hold them (a Vertex
/// model's version, `claude-sonnet-4-5@20250929`; a Bedrock model's, `...-v1:0`), as LiteLLM
/// sends them. `/`, `?`, `#` and `%` are still encoded.
pub fn push_path_segment(s: &str, out: &mut String) {
    push_encoded(s, b"-._~@:", out);
}

fn push_encoded(s: &str, kept: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || kept.contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xf) as usize] as char);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {

    #[test]
    fn text_completions_go_through_chat_where_litellm_sends_them_so() {
        use crate::family::{bridge, Bridge};
        let text = |model: &str, provider: Option<&str>| {
            let (row, _) = resolve(model, provider).unwrap();
            bridge(row, Endpoint::Completions)
        };
        for model in [
            "openai/gpt-4o",
            "gpt-4o",
            "custom_openai/my-model",
            "azure/my-deployment",
        ] {
            assert_eq!(text(model, None), Bridge::TextThroughChat, "{model}");
        }
        assert_eq!(text("gpt-4o", Some("openai")), Bridge::TextThroughChat);
        for model in [
            "openai/gpt-3.5-turbo-instruct",
            "openai/my-vllm-model",
            "text-completion-openai/gpt-4o",
            "azure_text/my-deployment",
        ] {
            assert_eq!(text(model, None), Bridge::OpenAi, "{model}");
        }
        // Everything else those rows serve stays as it was.
        let (row, _) = resolve("openai/gpt-4o", None).unwrap();
        assert_eq!(row.name, "openai");
        assert_eq!(bridge(row, Endpoint::ChatCompletions), Bridge::OpenAi);
        assert_eq!(bridge(row, Endpoint::Responses), Bridge::Responses);
        assert!(is_openai_chat_model("gpt-4o-mini"));
        assert!(!is_openai_chat_model("gpt-3.5-turbo-instruct"));
    }

    #[test]
    fn cache_marks_are_removed_on_openai_s_own_host_and_for_custom_openai() {
        let strips = |row: &ProviderRow| row.params.messages.strip_cache_control;
        let (native, _) = resolve("openai/my-vllm-model", None).unwrap();
        let (chat, _) = resolve("openai/gpt-4o", None).unwrap();
        for host in ["api.openai.com", "eu.api.openai.com", "OPENAI.COM"] {
            let hosted = on_host(native, host, "my-vllm-model");
            assert!(strips(hosted), "{host}");
            assert!(hosted.endpoints.contains(&Endpoint::Completions));
            let hosted = on_host(chat, host, "gpt-4o");
            assert!(strips(hosted), "{host}");
            assert!(!hosted.endpoints.contains(&Endpoint::Completions));
        }
        for host in [
            "127.0.0.1",
            "openai.com.example",
            "myopenai.com",
            "localhost",
        ] {
            assert!(std::ptr::eq(on_host(chat, host, "gpt-4o"), chat), "{host}");
            assert!(!strips(on_host(native, host, "m")), "{host}");
        }
        let (groq, _) = resolve("groq/llama-3", None).unwrap();
        assert!(std::ptr::eq(on_host(groq, "api.openai.com", "m"), groq));
        assert!(strips(resolve("custom_openai/m", None).unwrap().0));
        let aiohttp = resolve("aiohttp_openai/m", None).unwrap().0;
        assert!(strips(aiohttp) && aiohttp.params.stream_false);
        assert!(std::ptr::eq(
            on_host(aiohttp, "api.openai.com", "m"),
            aiohttp
        ));
    }

    #[test]
    fn openai_s_series_pick_their_tables() {
        use crate::params::Param;
        for (model, series) in [
            ("o3-mini", OpenAiSeries::O),
            ("o1", OpenAiSeries::O),
            ("o4-mini-2025-04-16", OpenAiSeries::O),
            ("o3-my-finetune", OpenAiSeries::Other),
            ("gpt-5", OpenAiSeries::Gpt5),
            ("gpt-5-mini", OpenAiSeries::Gpt5),
            ("gpt-5.1-codex", OpenAiSeries::Gpt5),
            ("ft:gpt-5-mini:org::x", OpenAiSeries::Gpt5),
            ("gpt-5-chat-latest", OpenAiSeries::Other),
            ("gpt-5-search-api", OpenAiSeries::Other),
            ("gpt-4o", OpenAiSeries::Other),
            ("omni-moderation-latest", OpenAiSeries::Other),
        ] {
            assert_eq!(OpenAiSeries::of(model), series, "{model}");
        }
        for (model, series) in [
            ("gpt-5.1", OpenAiSeries::Gpt5NoneDefault),
            ("gpt-5.5", OpenAiSeries::Gpt5NoneLevel),
            ("gpt-5.2-pro", OpenAiSeries::Gpt5),
            ("my-gpt-5-deployment", OpenAiSeries::Gpt5),
        ] {
            assert_eq!(OpenAiSeries::of(model), series, "{model}");
        }
        use crate::params::{NoneLevel, Sampling};
        let params = |model: &str| resolve(&format!("openai/{model}"), None).unwrap().0.params;
        assert!(params("o3-mini").refused.contains(Param::TopP));
        assert_eq!(params("o3-mini").sampling, Sampling::OSeries);
        assert!(params("gpt-5-mini").refused.contains(Param::Stop));
        assert!(params("gpt-5-mini").refused.contains(Param::TopP));
        assert!(params("gpt-5-mini").max_completion_tokens_only);
        assert_eq!(
            params("gpt-5-mini").sampling,
            Sampling::Gpt5(NoneLevel::Unsupported)
        );
        assert!(!params("gpt-5.1").refused.contains(Param::TopP));
        assert_eq!(
            params("gpt-5.1").sampling,
            Sampling::Gpt5(NoneLevel::Default)
        );
        assert!(!params("gpt-4o").max_completion_tokens_only);
        assert_eq!(params("gpt-4o").sampling, Sampling::Any);
        // The series and the host compose.
        let (row, model) = resolve("openai/o3-mini", None).unwrap();
        let hosted = on_host(row, "api.openai.com", model);
        assert!(hosted.params.messages.strip_cache_control);
        assert_eq!(hosted.params.sampling, Sampling::OSeries);
        // Other providers' models of the same names keep their rows' tables.
        assert_eq!(
            resolve("groq/o3-mini", None).unwrap().0.params.sampling,
            Sampling::Any
        );
        assert!(
            !resolve("custom_openai/gpt-5", None)
                .unwrap()
                .0
                .params
                .max_completion_tokens_only
        );
    }

    #[test]
    fn deepseek_s_reasoning_models_fill_their_turns() {
        let fills = |model: &str| {
            resolve(model, None)
                .unwrap()
                .0
                .params
                .messages
                .reasoning_fill
                == crate::params::ReasoningFill::Assistant
        };
        assert!(fills("deepseek/deepseek-reasoner"));
        assert!(fills("deepseek/deepseek-v3.2"));
        assert!(!fills("deepseek/deepseek-chat"));
        assert!(reasons("deepseek", "deepseek/deepseek-r1"));
        let moonshot = |model: &str| resolve(model, None).unwrap().0.params.effort_as_string;
        assert!(moonshot("moonshot/kimi-k2.5"));
        assert!(!moonshot("moonshot/moonshot-v1-8k"));
        assert!(!reasons("deepseek", "deepseek-nope"));
    }

    #[test]
    fn voyages_contextual_and_multimodal_models_are_not_guessed() {
        let voyage = PROVIDERS.iter().find(|r| r.name == "voyage").unwrap();
        assert!(unserved_model(voyage, "voyage-context-3", false).is_some());
        assert!(unserved_model(voyage, "voyage-multimodal-3", false).is_some());
        assert_eq!(unserved_model(voyage, "voyage-3.5", false), None);
        assert_eq!(unserved_model(voyage, "rerank-2", false), None);
    }

    #[test]
    fn fireworks_models_are_named_as_its_resources() {
        let fw = PROVIDERS.iter().find(|r| r.name == "fireworks_ai").unwrap();
        let name = |m: &str, e: Endpoint| wire_model(fw, e, m).into_owned();
        let chat = Endpoint::ChatCompletions;
        assert_eq!(
            name("llama-v3p1-8b-instruct", chat),
            "accounts/fireworks/models/llama-v3p1-8b-instruct"
        );
        assert_eq!(name("models/x", chat), "accounts/fireworks/models/x");
        assert_eq!(name("routers/r", chat), "accounts/fireworks/routers/r");
        assert_eq!(
            name("glm-4p5-fast", chat),
            "accounts/fireworks/routers/glm-4p5-fast"
        );
        assert_eq!(name("auto", chat), "accounts/fireworks/routers/auto");
        assert_eq!(name("accounts/a/models/b", chat), "accounts/a/models/b");
        assert_eq!(name("FW-123", chat), "FW-123");
        assert_eq!(name("m#x", chat), "m#x");
        assert_eq!(name("nomic-embed", Endpoint::Embeddings), "nomic-embed");
        let openai = PROVIDERS.iter().find(|r| r.name == "openai").unwrap();
        assert_eq!(wire_model(openai, chat, "gpt-4o"), "gpt-4o");
    }

    use super::*;

    #[test]
    fn routes_by_prefix_and_keeps_nested_slashes() {
        let (row, m) = resolve("hosted_vllm/meta-llama/X", None).unwrap();
        assert_eq!((row.name, m), ("hosted_vllm", "meta-llama/X"));
        let (row, m) = resolve("groq/llama-3.1-8b", None).unwrap();
        assert_eq!((row.name, m), ("groq", "llama-3.1-8b"));
    }

    #[test]
    fn custom_provider_wins_and_unknown_prefix_is_openai() {
        let (row, m) = resolve("meta-llama/X", Some("together_ai")).unwrap();
        assert_eq!((row.name, m), ("together_ai", "meta-llama/X"));
        let (row, m) = resolve("groq/x", Some("groq")).unwrap();
        assert_eq!((row.name, m), ("groq", "x"));
        let (row, m) = resolve("meta-llama/X", None).unwrap();
        assert_eq!((row.name, m), ("openai", "meta-llama/X"));
        assert_eq!(
            resolve("x", Some("nope")).err(),
            Some(UnknownProvider::Unknown)
        );
    }

    /// LiteLLM files some `cohere/` chat models under `cohere_chat` (its messages say so).
    #[test]
    fn cohere_chat_models_resolve_to_cohere_chat() {
        let name = |m: &str, p: Option<&str>| resolve(m, p).unwrap().0.name;
        assert_eq!(name("cohere/command-r-plus", None), "cohere");
        assert_eq!(name("cohere/command-a-03-2025", None), "cohere_chat");
        assert_eq!(name("cohere_chat/command-r-plus", None), "cohere_chat");
        assert_eq!(name("command-r7b-12-2024", Some("cohere")), "cohere_chat");
        assert_eq!(
            unserved_model(find("cohere_chat").unwrap(), "v1/command-r", false),
            Some("cohere (Cohere's v1 chat API, v1/ models)")
        );
    }

    #[test]
    fn litellm_providers_without_a_row_are_refused_not_guessed() {
        for model in [
            "vertex_ai_beta/gemini-2.5-pro",
            "sagemaker/x/y",
            "replicate/meta/llama",
        ] {
            let name = model.split('/').next().unwrap();
            assert_eq!(
                resolve(model, None).err(),
                Some(UnknownProvider::Unsupported(name)),
                "{model}"
            );
        }
        assert_eq!(
            resolve("x", Some("replicate")).err(),
            Some(UnknownProvider::Unsupported("replicate"))
        );
        for row in PROVIDERS {
            assert!(!NOT_YET_SUPPORTED.contains(&row.name), "{}", row.name);
            for alias in row.aliases {
                assert!(!NOT_YET_SUPPORTED.contains(alias), "{alias}");
            }
        }
    }

    #[test]
    fn ollama_and_ollama_chat_are_two_apis() {
        let (row, m) = resolve("ollama_chat/llama3:8b", None).unwrap();
        assert_eq!(
            (row.name, row.family, m),
            ("ollama_chat", Family::OllamaChat, "llama3:8b")
        );
        let (row, _) = resolve("ollama/llama3", None).unwrap();
        assert_eq!(row.family, Family::Ollama);
        let mut p = String::new();
        write_request_path(row, Endpoint::Embeddings, "m", None, false, &mut p);
        assert_eq!(p, "/api/embed");
    }

    #[test]
    fn responses_paths_name_the_stored_response() {
        let openai = find("openai").unwrap();
        let azure = find("azure").unwrap();
        let path = |row, endpoint, version| {
            let mut p = String::new();
            write_responses_path(row, endpoint, Some("resp_0a/b"), version, &mut p);
            p
        };
        assert_eq!(path(openai, Endpoint::Responses, None), "/responses");
        assert_eq!(
            path(openai, Endpoint::Response(ResponseOp::Get), None),
            "/responses/resp_0a%2Fb"
        );
        assert_eq!(
            path(openai, Endpoint::Response(ResponseOp::InputItems), None),
            "/responses/resp_0a%2Fb/input_items?limit=20&order=desc"
        );
        assert_eq!(
            path(openai, Endpoint::Response(ResponseOp::Cancel), None),
            "/responses/resp_0a%2Fb/cancel"
        );
        assert_eq!(
            path(azure, Endpoint::Responses, None),
            "/openai/v1/responses?api-version=preview"
        );
        assert_eq!(
            path(azure, Endpoint::Responses, Some("2025-03-01-preview")),
            "/openai/responses?api-version=2025-03-01-preview"
        );
        assert_eq!(
            path(azure, Endpoint::Response(ResponseOp::InputItems), Some("2025-03-01-preview")),
            "/openai/responses/resp_0a%2Fb/input_items?api-version=2025-03-01-preview&limit=20&order=desc"
        );
        assert_eq!(Endpoint::Response(ResponseOp::Delete).method(), "DELETE");
    }

    #[test]
    fn azure_path_has_deployment_and_version() {
        let row = find("azure").unwrap();
        let mut p = String::new();
        write_request_path(
            row,
            Endpoint::ChatCompletions,
            "gpt-4o",
            None,
            false,
            &mut p,
        );
        assert_eq!(
            p,
            "/openai/deployments/gpt-4o/chat/completions?api-version=2025-02-01-preview"
        );
        p.clear();
        write_request_path(
            row,
            Endpoint::Embeddings,
            "a b/c",
            Some("2024-10-21"),
            false,
            &mut p,
        );
        assert_eq!(
            p,
            "/openai/deployments/a%20b%2Fc/embeddings?api-version=2024-10-21"
        );
    }
}
