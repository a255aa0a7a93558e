//! minapp webhook bodies: any bytes that are JSON go to `minapp::parse_webhook`, as the webhook
//! route hands them. minapp bodies echo the bot's secret and the parser refuses the rest, so
//! each body is parsed twice: once against a secret it cannot know (the refusal path) and once
//! against the secret it carries, so the fuzzer reaches the code behind the check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wasmbot::adapter::minapp::parse_webhook;
use wasmbot::config::Secret;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<Value>(data) {
        let echoed = body.get("secret").and_then(Value::as_str).map(Secret::new);
        let _ = parse_webhook("fuzz", &Secret::new("not-the-fuzzers"), body.clone());
        if let Some(secret) = echoed {
            let _ = parse_webhook("fuzz", &secret, body);
        }
    }
});
