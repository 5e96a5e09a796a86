//! What a load run counts: latency histograms, outcomes, and the report built from them.

use hdrhistogram::{CreationError, Histogram};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Highest latency the histograms resolve, in µs; slower requests are clamped to it.
pub const MAX_LATENCY_US: u64 = 120_000_000;
/// Significant decimal digits kept by the histograms (0.1 % relative error).
const SIGNIFICANT_DIGITS: u8 = 3;

/// Why a request got no response; every one is counted, none is retried silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The TCP connection could not be opened.
    Connect,
    /// Writing the request failed.
    Write,
    /// Reading the response failed.
    Read,
    /// The server closed before the response was complete.
    Closed,
    /// The response is not valid HTTP/1.1.
    Malformed,
    /// No complete response within the request timeout.
    Timeout,
}

/// Requests that got no response, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCounts {
    pub connect: u64,
    pub write: u64,
    pub read: u64,
    pub closed: u64,
    pub malformed: u64,
    pub timeout: u64,
}

impl ErrorCounts {
    pub fn total(&self) -> u64 {
        self.connect + self.write + self.read + self.closed + self.malformed + self.timeout
    }

    fn add(&mut self, failure: Failure) {
        let slot = match failure {
            Failure::Connect => &mut self.connect,
            Failure::Write => &mut self.write,
            Failure::Read => &mut self.read,
            Failure::Closed => &mut self.closed,
            Failure::Malformed => &mut self.malformed,
            Failure::Timeout => &mut self.timeout,
        };
        *slot += 1;
    }
}

/// Percentiles of one histogram, in µs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub min: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Percentiles {
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        Self {
            count: histogram.len(),
            min: histogram.min(),
            mean: histogram.mean(),
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

/// The outcome of one load run, over its measured window only (warm-up excluded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Length of the measured window, seconds.
    pub window_s: f64,
    pub concurrency: usize,
    /// Open-loop target rate (requests/s); `None` for a closed loop.
    pub rate: Option<f64>,
    /// Responses completed inside the window, any status.
    pub responses: u64,
    /// 2xx responses inside the window: the basis of `throughput` and `latency_us`.
    pub ok: u64,
    /// Responses outside 2xx inside the window.
    pub non_2xx: u64,
    /// Responses by status code inside the window.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no response inside the window, by cause.
    pub errors: ErrorCounts,
    /// Share of the window's requests a client saw fail: non-2xx responses and requests
    /// without a response, over both plus 2xx (0.0 when there were none).
    #[serde(default)]
    pub error_rate: f64,
    /// 2xx responses per second of window.
    pub throughput: f64,
    /// Request start (scheduled start in open loop) to the last response byte, 2xx only.
    pub latency_us: Percentiles,
    /// Request start to the first body byte, 2xx only.
    pub first_byte_us: Percentiles,
    /// Body bytes of 2xx responses inside the window.
    pub body_bytes: u64,
    /// Server-sent events in 2xx responses inside the window.
    pub events: u64,
    /// `events` per second of window.
    pub events_per_s: f64,
    /// Requests still unanswered when the window closed (neither counted nor failed).
    pub in_flight_at_end: u64,
    /// Requests written over the whole run, warm-up included.
    pub sent_total: u64,
    /// Responses read over the whole run, warm-up included.
    pub completed_total: u64,
    /// TCP connections opened over the whole run.
    pub connections: u64,
}

impl LoadReport {
    /// True when every request in the window got a 2xx response and there was at least one.
    pub fn clean(&self) -> bool {
        self.ok > 0 && self.non_2xx == 0 && self.errors.total() == 0
    }
}

/// One finished response, as the connection task saw it.
#[derive(Debug, Clone, Copy)]
pub struct Completion {
    pub status: u16,
    pub latency: Duration,
    pub first_byte: Duration,
    pub body_bytes: u64,
    pub events: u64,
}

/// Accumulates outcomes; counts only while the measured window is open.
#[derive(Debug)]
pub struct Recorder {
    open: bool,
    latency: Histogram<u64>,
    first_byte: Histogram<u64>,
    report: LoadReport,
}

impl Recorder {
    pub fn new(concurrency: usize, rate: Option<f64>) -> Result<Self, CreationError> {
        Ok(Self {
            open: false,
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS)?,
            first_byte: Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS)?,
            report: LoadReport {
                concurrency,
                rate,
                ..LoadReport::default()
            },
        })
    }

    pub fn open_window(&mut self) {
        self.open = true;
    }

    pub fn close_window(&mut self) {
        self.open = false;
    }

    pub fn sent(&mut self) {
        self.report.sent_total += 1;
    }

    pub fn connected(&mut self) {
        self.report.connections += 1;
    }

    pub fn complete(&mut self, done: Completion) {
        self.report.completed_total += 1;
        if !self.open {
            return;
        }
        let report = &mut self.report;
        report.responses += 1;
        *report.statuses.entry(done.status).or_default() += 1;
        if !(200..300).contains(&done.status) {
            report.non_2xx += 1;
            return;
        }
        report.ok += 1;
        report.body_bytes += done.body_bytes;
        report.events += done.events;
        self.latency.saturating_record(micros(done.latency));
        self.first_byte.saturating_record(micros(done.first_byte));
    }

    pub fn fail(&mut self, failure: Failure) {
        if self.open {
            self.report.errors.add(failure);
        }
    }

    /// The report for a window of `window` with `in_flight` requests left unanswered.
    pub fn finish(mut self, window: Duration, in_flight: u64) -> LoadReport {
        let seconds = window.as_secs_f64();
        let report = &mut self.report;
        report.window_s = seconds;
        report.in_flight_at_end = in_flight;
        if seconds > 0.0 {
            report.throughput = report.ok as f64 / seconds;
            report.events_per_s = report.events as f64 / seconds;
        }
        let failed = report.non_2xx + report.errors.total();
        if report.responses + report.errors.total() > 0 {
            report.error_rate = failed as f64 / (report.responses + report.errors.total()) as f64;
        }
        report.latency_us = Percentiles::of(&self.latency);
        report.first_byte_us = Percentiles::of(&self.first_byte);
        self.report
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_LATENCY_US)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn done(status: u16, micros: u64) -> Completion {
        Completion {
            status,
            latency: Duration::from_micros(micros),
            first_byte: Duration::from_micros(micros / 2),
            body_bytes: 100,
            events: 3,
        }
    }

    #[test]
    fn counts_only_inside_the_window() {
        let mut recorder = Recorder::new(2, None).unwrap();
        recorder.sent();
        recorder.complete(done(200, 5));
        recorder.fail(Failure::Timeout);
        recorder.open_window();
        for micros in 1..=1000 {
            recorder.sent();
            recorder.complete(done(200, micros));
        }
        recorder.complete(done(502, 10));
        recorder.fail(Failure::Closed);
        recorder.fail(Failure::Connect);
        recorder.close_window();
        recorder.complete(done(200, 1));
        let report = recorder.finish(Duration::from_secs(2), 1);
        assert_eq!(report.ok, 1000);
        assert_eq!(report.responses, 1001);
        assert_eq!(report.non_2xx, 1);
        assert_eq!(report.statuses[&502], 1);
        assert_eq!(report.statuses[&200], 1000);
        assert_eq!(report.errors.total(), 2);
        assert_eq!(report.errors.closed, 1);
        assert_eq!(report.errors.timeout, 0);
        assert_eq!(report.throughput, 500.0);
        assert_eq!(report.events, 3000);
        assert_eq!(report.events_per_s, 1500.0);
        assert_eq!(report.body_bytes, 100_000);
        assert_eq!(report.sent_total, 1001);
        assert_eq!(report.completed_total, 1003);
        assert_eq!(report.in_flight_at_end, 1);
        // One 502 and two requests without a response among 1,003.
        assert_eq!(report.error_rate, 3.0 / 1003.0);
        assert!(!report.clean());
    }

    #[test]
    fn percentiles_within_histogram_precision() {
        let mut recorder = Recorder::new(1, Some(100.0)).unwrap();
        recorder.open_window();
        for micros in 1..=10_000 {
            recorder.complete(done(200, micros));
        }
        let report = recorder.finish(Duration::from_secs(1), 0);
        let l = report.latency_us;
        let near = |value: u64, expected: u64| value.abs_diff(expected) <= expected / 500 + 1;
        assert!(near(l.p50, 5_000), "{l:?}");
        assert!(near(l.p90, 9_000), "{l:?}");
        assert!(near(l.p99, 9_900), "{l:?}");
        assert!(near(l.p999, 9_990), "{l:?}");
        assert!(near(l.max, 10_000), "{l:?}");
        assert_eq!(l.min, 1);
        assert_eq!(l.count, 10_000);
        assert!((l.mean - 5_000.5).abs() < 10.0);
        assert!(near(report.first_byte_us.p50, 2_500));
        assert_eq!(report.error_rate, 0.0);
        assert!(report.clean());
    }

    #[test]
    fn slow_and_zero_latencies_are_clamped_not_lost() {
        let mut recorder = Recorder::new(1, None).unwrap();
        recorder.open_window();
        recorder.complete(done(200, 0));
        recorder.complete(Completion {
            latency: Duration::from_secs(1_000),
            ..done(200, 1)
        });
        let report = recorder.finish(Duration::from_secs(1), 0);
        assert_eq!(report.latency_us.count, 2);
        assert_eq!(report.latency_us.min, 1);
        assert!(report.latency_us.max >= MAX_LATENCY_US * 999 / 1000);
    }

    #[test]
    fn empty_window_is_not_clean_and_json_round_trips() {
        let report = Recorder::new(50, None).unwrap().finish(Duration::ZERO, 0);
        assert!(!report.clean());
        assert_eq!(report.throughput, 0.0);
        let json = serde_json::to_string(&report).unwrap();
        let back: LoadReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        for key in [
            "throughput",
            "latency_us",
            "errors",
            "non_2xx",
            "first_byte_us",
            "events_per_s",
            "error_rate",
        ] {
            assert!(value.get(key).is_some(), "{key} missing");
        }
    }
}
