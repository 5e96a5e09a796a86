//! The machine a run happened on: CPU, kernel, host, date; stamped on every result.

use serde::{Deserialize, Serialize};
use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub hostname: String,
    pub cpu_model: String,
    pub cpus: usize,
    pub kernel: String,
    /// UTC, `YYYY-MM-DD`.
    pub date: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub started_at: String,
    /// /proc/loadavg when the run started: on a shared machine, how busy it already was.
    pub load_average_at_start: String,
}

/// /proc/loadavg now (1, 5 and 15 minute averages, runnable/total tasks, last pid).
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

impl Machine {
    pub fn detect() -> Self {
        let read = |path: &str| {
            fs::read_to_string(path)
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let (date, time) = utc(seconds);
        Self {
            hostname: read("/proc/sys/kernel/hostname"),
            cpu_model,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            kernel: read("/proc/sys/kernel/osrelease"),
            started_at: format!("{date}T{time}Z"),
            load_average_at_start: load_average(),
            date,
        }
    }
}

/// `(YYYY-MM-DD, HH:MM:SS)` of a Unix time, proleptic Gregorian (Howard Hinnant's
/// days-to-civil algorithm), so the harness needs no date crate.
pub fn utc(unix_seconds: u64) -> (String, String) {
    let days = (unix_seconds / 86_400) as i64;
    let secs = unix_seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), ("1970-01-01".to_owned(), "00:00:00".to_owned()));
        assert_eq!(utc(951_782_400).0, "2000-02-29");
        assert_eq!(
            utc(1_700_000_000),
            ("2023-11-14".to_owned(), "22:13:20".to_owned())
        );
        assert_eq!(utc(4_107_542_399).0, "2100-02-28");
    }

    #[test]
    fn detects_something() {
        let machine = Machine::detect();
        assert!(machine.cpus >= 1);
        assert!(!machine.kernel.is_empty());
        assert_eq!(machine.date.len(), 10);
    }
}
