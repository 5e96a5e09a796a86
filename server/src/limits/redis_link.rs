//! The limiter across instances: LiteLLM's rate-limit keys in one Redis, reached by one
//! thread (the sync `redis` client, never on a core's loop).
//!
//! Keys, as LiteLLM 1.108.7 names them (`create_rate_limit_keys`), so LiteLLM and corelane
//! instances on one Redis count together: `{<descriptor>:<value>}:window` (the window's
//! start, unix seconds), `…:requests`, `…:tokens`, and the ZSET `…:max_parallel_requests`
//! of slot ids scored by acquire time, each slot dropped after [`SLOT_TTL_SECS`].
//!
//! One Lua script admits a request over all its descriptors at once: LiteLLM's three
//! steps (`BATCH_RATE_LIMITER_SCRIPT`, `PARALLEL_ACQUIRE_SCRIPT`,
//! `CHECK_AND_INCREMENT_BY_N_SCRIPT`) with their checks, in their order, atomically.
//! A core sends the admission over a bounded queue and awaits the answer at most
//! [`REDIS_WAIT`]; the thread sends whatever is queued in one pipeline. Releases (the slot's
//! `ZREM`, the window-guarded token correction) are sent and not awaited.
//!
//! When Redis is down, the queue full or the answer late, the core decides in memory
//! (LiteLLM fails open), from the counters each admission through Redis left mirrored
//! there. An answer that comes after the core stopped waiting (or after its request went
//! away) is given back by the thread. What can still strand: a release lost to a full
//! queue, or a script Redis runs after the connection failed mid-pipeline (the thread then
//! frees the slot it may have taken; a token reservation lapses with its window); a slot
//! never freed lapses after its TTL, as in LiteLLM.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corelane_config::RedisSettings;
use redis::Value;

use super::{
    admit_in_memory, statuses, Admission, Descriptor, Held, LimitType, Limits, Refusal, Scope, Via,
    HALF, SLOT_TTL_SECS, WINDOW_SECS,
};

/// How long a core waits for Redis's answer before deciding in memory.
pub(super) const REDIS_WAIT: Duration = Duration::from_millis(200);
/// Jobs the queue holds: admissions use the first [`ADMIT_BACKLOG`], the rest is room for
/// releases, which must not be lost.
const QUEUE: usize = 65_536;
/// Admissions queued beyond this are decided in memory (Redis is not keeping up).
const ADMIT_BACKLOG: usize = 1024;
/// Jobs sent in one pipeline.
const MAX_BATCH: usize = 512;
/// Releases kept while Redis is down, sent when it is back.
const MAX_LATER: usize = 65_536;
/// Connect and I/O timeout of the thread's connection.
const IO_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the thread waits for a job before looking at `stop` again.
const IDLE: Duration = Duration::from_millis(100);
/// The wait before connecting again, doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// An admission's answer: not sent yet, sent, or no longer awaited by its core.
const PENDING: u8 = 0;
const DELIVERED: u8 = 1;
const ABANDONED: u8 = 2;

/// The admission script; its head says what it takes and answers.
const ADMIT_LUA: &str = include_str!("admit.lua");

/// The release script: frees the slot, corrects the tokens in their window only.
const RELEASE_LUA: &str = include_str!("release.lua");

/// A core's way to the thread.
#[derive(Debug)]
pub(super) struct RedisLink {
    tx: flume::Sender<Job>,
    connected: Arc<AtomicBool>,
    /// Makes this instance's slot ids unique among the instances.
    nonce: u64,
    seq: AtomicU64,
}

/// How an admission through Redis is released: its slot id and the way to the thread.
#[derive(Debug)]
pub(super) struct Release {
    tx: flume::Sender<Job>,
    slot: String,
}

#[derive(Debug)]
enum Job {
    Admit(AdmitJob),
    Release(ReleaseJob),
}

#[derive(Debug)]
struct AdmitJob {
    scopes: Vec<Wire>,
    estimate: u64,
    now: u64,
    slot: String,
    state: Arc<AtomicU8>,
    reply: flume::Sender<Reply>,
}

/// One descriptor as sent to the thread (the limits it enforces).
#[derive(Debug, Clone)]
struct Wire {
    descriptor: Descriptor,
    value: String,
    limits: Limits,
}

#[derive(Debug)]
struct ReleaseJob {
    slot: String,
    items: Vec<ReleaseItem>,
}

#[derive(Debug)]
struct ReleaseItem {
    descriptor: Descriptor,
    value: String,
    /// The window the tokens were reserved in, and the correction to apply there.
    tokens: Option<(u64, i64)>,
    slot: bool,
}

#[derive(Debug)]
enum Reply {
    Admitted(Grant),
    Refused {
        index: usize,
        kind: LimitType,
        used: u64,
        limit: u64,
    },
    Unavailable,
}

/// What Redis granted an admission, per descriptor in the request's order.
#[derive(Debug)]
struct Grant {
    scopes: Vec<Wire>,
    granted: Vec<Granted>,
    slot: String,
    estimate: u64,
}

#[derive(Debug, Clone, Copy)]
struct Granted {
    window: Option<u64>,
    requests: Option<u64>,
    tokens: Option<u64>,
    in_flight: Option<u64>,
}

/// A core awaiting an answer; dropped early (the request went away), it hands back
/// whatever was granted.
struct Waiting {
    rx: flume::Receiver<Reply>,
    state: Arc<AtomicU8>,
    tx: flume::Sender<Job>,
    done: bool,
}

/// The thread's connection with its scripts loaded.
struct Conn {
    conn: redis::Connection,
    admit: String,
    release: String,
}

impl RedisLink {
    /// Starts the thread when `settings` names a Redis.
    pub(super) fn start(
        settings: &RedisSettings,
        stop: Arc<AtomicBool>,
    ) -> std::io::Result<Option<RedisLink>> {
        let Some(url) = settings.connect_url() else {
            return Ok(None);
        };
        let client = match redis::Client::open(url.as_str()) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("rate limits redis: {e}; each instance counts rate limits alone");
                return Ok(None);
            }
        };
        let (tx, rx) = flume::bounded(QUEUE);
        let connected = Arc::new(AtomicBool::new(false));
        let flag = connected.clone();
        std::thread::Builder::new()
            .name("corelane-limits".into())
            .spawn(move || run(&client, &rx, &flag, &stop))?;
        Ok(Some(RedisLink {
            tx,
            connected,
            nonce: fastrand::u64(..),
            seq: AtomicU64::new(0),
        }))
    }

    pub(super) fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// [`super::Limiter::admit`] through Redis, in memory when Redis cannot answer.
    pub(super) async fn admit(
        &self,
        scopes: &[Scope<'_>],
        estimate: u64,
        now: u64,
    ) -> Result<Admission, Refusal> {
        let estimate = estimate.max(1);
        if !self.connected() || self.tx.len() >= ADMIT_BACKLOG {
            return admit_in_memory(scopes, estimate, now);
        }
        let slot = if scopes.iter().any(|s| s.parallel_limit().is_some()) {
            let seq = self.seq.fetch_add(1, Ordering::Relaxed);
            format!("{:016x}{seq:016x}", self.nonce)
        } else {
            String::new()
        };
        let (reply, rx) = flume::bounded(1);
        let state = Arc::new(AtomicU8::new(PENDING));
        let job = AdmitJob {
            scopes: scopes.iter().map(Wire::of).collect(),
            estimate,
            now: now.min(HALF),
            slot,
            state: state.clone(),
            reply,
        };
        if self.tx.try_send(Job::Admit(job)).is_err() {
            return admit_in_memory(scopes, estimate, now);
        }
        let mut waiting = Waiting {
            rx,
            state,
            tx: self.tx.clone(),
            done: false,
        };
        match waiting.reply().await {
            Reply::Admitted(grant) if grant.granted.len() == scopes.len() => {
                Ok(admission(scopes, grant, self.tx.clone()))
            }
            // Not this request's shape (cannot happen: `read_admit` checks it): given back.
            Reply::Admitted(grant) => {
                let _ = self.tx.try_send(Job::Release(grant.undo()));
                admit_in_memory(scopes, estimate, now)
            }
            Reply::Refused {
                index,
                kind,
                used,
                limit,
            } => match scopes.get(index) {
                Some(s) => Err(Refusal::new(s, kind, limit, used, now.min(HALF))),
                None => admit_in_memory(scopes, estimate, now),
            },
            Reply::Unavailable => admit_in_memory(scopes, estimate, now),
        }
    }
}

/// The admission Redis granted, its state mirrored into the memory counters.
fn admission(scopes: &[Scope<'_>], grant: Grant, tx: flume::Sender<Job>) -> Admission {
    let Grant {
        scopes: wires,
        granted,
        slot,
        estimate,
    } = grant;
    let mut held = Vec::with_capacity(scopes.len());
    for ((s, wire), g) in scopes.iter().zip(wires).zip(&granted) {
        if let Some(window) = g.window {
            s.counters.mirror(window, g.requests.unwrap_or(0), g.tokens);
        }
        if g.in_flight.is_some() {
            s.counters.add_slot();
        }
        let mut h = Held::new(s, g.window.zip(g.requests), wire.value);
        h.slot = g.in_flight;
        h.reserved = g.window.zip(g.tokens);
        held.push(h);
    }
    let mut admission = Admission::new(held, estimate, Via::Redis(Release { tx, slot }));
    admission.statuses = statuses(scopes, &admission.held);
    admission
}

impl Release {
    /// Sends the release of what `held` took, without waiting (a full queue loses it: the
    /// slot then frees itself after [`SLOT_TTL_SECS`]).
    pub(super) fn send(&mut self, held: Vec<Held>, delta: i64) {
        let items: Vec<ReleaseItem> = held
            .into_iter()
            .filter(|h| h.slot.is_some() || (h.reserved.is_some() && delta != 0))
            .map(|h| ReleaseItem {
                descriptor: h.descriptor,
                tokens: h.reserved.map(|(window, _)| (window, delta)),
                slot: h.slot.is_some(),
                value: h.value,
            })
            .collect();
        if items.is_empty() {
            return;
        }
        let job = ReleaseJob {
            slot: std::mem::take(&mut self.slot),
            items,
        };
        if self.tx.try_send(Job::Release(job)).is_err() {
            tracing::debug!("rate limits redis: queue full, a release is lost");
        }
    }
}

impl Wire {
    fn of(scope: &Scope<'_>) -> Wire {
        Wire {
            descriptor: scope.descriptor,
            value: scope.value.to_owned(),
            limits: Limits {
                max_parallel: scope.parallel_limit(),
                ..scope.limits
            },
        }
    }
}

impl AdmitJob {
    /// The release of the slots this admission may have been granted.
    fn slot_release(&self) -> Option<ReleaseJob> {
        let items: Vec<ReleaseItem> = self
            .scopes
            .iter()
            .filter(|w| w.limits.max_parallel.is_some())
            .map(|w| ReleaseItem {
                descriptor: w.descriptor,
                value: w.value.clone(),
                tokens: None,
                slot: true,
            })
            .collect();
        (!items.is_empty()).then(|| ReleaseJob {
            slot: self.slot.clone(),
            items,
        })
    }
}

impl Grant {
    /// The release that takes back everything granted.
    fn undo(&self) -> ReleaseJob {
        let refund = -i64::try_from(self.estimate).unwrap_or(i64::MAX);
        ReleaseJob {
            slot: self.slot.clone(),
            items: self
                .scopes
                .iter()
                .zip(&self.granted)
                .map(|(w, g)| ReleaseItem {
                    descriptor: w.descriptor,
                    value: w.value.clone(),
                    tokens: g.window.filter(|_| g.tokens.is_some()).map(|w| (w, refund)),
                    slot: g.in_flight.is_some(),
                })
                .collect(),
        }
    }
}

impl ReleaseJob {
    /// What may be sent again after a pipeline failed midway: freeing a slot twice is
    /// harmless, correcting tokens twice is not.
    fn slots_only(mut self) -> Option<ReleaseJob> {
        self.items.retain(|i| i.slot);
        for item in &mut self.items {
            item.tokens = None;
        }
        (!self.items.is_empty()).then_some(self)
    }
}

impl Waiting {
    async fn reply(&mut self) -> Reply {
        let reply = match monoio::time::timeout(REDIS_WAIT, self.rx.recv_async()).await {
            Ok(Ok(reply)) => reply,
            // The thread is gone.
            Ok(Err(_)) => Reply::Unavailable,
            Err(_) => match self.state.swap(ABANDONED, Ordering::AcqRel) {
                // Sent just in time: it is in the channel.
                DELIVERED => self.rx.try_recv().unwrap_or(Reply::Unavailable),
                // Not sent yet: the thread gives back what it grants.
                _ => Reply::Unavailable,
            },
        };
        self.done = true;
        reply
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.done || self.state.swap(ABANDONED, Ordering::AcqRel) != DELIVERED {
            return;
        }
        if let Ok(Reply::Admitted(grant)) = self.rx.try_recv() {
            let _ = self.tx.try_send(Job::Release(grant.undo()));
        }
    }
}

/// The thread: connects (again, with backoff, while Redis is down), then sends what the
/// cores queued, a pipeline at a time. While it is not connected, admissions are answered
/// `Unavailable` and releases kept for later.
fn run(
    client: &redis::Client,
    rx: &flume::Receiver<Job>,
    connected: &AtomicBool,
    stop: &AtomicBool,
) {
    let mut link: Option<Conn> = None;
    let mut later: Vec<ReleaseJob> = Vec::new();
    let mut backoff = FIRST_BACKOFF;
    let mut retry_at = Instant::now();
    let mut said = false;
    while !stop.load(Ordering::Relaxed) {
        if link.is_none() && Instant::now() >= retry_at {
            match Conn::open(client) {
                Ok(c) => {
                    if said {
                        tracing::info!("rate limits redis: connected again");
                    }
                    said = false;
                    backoff = FIRST_BACKOFF;
                    link = Some(c);
                    connected.store(true, Ordering::Release);
                }
                Err(e) => {
                    if !said {
                        tracing::warn!("rate limits redis: {e}; each instance counts rate limits in memory until it is back");
                        said = true;
                    }
                    retry_at = Instant::now() + backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        let wait = match &link {
            Some(_) if !later.is_empty() => Duration::ZERO,
            Some(_) => IDLE,
            None => retry_at.saturating_duration_since(Instant::now()).min(IDLE),
        };
        let mut batch = Vec::new();
        match rx.recv_timeout(wait) {
            Ok(job) => batch.push(job),
            Err(flume::RecvTimeoutError::Timeout) => {}
            Err(flume::RecvTimeoutError::Disconnected) => break,
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match link.as_mut() {
            Some(c) => {
                if let Err(e) = c.exchange(batch, &mut later) {
                    if !said {
                        tracing::warn!(
                            "rate limits redis: {e}; counting in memory while reconnecting"
                        );
                        said = true;
                    }
                    link = None;
                    connected.store(false, Ordering::Release);
                    retry_at = Instant::now();
                }
            }
            None => {
                for job in batch {
                    match job {
                        Job::Admit(a) => answer(&a, Reply::Unavailable, &mut later),
                        Job::Release(r) => keep(&mut later, r),
                    }
                }
            }
        }
    }
    connected.store(false, Ordering::Release);
}

/// Answers a core; an admission it no longer awaits is given back.
fn answer(job: &AdmitJob, reply: Reply, later: &mut Vec<ReleaseJob>) {
    let undo = match &reply {
        Reply::Admitted(grant) => Some(grant.undo()),
        _ => None,
    };
    let given_up = job.reply.try_send(reply).is_err()
        || job.state.swap(DELIVERED, Ordering::AcqRel) == ABANDONED;
    if let (true, Some(undo)) = (given_up, undo) {
        keep(later, undo);
    }
}

fn keep(later: &mut Vec<ReleaseJob>, job: ReleaseJob) {
    if later.len() < MAX_LATER {
        later.push(job);
    }
}

impl Conn {
    fn open(client: &redis::Client) -> redis::RedisResult<Conn> {
        let mut conn = client.get_connection_with_timeout(IO_TIMEOUT)?;
        conn.set_read_timeout(Some(IO_TIMEOUT))?;
        conn.set_write_timeout(Some(IO_TIMEOUT))?;
        let admit = load(&mut conn, ADMIT_LUA)?;
        let release = load(&mut conn, RELEASE_LUA)?;
        Ok(Conn {
            conn,
            admit,
            release,
        })
    }

    /// Sends one batch and the releases kept for later in one pipeline, and answers the
    /// admissions. An error means the connection is gone: admissions are answered
    /// `Unavailable`, slots to free are kept for later.
    fn exchange(&mut self, batch: Vec<Job>, later: &mut Vec<ReleaseJob>) -> redis::RedisResult<()> {
        let mut admits = Vec::new();
        let mut releases = std::mem::take(later);
        for job in batch {
            match job {
                Job::Admit(a) => admits.push(a),
                Job::Release(r) => releases.push(r),
            }
        }
        if admits.is_empty() && releases.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for a in &admits {
            pipe.add_command(admit_command(&self.admit, a));
        }
        for r in &releases {
            pipe.add_command(release_command(&self.release, r));
        }
        let values: Vec<Value> = match pipe.query(&mut self.conn) {
            Ok(values) => values,
            Err(e) => {
                // Redis may still run what it was sent: a slot it grants then is freed
                // (a slot id is unique, so freeing one never taken is harmless); a token
                // reservation lapses with its window.
                for a in &admits {
                    answer(a, Reply::Unavailable, later);
                    if let Some(release) = a.slot_release() {
                        keep(later, release);
                    }
                }
                for r in releases.into_iter().filter_map(ReleaseJob::slots_only) {
                    keep(later, r);
                }
                return Err(e);
            }
        };
        let mut values = values.into_iter();
        let mut reload = false;
        for mut a in admits {
            let reply = match values.next() {
                Some(Value::ServerError(e)) => {
                    reload |= e.code() == "NOSCRIPT";
                    tracing::debug!("rate limits redis: {}", e.code());
                    // A script that failed midway keeps what it wrote: free its slot.
                    if let Some(release) = a.slot_release() {
                        keep(later, release);
                    }
                    Reply::Unavailable
                }
                Some(value) => read_admit(&value, &mut a),
                None => Reply::Unavailable,
            };
            answer(&a, reply, later);
        }
        for r in releases {
            if let Some(Value::ServerError(e)) = values.next() {
                if e.code() == "NOSCRIPT" {
                    reload = true;
                    keep(later, r);
                }
            }
        }
        if reload {
            self.admit = load(&mut self.conn, ADMIT_LUA)?;
            self.release = load(&mut self.conn, RELEASE_LUA)?;
        }
        Ok(())
    }
}

fn load(conn: &mut redis::Connection, script: &str) -> redis::RedisResult<String> {
    redis::cmd("SCRIPT").arg("LOAD").arg(script).query(conn)
}

/// LiteLLM's key of a descriptor's counter: `{<descriptor>:<value>}:<suffix>`.
fn key(descriptor: Descriptor, value: &str, suffix: &str) -> String {
    format!("{{{}:{value}}}:{suffix}", descriptor.as_str())
}

/// A limit as the script reads it: -1 for none.
fn limit_arg(limit: Option<u64>) -> i64 {
    limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX))
}

fn admit_command(sha: &str, job: &AdmitJob) -> redis::Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(sha).arg(job.scopes.len() * 4);
    for w in &job.scopes {
        for suffix in ["window", "requests", "tokens", "max_parallel_requests"] {
            cmd.arg(key(w.descriptor, &w.value, suffix));
        }
    }
    cmd.arg(job.now)
        .arg(WINDOW_SECS)
        .arg(SLOT_TTL_SECS)
        .arg(&job.slot)
        .arg(job.estimate);
    for w in &job.scopes {
        cmd.arg(limit_arg(w.limits.rpm))
            .arg(limit_arg(w.limits.tpm))
            .arg(limit_arg(w.limits.max_parallel.map(u64::from)));
    }
    cmd
}

fn release_command(sha: &str, job: &ReleaseJob) -> redis::Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(sha).arg(job.items.len() * 3);
    for i in &job.items {
        for suffix in ["window", "tokens", "max_parallel_requests"] {
            cmd.arg(key(i.descriptor, &i.value, suffix));
        }
    }
    cmd.arg(&job.slot).arg(WINDOW_SECS);
    for i in &job.items {
        let (window, delta) = i.tokens.unwrap_or((0, 0));
        cmd.arg(window).arg(delta).arg(u8::from(i.slot));
    }
    cmd
}

/// Reads the admission script's answer (see [`ADMIT_LUA`]); anything else is
/// `Unavailable`.
fn read_admit(value: &Value, job: &mut AdmitJob) -> Reply {
    let Value::Array(items) = value else {
        return Reply::Unavailable;
    };
    let ints: Option<Vec<i64>> = items
        .iter()
        .map(|v| match v {
            Value::Int(i) => Some(*i),
            _ => None,
        })
        .collect();
    let Some(ints) = ints else {
        return Reply::Unavailable;
    };
    let count = |i: i64| u64::try_from(i).ok();
    match ints.as_slice() {
        [0, rest @ ..] if rest.len() == job.scopes.len() * 4 => Reply::Admitted(Grant {
            scopes: std::mem::take(&mut job.scopes),
            // Four numbers a descriptor, as the length check above ensures.
            granted: rest
                .chunks_exact(4)
                .map(|c| Granted {
                    window: count(c[0]),
                    requests: count(c[1]),
                    tokens: count(c[2]),
                    in_flight: count(c[3]),
                })
                .collect(),
            slot: std::mem::take(&mut job.slot),
            estimate: job.estimate,
        }),
        &[1, index, kind, used, limit] => {
            let kind = match kind {
                1 => LimitType::Requests,
                2 => LimitType::Tokens,
                3 => LimitType::MaxParallelRequests,
                _ => return Reply::Unavailable,
            };
            match usize::try_from(index - 1) {
                Ok(index) => Reply::Refused {
                    index,
                    kind,
                    used: count(used).unwrap_or(0),
                    limit: count(limit).unwrap_or(0),
                },
                Err(_) => Reply::Unavailable,
            }
        }
        _ => Reply::Unavailable,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::{Counters, Limiter};
    use super::*;

    /// 2023-11-14 22:13:20 UTC.
    const T0: u64 = 1_700_000_000;

    /// A real redis-server (testkit's), with what these tests read of it.
    struct TestRedis(corelane_testkit::redis::RedisServer);

    impl TestRedis {
        fn start() -> TestRedis {
            TestRedis(corelane_testkit::redis::RedisServer::start())
        }

        fn up(&mut self) {
            self.0.up();
        }

        fn down(&mut self) {
            self.0.down();
        }

        fn settings(&self) -> RedisSettings {
            RedisSettings {
                url: Some(self.0.url()),
                ..RedisSettings::default()
            }
        }

        fn conn(&self) -> redis::Connection {
            redis::Client::open(self.0.url())
                .unwrap()
                .get_connection()
                .unwrap()
        }

        fn get(&self, key: &str) -> Option<String> {
            redis::cmd("GET").arg(key).query(&mut self.conn()).unwrap()
        }

        fn zcard(&self, key: &str) -> u64 {
            redis::cmd("ZCARD")
                .arg(key)
                .query(&mut self.conn())
                .unwrap()
        }
    }

    /// Whether `cond` holds within 15 s.
    fn until(mut cond: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// A limiter on `redis`, as one gateway instance would start it.
    fn instance(redis: &TestRedis) -> (Limiter, Arc<AtomicBool>) {
        let stop = Arc::new(AtomicBool::new(false));
        let limiter = Limiter::start(&redis.settings(), stop.clone()).unwrap();
        assert!(until(|| limiter.redis_connected()), "limiter connects");
        (limiter, stop)
    }

    fn key_scope<'a>(value: &'a str, limits: Limits, counters: &'a Arc<Counters>) -> Scope<'a> {
        Scope {
            descriptor: Descriptor::ApiKey,
            value,
            limits,
            counters,
        }
    }

    #[test]
    fn two_instances_admit_exactly_rpm_together_in_litellm_keys() {
        let redis = TestRedis::start();
        let (a, stop_a) = instance(&redis);
        let (b, stop_b) = instance(&redis);
        let limits = Limits {
            rpm: Some(30),
            tpm: Some(10_000),
            max_parallel: Some(100),
        };
        // Two instances, each its own memory counters, hammering at once.
        let threads: Vec<_> = [a.clone(), b.clone()]
            .into_iter()
            .map(|limiter| {
                std::thread::spawn(move || {
                    let counters = Counters::new();
                    block_on(async {
                        let s = [key_scope("abc123", limits, &counters)];
                        let mut held = Vec::new();
                        let mut refused = 0;
                        for _ in 0..40 {
                            match limiter.admit(&s, 10, T0).await {
                                Ok(admission) => {
                                    assert!(admission.via_redis());
                                    held.push(admission);
                                }
                                Err(r) => {
                                    assert_eq!(r.kind, LimitType::Requests);
                                    refused += 1;
                                }
                            }
                        }
                        assert_eq!(held.len() + refused, 40);
                        held
                    })
                })
            })
            .collect();
        let held: Vec<Admission> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        assert_eq!(held.len(), 30);
        let p = "{api_key:abc123}";
        assert_eq!(redis.get(&format!("{p}:window")), Some(T0.to_string()));
        assert_eq!(redis.get(&format!("{p}:requests")).as_deref(), Some("80"));
        assert_eq!(redis.get(&format!("{p}:tokens")).as_deref(), Some("300"));
        assert_eq!(redis.zcard(&format!("{p}:max_parallel_requests")), 30);
        // Finished with 4 tokens each: slots freed, reservations corrected (fire and forget).
        for admission in held {
            admission.finish(4);
        }
        assert!(until(
            || redis.zcard(&format!("{p}:max_parallel_requests")) == 0
        ));
        assert!(until(
            || redis.get(&format!("{p}:tokens")).as_deref() == Some("120")
        ));
        // The next window opens 60 s after the first request.
        let counters = Counters::new();
        let s = [key_scope("abc123", limits, &counters)];
        assert!(block_on(b.admit(&s, 10, T0 + 59)).is_err());
        let next = block_on(b.admit(&s, 10, T0 + 60)).unwrap();
        assert_eq!(redis.get(&format!("{p}:requests")).as_deref(), Some("1"));
        assert_eq!(redis.get(&format!("{p}:tokens")).as_deref(), Some("10"));
        assert_eq!(next.statuses()[0].remaining, 29);
        // Mirrored into this instance's memory counters, for metrics and the fallback.
        assert_eq!(counters.remaining(&limits, T0 + 60).requests, Some(29));
        drop(next);
        stop_a.store(true, Ordering::Relaxed);
        stop_b.store(true, Ordering::Relaxed);
    }

    #[test]
    fn slots_and_tokens_are_shared_and_refused_as_litellm() {
        let redis = TestRedis::start();
        let (a, _stop_a) = instance(&redis);
        let (b, _stop_b) = instance(&redis);
        let (ca, cb) = (Counters::new(), Counters::new());
        let limits = Limits {
            rpm: None,
            tpm: Some(100),
            max_parallel: Some(1),
        };
        block_on(async {
            let held = a
                .admit(&[key_scope("k", limits, &ca)], 60, T0)
                .await
                .unwrap();
            let r = b
                .admit(&[key_scope("k", limits, &cb)], 10, T0)
                .await
                .unwrap_err();
            assert_eq!(
                r.message(),
                "Rate limit exceeded for api_key: k. Limit type: max_parallel_requests. \
                 Current limit: 1, Remaining: 0. Limit resets at: 2023-11-14 22:14:20 UTC"
            );
            drop(held);
        });
        // The slot and the 60 tokens come back through Redis.
        let p = "{api_key:k}";
        assert!(until(
            || redis.zcard(&format!("{p}:max_parallel_requests")) == 0
        ));
        assert!(until(
            || redis.get(&format!("{p}:tokens")).as_deref() == Some("0")
        ));
        block_on(async {
            let first = b
                .admit(&[key_scope("k", limits, &cb)], 60, T0)
                .await
                .unwrap();
            first.finish(90);
            assert!(until(
                || redis.get(&format!("{p}:tokens")).as_deref() == Some("90")
            ));
            let r = a
                .admit(&[key_scope("k", limits, &ca)], 20, T0 + 1)
                .await
                .unwrap_err();
            assert_eq!((r.kind, r.limit, r.remaining), (LimitType::Tokens, 100, 10));
            // A refusal on tokens leaves no slot taken.
            assert_eq!(redis.zcard(&format!("{p}:max_parallel_requests")), 0);
        });
        // A user descriptor: no parallel limit enforced, its own keys.
        let cu = Counters::new();
        let user = Scope {
            descriptor: Descriptor::User,
            value: "u-1",
            limits: Limits {
                rpm: Some(5),
                tpm: None,
                max_parallel: Some(0),
            },
            counters: &cu,
        };
        let admitted = block_on(a.admit(&[user], 1, T0)).unwrap();
        assert!(admitted.via_redis());
        assert_eq!(redis.get("{user:u-1}:requests").as_deref(), Some("1"));
        assert_eq!(redis.zcard("{user:u-1}:max_parallel_requests"), 0);
    }

    #[test]
    fn redis_down_fails_open_to_memory_then_recovers() {
        let mut redis = TestRedis::start();
        let (limiter, _stop) = instance(&redis);
        let counters = Counters::new();
        let limits = Limits {
            rpm: Some(3),
            ..Limits::default()
        };
        let s = [key_scope("down", limits, &counters)];
        for _ in 0..2 {
            assert!(block_on(limiter.admit(&s, 1, T0)).unwrap().via_redis());
        }
        redis.down();
        // Memory goes on from what Redis last said: one more passes, then the limit holds.
        let started = Instant::now();
        let third = block_on(limiter.admit(&s, 1, T0)).unwrap();
        assert!(!third.via_redis());
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(until(|| !limiter.redis_connected()));
        let r = block_on(limiter.admit(&s, 1, T0)).unwrap_err();
        assert_eq!((r.kind, r.remaining), (LimitType::Requests, 0));
        redis.up();
        assert!(until(|| limiter.redis_connected()), "reconnects");
        // The new Redis is empty: its window opens with this request.
        let back = block_on(limiter.admit(&s, 1, T0 + 1)).unwrap();
        assert!(back.via_redis());
        assert_eq!(redis.get("{api_key:down}:requests").as_deref(), Some("1"));
    }

    #[test]
    fn a_late_answer_is_given_back() {
        let redis = TestRedis::start();
        let (limiter, _stop) = instance(&redis);
        let counters = Counters::new();
        let limits = Limits {
            rpm: Some(100),
            tpm: Some(1000),
            max_parallel: Some(1),
        };
        let s = [key_scope("slow", limits, &counters)];
        // Redis stalls longer than a core waits.
        let sleeper = {
            let mut conn = redis.conn();
            std::thread::spawn(move || {
                let _: redis::RedisResult<()> =
                    redis::cmd("DEBUG").arg("SLEEP").arg("0.8").query(&mut conn);
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        let admitted = block_on(limiter.admit(&s, 50, T0)).unwrap();
        assert!(!admitted.via_redis(), "decided in memory");
        sleeper.join().unwrap();
        // Redis did admit it afterwards; the thread took the slot and the tokens back.
        let p = "{api_key:slow}";
        assert!(until(
            || redis.get(&format!("{p}:requests")).as_deref() == Some("1")
        ));
        assert!(until(
            || redis.get(&format!("{p}:tokens")).as_deref() == Some("0")
        ));
        assert_eq!(redis.zcard(&format!("{p}:max_parallel_requests")), 0);
        drop(admitted);
        assert_eq!(counters.remaining(&limits, T0).in_flight, 0);
    }
}
