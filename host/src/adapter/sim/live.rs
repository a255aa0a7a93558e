//! `/sim/events?chat=C&since=V&actions_since=R`: the page's live feed, as server-sent events.
//! Each `update` event carries what changed in the chat after the cursors (its messages newer
//! than version `V`, its action records after `R`) and every chat with its members; its id is
//! the new cursors, `V.R`. A browser that reconnects sends that id back (`Last-Event-ID`) and
//! first gets everything it missed. Commits only bump a watch (one value, never a queue), so a
//! slow page costs nothing: it reads the world as it is when it gets round to it.

use std::convert::Infallible;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream::{self, Stream};
use serde::Deserialize;
use serde_json::json;

use super::Sim;

/// A refused stream request: 400 with `{"error"}`, like the rest of the sim's API.
pub(super) struct BadStream(String);

impl IntoResponse for BadStream {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({ "error": self.0 }))).into_response()
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Cursors {
    chat: String,
    #[serde(default)]
    since: u64,
    #[serde(default)]
    actions_since: u64,
}

impl Cursors {
    /// The cursors of a `Last-Event-ID` (`V.R`), which win over the query's on a reconnect.
    fn resume_from(&mut self, headers: &HeaderMap) {
        let id = headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|id| id.split_once('.'));
        if let Some((Ok(since), Ok(actions))) = id.map(|(v, r)| (v.parse(), r.parse())) {
            self.since = since;
            self.actions_since = actions;
        }
    }
}

pub(super) async fn events(
    State(sim): State<Sim>,
    headers: HeaderMap,
    query: Result<Query<Cursors>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, BadStream> {
    let Query(mut cursors) = query.map_err(|e| BadStream(e.body_text()))?;
    if cursors.chat.is_empty() {
        return Err(BadStream(
            "the `chat` query parameter must name a chat".into(),
        ));
    }
    cursors.resume_from(&headers);
    let changes = sim.world().subscribe();
    let feed = stream::unfold(
        (sim, cursors, changes, true),
        |(sim, mut cursors, mut changes, first)| async move {
            if !first && changes.changed().await.is_err() {
                return None;
            }
            changes.borrow_and_update();
            let event = update(&sim, &mut cursors);
            Some((Ok(event), (sim, cursors, changes, false)))
        },
    );
    Ok(Sse::new(feed).keep_alive(KeepAlive::default()))
}

/// What changed in the chat after `cursors`, which move past it.
fn update(sim: &Sim, cursors: &mut Cursors) -> Event {
    let world = sim.world();
    let messages = world.timeline_since(&cursors.chat, cursors.since);
    let actions = world.records_since(Some(&cursors.chat), cursors.actions_since);
    cursors.since = messages
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(cursors.since);
    cursors.actions_since = world.last_record_seq().max(cursors.actions_since);
    let body = json!({
        "messages": messages,
        "next": cursors.since,
        "actions": actions,
        "actions_next": cursors.actions_since,
        "chats": world.chats_json(),
    });
    drop(world);
    Event::default()
        .event("update")
        .id(format!("{}.{}", cursors.since, cursors.actions_since))
        .json_data(body)
        .unwrap_or_else(|_| Event::default().event("update").data("{}"))
}
