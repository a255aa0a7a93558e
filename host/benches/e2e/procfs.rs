//! A process's costs as Linux accounts them in `/proc/PID`: CPU time, bytes written to storage,
//! context switches, threads and resident memory.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// Cumulative counters of a process, to subtract one reading from a later one.
#[derive(Debug, Clone, Copy)]
pub struct Counters {
    /// User plus system time (`utime + stime` in `/proc/PID/stat`).
    pub cpu: Duration,
    /// Bytes the process caused to be written to storage (`write_bytes` in `/proc/PID/io`).
    pub write_bytes: u64,
    /// Voluntary plus involuntary context switches of its live threads (`/proc/PID/task/*`).
    /// A thread that exits takes its count with it, so between two readings the sum can miss
    /// the switches of threads that ended meanwhile (e.g. tokio's idle blocking threads).
    pub context_switches: u64,
}

impl Counters {
    pub fn read(pid: u32) -> Result<Self> {
        Ok(Self {
            cpu: cpu_time(pid)?,
            write_bytes: io_field(pid, "write_bytes")?,
            context_switches: context_switches(pid)?,
        })
    }

    /// What was counted from `earlier` to `self`.
    pub fn since(&self, earlier: &Counters) -> Counters {
        Counters {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            write_bytes: self.write_bytes.saturating_sub(earlier.write_bytes),
            context_switches: self
                .context_switches
                .saturating_sub(earlier.context_switches),
        }
    }
}

fn read(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `utime + stime`, from the fields after the command name (which may hold spaces).
fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = read(format!("/proc/{pid}/stat"))?;
    let after_name = stat.rsplit_once(')').context("odd /proc/PID/stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); `fields[0]` is field 3.
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every common Linux if that fails).
fn clock_ticks() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// A `name: value` line of `/proc/PID/io`.
fn io_field(pid: u32, name: &str) -> Result<u64> {
    field(&read(format!("/proc/{pid}/io"))?, name)
}

/// The number in the `name:` line of a `/proc` key-value file (`VmHWM:  1234 kB` → 1234).
fn field(text: &str, name: &str) -> Result<u64> {
    for line in text.lines() {
        if let Some(value) = line.strip_prefix(name).and_then(|l| l.strip_prefix(':')) {
            let number = value.split_whitespace().next().unwrap_or("");
            return number
                .parse()
                .with_context(|| format!("`{name}` is not a number: {line}"));
        }
    }
    bail!("no `{name}` line")
}

/// A field of `/proc/PID/status`: `VmHWM`, `VmRSS` (KiB) or `Threads`.
pub fn status(pid: u32, name: &str) -> Result<u64> {
    field(&read(format!("/proc/{pid}/status"))?, name)
}

/// The context switches of every live thread of `pid`.
fn context_switches(pid: u32) -> Result<u64> {
    let mut sum = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        // A thread may end between the listing and the read: it is skipped.
        let Ok(text) = std::fs::read_to_string(task?.path().join("status")) else {
            continue;
        };
        sum += field(&text, "voluntary_ctxt_switches")?;
        sum += field(&text, "nonvoluntary_ctxt_switches")?;
    }
    Ok(sum)
}

/// Reads `Threads:` every 20 ms on a thread of its own, keeping the largest count.
#[derive(Debug)]
pub struct ThreadSampler {
    stop: Arc<AtomicBool>,
    sampler: JoinHandle<u64>,
}

impl ThreadSampler {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let sampler = std::thread::spawn(move || {
            let mut most = 0;
            while !flag.load(Ordering::Relaxed) {
                most = most.max(status(pid, "Threads").unwrap_or(0));
                std::thread::sleep(Duration::from_millis(20));
            }
            most
        });
        Self { stop, sampler }
    }

    /// Stops sampling; the most threads seen.
    pub fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.sampler.join().unwrap_or(0)
    }
}
