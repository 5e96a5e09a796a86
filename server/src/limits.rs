//! Rate limits per virtual key, user and team: LiteLLM 1.108.7's v3 limiter
//! (`proxy/hooks/parallel_request_limiter_v3.py`), counted in atomics every core shares, or in
//! Redis when several instances share one ([`redis_link`]).
//!
//! LiteLLM's semantics, kept here:
//! - a request is counted against *descriptors*: `api_key` (the key's sha256 hex), `user`
//!   (user id), `team` (team id), each with its own rpm and tpm; `max_parallel_requests` is
//!   enforced for `api_key` only (`create_rate_limit_descriptors`);
//! - windows are fixed, not sliding: a descriptor's window opens at its first request and
//!   lasts [`WINDOW_SECS`]; the first request at `now - start >= 60` opens the next one and
//!   zeroes both its requests and tokens counters (the Lua at :211-248);
//! - every admission counts a request on each descriptor with a window, even one refused
//!   later, and is refused when a counter is then `> rpm`: exactly rpm pass per window
//!   (`is_cache_list_over_limit`);
//! - then a parallel-request slot (refused when `in_flight + 1 > limit`), then the token
//!   reservation: the estimate is reserved on every tpm descriptor or on none (refused when
//!   `current + estimate > tpm`), and corrected to the real usage when the request ends, in
//!   the window it was reserved in only (`WINDOW_GUARDED_TOKEN_INCREMENT_SCRIPT`); a request
//!   that fails gives its reservation back (`async_log_failure_event`);
//! - a refusal is a 429 with LiteLLM's message and `retry-after`, `rate_limit_type`,
//!   `reset_at` headers ([`Refusal`]); an admission answers `x-ratelimit-<descriptor>-…`
//!   headers ([`Admission::write_headers`]).
//!
//! Without Redis the windows are exact across cores: a window's start and its count share
//! one `AtomicU64`, updated by compare-and-swap. A refusal on one descriptor gives back what
//! the admission took on the others (a concurrent request may see that reservation for a
//! moment and be refused, never the reverse).
//!
//! Written by hand rather than with a rate-limiting crate: the windows, the 429 text and
//! the Redis keys must be LiteLLM's own, so LiteLLM and corelane instances can share a
//! Redis; what the crates offer (GCRA, sliding windows, token buckets) is none of these.

mod counters;
mod redis_link;

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use corelane_config::RedisSettings;

/// LiteLLM's window (`LITELLM_RATE_LIMIT_WINDOW_SIZE`, default 60 s); also the 429's
/// `retry-after`.
pub const WINDOW_SECS: u64 = 60;
/// How long a parallel-request slot lives in Redis (LiteLLM's
/// `PARALLEL_REQUEST_SLOT_TTL_SECONDS`): a slot an instance never released (it crashed)
/// frees itself after an hour.
pub const SLOT_TTL_SECS: u64 = 3600;
/// A window start or a count in half of a packed word: unix seconds fit until 2106, and a
/// window's count saturates at 4.29 billion (requests or tokens a minute).
const HALF: u64 = u32::MAX as u64;

/// What a request is counted against (LiteLLM's descriptor keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Descriptor {
    /// A virtual key, by the sha256 hex of the `sk-...` key.
    ApiKey,
    /// The key's user, by user id.
    User,
    /// The key's team, by team id.
    Team,
}

impl Descriptor {
    /// LiteLLM's name, in its Redis keys, headers and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Descriptor::ApiKey => "api_key",
            Descriptor::User => "user",
            Descriptor::Team => "team",
        }
    }
}

/// Which limit a status or a refusal is about (LiteLLM's `rate_limit_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitType {
    Requests,
    Tokens,
    MaxParallelRequests,
}

impl LimitType {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitType::Requests => "requests",
            LimitType::Tokens => "tokens",
            LimitType::MaxParallelRequests => "max_parallel_requests",
        }
    }
}

/// One descriptor's limits (`rpm_limit`, `tpm_limit`, `max_parallel_requests`); `None` is
/// no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub max_parallel: Option<u32>,
}

impl Limits {
    /// The limits as the store's rows hold them (`rpm_limit`, `tpm_limit`,
    /// `max_parallel_requests`; a negative value counts as 0).
    pub fn from_row(rpm: Option<i64>, tpm: Option<i64>, parallel: Option<i32>) -> Limits {
        Limits {
            rpm: rpm.map(|v| v.max(0) as u64),
            tpm: tpm.map(|v| v.max(0) as u64),
            max_parallel: parallel.map(|v| v.max(0) as u32),
        }
    }
}

/// One descriptor's counters, shared by every core (`Arc`), held wherever the descriptor's
/// record is cached. Each window word packs the window's start (unix seconds, high half)
/// and its count (low half), so opening a window and counting in it is one CAS.
#[derive(Debug, Default)]
pub struct Counters {
    requests: AtomicU64,
    tokens: AtomicU64,
    /// Requests of this instance in flight (slots taken, here or in Redis).
    parallel: AtomicU32,
}

/// One descriptor of one request: what [`Limiter::admit`] counts it against.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub descriptor: Descriptor,
    /// The key's hash, the user id or the team id.
    pub value: &'a str,
    pub limits: Limits,
    pub counters: &'a Arc<Counters>,
}

/// One limit's state after an admission, for the `x-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub descriptor: Descriptor,
    pub kind: LimitType,
    pub limit: u64,
    /// The limit less the counter after this request (in-flight requests for parallel).
    pub remaining: u64,
}

/// A 429: which descriptor and limit refused the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub descriptor: Descriptor,
    pub value: String,
    pub kind: LimitType,
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds LiteLLM names as the reset: now plus the window, not the window's end.
    pub reset_at: u64,
}

/// What is left of a descriptor's limits now, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub requests: Option<u64>,
    pub tokens: Option<u64>,
    /// This instance's requests in flight.
    pub in_flight: u32,
}

/// An admitted request's hold on its descriptors. It must live as long as the request
/// (in its `Exchange`, up to `finish`): [`Admission::finish`] with the real usage corrects
/// the token reservations; dropping it unfinished gives them back; either way it frees the
/// parallel slot. Neither blocks.
#[derive(Debug)]
pub struct Admission {
    held: Vec<Held>,
    statuses: Vec<Status>,
    /// The tokens reserved on each tpm descriptor.
    reserved: u64,
    via: Via,
}

/// Where the admission was decided, hence where it is released.
#[derive(Debug)]
enum Via {
    Memory,
    Redis(redis_link::Release),
}

/// What an admission took on one descriptor.
#[derive(Debug)]
struct Held {
    descriptor: Descriptor,
    counters: Arc<Counters>,
    /// The window it was counted in and the requests counter after it.
    counted: Option<(u64, u64)>,
    /// The requests in flight once its slot was taken.
    slot: Option<u64>,
    /// The window its tokens were reserved in and the tokens counter after it.
    reserved: Option<(u64, u64)>,
    /// The descriptor's value, kept for a Redis release only (empty otherwise).
    value: String,
}

/// Admits requests: in memory, or through Redis when the config names one. Cheap to
/// clone; each core keeps one.
#[derive(Debug, Clone, Default)]
pub struct Limiter {
    redis: Option<Arc<redis_link::RedisLink>>,
}

impl Limiter {
    /// A limiter for one instance: atomics only.
    pub fn in_memory() -> Limiter {
        Limiter::default()
    }

    /// A limiter on the Redis `settings` names (LiteLLM reads these counters' Redis from
    /// `litellm_settings.cache_params`), with its thread; in memory when it names none.
    /// The thread ends when `stop` is set or every clone is gone.
    pub fn start(settings: &RedisSettings, stop: Arc<AtomicBool>) -> std::io::Result<Limiter> {
        let redis = redis_link::RedisLink::start(settings, stop)?;
        Ok(Limiter {
            redis: redis.map(Arc::new),
        })
    }

    /// Whether admissions go to Redis now (false without Redis or while it is down).
    pub fn redis_connected(&self) -> bool {
        self.redis.as_ref().is_some_and(|r| r.connected())
    }

    /// Admits one request counted against `scopes`, reserving `estimate` tokens (at least
    /// 1, as LiteLLM) on those with a tpm; `now` is unix seconds. Through Redis when there
    /// is one, waiting at most [`redis_link::REDIS_WAIT`]; when Redis is down, slow or
    /// backed up, the same decision is made in memory for this admission (LiteLLM fails
    /// open; `general_settings.fail_closed_rate_limit_enforcement`, which answers 503
    /// instead, is not implemented).
    pub async fn admit(
        &self,
        scopes: &[Scope<'_>],
        estimate: u64,
        now: u64,
    ) -> Result<Admission, Refusal> {
        if !scopes.iter().any(Scope::is_limited) {
            return Ok(Admission::new(Vec::new(), 0, Via::Memory));
        }
        match &self.redis {
            Some(link) => link.admit(scopes, estimate, now).await,
            None => admit_in_memory(scopes, estimate, now),
        }
    }
}

/// Admits one request in memory (see [`Limiter::admit`]): the decision without Redis, and
/// the fallback when Redis cannot answer.
pub fn admit_in_memory(
    scopes: &[Scope<'_>],
    estimate: u64,
    now: u64,
) -> Result<Admission, Refusal> {
    let now = now.min(HALF);
    let estimate = estimate.max(1);
    let mut admission = Admission::new(Vec::with_capacity(scopes.len()), estimate, Via::Memory);
    // Every descriptor with a window counts the request, refused or not (LiteLLM's batch
    // script increments them all before checking).
    for s in scopes {
        let counted = s.limits.windowed().then(|| s.counters.count_request(now));
        admission.held.push(Held::new(s, counted, String::new()));
    }
    for (s, h) in scopes.iter().zip(&admission.held) {
        if let (Some(rpm), Some((_, count))) = (s.limits.rpm, h.counted) {
            if count > rpm {
                return Err(Refusal::new(s, LimitType::Requests, rpm, count, now));
            }
        }
    }
    // A refusal from here on drops `admission`, which gives back what it took.
    for (s, h) in scopes.iter().zip(admission.held.iter_mut()) {
        if let Some(limit) = s.parallel_limit() {
            match s.counters.acquire_slot(limit) {
                Ok(in_flight) => h.slot = Some(u64::from(in_flight)),
                Err(in_flight) => {
                    let limit = u64::from(limit);
                    return Err(Refusal::new(
                        s,
                        LimitType::MaxParallelRequests,
                        limit,
                        u64::from(in_flight),
                        now,
                    ));
                }
            }
        }
    }
    for (s, h) in scopes.iter().zip(admission.held.iter_mut()) {
        if let (Some(tpm), Some((window, _))) = (s.limits.tpm, h.counted) {
            match s.counters.reserve_tokens(window, estimate, tpm) {
                Ok(reserved) => h.reserved = Some(reserved),
                Err(current) => {
                    return Err(Refusal::new(s, LimitType::Tokens, tpm, current, now));
                }
            }
        }
    }
    admission.statuses = statuses(scopes, &admission.held);
    Ok(admission)
}

/// The `x-ratelimit-*` statuses in LiteLLM's order: requests, parallel slots, tokens.
fn statuses(scopes: &[Scope<'_>], held: &[Held]) -> Vec<Status> {
    let mut out = Vec::with_capacity(scopes.len() * 2);
    let status = |s: &Scope<'_>, kind, limit: u64, used: u64| Status {
        descriptor: s.descriptor,
        kind,
        limit,
        remaining: limit.saturating_sub(used),
    };
    for (s, h) in scopes.iter().zip(held) {
        if let (Some(rpm), Some((_, count))) = (s.limits.rpm, h.counted) {
            out.push(status(s, LimitType::Requests, rpm, count));
        }
    }
    for (s, h) in scopes.iter().zip(held) {
        if let (Some(limit), Some(in_flight)) = (s.parallel_limit(), h.slot) {
            out.push(status(
                s,
                LimitType::MaxParallelRequests,
                u64::from(limit),
                in_flight,
            ));
        }
    }
    for (s, h) in scopes.iter().zip(held) {
        if let (Some(tpm), Some((_, total))) = (s.limits.tpm, h.reserved) {
            out.push(status(s, LimitType::Tokens, tpm, total));
        }
    }
    out
}

/// The current time in unix seconds, as [`Limiter::admit`] takes it.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Limits {
    /// Whether any window applies (requests and tokens share the descriptor's window).
    fn windowed(&self) -> bool {
        self.rpm.is_some() || self.tpm.is_some()
    }
}

impl Scope<'_> {
    /// The parallel limit enforced for it: LiteLLM enforces `max_parallel_requests` for
    /// the `api_key` descriptor only.
    fn parallel_limit(&self) -> Option<u32> {
        match self.descriptor {
            Descriptor::ApiKey => self.limits.max_parallel,
            Descriptor::User | Descriptor::Team => None,
        }
    }

    fn is_limited(&self) -> bool {
        self.limits.windowed() || self.parallel_limit().is_some()
    }
}

impl Held {
    fn new(scope: &Scope<'_>, counted: Option<(u64, u64)>, value: String) -> Held {
        Held {
            descriptor: scope.descriptor,
            counters: scope.counters.clone(),
            counted,
            slot: None,
            reserved: None,
            value,
        }
    }
}

impl Admission {
    fn new(held: Vec<Held>, reserved: u64, via: Via) -> Admission {
        Admission {
            held,
            statuses: Vec::new(),
            reserved,
            via,
        }
    }

    /// The limits' states after this admission, for the success headers and metrics.
    pub fn statuses(&self) -> &[Status] {
        &self.statuses
    }

    /// Whether Redis decided it (false: memory, by configuration or as the fallback).
    pub fn via_redis(&self) -> bool {
        matches!(self.via, Via::Redis(_))
    }

    /// Appends LiteLLM's success headers to a response head, one `name: value\r\n` line
    /// each: `x-ratelimit-<descriptor>-remaining-<type>` and `...-limit-<type>`.
    pub fn write_headers(&self, head: &mut Vec<u8>) {
        let mut num = itoa::Buffer::new();
        for s in &self.statuses {
            for (part, value) in [("remaining", s.remaining), ("limit", s.limit)] {
                head.extend_from_slice(b"x-ratelimit-");
                head.extend_from_slice(s.descriptor.as_str().as_bytes());
                head.push(b'-');
                head.extend_from_slice(part.as_bytes());
                head.push(b'-');
                head.extend_from_slice(s.kind.as_str().as_bytes());
                head.extend_from_slice(b": ");
                head.extend_from_slice(num.format(value).as_bytes());
                head.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Ends the request with its real token usage: each reservation becomes `used_tokens`
    /// (LiteLLM's post-call correction) and the parallel slot is freed.
    pub fn finish(mut self, used_tokens: u64) {
        self.settle(used_tokens);
    }

    fn settle(&mut self, used: u64) {
        let held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return;
        }
        let delta = i64::try_from(used)
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::try_from(self.reserved).unwrap_or(i64::MAX));
        for h in &held {
            if h.slot.is_some() {
                h.counters.release_slot();
            }
            if let Some((window, _)) = h.reserved {
                h.counters.correct_tokens(window, delta);
            }
        }
        if let Via::Redis(release) = &mut self.via {
            release.send(held, delta);
        }
    }
}

impl Drop for Admission {
    /// An unfinished request (failed, cut, cancelled) gives its reservations back.
    fn drop(&mut self) {
        self.settle(0);
    }
}

impl Refusal {
    fn new(scope: &Scope<'_>, kind: LimitType, limit: u64, used: u64, now: u64) -> Refusal {
        Refusal {
            descriptor: scope.descriptor,
            value: scope.value.to_owned(),
            kind,
            limit,
            remaining: limit.saturating_sub(used),
            reset_at: now.saturating_add(WINDOW_SECS),
        }
    }

    /// LiteLLM's 429 message (`_handle_rate_limit_error`, :3695-3698).
    pub fn message(&self) -> String {
        format!(
            "Rate limit exceeded for {}: {}. Limit type: {}. Current limit: {}, Remaining: {}. Limit resets at: {}",
            self.descriptor.as_str(),
            self.value,
            self.kind.as_str(),
            self.limit,
            self.remaining,
            utc_text(self.reset_at),
        )
    }

    /// Appends the 429's own headers to a response head: `retry-after`, `rate_limit_type`
    /// and `reset_at` (the message's time), one `name: value\r\n` line each.
    pub fn write_headers(&self, head: &mut Vec<u8>) {
        head.extend_from_slice(b"retry-after: ");
        head.extend_from_slice(itoa::Buffer::new().format(WINDOW_SECS).as_bytes());
        head.extend_from_slice(b"\r\nrate_limit_type: ");
        head.extend_from_slice(self.kind.as_str().as_bytes());
        head.extend_from_slice(b"\r\nreset_at: ");
        head.extend_from_slice(utc_text(self.reset_at).as_bytes());
        head.extend_from_slice(b"\r\n");
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` of unix seconds (LiteLLM's `strftime("%Y-%m-%d %H:%M:%S UTC")`).
fn utc_text(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day since 1970-01-01 (H. Hinnant's `civil_from_days`,
/// for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::counters::unpack;
    use super::*;

    /// 2023-11-14 22:13:20 UTC.
    const T0: u64 = 1_700_000_000;

    fn limits(rpm: Option<u64>, tpm: Option<u64>, max_parallel: Option<u32>) -> Limits {
        Limits {
            rpm,
            tpm,
            max_parallel,
        }
    }

    fn scope<'a>(
        descriptor: Descriptor,
        value: &'a str,
        limits: Limits,
        counters: &'a Arc<Counters>,
    ) -> Scope<'a> {
        Scope {
            descriptor,
            value,
            limits,
            counters,
        }
    }

    fn refused(r: Result<Admission, Refusal>) -> Refusal {
        match r {
            Ok(_) => panic!("admitted"),
            Err(refusal) => refusal,
        }
    }

    #[test]
    fn exactly_rpm_pass_in_a_window_across_threads() {
        let counters = Counters::new();
        let rpm = 1000;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let counters = counters.clone();
                std::thread::spawn(move || {
                    let s = [scope(
                        Descriptor::ApiKey,
                        "k",
                        limits(Some(rpm), None, None),
                        &counters,
                    )];
                    (0..1000)
                        .filter(|_| admit_in_memory(&s, 1, T0).is_ok())
                        .count()
                })
            })
            .collect();
        let passed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(passed, rpm as usize);
        // Refused ones counted too: the counter went on to 4000.
        assert_eq!(
            unpack(counters.requests.load(Ordering::Relaxed)),
            (T0, 4000)
        );
    }

    #[test]
    fn a_window_resets_sixty_seconds_after_its_first_request() {
        let c = Counters::new();
        let s = [scope(
            Descriptor::User,
            "u1",
            limits(Some(2), None, None),
            &c,
        )];
        assert!(admit_in_memory(&s, 1, T0 + 10).is_ok());
        assert!(admit_in_memory(&s, 1, T0 + 30).is_ok());
        let r = refused(admit_in_memory(&s, 1, T0 + 31));
        assert_eq!((r.kind, r.limit, r.remaining), (LimitType::Requests, 2, 0));
        // Fixed, not sliding: still the window opened at T0 + 10.
        assert!(admit_in_memory(&s, 1, T0 + 69).is_err());
        let a = admit_in_memory(&s, 1, T0 + 70).unwrap();
        assert_eq!(a.statuses()[0].remaining, 1);
        assert_eq!(c.remaining(&s[0].limits, T0 + 70).requests, Some(1));
        assert_eq!(c.remaining(&s[0].limits, T0 + 130).requests, Some(2));
    }

    #[test]
    fn tokens_are_reserved_then_corrected_to_the_real_usage() {
        let c = Counters::new();
        let l = limits(None, Some(100), None);
        let s = [scope(Descriptor::ApiKey, "k", l, &c)];
        let first = admit_in_memory(&s, 40, T0).unwrap();
        let second = admit_in_memory(&s, 40, T0).unwrap();
        assert_eq!(c.remaining(&l, T0).tokens, Some(20));
        // Blocked when current + estimate > limit.
        let r = refused(admit_in_memory(&s, 40, T0));
        assert_eq!((r.kind, r.limit, r.remaining), (LimitType::Tokens, 100, 20));
        assert!(admit_in_memory(&s, 20, T0).unwrap().statuses()[0].remaining == 0);
        // The 20 just reserved were given back when that admission was dropped.
        assert_eq!(c.remaining(&l, T0).tokens, Some(20));
        first.finish(10);
        assert_eq!(c.remaining(&l, T0).tokens, Some(50));
        second.finish(70);
        assert_eq!(c.remaining(&l, T0).tokens, Some(20));
        // A correction after the window moved on is dropped with the old window.
        let late = admit_in_memory(&s, 15, T0 + 30).unwrap();
        let fresh = admit_in_memory(&s, 5, T0 + 60).unwrap();
        late.finish(0);
        assert_eq!(c.remaining(&l, T0 + 60).tokens, Some(95));
        drop(fresh);
        assert_eq!(c.remaining(&l, T0 + 60).tokens, Some(100));
        // An estimate of 0 reserves 1, as LiteLLM's floor.
        let a = admit_in_memory(&s, 0, T0 + 60).unwrap();
        assert_eq!(c.remaining(&l, T0 + 60).tokens, Some(99));
        a.finish(0);
    }

    #[test]
    fn parallel_slots_are_freed_when_the_admission_ends() {
        let c = Counters::new();
        let key = limits(None, None, Some(2));
        let s = [scope(Descriptor::ApiKey, "k", key, &c)];
        let a = admit_in_memory(&s, 1, T0).unwrap();
        let b = admit_in_memory(&s, 1, T0).unwrap();
        assert_eq!(b.statuses()[0].remaining, 0);
        let r = refused(admit_in_memory(&s, 1, T0));
        assert_eq!(
            (r.kind, r.limit, r.remaining),
            (LimitType::MaxParallelRequests, 2, 0)
        );
        drop(a);
        let d = admit_in_memory(&s, 1, T0).unwrap();
        b.finish(5);
        assert_eq!(c.remaining(&key, T0).in_flight, 1);
        drop(d);
        assert_eq!(c.remaining(&key, T0).in_flight, 0);
        // A team's max_parallel_requests is not enforced (LiteLLM: api_key only).
        let t = Counters::new();
        let team = [scope(
            Descriptor::Team,
            "t",
            limits(None, None, Some(0)),
            &t,
        )];
        let _held: Vec<_> = (0..3)
            .map(|_| admit_in_memory(&team, 1, T0).unwrap())
            .collect();
        assert_eq!(t.remaining(&team[0].limits, T0).in_flight, 0);
    }

    #[test]
    fn a_refusal_on_the_second_descriptor_gives_back_what_the_first_took() {
        let (k, t) = (Counters::new(), Counters::new());
        let key = limits(Some(10), Some(100), Some(5));
        let team = limits(Some(10), Some(10), None);
        let s = [
            scope(Descriptor::ApiKey, "hash", key, &k),
            scope(Descriptor::Team, "team-1", team, &t),
        ];
        let r = refused(admit_in_memory(&s, 20, T0));
        assert_eq!(
            (r.descriptor, r.value.as_str()),
            (Descriptor::Team, "team-1")
        );
        assert_eq!((r.kind, r.limit, r.remaining), (LimitType::Tokens, 10, 10));
        let left = k.remaining(&key, T0);
        assert_eq!(left.tokens, Some(100));
        assert_eq!(left.in_flight, 0);
        // The request itself was counted on both (LiteLLM counts refused requests).
        assert_eq!(left.requests, Some(9));
        assert_eq!(t.remaining(&team, T0).requests, Some(9));
        // A refusal on requests takes nothing at all.
        let one = limits(Some(1), None, None);
        let u = Counters::new();
        let s = [
            scope(Descriptor::ApiKey, "hash", key, &k),
            scope(Descriptor::User, "u", one, &u),
        ];
        assert!(admit_in_memory(&s, 5, T0).is_ok());
        let r = refused(admit_in_memory(&s, 5, T0));
        assert_eq!(
            (r.descriptor, r.kind),
            (Descriptor::User, LimitType::Requests)
        );
        assert_eq!(k.remaining(&key, T0).tokens, Some(100));
        assert_eq!(k.remaining(&key, T0).in_flight, 0);
    }

    #[test]
    fn litellm_429_message_and_headers() {
        let c = Counters::new();
        let s = [scope(
            Descriptor::ApiKey,
            "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
            limits(Some(1), None, None),
            &c,
        )];
        assert!(admit_in_memory(&s, 1, T0).is_ok());
        let r = refused(admit_in_memory(&s, 1, T0));
        assert_eq!(
            r.message(),
            "Rate limit exceeded for api_key: \
             88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b. \
             Limit type: requests. Current limit: 1, Remaining: 0. \
             Limit resets at: 2023-11-14 22:14:20 UTC"
        );
        let mut head = Vec::new();
        r.write_headers(&mut head);
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "retry-after: 60\r\nrate_limit_type: requests\r\nreset_at: 2023-11-14 22:14:20 UTC\r\n"
        );
    }

    #[test]
    fn success_headers_per_descriptor_in_litellm_order() {
        let (k, u) = (Counters::new(), Counters::new());
        let s = [
            scope(
                Descriptor::ApiKey,
                "h",
                limits(Some(10), Some(1000), Some(4)),
                &k,
            ),
            scope(Descriptor::User, "u", limits(Some(3), None, None), &u),
        ];
        let _first = admit_in_memory(&s, 100, T0).unwrap();
        let a = admit_in_memory(&s, 100, T0).unwrap();
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        a.write_headers(&mut head);
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "HTTP/1.1 200 OK\r\n\
             x-ratelimit-api_key-remaining-requests: 8\r\n\
             x-ratelimit-api_key-limit-requests: 10\r\n\
             x-ratelimit-user-remaining-requests: 1\r\n\
             x-ratelimit-user-limit-requests: 3\r\n\
             x-ratelimit-api_key-remaining-max_parallel_requests: 2\r\n\
             x-ratelimit-api_key-limit-max_parallel_requests: 4\r\n\
             x-ratelimit-api_key-remaining-tokens: 800\r\n\
             x-ratelimit-api_key-limit-tokens: 1000\r\n"
        );
    }

    #[test]
    fn utc_text_of_unix_seconds() {
        assert_eq!(utc_text(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_text(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_text(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(utc_text(4_102_444_800), "2100-01-01 00:00:00 UTC");
    }

    #[test]
    fn unlimited_scopes_are_admitted_without_counting() {
        let c = Counters::new();
        let s = [scope(Descriptor::Team, "t", Limits::default(), &c)];
        let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .build()
            .unwrap();
        let a = rt.block_on(Limiter::in_memory().admit(&s, 10, T0)).unwrap();
        assert!(a.statuses().is_empty() && !a.via_redis());
        assert_eq!(c.requests.load(Ordering::Relaxed), 0);
    }
}
