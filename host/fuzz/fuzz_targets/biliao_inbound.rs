//! Biliao webhook bodies: any bytes that are JSON go to `biliao::parse_webhook`, exactly what
//! the webhook route hands it after `serde_json` has read the POST body. A sender controls
//! every byte of that body, so a bad one must come back as an error, never as a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<Value>(data) {
        let _ = wasmbot::adapter::biliao::parse_webhook("fuzz", body);
    }
});
