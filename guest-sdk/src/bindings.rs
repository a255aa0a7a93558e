//! The generated guest bindings: the only place `wit_bindgen::generate!` runs.
//!
//! Plugin authors never name anything in here; the SDK re-exports the model types under clean
//! names and wraps every import in a typed function. The module stays public (and hidden) only
//! because `export_plugin!` expands to paths inside it in the plugin's crate.
#![allow(unsafe_code, missing_docs, missing_debug_implementations, clippy::all)]

#[cfg(not(feature = "fanbook"))]
wit_bindgen::generate!({
    path: "../wit",
    // The core world plus the `command-guide` export, so `/help` can describe commands.
    world: "described-plugin",
    // The export macro must be callable from plugin crates (through `export_plugin!`).
    pub_export_macro: true,
    generate_all,
    export_macro_name: "__export_world",
    default_bindings_module: "wasmbot_sdk::bindings",
    // Hash/Eq so refs can key maps; serde so plugins can keep refs in kv or saved state.
    additional_derives: [PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize],
    // `wasi:io`'s stream error holds a resource, which has none of them.
    additional_derives_ignore: ["stream-error"],
});

// The same, plus Fanbook's own interface (the `fanbook` feature).
#[cfg(all(feature = "fanbook", not(feature = "platform")))]
wit_bindgen::generate!({
    path: "../wit",
    world: "fanbook-plugin",
    pub_export_macro: true,
    generate_all,
    export_macro_name: "__export_world",
    default_bindings_module: "wasmbot_sdk::bindings",
    additional_derives: [PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize],
    // `wasi:io`'s stream error holds a resource, which has none of them.
    additional_derives_ignore: ["stream-error"],
});

// The same, plus every platform's own operations (the `platform` feature).
#[cfg(feature = "platform")]
wit_bindgen::generate!({
    path: "../wit",
    world: "platform-plugin",
    pub_export_macro: true,
    generate_all,
    export_macro_name: "__export_world",
    default_bindings_module: "wasmbot_sdk::bindings",
    additional_derives: [PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize],
    // `wasi:io`'s stream error holds a resource, which has none of them.
    additional_derives_ignore: ["stream-error"],
});
