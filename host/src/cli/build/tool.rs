//! Running a toolchain program, with an error that names what is missing and how to get it.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

/// Runs `command` (its output on this process's stderr, so our stdout stays the result);
/// `install` says how to get the program when it is not there.
pub fn run(mut command: Command, install: &str) -> anyhow::Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    eprintln!("$ {}", describe(&command));
    let status = match command
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
    {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("{program} is not installed (or not on PATH): {install}")
        }
        Err(e) => return Err(e).with_context(|| format!("cannot run {program}")),
    };
    if !status.success() {
        bail!("{program} failed ({status}); its output is above");
    }
    Ok(())
}

/// The command line, for the log and error messages.
pub fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Fails naming `what` when `path` is missing.
pub fn require(path: &Path, what: &str) -> anyhow::Result<()> {
    if !path.exists() {
        bail!("{what}: {} is missing", path.display());
    }
    Ok(())
}
