//! A Biliao simulator: `POST /bot/*` with `Authorization: Bearer`, `{code: 200, msg, data}`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};

use crate::webhook_sim::{Answer, Recorded, Sim};

pub const TOKEN: &str = "bl-token-9c3d";

pub async fn start() -> Sim {
    Sim::start(respond).await
}

/// A Biliao bot named `bl` pointing at `sim`, with the adapter options given (`auto_answer_ms`,
/// `timeout_ms`, …).
pub fn bot(sim: &Sim, options: &[(&str, toml::Value)]) -> wasmbot::config::BotConfig {
    wasmbot::config::BotConfig {
        name: "bl".into(),
        platform: "biliao".into(),
        token: Some(wasmbot::config::Secret::new(TOKEN)),
        secret: None,
        base_url: Some(sim.base.clone()),
        options: options
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

fn ok(data: Value) -> Answer {
    Answer::json(json!({ "code": 200, "msg": "ok", "data": data }))
}

fn respond(r: &Recorded, n: usize) -> Answer {
    if r.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return Answer(
            401,
            "application/json",
            json!({ "code": 401, "msg": "invalid token" })
                .to_string()
                .into_bytes(),
        );
    }
    if r.method != "POST" {
        return Answer(405, "text/plain", b"method not allowed".to_vec());
    }
    match r.path.as_str() {
        "/bot/sendmessage" => ok(json!({ "message_id": format!("bm-{n}") })),
        "/bot/uploadfile" => ok(json!({ "file_id": format!("file_{n}") })),
        "/bot/getme" => {
            ok(json!({ "id": "bot_1", "username": "price_bot", "display_name": "Price" }))
        }
        "/bot/getgroup" => ok(json!({ "group_id": r.json()["group_id"], "title": "运维交流" })),
        "/bot/botapigetcommands" => {
            ok(json!({ "commands": [{ "command": "start", "description": "开始使用" }] }))
        }
        p if p.starts_with("/bot/") => ok(json!({})),
        _ => Answer(
            404,
            "application/json",
            json!({ "code": 404, "msg": "not found" })
                .to_string()
                .into_bytes(),
        ),
    }
}
