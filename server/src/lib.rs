//! corelane: a LiteLLM-compatible AI gateway on a thread-per-core io_uring runtime. The
//! binary is [`main`]; the library exposes the router's pick for the benches (`gateway`,
//! `router`, `health`, and the health-check verdicts it may route on, `health_check`).
//!
//! # Layout
//! - `cli`: LiteLLM's flags (`--config`, `--port`, `--host`, `--num_workers`) and ours.
//! - `gateway`: the read-only snapshot built from the config: groups, deployments, upstreams.
//! - `cores`: one monoio runtime per core: accept, idle trimming, shutdown.
//! - `core`: a core's state: listener limits, pool, arena, buffers, body budget, metrics.
//! - `conn`: one client connection: heads, bodies, keep-alive; one `Exchange` per request.
//! - `routes`: (method, path) -> route, in LiteLLM's bare, `/v1` and Azure forms.
//! - `exchange`: the per-request context the phases fill in.
//! - `proxy`: the phases: admit/authenticate, resolve_model, pick_deployment,
//!   build_upstream, relay, and `finish` (once per request).
//! - `metrics`, `access_log`: what `finish` feeds.
//! - `router`: model resolution (exact, alias, wildcard), the router's settings and the pick
//!   (simple-shuffle among deployments not cooling, by `order` tier).
//! - `routing`: the retry and fallback loop around a request's attempts.
//! - `health`: each deployment's cooldown and recent failures, atomics every core sees.
//! - `shared`: the thread that shares `health`'s cooldowns and counts across instances
//!   through Redis, in LiteLLM's keys.
//! - `health_check`: LiteLLM's health checks (`GET /health`, the background loop on core 0,
//!   the verdicts health-check routing reads) and the readiness and liveliness probes.
//! - `relay`: upstream request/response relay in bounded buffers, SSE rewriting.
//! - `upstream`: origins, plain/TLS connections, the resolver thread, the per-core pool.
//! - `mock`, `admin`: mock_response answers; models, model info, routes.
//! - `errors`, `response`: the one error mapping and the response heads.

mod access_log;
mod admin;
mod alloc;
mod auth;
mod cli;
mod client_body;
mod conn;
mod core;
mod cores;
mod errors;
mod exchange;
pub mod gateway;
mod google_auth;
pub mod health;
pub mod health_check;
mod io;
mod latch;
mod limits;
mod manage;
mod metrics;
mod mock;
mod plugins;
mod process_stats;
mod proxy;
mod relay;
mod response;
pub mod router;
mod router_args;
mod routes;
mod routing;
mod shared;
mod spill;
mod store;
mod upstream;

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use corelane_config::Env;

/// Pending connections the kernel queues per listener.
const LISTEN_BACKLOG: i32 = 4096;

/// The `corelane` binary.
pub fn main() -> ExitCode {
    let args = cli::Args::parse();
    let default_level = if args.detailed_debug { "debug" } else { "info" };
    let env = Env::from_process();
    let filter =
        tracing_subscriber::EnvFilter::try_new(env.var("RUST_LOG").unwrap_or(default_level))
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr (stdout carries only the listening line), colored only on a terminal.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(args, env) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("corelane: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: cli::Args, env: Env) -> Result<(), String> {
    let path = args
        .config
        .clone()
        .or_else(|| env.var("CONFIG_FILE_PATH").map(Into::into));
    let config = match &path {
        Some(p) => corelane_config::load(p, env).map_err(|e| e.to_string())?,
        None => corelane_config::parse("", "<no config>", env).map_err(|e| e.to_string())?,
    };
    for key in &config.ignored {
        tracing::warn!("config key {key} ignored (not implemented yet)");
    }
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    // LiteLLM 1.106 refuses an unset, empty or publicly known master key unless the operator
    // opts in; the refusal names the cause and the fix.
    match config.master_key_check().map_err(|weak| weak.to_string())? {
        corelane_config::MasterKeyVerdict::Strong => {}
        corelane_config::MasterKeyVerdict::Permitted(weak) => tracing::warn!("{weak}"),
    }
    let gateway = Arc::new(gateway::Gateway::build(&config).map_err(|e| e.to_string())?);
    // Keys and spend: the database is opened (its tables created when missing) before a
    // request is served.
    // The Redis instances share: router_settings' redis, else cache_params', else
    // REDIS_HOST and REDIS_PORT (LiteLLM falls back to them for its limits and its buffer).
    let redis = match &config.router_settings.redis {
        r if r.is_set() => r.clone(),
        _ => config.litellm_settings.cache_redis.clone(),
    };
    let shared_redis = match &redis {
        r if r.is_set() => r.clone(),
        _ => corelane_config::RedisSettings {
            host: config.env.var("REDIS_HOST").map(str::to_owned),
            port: config.env.var("REDIS_PORT").and_then(|p| p.parse().ok()),
            password: config.env.var("REDIS_PASSWORD").map(str::to_owned),
            ..Default::default()
        },
    };
    let store = store::Store::start(
        store::StoreSettings::new(
            &config,
            args.data_dir.clone(),
            args.spend_queue_rows,
            &shared_redis,
        ),
        gateway.clone(),
    )?;
    tracing::info!("key and spend store: {}", store.kind);
    let _ = gateway.store.set(store.clone());
    // Python plugins: the sidecar is started (and its plugins loaded) before a request is
    // served; a plugin that does not load stops the start, as it stops LiteLLM's.
    let (plugin_timeout, plugin_timeouts) = args.plugin_timeouts();
    let sidecar = match plugins::SidecarSettings::new(
        &config,
        path.as_deref(),
        args.python.clone(),
        plugin_timeout,
        plugin_timeouts,
    )? {
        Some(settings) => {
            let sidecar = plugins::Sidecar::start(settings)?;
            for p in &sidecar.plugins {
                tracing::info!(
                    "plugin {} ({:?}) overrides: {}",
                    p.name,
                    p.kind,
                    p.methods.join(", ")
                );
                if !p.not_called.is_empty() {
                    tracing::warn!(
                        "plugin {} overrides hooks corelane does not call: {}",
                        p.name,
                        p.not_called.join(", ")
                    );
                }
            }
            use plugins::HookSet;
            let streaming = HookSet::STREAMING.union(HookSet::STREAMING_ITERATOR);
            if sidecar.hooks.intersects(streaming) {
                tracing::warn!(
                    "plugins' streaming hooks run on chat completion and /v1/messages streams only: other streams (the Responses API's, text completions') go out unchanged"
                );
            }
            let _ = gateway.plugins.set(sidecar.clone());
            Some(sidecar)
        }
        None => None,
    };
    for warning in &gateway.warnings {
        tracing::warn!("{warning}");
    }
    // Vertex AI tokens: minted off the cores, the first ones awaited briefly so the first
    // requests find them.
    google_auth::start(gateway.google_tokens.clone(), Duration::from_secs(5))
        .map_err(|e| format!("starting the google-auth thread: {e}"))?;
    let cores = args
        .num_workers
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let listeners = bind(&args.host, args.port, cores)?;
    let local = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .ok_or("no listener")?;
    let shutdown = Arc::new(AtomicBool::new(false));
    let stops: Vec<_> = (0..cores).map(|_| flume::bounded::<()>(1)).collect();
    watch_signals(
        shutdown.clone(),
        stops.iter().map(|(tx, _)| tx.clone()).collect(),
    )?;
    // Instances on one Redis share cooldowns and the strategies' counts (router_settings'
    // redis, else cache_params').
    shared::start(gateway.clone(), &redis, shutdown.clone())
        .map_err(|e| format!("starting the redis thread: {e}"))?;
    // Virtual keys' rate limits: on the same Redis across instances (else REDIS_HOST and
    // REDIS_PORT, as LiteLLM falls back to them), in memory without one.
    let limiter = limits::Limiter::start(&shared_redis, shutdown.clone())
        .map_err(|e| format!("starting the rate-limit thread: {e}"))?;
    let _ = gateway.limiter.set(limiter);
    let limits = core::ConnLimits {
        header_timeout: seconds(args.header_timeout),
        body_timeout: seconds(args.body_timeout),
        body_min_rate: args.body_min_rate,
        keepalive_timeout: seconds(args.keepalive_timeout),
        max_connections: args
            .max_connections
            .unwrap_or_else(|| default_max_connections(cores)),
        body_budget: (args.body_budget_mb.max(0.0) * 1024.0 * 1024.0) as usize,
    };
    tracing::debug!(?limits, "connection limits per core");
    let resolver = upstream::dns::Resolver::start().map_err(|e| format!("resolver thread: {e}"))?;
    let spiller = spill::Spiller::start().map_err(|e| format!("spill thread: {e}"))?;
    let (tls, system_roots) = upstream::tls::client_config();
    tracing::debug!(system_roots, "TLS roots loaded");
    let metrics_on = args.metrics || config.litellm_settings.prometheus;
    let (peers, mut inboxes) = match metrics::channels(cores) {
        (peers, inboxes) if metrics_on => (Some(peers), inboxes.into_iter().map(Some).collect()),
        _ => (None, (0..cores).map(|_| None).collect::<Vec<_>>()),
    };
    let access_log = if args.access_log || args.detailed_debug {
        let json = config
            .env
            .var("JSON_LOGS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Some(access_log::Sink::start(json).map_err(|e| format!("access log thread: {e}"))?)
    } else {
        None
    };
    let health_checks = Arc::new(health_check::HealthChecks::new(&config, &gateway));
    let _ = gateway.health_checks.set(health_checks.clone());
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let mut threads = Vec::with_capacity(cores);
    for (id, (listener, (_, stop))) in listeners.into_iter().zip(stops).enumerate() {
        let opts = core::CoreOptions {
            epoll: args.epoll,
            cpu: args.cpu_for(id),
            shutdown_grace: seconds(args.shutdown_grace),
            limits: limits.clone(),
        };
        let shared = core::Shared {
            gateway: gateway.clone(),
            resolver: resolver.clone(),
            spiller: spiller.clone(),
            tls: tls.clone(),
            metrics: peers.clone(),
            access_log: access_log.clone(),
            health_checks: health_checks.clone(),
        };
        let inbox = inboxes[id].take();
        let tx = started_tx.clone();
        let thread = std::thread::Builder::new()
            .name(format!("corelane-core-{id}"))
            .spawn(move || cores::run(id, listener, shared, opts, stop, inbox, tx))
            .map_err(|e| format!("starting core {id}: {e}"))?;
        threads.push(thread);
    }
    drop(started_tx);
    let drivers: Vec<&str> = started_rx.iter().take(cores).map(|(_, d)| d).collect();
    let driver = drivers.first().copied().unwrap_or("none");
    let models: usize = gateway.groups.len();
    tracing::info!(
        "corelane listening on http://{local} ({cores} cores, {driver} driver, {models} model groups)"
    );
    println!("corelane listening on http://{local}");
    let mut failed = None;
    for t in threads {
        match t.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failed = Some(format!("core failed: {e}")),
            Err(_) => failed = Some("core thread panicked".to_owned()),
        }
    }
    // Spend still held is written before the process ends.
    store.shutdown();
    if let Some(sidecar) = &sidecar {
        sidecar.stop();
    }
    if !shutdown.load(Ordering::Relaxed) {
        return Err(failed.unwrap_or_else(|| "cores stopped unexpectedly".to_owned()));
    }
    tracing::info!("corelane stopped");
    failed.map_or(Ok(()), Err)
}

/// One listening socket per core, all on the same port (SO_REUSEPORT spreads connections).
/// Port 0 binds the first to a free port and the others to that one.
fn bind(host: &str, port: u16, cores: usize) -> Result<Vec<std::net::TcpListener>, String> {
    let addr: SocketAddr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("--host {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("--host {host}: no address"))?;
    let mut listeners = Vec::with_capacity(cores);
    let mut addr = addr;
    for _ in 0..cores {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            None,
        )
        .map_err(|e| format!("socket: {e}"))?;
        let setup = || -> std::io::Result<std::net::TcpListener> {
            socket.set_reuse_address(true)?;
            socket.set_reuse_port(true)?;
            socket.set_nodelay(true)?;
            socket.bind(&addr.into())?;
            socket.listen(LISTEN_BACKLOG)?;
            socket.set_nonblocking(true)?;
            let l: std::net::TcpListener = socket.try_clone()?.into();
            Ok(l)
        };
        let listener = setup().map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        addr = listener.local_addr().map_err(|e| e.to_string())?;
        listeners.push(listener);
    }
    Ok(listeners)
}

/// Longest setting in seconds: a deadline is "now" plus it, which must not overflow.
const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

fn seconds(s: f64) -> Duration {
    // A NaN passes through clamp and is caught by the fallback.
    Duration::try_from_secs_f64(s.clamp(0.0, MAX_SECONDS)).unwrap_or(Duration::ZERO)
}

/// Client connections per core when `--max-connections` is not given: half the process's
/// descriptor limit (each proxied request also holds an upstream connection), less a reserve
/// for listeners, logs and the resolver, shared between the cores.
fn default_max_connections(cores: usize) -> usize {
    const RESERVE: usize = 64;
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse::<usize>().ok()
        })
        .unwrap_or(1024);
    (soft.saturating_sub(RESERVE) / 2 / cores.max(1)).clamp(16, 1 << 20)
}

/// SIGTERM/SIGINT start a graceful shutdown (every core is told at once); a second one exits
/// at once.
fn watch_signals(shutdown: Arc<AtomicBool>, stops: Vec<flume::Sender<()>>) -> Result<(), String> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])
        .map_err(|e| format!("signals: {e}"))?;
    std::thread::Builder::new()
        .name("corelane-signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                if shutdown.swap(true, Ordering::Relaxed) {
                    std::process::exit(1);
                }
                tracing::info!("shutting down: finishing in-flight requests");
                for stop in &stops {
                    let _ = stop.try_send(());
                }
            }
        })
        .map_err(|e| format!("signal thread: {e}"))?;
    Ok(())
}
