//! The operator's HTTP API under `/admin/`: status, dead letters, quarantine. It answers only
//! requests from loopback addresses, whatever address the daemon listens on.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::outbox::OutboxWaker;
use crate::router::Router as PluginRouter;
use crate::store::DeadLetterStore;

#[derive(Clone)]
pub struct Admin {
    pub store: Arc<dyn DeadLetterStore>,
    pub plugins: PluginRouter,
    pub outbox: OutboxWaker,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

/// The admin routes.
pub fn routes(admin: Admin) -> Router {
    Router::new()
        .route("/admin/status", get(status))
        .route("/admin/deadletters", get(dead_letters))
        .route("/admin/deadletters/{id}/retry", post(retry))
        .route(
            "/admin/deadletters/{id}",
            axum::routing::delete(drop_letter),
        )
        .route("/admin/plugins/{name}/release", post(release))
        .route_layer(middleware::from_fn(loopback_only))
        .with_state(admin)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if !peer.ip().is_loopback() {
        tracing::warn!(%peer, path = %request.uri().path(), "admin request from a non-loopback address refused");
        return error(
            StatusCode::FORBIDDEN,
            "the admin API answers loopback addresses only",
        );
    }
    next.run(request).await
}

async fn status(State(admin): State<Admin>) -> Response {
    let dead = admin.store.dead_letters(10_000).map(|d| d.len());
    match dead {
        Ok(dead_letters) => {
            let waiting = admin.plugins.waiting_places();
            Json(json!({
                "plugins": admin.plugins.status(),
                "waiting_plugins": waiting,
                "dead_letters": dead_letters,
                "circuits": admin.outbox.circuits(),
            }))
            .into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn dead_letters(State(admin): State<Admin>) -> Response {
    match admin.store.dead_letters(1000) {
        Ok(letters) => Json(json!({ "dead_letters": letters })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn retry(State(admin): State<Admin>, Path(id): Path<u64>) -> Response {
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

async fn drop_letter(State(admin): State<Admin>, Path(id): Path<u64>) -> Response {
    match admin.store.dead_drop(id) {
        Ok(true) => Json(json!({ "dropped": id })).into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, format!("no dead letter {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn release(State(admin): State<Admin>, Path(name): Path<String>) -> Response {
    if admin.plugins.release(&name) {
        Json(json!({ "released": name })).into_response()
    } else {
        error(
            StatusCode::NOT_FOUND,
            format!("plugin `{name}` is not quarantined"),
        )
    }
}
