//! Who sent the event being handled, in its chat: the rank the platform tells (owner, admin,
//! member, or unknown) and whether the operator named them one of the bot's admins.
//!
//! The host already refuses a command whose audience (see
//! [`Manifest::audience`](crate::Manifest::audience)) does not admit the sender, before the
//! plugin is called; [`standing`] is for finer checks, e.g. exempting admins from a filter.

use std::cell::Cell;

pub use crate::bindings::exports::wasmbot::bot0_2_0::guest::Audience;
pub use crate::bindings::wasmbot::bot0_2_0::types::{Rank, Standing};

/// The standing of an event without a sender: unknown, not a bot admin.
const UNKNOWN: Standing = Standing {
    rank: Rank::Unknown,
    bot_admin: false,
};

thread_local! {
    static CURRENT: Cell<Standing> = const { Cell::new(UNKNOWN) };
}

impl Default for Standing {
    fn default() -> Self {
        UNKNOWN
    }
}

/// The standing of the sender of the event being handled (`unknown`, not a bot admin, outside
/// a handler or for an event without a sender).
pub fn standing() -> Standing {
    CURRENT.with(Cell::get)
}

/// Sets the standing [`standing`] answers with while an event is handled.
pub(crate) fn set(standing: Standing) {
    CURRENT.with(|current| current.set(standing));
}

/// What a plugin asks of a sender's standing.
pub trait StandingExt {
    /// The chat's admin or owner, or one of the bot's admins.
    fn is_admin(&self) -> bool;
    /// The chat's owner, or one of the bot's admins.
    fn is_owner(&self) -> bool;
    /// Whether a command for `audience` admits this sender (as the host decides it).
    fn may_use(&self, audience: Audience) -> bool;
}

impl StandingExt for Standing {
    fn is_admin(&self) -> bool {
        self.may_use(Audience::Admins)
    }

    fn is_owner(&self) -> bool {
        self.may_use(Audience::Owners)
    }

    fn may_use(&self, audience: Audience) -> bool {
        if self.bot_admin {
            return true;
        }
        match audience {
            Audience::Anyone => true,
            Audience::Members => self.rank != Rank::Unknown,
            Audience::Admins => matches!(self.rank, Rank::Admin | Rank::Owner),
            Audience::Owners => self.rank == Rank::Owner,
            Audience::BotAdmins => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_bot_admins_decide_like_the_host() {
        let of = |rank, bot_admin| Standing { rank, bot_admin };
        assert!(of(Rank::Owner, false).is_admin());
        assert!(of(Rank::Admin, false).is_admin());
        assert!(!of(Rank::Member, false).is_admin());
        assert!(!of(Rank::Admin, false).is_owner());
        assert!(of(Rank::Unknown, true).is_owner());
        assert!(!of(Rank::Unknown, false).may_use(Audience::Members));
        assert!(of(Rank::Member, false).may_use(Audience::Members));
        assert!(!of(Rank::Owner, false).may_use(Audience::BotAdmins));
    }
}
