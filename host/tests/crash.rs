//! Crash test: the real `wasmbot` binary under load, killed with SIGKILL and restarted again and
//! again, while `recorder.wasm` is swapped between its two builds (hot reload) all along. Every
//! message the sim answered 202 must reach both plugins and be answered exactly once by each:
//! one `v1:<text>` or `v2:<text>` send from `recorder`, one `#N <text>` send from `tally`, whose
//! counter lives in kv, so each chat's numbers must run 1, 2, 3, … with no gap or repeat (a kv
//! write applied twice, or apart from its send, would break that). The sim's world must be the
//! same after a restart. A second test does the same through Yunhu, Biliao (webhooks, posted
//! until the daemon answers 200) and Fanbook (long poll), their simulators in this process.
//!
//! Short by default; longer with `WASMBOT_CRASH_KILLS`, `WASMBOT_CRASH_EVENTS` (accepted events
//! to reach) and `WASMBOT_CRASH_SEED`. The figures are printed; see them with `--nocapture`:
//!
//! ```sh
//! WASMBOT_CRASH_KILLS=50 WASMBOT_CRASH_EVENTS=20000 cargo test -p wasmbot --test integration crash:: -- --nocapture
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use wasmbot::adapter::webhook::lenient::text_of;

use crate::biliao_sim;
use crate::common;
use crate::fanbook_sim;
use crate::webhook_sim;
use crate::yunhu_sim;

/// Concurrent senders and the chats they spread over.
const SENDERS: usize = 8;
const CHATS: usize = 6;

/// How long a run is and its seed: `WASMBOT_CRASH_KILLS`, `WASMBOT_CRASH_EVENTS` (accepted
/// events to reach), `WASMBOT_CRASH_SEED`.
struct Size {
    kills: u64,
    events: u64,
    seed: u64,
}

impl Size {
    fn from_env() -> Self {
        let setting = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Self {
            kills: setting("WASMBOT_CRASH_KILLS", 5),
            events: setting("WASMBOT_CRASH_EVENTS", 300),
            seed: setting("WASMBOT_CRASH_SEED", rand::random::<u32>().into()),
        }
    }
}

/// Builds the plugins, writes the config (the sim bot and `bots`) and starts the daemon.
async fn start(dir: &Path, bots: &str, http: &reqwest::Client) -> (Arc<Setup>, Process) {
    common::plugins();
    let setup = Arc::new(Setup::new(dir, bots));
    let daemon = setup.spawn();
    setup.wait_ready(http).await;
    (setup, daemon)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The daemon as a child process, killed (SIGKILL) and reaped when dropped, so no daemon
/// outlives the test, whatever happens.
struct Process {
    child: Child,
}

impl Process {
    /// SIGKILL, then reap.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the daemon needs: a config on a fixed loopback port (kept across restarts), the
/// plugins folder with `recorder` and `tally`, and the data dir.
struct Setup {
    dir: PathBuf,
    config: PathBuf,
    base: String,
    runs: AtomicU64,
}

impl Setup {
    /// `bots` is more TOML for the config (bots besides the sim).
    fn new(dir: &Path, bots: &str) -> Self {
        let plugins = dir.join("plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        common::install(&common::plugin("recorder"), &plugins.join("recorder.wasm"));
        common::install(&common::plugin("tally"), &plugins.join("tally.wasm"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.join("wasmbot.toml");
        let text = format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = {data:?}\nplugins_dir = {plugins:?}\n\n\
             [[bots]]\nname = \"sim\"\nplatform = \"sim\"\n{bots}",
            data = dir.join("data").display().to_string(),
            plugins = plugins.display().to_string(),
        );
        std::fs::write(&config, text).unwrap();
        Self {
            dir: dir.to_path_buf(),
            config,
            base: format!("http://127.0.0.1:{port}"),
            runs: AtomicU64::new(0),
        }
    }

    /// Starts the daemon; its output goes to `daemon-<n>.log`.
    fn spawn(&self) -> Process {
        let run = self.runs.fetch_add(1, Ordering::SeqCst);
        let log = self.dir.join(format!("daemon-{run}.log"));
        Process {
            child: common::spawn_daemon(&self.config, &log),
        }
    }

    /// Waits until the daemon answers `/healthz` (it binds only once plugins are loaded).
    async fn wait_ready(&self, http: &reqwest::Client) {
        let start = Instant::now();
        loop {
            let ok = http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!(
                    "the daemon did not get ready in 60 s; its log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The end of the latest daemon log, for failure messages.
    fn log_tail(&self) -> String {
        let run = self.runs.load(Ordering::SeqCst).saturating_sub(1);
        let log =
            std::fs::read_to_string(self.dir.join(format!("daemon-{run}.log"))).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// How often a daemon log warned of a torn line in the sim's log.
    fn torn_lines(&self) -> usize {
        self.logged("skipping an unreadable line of the sim's log")
    }

    /// How often `text` occurs in the daemon logs of every run.
    fn logged(&self, text: &str) -> usize {
        (0..self.runs.load(Ordering::SeqCst))
            .map(|run| {
                std::fs::read_to_string(self.dir.join(format!("daemon-{run}.log")))
                    .unwrap_or_default()
            })
            .map(|log| log.matches(text).count())
            .sum()
    }
}

/// What the load generator did.
#[derive(Default)]
struct Load {
    posted: AtomicU64,
    /// Webhooks posted again after a failure and answered "duplicate": accepted before.
    redelivered: AtomicU64,
    /// (chat, text) of every message answered 202.
    accepted: Mutex<Vec<Message>>,
}

impl Load {
    fn accepted(&self) -> u64 {
        self.accepted.lock().unwrap().len() as u64
    }
}

/// One sender: posts unique messages until `target` are accepted. A failed post (refused
/// connection, cut connection, non-202) is not accepted; the next one is a new message.
async fn sender(id: usize, http: reqwest::Client, base: String, load: Arc<Load>, target: u64) {
    let mut n = 0u64;
    while load.accepted() < target {
        load.posted.fetch_add(1, Ordering::SeqCst);
        n += 1;
        let chat = format!("c{}", (id + n as usize) % CHATS);
        let text = format!("s{id}-{n}");
        let body = json!({ "chat": chat, "user": format!("u{id}"), "text": text });
        match http
            .post(format!("{base}/sim/messages"))
            .json(&body)
            .send()
            .await
        {
            Ok(response) if response.status().as_u16() == 202 => {
                load.accepted.lock().unwrap().push((chat, text))
            }
            Ok(_) | Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// A platform the second crash test drives, its simulator in the test process (so it outlives
/// the kills).
enum Platform {
    Yunhu(webhook_sim::Sim),
    Biliao(webhook_sim::Sim),
    Fanbook(fanbook_sim::FanbookSim),
}

const FANBOOK_TOKEN: &str = "fa17f00d757bee0729b49fc54e3d87e4";

impl Platform {
    async fn all() -> Vec<Platform> {
        vec![
            Platform::Yunhu(yunhu_sim::start().await),
            Platform::Biliao(biliao_sim::start().await),
            Platform::Fanbook(fanbook_sim::FanbookSim::start(FANBOOK_TOKEN).await),
        ]
    }

    /// The platform's id of group `i`.
    fn chat(&self, i: usize) -> String {
        match self {
            Platform::Yunhu(_) => format!("6047150{i}"),
            Platform::Biliao(_) => format!("group_c{i}"),
            Platform::Fanbook(_) => (fanbook_sim::payloads::CHANNEL + i as u64).to_string(),
        }
    }

    /// The bot's config, pointing at the simulator, without a rate limit to wait for.
    fn bot(&self) -> String {
        let (name, platform, token, base, options) = match self {
            Platform::Yunhu(sim) => {
                let options = "rate_limit_per_second = 10000";
                ("yh", "yunhu", yunhu_sim::TOKEN, &sim.base, options)
            }
            Platform::Biliao(sim) => {
                let options = "auto_answer_ms = 0";
                ("bl", "biliao", biliao_sim::TOKEN, &sim.base, options)
            }
            Platform::Fanbook(sim) => {
                let options = "inbound = \"poll\"\npoll_timeout_secs = 1\nbackoff_min_ms = 20\nbackoff_max_ms = 200";
                ("fb", "fanbook", FANBOOK_TOKEN, &sim.base, options)
            }
        };
        format!(
            "\n[[bots]]\nname = {name:?}\nplatform = {platform:?}\ntoken = {token:?}\n\
             base_url = {base:?}\n[bots.options]\n{options}\n"
        )
    }

    /// Makes message `text` (ids from `serial`) reach the bot in group `chat` as the platform
    /// does, and returns once the platform holds it as delivered: a webhook is posted until it
    /// gets a 200, the same event again after a failure (a copy the daemon accepted before must
    /// be dropped at the door); a Fanbook update waits on the platform until a poll's offset
    /// confirms it.
    async fn deliver(
        &self,
        http: &reqwest::Client,
        base: &str,
        chat: &str,
        text: &str,
        serial: u64,
        load: &Load,
    ) {
        let (hook, body) = match self {
            Platform::Yunhu(_) => {
                let mut body = golden("yunhu/event_message_receive_normal.json");
                body["header"]["eventId"] = json!(format!("crash{serial:027}"));
                let message = &mut body["event"]["message"];
                message["msgId"] = json!(format!("crmsg{serial:027}"));
                message["content"] = json!({ "text": text });
                message["chatId"] = json!(chat);
                body["event"]["chat"]["chatId"] = json!(chat);
                ("/hooks/yh", body)
            }
            Platform::Biliao(_) => {
                let mut body = golden("biliao/event_group_message.json");
                body["message_id"] = json!(format!("crash_{serial}"));
                body["content"] = json!(text);
                body["group_id"] = json!(chat);
                ("/hooks/bl", body)
            }
            Platform::Fanbook(sim) => {
                let id = 469_270_000_000_000_000 + serial;
                let mut update = fanbook_sim::payloads::channel_text(id, text);
                update["channel_post"]["chat"]["id"] = json!(chat.parse::<u64>().unwrap());
                load.posted.fetch_add(1, Ordering::SeqCst);
                sim.push_update(update);
                return;
            }
        };
        post_until_accepted(http, &format!("{base}{hook}"), &body, load).await;
    }

    fn name(&self) -> &'static str {
        match self {
            Platform::Yunhu(_) => "yunhu",
            Platform::Biliao(_) => "biliao",
            Platform::Fanbook(_) => "fanbook",
        }
    }

    /// The sends received more than once, with how often.
    fn repeated_sends(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for send in self.sends() {
            *counts.entry(send.to_string()).or_default() += 1;
        }
        counts.into_iter().filter(|(_, n)| *n > 1).collect()
    }

    /// The sends the simulator received, in the sim's action shape.
    fn sends(&self) -> Vec<Value> {
        self.timed_sends()
            .into_iter()
            .map(|(send, _)| send)
            .collect()
    }

    /// The sends the simulator received, with when each arrived.
    fn timed_sends(&self) -> Vec<(Value, Instant)> {
        let bodies = |requests: Vec<webhook_sim::Recorded>| -> Vec<(Value, Instant)> {
            requests
                .iter()
                .map(|r| (r.json(), r.at.into_std()))
                .collect()
        };
        let (bodies, chat, text): (Vec<(Value, Instant)>, _, _) = match self {
            Platform::Yunhu(sim) => (bodies(sim.to("/bot/send")), "/recvId", "/content/text"),
            Platform::Biliao(sim) => (bodies(sim.to("/bot/sendmessage")), "/group_id", "/content"),
            Platform::Fanbook(sim) => {
                let calls = sim.calls("sendMessage").into_iter().map(|r| (r.body, r.at));
                (calls.collect(), "/chat_id", "/text")
            }
        };
        let field = |body: &Value, at: &str| text_of(body.pointer(at).unwrap_or(&Value::Null));
        let send = |(body, at): (Value, Instant)| {
            let send =
                json!({ "op": "send", "chat": field(&body, chat), "text": field(&body, text) });
            (send, at)
        };
        bodies.into_iter().map(send).collect()
    }

    /// The most sends one kill made a chat get twice: each copy of a send is put down to the
    /// last kill before it arrived (less [`IN_FLIGHT`]: a request under way when its process
    /// was killed may arrive a moment after), and counted per chat and kill.
    fn most_copies_per_chat_and_kill(&self, kills: &[Instant]) -> usize {
        let mut seen = HashSet::new();
        let mut copies: HashMap<(String, usize), usize> = HashMap::new();
        let mut sends = self.timed_sends();
        sends.sort_by_key(|(_, at)| *at);
        for (send, at) in sends {
            if seen.insert(send.to_string()) {
                continue;
            }
            let kill = kills.iter().filter(|k| **k + IN_FLIGHT < at).count();
            let chat = send["chat"].as_str().unwrap_or_default().to_string();
            *copies.entry((chat, kill)).or_default() += 1;
        }
        copies.into_values().max().unwrap_or(0)
    }
}

/// How long after a kill a request of the killed process may still arrive (a restarted daemon
/// takes longer than this to send anything).
const IN_FLIGHT: Duration = Duration::from_millis(50);

fn golden(name: &str) -> Value {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Posts a webhook until it gets a 200, as a platform does.
async fn post_until_accepted(http: &reqwest::Client, url: &str, body: &Value, load: &Load) {
    loop {
        load.posted.fetch_add(1, Ordering::SeqCst);
        match http.post(url).json(body).send().await {
            Ok(response) if response.status().as_u16() == 200 => {
                let answer: Value = response.json().await.unwrap_or_default();
                if answer["duplicate"] == true {
                    load.redelivered.fetch_add(1, Ordering::SeqCst);
                }
                return;
            }
            Ok(response) if response.status().is_client_error() => {
                panic!("{url} refused a valid event: {}", response.status())
            }
            Ok(_) | Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// One sender: delivers unique messages, each to the next platform in turn, until `target`
/// are delivered.
async fn platform_sender(
    id: usize,
    http: reqwest::Client,
    base: String,
    platforms: Arc<Vec<Platform>>,
    load: Arc<Load>,
    target: u64,
) {
    let mut n = 0u64;
    while load.accepted() < target {
        n += 1;
        let turn = id + n as usize;
        let platform = &platforms[turn % platforms.len()];
        // Every platform gets all the chats.
        let chat = platform.chat(turn / platforms.len() % CHATS);
        let text = format!("w{id}-{n}");
        let serial = (id as u64) << 32 | n;
        platform
            .deliver(&http, &base, &chat, &text, serial, &load)
            .await;
        load.accepted.lock().unwrap().push((chat, text));
    }
}

/// Every send the platforms received, each once, and how many each platform got twice (a
/// second copy of an earlier one), by platform name.
fn distinct_sends(platforms: &[Platform]) -> (Vec<Value>, BTreeMap<&'static str, usize>) {
    let mut distinct = Vec::new();
    let mut copies = BTreeMap::new();
    let mut seen = HashSet::new();
    for platform in platforms {
        let all = platform.sends();
        let before = distinct.len();
        distinct.extend(
            all.iter()
                .filter(|send| seen.insert(send.to_string()))
                .cloned(),
        );
        copies.insert(platform.name(), all.len() - (distinct.len() - before));
    }
    (distinct, copies)
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Every action the sim recorded, and every chat's timeline.
async fn sim_state(http: &reqwest::Client, base: &str) -> (Vec<Value>, Vec<Value>) {
    let actions = get(http, format!("{base}/sim/actions")).await["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut timelines = Vec::new();
    for chat in 0..CHATS {
        timelines
            .push(get(http, format!("{base}/sim/timeline?chat=c{chat}")).await["messages"].clone());
    }
    (actions, timelines)
}

/// A message by its chat and text.
type Message = (String, String);

/// What the plugins answered, by the message they answered.
#[derive(Debug, Default)]
struct Answers {
    /// How many `recorder` sends (of either build) answered it.
    recorder: HashMap<Message, usize>,
    /// The `tally` numbers it got.
    tally: HashMap<Message, Vec<u64>>,
    /// Every `tally` number sent in each chat.
    numbers: HashMap<String, Vec<u64>>,
    /// `recorder` sends by build tag (`v1`, `v2`).
    builds: BTreeMap<String, usize>,
}

impl Answers {
    fn of(actions: &[Value]) -> Self {
        let mut answers = Answers::default();
        for action in actions.iter().filter(|a| a["op"] == "send") {
            let (Some(chat), Some(text)) = (action["chat"].as_str(), action["text"].as_str())
            else {
                continue;
            };
            if let Some((n, message)) = text.strip_prefix('#').and_then(|t| t.split_once(' ')) {
                let n: u64 = n.parse().unwrap();
                let key = (chat.to_string(), message.to_string());
                answers.tally.entry(key).or_default().push(n);
                answers.numbers.entry(chat.to_string()).or_default().push(n);
            } else if let Some((tag, message)) = text.split_once(':') {
                let key = (chat.to_string(), message.to_string());
                *answers.recorder.entry(key).or_default() += 1;
                *answers.builds.entry(tag.to_string()).or_default() += 1;
            }
        }
        answers
    }

    /// The accepted messages a plugin did not answer (recorder, tally).
    fn unanswered<'a>(&self, accepted: &'a [Message]) -> (Vec<&'a Message>, Vec<&'a Message>) {
        let by = |answered: &dyn Fn(&Message) -> bool| {
            accepted.iter().filter(|m| !answered(m)).collect()
        };
        (
            by(&|m| self.recorder.contains_key(m)),
            by(&|m| self.tally.contains_key(m)),
        )
    }

    /// Answers beyond the first, per message and plugin.
    fn duplicated(&self) -> usize {
        let recorder: usize = self.recorder.values().map(|n| n - 1).sum();
        let tally: usize = self.tally.values().map(|n| n.len() - 1).sum();
        recorder + tally
    }

    /// Chats whose tally numbers are not exactly 1..=M, once each.
    fn miscounted(&self) -> Vec<(&String, Vec<u64>)> {
        let mut wrong = Vec::new();
        for (chat, numbers) in &self.numbers {
            let mut sorted = numbers.clone();
            sorted.sort_unstable();
            if !sorted.iter().copied().eq(1..=sorted.len() as u64) {
                wrong.push((chat, sorted));
            }
        }
        wrong
    }
}

/// Swaps `recorder.wasm` between its two builds every 100–400 ms until `stop`, as an operator
/// redeploying under load would; returns how many swaps it made.
async fn reloader(plugins: PathBuf, seed: u64, stop: Arc<AtomicBool>) -> u64 {
    let mut rng = StdRng::seed_from_u64(seed.rotate_left(17));
    let builds = [common::plugin("recorder-v2"), common::plugin("recorder")];
    let mut swaps = 0;
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..400))).await;
        common::install(&builds[swaps % 2], &plugins.join("recorder.wasm"));
        swaps += 1;
    }
    swaps as u64
}

/// Kill i comes once about i/(kills+1) of the events are accepted, a random moment later; some
/// kills hit a daemon that is starting up or replaying instead. Returns the daemon last started,
/// how many kills of each kind there were, and when each came.
async fn kill_repeatedly(
    setup: &Setup,
    http: &reqwest::Client,
    load: &Load,
    mut daemon: Process,
    kills: u64,
    events: u64,
    seed: u64,
) -> (Process, BTreeMap<&'static str, u64>, Vec<Instant>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut modes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut times = Vec::new();
    for i in 1..=kills {
        let mode = match rng.random_range(0..8) {
            0 => "starting",
            1 | 2 => "replaying",
            _ => "under load",
        };
        match mode {
            "starting" => tokio::time::sleep(Duration::from_millis(rng.random_range(0..150))).await,
            "replaying" => {
                setup.wait_ready(http).await;
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..100))).await;
            }
            _ => {
                setup.wait_ready(http).await;
                let threshold = events * i / (kills + 1);
                let since = Instant::now();
                while load.accepted() < threshold {
                    assert!(
                        since.elapsed() < Duration::from_secs(60),
                        "no event accepted for 60 s (a sender failed?); daemon log:\n{}",
                        setup.log_tail()
                    );
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..30))).await;
            }
        }
        *modes.entry(mode).or_default() += 1;
        times.push(Instant::now());
        daemon.kill();
        daemon = setup.spawn();
    }
    (daemon, modes, times)
}

fn message_number(id: &str) -> u64 {
    id.trim_start_matches('m').parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_event_is_answered_exactly_once_across_kills() {
    let Size {
        kills,
        events,
        seed,
    } = Size::from_env();
    let dir = tempfile::tempdir().unwrap();
    let http = client();
    let started = Instant::now();
    let (setup, daemon) = start(dir.path(), "", &http).await;
    let load = Arc::new(Load::default());
    let senders: Vec<_> = (0..SENDERS)
        .map(|id| {
            tokio::spawn(sender(
                id,
                http.clone(),
                setup.base.clone(),
                load.clone(),
                events,
            ))
        })
        .collect();
    let stop_reloading = Arc::new(AtomicBool::new(false));
    let reloads = tokio::spawn(reloader(
        dir.path().join("plugins"),
        seed,
        stop_reloading.clone(),
    ));

    let (daemon, modes, _) =
        kill_repeatedly(&setup, &http, &load, daemon, kills, events, seed).await;
    setup.wait_ready(&http).await;
    for s in senders {
        s.await.unwrap();
    }
    stop_reloading.store(true, Ordering::SeqCst);
    let reloads = reloads.await.unwrap();
    let accepted = load.accepted.lock().unwrap().clone();
    let load_elapsed = started.elapsed();

    // Settle: wait until every accepted message has its answer (or give up and report).
    let deadline = Instant::now() + Duration::from_secs(60) + Duration::from_millis(events * 5);
    let missing = loop {
        let (actions, _) = sim_state(&http, &setup.base).await;
        let (recorder, tally) = Answers::of(&actions).unanswered(&accepted);
        let missing = recorder.len() + tally.len();
        if missing == 0 || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let settle_elapsed = started.elapsed() - load_elapsed;

    // One more kill with nothing going on: the sim's world must come back as it was, and its
    // message ids must keep counting up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (actions_before, timelines_before) = sim_state(&http, &setup.base).await;
    daemon.kill();
    let daemon = setup.spawn();
    setup.wait_ready(&http).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (actions, timelines) = sim_state(&http, &setup.base).await;
    let last_id = timelines_before
        .iter()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|m| m["id"].as_str().map(message_number))
        .max()
        .unwrap_or(0);
    let body = json!({ "chat": "c0", "user": "late", "text": "after the last restart" });
    let response = http
        .post(format!("{}/sim/messages", setup.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let new_id: Value = response.json().await.unwrap();
    let new_id = message_number(new_id["message_id"].as_str().unwrap());
    let dead = get(&http, format!("{}/admin/status", setup.base)).await["dead_letters"]
        .as_u64()
        .unwrap_or(u64::MAX);
    drop(daemon);

    let answers = Answers::of(&actions);
    let (lost_recorder, lost_tally) = answers.unanswered(&accepted);
    let lost = lost_recorder.len() + lost_tally.len();
    let duplicated = answers.duplicated();
    let miscounted = answers.miscounted();
    let answered_unaccepted = answers.recorder.len().saturating_sub(accepted.len());
    eprintln!(
        "crash test (seed {seed}): posted {} events, accepted {}, {kills} kills ({modes:?}), {reloads} reloads \
         (recorder answers by build {:?}), lost {lost} (recorder {}, tally {}), duplicated {duplicated}, \
         chats miscounted {}, answered although not acknowledged {answered_unaccepted}, dead letters {dead}, \
         torn sim log lines skipped {}; load {:.1} s, settle {:.1} s, total {:.1} s",
        load.posted.load(Ordering::SeqCst),
        accepted.len(),
        answers.builds,
        lost_recorder.len(),
        lost_tally.len(),
        miscounted.len(),
        setup.torn_lines(),
        load_elapsed.as_secs_f64(),
        settle_elapsed.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        lost <= missing,
        "answers present before the last restart were gone after it"
    );
    assert!(
        lost == 0,
        "accepted events never answered: by the recorder {:?}, by tally {:?}",
        &lost_recorder[..lost_recorder.len().min(10)],
        &lost_tally[..lost_tally.len().min(10)]
    );
    assert_eq!(
        duplicated,
        0,
        "sends applied twice: recorder {:?}, tally {:?}",
        answers
            .recorder
            .iter()
            .filter(|(_, n)| **n > 1)
            .take(10)
            .collect::<Vec<_>>(),
        answers
            .tally
            .iter()
            .filter(|(_, n)| n.len() > 1)
            .take(10)
            .collect::<Vec<_>>()
    );
    assert!(
        miscounted.is_empty(),
        "tally's kv counts skipped or repeated a number: {miscounted:?}"
    );
    assert!(reloads > 0, "the recorder was never reloaded");
    assert_eq!(dead, 0, "actions ended in the dead letters");
    assert!(
        actions.starts_with(&actions_before),
        "the sim's actions changed across a restart"
    );
    assert_eq!(
        actions.len(),
        actions_before.len(),
        "actions were delivered after everything had settled"
    );
    assert_eq!(
        timelines, timelines_before,
        "the sim's timelines changed across a restart"
    );
    assert!(
        new_id > last_id,
        "message id m{new_id} after the restart is not above m{last_id}"
    );
}

/// The same through three real platforms at once (Yunhu and Biliao by webhook, Fanbook by long
/// poll; their simulators in this process, so they outlive the kills): a webhook platform posts
/// each event until it gets a 200, and Fanbook keeps an update until a poll's offset confirms
/// it, so every event arrives in the end, and a copy accepted before a kill must not be handled
/// again. Every event must reach both plugins, and `tally`'s kv counts must run 1..M in each
/// chat. A send whose outcome a kill kept from being written is in doubt: Yunhu and Fanbook are
/// asked whether it arrived before it goes again, so neither may get a send twice; Biliao cannot
/// tell, so it may get one send twice per chat and kill at most (a chat's next send waits until
/// the outcome of the one before is durable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_platform_event_is_handled_exactly_once_across_kills() {
    let Size {
        kills,
        events,
        seed,
    } = Size::from_env();
    let platforms = Arc::new(Platform::all().await);
    let dir = tempfile::tempdir().unwrap();
    let bots: String = platforms.iter().map(Platform::bot).collect();
    let http = client();
    let started = Instant::now();
    let (setup, daemon) = start(dir.path(), &bots, &http).await;
    let load = Arc::new(Load::default());
    let senders: Vec<_> = (0..SENDERS)
        .map(|id| {
            let (base, platforms) = (setup.base.clone(), platforms.clone());
            tokio::spawn(platform_sender(
                id,
                http.clone(),
                base,
                platforms,
                load.clone(),
                events,
            ))
        })
        .collect();
    let (daemon, modes, kill_times) =
        kill_repeatedly(&setup, &http, &load, daemon, kills, events, seed).await;
    setup.wait_ready(&http).await;
    for s in senders {
        s.await.unwrap();
    }
    let accepted = load.accepted.lock().unwrap().clone();
    let load_elapsed = started.elapsed();

    // Three platforms' simulators record every request, and a chat's next action waits for
    // the outcome of the one before to be durable: draining takes longer than the sim's.
    let deadline = Instant::now() + Duration::from_secs(60) + Duration::from_millis(events * 20);
    let (sends, copies) = loop {
        let (sends, copies) = distinct_sends(&platforms);
        let (recorder, tally) = Answers::of(&sends).unanswered(&accepted);
        if recorder.len() + tally.len() == 0 || Instant::now() > deadline {
            break (sends, copies);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let dead = get(&http, format!("{}/admin/status", setup.base)).await["dead_letters"]
        .as_u64()
        .unwrap_or(u64::MAX);
    drop(daemon);

    let answers = Answers::of(&sends);
    let (lost_recorder, lost_tally) = answers.unanswered(&accepted);
    let handled_twice = answers.duplicated();
    let miscounted = answers.miscounted();
    let reconciled = setup.logged("is on the platform already; not sent again");
    let biliao = platforms.iter().find(|p| p.name() == "biliao").unwrap();
    let worst = biliao.most_copies_per_chat_and_kill(&kill_times);
    eprintln!(
        "platform crash test (seed {seed}): posted {} webhooks and updates, {} events accepted ({} copies \
         dropped at the door), {kills} kills ({modes:?}), lost {} (recorder {}, tally {}), \
         handled twice {handled_twice}, chats miscounted {}, sends a platform got twice \
         {copies:?} (Biliao: at most {worst} per chat and kill), sends in doubt found on the \
         platform {reconciled}, dead letters {dead}; \
         total {:.1} s (load {:.1} s)",
        load.posted.load(Ordering::SeqCst),
        accepted.len(),
        load.redelivered.load(Ordering::SeqCst),
        lost_recorder.len() + lost_tally.len(),
        lost_recorder.len(),
        lost_tally.len(),
        miscounted.len(),
        started.elapsed().as_secs_f64(),
        load_elapsed.as_secs_f64(),
    );
    for platform in platforms.iter() {
        let repeated = platform.repeated_sends();
        if !repeated.is_empty() {
            let some = &repeated[..repeated.len().min(5)];
            eprintln!("{} got sends twice or more, e.g. {some:?}", platform.name());
        }
    }
    assert!(
        lost_recorder.is_empty() && lost_tally.is_empty(),
        "accepted webhooks never answered: by the recorder {:?}, by tally {:?}",
        &lost_recorder[..lost_recorder.len().min(10)],
        &lost_tally[..lost_tally.len().min(10)]
    );
    assert_eq!(
        handled_twice, 0,
        "events handled twice (different answers to one message)"
    );
    assert!(
        miscounted.is_empty(),
        "tally's kv counts skipped or repeated a number: {miscounted:?}"
    );
    assert_eq!(dead, 0, "actions ended in the dead letters");
    for platform in ["yunhu", "fanbook"] {
        assert_eq!(copies[platform], 0, "{platform} got sends twice");
    }
    assert!(
        worst <= 1,
        "one kill made a Biliao chat get {worst} sends twice; at most one may be in doubt"
    );
}
