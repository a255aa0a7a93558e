//! minapp: callbacks in (the secret echoed in the body), `POST /api/send?conversation_id=` out
//! (`text.content`); its rate-limit reply in a 200 is WeCom's `{errcode: 45009}`. The platform
//! default of 20 messages a minute is lifted (`rate_limit = "off"`): at that pace 48 sends take
//! over two minutes, and the test is about faults, not the limiter.

use serde_json::{json, Value};
use wasmbot::adapter::webhook::lenient::text_of;
use wasmbot::config::{BotConfig, RateSetting, Secret};

use super::{golden, hook, timeout_ms, Chat, Platform};
use crate::common::TestDaemon;
use crate::minapp_sim;
use crate::webhook_sim::faults::Faults;
use crate::webhook_sim::{Recorded, Sim};

pub struct Minapp(Sim);

impl Minapp {
    pub async fn start() -> Self {
        Self(minapp_sim::start().await)
    }
}

impl Platform for Minapp {
    const NAME: &'static str = "minapp";

    fn chats(&self) -> Vec<Chat> {
        Chat::four(
            [
                "R:10696051996154301",
                "R:10696051996154302",
                "R:10696051996154303",
            ],
            "S:wxid_k3m9p2q8r7",
        )
    }

    fn faults(&self) -> &Faults {
        self.0.faults()
    }

    fn send_path(&self) -> String {
        "/api/send".into()
    }

    fn throttled(&self) -> Option<Value> {
        Some(json!({ "errcode": 45009, "errmsg": "injected: api freq out of limit" }))
    }

    fn bot(&self) -> BotConfig {
        let mut options = toml::Table::new();
        options.insert("timeout_ms".into(), timeout_ms());
        BotConfig {
            name: "mn".into(),
            platform: "minapp".into(),
            token: None,
            secret: Some(Secret::new(minapp_sim::SECRET)),
            base_url: Some(self.0.base.clone()),
            options,
            register_commands: false,
            rate_limit: Some(RateSetting::Off),
            admins: Vec::new(),
        }
    }

    async fn arrive(&self, d: &TestDaemon, chat: Chat, _serial: usize, text: &str) {
        let mut body = golden("minapp", "event_text.json");
        body["secret"] = json!(minapp_sim::SECRET);
        body["conversation_id"] = json!(chat.id);
        body["text"]["content"] = json!(text);
        hook(d, "/hooks/mn", body).await;
    }

    fn sent(&self, request: &Recorded) -> (String, String) {
        let chat = request.query.get("conversation_id").cloned();
        let text = text_of(&request.json()["text"]["content"]);
        (chat.unwrap_or_default(), text)
    }
}
