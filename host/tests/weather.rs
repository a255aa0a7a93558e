//! The bundled `weather` plugin end to end on the sim, against a loopback weather API.

use crate::api_sim::Api;
use crate::common::{overrides, TestDaemon};
use crate::http::ask;

/// The weather plugin with `api_url` (when given) and `grants`.
async fn weather(api_url: Option<String>, grants: Vec<String>) -> TestDaemon {
    let config = overrides("weather", |c| {
        c.grants.http = grants;
        c.http.timeout_ms = Some(500);
        if let Some(url) = api_url {
            c.config.insert("api_url".into(), toml::Value::String(url));
        }
    });
    TestDaemon::start_with(&["weather"], vec![config]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weather_answers_with_the_summary_and_explains_each_failure() {
    let api = Api::start().await;
    let d = weather(Some(format!("{}/weather", api.base)), vec![api.grant()]).await;
    assert_eq!(
        ask(&d, "a", "/weather São Paulo").await,
        "Sunny in São Paulo"
    );
    assert_eq!(
        api.seen()[0].query.as_deref(),
        Some("city=S%C3%A3o%20Paulo"),
        "the city must be percent-encoded"
    );
    let nowhere = ask(&d, "b", "/weather Nowhere").await;
    assert!(
        nowhere.contains("knows no city called Nowhere"),
        "{nowhere}"
    );
    let broken = ask(&d, "c", "/weather Broken").await;
    assert!(broken.contains("answered with an error (500)"), "{broken}");
    let slow = ask(&d, "d", "/weather Slow").await;
    assert!(slow.contains("did not answer in time"), "{slow}");
    assert_eq!(ask(&d, "e", "/weather").await, "Usage: /weather CITY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weather_without_a_grant_is_denied_and_without_a_url_is_not_configured() {
    let api = Api::start().await;
    let denied = weather(Some(format!("{}/weather", api.base)), vec![]).await;
    let text = ask(&denied, "a", "/weather Oslo").await;
    assert!(text.contains("not allowed from here"), "{text}");
    assert!(api.seen().is_empty(), "a request left without a grant");
    drop(denied);
    let unconfigured = weather(None, vec![api.grant()]).await;
    let text = ask(&unconfigured, "a", "/weather Oslo").await;
    assert!(text.contains("not configured"), "{text}");
}
