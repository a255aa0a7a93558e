//! Connecting to NATS and making sure the streams, buckets and consumers the nodes share
//! exist, with the partition count every node must agree on.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::object_store::{self, ObjectStore};
use async_nats::jetstream::{self, consumer, kv, stream, Context};
use tokio_util::sync::CancellationToken;

use super::names;
use crate::config::ClusterConfig;

/// How long a node may hold an event without acking before another takes it over: kept
/// short so a dead node's partitions move within seconds; a live node sends progress acks
/// while a plugin takes longer.
pub const ACK_WAIT: Duration = Duration::from_secs(3);
/// How long a lease lives without refresh (the bucket's `max_age`).
pub const LEASE_TTL: Duration = Duration::from_secs(3);
/// How long a platform's retry of the same event is recognised as a duplicate.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);
/// How long completion records are kept: longer than any event can stay unacked.
const DONE_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Connects to the cluster's NATS, retrying (and saying so, with the URL, credentials masked)
/// until it answers or `stop`.
pub async fn connect(
    config: &ClusterConfig,
    stop: &CancellationToken,
) -> anyhow::Result<async_nats::Client> {
    let (url, node, shown) = (&config.nats_url, &config.node, config.shown_url());
    let mut wait = Duration::from_millis(250);
    loop {
        let options = async_nats::ConnectOptions::new()
            .name(format!("wasmbot {node}"))
            .connection_timeout(Duration::from_secs(2));
        match options.connect(url.as_str()).await {
            Ok(client) => return Ok(client),
            Err(e) => {
                tracing::error!(nats_url = %shown, error = %e, retry_in_ms = wait.as_millis() as u64, "cannot reach the NATS server; retrying");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => anyhow::bail!("stopped while waiting for the NATS server at {shown}"),
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Creates what is missing, and checks that what exists agrees with `partitions`.
pub async fn ensure(js: &Context, partitions: u32) -> anyhow::Result<()> {
    ensure_events(js, partitions).await?;
    js.get_or_create_stream(stream::Config {
        name: names::DONE.into(),
        subjects: vec!["wasmbot.done.>".into()],
        max_age: DONE_MAX_AGE,
        max_messages_per_subject: 1,
        allow_direct: true,
        ..Default::default()
    })
    .await
    .context("cannot create the completion stream")?;
    js.get_or_create_stream(stream::Config {
        name: names::OUTBOX.into(),
        subjects: vec!["wasmbot.out.>".into()],
        retention: stream::RetentionPolicy::WorkQueue,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    })
    .await
    .context("cannot create the outbox stream")?;
    ensure_bucket(js, names::KV_BUCKET, Duration::ZERO).await?;
    ensure_bucket(js, names::TIMER_BUCKET, Duration::ZERO).await?;
    ensure_bucket(js, names::DEAD_BUCKET, Duration::ZERO).await?;
    ensure_bucket(js, names::LEASE_BUCKET, LEASE_TTL).await?;
    plugins_bucket(js).await?;
    Ok(())
}

/// The object store holding the plugin files, made if missing.
pub async fn plugins_bucket(js: &Context) -> anyhow::Result<ObjectStore> {
    if let Ok(bucket) = js.get_object_store(names::PLUGINS_BUCKET).await {
        return Ok(bucket);
    }
    let made = js
        .create_object_store(object_store::Config {
            bucket: names::PLUGINS_BUCKET.into(),
            description: Some("wasmbot's plugin files, one object per file".into()),
            ..Default::default()
        })
        .await;
    match made {
        Ok(bucket) => Ok(bucket),
        // Another node made it meanwhile.
        Err(e) => js
            .get_object_store(names::PLUGINS_BUCKET)
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "cannot create the object store {}: {e}",
                    names::PLUGINS_BUCKET
                )
            }),
    }
}

async fn ensure_events(js: &Context, partitions: u32) -> anyhow::Result<()> {
    let mut metadata = HashMap::new();
    metadata.insert(names::PARTITIONS_KEY.to_string(), partitions.to_string());
    let stream = js
        .get_or_create_stream(stream::Config {
            name: names::EVENTS.into(),
            subjects: vec!["wasmbot.events.*".into()],
            retention: stream::RetentionPolicy::WorkQueue,
            duplicate_window: DUPLICATE_WINDOW,
            metadata,
            ..Default::default()
        })
        .await
        .context("cannot create the event stream")?;
    let theirs = stream
        .cached_info()
        .config
        .metadata
        .get(names::PARTITIONS_KEY)
        .cloned()
        .unwrap_or_default();
    if theirs != partitions.to_string() {
        anyhow::bail!(
            "cluster.partitions is {partitions}, but the cluster's event stream {} has {theirs} partitions; every node must say {theirs} (or remove the stream to start afresh)",
            names::EVENTS
        );
    }
    for p in 0..partitions {
        stream
            .get_or_create_consumer(&names::partition_consumer(p), partition_consumer(p))
            .await
            .with_context(|| format!("cannot create the consumer of partition {p}"))?;
    }
    Ok(())
}

/// One message of a partition in flight in the whole cluster: per-chat order.
fn partition_consumer(partition: u32) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(names::partition_consumer(partition)),
        filter_subject: names::event_subject(partition),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        max_ack_pending: 1,
        max_deliver: -1,
        ..Default::default()
    }
}

/// One bot's partition of the outbox, one action in flight: per-chat order, and at most one
/// send in doubt per partition when its deliverer dies.
pub fn outbox_consumer(bot: &str, partition: u32) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(names::outbox_consumer(bot, partition)),
        filter_subject: names::outbox_filter(bot, partition),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        max_ack_pending: 1,
        max_deliver: -1,
        ..Default::default()
    }
}

async fn ensure_bucket(js: &Context, bucket: &str, max_age: Duration) -> anyhow::Result<()> {
    if js.get_key_value(bucket).await.is_ok() {
        return Ok(());
    }
    js.create_key_value(kv::Config {
        bucket: bucket.into(),
        history: 1,
        max_age,
        ..Default::default()
    })
    .await
    .with_context(|| format!("cannot create the kv bucket {bucket}"))?;
    Ok(())
}

/// Fetches from `consumer` one message at a time until `stop`, handing each to `handle` (a
/// partition's events, a bot's partition of the outbox: one in flight is the point).
pub async fn one_at_a_time<F, Fut>(
    consumer: &consumer::PullConsumer,
    stop: &CancellationToken,
    mut handle: F,
) -> anyhow::Result<()>
where
    F: FnMut(jetstream::Message) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures::StreamExt;
    while !stop.is_cancelled() {
        let mut batch = consumer
            .fetch()
            .max_messages(1)
            .expires(Duration::from_secs(2))
            .messages()
            .await?;
        while let Some(message) = batch.next().await {
            handle(message.map_err(|e| anyhow::anyhow!(e))?).await;
        }
    }
    Ok(())
}

/// The JetStream context of a client.
pub fn context(client: async_nats::Client) -> Context {
    jetstream::new(client)
}
