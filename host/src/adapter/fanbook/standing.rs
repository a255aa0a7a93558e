//! The sender's rank in a Fanbook guild. Updates do not carry it, so it is looked up live
//! (`getChatMember`, then the member's roles' permissions from `getGuildRoles`) and cached
//! briefly, in bounded caches.
//!
//! Permission bits: the seed's sample `permission_overwrites` (`allows` 1024 and 2098177) decode
//! as Discord's layout (view channel; create invite, send messages, speak), so a role with
//! Discord's `ADMINISTRATOR` (1 << 3) or `MANAGE_GUILD` (1 << 5) makes an admin. A reply that
//! says a Telegram-style `status` of `creator` or `administrator` is taken as it says. A DM's
//! sender is a member of the DM. A failed lookup gives `unknown`: the event is never held back.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use super::client::{ApiError, Client};
use super::wire::{ChatMember, GuildRole, RoleList, RoleOrId};
use crate::model::{ChatKind, ChatRef, Rank};

const ADMINISTRATOR: u64 = 1 << 3;
const MANAGE_GUILD: u64 = 1 << 5;
/// How long a member's rank is trusted.
const MEMBER_TTL: Duration = Duration::from_secs(60);
/// How long a guild's role permissions are trusted.
const ROLES_TTL: Duration = Duration::from_secs(300);
/// Entries each cache holds at most.
const CAPACITY: usize = 4096;
/// Pages of `getGuildRoles` read at most.
pub(super) const MAX_ROLE_PAGES: usize = 20;

/// The ranks a bot has looked up lately.
#[derive(Debug, Default)]
pub(super) struct Ranks {
    /// (guild, user) → rank.
    members: Ttl<(u64, u64), Rank>,
    /// guild → the roles that make an admin.
    admin_roles: Ttl<u64, HashSet<u64>>,
}

impl Ranks {
    /// The rank of `user` in `chat`.
    pub async fn rank(&self, client: &Client, chat: &ChatRef, user: &str) -> Rank {
        if chat.kind == ChatKind::Private {
            return Rank::Member;
        }
        let ids = (
            chat.id.parse::<u64>(),
            chat.guild.as_deref().map(str::parse::<u64>),
            user.parse::<u64>(),
        );
        let (Ok(chat_id), Some(Ok(guild)), Ok(user_id)) = ids else {
            return Rank::Unknown;
        };
        if let Some(rank) = self.members.get(&(guild, user_id), MEMBER_TTL) {
            return rank;
        }
        match self.look_up(client, chat_id, guild, user_id).await {
            Ok(rank) => {
                self.members.put((guild, user_id), rank);
                rank
            }
            Err(e) => {
                tracing::debug!(guild, user = user_id, error = %e, "cannot look up a fanbook member's rank; it is unknown");
                Rank::Unknown
            }
        }
    }

    async fn look_up(
        &self,
        client: &Client,
        chat_id: u64,
        guild: u64,
        user_id: u64,
    ) -> Result<Rank, ApiError> {
        let body = json!({ "chat_id": chat_id, "guild_id": guild, "user_id": user_id });
        let member: ChatMember = client.post("getChatMember", &body).await?;
        match member.status.as_deref() {
            Some("creator" | "owner") => return Ok(Rank::Owner),
            Some("administrator") => return Ok(Rank::Admin),
            _ => {}
        }
        let admin_roles = match self.admin_roles.get(&guild, ROLES_TTL) {
            Some(roles) => roles,
            None => {
                let roles = admin_roles(&guild_roles(client, guild).await?);
                self.admin_roles.put(guild, roles.clone());
                roles
            }
        };
        let is_admin = member.roles.iter().any(|role| {
            let id = match role {
                RoleOrId::Role(role) => role.id.0,
                RoleOrId::Id(id) => id.0,
            };
            admin_roles.contains(&id)
        });
        Ok(if is_admin { Rank::Admin } else { Rank::Member })
    }
}

/// The roles whose permissions make an admin.
fn admin_roles(roles: &[GuildRole]) -> HashSet<u64> {
    roles
        .iter()
        .filter(|r| r.permissions.unwrap_or(0) & (ADMINISTRATOR | MANAGE_GUILD) != 0)
        .map(|r| r.id.0)
        .collect()
}

/// Every role of a guild, page by page (`last_id`), at most [`MAX_ROLE_PAGES`] pages.
pub(super) async fn guild_roles(client: &Client, guild: u64) -> Result<Vec<GuildRole>, ApiError> {
    let mut roles: Vec<GuildRole> = Vec::new();
    let mut last_id = None;
    for _ in 0..MAX_ROLE_PAGES {
        let mut body = json!({ "guild_id": guild });
        if let Some(last) = last_id {
            body["last_id"] = json!(last);
        }
        let page: RoleList = client.post("getGuildRoles", &body).await?;
        let new: Vec<_> = page
            .into_vec()
            .into_iter()
            .filter(|r| !roles.iter().any(|o| o.id == r.id))
            .collect();
        let Some(last) = new.last().map(|r| r.id.0) else {
            break;
        };
        last_id = Some(last);
        roles.extend(new);
    }
    Ok(roles)
}

/// A map whose entries expire, and which forgets everything when full (lookups are cheap to
/// repeat; memory must stay bounded).
#[derive(Debug)]
struct Ttl<K, V>(Mutex<HashMap<K, (Instant, V)>>);

impl<K, V> Default for Ttl<K, V> {
    fn default() -> Self {
        Ttl(Mutex::new(HashMap::new()))
    }
}

impl<K: Hash + Eq, V: Clone> Ttl<K, V> {
    fn get(&self, key: &K, ttl: Duration) -> Option<V> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, (Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::fanbook::wire::Id;

    fn role(id: u64, permissions: Option<u64>) -> GuildRole {
        GuildRole {
            id: Id(id),
            name: None,
            permissions,
        }
    }

    #[test]
    fn administrator_or_manage_guild_make_an_admin_role() {
        let roles = [
            role(1, Some(1024)),
            role(2, Some(8)),
            role(3, Some(32 | 1024)),
            role(4, None),
            role(5, Some(2_098_177)),
        ];
        let mut admins: Vec<u64> = admin_roles(&roles).into_iter().collect();
        admins.sort_unstable();
        assert_eq!(admins, [2, 3]);
    }

    #[test]
    fn a_full_cache_forgets_rather_than_grows() {
        let ttl: Ttl<u64, Rank> = Ttl::default();
        for key in 0..(CAPACITY as u64 + 10) {
            ttl.put(key, Rank::Member);
        }
        assert!(ttl.0.lock().map(|m| m.len()).unwrap_or(usize::MAX) <= CAPACITY);
        assert_eq!(
            ttl.get(&(CAPACITY as u64 + 9), MEMBER_TTL),
            Some(Rank::Member)
        );
        assert_eq!(ttl.get(&(CAPACITY as u64 + 9), Duration::ZERO), None);
    }
}
