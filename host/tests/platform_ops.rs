//! Every platform's own operations and message kinds, reached from `wasmbot call` and from a
//! plugin (`wasmbot:bot/platform`, fixture `platops`), against each platform's simulator:
//! method, path, credential placement, field names, types and enumeration values.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{overrides, TestDaemon};
use crate::webhook_sim::{Recorded, Sim};
use crate::{biliao_sim, minapp_sim, yunhu_sim};

const WAIT: Duration = Duration::from_secs(20);

/// Runs `wasmbot call` with `args`; returns success and stdout (JSON where it is JSON).
async fn call(config: &Path, args: &[&str]) -> (bool, Value) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wasmbot"))
        .arg("call")
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "error")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| json!({ "text": stdout, "stderr": stderr }));
    (out.status.success(), value)
}

fn config(dir: &tempfile::TempDir, bot: &str) -> std::path::PathBuf {
    let path = dir.path().join("wasmbot.toml");
    std::fs::write(&path, bot).unwrap();
    path
}

fn last(sim: &Sim, path: &str) -> Recorded {
    sim.to(path)
        .pop()
        .unwrap_or_else(|| panic!("no request to {path}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn biliao_operations_and_kinds_from_wasmbot_call() {
    let sim = biliao_sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &dir,
        &format!(
            "[[bots]]\nname = \"bl\"\nplatform = \"biliao\"\ntoken = \"{}\"\nbase_url = \"{}\"\n",
            biliao_sim::TOKEN,
            sim.base
        ),
    );

    let (ok, list) = call(&cfg, &["bl", "--list"]).await;
    let list = list["text"].as_str().unwrap_or_default().to_owned();
    assert!(ok, "{list}");
    for name in [
        "getme",
        "getgroup",
        "botapigetcommands",
        "deletemessage",
        "contact",
        "image",
        "POST /bot/getgroup",
        "{\"group_id\": \"string\"}",
    ] {
        assert!(list.contains(name), "--list lacks {name}: {list}");
    }
    assert!(
        list.contains("unsupported on biliao (refused as `unsupported`): react, pin"),
        "{list}"
    );

    let (ok, out) = call(&cfg, &["bl", "getme"]).await;
    assert!(ok, "{out}");
    assert_eq!(out["username"], "price_bot");
    let getme = last(&sim, "/bot/getme");
    assert_eq!((getme.method.as_str(), getme.json()), ("POST", json!({})));
    let bearer = format!("Bearer {}", biliao_sim::TOKEN);
    assert_eq!(getme.header("authorization"), Some(bearer.as_str()));
    assert!(getme.query.is_empty());

    let (ok, out) = call(&cfg, &["bl", "getgroup", r#"{"group_id": "group_20931"}"#]).await;
    assert!(ok, "{out}");
    assert_eq!(
        last(&sim, "/bot/getgroup").json(),
        json!({ "group_id": "group_20931" })
    );
    let (ok, out) = call(&cfg, &["bl", "getgroup", r#"{"group_id": {"x": 1}}"#]).await;
    assert!(
        !ok && out["error"]
            .as_str()
            .unwrap()
            .contains("`group_id` must be a string"),
        "{out}"
    );

    let (ok, out) = call(&cfg, &["bl", "botapigetcommands"]).await;
    assert!(ok, "{out}");
    assert_eq!(out["commands"][0]["command"], "start");

    let (ok, out) = call(
        &cfg,
        &[
            "bl",
            "deletemessage",
            r#"{"message_ids": ["msg_1", "msg_2"]}"#,
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(
        last(&sim, "/bot/deletemessage").json(),
        json!({ "message_ids": ["msg_1", "msg_2"] })
    );

    // Captions on every media kind: `content` beside the `file_id`.
    for kind in ["image", "video", "audio", "file"] {
        let args = json!({ "chat": "group_20931", "message": { "kind": kind, "fields": { "file_id": "file_77", "content": format!("{kind} 说明") } } });
        let (ok, out) = call(&cfg, &["bl", "send", &args.to_string()]).await;
        assert!(ok, "{kind}: {out}");
        assert_eq!(
            last(&sim, "/bot/sendmessage").json(),
            json!({ "group_id": "group_20931", "message_type": kind, "content": format!("{kind} 说明"), "file_id": "file_77" })
        );
    }
    // By URL: uploaded first, then sent with the caption.
    let args = json!({ "chat": "user_8c41d2", "kind": "private", "message": { "kind": "image", "fields": { "url": format!("{}/media/pic.png", sim.base), "content": "看图" } } });
    let (ok, out) = call(&cfg, &["bl", "send", &args.to_string()]).await;
    assert!(ok, "{out}");
    let uploaded = last(&sim, "/bot/uploadfile");
    assert!(uploaded
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data"));
    let sent = last(&sim, "/bot/sendmessage").json();
    assert_eq!(sent["target_user_id"], "user_8c41d2");
    assert_eq!(sent["content"], "看图");
    assert!(
        sent["file_id"].as_str().unwrap().starts_with("file_"),
        "{sent}"
    );

    let args = json!({ "chat": "group_20931", "message": { "kind": "contact", "fields": { "user_id": "user_5512" } } });
    let (ok, out) = call(&cfg, &["bl", "send", &args.to_string()]).await;
    assert!(ok, "{out}");
    assert_eq!(
        last(&sim, "/bot/sendmessage").json(),
        json!({ "group_id": "group_20931", "message_type": "contact", "file_id": "user_5512" })
    );

    let (ok, out) = call(&cfg, &["bl", "frobnicate"]).await;
    assert!(!ok);
    let text = out["stderr"].as_str().unwrap_or_default();
    assert!(
        text.contains("getme") && text.contains("deletemessage") && text.contains("send"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minapp_kinds_and_lists_from_wasmbot_call() {
    let sim = minapp_sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &dir,
        &format!(
            "[[bots]]\nname = \"mp\"\nplatform = \"minapp\"\nsecret = \"{}\"\nbase_url = \"{}\"\n",
            minapp_sim::SECRET,
            sim.base
        ),
    );
    let room = "R:10696051996154312";
    let send = |fields: Value| json!({ "chat": room, "message": fields }).to_string();
    let kinds = [
        json!({ "kind": "markdown_v2", "fields": { "content": "| a | b |\n|---|---|\n| 1 | 2 |" } }),
        json!({ "kind": "text", "fields": { "content": "值班提醒", "mentioned_mobile_list": ["13800001111", "@all"] } }),
        json!({ "kind": "template_card", "fields": { "card_type": "text_notice", "main_title": { "title": "发布", "desc": "v1.2" }, "card_action": { "type": 1, "url": "https://example.com/r" } } }),
        json!({ "kind": "template_card", "fields": { "card_type": "news_notice", "main_title": { "title": "周报" }, "card_image": { "url": "https://example.com/p.png", "aspect_ratio": 1.3 }, "card_action": { "type": 2, "appid": "wx123", "pagepath": "pages/index" } } }),
        json!({ "kind": "miniprogram", "fields": { "appid": "wx8d1c", "title": "打卡", "page_path": "pages/a" } }),
    ];
    for message in &kinds {
        let (ok, out) = call(&cfg, &["mp", "send", &send(message.clone())]).await;
        assert!(ok, "{message}: {out}");
        let sent = last(&sim, "/api/send");
        assert_eq!(sent.method, "POST");
        assert_eq!(
            sent.query.get("secret").map(String::as_str),
            Some(minapp_sim::SECRET)
        );
        assert_eq!(
            sent.query.get("conversation_id").map(String::as_str),
            Some(room)
        );
        let kind = message["kind"].as_str().unwrap();
        assert_eq!(
            sent.json(),
            json!({ "msgtype": kind, kind: message["fields"] }),
            "{message}"
        );
    }
    // WeCom's rules, checked before anything is sent.
    let before = sim.to("/api/send").len();
    for (bad, why) in [
        (
            json!({ "kind": "template_card", "fields": { "card_type": "text_notice", "main_title": { "title": "x" } } }),
            "card_action.type",
        ),
        (
            json!({ "kind": "template_card", "fields": { "card_type": "news_notice", "card_action": { "type": 1, "url": "u" } } }),
            "card_image.url",
        ),
        (
            json!({ "kind": "template_card", "fields": { "card_type": "vote", "card_action": { "type": 1, "url": "u" } } }),
            "text_notice or news_notice",
        ),
        (
            json!({ "kind": "markdown_v2", "fields": { "content": "长".repeat(1400) } }),
            "4096",
        ),
        (
            json!({ "kind": "voice", "fields": {} }),
            "valid: text, markdown_v2",
        ),
        (
            json!({ "content": { "File": { "url": "https://example.com/a.pdf", "name": null, "size": null } }, "keyboard": null, "mentions": [] }),
            "media_id",
        ),
    ] {
        let (ok, out) = call(&cfg, &["mp", "send", &send(bad.clone())]).await;
        assert!(!ok, "{bad}");
        assert!(
            out["error"].as_str().unwrap_or_default().contains(why),
            "{bad}: {out}"
        );
    }
    assert_eq!(
        sim.to("/api/send").len(),
        before,
        "nothing invalid was sent"
    );

    let (ok, out) = call(&cfg, &["mp", "groups"]).await;
    assert!(ok, "{out}");
    assert_eq!(out[0]["conversation_id"], room);
    let groups = last(&sim, "/api/groups");
    assert_eq!(groups.method, "GET");
    assert_eq!(
        groups.query.get("secret").map(String::as_str),
        Some(minapp_sim::SECRET)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yunhu_tags_boards_streams_and_mentions_from_wasmbot_call() {
    let sim = yunhu_sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &dir,
        &format!(
            "[[bots]]\nname = \"yh\"\nplatform = \"yunhu\"\ntoken = \"{}\"\nbase_url = \"{}\"\n",
            yunhu_sim::TOKEN,
            sim.base
        ),
    );
    let post = |sim: &Sim, path: &str| {
        let r = last(sim, path);
        assert_eq!(r.method, "POST", "{path}");
        assert_eq!(
            r.query.get("token").map(String::as_str),
            Some(yunhu_sim::TOKEN),
            "{path}"
        );
        r.json()
    };
    let cases = [
        (
            "group/tag/create",
            json!({ "groupId": "735241830", "tag": "值班", "color": "#FF0000", "desc": "本周", "sort": 1 }),
        ),
        (
            "group/tag/edit",
            json!({ "groupId": "735241830", "tagId": 12, "newTag": "夜班", "color": "#00FF00" }),
        ),
        (
            "group/tag/delete",
            json!({ "groupId": "735241830", "tag": "夜班" }),
        ),
        (
            "group/msg-type-limit",
            json!({ "groupId": "735241830", "type": "text,image" }),
        ),
        (
            "bot/board-all",
            json!({ "contentType": "markdown", "content": "**公告**", "expireTime": 0 }),
        ),
    ];
    for (op, args) in &cases {
        let (ok, out) = call(&cfg, &["yh", op, &args.to_string()]).await;
        assert!(ok, "{op}: {out}");
        assert_eq!(
            &post(&sim, &format!("/{op}")),
            args,
            "{op} goes as the platform's own body"
        );
    }
    // The official SDK sends memberId always, "" for the whole chat.
    let (ok, out) = call(&cfg, &["yh", "bot/board", r#"{"chatId": "735241830", "chatType": "group", "contentType": "text", "content": "值班", "expireTime": 1900000000}"#]).await;
    assert!(ok, "{out}");
    assert_eq!(
        post(&sim, "/bot/board"),
        json!({ "chatId": "735241830", "chatType": "group", "memberId": "", "contentType": "text", "content": "值班", "expireTime": 1_900_000_000 })
    );
    // Types are checked; a misspelt field is refused, not dropped.
    for (op, args, why) in [
        (
            "group/tag/edit",
            json!({ "groupId": "735241830", "tagId": "twelve" }),
            "`tagId` must be an integer",
        ),
        (
            "group/tag/delete",
            json!({ "groupId": "735241830" }),
            "`tagId`",
        ),
        (
            "group/tag/create",
            json!({ "groupId": "735241830", "tag": "x", "colour": "red" }),
            "no field `colour`",
        ),
    ] {
        let (ok, out) = call(&cfg, &["yh", op, &args.to_string()]).await;
        assert!(!ok, "{op}");
        assert!(
            out["error"].as_str().unwrap_or_default().contains(why),
            "{op}: {out}"
        );
    }
    let (ok, out) = call(
        &cfg,
        &[
            "yh",
            "bot/messages",
            r#"{"chat-id": "735241830", "chat-type": "group", "before": 5}"#,
        ],
    )
    .await;
    assert!(ok, "{out}");
    let history = last(&sim, "/bot/messages");
    assert_eq!(history.method, "GET");
    assert_eq!(
        history.query.get("chat-id").map(String::as_str),
        Some("735241830")
    );
    assert_eq!(
        history.query.get("chat-type").map(String::as_str),
        Some("group")
    );
    assert_eq!(history.query.get("before").map(String::as_str), Some("5"));

    // A stream: one chunked request, the reply's parent in the query.
    let args = json!({ "chat": "735241830", "reply_to": "m-41", "message": { "kind": "stream", "fields": { "chunks": ["正在", "生成", "……完成"], "markdown": true } } });
    let (ok, out) = call(&cfg, &["yh", "send", &args.to_string()]).await;
    assert!(ok, "{out}");
    assert!(
        out["message_id"].as_str().unwrap().starts_with("sent-"),
        "{out}"
    );
    let stream = last(&sim, "/bot/send-stream");
    let query = |k: &str| stream.query.get(k).cloned();
    assert_eq!(query("recvId").as_deref(), Some("735241830"));
    assert_eq!(query("recvType").as_deref(), Some("group"));
    assert_eq!(query("contentType").as_deref(), Some("markdown"));
    assert_eq!(query("parentId").as_deref(), Some("m-41"));
    assert_eq!(stream.text(), "正在生成……完成");

    // A mention: `@Name` + U+200B in the text, the id in `at`; no parentId when not a reply.
    let args = json!({ "chat": "735241830", "message": { "kind": "text", "fields": { "text": "请查看", "mentions": [{ "id": "4417203", "name": "小周" }] } } });
    let (ok, out) = call(&cfg, &["yh", "send", &args.to_string()]).await;
    assert!(ok, "{out}");
    assert_eq!(
        post(&sim, "/bot/send"),
        json!({ "recvId": "735241830", "recvType": "group", "contentType": "text", "content": { "text": "@小周\u{200b} 请查看", "at": ["4417203"] } })
    );
}

/// A Biliao group message carrying `text`, as the webhook posts it.
fn biliao_message(n: u32, text: &str) -> Value {
    let path = format!(
        "{}/tests/golden/biliao/event_group_message.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    body["message_id"] = json!(format!("msg_{n}"));
    body["content"] = json!(text);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_reaches_own_operations_and_kinds_through_the_platform_interface() {
    let sim = biliao_sim::start().await;
    let bot = biliao_sim::bot(&sim, &[("auto_answer_ms", toml::Value::Integer(0))]);
    let d = TestDaemon::start_config(&["platops"], move |c| {
        c.bots.push(bot);
        c.plugins.push(overrides("platops", |p| {
            p.grants.interfaces = vec!["platform".into()];
        }));
    })
    .await;
    d.wait_for_plugin("platops", None, WAIT).await;
    let replies = |sim: &Sim| -> Vec<Value> {
        sim.to("/bot/sendmessage")
            .iter()
            .map(Recorded::json)
            .collect()
    };

    for (n, text) in [
        (1, "/ops"),
        (2, r#"/op getgroup {"group_id": "group_20931"}"#),
        (3, r#"/kind contact {"user_id": "user_5512"}"#),
        (4, r#"/kind image {"file_id": "file_9", "content": "截图"}"#),
        (5, "/op getgroup {}"),
        (6, r#"/kind sticker {}"#),
    ] {
        let (status, body) = d.post("/hooks/bl", biliao_message(n, text)).await;
        assert_eq!(status, 200, "{text}: {body}");
    }
    let sent = sim
        .wait_for(WAIT, |rs| {
            rs.iter().filter(|r| r.path == "/bot/sendmessage").count() >= 6
        })
        .await;
    assert!(!sent.is_empty());
    let all = replies(&sim);
    let text_of = |prefix: &str| {
        all.iter()
            .filter_map(|b| b["content"].as_str())
            .find(|t| t.starts_with(prefix))
            .unwrap_or_else(|| panic!("no reply starting {prefix}: {all:?}"))
            .to_owned()
    };
    assert_eq!(
        text_of("ops:"),
        "ops:getme,getgroup,botapigetcommands,botapisetcommands,deletemessage;kinds:image,video,audio,file,contact"
    );
    assert!(text_of("result:").contains("运维交流"));
    assert_eq!(
        last(&sim, "/bot/getgroup").json(),
        json!({ "group_id": "group_20931" })
    );
    assert!(
        all.iter().any(|b| b["message_type"] == "contact"
            && b["file_id"] == "user_5512"
            && b["reply_to_id"] == "msg_3"),
        "{all:?}"
    );
    assert!(
        all.iter().any(|b| b["message_type"] == "image"
            && b["file_id"] == "file_9"
            && b["content"] == "截图"),
        "{all:?}"
    );
    let errors: Vec<String> = all
        .iter()
        .filter_map(|b| b["content"].as_str())
        .filter(|t| t.starts_with("error:"))
        .map(str::to_owned)
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`getgroup` needs `group_id`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("content kind `sticker` cannot be sent here")),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_interface_needs_its_grant() {
    let sim = biliao_sim::start().await;
    let bot = biliao_sim::bot(&sim, &[("auto_answer_ms", toml::Value::Integer(0))]);
    let d = TestDaemon::start_config(&["platops"], move |c| c.bots.push(bot)).await;
    d.wait_for_plugin("platops", None, WAIT).await;
    let (status, _) = d.post("/hooks/bl", biliao_message(1, "/op getme")).await;
    assert_eq!(status, 200);
    let sent = sim
        .wait_json("/bot/sendmessage", WAIT, |b| {
            b["content"]
                .as_str()
                .is_some_and(|t| t.starts_with("error:"))
        })
        .await;
    let text = sent.json()["content"].as_str().unwrap().to_owned();
    assert!(text.contains("interfaces = [\"platform\"]"), "{text}");
    assert!(
        sim.to("/bot/getme").is_empty(),
        "nothing reached the platform"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanbook_methods_from_wasmbot_call_with_the_seeds_verbs_and_types() {
    use crate::fanbook_sim::FanbookSim;
    const TOKEN: &str = "fbops-token-3d9a";
    let sim = FanbookSim::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &dir,
        &format!("[[bots]]\nname = \"fb\"\nplatform = \"fanbook\"\ntoken = \"{TOKEN}\"\nbase_url = \"{}\"\n", sim.base),
    );
    let (ok, list) = call(&cfg, &["fb", "--list"]).await;
    let list = list["text"].as_str().unwrap_or_default().to_owned();
    assert!(ok, "{list}");
    for name in [
        "getMessage",
        "message/getList",
        "guild/role",
        "v2/guild/role#delete",
        "getMyCommands",
        "robot/setGuildNick",
        "guild/emoji",
        "interaction/message_card/click",
        "v2/circle/info",
        "guild/notification/send",
        "channel/list",
        "getGuildCredit",
        "PUT /api/bot/{token}/guild/role",
    ] {
        assert!(list.contains(name), "--list lacks {name}: {list}");
    }

    let last = |method: &str| {
        sim.calls(method)
            .pop()
            .unwrap_or_else(|| panic!("no {method}"))
    };
    // (operation, args, verb, body as the seed types it)
    let cases = [
        (
            "getMessage",
            json!({ "chat_id": "412870154013753345", "message_id": 495447611042430976u64 }),
            "POST",
            json!({ "chat_id": 412870154013753345u64, "message_id": 495447611042430976u64 }),
        ),
        (
            "robot/setGuildNick",
            json!({ "guild_Id": "390438216731197440", "nickname": "值班机器人" }),
            "POST",
            json!({ "guild_Id": "390438216731197440", "bot_id": crate::fanbook_sim::BOT_ID.to_string(), "nickname": "值班机器人" }),
        ),
        (
            "guild/role",
            json!({ "guild_id": "390438216731197440", "name": "VIP", "hoist": true, "color": 16711680 }),
            "PUT",
            json!({ "guild_id": "390438216731197440", "name": "VIP", "hoist": true, "color": 16711680 }),
        ),
        (
            "v2/guild/role#patch",
            json!({ "guild_id": "390438216731197440", "id": "503100000000000001", "permissions": 0, "name": "SVIP" }),
            "PATCH",
            json!({ "guild_id": "390438216731197440", "id": "503100000000000001", "permissions": 0, "name": "SVIP" }),
        ),
        (
            "v2/guild/role#delete",
            json!({ "guild_id": "390438216731197440", "id": "503100000000000001" }),
            "DELETE",
            json!({ "guild_id": "390438216731197440", "id": "503100000000000001" }),
        ),
        (
            "getRoleMembers",
            json!({ "guild_id": "390438216731197440", "role_id": "462126193571790848", "size": 100 }),
            "POST",
            json!({ "guild_id": 390438216731197440u64, "role_id": 462126193571790848u64, "size": 100 }),
        ),
        (
            "v2/checkUserGuilds",
            json!({ "user_id": "91142882827837440", "guilds": ["390438216731197440", 239729082814693376u64] }),
            "POST",
            json!({ "user_id": 91142882827837440u64, "guilds": [390438216731197440u64, 239729082814693376u64] }),
        ),
        (
            "interaction/message_card/click",
            json!({ "key": "slot-1", "channel_id": "412870154013753345", "message_id": "495447611042430976" }),
            "POST",
            json!({ "key": "slot-1", "channel_id": "412870154013753345", "message_id": "495447611042430976" }),
        ),
        (
            "v2/guild/members",
            json!({ "guild_id": "239729082814693376", "channel_id": "0", "user_id": "91142882827837440", "ranges": [{ "start": 0, "end": 99 }] }),
            "POST",
            json!({ "guild_id": "239729082814693376", "channel_id": "0", "user_id": "91142882827837440", "ranges": [{ "start": 0, "end": 99 }] }),
        ),
        (
            "v2/circle/info",
            json!({ "guild_id": "390438216731197440" }),
            "POST",
            json!({ "guild_id": 390438216731197440u64 }),
        ),
        (
            "guild/notification/send",
            json!({ "users": ["91142882827837440"], "guild_id": "390438216731197440", "text": "维护通知" }),
            "POST",
            json!({ "users": ["91142882827837440"], "guild_id": "390438216731197440", "text": "维护通知" }),
        ),
    ];
    for (op, args, verb, body) in &cases {
        let (ok, out) = call(&cfg, &["fb", op, &args.to_string()]).await;
        assert!(ok, "{op}: {out}");
        let method = op.split('#').next().unwrap();
        let r = last(method);
        assert_eq!(r.token, TOKEN, "{op}: the token is a path segment");
        assert_eq!(r.verb, *verb, "{op}");
        assert_eq!(&r.body, body, "{op}");
    }
    // GET methods take their fields in the query.
    let (ok, out) = call(
        &cfg,
        &["fb", "guild/emoji", r#"{"guild_id": "390438216731197440"}"#],
    )
    .await;
    assert!(ok, "{out}");
    let emoji = last("guild/emoji");
    assert_eq!(emoji.verb, "GET");
    assert_eq!(emoji.query.as_deref(), Some("guild_id=390438216731197440"));
    let (ok, out) = call(&cfg, &["fb", "getMyCommands"]).await;
    assert!(ok && out[0]["command"] == "start", "{out}");
    assert_eq!(last("getMyCommands").verb, "GET");
    // `message/getList` is a form, and answers in its own envelope.
    let (ok, out) = call(
        &cfg,
        &[
            "fb",
            "message/getList",
            r#"{"channel_id": "413613404125659136", "size": "20", "behavior": "before"}"#,
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(out[0]["message_id"], "495447611042430976");
    let list = last("message/getList");
    assert_eq!(list.verb, "POST");
    assert!(
        list.headers
            .get("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")),
        "{:?}",
        list.headers
    );
    assert_eq!(
        list.body,
        json!({ "channel_id": "413613404125659136", "size": "20", "behavior": "before" })
    );
    // A notice gets a nonce; enumerations are checked.
    let (ok, out) = call(
        &cfg,
        &[
            "fb",
            "sendNotication",
            r#"{"channel_type": "1", "to_user_id": "91142882827837440", "content": "任务"}"#,
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert!(last("sendNotication").body["nonce"]
        .as_str()
        .is_some_and(|n| n.parse::<u64>().is_ok()));
    for (op, args, why) in [
        (
            "sendNotication",
            json!({ "channel_type": "3", "to_user_id": "1", "content": "x" }),
            "\"1\" or \"2\"",
        ),
        (
            "message/getList",
            json!({ "channel_id": "1", "behavior": "around" }),
            "before or after",
        ),
        (
            "getMessage",
            json!({ "chat_id": "abc", "message_id": 1 }),
            "`chat_id` must be an integer",
        ),
        (
            "v2/guild/role#patch",
            json!({ "guild_id": "1", "id": "2" }),
            "`permissions`",
        ),
    ] {
        let (ok, out) = call(&cfg, &["fb", op, &args.to_string()]).await;
        assert!(!ok, "{op}");
        assert!(
            out["error"].as_str().unwrap_or_default().contains(why),
            "{op}: {out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanbook_send_options_rich_text_and_cards_as_message_kinds() {
    use crate::fanbook_sim::FanbookSim;
    const TOKEN: &str = "fbkinds-token-71c0";
    let sim = FanbookSim::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &dir,
        &format!("[[bots]]\nname = \"fb\"\nplatform = \"fanbook\"\ntoken = \"{TOKEN}\"\nbase_url = \"{}\"\n", sim.base),
    );
    let channel = "412870154013753345";
    let send = |kind: &str, fields: Value, reply_to: Option<&str>| {
        let mut args = json!({ "chat": channel, "message": { "kind": kind, "fields": fields } });
        if let Some(r) = reply_to {
            args["reply_to"] = json!(r);
        }
        args.to_string()
    };
    let last = || sim.calls("sendMessage").pop().expect("a sendMessage").body;

    let (ok, out) = call(&cfg, &["fb", "send", &send("text", json!({ "text": "${@&462126193571790848} 集合", "desc": "集合", "ephemeral": true, "users": ["all"], "entity": 1, "unreactive": 1, "mention_roles": ["462126193571790848"], "reply_to_message_id_level_2": "495447611042430977" }), Some("495447611042430976"))]).await;
    assert!(ok, "{out}");
    assert_eq!(
        last(),
        json!({ "chat_id": 412870154013753345u64, "text": "${@&462126193571790848} 集合", "desc": "集合", "ephemeral": true, "users": ["all"], "entity": 1, "unreactive": 1,
                "mention_roles": ["462126193571790848"], "reply_to_message_id": 495447611042430976u64, "reply_to_message_id_level_2": 495447611042430977u64 })
    );
    let (ok, out) = call(&cfg, &["fb", "send", &send("text", json!({ "text": "仅提及者可见", "selective": true, "mentions": ["91142882827837440"] }), None)]).await;
    assert!(ok, "{out}");
    assert_eq!(
        last(),
        json!({ "chat_id": 412870154013753345u64, "text": "仅提及者可见", "selective": true, "mentions": ["91142882827837440"] })
    );

    let ops = json!([{ "insert": "第一段\n" }, { "insert": { "source": "https://example.com/a.png", "width": 100, "height": 80, "_type": "image", "_inline": false } }]);
    let (ok, out) = call(
        &cfg,
        &[
            "fb",
            "send",
            &send(
                "richText",
                json!({ "title": "周报", "document": ops, "desc": "周报" }),
                None,
            ),
        ],
    )
    .await;
    assert!(ok, "{out}");
    let body = last();
    assert_eq!(body["parse_mode"], "Fanbook");
    assert_eq!(body["desc"], "周报");
    let doc: Value = serde_json::from_str(body["text"].as_str().unwrap()).unwrap();
    assert_eq!(doc["type"], "richText");
    assert_eq!(doc["title"], "周报");
    let delta: Value = serde_json::from_str(
        doc["document"]
            .as_str()
            .expect("the document is a JSON string"),
    )
    .unwrap();
    assert_eq!(delta, ops);

    let widget = json!({ "tag": "text", "data": "活动通知" });
    let (ok, out) = call(&cfg, &["fb", "send", &send("messageCard", json!({ "data": widget, "notification": "活动", "come_from_name": "值班机器人", "come_from_icon": "https://example.com/i.png" }), None)]).await;
    assert!(ok, "{out}");
    let card: Value = serde_json::from_str(last()["text"].as_str().unwrap()).unwrap();
    assert_eq!(card["type"], "messageCard");
    assert_eq!(card["come_from_name"], "值班机器人");
    assert_eq!(card["come_from_icon"], "https://example.com/i.png");
    assert_eq!(
        serde_json::from_str::<Value>(card["data"].as_str().unwrap()).unwrap(),
        widget,
        "data is double-encoded"
    );

    let before = sim.calls("sendMessage").len();
    for (kind, fields, why) in [
        (
            "text",
            json!({ "text": "x", "ephemeral": true }),
            "needs `users`",
        ),
        (
            "text",
            json!({ "text": "x", "users": ["all"] }),
            "only with `ephemeral: true`",
        ),
        ("text", json!({ "text": "x", "unreactive": 2 }), "0 or 1"),
        (
            "text",
            json!({ "text": "x", "selective": "yes" }),
            "true or false",
        ),
        ("poll", json!({}), "valid: text, richText, messageCard"),
    ] {
        let (ok, out) = call(&cfg, &["fb", "send", &send(kind, fields.clone(), None)]).await;
        assert!(!ok, "{fields}");
        assert!(
            out["error"].as_str().unwrap_or_default().contains(why),
            "{fields}: {out}"
        );
    }
    assert_eq!(sim.calls("sendMessage").len(), before);
}
