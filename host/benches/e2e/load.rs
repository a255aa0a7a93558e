//! The load: Yunhu message events `/echo <label><n>` posted to the daemon's webhook by a number of
//! senders, each in a group chat of its own, each posting its next event once the previous one
//! was answered; then the wait for the replies, and the check that each came exactly once.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::daemon::{BOT, HOOK_SECRET};
use crate::standin::StandIn;

/// The waits before posting an event again after a 503: doubling from the first to the last.
/// A full journal holds seconds of work, so the daemon never idles meanwhile; retrying at once
/// would mostly measure how fast it refuses.
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const LAST_BACKOFF: Duration = Duration::from_millis(500);

/// One batch of events: `events` of them, spread over `senders`, texts `/echo {label}{n}`.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub events: usize,
    pub senders: usize,
    /// Tells a batch's replies from another's (`w` warm-up, `m` measured, `s` start-up).
    pub label: char,
}

impl Load {
    /// The chat sender `s` posts in.
    pub fn chat(s: usize) -> String {
        format!("g{s}")
    }

    /// The reply the echo plugin gives to event `n`.
    pub fn reply(&self, n: usize) -> String {
        format!("{}{n}", self.label)
    }

    /// Event `n` from sender `s` as Yunhu posts it (the shape of the golden
    /// `event_message_receive_normal.json`, without the optional fields).
    pub fn body(&self, n: usize, s: usize) -> String {
        let (label, chat) = (self.label, Self::chat(s));
        format!(
            r#"{{"version":"1.0","header":{{"eventId":"e2e-{label}{n:09}","eventType":"message.receive.normal","eventTime":1761905100009}},"event":{{"sender":{{"senderId":"u{s}","senderType":"user","senderUserLevel":"member","senderNickname":"load {s}"}},"chat":{{"chatId":"{chat}","chatType":"group"}},"message":{{"msgId":"msg-{label}{n:09}","parentId":"","sendTime":1761905100000,"chatId":"{chat}","chatType":"group","contentType":"text","content":{{"text":"/echo {label}{n}"}}}}}}}}"#
        )
    }
}

/// The daemon's webhook, over one keep-alive connection per sender.
#[derive(Debug, Clone)]
pub struct Hook {
    http: reqwest::Client,
    url: String,
}

/// How one POST ended.
#[derive(Debug)]
pub enum PostError {
    /// Nothing listens yet (or any more).
    Connect(reqwest::Error),
    Other(anyhow::Error),
}

impl Hook {
    pub fn new(daemon: SocketAddr, senders: usize) -> Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(senders)
            .timeout(Duration::from_secs(30))
            .build()?;
        let url = format!("http://{daemon}/hooks/{BOT}/{HOOK_SECRET}");
        Ok(Self { http, url })
    }

    /// Posts one event until it is accepted (200). A 503 (the journal is full) is tried again
    /// after a backoff, as a platform would; returns how many 503s there were.
    pub async fn post(&self, body: String) -> Result<u64, PostError> {
        let mut busy = 0;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let answer = self
                .http
                .post(&self.url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .map_err(|e| match e.is_connect() {
                    true => PostError::Connect(e),
                    false => PostError::Other(e.into()),
                })?;
            let status = answer.status();
            let text = answer.text().await.unwrap_or_default();
            match status.as_u16() {
                200 => return Ok(busy),
                503 => busy += 1,
                _ => {
                    let e = anyhow::anyhow!("the webhook answered {status}: {text}");
                    return Err(PostError::Other(e));
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(LAST_BACKOFF);
        }
    }
}

/// When each event was posted, and how the posting went.
#[derive(Debug)]
pub struct Posted {
    /// Just before the first POST.
    pub started: Instant,
    /// When the last POST was answered.
    pub finished: Instant,
    /// Per event: just before its (first) POST.
    pub sent_at: Vec<Instant>,
    /// 503 answers, each retried.
    pub busy: u64,
}

/// Posts every event of `load`, `load.senders` at a time.
pub async fn post_all(hook: &Hook, load: Load) -> Result<Posted> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..load.senders)
        .map(|s| tokio::spawn(run_sender(hook.clone(), load, s)))
        .collect();
    let mut sent_at = vec![started; load.events];
    let mut busy = 0;
    for task in tasks {
        let sender = task.await.context("a sender task panicked")??;
        busy += sender.busy;
        for (n, at) in sender.sent {
            sent_at[n] = at;
        }
    }
    let finished = Instant::now();
    Ok(Posted {
        started,
        finished,
        sent_at,
        busy,
    })
}

/// What one sender did: when it posted which event, and the 503s it got.
struct SenderLog {
    sent: Vec<(usize, Instant)>,
    busy: u64,
}

/// Sender `s` posts events `s`, `s + senders`, … one after another.
async fn run_sender(hook: Hook, load: Load, s: usize) -> Result<SenderLog> {
    let mut log = SenderLog {
        sent: Vec::with_capacity(load.events / load.senders + 1),
        busy: 0,
    };
    for n in (s..load.events).step_by(load.senders) {
        let body = load.body(n, s);
        log.sent.push((n, Instant::now()));
        log.busy += match hook.post(body).await {
            Ok(busy) => busy,
            Err(PostError::Connect(e)) => bail!("event {n}: cannot reach the webhook: {e}"),
            Err(PostError::Other(e)) => return Err(e.context(format!("event {n}"))),
        };
    }
    Ok(log)
}

/// Waits until `expected` messages reached the stand-in, or `deadline` passed; returns whether
/// they all did.
pub async fn wait_for_replies(standin: &StandIn, expected: usize, deadline: Instant) -> bool {
    loop {
        if standin.count() >= expected {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
