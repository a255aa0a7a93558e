//! Every problem `run` stops at before it serves, found without starting anything: `run` and
//! `check` both call [`problems`], so `check` passes exactly the configs `run` accepts.

use std::sync::Arc;

use crate::adapter::{self, StartContext, StartError};
use crate::config::{Config, Problem};
use crate::journal::Ingress;
use crate::store::MemoryStore;

/// The config's own problems and each bot's adapter settings, read as its adapter reads them
/// when it starts (without the inbound side: no poller, no socket, no request).
pub fn problems(config: &Config) -> Vec<Problem> {
    let mut problems = config.problems();
    problems.extend(bot_problems(config));
    problems
}

fn bot_problems(config: &Config) -> Vec<Problem> {
    let ingress = match Ingress::new(Arc::new(MemoryStore::default())) {
        Ok(ingress) => ingress,
        Err(e) => return vec![Problem::plain(format!("cannot check the bots: {e}"), None)],
    };
    let ctx = StartContext {
        ingress,
        stop: tokio_util::sync::CancellationToken::new(),
        data_dir: config.data_dir.clone(),
        inbound: false,
    };
    let mut problems = Vec::new();
    for (i, bot) in config.bots.iter().enumerate() {
        // The sim has no settings to check; starting it would read its world from the data dir.
        if bot.platform == adapter::sim::PLATFORM {
            continue;
        }
        if let Err(e) = adapter::start(bot, &ctx) {
            problems.push(bot_problem(i, bot, &e));
        }
    }
    ctx.stop.cancel();
    problems
}

/// An adapter's refusal at the key it names (`options.x`, `secret`, `platform`), if it names one.
fn bot_problem(index: usize, bot: &crate::config::BotConfig, e: &StartError) -> Problem {
    let (keys, message): (Vec<&str>, String) = match e {
        StartError::UnknownPlatform {
            platform, known, ..
        } => (
            vec!["platform"],
            format!("unknown platform `{platform}` (known: {known})"),
        ),
        StartError::Config { reason, .. } => (key_named_in(reason, bot), reason.clone()),
    };
    Problem::in_element("bots", index, &bot.name, &keys, message)
}

/// The key of `bot` a reason is about: `options.KEY` for the first option it names, else a
/// top-level key it names (`secret`, `token`, `base_url`), else none.
fn key_named_in<'b>(reason: &str, bot: &'b crate::config::BotConfig) -> Vec<&'b str> {
    // What follows "(known: …" lists the keys that are fine.
    let reason = reason.split("(known").next().unwrap_or(reason);
    if let Some(key) = bot.options.keys().find(|k| reason.contains(k.as_str())) {
        return vec!["options", key.as_str()];
    }
    ["secret", "token", "base_url", "rate_limit"]
        .into_iter()
        .find(|k| reason.contains(k))
        .map(|k| vec![k])
        .unwrap_or_default()
}
