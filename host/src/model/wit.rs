//! The one place host bindings are generated from `wit/`: the model's types, the host traits
//! `runtime` implements for each imported interface, and the export indices `runtime` calls
//! plugins through.

wasmtime::component::bindgen!({
    path: "../wit",
    // The largest world: the host provides every interface, Fanbook's included (its calls
    // answer `unsupported` off Fanbook). `command-guide` is looked up per plugin (see
    // `runtime::exports`), so components of the smaller worlds link as well.
    world: "fanbook-plugin",
    imports: {
        "wasmbot:bot/moderation.get-member": async | trappable,
        "wasmbot:bot/moderation.list-roles": async | trappable,
        "wasmbot:bot/fanbook.list-channels": async | trappable,
        "wasmbot:bot/fanbook.edit-channel": async | trappable,
        "wasmbot:bot/fanbook.search-members": async | trappable,
        "wasmbot:bot/fanbook.send-guild-notice": async | trappable,
        "wasmbot:bot/fanbook.recall-guild-notice": async | trappable,
        "wasmbot:bot/fanbook.get-credits": async | trappable,
        "wasmbot:bot/fanbook.set-credit": async | trappable,
        "wasmbot:bot/fanbook.remove-credit": async | trappable,
        "wasmbot:bot/fanbook.list-invites": async | trappable,
        "wasmbot:bot/fanbook.invite-info": async | trappable,
        "wasmbot:bot/fanbook.list-circle-posts": async | trappable,
        "wasmbot:bot/fanbook.get-circle-post": async | trappable,
        "wasmbot:bot/fanbook.delete-circle-post": async | trappable,
        default: trappable,
    },
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::exports::wasmbot::bot::guest::{Manifest, Subscriptions};
pub use self::wasmbot::bot::types;
