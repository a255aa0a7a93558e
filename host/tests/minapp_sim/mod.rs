//! A minapp simulator: `?secret=` on every call, `POST /api/send?conversation_id=` answering
//! WeCom's `{errcode, errmsg}`, and the user and group lists.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use crate::webhook_sim::{Answer, Recorded, Sim};

pub const SECRET: &str = "mn-secret-4b2a";

pub async fn start() -> Sim {
    Sim::start(respond).await
}

fn respond(r: &Recorded, _n: usize) -> Answer {
    if r.query.get("secret").map(String::as_str) != Some(SECRET) {
        return Answer::json(json!({ "errcode": 93000, "errmsg": "invalid secret" }));
    }
    match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/api/send") if r.query.contains_key("conversation_id") => {
            Answer::json(json!({ "errcode": 0, "errmsg": "ok" }))
        }
        ("POST", "/api/send") => {
            Answer::json(json!({ "errcode": 40008, "errmsg": "conversation_id is required" }))
        }
        ("GET", "/api/users") => Answer::json(
            json!({ "data": [{ "name": "小周", "conversation_id": "S:wxid_k3m9p2q8r7" }] }),
        ),
        ("GET", "/api/groups") => {
            Answer::json(json!([{ "name": "运维群", "conversation_id": "R:10696051996154312" }]))
        }
        _ => Answer(404, "text/plain", b"not found".to_vec()),
    }
}
