//! The `wasmbot:bot/fanbook` interface: with the grant on a Fanbook bot the simulator receives
//! the documented methods and the plugin gets parsed results; without the grant calls are
//! `denied`; on a bot that is not on Fanbook they are `unsupported` while the plugin still loads
//! and serves other commands.

use std::time::Duration;

use crate::common::{self, overrides};
use crate::fanbook_sim::payloads::{self, GUILD};
use crate::fanbook_sim::{self, FanbookSim, Recorded};
use serde_json::json;
use wasmbot::config::{BotConfig, Secret};

const TOKEN: &str = "e79f1400757bee0729b49fc54e3d87e4";
const WAIT: Duration = Duration::from_secs(30);
const MEMBER: &str = "470118822514081792";

fn bot(sim: &FanbookSim) -> BotConfig {
    let options = "inbound = \"poll\"\npoll_timeout_secs = 1\nrequest_timeout_ms = 1500\n\
                   backoff_min_ms = 20\nbackoff_max_ms = 200";
    BotConfig {
        name: "fb".into(),
        platform: "fanbook".into(),
        token: Some(Secret::new(TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::from_str(options).unwrap(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

async fn daemon(sim: &FanbookSim, interfaces: &[&str]) -> common::TestDaemon {
    let bot = bot(sim);
    let interfaces: Vec<String> = interfaces.iter().map(|s| s.to_string()).collect();
    let daemon = common::TestDaemon::start_config(&["fbextras"], move |c| {
        c.bots.push(bot);
        c.plugins
            .push(overrides("fbextras", |p| p.grants.interfaces = interfaces));
    })
    .await;
    daemon.wait_for_plugin("fbextras", None, WAIT).await;
    daemon
}

/// Waits for a sent text starting with `prefix` and returns it.
async fn reply_starting(sim: &FanbookSim, prefix: &str) -> String {
    sim.wait_for(WAIT, prefix, |_| {
        sim.sent_texts().iter().any(|t| t.starts_with(prefix))
    })
    .await;
    sim.sent_texts()
        .into_iter()
        .find(|t| t.starts_with(prefix))
        .unwrap()
}

fn only(sim: &FanbookSim, method: &str) -> Recorded {
    let calls = sim.calls(method);
    assert_eq!(calls.len(), 1, "{method}: {calls:?}");
    calls.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granted_calls_reach_fanbook_and_return_parsed_results() {
    let sim = FanbookSim::start(TOKEN).await;
    let _daemon = daemon(&sim, &["fanbook"]).await;
    let commands = [
        "/fbchannels".to_string(),
        "/fbsearch 阿梨".to_string(),
        format!("/fbnotice {MEMBER} 活动开始"),
        format!("/fbcredit {MEMBER} medal-0000001"),
        format!("/fbuncredit {MEMBER} medal-0000001"),
        "/fbinvites".to_string(),
        "/fbposts 413613404125659136".to_string(),
        "/fbedit 413613404125659136 公告".to_string(),
    ];
    let first = 469250000000000001u64;
    for (i, text) in commands.iter().enumerate() {
        sim.push_update(payloads::channel_text(first + i as u64, text));
    }

    assert_eq!(
        reply_starting(&sim, "channels:").await,
        "channels:413582158565736448=语音/1,413613404125659136=闲聊/0"
    );
    assert_eq!(
        only(&sim, "channel/list").body,
        json!({ "guild_id": GUILD.to_string() })
    );

    assert_eq!(
        reply_starting(&sim, "members:").await,
        format!("members:{MEMBER}=梨子")
    );
    assert_eq!(
        only(&sim, "searchGuildMember").body,
        json!({ "guild_id": GUILD, "query": "阿梨" })
    );

    assert_eq!(
        reply_starting(&sim, "notice:").await,
        "notice:99413237384091392/644447100674768896"
    );
    assert_eq!(
        only(&sim, "guild/notification/send").body,
        json!({ "users": [MEMBER], "guild_id": GUILD.to_string(), "text": "活动开始" })
    );

    assert_eq!(reply_starting(&sim, "invites:").await, "invites:88");
    assert_eq!(
        only(&sim, "invite/guildList").body,
        json!({ "guild_id": GUILD.to_string(), "size": "10" })
    );

    assert_eq!(reply_starting(&sim, "posts:").await, "posts:p2");
    assert_eq!(
        only(&sim, "circle/postList").body,
        json!({ "guild_id": GUILD.to_string(), "channel_id": "413613404125659136", "size": "5" })
    );

    sim.wait_for(WAIT, "credit set and removed, channel edited", |r| {
        r.iter().filter(|r| r.method == "v2/guild/credit").count() == 2
            && r.iter().any(|r| r.method == "channel/edit")
    })
    .await;
    let credits = sim.calls("v2/guild/credit");
    let put = credits.iter().find(|r| r.verb == "PUT").expect("a PUT");
    assert_eq!(
        put.body,
        json!({
            "guild_id": GUILD.to_string(), "user_id": MEMBER, "card_id": "medal-0000001",
            "guild_credit": { "title": { "text": "MVP" } }
        })
    );
    let delete = credits
        .iter()
        .find(|r| r.verb == "DELETE")
        .expect("a DELETE");
    assert_eq!(
        delete.body,
        json!({ "guild_id": GUILD.to_string(), "user_id": MEMBER, "card_id": "medal-0000001" })
    );
    let edit = only(&sim, "channel/edit");
    assert_eq!(edit.body["channel_id"], json!("413613404125659136"));
    assert_eq!(edit.body["guild_id"], json!(GUILD.to_string()));
    assert_eq!(edit.body["name"], json!("公告"));
    assert_eq!(
        edit.body["user_id"],
        json!(fanbook_sim::BOT_ID.to_string()),
        "the bot edits as itself"
    );
    sim.wait_for(WAIT, "both ok replies", |_| {
        sim.sent_texts().iter().filter(|t| *t == "ok").count() == 3
    })
    .await;
    assert!(sim.sent_texts().iter().all(|t| !t.starts_with("error:")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_grant_calls_are_denied() {
    let sim = FanbookSim::start(TOKEN).await;
    let _daemon = daemon(&sim, &[]).await;
    sim.push_update(payloads::channel_text(469250000000000101, "/fbchannels"));
    let reply = reply_starting(&sim, "error:").await;
    assert!(reply.starts_with("error:denied:"), "{reply}");
    assert!(reply.contains("interfaces = [\"fanbook\"]"), "{reply}");
    assert!(sim.calls("channel/list").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_another_platform_calls_are_unsupported_and_the_plugin_still_serves() {
    let d = common::TestDaemon::start_config(&["fbextras"], |c| {
        c.plugins.push(overrides("fbextras", |p| {
            p.grants.interfaces = vec!["fanbook".into()]
        }));
    })
    .await;
    d.wait_for_plugin("fbextras", None, WAIT).await;
    d.say("c1", "alice", "/fbchannels").await;
    d.wait_for("c1", WAIT, |a| a.iter().any(|x| x["op"] == "reply"))
        .await;
    d.say("c1", "alice", "/ping").await;
    d.wait_for("c1", WAIT, |a| {
        a.iter().filter(|x| x["op"] == "reply").count() == 2
    })
    .await;
    let replies = d.texts("c1", "reply").await;
    assert!(
        replies[0].starts_with("error:unsupported: sim does not support fanbook.list-channels"),
        "{replies:?}"
    );
    assert_eq!(replies[1], "pong");
}
