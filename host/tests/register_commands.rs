//! `register_commands = true`: at start-up the bot's command menu becomes the union of the
//! loaded plugins' commands (Biliao has a menu a bot may set); platforms without one only log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod biliao_sim;
mod common;
mod webhook_sim;

use std::time::Duration;

use common::TestDaemon;
use wasmbot::config::{BotConfig, Secret};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugins_commands_become_the_menu() {
    let sim = biliao_sim::start().await;
    let bot = BotConfig {
        name: "bl".into(),
        platform: "biliao".into(),
        token: Some(Secret::new(biliao_sim::TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: toml::Table::new(),
        register_commands: true,
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
