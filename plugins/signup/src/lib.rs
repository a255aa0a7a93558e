//! `signup`: a dialogue. `/signup` asks for a name, then a team, then confirms and keeps the
//! signup in kv; `/cancel` in the middle stops it; left unanswered it times out (config
//! `timeout`, default `5m`) and says so in the chat.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use wasmbot_sdk::dialogue::{self, Dialogue};
use wasmbot_sdk::prelude::*;
use wasmbot_sdk::timers::parse_duration;

/// The dialogue's steps, by name.
const ASK_NAME: &str = "name";
const ASK_TEAM: &str = "team";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
struct Signup {
    timeout: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// How long to wait for each answer: `30s`, `5m`, `1h`.
    timeout: Option<String>,
}

/// What the dialogue has gathered.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Answers {
    name: String,
}

/// A finished signup, as kept in kv under `signup:<chat key>:<user>`.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    name: String,
    team: String,
}

impl Plugin for Signup {
    const DIALOGUES: bool = true;

    fn manifest(&self) -> Manifest {
        Manifest::new()
            .command(CommandHelp::new(
                "signup",
                "Signs you up: asks your name and team",
            ))
            .permissions([Operation::Send, Operation::Reply, Operation::Kv])
    }

    fn init(&mut self, config: Value) -> Result<(), String> {
        let config: Config = wasmbot_sdk::config::parse(config)?;
        self.timeout = match config.timeout {
            Some(text) => Some(parse_duration(&text).ok_or_else(|| {
                format!("`timeout` must be a duration like 30s, 5m or 1h, not `{text}`")
            })?),
            None => None,
        };
        Ok(())
    }

    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        let user = command.message.sender.id.clone();
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        dialogue::start(
            command.chat(),
            &user,
            ASK_NAME,
            &Answers::default(),
            timeout,
        )?;
        command.reply("Let's sign you up. What's your name? (/cancel to stop)")?;
        Ok(())
    }

    fn on_dialogue(&mut self, dialogue: Dialogue, message: Message) -> Result<(), Error> {
        let answer = message.text().unwrap_or_default().trim().to_owned();
        if answer == "/cancel" {
            dialogue.end()?;
            message.reply("Signup cancelled.")?;
            return Ok(());
        }
        if answer.is_empty() || answer.starts_with('/') {
            message.reply(question(dialogue.step()))?;
            return Ok(());
        }
        match dialogue.step() {
            ASK_NAME => {
                dialogue.next(ASK_TEAM, &Answers { name: answer })?;
                message.reply(question(ASK_TEAM))?;
            }
            _ => {
                let Answers { name } = dialogue.data()?;
                let key = format!("signup:{}:{}", dialogue.chat().key(), dialogue.user());
                dialogue.end()?;
                kv::set(
                    &key,
                    &Record {
                        name: name.clone(),
                        team: answer.clone(),
                    },
                )?;
                message.reply(format!("Thanks, {name}! You're signed up for {answer}."))?;
            }
        }
        Ok(())
    }

    fn on_dialogue_timeout(&mut self, dialogue: Dialogue) -> Result<(), Error> {
        send(
            dialogue.chat(),
            "Signup timed out: nobody answered. Send /signup to start again.",
        )?;
        Ok(())
    }
}

/// The question a step asks.
fn question(step: &str) -> &'static str {
    match step {
        ASK_NAME => "What's your name?",
        _ => "Which team do you want to join?",
    }
}

wasmbot_sdk::export_plugin!(Signup);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_asks_its_question() {
        assert_eq!(question(ASK_NAME), "What's your name?");
        assert_eq!(question(ASK_TEAM), "Which team do you want to join?");
    }

    #[test]
    fn a_bad_timeout_is_a_config_error() {
        let mut plugin = Signup::default();
        let error = plugin.init(wasmbot_sdk::serde_json::json!({ "timeout": "soon" }));
        assert!(error.is_err_and(|e| e.contains("`soon`")));
        assert!(plugin
            .init(wasmbot_sdk::serde_json::json!({ "timeout": "90s" }))
            .is_ok());
        assert_eq!(plugin.timeout, Some(Duration::from_secs(90)));
    }
}
