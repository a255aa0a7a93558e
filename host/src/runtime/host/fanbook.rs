//! `wasmbot:bot/fanbook`: Fanbook's own operations. Each call checks the operator's grant
//! (`interfaces = ["fanbook"]`), the platform and chat grants, and that the chat's bot is on
//! Fanbook (`unsupported` otherwise, so a plugin importing this still loads anywhere), then asks
//! the adapter at once: nothing here is buffered.

use std::sync::Arc;

use super::HostResult;
use crate::model::wit::wasmbot::bot0_1_0::fanbook::{
    Channel, ChannelEdit, CreditKind, GuildMember, Host, Notice, Page,
};
use crate::model::{AdapterError, ChatRef, Error, FanbookExtras};
use crate::runtime::state::HostState;

/// The grant name in `[plugins.grants] interfaces`.
const INTERFACE: &str = "fanbook";

impl HostState {
    /// The chat's Fanbook operations, once the grants allow the call and the bot is on Fanbook.
    fn fanbook(&self, chat: &ChatRef, operation: &str) -> Result<Arc<dyn FanbookExtras>, Error> {
        let plugin = &self.plugin;
        if !self.grants.allows_interface(INTERFACE) {
            return Err(Error::Denied(format!(
                "plugin `{plugin}` has no grant for the `{INTERFACE}` interface (fanbook.{operation}): add interfaces = [\"{INTERFACE}\"] to [plugins.grants]"
            )));
        }
        self.check_scope(chat)?;
        self.services.platforms.fanbook(chat)?.ok_or_else(|| {
            Error::Unsupported(format!(
                "{} does not support fanbook.{operation}: bot `{}` is not a Fanbook bot",
                chat.platform, chat.bot
            ))
        })
    }
}

/// Runs `call` on the chat's Fanbook operations, mapping both kinds of failure to the WIT error.
macro_rules! extras {
    ($state:expr, $chat:expr, $op:literal, |$fb:ident| $call:expr) => {{
        let $fb = match $state.fanbook(&$chat, $op) {
            Ok(fanbook) => fanbook,
            Err(e) => return Ok(Err(e)),
        };
        let result: Result<_, AdapterError> = $call.await;
        Ok(result.map_err(Error::from))
    }};
}

impl Host for HostState {
    async fn list_channels(&mut self, chat: ChatRef) -> HostResult<Vec<Channel>> {
        extras!(self, chat, "list-channels", |fb| fb.list_channels(&chat))
    }

    async fn edit_channel(
        &mut self,
        chat: ChatRef,
        channel_id: String,
        edit: ChannelEdit,
    ) -> HostResult<()> {
        extras!(self, chat, "edit-channel", |fb| fb.edit_channel(
            &chat,
            &channel_id,
            &edit
        ))
    }

    async fn search_members(
        &mut self,
        chat: ChatRef,
        query: String,
    ) -> HostResult<Vec<GuildMember>> {
        extras!(self, chat, "search-members", |fb| fb
            .search_members(&chat, &query))
    }

    async fn send_guild_notice(
        &mut self,
        chat: ChatRef,
        user_ids: Vec<String>,
        text: String,
    ) -> HostResult<Notice> {
        extras!(self, chat, "send-guild-notice", |fb| fb
            .send_guild_notice(&chat, &user_ids, &text))
    }

    async fn recall_guild_notice(&mut self, chat: ChatRef, notice: Notice) -> HostResult<()> {
        extras!(self, chat, "recall-guild-notice", |fb| fb
            .recall_guild_notice(&chat, &notice))
    }

    async fn get_credits(&mut self, chat: ChatRef, user_id: String) -> HostResult<String> {
        extras!(self, chat, "get-credits", |fb| fb
            .get_credits(&chat, &user_id))
    }

    async fn set_credit(
        &mut self,
        chat: ChatRef,
        user_id: String,
        card_id: String,
        kind: CreditKind,
        data: String,
    ) -> HostResult<()> {
        extras!(self, chat, "set-credit", |fb| fb
            .set_credit(&chat, &user_id, &card_id, kind, &data))
    }

    async fn remove_credit(
        &mut self,
        chat: ChatRef,
        user_id: String,
        card_id: String,
    ) -> HostResult<()> {
        extras!(self, chat, "remove-credit", |fb| fb
            .remove_credit(&chat, &user_id, &card_id))
    }

    async fn list_invites(
        &mut self,
        chat: ChatRef,
        size: u32,
        cursor: Option<String>,
    ) -> HostResult<Page> {
        extras!(self, chat, "list-invites", |fb| fb.list_invites(
            &chat,
            size,
            cursor.as_deref()
        ))
    }

    async fn invite_info(&mut self, chat: ChatRef, code: String) -> HostResult<String> {
        extras!(self, chat, "invite-info", |fb| fb.invite_info(&chat, &code))
    }

    async fn list_circle_posts(
        &mut self,
        chat: ChatRef,
        channel_id: String,
        size: u32,
        cursor: Option<String>,
    ) -> HostResult<Page> {
        extras!(self, chat, "list-circle-posts", |fb| fb.list_circle_posts(
            &chat,
            &channel_id,
            size,
            cursor.as_deref()
        ))
    }

    async fn get_circle_post(&mut self, chat: ChatRef, post_id: String) -> HostResult<String> {
        extras!(self, chat, "get-circle-post", |fb| fb
            .get_circle_post(&chat, &post_id))
    }

    async fn delete_circle_post(
        &mut self,
        chat: ChatRef,
        channel_id: String,
        post_id: String,
        topic_id: String,
        reason: String,
    ) -> HostResult<()> {
        extras!(self, chat, "delete-circle-post", |fb| fb
            .delete_circle_post(
                &chat,
                &channel_id,
                &post_id,
                &topic_id,
                &reason
            ))
    }
}
