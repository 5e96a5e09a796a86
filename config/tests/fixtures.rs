//! Realistic configs in the shape of LiteLLM's documented examples, loaded from files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use corelane_config::{load, Env, GroupAlias, Value};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

#[test]
fn full_config() {
    let e = env(&[
        ("OPENAI_API_KEY", "sk-openai"),
        ("AZURE_API_KEY", "az-key"),
        ("TEAM_HEADER", "team-a"),
        ("PROXY_MASTER_KEY", "sk-master"),
        ("DATABASE_URL", "postgresql://u:p@localhost:5432/litellm"),
        ("LANGFUSE_HOST_FROM_SHELL", "https://langfuse.example"),
    ]);
    let c = load(&fixture("full.yaml"), e).unwrap();

    assert_eq!(c.env.var("OPENAI_BASE"), Some("https://api.openai.com/v1"));
    assert_eq!(c.env.var("REDIS_PORT"), Some("6379"));
    assert_eq!(c.env.var("LANGFUSE_HOST"), Some("https://langfuse.example"));

    let names: Vec<&str> = c.model_list.iter().map(|m| m.model_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gpt-4o",
            "gpt-4o",
            "claude-3-5-sonnet",
            "text-embedding-3-small",
            "vertex-gemini",
            "local-llama",
            "fake"
        ]
    );

    let m0 = &c.model_list[0];
    let p = &m0.litellm_params;
    assert_eq!(p.model, "openai/gpt-4o");
    assert_eq!(p.api_key.as_deref(), Some("sk-openai"));
    // resolved through a variable that environment_variables set
    assert_eq!(p.api_base.as_deref(), Some("https://api.openai.com/v1"));
    assert_eq!(p.organization.as_deref(), Some("org-123"));
    assert_eq!((p.rpm, p.tpm), (Some(480), Some(100_000)));
    assert_eq!(p.timeout, Some(Duration::from_secs(300)));
    assert_eq!(p.stream_timeout, Some(Duration::from_millis(60_500)));
    let mi = &m0.model_info;
    assert_eq!(mi.id.as_deref(), Some("deployment-1"));
    assert_eq!(mi.mode.as_deref(), Some("chat"));
    assert_eq!(mi.base_model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert_eq!(mi.rates.input_cost_per_token, Some(0.0000025));
    assert_eq!(mi.rates.output_cost_per_token, Some(0.00001));
    assert_eq!(mi.max_tokens, Some(16384));
    let mut extra_json = String::new();
    Value::Map(mi.extra.clone()).write_json(&mut extra_json);
    assert_eq!(
        extra_json,
        r#"{"supports_vision":true,"metadata":{"team":"core","tags":["prod","eu"]}}"#
    );

    let p1 = &c.model_list[1].litellm_params;
    assert_eq!(p1.model, "azure/gpt-4o-eu");
    assert_eq!(p1.api_version.as_deref(), Some("2024-08-01-preview"));
    assert_eq!(p1.weight, Some(2.0));
    assert_eq!(
        p1.extra_headers,
        vec![
            ("x-team".to_string(), "team-a".to_string()),
            ("x-static".to_string(), "abc".to_string())
        ]
    );
    assert_eq!(c.model_list[2].litellm_params.api_key, None);
    assert_eq!(
        c.model_list[3].model_info.mode.as_deref(),
        Some("embedding")
    );
    assert_eq!(
        c.model_list[5]
            .litellm_params
            .custom_llm_provider
            .as_deref(),
        Some("ollama")
    );
    let fake = &c.model_list[6].litellm_params;
    assert_eq!(fake.mock_response.as_deref(), Some("42"));
    assert_eq!(fake.rates.input_cost_per_token, Some(1e-6));
    assert_eq!(fake.rates.output_cost_per_token, Some(2e-6));

    let r = &c.router_settings;
    assert_eq!(
        r.routing_strategy,
        corelane_config::RoutingStrategy::UsageBasedV2
    );
    assert_eq!(r.timeout, Some(Duration::from_secs(30)));
    assert_eq!(
        r.model_group_alias,
        vec![
            GroupAlias {
                alias: "gpt-4".into(),
                model: "gpt-4o".into(),
                hidden: false
            },
            GroupAlias {
                alias: "claude".into(),
                model: "claude-3-5-sonnet".into(),
                hidden: true
            },
        ]
    );
    assert_eq!(c.litellm_settings.drop_params, Some(true));
    assert_eq!(
        c.litellm_settings.request_timeout,
        Some(Duration::from_secs(600))
    );
    let g = &c.general_settings;
    assert_eq!(c.master_key(), Some("sk-master"));
    assert_eq!(
        g.database_url.as_deref(),
        Some("postgresql://u:p@localhost:5432/litellm")
    );
    assert_eq!(g.max_request_size_mb, Some(32.0));
    assert_eq!(g.max_response_size_mb, Some(64.5));
    assert_eq!(g.litellm_key_header_name.as_deref(), Some("X-Litellm-Key"));

    assert_eq!(
        c.ignored,
        vec![
            "model_list[2].litellm_params.max_tokens",
            // Parsed and type-checked, not applied yet: listed all the same.
            "litellm_settings.success_callback",
            "litellm_settings.cache",
            "general_settings.max_response_size_mb",
            "general_settings.alerting",
        ]
    );
    // Unset variables are said where they are read.
    assert_eq!(
        c.warnings,
        vec![
            "model_list[2].litellm_params.api_key: os.environ/ANTHROPIC_API_KEY is not set",
            "router_settings.redis_host: os.environ/REDIS_HOST is not set",
        ]
    );
}

#[test]
fn anchors_fixture() {
    let c = load(&fixture("anchors.yaml"), env(&[("AZURE_API_KEY", "az")])).unwrap();
    assert_eq!(c.model_list.len(), 2);
    for m in &c.model_list {
        let p = &m.litellm_params;
        assert_eq!(
            p.api_base.as_deref(),
            Some("https://example-resource.openai.azure.com/")
        );
        assert_eq!(p.api_key.as_deref(), Some("az"));
        assert_eq!(p.api_version.as_deref(), Some("2024-06-01"));
    }
    assert_eq!(
        c.model_list[0].litellm_params.timeout,
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        c.model_list[1].litellm_params.timeout,
        Some(Duration::from_secs(10))
    );
    assert_eq!(c.ignored, vec!["x-azure"]);
    assert!(c.warnings.is_empty());
}

#[test]
fn minimal_fixture_with_process_env() {
    let c = load(&fixture("minimal.yaml"), Env::from_process()).unwrap();
    assert_eq!(c.model_list[0].model_name, "gpt-3.5-turbo");
    assert_eq!(c.master_key(), Some("sk-1234"));
    assert!(c.ignored.is_empty());
}
