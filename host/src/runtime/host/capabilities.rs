//! `wasmbot:bot/capabilities`.

use crate::event::Operation;
use crate::runtime::bindings::wasmbot::bot::capabilities::Host;
use crate::runtime::state::HostState;

impl Host for HostState {
    fn supported(&mut self, platform: String) -> wasmtime::Result<Vec<Operation>> {
        let mut ops = self.services.adapters.capabilities_of(&platform);
        if !ops.is_empty() {
            ops.push(Operation::Kv);
        }
        Ok(ops)
    }
}
