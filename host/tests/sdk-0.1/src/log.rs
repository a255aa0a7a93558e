//! Structured logs: the host adds the plugin's name and the event being handled.
//!
//! ```no_run
//! use wasmbot_sdk::log;
//! log::info!("joined {} chats", 3);
//! log::write(log::Level::Warn, "falling back to kv");
//! ```

pub use crate::bindings::wasmbot::bot::log::Level;

/// Writes one log line at `level`.
pub fn write(level: Level, message: &str) {
    crate::bindings::wasmbot::bot::log::log(level, message);
}

#[doc(inline)]
pub use crate::__wasmbot_log_debug as debug;
#[doc(inline)]
pub use crate::__wasmbot_log_error as error;
#[doc(inline)]
pub use crate::__wasmbot_log_info as info;
#[doc(inline)]
pub use crate::__wasmbot_log_trace as trace;
#[doc(inline)]
pub use crate::__wasmbot_log_warn as warn;

/// Logs a `format!`-style message at trace level.
#[doc(hidden)]
#[macro_export]
macro_rules! __wasmbot_log_trace {
    ($($arg:tt)+) => {
        $crate::log::write($crate::log::Level::Trace, &::std::format!($($arg)+))
    };
}

/// Logs a `format!`-style message at debug level.
#[doc(hidden)]
#[macro_export]
macro_rules! __wasmbot_log_debug {
    ($($arg:tt)+) => {
        $crate::log::write($crate::log::Level::Debug, &::std::format!($($arg)+))
    };
}

/// Logs a `format!`-style message at info level.
#[doc(hidden)]
#[macro_export]
macro_rules! __wasmbot_log_info {
    ($($arg:tt)+) => {
        $crate::log::write($crate::log::Level::Info, &::std::format!($($arg)+))
    };
}

/// Logs a `format!`-style message at warn level.
#[doc(hidden)]
#[macro_export]
macro_rules! __wasmbot_log_warn {
    ($($arg:tt)+) => {
        $crate::log::write($crate::log::Level::Warn, &::std::format!($($arg)+))
    };
}

/// Logs a `format!`-style message at error level.
#[doc(hidden)]
#[macro_export]
macro_rules! __wasmbot_log_error {
    ($($arg:tt)+) => {
        $crate::log::write($crate::log::Level::Error, &::std::format!($($arg)+))
    };
}
