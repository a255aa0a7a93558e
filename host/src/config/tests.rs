use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

#[test]
fn empty_file_means_sim_on_loopback() {
    let config = parse("").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(config.bots.len(), 1);
    assert_eq!(config.bots[0].platform, "sim");
}

#[test]
fn unknown_key_is_named() {
    let err = parse("[[bots]]\nname = \"a\"\nplatform = \"sim\"\ntokn = \"x\"")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("tokn"), "{err}");
}

#[test]
fn duplicate_bot_names_are_reported() {
    let text =
        "[[bots]]\nname = \"a\"\nplatform = \"sim\"\n[[bots]]\nname = \"a\"\nplatform = \"sim\"";
    let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("used twice"), "{err}");
}

#[test]
fn secrets_do_not_print() {
    let config = parse("[[bots]]\nname = \"a\"\nplatform = \"fanbook\"\ntoken = \"hunter2\"")
        .unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{config:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert_eq!(
        config.bots[0].token.as_ref().map(Secret::expose),
        Some("hunter2")
    );
}

#[test]
fn plugin_overrides_apply() {
    let text = "[runtime]\ntimeout_ms = 500\n[[plugins]]\nname = \"echo\"\nmemory_mib = 8\ninstances = 2\n[plugins.config]\ngreeting = \"hi\"";
    let config = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let limits = config.limits_for("echo");
    assert_eq!(limits.timeout, Duration::from_millis(500));
    assert_eq!(limits.memory_bytes, 8 * 1024 * 1024);
    assert_eq!(limits.instances, 2);
    assert_eq!(config.init_json("echo").expose(), r#"{"greeting":"hi"}"#);
    assert_eq!(config.init_json("other").expose(), "{}");
}

#[test]
fn rate_limits_and_retention_parse_and_bad_values_are_named() {
    let config = parse(
        "[[bots]]\nname = \"a\"\nplatform = \"sim\"\nrate_limit = \"30/min\"\n[retention]\ndead_letters = 5",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.bots[0].rate_limit,
        Some(RateSetting::Limit(Rate::per_minute(30)))
    );
    assert_eq!(config.retention.dead_letters, 5);
    assert_eq!(
        config.retention.messages, 100_000,
        "unset keys keep defaults"
    );

    let err = parse("[[bots]]\nname = \"a\"\nplatform = \"sim\"\nrate_limit = \"fast\"")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("rate_limit") && err.contains("\"20/min\""),
        "{err}"
    );
    let err = parse("[retention]\nmessages = 0\nkeep = 1")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("keep"),
        "unknown retention keys are named: {err}"
    );
    let err = parse("[retention]\nmessages = 0")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("retention.messages"), "{err}");
}

#[test]
fn a_max_lag_the_journal_cannot_hold_is_refused() {
    let err = parse("[runtime]\njournal_capacity = 1000\nmax_lag = 900")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("runtime.max_lag: 900") && err.contains("journal_capacity (1000)"),
        "{err}"
    );
    for fine in ["max_lag = 700", "max_lag = 0", ""] {
        let text = format!("[runtime]\njournal_capacity = 1000\n{fine}");
        parse(&text).unwrap_or_else(|e| panic!("{fine}: {e}"));
    }
}

#[test]
fn a_bad_http_grant_names_the_plugin_and_the_pattern() {
    let text = "[[plugins]]\nname = \"weather\"\n[plugins.grants]\nhttp = [\"api.example.com\", \"https://x.org/path\"]";
    let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err.contains("test.toml:4:1: plugins[1] (name = \"weather\").grants.http"),
        "{err}"
    );
    assert!(err.contains("https://x.org/path"), "{err}");
    assert!(!err.contains("`api.example.com`"), "{err}");
    let text = "[[plugins]]\nname = \"weather\"\n[plugins.http]\nmax_in_flight = 0";
    let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err.contains("plugins[1] (name = \"weather\"): http.max_in_flight"),
        "{err}"
    );
}

#[test]
fn http_limits_come_from_the_plugin_then_the_runtime() {
    let text = "[runtime.http]\ntimeout_ms = 3000\nrequests_per_minute = 10\n\
                [[plugins]]\nname = \"weather\"\n[plugins.http]\nrequests_per_minute = 5";
    let config = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let limits = config.limits_for("weather").http;
    assert_eq!(limits.timeout, Duration::from_secs(3));
    assert_eq!(limits.requests_per_minute, 5);
    assert_eq!(config.limits_for("other").http.requests_per_minute, 10);
    // Granted HTTP: four lanes unless `instances` says otherwise.
    assert_eq!(config.limits_for("weather").instances, 1, "no http grant");
    let granted = "[[plugins]]\nname = \"a\"\n[plugins.grants]\nhttp = [\"x.org\"]\n\
                   [[plugins]]\nname = \"b\"\ninstances = 1\n[plugins.grants]\nhttp = [\"x.org\"]";
    let config = parse(granted).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.limits_for("a").instances, HTTP_LANES);
    assert_eq!(config.limits_for("b").instances, 1);
}

#[test]
fn plugin_secrets_reach_init_but_never_print() {
    std::env::set_var("WASMBOT_TEST_WEATHER_KEY", "s3cr3t-key");
    let text = "[[plugins]]\nname = \"weather\"\n[plugins.config]\napi_url = \"http://h\"\n\
                [plugins.secrets]\napi_key = \"${WASMBOT_TEST_WEATHER_KEY}\"";
    let config = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let init = config.init_json("weather");
    assert_eq!(
        init.expose(),
        r#"{"api_key":"s3cr3t-key","api_url":"http://h"}"#
    );
    for shown in [
        format!("{config:?}"),
        format!("{init:?}"),
        format!("{init}"),
    ] {
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
    assert_eq!(
        config.redactor_for("weather").scrub("key is s3cr3t-key"),
        "key is ***"
    );
    let twice =
        "[[plugins]]\nname = \"w\"\n[plugins.config]\nk = \"a\"\n[plugins.secrets]\nk = \"b\"";
    let err = parse(twice)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("plugins[1] (name = \"w\").secrets: `k`") && !err.contains("\"b\""),
        "{err}"
    );
}

#[test]
fn every_problem_is_listed_with_its_line() {
    let text = "[[bots]]\nname = \"a\"\nplatform = \"sim\"\n[[bots]]\nname = \"a b\"\nplatform = \"sim\"\n[runtime]\ntimeout_ms = 0\n";
    let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("has 2 problems"), "{err}");
    assert!(
        err.contains("test.toml:5:1: bots[2] (name = \"a b\").name: must be letters"),
        "{err}"
    );
    assert!(err.contains("runtime.timeout_ms"), "{err}");
}

#[test]
fn an_unknown_key_has_its_position() {
    let err = parse("listen = \"127.0.0.1:1\"\n[runtime]\ntimeout = 3\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("test.toml:3:1:") && err.contains("timeout"),
        "{err}"
    );
}
