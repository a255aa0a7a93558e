//! `/console/logs`: the recent log lines, then each new one, as server-sent events, filtered by
//! plugin or bot (`?plugin=echo&bot=sim`). A reader that falls behind skips lines (the channel
//! is bounded) and is told how many.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::Query;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::logs::{hub, LogLine};

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Filter {
    plugin: Option<String>,
    bot: Option<String>,
}

impl Filter {
    fn keeps(&self, line: &LogLine) -> bool {
        let wanted = |want: &Option<String>, has: &Option<String>| {
            want.as_deref()
                .filter(|w| !w.is_empty())
                .is_none_or(|w| has.as_deref() == Some(w))
        };
        wanted(&self.plugin, &line.plugin) && wanted(&self.bot, &line.bot)
    }
}

fn event(line: &LogLine) -> Event {
    Event::default()
        .json_data(line)
        .unwrap_or_else(|_| Event::default().data("{}"))
}

pub(super) async fn stream(
    Query(filter): Query<Filter>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let filter = Arc::new(filter);
    let live = hub().subscribe();
    let recent: Vec<Event> = hub()
        .recent()
        .iter()
        .filter(|l| filter.keeps(l))
        .map(|l| event(l))
        .collect();
    let new = stream::unfold((live, filter), |(mut live, filter)| async move {
        loop {
            match live.recv().await {
                Ok(line) if filter.keeps(&line) => return Some((event(&line), (live, filter))),
                Ok(_) => continue,
                Err(RecvError::Lagged(n)) => {
                    let skipped = Event::default().event("skipped").data(n.to_string());
                    return Some((skipped, (live, filter)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let all = stream::iter(recent).chain(new).map(Ok);
    Sse::new(all).keep_alive(KeepAlive::default())
}
