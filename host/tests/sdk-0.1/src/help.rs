//! Help texts: describe your commands in the [`Manifest`](crate::Manifest), and list every
//! loaded plugin's commands (what a `/help` plugin does).
//!
//! ```
//! use wasmbot_sdk::prelude::*;
//!
//! let manifest = Manifest::new().command(
//!     CommandHelp::new("remind", "Posts TEXT in this chat after DURATION")
//!         .arg("DURATION", "like 30s, 10m or 2h")
//!         .arg("TEXT", "what to post"),
//! );
//! assert_eq!(manifest.commands[0].usage(), "/remind DURATION TEXT");
//! ```

use crate::bindings::wasmbot::bot::help as wit;
pub use crate::bindings::wasmbot::bot::help::{ArgumentHelp, CommandHelp, PluginHelp};

/// The loaded plugins that would receive a command in the chat of the event being handled,
/// with their commands, by plugin name.
pub fn plugins() -> Vec<PluginHelp> {
    wit::plugins()
}

impl CommandHelp {
    /// The command `/name` (a leading `/` is dropped) and what it does.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        let name: String = name.into();
        CommandHelp {
            name: name.strip_prefix('/').map(str::to_owned).unwrap_or(name),
            description: description.into(),
            arguments: Vec::new(),
        }
    }

    /// Adds a required argument, e.g. `arg("DURATION", "like 30s, 10m or 2h")`.
    #[must_use]
    pub fn arg(self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.argument(name.into(), description.into(), false)
    }

    /// Adds an argument the command works without.
    #[must_use]
    pub fn optional_arg(self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.argument(name.into(), description.into(), true)
    }

    fn argument(mut self, name: String, description: String, optional: bool) -> Self {
        self.arguments.push(ArgumentHelp {
            name,
            description,
            optional,
        });
        self
    }

    /// The usage line: `/name ARG [OPTIONAL]`.
    pub fn usage(&self) -> String {
        self.arguments
            .iter()
            .fold(format!("/{}", self.name), |mut line, argument| {
                line.push(' ');
                if argument.optional {
                    line.push_str(&format!("[{}]", argument.name));
                } else {
                    line.push_str(&argument.name);
                }
                line
            })
    }
}

/// A command without help text: what `Manifest::command("name")` declares.
impl From<&str> for CommandHelp {
    fn from(name: &str) -> Self {
        CommandHelp::new(name, "")
    }
}

impl From<String> for CommandHelp {
    fn from(name: String) -> Self {
        CommandHelp::new(name, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_marks_optional_arguments() {
        let help = CommandHelp::new("/roles", "Pick your roles")
            .arg("ROLE", "a role")
            .optional_arg("MORE", "more roles");
        assert_eq!(help.name, "roles");
        assert_eq!(help.usage(), "/roles ROLE [MORE]");
        assert_eq!(CommandHelp::from("echo").usage(), "/echo");
    }
}
