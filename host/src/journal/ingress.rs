//! The door every inbound event comes through: the journal accepts it (dropping duplicates),
//! and the plugins' feeders are told there is more to read. A full journal first asks for a
//! release (see `wake`), so only a journal that stays full refuses. In cluster mode the door
//! leads elsewhere: a [`Publisher`] makes the event durable in the cluster's log, and it comes
//! back into this node's journal through [`Ingress::accept_local`] when a node takes it.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

use super::wake::{ReleaseWake, FULL_PATIENCE, ROUNDS};

use crate::metrics::IngressMetrics;
use crate::model::{Event, Inbound, Message};
use crate::store::{Appended, JournalStore, MessageKey, Seq, StoreError};

/// Where accepted events go instead of the local journal: a cluster's shared log.
#[async_trait::async_trait]
pub trait Publisher: Send + Sync {
    /// Makes the event durable in the shared log; `Duplicate` if the same platform event is
    /// there already. The `Seq` is the log's position, not a local journal's.
    async fn publish(&self, inbound: &Inbound) -> Result<Appended, StoreError>;
}

/// Cheap to clone; every adapter holds one.
#[derive(Clone)]
pub struct Ingress {
    store: Arc<dyn JournalStore>,
    /// Set in cluster mode: accepted events go there, not into `store`.
    publisher: Option<Arc<dyn Publisher>>,
    head: Arc<watch::Sender<Seq>>,
    wake: Arc<ReleaseWake>,
    /// Accepted and deduplicated counts, for `/metrics`.
    metrics: Arc<IngressMetrics>,
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
            publisher: None,
            head: Arc::new(watch::channel(head).0),
            wake: Arc::default(),
            metrics: Arc::default(),
        })
    }

    /// Sends accepted events to `publisher` (a cluster's log) instead of the local journal.
    pub fn publishing_to(mut self, publisher: Arc<dyn Publisher>) -> Self {
        self.publisher = Some(publisher);
        self
    }

    /// Where the releaser learns that an accept is waiting for room.
    pub fn release_wake(&self) -> Arc<ReleaseWake> {
        self.wake.clone()
    }

    /// What this ingress counted (accepted, deduplicated).
    pub fn metrics(&self) -> Arc<IngressMetrics> {
        self.metrics.clone()
    }

    /// The journal head, for feeders to wait on.
    pub fn subscribe(&self) -> watch::Receiver<Seq> {
        self.head.subscribe()
    }

    /// Accepts an event. Once this returns `Ok`, the event will reach every subscribed plugin.
    /// In cluster mode it is in the cluster's log then; else in this node's journal.
    pub async fn accept(&self, inbound: Inbound) -> Result<Appended, StoreError> {
        let Some(publisher) = &self.publisher else {
            return self.accept_local(inbound).await;
        };
        let published = publisher.publish(&inbound).await?;
        let new = matches!(published, Appended::New(_));
        self.metrics.counted(&inbound.bot, new);
        Ok(published)
    }

    /// Accepts an event into this node's journal. A full journal is asked to release and tried
    /// again, a few rounds within `FULL_PATIENCE`.
    pub async fn accept_local(&self, inbound: Inbound) -> Result<Appended, StoreError> {
        let deadline = Instant::now() + FULL_PATIENCE;
        let mut rounds = 0;
        let appended = loop {
            match self.append(&inbound).await {
                Err(StoreError::JournalFull(n)) if rounds < ROUNDS => {
                    rounds += 1;
                    if !self.wake.release_now(deadline).await {
                        break Err(StoreError::JournalFull(n));
                    }
                }
                other => break other,
            }
        }?;
        match appended {
            Appended::New(seq) => {
                self.metrics.counted(&inbound.bot, true);
                self.advanced(seq + 1);
            }
            Appended::Duplicate(_) => self.metrics.counted(&inbound.bot, false),
        }
        Ok(appended)
    }

    /// Tells the feeders that the journal holds events up to `head` (exclusive): for events
    /// appended elsewhere than [`accept`](Self::accept), such as fired timers.
    pub fn advanced(&self, head: Seq) {
        // Concurrent appends may finish out of order; the head only moves forward.
        self.head.send_if_modified(|at| {
            let moved = head > *at;
            *at = (*at).max(head);
            moved
        });
    }

    async fn append(&self, inbound: &Inbound) -> Result<Appended, StoreError> {
        self.store
            .append_async(inbound, &message_keys(inbound))
            .await
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
