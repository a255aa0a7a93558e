//! Who may use which command: the operator's overrides of plugins' command audiences, the
//! refusal reply, and the bots' admins.

use serde::{Deserialize, Deserializer};

use crate::model::Audience;

/// `[plugins.audience]` values: `anyone`, `members`, `admins`, `owners` or `bot-admins`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudienceSetting(pub Audience);

impl<'de> Deserialize<'de> for AudienceSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Audience::from_name(&name)
            .map(AudienceSetting)
            .ok_or_else(|| {
                let names: Vec<&str> = Audience::ALL.iter().map(|a| a.name()).collect();
                serde::de::Error::custom(format!(
                    "unknown audience `{name}`; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// The default reply to a refused command. `{command}` is its name, `{who}` who may use it.
pub const DEFAULT_REFUSAL_REPLY: &str = "Only {who} may use /{command}.";

pub(super) fn default_refusal_reply() -> String {
    DEFAULT_REFUSAL_REPLY.to_owned()
}

/// The refusal reply for `command`, or `None` when the operator made refusals silent.
pub fn refusal_text(template: &str, command: &str, audience: Audience) -> Option<String> {
    if template.trim().is_empty() {
        return None;
    }
    Some(
        template
            .replace("{command}", command)
            .replace("{who}", audience.who()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_names_the_command_and_who_may_use_it_or_is_silent() {
        assert_eq!(
            refusal_text(DEFAULT_REFUSAL_REPLY, "setwelcome", Audience::Admins).as_deref(),
            Some("Only this chat's admins may use /setwelcome.")
        );
        assert_eq!(refusal_text("", "x", Audience::Owners), None);
    }

    #[test]
    fn an_unknown_audience_is_refused_naming_the_choices() {
        let parsed: Result<std::collections::BTreeMap<String, AudienceSetting>, _> =
            toml::from_str("setwelcome = \"mods\"");
        let error = parsed.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("unknown audience `mods`"), "{error}");
        assert!(error.contains("bot-admins"), "{error}");
    }
}
