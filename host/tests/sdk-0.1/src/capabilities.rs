//! What a platform can do, so a plugin can degrade gracefully instead of failing.

use crate::bindings::wasmbot::bot::capabilities as wit;
use crate::model::Operation;

/// The operations the named platform (`ChatRef::platform`) supports.
pub fn supported(platform: &str) -> Vec<Operation> {
    wit::supported(platform)
}

/// True when the named platform supports `operation`.
///
/// ```no_run
/// use wasmbot_sdk::{capabilities, Operation};
/// if capabilities::supports("sim", Operation::React) { /* react */ }
/// ```
pub fn supports(platform: &str, operation: Operation) -> bool {
    supported(platform).contains(&operation)
}
