//! One log line per outbound request: plugin, method, host, path (never the query), status,
//! bytes and milliseconds, or what stopped it. Header values and query strings are never
//! logged: they are where credentials travel.

use std::time::Instant;

use crate::metrics::HttpMetrics;

/// What the audit line of one request says, gathered as it goes.
#[derive(Debug)]
pub struct Audit {
    plugin: std::sync::Arc<str>,
    /// Where the request's ending is counted.
    metrics: std::sync::Arc<HttpMetrics>,
    method: String,
    host: String,
    /// The path alone: the query is dropped when this is made.
    path: String,
    started: Instant,
    /// Whether the line is written; one dropped unwritten (the plugin abandoned the request,
    /// or its instance was stopped) writes it as `abandoned`.
    written: bool,
}

/// How a request ended, for its audit line.
#[derive(Debug)]
pub enum Ending<'a> {
    /// An answer, read whole.
    Answered { status: u16, bytes: usize },
    /// Refused or failed: a short kind (`denied`, `limited`, `timeout`, `too-large`, `failed`;
    /// `abandoned` when dropped unwritten)
    /// and why.
    Stopped { kind: &'static str, why: &'a str },
}

impl Audit {
    pub fn new(
        plugin: std::sync::Arc<str>,
        metrics: std::sync::Arc<HttpMetrics>,
        method: &str,
        host: &str,
        path: &str,
    ) -> Self {
        Self {
            plugin,
            metrics,
            method: method.to_string(),
            host: host.to_string(),
            path: path.to_string(),
            started: Instant::now(),
            written: false,
        }
    }

    /// Writes the line.
    pub fn finish(mut self, ending: Ending<'_>) {
        self.write(ending);
    }

    fn write(&mut self, ending: Ending<'_>) {
        self.written = true;
        let ms = self.started.elapsed().as_millis();
        let (plugin, method, host, path) = (&*self.plugin, &self.method, &self.host, &self.path);
        self.metrics.ended(match ending {
            Ending::Answered { .. } => "answered",
            Ending::Stopped { kind, .. } => kind,
        });
        match ending {
            Ending::Answered { status, bytes } => tracing::info!(
                target: "wasmbot::audit",
                plugin, method, host, path, status, bytes, ms,
                "http"
            ),
            Ending::Stopped { kind, why } => tracing::warn!(
                target: "wasmbot::audit",
                plugin, method, host, path, outcome = kind, why, ms,
                "http"
            ),
        }
    }
}

impl Drop for Audit {
    fn drop(&mut self) {
        if !self.written {
            self.write(Ending::Stopped {
                kind: "abandoned",
                why: "the plugin dropped the request before its answer",
            });
        }
    }
}
