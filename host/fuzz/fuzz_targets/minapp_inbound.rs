//! minapp webhook bodies: any bytes that are JSON go to `minapp::parse_webhook_text` as text,
//! as the webhook route hands them. minapp bodies echo the bot's secret and the parser refuses the rest, so
//! each body is parsed twice: once against a secret it cannot know (the refusal path) and once
//! against the secret it carries, so the fuzzer reaches the code behind the check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wasmbot::adapter::minapp::parse_webhook_text;
use wasmbot::config::Secret;

fuzz_target!(|data: &[u8]| {
    let Some(body) = json_text(data) else { return };
    let _ = parse_webhook_text("fuzz", &Secret::new("not-the-fuzzers"), body);
    let echoed = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("secret").and_then(Value::as_str).map(Secret::new));
    if let Some(secret) = echoed {
        let _ = parse_webhook_text("fuzz", &secret, body);
    }
});

/// `data` as text, if it is JSON (the route refuses anything else with a 400).
fn json_text(data: &[u8]) -> Option<&str> {
    serde_json::from_slice::<serde_json::Value>(data).ok()?;
    std::str::from_utf8(data).ok()
}
