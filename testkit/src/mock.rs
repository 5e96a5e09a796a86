//! Starting `corelane-mock`: its command line and listening line, as its `--help` and first
//! stdout line state them (the binary comes in by path; no harness code is linked).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use crate::Proc;

/// Starts the `corelane-mock` at `bin` on 127.0.0.1:`port` (0: an ephemeral port) with
/// extra flags (`["--threads", "1"]`, `["--stream-chunks", "6"]`, ...) and waits for its
/// `listening on <addr>` line.
pub fn start_mock(bin: &Path, port: u16, args: &[&str]) -> (Proc, SocketAddr) {
    let mut cmd = Command::new(bin);
    cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(args);
    Proc::spawn(
        cmd,
        |l| l.strip_prefix("listening on ").map(str::to_owned),
        "corelane-mock",
    )
}
