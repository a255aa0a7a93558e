//! Every golden webhook payload of Yunhu, Biliao and minapp parses to the expected `Event`, and
//! the unsupported-operation matrix of the three adapters (capabilities and `deliver` agree).

use serde_json::{json, Value};
use wasmbot::adapter::webhook::Parsed;
use wasmbot::adapter::{biliao, minapp, yunhu, Adapter, AdapterError};
use wasmbot::config::{BotConfig, Secret};
use wasmbot::model::{Action, CallbackAnswer};
use wasmbot::model::{
    Callback, Card, ChatKind, ChatRef, Command, Content, Event, Media, MemberChange, Message,
    MessageRef, Operation, OtherEvent, Outgoing, UserRef,
};

fn golden(platform: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/golden/{platform}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn chat(platform: &str, bot: &str, kind: ChatKind, id: &str) -> ChatRef {
    ChatRef {
        platform: platform.into(),
        bot: bot.into(),
        kind,
        id: id.into(),
        guild: None,
    }
}

fn yh(name: &str) -> Parsed {
    yunhu::parse_webhook("yh", golden("yunhu", name)).unwrap()
}

const GROUP: &str = "604715283";
const SENDER: &str = "5280193";

fn yh_group() -> ChatRef {
    chat("yunhu", "yh", ChatKind::Group, GROUP)
}

fn yh_private(user: &str) -> ChatRef {
    chat("yunhu", "yh", ChatKind::Private, user)
}

fn qingning() -> UserRef {
    UserRef {
        id: SENDER.into(),
        name: Some("青柠".into()),
        is_bot: false,
    }
}

/// The message of a Yunhu golden message event (asserting it is one, with the usual sender).
fn yh_message(name: &str) -> Message {
    let parsed = yh(name);
    let Event::Message(m) = parsed.event else {
        panic!("{name}: {:?}", parsed.event)
    };
    assert_eq!(m.sender, qingning(), "{name}");
    assert!(parsed.dedupe_key.is_some_and(|k| k.len() == 32), "{name}");
    m
}

#[test]
fn yunhu_messages_parse() {
    let m = yh_message("event_message_receive_normal.json");
    assert_eq!(
        m,
        Message {
            id: MessageRef {
                chat: yh_group(),
                id: "c0ffee11aa22bb33cc44dd55ee66ff77".into()
            },
            sender: qingning(),
            content: Content::Text("@巡检助手\u{200b} 今天的值班表发一下".into()),
            mentions: vec!["38261437".into()],
            reply_to: None,
            sent_at: 1_761_905_100_000,
        }
    );
    // A private chat is the sender's, not the bot's id that Yunhu puts in chatId.
    let private = yh_message("event_message_receive_normal_private_text.json");
    assert_eq!(
        (private.id.chat, private.content),
        (yh_private(SENDER), Content::Text("你好".into()))
    );
    let reply = yh_message("event_message_receive_normal_reply.json");
    assert_eq!(
        reply.reply_to.as_deref(),
        Some("7f8e9d0c1b2a39485766554433221100")
    );

    let image = yh_message("event_message_receive_normal_image.json");
    let Content::Image(Media { url, name, .. }) = image.content else {
        panic!()
    };
    assert!(
        url.starts_with("https://chat-storage1.jwznb.com/9a8b7c6d"),
        "{url}"
    );
    assert_eq!(
        name.as_deref(),
        Some("9a8b7c6d5e4f30211203948576abcdef.png")
    );
    assert_eq!(
        yh_message("event_message_receive_normal_video.json").content,
        Content::Video(Media {
            url: "https://chat-video1.jwznb.com/5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b.mp4".into(),
            name: None,
            size: None
        })
    );
    assert_eq!(
        yh_message("event_message_receive_normal_file.json").content,
        Content::File(Media {
            url: "https://chat-file.jwznb.com/3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f".into(),
            name: Some("值班表-11月.xlsx".into()),
            size: Some(18342)
        })
    );
    let audio = yh_message("event_message_receive_normal_audio.json");
    assert_eq!(audio.id.chat, yh_private(SENDER));
    assert_eq!(
        audio.content,
        Content::Audio(Media {
            url: "https://chat-audio1.jwznb.com/6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d.m4a".into(),
            name: None,
            size: None
        })
    );
    assert_eq!(
        yh_message("event_message_receive_normal_markdown.json").content,
        Content::Markdown("## 日报\n- 已完成: 3\n- 进行中: **2**".into())
    );
    assert_eq!(
        yh_message("event_message_receive_normal_html.json").content,
        Content::Html("<p>构建 <b>#512</b> 成功</p>".into())
    );
    assert_eq!(
        yh_message("event_message_receive_normal_expression.json").content,
        Content::Sticker("88412".into())
    );
    assert_eq!(
        yh_message("event_message_receive_normal_post.json").content,
        Content::Card(Card {
            title: "本周发布说明".into(),
            body: "# v1.4\n修复若干问题".into(),
            url: None,
            image: None
        })
    );
}

#[test]
fn yunhu_instructions_and_forms_parse() {
    let Event::Command(Command {
        name,
        args,
        message,
    }) = yh("event_message_receive_instruction.json").event
    else {
        panic!()
    };
    assert_eq!((name.as_str(), args.as_str()), ("值班", "周五"));
    assert_eq!(message.id.chat, yh_group());
    assert_eq!(message.content, Content::Text("/值班 周五".into()));

    let Event::Command(form) = yh("event_message_receive_instruction_form.json").event else {
        panic!()
    };
    assert_eq!(form.name, "报修");
    assert_eq!(form.message.id.chat, yh_private(SENDER));
    let values: Value = serde_json::from_str(&form.args).unwrap();
    assert_eq!(
        values,
        json!({ "kqzmfe": "打印机卡纸", "wbnhxs": "三楼东侧", "pldoqa": "中", "tzrvyc": "行政", "gmxuie": true, "ahsjek": ["邮件"] })
    );
    assert!(matches!(&form.message.content, Content::Other((kind, _)) if kind == "form"));

    // Production sloppiness: no avatar, null labels, `at` as a string.
    let mut sloppy = golden("yunhu", "event_message_receive_instruction_form.json");
    sloppy["event"]["sender"]
        .as_object_mut()
        .unwrap()
        .remove("senderAvatarUrl");
    sloppy["event"]["message"]["content"]["formJson"]["kqzmfe"]["label"] = Value::Null;
    let Event::Command(c) = yunhu::parse_webhook("yh", sloppy).unwrap().event else {
        panic!()
    };
    assert_eq!(
        serde_json::from_str::<Value>(&c.args).unwrap()["kqzmfe"],
        "打印机卡纸"
    );
    let mut at = golden("yunhu", "event_message_receive_normal.json");
    at["event"]["message"]["content"]["at"] = json!("38261437,5280193");
    let Event::Message(m) = yunhu::parse_webhook("yh", at).unwrap().event else {
        panic!()
    };
    assert_eq!(m.mentions, vec!["38261437", "5280193"]);
}

#[test]
fn yunhu_notices_parse() {
    let member = |id: &str| UserRef {
        id: id.into(),
        name: Some("小周".into()),
        is_bot: false,
    };
    assert_eq!(
        yh("event_bot_followed.json").event,
        Event::BotFollowed(MemberChange {
            chat: yh_private("7731046"),
            user: member("7731046")
        })
    );
    assert_eq!(
        yh("event_bot_unfollowed.json").event,
        Event::BotUnfollowed(MemberChange {
            chat: yh_private("7731046"),
            user: member("7731046")
        })
    );
    assert_eq!(
        yh("event_group_join.json").event,
        Event::MemberJoined(MemberChange {
            chat: yh_group(),
            user: member("7731046")
        })
    );
    assert_eq!(
        yh("event_group_leave.json").event,
        Event::MemberLeft(MemberChange {
            chat: yh_group(),
            user: member("7731046")
        })
    );
    assert_eq!(
        yh("event_button_report_inline.json").event,
        Event::Callback(Callback {
            id: "c6d7e8f90a1b2c3d4e5f60718293a4b5".into(),
            chat: yh_group(),
            user: UserRef {
                id: SENDER.into(),
                name: None,
                is_bot: false
            },
            message: Some(MessageRef {
                chat: yh_group(),
                id: "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091".into()
            }),
            data: "approve:ticket-881".into(),
        })
    );
    let other = |name: &str| match yh(name).event {
        Event::Other(OtherEvent { chat, kind, raw }) => {
            (chat, kind, serde_json::from_str::<Value>(&raw).unwrap())
        }
        e => panic!("{name}: {e:?}"),
    };
    let (chat, kind, raw) = other("event_bot_shortcut_menu.json");
    assert_eq!(
        (chat, kind.as_str()),
        (Some(yh_group()), "bot.shortcut.menu")
    );
    assert_eq!(raw["event"]["menuId"], "K7Q2M9XA");
    let (chat, kind, _) = other("event_bot_setting.json");
    assert_eq!((chat, kind.as_str()), (Some(yh_group()), "bot.setting"));
    let (chat, kind, raw) = other("event_a2ui_button_report.json");
    assert_eq!(
        (chat, kind.as_str()),
        (Some(yh_group()), "a2ui.button.report")
    );
    assert_eq!(raw["event"]["formContext"]["title"], "打印机卡纸");
    let (chat, kind, _) = other("event_message_receive_normal_tip.json");
    assert_eq!((chat, kind.as_str()), (Some(yh_group()), "group.tip"));
    let (chat, kind, _) = match yunhu::parse_webhook(
        "yh",
        json!({ "header": { "eventId": "x", "eventType": "brand.new" }, "event": {} }),
    )
    .unwrap()
    .event
    {
        Event::Other(o) => (o.chat, o.kind, o.raw),
        e => panic!("{e:?}"),
    };
    assert_eq!((chat, kind.as_str()), (None, "brand.new"));
}

fn bl(name: &str) -> Parsed {
    biliao::parse_webhook("bl", golden("biliao", name)).unwrap()
}

#[test]
fn biliao_events_parse() {
    let lin = UserRef {
        id: "user_8c41d2".into(),
        name: Some("林一".into()),
        is_bot: false,
    };
    let group = chat("biliao", "bl", ChatKind::Group, "group_20931");
    let private = bl("event_private_message.json");
    assert_eq!(
        private.dedupe_key.as_deref(),
        Some("private_message:user_8c41d2:msg_5f0a9c31"),
        "a message id is keyed within its chat"
    );
    let Event::Command(start) = private.event else {
        panic!()
    };
    assert_eq!((start.name.as_str(), start.args.as_str()), ("start", ""));
    assert_eq!(
        start.message.id.chat,
        chat("biliao", "bl", ChatKind::Private, "user_8c41d2")
    );
    assert_eq!(start.message.sender, lin);
    assert_eq!(
        start.message.sent_at, 1_761_905_100_000,
        "seconds become milliseconds"
    );
    assert_eq!(
        bl("event_group_message.json").event,
        Event::Message(Message {
            id: MessageRef {
                chat: group.clone(),
                id: "msg_5f0a9c32".into()
            },
            sender: lin.clone(),
            content: Content::Text("@price_bot BTC".into()),
            mentions: vec![],
            reply_to: None,
            sent_at: 1_761_905_100_000,
        })
    );
    let click = bl("event_callback_query.json");
    assert_eq!(
        click.dedupe_key.as_deref(),
        Some("callback_query:cb_user_8c41d2_7e21a9b0")
    );
    assert_eq!(
        click.event,
        Event::Callback(Callback {
            id: "cb_user_8c41d2_7e21a9b0".into(),
            chat: group.clone(),
            user: lin,
            message: Some(MessageRef {
                chat: group.clone(),
                id: "msg_5f0a9c40".into()
            }),
            data: "confirm".into(),
        })
    );
    let joined = bl("event_member_joined.json");
    assert!(joined.dedupe_key.is_some());
    assert_eq!(
        joined.event,
        Event::MemberJoined(MemberChange {
            chat: group,
            user: UserRef {
                id: "user_99ab01".into(),
                name: Some("新人".into()),
                is_bot: false
            }
        })
    );
}

fn mn(name: &str) -> Result<Parsed, wasmbot::adapter::webhook::HookError> {
    let mut body = golden("minapp", name);
    body["secret"] = json!("s3cret");
    minapp::parse_webhook("mn", &Secret::new("s3cret"), body)
}

#[test]
fn minapp_events_parse_and_check_the_secret() {
    let room = chat("minapp", "mn", ChatKind::Group, "R:10696051996154312");
    let message = |name: &str| {
        let parsed = mn(name).unwrap();
        assert_eq!(parsed.dedupe_key, None, "minapp gives no event ids");
        let Event::Message(m) = parsed.event else {
            panic!("{name}")
        };
        assert_eq!(
            (m.id.chat.clone(), m.sender.id.as_str()),
            (room.clone(), "wxid_k3m9p2q8r7")
        );
        m
    };
    assert_eq!(
        message("event_text.json").content,
        Content::Text("今天几点开会".into())
    );
    assert_eq!(
        message("event_link.json").content,
        Content::Card(Card {
            title: "季度总结".into(),
            body: String::new(),
            url: Some("https://example.com/q3".into()),
            image: None
        })
    );
    let Content::Other((kind, raw)) = message("event_image.json").content else {
        panic!()
    };
    assert_eq!(
        (
            kind.as_str(),
            serde_json::from_str::<Value>(&raw).unwrap()["cdn_type"].as_str()
        ),
        ("image", Some("2"))
    );
    let Content::Other((kind, raw)) = message("event_miniprogram.json").content else {
        panic!()
    };
    assert_eq!(
        (
            kind.as_str(),
            serde_json::from_str::<Value>(&raw).unwrap()["appid"].as_str()
        ),
        ("miniprogram", Some("wx1234567890abcdef"))
    );
    let a = message("event_text.json");
    let b = message("event_text.json");
    assert_ne!(a.id.id, b.id.id, "each message gets its own id");

    let forged = minapp::parse_webhook(
        "mn",
        &Secret::new("s3cret"),
        golden("minapp", "event_text.json"),
    );
    assert!(matches!(
        forged,
        Err(wasmbot::adapter::webhook::HookError::Forbidden)
    ));
}

// ---- the unsupported matrix ----

fn config(platform: &str) -> BotConfig {
    BotConfig {
        name: "b".into(),
        platform: platform.into(),
        token: Some(Secret::new("t")),
        secret: Some(Secret::new("s")),
        // Nothing listens there: a supported operation fails with a transport error, an
        // unsupported one never tries.
        base_url: Some("http://127.0.0.1:9".into()),
        options: toml::Table::new(),
        register_commands: false,
        rate_limit: None,
        admins: Vec::new(),
    }
}

fn actions(platform: &str) -> Vec<Action> {
    let chat = chat(platform, "b", ChatKind::Group, "g");
    let target = MessageRef {
        chat: chat.clone(),
        id: "m".into(),
    };
    let message = Outgoing {
        content: Content::Text("x".into()),
        keyboard: None,
        mentions: vec![],
    };
    let (u, r) = ("u".to_string(), "r".to_string());
    vec![
        Action::Send {
            handle: "h".into(),
            chat: chat.clone(),
            message: message.clone(),
            reply_to: None,
        },
        Action::Send {
            handle: "h".into(),
            chat: chat.clone(),
            message: message.clone(),
            reply_to: Some("m".into()),
        },
        Action::Edit {
            target: target.clone(),
            message,
        },
        Action::Delete {
            target: target.clone(),
        },
        Action::React {
            target: target.clone(),
            emoji: "👍".into(),
        },
        Action::AnswerCallback {
            chat: chat.clone(),
            callback_id: "c".into(),
            answer: CallbackAnswer {
                text: None,
                alert: false,
                url: None,
            },
        },
        Action::Pin {
            target: target.clone(),
        },
        Action::Unpin { target },
        Action::AddRole {
            chat: chat.clone(),
            user_id: u.clone(),
            role_id: r.clone(),
        },
        Action::RemoveRole {
            chat: chat.clone(),
            user_id: u.clone(),
            role_id: r,
        },
        Action::Mute {
            chat: chat.clone(),
            user_id: u.clone(),
            seconds: 60,
        },
        Action::Unmute {
            chat: chat.clone(),
            user_id: u.clone(),
        },
        Action::Kick { chat, user_id: u },
    ]
}

/// What each platform supports, as the fact sheets say.
fn expected(platform: &str) -> Vec<Operation> {
    use Operation::*;
    match platform {
        "yunhu" => vec![
            Send, Reply, Edit, Delete, AddRole, RemoveRole, Mute, Unmute, Kick, ListRoles,
        ],
        "biliao" => vec![Send, Reply, Edit, Delete, AnswerCallback, Mute, Unmute],
        "minapp" => vec![Send, Reply],
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn the_unsupported_matrix_holds_for_all_three() {
    let ctx_stop = tokio_util::sync::CancellationToken::new();
    let adapters: Vec<Box<dyn Adapter>> = vec![
        Box::new(yunhu::Yunhu::from_config(&config("yunhu")).unwrap()),
        Box::new(biliao::Biliao::from_config(&config("biliao"), ctx_stop).unwrap()),
        Box::new(minapp::Minapp::from_config(&config("minapp")).unwrap()),
    ];
    for adapter in &adapters {
        let platform = adapter.platform().to_string();
        let mut caps = adapter.capabilities().to_vec();
        caps.sort_by_key(|o| o.name());
        let mut want = expected(&platform);
        want.sort_by_key(|o| o.name());
        assert_eq!(caps, want, "{platform}");
        for action in actions(&platform) {
            let op = action.operation();
            let result = adapter.deliver(&action).await;
            match result {
                Err(AdapterError::Unsupported {
                    platform: p,
                    operation,
                }) => {
                    assert!(
                        !want.contains(&op),
                        "{platform} says {} is unsupported but lists it",
                        op.name()
                    );
                    assert_eq!((p.as_str(), operation), (platform.as_str(), op.name()));
                }
                other => assert!(
                    want.contains(&op),
                    "{platform} {}: expected unsupported, got {other:?}",
                    op.name()
                ),
            }
        }
        let chat = chat(&platform, "b", ChatKind::Group, "g");
        for (op, result) in [
            (
                Operation::GetMember,
                adapter.get_member(&chat, "u").await.map(drop),
            ),
            (
                Operation::ListRoles,
                adapter.list_roles(&chat).await.map(drop),
            ),
        ] {
            let unsupported = matches!(result, Err(AdapterError::Unsupported { .. }));
            assert_eq!(
                unsupported,
                !want.contains(&op),
                "{platform} {}: {result:?}",
                op.name()
            );
        }
    }
}
