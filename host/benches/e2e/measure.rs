//! The two kinds of run: a load against a fresh daemon (warm-up, then the measured events with
//! the daemon's `/proc` counters around them), and spawn → first reply on a fresh data dir.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::check::{check, percentile, Delivered};
use crate::daemon::{DaemonProcess, Setup, Store};
use crate::load::{post_all, wait_for_replies, Hook, Load, PostError, Posted};
use crate::procfs::{self, Counters, ThreadSampler};
use crate::report::{log_problems, Measured, Startup};
use crate::standin::StandIn;
use crate::{Settings, GRACE};

/// How long a fresh daemon may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts a daemon with `plugin` on `store`, warms it up with `settings.warmup` events of the
/// same shape as `load`, then measures `load`. Returns the figures and the daemon's log.
pub async fn measure_load(
    settings: &Settings,
    standin: &StandIn,
    plugin: &Path,
    store: Store,
    load: Load,
) -> Result<(Measured, String)> {
    let plugins = [plugin.to_path_buf()];
    let mut daemon = spawn(settings, standin, &plugins, store)?;
    daemon.wait_listening(START_TIMEOUT).await?;
    let hook = Hook::new(daemon.addr, load.senders)?;
    let warm_up = Load {
        events: settings.warmup,
        label: 'w',
        ..load
    };
    let posted = post_all(&hook, warm_up).await.context("warm-up")?;
    let arrived = wait_until_replied(settings, standin, &mut daemon, warm_up, &posted).await?;
    collect(settings, standin, warm_up, &posted, arrived)
        .await
        .context("warm-up")?;

    let (pid, bench) = (daemon.pid(), std::process::id());
    let before = (Counters::read(pid)?, Counters::read(bench)?);
    let sampler = ThreadSampler::start(pid);
    let posted = post_all(&hook, load).await?;
    let arrived = wait_until_replied(settings, standin, &mut daemon, load, &posted).await?;
    let after = (Counters::read(pid)?, Counters::read(bench)?);
    let threads = sampler.finish();
    let peak_rss_kib = procfs::status(pid, "VmHWM")?;
    let delivered = collect(settings, standin, load, &posted, arrived).await?;
    let log = daemon.log();
    let cost = Cost {
        daemon: after.0.since(&before.0),
        bench: after.1.since(&before.1),
        threads,
        peak_rss_kib,
        log_problems: log_problems(&log).iter().map(|(_, n)| n).sum(),
    };
    Ok((figures(load, &posted, &delivered, &cost), log))
}

fn spawn(
    settings: &Settings,
    standin: &StandIn,
    plugins: &[PathBuf],
    store: Store,
) -> Result<DaemonProcess> {
    DaemonProcess::spawn(&Setup {
        binary: &settings.binary,
        plugins,
        store,
        api_base: &standin.api_base,
    })
}

/// Waits for every reply of `load` (until `settings.timeout` after the last POST); fails at
/// once if the daemon died. Returns whether they all arrived.
async fn wait_until_replied(
    settings: &Settings,
    standin: &StandIn,
    daemon: &mut DaemonProcess,
    load: Load,
    posted: &Posted,
) -> Result<bool> {
    let deadline = posted.finished + settings.timeout;
    let arrived = wait_for_replies(standin, load.events, deadline).await;
    daemon.check_alive()?;
    Ok(arrived)
}

/// After a moment for late duplicates, takes what the stand-in got and checks it.
async fn collect(
    settings: &Settings,
    standin: &StandIn,
    load: Load,
    posted: &Posted,
    arrived: bool,
) -> Result<Delivered> {
    tokio::time::sleep(GRACE).await;
    let sent = standin.take();
    let refused = standin.take_refused();
    if !refused.is_empty() {
        bail!(
            "the stand-in refused {} requests: {refused:?}",
            refused.len()
        );
    }
    check(load, posted, &sent).with_context(|| match arrived {
        true => "the replies are wrong".to_string(),
        false => format!(
            "not every reply arrived within {:?} of the last POST",
            settings.timeout
        ),
    })
}

/// What a measured load cost, from `/proc`.
struct Cost {
    daemon: Counters,
    bench: Counters,
    threads: u64,
    peak_rss_kib: u64,
    log_problems: usize,
}

fn figures(load: Load, posted: &Posted, delivered: &Delivered, cost: &Cost) -> Measured {
    let events = load.events as f64;
    let elapsed = delivered.last_reply.duration_since(posted.started);
    Measured {
        events: load.events,
        events_per_second: events / elapsed.as_secs_f64(),
        p50: percentile(&delivered.latencies, 50),
        p99: percentile(&delivered.latencies, 99),
        cpu_per_event: cost.daemon.cpu.div_f64(events),
        written_per_event: cost.daemon.write_bytes as f64 / events,
        switches_per_event: cost.daemon.context_switches as f64 / events,
        threads: cost.threads,
        peak_rss_kib: cost.peak_rss_kib,
        busy: posted.busy,
        bench_cpu_per_event: cost.bench.cpu.div_f64(events),
        log_problems: cost.log_problems,
    }
}

/// Spawns a daemon with `plugins` on a fresh data dir, posts one `/echo` at once (again and
/// again while nothing listens yet), and times spawn → accepted and spawn → reply; then the
/// resident memory once it has settled. Returns the figures and the daemon's log.
pub async fn measure_startup(
    settings: &Settings,
    standin: &StandIn,
    plugins: &[PathBuf],
) -> Result<(Startup, String)> {
    standin.take();
    let mut daemon = spawn(settings, standin, plugins, Store::Fjall)?;
    let load = Load {
        events: 1,
        senders: 1,
        label: 's',
    };
    let hook = Hook::new(daemon.addr, 1)?;
    let deadline = daemon.spawned_at + settings.timeout;
    post_while_starting(&hook, &mut daemon, load.body(0, 0), deadline).await?;
    let to_accepted = daemon.spawned_at.elapsed();
    let posted = Posted {
        started: daemon.spawned_at,
        finished: Instant::now(),
        sent_at: vec![daemon.spawned_at],
        busy: 0,
    };
    let arrived = wait_until_replied(settings, standin, &mut daemon, load, &posted).await?;
    let delivered = collect(settings, standin, load, &posted, arrived).await?;
    settle(daemon.pid(), daemon.spawned_at + settings.timeout).await?;
    let startup = Startup {
        plugins: plugins.len(),
        to_accepted,
        to_reply: delivered.latencies[0],
        to_idle: daemon.spawned_at.elapsed(),
        idle_rss_kib: procfs::status(daemon.pid(), "VmRSS")?,
        idle_anon_kib: procfs::status(daemon.pid(), "RssAnon")?,
        idle_threads: procfs::status(daemon.pid(), "Threads")?,
    };
    Ok((startup, daemon.log()))
}

/// Waits until the process has used no CPU for a second (work left after the first reply, such
/// as compiling optimised code, is done).
async fn settle(pid: u32, deadline: Instant) -> Result<()> {
    let mut last = Counters::read(pid)?.cpu;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = Counters::read(pid)?.cpu;
        if now == last {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the daemon was still using CPU when the bench's timeout ran out");
        }
        last = now;
    }
}

/// Posts `body` until the webhook accepts it, retrying while the listener is not up yet.
async fn post_while_starting(
    hook: &Hook,
    daemon: &mut DaemonProcess,
    body: String,
    deadline: Instant,
) -> Result<()> {
    loop {
        match hook.post(body.clone()).await {
            Ok(_) => return Ok(()),
            Err(PostError::Connect(e)) if Instant::now() > deadline => {
                bail!("the daemon never listened: {e}")
            }
            Err(PostError::Connect(_)) => {
                daemon.check_alive()?;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            Err(PostError::Other(e)) => return Err(e),
        }
    }
}
