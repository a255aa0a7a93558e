//! Ingress in cluster mode: an accepted event goes into the event stream, on its chat's
//! partition, deduplicated by the platform's id; the platform is answered once the stream
//! has acknowledged it.

use async_nats::jetstream::{message::PublishMessage as Publish, Context};

use super::names;
use crate::journal::Publisher;
use crate::model::Inbound;
use crate::store::{Appended, StoreError};

/// Publishes accepted events to the cluster's event stream.
pub struct StreamPublisher {
    js: Context,
    partitions: u32,
}

impl StreamPublisher {
    pub fn new(js: Context, partitions: u32) -> Self {
        Self { js, partitions }
    }
}

#[async_trait::async_trait]
impl Publisher for StreamPublisher {
    async fn publish(&self, inbound: &Inbound) -> Result<Appended, StoreError> {
        let payload = serde_json::to_vec(inbound)
            .map_err(|e| StoreError::Backend(format!("cannot encode the event: {e}")))?;
        let mut message = Publish::build().payload(payload.into());
        if let Some(key) = &inbound.dedupe_key {
            message = message.message_id(names::event_msg_id(&inbound.bot, key));
        }
        let subject = names::event_subject(names::partition_of(inbound, self.partitions));
        let ack = self
            .js
            .send_publish(subject, message)
            .await
            .map_err(|e| unavailable("cannot publish the event", e))?
            .await
            .map_err(|e| unavailable("the event stream did not acknowledge the event", e))?;
        Ok(if ack.duplicate {
            Appended::Duplicate(ack.sequence)
        } else {
            Appended::New(ack.sequence)
        })
    }
}

/// A NATS failure as the store error adapters already answer with a 503.
pub fn unavailable(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("{what} (NATS): {e}"))
}
