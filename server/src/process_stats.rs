//! The process metrics every Prometheus client library exports, as LiteLLM's scrape shows them
//! (prometheus_client's `ProcessCollector`): memory, start time, CPU time and descriptors of
//! this process, read from `/proc/self` when scraped. Python's `python_*` families have no
//! counterpart here and are left out (docs/deviations.md).

use std::fmt::Write as _;

/// `USER_HZ`: the unit of the times in `/proc/<pid>/stat`, fixed at 100 by the Linux ABI.
const TICKS_PER_SECOND: f64 = 100.0;

/// What is known of the process; `None` where `/proc` did not say.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProcessStats {
    pub virtual_bytes: Option<f64>,
    pub resident_bytes: Option<f64>,
    pub start_time_seconds: Option<f64>,
    pub cpu_seconds: Option<f64>,
    pub open_fds: Option<f64>,
    pub max_fds: Option<f64>,
}

impl ProcessStats {
    /// Reads this process's figures.
    pub fn read() -> ProcessStats {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let boot = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as f64);
        let mut stats = ProcessStats::parse(&status, &stat, &boot, &limits);
        stats.open_fds = open_fds;
        stats
    }

    /// The figures in the texts of `/proc/self/status`, `/proc/self/stat`, `/proc/stat` and
    /// `/proc/self/limits`.
    pub fn parse(status: &str, stat: &str, boot: &str, limits: &str) -> ProcessStats {
        let kib = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.trim().strip_suffix("kB"))
                .and_then(|n| n.trim().parse::<f64>().ok())
                .map(|n| n * 1024.0)
        };
        // The fields after the command name, which sits in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        // proc(5) numbers the fields from 1 with the pid; `fields[0]` is field 3 (state).
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
        let cpu_seconds = match (field(14), field(15)) {
            (Some(user), Some(system)) => Some((user + system) / TICKS_PER_SECOND),
            _ => None,
        };
        let btime = boot
            .lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse::<f64>().ok());
        let start_time_seconds = match (field(22), btime) {
            (Some(ticks), Some(btime)) => Some(btime + ticks / TICKS_PER_SECOND),
            _ => None,
        };
        let max_fds = limits
            .lines()
            .find_map(|l| l.strip_prefix("Max open files"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|soft| soft.parse::<f64>().ok());
        ProcessStats {
            virtual_bytes: kib("VmSize:"),
            resident_bytes: kib("VmRSS:"),
            start_time_seconds,
            cpu_seconds,
            open_fds: None,
            max_fds,
        }
    }

    /// The families in prometheus_client's order, names and help texts; `float` formats a
    /// value as the rest of the scrape does.
    pub fn render(&self, out: &mut String, float: impl Fn(f64) -> String) {
        let families = [
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                "gauge",
                self.virtual_bytes,
            ),
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                "gauge",
                self.resident_bytes,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                "gauge",
                self.start_time_seconds,
            ),
            (
                "process_cpu_seconds_total",
                "Total user and system CPU time spent in seconds.",
                "counter",
                self.cpu_seconds,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                "gauge",
                self.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                "gauge",
                self.max_fds,
            ),
        ];
        for (name, help, kind, value) in families {
            let Some(value) = value else { continue };
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {}", float(value));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tcorelane\nVmSize:\t  892720 kB\nVmRSS:\t   10240 kB\n";
    const STAT: &str = "4242 (core lane) S 1 4242 4242 0 -1 4194560 2 0 0 0 1234 286 0 0 20 0 3 0 5000 914145280 2500 18446744073709551615";
    const BOOT: &str = "cpu  1 2 3\nbtime 1795970000\nprocesses 10\n";
    const LIMITS: &str = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            20000                524288               files     \n";

    #[test]
    fn figures_come_from_proc() {
        let s = ProcessStats::parse(STATUS, STAT, BOOT, LIMITS);
        assert_eq!(s.virtual_bytes, Some(892_720.0 * 1024.0));
        assert_eq!(s.resident_bytes, Some(10_240.0 * 1024.0));
        assert_eq!(s.cpu_seconds, Some(15.2));
        assert_eq!(s.start_time_seconds, Some(1_795_970_050.0));
        assert_eq!(s.max_fds, Some(20_000.0));
    }

    #[test]
    fn unreadable_proc_leaves_the_families_out() {
        let s = ProcessStats::parse("", "", "", "");
        let mut out = String::new();
        s.render(&mut out, |v| v.to_string());
        assert_eq!(out, "");
    }

    #[test]
    fn this_process_has_every_figure() {
        let s = ProcessStats::read();
        assert!(s.resident_bytes.unwrap() > 0.0);
        assert!(s.open_fds.unwrap() >= 3.0);
        assert!(s.start_time_seconds.unwrap() > 1.6e9);
        let mut out = String::new();
        s.render(&mut out, |v| v.to_string());
        assert_eq!(out.matches("# TYPE process_").count(), 6);
    }
}
