//! The admin API's handlers. A change takes a JSON body (the guard has checked its type; an
//! empty object is enough), so the handler parses it to refuse one that is not JSON.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{error, Admin};
use crate::metrics::{render, Snapshot};

/// A change's input refused: answered 400 with `{"error"}`.
pub(super) struct BadInput(String);

impl IntoResponse for BadInput {
    fn into_response(self) -> Response {
        error(StatusCode::BAD_REQUEST, self.0)
    }
}

/// Refuses a change whose body is not a JSON value.
pub(super) fn json_body(body: &Bytes) -> Result<serde_json::Value, BadInput> {
    serde_json::from_slice(body)
        .map_err(|e| BadInput(format!("the body must be JSON (`{{}}` will do): {e}")))
}

pub(super) async fn status(State(admin): State<Admin>) -> Response {
    let dead = admin.store.dead_letters(10_000).map(|d| d.len());
    match dead {
        Ok(dead_letters) => {
            let waiting = admin.plugins.waiting_places();
            let disabled = admin.plugins.disabled();
            let cluster = match &admin.cluster {
                Some(cluster) => Some(cluster.status().await),
                None => None,
            };
            Json(json!({
                "plugins": plugins(&admin),
                "failed_plugins": admin.plugins.load_failures(),
                "waiting_plugins": waiting,
                "disabled_plugins": disabled,
                "bots": bots(&admin),
                "dead_letters": dead_letters,
                "circuits": admin.outbox.circuits(),
                "cluster": cluster,
            }))
            .into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Each running plugin's status with its counts and handle-time percentiles (milliseconds,
/// the upper bound of the histogram bucket that holds them).
fn plugins(admin: &Admin) -> Vec<serde_json::Value> {
    let samples = admin.plugins.metric_samples();
    let ms = |s: Option<f64>| s.filter(|v| v.is_finite()).map(|v| v * 1000.0);
    admin
        .plugins
        .status()
        .into_iter()
        .map(|status| {
            let mut value = serde_json::to_value(&status).unwrap_or_default();
            if let (Some(sample), Some(map)) = (
                samples.iter().find(|s| s.name == status.name),
                value.as_object_mut(),
            ) {
                let m = &sample.metrics;
                map.insert("handled".into(), json!(m.handled.get()));
                map.insert("failed".into(), json!(m.failed.get()));
                map.insert("p50_ms".into(), json!(ms(m.handle_seconds.quantile(0.5))));
                map.insert("p90_ms".into(), json!(ms(m.handle_seconds.quantile(0.9))));
                map.insert("p99_ms".into(), json!(ms(m.handle_seconds.quantile(0.99))));
            }
            if let Some(map) = value.as_object_mut() {
                let state = if status.quarantined {
                    "quarantined"
                } else if !status.enabled {
                    "disabled"
                } else {
                    "serving"
                };
                map.insert("state".into(), json!(state));
                let history = admin.plugins.reload_history(&status.name);
                map.insert("reloads".into(), json!(history));
            }
            value
        })
        .collect()
}

/// Each bot with its platform and whether its platform answers (its outbox circuit).
fn bots(admin: &Admin) -> Vec<serde_json::Value> {
    let circuits = admin.outbox.circuits();
    let counts = admin.outbox.metric_samples();
    admin
        .bots
        .iter()
        .map(|(name, platform)| {
            let circuit = circuits.get(name);
            let count = counts.iter().find(|c| c.name == *name).map(|c| &c.metrics);
            let connection = match circuit.map(|c| c.state) {
                Some("open") => "down",
                _ => "up",
            };
            json!({
                "name": name,
                "platform": platform,
                "connection": connection,
                "failures": circuit.map_or(0, |c| c.failures),
                "down_since": circuit.and_then(|c| c.down_since),
                "outbox_depth": count.map_or(0, |c| c.depth()),
                "delivered": count.map_or(0, |c| c.delivered.get()),
                "retries": count.map_or(0, |c| c.retries.get()),
                "dead_lettered": count.map_or(0, |c| c.dead.get()),
                "requests": count.map_or(0, |c| c.requests.get()),
                "rate_limit": count.and_then(|c| c.rate_limit.get()).map(|(n, ms)| {
                    json!({ "requests": n, "window_ms": ms })
                }),
                "rate_limit_waits": count.map_or(0, |c| c.rate_limit_waits.get()),
                "last_event_ms": admin.ingress.last_event_ms(name),
            })
        })
        .collect()
}

pub(super) async fn dead_letters(State(admin): State<Admin>) -> Response {
    match admin.store.dead_letters(1000) {
        Ok(letters) => {
            let letters: Vec<_> = letters
                .iter()
                .map(|l| {
                    let chat = l.action.chat();
                    json!({
                        "id": l.id,
                        "plugin": l.plugin,
                        "bot": chat.bot,
                        "chat": chat.id,
                        "op": l.action.operation().name(),
                        "reason": l.reason,
                        "action": l.action,
                    })
                })
                .collect();
            Json(json!({ "dead_letters": letters })).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// A dead letter's id from the path, or a JSON 400 (axum's own rejection is plain text).
fn letter_id(id: &str) -> Result<u64, BadInput> {
    id.parse()
        .map_err(|_| BadInput(format!("`{id}` is not a dead letter id (a number)")))
}

pub(super) async fn retry(
    State(admin): State<Admin>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = match json_body(&body).and_then(|_| letter_id(&id)) {
        Ok(id) => id,
        Err(refused) => return refused.into_response(),
    };
    let bot = admin
        .store
        .dead_letters(10_000)
        .ok()
        .and_then(|letters| letters.into_iter().find(|l| l.id == id))
        .map(|l| l.action.chat().bot.clone());
    match admin.store.dead_retry(id) {
        Ok(true) => {
            if let Some(bot) = bot {
                admin.outbox.wake(&bot);
            }
            Json(json!({ "retried": id })).into_response()
        }
        Ok(false) => error(StatusCode::NOT_FOUND, format!("no dead letter {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub(super) async fn drop_letter(
    State(admin): State<Admin>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = match json_body(&body).and_then(|_| letter_id(&id)) {
        Ok(id) => id,
        Err(refused) => return refused.into_response(),
    };
    match admin.store.dead_drop(id) {
        Ok(true) => Json(json!({ "dropped": id })).into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, format!("no dead letter {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub(super) async fn release(
    State(admin): State<Admin>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(refused) = json_body(&body) {
        return refused.into_response();
    }
    let status = admin.plugins.status();
    if !status.iter().any(|p| p.name == name) {
        let names: Vec<&str> = status.iter().map(|p| p.name.as_str()).collect();
        return error(
            StatusCode::NOT_FOUND,
            format!("no plugin named {name}; plugins: {}", list_or_none(&names)),
        );
    }
    if admin.plugins.release(&name) {
        Json(json!({ "released": name })).into_response()
    } else {
        error(
            StatusCode::CONFLICT,
            format!("plugin {name} is not quarantined"),
        )
    }
}

/// Reloads a plugin from its file, as the watcher reloads a changed file: the file's
/// modification time is set to now, and the watcher compiles, starts and swaps it in.
pub(super) async fn reload(
    State(admin): State<Admin>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(refused) = json_body(&body) {
        return refused.into_response();
    }
    let status = admin.plugins.status();
    let Some(plugin) = status.iter().find(|p| p.name == name) else {
        let names: Vec<&str> = status.iter().map(|p| p.name.as_str()).collect();
        return error(
            StatusCode::NOT_FOUND,
            format!("no plugin named {name}; plugins: {}", list_or_none(&names)),
        );
    };
    let touched = std::fs::File::options()
        .append(true)
        .open(&plugin.source)
        .and_then(|file| file.set_modified(std::time::SystemTime::now()));
    match touched {
        Ok(()) => Json(json!({ "reloading": name })).into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot touch {} to reload it: {e}", plugin.source),
        ),
    }
}

/// `a, b, c`, or `none` for an empty list.
pub(super) fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// `/metrics`: the counters in the OpenMetrics text format Prometheus reads.
pub(super) async fn metrics(State(admin): State<Admin>) -> Response {
    let snapshot = Snapshot {
        ingress: admin.ingress.clone(),
        plugins: admin.plugins.metric_samples(),
        bots: admin.outbox.metric_samples(),
        dead_letters: admin
            .store
            .dead_letters(100_000)
            .map_or(0, |d| d.len() as u64),
        http: admin.http.clone(),
        timers: admin.timers.clone(),
        waiting: admin
            .plugins
            .waiting_places()
            .into_iter()
            .map(|w| (w.name, w.behind))
            .collect(),
    };
    match render(snapshot) {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the metrics: {e}"),
        ),
    }
}
