//! Who may ask: the sender's rank from each platform's payloads, and the host refusing commands
//! whose audience does not admit the sender, before the plugin is called (bundled plugins on
//! the sim).

use std::time::Duration;

use serde_json::{json, Value};
use wasmbot::adapter::{biliao, minapp, yunhu};
use wasmbot::config::{AudienceSetting, Secret};
use wasmbot::model::{Audience, Event, Rank};

use crate::common::{logs, overrides, TestDaemon};

const WAIT: Duration = Duration::from_secs(10);

fn golden(platform: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/golden/{platform}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every Yunhu golden message gives the rank its `senderUserLevel` names.
#[test]
fn yunhu_ranks_come_from_sender_user_level() {
    let dir = format!("{}/tests/golden/yunhu", env!("CARGO_MANIFEST_DIR"));
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("event_message_receive") {
            continue;
        }
        let payload = golden("yunhu", &name);
        let level = payload["event"]["sender"]["senderUserLevel"]
            .as_str()
            .unwrap()
            .to_owned();
        let parsed = yunhu::parse_webhook("yh", payload).unwrap();
        let expected = match level.as_str() {
            "owner" => Rank::Owner,
            "member" => Rank::Member,
            _ => Rank::Unknown,
        };
        assert_eq!(parsed.rank, expected, "{name}");
        seen.push(level);
    }
    for level in ["owner", "member", "unknown"] {
        assert!(seen.iter().any(|l| l == level), "no golden with {level}");
    }
}

/// `administrator` is an admin; a missing, misspelt or mistyped level is unknown, and the
/// message is still parsed (the event is never lost over it).
#[test]
fn yunhu_levels_beyond_the_goldens_and_malformed_ones() {
    let with_level = |level: Option<Value>| {
        let mut payload = golden("yunhu", "event_message_receive_normal.json");
        let sender = payload["event"]["sender"].as_object_mut().unwrap();
        match level {
            Some(level) => sender.insert("senderUserLevel".into(), level),
            None => sender.remove("senderUserLevel"),
        };
        yunhu::parse_webhook("yh", payload).unwrap()
    };
    assert_eq!(with_level(Some(json!("administrator"))).rank, Rank::Admin);
    for malformed in [
        None,
        Some(json!("Administrator")),
        Some(json!(3)),
        Some(json!({"level": "owner"})),
        Some(Value::Null),
    ] {
        let parsed = with_level(malformed.clone());
        assert_eq!(parsed.rank, Rank::Unknown, "{malformed:?}");
        assert!(matches!(parsed.event, Event::Message(_)), "{malformed:?}");
    }
}

/// Biliao and minapp payloads say nothing of rank: unknown, always.
#[test]
fn biliao_and_minapp_senders_are_of_unknown_rank() {
    for name in [
        "event_group_message.json",
        "event_private_message.json",
        "event_callback_query.json",
    ] {
        let parsed = biliao::parse_webhook("bl", golden("biliao", name)).unwrap();
        assert_eq!(parsed.rank, Rank::Unknown, "{name}");
    }
    let secret = Secret::new("s3cret");
    let mut payload = golden("minapp", "event_text.json");
    payload["secret"] = json!("s3cret");
    let parsed = minapp::parse_webhook("mn", &secret, payload).unwrap();
    assert_eq!(parsed.rank, Rank::Unknown);
}

async fn set_rank(d: &TestDaemon, chat: &str, user: &str, rank: &str) {
    let (status, body) = d
        .post(
            "/sim/ranks",
            json!({ "chat": chat, "user": user, "rank": rank }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

fn replies(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .filter(|a| a["op"] == "reply")
        .filter_map(|a| a["text"].as_str().map(str::to_owned))
        .collect()
}

/// A member is refused `/setwelcome` with a reply naming who may use it, and the plugin never
/// sees it (the greeting is unchanged); made an admin on the sim page, the same member may.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_command_gets_a_reply_and_never_reaches_the_plugin() {
    logs(); // captures from here on
    let d = TestDaemon::start(&["welcome"]).await;
    d.say("general", "alice", "/setwelcome Hacked").await;
    let actions = d.wait_for("general", WAIT, |a| !a.is_empty()).await;
    assert_eq!(
        replies(&actions),
        ["Only this chat's admins may use /setwelcome."]
    );
    let audit = String::from_utf8_lossy(&logs().wasmbot.lock().unwrap()).into_owned();
    assert!(
        audit.lines().any(|l| l.contains("command refused")
            && l.contains("command=setwelcome")
            && l.contains("user=alice")
            && l.contains("rank=\"member\"")
            && l.contains("audience=\"admins\"")),
        "no audit line"
    );

    set_rank(&d, "general", "alice", "admin").await;
    d.say("general", "alice", "/setwelcome Hi {name}").await;
    d.wait_for("general", WAIT, |a| replies(a).len() == 2).await;
    d.post("/sim/joins", json!({ "chat": "general", "user": "dave" }))
        .await;
    let actions = d
        .wait_for("general", WAIT, |a| {
            a.iter()
                .any(|x| x["op"] == "send" && x["text"] == "Hi dave")
        })
        .await;
    assert!(
        !actions.iter().any(|a| a["text"] == "Hacked"),
        "the refused greeting must never be saved: {actions:?}"
    );
}

/// `runtime.refusal_reply = ""` refuses without a word; the next (allowed) command is still
/// answered, in order, so the refused one was handled and dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_can_be_silent() {
    let d =
        TestDaemon::start_config(&["welcome"], |c| c.runtime.refusal_reply = String::new()).await;
    set_rank(&d, "general", "olga", "owner").await;
    d.say("general", "bob", "/setwelcome Nope").await;
    d.say("general", "olga", "/setwelcome Yes").await;
    let actions = d
        .wait_for("general", WAIT, |a| !replies(a).is_empty())
        .await;
    assert_eq!(replies(&actions), ["Welcome message saved: Yes"]);
}

/// The operator overrides a plugin's audiences per command: `/setwelcome` opened to anyone,
/// `/roles` closed to the bot's admins, named in `[[bots]] admins`, who may use any command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_overrides_audiences_and_names_bot_admins() {
    let welcome = overrides("welcome", |c| {
        c.audience
            .insert("setwelcome".into(), AudienceSetting(Audience::Anyone));
    });
    let roles = overrides("role-menu", |c| {
        c.audience
            .insert("/roles".into(), AudienceSetting(Audience::BotAdmins));
    });
    let d = TestDaemon::start_config(&["welcome", "role-menu"], |c| {
        c.plugins.extend([welcome, roles]);
        c.bots[0].admins = vec!["root".into()];
    })
    .await;
    d.say("general", "bob", "/setwelcome Open to all").await;
    d.wait_for("general", WAIT, |a| {
        replies(a).contains(&"Welcome message saved: Open to all".to_owned())
    })
    .await;

    set_rank(&d, "general", "olga", "owner").await;
    d.say("general", "olga", "/roles").await;
    d.wait_for("general", WAIT, |a| {
        replies(a).contains(&"Only the bot's admins may use /roles.".to_owned())
    })
    .await;
    // A bot admin needs no rank in the chat.
    d.say("general", "root", "/roles").await;
    let actions = d
        .wait_for("general", WAIT, |a| a.iter().any(|x| x["op"] == "send"))
        .await;
    let menu = actions.iter().find(|x| x["op"] == "send").unwrap();
    assert_eq!(menu["text"], "Pick your roles:");
}

/// antispam leaves the chat's admins and owners alone however much they post, and still mutes
/// a member who floods the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn antispam_exempts_admins_and_owners() {
    let config = overrides("antispam", |c| {
        c.config.insert("max_messages".into(), 2.into());
        c.config.insert("window_seconds".into(), 60.into());
        c.grants.operations = vec!["mute".into(), "delete".into()];
    });
    let d = TestDaemon::start_with(&["antispam"], vec![config]).await;
    set_rank(&d, "general", "ada", "admin").await;
    set_rank(&d, "general", "otto", "owner").await;
    for text in ["1", "2", "3", "4"] {
        d.say("general", "ada", text).await;
        d.say("general", "otto", text).await;
    }
    for text in ["1", "2", "3"] {
        d.say("general", "mallory", text).await;
    }
    let actions = d
        .wait_for("general", WAIT, |a| a.iter().any(|x| x["op"] == "mute"))
        .await;
    let muted: Vec<&Value> = actions
        .iter()
        .filter(|a| a["op"] == "mute")
        .map(|a| &a["user"])
        .collect();
    assert_eq!(muted, [&json!("mallory")], "{actions:?}");
}

/// The sim checks what a person sets: a rank it does not know is a 400 naming the choices.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sim_refuses_an_unknown_rank() {
    let d = TestDaemon::start(&[]).await;
    let (status, body) = d
        .post(
            "/sim/ranks",
            json!({ "chat": "general", "user": "alice", "rank": "king" }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("`owner`, `admin` or `member`"));
    let (_, chats) = d.get("/sim/chats").await;
    assert!(!chats.to_string().contains("king"));
}

/// Fanbook updates do not carry rank: it is looked up (`getChatMember`, and `getGuildRoles`
/// for the roles' permissions) and decides who may use `/setwelcome`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanbook_ranks_come_from_roles_and_status() {
    use crate::fanbook_sim::payloads::{channel_text_from, ADMIN, OWNER, USER};
    use crate::fanbook_sim::FanbookSim;

    let sim = FanbookSim::start("fb-standing-token").await;
    let bot = wasmbot::config::BotConfig {
        name: "fb".into(),
        platform: "fanbook".into(),
        token: Some(Secret::new("fb-standing-token")),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::from_str("inbound = \"poll\"\npoll_timeout_secs = 1").unwrap(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    };
    let d = TestDaemon::start_config(&["welcome"], move |c| c.bots.push(bot)).await;
    d.wait_for_plugin("welcome", None, WAIT).await;
    sim.push_update(channel_text_from(469250000000000001, USER, "/setwelcome m"));
    sim.push_update(channel_text_from(
        469250000000000002,
        ADMIN,
        "/setwelcome a",
    ));
    sim.push_update(channel_text_from(
        469250000000000003,
        OWNER,
        "/setwelcome o",
    ));
    sim.wait_for_text("Welcome message saved: o", Duration::from_secs(30))
        .await;
    let texts = sim.sent_texts();
    assert_eq!(
        texts,
        [
            "Only this chat's admins may use /setwelcome.",
            "Welcome message saved: a",
            "Welcome message saved: o"
        ]
    );
}
