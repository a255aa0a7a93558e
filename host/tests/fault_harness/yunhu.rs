//! Yunhu: message events in, `POST /bot/send?token=` out (`recvId`, `content.text`). Yunhu
//! documents no rate-limit code inside a 200, so its plan has no throttled answers; the
//! adapter keeps its documented 10 requests per second per API.

use serde_json::{json, Value};
use wasmbot::adapter::webhook::lenient::text_of;
use wasmbot::config::{BotConfig, Secret};

use super::{golden, hook, timeout_ms, Chat, Platform};
use crate::common::TestDaemon;
use crate::webhook_sim::faults::Faults;
use crate::webhook_sim::{Recorded, Sim};
use crate::yunhu_sim;

pub struct Yunhu(Sim);

impl Yunhu {
    pub async fn start() -> Self {
        Self(yunhu_sim::start().await)
    }
}

impl Platform for Yunhu {
    const NAME: &'static str = "yunhu";

    fn chats(&self) -> Vec<Chat> {
        // A private reply goes to the golden private message's sender.
        Chat::four(["604715001", "604715002", "604715003"], "5280193")
    }

    fn faults(&self) -> &Faults {
        self.0.faults()
    }

    fn send_path(&self) -> String {
        "/bot/send".into()
    }

    fn throttled(&self) -> Option<Value> {
        None
    }

    fn bot(&self) -> BotConfig {
        let mut options = toml::Table::new();
        options.insert("timeout_ms".into(), timeout_ms());
        BotConfig {
            name: "yh".into(),
            platform: "yunhu".into(),
            token: Some(Secret::new(yunhu_sim::TOKEN)),
            secret: None,
            base_url: Some(self.0.base.clone()),
            options,
            register_commands: false,
            rate_limit: None,
            admins: Vec::new(),
        }
    }

    async fn arrive(&self, d: &TestDaemon, chat: Chat, serial: usize, text: &str) {
        let mut body = if chat.group {
            golden("yunhu", "event_message_receive_normal.json")
        } else {
            golden("yunhu", "event_message_receive_normal_private_text.json")
        };
        body["header"]["eventId"] = json!(format!("fievt{serial:027}"));
        let event = &mut body["event"];
        event["message"]["msgId"] = json!(format!("fimsg{serial:027}"));
        event["message"]["content"] = json!({ "text": text });
        if chat.group {
            event["chat"]["chatId"] = json!(chat.id);
            event["message"]["chatId"] = json!(chat.id);
        }
        hook(d, "/hooks/yh", body).await;
    }

    fn sent(&self, request: &Recorded) -> (String, String) {
        let body = request.json();
        (text_of(&body["recvId"]), text_of(&body["content"]["text"]))
    }
}
