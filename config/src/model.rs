//! `model_list` entries: `model_name`, `litellm_params` and `model_info`.

use std::time::Duration;

use crate::fields::{join, Cx, Res};
use crate::node::{Kind, Node};
use crate::policy::{self, ByKind};
use crate::value::Value;

/// One deployment: a model group name and how to reach the provider.
#[derive(Debug, Clone)]
pub struct ModelEntry {
    pub model_name: String,
    pub litellm_params: LitellmParams,
    pub model_info: ModelInfo,
}

/// The provider call parameters LiteLLM passes to `litellm.completion` for a deployment.
#[derive(Debug, Clone, Default)]
pub struct LitellmParams {
    /// `provider/model` (required).
    pub model: String,
    pub custom_llm_provider: Option<String>,
    pub api_base: Option<String>,
    pub api_key: Option<String>,
    pub api_version: Option<String>,
    pub organization: Option<String>,
    pub extra_headers: Vec<(String, String)>,
    /// Seconds in YAML (int or float).
    pub timeout: Option<Duration>,
    /// LiteLLM's older name for `timeout`, read after it.
    pub request_timeout: Option<Duration>,
    pub stream_timeout: Option<Duration>,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub weight: Option<f64>,
    /// Tag routing: the tags this deployment serves (`"default"`: untagged requests).
    pub tags: Vec<String>,
    /// Canned reply instead of a provider call; numbers and booleans keep their text.
    pub mock_response: Option<String>,
    /// LiteLLM's custom pricing (`input_cost_per_token`, ...).
    pub rates: TokenRates,
    /// Vertex AI's project (`vertex_project` or `vertex_ai_project`).
    pub vertex_project: Option<String>,
    /// Vertex AI's region (`vertex_location` or `vertex_ai_location`).
    pub vertex_location: Option<String>,
    /// Vertex AI's credentials (`vertex_credentials` or `vertex_ai_credentials`): a file path
    /// or the JSON text of a credentials file (a YAML mapping is kept as its JSON text).
    pub vertex_credentials: Option<String>,
    /// Bedrock's AWS parameters, by name: `aws_access_key_id`, `aws_secret_access_key`,
    /// `aws_session_token`, `aws_region_name`, `aws_bedrock_runtime_endpoint`.
    pub aws: Vec<(&'static str, String)>,
    /// The router's tier (`order`): lower tiers are tried first, higher ones only after them.
    pub order: Option<u64>,
    /// Retries for a request whose first failure was this deployment's (`num_retries`).
    pub num_retries: Option<u64>,
    /// How long this deployment cools down after a failure that cools it (`cooldown_time`).
    pub cooldown_time: Option<Duration>,
    /// `drop_params`: OpenAI parameters the provider has no field for are dropped instead of
    /// refused (as `litellm_settings.drop_params`, for this deployment).
    pub drop_params: Option<bool>,
}

/// The AWS parameters read for Bedrock (LiteLLM's `pop_aws_auth_params` and the runtime
/// endpoint), [`AWS_UNSERVED_PARAMS`] among them.
pub const AWS_PARAMS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_region_name",
    "aws_bedrock_runtime_endpoint",
    "aws_profile_name",
    "aws_role_name",
    "aws_session_name",
    "aws_web_identity_token",
    "aws_sts_endpoint",
    "aws_external_id",
];

/// AWS credentials corelane does not obtain yet (profiles, assumed roles, web identity): a
/// deployment naming one is refused rather than signed with other credentials.
pub const AWS_UNSERVED_PARAMS: &[&str] = &[
    "aws_profile_name",
    "aws_role_name",
    "aws_session_name",
    "aws_web_identity_token",
    "aws_sts_endpoint",
    "aws_external_id",
];

impl LitellmParams {
    /// The value of one of [`AWS_PARAMS`], if set.
    pub fn aws_param(&self, key: &str) -> Option<&str> {
        self.aws
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The per-token prices (USD) a deployment may set in `litellm_params` or `model_info`, by
/// LiteLLM's names. They count only when an input or output rate is among them (LiteLLM's
/// custom pricing); a rate left out comes from the cost map or defaults as LiteLLM's do.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TokenRates {
    pub input_cost_per_token: Option<f64>,
    pub output_cost_per_token: Option<f64>,
    pub cache_read_input_token_cost: Option<f64>,
    pub cache_creation_input_token_cost: Option<f64>,
    pub cache_creation_input_token_cost_above_1hr: Option<f64>,
    pub output_cost_per_reasoning_token: Option<f64>,
}

impl TokenRates {
    /// The rate named `key`, if it is one of these.
    pub fn slot(&mut self, key: &str) -> Option<&mut Option<f64>> {
        Some(match key {
            "input_cost_per_token" => &mut self.input_cost_per_token,
            "output_cost_per_token" => &mut self.output_cost_per_token,
            "cache_read_input_token_cost" => &mut self.cache_read_input_token_cost,
            "cache_creation_input_token_cost" => &mut self.cache_creation_input_token_cost,
            "cache_creation_input_token_cost_above_1hr" => {
                &mut self.cache_creation_input_token_cost_above_1hr
            }
            "output_cost_per_reasoning_token" => &mut self.output_cost_per_reasoning_token,
            _ => return None,
        })
    }

    /// Each rate of `self`, else `other`'s.
    pub fn or(self, other: TokenRates) -> TokenRates {
        TokenRates {
            input_cost_per_token: self.input_cost_per_token.or(other.input_cost_per_token),
            output_cost_per_token: self.output_cost_per_token.or(other.output_cost_per_token),
            cache_read_input_token_cost: self
                .cache_read_input_token_cost
                .or(other.cache_read_input_token_cost),
            cache_creation_input_token_cost: self
                .cache_creation_input_token_cost
                .or(other.cache_creation_input_token_cost),
            cache_creation_input_token_cost_above_1hr: self
                .cache_creation_input_token_cost_above_1hr
                .or(other.cache_creation_input_token_cost_above_1hr),
            output_cost_per_reasoning_token: self
                .output_cost_per_reasoning_token
                .or(other.output_cost_per_reasoning_token),
        }
    }
}

/// Deployment metadata; unknown keys are kept in `extra` because `/model/info` returns them.
#[derive(Debug, Clone, Default)]
pub struct ModelInfo {
    pub id: Option<String>,
    pub mode: Option<String>,
    pub base_model: Option<String>,
    /// Prices that override litellm_params' and the cost map's.
    pub rates: TokenRates,
    pub max_tokens: Option<u64>,
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    /// The router's overrides for this deployment (also kept in `extra`, as written).
    pub allowed_fails: Option<u64>,
    pub allowed_fails_policy: Option<ByKind>,
    pub cooldown_time: Option<Duration>,
    /// Limits read after litellm_params' `rpm` / `tpm`.
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    /// Tag routing for the group, when one of its deployments sets it.
    pub enable_tag_filtering: Option<bool>,
    /// Every other model_info key, kept as written (not "ignored").
    pub extra: Vec<(String, Value)>,
}

pub(crate) fn model_list(cx: &mut Cx<'_>, node: &Node) -> Res<Vec<ModelEntry>> {
    let Some(items) = cx.seq(node, "model_list")? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| model_entry(cx, item, &format!("model_list[{i}]")))
        .collect()
}

fn model_entry(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<ModelEntry> {
    let Some(entries) = cx.map(node, path)? else {
        return Err(cx.invalid(node, path, "expected a mapping, got null"));
    };
    let model_name = cx.required_string(entries, node, path, "model_name")?;
    let params_path = join(path, "litellm_params");
    let mut litellm_params = None;
    let mut model_info = ModelInfo::default();
    for (key, value) in entries {
        let key_path = join(path, &key.text);
        match key.text.as_str() {
            "model_name" => {}
            "litellm_params" => litellm_params = Some(params(cx, value, &params_path)?),
            "model_info" => model_info = info(cx, value, &key_path)?,
            _ => cx.ignore(key_path),
        }
    }
    // LiteLLM indexes model["litellm_params"]["model"] directly, so both are required.
    let litellm_params =
        litellm_params.ok_or_else(|| cx.invalid(node, path, "missing field litellm_params"))?;
    Ok(ModelEntry {
        model_name,
        litellm_params,
        model_info,
    })
}

fn params(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<LitellmParams> {
    let Some(entries) = cx.map(node, path)? else {
        return Err(cx.invalid(node, path, "missing field model"));
    };
    let mut p = LitellmParams {
        model: cx.required_string(entries, node, path, "model")?,
        ..LitellmParams::default()
    };
    for (key, value) in entries {
        let kp = join(path, &key.text);
        match key.text.as_str() {
            "model" => {}
            "custom_llm_provider" => p.custom_llm_provider = cx.string(value, &kp)?,
            "api_base" => p.api_base = cx.string(value, &kp)?,
            "api_key" => p.api_key = cx.string(value, &kp)?,
            "api_version" => p.api_version = cx.string(value, &kp)?,
            "organization" => p.organization = cx.string(value, &kp)?,
            "extra_headers" => p.extra_headers = headers(cx, value, &kp)?,
            "timeout" => p.timeout = cx.seconds(value, &kp)?,
            "request_timeout" => p.request_timeout = cx.seconds(value, &kp)?,
            "stream_timeout" => p.stream_timeout = cx.seconds(value, &kp)?,
            "rpm" => p.rpm = cx.uint(value, &kp)?,
            "tpm" => p.tpm = cx.uint(value, &kp)?,
            "weight" => p.weight = cx.number(value, &kp)?,
            "tags" => p.tags = crate::settings::strings(cx, value, &kp)?,
            "order" => p.order = cx.uint(value, &kp)?,
            "num_retries" => p.num_retries = cx.uint(value, &kp)?,
            "cooldown_time" => p.cooldown_time = cx.seconds(value, &kp)?,
            "mock_response" => p.mock_response = cx.string(value, &kp)?,
            "drop_params" => p.drop_params = cx.boolean(value, &kp)?,
            // The first of the two spellings LiteLLM reads wins, as its `or` chain does.
            "vertex_project" | "vertex_ai_project" => {
                let v = cx.string(value, &kp)?;
                keep_first(&mut p.vertex_project, v, key.text == "vertex_project");
            }
            "vertex_location" | "vertex_ai_location" => {
                let v = cx.string(value, &kp)?;
                keep_first(&mut p.vertex_location, v, key.text == "vertex_location");
            }
            "vertex_credentials" | "vertex_ai_credentials" => {
                let v = if matches!(value.kind, Kind::Map(_)) {
                    let mut json = String::new();
                    Value::from_node(value).write_json(&mut json);
                    Some(json)
                } else {
                    cx.string(value, &kp)?
                };
                keep_first(
                    &mut p.vertex_credentials,
                    v,
                    key.text == "vertex_credentials",
                );
            }
            k if AWS_PARAMS.contains(&k) => {
                if let (Some(name), Some(v)) =
                    (AWS_PARAMS.iter().find(|n| **n == k), cx.string(value, &kp)?)
                {
                    p.aws.retain(|(n, _)| n != name);
                    p.aws.push((name, v));
                }
            }
            k => match p.rates.slot(k) {
                Some(rate) => *rate = cx.number(value, &kp)?,
                None => cx.ignore(kp),
            },
        }
    }
    Ok(p)
}

/// Sets `slot` from `value` unless it already holds the preferred spelling's value.
fn keep_first(slot: &mut Option<String>, value: Option<String>, preferred: bool) {
    if value.is_some() && (preferred || slot.is_none()) {
        *slot = value;
    }
}

/// `extra_headers`: name -> value; a value naming an unset variable drops that header.
fn headers(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<Vec<(String, String)>> {
    let Some(entries) = cx.map(node, path)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if let Some(v) = cx.string(value, &join(path, &key.text))? {
            out.push((key.text.clone(), v));
        }
    }
    Ok(out)
}

fn info(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<ModelInfo> {
    let mut mi = ModelInfo::default();
    let Some(entries) = cx.map(node, path)? else {
        return Ok(mi);
    };
    for (key, value) in entries {
        let kp = join(path, &key.text);
        match key.text.as_str() {
            "id" => mi.id = cx.string(value, &kp)?,
            "mode" => mi.mode = cx.string(value, &kp)?,
            "base_model" => mi.base_model = cx.string(value, &kp)?,
            "max_tokens" => mi.max_tokens = cx.uint(value, &kp)?,
            "max_input_tokens" => mi.max_input_tokens = cx.uint(value, &kp)?,
            "max_output_tokens" => mi.max_output_tokens = cx.uint(value, &kp)?,
            "allowed_fails"
            | "allowed_fails_policy"
            | "cooldown_time"
            | "rpm"
            | "tpm"
            | "enable_tag_filtering" => {
                match key.text.as_str() {
                    "allowed_fails" => mi.allowed_fails = cx.uint(value, &kp)?,
                    "cooldown_time" => mi.cooldown_time = cx.seconds(value, &kp)?,
                    "rpm" => mi.rpm = cx.uint(value, &kp)?,
                    "tpm" => mi.tpm = cx.uint(value, &kp)?,
                    "enable_tag_filtering" => mi.enable_tag_filtering = cx.boolean(value, &kp)?,
                    _ => mi.allowed_fails_policy = policy::allowed_fails_policy(cx, value, &kp)?,
                }
                mi.extra.push((key.text.clone(), Value::from_node(value)));
            }
            k => match mi.rates.slot(k) {
                Some(rate) => *rate = cx.number(value, &kp)?,
                // Kept verbatim, without os.environ/ resolution (LiteLLM resolves only
                // litellm_params), so /model/info never echoes a secret from the environment.
                None => mi.extra.push((key.text.clone(), Value::from_node(value))),
            },
        }
    }
    Ok(mi)
}
