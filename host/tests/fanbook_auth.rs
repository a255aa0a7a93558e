//! A refused token stops that bot's inbound with one error line while the daemon keeps
//! running, and the token never shows in logs or error texts. These tests read the process's
//! capture of every log line of the `wasmbot` crate.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common;
use crate::fanbook_sim::{payloads, FanbookSim, Fault};
use wasmbot::adapter::{AdapterError, StartContext};
use wasmbot::config::{BotConfig, Secret};
use wasmbot::model::Action;
use wasmbot::model::{ChatKind, ChatRef, Content, Outgoing};

const WAIT: Duration = Duration::from_secs(30);

/// Every log line of the `wasmbot` crate written so far (a capture shared by the process:
/// `common::logs`).
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    &common::logs().wasmbot
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

fn bot(name: &str, token: &str, sim: &FanbookSim) -> BotConfig {
    let options = "poll_timeout_secs = 1\nrequest_timeout_ms = 1500\nbackoff_min_ms = 20\nbackoff_max_ms = 200";
    BotConfig {
        name: name.into(),
        platform: "fanbook".into(),
        token: Some(Secret::new(token)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::from_str(options).unwrap(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

fn refusal_lines(bot: &str) -> usize {
    log_text()
        .lines()
        .filter(|l| l.contains("refused the bot token") && l.contains(bot))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_stops_only_that_bot() {
    logs();
    let token = "WRONG-4f1d9c-token";
    let sim = FanbookSim::start("the-right-token").await;
    let fanbook = bot("fb-wrong", token, &sim);
    // The default config also has the `sim` platform's bot: it must keep working.
    let daemon = common::TestDaemon::start_config(&["driver"], move |c| c.bots.push(fanbook)).await;
    daemon.wait_for_plugin("driver", None, WAIT).await;
    sim.wait_for(WAIT, "getMe", |r| r.iter().any(|r| r.method == "getMe"))
        .await;
    daemon.say("c1", "u1", "/send still-alive").await;
    daemon
        .wait_for("c1", WAIT, |a| a.iter().any(|a| a["text"] == "still-alive"))
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;

    assert_eq!(
        sim.calls("getMe").len(),
        1,
        "a refused token is not retried"
    );
    assert!(sim.calls("getUpdates").is_empty());
    assert_eq!(refusal_lines("fb-wrong"), 1, "{}", log_text());
    assert!(
        !log_text().contains(token),
        "the token leaked into the logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_inbound_and_never_leaks() {
    logs();
    let token = "SEKRIT-7a1c0e-token";
    let sim = FanbookSim::start(token).await;
    let fanbook = bot("fb-revoked", token, &sim);
    let daemon = common::TestDaemon::start_config(&["driver"], move |c| c.bots.push(fanbook)).await;
    daemon.wait_for_plugin("driver", None, WAIT).await;

    // Outbound failures whose texts could carry the URL: an error page echoing the path,
    // and a dropped connection (retried).
    sim.fault("sendMessage", Fault::EchoPath);
    sim.push_update(payloads::channel_text(469270000000000001, "/send a"));
    sim.wait_for(WAIT, "the echoed failure", |r| {
        r.iter().any(|r| r.body["text"] == "a")
    })
    .await;
    sim.fault("sendMessage", Fault::Drop);
    sim.push_update(payloads::channel_text(469270000000000002, "/send b"));
    sim.wait_for(WAIT, "b after a dropped connection", |r| {
        r.iter().filter(|r| r.body["text"] == "b").count() == 2
    })
    .await;

    sim.set_token("rotated-token");
    let start = std::time::Instant::now();
    while refusal_lines("fb-revoked") == 0 {
        assert!(
            start.elapsed() < WAIT,
            "no refusal was logged:\n{}",
            log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let polls = sim.calls("getUpdates").len();
    sim.push_update(payloads::channel_text(469270000000000003, "/send c"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim.calls("getUpdates").len(),
        polls,
        "polling went on after the token was refused"
    );
    assert!(!sim.sent_texts().contains(&"c".to_string()));
    assert_eq!(refusal_lines("fb-revoked"), 1, "{}", log_text());

    let logs = log_text();
    assert!(
        logs.contains("action not delivered") && logs.contains("***"),
        "{logs}"
    );
    assert!(
        !logs.contains(token),
        "the token leaked into the logs:\n{logs}"
    );
    drop(daemon);
}

/// The adapter's own errors and `Debug` output, straight from `deliver`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapter_errors_never_carry_the_token() {
    logs();
    let token = "TOPSECRET-d00d-token";
    let sim = FanbookSim::start(token).await;
    let store = Arc::new(wasmbot::store::MemoryStore::new(Default::default()));
    let ctx = StartContext {
        ingress: wasmbot::journal::Ingress::new(store).unwrap(),
        stop: Default::default(),
        data_dir: Default::default(),
        inbound: true,
        singleton: None,
    };
    let mut config = bot("fb-direct", token, &sim);
    config.options.insert("inbound".into(), "gateway".into());
    config
        .options
        .insert("gateway_url".into(), sim.gateway_url().into());
    let started = wasmbot::adapter::start(&config, &ctx).unwrap();
    let chat = ChatRef {
        platform: "fanbook".into(),
        bot: "fb-direct".into(),
        kind: ChatKind::Group,
        id: payloads::CHANNEL.to_string(),
        guild: None,
    };
    let send = Action::Send {
        handle: "h1".into(),
        chat,
        message: Outgoing {
            content: Content::Text("x".into()),
            keyboard: None,
            mentions: vec![],
        },
        reply_to: None,
    };
    assert!(!format!("{started:?}").contains(token));

    sim.fault("sendMessage", Fault::EchoPath);
    let echoed = started.adapter.deliver(&send).await.unwrap_err();
    sim.fault("sendMessage", Fault::Drop);
    let dropped = started.adapter.deliver(&send).await.unwrap_err();
    assert!(matches!(dropped, AdapterError::Transient(_)), "{dropped:?}");
    sim.fault(
        "sendMessage",
        Fault::Refuse(400, "Bad Request: chat not found".into()),
    );
    let refused = started.adapter.deliver(&send).await.unwrap_err();
    assert_eq!(
        refused,
        AdapterError::Platform {
            code: "400".into(),
            message: "Bad Request: chat not found".into()
        }
    );
    sim.set_token("rotated");
    let unauthorized = started.adapter.deliver(&send).await.unwrap_err();
    assert!(
        matches!(unauthorized, AdapterError::Unauthorized(_)),
        "{unauthorized:?}"
    );
    // An unreachable host: a fresh adapter pointing at a closed loopback port (dropping the
    // simulator is not enough, a pooled keep-alive connection can outlive its listener).
    let mut closed = bot("fb-closed", token, &sim);
    closed.base_url = Some("http://127.0.0.1:9".into());
    closed.options.insert("inbound".into(), "gateway".into());
    closed
        .options
        .insert("gateway_url".into(), "ws://127.0.0.1:9/websocket".into());
    let unreachable_adapter = wasmbot::adapter::start(&closed, &ctx).unwrap();
    let unreachable = unreachable_adapter
        .adapter
        .deliver(&send)
        .await
        .unwrap_err();
    assert!(
        matches!(unreachable, AdapterError::Transient(_)),
        "{unreachable:?}"
    );

    for e in [&echoed, &dropped, &refused, &unauthorized, &unreachable] {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(token), "{text}");
        }
    }
    assert!(
        echoed.to_string().contains("/api/bot/***/sendMessage"),
        "{echoed}"
    );
    ctx.stop.cancel();
}
