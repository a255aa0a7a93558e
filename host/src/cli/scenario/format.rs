//! The scenario file (TOML):
//!
//! ```toml
//! name = "echo repeats"
//! plugin = "echo"              # the declared name (needed with grants or config)
//! grants = ["send"]            # operations beyond the defaults (reply, react, … in the chat)
//! [config]                     # the plugin's config (its `init` gets it as JSON)
//! greeting = "hi"
//!
//! [[step]]
//! say = "/echo hello"          # a message from `user` (alice) in `chat` ("test")
//! expect.replies = ["hello"]   # the texts of its replies, in order (exactly these)
//! expect.sends = []            # messages sent (not replies)
//! expect.reactions = []        # emoji reacted
//! expect.kv = { count = 1 }    # kv values (JSON) after the step
//! expect.timers = ["remind"]   # keys of the pending timers after the step
//!
//! [[step]]
//! wait_ms = 1500               # let time pass (timers fire) before checking
//! expect.sends = ["time's up"]
//! ```
//!
//! An expectation left out is not checked.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// A whole scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    /// The plugin's declared name: needed when `grants` or `config` are given (the operator's
    /// settings are matched by that name).
    pub plugin: Option<String>,
    /// Operations granted beyond the defaults.
    #[serde(default)]
    pub grants: Vec<String>,
    /// The plugin's config.
    #[serde(default)]
    pub config: toml::Table,
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
}

/// One scripted event (or a pause) and what must follow it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A message's text.
    pub say: Option<String>,
    /// Who says it (default `alice`).
    #[serde(default = "alice")]
    pub user: String,
    /// Where (default `test`).
    #[serde(default = "test_chat")]
    pub chat: String,
    /// A pause before the checks.
    #[serde(default)]
    pub wait_ms: u64,
    #[serde(default)]
    pub expect: Expect,
}

/// What a step must produce. `None`: not checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub replies: Option<Vec<String>>,
    pub sends: Option<Vec<String>>,
    pub reactions: Option<Vec<String>>,
    pub kv: Option<BTreeMap<String, toml::Value>>,
    pub timers: Option<Vec<String>>,
}

fn alice() -> String {
    "alice".into()
}

fn test_chat() -> String {
    "test".into()
}

impl Scenario {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the scenario {}", path.display()))?;
        let scenario: Self = toml::from_str(&text)
            .with_context(|| format!("the scenario {} is not valid", path.display()))?;
        if scenario.plugin.is_none() && (!scenario.grants.is_empty() || !scenario.config.is_empty())
        {
            anyhow::bail!(
                "{}: give `plugin = \"NAME\"` (its declared name) with grants or config",
                path.display()
            );
        }
        if scenario.steps.is_empty() {
            anyhow::bail!("the scenario {} has no [[step]]", path.display());
        }
        Ok(scenario)
    }
}

impl Step {
    /// A one-line summary for the report.
    pub fn title(&self) -> String {
        match &self.say {
            Some(text) => format!("{} says {text:?} in {}", self.user, self.chat),
            None => format!("wait {} ms", self.wait_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_expectations() -> anyhow::Result<()> {
        let s: Scenario = toml::from_str(
            "name = 'x'\n[[step]]\nsay = '/echo hi'\nexpect.replies = ['hi']\nexpect.kv = { n = 1 }\n",
        )?;
        assert_eq!(s.steps[0].user, "alice");
        assert_eq!(
            s.steps[0].expect.replies.as_deref(),
            Some(&["hi".to_string()][..])
        );
        assert!(s.steps[0].expect.sends.is_none());
        assert!(toml::from_str::<Scenario>("[[step]]\nsai = 'typo'\n").is_err());
        Ok(())
    }
}
