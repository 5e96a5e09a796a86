//! Process lifecycle: graceful shutdown on SIGTERM, and a config error stopping the start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{chat_body, eventually, one_model, Gateway, Mock, Proc, TempDir};

#[test]
fn sigterm_lets_the_in_flight_request_finish_then_exits_zero() {
    let mock = Mock::start();
    let mut gw = Gateway::start(&one_model("g", "prov", &mock.base("/delay/1500/v1")));
    let mut client = gw.client();
    client.send(
        "POST",
        "/v1/chat/completions",
        &[],
        chat_body("g").to_string().as_bytes(),
    );
    // The request has reached the provider and is waiting on its delay.
    assert!(eventually(Duration::from_secs(5), || mock.stats().0 == 1));
    let status = Command::new("kill")
        .args(["-TERM", &gw.proc.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let resp = client.read_response();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["model"], "g");
    let exit = gw
        .proc
        .wait_exit(Duration::from_secs(8))
        .expect("gateway exits after SIGTERM");
    assert!(
        exit.success(),
        "exit status {exit:?}; stderr:\n{}",
        gw.proc.stderr.text()
    );
    assert!(
        std::net::TcpStream::connect_timeout(&gw.addr, Duration::from_secs(1)).is_err(),
        "still listening after exit"
    );
}

#[test]
fn bad_config_value_exits_non_zero_naming_the_key_and_line() {
    let dir = TempDir::new("badcfg");
    let path = dir.write(
        "config.yaml",
        "model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/x\n      rpm: fast\n",
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corelane"));
    cmd.arg("--config")
        .arg(&path)
        .args(["--port", "0", "--host", "127.0.0.1", "--num_workers", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let mut proc = Proc::from_child(child);
    let exit = proc
        .wait_exit(Duration::from_secs(10))
        .expect("exits on a bad config");
    assert!(!exit.success());
    let stderr = proc.stderr.text();
    assert!(
        stderr.contains("model_list[0].litellm_params.rpm"),
        "no key path in: {stderr}"
    );
    assert!(stderr.contains(":5:"), "no line number in: {stderr}");
    assert!(
        stderr.contains("fast"),
        "the bad value is not shown: {stderr}"
    );
    assert!(
        !proc.stdout.text().contains("listening"),
        "it must not start serving"
    );
}
