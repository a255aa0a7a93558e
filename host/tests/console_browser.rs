//! The web console in a real browser (Debian's Chromium through `host/tests/browser/console.mjs`)
//! against the `wasmbot` binary itself (so the live log is the real one): plugins with their
//! state (a quarantined one, a file that failed to load), a refused change without the token,
//! release and reload with it, dead letters (from a Fanbook sim that refuses two replies)
//! retried and dropped, disable and enable (the message that waited is answered once), the
//! reload history, the bots' last event, the charts, the log filtered by plugin, the config
//! with its secret masked. Screenshots: one of the page, one per section in
//! `target/console-screenshots/`.

use std::time::{Duration, Instant};

use crate::browser::{
    browser_dir, chromium, ensure_node_modules, require, screenshot_path, SCRIPT_TIMEOUT,
};
use crate::common;
use crate::fanbook_sim::{payloads, FanbookSim, Fault};

const TOKEN: &str = "console-test-token-0123456789";
const SECRET: &str = "s3cret-plugin-value";
const FANBOOK_TOKEN: &str = "console-fanbook-token";

/// A free loopback port (bound, then let go).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    let start = Instant::now();
    loop {
        let status = http.get(format!("{base}/admin/status")).send().await;
        if let Ok(response) = status {
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            // Both running on their optimised code: the swap from the baseline build would
            // lift a quarantine, as a reload does.
            let plugins = body["plugins"].as_array().cloned().unwrap_or_default();
            if plugins.len() == 2 && plugins.iter().all(|p| p["tier"] == "optimized") {
                return;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the daemon did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() {
    require("node", "Node.js (`node`)");
    let chromium = chromium();
    assert!(
        chromium.is_file(),
        "the console test needs Chromium at {}",
        chromium.display()
    );
    ensure_node_modules();

    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(&common::plugin("echo"), &plugins.join("echo.wasm"));
    common::install(&common::plugin("trapper"), &plugins.join("trapper.wasm"));
    std::fs::write(plugins.join("empty.wasm"), b"").unwrap();
    // A Fanbook bot whose platform refuses two replies: two dead letters for the console.
    let fanbook = FanbookSim::start(FANBOOK_TOKEN).await;
    for _ in 0..2 {
        let refusal = Fault::Refuse(1003, "chat is archived".into());
        fanbook.fault("sendMessage", refusal);
    }
    let port = free_port();
    let config = dir.path().join("wasmbot.toml");
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\ndata_dir = {:?}\nplugins_dir = {:?}\n\
         [runtime]\nquarantine_after = 1\nreload_debounce_ms = 20\ncompile_cache = {:?}\n\
         [admin]\ntoken = \"{TOKEN}\"\n\
         [[plugins]]\nname = \"echo\"\n[plugins.secrets]\napi = \"{SECRET}\"\n\
         [[plugins]]\nname = \"trapper\"\ntimeout_ms = 300\n\
         [[bots]]\nname = \"sim\"\nplatform = \"sim\"\n\
         [[bots]]\nname = \"fb\"\nplatform = \"fanbook\"\ntoken = \"{FANBOOK_TOKEN}\"\nbase_url = \"{}\"\n\
         [bots.options]\npoll_timeout_secs = 1\nrequest_timeout_ms = 1500\nbackoff_min_ms = 20\nbackoff_max_ms = 200\n",
        dir.path().join("data").display().to_string(),
        plugins.display().to_string(),
        common::target_dir()
            .join("test-compile-cache")
            .display()
            .to_string(),
        fanbook.base,
    );
    std::fs::write(&config, text).unwrap();
    let log = dir.path().join("daemon.log");
    let mut daemon = common::spawn_daemon(&config, &log);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_ready(&http, &base).await;
    // Quarantine trapper (one failure is enough here).
    let trap = serde_json::json!({"chat": "general", "user": "alice", "text": "trap"});
    let answer = http
        .post(format!("{base}/sim/messages"))
        .json(&trap)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    fanbook.push_update(payloads::channel_text(469270000000000001, "/echo parcel-1"));
    fanbook.push_update(payloads::channel_text(469270000000000002, "/echo parcel-2"));
    let start = Instant::now();
    loop {
        let (_, body) = get_json(&http, &format!("{base}/admin/deadletters")).await;
        if body["dead_letters"]
            .as_array()
            .is_some_and(|l| l.len() == 2)
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no dead letters: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let shot = screenshot_path("console.png");
    let _ = std::fs::remove_file(&shot);
    // One picture per console section, for a person to look at.
    let sections = common::target_dir().join("console-screenshots");
    std::fs::create_dir_all(&sections).unwrap();
    let run = tokio::process::Command::new("node")
        .arg(browser_dir().join("console.mjs"))
        .args([&base, TOKEN, SECRET])
        .arg(&shot)
        .arg(&sections)
        .env("CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, run).await;
    let _ = daemon.kill();
    let _ = daemon.wait();
    let output = output
        .expect("node console.mjs timed out")
        .expect("cannot run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the console test failed; screenshot at {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- daemon log\n{}",
        shot.display(),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    for name in ["charts", "plugins", "bots", "dead", "log", "config"] {
        let section = std::fs::read(sections.join(format!("console-{name}.png"))).unwrap();
        assert!(section.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}");
    }
    let daemon_log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !daemon_log.contains(TOKEN),
        "the configured token never shows in the log"
    );
    assert!(!daemon_log.contains(SECRET));
    // The dead letter retried in the browser reached the platform; the dropped one did not.
    let sent: Vec<String> = fanbook
        .requests()
        .iter()
        .filter(|r| r.method == "sendMessage")
        .map(|r| r.body.to_string())
        .collect();
    let delivered = |text: &str| sent.iter().filter(|b| b.contains(text)).count();
    assert_eq!(
        delivered("parcel-"),
        3,
        "two refused, one retried: {sent:?}"
    );
}
