//! `digest`: on a schedule (daily at 18:00 UTC unless the operator says otherwise), posts to a
//! configured chat how many messages it saw there since the last digest, and the schedule's
//! payload if it has one.
//!
//! The count lives in kv and is reset by the digest that reports it, in the same commit: a
//! crash never reports a message twice nor loses one. The schedule fires once per instant; one
//! missed while the daemon was down fires once when it is back.

use serde::Deserialize;
use wasmbot_sdk::prelude::*;
use wasmbot_sdk::ChatKind;

/// The schedule's name (its timer key).
const SCHEDULE: &str = "daily";
/// kv key of the count since the last digest.
const COUNT: &str = "count";

/// The operator's config: where the digest goes.
/// `{"platform": "sim", "bot": "sim", "chat": "lobby", "title": "Today"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Config {
    platform: String,
    bot: String,
    chat: String,
    /// `group` (default) or `private`.
    kind: Option<String>,
    title: Option<String>,
}

#[derive(Debug, Default)]
struct Digest {
    target: Option<ChatRef>,
    title: String,
}

impl Plugin for Digest {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .kind(EventKind::Message)
            .schedule(SCHEDULE, "0 0 18 * * *", "", "")
            .permissions([Operation::Send, Operation::Kv])
    }

    fn init(&mut self, config: Value) -> Result<(), String> {
        let config: Config = wasmbot_sdk::config::parse(config)?;
        self.title = config.title.unwrap_or_else(|| "Digest".into());
        if config.chat.is_empty() {
            return Ok(()); // nothing to post to: the schedule only logs
        }
        let kind = match config.kind.as_deref().unwrap_or("group") {
            "group" => ChatKind::Group,
            "private" => ChatKind::Private,
            other => return Err(format!("kind must be `group` or `private`, not `{other}`")),
        };
        self.target = Some(ChatRef {
            platform: config.platform,
            bot: config.bot,
            kind,
            id: config.chat,
            guild: None,
        });
        Ok(())
    }

    fn on_message(&mut self, message: Message) -> Result<(), Error> {
        if self
            .target
            .as_ref()
            .is_some_and(|t| same_chat(t, message.chat()))
        {
            let count: u64 = kv::get(COUNT)?.unwrap_or(0);
            kv::set(COUNT, &(count + 1))?;
        }
        Ok(())
    }

    fn on_timer(&mut self, timer: Timer) -> Result<(), Error> {
        if !timer.scheduled || timer.key != SCHEDULE {
            return Ok(());
        }
        let Some(target) = &self.target else {
            log::warn!("digest: no `chat` configured; nothing posted");
            return Ok(());
        };
        let count: u64 = kv::get(COUNT)?.unwrap_or(0);
        send(target, render(&self.title, count, &timer.payload))?;
        kv::delete(COUNT)?;
        Ok(())
    }
}

fn same_chat(a: &ChatRef, b: &ChatRef) -> bool {
    a.bot == b.bot && a.id == b.id
}

/// `Today: 3 messages since the last digest.`, then the payload on a line of its own.
fn render(title: &str, count: u64, payload: &str) -> String {
    let noun = if count == 1 { "message" } else { "messages" };
    let mut text = format!("{title}: {count} {noun} since the last digest.");
    if !payload.is_empty() {
        text.push('\n');
        text.push_str(payload);
    }
    text
}

wasmbot_sdk::export_plugin!(Digest);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_count_and_the_payload() {
        assert_eq!(
            render("Digest", 1, ""),
            "Digest: 1 message since the last digest."
        );
        assert_eq!(
            render("Today", 3, "Good night!"),
            "Today: 3 messages since the last digest.\nGood night!"
        );
    }

    #[test]
    fn config_names_the_chat() {
        let mut plugin = Digest::default();
        let config =
            wasmbot_sdk::serde_json::json!({"platform": "sim", "bot": "sim", "chat": "lobby"});
        assert_eq!(plugin.init(config), Ok(()));
        assert_eq!(plugin.target.as_ref().map(|t| t.id.as_str()), Some("lobby"));
        let bad = wasmbot_sdk::serde_json::json!({"chat": "x", "kind": "channel"});
        assert!(Digest::default().init(bad).is_err());
    }
}
