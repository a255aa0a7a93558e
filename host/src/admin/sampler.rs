//! The console's charts: once a second, the running totals go into the [`Series`] ring, and
//! `/admin/series` hands out its points.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::Admin;
use crate::metrics::{now_ms, Series, Totals};

/// Samples `admin`'s totals into `series` every second until `stop`.
pub fn spawn_sampler(admin: Admin, series: Arc<Series>, stop: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => series.sample(now_ms(), totals(&admin)),
                () = stop.cancelled() => return,
            }
        }
    });
}

fn totals(admin: &Admin) -> Totals {
    let mut totals = Totals {
        accepted: admin.ingress.accepted.get(),
        ..Totals::default()
    };
    for plugin in admin.plugins.metric_samples() {
        let m = &plugin.metrics;
        totals.handled += m.handled.get() + m.failed.get();
        totals.calls += m.handle_seconds.count();
        totals.call_nanos += m.handle_seconds.sum_nanos();
    }
    for bot in admin.outbox.metric_samples() {
        totals.delivered += bot.metrics.delivered.get();
    }
    totals
}

/// `GET /admin/series`: the last five minutes, one point a second, oldest first.
pub(super) async fn series(State(admin): State<Admin>) -> Json<Value> {
    Json(json!({ "points": admin.series.points() }))
}
