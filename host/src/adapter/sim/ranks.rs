//! A person on the sim page makes a user a chat's owner, admin or plain member, so standing
//! and the commands restricted by it can be tried without a platform.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::api::{bad, check_name, ApiResult};
use super::world::Change;
use super::Sim;
use crate::model::{Event, Rank};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PostRank {
    chat: String,
    user: String,
    /// `owner`, `admin` or `member`.
    rank: String,
}

/// `POST /sim/ranks {chat, user, rank}`: sets the user's rank, making them a member first if
/// they are not one.
pub(super) async fn post_rank(
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
    /// The rank of the event's sender in its chat; `unknown` for someone not in it.
    pub(super) fn rank_of(&self, event: &Event) -> Rank {
        let (Some(chat), Some(sender)) = (event.chat(), event.sender()) else {
            return Rank::Unknown;
        };
        self.world()
            .existing_member(&chat.id, &sender.id)
            .filter(|m| !m.kicked)
            .map_or(Rank::Unknown, |m| m.rank)
    }
}
