//! {{name}}: answers `/{{name}} TEXT` with TEXT.

use wasmbot_sdk::prelude::*;

#[derive(Default)]
struct Repeat;

impl Plugin for Repeat {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .command(
                CommandHelp::new("{{name}}", "Repeats your text back to you")
                    .arg("TEXT", "what to repeat"),
            )
            .permissions([Operation::Reply])
    }

    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        command.reply(answer(command.args.trim()))?;
        Ok(())
    }
}

/// The reply to `/{{name}} TEXT`.
fn answer(text: &str) -> String {
    if text.is_empty() {
        "Usage: /{{name}} TEXT".into()
    } else {
        format!("{{name}}: {text}")
    }
}

wasmbot_sdk::export_plugin!(Repeat);

#[cfg(test)]
mod tests {
    #[test]
    fn repeats_the_text() {
        assert_eq!(super::answer("hi"), "{{name}}: hi");
    }
}
