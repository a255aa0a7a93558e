//! Building a [`Manifest`]: what the plugin is, which events it wants, what it will ask for.
//!
//! Name, version and description left empty are filled in by [`export_plugin!`](crate::export_plugin)
//! from the plugin crate's `Cargo.toml`.

use crate::model::{EventKind, Manifest, Operation, Subscriptions};

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
        }
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
    ///
    /// The host delivers a `command` event only to the plugins subscribed to its name; plugins
    /// subscribed to the `message` kind see other plugins' commands as plain messages.
    #[must_use]
    pub fn command(mut self, name: impl Into<String>) -> Self {
        let name: String = name.into();
        let name = name.strip_prefix('/').map(str::to_owned).unwrap_or(name);
        push_unique(&mut self.subscriptions.commands, name);
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
        assert_eq!(m.permissions, [Operation::Reply, Operation::React]);
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
            11
        );
    }
}
