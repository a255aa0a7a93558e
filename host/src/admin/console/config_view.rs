//! `/admin/config`: the running config as JSON for the console, every secret shown as `***`:
//! bot tokens and webhook secrets, option values whose key names a credential, plugin
//! secrets, the admin token.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::admin::Admin;
use crate::config::{BotConfig, Config, PluginConfig, Secret};

/// Option keys whose values are credentials (`console_user_token`, `api_key`, …).
const SECRET_WORDS: &[&str] = &["token", "secret", "password", "key"];

pub(super) async fn config(State(admin): State<Admin>) -> Json<Value> {
    Json(masked(&admin.config))
}

/// The config with its secrets masked.
pub fn masked(config: &Config) -> Value {
    json!({
        "listen": config.listen.to_string(),
        "data_dir": config.data_dir.display().to_string(),
        "plugins_dir": config.plugins_dir.display().to_string(),
        "bots": config.bots.iter().map(bot).collect::<Vec<_>>(),
        "plugins": config.plugins.iter().map(plugin).collect::<Vec<_>>(),
        "runtime": {
            "timeout_ms": config.runtime.timeout_ms,
            "memory_mib": config.runtime.memory_mib,
            "lane_capacity": config.runtime.lane_capacity,
            "journal_capacity": config.runtime.journal_capacity,
            "quarantine_after": config.runtime.quarantine_after,
        },
        "mode": format!("{:?}", config.mode).to_lowercase(),
        "cluster": config.cluster.as_ref().map(|c| json!({
            "nats_url": c.shown_url(),
            "node": c.node,
            "partitions": c.partitions,
        })),
        "admin": {
            "token": mask(config.admin.token.as_ref()),
            "hosts": config.admin.hosts,
            "require_token": config.admin.require_token,
        },
    })
}

fn mask(secret: Option<&Secret>) -> Value {
    secret.map_or(Value::Null, |_| json!("***"))
}

fn bot(bot: &BotConfig) -> Value {
    let options: serde_json::Map<String, Value> = bot
        .options
        .iter()
        .map(|(key, value)| {
            let secret = SECRET_WORDS.iter().any(|w| key.to_lowercase().contains(w));
            let shown = if secret {
                json!("***")
            } else {
                serde_json::to_value(value).unwrap_or(Value::Null)
            };
            (key.clone(), shown)
        })
        .collect();
    json!({
        "name": bot.name,
        "platform": bot.platform,
        "token": mask(bot.token.as_ref()),
        "secret": mask(bot.secret.as_ref()),
        "base_url": bot.base_url,
        "options": options,
        "register_commands": bot.register_commands,
    })
}

fn plugin(plugin: &PluginConfig) -> Value {
    let grants = &plugin.grants;
    json!({
        "name": plugin.name,
        "enabled": plugin.enabled,
        "grants": {
            "operations": grants.operations,
            "chats": grants.chats,
            "platforms": grants.platforms,
            "interfaces": grants.interfaces,
            "http": grants.http,
        },
        "config": serde_json::to_value(&plugin.config).unwrap_or(Value::Null),
        "secrets": plugin.secrets.keys().map(|k| (k.clone(), json!("***"))).collect::<serde_json::Map<_, _>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        let text = r#"
[admin]
token = "admin-token-0123456789"
[[bots]]
name = "fb"
platform = "fanbook"
token = "bot-token-abc"
[bots.options]
console_user_token = "user-token-xyz"
poll_timeout_secs = 5
[[plugins]]
name = "p"
[plugins.secrets]
api = "plugin-secret-777"
"#;
        let config = Config::parse(text, std::path::Path::new("t.toml")).unwrap();
        let shown = masked(&config).to_string();
        for secret in [
            "admin-token-0123456789",
            "bot-token-abc",
            "user-token-xyz",
            "plugin-secret-777",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("poll_timeout_secs"), "{shown}");
    }
}
