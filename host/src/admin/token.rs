//! The admin token: the operator's configured one, or one generated into the data dir on the
//! first start (mode 0600) and printed to the log that once.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{AdminConfig, Secret};

/// The token file's name in the data dir; the CLI reads it from there too.
pub const TOKEN_FILE: &str = "admin-token";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the admin token {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the admin token {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The token `[admin] token` sets, else the one in `data_dir/admin-token`, made now if absent.
pub fn load_or_create(config: &AdminConfig, data_dir: &Path) -> Result<Secret, TokenError> {
    if let Some(token) = &config.token {
        return Ok(token.clone());
    }
    let path = data_dir.join(TOKEN_FILE);
    match read(&path) {
        Ok(Some(token)) => Ok(token),
        Ok(None) => create(&path),
        Err(source) => Err(TokenError::Read { path, source }),
    }
}

/// The token stored at `path`, or `None` if there is no such file.
pub fn read(path: &Path) -> std::io::Result<Option<Secret>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(Secret::new(text.trim()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
    .and_then(|token| match token {
        Some(t) if t.expose().is_empty() => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is empty; delete it to have a new one made",
        )),
        other => Ok(other),
    })
}

/// Writes a fresh random token to `path`, readable by its owner alone, and logs it once.
fn create(path: &Path) -> Result<Secret, TokenError> {
    let write_error = |source| TokenError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write_error)?;
    }
    let token = Secret::new(hex::encode(rand::random::<[u8; 24]>()));
    let mut file = open_private(path).map_err(write_error)?;
    file.write_all(token.expose().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_error)?;
    // The one time the token shows: the operator copies it from here or reads the file.
    tracing::warn!(
        file = %path.display(),
        token = token.expose(),
        "admin token created; the CLI reads it from this file, a browser asks for it once"
    );
    Ok(token)
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_made_once_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(&AdminConfig::default(), dir.path()).unwrap();
        assert_eq!(first.expose().len(), 48);
        let again = load_or_create(&AdminConfig::default(), dir.path()).unwrap();
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_configured_token_wins_and_no_file_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let config = AdminConfig {
            token: Some(Secret::new("configured-token-123")),
            ..AdminConfig::default()
        };
        let token = load_or_create(&config, dir.path()).unwrap();
        assert_eq!(token.expose(), "configured-token-123");
        assert!(!dir.path().join(TOKEN_FILE).exists());
    }
}
