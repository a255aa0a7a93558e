//! `echo`: `/echo TEXT` replies TEXT; any message mentioning "wasmbot" gets a 👀 reaction.
//!
//! The smallest useful plugin: no config, no state, two host calls.

use wasmbot_sdk::prelude::*;

/// The word that earns a reaction, matched case-insensitively.
const WATCHWORD: &str = "wasmbot";
/// The reaction it earns.
const REACTION: &str = "👀";

/// Stateless: everything it needs is in the event.
#[derive(Debug, Default)]
struct Echo;

impl Plugin for Echo {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .kind(EventKind::Message)
            .command(
                CommandHelp::new("echo", "Repeats your text back to you")
                    .arg("TEXT", "what to repeat"),
            )
            .permissions([Operation::Reply, Operation::React])
    }

    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        let text = command.args.trim();
        let answer = if text.is_empty() {
            "Usage: /echo TEXT"
        } else {
            text
        };
        command.reply(answer)?;
        Ok(())
    }

    fn on_message(&mut self, message: Message) -> Result<(), Error> {
        if message.text().is_some_and(mentions_watchword) {
            message.react(REACTION)?;
        }
        Ok(())
    }
}

/// True when `text` contains the watchword in any letter case.
fn mentions_watchword(text: &str) -> bool {
    text.to_lowercase().contains(WATCHWORD)
}

wasmbot_sdk::export_plugin!(Echo);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchword_is_case_insensitive() {
        assert!(mentions_watchword("I love WasmBot!"));
        assert!(!mentions_watchword("wasm bot"));
    }
}
