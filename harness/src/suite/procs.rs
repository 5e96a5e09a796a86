//! Child processes of a run: started on given CPUs, waited for, and always stopped.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Time a stopped process gets to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A started process; stopped (SIGTERM, then SIGKILL) with its descendants when dropped.
#[derive(Debug)]
pub struct Spawned {
    pub name: String,
    child: Child,
}

impl Spawned {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has already exited, with its status.
    pub fn check_alive(&mut self) -> io::Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(io::Error::other(format!("{} exited ({status})", self.name))),
        }
    }

    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let pids = super::procfs::tree(self.child.id());
        signal(&pids, "TERM");
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Descendants that outlived the parent (an orphaned worker) go too, by their own pid.
        let left: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|pid| Path::new(&format!("/proc/{pid}")).exists())
            .collect();
        signal(&left, "KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Sends a signal with kill(1): the workspace forbids the unsafe libc call.
fn signal(pids: &[u32], name: &str) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .args(pids.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Starts `command` allowed only on `cpus`: it is forked from a thread pinned to them, and a
/// child inherits its parent thread's CPU affinity. Its stderr (and stdout unless `pipe_stdout`)
/// go to `log`.
pub fn spawn_on(
    name: &str,
    mut command: Command,
    cpus: &[usize],
    log: &Path,
    pipe_stdout: bool,
) -> io::Result<Spawned> {
    let log_file = File::create(log)?;
    command.stdin(Stdio::null()).stderr(log_file.try_clone()?);
    if pipe_stdout {
        command.stdout(Stdio::piped());
    } else {
        command.stdout(log_file);
    }
    let cpus = cpus.to_vec();
    let child = std::thread::scope(|scope| {
        scope
            .spawn(move || {
                if !cpus.is_empty() {
                    monoio::utils::bind_to_cpu_set(cpus.iter().copied()).map_err(|e| {
                        io::Error::other(format!("cannot pin to cpus {cpus:?}: {e:?}"))
                    })?;
                }
                command.spawn()
            })
            .join()
            .map_err(|_| io::Error::other("spawning thread panicked"))?
    })?;
    Ok(Spawned {
        name: name.to_owned(),
        child,
    })
}

/// Reads stdout lines until one starts with `prefix`; returns the rest of that line. Later
/// output is drained on a side thread so the child never blocks on a full pipe.
pub fn wait_for_line(spawned: &mut Spawned, prefix: &str, within: Duration) -> io::Result<String> {
    let stdout = spawned
        .child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("stdout not piped"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = prefix.to_owned();
    std::thread::Builder::new()
        .name("child-stdout".to_owned())
        .spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let mut sent = false;
            while !sent {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if let Some(rest) = line.trim_end().strip_prefix(&wanted) {
                            let _ = tx.send(rest.to_owned());
                            sent = true;
                        }
                    }
                }
            }
            let _ = io::copy(&mut reader, &mut io::sink());
        })?;
    let deadline = Instant::now() + within;
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(rest) => return Ok(rest),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                spawned.check_alive()?;
                return Err(io::Error::other(format!(
                    "{} closed stdout before {prefix:?}",
                    spawned.name
                )));
            }
        }
        spawned.check_alive()?;
        if Instant::now() > deadline {
            return Err(io::Error::other(format!(
                "{} did not print {prefix:?} within {within:?}",
                spawned.name
            )));
        }
    }
}

/// Polls until `check` succeeds, the process dies, or `within` passes.
pub fn wait_until(
    spawned: &mut Spawned,
    within: Duration,
    mut check: impl FnMut() -> bool,
) -> io::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        if check() {
            return Ok(());
        }
        spawned.check_alive()?;
        if Instant::now() > deadline {
            return Err(io::Error::other(format!(
                "{} not ready within {within:?}",
                spawned.name
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A port free on 127.0.0.1 now (for servers that cannot report an ephemeral one).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether a plain GET of `path` answers 200.
pub fn http_get_ok(address: SocketAddr, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if io::Write::write_all(&mut stream, request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok()
        && (head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"))
}

/// The body of a bodiless request that answered 200 (for the mock's `/__mock/*` endpoints).
pub fn http_ok_body(address: SocketAddr, method: &str, path: &str) -> io::Result<Vec<u8>> {
    http_ok_exchange(address, method, path, &[], b"")
}

/// [`http_ok_body`] with header lines (`Name: value`) and a body.
pub fn http_ok_exchange(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &[u8],
) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\n");
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut request = request.into_bytes();
    request.extend_from_slice(body);
    io::Write::write_all(&mut stream, &request)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let unexpected = || {
        let line = response.split(|&b| b == b'\r').next().unwrap_or_default();
        io::Error::other(format!(
            "{method} {path}: {}",
            String::from_utf8_lossy(line)
        ))
    };
    if !response.starts_with(b"HTTP/1.1 200 ") {
        return Err(unexpected());
    }
    let body = memchr::memmem::find(&response, b"\r\n\r\n").ok_or_else(unexpected)? + 4;
    Ok(response.split_off(body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pinned_child_reports_its_line_and_is_stopped() {
        let dir = std::env::temp_dir().join(format!("corelane-procs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "echo noise; echo 'ready at 42'; exec sleep 30"]);
        let mut child = spawn_on("sleeper", command, &[0], &dir.join("log"), true).unwrap();
        let rest = wait_for_line(&mut child, "ready at ", Duration::from_secs(10)).unwrap();
        assert_eq!(rest, "42");
        let status = super::super::procfs::status(child.pid()).unwrap();
        assert_eq!(status.cpus_allowed, "0");
        let pid = child.pid();
        child.stop();
        assert!(
            !Path::new(&format!("/proc/{pid}/stat")).exists() || {
                // A zombie reaped late still has a stat file; it must not be running.
                let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                text.contains(") Z")
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dead_child_is_reported_not_awaited() {
        let dir = std::env::temp_dir().join(format!("corelane-procs-dead-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut child =
            spawn_on("quitter", Command::new("true"), &[], &dir.join("log"), true).unwrap();
        let error = wait_for_line(&mut child, "never", Duration::from_secs(10)).unwrap_err();
        assert!(error.to_string().contains("quitter"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
