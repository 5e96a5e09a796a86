//! What every core must see at once about each deployment: its cooldown and its recent
//! failures and successes. One cache line of atomics per deployment, indexed by
//! [`crate::gateway::Deployment::index`]; no locks. A core reads a deployment's line when it
//! picks it and writes it when an attempt ends (a success adds to a counter; a failure may
//! cool the deployment down for every core).
//!
//! The decisions are LiteLLM 1.108.7's (`router_utils/cooldown_handlers.py`):
//! - only 429, 401, 402, 404, 408 and 5xx answers (and connection failures) may cool a
//!   deployment;
//! - by default a 429 cools a deployment that has another in its group at once; a 401, 402
//!   or 404 cools any deployment at once; other failures cool a deployment of a group of
//!   several when more than half of at least 5 requests in the last minute failed (a lone
//!   deployment: when 1,000 failed and none succeeded);
//! - with `allowed_fails` set (and not LiteLLM's default) or an `allowed_fails_policy`, a
//!   deployment cools on the failure after the allowed ones (the policy's count for the
//!   error's class, else `allowed_fails`), counted while failures keep coming within
//!   `cooldown_time`; a lone deployment (alone in its group, with no fallbacks) then cools
//!   only for a class the policy names;
//! - a deployment's own `model_info.allowed_fails` / `allowed_fails_policy` replace the
//!   router's for it (each class counted apart), and a class its policy names may cool it
//!   even on a 4xx that otherwise never does;
//! - the cooldown lasts the deployment's `cooldown_time` (`model_info`, else
//!   `litellm_params`), else the answer's `retry-after`, else the router's `cooldown_time`
//!   (5 s); 0 means no cooldown.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use corelane_config::{ByKind, ErrorKind};

/// A minute: how long a failure or a success counts toward the failure ratio.
const WINDOW_MS: u64 = 60_000;
/// The failure ratio's floor: fewer requests in the window never cool a deployment.
const MIN_REQUESTS: u32 = 5;
/// A lone deployment cools only when this many requests in the window all failed.
const LONE_FAILURES: u32 = 1000;

/// One deployment's shared state, a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Cell {
    /// Milliseconds since [`Health::epoch`] until which it cools down (0: not cooling).
    cool_until: AtomicU64,
    /// The cooldown's configured length, in milliseconds (for LiteLLM's "Try again in N
    /// seconds").
    cool_ms: AtomicU64,
    /// Failures and successes in the window; each count lapses a minute after its last
    /// increment (LiteLLM's TTL, refreshed on every increment).
    fails: AtomicU32,
    fails_at: AtomicU64,
    successes: AtomicU32,
    successes_at: AtomicU64,
    /// Failures counted against `allowed_fails`, lapsing `cooldown_time` after the last
    /// one: [0] all classes (or a deployment's generic `allowed_fails`), then one per
    /// [`ErrorKind`] a deployment's own policy names.
    counted: [AtomicU32; COUNTERS],
    counted_at: [AtomicU64; COUNTERS],
    /// Attempts in flight at it (least-busy).
    in_flight: AtomicU32,
    /// The current UTC minute's requests and tokens (the rpm/tpm limits of the usage,
    /// latency and cost strategies), and which minute (since the Unix epoch) they count.
    minute: AtomicU64,
    minute_requests: AtomicU32,
    minute_tokens: AtomicU64,
    /// Latency samples written so far (the next one goes to this modulo the ring's size)
    /// and when the last was, for seconds per output token and for time to first token.
    latencies: AtomicU32,
    latency_at: AtomicU64,
    ttfts: AtomicU32,
    ttft_at: AtomicU64,
    /// Every instance's counts, as Redis last answered ([`crate::shared`]): the minute's
    /// requests and tokens and the attempts in flight, with this instance's own counts at
    /// that moment (what it added since is added to them).
    shared_minute: AtomicU64,
    shared_requests: AtomicU32,
    shared_tokens: AtomicU64,
    base_requests: AtomicU32,
    base_tokens: AtomicU64,
    shared_in_flight: AtomicU64,
    base_in_flight: AtomicU32,
}

const COUNTERS: usize = 1 + ErrorKind::ALL.len();

/// How a failed attempt is judged.
#[derive(Debug, Clone, Copy)]
pub struct Failure {
    /// The upstream status, or 500 for a connection failure.
    pub status: u16,
    /// The answer's `retry-after`, in seconds.
    pub retry_after: Option<u64>,
    /// The policies' classes of the error, the most specific first.
    pub kinds: &'static [ErrorKind],
    /// The deployment is the only one of its group.
    pub single: bool,
    /// ... and the router's fallbacks have none for its group.
    pub lone: bool,
    /// A timeout the client set itself: never cools a deployment.
    pub client_timeout: bool,
}

/// The router's cooldown settings.
#[derive(Debug, Clone, Copy)]
pub struct CooldownRules {
    pub disabled: bool,
    pub cooldown_time: Duration,
    /// The router's `allowed_fails` (LiteLLM's 3 when unset).
    pub allowed_fails: u32,
    /// Whether failures are counted against `allowed_fails`: it is set and not LiteLLM's
    /// default, or `allowed_fails_policy` is set.
    pub counting: bool,
    pub policy: Option<ByKind>,
}

/// A deployment's own cooldown settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeploymentRules {
    /// `model_info.cooldown_time`, else `litellm_params.cooldown_time`.
    pub cooldown_time: Option<Duration>,
    /// `model_info.allowed_fails` and `model_info.allowed_fails_policy`.
    pub allowed_fails: Option<u32>,
    pub policy: Option<ByKind>,
}

#[derive(Debug)]
pub struct Health {
    epoch: Instant,
    cells: Box<[Cell]>,
    /// The latest latency and time-to-first-token samples of each deployment (f32 seconds),
    /// `ring` per deployment.
    latency_ring: Box<[AtomicU32]>,
    ttft_ring: Box<[AtomicU32]>,
    ring: usize,
    /// Instances share their counts through Redis: the shared ones are read.
    shared: std::sync::atomic::AtomicBool,
}

/// Which latency samples a deployment keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// Seconds per output token (else the whole answer's seconds).
    Latency,
    /// A stream's seconds to its first event.
    FirstToken,
}

impl Health {
    pub fn new(deployments: usize) -> Self {
        Health::with_samples(deployments, 10)
    }

    /// With room for the latest `ring` latency samples of each deployment.
    pub fn with_samples(deployments: usize, ring: usize) -> Self {
        let ring = ring.max(1);
        let slots = || (0..deployments * ring).map(|_| AtomicU32::new(0)).collect();
        Health {
            epoch: Instant::now(),
            cells: (0..deployments).map(|_| Cell::default()).collect(),
            latency_ring: slots(),
            ttft_ring: slots(),
            ring,
            shared: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Milliseconds since this process's epoch at `now` (the cooldown clock).
    pub fn clock(&self, now: Instant) -> u64 {
        self.ms(now)
    }

    /// When the deployment's cooldown ends and how long it is, in milliseconds of
    /// [`Health::clock`] (0: never cooled).
    pub fn cooldown(&self, index: usize) -> (u64, u64) {
        self.cells.get(index).map_or((0, 0), |c| {
            (
                c.cool_until.load(Ordering::Relaxed),
                c.cool_ms.load(Ordering::Relaxed),
            )
        })
    }

    /// Takes on a cooldown another instance set: until `until` ([`Health::clock`]), of
    /// `length` ms, unless the deployment already cools longer.
    pub fn adopt_cooldown(&self, index: usize, until: u64, length: u64) {
        if let Some(cell) = self.cells.get(index) {
            if cell.cool_until.fetch_max(until, Ordering::Relaxed) < until {
                cell.cool_ms.store(length, Ordering::Relaxed);
            }
        }
    }

    /// This instance's own count for the deployment: the minute, its requests and tokens,
    /// and its attempts in flight.
    pub fn own_counts(&self, index: usize) -> (u64, u32, u64, u32) {
        self.cells.get(index).map_or((0, 0, 0, 0), |c| {
            (
                c.minute.load(Ordering::Relaxed),
                c.minute_requests.load(Ordering::Relaxed),
                c.minute_tokens.load(Ordering::Relaxed),
                c.in_flight.load(Ordering::Relaxed),
            )
        })
    }

    /// Every instance's minute counts, as Redis answered when this instance's were
    /// `base_requests` and `base_tokens`.
    pub fn share_usage(&self, index: usize, minute: u64, total: (u32, u64), base: (u32, u64)) {
        if let Some(c) = self.cells.get(index) {
            c.shared_requests.store(total.0, Ordering::Relaxed);
            c.shared_tokens.store(total.1, Ordering::Relaxed);
            c.base_requests.store(base.0, Ordering::Relaxed);
            c.base_tokens.store(base.1, Ordering::Relaxed);
            c.shared_minute.store(minute, Ordering::Relaxed);
            self.shared.store(true, Ordering::Relaxed);
        }
    }

    /// Every instance's attempts in flight, as Redis answered when this instance's were
    /// `base`.
    pub fn share_in_flight(&self, index: usize, total: u64, base: u32) {
        if let Some(c) = self.cells.get(index) {
            c.shared_in_flight.store(total, Ordering::Relaxed);
            c.base_in_flight.store(base, Ordering::Relaxed);
            self.shared.store(true, Ordering::Relaxed);
        }
    }

    /// One more attempt in flight at the deployment, until the guard drops.
    pub fn begin(&self, index: usize) -> InFlight<'_> {
        if let Some(cell) = self.cells.get(index) {
            cell.in_flight.fetch_add(1, Ordering::Relaxed);
        }
        InFlight {
            health: self,
            index,
        }
    }

    /// Attempts in flight at the deployment (every instance's, when they share them).
    pub fn in_flight(&self, index: usize) -> u32 {
        let Some(c) = self.cells.get(index) else {
            return 0;
        };
        let own = c.in_flight.load(Ordering::Relaxed);
        if !self.shared.load(Ordering::Relaxed) {
            return own;
        }
        let total = c.shared_in_flight.load(Ordering::Relaxed);
        let since = i64::from(own) - i64::from(c.base_in_flight.load(Ordering::Relaxed));
        (total as i64 + since).clamp(0, i64::from(u32::MAX)) as u32
    }

    /// The deployment's requests and tokens in `minute` (0 for another minute); every
    /// instance's, when they share them.
    pub fn minute_usage(&self, index: usize, minute: u64) -> (u32, u64) {
        let Some(cell) = self.cells.get(index) else {
            return (0, 0);
        };
        let own = if cell.minute.load(Ordering::Relaxed) == minute {
            (
                cell.minute_requests.load(Ordering::Relaxed),
                cell.minute_tokens.load(Ordering::Relaxed),
            )
        } else {
            (0, 0)
        };
        if !self.shared.load(Ordering::Relaxed)
            || cell.shared_minute.load(Ordering::Relaxed) != minute
        {
            return own;
        }
        let since_requests = own
            .0
            .saturating_sub(cell.base_requests.load(Ordering::Relaxed));
        let since_tokens = own
            .1
            .saturating_sub(cell.base_tokens.load(Ordering::Relaxed));
        (
            cell.shared_requests
                .load(Ordering::Relaxed)
                .saturating_add(since_requests),
            cell.shared_tokens
                .load(Ordering::Relaxed)
                .saturating_add(since_tokens),
        )
    }

    /// Adds `requests` and `tokens` to the deployment's count for `minute` (a new minute
    /// starts from 0); returns the requests counted with these.
    pub fn count_usage(&self, index: usize, minute: u64, requests: u32, tokens: u64) -> u32 {
        let Some(cell) = self.cells.get(index) else {
            return 0;
        };
        let seen = cell.minute.load(Ordering::Relaxed);
        if seen != minute
            && cell
                .minute
                .compare_exchange(seen, minute, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            cell.minute_requests.store(0, Ordering::Relaxed);
            cell.minute_tokens.store(0, Ordering::Relaxed);
        }
        cell.minute_tokens.fetch_add(tokens, Ordering::Relaxed);
        cell.minute_requests
            .fetch_add(requests, Ordering::Relaxed)
            .saturating_add(requests)
    }

    /// Records a latency sample (seconds).
    pub fn sample(&self, index: usize, now: Instant, which: Sample, seconds: f64) {
        let Some(cell) = self.cells.get(index) else {
            return;
        };
        let (count, at, ring) = match which {
            Sample::Latency => (&cell.latencies, &cell.latency_at, &self.latency_ring),
            Sample::FirstToken => (&cell.ttfts, &cell.ttft_at, &self.ttft_ring),
        };
        let n = count.fetch_add(1, Ordering::Relaxed) as usize % self.ring;
        if let Some(slot) = ring.get(index * self.ring + n) {
            slot.store((seconds as f32).to_bits(), Ordering::Relaxed);
        }
        at.store(self.ms(now), Ordering::Relaxed);
    }

    /// The deployment's latest samples (at most the ring's size), unless the last is older
    /// than `ttl`; into `out` (cleared).
    pub fn samples(
        &self,
        index: usize,
        now: Instant,
        which: Sample,
        ttl: Duration,
        out: &mut Vec<f64>,
    ) {
        out.clear();
        let Some(cell) = self.cells.get(index) else {
            return;
        };
        let (count, at, ring) = match which {
            Sample::Latency => (&cell.latencies, &cell.latency_at, &self.latency_ring),
            Sample::FirstToken => (&cell.ttfts, &cell.ttft_at, &self.ttft_ring),
        };
        let last = at.load(Ordering::Relaxed);
        if last == 0 || self.ms(now).saturating_sub(last) > ttl.as_millis() as u64 {
            return;
        }
        let n = (count.load(Ordering::Relaxed) as usize).min(self.ring);
        let base = index * self.ring;
        out.extend(
            ring[base..base + n]
                .iter()
                .map(|s| f64::from(f32::from_bits(s.load(Ordering::Relaxed)))),
        );
    }

    /// Milliseconds since the epoch; at least 1 (0 means "never").
    fn ms(&self, now: Instant) -> u64 {
        (now.saturating_duration_since(self.epoch).as_millis() as u64).max(1)
    }

    /// When the deployment is cooling down at `now`: the cooldown's configured length.
    pub fn cooling(&self, index: usize, now: Instant) -> Option<Duration> {
        let cell = self.cells.get(index)?;
        let until = cell.cool_until.load(Ordering::Relaxed);
        (until > self.ms(now)).then(|| Duration::from_millis(cell.cool_ms.load(Ordering::Relaxed)))
    }

    /// Records a success (for the failure ratio).
    pub fn succeeded(&self, index: usize, now: Instant) {
        if let Some(cell) = self.cells.get(index) {
            bump(&cell.successes, &cell.successes_at, self.ms(now), WINDOW_MS);
        }
    }

    /// Records a failure and cools the deployment down when LiteLLM would; returns whether
    /// it did.
    pub fn failed(
        &self,
        index: usize,
        now: Instant,
        failure: Failure,
        rules: &CooldownRules,
        own: &DeploymentRules,
    ) -> bool {
        let Some(cell) = self.cells.get(index) else {
            return false;
        };
        let ms = self.ms(now);
        let fails = bump(&cell.fails, &cell.fails_at, ms, WINDOW_MS);
        let length = own
            .cooldown_time
            .or(failure.retry_after.map(Duration::from_secs))
            .unwrap_or(rules.cooldown_time);
        let status = failure.status;
        let own_entry = own.policy.and_then(|p| policy_count(&p, failure.kinds));
        let router_entry = rules.policy.and_then(|p| policy_count(&p, failure.kinds));
        let may_cool = matches!(status, 429 | 401 | 402 | 404 | 408) || status >= 500;
        if rules.disabled || failure.client_timeout || length.is_zero() {
            return false;
        }
        if !may_cool && own_entry.is_none() {
            return false;
        }
        if failure.single && status == 402 && own_entry.is_none() && router_entry.is_none() {
            return false;
        }
        let counted = |slot: usize, window: Duration, allowed: u32| {
            let window = window.as_millis() as u64;
            bump(&cell.counted[slot], &cell.counted_at[slot], ms, window) > allowed
        };
        let cool = if own.policy.is_some() || own.allowed_fails.is_some() {
            // The deployment's own policy (LiteLLM's `_should_cooldown_based_on_deployment_policy`).
            if own_entry.is_none()
                && failure.lone
                && (own.allowed_fails.is_some() || router_entry.is_none())
            {
                return false;
            }
            let (slot, allowed) = match (own_entry, own.allowed_fails) {
                (Some(n), _) => (1 + failure.kinds[0] as usize, n),
                (None, Some(n)) => (0, n),
                (None, None) => (0, router_entry.unwrap_or(rules.allowed_fails)),
            };
            counted(
                slot,
                own.cooldown_time.unwrap_or(rules.cooldown_time),
                allowed,
            )
        } else if rules.counting {
            if failure.lone && router_entry.is_none() {
                return false;
            }
            counted(
                0,
                rules.cooldown_time,
                router_entry.unwrap_or(rules.allowed_fails),
            )
        } else {
            let successes = count(&cell.successes, &cell.successes_at, ms, WINDOW_MS);
            let total = fails.saturating_add(successes);
            let limited = status == 429 && !failure.single;
            let all_failed = successes == 0 && total >= LONE_FAILURES;
            let mostly_failed = !failure.single && total >= MIN_REQUESTS && fails * 2 > total;
            // LiteLLM's `should_retry` statuses wait for the ratio; the others (401, 404;
            // 402 of a group of several) cool at once.
            let retryable = matches!(status, 408 | 409 | 429) || status >= 500;
            limited || all_failed || mostly_failed || !retryable
        };
        if cool {
            let length_ms = length.as_millis() as u64;
            cell.cool_ms.store(length_ms, Ordering::Relaxed);
            cell.cool_until
                .store(ms.saturating_add(length_ms), Ordering::Relaxed);
        }
        cool
    }

    /// The cooldown lengths of the cooling deployments among `indexes`, and how many of them
    /// cool.
    pub fn cooling_among(
        &self,
        indexes: impl Iterator<Item = usize>,
        now: Instant,
    ) -> (usize, Option<Duration>) {
        let mut n = 0;
        let mut least: Option<Duration> = None;
        for i in indexes {
            if let Some(length) = self.cooling(i, now) {
                n += 1;
                least = Some(least.map_or(length, |l| l.min(length)));
            }
        }
        (n, least)
    }
}

/// An attempt in flight at a deployment ([`Health::begin`]).
#[derive(Debug)]
pub struct InFlight<'h> {
    health: &'h Health,
    index: usize,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(cell) = self.health.cells.get(self.index) {
            // Never below 0 (LiteLLM floors its count too).
            let _ = cell
                .in_flight
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
    }
}

/// The count `policy` sets for the first of `kinds` it names, as a u32.
fn policy_count(policy: &ByKind, kinds: &[ErrorKind]) -> Option<u32> {
    policy
        .first(kinds)
        .map(|n| n.min(u64::from(u32::MAX)) as u32)
}

/// Adds one to a count whose value lapses `window` ms after its last increment; returns the
/// count with this one.
fn bump(count: &AtomicU32, at: &AtomicU64, ms: u64, window: u64) -> u32 {
    let last = at.swap(ms, Ordering::Relaxed);
    if last == 0 || ms.saturating_sub(last) >= window {
        count.store(1, Ordering::Relaxed);
        1
    } else {
        count.fetch_add(1, Ordering::Relaxed).saturating_add(1)
    }
}

/// A count as [`bump`] keeps it, at `ms`.
fn count(count: &AtomicU32, at: &AtomicU64, ms: u64, window: u64) -> u32 {
    let last = at.load(Ordering::Relaxed);
    if last == 0 || ms.saturating_sub(last) >= window {
        0
    } else {
        count.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const RULES: CooldownRules = CooldownRules {
        disabled: false,
        cooldown_time: Duration::from_secs(5),
        allowed_fails: 3,
        counting: false,
        policy: None,
    };
    const OWN: DeploymentRules = DeploymentRules {
        cooldown_time: None,
        allowed_fails: None,
        policy: None,
    };

    fn failure(status: u16, single: bool) -> Failure {
        Failure {
            status,
            kinds: &[],
            retry_after: None,
            single,
            lone: single,
            client_timeout: false,
        }
    }

    #[test]
    fn a_429_cools_a_deployment_with_another_in_its_group() {
        let h = Health::new(2);
        let now = Instant::now();
        assert!(!h.failed(0, now, failure(429, true), &RULES, &OWN));
        assert!(h.cooling(0, now).is_none());
        assert!(h.failed(1, now, failure(429, false), &RULES, &OWN));
        assert_eq!(h.cooling(1, now), Some(Duration::from_secs(5)));
        assert!(h.cooling(1, now + Duration::from_secs(6)).is_none());
    }

    #[test]
    fn auth_and_not_found_cool_at_once_even_alone() {
        for status in [401, 404] {
            let h = Health::new(1);
            assert!(h.failed(0, Instant::now(), failure(status, true), &RULES, &OWN));
        }
        let h = Health::new(1);
        assert!(!h.failed(0, Instant::now(), failure(402, true), &RULES, &OWN));
        for status in [400, 403, 409, 413, 422] {
            let h = Health::new(1);
            assert!(!h.failed(0, Instant::now(), failure(status, false), &RULES, &OWN));
        }
    }

    #[test]
    fn server_errors_cool_when_most_of_five_or_more_failed() {
        let h = Health::new(1);
        let now = Instant::now();
        for _ in 0..3 {
            h.succeeded(0, now);
        }
        // 1/4, 2/5, 3/6 failed: not over half; 4/7 is.
        for _ in 0..3 {
            assert!(!h.failed(0, now, failure(500, false), &RULES, &OWN));
        }
        assert!(h.failed(0, now, failure(503, false), &RULES, &OWN));
        // A lone deployment does not cool on the ratio.
        let h = Health::new(1);
        for _ in 0..10 {
            assert!(!h.failed(0, now, failure(500, true), &RULES, &OWN));
        }
    }

    #[test]
    fn counts_lapse_after_a_minute() {
        let h = Health::new(1);
        let now = Instant::now();
        for _ in 0..4 {
            h.succeeded(0, now);
        }
        let later = now + Duration::from_secs(61);
        // The successes lapsed: 1 failure of 1 is under the floor, then 5 of 5 cool.
        for _ in 0..4 {
            assert!(!h.failed(0, later, failure(500, false), &RULES, &OWN));
        }
        assert!(h.failed(0, later, failure(500, false), &RULES, &OWN));
    }

    #[test]
    fn allowed_fails_counts_within_the_cooldown_time() {
        let rules = CooldownRules {
            allowed_fails: 1,
            counting: true,
            ..RULES
        };
        let h = Health::new(1);
        let now = Instant::now();
        assert!(!h.failed(0, now, failure(500, false), &rules, &OWN));
        assert!(h.failed(0, now, failure(500, false), &rules, &OWN));
        // After the cooldown time without failures the count starts again.
        let later = now + Duration::from_secs(6);
        assert!(!h.failed(0, later, failure(500, false), &rules, &OWN));
        // A lone deployment is not counted unless the policy names the error's class.
        let h = Health::new(1);
        for _ in 0..3 {
            assert!(!h.failed(0, now, failure(500, true), &rules, &OWN));
        }
    }

    fn by_kind(pairs: &[(ErrorKind, u64)]) -> ByKind {
        let mut p = ByKind::default();
        for &(k, n) in pairs {
            p.0[k as usize] = Some(n);
        }
        p
    }

    #[test]
    fn the_routers_allowed_fails_policy_counts_by_class() {
        let rules = CooldownRules {
            counting: true,
            policy: Some(by_kind(&[
                (ErrorKind::RateLimit, 0),
                (ErrorKind::Timeout, 2),
            ])),
            ..RULES
        };
        let now = Instant::now();
        let mut limited = failure(429, true);
        limited.kinds = &[ErrorKind::RateLimit];
        // Named: counts even alone in its group; 0 allowed cools on the first.
        let h = Health::new(1);
        assert!(h.failed(0, now, limited, &rules, &OWN));
        let mut slow = failure(408, false);
        slow.kinds = &[ErrorKind::Timeout];
        let h = Health::new(1);
        assert!(!h.failed(0, now, slow, &rules, &OWN));
        assert!(!h.failed(0, now, slow, &rules, &OWN));
        assert!(h.failed(0, now, slow, &rules, &OWN));
        // Not named: `allowed_fails` (3).
        let h = Health::new(1);
        for _ in 0..3 {
            assert!(!h.failed(0, now, failure(500, false), &rules, &OWN));
        }
        assert!(h.failed(0, now, failure(500, false), &rules, &OWN));
    }

    #[test]
    fn a_deployments_own_policy_replaces_the_routers() {
        let now = Instant::now();
        let own = DeploymentRules {
            allowed_fails: Some(1),
            policy: Some(by_kind(&[(ErrorKind::BadRequest, 0)])),
            cooldown_time: Some(Duration::from_secs(2)),
        };
        // A 400 never cools, unless the deployment's policy names its class.
        let mut bad = failure(400, false);
        bad.kinds = &[ErrorKind::BadRequest];
        let h = Health::new(1);
        assert!(!h.failed(0, now, bad, &RULES, &OWN));
        assert!(h.failed(0, now, bad, &RULES, &own));
        assert_eq!(h.cooling(0, now), Some(Duration::from_secs(2)));
        // Other classes: its generic allowed_fails, counted apart from the 400s.
        let h = Health::new(1);
        assert!(!h.failed(
            0,
            now,
            bad,
            &RULES,
            &DeploymentRules {
                policy: Some(by_kind(&[(ErrorKind::BadRequest, 1)])),
                ..own
            }
        ));
        assert!(!h.failed(0, now, failure(500, false), &RULES, &own));
        assert!(h.failed(0, now, failure(500, false), &RULES, &own));
        // Alone with a generic count: never.
        let h = Health::new(1);
        for _ in 0..3 {
            assert!(!h.failed(0, now, failure(500, true), &RULES, &own));
        }
    }

    #[test]
    fn the_length_is_the_deployments_then_retry_after_then_the_routers() {
        let h = Health::new(3);
        let now = Instant::now();
        let mut f = failure(429, false);
        f.retry_after = Some(17);
        h.failed(
            0,
            now,
            f,
            &RULES,
            &DeploymentRules {
                cooldown_time: Some(Duration::from_secs(30)),
                ..OWN
            },
        );
        h.failed(1, now, f, &RULES, &OWN);
        h.failed(2, now, failure(429, false), &RULES, &OWN);
        assert_eq!(h.cooling(0, now), Some(Duration::from_secs(30)));
        assert_eq!(h.cooling(1, now), Some(Duration::from_secs(17)));
        assert_eq!(h.cooling(2, now), Some(Duration::from_secs(5)));
        // retry-after: 0, disabled cooldowns and client timeouts never cool.
        f.retry_after = Some(0);
        let h = Health::new(1);
        assert!(!h.failed(0, now, f, &RULES, &OWN));
        let off = CooldownRules {
            disabled: true,
            ..RULES
        };
        assert!(!h.failed(0, now, failure(401, true), &off, &OWN));
        let mut timeout = failure(408, false);
        timeout.client_timeout = true;
        assert!(!h.failed(0, now, failure(401, true), &off, &OWN));
        assert!(!h.failed(0, now, timeout, &RULES, &OWN));
    }
}
