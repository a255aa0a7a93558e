//! The plugin files on disk: which names are shared, their stats and digests, and writing
//! one atomically.

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use anyhow::Context as _;
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

/// A file's length and modification time: a cheap sign that it changed.
pub type Stat = (u64, Option<SystemTime>);

/// Whether `name` may be shared as a file of the plugins folder: letters, digits, `-`, `_`
/// and `.`, not hidden, ending in `.wasm` (so no object's name reaches outside the folder).
pub fn is_plugin_file_name(name: &str) -> bool {
    name.len() > ".wasm".len()
        && name.ends_with(".wasm")
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The `.wasm` files of `dir` (not hidden ones) with their stats.
pub fn plugin_files(dir: &Path) -> std::io::Result<HashMap<String, Stat>> {
    let mut files = HashMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.ends_with(".wasm") || name.starts_with('.') {
            continue;
        }
        if let Ok(meta) = entry.metadata() {
            if meta.is_file() {
                files.insert(name, (meta.len(), meta.modified().ok()));
            }
        }
    }
    Ok(files)
}

pub fn stat_of(path: &Path) -> std::io::Result<Stat> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.len(), meta.modified().ok()))
}

/// The object store's digest of a file (`SHA-256=` and URL-safe base64), read in pieces.
pub async fn file_digest(path: &Path) -> std::io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(format!("SHA-256={}", URL_SAFE.encode(hasher.finalize())))
}

/// Copies `from` into `partial`, syncs it, then renames it to `path`; its length.
pub async fn write_atomically(
    from: &mut (impl AsyncRead + Unpin),
    partial: &Path,
    path: &Path,
) -> anyhow::Result<u64> {
    let written = async {
        let mut file = tokio::fs::File::create(partial).await?;
        let bytes = tokio::io::copy(from, &mut file).await?;
        file.sync_all().await?;
        tokio::fs::rename(partial, path).await?;
        Ok::<_, std::io::Error>(bytes)
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(partial).await;
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_wasm_names_are_shared() {
        for good in ["tally.wasm", "echo-01_v2.wasm", "a.b.wasm"] {
            assert!(is_plugin_file_name(good), "{good}");
        }
        for bad in [
            ".wasm",
            ".hidden.wasm",
            "../x.wasm",
            "dir/x.wasm",
            "x.wasm.partial",
            "x y.wasm",
            "x\\y.wasm",
            "",
        ] {
            assert!(!is_plugin_file_name(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_file_digest_is_the_object_stores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wasm");
        std::fs::write(&path, b"hello").unwrap();
        // sha256("hello") in URL-safe base64, as the object store writes it.
        assert_eq!(
            file_digest(&path).await.unwrap(),
            "SHA-256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
        );
    }
}
