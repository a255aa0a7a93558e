//! `wasmbot fanbook bots …` against the simulator's console: the GraphQL it sends, the
//! `usertoken` header, what it prints, and its exit codes.

use crate::fanbook_sim::{self, FanbookSim, CONSOLE_TOKEN};
use serde_json::{json, Value};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn wasmbot(sim: &FanbookSim, token: Option<&str>, args: &[&str]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"));
    command
        .arg("fanbook")
        .arg("--console-url")
        .arg(&sim.base)
        .env_remove("FANBOOK_USER_TOKEN");
    if let Some(token) = token {
        command.env("FANBOOK_USER_TOKEN", token);
    }
    let out = command.args(["bots"]).args(args).output().await.unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The GraphQL request of the last console call.
fn last_request(sim: &FanbookSim) -> fanbook_sim::Recorded {
    let calls = sim.calls("console");
    let last = calls.last().unwrap().clone();
    assert_eq!(last.verb, "POST");
    assert_eq!(last.path, "/api/bot/console");
    assert_eq!(
        last.headers.get("usertoken").map(String::as_str),
        Some(CONSOLE_TOKEN)
    );
    last
}

#[tokio::test]
async fn bots_commands_speak_graphql() {
    let sim = FanbookSim::start("unused").await;
    let known = "309985355212259328";

    let list = wasmbot(
        &sim,
        Some(CONSOLE_TOKEN),
        &["list", "--owner-id", "86655584392323072"],
    )
    .await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    let request = last_request(&sim);
    assert!(request.body["query"]
        .as_str()
        .unwrap()
        .contains("bots(owner_id: $owner_id)"));
    assert_eq!(
        request.body["variables"],
        json!({ "owner_id": "86655584392323072" })
    );
    let bots: Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(
        bots[1]["bot_id"],
        json!(309881574235570176u64),
        "ids keep their digits"
    );
    assert_eq!(
        bots[0]["bot_token"], "***",
        "tokens are hidden unless asked for"
    );
    assert!(!list.stdout.contains("5bb8b8eb9b15"));

    let get = wasmbot(&sim, Some(CONSOLE_TOKEN), &["get", known]).await;
    assert_eq!(get.code, 0, "{}", get.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&get.stdout).unwrap()["bot_name"],
        "123"
    );
    assert_eq!(
        last_request(&sim).body["variables"],
        json!({ "bot_id": known })
    );

    let args = [
        "create",
        "--name",
        "签到",
        "--avatar",
        "https://x/a.png",
        "--description",
        "d",
        "--command",
        "签到=每日签到",
    ];
    let create = wasmbot(&sim, Some(CONSOLE_TOKEN), &args).await;
    assert_eq!(create.code, 0, "{}", create.stderr);
    let request = last_request(&sim);
    assert!(request.body["query"]
        .as_str()
        .unwrap()
        .contains("new_bot(new_bot: $newBot)"));
    let new_bot = &request.body["variables"]["newBot"];
    assert_eq!(new_bot["bot_name"], "签到");
    assert_eq!(new_bot["bot_description"], "d");
    assert_eq!(
        new_bot["commands"],
        json!([{ "command": "签到", "description": "每日签到", "visible_level": "0" }])
    );
    assert_eq!(
        serde_json::from_str::<Value>(&create.stdout).unwrap()["bot_id"],
        "312142813057777664"
    );

    let update = wasmbot(
        &sim,
        Some(CONSOLE_TOKEN),
        &[
            "update",
            known,
            "--name",
            "新名字",
            "--all-messages",
            "true",
        ],
    )
    .await;
    assert_eq!(update.code, 0, "{}", update.stderr);
    let vars = &last_request(&sim).body["variables"]["updateBot"];
    assert_eq!(
        vars,
        &json!({ "bot_id": known, "bot_name": "新名字", "enable_group_privacy_mode": true })
    );

    let reset = wasmbot(&sim, Some(CONSOLE_TOKEN), &["reset-token", known]).await;
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&reset.stdout).unwrap()["bot_token"],
        "new-token-5bb8b8eb9b1528145f1d"
    );

    let delete = wasmbot(&sim, Some(CONSOLE_TOKEN), &["delete", known]).await;
    assert_eq!(
        (delete.code, delete.stdout.trim()),
        (0, "true"),
        "{}",
        delete.stderr
    );
}

#[tokio::test]
async fn errors_are_plain_and_exit_non_zero() {
    let sim = FanbookSim::start("unused").await;

    let missing = wasmbot(&sim, Some(CONSOLE_TOKEN), &["delete", "1"]).await;
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr.trim(),
        "error: Record Not Found (at delete_bot, line 2, column 5)"
    );
    assert!(missing.stdout.is_empty());

    let refused = wasmbot(&sim, Some("expired-user-token"), &["get", "1"]).await;
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("usertoken is invalid or expired"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("expired-user-token"),
        "the user token leaked: {}",
        refused.stderr
    );

    let no_token = wasmbot(&sim, None, &["list", "--owner-id", "1"]).await;
    assert_ne!(no_token.code, 0);
    assert!(
        no_token.stderr.contains("FANBOOK_USER_TOKEN"),
        "{}",
        no_token.stderr
    );
    let sent = sim.calls("console").len();
    assert_eq!(sent, 2, "a call without a token must not reach the console");

    let bad_command = wasmbot(
        &sim,
        Some(CONSOLE_TOKEN),
        &["update", "309985355212259328", "--command", "no-equals"],
    )
    .await;
    assert_eq!(bad_command.code, 1);
    assert!(
        bad_command.stderr.contains("NAME=DESCRIPTION"),
        "{}",
        bad_command.stderr
    );
}
