//! The scenario file, TOML or YAML (by its extension: `.yaml`/`.yml` are YAML), one schema:
//!
//! ```toml
//! name = "weather answers"
//! plugin = "weather"           # the declared name (needed with grants or config)
//! grants = ["send"]            # operations beyond the defaults (reply, react, … in the chat)
//! [config]                     # the plugin's config (its `init` gets it as JSON)
//! city = "Paris"
//!
//! [[http]]                     # a stub: the plugin's requests are answered by these only
//! method = "GET"               # any method when left out
//! url = "https://api.example.com/weather?city=Paris"   # exact; a trailing `*`: a prefix
//! status = 200                 # default 200
//! json = { temp = 21 }         # or `body = "text"`; `headers = { … }`
//!
//! [[step]]
//! say = "/weather"             # a message from `user` (alice) in `chat` ("test")
//! expect.replies = ["21°C"]    # the texts of its replies, in order (exactly these)
//! expect.sends = []            # messages sent (not replies)
//! expect.edits = []            # new texts of edited messages
//! expect.reactions = []        # emoji reacted
//! expect.kv = { count = 1 }    # kv values (JSON) after the step
//! expect.timers = ["remind"]   # keys of the pending timers after the step
//! expect.http = ["GET https://api.example.com/weather?city=Paris"]  # requests made
//!
//! [[step]]
//! click = "yes"                # the button with this data on the bot's newest message
//! [[step]]
//! join = "carol"               # carol joins `chat` (`leave = "carol"`: leaves)
//! [[step]]
//! react = "👍"                 # `user` reacts to the bot's newest message
//! [[step]]
//! wait_ms = 1500               # let time pass (timers fire) before checking
//! expect.sends = ["time's up"]
//! ```
//!
//! An expectation left out is not checked, except that a request no stub answers always
//! fails its step.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// Why a scenario file cannot be used: its path and the cause (with the line, where the
/// parser knows it).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read the scenario {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the scenario {path} is not valid: {why}")]
    Invalid { path: String, why: String },
}

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
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
    pub config: serde_json::Map<String, Value>,
    /// The HTTP stubs: every request the plugin makes is answered by the first that matches.
    #[serde(rename = "http", default)]
    pub stubs: Vec<Stub>,
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
}

/// One stubbed answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stub {
    /// `GET`, `POST`, …; any when left out.
    pub method: Option<String>,
    /// The request's absolute URL; a trailing `*` matches any URL starting with the rest.
    pub url: String,
    #[serde(default = "ok_status")]
    pub status: u16,
    /// The answer's body as text.
    pub body: Option<String>,
    /// The answer's body as JSON (with `content-type: application/json`).
    pub json: Option<Value>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// One scripted event (or a pause) and what must follow it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A message's text.
    pub say: Option<String>,
    /// A click on the button with this data, on the bot's newest message that has it.
    pub click: Option<String>,
    /// A user (by name) joins the chat.
    pub join: Option<String>,
    /// A user (by name) leaves the chat.
    pub leave: Option<String>,
    /// An emoji reaction to the bot's newest message in the chat.
    pub react: Option<String>,
    /// Who says, clicks or reacts (default `alice`).
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub replies: Option<Vec<String>>,
    pub sends: Option<Vec<String>>,
    pub edits: Option<Vec<String>>,
    pub reactions: Option<Vec<String>>,
    pub kv: Option<BTreeMap<String, Value>>,
    pub timers: Option<Vec<String>>,
    /// `METHOD URL` of each request made during the step, in order.
    pub http: Option<Vec<String>>,
}

fn alice() -> String {
    "alice".into()
}

fn test_chat() -> String {
    "test".into()
}

fn ok_status() -> u16 {
    200
}

impl Scenario {
    /// Reads and parses `path`: YAML when it ends in `.yaml` or `.yml`, TOML otherwise.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: shown.clone(),
            source,
        })?;
        let yaml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        let parsed = if yaml {
            Self::from_yaml(&text)
        } else {
            Self::from_toml(&text)
        };
        parsed.map_err(|why| ScenarioError::Invalid { path: shown, why })
    }

    /// Parses TOML text; the error names the line.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let scenario: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        scenario.checked()
    }

    /// Parses YAML text; the error names the line.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        let scenario: Self = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
        scenario.checked()
    }

    /// The checks serde cannot make.
    fn checked(self) -> Result<Self, String> {
        if self.plugin.is_none() && (!self.grants.is_empty() || !self.config.is_empty()) {
            return Err(
                "give `plugin = \"NAME\"` (its declared name) with grants or config".into(),
            );
        }
        if self.steps.is_empty() {
            return Err("it has no step (`[[step]]` in TOML, `step:` in YAML)".into());
        }
        for (i, stub) in self.stubs.iter().enumerate() {
            if stub.body.is_some() && stub.json.is_some() {
                return Err(format!(
                    "http stub {}: give `body` or `json`, not both",
                    i + 1
                ));
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            if step.events().len() > 1 {
                return Err(format!(
                    "step {}: one event per step, not {}",
                    i + 1,
                    step.events().join(" and ")
                ));
            }
        }
        Ok(self)
    }
}

impl Step {
    /// The event keys this step sets (at most one is valid).
    fn events(&self) -> Vec<&'static str> {
        [
            ("say", self.say.is_some()),
            ("click", self.click.is_some()),
            ("join", self.join.is_some()),
            ("leave", self.leave.is_some()),
            ("react", self.react.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect()
    }

    /// A one-line summary for the report.
    pub fn title(&self) -> String {
        let (user, chat) = (&self.user, &self.chat);
        if let Some(text) = &self.say {
            format!("{user} says {text:?} in {chat}")
        } else if let Some(data) = &self.click {
            format!("{user} clicks {data:?} in {chat}")
        } else if let Some(who) = &self.join {
            format!("{who} joins {chat}")
        } else if let Some(who) = &self.leave {
            format!("{who} leaves {chat}")
        } else if let Some(emoji) = &self.react {
            format!("{user} reacts {emoji} in {chat}")
        } else {
            format!("wait {} ms", self.wait_ms)
        }
    }
}

impl Stub {
    /// Whether this stub answers `method url`.
    pub fn matches(&self, method: &str, url: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let url_ok = match self.url.strip_suffix('*') {
            Some(prefix) => url.starts_with(prefix),
            None => url == self.url,
        };
        method_ok && url_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_expectations() -> Result<(), String> {
        let s = Scenario::from_toml(
            "name = 'x'\n[[step]]\nsay = '/echo hi'\nexpect.replies = ['hi']\nexpect.kv = { n = 1 }\n",
        )?;
        assert_eq!(s.steps[0].user, "alice");
        assert_eq!(
            s.steps[0].expect.replies.as_deref(),
            Some(&["hi".to_string()][..])
        );
        assert!(s.steps[0].expect.sends.is_none());
        assert!(Scenario::from_toml("[[step]]\nsai = 'typo'\n").is_err());
        Ok(())
    }

    #[test]
    fn yaml_has_the_same_schema() -> Result<(), String> {
        let yaml = "name: x\nhttp:\n  - url: https://a.example/*\n    json: {t: 1}\nstep:\n  - say: /echo hi\n    expect:\n      replies: [hi]\n      kv: {n: 1}\n  - click: yes\n";
        let s = Scenario::from_yaml(yaml)?;
        assert_eq!(s.steps.len(), 2);
        assert_eq!(s.steps[1].click.as_deref(), Some("yes"));
        assert_eq!(
            s.steps[0].expect.kv.as_ref().and_then(|kv| kv.get("n")),
            Some(&serde_json::json!(1))
        );
        assert!(s.stubs[0].matches("GET", "https://a.example/x"));
        let typo = Scenario::from_yaml("step:\n  - sai: hi\n")
            .err()
            .unwrap_or_default();
        assert!(typo.contains("sai") && typo.contains("line"), "{typo}");
        Ok(())
    }

    #[test]
    fn refuses_two_events_in_one_step_and_no_steps() {
        let two = Scenario::from_toml("[[step]]\nsay = 'a'\njoin = 'bob'\n");
        assert!(two.err().unwrap_or_default().contains("say and join"));
        assert!(Scenario::from_toml("name = 'empty'\n").is_err());
    }

    #[test]
    fn stubs_match_method_and_url() {
        let stub = Stub {
            method: Some("post".into()),
            url: "https://x.example/a".into(),
            status: 200,
            body: None,
            json: None,
            headers: BTreeMap::new(),
        };
        assert!(stub.matches("POST", "https://x.example/a"));
        assert!(!stub.matches("GET", "https://x.example/a"));
        assert!(!stub.matches("POST", "https://x.example/ab"));
    }
}
