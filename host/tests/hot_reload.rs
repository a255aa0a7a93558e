//! Hot reload under a steady stream of events: replacing, adding and deleting a `.wasm` drops
//! nothing and handles nothing twice; a corrupt file leaves the old version serving.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{install, plugin, TestDaemon};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_add_delete_under_load_loses_nothing() {
    let d = Arc::new(TestDaemon::start(&["recorder"]).await);
    // A steady stream that runs until told to stop, so it spans the reload however long that takes.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poster = {
        let (d, stop) = (d.clone(), stop.clone());
        tokio::spawn(async move {
            let mut sent = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                d.say("stream", "alice", &format!("{sent}")).await;
                sent += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            sent
        })
    };
    // Replace recorder v1 by v2 while the stream runs, and add echo beside it.
    tokio::time::sleep(Duration::from_millis(150)).await;
    install(&plugin("recorder-v2"), &d.plugins_dir.join("recorder.wasm"));
    install(&plugin("echo"), &d.plugins_dir.join("echo.wasm"));
    d.wait_for_plugin("recorder", Some("2.0.0"), WAIT).await;
    d.wait_for_plugin("echo", None, WAIT).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let total = poster.await.unwrap();

    let actions = d.wait_for("stream", WAIT, |a| a.len() >= total).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let actions_after = d.actions("stream").await;
    assert_eq!(
        actions.len(),
        actions_after.len(),
        "late duplicates appeared"
    );
    let mut seen: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut versions = Vec::new();
    for a in &actions_after {
        let text = a["text"].as_str().unwrap();
        let (version, n) = text.split_once(':').unwrap();
        seen.entry(n.parse().unwrap())
            .or_default()
            .push(version.to_string());
        versions.push(version.to_string());
    }
    let missing: Vec<usize> = (0..total).filter(|i| !seen.contains_key(i)).collect();
    let doubled: Vec<(&usize, &Vec<String>)> = seen.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(
        missing.is_empty(),
        "events lost across the reload: {missing:?}"
    );
    assert!(doubled.is_empty(), "events handled twice: {doubled:?}");
    let first_v2 = versions
        .iter()
        .position(|v| v == "v2")
        .expect("v2 served some events");
    assert!(
        versions[first_v2..].iter().all(|v| v == "v2"),
        "v1 served after v2 took over"
    );
    assert!(first_v2 > 0, "v1 served the first events");

    // Delete: the recorder stops, echo keeps serving.
    std::fs::remove_file(d.plugins_dir.join("recorder.wasm")).unwrap();
    let start = std::time::Instant::now();
    while d
        .daemon
        .router
        .status()
        .iter()
        .any(|p| p.name == "recorder")
    {
        assert!(start.elapsed() < WAIT, "recorder was not unloaded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    d.say("after", "alice", "/echo still here").await;
    let after = d.wait_for("after", WAIT, |a| !a.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = if after.len() == 1 {
        d.actions("after").await
    } else {
        after
    };
    let texts: Vec<&str> = after.iter().filter_map(|x| x["text"].as_str()).collect();
    assert_eq!(
        texts,
        vec!["still here"],
        "only echo answers once the recorder is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_wasm_keeps_the_old_version_serving() {
    let d = TestDaemon::start(&["recorder"]).await;
    d.say("c", "alice", "before").await;
    d.wait_for("c", WAIT, |a| a.len() == 1).await;

    let target = d.plugins_dir.join("recorder.wasm");
    let mut garbage = std::fs::read(plugin("recorder-v2")).unwrap();
    garbage.truncate(garbage.len() / 2);
    std::fs::write(&target, &garbage).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    d.say("c", "alice", "after").await;
    let actions = d.wait_for("c", WAIT, |a| a.len() == 2).await;
    assert_eq!(actions[1]["text"], "v1:after");
    assert_eq!(d.daemon.router.status()[0].version, "1.0.0");

    // A fixed file is picked up.
    install(&plugin("recorder-v2"), &target);
    d.wait_for_plugin("recorder", Some("2.0.0"), WAIT).await;
    d.say("c", "alice", "fixed").await;
    let actions = d.wait_for("c", WAIT, |a| a.len() == 3).await;
    assert_eq!(actions[2]["text"], "v2:fixed");
}

/// A deploy that deletes the file and copies the new one later: the plugin catches up on what
/// it missed in between, from where it stopped, instead of starting at the newest event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_deleted_and_put_back_gets_the_events_it_missed() {
    let d = TestDaemon::start(&["recorder"]).await;
    d.say("c", "alice", "before").await;
    d.wait_for("c", WAIT, |a| a.len() == 1).await;

    let target = d.plugins_dir.join("recorder.wasm");
    std::fs::remove_file(&target).unwrap();
    let start = std::time::Instant::now();
    while !d.daemon.router.status().is_empty() {
        assert!(start.elapsed() < WAIT, "the recorder was not unloaded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for i in 1..=5 {
        d.say("c", "alice", &format!("gap{i}")).await;
    }
    install(&plugin("recorder-v2"), &target);
    d.wait_for_plugin("recorder", Some("2.0.0"), WAIT).await;

    let actions = d.wait_for("c", WAIT, |a| a.len() >= 6).await;
    let texts: Vec<&str> = actions.iter().filter_map(|a| a["text"].as_str()).collect();
    assert_eq!(
        texts,
        [
            "v1:before",
            "v2:gap1",
            "v2:gap2",
            "v2:gap3",
            "v2:gap4",
            "v2:gap5"
        ]
    );
}
