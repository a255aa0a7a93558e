//! Fanbook long-poll replies: any bytes that are UTF-8 go to `fanbook::decode_updates`, what
//! the poller does with a `getUpdates` reply body (`{ok, result: [Update]}`): each update goes
//! through the same decoder as gateway messages, and one bad update must only be reported.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = wasmbot::adapter::fanbook::decode_updates("fuzz", text);
    }
});
