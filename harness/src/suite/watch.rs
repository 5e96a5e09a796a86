//! Watches the process under test during a load run: sampled RSS, VmHWM, CPU over the window.

use super::procfs::{self, CpuTicks};
use crate::load::WindowObserver;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Time between RSS samples: short enough to catch a burst of large responses, cheap enough
/// (one small /proc read per process) not to disturb the generator sharing its core.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// Memory and CPU of the process tree under test for one scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessReport {
    /// Processes summed (a master and its workers count together).
    pub pids: Vec<u32>,
    pub rss_before_kb: u64,
    pub rss_after_kb: u64,
    /// Largest sum of VmRSS seen while the load ran (warm-up included).
    pub peak_rss_sampled_kb: u64,
    /// Sum of each process's VmHWM at the end: its lifetime peak (an upper bound of the peak
    /// of the sum when there are several processes).
    pub vm_hwm_kb: u64,
    /// CPU time used inside the measured window.
    pub cpu_window: CpuTicks,
    /// `cpu_window` divided by 2xx responses in the window.
    pub cpu_us_per_request: Option<f64>,
    /// Share of the window's wall time the tree was on a CPU (1.0 = one full core).
    pub cpu_utilisation: f64,
}

/// Samples RSS on a side thread until finished.
#[derive(Debug)]
pub struct Watch {
    pids: Vec<u32>,
    rss_before_kb: u64,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<()>>,
}

impl Watch {
    pub fn start(root: u32) -> Self {
        let pids = procfs::tree(root);
        let (rss_before_kb, _) = procfs::memory_of(&pids);
        let peak = Arc::new(AtomicU64::new(rss_before_kb));
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (pids, peak, stop) = (pids.clone(), Arc::clone(&peak), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("rss-sampler".to_owned())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        peak.fetch_max(procfs::memory_of(&pids).0, Ordering::Relaxed);
                        std::thread::sleep(SAMPLE_EVERY);
                    }
                })
                .ok()
        };
        Self {
            pids,
            rss_before_kb,
            peak,
            stop,
            sampler,
        }
    }

    /// The observer handed to the load run: reads CPU time at the window's edges.
    pub fn window_probe(&self) -> WindowProbe {
        WindowProbe {
            pids: self.pids.clone(),
            opened: None,
            closed: None,
        }
    }

    pub fn finish(mut self, probe: &WindowProbe, ok: u64, window_s: f64) -> ProcessReport {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(sampler) = self.sampler.take() {
            let _ = sampler.join();
        }
        let (rss_after_kb, vm_hwm_kb) = procfs::memory_of(&self.pids);
        let cpu_window = match (probe.opened, probe.closed) {
            (Some(opened), Some(closed)) => closed.since(opened),
            _ => CpuTicks::default(),
        };
        let micros = cpu_window.micros() as f64;
        ProcessReport {
            pids: self.pids.clone(),
            rss_before_kb: self.rss_before_kb,
            rss_after_kb,
            peak_rss_sampled_kb: self.peak.load(Ordering::Relaxed).max(rss_after_kb),
            vm_hwm_kb,
            cpu_window,
            cpu_us_per_request: (ok > 0).then(|| micros / ok as f64),
            cpu_utilisation: if window_s > 0.0 {
                micros / 1e6 / window_s
            } else {
                0.0
            },
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// CPU ticks of the watched tree when the measured window opened and closed.
#[derive(Debug, Clone)]
pub struct WindowProbe {
    pids: Vec<u32>,
    opened: Option<CpuTicks>,
    closed: Option<CpuTicks>,
}

impl WindowObserver for WindowProbe {
    fn window_opened(&mut self) {
        self.opened = Some(procfs::cpu_of(&self.pids));
    }

    fn window_closed(&mut self) {
        self.closed = Some(procfs::cpu_of(&self.pids));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn watches_this_process_burning_cpu() {
        let me = std::process::id();
        let ticks = || {
            let cpu = procfs::stat(me).unwrap().cpu;
            cpu.user + cpu.system
        };
        let watch = Watch::start(me);
        let mut probe = watch.window_probe();
        probe.window_opened();
        // Burn 12 ticks of CPU time, however long the shared machine takes to grant them.
        let target = ticks() + 12;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut x = 0u64;
        while ticks() < target && std::time::Instant::now() < deadline {
            for _ in 0..100_000 {
                x = x.wrapping_mul(31).wrapping_add(7);
            }
        }
        std::hint::black_box(x);
        probe.window_closed();
        let report = watch.finish(&probe, 10, 0.12);
        assert!(report.rss_before_kb > 0 && report.rss_after_kb > 0);
        assert!(report.peak_rss_sampled_kb >= report.rss_after_kb);
        assert!(report.vm_hwm_kb >= report.rss_after_kb);
        let per_request = report.cpu_us_per_request.unwrap();
        // At least the 120 ms burnt over 10 requests; other test threads may add some.
        assert!(
            (12_000.0..=1_000_000.0).contains(&per_request),
            "{per_request}"
        );
        assert!(report.cpu_utilisation > 0.5);
    }
}
