//! Reading a bot's `options` table: typed getters that name the bot and key in their errors.

use std::time::Duration;

use crate::adapter::StartError;
use crate::config::BotConfig;

/// A bot's options, read with the bot's name at hand for error messages.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    bot: &'a BotConfig,
}

impl<'a> Options<'a> {
    pub fn new(bot: &'a BotConfig) -> Self {
        Self { bot }
    }

    fn invalid(&self, key: &str, what: &str) -> StartError {
        StartError::Config {
            bot: self.bot.name.clone(),
            reason: format!("options.{key} must be {what}"),
        }
    }

    /// A non-negative integer, or `default` when absent.
    pub fn u64(&self, key: &str, default: u64) -> Result<u64, StartError> {
        match self.bot.options.get(key) {
            None => Ok(default),
            Some(toml::Value::Integer(n)) => {
                u64::try_from(*n).map_err(|_| self.invalid(key, "a non-negative integer"))
            }
            Some(_) => Err(self.invalid(key, "a non-negative integer")),
        }
    }

    /// A duration given in milliseconds.
    pub fn millis(&self, key: &str, default: u64) -> Result<Duration, StartError> {
        self.u64(key, default).map(Duration::from_millis)
    }

    pub fn bool(&self, key: &str, default: bool) -> Result<bool, StartError> {
        match self.bot.options.get(key) {
            None => Ok(default),
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(_) => Err(self.invalid(key, "true or false")),
        }
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, StartError> {
        match self.bot.options.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(key, "a string")),
        }
    }

    /// The raw value, for structured options an adapter deserializes itself.
    pub fn value(&self, key: &str) -> Option<&toml::Value> {
        self.bot.options.get(key)
    }

    /// Rejects keys the adapter does not know, so a typo is not silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), StartError> {
        let unknown: Vec<&str> = self
            .bot
            .options
            .keys()
            .map(String::as_str)
            .filter(|k| !known.contains(k))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(StartError::Config {
            bot: self.bot.name.clone(),
            reason: format!(
                "unknown option(s) {} (known: {})",
                unknown.join(", "),
                known.join(", ")
            ),
        })
    }

    /// The required credential `field` (`token` or `secret`).
    pub fn required(
        &self,
        field: &str,
        value: Option<&crate::config::Secret>,
    ) -> Result<crate::config::Secret, StartError> {
        value
            .cloned()
            .filter(|s| !s.expose().is_empty())
            .ok_or_else(|| StartError::Config {
                bot: self.bot.name.clone(),
                reason: format!("`{field}` is required for platform {}", self.bot.platform),
            })
    }
}
