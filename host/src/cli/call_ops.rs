//! What `wasmbot call BOT --list` prints: the core WIT operations the bot's platform supports,
//! the platform's own operations and its own message kinds, each with a line of description and
//! its JSON arguments.

use crate::adapter::Adapter;
use crate::config::ALL_OPERATIONS;
use crate::model::{OpSpec, Operation};

/// A core operation's description and JSON arguments for `wasmbot call` (`CHAT` stands for the
/// chat's fields, explained once in the listing).
pub(super) fn core_spec(operation: Operation) -> (&'static str, &'static str) {
    match operation {
        Operation::Send => ("Send a message to a chat (messaging.send).", "{CHAT, \"message\": \"text\" | outgoing | {\"kind\": K, \"fields\": {…}}, \"reply_to\"?: \"id\"}"),
        Operation::Reply => ("Reply to a message (messaging.reply).", "{CHAT, \"target\": \"message id\", \"message\": …}"),
        Operation::Edit => ("Replace a message's content (messaging.edit).", "{CHAT, \"target\": \"message id\", \"message\": …}"),
        Operation::Delete => ("Delete a message (messaging.delete).", "{CHAT, \"target\": \"message id\"}"),
        Operation::React => ("React to a message (messaging.react).", "{CHAT, \"target\": \"message id\", \"emoji\": \"…\"}"),
        Operation::AnswerCallback => ("Answer a button click (messaging.answer-callback).", "{CHAT, \"callback_id\": \"…\", \"answer\"?: \"text\"}"),
        Operation::Pin => ("Pin a message (messaging.pin).", "{CHAT, \"target\": \"message id\"}"),
        Operation::Unpin => ("Unpin a message (messaging.unpin).", "{CHAT, \"target\": \"message id\"}"),
        Operation::AddRole => ("Give a member a role (moderation.add-role).", "{CHAT, \"user_id\": \"…\", \"role_id\": \"…\"}"),
        Operation::RemoveRole => ("Take a role from a member (moderation.remove-role).", "{CHAT, \"user_id\": \"…\", \"role_id\": \"…\"}"),
        Operation::Mute => ("Mute a member for some seconds (moderation.mute).", "{CHAT, \"user_id\": \"…\", \"seconds\": 60}"),
        Operation::Unmute => ("Lift a mute (moderation.unmute).", "{CHAT, \"user_id\": \"…\"}"),
        Operation::Kick => ("Remove a member (moderation.kick).", "{CHAT, \"user_id\": \"…\"}"),
        Operation::GetMember => ("A member's profile and roles (moderation.get-member).", "{CHAT, \"user_id\": \"…\"}"),
        Operation::ListRoles => ("The chat's roles (moderation.list-roles).", "{CHAT}"),
        Operation::Kv => ("The plugin's key-value store (not a platform call).", "—"),
    }
}

/// The listing, as text.
pub(super) fn listing(bot: &str, adapter: &dyn Adapter) -> String {
    let platform = adapter.platform();
    let supported = adapter.capabilities();
    let mut out = format!("bot `{bot}` on {platform}\n\ncore operations (WIT wasmbot:bot/messaging, moderation; `wasmbot call {bot} OP JSON`):\n");
    out.push_str("  where CHAT is \"chat\": \"id\" | chat-ref, \"kind\"?: \"group\" | \"private\", \"guild\"?: \"id\"\n");
    for op in ALL_OPERATIONS.iter().filter(|op| supported.contains(op)) {
        let (description, args) = core_spec(*op);
        out.push_str(&format!(
            "  {:<16} {description}\n  {:<16} {args}\n",
            op.name(),
            ""
        ));
    }
    let refused: Vec<&str> = ALL_OPERATIONS
        .iter()
        .filter(|op| !supported.contains(op) && **op != Operation::Kv)
        .map(|op| op.name())
        .collect();
    if !refused.is_empty() {
        out.push_str(&format!(
            "  unsupported on {platform} (refused as `unsupported`): {}\n",
            refused.join(", ")
        ));
    }
    section(
        &mut out,
        &format!(
            "{platform} operations (WIT wasmbot:bot/platform.call; `wasmbot call {bot} NAME JSON`)"
        ),
        adapter.own_operations(),
    );
    section(
        &mut out,
        &format!("{platform} message kinds (WIT content::other((KIND, JSON)); `wasmbot call {bot} send '{{\"chat\": …, \"message\": {{\"kind\": KIND, \"fields\": {{…}}}}}}'`)"),
        adapter.message_kinds(),
    );
    out
}

fn section(out: &mut String, title: &str, specs: &[OpSpec]) {
    out.push_str(&format!("\n{title}:\n"));
    if specs.is_empty() {
        out.push_str("  none\n");
    }
    for spec in specs {
        out.push_str(&format!(
            "  {:<16} {} ({})\n  {:<16} {}\n",
            spec.name, spec.description, spec.method, "", spec.args
        ));
    }
}
