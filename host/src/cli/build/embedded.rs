//! The WIT and the Python and JS/TS SDKs, embedded in the binary at build time so that
//! `wasmbot build` works on a project anywhere, against the WIT this daemon serves. A unit test
//! checks each list against its folder, so a file added there cannot be forgotten here.

use std::path::Path;

use anyhow::Context;

/// `(path relative to the folder, contents)`.
type Files = &'static [(&'static str, &'static str)];

macro_rules! files {
    ($root:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../", $root, "/", $path)))),*]
    };
}

/// `wit/`: `wasmbot:bot@0.2.0`, its 0.1.0 dependency and WASI.
pub const WIT: Files = files!("wit":
    "guest.wit", "platform.wit", "timers.wit", "types.wit", "world.wit",
    "deps/cli.wit", "deps/clocks.wit", "deps/filesystem.wit", "deps/http.wit", "deps/io.wit",
    "deps/random.wit", "deps/sockets.wit",
    "deps/bot-0.1.0/capabilities.wit", "deps/bot-0.1.0/fanbook.wit", "deps/bot-0.1.0/help.wit",
    "deps/bot-0.1.0/kv.wit", "deps/bot-0.1.0/log.wit", "deps/bot-0.1.0/messaging.wit",
    "deps/bot-0.1.0/moderation.wit", "deps/bot-0.1.0/types.wit", "deps/bot-0.1.0/world.wit",
);

/// `guest-sdk/python/wasmbot/`: the Python package `wasmbot`.
pub const PYTHON: Files = files!("guest-sdk/python/wasmbot":
    "__init__.py", "_context.py", "_convert.py", "_export.py", "_manifest.py", "_wit.py",
    "errors.py", "events.py", "http.py", "kv.py", "log.py", "outgoing.py", "plugin.py",
    "standing.py", "timers.py", "dialogue.py",
);

/// `guest-sdk/js/src/`: the JS/TS SDK (TypeScript, bundled by esbuild).
pub const JS: Files = files!("guest-sdk/js/src":
    "index.ts", "events.ts", "outgoing.ts", "kv.ts", "timers.ts", "log.ts", "errors.ts",
    "context.ts", "plugin.ts", "dialogue.ts",
);

/// Which SDK to write out.
#[derive(Debug, Clone, Copy)]
pub enum Sdk {
    Python,
    Js,
}

/// Writes `files` under `into`, replacing what an older build left there.
fn write_all(files: Files, into: &Path) -> anyhow::Result<()> {
    if into.exists() {
        std::fs::remove_dir_all(into)
            .with_context(|| format!("cannot clear {}", into.display()))?;
    }
    for (path, text) in files {
        let target = into.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, text)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}

/// Writes the WIT folder to `into`.
pub fn materialize_wit(into: &Path) -> anyhow::Result<()> {
    write_all(WIT, into)
}

/// Writes an SDK's sources to `into`.
pub fn materialize_sdk(sdk: Sdk, into: &Path) -> anyhow::Result<()> {
    match sdk {
        Sdk::Python => write_all(PYTHON, &into.join("wasmbot")),
        Sdk::Js => write_all(JS, into),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `root` with one of `extensions`, relative, sorted.
    fn on_disk(root: &str, extensions: &[&str]) -> Vec<String> {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(root);
        let mut found = Vec::new();
        let mut stack = vec![base.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if extensions
                    .iter()
                    .any(|e| path.to_string_lossy().ends_with(e))
                {
                    let rel = path
                        .strip_prefix(&base)
                        .map(|p| p.to_string_lossy().into_owned());
                    found.extend(rel);
                }
            }
        }
        found.sort();
        found
    }

    fn listed(files: Files) -> Vec<String> {
        let mut names: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
        names.sort();
        names
    }

    #[test]
    fn every_file_is_embedded() {
        assert_eq!(listed(WIT), on_disk("wit", &[".wit"]));
        assert_eq!(
            listed(PYTHON),
            on_disk("guest-sdk/python/wasmbot", &[".py"])
        );
        assert_eq!(listed(JS), on_disk("guest-sdk/js/src", &[".ts"]));
    }
}
