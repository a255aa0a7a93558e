//! The one place host bindings are generated from `wit/`: the model's types, the host traits
//! `runtime` implements for each imported interface, and the export indices `runtime` calls
//! plugins through.
//!
//! The world is `host-world`: every import of `wasmbot:bot@0.1.0` and `@0.2.0`, and both versions'
//! `guest` export. A plugin exports one of them; `runtime::exports` looks up which, and
//! `command-guide` likewise. The model is the 0.1.0 types (what adapters, journal and outbox
//! speak); a 0.2 plugin's lean envelope is made from them at the call (`runtime::lean`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "host-world",
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
        "wasmbot:bot/platform.call": async | trappable,
        default: trappable,
    },
    exports: { default: async },
    // `wasi:http` (and the `wasi:io` it rests on) are wasmtime-wasi-http's, linked by it.
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::exports::wasmbot::bot0_1_0::guest::{Manifest, Subscriptions};
pub use self::wasmbot::bot0_1_0::types;
