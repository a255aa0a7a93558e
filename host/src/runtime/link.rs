//! What a plugin may import, put into one linker: WASI (with nothing granted: no files, no
//! sockets), wasmbot's interfaces of both versions, and `wasi:http`'s outgoing handler (each
//! request checked against the plugin's grants, see `runtime::http`).
//!
//! Interface by interface rather than the generated world's `add_to_linker`: that one would
//! also link `wasi:http` and `wasi:io` through this crate's state instead of wasmtime-wasi's.

use wasmtime::component::{HasSelf, Linker};

use super::state::HostState;
use crate::model::wit::wasmbot::bot0_1_0 as v1;
use crate::model::wit::wasmbot::bot0_2_0 as v2;

type Own = HasSelf<HostState>;

/// The host state is each interface's own view of itself.
fn own(state: &mut HostState) -> &mut HostState {
    state
}

/// Links every import a plugin of either world may have.
pub fn link(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    // `wasi:http/types` and `outgoing-handler`; the sending is ours (`runtime::http`).
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    v1::types::add_to_linker::<_, Own>(linker, own)?;
    v1::messaging::add_to_linker::<_, Own>(linker, own)?;
    v1::moderation::add_to_linker::<_, Own>(linker, own)?;
    v1::kv::add_to_linker::<_, Own>(linker, own)?;
    v1::log::add_to_linker::<_, Own>(linker, own)?;
    v1::capabilities::add_to_linker::<_, Own>(linker, own)?;
    v1::help::add_to_linker::<_, Own>(linker, own)?;
    v1::fanbook::add_to_linker::<_, Own>(linker, own)?;
    v2::types::add_to_linker::<_, Own>(linker, own)?;
    v2::timers::add_to_linker::<_, Own>(linker, own)?;
    v2::platform::add_to_linker::<_, Own>(linker, own)?;
    Ok(())
}
