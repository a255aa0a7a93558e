//! The door every inbound event comes through: the journal accepts it (dropping duplicates),
//! and the plugins' feeders are told there is more to read.

use std::sync::Arc;

use tokio::sync::watch;

use crate::model::{Event, Inbound, Message};
use crate::store::{self, Appended, JournalStore, MessageKey, Seq, StoreError};

/// Cheap to clone; every adapter holds one.
#[derive(Clone)]
pub struct Ingress {
    store: Arc<dyn JournalStore>,
    head: Arc<watch::Sender<Seq>>,
}

impl std::fmt::Debug for Ingress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingress")
            .field("head", &*self.head.borrow())
            .finish()
    }
}

impl Ingress {
    pub fn new(store: Arc<dyn JournalStore>) -> Result<Self, StoreError> {
        let head = store.head()?;
        Ok(Self {
            store,
            head: Arc::new(watch::channel(head).0),
        })
    }

    /// The journal head, for feeders to wait on.
    pub fn subscribe(&self) -> watch::Receiver<Seq> {
        self.head.subscribe()
    }

    /// Accepts an event. Once this returns `Ok`, the event will reach every subscribed plugin.
    pub async fn accept(&self, inbound: Inbound) -> Result<Appended, StoreError> {
        let appended = store::off_thread(&self.store, move |s| {
            s.append(&inbound, &message_keys(&inbound))
        })
        .await?;
        if let Appended::New(seq) = appended {
            // Concurrent accepts may finish out of order; the head only moves forward.
            self.head.send_if_modified(|head| {
                let moved = seq + 1 > *head;
                *head = (*head).max(seq + 1);
                moved
            });
        }
        Ok(appended)
    }
}

/// The inbound messages an event names, so plugins may reply to, edit or react to them.
fn message_keys(inbound: &Inbound) -> Vec<MessageKey> {
    let message: Option<&Message> = match &inbound.event {
        Event::Message(m) | Event::MessageEdited(m) => Some(m),
        Event::Command(c) => Some(&c.message),
        _ => None,
    };
    let refs = message
        .map(|m| &m.id)
        .into_iter()
        .chain(match &inbound.event {
            Event::Callback(c) => c.message.as_ref(),
            Event::Reaction(r) => Some(&r.message),
            _ => None,
        });
    refs.map(|r| MessageKey::of(&r.chat, &r.id)).collect()
}
