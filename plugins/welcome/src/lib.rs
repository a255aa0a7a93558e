//! `welcome`: greets members who join a chat; `/setwelcome TEXT` sets that chat's greeting.
//!
//! Greetings live in kv (one key per chat), so they survive restarts and reloads; `{name}` in a
//! greeting becomes the newcomer's display name (or id).

use serde::Deserialize;
use wasmbot_sdk::prelude::*;

/// The greeting when neither the chat nor the config sets one.
const DEFAULT_GREETING: &str = "Welcome, {name}!";
/// The placeholder replaced with the newcomer's name.
const NAME_PLACEHOLDER: &str = "{name}";

/// The operator's config: `{"default_greeting": "Hi {name}, read the rules!"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Config {
    default_greeting: Option<String>,
}

#[derive(Debug, Default)]
struct Welcome {
    config: Config,
}

impl Welcome {
    /// The greeting for chats that have not set their own.
    fn default_greeting(&self) -> &str {
        self.config
            .default_greeting
            .as_deref()
            .unwrap_or(DEFAULT_GREETING)
    }
}

impl Plugin for Welcome {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .kind(EventKind::MemberJoined)
            .command(
                CommandHelp::new("setwelcome", "Sets the greeting newcomers get in this chat")
                    .arg("TEXT", "the greeting; {name} becomes the newcomer's name"),
            )
            .audience("setwelcome", Audience::Admins)
            .permissions([Operation::Send, Operation::Reply, Operation::Kv])
    }

    fn init(&mut self, config: Value) -> Result<(), String> {
        self.config = wasmbot_sdk::config::parse(config)?;
        Ok(())
    }

    fn on_member_joined(&mut self, change: MemberChange) -> Result<(), Error> {
        let custom: Option<String> = kv::get(&greeting_key(&change.chat))?;
        let greeting = custom.as_deref().unwrap_or(self.default_greeting());
        send(&change.chat, render(greeting, change.user.display_name()))?;
        Ok(())
    }

    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        let key = greeting_key(command.chat());
        let text = command.args.trim();
        if text.is_empty() {
            kv::delete(&key)?;
            command.reply(format!(
                "Welcome message reset to: {}",
                self.default_greeting()
            ))?;
        } else {
            kv::set(&key, text)?;
            command.reply(format!("Welcome message saved: {text}"))?;
        }
        Ok(())
    }
}

/// The kv key of a chat's greeting (platform, bot and chat id, so chats never collide).
fn greeting_key(chat: &ChatRef) -> String {
    format!("greeting:{}", chat.key())
}

/// The greeting with every `{name}` replaced.
fn render(greeting: &str, name: &str) -> String {
    greeting.replace(NAME_PLACEHOLDER, name)
}

wasmbot_sdk::export_plugin!(Welcome);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholder() {
        assert_eq!(render(DEFAULT_GREETING, "Ada"), "Welcome, Ada!");
        assert_eq!(render("{name}, {name}!", "Bo"), "Bo, Bo!");
        assert_eq!(render("Hi all", "Bo"), "Hi all");
    }

    #[test]
    fn config_overrides_default() {
        let mut plugin = Welcome::default();
        assert_eq!(plugin.default_greeting(), DEFAULT_GREETING);
        let config = wasmbot_sdk::serde_json::json!({"default_greeting": "Hey {name}"});
        assert_eq!(plugin.init(config), Ok(()));
        assert_eq!(plugin.default_greeting(), "Hey {name}");
    }
}
