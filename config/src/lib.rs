//! LiteLLM proxy `config.yaml` -> typed [`Config`]. Pure: no sockets, no threads; the only
//! crate that reads process environment variables ([`Env::from_process`]).
//!
//! # Layout
//! - `env`: [`Env`], the process environment overlaid with `environment_variables`, and
//!   `os.environ/NAME` resolution.
//! - `node`: YAML text -> positioned node tree (anchors, aliases, `<<` merges), with limits
//!   against alias expansion bombs.
//! - `scalar`: plain scalars resolved as PyYAML (YAML 1.1) resolves them: null, bool, int, float.
//! - `fields`: typed readers over nodes that know their key path, report errors with a
//!   position, and collect ignored keys and warnings.
//! - `model`: `model_list` entries ([`ModelEntry`], [`LitellmParams`], [`ModelInfo`]).
//! - `settings`: [`RouterSettings`], [`LitellmSettings`], [`GeneralSettings`].
//! - `health_checks`: [`HealthCheckSettings`], the `general_settings` keys of LiteLLM's
//!   health checks.
//! - `master_key`: [`Config::master_key_check`], LiteLLM's start-up rule against an unset,
//!   empty or publicly known master key, and its opt-ins.
//! - `value`: [`Value`], model_info extras kept as written, and their JSON form.
//! - `error`: [`ConfigError`].

#![forbid(unsafe_code)]

mod env;
mod error;
mod fields;
mod health_checks;
mod master_key;
mod model;
mod node;
mod plugins;
mod policy;
mod scalar;
mod settings;
mod value;

use std::path::Path;

pub use env::{Env, ENV_REF_PREFIX};
pub use error::ConfigError;
pub use health_checks::HealthCheckSettings;
pub use master_key::{
    KeySource, MasterKeyVerdict, Permit, PermittedWeakKey, WeakMasterKey, Weakness,
    PERMIT_WEAK_KEY_ENV, PERMIT_WEAK_KEY_SETTING,
};
pub use model::{
    LitellmParams, ModelEntry, ModelInfo, TokenRates, AWS_PARAMS, AWS_UNSERVED_PARAMS,
};
pub use plugins::{is_python_path, Guardrail, GUARDRAIL_MODES};
pub use policy::{ByKind, ErrorKind, RedisSettings, RetryPolicy, RoutingStrategy, StrategyArgs};
pub use settings::{
    Fallback, GeneralSettings, GroupAlias, LitellmSettings, RetrySettings, RouterSettings,
};
pub use value::Value;

use fields::{Cx, Res};
use node::{Kind, Node};
use scalar::Scalar;

/// Variable LiteLLM reads the master key from when `general_settings.master_key` is absent.
pub const MASTER_KEY_ENV: &str = "LITELLM_MASTER_KEY";

/// A loaded config.
#[derive(Debug, Clone)]
pub struct Config {
    pub model_list: Vec<ModelEntry>,
    pub router_settings: RouterSettings,
    pub litellm_settings: LitellmSettings,
    pub general_settings: GeneralSettings,
    /// The top-level `guardrails:` entries with a custom (Python) class.
    pub guardrails: Vec<Guardrail>,
    /// The environment after `environment_variables` were applied.
    pub env: Env,
    /// Key paths present but not implemented (e.g. `litellm_settings.success_callback`,
    /// `model_list[0].litellm_params.vertex_project`), one per key, in file order.
    pub ignored: Vec<String>,
    /// Non-fatal problems, e.g. `model_list[2].litellm_params.api_key: os.environ/FOO is not set`.
    pub warnings: Vec<String>,
}

impl Config {
    /// `general_settings.master_key`, else `LITELLM_MASTER_KEY`. LiteLLM reads
    /// `general_settings.get("master_key", get_secret("LITELLM_MASTER_KEY"))`, so the config
    /// wins. Deviation: a master_key that is null or names an unset variable falls back to
    /// the variable here, where LiteLLM would run without a master key.
    pub fn master_key(&self) -> Option<&str> {
        self.general_settings
            .master_key
            .as_deref()
            .or_else(|| self.env.var(MASTER_KEY_ENV))
    }
}

/// Reads and parses the config file at `path`; errors name the path as given.
pub fn load(path: &Path, env: Env) -> Result<Config, ConfigError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        origin: origin.clone(),
        source,
    })?;
    parse(&text, &origin, env)
}

/// Parses config text; `origin` is the file name used in error messages.
pub fn parse(text: &str, origin: &str, env: Env) -> Result<Config, ConfigError> {
    let root = node::parse_document(text, origin)?;
    let mut cx = Cx {
        origin,
        env,
        ignored: Vec::new(),
        warnings: Vec::new(),
    };
    let mut config = Config {
        model_list: Vec::new(),
        router_settings: RouterSettings::default(),
        litellm_settings: LitellmSettings::default(),
        general_settings: GeneralSettings::default(),
        guardrails: Vec::new(),
        env: Env::default(),
        ignored: Vec::new(),
        warnings: Vec::new(),
    };
    // An empty file (or only comments) is a config with no models, as in LiteLLM.
    if let Some(root) = root.filter(|r| !r.is_null()) {
        let Kind::Map(entries) = &root.kind else {
            return Err(cx.invalid(
                &root,
                "(top level)",
                format!("expected a mapping, got {}", root.describe()),
            ));
        };
        // LiteLLM sets os.environ from environment_variables before reading anything else.
        if let Some((_, vars)) = entries
            .iter()
            .find(|(k, _)| k.text == "environment_variables")
        {
            environment_variables(&mut cx, vars)?;
        }
        for (key, value) in entries {
            match key.text.as_str() {
                "environment_variables" => {}
                "model_list" => config.model_list = model::model_list(&mut cx, value)?,
                "router_settings" => config.router_settings = settings::router(&mut cx, value)?,
                "litellm_settings" => config.litellm_settings = settings::litellm(&mut cx, value)?,
                "general_settings" => config.general_settings = settings::general(&mut cx, value)?,
                "guardrails" => config.guardrails = plugins::guardrails(&mut cx, value)?,
                _ => cx.ignore(key.text.clone()),
            }
        }
    }
    config.env = cx.env;
    config.ignored = cx.ignored;
    config.warnings = cx.warnings;
    Ok(config)
}

/// Applies `environment_variables` in file order, as LiteLLM's `_load_environment_variables`:
/// an `os.environ/X` value copies X if set (and is skipped with a warning if not); any other
/// scalar is stored as Python's `str(value)` would write it.
fn environment_variables(cx: &mut Cx<'_>, node: &Node) -> Res<()> {
    const PATH: &str = "environment_variables";
    let Some(entries) = cx.map(node, PATH)? else {
        return Ok(());
    };
    for (key, value) in entries {
        let path = fields::join(PATH, &key.text);
        let text = match (&value.kind, value.scalar()) {
            (Kind::Scalar { text, .. }, Some(Scalar::Str(_))) => match cx.env.resolve_ref(text) {
                Ok(None) => text.clone(),
                Ok(Some(resolved)) => resolved.to_string(),
                Err(_) => {
                    cx.warnings.push(format!("{path}: {text} is not set"));
                    continue;
                }
            },
            (_, Some(Scalar::Int(i))) => i.to_string(),
            (Kind::Scalar { text, .. }, Some(Scalar::Float(_))) => text.clone(),
            (_, Some(Scalar::Bool(b))) => if b { "True" } else { "False" }.to_string(),
            (_, Some(Scalar::Null)) => "None".to_string(),
            _ => {
                return Err(cx.invalid(
                    value,
                    &path,
                    format!("expected a string or number, got {}", value.describe()),
                ))
            }
        };
        cx.env.set(key.text.clone(), text);
    }
    Ok(())
}
