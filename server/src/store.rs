//! The store thread: the one place that talks to the database (embedded SQLite by default,
//! LiteLLM's Postgres with `database_url`). Cores never wait on it for a known key; they read
//! the [`KeyCache`] it publishes and hand it spend rows over a bounded channel.
//!
//! What it does, in one loop:
//! - runs jobs the cores send (management routes, the lookup of a key the cache does not
//!   know), one at a time, and answers each over its own channel;
//! - reads every key, user and team again every `user_api_key_cache_ttl` and after every
//!   change it made, and publishes the new [`Snapshot`];
//! - writes spend rows in batches every `proxy_batch_write_at`; while the database is down it
//!   keeps them (up to `--spend-queue-rows`, the oldest dropped and counted beyond that) and
//!   writes them once it is back;
//! - with `use_redis_transaction_buffer`, sends what the rows add to keys, users, teams and
//!   daily rows through LiteLLM's Redis lists instead, and writes them when it holds the
//!   lock ([`buffer`]);
//! - resets budgets whose `budget_reset_at` has passed;
//! - on shutdown, writes what it still holds.
//!
//! Written by hand: the loop is small, and the databases' clients are blocking ones.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corelane_config::RedisSettings;
use corelane_store::backend::{Backend, StoreError};
use corelane_store::increments::{EntityKind, SpendIncrements};
use corelane_store::model::{Entity as Table, SpendLog};

mod buffer;

use crate::auth::{self, Digest32, Entity, EntityState, Identity, KeyCache, Snapshot};
use crate::errors::GatewayError;

/// LiteLLM's defaults.
const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);
const DEFAULT_BATCH_WRITE: Duration = Duration::from_secs(10);
/// The bounds of the cache TTL and the batch interval.
const MIN_INTERVAL: Duration = Duration::from_millis(100);
const MAX_INTERVAL: Duration = Duration::from_secs(86_400);
/// How often budgets due for a reset are looked for (or every cache TTL, when shorter: a
/// reset is seen by the cores no sooner than the next read anyway).
const BUDGET_RESET_EVERY: Duration = Duration::from_secs(60);
/// Rows written per statement batch.
const WRITE_BATCH: usize = 1000;
/// Rows a core may have handed over and the thread not yet taken.
const SPEND_CHANNEL: usize = 16_384;
/// Rows that are written without waiting for the batch interval (LiteLLM's is 100; larger
/// batches cost the store thread less per row under load).
const EARLY_FLUSH_ROWS: usize = 500;
/// How often the cores' channel is emptied at least.
const DRAIN: Duration = Duration::from_millis(100);
/// Jobs waiting for the thread; beyond this a caller is told to retry.
const JOB_QUEUE: usize = 1024;
/// Keys found in no table, remembered so a client repeating one costs no query.
const NEGATIVE_CAP: usize = 10_000;
/// After a failed write, the wait before the next one (doubled up to the batch interval).
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// How long the final flush may take on shutdown.
const FINAL_FLUSH: Duration = Duration::from_secs(10);

/// Settings of the store, from the config and the command line.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub cache_ttl: Duration,
    pub batch_write: Duration,
    pub spend_queue_rows: usize,
    /// `general_settings.disable_spend_logs`: totals only, no row per request.
    pub disable_spend_logs: bool,
    /// `general_settings.use_redis_transaction_buffer`: the Redis whose lists carry the
    /// spend increments.
    pub transaction_buffer: Option<RedisSettings>,
}

impl StoreSettings {
    /// `redis` is the instances' shared Redis, if any.
    pub fn new(
        config: &corelane_config::Config,
        data_dir: Option<PathBuf>,
        spend_queue_rows: usize,
        redis: &RedisSettings,
    ) -> Self {
        let gs = &config.general_settings;
        let env = |name: &str| config.env.var(name).filter(|v| !v.is_empty());
        StoreSettings {
            database_url: gs
                .database_url
                .clone()
                .or_else(|| config.env.var("DATABASE_URL").map(str::to_owned))
                .filter(|u| !u.is_empty()),
            data_dir: data_dir
                .unwrap_or_else(|| default_data_dir(env("XDG_DATA_HOME"), env("HOME"))),
            // Bounded: a zero TTL would read every table in a loop, a huge one overflow the
            // deadlines.
            cache_ttl: gs
                .user_api_key_cache_ttl
                .unwrap_or(DEFAULT_CACHE_TTL)
                .clamp(MIN_INTERVAL, MAX_INTERVAL),
            batch_write: gs
                .proxy_batch_write_at
                .unwrap_or(DEFAULT_BATCH_WRITE)
                .clamp(MIN_INTERVAL, MAX_INTERVAL),
            spend_queue_rows: spend_queue_rows.max(1),
            disable_spend_logs: gs.disable_spend_logs,
            transaction_buffer: gs.use_redis_transaction_buffer.then(|| redis.clone()),
        }
    }
}

/// `$XDG_DATA_HOME/corelane`, else `~/.local/share/corelane`, else `./corelane-data`.
fn default_data_dir(xdg_data_home: Option<&str>, home: Option<&str>) -> PathBuf {
    match (xdg_data_home, home) {
        (Some(d), _) => PathBuf::from(d).join("corelane"),
        (None, Some(home)) => PathBuf::from(home).join(".local/share/corelane"),
        (None, None) => PathBuf::from("corelane-data"),
    }
}

/// What a request's spend row needs, as a core hands it over: no text of its own, so the
/// core allocates nothing; [`Ctx::row`] makes the row on the store thread.
#[derive(Debug)]
pub struct SpendEvent {
    pub call_id: crate::response::CallId,
    pub call_type: &'static str,
    pub key: Option<Arc<auth::KeyEntity>>,
    /// Indices into the gateway's groups and deployments.
    pub group: usize,
    pub deployment: Option<usize>,
    pub provider: &'static str,
    pub cost: f64,
    pub usage: corelane_transforms::usage::Usage,
    pub start: std::time::SystemTime,
    pub end: std::time::SystemTime,
    pub first_token: Option<std::time::SystemTime>,
    pub success: bool,
    /// The caller a plugin's custom auth admitted (its `UserAPIKeyAuth`), in place of `key`.
    pub custom: Option<Box<CustomCaller>>,
}

/// Who a custom auth function said the caller is: the fields of its `UserAPIKeyAuth` a
/// spend row (and a metric's labels) names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CustomCaller {
    /// The key's hash (LiteLLM's `token`).
    pub token: String,
    pub key_alias: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
}

impl CustomCaller {
    /// From the `UserAPIKeyAuth` fields the sidecar answered.
    pub fn of(auth: &serde_json::Value) -> CustomCaller {
        let text = |name: &str| {
            auth.get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        CustomCaller {
            token: text("token").unwrap_or_default(),
            key_alias: text("key_alias"),
            user_id: text("user_id"),
            team_id: text("team_id"),
        }
    }
}

/// Counts the metrics and `/health` report.
#[derive(Debug, Default)]
pub struct StoreStats {
    pub rows_written: AtomicU64,
    pub rows_dropped: AtomicU64,
    pub rows_pending: AtomicU64,
    pub write_failures: AtomicU64,
    pub db_up: AtomicBool,
}

type Job = Box<dyn FnOnce(&mut Ctx) + Send>;

enum Command {
    Job(Job),
    /// Write everything held, then answer and stop.
    Stop(flume::Sender<()>),
}

/// The cores' handle on the store thread.
#[derive(Debug, Clone)]
pub struct Store {
    jobs: flume::Sender<Command>,
    spend: flume::Sender<SpendEvent>,
    pub cache: Arc<KeyCache>,
    pub stats: Arc<StoreStats>,
    pub kind: &'static str,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Job(_) => "Job",
            Command::Stop(_) => "Stop",
        })
    }
}

impl Store {
    /// Opens the database (creating the tables it lacks), reads the keys once, and starts
    /// the thread.
    pub fn start(
        settings: StoreSettings,
        gateway: Arc<crate::gateway::Gateway>,
    ) -> Result<Store, String> {
        let backend = open(&settings)?;
        let kind = backend.kind();
        // LiteLLM refuses to start with the buffer and no Redis, rather than lose spend.
        let buffer = match &settings.transaction_buffer {
            Some(redis) => Some(buffer::RedisBuffer::new(redis)?),
            None => None,
        };
        let cache = Arc::new(KeyCache::default());
        let stats = Arc::new(StoreStats::default());
        let (jobs, job_rx) = flume::bounded(JOB_QUEUE);
        let (spend, spend_rx) = flume::bounded(SPEND_CHANNEL);
        let mut ctx = Ctx {
            backend,
            gateway,
            cache: cache.clone(),
            stats: stats.clone(),
            settings: settings.clone(),
            states: HashMap::new(),
            next_id: 1,
            written: HashMap::new(),
            negative: HashMap::new(),
            pending: VecDeque::new(),
            buffer,
        };
        ctx.reload().map_err(|e| format!("reading the keys: {e}"))?;
        stats.db_up.store(true, Ordering::Relaxed);
        std::thread::Builder::new()
            .name("corelane-store".into())
            .spawn(move || run(ctx, &job_rx, &spend_rx))
            .map_err(|e| format!("starting the store thread: {e}"))?;
        Ok(Store {
            jobs,
            spend,
            cache,
            stats,
            kind,
        })
    }

    /// Runs `f` on the store thread and waits (without blocking the core) for its result.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Ctx) -> T + Send + 'static,
    ) -> Result<T, GatewayError> {
        let (tx, rx) = flume::bounded(1);
        let job: Job = Box::new(move |ctx| {
            let _ = tx.send(f(ctx));
        });
        self.jobs
            .try_send(Command::Job(job))
            .map_err(|_| unavailable("the key store is busy; retry shortly"))?;
        rx.recv_async()
            .await
            .map_err(|_| unavailable("the key store stopped"))
    }

    /// Hands a spend event to the thread; never waits. A full channel drops it (counted):
    /// false then.
    pub fn record(&self, event: SpendEvent) -> bool {
        let sent = self.spend.try_send(event).is_ok();
        if !sent {
            self.stats.rows_dropped.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }

    /// Writes what is held and stops the thread (graceful shutdown); waits up to the final
    /// flush's limit.
    pub fn shutdown(&self) {
        let (tx, rx) = flume::bounded(1);
        if self.jobs.send(Command::Stop(tx)).is_ok() {
            let _ = rx.recv_timeout(FINAL_FLUSH + Duration::from_secs(1));
        }
    }
}

fn unavailable(message: &str) -> GatewayError {
    GatewayError::proxy(503, "service_unavailable", None, message.to_owned())
}

fn open(settings: &StoreSettings) -> Result<Box<dyn Backend>, String> {
    let mut backend: Box<dyn Backend> = match &settings.database_url {
        Some(url) => Box::new(
            corelane_store::postgres::Postgres::connect(url)
                .map_err(|e| format!("database_url: {e}"))?,
        ),
        None => {
            std::fs::create_dir_all(&settings.data_dir)
                .map_err(|e| format!("--data-dir {}: {e}", settings.data_dir.display()))?;
            let path = settings.data_dir.join("corelane.db");
            Box::new(
                corelane_store::sqlite::Sqlite::open(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            )
        }
    };
    backend
        .ensure_schema()
        .map_err(|e| format!("creating the tables: {e}"))?;
    Ok(backend)
}

/// Whose spend a row adds to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Owner {
    Key(Digest32),
    User(String),
    Team(String),
}

/// The store thread's state; jobs get it mutably.
pub struct Ctx {
    pub backend: Box<dyn Backend>,
    gateway: Arc<crate::gateway::Gateway>,
    cache: Arc<KeyCache>,
    stats: Arc<StoreStats>,
    settings: StoreSettings,
    /// The id and lasting state of every key, user and team seen.
    states: HashMap<Owner, (u32, Arc<EntityState>)>,
    next_id: u32,
    /// Spend written to the database per owner, of what this instance recorded.
    written: HashMap<Owner, f64>,
    negative: HashMap<Digest32, Instant>,
    /// Requests whose rows are not written yet, kept compact (a row's text is made when it is
    /// written): a long outage holds ~200 bytes a request.
    pending: VecDeque<SpendEvent>,
    /// `use_redis_transaction_buffer`'s lists and lock.
    buffer: Option<buffer::RedisBuffer>,
}

impl Ctx {
    fn entity<R>(&mut self, owner: Owner, record: R) -> Arc<Entity<R>> {
        let next_id = &mut self.next_id;
        let (id, state) = self
            .states
            .entry(owner.clone())
            .or_insert_with(|| {
                let id = *next_id;
                *next_id += 1;
                (id, Arc::new(EntityState::default()))
            })
            .clone();
        Arc::new(Entity {
            id,
            record,
            state,
            written_at_read: self.written.get(&owner).copied().unwrap_or(0.0),
        })
    }

    /// Reads every key, user and team and publishes them.
    pub fn reload(&mut self) -> Result<(), StoreError> {
        let keys = self.backend.all_keys()?;
        let users = self.backend.all_users()?;
        let teams = self.backend.all_teams()?;
        let mut snap = Snapshot::default();
        for k in keys {
            let Some(d) = auth::parse_hex(&k.token) else {
                continue;
            };
            let e = self.entity(Owner::Key(d), k);
            snap.keys_by_id.insert(e.id, e.clone());
            snap.keys.insert(d, e);
        }
        for u in users {
            let id = u.user_id.clone();
            let e = self.entity(Owner::User(id.clone()), u);
            snap.users.insert(id, e);
        }
        for t in teams {
            let id = t.team_id.clone();
            let e = self.entity(Owner::Team(id.clone()), t);
            snap.teams.insert(id, e);
        }
        self.cache.publish(snap);
        self.negative.clear();
        Ok(())
    }

    /// A key the cache did not know: looked up in the database (a key made by another
    /// instance or by LiteLLM since the last read). Unknown keys are remembered for the TTL.
    pub fn lookup(&mut self, digest: Digest32) -> Result<Option<Identity>, StoreError> {
        if let Some(id) = self.cache.load().identity(&digest) {
            return Ok(Some(id));
        }
        if let Some(at) = self.negative.get(&digest) {
            if at.elapsed() < self.settings.cache_ttl {
                return Ok(None);
            }
        }
        match self.backend.key(&auth::hex(&digest))? {
            Some(_) => {
                self.reload()?;
                Ok(self.cache.load().identity(&digest))
            }
            None => {
                if self.negative.len() >= NEGATIVE_CAP {
                    self.negative.clear();
                }
                self.negative.insert(digest, Instant::now());
                Ok(None)
            }
        }
    }

    /// Writes the rows held, a batch at a time; stops at the first failure (they are kept,
    /// in order).
    fn flush(&mut self) -> Result<(), StoreError> {
        while !self.pending.is_empty() {
            let n = self.pending.len().min(WRITE_BATCH);
            let batch: Vec<SpendLog> = self.pending.iter().take(n).map(|e| self.row(e)).collect();
            let written = match (&mut self.buffer, self.settings.disable_spend_logs) {
                (None, false) => self.backend.write_spend(&batch).map(|_| ()),
                (None, true) => self.backend.write_spend_totals(&batch).map(|_| ()),
                // What the rows add goes through Redis; it counts as written once pushed.
                (Some(buffer), false) => self
                    .backend
                    .write_spend_logs(&batch)
                    .map(|inc| buffer.hold(&inc)),
                (Some(buffer), true) => {
                    buffer.hold(&SpendIncrements::of(&batch));
                    Ok(())
                }
            };
            match written {
                Ok(()) => {
                    self.pending.drain(..n);
                    if self.buffer.is_none() {
                        for row in &batch {
                            for owner in owners(row) {
                                *self.written.entry(owner).or_insert(0.0) += row.spend;
                            }
                        }
                    }
                    self.stats
                        .rows_written
                        .fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e @ StoreError::Unavailable(_)) => {
                    // Kept, in order, for the next write.
                    self.stats.write_failures.fetch_add(1, Ordering::Relaxed);
                    return Err(e);
                }
                Err(e) => {
                    // Rows the database refuses for what they hold would block every later
                    // row: they are dropped, counted and said.
                    self.stats.write_failures.fetch_add(1, Ordering::Relaxed);
                    self.stats
                        .rows_dropped
                        .fetch_add(n as u64, Ordering::Relaxed);
                    tracing::error!("spend rows refused by the database, {n} dropped: {e}");
                    self.pending.drain(..n);
                    for row in &batch {
                        self.forget(row);
                    }
                }
            }
        }
        // A burst's queue gives its memory back once written.
        self.pending.shrink_to(EARLY_FLUSH_ROWS);
        Ok(())
    }

    /// `use_redis_transaction_buffer`'s turn: sends this instance's increments, then, if it
    /// holds the lock, writes every instance's.
    fn buffer_turn(&mut self) {
        let Some(buffer) = self.buffer.as_mut() else {
            return;
        };
        match buffer.push() {
            Ok(pushed) => {
                for kind in EntityKind::ALL {
                    for (id, spend) in pushed.of_kind(kind) {
                        let owner = match kind {
                            EntityKind::Key => auth::parse_hex(id).map(Owner::Key),
                            EntityKind::User => Some(Owner::User(id.to_owned())),
                            EntityKind::Team => Some(Owner::Team(id.to_owned())),
                        };
                        if let Some(owner) = owner {
                            *self.written.entry(owner).or_insert(0.0) += spend;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!("sending spend increments to Redis: {e}; kept for the next turn")
            }
        }
        match buffer.drain(self.backend.as_mut()) {
            Ok(Some(drained)) if drained.elements > 0 => {
                tracing::debug!(?drained, "wrote the Redis spend buffer");
            }
            Ok(_) => {}
            Err(e) => tracing::debug!("the Redis spend buffer: {e}"),
        }
    }

    /// The `LiteLLM_SpendLogs` row of a request, as LiteLLM fills it.
    fn row(&self, e: &SpendEvent) -> SpendLog {
        let gw = &self.gateway;
        let dep = e.deployment.and_then(|d| gw.deployments.get(d));
        let group = gw.groups.get(e.group).map_or("", |g| g.name.as_str());
        let key = e.key.as_ref().map(|k| &k.record);
        let (token, key_alias, user_id, team_id) = match (&e.custom, key) {
            (Some(c), _) => (
                c.token.as_str(),
                c.key_alias.as_deref(),
                c.user_id.clone(),
                c.team_id.clone(),
            ),
            (None, Some(k)) => (
                k.token.as_str(),
                k.key_alias.as_deref(),
                k.user_id.clone(),
                k.team_id.clone(),
            ),
            (None, None) => ("litellm_proxy_master_key", None, None, None),
        };
        let status = if e.success { "success" } else { "failure" };
        let call_id = e.call_id.as_str();
        let tokens = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let duration = e.end.duration_since(e.start).unwrap_or_default();
        SpendLog {
            request_id: call_id.to_owned(),
            call_type: e.call_type.to_owned(),
            api_key: token.to_owned(),
            spend: e.cost,
            prompt_tokens: tokens(e.usage.prompt_tokens),
            completion_tokens: tokens(e.usage.completion_tokens),
            total_tokens: tokens(e.usage.total_tokens),
            start_time: e.start.into(),
            end_time: e.end.into(),
            completion_start_time: e.first_token.map(Into::into),
            model: dep
                .and_then(|d| crate::metrics::deployment_model(d).1)
                .unwrap_or("")
                .to_owned(),
            model_id: dep.map_or_else(String::new, |d| d.id.clone()),
            model_group: group.to_owned(),
            custom_llm_provider: e.provider.to_owned(),
            api_base: dep.map_or("", crate::metrics::api_base).to_owned(),
            user: user_id.clone().unwrap_or_default(),
            metadata: serde_json::json!({
                "user_api_key": token,
                "user_api_key_alias": key_alias,
                "user_api_key_user_id": user_id,
                "user_api_key_team_id": team_id,
                "status": status,
                "litellm_call_id": call_id,
            }),
            team_id,
            end_user: None,
            request_tags: serde_json::json!([]),
            status: status.to_owned(),
            request_duration_ms: Some(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)),
            litellm_call_id: call_id.to_owned(),
        }
    }

    fn take(&mut self, row: SpendEvent) {
        if self.pending.len() >= self.settings.spend_queue_rows {
            if let Some(dropped) = self.pending.pop_front() {
                let row = self.row(&dropped);
                self.forget(&row);
            }
            self.stats.rows_dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.pending.push_back(row);
    }

    /// A row that will never be written: its spend counts as written, so the budgets that
    /// saw it recorded stop counting it at the next read (the database never will).
    fn forget(&mut self, row: &SpendLog) {
        for owner in owners(row) {
            *self.written.entry(owner).or_insert(0.0) += row.spend;
        }
    }

    /// Resets budgets that are due; true when any was.
    fn reset_budgets(&mut self) -> Result<bool, StoreError> {
        let now = chrono::Utc::now();
        let mut any = false;
        for table in [Table::Key, Table::User, Table::Team] {
            for (id, duration) in self.backend.due_budget_resets(table, now)? {
                let Ok(next) = corelane_store::duration::budget_reset_at(
                    &duration,
                    now.timestamp().max(0) as u64,
                ) else {
                    continue;
                };
                let Some(next) = chrono::DateTime::from_timestamp(next as i64, 0) else {
                    continue;
                };
                // A duration that never moves forward would reset the budget every pass.
                if next <= now {
                    continue;
                }
                self.backend.reset_budget(table, &id, next)?;
                any = true;
            }
        }
        Ok(any)
    }
}

/// The key, user and team a row's spend adds to.
fn owners(row: &SpendLog) -> impl Iterator<Item = Owner> + '_ {
    let key = auth::parse_hex(&row.api_key).map(Owner::Key);
    let user = Some(row.user.as_str())
        .filter(|u| !u.is_empty())
        .map(|u| Owner::User(u.to_owned()));
    let team = row
        .team_id
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| Owner::Team(t.to_owned()));
    key.into_iter().chain(user).chain(team)
}

fn run(mut ctx: Ctx, jobs: &flume::Receiver<Command>, spend: &flume::Receiver<SpendEvent>) {
    let ttl = ctx.settings.cache_ttl;
    let batch_every = ctx.settings.batch_write;
    let mut next_reload = Instant::now() + ttl;
    let mut next_flush = Instant::now() + batch_every;
    let mut next_turn = next_flush;
    let mut next_reset = Instant::now();
    let mut backoff = FIRST_BACKOFF;
    let mut said_down = false;
    loop {
        let due = next_reload.min(next_flush).min(next_reset);
        // Woken at least every DRAIN to move rows off the cores' channel.
        let wait = due.saturating_duration_since(Instant::now()).min(DRAIN);
        let stop = match jobs.recv_timeout(wait) {
            Ok(Command::Job(job)) => {
                job(&mut ctx);
                None
            }
            Ok(Command::Stop(done)) => Some(done),
            Err(flume::RecvTimeoutError::Timeout) => None,
            Err(flume::RecvTimeoutError::Disconnected) => return,
        };
        while let Ok(row) = spend.try_recv() {
            ctx.take(row);
        }
        ctx.stats
            .rows_pending
            .store(ctx.pending.len() as u64, Ordering::Relaxed);
        if let Some(done) = stop {
            let deadline = Instant::now() + FINAL_FLUSH;
            while !ctx.pending.is_empty() && Instant::now() < deadline {
                if ctx.flush().is_err() {
                    std::thread::sleep(FIRST_BACKOFF);
                }
            }
            if !ctx.pending.is_empty() {
                tracing::error!(
                    "shutdown: {} spend rows could not be written",
                    ctx.pending.len()
                );
            }
            ctx.buffer_turn();
            let _ = done.send(());
            return;
        }
        let now = Instant::now();
        // LiteLLM writes its queue early once 100 rows wait; so does this, so rows under load
        // never pile up for the whole interval.
        if now >= next_flush || (ctx.pending.len() >= EARLY_FLUSH_ROWS && backoff == FIRST_BACKOFF)
        {
            let ok = ctx.flush().is_ok();
            ctx.stats.db_up.store(ok, Ordering::Relaxed);
            if ok {
                if said_down {
                    tracing::info!("database back: spend rows written again");
                    said_down = false;
                }
                backoff = FIRST_BACKOFF;
                next_flush = now + batch_every;
            } else {
                if !said_down {
                    tracing::warn!(
                        "database unavailable: holding spend rows (up to {}) until it is back",
                        ctx.settings.spend_queue_rows
                    );
                    said_down = true;
                }
                next_flush = now + backoff;
                backoff = (backoff * 2).min(batch_every);
            }
            ctx.stats
                .rows_pending
                .store(ctx.pending.len() as u64, Ordering::Relaxed);
        }
        // Once per interval whatever the database does: the increments held come from rows
        // already written, and the lock's holder puts back what it cannot write.
        if now >= next_turn {
            next_turn = now + batch_every;
            ctx.buffer_turn();
        }
        if now >= next_reset {
            next_reset = now + BUDGET_RESET_EVERY.min(ttl);
            // Spend recorded before a reset belongs to the window that ends.
            let _ = ctx.flush();
            match ctx.reset_budgets() {
                Ok(true) => next_reload = now,
                Ok(false) => {}
                Err(e) => tracing::debug!("budget reset: {e}"),
            }
        }
        if now >= next_reload {
            next_reload = now + ttl;
            if let Err(e) = ctx.reload() {
                tracing::debug!("reading the keys again: {e}");
            }
        }
    }
}
