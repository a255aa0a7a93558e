//! The developer console's GraphQL API (`POST /api/bot/console`, header `usertoken`): list,
//! read, create, update, reset the token of, and delete bots. Used by `wasmbot fanbook bots`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::Secret;

/// The fields of a bot the CLI shows.
const BOT_FIELDS: &str = "bot_id owner_id bot_name bot_avatar bot_description \
                          commands { command description visible_level } bot_class bot_permissions";

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("cannot reach the Fanbook console: {0}")]
    Transport(String),
    #[error("the Fanbook console answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// The GraphQL `errors`, one line each.
    #[error("{}", .0.join("\n"))]
    GraphQl(Vec<String>),
    #[error("unexpected reply from the Fanbook console: {0}")]
    Malformed(String),
    /// A request the console would refuse, caught before sending it.
    #[error("{0}")]
    Invalid(String),
}

/// A console client for one user token. `Debug` hides the token.
#[derive(Debug, Clone)]
pub struct Console {
    http: reqwest::Client,
    url: String,
    user_token: Secret,
}

#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphQlError>>,
}

#[derive(Debug, Deserialize)]
struct GraphQlError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    path: Option<Vec<Value>>,
    #[serde(default)]
    locations: Option<Vec<Location>>,
}

#[derive(Debug, Deserialize)]
struct Location {
    line: u64,
    column: u64,
}

impl GraphQlError {
    /// `Record Not Found (at delete_bot, line 2, column 5)`.
    fn line(&self) -> String {
        let mut place = Vec::new();
        if let Some(path) = self.path.as_ref().filter(|p| !p.is_empty()) {
            let path: Vec<String> = path
                .iter()
                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                .collect();
            place.push(format!("at {}", path.join(".")));
        }
        if let Some(l) = self.locations.as_ref().and_then(|l| l.first()) {
            place.push(format!("line {}, column {}", l.line, l.column));
        }
        if place.is_empty() {
            self.message.clone()
        } else {
            format!("{} ({})", self.message, place.join(", "))
        }
    }
}

impl Console {
    /// `base` is the console's scheme and host; the path `/api/bot/console` is added.
    pub fn new(base: &str, user_token: Secret, timeout: Duration) -> Result<Self, ConsoleError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| ConsoleError::Transport(e.without_url().to_string()))?;
        Ok(Self {
            http,
            url: format!("{}/api/bot/console", base.trim_end_matches('/')),
            user_token,
        })
    }

    /// Runs one GraphQL operation and returns its `data`.
    pub async fn request(&self, query: &str, variables: Value) -> Result<Value, ConsoleError> {
        let response = self
            .http
            .post(&self.url)
            .header("usertoken", self.user_token.expose())
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| ConsoleError::Transport(self.scrub(&e.without_url().to_string())))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| ConsoleError::Transport(self.scrub(&e.without_url().to_string())))?;
        let reply: Option<Reply> = serde_json::from_str(&body).ok();
        match reply {
            Some(Reply {
                errors: Some(errors),
                ..
            }) if !errors.is_empty() => Err(ConsoleError::GraphQl(
                errors.iter().map(|e| self.scrub(&e.line())).collect(),
            )),
            _ if !status.is_success() => Err(ConsoleError::Http {
                status: status.as_u16(),
                body: self.scrub(&body.chars().take(200).collect::<String>()),
            }),
            Some(Reply {
                data: Some(data), ..
            }) if !data.is_null() => Ok(data),
            _ => Err(ConsoleError::Malformed(
                self.scrub(&body.chars().take(200).collect::<String>()),
            )),
        }
    }

    fn scrub(&self, text: &str) -> String {
        text.replace(self.user_token.expose(), "***")
    }

    /// `data.<field>` of an operation.
    async fn field(
        &self,
        field: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, ConsoleError> {
        let mut data = self.request(query, variables).await?;
        data.get_mut(field)
            .map(Value::take)
            .ok_or_else(|| ConsoleError::Malformed(format!("no `{field}` in the reply")))
    }

    /// Every bot of an owner, tokens included.
    pub async fn list(&self, owner_id: &str) -> Result<Value, ConsoleError> {
        let query = format!("query ($owner_id: String!) {{ bots(owner_id: $owner_id) {{ {BOT_FIELDS} bot_token }} }}");
        self.field("bots", &query, json!({ "owner_id": owner_id }))
            .await
    }

    pub async fn get(&self, bot_id: &str) -> Result<Value, ConsoleError> {
        let query =
            format!("query ($bot_id: String!) {{ bot(bot_id: $bot_id) {{ {BOT_FIELDS} }} }}");
        self.field("bot", &query, json!({ "bot_id": bot_id })).await
    }

    /// `new_bot`; `new_bot` holds `GraphqlNewBot` fields (`bot_name`, `bot_avatar`,
    /// `bot_description` are required). Returns the new bot's id, name and token.
    pub async fn create(&self, new_bot: Value) -> Result<Value, ConsoleError> {
        let query = "mutation ($newBot: GraphqlNewBot!) { new_bot(new_bot: $newBot) { bot_token bot_id bot_name bot_permissions } }";
        self.field("new_bot", query, json!({ "newBot": new_bot }))
            .await
    }

    /// `update_bot`; `update_bot` holds `bot_id` and the fields to change.
    pub async fn update(&self, update_bot: Value) -> Result<Value, ConsoleError> {
        let query =
            "mutation ($updateBot: GraphqlUpdateBot!) { update_bot(update_bot: $updateBot) }";
        self.field("update_bot", query, json!({ "updateBot": update_bot }))
            .await
    }

    /// Returns the new token.
    pub async fn reset_token(&self, bot_id: &str) -> Result<Value, ConsoleError> {
        let query = "mutation ($bot_id: String!) { reset_token(reset_token: {bot_id: $bot_id}) }";
        self.field("reset_token", query, json!({ "bot_id": bot_id }))
            .await
    }

    pub async fn delete(&self, bot_id: &str) -> Result<Value, ConsoleError> {
        let query = "mutation ($bot_id: String!) { delete_bot(bot_id: $bot_id) }";
        self.field("delete_bot", query, json!({ "bot_id": bot_id }))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_errors_read_plainly() {
        let golden = include_str!("../../../tests/golden/fanbook/console_graphql_error.json");
        let reply: Reply = serde_json::from_str(golden).unwrap();
        let lines: Vec<String> = reply
            .errors
            .unwrap()
            .iter()
            .map(GraphQlError::line)
            .collect();
        assert_eq!(
            lines,
            vec!["Record Not Found (at delete_bot, line 2, column 5)"]
        );
        assert!(reply.data.unwrap_or(Value::Null).is_null());
    }
}
