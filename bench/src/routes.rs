//! A routing table shaped like the server's `Gateway` (group name -> group index -> deployment
//! indexes, aliases in a second map), built from a parsed config, for the router bench.
//!
//! The server's weighted pick and wildcard matching live in the `corelane` binary crate, which a
//! library cannot import; rather than copy them here, [`RouteTable::route`] takes a group's first
//! deployment and measures the parts that are shared code or the same data structure: the
//! `HashMap` lookups and `provider::resolve`.

use std::collections::HashMap;

use corelane_config::{Config, ConfigError, Env, LitellmParams};
use corelane_transforms::provider::{self, ProviderRow};

/// Groups and deployments of one config, indexed the way `server/src/gateway.rs` indexes them.
#[derive(Debug)]
pub struct RouteTable {
    /// Group name -> index into `groups`.
    pub by_name: HashMap<String, usize>,
    /// `model_group_alias` name -> index into `groups`.
    pub aliases: HashMap<String, usize>,
    /// Each group's deployments, as indexes into `deployments`.
    pub groups: Vec<Vec<usize>>,
    pub deployments: Vec<LitellmParams>,
}

impl RouteTable {
    /// Parses `yaml` as a LiteLLM config (with an empty environment) and indexes its model list.
    pub fn from_yaml(yaml: &str) -> Result<Self, ConfigError> {
        let config = corelane_config::parse(yaml, "router.yaml", Env::default())?;
        Ok(Self::from_config(&config))
    }

    pub fn from_config(config: &Config) -> Self {
        let mut by_name = HashMap::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut deployments = Vec::with_capacity(config.model_list.len());
        for entry in &config.model_list {
            let group = *by_name.entry(entry.model_name.clone()).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[group].push(deployments.len());
            deployments.push(entry.litellm_params.clone());
        }
        let aliases = config
            .router_settings
            .model_group_alias
            .iter()
            .filter_map(|a| Some((a.alias.clone(), *by_name.get(&a.model)?)))
            .collect();
        RouteTable {
            by_name,
            aliases,
            groups,
            deployments,
        }
    }

    /// The provider row and provider model for a request's `model`: exact group, else alias,
    /// then the group's first deployment through `provider::resolve`. `None` for unknown names
    /// (wildcards are not matched here) and unknown providers.
    pub fn route(&self, model: &str) -> Option<(&'static ProviderRow, &str)> {
        let group = match self.by_name.get(model) {
            Some(&g) => g,
            None => *self.aliases.get(model)?,
        };
        let params = &self.deployments[*self.groups.get(group)?.first()?];
        provider::resolve(&params.model, params.custom_llm_provider.as_deref()).ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::data::ROUTER_CONFIG;

    #[test]
    fn bench_config_routes_as_expected() {
        let table = RouteTable::from_yaml(ROUTER_CONFIG).unwrap();
        assert_eq!(table.groups[table.by_name["gpt-4o"]].len(), 3);
        let (row, model) = table.route("llama-3.1-70b").unwrap();
        assert_eq!(
            (row.name, model),
            (
                "together_ai",
                "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"
            )
        );
        let (row, model) = table.route("qwen-local").unwrap();
        assert_eq!(
            (row.name, model),
            ("hosted_vllm", "Qwen/Qwen2.5-7B-Instruct")
        );
        let (row, model) = table.route("small").unwrap();
        assert_eq!((row.name, model), ("openai", "gpt-4o-mini"));
        assert!(table.route("claude-3-opus").is_none());
    }
}
