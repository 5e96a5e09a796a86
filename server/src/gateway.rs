//! The immutable snapshot every core reads: model groups, deployments and their upstreams,
//! built once from the typed config (and swapped whole on reload).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use corelane_config::{Config, Env, LitellmParams, ModelInfo};
use corelane_http1::Limits;
use corelane_transforms::cost::{self, Prices};
use corelane_transforms::provider::{
    self, Auth, Credentials, PathStyle, ProviderRow, RefreshedToken, TokenState, UnknownProvider,
};
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use crate::google_auth;
use crate::upstream::origin::{Origin, OriginError};

/// LiteLLM's default request timeout (`litellm.request_timeout`, seconds).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(6000);

/// Bytes in LiteLLM's `max_request_size_mb` unit.
const MIB: f64 = 1024.0 * 1024.0;

/// Where a deployment's requests go and how they are authenticated.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub origin: Origin,
    /// Path prefix from `api_base` (no trailing slash), e.g. "/v1".
    pub base_path: String,
    /// `api_base` as reported in `x-litellm-model-api-base`.
    pub api_base: String,
    /// The key (and later signing credentials) the row's auth style sends.
    pub credentials: Credentials,
}

/// One `model_list` entry, resolved against the provider table.
#[derive(Debug)]
pub struct Deployment {
    /// Position in [`Gateway::deployments`].
    pub index: usize,
    /// `model_info.id`, else a stable hash of the entry (LiteLLM derives one the same way).
    pub id: String,
    pub group: String,
    pub params: LitellmParams,
    pub info: ModelInfo,
    pub kind: DeploymentKind,
    /// The upstream timeout (LiteLLM's chain: the deployment's `timeout`, else its
    /// `request_timeout`, else `litellm_settings.request_timeout`, else the router's
    /// `timeout`, else 6000 s; 0 is unset).
    pub timeout: Duration,
    /// A stream's, when one is set: the deployment's `stream_timeout`, else the router's,
    /// else `litellm_settings.request_timeout` where the router also sets `timeout`.
    pub stream_timeout: Option<Duration>,
    /// Its own cooldown settings (`model_info`, `litellm_params.cooldown_time`).
    pub cooldown: crate::health::DeploymentRules,
    /// Its context window, for the pre-call checks (`model_info.max_input_tokens`, else the
    /// bundled table's).
    pub max_input_tokens: Option<u64>,
    pub prices: Option<Prices>,
    /// `drop_params`, global or the deployment's: parameters the provider has no field for
    /// are dropped instead of refused.
    pub drop_params: bool,
}

/// How a deployment reaches its model.
#[derive(Debug)]
pub enum DeploymentKind {
    /// `litellm_params.mock_response`: answered without any upstream.
    Mock(String),
    /// A concrete provider model.
    Fixed {
        provider: &'static ProviderRow,
        provider_model: String,
        upstream: Upstream,
    },
    /// A provider LiteLLM knows and corelane does not implement yet: its requests are
    /// refused with a 400 naming it, never sent anywhere.
    Unsupported { provider: &'static str },
    /// `litellm_params.model` contains `*`: the provider follows the request's model.
    Wildcard {
        template: String,
        /// Upstreams for every provider that can be reached without further configuration.
        upstreams: HashMap<&'static str, Upstream>,
    },
}

/// A named group of deployments clients address by `model`.
#[derive(Debug)]
pub struct ModelGroup {
    /// Position in [`Gateway::groups`].
    pub index: usize,
    pub name: String,
    pub deployments: Vec<usize>,
    /// Group names ending in `*` match by prefix.
    pub wildcard_prefix: Option<String>,
}

/// A `model_group_alias` entry.
#[derive(Debug)]
pub struct Alias {
    pub group: usize,
    pub hidden: bool,
}

/// Everything a core needs to serve requests, read-only.
#[derive(Debug)]
pub struct Gateway {
    pub groups: Vec<ModelGroup>,
    /// Looked up with the client's model on every request; keys only from the config.
    pub by_name: FxHashMap<String, usize>,
    pub aliases: FxHashMap<String, Alias>,
    /// Indexes of wildcard groups, longest prefix first.
    pub wildcards: Vec<usize>,
    pub deployments: Vec<Deployment>,
    pub master_key: Option<String>,
    /// `general_settings.litellm_key_header_name`, lowercased.
    pub key_header: Option<String>,
    pub limits: Limits,
    /// Problems found while building that do not stop the start (logged as warnings).
    pub warnings: Vec<String>,
    /// The Google access tokens Vertex AI deployments need, one per distinct credentials,
    /// for the refresher (`google_auth::start`).
    pub google_tokens: Vec<google_auth::Entry>,
    /// The router's retry, fallback and cooldown settings.
    pub policy: crate::router::Policy,
    /// Each deployment's cooldown and recent failures, seen by every core.
    pub health: crate::health::Health,
    /// The background health checks' verdicts, for health-check routing (set once they
    /// exist, right after the gateway).
    pub health_checks: std::sync::OnceLock<Arc<crate::health_check::HealthChecks>>,
    /// The key and spend store, set once it is open (before the cores start).
    pub store: std::sync::OnceLock<crate::store::Store>,
    /// Virtual keys' rpm, tpm and parallel limits (in memory, or on Redis across instances).
    pub limiter: std::sync::OnceLock<crate::limits::Limiter>,
    /// The Python sidecar, when the config names plugins (set once at start).
    pub plugins: std::sync::OnceLock<Arc<crate::plugins::Sidecar>>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("model_list[{index}] ({name}): {message}")]
    Deployment {
        index: usize,
        name: String,
        message: String,
    },
}

impl Gateway {
    pub fn build(config: &Config) -> Result<Self, BuildError> {
        let set = |t: Option<Duration>| t.filter(|t| !t.is_zero());
        let (router, litellm) = (&config.router_settings, &config.litellm_settings);
        let default_timeout = set(litellm.request_timeout)
            .or(set(router.timeout))
            .unwrap_or(DEFAULT_TIMEOUT);
        let default_stream_timeout =
            set(router.stream_timeout).or(set(router.timeout).and(set(litellm.request_timeout)));
        let mut groups: Vec<ModelGroup> = Vec::new();
        let mut by_name: FxHashMap<String, usize> = FxHashMap::default();
        let mut deployments = Vec::with_capacity(config.model_list.len());
        let mut warnings = Vec::new();
        let mut tokens = GoogleTokens::default();
        for (index, entry) in config.model_list.iter().enumerate() {
            let fail = |message: String| BuildError::Deployment {
                index,
                name: entry.model_name.clone(),
                message,
            };
            let kind =
                deployment_kind(&entry.litellm_params, &config.env, &mut tokens).map_err(fail)?;
            for problem in tokens.problems.drain(..) {
                warnings.push(format!(
                    "model_list[{index}] ({}): {problem}; its requests get a 401",
                    entry.model_name
                ));
            }
            if let DeploymentKind::Unsupported { provider } = &kind {
                warnings.push(format!(
                    "model_list[{index}] ({}): provider '{provider}' (model={}) is not supported by corelane yet; its requests get a 400",
                    entry.model_name, entry.litellm_params.model
                ));
            }
            let params = &entry.litellm_params;
            if let DeploymentKind::Fixed { provider, .. } = &kind {
                // A rerank deployment corelane cannot serve is said so at start, not guessed.
                if entry.model_info.mode.as_deref() == Some("rerank")
                    && !corelane_transforms::family::serves(
                        provider,
                        corelane_transforms::provider::Endpoint::Rerank,
                    )
                {
                    warnings.push(format!(
                        "model_list[{index}] ({}): /rerank to provider '{}' is not supported by corelane yet; its rerank requests get a 400",
                        entry.model_name, provider.name
                    ));
                }
                // Another provider's keys are read, then said to be unused.
                let mut unused: Vec<&str> = Vec::new();
                if provider.auth != Auth::GoogleOAuth {
                    let vertex_keys = [
                        ("vertex_project", params.vertex_project.is_some()),
                        ("vertex_location", params.vertex_location.is_some()),
                        ("vertex_credentials", params.vertex_credentials.is_some()),
                    ];
                    unused.extend(vertex_keys.iter().filter(|(_, set)| *set).map(|(k, _)| *k));
                }
                if provider.auth != Auth::SigV4 {
                    unused.extend(params.aws.iter().map(|(k, _)| *k));
                }
                for key in unused {
                    warnings.push(format!(
                        "model_list[{index}] ({}): {key} is set but provider '{}' does not use it",
                        entry.model_name, provider.name
                    ));
                }
            }
            let timeout = set(params.timeout)
                .or(set(params.request_timeout))
                .unwrap_or(default_timeout);
            let prices = deployment_prices(params, &entry.model_info, &kind);
            // LiteLLM's window for the pre-call checks: model_info's, else the cost map's for
            // the provider and `base_model` (else the model).
            let max_input_tokens = entry.model_info.max_input_tokens.or_else(|| match &kind {
                DeploymentKind::Fixed {
                    provider,
                    provider_model,
                    ..
                } => corelane_transforms::cost::max_input_tokens(
                    provider.name,
                    entry
                        .model_info
                        .base_model
                        .as_deref()
                        .unwrap_or(provider_model),
                ),
                _ => None,
            });
            let id = match &entry.model_info.id {
                Some(id) => id.clone(),
                None => model_id(&entry.model_name, params),
            };
            let group = *by_name.entry(entry.model_name.clone()).or_insert_with(|| {
                groups.push(ModelGroup {
                    index: groups.len(),
                    name: entry.model_name.clone(),
                    deployments: Vec::new(),
                    wildcard_prefix: entry.model_name.strip_suffix('*').map(str::to_owned),
                });
                groups.len() - 1
            });
            groups[group].deployments.push(deployments.len());
            deployments.push(Deployment {
                index: deployments.len(),
                id,
                group: entry.model_name.clone(),
                params: params.clone(),
                info: entry.model_info.clone(),
                kind,
                timeout,
                stream_timeout: set(params.stream_timeout).or(default_stream_timeout),
                max_input_tokens,
                cooldown: crate::health::DeploymentRules {
                    cooldown_time: entry.model_info.cooldown_time.or(params.cooldown_time),
                    allowed_fails: entry
                        .model_info
                        .allowed_fails
                        .map(|n| n.min(u64::from(u32::MAX)) as u32),
                    policy: entry.model_info.allowed_fails_policy,
                },
                prices,
                drop_params: config.litellm_settings.drop_params == Some(true)
                    || params.drop_params == Some(true),
            });
        }
        let mut wildcards: Vec<usize> = (0..groups.len())
            .filter(|&g| groups[g].wildcard_prefix.is_some())
            .collect();
        wildcards.sort_by_key(|&g| {
            std::cmp::Reverse(groups[g].wildcard_prefix.as_ref().map_or(0, String::len))
        });
        let mut aliases = FxHashMap::default();
        for alias in &config.router_settings.model_group_alias {
            if let Some(&group) = by_name.get(&alias.model) {
                aliases.insert(
                    alias.alias.clone(),
                    Alias {
                        group,
                        hidden: alias.hidden,
                    },
                );
            }
        }
        let mut limits = Limits::default();
        if let Some(mb) = config.general_settings.max_request_size_mb {
            if mb > 0.0 {
                limits.max_body_bytes = (mb * MIB) as u64;
            }
        }
        let deployments_len = deployments.len();
        let policy = crate::router::Policy::new(config);
        let mut gw = Gateway {
            groups,
            by_name,
            aliases,
            wildcards,
            deployments,
            master_key: config.master_key().map(str::to_owned),
            key_header: config
                .general_settings
                .litellm_key_header_name
                .as_ref()
                .map(|h| h.to_ascii_lowercase()),
            limits,
            warnings,
            google_tokens: tokens.entries,
            health: crate::health::Health::with_samples(deployments_len, policy.samples()),
            health_checks: std::sync::OnceLock::new(),
            store: std::sync::OnceLock::new(),
            limiter: std::sync::OnceLock::new(),
            plugins: std::sync::OnceLock::new(),
            policy,
        };
        let unknown = unknown_fallbacks(&gw);
        gw.warnings.extend(unknown);
        Ok(gw)
    }
}

/// Fallback groups no request could reach, said at start (a request skips them).
fn unknown_fallbacks(gw: &Gateway) -> Vec<String> {
    let policy = &gw.policy;
    let tables = [
        ("fallbacks", Some(&policy.fallbacks)),
        (
            "context_window_fallbacks",
            policy.context_window_fallbacks.as_ref(),
        ),
        (
            "content_policy_fallbacks",
            policy.content_policy_fallbacks.as_ref(),
        ),
    ];
    let mut out = Vec::new();
    for (key, table) in tables {
        for entry in table.into_iter().flatten() {
            for target in &entry.targets {
                if crate::router::resolve_group(gw, target).is_none() {
                    out.push(format!(
                        "{key}: {}: fallback model group '{target}' is not in model_list; requests skip it",
                        entry.group
                    ));
                }
            }
        }
    }
    out
}

/// The Google tokens met while building: one cell per distinct credentials, shared by the
/// deployments that use them.
#[derive(Default)]
struct GoogleTokens {
    /// Credentials text (or "" for Application Default Credentials) → its cell and the
    /// project the credentials name.
    by_credentials: HashMap<String, (Arc<RefreshedToken>, Option<String>)>,
    entries: Vec<google_auth::Entry>,
    /// Why the last deployment built cannot get a token (taken by the caller as warnings).
    problems: Vec<String>,
}

impl GoogleTokens {
    /// The token cell for `configured` credentials (loaded the first time they are met).
    fn cell(
        &mut self,
        configured: Option<&str>,
        env: &Env,
    ) -> (Arc<RefreshedToken>, Option<String>) {
        let key = configured.unwrap_or("").to_owned();
        if let Some((cell, project)) = self.by_credentials.get(&key) {
            return (cell.clone(), project.clone());
        }
        let (cell, project) = match google_auth::load(configured, env) {
            Ok(loaded) => {
                let cell = Arc::new(RefreshedToken::new(TokenState::Pending));
                self.entries.push(google_auth::Entry {
                    label: format!("{:?}", loaded.source),
                    source: Arc::new(loaded.source),
                    cell: cell.clone(),
                });
                (cell, loaded.project_id)
            }
            Err(problem) => {
                self.problems.push(problem.clone());
                (
                    Arc::new(RefreshedToken::new(TokenState::Failed(problem))),
                    None,
                )
            }
        };
        self.by_credentials
            .insert(key, (cell.clone(), project.clone()));
        (cell, project)
    }
}

fn deployment_kind(
    params: &LitellmParams,
    env: &Env,
    tokens: &mut GoogleTokens,
) -> Result<DeploymentKind, String> {
    if let Some(mock) = &params.mock_response {
        return Ok(DeploymentKind::Mock(mock.clone()));
    }
    let unsupported = |e| match e {
        UnknownProvider::Unsupported(provider) => Ok(DeploymentKind::Unsupported { provider }),
        UnknownProvider::Unknown => Err(format!(
            "LLM Provider NOT provided for model={}; prefix it with a provider, e.g. openai/{}",
            params.model, params.model
        )),
    };
    if params.model.contains('*') {
        // A wildcard over a provider corelane lacks (`anthropic/*`) is refused as a whole.
        if let Err(e) = provider::resolve(&params.model, params.custom_llm_provider.as_deref()) {
            return unsupported(e);
        }
        let mut upstreams = HashMap::new();
        for row in provider::PROVIDERS {
            // A Google-authenticated row needs credentials: loaded only for a wildcard over
            // that provider, never for every `*`.
            let named = params.model.starts_with(&format!("{}/", row.name))
                || params.custom_llm_provider.as_deref() == Some(row.name);
            if row.auth == Auth::GoogleOAuth && !named {
                continue;
            }
            if let Ok(up) = build_upstream(row, params, env, tokens) {
                upstreams.insert(row.name, up);
            }
        }
        return Ok(DeploymentKind::Wildcard {
            template: params.model.clone(),
            upstreams,
        });
    }
    let (row, provider_model) =
        match provider::resolve(&params.model, params.custom_llm_provider.as_deref()) {
            Ok(found) => found,
            Err(e) => return unsupported(e),
        };
    let unserved = provider::unserved_model(row, provider_model, params.api_base.is_some())
        .or_else(|| unserved_base(row, params, env));
    if let Some(provider) = unserved {
        return Ok(DeploymentKind::Unsupported { provider });
    }
    let upstream = build_upstream(row, params, env, tokens)?;
    Ok(DeploymentKind::Fixed {
        provider: provider::on_host(row, &upstream.origin.host, provider_model),
        provider_model: provider_model.to_owned(),
        upstream,
    })
}

/// The api_base configured for `row`: litellm_params, else the provider's base env vars.
fn configured_base(row: &ProviderRow, params: &LitellmParams, env: &Env) -> Option<String> {
    params.api_base.clone().or_else(|| {
        row.base_env
            .iter()
            .find_map(|v| env.var(v).map(str::to_owned))
    })
}

/// A configured base `row` cannot be given yet, as a refusal label: a Vertex AI `api_base`
/// whose path is neither empty nor an API version (LiteLLM then calls `{api_base}:{method}`).
fn unserved_base(row: &ProviderRow, params: &LitellmParams, env: &Env) -> Option<&'static str> {
    if row.auth == Auth::SigV4 {
        // Credentials corelane does not obtain yet: never silently replaced by others.
        return corelane_config::AWS_UNSERVED_PARAMS
            .iter()
            .any(|k| params.aws_param(k).is_some())
            .then_some("bedrock (AWS profiles, assumed roles and web identity credentials)");
    }
    if row.path == PathStyle::Cohere {
        // LiteLLM sends Cohere's v1 rerank body there; corelane speaks v2 only.
        return configured_base(row, params, env)
            .is_some_and(|b| b.trim_end_matches('/').ends_with("/v1/rerank"))
            .then_some("cohere (Cohere's v1 rerank API, an api_base ending in /v1/rerank)");
    }
    if row.path != PathStyle::Vertex {
        return None;
    }
    let base = configured_base(row, params, env)?;
    let (_, path) = Origin::parse(&base).ok()?;
    (vertex_version(&path).is_none() || base.contains(['?', '#']))
        .then_some("vertex_ai (an api_base with a path other than /v1 or /v1beta1, or a query)")
}

/// The API version of a Vertex AI base path, as LiteLLM grafts its default path onto it.
fn vertex_version(path: &str) -> Option<&'static str> {
    match path.trim_end_matches('/') {
        "" | "/v1" => Some("v1"),
        "/v1beta1" => Some("v1beta1"),
        _ => None,
    }
}

/// api_base: litellm_params, else the provider's base env vars, else its default base.
/// api_key: litellm_params, else the provider's key env vars.
fn build_upstream(
    row: &'static ProviderRow,
    params: &LitellmParams,
    env: &Env,
    tokens: &mut GoogleTokens,
) -> Result<Upstream, String> {
    if row.auth == Auth::GoogleOAuth {
        return vertex_upstream(row, params, env, tokens);
    }
    if row.auth == Auth::SigV4 {
        return bedrock_upstream(row, params, env);
    }
    let api_base = configured_base(row, params, env)
        .or_else(|| (!row.api_base.is_empty()).then(|| row.api_base.to_owned()))
        .ok_or_else(|| format!("{}: api_base is required", row.name))?;
    let (origin, base_path) =
        Origin::parse(&api_base).map_err(|e: OriginError| format!("api_base {api_base:?}: {e}"))?;
    let key = params.api_key.clone().or_else(|| {
        row.key_env
            .iter()
            .find_map(|v| env.var(v).map(str::to_owned))
    });
    Ok(Upstream {
        origin,
        base_path: provider::base_path(row, &base_path).into_owned(),
        api_base: api_base.trim_end_matches('/').to_owned(),
        credentials: Credentials {
            api_key: key,
            ..Credentials::default()
        },
    })
}

/// A value that is set and not empty: empty values are unset, as in LiteLLM's `or` chains.
fn set(v: Option<&str>) -> Option<&str> {
    v.filter(|v| !v.is_empty())
}

/// A Vertex AI deployment's upstream, as LiteLLM's `get_vertex_url` builds it:
/// `{base}/{version}/projects/{project}/locations/{location}`, the base from the location
/// (`get_vertex_base_url`) unless one is configured, and a token cell for its credentials.
/// A deployment that cannot get a token (no credentials, no project) still builds: its
/// cell holds why, and its requests get that as a 401, as LiteLLM answers them.
fn vertex_upstream(
    row: &'static ProviderRow,
    params: &LitellmParams,
    env: &Env,
    tokens: &mut GoogleTokens,
) -> Result<Upstream, String> {
    let location = set(params.vertex_location.as_deref())
        .or_else(|| set(env.var("VERTEXAI_LOCATION")))
        .or_else(|| set(env.var("VERTEX_LOCATION")))
        .unwrap_or("us-central1");
    let valid = location.starts_with(|c: char| c.is_ascii_lowercase())
        && location
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(format!(
            "vertex_location {location:?}: Invalid vertex_location format"
        ));
    }
    let api_base = configured_base(row, params, env).unwrap_or_else(|| {
        if location == "global" {
            "https://aiplatform.googleapis.com".to_owned()
        } else if !location.contains('-') {
            format!("https://aiplatform.{location}.rep.googleapis.com")
        } else {
            format!("https://{location}-aiplatform.googleapis.com")
        }
    });
    let (origin, path) =
        Origin::parse(&api_base).map_err(|e: OriginError| format!("api_base {api_base:?}: {e}"))?;
    // A fixed deployment's other bases were refused by `unserved_base`; a wildcard's get no
    // upstream for Vertex AI.
    let version = vertex_version(&path)
        .filter(|_| !api_base.contains(['?', '#']))
        .ok_or_else(|| format!("vertex_ai: api_base {api_base:?} is not served"))?;
    let configured =
        set(params.vertex_credentials.as_deref()).or_else(|| set(env.var("VERTEXAI_CREDENTIALS")));
    let (mut cell, creds_project) = tokens.cell(configured, env);
    let project = set(params.vertex_project.as_deref())
        .or_else(|| set(env.var("VERTEXAI_PROJECT")))
        .map(str::to_owned)
        .or(creds_project.filter(|p| !p.is_empty()))
        .unwrap_or_else(|| {
            let problem = "Could not resolve project_id (set vertex_project)".to_owned();
            tokens.problems.push(problem.clone());
            cell = Arc::new(RefreshedToken::new(TokenState::Failed(problem)));
            String::new()
        });
    let mut base_path = format!("/{version}/projects/");
    provider::push_percent_encoded(&project, &mut base_path);
    base_path.push_str("/locations/");
    base_path.push_str(location);
    Ok(Upstream {
        api_base: format!(
            "{}://{}{base_path}",
            if origin.tls { "https" } else { "http" },
            origin.host_header
        ),
        origin,
        base_path,
        credentials: Credentials {
            token: Some(cell),
            ..Credentials::default()
        },
    })
}

/// A Bedrock deployment's upstream, as LiteLLM's `BaseAWSLLM` finds it: the region from
/// `aws_region_name`, the model path, `AWS_REGION_NAME`, `AWS_REGION`, `AWS_DEFAULT_REGION`,
/// else `us-west-2`; the base from `aws_bedrock_runtime_endpoint` (or its env var), else
/// `api_base`, else `https://bedrock-runtime.{region}.amazonaws.com` (the region may also
/// come from a model ARN; rerank models on `bedrock-agent-runtime`); a Bedrock API key
/// (`api_key`, `AWS_BEARER_TOKEN_BEDROCK`) as a bearer token, else SigV4 with
/// `aws_access_key_id`/`aws_secret_access_key`/`aws_session_token` or the AWS env vars.
/// Without either, requests get LiteLLM's 401 ("Unable to locate credentials").
fn bedrock_upstream(
    row: &'static ProviderRow,
    params: &LitellmParams,
    env: &Env,
) -> Result<Upstream, String> {
    let aws_param = |key: &str| params.aws_param(key);
    let (model_region, _) = corelane_transforms::bedrock::model_id(
        params
            .model
            .strip_prefix("bedrock/")
            .unwrap_or(&params.model),
    );
    let region = set(aws_param("aws_region_name"))
        .or(model_region)
        .or_else(|| corelane_transforms::bedrock::arn_region(&params.model))
        .or_else(|| set(env.var("AWS_REGION_NAME")))
        .or_else(|| set(env.var("AWS_REGION")))
        .or_else(|| set(env.var("AWS_DEFAULT_REGION")))
        .unwrap_or("us-west-2");
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!("Invalid AWS region format: {region:?}"));
    }
    let api_base = set(aws_param("aws_bedrock_runtime_endpoint"))
        .map(str::to_owned)
        .or_else(|| configured_base(row, params, env))
        .unwrap_or_else(|| {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://bedrock-runtime.{region}.{suffix}")
        });
    // The Rerank API is on the agent runtime: LiteLLM renames the runtime's host in the base.
    let api_base = if row.family == provider::Family::BedrockRerank {
        api_base.replace("bedrock-runtime", "bedrock-agent-runtime")
    } else {
        api_base
    };
    let (origin, base_path) =
        Origin::parse(&api_base).map_err(|e: OriginError| format!("api_base {api_base:?}: {e}"))?;
    // LiteLLM signs rerank requests even where a Bedrock API key is configured.
    let key = set(params.api_key.as_deref())
        .or_else(|| set(env.var("AWS_BEARER_TOKEN_BEDROCK")))
        .filter(|_| row.family != provider::Family::BedrockRerank)
        .map(str::to_owned);
    // Keys come whole from the parameters, else whole from the environment: a configured
    // key is never paired with the environment's secret or session token.
    let configured = set(aws_param("aws_access_key_id")).is_some()
        || set(aws_param("aws_secret_access_key")).is_some();
    let (access, secret, session) = if configured {
        (
            set(aws_param("aws_access_key_id")),
            set(aws_param("aws_secret_access_key")),
            set(aws_param("aws_session_token")),
        )
    } else {
        (
            set(env.var("AWS_ACCESS_KEY_ID")),
            set(env.var("AWS_SECRET_ACCESS_KEY")),
            set(env.var("AWS_SESSION_TOKEN")),
        )
    };
    let aws = match (&key, access, secret) {
        (None, Some(access), Some(secret)) => Some(Arc::new(
            corelane_transforms::bedrock::head::AwsSigning::new(access, secret, session, region),
        )),
        _ => None,
    };
    Ok(Upstream {
        origin,
        base_path: base_path.trim_end_matches('/').to_owned(),
        api_base: api_base.trim_end_matches('/').to_owned(),
        credentials: Credentials {
            api_key: key,
            aws,
            ..Credentials::default()
        },
    })
}

/// Prices, as LiteLLM's router registers a deployment's: its own rates (litellm_params over
/// model_info) when they name an input or output rate, else the cost map's for `base_model`,
/// else for the provider model. Own rates with an input rate take the cost map's cache rates
/// they leave out (`_inherit_builtin_cache_pricing`).
fn deployment_prices(
    params: &LitellmParams,
    info: &ModelInfo,
    kind: &DeploymentKind,
) -> Option<Prices> {
    let backend = || {
        if let Some(base) = &info.base_model {
            if let Some(p) = cost::bundled_prices("", base) {
                return Some(p);
            }
        }
        match kind {
            DeploymentKind::Fixed {
                provider,
                provider_model,
                ..
            } => cost::bundled_prices(provider.name, provider_model),
            DeploymentKind::Mock(_) => {
                let (row, m) =
                    provider::resolve(&params.model, params.custom_llm_provider.as_deref()).ok()?;
                cost::bundled_prices(row.name, m)
            }
            DeploymentKind::Wildcard { .. } | DeploymentKind::Unsupported { .. } => None,
        }
    };
    let own = params.rates.or(info.rates);
    if own.input_cost_per_token.is_none() && own.output_cost_per_token.is_none() {
        return backend();
    }
    let mut prices = Prices::flat(
        own.input_cost_per_token.unwrap_or(0.0),
        own.output_cost_per_token.unwrap_or(0.0),
    );
    prices.cache_read_per_token = own.cache_read_input_token_cost;
    prices.cache_creation_per_token = own.cache_creation_input_token_cost;
    prices.cache_creation_1h_per_token = own.cache_creation_input_token_cost_above_1hr;
    prices.reasoning_per_token = own.output_cost_per_reasoning_token;
    if own.input_cost_per_token.is_some() {
        if let Some(b) = backend() {
            prices.inherit_cache_rates(&b);
        }
    }
    Some(prices)
}

/// A stable id for a deployment without `model_info.id`: sha256 over the group name and the
/// routing-relevant parameters, as LiteLLM's router derives one.
fn model_id(group: &str, params: &LitellmParams) -> String {
    let mut h = Sha256::new();
    h.update(group.as_bytes());
    h.update(params.model.as_bytes());
    for part in [
        &params.api_base,
        &params.api_version,
        &params.custom_llm_provider,
    ] {
        h.update([0u8]);
        h.update(part.as_deref().unwrap_or("").as_bytes());
    }
    let digest = h.finalize();
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}
