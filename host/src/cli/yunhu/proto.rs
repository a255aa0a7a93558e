//! The ProtoBuf messages of Yunhu's management API, mirroring `host/proto/yunhu_manage.proto`
//! field by field (prost derives; no protoc needed).

/// `status { number, code, msg }`; `code == 1` is success.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    #[prost(int64, tag = "1")]
    pub number: i64,
    #[prost(int32, tag = "2")]
    pub code: i32,
    #[prost(string, tag = "3")]
    pub msg: String,
}

/// `bot_info_send`: the request of `/v1/bot/bot-info`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BotInfoSend {
    #[prost(string, tag = "2")]
    pub id: String,
}

/// `bot_info`: the reply of `/v1/bot/bot-info`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BotInfo {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(message, optional, tag = "2")]
    pub data: Option<BotData>,
}

/// `bot_info.Bot_data`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BotData {
    #[prost(string, tag = "1")]
    pub bot_id: String,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(int64, tag = "3")]
    pub name_id: i64,
    #[prost(string, tag = "4")]
    pub avatar_url: String,
    #[prost(string, tag = "5")]
    pub avatar_id: String,
    #[prost(string, tag = "6")]
    pub introduction: String,
    #[prost(string, tag = "7")]
    pub create_by: String,
    #[prost(int64, tag = "8")]
    pub create_time: i64,
    #[prost(int64, tag = "9")]
    pub headcount: i64,
    #[prost(int32, tag = "10")]
    pub private: i32,
    #[prost(int32, tag = "11")]
    pub is_stop: i32,
    #[prost(int32, tag = "13")]
    pub always_agree: i32,
    #[prost(int32, tag = "15")]
    pub do_not_disturb: i32,
    #[prost(int32, tag = "18")]
    pub top: i32,
    #[prost(int32, tag = "20")]
    pub group_limit: i32,
}

/// `board_send`: the request of `/v1/bot/board`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BoardSend {
    #[prost(string, tag = "3")]
    pub id: String,
    #[prost(int64, tag = "4")]
    pub chat_type: i64,
}

/// `board`: the reply of `/v1/bot/board`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Board {
    #[prost(message, optional, tag = "1")]
    pub status: Option<Status>,
    #[prost(message, optional, tag = "2")]
    pub data: Option<BoardData>,
}

/// `board.Board_data`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BoardData {
    #[prost(string, tag = "1")]
    pub bot_id: String,
    #[prost(string, tag = "2")]
    pub chat_id: String,
    #[prost(int32, tag = "3")]
    pub chat_type: i32,
    #[prost(string, tag = "4")]
    pub content: String,
    #[prost(int32, tag = "5")]
    pub content_type: i32,
    #[prost(int64, tag = "6")]
    pub last_update_time: i64,
    #[prost(string, tag = "7")]
    pub bot_name: String,
}
