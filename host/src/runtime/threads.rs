//! The threads plugin code runs on: a tokio runtime of its own, at a lower CPU priority than the
//! daemon's other threads.
//!
//! A plugin that computes hard, spins until its deadline or touches all its memory takes CPU
//! from other plugins at worst, not from accepting events or storing them: on a busy machine
//! the kernel runs those first. The deliveries of the plugins' actions run here too, so a
//! plugin's flood of sends is paid for in the same currency. Plugins among themselves share
//! these threads fairly (each long call gives way at every epoch tick, see `deadline`).

use std::future::Future;

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinError;

/// How much nicer than the rest of the daemon plugin threads are (Linux nice levels: 10 gets
/// about a tenth of the CPU a normal thread gets when both want it).
const NICENESS: i32 = 10;

/// The plugin runtime. Dropping it stops its tasks without waiting for them.
#[derive(Debug)]
pub struct PluginThreads {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl PluginThreads {
    /// Starts `workers` threads (at least one).
    pub fn start(workers: usize) -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name("wasmbot-plugin")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self {
            runtime: Some(runtime),
            handle,
        })
    }

    /// For work done on the plugins' behalf that is not plugin code (their deliveries).
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Runs a task there (a lane, for its whole life).
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.handle.spawn(task);
    }

    /// Runs `work` there and waits for its result (loading a plugin runs its `init`).
    pub async fn run<F>(&self, work: F) -> Result<F::Output, JoinError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(work).await
    }
}

impl Drop for PluginThreads {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which is not allowed inside another runtime.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Lowers the calling thread's priority (on Linux a nice level is per thread).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn lower_priority() {
    // SAFETY: setpriority only reads its integer arguments; `0` names the calling thread.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, NICENESS) };
    if result != 0 {
        let error = std::io::Error::last_os_error();
        tracing::warn!(%error, "cannot lower the priority of a plugin thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_a_lowered_thread_and_the_runtime_drops_inside_another() {
        let threads = PluginThreads::start(1).unwrap();
        let (name, nice) = threads
            .run(async {
                let name = std::thread::current().name().map(str::to_string);
                (name, thread_nice())
            })
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("wasmbot-plugin"));
        assert!(nice >= NICENESS, "nice level {nice}");
        drop(threads); // must not panic inside this runtime
    }

    #[allow(unsafe_code)]
    fn thread_nice() -> i32 {
        // SAFETY: getpriority only reads its integer arguments; `0` names the calling thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }
}
