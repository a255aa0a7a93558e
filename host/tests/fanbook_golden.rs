//! Every inbound golden payload in `tests/golden/fanbook` becomes the expected neutral event:
//! kinds, ids exact as strings (18-digit snowflakes given as numbers and as strings),
//! mentions, command names and arguments, content, dedupe keys.

use wasmbot::adapter::fanbook::{decode_frame, decode_updates};
use wasmbot::model::{
    Callback, ChatKind, ChatRef, Command, Content, Event, Inbound, Media, MemberChange, Message,
    MessageRef, Reaction, UserRef,
};

const BOT: &str = "fb";
const GUILD: &str = "412870153862758400";
const CHANNEL: &str = "412870154013753345";
const ALI: &str = "388117934290821120";
const BOT_USER: &str = "455902781326258176";

fn golden(name: &str) -> String {
    let path = format!("{}/tests/golden/fanbook/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn chat(id: &str) -> ChatRef {
    ChatRef {
        platform: "fanbook".into(),
        bot: BOT.into(),
        kind: ChatKind::Group,
        id: id.into(),
        guild: Some(GUILD.into()),
    }
}

fn ali() -> UserRef {
    UserRef {
        id: ALI.into(),
        name: Some("阿梨".into()),
        is_bot: false,
    }
}

fn frame(name: &str) -> Inbound {
    decode_frame(BOT, &golden(name))
        .unwrap()
        .unwrap_or_else(|| panic!("{name} gave no event"))
}

fn message(chat: ChatRef, id: &str, content: Content, mentions: &[&str], sent_at: u64) -> Message {
    Message {
        id: MessageRef {
            chat,
            id: id.into(),
        },
        sender: ali(),
        content,
        mentions: mentions.iter().map(|m| m.to_string()).collect(),
        reply_to: None,
        sent_at,
    }
}

#[test]
fn long_poll_updates() {
    let (events, errors) = decode_updates(BOT, &golden("getupdates_response.json")).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 4);

    let text = message(
        chat(CHANNEL),
        "469231470855471104",
        Content::Text(format!("@{BOT_USER} 查询积分")),
        &[BOT_USER],
        1761905100000,
    );
    assert_eq!(events[0].event, Event::Message(text));
    assert_eq!(
        events[0].dedupe_key.as_deref(),
        Some("msg:469231470855471104")
    );
    assert_eq!(events[0].bot, BOT);

    let joined = MemberChange {
        chat: chat("412870154013753344"),
        user: UserRef {
            id: "470118822514081792".into(),
            name: Some("新来的".into()),
            is_bot: false,
        },
    };
    assert_eq!(events[1].event, Event::MemberJoined(joined));
    assert_eq!(
        events[1].dedupe_key.as_deref(),
        Some("msg:469231894126374914")
    );

    let reaction = Reaction {
        message: MessageRef {
            chat: chat(CHANNEL),
            id: "469231470855471104".into(),
        },
        user: ali(),
        emoji: "赞".into(),
        added: true,
    };
    assert_eq!(events[2].event, Event::Reaction(reaction));
    assert_eq!(
        events[2].dedupe_key.as_deref(),
        Some("msg:469231853370327040")
    );

    let dm = ChatRef {
        kind: ChatKind::Private,
        id: "469188025514110976".into(),
        guild: None,
        ..chat("")
    };
    assert_eq!(
        events[3].event,
        Event::Message(message(
            dm,
            "469232101003964416",
            Content::Text("帮助".into()),
            &[],
            1761905150000
        ))
    );
}

#[test]
fn callback_query_update() {
    let (events, errors) =
        decode_updates(BOT, &golden("getupdates_callback_query_unverified.json")).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let expected = Callback {
        id: "cbq-469232144762105856".into(),
        chat: chat(CHANNEL),
        user: ali(),
        message: Some(MessageRef {
            chat: chat(CHANNEL),
            id: "469231998016716800".into(),
        }),
        data: r#"confirm#>{"command":"confirm","order":8812}"#.into(),
    };
    assert_eq!(
        events,
        vec![Inbound {
            bot: BOT.into(),
            rank: Default::default(),
            dedupe_key: Some("callback:cbq-469232144762105856".into()),
            event: Event::Callback(expected),
            timer: None,
        }]
    );
}

#[test]
fn gateway_text_and_command() {
    let text = frame("ws_push_text.json");
    let expected = message(
        chat(CHANNEL),
        "469231470855471104",
        Content::Text(format!("@{BOT_USER} 查询积分")),
        &[BOT_USER],
        1761905100000,
    );
    assert_eq!(text.event, Event::Message(expected));
    // The same message by long poll and by gateway has the same dedupe key.
    assert_eq!(text.dedupe_key.as_deref(), Some("msg:469231470855471104"));

    let command = frame("ws_push_text_command.json");
    let message = message(
        chat(CHANNEL),
        "469231512231624704",
        Content::Text("/签到".into()),
        &[BOT_USER],
        1761905105000,
    );
    assert_eq!(
        command.event,
        Event::Command(Command {
            name: "签到".into(),
            args: String::new(),
            message
        })
    );
}

#[test]
fn gateway_media() {
    let media = |url: &str, name: Option<&str>| Media {
        url: url.into(),
        name: name.map(str::to_string),
        size: None,
    };
    let content = |name: &str| match frame(name).event {
        Event::Message(m) => {
            assert_eq!(m.id.chat, chat(CHANNEL));
            assert_eq!(m.sender, ali());
            m.content
        }
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(
        content("ws_push_image.json"),
        Content::Image(media("https://fb-cdn.fanbook.mobi/fanbook/app/files/chatroom/image/5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a.jpg", None))
    );
    assert_eq!(
        content("ws_push_video.json"),
        Content::Video(media(
            "https://fb-cdn-video.fanbook.mobi/fanbook/app/files/chatroom/video/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d.mp4",
            Some("51274-1761905110.mp4")
        ))
    );
    assert_eq!(
        content("ws_push_voice.json"),
        Content::Audio(media("https://fb-cdn-video.fanbook.mobi/fanbook/app/files/chatroom/audio/7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c.aac", None))
    );
    assert_eq!(
        content("ws_push_richtext.json"),
        Content::Markdown("**周报**\n\n本周完成 3 项".into())
    );
    match content("ws_push_topic_share.json") {
        Content::Other((kind, raw)) => {
            assert_eq!(kind, "topicShare");
            let raw: serde_json::Value = serde_json::from_str(&raw).unwrap();
            assert_eq!(raw["messageId"], "469231470855471104");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn gateway_reaction_join_and_quit() {
    let reaction = frame("ws_push_reaction.json");
    let expected = Reaction {
        message: MessageRef {
            chat: chat(CHANNEL),
            id: "469231470855471104".into(),
        },
        user: UserRef {
            name: None,
            ..ali()
        },
        emoji: "赞".into(),
        added: true,
    };
    assert_eq!(reaction.event, Event::Reaction(expected));
    assert_eq!(
        reaction.dedupe_key.as_deref(),
        Some("msg:469231853370327040")
    );

    let join = frame("ws_push_new_join.json");
    let user = UserRef {
        id: "470118822514081792".into(),
        name: Some("新来的".into()),
        is_bot: false,
    };
    assert_eq!(
        join.event,
        Event::MemberJoined(MemberChange {
            chat: chat("412870154013753344"),
            user
        })
    );
    assert_eq!(join.dedupe_key.as_deref(), Some("msg:469231894126374914"));

    let quit = frame("ws_guild_notice_user_quit.json");
    let user = UserRef {
        id: "470118822514081792".into(),
        name: None,
        is_bot: false,
    };
    assert_eq!(
        quit.event,
        Event::MemberLeft(MemberChange {
            chat: chat(GUILD),
            user
        })
    );
    assert_eq!(quit.dedupe_key, None);
}

#[test]
fn gateway_circle_events_are_other() {
    let like = frame("ws_circle_post_like.json");
    let Event::Other(other) = like.event else {
        panic!("{:?}", like.event)
    };
    assert_eq!(other.kind, "circle.post_like");
    assert_eq!(other.chat, Some(chat("412870154131193856")));
    let raw: serde_json::Value = serde_json::from_str(&other.raw).unwrap();
    assert_eq!(raw["post_id"], "468990127731703808");

    let post = frame("ws_circle_post_add.json");
    assert_eq!(
        post.dedupe_key.as_deref(),
        Some("circle-post:469232017590759424")
    );
    let Event::Other(other) = post.event else {
        panic!("{:?}", post.event)
    };
    assert_eq!(other.kind, "circle.post_add");
    assert_eq!(other.chat, Some(chat("412870154131193856")));
}

#[test]
fn heartbeats_garbage_and_unknown_kinds_never_fail_hard() {
    assert_eq!(
        decode_frame(BOT, &golden("ws_client_ping.json")).unwrap(),
        None
    );
    assert!(decode_frame(BOT, "not json").is_err());
    assert!(decode_frame(BOT, r#"{"action":"push","data":{"content":"{}"}}"#).is_err());
    let unknown = decode_frame(BOT, r#"{"action":"voiceRoom","data":{"x":1}}"#)
        .unwrap()
        .unwrap();
    assert!(
        matches!(&unknown.event, Event::Other(o) if o.kind == "voiceRoom" && o.raw == r#"{"x":1}"#)
    );

    let body = r#"{"ok":true,"result":[
        {"update_id": 1, "channel_post": {"message_id": "x1"}},
        {"update_id": 2, "poll": {"id": "p"}},
        {"update_id": 3, "channel_post": {"message_id": 469231470855471104, "chat": {"id": "412870154013753345"}, "text": "plain /not-a-command"}}
    ]}"#;
    let (events, errors) = decode_updates(BOT, body).unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(matches!(&events[0].event, Event::Other(o) if o.kind == "poll"));
    assert_eq!(events[0].dedupe_key.as_deref(), Some("update:2"));
    match &events[1].event {
        Event::Message(m) => {
            assert_eq!(m.content, Content::Text("plain /not-a-command".into()));
            assert_eq!(m.id.chat.guild, None);
        }
        other => panic!("{other:?}"),
    }
}
