//! Host functions called directly, without Wasm (as Spin tests its host components): the
//! grants, the platform's capabilities, message ownership, the kv quota and the help
//! directory, against the real sim adapter and the in-memory store.

use std::sync::Arc;

use crate::adapter::sim::Sim;
use crate::adapter::{Adapter, Adapters};
use crate::config::{Config, Grants};
use crate::journal::Ingress;
use crate::model::wit::wasmbot::bot0_1_0::{help, kv, messaging, moderation};
use crate::model::{ChatRef, Error, MessageRef, PluginHelp};
use crate::runtime::state::{HostServices, HostState};
use crate::runtime::PluginDirectory;
use crate::store::{Indexed, MemoryStore, MessageKey, Store};
use crate::test_fixtures::{sim_chat as chat, text};

/// A plugin's host state on a sim bot `sim`, handling an event of chat `here`.
struct Fixture {
    state: HostState,
    _data: tempfile::TempDir,
}

fn fixture(plugin: &str, grants: Grants) -> Fixture {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let data = tempfile::tempdir().unwrap();
    let ingress = Ingress::new(store.clone()).unwrap();
    let sim: Arc<dyn Adapter> = Arc::new(Sim::new("sim", ingress, data.path()).unwrap());
    let adapters = Adapters::new([("sim".to_string(), sim)].into());
    let services = HostServices::new(store, Arc::new(adapters));
    let limits = Config::default().limits_for(plugin);
    let mut state = HostState::new(plugin.into(), services, Arc::new(grants), limits);
    state.scope.chat = Some(chat("here"));
    Fixture { state, _data: data }
}

fn grants(edit: impl FnOnce(&mut Grants)) -> Grants {
    let mut grants = Grants::default();
    edit(&mut grants);
    grants
}

#[test]
fn sending_elsewhere_needs_a_chat_grant() {
    let mut f = fixture("p", Grants::default());
    let here = messaging::Host::send(&mut f.state, chat("here"), text("hi")).unwrap();
    assert!(here.is_ok(), "{here:?}");
    let there = messaging::Host::send(&mut f.state, chat("there"), text("hi")).unwrap();
    assert!(matches!(there, Err(Error::Denied(_))), "{there:?}");

    let mut f = fixture("p", grants(|g| g.chats = vec!["there".into()]));
    let there = messaging::Host::send(&mut f.state, chat("there"), text("hi")).unwrap();
    assert!(there.is_ok(), "{there:?}");
    assert_eq!(f.state.scope.actions.len(), 1, "the send is buffered");
}

#[test]
fn moderation_needs_its_operation_granted_and_the_platform_to_have_it() {
    let mute = |f: &mut Fixture| {
        moderation::Host::mute(&mut f.state, chat("here"), "bob".into(), 60).unwrap()
    };
    let mut f = fixture("p", Grants::default());
    assert!(matches!(mute(&mut f), Err(Error::Denied(_))));
    let mut f = fixture("p", grants(|g| g.operations = vec!["mute".into()]));
    assert_eq!(mute(&mut f), Ok(()));

    let mut f = fixture("p", grants(|g| g.platforms = vec!["fanbook".into()]));
    let sent = messaging::Host::send(&mut f.state, chat("here"), text("hi")).unwrap();
    assert!(
        matches!(sent, Err(Error::Denied(_))),
        "platform grant: {sent:?}"
    );

    let mut other_bot = chat("here");
    other_bot.bot = "nobody".into();
    let mut f = fixture("p", grants(|g| g.chats = vec!["*".into()]));
    let sent = messaging::Host::send(&mut f.state, other_bot, text("hi")).unwrap();
    assert!(
        matches!(sent, Err(Error::Invalid(_))),
        "no such bot: {sent:?}"
    );
}

#[test]
fn a_plugin_edits_its_own_messages_but_not_another_plugins() {
    let mut f = fixture("echo", Grants::default());
    let handle = messaging::Host::send(&mut f.state, chat("here"), text("v1"))
        .unwrap()
        .unwrap();
    assert!(handle.starts_with("wb.echo."), "{handle}");
    let own = MessageRef {
        chat: chat("here"),
        id: handle,
    };
    let edited = messaging::Host::edit(&mut f.state, own, text("v2")).unwrap();
    assert_eq!(edited, Ok(()));

    let mut other = fixture("other", Grants::default());
    let theirs = other.state.services.mint_handle("echo");
    let delivered = Indexed {
        platform_id: Some("m7".into()),
        owner: Some("echo".into()),
    };
    let key = MessageKey::of(&chat("here"), &theirs);
    other
        .state
        .services
        .store
        .index_message(key, delivered)
        .unwrap();
    let edit = MessageRef {
        chat: chat("here"),
        id: theirs,
    };
    let denied = messaging::Host::edit(&mut other.state, edit, text("x")).unwrap();
    assert!(matches!(denied, Err(Error::Denied(_))), "{denied:?}");
}

#[test]
fn kv_writes_count_against_the_quota_until_committed() {
    let mut f = fixture("p", grants(|g| g.kv_quota_bytes = Some(100)));
    let set = |f: &mut Fixture, key: &str, bytes: usize| {
        kv::Host::set(&mut f.state, key.into(), vec![0; bytes]).unwrap()
    };
    assert_eq!(set(&mut f, "a", 60), Ok(()));
    assert!(
        matches!(set(&mut f, "b", 60), Err(Error::Denied(_))),
        "60 buffered + 61 new > 100"
    );
    assert_eq!(kv::Host::delete(&mut f.state, "a".into()).unwrap(), Ok(()));
    assert_eq!(set(&mut f, "b", 60), Ok(()), "a delete frees its bytes");
    assert_eq!(
        kv::Host::get(&mut f.state, "b".into()).unwrap(),
        Ok(Some(vec![0; 60])),
        "reads see buffered writes"
    );
    assert!(matches!(set(&mut f, "", 1), Err(Error::Invalid(_))));
}

/// A directory of two plugins, whatever the chat.
struct TwoPlugins;

impl PluginDirectory for TwoPlugins {
    fn plugins_for(&self, chat: Option<&ChatRef>) -> Vec<PluginHelp> {
        let about = chat.map_or("anywhere".to_owned(), |c| c.id.clone());
        ["a", "b"]
            .map(|name| PluginHelp {
                name: name.into(),
                description: about.clone(),
                commands: vec![],
            })
            .to_vec()
    }
}

#[test]
fn help_asks_the_directory_for_the_current_chat() {
    let mut f = fixture("help", Grants::default());
    assert!(
        help::Host::plugins(&mut f.state).unwrap().is_empty(),
        "no directory yet"
    );
    f.state.services.set_directory(Arc::new(TwoPlugins));
    let listed = help::Host::plugins(&mut f.state).unwrap();
    let seen: Vec<(&str, &str)> = listed
        .iter()
        .map(|p| (p.name.as_str(), p.description.as_str()))
        .collect();
    assert_eq!(seen, [("a", "here"), ("b", "here")]);
}

/// The `timers` interface.
mod timers;
