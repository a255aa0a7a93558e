//! The operator's web console at `/console`: plugins, bots, dead letters, config (secrets
//! masked) and a live log, over the admin API. Its page, script and style are embedded in the
//! binary (no CDN); it sits behind the same guard as the admin API, and sends the admin token
//! the operator types once (kept in the browser's local storage) with every change.

mod config_view;
mod live_log;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::Admin;

const PAGE: &str = include_str!("console.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");

/// The console's routes (state: the admin API's).
pub(super) fn routes() -> Router<Admin> {
    Router::new()
        .route("/console", get(page))
        .route("/console/console.js", get(script))
        .route("/console/console.css", get(style))
        .route("/console/logs", get(live_log::stream))
        .route("/admin/config", get(config_view::config))
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}
