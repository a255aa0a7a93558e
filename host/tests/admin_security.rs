//! The admin API's guard: every refusal is a 4xx with an `{"error"}` body, and a refused change
//! changes nothing. Wrong `Host` (DNS rebinding), foreign `Origin` (CSRF), a missing or wrong
//! token, a change that is not a POST with a JSON body, and the 404/405 fallbacks.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST, ORIGIN};
use reqwest::Method;
use serde_json::Value;

use crate::common::TestDaemon;

/// Sends `method path` with `headers` (and `body` as is) and returns the status and JSON.
async fn send(
    d: &TestDaemon,
    method: Method,
    path: &str,
    headers: &[(reqwest::header::HeaderName, String)],
    body: Option<&str>,
) -> (u16, Value) {
    let mut request = d.http.request(method, format!("{}{path}", d.base));
    for (name, value) in headers {
        request = request.header(name.clone(), value.clone());
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{status}: the body is not JSON: {text:?}"));
    (status, json)
}

fn bearer(d: &TestDaemon) -> (reqwest::header::HeaderName, String) {
    (AUTHORIZATION, format!("Bearer {}", d.admin_token()))
}

fn json_type() -> (reqwest::header::HeaderName, String) {
    (CONTENT_TYPE, "application/json".to_string())
}

fn assert_refused(status: u16, body: &Value, expected: u16, says: &str) {
    assert_eq!(status, expected, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains(says), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_is_refused_and_loopback_names_are_served() {
    let d = TestDaemon::start(&[]).await;
    let port = d.daemon.addr.port();
    let evil = [(HOST, format!("rebound.example:{port}"))];
    let (status, body) = send(&d, Method::GET, "/admin/status", &evil, None).await;
    assert_refused(status, &body, 403, "rebound.example");
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let (status, body) = send(&d, Method::GET, "/admin/status", &[(HOST, host)], None).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["plugins"].is_array(), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_host_name_is_served() {
    let d = TestDaemon::start_config(&[], |c| c.admin.hosts = vec!["bot.example.org".into()]).await;
    let host = [(HOST, "bot.example.org".to_string())];
    let (status, body) = send(&d, Method::GET, "/admin/status", &host, None).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_cannot_change_anything() {
    let d = TestDaemon::start(&["echo"]).await;
    let origin = (ORIGIN, "http://attacker.example".to_string());
    let headers = [origin.clone(), bearer(&d), json_type()];
    let (status, body) = send(
        &d,
        Method::POST,
        "/admin/plugins/echo/release",
        &headers,
        Some("{}"),
    )
    .await;
    assert_refused(status, &body, 403, "attacker.example");
    let (status, body) = send(&d, Method::GET, "/admin/status", &[origin], None).await;
    assert_refused(status, &body, 403, "Origin");
    // The daemon's own origin is fine.
    let own = (ORIGIN, d.base.clone());
    let (status, body) = send(&d, Method::GET, "/admin/status", &[own], None).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_need_the_token() {
    let d = TestDaemon::start(&["echo"]).await;
    let path = "/admin/plugins/echo/release";
    let (status, body) = send(&d, Method::POST, path, &[json_type()], Some("{}")).await;
    assert_refused(status, &body, 401, "admin token");
    let wrong = (AUTHORIZATION, "Bearer not-the-token".to_string());
    let (status, body) = send(&d, Method::POST, path, &[json_type(), wrong], Some("{}")).await;
    assert_refused(status, &body, 401, "wrong");
    assert!(!body.to_string().contains(&d.admin_token()));
    // With it, the request reaches the handler: echo runs and is not quarantined.
    let (status, body) = send(
        &d,
        Method::POST,
        path,
        &[json_type(), bearer(&d)],
        Some("{}"),
    )
    .await;
    assert_refused(status, &body, 409, "not quarantined");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_posts_with_a_json_body() {
    let d = TestDaemon::start(&["echo"]).await;
    let path = "/admin/deadletters/1/drop";
    let (status, body) = send(&d, Method::POST, path, &[bearer(&d)], None).await;
    assert_refused(status, &body, 415, "JSON");
    let form = (
        CONTENT_TYPE,
        "application/x-www-form-urlencoded".to_string(),
    );
    let (status, body) = send(&d, Method::POST, path, &[bearer(&d), form], Some("a=1")).await;
    assert_refused(status, &body, 415, "JSON");
    let (status, body) = send(
        &d,
        Method::POST,
        path,
        &[bearer(&d), json_type()],
        Some("not json"),
    )
    .await;
    assert_refused(status, &body, 400, "JSON");
    let (status, body) = send(&d, Method::DELETE, path, &[bearer(&d)], None).await;
    assert_refused(status, &body, 405, "DELETE is not allowed");
    let (status, body) = send(
        &d,
        Method::POST,
        path,
        &[bearer(&d), json_type()],
        Some("{}"),
    )
    .await;
    assert_refused(status, &body, 404, "no dead letter 1");
    let (status, body) = send(
        &d,
        Method::POST,
        "/admin/deadletters/abc/retry",
        &[bearer(&d), json_type()],
        Some("{}"),
    )
    .await;
    assert_refused(status, &body, 400, "not a dead letter id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_token_covers_reads_too() {
    let d = TestDaemon::start_config(&[], |c| c.admin.require_token = true).await;
    let (status, body) = send(&d, Method::GET, "/admin/status", &[], None).await;
    assert_refused(status, &body, 401, "admin token");
    let (status, body) = send(&d, Method::GET, "/admin/status", &[bearer(&d)], None).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let d = TestDaemon::start(&[]).await;
    let meta = std::fs::metadata(d.daemon.data_dir.join("admin-token")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(d.admin_token().len(), 48);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_answer_json() {
    let d = TestDaemon::start(&[]).await;
    let (status, body) = send(&d, Method::GET, "/no/such/page", &[], None).await;
    assert_refused(status, &body, 404, "/no/such/page");
    let (status, body) = send(&d, Method::GET, "/sim/messages", &[], None).await;
    assert_refused(status, &body, 405, "GET");
    let (status, body) = send(&d, Method::GET, "/admin/nothing", &[], None).await;
    assert_refused(status, &body, 404, "/admin/nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_reads_the_token_from_the_data_dir() {
    let d = TestDaemon::start(&["echo"]).await;
    let data = d.daemon.data_dir.to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"))
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    // Flags after the subcommand's argument, and before it.
    let (ok, out) = run(&["release", "echo", "--daemon", &d.base, "--data", &data]);
    assert!(!ok && out.contains("not quarantined"), "{out}");
    let (ok, out) = run(&["release", "--daemon", &d.base, "nosuch", "--data", &data]);
    assert!(
        !ok && out.contains("no plugin named nosuch; plugins: echo"),
        "{out}"
    );
    let empty = tempfile::tempdir().unwrap();
    let (ok, out) = run(&[
        "release",
        "echo",
        "--daemon",
        &d.base,
        "--data",
        empty.path().to_str().unwrap(),
    ]);
    assert!(
        !ok && out.contains("401") && out.contains("admin token"),
        "{out}"
    );
    let (ok, out) = run(&[
        "release",
        "echo",
        "--daemon",
        &d.base,
        "--token",
        &d.admin_token(),
    ]);
    assert!(!ok && out.contains("not quarantined"), "{out}");
}

/// Runs the binary on `config` until it serves, then stops it; returns its log.
fn run_once(config: &std::path::Path, log: &std::path::Path) -> String {
    let mut child = crate::common::spawn_daemon(config, log);
    let start = std::time::Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("wasmbot is serving") || start.elapsed().as_secs() > 30 {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    text
}

#[test]
fn a_new_token_is_printed_once_and_never_again() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("wasmbot.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\nstore = \"memory\"\ndata_dir = {:?}\nplugins_dir = {:?}\n",
        data.display().to_string(),
        plugins.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let first = run_once(&config, &dir.path().join("first.log"));
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    assert_eq!(first.matches(token.trim()).count(), 1, "{first}");
    assert!(first.contains("admin token created"), "{first}");
    let second = run_once(&config, &dir.path().join("second.log"));
    assert!(second.contains("wasmbot is serving"), "{second}");
    assert!(!second.contains(token.trim()), "printed again: {second}");
    assert_eq!(
        std::fs::read_to_string(data.join("admin-token")).unwrap(),
        token
    );
}
