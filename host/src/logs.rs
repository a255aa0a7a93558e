//! The daemon's recent log lines for the console's live view: a `tracing` layer that copies
//! each event into a bounded ring (the last [`KEEP`]) and a bounded broadcast channel (a slow
//! reader misses lines rather than holding anyone up). The admin token's one log line is
//! never copied.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::broadcast;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// Lines kept for a reader that connects later.
pub const KEEP: usize = 500;
/// Targets whose lines are not copied: the one that prints a new admin token.
const PRIVATE_TARGETS: &[&str] = &["wasmbot::admin::token"];

/// One log line, with the plugin and bot it names (if any), for filtering.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogLine {
    /// Unix milliseconds.
    pub at_ms: u64,
    pub level: &'static str,
    pub target: String,
    pub message: String,
    /// The other fields, `key=value` separated by spaces.
    pub fields: String,
    pub plugin: Option<String>,
    pub bot: Option<String>,
}

/// Where lines go: the ring and the channel.
#[derive(Debug)]
pub struct LogHub {
    recent: Mutex<VecDeque<Arc<LogLine>>>,
    live: broadcast::Sender<Arc<LogLine>>,
}

/// The process's hub (logging is process-wide).
pub fn hub() -> &'static LogHub {
    static HUB: OnceLock<LogHub> = OnceLock::new();
    HUB.get_or_init(|| LogHub {
        recent: Mutex::new(VecDeque::with_capacity(KEEP)),
        live: broadcast::channel(KEEP).0,
    })
}

impl LogHub {
    fn publish(&self, line: LogLine) {
        let line = Arc::new(line);
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() == KEEP {
                recent.pop_front();
            }
            recent.push_back(line.clone());
        }
        let _ = self.live.send(line); // no reader: nothing to do
    }

    /// The lines kept, oldest first.
    pub fn recent(&self) -> Vec<Arc<LogLine>> {
        self.recent
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Lines from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LogLine>> {
        self.live.subscribe()
    }
}

/// The layer `main` installs beside the formatter.
#[derive(Debug, Default)]
pub struct ConsoleLayer;

impl<S: tracing::Subscriber> Layer<S> for ConsoleLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if PRIVATE_TARGETS.iter().any(|t| meta.target().starts_with(t)) {
            return;
        }
        let mut visitor = Fields::default();
        event.record(&mut visitor);
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        hub().publish(LogLine {
            at_ms,
            level: meta.level().as_str(),
            target: meta.target().to_string(),
            message: visitor.message,
            fields: visitor.fields,
            plugin: visitor.plugin,
            bot: visitor.bot,
        });
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    fields: String,
    plugin: Option<String>,
    bot: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            name => {
                if name == "plugin" {
                    self.plugin = Some(value.clone());
                } else if name == "bot" {
                    self.bot = Some(value.clone());
                }
                if !self.fields.is_empty() {
                    self.fields.push(' ');
                }
                let _ = write!(self.fields, "{name}={value}");
            }
        }
    }
}
