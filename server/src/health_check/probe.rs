//! One deployment's health check, as LiteLLM's `_run_model_health_check` and
//! `litellm.ahealth_check` make it: the request its mode calls for, sent through the gateway's
//! own upstream path (`proxy::build_upstream`, `relay::fetch`, the family's answer
//! translation), within the check's timeout.

use std::time::{Duration, Instant};

use corelane_config::Value as Yaml;
use corelane_http1::Method;
use corelane_transforms::family::{self, Bridge};
use corelane_transforms::openai;
use corelane_transforms::provider::{self, Endpoint, ProviderRow};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{json, Map, Value};

use super::report::{self, Failure, Outcome};
use super::Settings;
use crate::core::Core;
use crate::errors::GatewayError;
use crate::exchange::{Exchange, Request, RouteLabel};
use crate::gateway::{Deployment, DeploymentKind, Upstream};
use crate::router::{self, Target};

/// The cost map's models whose mode is not chat (`scripts/litellm-health-check.py`).
const MODES: &str = include_str!("modes.tsv");
/// Per provider, the cheapest chat models a wildcard deployment is checked with.
const WILDCARD_MODELS: &str = include_str!("wildcard_models.tsv");
/// The document of an OCR check (LiteLLM's `NATIVE_OCR_HEALTH_CHECK_DOCUMENT`: a one-page PDF).
const OCR_DOCUMENT: &str = "data:application/pdf;base64,JVBERi0xLjQKJeLjz9MKMyAwIG9iago8PC9UeXBlIC9QYWdlCi9QYXJlbnQgMSAwIFIKL01lZGlhQm94IFswIDAgNjEyIDc5Ml0KL0NvbnRlbnRzIDQgMCBSCi9SZXNvdXJjZXMgPDwvRm9udCA8PC9GMSAyIDAgUj4+Pj4+PgplbmRvYmoKNCAwIG9iago8PC9MZW5ndGggNDQ+PgpzdHJlYW0KQlQKL0YxIDI0IFRmCjEwMCA3MDAgVGQKKHRlc3QpIFRqCkVUCmVuZHN0cmVhbQplbmRvYmoKMiAwIG9iago8PC9UeXBlIC9Gb250Ci9TdWJ0eXBlIC9UeXBlMQovQmFzZUZvbnQgL0hlbHZldGljYT4+CmVuZG9iagoxIDAgb2JqCjw8L1R5cGUgL1BhZ2VzCi9LaWRzIFszIDAgUl0KL0NvdW50IDE+PgplbmRvYmoKNSAwIG9iago8PC9UeXBlIC9DYXRhbG9nCi9QYWdlcyAxIDAgUj4+CmVuZG9iagp0cmFpbGVyCjw8L1NpemUgNgovUm9vdCA1IDAgUj4+CnN0YXJ0eHJlZgozMjQKJSVFT0Y=";
/// LiteLLM's default `max_tokens` of a check that takes one (`_resolve_health_check_max_tokens`).
const MAX_TOKENS: u64 = 16;
/// The largest answer a check reads (a one-input embedding or a 16-token chat is far below).
const MAX_ANSWER: usize = 4 * 1024 * 1024;
/// Where LiteLLM's message for a mode it has no check for sends the reader.
const MODES_DOC: &str = "See modes here: https://docs.litellm.ai/docs/proxy/health";

/// What a check sends, by mode (LiteLLM's `HealthCheckHelpers.get_mode_handlers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Chat,
    Completion,
    Embedding,
    Rerank,
    Responses,
    AnthropicMessages,
    Ocr,
}

impl Mode {
    /// The mode a deployment's `mode` names; `Err` says why it cannot be checked.
    fn of(mode: &str) -> Result<Mode, String> {
        Ok(match mode {
            "chat" => Mode::Chat,
            "completion" => Mode::Completion,
            "embedding" => Mode::Embedding,
            "rerank" => Mode::Rerank,
            "responses" => Mode::Responses,
            "anthropic_messages" => Mode::AnthropicMessages,
            "ocr" => Mode::Ocr,
            // LiteLLM has a check for these; corelane serves none of their endpoints.
            "audio_speech"
            | "audio_transcription"
            | "image_generation"
            | "image_edit"
            | "video_generation"
            | "realtime"
            | "batch"
            | "decisions" => {
                return Err(format!(
                    "Mode {mode} not supported by corelane yet. {MODES_DOC}"
                ))
            }
            _ => return Err(format!("Mode {mode} not supported. {MODES_DOC}")),
        })
    }

    fn endpoint(self) -> Endpoint {
        match self {
            Mode::Chat => Endpoint::ChatCompletions,
            Mode::Completion => Endpoint::Completions,
            Mode::Embedding => Endpoint::Embeddings,
            Mode::Rerank => Endpoint::Rerank,
            Mode::Responses => Endpoint::Responses,
            Mode::AnthropicMessages => Endpoint::Messages,
            Mode::Ocr => Endpoint::Ocr,
        }
    }

    /// `_MAX_TOKEN_SUPPORT_MODES`: the chat-style checks that carry `max_tokens`.
    fn takes_max_tokens(self) -> bool {
        matches!(
            self,
            Mode::Chat | Mode::Completion | Mode::Responses | Mode::AnthropicMessages
        )
    }
}

/// A `model_info` key the config kept as written.
fn info<'d>(dep: &'d Deployment, key: &str) -> Option<&'d Yaml> {
    dep.info
        .extra
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .filter(|v| !matches!(v, Yaml::Null))
}

/// Python's truth of a kept value.
fn truthy(v: &Yaml) -> bool {
    match v {
        Yaml::Null => false,
        Yaml::Bool(b) => *b,
        Yaml::Int(i) => *i != 0,
        Yaml::Float(f) => *f != 0.0,
        Yaml::String(s) => !s.is_empty(),
        Yaml::List(l) => !l.is_empty(),
        Yaml::Map(m) => !m.is_empty(),
    }
}

/// Python's `int(v)` of a kept value.
fn int(v: &Yaml) -> Option<u64> {
    match v {
        Yaml::Int(i) => u64::try_from(*i).ok(),
        Yaml::Float(f) if *f >= 0.0 && f.is_finite() => Some(f.trunc() as u64),
        Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn to_json(v: &Yaml) -> Value {
    let mut text = String::new();
    v.write_json(&mut text);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// `model_info.disable_background_health_check`.
pub(super) fn skips_background(dep: &Deployment) -> bool {
    info(dep, "disable_background_health_check").is_some_and(truthy)
}

/// The model a check names: `model_info.health_check_model`, else the deployment's.
pub(super) fn checked_model(dep: &Deployment) -> &str {
    match info(dep, "health_check_model") {
        Some(Yaml::String(m)) => m,
        _ => &dep.params.model,
    }
}

/// The cost map's mode of `model` (`litellm.get_model_info(model)["mode"]`): the full name,
/// then without its provider prefix; `None` for chat and for models it does not list.
fn map_mode(model: &str) -> Option<&'static str> {
    static ROWS: std::sync::LazyLock<Vec<(&'static str, &'static str)>> =
        std::sync::LazyLock::new(|| {
            MODES
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once('\t'))
                .collect()
        });
    let find = |key: &str| {
        ROWS.binary_search_by(|(k, _)| k.as_bytes().cmp(key.as_bytes()))
            .ok()
            .map(|i| ROWS[i].1)
    };
    find(model).or_else(|| find(model.split_once('/')?.1))
}

/// LiteLLM's `resolve_health_check_mode`: `model_info.mode`, else the cost map's, else chat.
fn mode_name(dep: &Deployment) -> &str {
    dep.info
        .mode
        .as_deref()
        .or_else(|| map_mode(&dep.params.model))
        .or_else(|| map_mode(checked_model(dep)))
        .unwrap_or("chat")
}

/// The cheapest chat models LiteLLM checks a wildcard over `provider` with.
fn wildcard_models(provider: &str) -> Vec<&'static str> {
    WILDCARD_MODELS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(provider)?.strip_prefix('\t'))
        .map(|rest| rest.split('\t').collect())
        .unwrap_or_default()
}

/// LiteLLM's `_resolve_health_check_max_tokens`.
fn max_tokens(dep: &Deployment, settings: &Settings) -> Option<u64> {
    if let Some(n) = info(dep, "health_check_max_tokens").and_then(int) {
        return Some(n);
    }
    let wildcard = dep.params.model.contains('*');
    if !wildcard {
        let reasons = match &dep.kind {
            DeploymentKind::Fixed { provider, .. } => {
                provider::supports_reasoning(provider.name, &dep.params.model)
            }
            _ => false,
        };
        let reasoning = info(dep, "health_check_max_tokens_reasoning").and_then(int);
        let plain = info(dep, "health_check_max_tokens_non_reasoning").and_then(int);
        match (reasons, reasoning, plain) {
            (true, Some(n), _) | (false, _, Some(n)) => return Some(n),
            _ => {}
        }
        if reasons {
            if let Some(n) = settings.max_tokens_reasoning {
                return Some(n);
            }
        }
    }
    settings.max_tokens.or((!wildcard).then_some(MAX_TOKENS))
}

/// LiteLLM's `_get_random_llm_message`.
fn random_message() -> Value {
    let text = if fastrand::bool() {
        "Hey how's it going?"
    } else {
        "What's 1 + 1?"
    };
    json!([{"role": "user", "content": text}])
}

/// The body of a check (`model` is what the gateway splices the provider's model into).
fn body(dep: &Deployment, settings: &Settings, mode: Mode, wildcard: bool) -> Vec<u8> {
    let mut body = Map::new();
    // `model_info.health_check_params` first: the dedicated knobs below win on conflict.
    if let Some(Value::Object(params)) = info(dep, "health_check_params").map(to_json) {
        body.extend(params);
    }
    body.insert("model".into(), json!(dep.group));
    let supports = info(dep, "health_check_supports_max_tokens").map(truthy);
    let tokens = match supports.unwrap_or(mode.takes_max_tokens()) {
        true => max_tokens(dep, settings),
        false => None,
    };
    // A wildcard is checked as a chat with `max_tokens` 16 unless one was resolved.
    let tokens = if wildcard {
        Some(tokens.unwrap_or(MAX_TOKENS))
    } else {
        tokens
    };
    match mode {
        Mode::Chat | Mode::AnthropicMessages => {
            body.insert("messages".into(), random_message());
        }
        Mode::Completion => {
            body.insert("prompt".into(), json!(settings.prompt));
        }
        // `ahealth_check`'s `input`, not the prompt.
        Mode::Embedding => {
            body.insert("input".into(), json!(["test from litellm"]));
        }
        Mode::Rerank => {
            body.insert("query".into(), json!(settings.prompt));
            body.insert("documents".into(), json!(["my sample text"]));
        }
        Mode::Responses => {
            body.insert("input".into(), json!(settings.prompt));
        }
        Mode::Ocr => {
            body.insert(
                "document".into(),
                json!({"type": "document_url", "document_url": OCR_DOCUMENT}),
            );
        }
    }
    match (mode, tokens) {
        // LiteLLM's Responses API call drops `max_tokens`; its Messages call always has one.
        (Mode::Responses, _) => {}
        (Mode::AnthropicMessages, None) => {
            body.insert("max_tokens".into(), json!(MAX_TOKENS));
        }
        (_, Some(n)) => {
            body.insert("max_tokens".into(), json!(n));
        }
        (_, None) => {}
    }
    if matches!(mode, Mode::Chat | Mode::Completion) {
        if let Some(effort) = info(dep, "health_check_reasoning_effort") {
            body.insert("reasoning_effort".into(), to_json(effort));
        }
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Checks `deployments` (indexes), at most `settings.concurrency` at once; the outcomes in
/// the same order.
pub(super) async fn check_all(
    core: &Core,
    settings: &Settings,
    deployments: &[usize],
) -> Vec<Outcome> {
    let gw = &core.gateway;
    let mut outcomes: Vec<Option<Outcome>> = deployments.iter().map(|_| None).collect();
    let mut queue = deployments.iter().enumerate();
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < settings.concurrency {
            let Some((i, &d)) = queue.next() else {
                break;
            };
            let dep = &gw.deployments[d];
            running.push(async move { (i, check(core, settings, dep).await) });
        }
        match running.next().await {
            Some((i, outcome)) => outcomes[i] = Some(outcome),
            None => break,
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::Healthy))
        .collect()
}

/// One deployment's check within its timeout (`model_info.health_check_timeout`, else
/// `HEALTH_CHECK_TIMEOUT_SECONDS`): past it, LiteLLM's "Timeout exceeded" (408).
async fn check(core: &Core, settings: &Settings, dep: &Deployment) -> Outcome {
    let timeout = info(dep, "health_check_timeout")
        .and_then(|v| match v {
            Yaml::Int(i) => u64::try_from(*i).ok().map(Duration::from_secs),
            Yaml::Float(f) => Duration::try_from_secs_f64(*f).ok(),
            _ => None,
        })
        .filter(|t| !t.is_zero())
        .unwrap_or(settings.timeout);
    match monoio::time::timeout(timeout, run(core, settings, dep)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Unhealthy(Failure {
            error: "Timeout exceeded".to_owned(),
            status: 408,
            raw_request: None,
        }),
    }
}

/// A failure before any request was made (LiteLLM's `raw_request_typed_dict` is null).
fn refused(error: String, status: u16) -> Outcome {
    Outcome::Unhealthy(Failure {
        error,
        status,
        raw_request: Some(Value::Null),
    })
}

async fn run(core: &Core, settings: &Settings, dep: &Deployment) -> Outcome {
    let hc_model = info(dep, "health_check_model").and_then(|v| match v {
        Yaml::String(m) => Some(m.as_str()),
        _ => None,
    });
    // `ahealth_check` checks a wildcard (without `health_check_model`) as a chat with the
    // provider's cheapest models, each tried until one answers.
    if let (DeploymentKind::Wildcard { template, .. }, None) = (&dep.kind, hc_model) {
        let provider = dep
            .params
            .custom_llm_provider
            .as_deref()
            .or_else(|| template.split_once('/').map(|(p, _)| p))
            .unwrap_or(template);
        let candidates = wildcard_models(provider);
        if candidates.is_empty() {
            return refused(
                format!("Unable to health check wildcard model for provider {provider}. Add a model on your config.yaml or contribute here - https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"),
                500,
            );
        }
        let body = body(dep, settings, Mode::Chat, true);
        let mut last = None;
        for candidate in &candidates {
            let star = candidate
                .strip_prefix(provider)
                .and_then(|m| m.strip_prefix('/'))
                .unwrap_or(candidate);
            match send(core, dep, Some(star), Mode::Chat, &body).await {
                Outcome::Healthy => return Outcome::Healthy,
                Outcome::Unhealthy(f) => last = Some(f),
            }
        }
        return match (last, candidates.len()) {
            (Some(mut f), n) if n > 1 => {
                // `async_completion_with_fallbacks`' message when every model failed.
                f.error = format!("{}. All fallback attempts failed. Enable verbose logging with `litellm.set_verbose=True` for details.", f.error);
                f.status = 500;
                Outcome::Unhealthy(f)
            }
            (Some(f), _) => Outcome::Unhealthy(f),
            (None, _) => Outcome::Healthy,
        };
    }
    let mode = match Mode::of(mode_name(dep)) {
        Ok(mode) => mode,
        Err(message) => return refused(message, 500),
    };
    let body = body(dep, settings, mode, false);
    let star = match (&dep.kind, hc_model) {
        (DeploymentKind::Wildcard { template, .. }, Some(model)) => {
            let (before, after) = template.split_once('*').unwrap_or((template, ""));
            match model
                .strip_prefix(before)
                .and_then(|m| m.strip_suffix(after))
            {
                Some(star) => Some(star),
                None => {
                    return refused(
                        format!(
                        "health_check_model={model} does not match the wildcard model={template}"
                    ),
                        400,
                    )
                }
            }
        }
        _ => None,
    };
    send(core, dep, star, mode, &body).await
}

/// Sends one check to `dep` (`star`: the model a wildcard's `*` stands for) and reads the
/// whole answer, through the path a client's request takes.
async fn send(
    core: &Core,
    dep: &Deployment,
    star: Option<&str>,
    mode: Mode,
    body: &[u8],
) -> Outcome {
    let endpoint = mode.endpoint();
    let mut ex = Exchange::new(Method::Post, RouteLabel("/health"), Instant::now(), false);
    ex.api = Some(endpoint);
    ex.requested_model.push_str(&dep.group);
    ex.deployment = Some(dep);
    ex.call_id = crate::response::CallId::random();
    let fail = |e: &GatewayError| refused(e.message(), e.status());
    let (provider, provider_model, upstream) = match router::target(dep, star) {
        // LiteLLM's mock_response answers a check as it answers a request.
        Ok(Target::Mock(_)) => return Outcome::Healthy,
        Ok(Target::Upstream {
            provider,
            provider_model,
            upstream,
        }) => (provider, provider_model, upstream),
        Err(e) => return fail(&e),
    };
    let provider_model = match checked_provider_model(dep, provider, star) {
        Ok(Some(model)) => std::borrow::Cow::Owned(model),
        Ok(None) => provider_model,
        Err(e) => return fail(&e),
    };
    ex.provider = Some(provider);
    ex.api_base = &upstream.api_base;
    if !family::serves(provider, endpoint) {
        return fail(&GatewayError::UnsupportedEndpoint {
            model: dep.group.clone(),
            route: endpoint.path(),
        });
    }
    let request = match upstream_request(
        core,
        &ex,
        dep,
        provider,
        &provider_model,
        upstream,
        endpoint,
        body,
    ) {
        Ok(request) => request,
        Err(e) => return fail(&e),
    };
    let sent = request
        .bytes
        .get(request.start..)
        .unwrap_or_default()
        .to_vec();
    let answered =
        crate::relay::fetch(core, &mut ex, dep, provider, upstream, request, MAX_ANSWER).await;
    let checked = answered.and_then(|answer| {
        let mut out = Vec::new();
        family::rewrite_response(
            provider,
            endpoint,
            &answer,
            &ex.requested_model,
            || ex.answer_id(),
            ex.request_note.get(),
            &ex.origin(),
            &mut out,
        )
        .map(drop)
        .map_err(|detail| GatewayError::UpstreamProtocol {
            provider: provider.name,
            detail,
        })
    });
    match checked {
        Ok(()) => Outcome::Healthy,
        Err(e) => Outcome::Unhealthy(Failure {
            error: e.message(),
            status: e.status(),
            raw_request: Some(report::raw_request(&sent, upstream)),
        }),
    }
}

/// The provider's model a fixed deployment's `health_check_model` names (`None`: the
/// deployment's own). It must be a model of the deployment's provider: the check goes to the
/// deployment's upstream with its credentials.
fn checked_provider_model(
    dep: &Deployment,
    row: &'static ProviderRow,
    star: Option<&str>,
) -> Result<Option<String>, GatewayError> {
    let model = checked_model(dep);
    if star.is_some() || model == dep.params.model {
        return Ok(None);
    }
    match provider::resolve(model, dep.params.custom_llm_provider.as_deref()) {
        Ok((found, provider_model)) if found.name == row.name => {
            Ok(Some(provider_model.to_owned()))
        }
        _ => Err(GatewayError::BadRequest {
            message: format!(
                "health_check_model={model} is not a model of provider '{}' (model={})",
                row.name, dep.params.model
            ),
        }),
    }
}

/// The upstream request of a check, built as a client's request of the same body is (Titan
/// embeddings, one input a request, as `proxy::titan_embeddings` sends them).
#[allow(clippy::too_many_arguments)]
fn upstream_request<'b>(
    core: &Core,
    ex: &Exchange<'_>,
    dep: &Deployment,
    provider: &'static ProviderRow,
    provider_model: &str,
    upstream: &Upstream,
    endpoint: Endpoint,
    body: &'b [u8],
) -> Result<crate::relay::UpstreamRequest<'b>, GatewayError> {
    use corelane_transforms::bedrock::embed;
    if family::bridge(provider, endpoint) == Bridge::EmbedToBedrock
        && embed::EmbedModel::of(provider_model).is_some_and(|m| m.one_input_a_request())
    {
        let plan = embed::titan_requests(body, provider_model)
            .map_err(|e| crate::proxy::transform_error(provider, endpoint, e))?;
        let mut bytes = crate::io::with_head_room(core.take_buf());
        plan.body(0, &mut bytes);
        let body_len = bytes.len() - crate::io::HEAD_ROOM;
        return crate::proxy::finish_upstream(
            core,
            dep,
            provider,
            provider_model,
            upstream,
            endpoint,
            false,
            None,
            None,
            bytes,
            body_len,
            None,
        );
    }
    let fields =
        openai::inspect(body, &mut core.scratch.borrow_mut()).map_err(GatewayError::Json)?;
    core.trim_scratch();
    let req = Request {
        raw_head: b"",
        method: Method::Post,
        target: "/health",
        body,
        spilled: None,
        anthropic_beta: None,
        router_headers: Default::default(),
    };
    crate::proxy::build_upstream(
        core,
        ex,
        dep,
        provider,
        provider_model,
        upstream,
        endpoint,
        &req,
        &fields,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_come_from_the_cost_map_by_full_then_bare_name() {
        assert_eq!(map_mode("text-embedding-3-small"), Some("embedding"));
        assert_eq!(map_mode("openai/text-embedding-3-small"), Some("embedding"));
        assert_eq!(map_mode("openai/gpt-4o"), None);
        assert_eq!(map_mode("nope/nothing"), None);
    }

    #[test]
    fn modes_litellm_has_no_check_for_are_named_as_litellm_names_them() {
        assert_eq!(Mode::of("chat"), Ok(Mode::Chat));
        assert_eq!(
            Mode::of("nonsense"),
            Err(format!("Mode nonsense not supported. {MODES_DOC}"))
        );
        assert!(Mode::of("image_generation")
            .is_err_and(|e| e.starts_with("Mode image_generation not supported by corelane")));
    }

    #[test]
    fn a_wildcard_is_checked_with_the_providers_cheapest_chat_models() {
        let models = wildcard_models("openai");
        assert!(!models.is_empty() && models.len() <= 3, "{models:?}");
        assert!(wildcard_models("no-such-provider").is_empty());
    }
}
