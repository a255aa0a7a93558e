//! The operator's config: which roles the menu offers.

use std::collections::HashSet;

use serde::Deserialize;

/// One self-assignable role: the platform's role id and the button label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoleOption {
    pub id: String,
    /// Shown on the button and in notices; defaults to the id.
    #[serde(default)]
    pub label: String,
}

impl RoleOption {
    fn new(id: &str) -> Self {
        RoleOption {
            id: id.to_owned(),
            label: id.to_owned(),
        }
    }
}

/// `{"roles": [{"id": "123", "label": "Red team"}], "title": "Pick a team:"}`; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    pub roles: Vec<RoleOption>,
    pub title: Option<String>,
}

/// The menu's title when the config sets none.
const DEFAULT_TITLE: &str = "Pick your roles:";

impl Config {
    /// Fills defaults (red, green and blue when no roles are configured; labels from ids) and
    /// rejects roles without an id or with a duplicate id.
    pub fn validated(mut self) -> Result<Self, String> {
        if self.roles.is_empty() {
            self.roles = ["red", "green", "blue"].map(RoleOption::new).to_vec();
        }
        let mut ids = HashSet::new();
        for role in &mut self.roles {
            if role.id.trim().is_empty() {
                return Err("roles: every role needs a non-empty `id`".to_owned());
            }
            if !ids.insert(role.id.clone()) {
                return Err(format!("roles: duplicate id {:?}", role.id));
            }
            if role.label.trim().is_empty() {
                role.label = role.id.clone();
            }
        }
        Ok(self)
    }

    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(DEFAULT_TITLE)
    }

    pub fn role(&self, id: &str) -> Option<&RoleOption> {
        self.roles.iter().find(|role| role.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, String> {
        let value = serde_json_value(json);
        wasmbot_sdk::config::parse::<Config>(value)?.validated()
    }

    fn serde_json_value(json: &str) -> wasmbot_sdk::serde_json::Value {
        wasmbot_sdk::serde_json::from_str(json).unwrap_or_default()
    }

    #[test]
    fn defaults_to_three_colours() -> Result<(), String> {
        let config = parse("{}")?;
        let ids: Vec<&str> = config.roles.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["red", "green", "blue"]);
        assert_eq!(config.title(), DEFAULT_TITLE);
        Ok(())
    }

    #[test]
    fn labels_default_to_ids_and_duplicates_fail() -> Result<(), String> {
        let config = parse(r#"{"roles": [{"id": "7", "label": "Seven"}, {"id": "8"}]}"#)?;
        assert_eq!(config.role("8").map(|r| r.label.as_str()), Some("8"));
        assert_eq!(config.role("7").map(|r| r.label.as_str()), Some("Seven"));
        assert!(parse(r#"{"roles": [{"id": "7"}, {"id": "7"}]}"#).is_err());
        assert!(parse(r#"{"roles": [{"id": " "}]}"#).is_err());
        Ok(())
    }
}
