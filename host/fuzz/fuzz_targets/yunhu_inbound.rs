//! Yunhu webhook bodies: any bytes that are JSON go to `yunhu::parse_webhook_text` as text,
//! exactly what the webhook route hands it once `serde_json` has checked the POST body. A
//! sender controls every byte of that body, so a bad one must come back as an error, never as
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(body) = json_text(data) {
        let _ = wasmbot::adapter::yunhu::parse_webhook_text("fuzz", body);
    }
});

/// `data` as text, if it is JSON (the route refuses anything else with a 400).
fn json_text(data: &[u8]) -> Option<&str> {
    serde_json::from_slice::<serde_json::Value>(data).ok()?;
    std::str::from_utf8(data).ok()
}
