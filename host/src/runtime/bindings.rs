//! The one place host bindings are generated from `wit/`.
//!
//! The platform-neutral model (`Event`, `ChatRef`, `Outgoing`, …) is these generated types: they
//! derive serde so the journal and outbox can store them, and adapters build them directly, so
//! the model is written once, in WIT.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: {
        "wasmbot:bot/moderation.get-member": async | trappable,
        "wasmbot:bot/moderation.list-roles": async | trappable,
        default: trappable,
    },
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use self::exports::wasmbot::bot::guest::{Manifest, Subscriptions};
pub use self::wasmbot::bot::types;
