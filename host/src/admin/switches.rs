//! Enabling and disabling plugins from the admin API, and the file that keeps the disabled
//! ones across restarts (`data_dir/disabled-plugins`, one name a line).

use std::path::Path;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::handlers::{json_body, list_or_none};
use super::{error, Admin};
use crate::router::Router;

/// The file, in the data dir, naming the disabled plugins.
pub const DISABLED_FILE: &str = "disabled-plugins";

/// Switches off the plugins the last run left disabled. Call before the plugins load.
pub fn restore(router: &Router, data_dir: &Path) {
    let Ok(text) = std::fs::read_to_string(data_dir.join(DISABLED_FILE)) else {
        return;
    };
    for name in text.lines().map(str::trim).filter(|n| !n.is_empty()) {
        router.set_enabled(name, false);
    }
}

fn save(router: &Router, data_dir: &Path) -> std::io::Result<()> {
    let mut text = router.disabled().join("\n");
    text.push('\n');
    std::fs::write(data_dir.join(DISABLED_FILE), text.trim_start())
}

pub(super) async fn enable(
    State(admin): State<Admin>,
    UrlPath(name): UrlPath<String>,
    body: Bytes,
) -> Response {
    switch(&admin, &name, &body, true)
}

pub(super) async fn disable(
    State(admin): State<Admin>,
    UrlPath(name): UrlPath<String>,
    body: Bytes,
) -> Response {
    switch(&admin, &name, &body, false)
}

/// Sets the switch of a plugin that runs or waits for its place, and saves the disabled set.
fn switch(admin: &Admin, name: &str, body: &Bytes, enabled: bool) -> Response {
    if let Err(refused) = json_body(body) {
        return refused.into_response();
    }
    let mut known: Vec<String> = admin.plugins.status().into_iter().map(|p| p.name).collect();
    known.extend(admin.plugins.waiting_places().into_iter().map(|w| w.name));
    known.extend(admin.plugins.disabled());
    if !known.iter().any(|k| k == name) {
        known.sort();
        known.dedup();
        let names: Vec<&str> = known.iter().map(String::as_str).collect();
        return error(
            StatusCode::NOT_FOUND,
            format!("no plugin named {name}; plugins: {}", list_or_none(&names)),
        );
    }
    let changed = admin.plugins.set_enabled(name, enabled);
    if let Err(e) = save(&admin.plugins, &admin.config.data_dir) {
        let file = admin.config.data_dir.join(DISABLED_FILE);
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the plugin is {} until the daemon restarts: cannot write {}: {e}",
                if enabled { "enabled" } else { "disabled" },
                file.display()
            ),
        );
    }
    Json(json!({ "plugin": name, "enabled": enabled, "changed": changed })).into_response()
}
