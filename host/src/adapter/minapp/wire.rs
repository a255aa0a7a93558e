//! minapp's JSON (seed 002): webhook callbacks that echo the secret, and WeCom-robot style
//! send bodies. All inbound values are strings; every field is optional here, and a number
//! keeps its exact text (`lenient`).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::adapter::webhook::lenient::{self, Scalar};

/// A webhook body: `{secret, msgtype, conversation_id, sender, <msgtype>: {...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WireEvent {
    #[serde(deserialize_with = "lenient::string")]
    pub secret: String,
    #[serde(deserialize_with = "lenient::string")]
    pub msgtype: String,
    #[serde(deserialize_with = "lenient::string")]
    pub conversation_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub sender: String,
    /// Kept as it came: a `text` that is not an object is refused, not read as empty.
    pub text: Option<Box<RawValue>>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub link: LinkBody,
    /// Passed on as they came (an image is a CDN handle, not a URL).
    pub image: Option<Box<RawValue>>,
    pub miniprogram: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TextBody {
    #[serde(deserialize_with = "lenient::scalar")]
    pub content: Scalar,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkBody {
    #[serde(deserialize_with = "lenient::string")]
    pub title: String,
    #[serde(deserialize_with = "lenient::string")]
    pub url: String,
}

/// The reply of `/api/send` (undocumented; WeCom's `{errcode, errmsg}` is assumed).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Reply {
    pub errcode: Option<Value>,
    #[serde(deserialize_with = "lenient::string")]
    pub errmsg: String,
}

/// A `/api/send` body: `{msgtype, <msgtype>: {...}}`.
#[derive(Debug, Serialize)]
pub struct SendBody {
    pub msgtype: &'static str,
    #[serde(flatten)]
    pub body: serde_json::Map<String, Value>,
}

impl SendBody {
    /// `{msgtype, <msgtype>: inner}`.
    pub fn new(msgtype: &'static str, inner: Value) -> Self {
        let mut body = serde_json::Map::new();
        body.insert(msgtype.to_string(), inner);
        SendBody { msgtype, body }
    }
}
