//! Yunhu's user-client management API (seed 004): the owner's bots, their settings and boards,
//! removing followers and groups. It authenticates with a *user's* login token in a `token`
//! header, lives at `https://chat-go.jwzhd.com/v1/bot/…`, and speaks JSON except for
//! `bot-info` and `board`, which are ProtoBuf (see `proto`). It is unofficial: expect breakage.

use std::time::Duration;

use prost::Message as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::proto;
use crate::adapter::webhook::client::{Auth, JsonClient};
use crate::adapter::webhook::lenient;
use crate::adapter::yunhu::client::envelope;
use crate::adapter::AdapterError;
use crate::config::Secret;

pub const DEFAULT_MANAGE_URL: &str = "https://chat-go.jwzhd.com";
const PROTOBUF: &str = "application/x-protobuf";

/// One of the caller's bots, from `bot-group-list`. The bot's token stays a `Secret`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OwnedBot {
    #[serde(deserialize_with = "lenient::string")]
    pub bot_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub nickname: String,
    #[serde(deserialize_with = "lenient::string")]
    pub introduction: String,
    #[serde(deserialize_with = "lenient::int")]
    pub headcount: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub private: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub is_stop: i64,
    #[serde(deserialize_with = "opt_secret")]
    pub token: Option<Secret>,
}

fn opt_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(lenient::opt_string(d)?.map(Secret::new))
}

/// The public profile of a bot, from the ProtoBuf `bot-info`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotProfile {
    pub bot_id: String,
    pub name: String,
    pub introduction: String,
    pub avatar_url: String,
    pub create_by: String,
    pub headcount: i64,
    pub private: bool,
    pub stopped: bool,
    pub always_agree: bool,
    pub group_limit: bool,
}

/// A chat's board, from the ProtoBuf `board`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardView {
    pub bot_id: String,
    pub bot_name: String,
    pub chat_id: String,
    pub chat_type: i32,
    pub content: String,
    /// `text`, `markdown`, `html` or the number Yunhu sent.
    pub format: String,
    pub updated_at: i64,
}

/// The changes `web-edit-bot` takes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BotEdit {
    pub bot_id: String,
    pub nickname: String,
    pub introduction: String,
    pub avatar_url: String,
    /// 0 public, 1 private.
    pub private: u8,
}

#[derive(Debug, Clone)]
pub struct ManageClient {
    api: JsonClient,
}

impl ManageClient {
    pub fn new(base_url: &str, user_token: Secret, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            api: JsonClient::new(base_url, Auth::Header("token", user_token), timeout, None)?,
        })
    }

    async fn call(&self, path: &str, body: &Value) -> Result<Value, AdapterError> {
        envelope(&self.api.post_json(path, &[], body).await?.body)
    }

    /// The caller's own bots (`bot-group-list`).
    pub async fn bots(&self) -> Result<Vec<OwnedBot>, AdapterError> {
        let data = self.call("/v1/bot/bot-group-list", &json!({})).await?;
        let list = data
            .pointer("/list/bots")
            .or_else(|| data.get("bots"))
            .cloned()
            .unwrap_or(Value::Null);
        Ok(serde_json::from_value(list).unwrap_or_default())
    }

    /// A bot's profile (ProtoBuf `bot-info`).
    pub async fn bot_info(&self, bot_id: &str) -> Result<BotProfile, AdapterError> {
        let request = proto::BotInfoSend {
            id: bot_id.to_string(),
        }
        .encode_to_vec();
        let reply = self.protobuf("/v1/bot/bot-info", request).await?;
        let info = proto::BotInfo::decode(reply.as_slice()).map_err(bad_protobuf)?;
        check_status(info.status.as_ref())?;
        let d = info
            .data
            .ok_or_else(|| AdapterError::NotFound(format!("bot `{bot_id}`")))?;
        Ok(BotProfile {
            bot_id: d.bot_id,
            name: d.name,
            introduction: d.introduction,
            avatar_url: d.avatar_url,
            create_by: d.create_by,
            headcount: d.headcount,
            private: d.private == 1,
            stopped: d.is_stop == 1,
            always_agree: d.always_agree == 1,
            group_limit: d.group_limit == 1,
        })
    }

    /// The board shown in a chat (ProtoBuf `board`); `chat_type` is 1 user, 2 group, 3 bot.
    pub async fn board(&self, chat_id: &str, chat_type: i64) -> Result<BoardView, AdapterError> {
        let request = proto::BoardSend {
            id: chat_id.to_string(),
            chat_type,
        }
        .encode_to_vec();
        let reply = self.protobuf("/v1/bot/board", request).await?;
        let board = proto::Board::decode(reply.as_slice()).map_err(bad_protobuf)?;
        check_status(board.status.as_ref())?;
        let d = board.data.unwrap_or_default();
        let format = match d.content_type {
            1 => "text".to_string(),
            2 => "markdown".to_string(),
            3 => "html".to_string(),
            n => n.to_string(),
        };
        Ok(BoardView {
            bot_id: d.bot_id,
            bot_name: d.bot_name,
            chat_id: d.chat_id,
            chat_type: d.chat_type,
            content: d.content,
            format,
            updated_at: d.last_update_time,
        })
    }

    pub async fn edit_bot(&self, edit: &BotEdit) -> Result<(), AdapterError> {
        self.call("/v1/bot/web-edit-bot", &json!(edit))
            .await
            .map(drop)
    }

    /// Replaces the bot's settings form (`settingJson` is a JSON document sent as a string).
    pub async fn edit_settings(
        &self,
        bot_id: &str,
        setting_json: &str,
    ) -> Result<(), AdapterError> {
        serde_json::from_str::<Value>(setting_json)
            .map_err(|e| AdapterError::Invalid(format!("settingJson is not JSON: {e}")))?;
        self.call(
            "/v1/bot/edit-setting-json",
            &json!({ "id": bot_id, "settingJson": setting_json }),
        )
        .await
        .map(drop)
    }

    pub async fn remove_follower(&self, bot_id: &str, user_id: &str) -> Result<(), AdapterError> {
        self.call(
            "/v1/bot/remove-follower",
            &json!({ "botId": bot_id, "userId": user_id }),
        )
        .await
        .map(drop)
    }

    pub async fn remove_group(&self, bot_id: &str, group_id: &str) -> Result<(), AdapterError> {
        self.call(
            "/v1/bot/remove-group",
            &json!({ "botId": bot_id, "groupId": group_id }),
        )
        .await
        .map(drop)
    }

    async fn protobuf(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, AdapterError> {
        let reply = self
            .api
            .post_body(path, &[], |r| {
                r.header(reqwest::header::CONTENT_TYPE, PROTOBUF).body(body)
            })
            .await?
            .body;
        // A JSON error envelope instead of ProtoBuf (a bad token, for one) is reported as such.
        if reply.first() == Some(&b'{') {
            envelope(&reply)?;
            return Err(AdapterError::Platform {
                code: "bad-reply".into(),
                message: "JSON where ProtoBuf was expected".into(),
            });
        }
        Ok(reply)
    }
}

fn check_status(status: Option<&proto::Status>) -> Result<(), AdapterError> {
    match status {
        Some(s) if s.code == 1 => Ok(()),
        Some(s) => Err(AdapterError::Platform {
            code: s.code.to_string(),
            message: s.msg.clone(),
        }),
        None => Err(AdapterError::Platform {
            code: "bad-reply".into(),
            message: "the reply has no status".into(),
        }),
    }
}

fn bad_protobuf(e: prost::DecodeError) -> AdapterError {
    AdapterError::Platform {
        code: "bad-reply".into(),
        message: format!("not a ProtoBuf reply: {e}"),
    }
}
