//! The `wasmbot` binary's `check` and `inspect` commands.

use std::process::Command;

use crate::common;

fn wasmbot(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn inspect_prints_the_manifest() {
    let echo = common::plugin("echo");
    let (ok, stdout, stderr) = wasmbot(&["inspect", echo.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let manifest: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(manifest["name"], "echo");
    assert_eq!(
        manifest["subscriptions"]["commands"],
        serde_json::json!(["echo"])
    );
    assert!(manifest["permissions"]
        .as_array()
        .unwrap()
        .contains(&"react".into()));
    assert_eq!(
        manifest["commands"][0]["arguments"][0]["name"], "TEXT",
        "the command guide: {stdout}"
    );
    assert_eq!(manifest["world"], "wasmbot:bot@0.2.0", "{stdout}");
    assert_eq!(
        manifest["grants"]["operations"],
        serde_json::json!(["reply", "react"]),
        "{stdout}"
    );
}

#[test]
fn inspect_names_a_legacy_plugins_world() {
    let legacy = common::plugin("legacy");
    let (ok, stdout, stderr) = wasmbot(&["inspect", legacy.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let manifest: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(manifest["world"], "wasmbot:bot@0.1.0", "{stdout}");
    assert_eq!(
        manifest["grants"]["http"],
        serde_json::json!([]),
        "{stdout}"
    );
}

#[test]
fn check_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    common::install(&common::plugin("echo"), &plugins.join("echo.wasm"));
    common::install(&common::plugin("weather"), &plugins.join("weather.wasm"));
    std::fs::write(plugins.join("broken.wasm"), b"\0asm not really").unwrap();
    let config = dir.path().join("wasmbot.toml");
    let text = format!(
        "plugins_dir = {:?}\n[[bots]]\nname = \"x\"\nplatform = \"nowhere\"\n[[plugins]]\nname = \"ghost\"\n",
        plugins.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let (ok, stdout, stderr) = wasmbot(&["check", "--config", config.to_str().unwrap()]);
    assert!(!ok, "check must fail: {stdout}");
    assert!(stderr.contains("unknown platform `nowhere`"), "{stderr}");
    assert!(stderr.contains("broken.wasm"), "{stderr}");
    assert!(
        stderr.contains("`ghost` is configured but no plugin of that name"),
        "{stderr}"
    );
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
    assert!(stdout.contains("echo.wasm (echo"), "{stdout}");
    // Not a problem, but said: a plugin that will reach for hosts nobody granted.
    assert!(
        stderr.contains("warning: ")
            && stderr.contains("plugin `weather` means to reach * over HTTP but has no"),
        "{stderr}"
    );
    assert!(!stderr.contains("plugin `echo` means"), "{stderr}");

    std::fs::write(&config, "listen = \"127.0.0.1:1\"\nlisen = 3\n").unwrap();
    let (ok, _, stderr) = wasmbot(&["check", "--config", config.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("lisen"),
        "the unknown key is named: {stderr}"
    );
}
