//! Every problem `run` stops at before it serves, found without starting anything: `run` and
//! `check` both call [`problems`], so `check` passes exactly the configs `run` accepts.

use std::sync::Arc;

use crate::adapter::{self, StartContext, StartError};
use crate::config::{BotConfig, Config, Problem, Secret, Seg};
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
        singleton: None,
    };
    let mut problems = Vec::new();
    for (i, bot) in config.bots.iter().enumerate() {
        // The sim has no settings to check; starting it would read its world from the data dir.
        if bot.platform == adapter::sim::PLATFORM {
            continue;
        }
        problems.extend(problems_of_bot(i, bot, &ctx));
    }
    ctx.stop.cancel();
    problems
}

/// Every problem an adapter finds with one bot: it stops at the first, so the key that one
/// names is set aside (an option removed, a missing credential filled in) and it is asked
/// again, a few times at most.
fn problems_of_bot(index: usize, bot: &BotConfig, ctx: &StartContext) -> Vec<Problem> {
    let mut bot = bot.clone();
    let mut problems = Vec::new();
    for _ in 0..8 {
        let Err(e) = adapter::start(&bot, ctx) else {
            break;
        };
        let problem = bot_problem(index, &bot, &e);
        let keys: Vec<String> = problem
            .path
            .iter()
            .skip(2)
            .filter_map(|seg| match seg {
                Seg::Key(k) => Some(k.clone()),
                Seg::Index(_) => None,
            })
            .collect();
        problems.push(problem);
        let placeholder = || Some(Secret::new("placeholder-for-check"));
        match keys
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["options", key] => {
                bot.options.remove(*key);
            }
            ["secret"] => bot.secret = placeholder(),
            ["token"] => bot.token = placeholder(),
            ["base_url"] => bot.base_url = None,
            _ => break,
        }
    }
    problems
}

/// An adapter's refusal at the key it names (`options.x`, `secret`, `platform`), if it names one.
fn bot_problem(index: usize, bot: &BotConfig, e: &StartError) -> Problem {
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
fn key_named_in<'b>(reason: &str, bot: &'b BotConfig) -> Vec<&'b str> {
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
