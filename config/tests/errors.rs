//! Every error message, exactly: position, key path and wording.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use corelane_config::{load, parse, ConfigError, Env};

fn err(text: &str) -> String {
    match parse(text, "config.yaml", Env::default()) {
        Ok(c) => panic!("expected an error for {text:?}, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "model_list:\n  - model_name: g\n    litellm_params:\n      model: m\n";

#[test]
fn type_errors_name_file_line_column_and_path() {
    let cases: &[(&str, &str)] = &[
        // line 5, after "      rpm: " (11 columns)
        ("      rpm: fast\n", "config.yaml:5:12: model_list[0].litellm_params.rpm: expected a non-negative integer, got \"fast\""),
        ("      rpm: -1\n", "config.yaml:5:12: model_list[0].litellm_params.rpm: expected a non-negative integer, got -1"),
        ("      rpm: 1.5\n", "config.yaml:5:12: model_list[0].litellm_params.rpm: expected a non-negative integer, got 1.5"),
        ("      tpm: [1]\n", "config.yaml:5:12: model_list[0].litellm_params.tpm: expected a non-negative integer, got a list"),
        ("      rpm: true\n", "config.yaml:5:12: model_list[0].litellm_params.rpm: expected a non-negative integer, got true"),
        ("      weight: heavy\n", "config.yaml:5:15: model_list[0].litellm_params.weight: expected a number, got \"heavy\""),
        ("      weight: .nan\n", "config.yaml:5:15: model_list[0].litellm_params.weight: expected a number, got .nan"),
        ("      timeout: soon\n", "config.yaml:5:16: model_list[0].litellm_params.timeout: expected a non-negative number of seconds, got \"soon\""),
        ("      timeout: -3\n", "config.yaml:5:16: model_list[0].litellm_params.timeout: expected a non-negative number of seconds, got -3"),
        ("      stream_timeout: {a: 1}\n", "config.yaml:5:23: model_list[0].litellm_params.stream_timeout: expected a non-negative number of seconds, got a mapping"),
        ("      api_key: [a, b]\n", "config.yaml:5:16: model_list[0].litellm_params.api_key: expected a string, got a list"),
        ("      extra_headers: [a]\n", "config.yaml:5:22: model_list[0].litellm_params.extra_headers: expected a mapping, got a list"),
        ("      extra_headers:\n        x: {y: z}\n", "config.yaml:6:12: model_list[0].litellm_params.extra_headers.x: expected a string, got a mapping"),
        ("      input_cost_per_token: \"cheap\"\n", "config.yaml:5:29: model_list[0].litellm_params.input_cost_per_token: expected a number, got \"cheap\""),
        ("    model_info:\n      max_tokens: lots\n", "config.yaml:6:19: model_list[0].model_info.max_tokens: expected a non-negative integer, got \"lots\""),
        ("    model_info: [1]\n", "config.yaml:5:17: model_list[0].model_info: expected a mapping, got a list"),
    ];
    for (tail, want) in cases {
        assert_eq!(err(&format!("{HEAD}{tail}")), *want, "{tail:?}");
    }
}

#[test]
fn section_type_errors() {
    let cases: &[(&str, &str)] = &[
        ("- a\n- b\n", "config.yaml:1:1: (top level): expected a mapping, got a list"),
        ("just text\n", "config.yaml:1:1: (top level): expected a mapping, got \"just text\""),
        ("model_list: {a: 1}\n", "config.yaml:1:13: model_list: expected a list, got a mapping"),
        ("model_list:\n  - 5\n", "config.yaml:2:5: model_list[0]: expected a mapping, got 5"),
        ("model_list:\n  - null\n", "config.yaml:2:5: model_list[0]: expected a mapping, got null"),
        ("router_settings: [1]\n", "config.yaml:1:18: router_settings: expected a mapping, got a list"),
        ("router_settings:\n  timeout: x\n", "config.yaml:2:12: router_settings.timeout: expected a non-negative number of seconds, got \"x\""),
        ("router_settings:\n  model_group_alias: [a]\n", "config.yaml:2:22: router_settings.model_group_alias: expected a mapping, got a list"),
        ("router_settings:\n  model_group_alias:\n    a: [b]\n", "config.yaml:3:8: router_settings.model_group_alias.a: expected a string, got a list"),
        ("router_settings:\n  model_group_alias:\n    a: {hidden: true}\n", "config.yaml:3:8: router_settings.model_group_alias.a: missing field model"),
        ("router_settings:\n  model_group_alias:\n    a: {model: b, hidden: maybe}\n", "config.yaml:3:27: router_settings.model_group_alias.a.hidden: expected a boolean, got \"maybe\""),
        ("litellm_settings: 3\n", "config.yaml:1:19: litellm_settings: expected a mapping, got 3"),
        ("litellm_settings:\n  drop_params: sometimes\n", "config.yaml:2:16: litellm_settings.drop_params: expected a boolean, got \"sometimes\""),
        ("litellm_settings:\n  request_timeout: [1]\n", "config.yaml:2:20: litellm_settings.request_timeout: expected a non-negative number of seconds, got a list"),
        ("general_settings: x\n", "config.yaml:1:19: general_settings: expected a mapping, got \"x\""),
        ("general_settings:\n  master_key: {a: b}\n", "config.yaml:2:15: general_settings.master_key: expected a string, got a mapping"),
        ("general_settings:\n  max_request_size_mb: big\n", "config.yaml:2:24: general_settings.max_request_size_mb: expected a number, got \"big\""),
        ("environment_variables: [A]\n", "config.yaml:1:24: environment_variables: expected a mapping, got a list"),
        ("environment_variables:\n  A: [1]\n", "config.yaml:2:6: environment_variables.A: expected a string or number, got a list"),
    ];
    for (text, want) in cases {
        assert_eq!(err(text), *want, "{text:?}");
    }
}

#[test]
fn missing_required_fields() {
    let cases: &[(&str, &str)] = &[
        (
            "model_list:\n  - model_name: a\n    litellm_params: {model: m}\n  - litellm_params: {model: m}\n",
            "config.yaml:4:5: model_list[1]: missing field model_name",
        ),
        (
            "model_list:\n  - model_name: a\n    litellm_params: {model: m}\n  - model_name: b\n    litellm_params:\n      api_key: k\n",
            "config.yaml:6:7: model_list[1].litellm_params: missing field model",
        ),
        (
            "model_list:\n  - model_name: a\n",
            "config.yaml:2:5: model_list[0]: missing field litellm_params",
        ),
        (
            "model_list:\n  - model_name: a\n    litellm_params:\n",
            "config.yaml:3:19: model_list[0].litellm_params: missing field model",
        ),
        (
            "model_list:\n  - model_name: ~\n    litellm_params: {model: m}\n",
            "config.yaml:2:5: model_list[0]: missing field model_name",
        ),
        (
            "model_list:\n  - model_name: a\n    litellm_params: {model: os.environ/NOPE}\n",
            "config.yaml:3:29: model_list[0].litellm_params.model: os.environ/NOPE is not set",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(err(text), *want, "{text:?}");
    }
}

#[test]
fn invalid_yaml_reports_the_parser_position_and_message() {
    let cases = [
        "model_list:\n  - model_name: a\n   bad: [\n",
        "a: b\n c: d\n",
        "a: \"unterminated\n",
        "a: *nowhere\n",
        "key: [1, 2\nother: 3\n",
        "a: 1\n---\nb: 2\n",
    ];
    for text in cases {
        let e = parse(text, "config.yaml", Env::default()).unwrap_err();
        let ConfigError::Syntax {
            line,
            col,
            ref message,
            ..
        } = e
        else {
            panic!("{text:?}: not a syntax error: {e}");
        };
        assert!(
            line >= 1 && col >= 1 && !message.is_empty(),
            "{text:?}: {e}"
        );
        assert_eq!(
            e.to_string(),
            format!("config.yaml:{line}:{col}: {message}")
        );
    }
    assert_eq!(
        err("a: 1\n---\nb: 2\n"),
        "config.yaml:2:1: expected a single YAML document, found another"
    );
}

#[test]
fn alias_bombs_are_refused_not_expanded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    let e = err(&text);
    assert!(
        e.ends_with("document too large after alias expansion"),
        "{e}"
    );

    // Deep nesting through aliases: each level re-nests the previous one.
    let mut text = String::from("d0: &d0 [[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]\n");
    for i in 1..40 {
        let prev = i - 1;
        text.push_str(&format!(
            "d{i}: &d{i} [[[[[[[[[[[[[[[[[[[[*d{prev}]]]]]]]]]]]]]]]]]]]]\n"
        ));
    }
    let e = err(&text);
    assert!(
        e.ends_with("document nested too deeply after alias expansion"),
        "{e}"
    );
}

#[test]
fn io_errors_name_the_file() {
    let e = load(
        std::path::Path::new("/nonexistent/dir/config.yaml"),
        Env::default(),
    )
    .unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }));
    let s = e.to_string();
    assert!(s.starts_with("/nonexistent/dir/config.yaml: "), "{s}");
    assert!(s.contains("No such file"), "{s}");
}
