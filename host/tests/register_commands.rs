//! `register_commands = true`: at start-up the bot's command menu becomes the union of the
//! loaded plugins' commands (Biliao has a menu a bot may set); platforms without one only log.

use std::time::Duration;

use crate::biliao_sim;
use crate::common::TestDaemon;
use crate::fanbook_sim;
use wasmbot::config::{BotConfig, Secret};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugins_commands_become_the_menu() {
    let sim = biliao_sim::start().await;
    let bot = BotConfig {
        register_commands: true,
        ..biliao_sim::bot(&sim, &[])
    };
    let _d = TestDaemon::start_config(&["echo", "kvtest"], move |c| c.bots.push(bot)).await;
    let requests = sim
        .wait_for(Duration::from_secs(10), |r| {
            r.iter().any(|r| r.path == "/bot/botapisetcommands")
        })
        .await;
    let set = requests
        .iter()
        .find(|r| r.path == "/bot/botapisetcommands")
        .unwrap()
        .json();
    let names: Vec<&str> = set["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["command"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["badref", "caps", "echo", "kvdel", "kvget", "kvlist", "kvset"],
        "{set}"
    );
    assert!(set["commands"][2]["description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    assert_eq!(sim.to("/bot/botapisetcommands").len(), 1, "registered once");
}

/// Fanbook's bot token cannot set commands: the adapter goes through the developer console
/// with the operator's user token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanbook_registers_through_the_console() {
    let sim = fanbook_sim::FanbookSim::start("fbtoken-3a9c").await;
    let mut options = toml::Table::new();
    options.insert(
        "console_user_token".into(),
        fanbook_sim::CONSOLE_TOKEN.into(),
    );
    options.insert("poll_timeout_secs".into(), 1.into());
    let bot = BotConfig {
        name: "fb".into(),
        platform: "fanbook".into(),
        token: Some(Secret::new("fbtoken-3a9c")),
        secret: None,
        base_url: Some(sim.base.clone()),
        options,
        register_commands: true,
        rate_limit: None,
        admins: Vec::new(),
    };
    let _d = TestDaemon::start_config(&["echo"], move |c| c.bots.push(bot)).await;
    let start = std::time::Instant::now();
    let update = loop {
        let found = sim
            .calls("console")
            .into_iter()
            .find(|r| r.body.to_string().contains("update_bot"));
        if let Some(found) = found {
            break found;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no update_bot reached the console"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        update.headers.get("usertoken").map(String::as_str),
        Some(fanbook_sim::CONSOLE_TOKEN)
    );
    let vars = &update.body["variables"]["updateBot"];
    assert_eq!(
        vars["bot_id"],
        fanbook_sim::BOT_ID.to_string(),
        "{}",
        update.body
    );
    assert_eq!(vars["commands"][0]["command"], "echo", "{}", update.body);
    assert!(
        !update.body.to_string().contains("fbtoken-3a9c"),
        "the bot token stays out of the console call"
    );
}
