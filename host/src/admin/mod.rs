//! The operator's HTTP API under `/admin/`: status, dead letters, quarantine. Every request
//! passes the [`guard`]: a loopback or configured `Host`, the daemon's own `Origin`, the admin
//! token for every change (and for reads off loopback), changes as POST with a JSON body.

mod console;
mod guard;
mod handlers;
mod sampler;
mod switches;
pub mod token;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde_json::json;

pub use guard::{Guard, Refusal};
pub use sampler::spawn_sampler;
pub use switches::restore as restore_disabled;

use crate::config::Config;
use crate::metrics::{HttpMetrics, IngressMetrics, Series, TimerMetrics};
use crate::outbox::OutboxWaker;
use crate::router::Router as PluginRouter;
use crate::store::DeadLetterStore;

/// What the admin handlers read and act on.
#[derive(Clone)]
pub struct Admin {
    pub store: Arc<dyn DeadLetterStore>,
    pub plugins: PluginRouter,
    pub outbox: OutboxWaker,
    /// The configured bots: name and platform.
    pub bots: Arc<Vec<(String, String)>>,
    /// The journal's ingress counters.
    pub ingress: Arc<IngressMetrics>,
    /// Plugins' outbound HTTP requests, by how they ended.
    pub http: Arc<HttpMetrics>,
    /// The timer firer's counts.
    pub timers: Arc<TimerMetrics>,
    /// The running config (shown with its secrets masked).
    pub config: Arc<Config>,
    /// Throughput and latency a second at a time, for the console's charts.
    pub series: Arc<Series>,
    /// This node's cluster, in cluster mode: its nodes, leases and backlog in the status.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

/// The admin routes, behind `guard`.
pub fn routes(admin: Admin, guard: Arc<Guard>) -> Router {
    Router::new()
        .route("/admin/status", get(handlers::status))
        .route("/admin/deadletters", get(handlers::dead_letters))
        .route("/admin/deadletters/{id}/retry", post(handlers::retry))
        .route("/admin/deadletters/{id}/drop", post(handlers::drop_letter))
        .route("/admin/plugins/{name}/release", post(handlers::release))
        .route("/admin/plugins/{name}/reload", post(handlers::reload))
        .route("/admin/plugins/{name}/enable", post(switches::enable))
        .route("/admin/plugins/{name}/disable", post(switches::disable))
        .route("/admin/series", get(sampler::series))
        .route("/metrics", get(handlers::metrics))
        .merge(console::routes())
        .with_state(admin)
        .layer(middleware::from_fn_with_state(guard, guard::enforce))
}

/// A 4xx/5xx answer with the `{"error": …}` body every error of the daemon's HTTP API has.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// The answer to a path no route serves.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no such path: {}", uri.path()),
    )
}

/// The answer to a method a route does not take.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
