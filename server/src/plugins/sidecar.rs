//! The sidecar process: written out from the binary (its Python package is embedded), started
//! with the interpreter `--python` / `PYTHON` names (else `python3`), asked once which hooks
//! each plugin overrides, restarted when it dies (said in the log), stopped on shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{wire, HookSet, PluginInfo};

/// Each path's text, from `server/python/`.
macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../python/", $path)))),*]
    };
}

/// The sidecar's Python package and the `litellm` / `fastapi` shim, by path under the
/// directory they are written to.
const FILES: &[(&str, &str)] = embed![
    "corelane_sidecar/__init__.py",
    "corelane_sidecar/__main__.py",
    "corelane_sidecar/hooks.py",
    "corelane_sidecar/plugins.py",
    "corelane_sidecar/runtime.py",
    "corelane_sidecar/shapes.py",
    "corelane_sidecar/streams.py",
    "corelane_sidecar/wire.py",
    "shim/fastapi/__init__.py",
    "shim/litellm/__init__.py",
    "shim/litellm/_logging.py",
    "shim/litellm/caching/__init__.py",
    "shim/litellm/caching/dual_cache.py",
    "shim/litellm/exceptions.py",
    "shim/litellm/integrations/__init__.py",
    "shim/litellm/integrations/custom_guardrail.py",
    "shim/litellm/integrations/custom_logger.py",
    "shim/litellm/proxy/__init__.py",
    "shim/litellm/proxy/_types.py",
    "shim/litellm/proxy/proxy_server.py",
    "shim/litellm/types/__init__.py",
    "shim/litellm/types/guardrails.py",
];

/// How long a (re)start may take: importing LiteLLM alone takes seconds.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping sidecar gets before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the config asks of the sidecar.
#[derive(Debug, Clone)]
pub struct SidecarSettings {
    pub python: String,
    /// The config file's directory: plugin modules are found there, as LiteLLM finds them.
    pub config_dir: PathBuf,
    pub callbacks: Vec<String>,
    pub guardrails: Vec<corelane_config::Guardrail>,
    pub custom_auth: Option<String>,
    /// How long a plugin's hook may take before its request fails (`--plugin-timeout`).
    pub timeout: Duration,
    /// Plugins' own timeouts, by their names in the config.
    pub timeouts: Vec<(String, Duration)>,
    /// `PYTHONPATH` as corelane got it (the package's directory goes first).
    pub pythonpath: Option<String>,
}

impl SidecarSettings {
    /// `None` when the config names no Python plugin.
    pub fn new(
        config: &corelane_config::Config,
        config_path: Option<&Path>,
        python: Option<String>,
        timeout: Duration,
        timeouts: Vec<(String, Duration)>,
    ) -> Result<Option<SidecarSettings>, String> {
        let callbacks = config.litellm_settings.python_callbacks.clone();
        let guardrails = config.guardrails.clone();
        let custom_auth = config.general_settings.custom_auth.clone();
        let named = |name: &str| {
            callbacks.iter().any(|c| c == name)
                || guardrails.iter().any(|g| g.name == name)
                || custom_auth.as_deref() == Some(name)
        };
        if let Some((name, _)) = timeouts.iter().find(|(name, _)| !named(name)) {
            return Err(format!(
                "--plugin-timeout {name}=...: the config names no plugin {name:?} (a callback's path, a guardrail's name or the custom auth function's path)"
            ));
        }
        if callbacks.is_empty() && guardrails.is_empty() && custom_auth.is_none() {
            return Ok(None);
        }
        let config_dir = config_path
            .and_then(Path::parent)
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let config_dir = std::fs::canonicalize(&config_dir).unwrap_or(config_dir);
        Ok(Some(SidecarSettings {
            python: python
                .or_else(|| config.env.var("PYTHON").map(str::to_owned))
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "python3".to_owned()),
            config_dir,
            callbacks,
            guardrails,
            custom_auth,
            timeout,
            timeouts,
            pythonpath: config.env.var("PYTHONPATH").map(str::to_owned),
        }))
    }

    fn spec(&self) -> Value {
        let guardrails: Vec<Value> = self
            .guardrails
            .iter()
            .map(|g| {
                let mut params = String::new();
                g.params.write_json(&mut params);
                json!({
                    "guardrail_name": g.name,
                    "litellm_params": serde_json::from_str::<Value>(&params).unwrap_or(Value::Null),
                })
            })
            .collect();
        json!({
            "config_dir": self.config_dir,
            "callbacks": self.callbacks,
            "guardrails": guardrails,
            "custom_auth": self.custom_auth,
            "timeout": self.timeout.as_secs_f64(),
            "timeouts": self.timeouts.iter()
                .map(|(name, t)| (name.clone(), json!(t.as_secs_f64())))
                .collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// The running sidecar, shared by the cores (read-only but for its counters).
#[derive(Debug)]
pub struct Sidecar {
    pub socket: PathBuf,
    pub plugins: Vec<PluginInfo>,
    pub hooks: HookSet,
    /// `litellm` was importable (else the shim is in use).
    pub litellm: bool,
    /// How long a core waits for a hook call's answer: every plugin's timeout added up, and
    /// a second. The sidecar answers a plugin that runs late itself (a 503 naming it); this
    /// catches a sidecar that cannot answer at all (a plugin blocking its loop).
    pub timeout: Duration,
    pub up: AtomicBool,
    pub restarts: AtomicU64,
    /// Each core's counters ([`super::link::LinkStats`]), summed by the metrics scrape.
    pub links: arc_swap::ArcSwap<Vec<Arc<super::link::LinkStats>>>,
    stopping: AtomicBool,
    pid: AtomicU32,
    dir: PathBuf,
    /// Tells the watcher (which owns the process) to stop it; it answers when it has.
    stop: flume::Sender<flume::Sender<()>>,
}

impl Sidecar {
    /// Writes the package out, starts the sidecar, reads its plugins and hooks, and starts
    /// the thread that restarts it. An error names what failed (a plugin that does not load
    /// keeps corelane from starting, as it keeps LiteLLM from starting).
    pub fn start(settings: SidecarSettings) -> Result<Arc<Sidecar>, String> {
        let dir = std::env::temp_dir().join(format!(
            "corelane-sidecar-{}-{:08x}",
            std::process::id(),
            fastrand::u32(..)
        ));
        write_package(&dir)
            .map_err(|e| format!("writing the sidecar to {}: {e}", dir.display()))?;
        let spec = dir.join("spec.json");
        std::fs::write(&spec, settings.spec().to_string())
            .map_err(|e| format!("writing {}: {e}", spec.display()))?;
        let socket = dir.join("sidecar.sock");
        let child = spawn(&settings, &dir)
            .map_err(|e| format!("starting the Python sidecar ({}): {e}", settings.python))?;
        let (child, hello) = ready(child, &socket)?;
        let (plugins, hooks, litellm) = read_hello(&hello)?;
        let timeout = plugins.iter().map(|p| p.timeout).sum::<Duration>() + Duration::from_secs(1);
        let (stop, stop_rx) = flume::bounded(1);
        let sidecar = Arc::new(Sidecar {
            socket,
            plugins,
            hooks,
            litellm,
            timeout,
            up: AtomicBool::new(true),
            restarts: AtomicU64::new(0),
            links: Default::default(),
            stopping: AtomicBool::new(false),
            pid: AtomicU32::new(child.id()),
            dir,
            stop,
        });
        let watched = sidecar.clone();
        std::thread::Builder::new()
            .name("corelane-sidecar".into())
            .spawn(move || watch(&watched, child, &stop_rx, &settings))
            .map_err(|e| format!("starting the sidecar's watcher: {e}"))?;
        Ok(sidecar)
    }

    /// Stops the sidecar (graceful shutdown), killing it after a grace period.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let (done, stopped) = flume::bounded(1);
        if self.stop.send(done).is_ok() {
            let _ = stopped.recv_timeout(STOP_GRACE + Duration::from_secs(1));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// The process id of the sidecar now (tests kill it).
    pub fn pid(&self) -> u32 {
        self.pid.load(Ordering::Relaxed)
    }
}

fn write_package(dir: &Path) -> std::io::Result<()> {
    for (path, text) in FILES {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    // The socket's directory is this process's alone.
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
}

fn spawn(settings: &SidecarSettings, dir: &Path) -> std::io::Result<Child> {
    let python = &settings.python;
    let path = match settings.pythonpath.as_deref() {
        Some(p) if !p.is_empty() => {
            let mut joined = dir.as_os_str().to_owned();
            joined.push(":");
            joined.push(p);
            joined
        }
        _ => dir.as_os_str().to_owned(),
    };
    Command::new(python)
        .args(["-m", "corelane_sidecar", "--socket"])
        .arg(dir.join("sidecar.sock"))
        .arg("--spec")
        .arg(dir.join("spec.json"))
        .arg("--shim")
        .arg(dir.join("shim"))
        .env("PYTHONPATH", path)
        .env("PYTHONUNBUFFERED", "1")
        // LiteLLM, where installed, reads its bundled price table rather than the network.
        .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        // Its end tells the sidecar to stop.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
}

/// Waits for the sidecar's "serving" line, then reads HELLO from a first connection;
/// what the plugins print afterwards goes to corelane's stdout.
fn ready(mut child: Child, socket: &Path) -> Result<(Child, Value), String> {
    let Some(stdout) = child.stdout.take() else {
        return Err("the sidecar's stdout is not a pipe".into());
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("corelane-sidecar-out".into())
        .spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if line.starts_with("corelane-sidecar: serving") {
                    let _ = tx.send(());
                    continue;
                }
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
            }
        })
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if rx.recv_timeout(Duration::from_millis(50)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the Python sidecar exited ({status}) before serving: a plugin failed to load (see its error above)"
            ));
        }
        if Instant::now() >= deadline {
            terminate(&mut child);
            return Err(format!(
                "the Python sidecar did not start within {}s",
                START_TIMEOUT.as_secs()
            ));
        }
    }
    let hello = hello(socket).map_err(|e| format!("reading the sidecar's plugins: {e}"))?;
    Ok((child, hello))
}

fn hello(socket: &Path) -> std::io::Result<Value> {
    let mut conn = UnixStream::connect(socket)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = [0u8; wire::HEADER];
    conn.read_exact(&mut head)?;
    let Some((len, wire::HELLO, _)) = wire::decode_header(&head) else {
        return Err(std::io::Error::other("not a HELLO frame"));
    };
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body)?;
    serde_json::from_slice(&body).map_err(std::io::Error::other)
}

fn read_hello(hello: &Value) -> Result<(Vec<PluginInfo>, HookSet, bool), String> {
    let mut plugins = Vec::new();
    let mut hooks = HookSet::default();
    for p in hello["plugins"].as_array().into_iter().flatten() {
        let info = PluginInfo::from_json(p)
            .ok_or_else(|| format!("a plugin the sidecar described oddly: {p}"))?;
        hooks = hooks.union(info.hooks);
        plugins.push(info);
    }
    Ok((plugins, hooks, hello["litellm"].as_bool().unwrap_or(false)))
}

/// Restarts the sidecar whenever it exits, until corelane stops it.
fn watch(
    sidecar: &Sidecar,
    mut child: Child,
    stop: &flume::Receiver<flume::Sender<()>>,
    settings: &SidecarSettings,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match stop.recv_timeout(Duration::from_millis(100)) {
            Ok(done) => {
                terminate(&mut child);
                let _ = done.send(());
                return;
            }
            Err(flume::RecvTimeoutError::Disconnected) => {
                terminate(&mut child);
                return;
            }
            Err(flume::RecvTimeoutError::Timeout) => {}
        }
        let status = match child.try_wait() {
            Ok(None) => continue,
            Ok(Some(status)) => status.to_string(),
            Err(e) => e.to_string(),
        };
        if sidecar.stopping.load(Ordering::SeqCst) {
            return;
        }
        sidecar.up.store(false, Ordering::SeqCst);
        tracing::warn!("the Python sidecar exited ({status}); restarting it");
        loop {
            if sidecar.stopping.load(Ordering::SeqCst) {
                return;
            }
            let started = spawn(settings, &sidecar.dir)
                .map_err(|e| e.to_string())
                .and_then(|child| ready(child, &sidecar.socket));
            match started {
                Ok((next, _)) => {
                    child = next;
                    sidecar.pid.store(child.id(), Ordering::Relaxed);
                    sidecar.restarts.fetch_add(1, Ordering::Relaxed);
                    sidecar.up.store(true, Ordering::SeqCst);
                    tracing::info!("the Python sidecar is back");
                    backoff = FIRST_BACKOFF;
                    break;
                }
                Err(e) => {
                    tracing::warn!("restarting the Python sidecar: {e}; again in {backoff:?}");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// Closes the sidecar's stdin (it stops when that ends: after logging what it holds, and
/// also when corelane dies), then kills it after a grace period.
fn terminate(child: &mut Child) {
    drop(child.stdin.take());
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of `server/python` is embedded, so a new one cannot be forgotten.
    #[test]
    fn every_python_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "__pycache__") {
                        stack.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "py") {
                    let rel = path
                        .strip_prefix(&root)
                        .map(|p| p.to_string_lossy().into_owned());
                    on_disk.extend(rel);
                }
            }
        }
        on_disk.sort();
        let embedded: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
        assert_eq!(on_disk, embedded);
    }
}
