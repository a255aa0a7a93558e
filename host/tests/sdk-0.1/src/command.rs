//! Reading a command's arguments: `/kvset key some value` → `args()`, `arg::<T>(i)`, `rest(i)`.

use std::fmt::Display;
use std::str::FromStr;

use crate::model::{ChatRef, Command, UserRef};
use crate::Error;

impl Command {
    /// The arguments split on whitespace: `/roll 2 d6` → `["2", "d6"]`.
    pub fn args(&self) -> Vec<&str> {
        self.args.split_whitespace().collect()
    }

    /// The argument at `index` (from 0), parsed as `T`.
    ///
    /// A missing or unparsable argument is an [`Error::Invalid`] whose text says which and why,
    /// so `cmd.arg::<u32>(0)?` in a handler is enough.
    pub fn arg<T>(&self, index: usize) -> Result<T, Error>
    where
        T: FromStr,
        T::Err: Display,
    {
        let raw = self.args.split_whitespace().nth(index).ok_or_else(|| {
            Error::Invalid(format!("/{}: missing argument {}", self.name, index + 1))
        })?;
        raw.parse().map_err(|e| {
            Error::Invalid(format!(
                "/{}: argument {} ({raw:?}): {e}",
                self.name,
                index + 1
            ))
        })
    }

    /// Everything from the argument at `index` on, with its inner spacing kept:
    /// for `/kvset k  two words`, `rest(1)` is `"two  words"`. Empty when there are fewer args.
    pub fn rest(&self, index: usize) -> &str {
        rest_from(&self.args, index)
    }

    /// The chat the command was sent in.
    pub fn chat(&self) -> &ChatRef {
        self.message.chat()
    }

    /// Who sent the command.
    pub fn sender(&self) -> &UserRef {
        &self.message.sender
    }
}

fn rest_from(text: &str, index: usize) -> &str {
    let mut rest = text.trim_start();
    for _ in 0..index {
        match rest.find(char::is_whitespace) {
            Some(end) => rest = rest[end..].trim_start(),
            None => return "",
        }
    }
    rest.trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::command;

    #[test]
    fn splits_and_parses() {
        let cmd = command("roll", "  2   d6 ");
        assert_eq!(cmd.args(), ["2", "d6"]);
        assert_eq!(cmd.arg::<u32>(0), Ok(2));
        assert_eq!(cmd.arg::<String>(1).as_deref(), Ok("d6"));
    }

    #[test]
    fn missing_and_bad_arguments_are_invalid() {
        let cmd = command("roll", "x");
        let bad = cmd
            .arg::<u32>(0)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            bad.starts_with("invalid: /roll: argument 1 (\"x\")"),
            "{bad}"
        );
        assert!(matches!(cmd.arg::<u32>(1), Err(Error::Invalid(text)) if text.contains("missing")));
    }

    #[test]
    fn rest_keeps_inner_spacing() {
        let cmd = command("kvset", "k  two  words ");
        assert_eq!(cmd.rest(0), "k  two  words");
        assert_eq!(cmd.rest(1), "two  words");
        assert_eq!(cmd.rest(2), "words");
        assert_eq!(cmd.rest(3), "");
        assert_eq!(command("x", "").rest(0), "");
    }
}
