//! A lane does not wait for the store before its next event: outcomes are committed behind it.
//! What an earlier event wrote must still be what the next one reads, even while the write is
//! not committed yet, and every effect must arrive once, in order.

use std::sync::Arc;
use std::time::Duration;

use crate::common::TestDaemon;

const CHATS: usize = 12;
const ROUNDS: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_event_reads_writes_not_committed_yet() {
    // One lane serves every chat, and writers in twelve chats keep the durable store busy, so
    // the lane runs ahead of its commits.
    let d = Arc::new(TestDaemon::start(&["kvtest"]).await);
    let writers: Vec<_> = (0..CHATS)
        .map(|c| {
            let d = d.clone();
            tokio::spawn(async move {
                let chat = format!("pipe{c}");
                for round in 0..ROUNDS {
                    d.say(&chat, "alice", &format!("/kvset {chat} {round}"))
                        .await;
                    d.say(&chat, "alice", &format!("/kvget {chat}")).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    for c in 0..CHATS {
        let chat = format!("pipe{c}");
        d.wait_for(&chat, Duration::from_secs(60), |actions| {
            actions.len() >= 2 * ROUNDS
        })
        .await;
        let replies = d.texts(&chat, "reply").await;
        let expected: Vec<String> = (0..ROUNDS)
            .flat_map(|round| ["ok".to_string(), round.to_string()])
            .collect();
        assert_eq!(replies, expected, "chat {chat}");
    }
    // The last commit's bookkeeping may trail its delivered reply by a moment.
    let start = std::time::Instant::now();
    loop {
        let status = d.daemon.router.status();
        let kvtest = status.iter().find(|s| s.name == "kvtest").unwrap();
        if (kvtest.backlog, kvtest.in_flight) == (0, 0) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "every event is finished once its reply is out: {kvtest:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
