//! LiteLLM's Python plugins through the real binary (issue 11): plugin files laid out as
//! LiteLLM's docs show them (`tests/plugins/*.py`), beside the config, each run with
//! LiteLLM installed (the harness's venv) and with corelane's shim (an interpreter that sees
//! no site-packages).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

const MASTER: &str = "sk-plugins-0123456789abcdef";
/// sha256 of `sk-good`, the key `plugins/custom_auth.py` admits as user u1.
const GOOD_KEY_HASH: &str = "4c3fe847ba5369a26bb663f9713c893e7e9407c376d5e33038740063b5a09125";

const CUSTOM_CALLBACKS: &str = include_str!("plugins/custom_callbacks.py");
const REJECTING: &str = include_str!("plugins/rejecting_hook.py");
const LOGGING_ONLY: &str = include_str!("plugins/logging_only.py");
const BROKEN: &str = include_str!("plugins/broken_plugin.py");

/// A probe plugin (not a docs example): sends each request to the model named by where its
/// base classes come from, so a test sees whether LiteLLM's or the shim's ran.
const PROBE: &str = r#"
import litellm
from litellm.integrations.custom_logger import CustomLogger

class Probe(CustomLogger):
    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        shim = getattr(litellm, "__version__", "") == "corelane-shim"
        data["model"] = "via-shim" if shim else "via-litellm"
        return data

probe = Probe()
"#;

/// One test at a time: each starts sidecars, and importing LiteLLM alone takes seconds of
/// CPU; side by side on a small machine they would outlast the start timeout. (A test's
/// lock, not the gateway's: the rule against locks is about the hot path.)
#[allow(clippy::disallowed_types)]
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[allow(clippy::disallowed_types)]
fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// The interpreters a plugin runs under: LiteLLM's venv (`scripts/setup.sh` installs it),
/// and `python3 -S` (no site-packages: the shim).
fn pythons() -> Vec<(&'static str, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let venv = root.join("harness/.venv-litellm/bin/python");
    assert!(
        venv.is_file(),
        "{} is missing: run scripts/setup.sh (it installs LiteLLM for these tests)",
        venv.display()
    );
    let shim = std::env::temp_dir().join(format!("corelane-python-S-{}", std::process::id()));
    std::fs::write(&shim, "#!/bin/sh\nexec python3 -S \"$@\"\n").unwrap();
    std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    vec![("litellm", venv), ("shim", shim)]
}

fn config(callbacks: &str) -> String {
    config_with(callbacks, "")
}

/// The test models, the callbacks and a `guardrails:` section.
fn config_with(callbacks: &str, guardrails: &str) -> String {
    let mut models = String::new();
    for (name, answer) in [
        ("gpt-4o", "Hello"),
        ("coffee-model", "I like coffee"),
        ("my-new-model", "Hi from my-new-model"),
        ("via-shim", "the shim ran"),
        ("via-litellm", "LiteLLM ran"),
    ] {
        models.push_str(&format!(
            "  - model_name: {name}\n    litellm_params:\n      model: openai/{name}\n      mock_response: \"{answer}\"\n"
        ));
    }
    let callbacks = if callbacks.is_empty() {
        String::new()
    } else {
        format!("litellm_settings:\n  callbacks: {callbacks}\n")
    };
    format!(
        "model_list:\n{models}{callbacks}{guardrails}general_settings:\n  master_key: {MASTER}\n"
    )
}

fn start(callbacks: &str, files: &[(&str, &str)], python: &Path, extra: &[&str]) -> Gateway {
    let python = python.to_str().unwrap();
    let mut args = vec!["--num_workers", "1", "--python", python];
    args.extend_from_slice(extra);
    Gateway::start_beside(&config(callbacks), files, &args, &[])
}

fn chat(gw: &Gateway, text: &str) -> Response {
    chat_body_of(
        gw,
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}),
    )
}

fn chat_body_of(gw: &Gateway, body: serde_json::Value) -> Response {
    gw.request(
        "POST",
        "/v1/chat/completions",
        &[("Authorization", &format!("Bearer {MASTER}"))],
        body.to_string().as_bytes(),
    )
}

fn content(resp: &Response) -> String {
    let v = resp.json();
    v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn each_interpreter_runs_the_base_classes_it_should() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let gw = start("[probe.probe]", &[("probe.py", PROBE)], &python, &[]);
        let r = chat(&gw, "hi");
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        let expected = if mode == "shim" {
            "the shim ran"
        } else {
            "LiteLLM ran"
        };
        assert_eq!(content(&r), expected, "{mode}");
    }
}

#[test]
fn a_pre_call_hook_rewrites_what_goes_upstream() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let gw = start(
            "custom_callbacks.proxy_handler_instance",
            &[("custom_callbacks.py", CUSTOM_CALLBACKS)],
            &python,
            &[],
        );
        let r = chat(&gw, "hi");
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        // The hook sent it to my-new-model.
        assert_eq!(content(&r), "Hi from my-new-model", "{mode}");
        gw.assert_healthy();
    }
}

#[test]
fn a_rejecting_hook_answers_litellms_errors() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let gw = start(
            "[rejecting_hook.proxy_handler_instance]",
            &[("rejecting_hook.py", REJECTING)],
            &python,
            &[],
        );
        // LiteLLM 1.108.7's answers, captured from LiteLLM itself.
        let cases = [
            (
                "forbidden words",
                400,
                json!({"message": "Violated content safety policy", "type": "invalid_request_error",
                    "param": null, "code": "400",
                    "provider_specific_fields": {"error": "Violated content safety policy"}}),
            ),
            (
                "not entitled",
                403,
                json!({"message": "not entitled to this model", "type": "permission_error",
                    "param": null, "code": "403"}),
            ),
            (
                "bad words",
                500,
                json!({"message": "bad words are not allowed", "type": "internal_server_error",
                    "param": null, "code": "500"}),
            ),
            (
                "reject me",
                400,
                json!({"message": "This is an invalid response", "type": "invalid_request_error",
                    "param": null, "code": "400",
                    "provider_specific_fields": {"error": "This is an invalid response"}}),
            ),
        ];
        for (text, status, error) in cases {
            let r = chat(&gw, text);
            assert_eq!(r.status, status, "{mode} {text}: {}", r.text());
            assert_eq!(r.json(), json!({ "error": error }), "{mode} {text}");
        }
        // A hook that changes `data` in place and returns None: the request goes on.
        let r = chat(&gw, "fine");
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        gw.assert_healthy();
    }
}

#[test]
fn a_plugin_that_does_not_load_stops_the_start() {
    let _serial = serial();
    let (_, python) = pythons().remove(1);
    let config = config("broken_plugin.proxy_handler_instance");
    let stderr = start_fails(&config, &[("broken_plugin.py", BROKEN)], &python, &[]);
    assert!(stderr.contains("this plugin cannot load"), "{stderr}");
    assert!(
        stderr.contains("broken_plugin.proxy_handler_instance"),
        "{stderr}"
    );
}

/// Starts the gateway on `config` with `files` beside it, expecting it to refuse: its
/// stderr.
fn start_fails(config: &str, files: &[(&str, &str)], python: &Path, extra: &[&str]) -> String {
    let dir = TempDir::new("refused");
    for (name, text) in files {
        dir.write(name, text);
    }
    let path = dir.write("config.yaml", config);
    let mut cmd = std::process::Command::new(gateway_bin());
    cmd.arg("--config")
        .arg(&path)
        .args([
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            "--num_workers",
            "1",
            "--python",
        ])
        .arg(python)
        .args(extra)
        .env("CORELANE_DATA_DIR", dir.0.join("data"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut proc = Proc::from_child(cmd.spawn().unwrap());
    let exit = proc.wait_exit(Duration::from_secs(60));
    let stderr = proc.stderr.text();
    assert!(exit.is_some_and(|e| !e.success()), "{stderr}");
    stderr
}

/// The sidecar of the gateway `gw` (found by its directory's name, which carries
/// corelane's process id).
fn sidecar_pid(gw: &Gateway) -> Option<u32> {
    let tag = format!("corelane-sidecar-{}-", gw.proc.pid());
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&tag) {
            return Some(pid);
        }
    }
    None
}

fn kill(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn the_sidecar_killed_mid_traffic_costs_only_the_requests_that_need_it_and_comes_back() {
    let _serial = serial();
    let (_, python) = pythons().remove(1);
    // Logging only: no request needs the sidecar, so none fails while it is down.
    let gw = start(
        "[logging_only.proxy_handler_instance]",
        &[("logging_only.py", LOGGING_ONLY)],
        &python,
        &[],
    );
    let first = sidecar_pid(&gw).expect("a sidecar");
    for i in 0..60 {
        if i == 20 {
            kill(first);
        }
        let r = chat(&gw, "hi");
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
    }
    assert!(eventually(Duration::from_secs(30), || sidecar_pid(&gw)
        .is_some_and(|p| p != first)));
    // A pre-call hook: while the sidecar is down its requests fail closed, with a 503
    // that says why; once it is back they pass again.
    let gw = start(
        "custom_callbacks.proxy_handler_instance",
        &[("custom_callbacks.py", CUSTOM_CALLBACKS)],
        &python,
        &[],
    );
    assert_eq!(content(&chat(&gw, "hi")), "Hi from my-new-model");
    let first = sidecar_pid(&gw).expect("a sidecar");
    kill(first);
    let r = chat(&gw, "hi");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the Python plugin sidecar"),
        "{}",
        r.text()
    );
    let back = Instant::now();
    assert!(
        eventually(Duration::from_secs(30), || chat(&gw, "hi").status == 200),
        "the sidecar did not come back"
    );
    eprintln!("the sidecar was back after {:?}", back.elapsed());
    assert_eq!(content(&chat(&gw, "hi")), "Hi from my-new-model");
    gw.assert_healthy();
}

#[test]
fn a_hung_hook_times_out_with_a_503_and_the_server_stays_healthy() {
    let _serial = serial();
    let (_, python) = pythons().remove(1);
    let slow = r#"
import asyncio
import os
from litellm.integrations.custom_logger import CustomLogger

class Slow(CustomLogger):
    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        if data["messages"][0]["content"] == "hang":
            await asyncio.sleep(30)
        return data

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        text = kwargs["messages"][0]["content"]
        if text == "hang the logger":
            await asyncio.sleep(30)
        with open(os.environ["CORELANE_TEST_LOG"], "a") as f:
            f.write(text + "\n")

class Patient(CustomLogger):
    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        if data["messages"][0]["content"] == "take a second":
            await asyncio.sleep(1)
        return data

slow = Slow()
patient = Patient()
"#;
    let dir = TempDir::new("plugin-timeouts");
    let log = dir.0.join("logged.txt");
    // Each plugin's hooks get its own timeout: 0.5 s by default, 3 s for slow.patient.
    let python_arg = python.to_str().unwrap();
    let gw = Gateway::start_beside(
        &config("[slow.slow, slow.patient]"),
        &[("slow.py", slow)],
        &[
            "--num_workers",
            "1",
            "--python",
            python_arg,
            "--plugin-timeout",
            "0.5",
            "--plugin-timeout",
            "slow.patient=3",
            "--metrics",
        ],
        &[("CORELANE_TEST_LOG", &log)],
    );
    let started = Instant::now();
    let r = chat(&gw, "hang");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        r.json()["error"]["message"],
        "the Python plugin slow.slow did not answer within 0.5s (--plugin-timeout): the request's async_pre_call_hook could not run"
    );
    // A plugin with a longer timeout may take longer.
    let started = Instant::now();
    let r = chat(&gw, "take a second");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(started.elapsed() >= Duration::from_secs(1));
    // Other requests are not held up by the hung one.
    assert_eq!(chat(&gw, "hi").status, 200);
    // A logging hook past its timeout is cancelled and counted; the next events are logged.
    assert_eq!(chat(&gw, "hang the logger").status, 200);
    assert_eq!(chat(&gw, "after it").status, 200);
    let logged = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        eventually(Duration::from_secs(10), || logged().contains("after it")),
        "{}",
        logged()
    );
    assert!(!logged().contains("hang the logger"));
    assert!(
        metrics(&gw).contains("corelane_plugin_log_hook_errors_total 1.0"),
        "{}",
        metrics(&gw)
    );
    gw.assert_healthy();
}

/// `--plugin-timeout NAME=SECONDS` must name a plugin of the config.
#[test]
fn a_timeout_for_a_plugin_the_config_lacks_stops_the_start() {
    let _serial = serial();
    let (_, python) = pythons().remove(1);
    let config = config("custom_logger.proxy_handler_instance");
    let stderr = start_fails(
        &config,
        &[("custom_logger.py", include_str!("plugins/custom_logger.py"))],
        &python,
        &["--plugin-timeout", "custom_loger.proxy_handler_instance=2"],
    );
    assert!(
        stderr.contains("the config names no plugin \"custom_loger.proxy_handler_instance\""),
        "{stderr}"
    );
}

#[test]
fn a_logger_receives_each_request_in_litellms_shapes_off_the_request_path() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let dir = TempDir::new("plugin-log");
        let log = dir.0.join("logged.jsonl");
        let gw = Gateway::start_beside(
            &config("custom_logger.proxy_handler_instance"),
            &[("custom_logger.py", include_str!("plugins/custom_logger.py"))],
            &["--num_workers", "1", "--python", python.to_str().unwrap()],
            &[("CORELANE_TEST_LOG", &log)],
        );
        let r = chat(&gw, "hello there");
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        let call_id = r.header("x-litellm-call-id").unwrap_or_default().to_owned();
        // A failure: a model the config does not have.
        let body = json!({"model": "nope", "messages": [{"role": "user", "content": "x"}]});
        let failed = gw.request(
            "POST",
            "/v1/chat/completions",
            &[("Authorization", &format!("Bearer {MASTER}"))],
            body.to_string().as_bytes(),
        );
        assert_eq!(failed.status, 400);
        let lines = || -> Vec<serde_json::Value> {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        };
        assert!(
            eventually(Duration::from_secs(10), || !lines().is_empty()),
            "{mode}: nothing logged"
        );
        let success = lines()
            .into_iter()
            .find(|l| l["event"] == "success")
            .unwrap();
        assert_eq!(success["model"], "gpt-4o", "{mode}: {success}");
        assert_eq!(
            success["messages"],
            json!([{"role": "user", "content": "hello there"}])
        );
        assert_eq!(success["key"], "litellm_proxy_master_key");
        assert_eq!(success["content"], "Hello");
        assert_eq!(success["usage"]["total_tokens"], 30, "{mode}: {success}");
        assert!(success["cost"].as_f64().unwrap() > 0.0, "{mode}: {success}");
        assert!(success["duration"].as_f64().unwrap() >= 0.0);
        let slo = &success["slo"];
        assert_eq!(slo["call_type"], "acompletion");
        assert_eq!(slo["status"], "success");
        assert_eq!(slo["model_group"], "gpt-4o");
        assert_eq!(slo["total_tokens"], 30);
        assert_eq!(slo["litellm_call_id"], call_id.as_str(), "{mode}");
        // A stream is logged once, when it ends, with the text the client got.
        let r = chat_body_of(
            &gw,
            json!({"model": "gpt-4o", "stream": true,
                "messages": [{"role": "user", "content": "stream it"}]}),
        );
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        let streamed = || {
            lines()
                .into_iter()
                .find(|l| l["event"] == "success" && l["stream"] == true)
        };
        assert!(
            eventually(Duration::from_secs(10), || streamed().is_some()),
            "{mode}"
        );
        let streamed = streamed().unwrap();
        assert_eq!(streamed["content"], "Hello", "{mode}: {streamed}");
        assert_eq!(streamed["messages"][0]["content"], "stream it");
        // The proxy's own refusals are logged too, to the async hook and the sync one, as
        // LiteLLM logs them (captured from LiteLLM 1.108.7): a model the config lacks, a
        // key nobody made (its hash), no key at all.
        let refused = |key: Option<&str>, text: &str| {
            let auth = key.map(|k| format!("Bearer {k}"));
            let headers: Vec<(&str, &str)> =
                auth.iter().map(|a| ("Authorization", a.as_str())).collect();
            let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]});
            gw.request(
                "POST",
                "/v1/chat/completions",
                &headers,
                body.to_string().as_bytes(),
            )
        };
        // A body nested deeper than Python parses, from a client without a key: its event
        // is logged without it, and the events after it still are.
        let deep = "[".repeat(5000);
        let r = gw.request("POST", "/v1/chat/completions", &[], deep.as_bytes());
        assert_eq!(r.status, 401);
        assert_eq!(refused(Some("sk-nobody-made-this"), "bad key").status, 401);
        assert_eq!(refused(None, "no key").status, 401);
        let failure = |text: &str| {
            lines()
                .into_iter()
                .find(|l| l["event"] == "failure" && l["messages"][0]["content"] == text)
        };
        assert!(
            eventually(Duration::from_secs(10), || failure("no key").is_some()),
            "{mode}: {:?}",
            lines()
        );
        let nope = failure("x").unwrap();
        assert_eq!(nope["model"], "nope", "{mode}: {nope}");
        assert_eq!(nope["key"], "litellm_proxy_master_key");
        let bad = failure("bad key").unwrap();
        assert_eq!(bad["model"], "gpt-4o", "{mode}: {bad}");
        assert_eq!(bad["call_type"], "acompletion");
        assert_eq!(bad["status"], "failure");
        assert_eq!(
            bad["key"],
            "c637d3c6bdffc886d46aabed8873cfb58bb14604864440fb1c5914c0adfca0da"
        );
        assert_eq!(failure("no key").unwrap()["key"], serde_json::Value::Null);
        let sync = |model: &str| {
            lines()
                .iter()
                .filter(|l| l["event"] == "sync_failure" && l["model"] == model)
                .count()
        };
        assert!(
            eventually(Duration::from_secs(10), || sync("gpt-4o") == 2
                && sync("nope") == 1),
            "{mode}: {:?}",
            lines()
        );
        gw.assert_healthy();
    }
}

fn metrics(gw: &Gateway) -> String {
    let auth = format!("Bearer {MASTER}");
    gw.request("GET", "/metrics", &[("Authorization", &auth)], b"")
        .text()
}

fn metric(gw: &Gateway, name: &str) -> f64 {
    let text = metrics(gw);
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(f64::NAN)
}

#[test]
fn a_slow_logger_never_holds_traffic_up_its_events_drop_and_are_counted() {
    let _serial = serial();
    let (_, python) = pythons().remove(1);
    // Blocks the sidecar's whole event loop for each event: it stops reading its socket.
    let slow = r#"
import time
from litellm.integrations.custom_logger import CustomLogger

class SlowLogger(CustomLogger):
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        time.sleep(2)

slow = SlowLogger()
"#;
    let failing = r#"
from litellm.integrations.custom_logger import CustomLogger

class FailingLogger(CustomLogger):
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        raise RuntimeError("this logger fails")

failing = FailingLogger()
"#;
    let gw = start("[slow.slow]", &[("slow.py", slow)], &python, &["--metrics"]);
    let started = Instant::now();
    let mut client = gw.client();
    let auth = format!("Bearer {MASTER}");
    let body =
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).to_string();
    for i in 0..3000 {
        let r = client.request(
            "POST",
            "/v1/chat/completions",
            &[("Authorization", &auth)],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
    }
    let took = started.elapsed();
    eprintln!("3000 requests with a logger that blocks 2 s per event: {took:?}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(
        eventually(Duration::from_secs(5), || metric(
            &gw,
            "corelane_plugin_log_events_dropped_total"
        ) > 0.0),
        "{}",
        metrics(&gw)
    );
    assert_eq!(metric(&gw, "corelane_sidecar_up"), 1.0);
    gw.assert_healthy();
    // corelane killed (its stdin to the sidecar closes): the sidecar goes too, busy logger
    // and all, within its grace period.
    let sidecar = sidecar_pid(&gw).expect("a sidecar");
    drop(gw);
    let gone = || {
        !Path::new(&format!("/proc/{sidecar}")).exists() || {
            let stat = std::fs::read_to_string(format!("/proc/{sidecar}/stat")).unwrap_or_default();
            stat.split(") ")
                .nth(1)
                .is_some_and(|rest| rest.starts_with('Z'))
        }
    };
    assert!(
        eventually(Duration::from_secs(15), gone),
        "the sidecar {sidecar} outlived corelane"
    );
    // A logger that raises: counted, and the request is unaffected.
    let gw = start(
        "[failing.failing]",
        &[("failing.py", failing)],
        &python,
        &["--metrics"],
    );
    for _ in 0..5 {
        assert_eq!(chat(&gw, "hi").status, 200);
    }
    assert!(
        eventually(Duration::from_secs(10), || metric(
            &gw,
            "corelane_plugin_log_hook_errors_total"
        ) >= 5.0),
        "{}",
        metrics(&gw)
    );
    assert_eq!(metric(&gw, "corelane_plugin_log_events_sent_total"), 5.0);
}

const GUARDRAILS: &str = include_str!("plugins/custom_guardrail.py");

fn guardrail(name: &str, class: &str, mode: &str, default_on: bool) -> String {
    format!(
        "  - guardrail_name: {name}\n    litellm_params:\n      guardrail: custom_guardrail.{class}\n      mode: {mode}\n      default_on: {default_on}\n"
    )
}

#[test]
fn a_during_call_guardrail_refuses_what_it_flags_stream_or_not() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let guardrails = format!(
            "guardrails:\n{}{}",
            guardrail(
                "content-safety",
                "ContentSafetyGuardrail",
                "during_call",
                true
            ),
            guardrail(
                "opt-in-safety",
                "ContentSafetyGuardrail",
                "during_call",
                false
            ),
        );
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(
            &config_with("", &guardrails),
            &[("custom_guardrail.py", GUARDRAILS)],
            &["--num_workers", "1", "--python", py],
            &[],
        );
        let expected = |name: &str| {
            json!({"error": {"message": "Violated content safety policy",
                "type": "invalid_request_error", "param": null, "code": "400",
                "provider_specific_fields": {"error": "Violated content safety policy",
                    "guardrail_name": name, "guardrail_mode": "during_call"}}})
        };
        for stream in [false, true] {
            let r = chat_body_of(
                &gw,
                json!({"model": "gpt-4o", "stream": stream,
                    "messages": [{"role": "user", "content": "hello world"}]}),
            );
            assert_eq!(r.status, 400, "{mode} stream={stream}: {}", r.text());
            assert_eq!(
                r.json(),
                expected("content-safety"),
                "{mode} stream={stream}"
            );
        }
        assert_eq!(chat(&gw, "hi").status, 200, "{mode}");
        gw.assert_healthy();
        drop(gw);
        // Off by default: it runs for the requests that name it.
        let guardrails = format!(
            "guardrails:\n{}",
            guardrail(
                "opt-in-safety",
                "ContentSafetyGuardrail",
                "during_call",
                false
            ),
        );
        let gw = Gateway::start_beside(
            &config_with("", &guardrails),
            &[("custom_guardrail.py", GUARDRAILS)],
            &["--num_workers", "1", "--python", py],
            &[],
        );
        assert_eq!(chat(&gw, "hello world").status, 200, "{mode}");
        for body in [
            json!({"model": "gpt-4o", "guardrails": ["opt-in-safety"],
                "messages": [{"role": "user", "content": "hello world"}]}),
            json!({"model": "gpt-4o", "metadata": {"guardrails": ["opt-in-safety"]},
                "messages": [{"role": "user", "content": "hello world"}]}),
        ] {
            let r = chat_body_of(&gw, body);
            assert_eq!(r.status, 400, "{mode}: {}", r.text());
            assert_eq!(r.json(), expected("opt-in-safety"), "{mode}");
        }
        let other = json!({"model": "gpt-4o", "guardrails": ["another"],
            "messages": [{"role": "user", "content": "hello world"}]});
        assert_eq!(chat_body_of(&gw, other).status, 200, "{mode}");
    }
}

/// A `logging_only` guardrail's `async_logging_hook` changes what the loggers get (here it
/// masks a word in the messages), and not the request nor its answer: as under LiteLLM
/// itself.
#[test]
fn a_logging_only_guardrail_masks_what_the_loggers_get() {
    let _serial = serial();
    let cfg = config_with(
        "custom_logger.proxy_handler_instance",
        &format!(
            "guardrails:\n{}",
            guardrail("log-mask", "LogMaskingGuardrail", "logging_only", true)
        ),
    );
    let files = [
        ("custom_guardrail.py", GUARDRAILS),
        ("custom_logger.py", include_str!("plugins/custom_logger.py")),
    ];
    let dir = TempDir::new("log-mask");
    let logged = |path: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|r| r["event"] == "success")
            .map(|r| r["messages"].clone())
            .collect()
    };
    let theirs_log = dir.0.join("litellm.jsonl");
    let litellm = start_litellm(&cfg, &files, &[("CORELANE_TEST_LOG", &theirs_log)]);
    let send = |addr| {
        Client::connect(addr).request(
            "POST",
            "/v1/chat/completions",
            &[
                ("Authorization", &format!("Bearer {MASTER}")),
                ("Content-Type", "application/json"),
            ],
            json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "my secret plan"}]})
                .to_string()
                .as_bytes(),
        )
    };
    let theirs = send(litellm.addr);
    assert_eq!(theirs.status, 200, "{}", theirs.text());
    assert!(eventually(Duration::from_secs(10), || !logged(&theirs_log).is_empty()));
    let their_messages = logged(&theirs_log);
    assert_eq!(
        their_messages[0][0]["content"], "my [MASKED] plan",
        "{their_messages:?}"
    );
    for (mode, python) in pythons() {
        let ours_log = dir.0.join(format!("corelane-{mode}.jsonl"));
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(
            &cfg,
            &files,
            &["--num_workers", "1", "--python", py],
            &[("CORELANE_TEST_LOG", &ours_log)],
        );
        let ours = send(gw.addr);
        assert_eq!(ours.status, 200, "{mode}: {}", ours.text());
        assert_eq!(content(&ours), "Hello", "{mode}");
        assert!(
            eventually(Duration::from_secs(10), || !logged(&ours_log).is_empty()),
            "{mode}"
        );
        assert_eq!(logged(&ours_log), their_messages, "{mode}");
        gw.assert_healthy();
    }
}

#[test]
fn guardrails_run_in_the_modes_the_request_selects() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let guardrails = format!(
            "guardrails:\n{}{}{}",
            guardrail("custom-pre-guard", "WordGuardrail", "pre_call", false),
            guardrail("custom-during-guard", "WordGuardrail", "during_call", false),
            guardrail("custom-post-guard", "WordGuardrail", "post_call", false),
        );
        let gw = Gateway::start_beside(
            &config_with("", &guardrails),
            &[("custom_guardrail.py", GUARDRAILS)],
            &["--num_workers", "1", "--python", python.to_str().unwrap()],
            &[],
        );
        let ask = |model: &str, text: &str, guards: &[&str]| {
            chat_body_of(
                &gw,
                json!({"model": model, "guardrails": guards,
                    "messages": [{"role": "user", "content": text}]}),
            )
        };
        // during_call refuses "litellm"; the pre_call guard masks it first.
        let r = ask("gpt-4o", "tell me about litellm", &["custom-during-guard"]);
        assert_eq!(r.status, 500, "{mode}: {}", r.text());
        assert_eq!(
            r.json(),
            json!({"error": {"message": "Guardrail failed words - `litellm` detected",
                "type": "internal_server_error", "param": null, "code": "500"}})
        );
        let r = ask(
            "gpt-4o",
            "tell me about litellm",
            &["custom-pre-guard", "custom-during-guard"],
        );
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        // post_call refuses an answer about coffee.
        let r = ask("coffee-model", "what do you like?", &["custom-post-guard"]);
        assert_eq!(r.status, 500, "{mode}: {}", r.text());
        assert_eq!(
            r.json()["error"]["message"],
            "Guardrail failed Coffee Detected"
        );
        assert_eq!(ask("coffee-model", "what do you like?", &[]).status, 200);
        gw.assert_healthy();
    }
}

#[test]
fn a_post_call_hook_replaces_the_answer() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let gw = start(
            "[post_call_callbacks.proxy_handler_instance]",
            &[(
                "post_call_callbacks.py",
                include_str!("plugins/post_call_callbacks.py"),
            )],
            &python,
            &[],
        );
        let r = chat(&gw, "edit me");
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        assert_eq!(content(&r), "MODIFIED BY POST CALL HOOK", "{mode}");
        assert_eq!(
            content(&chat(&gw, "edit in place")),
            "changed in place",
            "{mode}"
        );
        let r = chat(&gw, "leave it");
        assert_eq!(content(&r), "Hello", "{mode}");
        // The answer the hook left is a whole, valid answer.
        assert_eq!(r.json()["object"], "chat.completion");
        gw.assert_healthy();
    }
}

const RESPONSE_HEADERS: &str = include_str!("plugins/response_headers.py");

/// `async_post_call_response_headers_hook`: its headers on answers held whole and on
/// streams (a mock answer's and a provider's, relayed), and on failures (`response` None);
/// they replace the proxy's own of the same name; framing headers and values that would
/// split the head never reach the client; a hook that raises costs the answer only its
/// headers.
#[test]
fn a_response_headers_hook_adds_headers_to_answers_and_errors() {
    let _serial = serial();
    let mock = Mock::start();
    let files = [("response_headers.py", RESPONSE_HEADERS)];
    let relayed = format!(
        "model_list:\n  - model_name: relayed\n    litellm_params:\n      model: openai/provider-model-x\n      api_base: {}\n      api_key: sk-x\n",
        mock.base("/v1")
    );
    let cfg =
        config("[response_headers.proxy_handler_instance]").replace("model_list:\n", &relayed);
    for (mode, python) in pythons() {
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(&cfg, &files, &["--num_workers", "1", "--python", py], &[]);
        let send = |model: &str, text: &str, stream: bool| {
            gw.request(
                "POST",
                "/v1/chat/completions",
                &[
                    ("Authorization", &format!("Bearer {MASTER}")),
                    ("x-client-tag", "t1"),
                ],
                json!({"model": model, "stream": stream,
                    "messages": [{"role": "user", "content": text}]})
                .to_string()
                .as_bytes(),
            )
        };
        let count = |r: &Response, name: &str| {
            r.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .count()
        };
        for model in ["gpt-4o", "relayed"] {
            let r = send(model, "hi", false);
            assert_eq!(r.status, 200, "{mode} {model}: {}", r.text());
            assert_eq!(
                r.header("x-hook-outcome"),
                Some("success"),
                "{mode} {model}"
            );
            assert_eq!(
                r.header("x-hook-answer"),
                Some(content(&r).as_str()),
                "{mode}"
            );
            assert_eq!(r.header("x-hook-client"), Some("t1"), "{mode}");
            assert_eq!(r.header("x-hook-model"), Some(model), "{mode}");
            assert_eq!(r.header("x-litellm-model-group"), Some("hooked"), "{mode}");
            assert_eq!(count(&r, "x-litellm-model-group"), 1, "{mode}");
            let r = send(model, "hi", true);
            assert_eq!(r.status, 200, "{mode} {model}: {}", r.text());
            assert_eq!(r.header("x-hook-outcome"), Some("stream"), "{mode} {model}");
            assert_eq!(r.header("x-hook-client"), Some("t1"), "{mode}");
            assert!(!streamed_text(&r).is_empty(), "{mode}: {}", r.text());
        }
        let r = send("no-such-model", "hi", false);
        assert_eq!(r.status, 400, "{mode}: {}", r.text());
        assert_eq!(r.header("x-hook-outcome"), Some("failure"), "{mode}");
        assert_eq!(r.header("x-hook-model"), Some("no-such-model"), "{mode}");
        assert!(
            r.json()["error"]["message"].is_string(),
            "{mode}: {}",
            r.text()
        );
        let r = send("gpt-4o", "try unsafe headers", false);
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        assert_eq!(content(&r), "Hello", "{mode}");
        let length = r.body.len().to_string();
        assert_eq!(r.header("content-length"), Some(length.as_str()), "{mode}");
        assert_eq!(count(&r, "content-length"), 1, "{mode}");
        assert_eq!(count(&r, "transfer-encoding"), 0, "{mode}");
        assert_eq!(count(&r, "x-split") + count(&r, "x-injected"), 0, "{mode}");
        assert_eq!(r.header("x-upper-case"), Some("kept, lowercased"), "{mode}");
        let r = send("gpt-4o", "no headers please", false);
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        assert_eq!(r.header("x-hook-outcome"), None, "{mode}");
        assert_eq!(r.header("x-litellm-model-group"), Some("gpt-4o"), "{mode}");
        gw.assert_healthy();
    }
}

/// Marks each success it sees with the number of its items (an embeddings answer's).
const ANSWER_COUNTER: &str = r#"
from litellm.integrations.custom_logger import CustomLogger

class AnswerCounter(CustomLogger):
    async def async_post_call_success_hook(self, data, user_api_key_dict, response):
        response.model = f"held-{len(response['data'])}"
        return response

counter = AnswerCounter()
"#;

/// A post-call success hook sees answers over the 256 KiB corelane otherwise relays as they
/// arrive (framed by length or chunked), up to 8 MiB; a larger answer fails the request
/// rather than pass the hook unseen.
#[test]
fn a_post_call_hook_sees_large_answers_whole() {
    let _serial = serial();
    let mock = Mock::start();
    let cfg = format!(
        "model_list:\n  - model_name: embed\n    litellm_params:\n      model: openai/text-embedding-3-small\n      api_base: {}\n      api_key: sk-x\n  - model_name: embed-chunked\n    litellm_params:\n      model: openai/text-embedding-3-small\n      api_base: {}\n      api_key: sk-x\nlitellm_settings:\n  callbacks: [answer_counter.counter]\ngeneral_settings:\n  master_key: {MASTER}\n",
        mock.base("/v1"),
        mock.base("/chunked/v1"),
    );
    for (mode, python) in pythons() {
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(
            &cfg,
            &[("answer_counter.py", ANSWER_COUNTER)],
            &["--num_workers", "1", "--python", py],
            &[],
        );
        let embed = |model: &str, n: usize| {
            let input: Vec<String> = (0..n).map(|i| format!("text {i}")).collect();
            gw.request(
                "POST",
                "/v1/embeddings",
                &[("Authorization", &format!("Bearer {MASTER}"))],
                json!({"model": model, "input": input, "dimensions": 1024})
                    .to_string()
                    .as_bytes(),
            )
        };
        for model in ["embed", "embed-chunked"] {
            let r = embed(model, 96);
            assert_eq!(r.status, 200, "{mode} {model}: {}", r.text());
            assert!(r.body.len() > 256 * 1024, "{mode}: {}", r.body.len());
            let v = r.json();
            assert_eq!(v["model"], "held-96", "{mode} {model}");
            assert_eq!(v["data"].as_array().unwrap().len(), 96, "{mode}");
            let r = embed(model, 1500);
            assert_eq!(r.status, 500, "{mode} {model}: {}", r.body.len());
            assert!(
                r.text().contains("larger than 8 MiB"),
                "{mode}: {}",
                r.text()
            );
        }
        gw.assert_healthy();
    }
}

/// A failure hook that notes each call and takes a second.
const SLOW_FAILURE_NOTES: &str = r#"
import asyncio, os
from litellm.integrations.custom_logger import CustomLogger

class SlowFailureNotes(CustomLogger):
    async def async_post_call_failure_hook(self, request_data, original_exception, user_api_key_dict, traceback_str=None):
        with open(os.environ["CORELANE_TEST_LOG"], "a") as f:
            f.write("called\n")
        await asyncio.sleep(1)

notes = SlowFailureNotes()
"#;

/// Clients without a valid key cannot keep the sidecar busy with their refusals: a core has
/// at most 8 failure-hook calls out for them, and answers the rest with its own error.
#[test]
fn refusals_of_clients_without_a_key_make_few_hook_calls() {
    let _serial = serial();
    let (_, python) = pythons().remove(1);
    let dir = TempDir::new("refusal-calls");
    let notes = dir.0.join("notes.txt");
    let py = python.to_str().unwrap();
    let gw = Gateway::start_beside(
        &config("slow_failure_notes.notes"),
        &[("slow_failure_notes.py", SLOW_FAILURE_NOTES)],
        &["--num_workers", "1", "--python", py],
        &[("CORELANE_TEST_LOG", &notes)],
    );
    let addr = gw.addr;
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let sent: Vec<_> = (0..40)
            .map(|_| {
                s.spawn(move || {
                    let body =
                        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
                    Client::connect(addr)
                        .request(
                            "POST",
                            "/v1/chat/completions",
                            &[("Authorization", "Bearer sk-not-a-key")],
                            body.to_string().as_bytes(),
                        )
                        .status
                })
            })
            .collect();
        sent.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // 401s (a 503 when more unknown keys are looked up at once than a core allows).
    assert!(
        statuses.iter().all(|&s| s == 401 || s == 503) && statuses.contains(&401),
        "{statuses:?}"
    );
    let calls = std::fs::read_to_string(&notes)
        .unwrap_or_default()
        .lines()
        .count();
    assert!(
        (1..=8).contains(&calls),
        "{calls} failure-hook calls for 40 refusals"
    );
    // Authenticated traffic is unaffected.
    assert_eq!(chat(&gw, "hi").status, 200);
    gw.assert_healthy();
}

/// Sends requests whose caller custom auth made user u1 (its key hashed) to my-new-model.
const CALLER_PROBE: &str = r#"
import hashlib
from litellm.integrations.custom_logger import CustomLogger

class CallerProbe(CustomLogger):
    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        good = hashlib.sha256(b"sk-good").hexdigest()
        if user_api_key_dict.user_id == "u1" and user_api_key_dict.token == good:
            data["model"] = "my-new-model"
        return data

probe = CallerProbe()
"#;

#[test]
fn custom_auth_decides_every_request_before_the_master_key() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let cfg = config("[caller_probe.probe, prometheus]").replace(
            "general_settings:\n",
            "general_settings:\n  custom_auth: custom_auth.user_api_key_auth\n",
        );
        let gw = Gateway::start_beside(
            &cfg,
            &[
                ("custom_auth.py", include_str!("plugins/custom_auth.py")),
                ("caller_probe.py", CALLER_PROBE),
            ],
            &["--num_workers", "1", "--python", python.to_str().unwrap()],
            &[],
        );
        let as_key = |key: &str, path: &str| {
            let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
            let auth = format!("Bearer {key}");
            let (method, body) = if path == "/v1/models" {
                ("GET", Vec::new())
            } else {
                ("POST", body.to_string().into_bytes())
            };
            gw.request(method, path, &[("Authorization", &auth)], &body)
        };
        // Admitted as the caller it returned: the hooks see user u1 and the key's hash.
        let r = as_key("sk-good", "/v1/chat/completions");
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        assert_eq!(content(&r), "Hi from my-new-model", "{mode}");
        assert_eq!(as_key("sk-good", "/v1/models").status, 200, "{mode}");
        // The function sees the request: this key works on one route only.
        assert_eq!(
            as_key("sk-from-path", "/v1/chat/completions").status,
            200,
            "{mode}"
        );
        // Refused, the master key included (custom auth replaces its check).
        for key in ["sk-bad", MASTER] {
            let r = as_key(key, "/v1/chat/completions");
            assert_eq!(r.status, 401, "{mode} {key}: {}", r.text());
            assert_eq!(
                r.json(),
                json!({"error": {"message": "Authentication Error, bad key", "type": "auth_error",
                    "param": "None", "code": "401"}}),
                "{mode}"
            );
        }
        assert_eq!(as_key("sk-from-path", "/v1/models").status, 401, "{mode}");
        // It reads the body: this key may call one model only.
        let r = as_key("sk-gpt-4o-only", "/v1/chat/completions");
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        let other =
            json!({"model": "coffee-model", "messages": [{"role": "user", "content": "hi"}]});
        let r = gw.request(
            "POST",
            "/v1/chat/completions",
            &[("Authorization", "Bearer sk-gpt-4o-only")],
            other.to_string().as_bytes(),
        );
        assert_eq!(r.status, 401, "{mode}: {}", r.text());
        assert!(
            r.text().contains("may not call coffee-model"),
            "{mode}: {}",
            r.text()
        );
        // The connection carries on after such a refusal (its body was read).
        let mut client = gw.client();
        for _ in 0..2 {
            let r = client.request(
                "POST",
                "/v1/chat/completions",
                &[("Authorization", "Bearer sk-gpt-4o-only")],
                other.to_string().as_bytes(),
            );
            assert_eq!(r.status, 401, "{mode}: {}", r.text());
        }
        // Spend is kept under the caller custom auth returned (its key's hash, its user);
        // only one it made an admin may read it.
        let spend = |key: &str| {
            let path = format!("/spend/logs?api_key={GOOD_KEY_HASH}");
            gw.request(
                "GET",
                &path,
                &[("Authorization", &format!("Bearer {key}"))],
                b"",
            )
        };
        let refused = spend("sk-good");
        assert_eq!(refused.status, 401, "{mode}: {}", refused.text());
        assert!(
            refused.text().contains("Your role=internal_user"),
            "{}",
            refused.text()
        );
        let rows = || spend("sk-admin").json();
        assert!(
            eventually(Duration::from_secs(15), || rows()
                .as_array()
                .is_some_and(|r| !r.is_empty())),
            "{mode}: {}",
            rows()
        );
        let row = &rows()[0];
        assert_eq!(row["api_key"], GOOD_KEY_HASH, "{mode}: {row}");
        assert_eq!(row["user"], "u1", "{mode}: {row}");
        // So are its metrics (LiteLLM labels them with its UserAPIKeyAuth).
        let scrape = gw
            .request(
                "GET",
                "/metrics",
                &[("Authorization", "Bearer sk-admin")],
                b"",
            )
            .text();
        let served = scrape
            .lines()
            .filter(|l| l.starts_with("litellm_proxy_total_requests_metric_total{"))
            .find(|l| l.contains(&format!("hashed_api_key=\"{GOOD_KEY_HASH}\"")))
            .unwrap_or_else(|| panic!("{mode}: {scrape}"));
        assert!(served.contains("user=\"u1\""), "{mode}: {served}");
        assert!(
            !scrape.contains("litellm_proxy_master_key"),
            "{mode}: {scrape}"
        );
        // Liveness and readiness need no key, and get no custom auth.
        assert_eq!(gw.get("/health/liveliness").status, 200);
        gw.assert_healthy();
    }
}

#[test]
fn a_failure_hook_answers_another_error() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let gw = start(
            "[error_transformer.proxy_handler_instance]",
            &[(
                "error_transformer.py",
                include_str!("plugins/error_transformer.py"),
            )],
            &python,
            &[],
        );
        let unknown = |text: &str| {
            chat_body_of(
                &gw,
                json!({"model": "no-such-model", "messages": [{"role": "user", "content": text}]}),
            )
        };
        let r = unknown("hi");
        assert_eq!(r.status, 422, "{mode}: {}", r.text());
        assert_eq!(
            r.json(),
            json!({"error": {"message": "rewritten by failure hook", "type": "invalid_request_error",
                "param": null, "code": "422",
                "provider_specific_fields": {"error": "rewritten by failure hook"}}})
        );
        let r = unknown("raise");
        assert_eq!(r.status, 409, "{mode}: {}", r.text());
        assert_eq!(
            r.json(),
            json!({"error": {"message": "raised by failure hook", "type": "invalid_request_error",
                "param": null, "code": "409"}})
        );
        // Errors it leaves alone, and successes, are as they were.
        assert_eq!(chat(&gw, "hi").status, 200);
        gw.assert_healthy();
    }
}

/// LiteLLM itself (the harness's venv), serving `config` with `files` beside it.
struct Litellm {
    _proc: Proc,
    addr: std::net::SocketAddr,
    _dir: TempDir,
}

/// LiteLLM itself serving `config` with `files` beside it and `env` set.
fn start_litellm(config: &str, files: &[(&str, &str)], env: &[(&str, &Path)]) -> Litellm {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let bin = root.join("harness/.venv-litellm/bin/litellm");
    let dir = TempDir::new("litellm");
    for (name, text) in files {
        dir.write(name, text);
    }
    let path = dir.write("config.yaml", config);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("--config")
        .arg(&path)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--num_workers",
            "1",
        ])
        .current_dir(&dir.0)
        .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        .env("LITELLM_TELEMETRY", "False")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let proc = Proc::from_child(cmd.spawn().unwrap());
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let up = eventually(Duration::from_secs(90), || {
        std::net::TcpStream::connect(addr).is_ok_and(|_| {
            let r = Client::connect(addr).request("GET", "/health/liveliness", &[], b"");
            r.status == 200
        })
    });
    assert!(up, "LiteLLM did not start");
    Litellm {
        _proc: proc,
        addr,
        _dir: dir,
    }
}

/// What a client sees of an answer, ids and times aside: the status and, for an error, its
/// JSON; for a success, the answer's text.
fn seen(r: &Response) -> (u16, serde_json::Value) {
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    if r.status == 200 {
        (200, v["choices"][0]["message"]["content"].clone())
    } else {
        (r.status, v)
    }
}

/// The same plugin files, config and requests, against LiteLLM 1.108.7 and against corelane
/// (LiteLLM's own base classes in both): the same statuses, the same error JSON, the same
/// answers.
#[test]
fn plugins_answer_as_they_do_under_litellm_itself() {
    let _serial = serial();
    let (_, python) = pythons().remove(0);
    let guardrails = format!(
        "guardrails:\n{}{}{}{}",
        guardrail(
            "content-safety",
            "ContentSafetyGuardrail",
            "during_call",
            true
        ),
        guardrail("custom-pre-guard", "WordGuardrail", "pre_call", false),
        guardrail("custom-during-guard", "WordGuardrail", "during_call", false),
        guardrail("custom-post-guard", "WordGuardrail", "post_call", false),
    );
    // (config, files, bodies, the keys each body is sent with)
    type Setup<'a> = (
        String,
        Vec<(&'a str, &'a str)>,
        Vec<serde_json::Value>,
        Vec<&'a str>,
    );
    let hi = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
    let setups: [Setup; 5] = [
        (
            config_with(
                "[rejecting_hook.proxy_handler_instance, post_call_callbacks.proxy_handler_instance, error_transformer.proxy_handler_instance]",
                &guardrails,
            ),
            vec![
                ("rejecting_hook.py", REJECTING),
                ("post_call_callbacks.py", include_str!("plugins/post_call_callbacks.py")),
                ("error_transformer.py", include_str!("plugins/error_transformer.py")),
                ("custom_guardrail.py", GUARDRAILS),
            ],
            [
                ("gpt-4o", "hi", None),
                ("gpt-4o", "forbidden words", None),
                ("gpt-4o", "not entitled", None),
                ("gpt-4o", "bad words", None),
                ("gpt-4o", "reject me", None),
                ("gpt-4o", "edit me", None),
                ("gpt-4o", "edit in place", None),
                ("gpt-4o", "hello world", None),
                ("no-such-model", "hi", None),
                ("no-such-model", "raise", None),
                ("gpt-4o", "tell me about litellm", Some(vec!["custom-during-guard"])),
                ("gpt-4o", "tell me about litellm", Some(vec!["custom-pre-guard", "custom-during-guard"])),
                ("coffee-model", "what do you like?", Some(vec!["custom-post-guard"])),
                ("coffee-model", "what do you like?", None),
            ]
            .into_iter()
            .map(|(model, text, guards)| {
                let mut body = json!({"model": model, "messages": [{"role": "user", "content": text}]});
                if let Some(g) = guards {
                    body["guardrails"] = json!(g);
                }
                body
            })
            .collect(),
            vec![MASTER],
        ),
        (
            config("custom_callbacks.proxy_handler_instance"),
            vec![("custom_callbacks.py", CUSTOM_CALLBACKS)],
            vec![hi.clone()],
            vec![MASTER],
        ),
        (
            config("streaming_hooks.proxy_handler_instance"),
            vec![("streaming_hooks.py", include_str!("plugins/streaming_hooks.py"))],
            vec![
                json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
                hi.clone(),
            ],
            vec![MASTER],
        ),
        // Custom auth beside a logger: who is let in, and what the others get.
        (
            config("custom_logger.proxy_handler_instance").replace(
                "general_settings:\n",
                "general_settings:\n  custom_auth: custom_auth.user_api_key_auth\n",
            ),
            vec![
                ("custom_auth.py", include_str!("plugins/custom_auth.py")),
                ("custom_logger.py", include_str!("plugins/custom_logger.py")),
            ],
            vec![
                hi.clone(),
                json!({"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
            ],
            vec!["sk-good", "sk-from-path", "sk-gpt-4o-only", "sk-bad", MASTER, ""],
        ),
        // Response headers on successes, streams, rejections and failures.
        (
            config("[rejecting_hook.proxy_handler_instance, response_headers.proxy_handler_instance]"),
            vec![
                ("rejecting_hook.py", REJECTING),
                ("response_headers.py", RESPONSE_HEADERS),
            ],
            ["hi", "forbidden words", "bad words", "reject me", "no headers please"]
                .into_iter()
                .flat_map(|text| {
                    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]});
                    let mut stream = body.clone();
                    stream["stream"] = json!(true);
                    [body, stream]
                })
                .chain([json!({"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]})])
                .collect(),
            vec![MASTER],
        ),
    ];
    let dir = TempDir::new("side-by-side");
    let log = dir.0.join("logged.jsonl");
    for (cfg, files, bodies, keys) in setups {
        let env = [("CORELANE_TEST_LOG", log.as_path())];
        let litellm = start_litellm(&cfg, &files, &env);
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(&cfg, &files, &["--num_workers", "1", "--python", py], &env);
        for (body, key) in bodies.iter().flat_map(|b| keys.iter().map(move |k| (b, k))) {
            let auth = format!("Bearer {key}");
            let send = |addr| {
                let mut headers =
                    vec![("Content-Type", "application/json"), ("x-client-tag", "t1")];
                if !key.is_empty() {
                    headers.push(("Authorization", &auth));
                }
                Client::connect(addr).request(
                    "POST",
                    "/v1/chat/completions",
                    &headers,
                    body.to_string().as_bytes(),
                )
            };
            // And the headers a response-headers hook added.
            let look = |r: Response| {
                let mut hooked: Vec<(String, String)> = r
                    .headers
                    .iter()
                    .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-hook-"))
                    .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                    .collect();
                hooked.sort();
                let (status, seen) = match body["stream"] == true {
                    true => (r.status, json!(streamed_text(&r))),
                    false => seen(&r),
                };
                (status, seen, hooked)
            };
            let theirs = look(send(litellm.addr));
            let ours = look(send(gw.addr));
            assert_eq!(
                ours, theirs,
                "corelane vs LiteLLM for {body} with key {key:?}"
            );
        }
    }
}

#[test]
fn hooks_hold_under_concurrent_first_requests_and_large_bodies() {
    let _serial = serial();
    let (_, python) = pythons().remove(1);
    let guardrails = format!(
        "guardrails:\n{}",
        guardrail(
            "content-safety",
            "ContentSafetyGuardrail",
            "during_call",
            true
        )
    );
    let cfg = config_with("custom_callbacks.proxy_handler_instance", &guardrails);
    let gw = Gateway::start_beside(
        &cfg,
        &[
            ("custom_callbacks.py", CUSTOM_CALLBACKS),
            ("custom_guardrail.py", GUARDRAILS),
        ],
        // A 1 MiB body budget: the large request below is spilled to a file.
        &[
            "--num_workers",
            "1",
            "--body-budget-mb",
            "1",
            "--python",
            python.to_str().unwrap(),
        ],
        &[],
    );
    // Many requests at once while the core's connection to the sidecar opens: none fails.
    let addr = gw.addr;
    let threads: Vec<_> = (0..20)
        .map(|_| {
            std::thread::spawn(move || {
                let body =
                    json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
                let auth = format!("Bearer {MASTER}");
                let r = Client::connect(addr).request(
                    "POST",
                    "/v1/chat/completions",
                    &[("Authorization", &auth)],
                    body.to_string().as_bytes(),
                );
                (r.status, content(&r))
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), (200, "Hi from my-new-model".to_owned()));
    }
    // A body too large for memory (spilled to a file) is no way around a guardrail: it is
    // read back for the hooks, or, when even that does not fit, refused (fail closed).
    let padding = "x".repeat(3 * 1024 * 1024);
    let big = json!({"model": "gpt-4o", "messages": [
        {"role": "user", "content": "hello world"},
        {"role": "user", "content": padding},
    ]});
    let gw = Gateway::start_beside(
        &config_with("", &guardrails),
        &[("custom_guardrail.py", GUARDRAILS)],
        &[
            "--num_workers",
            "1",
            "--body-budget-mb",
            "1",
            "--python",
            python.to_str().unwrap(),
        ],
        &[],
    );
    let r = chat_body_of(&gw, big.clone());
    assert!(matches!(r.status, 400 | 503), "{}", r.text());
    gw.assert_healthy();
    // A logging-only plugin never costs a request its answer, however large the body.
    let gw = start(
        "[logging_only.proxy_handler_instance]",
        &[("logging_only.py", LOGGING_ONLY)],
        &python,
        &["--body-budget-mb", "1"],
    );
    let r = chat_body_of(&gw, big);
    assert_eq!(r.status, 200, "{}", r.text());
    gw.assert_healthy();
}

/// The text of a chat stream's chunks, put together.
fn streamed_text(r: &Response) -> String {
    let text = String::from_utf8_lossy(&r.body).into_owned();
    let mut out = String::new();
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(data) {
            out.push_str(v["choices"][0]["delta"]["content"].as_str().unwrap_or(""));
        }
    }
    out
}

/// A stream whose client leaves before its end does not stay in the streaming hooks: the
/// sidecar drops its session (`corelane_plugin_stream_sessions` goes back to 0).
#[test]
fn a_stream_the_client_leaves_is_dropped_from_the_hooks() {
    let _serial = serial();
    let mock = Mock::start_with(&["--chunk-delay-ms", "100", "--stream-chunks", "30"]);
    let cfg = format!(
        "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: http://{}/v1\n      api_key: sk-mock\nlitellm_settings:\n  callbacks: [streaming_hooks.proxy_handler_instance, prometheus]\ngeneral_settings:\n  master_key: {MASTER}\n",
        mock.addr
    );
    let files = [(
        "streaming_hooks.py",
        include_str!("plugins/streaming_hooks.py"),
    )];
    for (mode, python) in pythons() {
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(&cfg, &files, &["--num_workers", "1", "--python", py], &[]);
        let sessions = || metric(&gw, "corelane_plugin_stream_sessions");
        let mut client = gw.client();
        client.send(
            "POST",
            "/v1/chat/completions",
            &[("Authorization", &format!("Bearer {MASTER}"))],
            json!({"model": "gpt-4o", "stream": true,
                "messages": [{"role": "user", "content": "hi"}]})
            .to_string()
            .as_bytes(),
        );
        let head = client.read_head();
        assert_eq!(head.status, 200, "{mode}");
        assert!(client.try_next_chunk().unwrap().is_some(), "{mode}");
        assert_eq!(sessions(), 1.0, "{mode}");
        drop(client);
        assert!(
            eventually(Duration::from_secs(10), || sessions() == 0.0),
            "{mode}: {}",
            sessions()
        );
        gw.assert_healthy();
    }
}

#[test]
fn a_streaming_iterator_hook_changes_what_the_client_gets() {
    let _serial = serial();
    for (mode, python) in pythons() {
        let gw = start(
            "[streaming_hooks.proxy_handler_instance]",
            &[(
                "streaming_hooks.py",
                include_str!("plugins/streaming_hooks.py"),
            )],
            &python,
            &[],
        );
        let r = chat_body_of(
            &gw,
            json!({"model": "gpt-4o", "stream": true,
                "messages": [{"role": "user", "content": "hi"}]}),
        );
        assert_eq!(r.status, 200, "{mode}: {}", r.text());
        assert_eq!(streamed_text(&r), "HELLO", "{mode}: {}", r.text());
        assert!(
            r.text().trim_end().ends_with("data: [DONE]"),
            "{mode}: {}",
            r.text()
        );
        // Not a stream: not its business.
        assert_eq!(content(&chat(&gw, "hi")), "Hello", "{mode}");
        gw.assert_healthy();
    }
}

#[test]
fn logging_resumes_once_a_lagging_sidecar_catches_up() {
    let _serial = serial();
    let (_, python) = pythons().remove(1);
    // Blocks the sidecar while the flag file exists; records the users it logged.
    let lagging = r#"
import os, time
from litellm.integrations.custom_logger import CustomLogger

class Lagging(CustomLogger):
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        while os.path.exists(os.environ["CORELANE_TEST_FLAG"]):
            time.sleep(0.05)
        with open(os.environ["CORELANE_TEST_LOG"], "a") as f:
            f.write(str(kwargs.get("user")) + "\n")

lagging = Lagging()
"#;
    let dir = TempDir::new("lagging");
    let flag = dir.write("flag", "");
    let log = dir.0.join("logged.txt");
    let gw = Gateway::start_beside(
        &config("[lagging.lagging]"),
        &[("lagging.py", lagging)],
        &[
            "--num_workers",
            "1",
            "--metrics",
            "--python",
            python.to_str().unwrap(),
        ],
        &[("CORELANE_TEST_FLAG", &flag), ("CORELANE_TEST_LOG", &log)],
    );
    let mut client = gw.client();
    let auth = format!("Bearer {MASTER}");
    let send = |client: &mut Client, user: &str| {
        let body = json!({"model": "gpt-4o", "user": user,
            "messages": [{"role": "user", "content": "hi"}]});
        let r = client.request(
            "POST",
            "/v1/chat/completions",
            &[("Authorization", &auth)],
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    };
    // While the sidecar is stuck, events pile up past the queues and are dropped.
    let started = Instant::now();
    while metric(&gw, "corelane_plugin_log_events_dropped_total") < 1.0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing was dropped"
        );
        for _ in 0..500 {
            send(&mut client, "early");
        }
    }
    // It catches up: later events are sent and logged again.
    std::fs::remove_file(&flag).unwrap();
    let logged_late = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .any(|l| l == "late")
    };
    assert!(
        eventually(Duration::from_secs(60), || {
            send(&mut client, "late");
            logged_late()
        }),
        "no event was logged after the sidecar caught up: {}",
        metrics(&gw)
    );
    gw.assert_healthy();
}

/// A stream's answer, as logging hooks get it, is assembled from the events the client got
/// as LiteLLM's `stream_chunk_builder` assembles it: text, tool calls, finish reason, usage
/// (`plugins/assemble_stream.py` runs both on the same chunks under LiteLLM's venv).
#[test]
fn a_logged_streams_answer_is_built_as_litellm_builds_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, venv) = pythons().remove(0);
    let out = std::process::Command::new(venv)
        .arg(root.join("tests/plugins/assemble_stream.py"))
        .arg(root.join("python"))
        .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout, "text same\ntool calls same\n");
}

/// An Anthropic `/v1/messages` stream reaches the iterator hooks as the raw bytes of each
/// read and goes out as they yield it, and the per-chunk hook is not called, as in LiteLLM
/// 1.108.7 (run side by side on the same mock provider).
#[test]
fn a_messages_stream_reaches_the_iterator_hook_as_raw_bytes() {
    let _serial = serial();
    let mock = Mock::start();
    let cfg = format!(
        "model_list:\n  - model_name: claude\n    litellm_params:\n      model: anthropic/claude-3-5-sonnet-20241022\n      api_base: http://{}\n      api_key: sk-mock\nlitellm_settings:\n  callbacks: [raw_stream_redactor.proxy_handler_instance]\ngeneral_settings:\n  master_key: {MASTER}\n",
        mock.addr
    );
    let files = [(
        "raw_stream_redactor.py",
        include_str!("plugins/raw_stream_redactor.py"),
    )];
    let body = json!({"model": "claude", "max_tokens": 50, "stream": true,
        "messages": [{"role": "user", "content": "hi"}]});
    let send = |addr| {
        Client::connect(addr).request(
            "POST",
            "/v1/messages",
            &[
                ("Authorization", &format!("Bearer {MASTER}")),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    };
    let litellm = start_litellm(&cfg, &files, &[]);
    let theirs = send(litellm.addr);
    assert_eq!(theirs.status, 200, "{}", theirs.text());
    let text = messages_text(&theirs);
    assert!(text.contains("****") && !text.contains("mock"), "{text}");
    for (mode, python) in pythons() {
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(&cfg, &files, &["--num_workers", "1", "--python", py], &[]);
        let ours = send(gw.addr);
        assert_eq!(ours.status, 200, "{mode}: {}", ours.text());
        assert_eq!(messages_text(&ours), text, "{mode}: {}", ours.text());
        assert!(
            ours.text().contains("event: message_stop"),
            "{mode}: {}",
            ours.text()
        );
        gw.assert_healthy();
    }
}

/// A Responses API stream reaches the iterator hooks as LiteLLM's event objects, and what
/// they yield is what the client gets; a hook's exception, at once or midway, ends the
/// stream with a `response.failed` event and [DONE]. All as under LiteLLM itself (the same
/// mock).
#[test]
fn a_responses_stream_reaches_the_iterator_hook_as_events() {
    let _serial = serial();
    let mock = Mock::start();
    let cfg = format!(
        "model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {}\n      api_key: sk-mock\nlitellm_settings:\n  callbacks: [responses_stream_editor.proxy_handler_instance]\ngeneral_settings:\n  master_key: {MASTER}\n",
        mock.base("/v1")
    );
    let files = [(
        "responses_stream_editor.py",
        include_str!("plugins/responses_stream_editor.py"),
    )];
    let send = |addr, input: &str| {
        let body = json!({"model": "gpt", "input": input, "stream": true});
        Client::connect(addr).request(
            "POST",
            "/v1/responses",
            &[
                ("Authorization", &format!("Bearer {MASTER}")),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    };
    let inputs = ["Hi", "fail midway", "fail at once"];
    let litellm = start_litellm(&cfg, &files, &[]);
    let theirs: Vec<_> = inputs
        .iter()
        .map(|input| responses_seen(&send(litellm.addr, input)))
        .collect();
    let text = &theirs[0].1;
    assert!(
        !text.is_empty() && *text == text.to_uppercase(),
        "{theirs:?}"
    );
    for (mode, python) in pythons() {
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(&cfg, &files, &["--num_workers", "1", "--python", py], &[]);
        for (input, theirs) in inputs.iter().zip(&theirs) {
            let ours = responses_seen(&send(gw.addr, input));
            assert_eq!(&ours, theirs, "{mode}: {input}");
        }
        gw.assert_healthy();
    }
}

/// What a client sees of a Responses API stream: its status, its text (the
/// `response.output_text.delta`s), its events' types (`event:` lines marked), a
/// `response.failed` event's status and error, and whether it ends with [DONE].
fn responses_seen(r: &Response) -> (u16, String, Vec<String>, serde_json::Value, bool) {
    let body = String::from_utf8_lossy(&r.body).into_owned();
    let (mut text, mut types, mut failed) = (String::new(), Vec::new(), json!(null));
    for line in body.lines() {
        if let Some(name) = line.strip_prefix("event: ") {
            types.push(format!("event: {name}"));
        }
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(data) else {
            continue;
        };
        let kind = v["type"].as_str().unwrap_or("").to_owned();
        if kind == "response.output_text.delta" {
            text.push_str(v["delta"].as_str().unwrap_or(""));
        }
        if kind == "response.failed" {
            failed = json!([v["response"]["status"], v["response"]["error"]]);
        }
        types.push(kind);
    }
    let done = body.trim_end().ends_with("data: [DONE]");
    (r.status, text, types, failed, done)
}

/// The text of an Anthropic messages stream (its `text_delta`s).
fn messages_text(r: &Response) -> String {
    let text = String::from_utf8_lossy(&r.body).into_owned();
    text.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter_map(|data| serde_json::from_str::<serde_json::Value>(data).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
        .collect()
}

/// Streaming hooks that raise: what the client gets is what LiteLLM 1.108.7 answers (run
/// side by side on the same mock provider): before the first byte, an HTTPException is an
/// event stream with its status, the error and `[DONE]`, and another exception a JSON 500;
/// after it, an HTTPException (or any exception of the per-chunk hook) ends the stream
/// where it is, and another exception of the iterator hook adds an error event.
#[test]
fn streaming_hooks_that_raise_answer_as_under_litellm() {
    let _serial = serial();
    // An event per read: a refusal at one read must hold back the reads after it.
    let mock = Mock::start_with(&["--chunk-delay-ms", "20"]);
    let (_, python) = pythons().remove(0);
    let files = [("stream_errors.py", include_str!("plugins/stream_errors.py"))];
    let cases: [(&str, &[&str]); 3] = [
        (
            "stream_errors.iterator_refusals",
            &[
                "refuse at once",
                "fail at once",
                "refuse midway",
                "fail midway",
                "hi",
            ],
        ),
        ("stream_errors.chunk_refusal", &["hi"]),
        ("stream_errors.chunk_failure", &["hi"]),
    ];
    let dir = TempDir::new("stream-errors");
    for (plugin, texts) in cases {
        let cfg = format!(
            "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: http://{}/v1\n      api_key: sk-mock\nlitellm_settings:\n  callbacks: [{plugin}]\ngeneral_settings:\n  master_key: {MASTER}\n",
            mock.addr
        );
        // Where each notes the failures its failure hook saw.
        let notes = |who: &str| dir.0.join(format!("{plugin}-{who}.jsonl"));
        let (their_notes, our_notes) = (notes("litellm"), notes("corelane"));
        let litellm = start_litellm(&cfg, &files, &[("CORELANE_TEST_LOG", &their_notes)]);
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(
            &cfg,
            &files,
            &["--num_workers", "1", "--python", py],
            &[("CORELANE_TEST_LOG", &our_notes)],
        );
        for text in texts {
            let body = json!({"model": "gpt-4o", "stream": true,
                "messages": [{"role": "user", "content": text}]});
            let theirs = stream_seen(litellm.addr, &body);
            let ours = stream_seen(gw.addr, &body);
            assert_eq!(ours, theirs, "corelane vs LiteLLM: {plugin} on {text:?}");
        }
        // The failure hooks saw the same failures (a stream's after its first byte too).
        let read = |path: &Path| {
            let mut lines: Vec<String> = std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect();
            lines.sort();
            lines
        };
        std::thread::sleep(Duration::from_secs(1));
        let theirs = read(&their_notes);
        let same = eventually(Duration::from_secs(5), || read(&our_notes) == theirs);
        assert!(
            same,
            "{plugin}: {:?} vs LiteLLM's {theirs:?}",
            read(&our_notes)
        );
        gw.assert_healthy();
    }
}

/// A stream as a client sees it: the status, the media type, each `data:` payload (JSON
/// without its `created` time and null members, which LiteLLM drops and corelane relays, or
/// the raw text), and whether the body was cut (the connection closed before its end).
fn stream_seen(
    addr: std::net::SocketAddr,
    body: &serde_json::Value,
) -> (u16, String, Vec<serde_json::Value>, bool) {
    let mut client = Client::connect(addr);
    client.send(
        "POST",
        "/v1/chat/completions",
        &[
            ("Authorization", &format!("Bearer {MASTER}")),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    );
    let head = client.read_head();
    let (bytes, cut) = match head.is_chunked() {
        true => {
            let mut bytes = Vec::new();
            let cut = loop {
                match client.try_next_chunk() {
                    Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                    Ok(None) => break false,
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break true,
                    Err(e) => panic!("{e}"),
                }
            };
            (bytes, cut)
        }
        false => (client.read_body(&head), false),
    };
    let media = head
        .header("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    fn without_nulls(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                o.retain(|k, v| !v.is_null() && k != "created");
                o.values_mut().for_each(without_nulls);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(without_nulls),
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut events: Vec<serde_json::Value> = match media.as_str() {
        "application/json" => vec![serde_json::from_slice(&bytes).unwrap()],
        _ => text
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .map(|data| serde_json::from_str(data).unwrap_or_else(|_| json!(data)))
            .collect(),
    };
    events.iter_mut().for_each(without_nulls);
    (head.status, media, events, cut)
}

/// `async_filter_listed_models` hides names from `/v1/models`, `/v1/models/{id}` (a 404)
/// and `/model/info`, as LiteLLM 1.108.7 does (the listing and the lookups compared side by
/// side); a hook answering something else than names fails the listing with its 500.
#[test]
fn a_listing_filter_hides_models_as_under_litellm() {
    let _serial = serial();
    let files = [("model_filter.py", include_str!("plugins/model_filter.py"))];
    let cfg = config("[model_filter.hide_coffee]");
    let get = |addr, path: &str| {
        Client::connect(addr).request(
            "GET",
            path,
            &[("Authorization", &format!("Bearer {MASTER}"))],
            b"",
        )
    };
    let ids = |r: &Response| -> Vec<String> {
        let mut ids: Vec<String> = r.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["id"]
                    .as_str()
                    .or(m["model_name"].as_str())
                    .unwrap()
                    .to_owned()
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let litellm = start_litellm(&cfg, &files, &[]);
    let theirs = get(litellm.addr, "/v1/models");
    assert_eq!(theirs.status, 200, "{}", theirs.text());
    assert!(!ids(&theirs).contains(&"coffee-model".to_owned()));
    for (mode, python) in pythons() {
        let py = python.to_str().unwrap();
        let gw = Gateway::start_beside(&cfg, &files, &["--num_workers", "1", "--python", py], &[]);
        assert_eq!(ids(&get(gw.addr, "/v1/models")), ids(&theirs), "{mode}");
        for id in ["coffee-model", "gpt-4o"] {
            let path = format!("/v1/models/{id}");
            assert_eq!(
                get(gw.addr, &path).status,
                get(litellm.addr, &path).status,
                "{mode}: {path}"
            );
        }
        let info = get(gw.addr, "/model/info");
        assert_eq!(info.status, 200, "{mode}");
        assert!(!ids(&info).contains(&"coffee-model".to_owned()), "{mode}");
        assert!(ids(&info).contains(&"gpt-4o".to_owned()), "{mode}");
        gw.assert_healthy();
    }
    drop(litellm);
    let (_, python) = pythons().remove(1);
    let gw = start("[model_filter.malformed]", &files, &python, &[]);
    let r = get(gw.addr, "/v1/models");
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(
        r.json()["error"]["message"],
        "Malformed.async_filter_listed_models must return a sequence of model names"
    );
    gw.assert_healthy();
}

/// A plugin that overrides a hook corelane does not call is named in a warning at start
/// (never silently ignored).
#[test]
fn hooks_corelane_does_not_call_are_warned_about() {
    let _serial = serial();
    let headers = r#"
from litellm.integrations.custom_logger import CustomLogger

class Headers(CustomLogger):
    async def async_pre_routing_hook(self, model, request_kwargs, messages=None, input=None, specific_deployment=False):
        return None

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        pass

headers = Headers()
"#;
    for (mode, python) in pythons() {
        let gw = start(
            "[headers.headers]",
            &[("headers.py", headers)],
            &python,
            &[],
        );
        assert_eq!(chat(&gw, "hi").status, 200, "{mode}");
        let warned = || {
            gw.proc.stderr.text().contains(
                "plugin headers.headers overrides hooks corelane does not call: async_pre_routing_hook",
            )
        };
        assert!(
            eventually(Duration::from_secs(5), warned),
            "{mode}: {}",
            gw.proc.stderr.text()
        );
        gw.assert_healthy();
    }
}
