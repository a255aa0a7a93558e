//! Fault injection against the platform simulators: the `driver` plugin sends numbered messages
//! in several chats at once while the simulator's fault layer answers a seeded share of the
//! send requests with 5xx, 429 + `Retry-After` (seconds or an HTTP date), the platform's own
//! rate-limit reply in a 200, stalls past the client's timeout, resets, malformed 200s, slow
//! answers and lost answers. Every action must reach the platform, in order per chat, exactly
//! once apart from a resend after each lost answer, and every `Retry-After` must be honoured.
//! The plan, the driving and the assertions are shared (`fault_harness`); each platform is a
//! small part of it. Run with `--nocapture` for the figures; set `FAULT_SEED` to replay another
//! fault sequence.

use crate::fault_harness::{
    biliao::Biliao, check_platform, fanbook::Fanbook, minapp::Minapp, yunhu::Yunhu,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn biliao_delivers_every_action_once_and_in_order_under_faults() {
    check_platform(Biliao::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yunhu_delivers_every_action_once_and_in_order_under_faults() {
    check_platform(Yunhu::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minapp_delivers_every_action_once_and_in_order_under_faults() {
    check_platform(Minapp::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanbook_delivers_every_action_once_and_in_order_under_faults() {
    check_platform(Fanbook::start().await).await;
}
