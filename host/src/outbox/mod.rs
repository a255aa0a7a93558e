//! Delivers committed actions to the platforms: one scheduler per bot.
//!
//! - A plugin's actions in one chat go one at a time, in commit order; different chats and
//!   different plugins go in parallel, up to `MAX_IN_FLIGHT` requests per bot.
//! - Plugins take turns for those slots, so a plugin that queued a thousand sends delays
//!   another plugin's reply by a turn, not by a thousand sends; and no plugin holds more than
//!   `MAX_IN_FLIGHT_PER_PLUGIN` of them, so that reply does not wait for a slot either.
//! - The bot's rate limit (its `rate_limit`, or the platform's documented one) covers every
//!   request of every plugin, retries included; no plugin takes more than its share of it
//!   (see `SharedLimit`), so another plugin's reply does not wait for the window either.
//!
//! Handles are resolved to platform message ids, and what may succeed later is retried; what
//! cannot be delivered goes to the dead letters with its reason (see `deliver`).
//!
//! A delivery's outcome is written behind it, in batches (see `record`), without an fsync of
//! its own (see `store::redb::batch`): one per action would cap a chat at a few hundred
//! messages a second and make every other writer wait behind them. The flusher makes outcomes
//! durable within [`FLUSH_WITHIN`] of their write, so a crash delivers again at most what was
//! under way or delivered in that last stretch (delivery is at least once); the sim drops such
//! a repeat. On the other platforms a chat's next action (of any plugin) waits until the
//! outcome of the one before is durable, so a crash leaves at most one per chat in doubt, and
//! Fanbook and Yunhu look a send in doubt up before sending it again (see `doubt`).
//!
//! A clean stop repeats nothing: the schedulers start no new delivery, let the requests under
//! way finish (for at most [`DRAIN_FOR`]) and write every outcome before the daemon's last
//! flush (see [`OutboxWorkers::stopped`]).

mod deliver;
mod doubt;
mod record;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::futures::Notified;
use tokio::sync::Notify;

use tokio::task::{self, JoinError, JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use self::deliver::{Delivery, Ended, Stopped};
use self::doubt::Doubts;
use self::record::Recorder;
use crate::adapter::{Adapters, InDoubt};
use crate::config::{BotConfig, OutboxConfig, Rate, RateSetting};
use crate::metrics::{BotMetrics, BotSample};
use crate::pace::{Breaker, Circuit, SharedLimit};
use crate::store::{self, ActionId, Pending, Store};

/// Requests of one bot under way at once. A chat's actions go one at a time, so this is how
/// many chats are served at once: with 8, a bot could not deliver more than 8 replies per
/// round trip to its platform (5,200 a second against a loopback stand-in, the e2e bench's
/// limit). The bot's rate limit, not this, is what protects the platform.
const MAX_IN_FLIGHT: usize = 64;
/// Of those, at most this many for one plugin: the others' next action finds a slot free at
/// once instead of waiting for one of a flood's requests to finish.
const MAX_IN_FLIGHT_PER_PLUGIN: usize = 48;
/// Pending actions read per plugin at a time: enough to fill its slots from different chats.
const READ_PER_PLUGIN: usize = 128;
/// How long a delivery's outcome may stay written but not yet durable.
pub const FLUSH_WITHIN: Duration = Duration::from_millis(20);
/// At shutdown, how long the requests under way may take to finish.
pub const DRAIN_FOR: Duration = Duration::from_secs(10);

/// Wakes the worker of a bot when there is something new to deliver, and the plugins waiting
/// for room in the outbox when deliveries made some.
#[derive(Clone, Default, Debug)]
pub struct OutboxWaker {
    by_bot: Arc<HashMap<String, Arc<Notify>>>,
    room: Arc<Notify>,
    breakers: Arc<BTreeMap<String, Arc<Breaker>>>,
    /// Each bot's delivery counters (a fixed map: no lock to count).
    metrics: Arc<BTreeMap<String, Arc<BotMetrics>>>,
}

impl OutboxWaker {
    /// Counts `n` actions for `bot` committed into the outbox.
    pub fn enqueued(&self, bot: &str, n: u64) {
        if let Some(metrics) = self.metrics.get(bot) {
            metrics.enqueued.add(n);
        }
    }

    /// Each bot's counters, for `/metrics`.
    pub fn metric_samples(&self) -> Vec<BotSample> {
        self.metrics
            .iter()
            .map(|(name, metrics)| BotSample {
                name: name.clone(),
                metrics: metrics.clone(),
            })
            .collect()
    }

    pub fn wake(&self, bot: &str) {
        if let Some(notify) = self.by_bot.get(bot) {
            notify.notify_one();
        }
    }

    /// Resolves once delivered actions left the outbox after this was called (enable the
    /// future before trying a commit, so room made meanwhile is not missed).
    pub fn room(&self) -> Notified<'_> {
        self.room.notified()
    }

    /// Each bot's circuit: whether its platform is taken to be down.
    pub fn circuits(&self) -> BTreeMap<String, Circuit> {
        self.breakers
            .iter()
            .map(|(bot, breaker)| (bot.clone(), breaker.circuit()))
            .collect()
    }
}

/// How many actions of `bot` wait in the outbox from before this start (so its depth counts
/// them), and the last of them (a crash may have left those half done: see `doubt`).
fn pending_at_start(store: &dyn Store, bot: &str) -> (u64, Option<ActionId>) {
    let none = HashSet::new();
    match store.outbox_pending(bot, usize::MAX, &none, &none) {
        Ok(pending) => (pending.len() as u64, pending.iter().map(|p| p.id).max()),
        Err(e) => {
            tracing::error!(bot, error = %e, "cannot read the outbox at start-up");
            (0, None)
        }
    }
}

/// The schedulers, for the daemon to wait on when it stops.
#[derive(Debug)]
pub struct OutboxWorkers(Vec<JoinHandle<()>>);

impl OutboxWorkers {
    /// Resolves once every scheduler has stopped after the `stop` token given to [`spawn`]:
    /// its requests under way finished and every outcome is written (not flushed).
    pub async fn stopped(self) {
        for worker in self.0 {
            if let Err(e) = worker.await {
                tracing::error!(error = %e, "an outbox worker failed while stopping");
            }
        }
    }
}

/// Starts one delivery worker per configured bot; they stop when `stop` is cancelled. The
/// deliveries themselves run on `threads` (the plugin threads, at a lower priority): work done
/// on a plugin's behalf, so a plugin's flood of actions takes CPU from other plugins at worst,
/// not from accepting and storing events. (Against a neighbour with healthy traffic, a flooding
/// one made a reply about 1.2x slower with deliveries on the daemon's own threads, and about
/// 1.0x with them there.)
pub fn spawn(
    store: Arc<dyn Store>,
    adapters: Adapters,
    bots: &[BotConfig],
    patience: &OutboxConfig,
    threads: Handle,
    stop: CancellationToken,
) -> (OutboxWaker, OutboxWorkers) {
    let mut by_bot = HashMap::new();
    let mut breakers = BTreeMap::new();
    let mut metrics = BTreeMap::new();
    let mut workers = Vec::new();
    let room = Arc::new(Notify::new());
    for bot in bots {
        let notify = Arc::new(Notify::new());
        by_bot.insert(bot.name.clone(), notify.clone());
        let rate = outbound_rate(bot, &adapters);
        if let Some(rate) = rate {
            tracing::info!(bot = %bot.name, %rate, "outbound requests limited");
        }
        let bot_name: Arc<str> = bot.name.as_str().into();
        let in_doubt = (adapters.get(&bot.name)).map_or(InDoubt::OnePerChat, |a| a.in_doubt());
        let (waiting, old_up_to) = pending_at_start(store.as_ref(), &bot.name);
        let one_per_chat = in_doubt != InDoubt::Deduplicated;
        let recorder = Recorder::new(store.clone(), bot_name.clone(), room.clone(), one_per_chat);
        let breaker = Arc::new(Breaker::new(
            &bot.name,
            patience.breaker_after,
            patience.max_backoff(),
        ));
        breakers.insert(bot.name.clone(), breaker.clone());
        let counters = Arc::new(BotMetrics::default());
        counters.enqueued.add(waiting);
        if let Some(rate) = rate {
            let window_ms = u64::try_from(rate.window.as_millis()).unwrap_or(u64::MAX);
            let _ = counters.rate_limit.set((rate.requests, window_ms));
        }
        metrics.insert(bot.name.clone(), counters.clone());
        let delivery = Delivery {
            metrics: counters,
            bot: bot_name,
            breaker,
            retry_for: patience.retry_for(),
            max_backoff: patience.max_backoff(),
            store: store.clone(),
            adapters: adapters.clone(),
            limiter: rate.map(|r| Arc::new(SharedLimit::new(r.requests as usize, r.window))),
            sent: recorder.sent.clone(),
            doubts: Arc::new(Doubts::new(in_doubt, old_up_to)),
            stop: stop.clone(),
        };
        let scheduler = Scheduler::new(delivery, recorder, notify, threads.clone());
        workers.push(tokio::spawn(scheduler.run()));
    }
    tokio::spawn(flush_outcomes(store));
    let waker = OutboxWaker {
        by_bot: Arc::new(by_bot),
        room,
        breakers: Arc::new(breakers),
        metrics: Arc::new(metrics),
    };
    (waker, OutboxWorkers(workers))
}

/// Makes what was written without an fsync durable, at most [`FLUSH_WITHIN`] after it was.
async fn flush_outcomes(store: Arc<dyn Store>) {
    loop {
        tokio::time::sleep(FLUSH_WITHIN).await;
        if !store.unflushed() {
            continue;
        }
        if let Err(e) = store.flush_async().await {
            tracing::error!(error = %e, "cannot make delivery outcomes durable; a crash now would deliver them again");
        }
    }
}

/// The operator's `rate_limit` if set, else the platform's own.
fn outbound_rate(bot: &BotConfig, adapters: &Adapters) -> Option<Rate> {
    match bot.rate_limit {
        Some(RateSetting::Off) => None,
        Some(RateSetting::Limit(rate)) => Some(rate),
        None => adapters.get(&bot.name).and_then(|a| a.default_rate()),
    }
}

/// Chooses what to deliver next for one bot and runs the deliveries.
struct Scheduler {
    delivery: Delivery,
    notify: Arc<Notify>,
    in_flight: JoinSet<Ended>,
    /// Outcomes of deliveries that ended, on their way to the store.
    recorder: Recorder,
    /// The queue of each delivery task under way.
    running: HashMap<task::Id, Running>,
    /// Actions read from the store and not started yet, by id (commit order). Kept between
    /// rounds so that each round reads and decodes only what is new.
    held: BTreeMap<ActionId, Pending>,
    /// The plugin that got the last turn; the next turn goes to the one after it.
    last_turn: Option<String>,
    /// Where deliveries run.
    threads: Handle,
    /// Set once those threads are gone (the daemon is stopping).
    stopped: bool,
}

/// A delivery under way: its action, and the queue it belongs to.
struct Running {
    id: ActionId,
    plugin: String,
    chat: String,
}

impl Scheduler {
    fn new(delivery: Delivery, recorder: Recorder, notify: Arc<Notify>, threads: Handle) -> Self {
        Self {
            delivery,
            notify,
            in_flight: JoinSet::new(),
            recorder,
            running: HashMap::new(),
            held: BTreeMap::new(),
            last_turn: None,
            threads,
            stopped: false,
        }
    }

    async fn run(mut self) {
        while !self.stopped {
            if self.delivery.stop.is_cancelled() {
                self.drain().await;
                return;
            }
            let known: HashSet<ActionId> = (self.held.keys().copied())
                .chain(self.running.values().map(|r| r.id))
                .collect();
            let ended = self.recorder.unwritten().clone();
            let pending = match self.pending(&known, &ended).await {
                Ok(pending) => pending,
                Err(e) => {
                    tracing::error!(bot = %self.delivery.bot, error = %e, "cannot read the outbox");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            self.held.extend(pending.into_iter().map(|p| (p.id, p)));
            self.start_ready();
            self.wait().await;
        }
    }

    /// The bot's actions not held yet, once every commit before is durable. A read: it runs
    /// here, on the scheduler's task (only the sync waits for the store's writer).
    async fn pending(
        &self,
        known: &HashSet<ActionId>,
        ended: &HashSet<ActionId>,
    ) -> Result<Vec<Pending>, store::StoreError> {
        let store = &self.delivery.store;
        store.sync_async().await?;
        store.outbox_pending(&self.delivery.bot, READ_PER_PLUGIN, known, ended)
    }

    /// Starts deliveries until `MAX_IN_FLIGHT`: plugins take turns, and each turn starts the
    /// oldest action of that plugin whose chat has nothing of the plugin under way (and, unless
    /// the platform drops repeats itself, nothing of any plugin under way or not yet durable).
    fn start_ready(&mut self) {
        let mut ready = ready_by_plugin(self.held.values(), self.running.values());
        // Chats where, on a platform that does not drop repeated sends itself, an action is
        // under way or its outcome not durable yet: nothing else starts there (see `record`).
        let mut busy_chats: HashSet<String> =
            self.recorder.busy_chats().map(str::to_string).collect();
        if self.recorder.one_per_chat() {
            busy_chats.extend(self.running.values().map(|r| r.chat.clone()));
        }
        while self.in_flight.len() < MAX_IN_FLIGHT && !self.recorder.is_full() {
            let Some(plugin) = next_turn(&ready, self.last_turn.as_deref()) else {
                break;
            };
            let Some(id) = ready.get_mut(&plugin).and_then(VecDeque::pop_front) else {
                break;
            };
            if ready.get(&plugin).is_some_and(VecDeque::is_empty) {
                ready.remove(&plugin);
            }
            let chat = match self.held.get(&id) {
                Some(entry) => entry.action.chat().id.as_str(),
                None => continue,
            };
            if self.recorder.one_per_chat() && !busy_chats.insert(chat.to_string()) {
                continue;
            }
            let Some(entry) = self.held.remove(&id) else {
                continue;
            };
            let running = Running {
                id,
                plugin: entry.plugin.clone(),
                chat: entry.action.chat().id.clone(),
            };
            let delivery = self.delivery.clone().run(entry);
            let task = self.in_flight.spawn_on(delivery, &self.threads);
            self.running.insert(task.id(), running);
            self.last_turn = Some(plugin);
        }
    }

    /// Waits until a delivery finishes, outcomes are written or new actions are committed
    /// (the timeout is a safety net: a wake-up is normally sent with every commit). Then hands
    /// the outcomes that came in to the store.
    async fn wait(&mut self) {
        tokio::select! {
            Some(finished) = self.in_flight.join_next_with_id() => self.finished(finished),
            written = self.recorder.written() => self.recorder.settle(written),
            _ = self.notify.notified() => {}
            () = self.delivery.stop.cancelled() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        while let Some(finished) = self.in_flight.try_join_next_with_id() {
            self.finished(finished);
        }
        self.recorder.write_waiting();
    }

    /// At shutdown: lets the requests under way finish (for at most [`DRAIN_FOR`]) and writes
    /// every outcome, so a clean stop delivers nothing twice.
    async fn drain(&mut self) {
        let deadline = tokio::time::Instant::now() + DRAIN_FOR;
        while !self.in_flight.is_empty() {
            match tokio::time::timeout_at(deadline, self.in_flight.join_next_with_id()).await {
                Ok(Some(finished)) => self.finished(finished),
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(bot = %self.delivery.bot, requests = self.in_flight.len(), "requests still under way at shutdown; their actions are delivered again at the next start");
                    break;
                }
            }
        }
        self.recorder.write_all().await;
    }

    fn finished(&mut self, result: Result<(task::Id, Ended), JoinError>) {
        match result {
            Ok((task, (action, Ok(outcome)))) => {
                let chat = self.running.remove(&task).map(|r| r.chat);
                self.recorder
                    .ended(action, chat.as_deref().unwrap_or_default(), outcome);
            }
            Ok((task, (_, Err(Stopped)))) => {
                // Stopped before its request: still pending, delivered after the next start.
                self.running.remove(&task);
            }
            Err(e) if e.is_cancelled() => {
                // Only when the plugin threads are shut down: the daemon is stopping. The
                // action is still pending and is delivered after the next start.
                tracing::info!(bot = %self.delivery.bot, "deliveries stopped");
                self.running.remove(&e.id());
                self.stopped = true;
            }
            Err(e) => {
                // Its action is still pending and will be tried again.
                tracing::error!(bot = %self.delivery.bot, error = %e, "a delivery task failed");
                self.running.remove(&e.id());
            }
        }
    }
}

/// For each plugin, in commit order, the actions that may start now: the oldest pending action
/// of each of its chats, unless the plugin has something under way in that chat, and no more
/// than its free share of slots (`MAX_IN_FLIGHT_PER_PLUGIN`).
fn ready_by_plugin<'a>(
    pending: impl Iterator<Item = &'a Pending>,
    running: impl Iterator<Item = &'a Running>,
) -> BTreeMap<String, VecDeque<ActionId>> {
    let mut busy: HashSet<(&str, &str)> = HashSet::new();
    let mut slots_used: HashMap<&str, usize> = HashMap::new();
    for r in running {
        busy.insert((r.plugin.as_str(), r.chat.as_str()));
        *slots_used.entry(r.plugin.as_str()).or_default() += 1;
    }
    let mut ready: BTreeMap<String, VecDeque<ActionId>> = BTreeMap::new();
    for entry in pending {
        let queue = (entry.plugin.as_str(), entry.action.chat().id.as_str());
        // Whether or not this one may start, later ones of its queue must wait for it.
        if !busy.insert(queue) {
            continue;
        }
        let used = slots_used.entry(entry.plugin.as_str()).or_default();
        if *used < MAX_IN_FLIGHT_PER_PLUGIN {
            *used += 1;
            match ready.get_mut(&entry.plugin) {
                Some(ids) => ids.push_back(entry.id),
                None => {
                    ready.insert(entry.plugin.clone(), VecDeque::from([entry.id]));
                }
            }
        }
    }
    ready
}

/// The plugin whose turn is next: the first after `last` in name order, wrapping around.
fn next_turn(ready: &BTreeMap<String, VecDeque<ActionId>>, last: Option<&str>) -> Option<String> {
    let after = last.and_then(|last| {
        ready
            .range::<str, _>((std::ops::Bound::Excluded(last), std::ops::Bound::Unbounded))
            .next()
    });
    after
        .or_else(|| ready.iter().next())
        .map(|(plugin, _)| plugin.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Action;
    use crate::model::{ChatKind, ChatRef};

    fn pending(id: u64, plugin: &str, chat: &str) -> Pending {
        Pending {
            id,
            plugin: plugin.into(),
            action: Action::Delete {
                target: crate::model::MessageRef {
                    chat: ChatRef {
                        platform: "sim".into(),
                        bot: "sim".into(),
                        kind: ChatKind::Group,
                        id: chat.into(),
                        guild: None,
                    },
                    id: format!("m{id}"),
                },
            },
        }
    }

    fn ids(ready: &BTreeMap<String, VecDeque<ActionId>>, plugin: &str) -> Vec<u64> {
        ready[plugin].iter().copied().collect()
    }

    #[test]
    fn only_the_oldest_action_of_a_free_queue_is_ready() {
        let pending = [
            pending(1, "a", "x"),
            pending(2, "a", "x"),
            pending(3, "a", "y"),
            pending(4, "a", "z"),
            pending(5, "b", "x"),
            pending(6, "b", "x"),
        ];
        let running = [Running {
            id: 0,
            plugin: "a".into(),
            chat: "y".into(),
        }];
        let ready = ready_by_plugin(pending.iter(), running.iter());
        assert_eq!(
            ids(&ready, "a"),
            vec![1, 4],
            "a/x's second waits; a/y is busy"
        );
        assert_eq!(ids(&ready, "b"), vec![5], "b/x is its own queue");
    }

    #[test]
    fn a_plugin_gets_at_most_its_share_of_slots() {
        let pending: Vec<Pending> = (0..2 * MAX_IN_FLIGHT_PER_PLUGIN as u64)
            .map(|i| pending(i, "flood", &format!("c{i}")))
            .chain([pending(100, "quiet", "q")])
            .collect();
        let running = [Running {
            id: 50,
            plugin: "flood".into(),
            chat: "busy".into(),
        }];
        let ready = ready_by_plugin(pending.iter(), running.iter());
        assert_eq!(ready["flood"].len(), MAX_IN_FLIGHT_PER_PLUGIN - 1);
        assert_eq!(ids(&ready, "quiet"), vec![100]);
    }

    #[test]
    fn plugins_take_turns_in_name_order() {
        let pending = [
            pending(1, "a", "x"),
            pending(2, "b", "x"),
            pending(3, "c", "x"),
        ];
        let ready = ready_by_plugin(pending.iter(), [].iter());
        assert_eq!(next_turn(&ready, None).as_deref(), Some("a"));
        assert_eq!(next_turn(&ready, Some("a")).as_deref(), Some("b"));
        assert_eq!(next_turn(&ready, Some("b0")).as_deref(), Some("c"));
        assert_eq!(
            next_turn(&ready, Some("c")).as_deref(),
            Some("a"),
            "wraps around"
        );
    }
}
