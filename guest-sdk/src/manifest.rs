//! Building a [`Manifest`]: what the plugin is, which events it wants, what it will ask for,
//! and what its commands do.
//!
//! Name, version and description left empty are filled in by [`export_plugin!`](crate::export_plugin)
//! from the plugin crate's `Cargo.toml`.

use crate::bindings::exports::wasmbot::bot0_2_0::guest::Manifest as WitManifest;
pub use crate::bindings::exports::wasmbot::bot0_2_0::guest::{Audience, CommandAudience, Schedule};
use crate::help::CommandHelp;
use crate::model::{EventKind, Operation, Subscriptions};

/// What the plugin is, which events it wants, what it will ask for, and its commands' help.
/// The host reads the first five through `describe` and the help through `command-guide`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The plugin's name: the key of its config, grants, kv and place in the journal.
    pub name: String,
    /// Its version, shown by `wasmbot status`.
    pub version: String,
    /// One line on what the plugin does; `/help` shows it.
    pub description: String,
    /// Which events it wants.
    pub subscriptions: Subscriptions,
    /// Operations the plugin intends to use; the operator's grants decide what it may use.
    pub permissions: Vec<Operation>,
    /// What each subscribed command does and takes, for `/help` (see [`Manifest::command`]).
    pub commands: Vec<CommandHelp>,
    /// Hosts it means to reach over HTTP (see [`Manifest::http_host`]).
    pub http_hosts: Vec<String>,
    /// Recurring `timer` events (see [`Manifest::schedule`]).
    pub schedules: Vec<Schedule>,
    /// Who may use which command (see [`Manifest::audience`]).
    pub audiences: Vec<CommandAudience>,
}

impl Manifest {
    /// An empty manifest: every event kind, every platform, no command, no permission.
    pub fn new() -> Self {
        Manifest {
            name: String::new(),
            version: String::new(),
            description: String::new(),
            subscriptions: Subscriptions {
                kinds: Vec::new(),
                commands: Vec::new(),
                platforms: Vec::new(),
            },
            permissions: Vec::new(),
            commands: Vec::new(),
            http_hosts: Vec::new(),
            schedules: Vec::new(),
            audiences: Vec::new(),
        }
    }

    /// What `describe` hands the host, and the help `command-guide` hands it.
    pub(crate) fn into_wit(self) -> (WitManifest, Vec<CommandHelp>) {
        let manifest = WitManifest {
            name: self.name,
            version: self.version,
            description: self.description,
            subscriptions: self.subscriptions,
            permissions: self.permissions,
            http_hosts: self.http_hosts,
            schedules: self.schedules,
            audiences: self.audiences,
        };
        (manifest, self.commands)
    }

    /// Sets the plugin's name (default: the crate's package name).
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the plugin's version (default: the crate's package version).
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Sets the one-line description (default: the crate's package description).
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Subscribes to an event kind. With no kind at all, the plugin gets every kind.
    #[must_use]
    pub fn kind(mut self, kind: EventKind) -> Self {
        push_unique(&mut self.subscriptions.kinds, kind);
        self
    }

    /// Subscribes to several event kinds, e.g. [`EventKind::ALL`].
    #[must_use]
    pub fn kinds(self, kinds: impl IntoIterator<Item = EventKind>) -> Self {
        kinds.into_iter().fold(self, Self::kind)
    }

    /// Subscribes to the command `/name` (a leading `/` is dropped); implies the `command` kind.
    /// Pass a [`CommandHelp`] instead of a name to say what the command does and takes: `/help`
    /// shows it.
    ///
    /// The host delivers a `command` event only to the plugins subscribed to its name; plugins
    /// subscribed to the `message` kind see other plugins' commands as plain messages.
    #[must_use]
    pub fn command(mut self, command: impl Into<CommandHelp>) -> Self {
        let command: CommandHelp = command.into();
        push_unique(&mut self.subscriptions.commands, command.name.clone());
        let described = !command.description.is_empty() || !command.arguments.is_empty();
        match self.commands.iter_mut().find(|c| c.name == command.name) {
            // Naming a described command again keeps its help.
            Some(known) if described => *known = command,
            Some(_) => {}
            None => self.commands.push(command),
        }
        self.kind(EventKind::Command)
    }

    /// Limits the plugin to a platform (repeat for several). With none, every platform.
    #[must_use]
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        push_unique(&mut self.subscriptions.platforms, platform.into());
        self
    }

    /// Declares an operation the plugin intends to use; the operator's grants decide.
    #[must_use]
    pub fn permission(mut self, operation: Operation) -> Self {
        push_unique(&mut self.permissions, operation);
        self
    }

    /// Declares several operations.
    #[must_use]
    pub fn permissions(self, operations: impl IntoIterator<Item = Operation>) -> Self {
        operations.into_iter().fold(self, Self::permission)
    }

    /// Says who may use the command `/name` (a leading `/` is dropped); commands not named
    /// here are for anyone. The host enforces it before the plugin is called: a refused
    /// command never reaches the plugin, and its sender gets a short reply saying who may use
    /// it (the operator may change the audience in config, or make refusals silent). The bot's
    /// admins may use every command.
    #[must_use]
    pub fn audience(mut self, name: &str, audience: Audience) -> Self {
        let command = name.trim_start_matches('/').to_owned();
        self.audiences.retain(|a| a.command != command);
        self.audiences.push(CommandAudience { command, audience });
        self
    }

    /// Declares a host the plugin means to reach over HTTP (`api.example.com`,
    /// `api.example.com:8443`, `*.example.org`), or `*` when the operator's config names it.
    /// `wasmbot inspect` lists them; only the operator's `http` grant lets a request through.
    #[must_use]
    pub fn http_host(mut self, host: impl Into<String>) -> Self {
        push_unique(&mut self.http_hosts, host.into());
        self
    }

    /// Declares a schedule: a `timer` event keyed `name` at every instant the cron expression
    /// `sec min hour day-of-month month day-of-week` matches in `timezone` (an IANA name such as
    /// `Europe/Berlin`; empty for UTC), with `payload`. The operator may override it in config.
    #[must_use]
    pub fn schedule(
        mut self,
        name: impl Into<String>,
        cron: impl Into<String>,
        timezone: impl Into<String>,
        payload: impl Into<String>,
    ) -> Self {
        let name = name.into();
        self.schedules.retain(|s| s.name != name);
        self.schedules.push(Schedule {
            name,
            cron: cron.into(),
            timezone: timezone.into(),
            payload: payload.into(),
        });
        self
    }

    /// Fills an empty name, version or description from the package (used by `export_plugin!`).
    pub(crate) fn or_package(mut self, name: &str, version: &str, description: &str) -> Self {
        for (field, fallback) in [
            (&mut self.name, name),
            (&mut self.version, version),
            (&mut self.description, description),
        ] {
            if field.is_empty() {
                *field = fallback.to_owned();
            }
        }
        self
    }
}

impl Default for Manifest {
    fn default() -> Self {
        Self::new()
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_dedups_and_implies_command_kind() {
        let m = Manifest::new()
            .kind(EventKind::Message)
            .command("/echo")
            .command("echo")
            .permissions([Operation::Reply, Operation::Reply, Operation::React]);
        assert_eq!(
            m.subscriptions.kinds,
            [EventKind::Message, EventKind::Command]
        );
        assert_eq!(m.subscriptions.commands, ["echo"]);
        assert_eq!(m.commands.len(), 1);
        assert_eq!(m.permissions, [Operation::Reply, Operation::React]);
    }

    #[test]
    fn a_described_command_keeps_its_help_when_named_again() {
        let m = Manifest::new()
            .command(CommandHelp::new("remind", "Posts TEXT later").arg("TEXT", "what"))
            .command("remind");
        assert_eq!(m.subscriptions.commands, ["remind"]);
        assert_eq!(m.commands[0].description, "Posts TEXT later");
        assert_eq!(m.commands[0].usage(), "/remind TEXT");
    }

    #[test]
    fn an_audience_named_again_replaces_the_first() {
        let m = Manifest::new()
            .audience("/setwelcome", Audience::Admins)
            .audience("setwelcome", Audience::Owners);
        assert_eq!(m.audiences.len(), 1);
        assert_eq!(m.audiences[0].command, "setwelcome");
        assert_eq!(m.audiences[0].audience, Audience::Owners);
    }

    #[test]
    fn package_fills_only_empty_fields() {
        let m = Manifest::new()
            .version("2.0.0")
            .or_package("echo", "0.1.0", "Echoes");
        assert_eq!((m.name.as_str(), m.version.as_str()), ("echo", "2.0.0"));
        assert_eq!(m.description, "Echoes");
        assert_eq!(
            Manifest::new()
                .kinds(EventKind::ALL)
                .subscriptions
                .kinds
                .len(),
            12
        );
    }
}
