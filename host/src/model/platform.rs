//! What the layers that call the platforms share with the adapters that implement them: the
//! error of an outbound call, and the Fanbook operations' signature. Here, in model types, so the
//! runtime and the outbox agree with the adapters without importing each other.

use std::time::Duration;

use async_trait::async_trait;

use super::wit::wasmbot::bot0_1_0::fanbook as fb;
use super::{ChatRef, Error, PlatformError};

/// Why an adapter could not carry out an action or answer a query.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdapterError {
    #[error("{platform} does not support {operation}")]
    Unsupported {
        platform: String,
        operation: &'static str,
    },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("rate limited, retry after {0:?}")]
    RateLimited(Duration),
    #[error("the platform refused ({code}): {message}")]
    Platform { code: String, message: String },
    /// A 5xx, a timeout, a broken connection, or a success status with a reply that is not the
    /// platform's (the outcome is unknown): worth trying again.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The credential was refused: the bot cannot work until the operator fixes it.
    #[error("the platform refused the bot's credential: {0}")]
    Unauthorized(String),
}

impl AdapterError {
    /// `platform` lacks `operation`: what every adapter answers for what it cannot do.
    pub fn unsupported(platform: &str, operation: &'static str) -> Self {
        AdapterError::Unsupported {
            platform: platform.to_owned(),
            operation,
        }
    }

    /// Whether trying the same request again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AdapterError::RateLimited(_) | AdapterError::Transient(_)
        )
    }
}

impl From<AdapterError> for Error {
    fn from(e: AdapterError) -> Self {
        match e {
            AdapterError::Unsupported { .. } => Error::Unsupported(e.to_string()),
            AdapterError::NotFound(what) => Error::NotFound(what),
            AdapterError::Invalid(why) => Error::Invalid(why),
            AdapterError::RateLimited(after) => {
                Error::RateLimited(u32::try_from(after.as_millis()).unwrap_or(u32::MAX))
            }
            AdapterError::Platform { code, message } => {
                Error::Platform(PlatformError { code, message })
            }
            AdapterError::Transient(why) | AdapterError::Unauthorized(why) => {
                Error::Platform(PlatformError {
                    code: "unavailable".into(),
                    message: why,
                })
            }
        }
    }
}

/// The operations of the `fanbook` WIT interface, in its types. The guild is `chat.guild`.
#[async_trait]
pub trait FanbookExtras: Send + Sync {
    async fn list_channels(&self, chat: &ChatRef) -> Result<Vec<fb::Channel>, AdapterError>;
    async fn edit_channel(
        &self,
        chat: &ChatRef,
        channel_id: &str,
        edit: &fb::ChannelEdit,
    ) -> Result<(), AdapterError>;
    async fn search_members(
        &self,
        chat: &ChatRef,
        query: &str,
    ) -> Result<Vec<fb::GuildMember>, AdapterError>;
    async fn send_guild_notice(
        &self,
        chat: &ChatRef,
        user_ids: &[String],
        text: &str,
    ) -> Result<fb::Notice, AdapterError>;
    async fn recall_guild_notice(
        &self,
        chat: &ChatRef,
        notice: &fb::Notice,
    ) -> Result<(), AdapterError>;
    async fn get_credits(&self, chat: &ChatRef, user_id: &str) -> Result<String, AdapterError>;
    async fn set_credit(
        &self,
        chat: &ChatRef,
        user_id: &str,
        card_id: &str,
        kind: fb::CreditKind,
        data: &str,
    ) -> Result<(), AdapterError>;
    async fn remove_credit(
        &self,
        chat: &ChatRef,
        user_id: &str,
        card_id: &str,
    ) -> Result<(), AdapterError>;
    async fn list_invites(
        &self,
        chat: &ChatRef,
        size: u32,
        cursor: Option<&str>,
    ) -> Result<fb::Page, AdapterError>;
    async fn invite_info(&self, chat: &ChatRef, code: &str) -> Result<String, AdapterError>;
    async fn list_circle_posts(
        &self,
        chat: &ChatRef,
        channel_id: &str,
        size: u32,
        cursor: Option<&str>,
    ) -> Result<fb::Page, AdapterError>;
    async fn get_circle_post(&self, chat: &ChatRef, post_id: &str) -> Result<String, AdapterError>;
    async fn delete_circle_post(
        &self,
        chat: &ChatRef,
        channel_id: &str,
        post_id: &str,
        topic_id: &str,
        reason: &str,
    ) -> Result<(), AdapterError>;
}

/// One of a platform's own operations (reached through `wasmbot:bot/platform.call` and
/// `wasmbot call`), or one of the message kinds its adapter sends as `content::other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OpSpec {
    /// The name a plugin or the operator calls it by.
    pub name: &'static str,
    /// One line: what it does.
    pub description: &'static str,
    /// The JSON arguments' shape, e.g. `{"group_id": "string"}`.
    pub args: &'static str,
    /// The platform's method and path, e.g. `POST /bot/getme`.
    pub method: &'static str,
}

impl OpSpec {
    /// The spec named `name` in `specs`, or an `invalid` error that lists the valid names.
    pub fn find<'a>(
        specs: &'a [OpSpec],
        platform: &str,
        what: &str,
        name: &str,
    ) -> Result<&'a OpSpec, AdapterError> {
        specs.iter().find(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
            AdapterError::Invalid(format!(
                "{platform} has no {what} `{name}`; valid: {}",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })
    }
}
