//! The sim's HTTP API and web page. Every error is a 4xx (or 503 when the journal is full)
//! with `{"error": "..."}`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::world::{Change, SimMessage, World, WorldError};
use super::{now_ms, Sim, PLATFORM};
use crate::model::{
    message_or_command, Callback, ChatKind, ChatRef, Content, Event, Inbound, MemberChange,
    Message, MessageRef, Rank, Reaction, UserRef,
};
use crate::store::StoreError;

const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_TEXT_CHARS: usize = 4096;

/// The sim's routes: the page at `/` and the API under `/sim/`.
pub fn routes(sim: Sim) -> Router {
    Router::new()
        .route("/", get(|| async { Html(include_str!("page.html")) }))
        .route("/sim/messages", post(post_message))
        .route("/sim/clicks", post(post_click))
        .route("/sim/joins", post(post_join))
        .route("/sim/leaves", post(post_leave))
        .route("/sim/reactions", post(post_reaction))
        .route("/sim/timeline", get(get_timeline))
        .route("/sim/actions", get(get_actions))
        .route("/sim/chats", get(get_chats))
        .route("/sim/events", get(super::live::events))
        .route("/sim/ranks", post(post_rank))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(sim)
}

/// An API error: a status and a message for the person or test that sent the request.
#[derive(Debug)]
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError(e.status(), e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError(StatusCode::BAD_REQUEST, e.body_text())
    }
}

impl From<WorldError> for ApiError {
    fn from(e: WorldError) -> Self {
        let status = match e {
            WorldError::NotFound(_) => StatusCode::NOT_FOUND,
            WorldError::Full(_) => StatusCode::INSUFFICIENT_STORAGE,
            WorldError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError(status, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
    }
}

type ApiResult = Result<(StatusCode, Json<serde_json::Value>), ApiError>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostMessage {
    chat: String,
    user: String,
    text: String,
    #[serde(default)]
    reply_to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostClick {
    chat: String,
    user: String,
    message_id: String,
    data: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Membership {
    chat: String,
    user: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostReaction {
    chat: String,
    user: String,
    message_id: String,
    emoji: String,
}

#[derive(Debug, Deserialize)]
struct Since {
    #[serde(default)]
    chat: Option<String>,
    #[serde(default)]
    since: u64,
}

async fn post_message(
    State(sim): State<Sim>,
    body: Result<Json<PostMessage>, JsonRejection>,
) -> ApiResult {
    let Json(req) = body?;
    check_name("chat", &req.chat)?;
    check_name("user", &req.user)?;
    let text = req.text.trim_end().to_string();
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(bad(format!(
            "`text` must have 1 to {MAX_TEXT_CHARS} characters"
        )));
    }
    let message_id = {
        let mut world = sim.world();
        let mut changes = check_may_speak(&world, &req.chat, &req.user)?;
        if let Some(reply_to) = &req.reply_to {
            world
                .message(&req.chat, reply_to)
                .ok_or_else(|| not_found(format!("no message `{reply_to}` in `{}`", req.chat)))?;
        }
        let mut message = SimMessage::new(&req.chat, &req.user, text.clone());
        message.reply_to = req.reply_to.clone();
        let message = world.new_message(message)?;
        let id = message.id.clone();
        changes.push(Change::Message(message));
        // Kept before the event is offered to the journal: the id is the event's dedupe key,
        // so it must never be handed out again, even after a crash.
        world.commit(changes)?;
        id
    };
    let chat = sim.chat_ref(&req.chat);
    let message = Message {
        id: MessageRef {
            chat,
            id: message_id.clone(),
        },
        sender: user(&req.user),
        content: Content::Text(text),
        mentions: Vec::new(),
        reply_to: req.reply_to,
        sent_at: now_ms(),
    };
    let event_id = sim.accept(&message_id, message_or_command(message)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "event_id": event_id, "message_id": message_id })),
    ))
}

async fn post_click(
    State(sim): State<Sim>,
    body: Result<Json<PostClick>, JsonRejection>,
) -> ApiResult {
    let Json(req) = body?;
    check_name("chat", &req.chat)?;
    check_name("user", &req.user)?;
    {
        let world = sim.world();
        let message = world
            .message(&req.chat, &req.message_id)
            .filter(|m| !m.deleted)
            .ok_or_else(|| {
                not_found(format!("no message `{}` in `{}`", req.message_id, req.chat))
            })?;
        let has_button = message
            .keyboard
            .iter()
            .flatten()
            .flatten()
            .any(|b| b.callback.as_deref() == Some(req.data.as_str()));
        if !has_button {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "message `{}` has no button with data `{}`",
                    req.message_id, req.data
                ),
            ));
        }
    }
    let chat = sim.chat_ref(&req.chat);
    let click_id = format!("cb-{}-{}", now_ms(), rand::random::<u32>());
    let event = Event::Callback(Callback {
        id: click_id.clone(),
        message: Some(MessageRef {
            chat: chat.clone(),
            id: req.message_id,
        }),
        chat,
        user: user(&req.user),
        data: req.data,
    });
    let event_id = sim.accept(&click_id, event).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "event_id": event_id }))))
}

async fn post_join(
    State(sim): State<Sim>,
    body: Result<Json<Membership>, JsonRejection>,
) -> ApiResult {
    membership(sim, body, true).await
}

async fn post_leave(
    State(sim): State<Sim>,
    body: Result<Json<Membership>, JsonRejection>,
) -> ApiResult {
    membership(sim, body, false).await
}

async fn membership(
    sim: Sim,
    body: Result<Json<Membership>, JsonRejection>,
    join: bool,
) -> ApiResult {
    let Json(req) = body?;
    check_name("chat", &req.chat)?;
    check_name("user", &req.user)?;
    {
        let mut world = sim.world();
        let change = if join {
            let mut member = world.member(&req.chat, &req.user)?;
            member.kicked = false;
            Change::Member {
                chat: req.chat.clone(),
                member,
            }
        } else {
            world
                .existing_member(&req.chat, &req.user)
                .ok_or_else(|| not_found(format!("`{}` is not in `{}`", req.user, req.chat)))?;
            Change::Left {
                chat: req.chat.clone(),
                user: req.user.clone(),
            }
        };
        world.commit(vec![change])?;
    }
    let change = MemberChange {
        chat: sim.chat_ref(&req.chat),
        user: user(&req.user),
    };
    let event = if join {
        Event::MemberJoined(change)
    } else {
        Event::MemberLeft(change)
    };
    let key = format!(
        "{}-{}-{}-{}",
        if join { "join" } else { "leave" },
        req.chat,
        req.user,
        now_ms()
    );
    let event_id = sim.accept(&key, event).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "event_id": event_id }))))
}

async fn post_reaction(
    State(sim): State<Sim>,
    body: Result<Json<PostReaction>, JsonRejection>,
) -> ApiResult {
    let Json(req) = body?;
    check_name("chat", &req.chat)?;
    check_name("user", &req.user)?;
    if req.emoji.trim().is_empty() || req.emoji.chars().count() > 16 {
        return Err(bad("`emoji` must have 1 to 16 characters".into()));
    }
    let added = {
        let mut world = sim.world();
        let mut added = true;
        world.update(&req.chat, &req.message_id, |m| {
            let users = m.reactions.entry(req.emoji.clone()).or_default();
            added = users.insert(req.user.clone());
            if !added {
                users.remove(&req.user);
            }
            m.reactions.retain(|_, users| !users.is_empty());
        })?;
        added
    };
    let event = Event::Reaction(Reaction {
        message: MessageRef {
            chat: sim.chat_ref(&req.chat),
            id: req.message_id.clone(),
        },
        user: user(&req.user),
        emoji: req.emoji,
        added,
    });
    let key = format!("react-{}-{}", req.message_id, now_ms());
    let event_id = sim.accept(&key, event).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "event_id": event_id, "added": added })),
    ))
}

async fn get_timeline(
    State(sim): State<Sim>,
    query: Result<Query<Since>, QueryRejection>,
) -> ApiResult {
    let Query(q) = query?;
    let chat = q
        .chat
        .ok_or_else(|| bad("the `chat` query parameter is required".into()))?;
    let messages = sim.world().timeline_since(&chat, q.since);
    let next = messages.iter().map(|m| m.version).max().unwrap_or(q.since);
    Ok((
        StatusCode::OK,
        Json(json!({ "messages": messages, "next": next })),
    ))
}

async fn get_actions(
    State(sim): State<Sim>,
    query: Result<Query<Since>, QueryRejection>,
) -> ApiResult {
    let Query(q) = query?;
    let (actions, next) = {
        let world = sim.world();
        // Every record up to the newest was looked at, whichever chat it was in, so the next
        // poll need not look at another chat's records again.
        let next = world.last_record_seq().max(q.since);
        (world.records_since(q.chat.as_deref(), q.since), next)
    };
    Ok((
        StatusCode::OK,
        Json(json!({ "actions": actions, "next": next })),
    ))
}

async fn get_chats(State(sim): State<Sim>) -> ApiResult {
    let chats = sim.world().chats_json();
    Ok((StatusCode::OK, Json(json!({ "chats": chats }))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostRank {
    chat: String,
    user: String,
    /// `owner`, `admin` or `member`.
    rank: String,
}

/// `POST /sim/ranks {chat, user, rank}`: sets the user's rank, making them a member first if
/// they are not one.
async fn post_rank(
    State(sim): State<Sim>,
    body: Result<Json<PostRank>, JsonRejection>,
) -> ApiResult {
    let Json(req) = body?;
    check_name("chat", &req.chat)?;
    check_name("user", &req.user)?;
    let rank = match Rank::from_name(&req.rank) {
        Rank::Unknown => {
            return Err(bad(format!(
                "`rank` must be `owner`, `admin` or `member`, not `{}`",
                req.rank
            )))
        }
        rank => rank,
    };
    let mut world = sim.world();
    let mut member = world.member(&req.chat, &req.user)?;
    member.rank = rank;
    world.commit(vec![Change::Member {
        chat: req.chat.clone(),
        member: member.clone(),
    }])?;
    Ok((StatusCode::OK, Json(json!({ "member": member }))))
}

impl Sim {
    /// A sim chat: `dm:<user>` is a private chat with the bot, any other name a group.
    fn chat_ref(&self, chat: &str) -> ChatRef {
        let kind = if chat.starts_with("dm:") {
            ChatKind::Private
        } else {
            ChatKind::Group
        };
        ChatRef {
            platform: PLATFORM.into(),
            bot: self.bot.clone(),
            kind,
            id: chat.to_string(),
            guild: None,
        }
    }

    /// The rank of the event's sender in its chat, as a person set it on the page (`POST
    /// /sim/ranks`); `unknown` for someone not in it.
    fn rank_of(&self, event: &Event) -> Rank {
        let (Some(chat), Some(sender)) = (event.chat(), event.sender()) else {
            return Rank::Unknown;
        };
        self.world()
            .existing_member(&chat.id, &sender.id)
            .filter(|m| !m.kicked)
            .map_or(Rank::Unknown, |m| m.rank)
    }

    /// Offers an event to the journal, with its sender's rank in the chat as the world has it.
    async fn accept(&self, key: &str, event: Event) -> Result<String, ApiError> {
        let rank = self.rank_of(&event);
        let inbound = Inbound::received(self.bot.clone(), Some(key.to_string()), event, rank);
        let appended = self.ingress.accept(inbound).await?;
        Ok(format!("{}:{}", self.bot, appended.seq()))
    }
}

/// A muted or kicked user cannot post; posting joins a chat the user is not in (the change
/// that joins is returned, to commit with the message).
fn check_may_speak(world: &World, chat: &str, name: &str) -> Result<Vec<Change>, ApiError> {
    let Some(member) = world.existing_member(chat, name) else {
        let member = world.member(chat, name)?;
        return Ok(vec![Change::Member {
            chat: chat.to_string(),
            member,
        }]);
    };
    if member.kicked {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            format!("{name} was kicked from {chat}; join again first"),
        ));
    }
    if let Some(left) = member
        .muted_until_ms
        .and_then(|until| until.checked_sub(now_ms()))
        .filter(|ms| *ms > 0)
    {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            format!(
                "{name} is muted in {chat} for {} more seconds",
                left.div_ceil(1000)
            ),
        ));
    }
    Ok(Vec::new())
}

fn user(name: &str) -> UserRef {
    UserRef {
        id: name.to_string(),
        name: Some(name.to_string()),
        is_bot: false,
    }
}

/// Chat and user names: 1 to 64 of letters, digits, `-`, `_`, `.` and `:`.
fn check_name(field: &str, value: &str) -> Result<(), ApiError> {
    let ok = !value.is_empty()
        && value.chars().count() <= 64
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "`{field}` must be 1 to 64 letters, digits, `-`, `_`, `.` or `:`"
        )))
    }
}

fn bad(message: String) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message)
}

fn not_found(message: String) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, message)
}
