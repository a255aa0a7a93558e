//! `wasmbot:bot/platform`: each platform's own operations by name with JSON arguments. Each
//! call checks the operator's grant (`interfaces = ["platform"]`) and the platform and chat
//! grants, then asks the chat's adapter at once: nothing here is buffered.

use super::HostResult;
use crate::model::wit::wasmbot::bot0_2_0::platform::{Host, OperationInfo};
use crate::model::{ChatRef, Error, OpSpec};
use crate::runtime::state::HostState;

/// The grant name in `[plugins.grants] interfaces`.
const INTERFACE: &str = "platform";
/// The most JSON a plugin may pass to one call.
const MAX_ARGS_BYTES: usize = 64 * 1024;

impl HostState {
    /// The grants for `platform.{what}` in `chat`.
    fn check_platform_grant(&self, chat: &ChatRef, what: &str) -> Result<(), Error> {
        if !self.grants.allows_interface(INTERFACE) {
            return Err(Error::Denied(format!(
                "plugin `{}` has no grant for the `{INTERFACE}` interface (platform.{what}): add interfaces = [\"{INTERFACE}\"] to [plugins.grants]",
                self.plugin
            )));
        }
        self.check_scope(chat)?;
        self.services.platforms.check(chat, None)
    }
}

fn infos(specs: &[OpSpec]) -> Vec<OperationInfo> {
    specs
        .iter()
        .map(|s| OperationInfo {
            name: s.name.to_owned(),
            description: s.description.to_owned(),
            args: s.args.to_owned(),
            method: s.method.to_owned(),
        })
        .collect()
}

impl Host for HostState {
    fn operations(&mut self, chat: ChatRef) -> wasmtime::Result<Vec<OperationInfo>> {
        if self.services.platforms.check(&chat, None).is_err() {
            return Ok(Vec::new());
        }
        Ok(infos(self.services.platforms.own_operations(&chat.bot)))
    }

    fn message_kinds(&mut self, chat: ChatRef) -> wasmtime::Result<Vec<OperationInfo>> {
        if self.services.platforms.check(&chat, None).is_err() {
            return Ok(Vec::new());
        }
        Ok(infos(self.services.platforms.message_kinds(&chat.bot)))
    }

    async fn call(&mut self, chat: ChatRef, operation: String, args: String) -> HostResult<String> {
        if let Err(e) = self.check_platform_grant(&chat, &operation) {
            return Ok(Err(e));
        }
        if args.len() > MAX_ARGS_BYTES {
            return Ok(Err(Error::Invalid(format!(
                "platform.{operation}: the arguments are {} bytes; the limit is {MAX_ARGS_BYTES}",
                args.len()
            ))));
        }
        let args = if args.trim().is_empty() {
            serde_json::Value::Object(serde_json::Map::new())
        } else {
            match serde_json::from_str::<serde_json::Value>(&args) {
                Ok(value @ serde_json::Value::Object(_)) => value,
                Ok(_) => {
                    return Ok(Err(Error::Invalid(format!(
                        "platform.{operation}: the arguments must be a JSON object"
                    ))))
                }
                Err(e) => {
                    return Ok(Err(Error::Invalid(format!(
                        "platform.{operation}: the arguments are not JSON: {e}"
                    ))))
                }
            }
        };
        let result = self
            .services
            .platforms
            .call_own(&chat, &operation, &args)
            .await;
        Ok(result.map(|v| v.to_string()).map_err(Error::from))
    }
}
