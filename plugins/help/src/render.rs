//! The help texts, as plain text: every platform shows it as written.

use wasmbot_sdk::{CommandHelp, PluginHelp};

/// Every command of every plugin, one line each, then the plugins without commands.
pub fn overview(plugins: &[PluginHelp]) -> String {
    let mut lines = Vec::new();
    for plugin in plugins {
        for command in &plugin.commands {
            lines.push(format!(
                "{} — {}",
                command.usage(),
                description(command, plugin)
            ));
        }
    }
    if lines.is_empty() {
        lines.push("No commands here.".to_owned());
    } else {
        lines.insert(0, "Commands here:".to_owned());
        lines.push("Send /help COMMAND for one command's details.".to_owned());
    }
    let quiet: Vec<String> = plugins
        .iter()
        .filter(|p| p.commands.is_empty())
        .map(about)
        .collect();
    if !quiet.is_empty() {
        lines.push(format!("Also at work here: {}.", quiet.join("; ")));
    }
    lines.join("\n")
}

/// One command's usage, description and arguments; every plugin's, if several answer it.
pub fn command(plugins: &[PluginHelp], name: &str) -> String {
    let name = name.trim_start_matches('/');
    let found: Vec<String> = plugins
        .iter()
        .flat_map(|p| p.commands.iter().map(move |c| (p, c)))
        .filter(|(_, c)| c.name.eq_ignore_ascii_case(name))
        .map(|(plugin, command)| details(command, plugin))
        .collect();
    if found.is_empty() {
        format!("There is no /{name} here. Send /help to list the commands.")
    } else {
        found.join("\n\n")
    }
}

fn details(command: &CommandHelp, plugin: &PluginHelp) -> String {
    let mut lines = vec![command.usage(), description(command, plugin)];
    for argument in &command.arguments {
        let optional = if argument.optional { " (optional)" } else { "" };
        lines.push(format!(
            "  {}{optional} — {}",
            argument.name, argument.description
        ));
    }
    lines.push(format!("(plugin {})", plugin.name));
    lines.join("\n")
}

/// The command's own description, else its plugin's, else the plugin's name.
fn description(command: &CommandHelp, plugin: &PluginHelp) -> String {
    if command.description.is_empty() {
        about(plugin)
    } else {
        command.description.clone()
    }
}

fn about(plugin: &PluginHelp) -> String {
    if plugin.description.is_empty() {
        plugin.name.clone()
    } else {
        format!("{}: {}", plugin.name, plugin.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugins() -> Vec<PluginHelp> {
        vec![
            PluginHelp {
                name: "antispam".into(),
                description: "Mutes floods".into(),
                commands: vec![],
            },
            PluginHelp {
                name: "remind".into(),
                description: "Reminders".into(),
                commands: vec![
                    CommandHelp::new("remind", "Posts TEXT after DURATION")
                        .arg("DURATION", "like 10m")
                        .optional_arg("TEXT", "what to post"),
                    CommandHelp::new("reminders", ""),
                ],
            },
        ]
    }

    #[test]
    fn overview_lists_each_command_with_its_description() {
        let text = overview(&plugins());
        assert!(text.contains("/remind DURATION [TEXT] — Posts TEXT after DURATION"));
        assert!(text.contains("/reminders — remind: Reminders"), "{text}");
        assert!(text.contains("Also at work here: antispam: Mutes floods."));
        assert_eq!(overview(&[]), "No commands here.");
    }

    #[test]
    fn one_command_shows_its_arguments_or_says_it_is_unknown() {
        let text = command(&plugins(), "/REMIND");
        assert!(text.starts_with("/remind DURATION [TEXT]\nPosts TEXT after DURATION"));
        assert!(text.contains("  TEXT (optional) — what to post"));
        assert_eq!(
            command(&plugins(), "nope"),
            "There is no /nope here. Send /help to list the commands."
        );
    }
}
