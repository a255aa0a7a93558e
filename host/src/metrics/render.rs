//! `/metrics`: a snapshot of the counters, written in the Prometheus/OpenMetrics text format
//! by `prometheus-client` (one collector that reads the atomics at scrape time).

use std::sync::Arc;

use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::{BotMetrics, Histogram, HttpMetrics, IngressMetrics, PluginMetrics, TimerMetrics};

/// One plugin's counters, with its backlog (events accepted it has not finished).
#[derive(Debug, Clone)]
pub struct PluginSample {
    pub name: String,
    pub metrics: Arc<PluginMetrics>,
    pub backlog: u64,
    /// Events queued in its lanes or being handled.
    pub in_flight: u64,
    /// `false` while the operator has it disabled.
    pub enabled: bool,
}

/// One bot's outbox counters.
#[derive(Debug, Clone)]
pub struct BotSample {
    pub name: String,
    pub metrics: Arc<BotMetrics>,
}

/// Everything one scrape writes.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub ingress: Arc<IngressMetrics>,
    pub plugins: Vec<PluginSample>,
    pub bots: Vec<BotSample>,
    /// Dead letters kept now.
    pub dead_letters: u64,
    pub http: Arc<HttpMetrics>,
    pub timers: Arc<TimerMetrics>,
    /// Plugins away whose place is kept, with how many events they are behind.
    pub waiting: Vec<(String, u64)>,
}

/// The snapshot in the OpenMetrics text format, metric names prefixed `wasmbot_`.
pub fn render(snapshot: Snapshot) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("wasmbot");
    registry.register_collector(Box::new(snapshot));
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}

type Labels = [(&'static str, String); 1];

/// Writes one counter without labels.
fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    encode_counter(
        encoder.encode_descriptor(name, help, None, MetricType::Counter)?,
        value,
    )
}

/// Writes one counter family: `name_total{label="…"} value` per row.
fn counters(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: impl Iterator<Item = (Labels, u64)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in rows {
        let metric = family.encode_family(&labels)?;
        encode_counter(metric, value)?;
    }
    Ok(())
}

fn encode_counter(
    mut metric: prometheus_client::encoding::MetricEncoder,
    value: u64,
) -> Result<(), std::fmt::Error> {
    metric.encode_counter::<NoLabelSet, u64, u64>(&value, None)
}

/// Writes one gauge family.
fn gauges(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: impl Iterator<Item = (Labels, i64)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in rows {
        family.encode_family(&labels)?.encode_gauge(&value)?;
    }
    Ok(())
}

/// Writes one histogram family.
fn histograms<'h>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: impl Iterator<Item = (Labels, &'h Histogram)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Histogram)?;
    for (labels, histogram) in rows {
        histogram.encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl prometheus_client::collector::Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let e = &mut encoder;
        let accepted = self.ingress.accepted.get();
        let deduplicated = self.ingress.deduplicated.get();
        counter(
            e,
            "events_accepted",
            "Events accepted into the journal",
            accepted,
        )?;
        counter(
            e,
            "events_deduplicated",
            "Events a platform delivered again, dropped",
            deduplicated,
        )?;
        let by_bot = || self.ingress.bots();
        counters(
            e,
            "bot_events_accepted",
            "Events accepted into the journal, by the bot that received them",
            by_bot().map(|(b, m)| ([("bot", b.clone())], m.accepted.get())),
        )?;
        counters(
            e,
            "bot_events_deduplicated",
            "Events a platform delivered again, dropped, by bot",
            by_bot().map(|(b, m)| ([("bot", b.clone())], m.deduplicated.get())),
        )?;
        let plugin = |p: &PluginSample| [("plugin", p.name.clone())];
        let ps = &self.plugins;
        counters(
            e,
            "plugin_events_handled",
            "Events a plugin handled",
            ps.iter().map(|p| (plugin(p), p.metrics.handled.get())),
        )?;
        counters(
            e,
            "plugin_events_failed",
            "Events whose handling failed",
            ps.iter().map(|p| (plugin(p), p.metrics.failed.get())),
        )?;
        gauges(
            e,
            "plugin_backlog",
            "Accepted events a plugin has not finished (its journal depth)",
            ps.iter().map(|p| (plugin(p), gauge_value(p.backlog))),
        )?;
        gauges(
            e,
            "plugin_in_flight",
            "Events queued in a plugin's lanes or being handled",
            ps.iter().map(|p| (plugin(p), gauge_value(p.in_flight))),
        )?;
        gauges(
            e,
            "plugin_enabled",
            "1 while a plugin is enabled, 0 while the operator has it disabled",
            ps.iter().map(|p| (plugin(p), i64::from(p.enabled))),
        )?;
        gauges(
            e,
            "plugin_waiting_behind",
            "Events accepted since the kept place of a plugin that is away",
            self.waiting
                .iter()
                .map(|(n, behind)| ([("plugin", n.clone())], gauge_value(*behind))),
        )?;
        counters(
            e,
            "plugin_reload_failed",
            "Reloads of a running plugin's file that failed (the old version kept serving)",
            ps.iter()
                .map(|p| (plugin(p), p.metrics.reload_failed.get())),
        )?;
        histograms(
            e,
            "plugin_handle_seconds",
            "Time of one handle call",
            ps.iter().map(|p| (plugin(p), &p.metrics.handle_seconds)),
        )?;
        histograms(
            e,
            "store_commit_seconds",
            "Time of one store commit of a plugin's outcomes",
            ps.iter().map(|p| (plugin(p), &p.metrics.commit_seconds)),
        )?;
        histograms(
            e,
            "plugin_reload_seconds",
            "Time of one load or reload (compile, init, swap)",
            ps.iter().map(|p| (plugin(p), &p.metrics.reload_seconds)),
        )?;
        let bot = |b: &BotSample| [("bot", b.name.clone())];
        let bs = &self.bots;
        gauges(
            e,
            "outbox_depth",
            "Actions waiting for delivery",
            bs.iter().map(|b| (bot(b), gauge_value(b.metrics.depth()))),
        )?;
        counters(
            e,
            "outbox_delivered",
            "Actions the platform carried out",
            bs.iter().map(|b| (bot(b), b.metrics.delivered.get())),
        )?;
        counters(
            e,
            "outbox_dead_lettered",
            "Actions given up as dead letters",
            bs.iter().map(|b| (bot(b), b.metrics.dead.get())),
        )?;
        counters(
            e,
            "outbox_retries",
            "Tries after a failed one",
            bs.iter().map(|b| (bot(b), b.metrics.retries.get())),
        )?;
        counters(
            e,
            "outbox_requests",
            "Requests made to the platform (each try)",
            bs.iter().map(|b| (bot(b), b.metrics.requests.get())),
        )?;
        counters(
            e,
            "outbox_rate_limit_waits",
            "Waits for the bot's rate limit",
            bs.iter()
                .map(|b| (bot(b), b.metrics.rate_limit_waits.get())),
        )?;
        let outcomes = self
            .http
            .counts()
            .map(|(o, n)| ([("outcome", o.to_string())], n));
        counters(
            e,
            "http_requests",
            "Plugins' outbound HTTP requests by how they ended",
            outcomes,
        )?;
        counter(
            e,
            "timers_fired",
            "Timers and schedule instants fired",
            self.timers.fired.get(),
        )?;
        let dead = gauge_value(self.dead_letters);
        e.encode_descriptor("dead_letters", "Dead letters kept", None, MetricType::Gauge)?
            .encode_gauge(&dead)?;
        Ok(())
    }
}
