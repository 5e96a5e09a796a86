//! The start-up rule for the master key (LiteLLM 1.106): the real binary refuses an unset,
//! empty or publicly known master key, naming the cause and the fix, unless
//! `general_settings.dangerously_permit_weak_or_unset_master_key` or
//! `LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY` permits it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Gateway, Proc, TempDir, PERMIT_WEAK_KEY};

const MASTER_KEY_ENV: &str = "LITELLM_MASTER_KEY";
const MODELS: &str = "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/m\n      mock_response: hi\n";

/// Runs the gateway on `config` with only `env` deciding the master key and the permit (both
/// variables are removed from what the test process passes on), and expects it to exit
/// non-zero before listening; returns its stderr.
fn refused(config: &str, env: &[(&str, &str)]) -> String {
    let dir = TempDir::new("mkey");
    let path = dir.write("config.yaml", config);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corelane"));
    cmd.arg("--config")
        .arg(&path)
        .args(["--port", "0", "--host", "127.0.0.1", "--num_workers", "1"])
        .env_remove(MASTER_KEY_ENV)
        .env_remove(PERMIT_WEAK_KEY)
        .env_remove("CONFIG_FILE_PATH")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut proc = Proc::from_child(cmd.spawn().expect("spawn corelane"));
    let Some(exit) = proc.wait_exit(Duration::from_secs(10)) else {
        panic!(
            "still running: it should have refused to start.\nstderr:\n{}",
            proc.stderr.text()
        );
    };
    let stderr = proc.stderr.text();
    assert!(!exit.success(), "exit {exit:?}; stderr:\n{stderr}");
    assert!(
        !proc.stdout.text().contains("listening"),
        "it must not start serving; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("corelane: refusing to start:"),
        "no refusal in:\n{stderr}"
    );
    // The fix and the opt-in are always named.
    assert!(
        stderr.contains("openssl rand -hex 32"),
        "no fix in:\n{stderr}"
    );
    assert!(
        stderr.contains("LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true")
            && stderr
                .contains("general_settings.dangerously_permit_weak_or_unset_master_key: true"),
        "no opt-in in:\n{stderr}"
    );
    stderr
}

fn keyed(key: &str) -> String {
    format!("{MODELS}general_settings:\n  master_key: {key}\n")
}

/// The gateway's `GET /v1/models` status with `key` as bearer (`None`: no key sent).
fn models_status(gw: &Gateway, key: Option<&str>) -> u16 {
    let auth = key.map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    gw.request("GET", "/v1/models", &headers, b"").status
}

#[test]
fn no_master_key_refuses_to_start() {
    let stderr = refused(MODELS, &[]);
    assert!(
        stderr.contains("no master key is set"),
        "cause not named:\n{stderr}"
    );
    assert!(
        stderr.contains("Neither general_settings.master_key nor the LITELLM_MASTER_KEY"),
        "source not named:\n{stderr}"
    );
}

#[test]
fn publicly_known_key_in_the_config_refuses_to_start() {
    let stderr = refused(&keyed("sk-1234"), &[]);
    assert!(
        stderr.contains("publicly known default"),
        "cause not named:\n{stderr}"
    );
    assert!(
        stderr.contains("master_key: os.environ/LITELLM_MASTER_KEY"),
        "config fix not shown:\n{stderr}"
    );
}

#[test]
fn publicly_known_key_in_the_environment_refuses_to_start() {
    let stderr = refused(MODELS, &[(MASTER_KEY_ENV, " sk-1234\n")]);
    assert!(
        stderr.contains("publicly known default")
            && stderr.contains("It comes from the LITELLM_MASTER_KEY environment variable"),
        "{stderr}"
    );
}

#[test]
fn empty_master_key_refuses_to_start() {
    let stderr = refused(&keyed("\"\""), &[]);
    assert!(stderr.contains("the master key is empty"), "{stderr}");
    let stderr = refused(MODELS, &[(MASTER_KEY_ENV, "")]);
    assert!(stderr.contains("the master key is empty"), "{stderr}");
}

#[test]
fn permit_that_is_not_true_still_refuses() {
    // LiteLLM's get_secret_bool: only "true" (any case) is on.
    refused(MODELS, &[(PERMIT_WEAK_KEY, "1")]);
    // LiteLLM tests `is True`: a quoted string is not the boolean.
    let stderr = refused(
        &format!(
            "{MODELS}general_settings:\n  dangerously_permit_weak_or_unset_master_key: \"true\"\n"
        ),
        &[],
    );
    assert!(
        stderr.contains("is not the boolean true"),
        "the ignored setting should be warned about:\n{stderr}"
    );
}

#[test]
fn strong_master_key_starts_and_guards() {
    let key = "sk-corelane-itest-2b7e151628aed2a6abf71588";
    let gw = Gateway::start_strict(&keyed(key), &["--num_workers", "1"], &[]);
    assert_eq!(models_status(&gw, Some(key)), 200);
    assert_eq!(models_status(&gw, None), 401);
    let stderr = gw.proc.stderr.text();
    assert!(
        !stderr.contains("dangerously_permit"),
        "no warning for a strong key:\n{stderr}"
    );
}

#[test]
fn strong_master_key_from_the_environment_starts() {
    let key = "sk-corelane-itest-env-6bc1bee22e409f96e93d";
    let gw = Gateway::start_strict(
        &keyed("os.environ/LITELLM_MASTER_KEY"),
        &["--num_workers", "1"],
        &[(MASTER_KEY_ENV, Path::new(key))],
    );
    assert_eq!(models_status(&gw, Some(key)), 200);
}

#[test]
fn permit_in_the_config_starts_open_with_a_warning() {
    let config = format!(
        "{MODELS}general_settings:\n  master_key: null\n  dangerously_permit_weak_or_unset_master_key: true\n"
    );
    let gw = Gateway::start_strict(&config, &["--num_workers", "1"], &[]);
    let warned = common::eventually(Duration::from_secs(5), || {
        gw.proc
            .stderr
            .text()
            .contains("general_settings.dangerously_permit_weak_or_unset_master_key is on")
    });
    let stderr = gw.proc.stderr.text();
    assert!(warned, "no warning:\n{stderr}");
    assert!(
        stderr.contains("Never run this outside local development"),
        "{stderr}"
    );
    assert_eq!(models_status(&gw, None), 200, "no master key: open");
    assert!(
        !stderr.contains("ignored (not implemented yet)"),
        "the setting is implemented, not ignored:\n{stderr}"
    );
}

#[test]
fn permit_in_the_environment_starts_with_the_known_key() {
    let gw = Gateway::start_strict(
        &keyed("sk-1234"),
        &["--num_workers", "1"],
        &[(PERMIT_WEAK_KEY, Path::new("True"))],
    );
    assert_eq!(models_status(&gw, Some("sk-1234")), 200);
    assert_eq!(models_status(&gw, Some("sk-other")), 401);
    let warned = common::eventually(Duration::from_secs(5), || {
        gw.proc.stderr.text().contains(
            "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY is on, so corelane is starting with a publicly known master key",
        )
    });
    assert!(warned, "no warning:\n{}", gw.proc.stderr.text());
}

#[test]
fn bundled_example_starts_as_the_readme_says() {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/config.yaml"),
    )
    .expect("examples/config.yaml");
    let gw = Gateway::start_strict(&example, &["--num_workers", "1"], &[]);
    assert_eq!(models_status(&gw, Some("sk-1234")), 200);
}
