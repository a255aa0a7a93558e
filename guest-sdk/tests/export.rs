//! The glue behind `export_plugin!`, driven natively (no host calls are made, so no Wasm needed).

use wasmbot_sdk::__private::{self, Failure, LeanEnvelope, Package, Slot};
use wasmbot_sdk::bindings::wasmbot::bot0_2_0::types as lean;
use wasmbot_sdk::prelude::*;
use wasmbot_sdk::{ChatKind, MessageDeleted};

/// Remembers what it saw; fails on a message saying "fail".
#[derive(Default)]
struct Probe {
    limit: u32,
    seen: Vec<String>,
}

impl Plugin for Probe {
    fn manifest(&self) -> Manifest {
        Manifest::new().version("9.9.9").kind(EventKind::Message)
    }

    fn init(&mut self, config: Value) -> Result<(), String> {
        self.limit = config.get("limit").and_then(Value::as_u64).unwrap_or(5) as u32;
        Ok(())
    }

    fn on_message(&mut self, message: Message) -> Result<(), Error> {
        if message.text() == Some("fail") {
            return Err(Error::Invalid("told to fail".into()));
        }
        // The chat's admins are marked: `standing()` is the current event's sender.
        let mark = if standing().is_admin() { "*" } else { "" };
        self.seen
            .push(format!("{mark}{}", message.text().unwrap_or_default()));
        Ok(())
    }

    fn on_message_deleted(&mut self, deleted: MessageDeleted) -> Result<(), Error> {
        self.seen.push(format!("deleted:{}", deleted.message.id));
        Ok(())
    }

    fn on_timer(&mut self, timer: Timer) -> Result<(), Error> {
        let chat = timer.chat.map(|chat| chat.key()).unwrap_or_default();
        self.seen.push(format!("timer:{}@{chat}", timer.key));
        Ok(())
    }

    fn save_state(&self) -> Option<Vec<u8>> {
        Some(format!("{}|{}", self.limit, self.seen.join(",")).into_bytes())
    }

    fn restore_state(&mut self, state: Vec<u8>) {
        self.seen = vec![format!("restored:{}", String::from_utf8_lossy(&state))];
    }
}

// Also proves the macro expands (and links) on the host target.
wasmbot_sdk::export_plugin!(Probe);

std::thread_local! {
    static PLUGIN: Slot<Probe> = const { Slot::new() };
}

const PACKAGE: Package = Package {
    name: "probe",
    version: "0.1.0",
    description: "A probe",
};

fn envelope(event: lean::Event) -> LeanEnvelope {
    envelope_from(event, Rank::Member)
}

fn envelope_from(event: lean::Event, rank: Rank) -> LeanEnvelope {
    LeanEnvelope {
        id: 1,
        bot: Some(lean::Bot {
            platform: "sim".into(),
            name: "main".into(),
        }),
        standing: Standing {
            rank,
            bot_admin: false,
        },
        event,
    }
}

fn chat() -> lean::Chat {
    lean::Chat {
        kind: ChatKind::Private,
        id: "u1".into(),
        guild: None,
    }
}

fn message_ref() -> lean::MessageRef {
    lean::MessageRef {
        chat: chat(),
        id: "m1".into(),
    }
}

fn message(text: &str) -> lean::Event {
    lean::Event::Message(lean::Message {
        id: message_ref(),
        sender: UserRef {
            id: "u1".into(),
            name: None,
            is_bot: false,
        },
        content: Content::Text(text.into()),
        mentions: Vec::new(),
        reply_to: None,
        sent_at: 0,
    })
}

#[test]
fn describe_fills_package_fields() {
    let manifest = __private::describe(&PLUGIN, &PACKAGE);
    assert_eq!(manifest.name, "probe");
    assert_eq!(manifest.version, "9.9.9");
    assert_eq!(manifest.description, "A probe");
    assert_eq!(manifest.subscriptions.kinds, [EventKind::Message]);
}

#[test]
fn init_parses_config_and_rejects_bad_json() {
    assert_eq!(__private::init(&PLUGIN, ""), Ok(()));
    assert_eq!(__private::init(&PLUGIN, r#"{"limit": 7}"#), Ok(()));
    let err = __private::init(&PLUGIN, "{").err();
    let Some(Failure::Config(err)) = err else {
        panic!("bad JSON is a config failure, got {err:?}");
    };
    assert!(err.starts_with("config is not valid JSON"), "{err}");
}

#[test]
fn handle_dispatches_and_reports_typed_failures() {
    assert_eq!(__private::init(&PLUGIN, r#"{"limit": 3}"#), Ok(()));
    assert_eq!(__private::handle(&PLUGIN, envelope(message("hi"))), Ok(()));
    let from_owner = envelope_from(message("boss"), Rank::Owner);
    assert_eq!(__private::handle(&PLUGIN, from_owner), Ok(()));
    let deleted = lean::Event::MessageDeleted(lean::MessageDeleted {
        message: message_ref(),
        by: None,
    });
    assert_eq!(__private::handle(&PLUGIN, envelope(deleted)), Ok(()));
    assert_eq!(
        __private::handle(&PLUGIN, envelope(message("fail"))),
        Err(Failure::Internal("invalid: told to fail".to_owned()))
    );
    let timer = lean::Event::Timer(lean::Timer {
        key: "nudge".into(),
        payload: String::new(),
        due_at: 5,
        fired_at: 6,
        chat: Some(chat()),
        scheduled: false,
    });
    assert_eq!(__private::handle(&PLUGIN, envelope(timer)), Ok(()));
    // Kinds the plugin does not handle fall through to the defaults.
    let other = lean::Event::Other(lean::OtherEvent {
        chat: None,
        kind: "x".into(),
        raw: "{}".into(),
    });
    assert_eq!(__private::handle(&PLUGIN, envelope(other)), Ok(()));

    let state = __private::save_state(&PLUGIN).unwrap_or_default();
    // The timer's lean chat came back whole: platform and bot from the envelope.
    assert_eq!(
        String::from_utf8_lossy(&state),
        "3|hi,*boss,deleted:m1,timer:nudge@sim:main:u1"
    );
    __private::restore_state(&PLUGIN, b"old".to_vec());
    let state = __private::save_state(&PLUGIN).unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&state), "3|restored:old");
}

/// Describes one command and names another without help.
#[derive(Default)]
struct Described;

impl Plugin for Described {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .command(CommandHelp::new("remind", "Posts TEXT later").arg("TEXT", "what to post"))
            .command("ping")
    }
}

std::thread_local! {
    static DESCRIBED: Slot<Described> = const { Slot::new() };
}

#[test]
fn the_command_guide_carries_the_manifests_help() {
    let manifest = __private::describe(&DESCRIBED, &PACKAGE);
    assert_eq!(manifest.subscriptions.commands, ["remind", "ping"]);
    let guide = __private::commands(&DESCRIBED, &PACKAGE);
    let described: Vec<(&str, &str, String)> = guide
        .iter()
        .map(|c| (c.name.as_str(), c.description.as_str(), c.usage()))
        .collect();
    assert_eq!(
        described,
        [
            ("remind", "Posts TEXT later", "/remind TEXT".to_owned()),
            ("ping", "", "/ping".to_owned())
        ]
    );
}
