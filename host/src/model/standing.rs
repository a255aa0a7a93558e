//! Who sent an event, in the chat it came from, and who may use a command.
//!
//! The rank comes from the platform and is journaled with the event (`Inbound::rank`), so a
//! replay sees what the platform said then. Whether the sender is one of the bot's admins
//! comes from the operator's config, when the event is dispatched.

pub use super::wit::exports::wasmbot::bot0_2_0::guest::{Audience, CommandAudience};
pub use super::wit::wasmbot::bot0_2_0::types::{Rank, Standing};

impl Default for Rank {
    fn default() -> Self {
        Rank::Unknown
    }
}

impl Rank {
    pub fn is_unknown(&self) -> bool {
        *self == Rank::Unknown
    }

    /// The WIT name: `unknown`, `member`, `admin` or `owner`.
    pub fn name(self) -> &'static str {
        match self {
            Rank::Unknown => "unknown",
            Rank::Member => "member",
            Rank::Admin => "admin",
            Rank::Owner => "owner",
        }
    }

    /// A rank by its WIT name; anything else is `unknown`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "member" => Rank::Member,
            "admin" => Rank::Admin,
            "owner" => Rank::Owner,
            _ => Rank::Unknown,
        }
    }
}

impl Standing {
    /// The standing of an event without a sender, or of a sender nobody knows.
    pub const UNKNOWN: Standing = Standing {
        rank: Rank::Unknown,
        bot_admin: false,
    };
}

impl Audience {
    /// Every audience, in the order of their names in errors.
    pub const ALL: [Audience; 5] = [
        Audience::Anyone,
        Audience::Members,
        Audience::Admins,
        Audience::Owners,
        Audience::BotAdmins,
    ];

    /// The WIT name (`bot-admins`), as the config spells it.
    pub fn name(self) -> &'static str {
        match self {
            Audience::Anyone => "anyone",
            Audience::Members => "members",
            Audience::Admins => "admins",
            Audience::Owners => "owners",
            Audience::BotAdmins => "bot-admins",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether a sender of this standing may use the command. Bot admins may use every one.
    pub fn admits(self, standing: Standing) -> bool {
        if standing.bot_admin {
            return true;
        }
        match self {
            Audience::Anyone => true,
            Audience::Members => !standing.rank.is_unknown(),
            Audience::Admins => matches!(standing.rank, Rank::Admin | Rank::Owner),
            Audience::Owners => standing.rank == Rank::Owner,
            Audience::BotAdmins => false,
        }
    }

    /// Who may use it, as the refusal reply says it.
    pub fn who(self) -> &'static str {
        match self {
            Audience::Anyone => "anyone",
            Audience::Members => "members of this chat",
            Audience::Admins => "this chat's admins",
            Audience::Owners => "this chat's owner",
            Audience::BotAdmins => "the bot's admins",
        }
    }
}

/// Serde for a rank as its WIT name (`"admin"`), for JSON people read.
pub mod rank_by_name {
    use super::Rank;

    pub fn serialize<S: serde::Serializer>(rank: &Rank, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(rank.name())
    }

    /// Any string is taken: one the host does not know is `unknown`.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Rank, D::Error> {
        let name: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
        Ok(Rank::from_name(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(rank: Rank, bot_admin: bool) -> Standing {
        Standing { rank, bot_admin }
    }

    #[test]
    fn each_audience_admits_its_ranks_and_bot_admins_pass_all() {
        let ranks = [Rank::Unknown, Rank::Member, Rank::Admin, Rank::Owner];
        let admitted = |audience: Audience| -> Vec<&str> {
            ranks
                .into_iter()
                .filter(|r| audience.admits(standing(*r, false)))
                .map(Rank::name)
                .collect()
        };
        assert_eq!(admitted(Audience::Anyone).len(), 4);
        assert_eq!(admitted(Audience::Members), ["member", "admin", "owner"]);
        assert_eq!(admitted(Audience::Admins), ["admin", "owner"]);
        assert_eq!(admitted(Audience::Owners), ["owner"]);
        assert!(admitted(Audience::BotAdmins).is_empty());
        for audience in Audience::ALL {
            assert!(audience.admits(standing(Rank::Unknown, true)));
        }
    }

    #[test]
    fn names_round_trip() {
        for audience in Audience::ALL {
            assert_eq!(Audience::from_name(audience.name()), Some(audience));
        }
        assert_eq!(Audience::from_name("admin"), None);
        assert_eq!(Rank::from_name("owner"), Rank::Owner);
        assert_eq!(Rank::from_name("administrator"), Rank::Unknown);
    }
}
