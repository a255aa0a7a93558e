//! Fanbook: updates by long poll (`getUpdates`, queued on the simulator), `sendMessage` out
//! (`chat_id`, `text`); its rate-limit reply in a 200 is `{ok: false, err_code: 429}`. The
//! seeded fault layer is mounted on the Fanbook simulator as on the webhook ones.

use serde_json::{json, Value};
use wasmbot::adapter::webhook::lenient::text_of;
use wasmbot::config::{BotConfig, Secret};

use super::{Chat, Platform, CLIENT_TIMEOUT};
use crate::common::TestDaemon;
use crate::fanbook_sim::payloads;
use crate::fanbook_sim::FanbookSim;
use crate::webhook_sim::faults::Faults;
use crate::webhook_sim::Recorded;

const TOKEN: &str = "fa17f00d757bee0729b49fc54e3d87e4";
/// Message ids of the updates: this plus the run's serial number.
const FIRST_MESSAGE: u64 = 469_270_000_000_000_000;

pub struct Fanbook(FanbookSim);

impl Fanbook {
    pub async fn start() -> Self {
        Self(FanbookSim::start(TOKEN).await)
    }
}

impl Platform for Fanbook {
    const NAME: &'static str = "fanbook";

    fn chats(&self) -> Vec<Chat> {
        // Ids as `chat_id` carries them (a JSON number, read as its digits): `payloads::CHANNEL`
        // and two more, and `payloads::DM`, the private chat the simulator hands out.
        Chat::four(
            [
                "412870154013753345",
                "412870154013753346",
                "412870154013753347",
            ],
            "469188025514110976",
        )
    }

    fn faults(&self) -> &Faults {
        self.0.faults()
    }

    fn send_path(&self) -> String {
        format!("/api/bot/{TOKEN}/sendMessage")
    }

    fn throttled(&self) -> Option<Value> {
        Some(json!({ "ok": false, "err_code": 429, "description": "injected: Too Many Requests" }))
    }

    fn bot(&self) -> BotConfig {
        let options = format!(
            "inbound = \"poll\"\npoll_timeout_secs = 1\nrequest_timeout_ms = {}\n\
             backoff_min_ms = 20\nbackoff_max_ms = 200",
            CLIENT_TIMEOUT.as_millis()
        );
        BotConfig {
            name: "fb".into(),
            platform: "fanbook".into(),
            token: Some(Secret::new(TOKEN)),
            secret: None,
            base_url: Some(self.0.base.clone()),
            options: toml::from_str(&options).unwrap(),
            register_commands: false,
            rate_limit: None,
            admins: Vec::new(),
        }
    }

    async fn arrive(&self, _d: &TestDaemon, chat: Chat, serial: usize, text: &str) {
        let message_id = FIRST_MESSAGE + serial as u64;
        let update = if chat.group {
            let mut update = payloads::channel_text(message_id, text);
            update["channel_post"]["chat"]["id"] = json!(chat.id.parse::<u64>().unwrap());
            update
        } else {
            payloads::private_text(message_id, text)
        };
        self.0.push_update(update);
    }

    fn sent(&self, request: &Recorded) -> (String, String) {
        let body = request.json();
        (text_of(&body["chat_id"]), text_of(&body["text"]))
    }
}
