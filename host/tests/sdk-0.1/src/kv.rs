//! The plugin's private key-value store, typed with serde (values are stored as JSON).
//!
//! Writes are visible to the plugin at once and committed with the event that made them: if the
//! handler fails, they are rolled back together with its messages.
//!
//! ```no_run
//! # fn demo() -> Result<(), wasmbot_sdk::Error> {
//! use wasmbot_sdk::kv;
//! kv::set("greeting:sim:main:42", &"Hello!")?;
//! let greeting: Option<String> = kv::get("greeting:sim:main:42")?;
//! # Ok(()) }
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::bindings::wasmbot::bot::kv as wit;
use crate::Error;

/// Reads and decodes the value at `key`; `Ok(None)` when there is none.
///
/// A value that does not decode as `T` is an [`Error::Codec`].
pub fn get<T: DeserializeOwned>(key: &str) -> Result<Option<T>, Error> {
    get_raw(key)?.map(|bytes| decode(key, &bytes)).transpose()
}

/// Encodes `value` as JSON and stores it at `key`.
pub fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), Error> {
    set_raw(key, &encode(key, value)?)
}

/// Removes `key` (removing a missing key is not an error).
pub fn delete(key: &str) -> Result<(), Error> {
    Ok(wit::delete(key)?)
}

/// The keys that start with `prefix`, in order (`""` lists every key).
pub fn list(prefix: &str) -> Result<Vec<String>, Error> {
    Ok(wit::list_keys(prefix)?)
}

/// Reads the raw bytes at `key`, for values that are not JSON.
pub fn get_raw(key: &str) -> Result<Option<Vec<u8>>, Error> {
    Ok(wit::get(key)?)
}

/// Stores raw bytes at `key`.
pub fn set_raw(key: &str, value: &[u8]) -> Result<(), Error> {
    Ok(wit::set(key, value)?)
}

fn encode<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::Codec(format!("kv value for {key:?}: {e}")))
}

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Codec(format!("kv value at {key:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_json() -> Result<(), Error> {
        let bytes = encode("k", &vec!["red".to_string(), "blue".to_string()])?;
        assert_eq!(bytes, br#"["red","blue"]"#);
        let back: Vec<String> = decode("k", &bytes)?;
        assert_eq!(back, ["red", "blue"]);
        Ok(())
    }

    #[test]
    fn bad_bytes_are_codec_errors() {
        let err = decode::<u32>("k", b"not json").err();
        assert!(matches!(err, Some(Error::Codec(text)) if text.contains("\"k\"")));
    }
}
