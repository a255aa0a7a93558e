//! The journal: accepting events (durable before the platform is answered), each plugin's
//! place in it, the places kept for plugins that are away, and releasing what every plugin is
//! past. The events themselves live in the store.

mod ingress;
mod parked;
mod progress;
mod release;
mod wake;

pub use ingress::{Ingress, Publisher};
pub use progress::Progress;
pub use release::Places;
pub use wake::ReleaseWake;
