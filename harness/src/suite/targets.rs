//! The processes a scenario is run against: corelane, nginx, the LiteLLM proxy, the mock itself.

use super::procs::{self, Spawned};
use super::scenarios::{Flaky, Scenario, CHAT_MODEL, CLAUDE_MODEL, EMBED_MODEL};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Time the LiteLLM proxy gets to import and start (several seconds of Python imports).
const LITELLM_START: Duration = Duration::from_secs(180);
/// Time corelane and nginx get to listen.
const NATIVE_START: Duration = Duration::from_secs(20);

/// What a column of the report measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// corelane with its default driver (io_uring where available).
    Corelane,
    /// corelane with `--epoll`, to compare the two drivers in the same run.
    CorelaneEpoll,
    Nginx,
    Litellm,
    /// Straight to the mock: the ceiling of the placement.
    Direct,
}

impl TargetKind {
    pub const ALL: [TargetKind; 5] = [
        TargetKind::Corelane,
        TargetKind::CorelaneEpoll,
        TargetKind::Nginx,
        TargetKind::Litellm,
        TargetKind::Direct,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Corelane => "corelane",
            Self::CorelaneEpoll => "corelane (epoll)",
            Self::Nginx => "nginx",
            Self::Litellm => "LiteLLM",
            Self::Direct => "direct",
        }
    }
}

/// Where the binaries are and where a run writes its scratch files.
#[derive(Debug, Clone)]
pub struct Env {
    pub corelane: PathBuf,
    pub nginx: Option<PathBuf>,
    pub nginx_template: PathBuf,
    /// `litellm` inside the harness's virtualenv.
    pub litellm: PathBuf,
    pub raw: PathBuf,
    pub target_cpus: Vec<usize>,
    pub mock: SocketAddr,
    pub mock_pid: u32,
    pub quick: bool,
    /// Extra arguments for corelane.
    pub corelane_args: Vec<String>,
}

/// Why a target cannot run here, or `None` when it can.
pub fn unavailable(kind: TargetKind, env: &Env) -> Option<String> {
    match kind {
        TargetKind::Corelane | TargetKind::CorelaneEpoll => (!env.corelane.is_file())
            .then(|| format!("corelane binary not found at {}", env.corelane.display())),
        TargetKind::Nginx => match &env.nginx {
            None => Some("nginx not installed (apt-get install -y nginx)".to_owned()),
            Some(_) if !env.nginx_template.is_file() => {
                Some(format!("{} missing", env.nginx_template.display()))
            }
            Some(_) => None,
        },
        TargetKind::Litellm if env.quick => Some("quick mode".to_owned()),
        TargetKind::Litellm => (!env.litellm.is_file()).then(|| {
            format!(
                "LiteLLM not installed at {} (run harness/litellm/setup.sh)",
                env.litellm.display()
            )
        }),
        TargetKind::Direct => None,
    }
}

/// A target ready for load: its address, and the process whose tree is measured.
#[derive(Debug)]
pub struct Running {
    pub address: SocketAddr,
    pub pid: u32,
    /// `None` for direct (the mock outlives every scenario).
    pub process: Option<Spawned>,
}

impl Running {
    pub fn stop(self) {
        if let Some(process) = self.process {
            process.stop();
        }
    }
}

/// The master key both proxies require: LiteLLM (1.108) refuses to start without one, and
/// authenticating every request is the realistic path for corelane too.
pub const MASTER_KEY: &str = "sk-corelane-bench-7f3c9a1e5b2d4f608e1a3c5b7d9f2e4a";

/// The LiteLLM `config.yaml` both corelane and LiteLLM load: the same model groups (OpenAI
/// chat and embeddings, and an Anthropic-format deployment on the mock's Messages API).
/// `/v1/messages` goes to chat completions in both (LiteLLM's default for openai models is
/// its Responses API route, which the mock does not serve). The router is configured as a
/// production config would have it (retries and a fallback group), so its cost is measured.
///
/// With `flaky`, the chat group gets a second deployment on the same mock whose api_base
/// starts with `/flaky/{percent}`: it fails that share of the requests it gets with OpenAI's
/// 500, which the router must absorb (retry on the other deployment, cooldowns, the fallback
/// group) without a client seeing it.
pub fn proxy_config(mock: SocketAddr, flaky: Option<Flaky>) -> String {
    let base = format!("http://{mock}/v1");
    let (deployment, cooldowns) = match flaky {
        None => (String::new(), ""),
        Some(Flaky { percent, cooldowns }) => (
            format!("  - model_name: {CHAT_MODEL}\n    litellm_params:\n      model: openai/{CHAT_MODEL}\n      api_base: http://{mock}/flaky/{percent}/v1\n      api_key: sk-mock\n"),
            if cooldowns { "" } else { "  disable_cooldowns: true\n" },
        ),
    };
    format!(
        "general_settings:\n  master_key: {MASTER_KEY}\nlitellm_settings:\n  use_chat_completions_url_for_anthropic_messages: true\nrouter_settings:\n  num_retries: 2\n  fallbacks: [{{{CHAT_MODEL}: [{CHAT_MODEL}-fallback]}}]\n{cooldowns}model_list:\n  - model_name: {CHAT_MODEL}-fallback\n    litellm_params:\n      model: openai/{CHAT_MODEL}\n      api_base: {base}\n      api_key: sk-mock\n  - model_name: {CHAT_MODEL}\n    litellm_params:\n      model: openai/{CHAT_MODEL}\n      api_base: {base}\n      api_key: sk-mock\n{deployment}  - model_name: {EMBED_MODEL}\n    litellm_params:\n      model: openai/{EMBED_MODEL}\n      api_base: {base}\n      api_key: sk-mock\n  - model_name: {CLAUDE_MODEL}\n    litellm_params:\n      model: anthropic/{CLAUDE_MODEL}\n      api_base: http://{mock}\n      api_key: sk-mock\n"
    )
}

/// nginx.conf from the checked-in template.
pub fn nginx_config(template: &str, prefix: &Path, port: u16, mock_port: u16) -> String {
    template
        .replace("@PREFIX@", &prefix.display().to_string())
        .replace("@PORT@", &port.to_string())
        .replace("@MOCK_PORT@", &mock_port.to_string())
}

/// Starts `kind` fresh (so VmHWM is this scenario's) with the scenario's config and waits
/// until it answers.
pub fn start(kind: TargetKind, env: &Env, scenario: &Scenario) -> Result<Running, String> {
    let log = env.raw.join(format!(
        "{}-{}.log",
        kind.label().replace([' ', '(', ')'], ""),
        scenario.name
    ));
    // A scenario with its own deployments or plugin keeps its config beside the shared one.
    let config = env.raw.join(match (scenario.flaky, scenario.plugin) {
        (None, None) => "proxy-config.yaml".to_owned(),
        _ => format!("proxy-config-{}.yaml", scenario.name),
    });
    let mut text = proxy_config(env.mock, scenario.flaky);
    if let Some(plugin) = scenario.plugin {
        let (module, code) = plugin.module();
        let file = env.raw.join(format!("{module}.py"));
        std::fs::write(&file, code).map_err(|e| format!("{}: {e}", file.display()))?;
        text = text.replace(
            "litellm_settings:\n",
            &format!("litellm_settings:\n  callbacks: [{module}.proxy_handler_instance]\n"),
        );
    }
    std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
    match kind {
        TargetKind::Direct => Ok(Running {
            address: env.mock,
            pid: env.mock_pid,
            process: None,
        }),
        TargetKind::Corelane | TargetKind::CorelaneEpoll => {
            // A fresh embedded store for each start: no keys or spend rows of an earlier one.
            let data = env.raw.join(format!("corelane-data-{}", scenario.name));
            let _ = std::fs::remove_dir_all(&data);
            let mut command = Command::new(&env.corelane);
            let cpus: Vec<String> = env.target_cpus.iter().map(usize::to_string).collect();
            command
                .arg("--config")
                .arg(&config)
                .args(["--host", "127.0.0.1", "--port", "0", "--num_workers"])
                .arg(env.target_cpus.len().max(1).to_string())
                .arg(format!("--pin-cpus={}", cpus.join(",")))
                .env("RUST_LOG", "warn")
                // The embedded key and spend store, in this run's directory.
                .env("CORELANE_DATA_DIR", &data)
                .env_remove("DATABASE_URL");
            if kind == TargetKind::CorelaneEpoll {
                command.arg("--epoll");
            }
            command.args(&env.corelane_args);
            let mut process = procs::spawn_on(kind.label(), command, &env.target_cpus, &log, true)
                .map_err(|e| format!("starting corelane: {e}"))?;
            let rest =
                procs::wait_for_line(&mut process, "corelane listening on http://", NATIVE_START)
                    .map_err(|e| format!("{e} (see {})", log.display()))?;
            let address = rest
                .split_whitespace()
                .next()
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| format!("corelane printed an unreadable address {rest:?}"))?;
            Ok(Running {
                address,
                pid: process.pid(),
                process: Some(process),
            })
        }
        TargetKind::Nginx => {
            let nginx = env.nginx.as_ref().ok_or("nginx not installed")?;
            let prefix = env.raw.join("nginx");
            std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
            let template = std::fs::read_to_string(&env.nginx_template)
                .map_err(|e| format!("{}: {e}", env.nginx_template.display()))?;
            let port = procs::free_port().map_err(|e| e.to_string())?;
            let conf = prefix.join("nginx.conf");
            std::fs::write(
                &conf,
                nginx_config(&template, &prefix, port, env.mock.port()),
            )
            .map_err(|e| format!("{}: {e}", conf.display()))?;
            let mut command = Command::new(nginx);
            command.arg("-p").arg(&prefix).arg("-c").arg(&conf);
            let mut process = procs::spawn_on("nginx", command, &env.target_cpus, &log, false)
                .map_err(|e| format!("starting nginx: {e}"))?;
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            procs::wait_until(&mut process, NATIVE_START, || {
                procs::http_get_ok(address, "/v1/models")
            })
            .map_err(|e| format!("{e} (see {})", log.display()))?;
            Ok(Running {
                address,
                pid: process.pid(),
                process: Some(process),
            })
        }
        TargetKind::Litellm => {
            let port = procs::free_port().map_err(|e| e.to_string())?;
            let mut command = Command::new(&env.litellm);
            command
                .arg("--config")
                .arg(&config)
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--num_workers",
                    "1",
                ])
                // Offline: use the model cost map shipped in the package, not a download.
                .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                .env("LITELLM_TELEMETRY", "False");
            let mut process = procs::spawn_on("LiteLLM", command, &env.target_cpus, &log, false)
                .map_err(|e| format!("starting LiteLLM: {e}"))?;
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            procs::wait_until(&mut process, LITELLM_START, || {
                procs::http_get_ok(address, "/health/liveliness")
            })
            .map_err(|e| format!("{e} (see {})", log.display()))?;
            Ok(Running {
                address,
                pid: process.pid(),
                process: Some(process),
            })
        }
    }
}

/// Version strings for the report; empty when a tool cannot say.
pub fn version(kind: TargetKind, env: &Env) -> String {
    let output = |mut command: Command| {
        command
            .output()
            .map(|o| {
                let text = if o.stdout.is_empty() {
                    o.stderr
                } else {
                    o.stdout
                };
                String::from_utf8_lossy(&text).trim().to_owned()
            })
            .unwrap_or_default()
    };
    match kind {
        TargetKind::Corelane | TargetKind::CorelaneEpoll => {
            let mut command = Command::new(&env.corelane);
            command.arg("--version");
            output(command)
        }
        TargetKind::Nginx => env.nginx.as_ref().map_or_else(String::new, |nginx| {
            let mut command = Command::new(nginx);
            command.arg("-v");
            output(command)
        }),
        TargetKind::Litellm => {
            let python = env.litellm.with_file_name("python");
            let mut command = Command::new(python);
            command.args([
                "-c",
                "import importlib.metadata as m, sys; print('litellm', m.version('litellm'), 'python', sys.version.split()[0])",
            ]);
            output(command)
        }
        TargetKind::Direct => "corelane-mock".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn nginx_template_fills_every_placeholder() {
        let template = include_str!("../../nginx/nginx.conf.in");
        let conf = nginx_config(template, Path::new("/tmp/x"), 8081, 9000);
        for placeholder in ["@PREFIX@", "@PORT@", "@MOCK_PORT@"] {
            assert!(!conf.contains(placeholder), "{placeholder} left in {conf}");
        }
        assert!(conf.contains("listen 127.0.0.1:8081"));
        assert!(conf.contains("server 127.0.0.1:9000;"));
        assert!(conf.contains("keepalive 128;"));
        assert!(conf.contains("worker_processes 1;"));
    }

    #[test]
    fn proxy_config_names_both_groups_at_the_mock() {
        let config = proxy_config("127.0.0.1:7000".parse().unwrap(), None);
        assert!(config.contains("model_name: gpt-4o\n"));
        assert!(config.contains("model: openai/text-embedding-3-small\n"));
        assert!(config.contains("fallbacks: [{gpt-4o: [gpt-4o-fallback]}]"));
        // Chat, its fallback group and embeddings.
        assert_eq!(
            config.matches("api_base: http://127.0.0.1:7000/v1").count(),
            3
        );
        assert!(!config.contains("flaky"));
    }

    #[test]
    fn flaky_config_adds_a_second_chat_deployment() {
        let shared = proxy_config("127.0.0.1:7000".parse().unwrap(), None);
        let flaky = |cooldowns| {
            let flaky = Flaky {
                percent: 50,
                cooldowns,
            };
            proxy_config("127.0.0.1:7000".parse().unwrap(), Some(flaky))
        };
        let config = flaky(true);
        assert_eq!(shared.matches("model_name: gpt-4o\n").count(), 1);
        assert_eq!(config.matches("model_name: gpt-4o\n").count(), 2);
        assert_eq!(
            config
                .matches("api_base: http://127.0.0.1:7000/flaky/50/v1\n")
                .count(),
            1
        );
        // Everything else is the shared config's: the same router settings, the same groups.
        let flaky_entry = "  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: http://127.0.0.1:7000/flaky/50/v1\n      api_key: sk-mock\n";
        assert_eq!(config.replace(flaky_entry, ""), shared);
        // Without cooldowns the router keeps picking the flaky deployment.
        let cooling = "  fallbacks: [{gpt-4o: [gpt-4o-fallback]}]\n";
        assert_eq!(
            flaky(false),
            config.replace(cooling, &format!("{cooling}  disable_cooldowns: true\n"))
        );
    }

    #[test]
    fn skip_reasons() {
        let env = Env {
            corelane: PathBuf::from("/nonexistent/corelane"),
            nginx: None,
            nginx_template: PathBuf::from("/nonexistent"),
            litellm: PathBuf::from("/nonexistent/litellm"),
            raw: PathBuf::from("/tmp"),
            target_cpus: vec![1],
            mock: "127.0.0.1:1".parse().unwrap(),
            mock_pid: 1,
            quick: false,
            corelane_args: Vec::new(),
        };
        assert!(unavailable(TargetKind::Corelane, &env)
            .unwrap()
            .contains("not found"));
        assert!(unavailable(TargetKind::Nginx, &env)
            .unwrap()
            .contains("not installed"));
        assert!(unavailable(TargetKind::Litellm, &env)
            .unwrap()
            .contains("setup.sh"));
        assert_eq!(unavailable(TargetKind::Direct, &env), None);
        let quick = Env { quick: true, ..env };
        assert_eq!(
            unavailable(TargetKind::Litellm, &quick).unwrap(),
            "quick mode"
        );
    }
}
