//! A descriptor's counters: fixed windows packed with their start in one atomic word each,
//! updated by compare-and-swap, so every core counts in the same window exactly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{Counters, Limits, Remaining, HALF, WINDOW_SECS};

pub(super) fn pack(start: u64, count: u64) -> u64 {
    (start.min(HALF) << 32) | count.min(HALF)
}

pub(super) fn unpack(word: u64) -> (u64, u64) {
    (word >> 32, word & HALF)
}

/// Whether the window that started at `start` is over at `now` (LiteLLM's
/// `now - window_start >= window_size`; a start of 0 is no window yet).
fn expired(start: u64, now: u64) -> bool {
    start == 0 || now.saturating_sub(start) >= WINDOW_SECS
}

impl Counters {
    pub fn new() -> Arc<Counters> {
        Arc::new(Counters::default())
    }

    /// What is left of `limits` at `now`: two loads, no write.
    pub fn remaining(&self, limits: &Limits, now: u64) -> Remaining {
        let live = |word: &AtomicU64| {
            let (start, count) = unpack(word.load(Ordering::Acquire));
            if expired(start, now.min(HALF)) {
                0
            } else {
                count
            }
        };
        Remaining {
            requests: limits
                .rpm
                .map(|rpm| rpm.saturating_sub(live(&self.requests))),
            tokens: limits.tpm.map(|tpm| tpm.saturating_sub(live(&self.tokens))),
            in_flight: self.parallel.load(Ordering::Acquire),
        }
    }

    /// Counts a request, opening a new window when the current one is over; the window's
    /// start and the count after this request.
    pub(super) fn count_request(&self, now: u64) -> (u64, u64) {
        let mut counted = (now, 1);
        let _ = self
            .requests
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                let (start, count) = unpack(word);
                counted = if expired(start, now) {
                    (now, 1)
                } else {
                    (start, (count + 1).min(HALF))
                };
                Some(pack(counted.0, counted.1))
            });
        counted
    }

    /// Takes a parallel slot unless `limit` are taken: the count in flight after, or the
    /// count that refused it.
    pub(super) fn acquire_slot(&self, limit: u32) -> Result<u32, u32> {
        self.parallel
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .map(|n| n + 1)
    }

    /// Counts a slot Redis granted, so a fallback to memory sees this instance's.
    pub(super) fn add_slot(&self) {
        self.parallel.fetch_add(1, Ordering::AcqRel);
    }

    pub(super) fn release_slot(&self) {
        let _ = self
            .parallel
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    /// Reserves `amount` tokens in the window the request was counted in (or a newer one a
    /// concurrent request opened) unless that passes `limit`: the window and the counter
    /// after, or the counter that refused it.
    pub(super) fn reserve_tokens(
        &self,
        window: u64,
        amount: u64,
        limit: u64,
    ) -> Result<(u64, u64), u64> {
        let mut outcome = Err(0);
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                let (start, count) = unpack(word);
                // Tokens counted in an earlier window are gone with it.
                let (start, current) = if start >= window {
                    (start, count)
                } else {
                    (window, 0)
                };
                if current.saturating_add(amount) > limit {
                    outcome = Err(current);
                    return None;
                }
                let total = (current + amount).min(HALF);
                outcome = Ok((start, total));
                Some(pack(start, total))
            });
        outcome
    }

    /// Adds `delta` to the tokens counter if its window is still the one that started at
    /// `window` (a correction to an earlier window is dropped with it).
    pub(super) fn correct_tokens(&self, window: u64, delta: i64) {
        if delta == 0 {
            return;
        }
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                let (start, count) = unpack(word);
                (start == window).then(|| pack(start, count.saturating_add_signed(delta)))
            });
    }

    /// Takes Redis's view of the window after an admission there (its start, requests and
    /// tokens counters), unless this one already holds a newer window or a higher count, so
    /// a fallback to memory goes on from it.
    pub(super) fn mirror(&self, window: u64, requests: u64, tokens: Option<u64>) {
        let newer = |word: &AtomicU64, count: u64| {
            let _ = word.fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                let (start, mine) = unpack(w);
                match window.cmp(&start) {
                    std::cmp::Ordering::Greater => Some(pack(window, count)),
                    std::cmp::Ordering::Equal if count > mine => Some(pack(window, count)),
                    _ => None,
                }
            });
        };
        newer(&self.requests, requests);
        if let Some(count) = tokens {
            newer(&self.tokens, count);
        }
    }
}
