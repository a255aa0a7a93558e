//! Biliao: message webhooks in, `POST /bot/sendmessage` out (`group_id` or `target_user_id`,
//! `content`); its rate-limit reply in a 200 is `{code: 429}`.

use serde_json::{json, Value};
use wasmbot::adapter::webhook::lenient::text_of;
use wasmbot::config::BotConfig;

use super::{golden, hook, timeout_ms, Chat, Platform};
use crate::biliao_sim;
use crate::common::TestDaemon;
use crate::webhook_sim::faults::Faults;
use crate::webhook_sim::{Recorded, Sim};

pub struct Biliao(Sim);

impl Biliao {
    pub async fn start() -> Self {
        Self(biliao_sim::start().await)
    }
}

impl Platform for Biliao {
    const NAME: &'static str = "biliao";

    fn chats(&self) -> Vec<Chat> {
        // The private chat is the golden private message's sender.
        Chat::four(["group_f1", "group_f2", "group_f3"], "user_8c41d2")
    }

    fn faults(&self) -> &Faults {
        self.0.faults()
    }

    fn send_path(&self) -> String {
        "/bot/sendmessage".into()
    }

    fn throttled(&self) -> Option<Value> {
        Some(json!({ "code": 429, "msg": "injected: too many requests" }))
    }

    fn bot(&self) -> BotConfig {
        let auto_answer = toml::Value::Integer(0);
        biliao_sim::bot(
            &self.0,
            &[
                ("auto_answer_ms", auto_answer),
                ("timeout_ms", timeout_ms()),
            ],
        )
    }

    async fn arrive(&self, d: &TestDaemon, chat: Chat, serial: usize, text: &str) {
        let mut body = if chat.group {
            golden("biliao", "event_group_message.json")
        } else {
            golden("biliao", "event_private_message.json")
        };
        body["message_id"] = json!(format!("fi_{serial}"));
        body["content"] = json!(text);
        if chat.group {
            body["group_id"] = json!(chat.id);
        }
        hook(d, "/hooks/bl", body).await;
    }

    fn sent(&self, request: &Recorded) -> (String, String) {
        let body = request.json();
        let chat = body.get("group_id").or_else(|| body.get("target_user_id"));
        (
            text_of(chat.unwrap_or(&Value::Null)),
            text_of(&body["content"]),
        )
    }
}
