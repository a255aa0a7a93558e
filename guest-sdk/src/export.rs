//! [`export_plugin!`](crate::export_plugin) and the glue it expands to.
//!
//! The macro declares a thread-local cell holding the plugin (Wasm components are
//! single-threaded, so this is one static slot without `unsafe`), a local type implementing the
//! generated `Guest` trait by forwarding to the functions below, and the generated export macro
//! that emits the component's exported functions.

/// Exports a [`Plugin`](crate::Plugin) type as the component's `guest` interface.
///
/// Use it exactly once, at the top level of the plugin crate (a `cdylib` built for
/// `wasm32-wasip2`). The type must implement [`Plugin`](crate::Plugin) (and so `Default`).
///
/// ```no_run
/// #[derive(Default)]
/// struct Quiet;
/// impl wasmbot_sdk::Plugin for Quiet {}
/// wasmbot_sdk::export_plugin!(Quiet);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            ::std::thread_local! {
                static PLUGIN: $crate::__private::Slot<$plugin> =
                    const { $crate::__private::Slot::new() };
            }

            const PACKAGE: $crate::__private::Package = $crate::__private::Package {
                name: ::core::env!("CARGO_PKG_NAME"),
                version: ::core::env!("CARGO_PKG_VERSION"),
                description: ::core::env!("CARGO_PKG_DESCRIPTION"),
            };

            struct Export;

            impl $crate::__private::CommandGuide for Export {
                fn commands() -> ::std::vec::Vec<$crate::CommandHelp> {
                    $crate::__private::commands(&PLUGIN, &PACKAGE)
                }
            }

            impl $crate::__private::Guest for Export {
                fn describe() -> $crate::__private::WitManifest {
                    $crate::__private::describe(&PLUGIN, &PACKAGE)
                }
                fn init(
                    config: ::std::string::String,
                ) -> ::core::result::Result<(), $crate::__private::Failure> {
                    $crate::__private::init(&PLUGIN, &config)
                }
                fn handle(
                    event: $crate::__private::LeanEnvelope,
                ) -> ::core::result::Result<(), $crate::__private::Failure> {
                    $crate::__private::handle(&PLUGIN, event)
                }
                fn save_state() -> ::core::option::Option<::std::vec::Vec<u8>> {
                    $crate::__private::save_state(&PLUGIN)
                }
                fn restore_state(state: ::std::vec::Vec<u8>) {
                    $crate::__private::restore_state(&PLUGIN, state)
                }
            }

    $crate::bindings::__export_world!(Export with_types_in $crate::bindings);
        };
    };
}

/// Support for `export_plugin!`; not part of the public API.
#[doc(hidden)]
pub mod __private {
    use std::cell::RefCell;
    use std::thread::LocalKey;

    use crate::help::CommandHelp;
    use crate::model::Manifest;
    use crate::{Error, Plugin};

    pub use crate::bindings::exports::wasmbot::bot0_1_0::command_guide::Guest as CommandGuide;
    pub use crate::bindings::exports::wasmbot::bot0_2_0::guest::{Guest, Manifest as WitManifest};
    pub use crate::bindings::wasmbot::bot0_2_0::types::{Envelope as LeanEnvelope, Failure};

    /// The plugin crate's `Cargo.toml` identity, captured where the macro expands.
    #[derive(Debug)]
    pub struct Package {
        pub name: &'static str,
        pub version: &'static str,
        pub description: &'static str,
    }

    /// The cell holding the one plugin instance, created on first use.
    #[derive(Debug)]
    pub struct Slot<P>(RefCell<Option<P>>);

    impl<P> Slot<P> {
        #[allow(clippy::new_without_default)]
        pub const fn new() -> Self {
            Slot(RefCell::new(None))
        }
    }

    type Key<P> = LocalKey<Slot<P>>;

    /// Runs `f` on the plugin, creating it first if needed. Fails (instead of panicking) if the
    /// cell is already borrowed, which only a re-entrant call from the host could cause.
    fn with<P: Plugin, R>(key: &'static Key<P>, f: impl FnOnce(&mut P) -> R) -> Result<R, String> {
        key.try_with(|slot| {
            let mut cell = slot
                .0
                .try_borrow_mut()
                .map_err(|_| "plugin called re-entrantly while busy".to_owned())?;
            Ok(f(cell.get_or_insert_with(P::default)))
        })
        .map_err(|_| "plugin state is gone (thread-local destroyed)".to_owned())?
    }

    fn manifest<P: Plugin>(key: &'static Key<P>, package: &Package) -> Manifest {
        let manifest = with(key, |plugin| plugin.manifest())
            .unwrap_or_else(|_| P::default().manifest())
            .or_package(package.name, package.version, package.description);
        // A dialogue's answers are plain messages: a plugin holding dialogues must get them.
        if P::DIALOGUES {
            manifest.kind(crate::EventKind::Message)
        } else {
            manifest
        }
    }

    pub fn describe<P: Plugin>(key: &'static Key<P>, package: &Package) -> WitManifest {
        manifest(key, package).into_wit().0
    }

    pub fn commands<P: Plugin>(key: &'static Key<P>, package: &Package) -> Vec<CommandHelp> {
        manifest(key, package).into_wit().1
    }

    pub fn init<P: Plugin>(key: &'static Key<P>, config: &str) -> Result<(), Failure> {
        let config = crate::config::from_text(config).map_err(Failure::Config)?;
        with(key, |plugin| plugin.init(config))
            .map_err(Failure::Internal)?
            .map_err(Failure::Config)
    }

    pub fn handle<P: Plugin>(key: &'static Key<P>, envelope: LeanEnvelope) -> Result<(), Failure> {
        let envelope: crate::Envelope = envelope.into();
        crate::standing::set(envelope.standing);
        with(key, |plugin| plugin.on_event(envelope))
            .map_err(Failure::Internal)?
            .map_err(failure)
    }

    /// A handler's error as the host's typed failure.
    fn failure(error: Error) -> Failure {
        match error {
            Error::Input(text) => Failure::Input(text),
            Error::Upstream(text) => Failure::Upstream(text),
            other => Failure::Internal(other.to_string()),
        }
    }

    pub fn save_state<P: Plugin>(key: &'static Key<P>) -> Option<Vec<u8>> {
        with(key, |plugin| plugin.save_state()).ok().flatten()
    }

    pub fn restore_state<P: Plugin>(key: &'static Key<P>, state: Vec<u8>) {
        if let Err(e) = with(key, |plugin| plugin.restore_state(state)) {
            crate::log::write(crate::log::Level::Error, &format!("restore-state: {e}"));
        }
    }
}
