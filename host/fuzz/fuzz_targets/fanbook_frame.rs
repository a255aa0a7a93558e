//! Fanbook gateway frames: any bytes that are UTF-8 go to `fanbook::decode_frame`, the decoder
//! the websocket task runs on every text frame. The text is handed over as it came, not
//! pre-parsed, because the decoder reads the frame and then the JSON string inside its
//! `content` itself: both layers are the server's to get wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = wasmbot::adapter::fanbook::decode_frame("fuzz", text);
    }
});
