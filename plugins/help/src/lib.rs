//! `help`: `/help` lists the commands of the plugins loaded for this chat, each with what it
//! does; `/help COMMAND` shows one command's usage and arguments.
//!
//! A plugin rather than a host built-in: it goes through the journal and the outbox like every
//! answer (exactly once, rate-limited, on every platform), and an operator can leave it out or
//! replace it with their own. The descriptions come from each plugin's manifest
//! (`Manifest::command(CommandHelp::new(…))`) through the host's `help` interface.

mod render;

use wasmbot_sdk::help;
use wasmbot_sdk::prelude::*;

/// Stateless: the host says which plugins and commands this chat has.
#[derive(Debug, Default)]
struct Help;

impl Plugin for Help {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .command(
                CommandHelp::new("help", "Lists the commands here, or explains one")
                    .optional_arg("COMMAND", "a command to explain, e.g. echo"),
            )
            .permissions([Operation::Reply])
    }

    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        let plugins = help::plugins();
        let answer = match command.args().first() {
            None => render::overview(&plugins),
            Some(name) => render::command(&plugins, name),
        };
        command.reply(answer)?;
        Ok(())
    }
}

wasmbot_sdk::export_plugin!(Help);
