//! `wasmbot:bot/moderation`: changes are buffered; queries go to the platform at once.

use super::HostResult;
use crate::model::wit::wasmbot::bot0_1_0::moderation::{Host, Member, Role};
use crate::model::{Action, AdapterError, ChatRef, Error, Operation};
use crate::runtime::state::HostState;

impl Host for HostState {
    fn add_role(&mut self, chat: ChatRef, user_id: String, role_id: String) -> HostResult<()> {
        Ok(non_empty(&[&user_id, &role_id]).and_then(|()| {
            self.buffer(Action::AddRole {
                chat,
                user_id,
                role_id,
            })
        }))
    }

    fn remove_role(&mut self, chat: ChatRef, user_id: String, role_id: String) -> HostResult<()> {
        Ok(non_empty(&[&user_id, &role_id]).and_then(|()| {
            self.buffer(Action::RemoveRole {
                chat,
                user_id,
                role_id,
            })
        }))
    }

    fn mute(&mut self, chat: ChatRef, user_id: String, seconds: u32) -> HostResult<()> {
        if seconds == 0 {
            return Ok(Err(Error::Invalid(
                "mute needs at least 1 second; use unmute to lift a mute".into(),
            )));
        }
        Ok(non_empty(&[&user_id]).and_then(|()| {
            self.buffer(Action::Mute {
                chat,
                user_id,
                seconds,
            })
        }))
    }

    fn unmute(&mut self, chat: ChatRef, user_id: String) -> HostResult<()> {
        Ok(non_empty(&[&user_id]).and_then(|()| self.buffer(Action::Unmute { chat, user_id })))
    }

    fn kick(&mut self, chat: ChatRef, user_id: String) -> HostResult<()> {
        Ok(non_empty(&[&user_id]).and_then(|()| self.buffer(Action::Kick { chat, user_id })))
    }

    async fn get_member(&mut self, chat: ChatRef, user_id: String) -> HostResult<Member> {
        if let Err(e) = self.check_granted(Operation::GetMember, &chat) {
            return Ok(Err(e));
        }
        if let Err(e) = self
            .services
            .platforms
            .check(&chat, Some(Operation::GetMember))
        {
            return Ok(Err(e));
        }
        let platforms = self.services.platforms.clone();
        Ok(live(self.call_timeout, platforms.get_member(&chat, &user_id)).await)
    }

    async fn list_roles(&mut self, chat: ChatRef) -> HostResult<Vec<Role>> {
        if let Err(e) = self.check_granted(Operation::ListRoles, &chat) {
            return Ok(Err(e));
        }
        if let Err(e) = self
            .services
            .platforms
            .check(&chat, Some(Operation::ListRoles))
        {
            return Ok(Err(e));
        }
        let platforms = self.services.platforms.clone();
        Ok(live(self.call_timeout, platforms.list_roles(&chat)).await)
    }
}

/// A live query to the platform, bounded by the plugin's call time limit (the epoch deadline
/// cannot interrupt a call that waits outside the guest).
async fn live<T>(
    limit: std::time::Duration,
    query: impl std::future::Future<Output = Result<T, AdapterError>>,
) -> Result<T, Error> {
    match tokio::time::timeout(limit, query).await {
        Ok(result) => result.map_err(Error::from),
        Err(_) => Err(Error::Platform(crate::model::PlatformError {
            code: "timeout".into(),
            message: format!("the platform did not answer within {limit:?}"),
        })),
    }
}

fn non_empty(ids: &[&str]) -> Result<(), Error> {
    if ids.iter().any(|id| id.trim().is_empty()) {
        return Err(Error::Invalid("user and role ids must not be empty".into()));
    }
    Ok(())
}
