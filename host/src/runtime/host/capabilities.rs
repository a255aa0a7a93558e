//! `wasmbot:bot/capabilities`.

use crate::model::wit::wasmbot::bot0_1_0::capabilities::Host;
use crate::model::Operation;
use crate::runtime::state::HostState;

impl Host for HostState {
    fn supported(&mut self, platform: String) -> wasmtime::Result<Vec<Operation>> {
        // kv is the host's own, so it works wherever the platform is configured at all.
        let mut ops = self.services.platforms.capabilities(&platform);
        if !ops.is_empty() && !ops.contains(&Operation::Kv) {
            ops.push(Operation::Kv);
        }
        Ok(ops)
    }
}
