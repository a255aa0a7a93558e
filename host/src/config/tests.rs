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
    assert_eq!(config.init_json("echo"), r#"{"greeting":"hi"}"#);
    assert_eq!(config.init_json("other"), "{}");
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
