//! Child processes under test: output drained by threads, started on their listening line,
//! killed on drop.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::eventually;

/// How long a child process may take to print its listening line.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long, after the exit, the reader threads may take to collect the last output.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// Output of a child process collected by a reader thread (so a full pipe never blocks it).
#[derive(Debug, Clone, Default)]
pub struct Output(Arc<Mutex<String>>, Arc<AtomicBool>);

impl Output {
    pub fn text(&self) -> String {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The pipe reached its end (the process exited and everything was read).
    pub fn ended(&self) -> bool {
        self.1.load(Ordering::Acquire)
    }
}

/// A line parser that recognises a process's "listening" line, and where to send its result.
type Ready = (fn(&str) -> Option<String>, mpsc::Sender<String>);

/// Reads `pipe` line by line into an [`Output`]; the first line that `ready` accepts is sent
/// on its channel (lines are also kept).
fn drain<R: Read + Send + 'static>(pipe: R, out: Output, ready: Option<Ready>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut ready = ready;
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    out.1.store(true, Ordering::Release);
                    return;
                }
                Ok(_) => {}
            }
            // Filed before the address is handed over, so a caller that has the address
            // also sees the line in the output.
            if let Ok(mut s) = out.0.lock() {
                s.push_str(&line);
            }
            if let Some((parse, tx)) = &ready {
                if let Some(found) = parse(line.trim_end()) {
                    let _ = tx.send(found);
                    ready = None;
                }
            }
        }
    });
}

/// A child process killed (SIGKILL) and reaped on drop; on a failing test, its output is
/// printed first.
#[derive(Debug)]
pub struct Proc {
    pub child: Child,
    pub stdout: Output,
    pub stderr: Output,
}

impl Proc {
    /// Wraps a spawned child with piped stdout and stderr.
    pub fn from_child(child: Child) -> Proc {
        Proc::drained(child, None)
    }

    /// Spawns `cmd` (stdin closed, stdout and stderr piped) and waits up to
    /// [`START_TIMEOUT`] for a stdout line that `ready` turns into the address it listens
    /// on; `what` names the process in panics.
    pub fn spawn(
        mut cmd: Command,
        ready: fn(&str) -> Option<String>,
        what: &str,
    ) -> (Proc, SocketAddr) {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let (tx, rx) = mpsc::channel();
        let proc = Proc::drained(child, Some((ready, tx)));
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => {
                let addr = addr
                    .parse()
                    .unwrap_or_else(|e| panic!("{what} address {addr:?}: {e}"));
                (proc, addr)
            }
            Err(_) => panic!(
                "{what} did not start.\nstdout:\n{}\nstderr:\n{}",
                proc.stdout.text(),
                proc.stderr.text()
            ),
        }
    }

    fn drained(mut child: Child, ready: Option<Ready>) -> Proc {
        let stdout = Output::default();
        let stderr = Output::default();
        drain(child.stdout.take().unwrap(), stdout.clone(), ready);
        drain(child.stderr.take().unwrap(), stderr.clone(), None);
        Proc {
            child,
            stdout,
            stderr,
        }
    }

    /// Sends `signal` (a kill(1) name: `TERM`, `STOP`, ...) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {}", self.pid());
    }

    /// Waits for exit up to `limit`; `None` if still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader threads take in the last output.
                eventually(DRAIN_TIMEOUT, || self.stdout.ended() && self.stderr.ended());
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // A failing test shows what the process said.
            eprintln!(
                "--- pid {} stdout:\n{}\n--- stderr:\n{}",
                self.child.id(),
                self.stdout.text(),
                self.stderr.text()
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_waits_for_the_listening_line_and_keeps_the_output() {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo starting; echo 'up at 127.0.0.1:9' ; echo oops >&2; exec sleep 30",
        ]);
        let (mut proc, addr) =
            Proc::spawn(cmd, |l| l.strip_prefix("up at ").map(str::to_owned), "sh");
        assert_eq!(addr, "127.0.0.1:9".parse().unwrap());
        assert!(eventually(Duration::from_secs(5), || {
            proc.stderr.text() == "oops\n"
        }));
        assert!(proc.stdout.text().starts_with("starting\nup at"));
        assert!(proc.wait_exit(Duration::from_millis(50)).is_none());
        proc.signal("TERM");
        let exit = proc
            .wait_exit(Duration::from_secs(5))
            .expect("exits on TERM");
        assert!(!exit.success());
        assert!(proc.stdout.ended() && proc.stderr.ended());
    }
}
