//! Fault-injection prefixes peeled off the front of a request path (`/status/429/v1/...`).

use std::cell::Cell;
use std::time::Duration;

/// Faults requested by the path prefixes; they compose in any order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// `/status/{code}`: answer with this error status instead of the route's reply.
    pub status: Option<u16>,
    /// `/delay/{ms}`: extra wait before the response head.
    pub delay: Duration,
    /// `/reset`: read the request, then close without answering.
    pub reset: bool,
    /// `/truncate`: send half of the body or stream, then close abruptly.
    pub truncate: bool,
    /// `/slowstream/{ms}`: inter-event delay for this request's stream.
    pub slowstream: Option<Duration>,
    /// `/chunked`: frame non-stream bodies with Transfer-Encoding: chunked.
    pub chunked: bool,
    /// `/nousage`: leave usage out of bodies and streams.
    pub nousage: bool,
    /// `/close`: answer with `Connection: close` and close afterwards.
    pub close: bool,
    /// `/flaky/{percent}`: the other faults apply to this share of requests only (see
    /// [`FlakyCounts`]); alone, it stands for `/status/500`.
    pub flaky: Option<u8>,
}

impl Faults {
    /// Resolves `/flaky/{percent}` for one request: a spared request keeps none of the
    /// prefix's faults; a failing one keeps them all, and gets a 500 when none of them fails
    /// the request by itself.
    pub fn for_this_request(self, counts: &FlakyCounts) -> Self {
        let Some(percent) = self.flaky else {
            return self;
        };
        if !counts.fails(percent) {
            return Self::default();
        }
        let fails_anyway = self.status.is_some() || self.reset || self.truncate;
        Self {
            status: if fails_anyway { self.status } else { Some(500) },
            ..self
        }
    }
}

/// Per-thread position of each `/flaky/{percent}` share in its cycle of 100 requests, so
/// failures are reproducible: request n (from 1) of a share fails when
/// `floor(n * percent / 100)` grows, which spreads them evenly, never lets the failures so far
/// exceed `percent` % (50: every second request, the first succeeding) and fails exactly
/// `percent` of every 100 consecutive requests. Counted per percentage, so two shares in one
/// test do not disturb each other; `POST /__mock/reset` starts every cycle again.
#[derive(Debug)]
pub struct FlakyCounts([Cell<u8>; 101]);

impl Default for FlakyCounts {
    fn default() -> Self {
        Self(std::array::from_fn(|_| Cell::new(0)))
    }
}

impl FlakyCounts {
    /// Counts one request of the `percent` share (at most 100) and says whether it fails.
    pub fn fails(&self, percent: u8) -> bool {
        let Some(position) = self.0.get(usize::from(percent)) else {
            return true;
        };
        let next = (position.get() + 1) % 100;
        position.set(next);
        // floor(n p / 100) grows from n - 1 to n exactly when (n p mod 100) < p.
        (u32::from(next) * u32::from(percent)) % 100 < u32::from(percent)
    }

    pub fn reset(&self) {
        for position in &self.0 {
            position.set(0);
        }
    }
}

/// A fault keyword whose argument is missing or out of range (`/status/abc`, `/delay/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFault(pub &'static str);

/// Largest `/delay` or `/slowstream` accepted, so a typo cannot park a connection for days.
const MAX_FAULT_DELAY_MS: u64 = 600_000;

/// Splits `path` (query already removed) into its fault prefixes and the route that follows.
///
/// Peeling stops at the first segment that is not a fault keyword, so `/v1/chat/completions`
/// and `/openai/deployments/x/chat/completions` pass through untouched.
pub fn split_faults(path: &str) -> Result<(Faults, &str), BadFault> {
    let mut faults = Faults::default();
    let mut rest = path;
    loop {
        let mut segments = rest.strip_prefix('/').unwrap_or(rest).splitn(3, '/');
        let keyword = segments.next().unwrap_or("");
        let argument = segments.next();
        let takes_argument = matches!(keyword, "status" | "delay" | "slowstream" | "flaky");
        let consumed = match keyword {
            "status" => {
                let code = number(argument, 400, 599).ok_or(BadFault("status"))?;
                faults.status = Some(code as u16);
                true
            }
            "delay" => {
                let ms = number(argument, 0, MAX_FAULT_DELAY_MS).ok_or(BadFault("delay"))?;
                faults.delay += Duration::from_millis(ms);
                true
            }
            "slowstream" => {
                let ms = number(argument, 0, MAX_FAULT_DELAY_MS).ok_or(BadFault("slowstream"))?;
                faults.slowstream = Some(Duration::from_millis(ms));
                true
            }
            "flaky" => {
                let percent = number(argument, 0, 100).ok_or(BadFault("flaky"))?;
                faults.flaky = Some(percent as u8);
                true
            }
            "reset" => set(&mut faults.reset),
            "truncate" => set(&mut faults.truncate),
            "chunked" => set(&mut faults.chunked),
            "nousage" => set(&mut faults.nousage),
            "close" => set(&mut faults.close),
            _ => false,
        };
        if !consumed {
            return Ok((faults, rest));
        }
        // Skip "/keyword" and, for keywords with an argument, "/argument".
        let mut skip = 1 + keyword.len();
        if takes_argument {
            skip += 1 + argument.map_or(0, str::len);
        }
        rest = rest.get(skip..).unwrap_or("");
    }
}

fn set(flag: &mut bool) -> bool {
    *flag = true;
    true
}

fn number(argument: Option<&str>, min: u64, max: u64) -> Option<u64> {
    let value: u64 = argument?.parse().ok()?;
    (min..=max).contains(&value).then_some(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_pass_through() {
        let (faults, rest) = split_faults("/v1/chat/completions").unwrap();
        assert_eq!(faults, Faults::default());
        assert_eq!(rest, "/v1/chat/completions");
        assert_eq!(split_faults("/").unwrap().1, "/");
        assert_eq!(split_faults("").unwrap().1, "");
    }

    #[test]
    fn prefixes_compose_in_any_order() {
        let path = "/close/status/429/delay/5/nousage/delay/7/slowstream/3/truncate/chunked/reset/v1/embeddings";
        let (faults, rest) = split_faults(path).unwrap();
        assert_eq!(rest, "/v1/embeddings");
        assert_eq!(faults.status, Some(429));
        assert_eq!(faults.delay, Duration::from_millis(12));
        assert_eq!(faults.slowstream, Some(Duration::from_millis(3)));
        assert!(
            faults.close && faults.nousage && faults.truncate && faults.chunked && faults.reset
        );
    }

    #[test]
    fn prefix_without_route_leaves_empty_rest() {
        let (faults, rest) = split_faults("/status/503").unwrap();
        assert_eq!(faults.status, Some(503));
        assert_eq!(rest, "");
    }

    #[test]
    fn bad_arguments_are_rejected() {
        assert_eq!(
            split_faults("/status/abc/v1/models"),
            Err(BadFault("status"))
        );
        assert_eq!(
            split_faults("/status/200/v1/models"),
            Err(BadFault("status"))
        );
        assert_eq!(split_faults("/status"), Err(BadFault("status")));
        assert_eq!(split_faults("/delay/-1/x"), Err(BadFault("delay")));
        assert_eq!(
            split_faults("/slowstream/99999999/x"),
            Err(BadFault("slowstream"))
        );
    }

    #[test]
    fn flaky_takes_a_percentage() {
        let (faults, rest) = split_faults("/flaky/50/status/503/v1/chat/completions").unwrap();
        assert_eq!((faults.flaky, faults.status), (Some(50), Some(503)));
        assert_eq!(rest, "/v1/chat/completions");
        assert_eq!(split_faults("/flaky/0/v1").unwrap().0.flaky, Some(0));
        assert_eq!(split_faults("/flaky/100/v1").unwrap().0.flaky, Some(100));
        assert_eq!(split_faults("/flaky/101/v1"), Err(BadFault("flaky")));
        assert_eq!(split_faults("/flaky/half/v1"), Err(BadFault("flaky")));
        assert_eq!(split_faults("/flaky"), Err(BadFault("flaky")));
    }

    /// The requests (from 1) among the first `n` of a share that fail.
    fn failing(counts: &FlakyCounts, percent: u8, n: usize) -> Vec<usize> {
        (1..=n).filter(|_| counts.fails(percent)).collect()
    }

    #[test]
    fn half_fails_every_second_request_the_first_succeeding() {
        let counts = FlakyCounts::default();
        assert_eq!(failing(&counts, 50, 8), [2, 4, 6, 8]);
        counts.reset();
        assert_eq!(failing(&counts, 50, 3), [2]);
    }

    #[test]
    fn every_share_is_exact_per_hundred_and_never_ahead() {
        for percent in 0..=100u8 {
            let counts = FlakyCounts::default();
            let mut failed = 0;
            for n in 1..=300u32 {
                if counts.fails(percent) {
                    failed += 1;
                }
                // Never more than the share so far, never a whole failure behind it.
                assert_eq!(failed, n * u32::from(percent) / 100, "{percent} % at {n}");
            }
        }
    }

    #[test]
    fn shares_are_counted_apart() {
        let counts = FlakyCounts::default();
        assert!(!counts.fails(50));
        assert!(!counts.fails(30));
        assert!(counts.fails(50));
        assert!(!counts.fails(30));
        assert!(!counts.fails(30));
        assert!(counts.fails(30), "3 of 10 for 30 %: the 4th, 7th and 10th");
    }

    #[test]
    fn flaky_gates_the_other_faults() {
        let counts = FlakyCounts::default();
        let (alone, _) = split_faults("/flaky/50/v1/models").unwrap();
        assert_eq!(alone.for_this_request(&counts), Faults::default());
        let failing = alone.for_this_request(&counts);
        assert_eq!(failing.status, Some(500));
        let (reset, _) = split_faults("/flaky/100/reset/delay/5/v1/models").unwrap();
        let failing = reset.for_this_request(&counts);
        assert!(failing.reset && failing.status.is_none());
        assert_eq!(failing.delay, Duration::from_millis(5));
        let (plain, _) = split_faults("/delay/5/v1/models").unwrap();
        assert_eq!(plain.for_this_request(&counts), plain);
    }

    #[test]
    fn keywords_only_match_whole_segments() {
        let (faults, rest) = split_faults("/closed/v1/models").unwrap();
        assert_eq!(faults, Faults::default());
        assert_eq!(rest, "/closed/v1/models");
    }
}
