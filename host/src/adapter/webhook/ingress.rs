//! `POST /hooks/{bot}` (or `/hooks/{bot}/{secret}`): checks the caller, reads and parses the
//! body, and answers 200 only once the event is accepted (durable). Every refusal is a 4xx with
//! `{"error": ...}` and one log line (quoting the body, credentials masked, once one was read);
//! a full journal is a 503 so the platform tries again.
//!
//! A platform parses the body's text, not a `serde_json::Value`: a `Value` turns a number beyond
//! 64 bits, or one written with a fraction or an exponent, into an `f64`, and an id read from
//! that would merge different events (see `lenient`).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use serde_json::value::RawValue;

use super::options::Options;
use super::secret_matches;
use crate::adapter::{redact, StartError};
use crate::config::{BotConfig, Secret};
use crate::journal::Ingress;
use crate::model::{Event, Inbound, Rank};
use crate::store::Appended;

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;

/// How much of a refused body a log line quotes.
const LOG_BODY_CHARS: usize = 2000;

/// What one platform does with a webhook body.
pub trait WebhookPlatform: Send + Sync + 'static {
    fn platform(&self) -> &'static str;
    /// Turns a JSON body (its text, already checked to be JSON) into one event. Unknown event
    /// types become `Event::Other`.
    fn parse(&self, body: &str) -> Result<Parsed, HookError>;
    /// A secret the platform's bodies may carry, masked in logged bodies (minapp's).
    fn secret(&self) -> Option<&Secret> {
        None
    }
    /// Called once for an event that was newly accepted (not for a duplicate delivery).
    fn accepted(&self, _event: &Event) {}
}

/// An event and the platform's id for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub dedupe_key: Option<String>,
    pub event: Event,
    /// The sender's rank, where the payload tells it.
    pub rank: Rank,
}

/// Why a platform refused a body.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The body echoes a secret and it is wrong (minapp).
    #[error("wrong or missing secret")]
    Forbidden,
    /// Valid JSON that is not a payload of this platform.
    #[error("not a valid payload: {0}")]
    Invalid(String),
}

/// How one bot's webhook is protected and limited.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub bot: String,
    /// When set, only `/hooks/{bot}/{secret}` is accepted.
    pub path_secret: Option<Secret>,
    pub body_limit: usize,
}

impl WebhookSettings {
    /// Reads `options.webhook_body_limit` (bytes, default 1 MiB); `path_secret` comes from the
    /// platform (Yunhu and Biliao use the bot's `secret`).
    pub fn from_config(bot: &BotConfig, path_secret: Option<Secret>) -> Result<Self, StartError> {
        let limit = Options::new(bot).u64("webhook_body_limit", DEFAULT_BODY_LIMIT)?;
        let body_limit = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
        let path_secret = path_secret.filter(|s| !s.expose().is_empty());
        Ok(Self {
            bot: bot.name.clone(),
            path_secret,
            body_limit,
        })
    }
}

struct Hook<P> {
    settings: WebhookSettings,
    platform: Arc<P>,
    ingress: Ingress,
    busy: BusyLog,
}

/// The bot's webhook routes, to merge into the daemon's router.
pub fn routes<P: WebhookPlatform>(
    settings: WebhookSettings,
    platform: Arc<P>,
    ingress: Ingress,
) -> Router {
    let limit = settings.body_limit;
    let base = format!("/hooks/{}", settings.bot);
    let hook = Arc::new(Hook {
        settings,
        platform,
        ingress,
        busy: BusyLog::default(),
    });
    Router::new()
        .route(&base, post(without_secret::<P>))
        .route(&format!("{base}/{{secret}}"), post(with_secret::<P>))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(hook)
}

async fn without_secret<P: WebhookPlatform>(
    State(hook): State<Arc<Hook<P>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    hook.handle(None, &headers, body).await
}

async fn with_secret<P: WebhookPlatform>(
    State(hook): State<Arc<Hook<P>>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    hook.handle(Some(&secret), &headers, body).await
}

/// The log of 503s: the platform retries them, and under overload there are thousands a second,
/// so they are summed up in one line a second (with the count) rather than logged each.
#[derive(Debug, Default)]
struct BusyLog(Mutex<(Option<Instant>, u64)>);

impl BusyLog {
    fn refused(&self, bot: &str, reason: &str) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (last, count) = &mut *state;
        *count += 1;
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
            return;
        }
        tracing::warn!(bot, status = 503, refused = *count, error = %reason, "webhook requests refused: busy (the platform retries them; count since the last such line)");
        (*last, *count) = (Some(Instant::now()), 0);
    }
}

/// A refusal: its status, a message safe to show the caller and the log, and the body that was
/// refused (for the log only), when one was read.
struct Refusal(StatusCode, String, Option<Bytes>);

impl<P: WebhookPlatform> Hook<P> {
    async fn handle(
        &self,
        secret: Option<&str>,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Response {
        match self.accept(secret, headers, body).await {
            Ok(appended) => {
                let duplicate = matches!(appended, Appended::Duplicate(_));
                (
                    StatusCode::OK,
                    Json(json!({ "ok": true, "duplicate": duplicate })),
                )
                    .into_response()
            }
            Err(Refusal(status, message, _)) if status == StatusCode::SERVICE_UNAVAILABLE => {
                self.busy.refused(&self.settings.bot, &message);
                (status, Json(json!({ "error": message }))).into_response()
            }
            Err(Refusal(status, message, body)) => {
                let body = body.map(|b| self.loggable(&b)).unwrap_or_default();
                tracing::warn!(
                    bot = %self.settings.bot,
                    platform = self.platform.platform(),
                    status = status.as_u16(),
                    error = %message,
                    %body,
                    "webhook request refused"
                );
                (status, Json(json!({ "error": message }))).into_response()
            }
        }
    }

    async fn accept(
        &self,
        secret: Option<&str>,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Appended, Refusal> {
        self.check_secret(secret)?;
        check_content_type(headers)?;
        let body =
            body.map_err(|e| Refusal(e.status(), body_error(&e, self.settings.body_limit), None))?;
        let text = serde_json::from_slice::<&RawValue>(&body).map_err(|e| {
            Refusal(
                StatusCode::BAD_REQUEST,
                format!("the body is not valid JSON: {e}"),
                Some(body.clone()),
            )
        })?;
        let parsed = self.platform.parse(text.get()).map_err(|e| {
            let status = match e {
                HookError::Forbidden => StatusCode::FORBIDDEN,
                HookError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Refusal(status, e.to_string(), Some(body.clone()))
        })?;
        let inbound = Inbound::received(
            self.settings.bot.clone(),
            parsed.dedupe_key,
            parsed.event,
            parsed.rank,
        );
        let appended = self.ingress.accept(inbound.clone()).await.map_err(|e| {
            Refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the event could not be accepted: {e}"),
                None,
            )
        })?;
        if let Appended::New(_) = appended {
            self.platform.accepted(&inbound.event);
        }
        Ok(appended)
    }

    fn check_secret(&self, given: Option<&str>) -> Result<(), Refusal> {
        let Some(expected) = &self.settings.path_secret else {
            return match given {
                None => Ok(()),
                Some(_) => Err(Refusal(
                    StatusCode::NOT_FOUND,
                    "this webhook has no secret path".into(),
                    None,
                )),
            };
        };
        match given {
            Some(given) if secret_matches(given, expected.expose()) => Ok(()),
            _ => Err(Refusal(
                StatusCode::FORBIDDEN,
                "wrong or missing webhook secret".into(),
                None,
            )),
        }
    }

    /// A refused body as a log line may quote it: credentials and this bot's secrets masked.
    fn loggable(&self, body: &[u8]) -> String {
        let secrets: Vec<&str> = [self.settings.path_secret.as_ref(), self.platform.secret()]
            .into_iter()
            .flatten()
            .map(Secret::expose)
            .collect();
        redact::payload(&String::from_utf8_lossy(body), &secrets, LOG_BODY_CHARS)
    }
}

/// Webhook bodies must be JSON (`application/json`, any parameters, or a `+json` type).
fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        return Ok(());
    }
    let shown = if value.is_empty() {
        "none".to_string()
    } else {
        format!("`{}`", value.chars().take(64).collect::<String>())
    };
    Err(Refusal(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("the content type must be application/json, not {shown}"),
        None,
    ))
}

fn body_error(e: &BytesRejection, limit: usize) -> String {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        format!("the body is larger than {limit} bytes")
    } else {
        format!("cannot read the body: {}", e.body_text())
    }
}
