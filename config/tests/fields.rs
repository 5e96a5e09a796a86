//! Table tests: each typed field, os.environ/ resolution, environment_variables order and
//! the ignored-key listing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use corelane_config::{parse, Config, Env, GroupAlias, Value};

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn ok(text: &str) -> Config {
    parse(text, "config.yaml", Env::default()).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

/// One model whose litellm_params hold `model: m` plus `extra` (already indented lines).
fn with_params(extra: &str) -> String {
    format!("model_list:\n  - model_name: g\n    litellm_params:\n      model: m\n{extra}")
}

#[test]
fn empty_and_comment_only_files_are_empty_configs() {
    for text in ["", "# only a comment\n", "---\n", "~\n", "\n\n  \n"] {
        let c = ok(text);
        assert!(c.model_list.is_empty(), "{text:?}");
        assert!(c.ignored.is_empty() && c.warnings.is_empty(), "{text:?}");
    }
}

#[test]
fn null_sections_are_empty() {
    let c = ok("model_list:\nrouter_settings:\nlitellm_settings: ~\ngeneral_settings: null\nenvironment_variables:\n");
    assert!(c.model_list.is_empty());
    assert!(c.router_settings.model_group_alias.is_empty());
    assert_eq!(c.general_settings.master_key, None);
}

#[test]
fn litellm_params_fields() {
    type Check = fn(&corelane_config::LitellmParams) -> bool;
    let cases: &[(&str, Check)] = &[
        ("      custom_llm_provider: openai\n", |p| {
            p.custom_llm_provider.as_deref() == Some("openai")
        }),
        ("      api_base: http://x/v1\n", |p| {
            p.api_base.as_deref() == Some("http://x/v1")
        }),
        ("      api_key: sk-1\n", |p| {
            p.api_key.as_deref() == Some("sk-1")
        }),
        ("      api_version: \"2024-02-01\"\n", |p| {
            p.api_version.as_deref() == Some("2024-02-01")
        }),
        // Unquoted, PyYAML would make a date; the text is what every consumer wants.
        ("      api_version: 2024-02-01\n", |p| {
            p.api_version.as_deref() == Some("2024-02-01")
        }),
        ("      organization: org-1\n", |p| {
            p.organization.as_deref() == Some("org-1")
        }),
        ("      timeout: 10\n", |p| {
            p.timeout == Some(Duration::from_secs(10))
        }),
        ("      timeout: 0.5\n", |p| {
            p.timeout == Some(Duration::from_millis(500))
        }),
        ("      timeout: \"10\"\n", |p| {
            p.timeout == Some(Duration::from_secs(10))
        }),
        ("      timeout: null\n", |p| p.timeout.is_none()),
        ("      stream_timeout: 2.25\n", |p| {
            p.stream_timeout == Some(Duration::from_millis(2250))
        }),
        ("      rpm: 100\n", |p| p.rpm == Some(100)),
        ("      rpm: \"100\"\n", |p| p.rpm == Some(100)),
        ("      rpm: 100.0\n", |p| p.rpm == Some(100)),
        ("      rpm: 1_000\n", |p| p.rpm == Some(1000)),
        ("      tpm: 100000\n", |p| p.tpm == Some(100_000)),
        ("      weight: 3\n", |p| p.weight == Some(3.0)),
        ("      weight: 0.25\n", |p| p.weight == Some(0.25)),
        ("      mock_response: hi there\n", |p| {
            p.mock_response.as_deref() == Some("hi there")
        }),
        ("      mock_response: 1.50\n", |p| {
            p.mock_response.as_deref() == Some("1.50")
        }),
        ("      mock_response: true\n", |p| {
            p.mock_response.as_deref() == Some("true")
        }),
        ("      mock_response: \"\"\n", |p| {
            p.mock_response.as_deref() == Some("")
        }),
        ("      input_cost_per_token: 0.000001\n", |p| {
            p.rates.input_cost_per_token == Some(0.000001)
        }),
        ("      input_cost_per_token: 1e-6\n", |p| {
            p.rates.input_cost_per_token == Some(1e-6)
        }),
        ("      output_cost_per_token: \"2e-6\"\n", |p| {
            p.rates.output_cost_per_token == Some(2e-6)
        }),
        ("      cache_read_input_token_cost: 3e-7\n", |p| {
            p.rates.cache_read_input_token_cost == Some(3e-7)
        }),
        (
            "      cache_creation_input_token_cost_above_1hr: 6e-6\n",
            |p| p.rates.cache_creation_input_token_cost_above_1hr == Some(6e-6),
        ),
        ("      output_cost_per_reasoning_token: 1e-5\n", |p| {
            p.rates.output_cost_per_reasoning_token == Some(1e-5)
        }),
        ("      extra_headers:\n        a: b\n        n: 1\n", |p| {
            p.extra_headers == vec![("a".into(), "b".into()), ("n".into(), "1".into())]
        }),
        ("      extra_headers: {}\n", |p| p.extra_headers.is_empty()),
        (
            "      vertex_project: my-proj\n      vertex_location: europe-west4\n",
            |p| {
                p.vertex_project.as_deref() == Some("my-proj")
                    && p.vertex_location.as_deref() == Some("europe-west4")
            },
        ),
        (
            "      vertex_ai_project: b\n      vertex_project: a\n",
            |p| p.vertex_project.as_deref() == Some("a"),
        ),
        (
            "      vertex_project: a\n      vertex_ai_project: b\n",
            |p| p.vertex_project.as_deref() == Some("a"),
        ),
        ("      vertex_ai_location: us-east5\n", |p| {
            p.vertex_location.as_deref() == Some("us-east5")
        }),
        ("      vertex_credentials: /etc/sa.json\n", |p| {
            p.vertex_credentials.as_deref() == Some("/etc/sa.json")
        }),
        (
            "      vertex_credentials:\n        type: service_account\n        project_id: p\n",
            |p| {
                p.vertex_credentials.as_deref()
                    == Some("{\"type\":\"service_account\",\"project_id\":\"p\"}")
            },
        ),
    ];
    for (extra, check) in cases {
        let c = ok(&with_params(extra));
        let p = &c.model_list[0].litellm_params;
        assert_eq!(p.model, "m");
        assert!(check(p), "{extra:?} -> {p:?}");
        assert!(c.ignored.is_empty(), "{extra:?} -> {:?}", c.ignored);
    }
}

#[test]
fn model_info_fields_and_extras() {
    let c = ok("model_list:\n  - model_name: g\n    litellm_params: {model: m}\n    model_info:\n      id: 7\n      mode: chat\n      base_model: gpt-4\n      input_cost_per_token: 1.0e-6\n      output_cost_per_token: \"3e-6\"\n      max_tokens: 4096\n      max_input_tokens: 128000\n      max_output_tokens: 8192.0\n      supports_vision: yes\n      tier: ~\n      api_key: os.environ/SECRET\n      nested: {a: [1, 2.5, \"x\"]}\n");
    let mi = &c.model_list[0].model_info;
    assert_eq!(mi.id.as_deref(), Some("7"));
    assert_eq!(mi.mode.as_deref(), Some("chat"));
    assert_eq!(mi.base_model.as_deref(), Some("gpt-4"));
    assert_eq!(mi.rates.input_cost_per_token, Some(1e-6));
    assert_eq!(mi.rates.output_cost_per_token, Some(3e-6));
    assert_eq!(mi.max_tokens, Some(4096));
    assert_eq!(mi.max_input_tokens, Some(128_000));
    assert_eq!(mi.max_output_tokens, Some(8192));
    assert_eq!(
        mi.extra,
        vec![
            ("supports_vision".into(), Value::Bool(true)),
            ("tier".into(), Value::Null),
            // extras are not resolved, so /model/info never echoes an environment secret
            ("api_key".into(), Value::String("os.environ/SECRET".into())),
            (
                "nested".into(),
                Value::Map(vec![(
                    "a".into(),
                    Value::List(vec![
                        Value::Int(1),
                        Value::Float(2.5),
                        Value::String("x".into())
                    ])
                )])
            ),
        ]
    );
    assert!(c.ignored.is_empty() && c.warnings.is_empty());
}

#[test]
fn settings_fields() {
    let c = ok("router_settings:\n  routing_strategy: simple-shuffle\n  timeout: 30\n  model_group_alias:\n    gpt-4: gpt-4o\n    claude: {model: claude-3, hidden: true}\n    visible: {model: x}\n    empty: null\nlitellm_settings:\n  request_timeout: 600\n  drop_params: yes\ngeneral_settings:\n  master_key: sk-1234\n  database_url: postgres://u:p@h/db\n  max_request_size_mb: 32\n  max_response_size_mb: \"0.5\"\n  litellm_key_header_name: X-Key\n");
    let r = &c.router_settings;
    assert_eq!(
        r.routing_strategy,
        corelane_config::RoutingStrategy::SimpleShuffle
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
                model: "claude-3".into(),
                hidden: true
            },
            GroupAlias {
                alias: "visible".into(),
                model: "x".into(),
                hidden: false
            },
        ]
    );
    assert_eq!(
        c.litellm_settings.request_timeout,
        Some(Duration::from_secs(600))
    );
    assert_eq!(c.litellm_settings.drop_params, Some(true));
    let g = &c.general_settings;
    assert_eq!(g.master_key.as_deref(), Some("sk-1234"));
    assert_eq!(g.database_url.as_deref(), Some("postgres://u:p@h/db"));
    assert_eq!(g.max_request_size_mb, Some(32.0));
    assert_eq!(g.max_response_size_mb, Some(0.5));
    assert_eq!(g.litellm_key_header_name.as_deref(), Some("X-Key"));
    assert_eq!(c.master_key(), Some("sk-1234"));
}

#[test]
fn booleans_as_pyyaml_reads_them() {
    for (text, want) in [
        ("true", true),
        ("True", true),
        ("on", true),
        ("YES", true),
        ("\"true\"", true),
        ("false", false),
        ("False", false),
        ("off", false),
        ("no", false),
        ("'False'", false),
    ] {
        let c = ok(&format!("litellm_settings:\n  drop_params: {text}\n"));
        assert_eq!(c.litellm_settings.drop_params, Some(want), "{text}");
    }
}

#[test]
fn os_environ_references_resolve_everywhere_strings_are_taken() {
    let text = "model_list:\n  - model_name: os.environ/NAME\n    litellm_params:\n      model: os.environ/MODEL\n      api_key: os.environ/KEY\n      api_base: os.environ/BASE\n      rpm: os.environ/RPM\n      timeout: os.environ/TIMEOUT\n      extra_headers:\n        x-a: os.environ/HDR\n        x-b: os.environ/NOPE_HDR\ngeneral_settings:\n  master_key: os.environ/MK\n  database_url: os.environ/DB\n";
    let e = env(&[
        ("NAME", "group"),
        ("MODEL", "openai/gpt-4o"),
        ("KEY", "sk-k"),
        ("BASE", "http://b"),
        ("RPM", "12"),
        ("TIMEOUT", "1.5"),
        ("HDR", "h"),
        ("MK", "sk-master"),
        ("DB", "postgres://d"),
    ]);
    let c = parse(text, "config.yaml", e).unwrap();
    let m = &c.model_list[0];
    assert_eq!(m.model_name, "group");
    let p = &m.litellm_params;
    assert_eq!(p.model, "openai/gpt-4o");
    assert_eq!(p.api_key.as_deref(), Some("sk-k"));
    assert_eq!(p.api_base.as_deref(), Some("http://b"));
    assert_eq!(p.rpm, Some(12));
    assert_eq!(p.timeout, Some(Duration::from_millis(1500)));
    assert_eq!(p.extra_headers, vec![("x-a".to_string(), "h".to_string())]);
    assert_eq!(c.general_settings.master_key.as_deref(), Some("sk-master"));
    assert_eq!(
        c.general_settings.database_url.as_deref(),
        Some("postgres://d")
    );
    assert_eq!(
        c.warnings,
        vec!["model_list[0].litellm_params.extra_headers.x-b: os.environ/NOPE_HDR is not set"]
    );
}

#[test]
fn missing_variables_unset_the_field_with_a_warning() {
    let text = "model_list:\n  - model_name: a\n    litellm_params: {model: m}\n  - model_name: b\n    litellm_params: {model: m}\n  - model_name: c\n    litellm_params:\n      model: m\n      api_key: os.environ/FOO\n      rpm: os.environ/RPM\ngeneral_settings:\n  master_key: os.environ/MK\n";
    let c = ok(text);
    assert_eq!(c.model_list[2].litellm_params.api_key, None);
    assert_eq!(c.model_list[2].litellm_params.rpm, None);
    assert_eq!(c.general_settings.master_key, None);
    assert_eq!(
        c.warnings,
        vec![
            "model_list[2].litellm_params.api_key: os.environ/FOO is not set",
            "model_list[2].litellm_params.rpm: os.environ/RPM is not set",
            "general_settings.master_key: os.environ/MK is not set",
        ]
    );
}

#[test]
fn environment_variables_apply_first_and_in_order() {
    // environment_variables comes last in the file but is applied before model_list is read;
    // within it, later entries see earlier ones, and config values win over the process env.
    let text = "model_list:\n  - model_name: g\n    litellm_params:\n      model: m\n      api_key: os.environ/B\n      api_base: os.environ/SHELL_ONLY\nenvironment_variables:\n  A: from-config\n  B: os.environ/A\n  PORT: 6379\n  RATIO: 1.50\n  FLAG: true\n  NOTHING: null\n  COPY_MISSING: os.environ/NOT_THERE\n  SHELL_ONLY: os.environ/SHELL_ONLY\n";
    let c = parse(
        text,
        "config.yaml",
        env(&[("A", "from-shell"), ("SHELL_ONLY", "s")]),
    )
    .unwrap();
    assert_eq!(c.env.var("A"), Some("from-config"));
    assert_eq!(c.env.var("B"), Some("from-config"));
    assert_eq!(c.env.var("PORT"), Some("6379"));
    assert_eq!(c.env.var("RATIO"), Some("1.50"));
    // LiteLLM stores str(value): Python spells these True and None.
    assert_eq!(c.env.var("FLAG"), Some("True"));
    assert_eq!(c.env.var("NOTHING"), Some("None"));
    assert_eq!(c.env.var("COPY_MISSING"), None);
    assert_eq!(c.env.var("SHELL_ONLY"), Some("s"));
    let p = &c.model_list[0].litellm_params;
    assert_eq!(p.api_key.as_deref(), Some("from-config"));
    assert_eq!(p.api_base.as_deref(), Some("s"));
    assert_eq!(
        c.warnings,
        vec!["environment_variables.COPY_MISSING: os.environ/NOT_THERE is not set"]
    );
}

#[test]
fn master_key_prefers_config_then_env() {
    let e = env(&[("LITELLM_MASTER_KEY", "sk-env")]);
    let c = parse("general_settings:\n  master_key: sk-cfg\n", "c", e.clone()).unwrap();
    assert_eq!(c.master_key(), Some("sk-cfg"));
    let c = parse("general_settings: {}\n", "c", e.clone()).unwrap();
    assert_eq!(c.master_key(), Some("sk-env"));
    let c = parse(
        "environment_variables:\n  LITELLM_MASTER_KEY: sk-vars\n",
        "c",
        e,
    )
    .unwrap();
    assert_eq!(c.master_key(), Some("sk-vars"));
    let c = parse("", "c", Env::default()).unwrap();
    assert_eq!(c.master_key(), None);
}

#[test]
fn ignored_keys_are_listed_once_in_file_order() {
    let text = "include: [other.yaml]\nmodel_list:\n  - model_name: g\n    litellm_params:\n      model: vertex_ai/gemini\n      vertex_project: p\n      seed: 7\n      temperature: 0.2\n    tpm_limit: 3\n    model_info: {foo: 1}\nrouter_settings:\n  fallbacks: [{a: [b]}]\n  num_retries: 2\n  model_group_alias:\n    x: {model: y, weight: 2}\nlitellm_settings:\n  success_callback: [langfuse]\n  cache: true\ngeneral_settings:\n  alerting: [slack]\nguardrails:\n  - guardrail_name: a\n    litellm_params: {guardrail: aporia, mode: pre_call}\n";
    let c = ok(text);
    assert_eq!(
        c.ignored,
        vec![
            "include",
            "model_list[0].litellm_params.seed",
            "model_list[0].litellm_params.temperature",
            "model_list[0].tpm_limit",
            "router_settings.model_group_alias.x.weight",
            "litellm_settings.success_callback",
            "litellm_settings.cache",
            "general_settings.alerting",
            "guardrails[0].litellm_params.guardrail",
        ]
    );
    let retries = &c.router_settings.retries;
    assert_eq!(retries.num_retries, Some(2));
    assert_eq!(
        retries.fallbacks,
        [corelane_config::Fallback {
            group: "a".into(),
            targets: vec!["b".into()]
        }]
    );
    // model_info extras are kept, not ignored.
    assert_eq!(
        c.model_list[0].model_info.extra,
        vec![("foo".into(), Value::Int(1))]
    );
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = "base: &b {api_key: k, rpm: 5}\nmodel_list:\n  - model_name: &n g\n    litellm_params:\n      <<: *b\n      model: m\n      rpm: 9\n  - model_name: *n\n    litellm_params:\n      <<: [{timeout: 3}, *b]\n      model: m2\n";
    let c = ok(text);
    assert_eq!(c.model_list[0].litellm_params.api_key.as_deref(), Some("k"));
    assert_eq!(c.model_list[0].litellm_params.rpm, Some(9));
    assert_eq!(c.model_list[1].model_name, "g");
    assert_eq!(
        c.model_list[1].litellm_params.timeout,
        Some(Duration::from_secs(3))
    );
    assert_eq!(c.model_list[1].litellm_params.rpm, Some(5));
    assert_eq!(c.ignored, vec!["base"]);
}

#[test]
fn repeated_keys_keep_the_last_value() {
    let c = ok("general_settings:\n  master_key: a\n  master_key: b\n");
    assert_eq!(c.general_settings.master_key.as_deref(), Some("b"));
}

#[test]
fn quoted_and_tagged_scalars_stay_strings() {
    let c = ok(&with_params(
        "      api_key: !!str 123\n      organization: '0x10'\n",
    ));
    let p = &c.model_list[0].litellm_params;
    assert_eq!(p.api_key.as_deref(), Some("123"));
    assert_eq!(p.organization.as_deref(), Some("0x10"));
}

#[test]
fn prometheus_callback_enables_metrics_and_other_callbacks_are_ignored() {
    let c = ok("litellm_settings:\n  callbacks: [prometheus]\n");
    assert!(c.litellm_settings.prometheus);
    assert!(c.ignored.is_empty(), "{:?}", c.ignored);
    let c = ok("litellm_settings:\n  success_callback: [prometheus, langfuse]\n");
    assert!(c.litellm_settings.prometheus);
    assert_eq!(c.ignored, vec!["litellm_settings.success_callback"]);
    let c = ok("litellm_settings:\n  failure_callback: [langfuse]\n");
    assert!(!c.litellm_settings.prometheus);
    let c = ok("router_settings:\n  routing_strategy: simple-shuffle\n");
    assert!(c.ignored.is_empty(), "{:?}", c.ignored);
    let c = ok("router_settings:\n  routing_strategy: least-busy\n");
    assert!(c.ignored.is_empty(), "{:?}", c.ignored);
}

#[test]
fn routing_strategies_and_their_args() {
    use corelane_config::RoutingStrategy;
    let c = ok("router_settings:\n  routing_strategy: latency-based-routing\n  routing_strategy_args: {ttl: 60, lowest_latency_buffer: 0.5, max_latency_list_size: 4, ttft_percentile: 0.9, other: 1}\n  enable_tag_filtering: true\n  tag_filtering_match_any: false\n  enable_pre_call_checks: true\nmodel_list:\n  - model_name: g\n    litellm_params: {model: m, tags: [a, default]}\n    model_info: {rpm: 3, tpm: 40, enable_tag_filtering: false}\n");
    let r = &c.router_settings;
    assert_eq!(r.routing_strategy, RoutingStrategy::LatencyBased);
    let a = r.routing_strategy_args;
    assert_eq!(a.ttl, Some(Duration::from_secs(60)));
    assert_eq!(a.lowest_latency_buffer, Some(0.5));
    assert_eq!(a.max_latency_list_size, Some(4));
    assert_eq!(a.ttft_percentile, Some(0.9));
    assert_eq!(r.enable_tag_filtering, Some(true));
    assert_eq!(r.tag_filtering_match_any, Some(false));
    assert_eq!(r.enable_pre_call_checks, Some(true));
    assert_eq!(
        c.ignored,
        vec!["router_settings.routing_strategy_args.other"]
    );
    let m = &c.model_list[0];
    assert_eq!(m.litellm_params.tags, ["a", "default"]);
    assert_eq!((m.model_info.rpm, m.model_info.tpm), (Some(3), Some(40)));
    assert_eq!(m.model_info.enable_tag_filtering, Some(false));
    for name in [
        "simple-shuffle",
        "least-busy",
        "usage-based-routing",
        "usage-based-routing-v2",
        "cost-based-routing",
    ] {
        let c = ok(&format!("router_settings:\n  routing_strategy: {name}\n"));
        assert_eq!(c.router_settings.routing_strategy.name(), name);
    }
    // An unknown strategy stops the start, as it stops LiteLLM's; LiteLLM's own that
    // corelane does not have say so.
    let e = parse(
        "router_settings:\n  routing_strategy: fastest\n",
        "c",
        Env::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("Invalid routing_strategy: 'fastest'. Valid options:"),
        "{e}"
    );
    let e = parse(
        "router_settings:\n  routing_strategy: lar1\n",
        "c",
        Env::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("not supported by corelane"), "{e}");
}

/// `/v1/messages` always bridges to chat completions: `true` is what corelane does; `false`
/// (LiteLLM's Responses API route for openai models) is listed as ignored.
#[test]
fn chat_completions_url_for_anthropic_messages() {
    let on = ok("litellm_settings:\n  use_chat_completions_url_for_anthropic_messages: true\n");
    assert!(on.ignored.is_empty(), "{:?}", on.ignored);
    let off = ok("litellm_settings:\n  use_chat_completions_url_for_anthropic_messages: false\n");
    assert_eq!(
        off.ignored,
        vec!["litellm_settings.use_chat_completions_url_for_anthropic_messages"]
    );
}

#[test]
fn router_policies() {
    use corelane_config::ErrorKind;
    let text = "model_list:\n  - model_name: g\n    litellm_params:\n      model: m\n      cooldown_time: 7\n    model_info:\n      allowed_fails: 2\n      cooldown_time: 3\n      allowed_fails_policy: {RateLimitErrorAllowedFails: 5, NoSuchErrorAllowedFails: 1}\nrouter_settings:\n  retry_policy:\n    BadRequestErrorRetries: 1\n    ContentPolicyViolationErrorRetries: 4\n    DefaultRetries: 0\n    BadGatewayErrorRetries: 3\n  model_group_retry_policy:\n    g: {RateLimitErrorRetries: 9}\n  allowed_fails_policy:\n    TimeoutErrorAllowedFails: 12\n    NotFoundErrorAllowedFails: null\n";
    let c = ok(text);
    let rs = &c.router_settings;
    let retry = rs.retry_policy.unwrap();
    assert_eq!(retry.default, Some(0));
    assert_eq!(
        retry
            .by_kind
            .first(ErrorKind::of_class("ContentPolicyViolationError")),
        Some(4)
    );
    assert_eq!(
        retry
            .by_kind
            .first(ErrorKind::of_class("ContextWindowExceededError")),
        Some(1)
    );
    assert_eq!(
        retry.by_kind.first(ErrorKind::of_class("RateLimitError")),
        None
    );
    assert_eq!(rs.model_group_retry_policy[0].0, "g");
    assert_eq!(
        rs.model_group_retry_policy[0]
            .1
            .by_kind
            .first(&[ErrorKind::RateLimit]),
        Some(9)
    );
    let fails = rs.allowed_fails_policy.unwrap();
    assert_eq!(fails.first(&[ErrorKind::Timeout]), Some(12));
    assert_eq!(fails.first(&[ErrorKind::NotFound]), None);
    let info = &c.model_list[0].model_info;
    assert_eq!(info.allowed_fails, Some(2));
    assert_eq!(info.cooldown_time, Some(Duration::from_secs(3)));
    assert_eq!(
        info.allowed_fails_policy
            .unwrap()
            .first(&[ErrorKind::RateLimit]),
        Some(5)
    );
    // Kept as written for /model/info too.
    assert_eq!(info.extra.len(), 3);
    // A field the policies do not have is said, not guessed.
    assert_eq!(
        c.ignored,
        vec![
            "model_list[0].model_info.allowed_fails_policy.NoSuchErrorAllowedFails",
            "router_settings.retry_policy.BadGatewayErrorRetries",
        ]
    );
}
