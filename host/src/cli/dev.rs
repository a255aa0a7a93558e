//! `wasmbot dev`: build the workspace's plugins, run the daemon, rebuild on source changes.

mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::config::Config;
use crate::daemon::Daemon;

/// The target plugins are built for.
pub const TARGET: &str = "wasm32-wasip2";

/// The cargo profile plugins are built with (`[profile.plugin]` in the workspace manifest:
/// release with LTO); the `.wasm` files land in `target/wasm32-wasip2/plugin/`.
pub const PROFILE: &str = "plugin";

/// A plugin to build: a Rust crate of the workspace (`package` is its name for `cargo build
/// -p`) or, when `foreign`, a Python, JS or TS project given with `--project` (`package` is
/// the name in its `wasmbot.toml`), built with `wasmbot build`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PluginCrate {
    package: String,
    dir: PathBuf,
    foreign: bool,
}

pub(super) async fn run(config: Config, project_dirs: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let root = find_workspace(&std::env::current_dir()?)?;
    ensure_target()?;
    let projects = projects(project_dirs)?;
    let mut crates = discover(&root)?;
    crates.extend(projects.iter().cloned());
    let out = config.plugins_dir.clone();
    build(&root, &crates, &out)?;
    let runtime_dirs = [config.data_dir.clone(), out.clone()];
    let daemon = Daemon::start(config).await?;
    println!(
        "wasmbot dev is serving on http://{}/ (rebuilding plugins on change)",
        daemon.addr
    );
    // Both folders exist now (the build made one, the daemon the other), so they resolve as
    // the watcher will report them.
    let ignored = runtime_dirs.iter().map(|dir| resolved(dir)).collect();
    let project_dirs = projects.iter().map(|p| p.dir.clone()).collect();
    let scope = watch::Scope::new(root, ignored).with_projects(project_dirs);
    watch::spawn(scope, crates, out)?;
    super::wait_for_signal(daemon).await
}

/// `dir` as file events name it: absolute, with symlinks resolved when it exists.
fn resolved(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir)
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
}

/// `examples/sim.toml` of the workspace: the bundled plugins with the grants they need.
pub(super) fn default_config() -> Option<PathBuf> {
    let root = find_workspace(&std::env::current_dir().ok()?).ok()?;
    Some(root.join("examples").join("sim.toml")).filter(|p| p.is_file())
}

/// The nearest folder at or above `start` holding `Cargo.toml` and `plugins/`.
fn find_workspace(start: &Path) -> anyhow::Result<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file() && dir.join("plugins").is_dir())
        .map(Path::to_path_buf)
        .context("`wasmbot dev` runs inside the wasmbot workspace (a folder with Cargo.toml and plugins/)")
}

/// Adds the wasm32-wasip2 target with rustup when it is missing.
fn ensure_target() -> anyhow::Result<()> {
    let installed = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if let Ok(out) = &installed {
        if String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == TARGET)
        {
            return Ok(());
        }
    }
    println!("adding the {TARGET} target with rustup");
    let status = std::process::Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .context("cannot run rustup")?;
    if !status.success() {
        bail!("`rustup target add {TARGET}` failed");
    }
    Ok(())
}

/// The Python, JS and TS projects given with `--project`.
fn projects(dirs: &[PathBuf]) -> anyhow::Result<Vec<PluginCrate>> {
    let mut projects = Vec::new();
    for dir in dirs {
        let project = super::build::Project::detect(dir)?;
        if project.lang == super::build::Lang::Rust {
            bail!(
                "{}: Rust plugins are built from the workspace's plugins/ folder; --project is \
                 for Python, JS and TS projects",
                dir.display()
            );
        }
        projects.push(PluginCrate {
            package: project.name,
            dir: project.dir,
            foreign: true,
        });
    }
    Ok(projects)
}

/// The crates under `plugins/`.
fn discover(root: &Path) -> anyhow::Result<Vec<PluginCrate>> {
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(root.join("plugins"))? {
        let dir = entry?.path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest)?;
        let value: toml::Table =
            toml::from_str(&text).with_context(|| format!("{}", manifest.display()))?;
        let package = value
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .with_context(|| format!("{}: no package name", manifest.display()))?;
        crates.push(PluginCrate {
            package: package.to_string(),
            dir,
            foreign: false,
        });
    }
    crates.sort();
    Ok(crates)
}

/// Builds plugins (the Rust crates with one cargo build, each project with `wasmbot build`)
/// and copies each `.wasm` into `out` atomically, so the daemon's watcher never sees half a
/// file.
fn build(root: &Path, crates: &[PluginCrate], out: &Path) -> anyhow::Result<()> {
    let (projects, crates): (Vec<PluginCrate>, Vec<PluginCrate>) =
        crates.iter().cloned().partition(|c| c.foreign);
    build_crates(root, &crates, out)?;
    for project in &projects {
        println!("building plugins: {}", project.package);
        let wasm = super::build::build(&project.dir)?;
        let file = format!("{}.wasm", project.package.replace('-', "_"));
        install(&wasm, out, &file)?;
    }
    Ok(())
}

/// Copies `built` into `out` as `file` through a temporary name.
fn install(built: &Path, out: &Path, file: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    let tmp = out.join(format!(".{file}.tmp"));
    std::fs::copy(built, &tmp).with_context(|| format!("cannot copy {}", built.display()))?;
    std::fs::rename(&tmp, out.join(file))?;
    Ok(())
}

/// Builds Rust plugin crates with the plugin profile into `out`.
fn build_crates(root: &Path, crates: &[PluginCrate], out: &Path) -> anyhow::Result<()> {
    if crates.is_empty() {
        return Ok(());
    }
    let mut cargo =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(root)
        .args(["build", "--profile", PROFILE, "--target", TARGET]);
    for c in crates {
        cargo.args(["-p", &c.package]);
    }
    println!(
        "building plugins: {}",
        crates
            .iter()
            .map(|c| c.package.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let status = cargo.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build of the plugins failed");
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    for c in crates {
        let file = format!("{}.wasm", c.package.replace('-', "_"));
        install(
            &target_dir.join(TARGET).join(PROFILE).join(&file),
            out,
            &file,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The echo and welcome plugins of a workspace at `root`.
    pub(super) fn crates(root: &Path) -> Vec<PluginCrate> {
        ["echo", "welcome"]
            .map(|name| PluginCrate {
                package: name.into(),
                dir: root.join("plugins").join(name),
                foreign: false,
            })
            .to_vec()
    }

    fn names(affected: Vec<PluginCrate>) -> Vec<String> {
        affected.into_iter().map(|c| c.package).collect()
    }

    #[test]
    fn a_change_rebuilds_only_the_plugins_it_touches() {
        let root = Path::new("/w");
        let crates = crates(root);
        let scope = watch::Scope::new(root.to_path_buf(), Vec::new());
        let touched = |paths: &[&str]| {
            let paths: Vec<PathBuf> = paths.iter().map(|p| root.join(p)).collect();
            names(watch::affected(&scope, &crates, &paths))
        };
        assert_eq!(touched(&["plugins/echo/src/lib.rs"]), ["echo"]);
        assert_eq!(
            touched(&["plugins/welcome/src/lib.rs", "plugins/echo/Cargo.toml"]),
            ["echo", "welcome"]
        );
        // A README is no build input.
        assert_eq!(
            touched(&["plugins/welcome/README.md", "plugins/echo/Cargo.toml"]),
            ["echo"]
        );
        assert_eq!(touched(&["guest-sdk/src/lib.rs"]), ["echo", "welcome"]);
        assert_eq!(touched(&["wit/world.wit"]), ["echo", "welcome"]);
        assert!(touched(&["plugins/echo/target/x.wasm"]).is_empty());
        assert!(touched(&["plugins/echoes/src/lib.rs"]).is_empty());
    }
}
