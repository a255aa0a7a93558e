//! `wasmbot call BOT OP JSON` against the Fanbook simulator: the operator's by-hand check.

use crate::fanbook_sim::FanbookSim;

const TOKEN: &str = "calltoken-5f0e2b1c";

async fn call(config: &std::path::Path, args: &[&str]) -> (bool, serde_json::Value) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .arg("call")
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "error")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    (out.status.success(), serde_json::from_str(&stdout).unwrap_or_else(|_| serde_json::json!({ "raw": stdout, "stderr": String::from_utf8_lossy(&out.stderr) })))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_performs_one_operation_and_prints_json() {
    let sim = FanbookSim::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wasmbot.toml");
    let text = format!(
        "[[bots]]\nname = \"fb\"\nplatform = \"fanbook\"\ntoken = \"{TOKEN}\"\nbase_url = \"{}\"\n",
        sim.base
    );
    std::fs::write(&config, text).unwrap();

    let (ok, out) = call(
        &config,
        &[
            "fb",
            "send",
            r#"{"chat": "412870154013753345", "message": "checking by hand"}"#,
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert!(out["message_id"].is_string(), "{out}");
    let sent = sim.calls("sendMessage");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].token, TOKEN);
    assert!(sent[0].body.to_string().contains("checking by hand"));
    assert!(
        sim.calls("getUpdates").is_empty(),
        "`call` must not poll: a running daemon owns the updates"
    );

    let (ok, out) = call(
        &config,
        &[
            "fb",
            "answer-callback",
            r#"{"chat": "1", "callback_id": "x"}"#,
        ],
    )
    .await;
    assert!(!ok);
    assert!(
        out["error"].as_str().unwrap().contains("does not support"),
        "{out}"
    );
    let (ok, _) = call(&config, &["fb", "frobnicate", "{}"]).await;
    assert!(!ok);
}
