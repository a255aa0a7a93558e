//! `role-menu`: `/roles` posts a menu of buttons, one per self-assignable role; clicking one
//! toggles that role for the clicker, answers the click, and updates the menu. Only the chat's
//! admins may post the menu.
//!
//! Membership comes from the platform (`get-member`) where it can tell, else from the plugin's
//! own record in kv (see [`membership`]).

mod config;
mod membership;

use wasmbot_sdk::prelude::*;

use crate::config::Config;
use crate::membership::toggle;

/// Callback data of a menu button: `role:<id>`.
const CALLBACK_PREFIX: &str = "role:";
/// Buttons per keyboard row.
const PER_ROW: usize = 3;

#[derive(Debug, Default)]
struct RoleMenu {
    config: Config,
}

impl RoleMenu {
    /// The menu message: the title, the last change if any, and one button per role.
    fn menu(&self, last_change: Option<&str>) -> Outgoing {
        let text = match last_change {
            Some(change) => format!("{}\nLast change: {change}", self.config.title()),
            None => self.config.title().to_owned(),
        };
        let buttons = self.config.roles.iter().map(|role| {
            Button::callback(role.label.as_str(), format!("{CALLBACK_PREFIX}{}", role.id))
        });
        Outgoing::text(text).with_keyboard(Keyboard::new().grid(buttons, PER_ROW))
    }
}

impl Plugin for RoleMenu {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .kind(EventKind::Callback)
            .command(CommandHelp::new(
                "roles",
                "Shows a menu of roles you can give yourself with a click",
            ))
            // Posting a menu is the chat's admins' call; clicking one is for anyone.
            .audience("roles", Audience::Admins)
            .permissions([
                Operation::Send,
                Operation::Edit,
                Operation::AnswerCallback,
                Operation::GetMember,
                Operation::AddRole,
                Operation::RemoveRole,
                Operation::Kv,
            ])
    }

    fn init(&mut self, config: Value) -> Result<(), String> {
        self.config = wasmbot_sdk::config::parse::<Config>(config)?.validated()?;
        Ok(())
    }

    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        send(command.chat(), self.menu(None))?;
        Ok(())
    }

    fn on_callback(&mut self, callback: Callback) -> Result<(), Error> {
        // Other plugins' buttons are not ours to answer.
        let Some(role_id) = callback.data_after(CALLBACK_PREFIX) else {
            return Ok(());
        };
        let Some(role) = self.config.role(role_id) else {
            callback.answer(CallbackAnswer::alert("That role is no longer offered."))?;
            return Ok(());
        };
        let change = match toggle(&callback.chat, &callback.user.id, &role.id) {
            Ok(change) => change,
            Err(e) if e.is_unsupported() || e.is_denied() => {
                callback.answer(CallbackAnswer::alert(format!(
                    "Roles cannot be changed here ({e})."
                )))?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let notice = format!("{} {}", change.verb(), role.label);
        callback.answer(notice.as_str())?;
        if let Some(menu) = &callback.message {
            let last = format!("{notice} for {}", callback.user.display_name());
            match edit(menu, self.menu(Some(&last))) {
                // Menus still work where messages cannot be edited; they just do not update.
                Err(e) if e.is_unsupported() => log::debug!("menu not updated: {e}"),
                other => other?,
            }
        }
        Ok(())
    }
}

wasmbot_sdk::export_plugin!(RoleMenu);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_has_one_callback_button_per_role() -> Result<(), String> {
        let mut plugin = RoleMenu::default();
        plugin.init(Value::Null)?;
        let menu = plugin.menu(Some("Added red for Ada"));
        assert_eq!(
            menu.content,
            Content::Text("Pick your roles:\nLast change: Added red for Ada".into())
        );
        let buttons: Vec<Button> = menu.keyboard.map(|k| k.rows.concat()).unwrap_or_default();
        assert_eq!(
            buttons,
            ["red", "green", "blue"].map(|id| Button::callback(id, format!("role:{id}")))
        );
        Ok(())
    }
}
