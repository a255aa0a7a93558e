//! The operator's config file: any bytes that are UTF-8 go to `Config::parse` (TOML, then
//! `${VAR}` expansion, then typed fields, then `problems`). A typo in a config file must be
//! reported, not crash the daemon at start or on reload. A config that parses must also have
//! no `problems`, since `parse` checks them before it returns. Each bot's `options` table then
//! goes to the Fanbook adapter's options parser, the one adapter whose options have their own
//! typed parser.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use wasmbot::config::Config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = Config::parse(text, Path::new("fuzz.toml")) {
            let problems = config.problems();
            assert!(
                problems.is_empty(),
                "parse accepted an invalid config: {problems:?}"
            );
            for bot in &config.bots {
                let _ = wasmbot::adapter::fanbook::Options::parse(&bot.options);
            }
        }
    }
});
