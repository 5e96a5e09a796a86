//! Reads CPU time and memory of a process tree from Linux's /proc.

use serde::{Deserialize, Serialize};
use std::fs;
use std::io;

/// Clock ticks per second of /proc/PID/stat times: USER_HZ, fixed at 100 by the kernel's ABI
/// on every architecture corelane targets (the kernel converts from its internal HZ).
pub const USER_HZ: u64 = 100;

/// User and system CPU time, in clock ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuTicks {
    pub user: u64,
    pub system: u64,
}

impl CpuTicks {
    pub fn since(self, earlier: CpuTicks) -> CpuTicks {
        CpuTicks {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }

    pub fn micros(self) -> u64 {
        (self.user + self.system) * (1_000_000 / USER_HZ)
    }
}

/// The fields of /proc/PID/stat the harness uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub ppid: u32,
    pub cpu: CpuTicks,
}

/// Parses /proc/PID/stat text. The command name (field 2) may hold spaces and parentheses, so
/// fields are counted from its last `)` (proc(5)).
pub fn parse_stat(text: &str) -> Option<Stat> {
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_ascii_whitespace().collect();
    // After the name: state(3) ppid(4) ... utime(14) stime(15); index = field - 3.
    Some(Stat {
        ppid: fields.get(1)?.parse().ok()?,
        cpu: CpuTicks {
            user: fields.get(11)?.parse().ok()?,
            system: fields.get(12)?.parse().ok()?,
        },
    })
}

/// Memory lines of /proc/PID/status, in KiB, and the CPUs the process may run on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub vm_rss_kb: u64,
    pub vm_hwm_kb: u64,
    pub cpus_allowed: String,
}

pub fn parse_status(text: &str) -> Status {
    let mut status = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let kb = || {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
        };
        match key {
            "VmRSS" => status.vm_rss_kb = kb(),
            "VmHWM" => status.vm_hwm_kb = kb(),
            "Cpus_allowed_list" => status.cpus_allowed = value.trim().to_owned(),
            _ => {}
        }
    }
    status
}

pub fn stat(pid: u32) -> io::Result<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat(&text).ok_or_else(|| io::Error::other(format!("unreadable /proc/{pid}/stat")))
}

pub fn status(pid: u32) -> io::Result<Status> {
    Ok(parse_status(&fs::read_to_string(format!(
        "/proc/{pid}/status"
    ))?))
}

/// `root` and all its descendants alive now (nginx's workers, a Python server's children).
pub fn tree(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Ok(stat) = stat(pid) {
                parents.push((pid, stat.ppid));
            }
        }
    }
    descendants(root, &parents)
}

/// `root` followed by every pid whose parent chain reaches it, from `(pid, ppid)` pairs.
pub fn descendants(root: u32, parents: &[(u32, u32)]) -> Vec<u32> {
    let mut found = vec![root];
    let mut at = 0;
    while at < found.len() {
        let parent = found[at];
        found.extend(
            parents
                .iter()
                .filter(|&&(pid, ppid)| ppid == parent && pid != parent && !found.contains(&pid))
                .map(|&(pid, _)| pid)
                .collect::<Vec<_>>(),
        );
        at += 1;
    }
    found
}

/// Sum of CPU ticks over `pids`; processes that exited are skipped.
pub fn cpu_of(pids: &[u32]) -> CpuTicks {
    pids.iter()
        .filter_map(|&pid| stat(pid).ok())
        .fold(CpuTicks::default(), |sum, s| CpuTicks {
            user: sum.user + s.cpu.user,
            system: sum.system + s.cpu.system,
        })
}

/// Sums of VmRSS and VmHWM over `pids`, in KiB.
pub fn memory_of(pids: &[u32]) -> (u64, u64) {
    pids.iter()
        .filter_map(|&pid| status(pid).ok())
        .fold((0, 0), |(rss, hwm), s| {
            (rss + s.vm_rss_kb, hwm + s.vm_hwm_kb)
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_a_hostile_command_name() {
        let text = "4242 (we ird) (x)) S 17 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 3 0 99 1000 200 18446744073709551615\n";
        let stat = parse_stat(text).unwrap();
        assert_eq!(stat.ppid, 17);
        assert_eq!(
            stat.cpu,
            CpuTicks {
                user: 1234,
                system: 567
            }
        );
        assert_eq!(parse_stat("12 (short) S 1"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn status_memory_and_cpus() {
        let text = "Name:\tcorelane\nVmPeak:\t  100 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nCpus_allowed_list:\t1\n";
        let status = parse_status(text);
        assert_eq!(status.vm_hwm_kb, 20_480);
        assert_eq!(status.vm_rss_kb, 10_240);
        assert_eq!(status.cpus_allowed, "1");
    }

    #[test]
    fn descendants_follow_the_chain_only() {
        let pairs = [
            (1, 0),
            (10, 1),
            (11, 10),
            (12, 11),
            (20, 1),
            (13, 10),
            (30, 30),
        ];
        assert_eq!(descendants(10, &pairs), vec![10, 11, 13, 12]);
        assert_eq!(descendants(30, &pairs), vec![30]);
    }

    #[test]
    fn ticks_to_micros_and_deltas() {
        let later = CpuTicks {
            user: 150,
            system: 300,
        };
        let delta = later.since(CpuTicks {
            user: 100,
            system: 100,
        });
        assert_eq!(
            delta,
            CpuTicks {
                user: 50,
                system: 200
            }
        );
        assert_eq!(delta.micros(), 2_500_000);
        assert_eq!(CpuTicks::default().since(later), CpuTicks::default());
    }

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(status(me).unwrap().vm_rss_kb > 0);
        assert!(stat(me).is_ok());
        assert_eq!(tree(me)[0], me);
    }
}
