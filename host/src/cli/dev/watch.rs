//! The dev watcher: which file events are edits to a plugin's build inputs, and how a burst of
//! them becomes one build of the plugins they affect.
//!
//! Only content changes of build inputs count. Reads must not: every build reads the SDK, so a
//! watcher that reacted to reads would rebuild forever (issue 20). Build outputs, the daemon's
//! folders and editor scratch files must not either.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use notify::event::ModifyKind;
use notify::{Event, EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::PluginCrate;

/// The folder of the plugin crates, under the workspace root.
const PLUGINS: &str = "plugins";
/// The SDK every plugin builds on: a change rebuilds them all.
const SDK: &str = "guest-sdk";
/// The WIT the SDK's bindings are generated from: a change rebuilds them all.
const WIT: &str = "wit";

/// How long the files must stay quiet before a build starts: one save is several events.
const QUIET: Duration = Duration::from_millis(300);
/// The longest a burst is gathered, so a file written without pause cannot hold builds off.
const MAX_BURST: Duration = Duration::from_secs(3);
/// Changes queued while a build runs; past that they are dropped and everything is rebuilt.
const QUEUE: usize = 1024;

/// Which paths are build inputs: the workspace's layout and the folders to leave alone.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    root: PathBuf,
    /// The daemon's data and plugins folders: written while it runs, never build inputs, even
    /// when they lie inside a watched folder.
    ignored: Vec<PathBuf>,
    /// The Python, JS and TS projects' folders (absolute), wherever they are.
    projects: Vec<PathBuf>,
}

impl Scope {
    /// The scope of the workspace at `root`, leaving out the (absolute) `ignored` folders.
    pub(super) fn new(root: PathBuf, ignored: Vec<PathBuf>) -> Self {
        Self {
            root,
            ignored,
            projects: Vec::new(),
        }
    }

    /// This scope with the (absolute) folders of Python, JS and TS projects watched too.
    pub(super) fn with_projects(mut self, projects: Vec<PathBuf>) -> Self {
        self.projects = projects;
        self
    }

    /// The folders to watch, recursively.
    fn folders(&self) -> Vec<PathBuf> {
        let workspace = [PLUGINS, SDK, WIT].map(|dir| self.root.join(dir));
        workspace
            .into_iter()
            .chain(self.projects.iter().cloned())
            .collect()
    }

    /// The paths of `event` that are edited build inputs; none unless it changes content.
    /// For a rename this keeps the destination: an editor's temporary file renamed onto a
    /// source file counts as that source file changing.
    fn changes(&self, event: &Event) -> Vec<PathBuf> {
        if !is_content_change(&event.kind) {
            return Vec::new();
        }
        let inputs = event.paths.iter().filter(|p| self.is_input(p));
        inputs.cloned().collect()
    }

    /// True when `path` is a build input of a plugin or the SDK, or a folder right under
    /// `plugins/` (which may be a new plugin crate).
    pub(super) fn is_input(&self, path: &Path) -> bool {
        if self.ignored.iter().any(|dir| path.starts_with(dir)) {
            return false;
        }
        if let Some(rel) = self.projects.iter().find_map(|p| path.strip_prefix(p).ok()) {
            return is_project_input(rel);
        }
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        if is_noise(rel) {
            return false;
        }
        let parts: Vec<&OsStr> = rel.iter().collect();
        match parts.as_slice() {
            [top, _] if *top == PLUGINS => true,
            [top, _, rest @ ..] if *top == PLUGINS => is_crate_input(rest),
            [top, rest @ ..] if *top == SDK => is_crate_input(rest),
            [top, .., _] if *top == WIT => has_extension(rel, "wit"),
            _ => false,
        }
    }

    /// True when `path` is shared by every plugin: the SDK or the WIT.
    fn is_shared(&self, path: &Path) -> bool {
        path.starts_with(self.root.join(SDK)) || path.starts_with(self.root.join(WIT))
    }
}

/// True for the event kinds that change what a build would read: creating, removing, writing or
/// renaming a file. Never reads (opens, closes, access) nor metadata (permissions, times).
pub(super) fn is_content_change(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Name(_) | ModifyKind::Any)
    )
}

/// True for a path (relative to the root) that is never a build input: inside a build output
/// folder (`target/` outside `src/`), inside a hidden folder (`.git/`), or an editor's scratch file.
fn is_noise(rel: &Path) -> bool {
    let in_target = rel
        .iter()
        .take_while(|part| *part != "src")
        .any(|part| part == "target");
    let hidden = rel
        .iter()
        .any(|part| part.to_string_lossy().starts_with('.'));
    let scratch = rel
        .file_name()
        .is_some_and(|name| is_editor_scratch(&name.to_string_lossy()));
    in_target || hidden || scratch
}

/// True for the temporary, swap, backup and lock files editors write next to the file they save:
/// vim's `.lib.rs.swp`, `lib.rs~` and `4913`, emacs' `.#lib.rs` and `#lib.rs#`, JetBrains'
/// `lib.rs___jb_tmp___`, and `*.tmp`/`*.bak`/`*.orig`.
fn is_editor_scratch(name: &str) -> bool {
    const SUFFIXES: [&str; 8] = ["~", "#", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig"];
    name.starts_with('.')
        || name.starts_with('#')
        || name.contains("___jb_")
        || name.bytes().all(|b| b.is_ascii_digit())
        || SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// Folders of a Python, JS or TS project that its build writes or installs into.
const PROJECT_OUTPUTS: [&str; 4] = ["build", "node_modules", "__pycache__", "target"];

/// True for a path inside a Python, JS or TS project (relative to its folder) that its build
/// reads: a source (`.py`, `.ts`, `.js`, `.mjs`), `wasmbot.toml` or `package.json`, outside
/// the build's own output and installed packages.
fn is_project_input(rel: &Path) -> bool {
    let Some(name) = rel.file_name() else {
        return false;
    };
    let in_output = rel
        .parent()
        .into_iter()
        .flat_map(Path::iter)
        .any(|part| PROJECT_OUTPUTS.iter().any(|o| part == *o));
    let hidden = rel
        .iter()
        .any(|part| part.to_string_lossy().starts_with('.'));
    if in_output || hidden || is_editor_scratch(&name.to_string_lossy()) {
        return false;
    }
    ["py", "ts", "js", "mjs"]
        .iter()
        .any(|ext| has_extension(rel, ext))
        || name == "wasmbot.toml"
        || name == "package.json"
}

/// True for the part of a path inside a crate folder that its build reads: a source, a manifest,
/// a WIT file, or anything under `src/` (e.g. an `include_str!` asset).
fn is_crate_input(rest: &[&OsStr]) -> bool {
    let Some(name) = rest.last() else {
        return false;
    };
    let path: PathBuf = rest.iter().collect();
    rest.first().is_some_and(|first| *first == "src")
        || *name == "Cargo.toml"
        || *name == "Cargo.lock"
        || has_extension(&path, "rs")
        || has_extension(&path, "wit")
}

/// True when `path`'s extension is `extension` (without the dot).
fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension().is_some_and(|e| e == extension)
}

/// The plugins the build inputs among `changed` affect: all of them when the SDK or the WIT
/// changed, otherwise those whose folder holds a changed path.
pub(super) fn affected(
    scope: &Scope,
    crates: &[PluginCrate],
    changed: &[PathBuf],
) -> Vec<PluginCrate> {
    let changed: Vec<&PathBuf> = changed.iter().filter(|p| scope.is_input(p)).collect();
    if changed.iter().any(|p| scope.is_shared(p)) {
        return crates.to_vec();
    }
    let hit = |c: &&PluginCrate| changed.iter().any(|p| p.starts_with(&c.dir));
    crates.iter().filter(hit).cloned().collect()
}

/// The plugins to build for a burst: every crate `found` that was not `known` (a new plugin),
/// plus those the changed paths affect, or all of them when changes were lost.
fn targets(
    scope: &Scope,
    known: &[PluginCrate],
    found: &[PluginCrate],
    burst: &Burst,
) -> Vec<PluginCrate> {
    let mut wanted: BTreeSet<PluginCrate> = found
        .iter()
        .filter(|c| !known.contains(c))
        .cloned()
        .collect();
    if burst.lost {
        wanted.extend(found.iter().cloned());
    } else {
        wanted.extend(affected(scope, found, &burst.paths));
    }
    wanted.into_iter().collect()
}

/// What the watcher hands to the rebuild loop.
#[derive(Debug)]
enum Change {
    /// A build input changed.
    Input(PathBuf),
    /// The OS dropped events (its queue overflowed): anything may have changed.
    Lost,
}

/// The changes of one burst of events, gathered for one build.
#[derive(Debug, Default)]
struct Burst {
    /// The changed build inputs (a path changed twice is listed twice).
    paths: Vec<PathBuf>,
    /// True when changes were lost: everything must be rebuilt.
    lost: bool,
}

impl Burst {
    /// Adds one change to the burst.
    fn add(&mut self, change: Change) {
        match change {
            Change::Input(path) => self.paths.push(path),
            Change::Lost => self.lost = true,
        }
    }
}

/// Watches the plugins, the SDK and the WIT, and rebuilds what their changes affect, one build
/// at a time, for as long as the process runs. `crates` are those already built.
pub(super) fn spawn(scope: Scope, crates: Vec<PluginCrate>, out: PathBuf) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel(QUEUE);
    let dropped = Arc::new(AtomicBool::new(false));
    let watcher = watch(scope.clone(), tx, Arc::clone(&dropped))?;
    let projects = crates.iter().filter(|c| c.foreign).cloned().collect();
    let rebuilder = Rebuilder {
        scope,
        out,
        known: crates,
        projects,
    };
    tokio::spawn(async move {
        let _watcher = watcher; // dropped with the task
        rebuilder.run(rx, dropped).await;
    });
    Ok(())
}

/// A watcher on the scope's folders that queues each build input an event changes. Filtering
/// on notify's thread keeps reads and build output out of the queue altogether; a change that
/// finds the queue full sets `dropped`.
fn watch(
    scope: Scope,
    tx: mpsc::Sender<Change>,
    dropped: Arc<AtomicBool>,
) -> notify::Result<notify::RecommendedWatcher> {
    let folders = scope.folders();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "file watch error");
                return;
            }
        };
        let lost = event.need_rescan().then_some(Change::Lost);
        let inputs = scope.changes(&event).into_iter().map(Change::Input);
        for change in lost.into_iter().chain(inputs) {
            if tx.try_send(change).is_err() {
                dropped.store(true, Ordering::Relaxed);
            }
        }
    })?;
    for folder in folders.iter().filter(|f| f.is_dir()) {
        watcher.watch(folder, RecursiveMode::Recursive)?;
    }
    Ok(watcher)
}

/// The rebuild loop: where to build, and which crates it knows.
#[derive(Debug)]
struct Rebuilder {
    scope: Scope,
    out: PathBuf,
    /// The plugin crates of the last discovery: one that appears later is new, and built.
    known: Vec<PluginCrate>,
    /// The Python, JS and TS projects (`--project`): always there, never discovered.
    projects: Vec<PluginCrate>,
}

impl Rebuilder {
    /// Builds once per burst of changes. Changes that arrive during a build wait in the queue
    /// for the next burst; the build's own file activity (reads, `target/`, the plugins folder)
    /// never reaches the queue.
    async fn run(mut self, mut rx: mpsc::Receiver<Change>, dropped: Arc<AtomicBool>) {
        while let Some(first) = rx.recv().await {
            let mut burst = gather(first, &mut rx).await;
            burst.lost |= dropped.swap(false, Ordering::Relaxed);
            let crates = self.plan(&burst);
            self.build(crates).await;
        }
    }

    /// Discovers the crates again (a new one is built) and picks those to build for `burst`.
    fn plan(&mut self, burst: &Burst) -> Vec<PluginCrate> {
        let mut found = match super::discover(&self.scope.root) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "cannot list the plugin crates; using the last list");
                self.known.iter().filter(|c| !c.foreign).cloned().collect()
            }
        };
        found.extend(self.projects.iter().cloned());
        let crates = targets(&self.scope, &self.known, &found, burst);
        self.known = found;
        crates
    }

    /// Builds `crates` off the async threads; on failure the running versions keep serving.
    async fn build(&self, crates: Vec<PluginCrate>) {
        if crates.is_empty() {
            return;
        }
        let (root, out) = (self.scope.root.clone(), self.out.clone());
        let built = tokio::task::spawn_blocking(move || super::build(&root, &crates, &out)).await;
        match built {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %format!("{e:#}"), "plugin build failed; the running version keeps serving")
            }
            Err(e) => tracing::error!(error = %e, "plugin build task failed"),
        }
    }
}

/// Gathers the burst that starts with `first`: until [`QUIET`] passes without a change, or
/// [`MAX_BURST`] after the start.
async fn gather(first: Change, rx: &mut mpsc::Receiver<Change>) -> Burst {
    let deadline = Instant::now() + MAX_BURST;
    let mut burst = Burst::default();
    burst.add(first);
    while Instant::now() < deadline {
        let quiet_until = (Instant::now() + QUIET).min(deadline);
        match tokio::time::timeout_at(quiet_until, rx.recv()).await {
            Ok(Some(change)) => burst.add(change),
            Ok(None) | Err(_) => break,
        }
    }
    burst
}

#[cfg(test)]
mod tests {
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, MetadataKind, RenameMode};

    use super::*;
    use crate::cli::dev::tests::crates;

    const ROOT: &str = "/w";

    fn scope() -> Scope {
        Scope::new(
            PathBuf::from(ROOT),
            vec![PathBuf::from("/w/plugins/out"), PathBuf::from("/w/data")],
        )
    }

    fn input(path: &str) -> bool {
        scope().is_input(&Path::new(ROOT).join(path))
    }

    fn event(kind: EventKind, paths: &[&str]) -> Event {
        let event = Event::new(kind);
        paths
            .iter()
            .fold(event, |e, p| e.add_path(Path::new(ROOT).join(p)))
    }

    fn changes(kind: EventKind, paths: &[&str]) -> Vec<PathBuf> {
        scope().changes(&event(kind, paths))
    }

    #[test]
    fn only_content_changes_count() {
        let data = EventKind::Modify(ModifyKind::Data(DataChange::Content));
        assert!(is_content_change(&data));
        assert!(is_content_change(&EventKind::Create(CreateKind::File)));
        assert!(is_content_change(&EventKind::Modify(ModifyKind::Any)));
        assert!(is_content_change(&EventKind::Modify(ModifyKind::Name(
            RenameMode::To
        ))));
        let reads = [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
            EventKind::Any,
            EventKind::Other,
        ];
        for kind in reads {
            assert!(!is_content_change(&kind), "{kind:?}");
        }
    }

    #[test]
    fn sources_manifests_wit_and_src_files_are_inputs() {
        for path in [
            "plugins/echo/src/lib.rs",
            "plugins/echo/build.rs",
            "plugins/echo/Cargo.toml",
            "plugins/echo/Cargo.lock",
            "plugins/echo/src/greeting.txt",
            "plugins/echo/wit/extra.wit",
            "plugins/echo/src/target/mod.rs",
            "guest-sdk/src/bindings.rs",
            "guest-sdk/Cargo.toml",
            "wit/world.wit",
            "wit/deps/io.wit",
            "plugins/help",
        ] {
            assert!(input(path), "{path}");
        }
    }

    #[test]
    fn outputs_runtime_folders_and_scratch_files_are_not_inputs() {
        for path in [
            "plugins/echo/README.md",
            "plugins/echo/target/wasm32-wasip2/plugin/echo.wasm",
            "plugins/echo/target/debug/build/x/out/gen.rs",
            "guest-sdk/target/debug/deps/lib.rs",
            "plugins/out/echo.wasm",
            "plugins/out/x/src/lib.rs",
            "data/cache/src/lib.rs",
            "plugins/echo/src/.lib.rs.swp",
            "plugins/echo/src/lib.rs~",
            "plugins/echo/src/4913",
            "plugins/echo/src/.#lib.rs",
            "plugins/echo/src/#lib.rs#",
            "plugins/echo/src/.lib.rs.tmp",
            "plugins/echo/src/lib.rs___jb_tmp___",
            "plugins/echo/.git/index",
            "plugins/.new.swp",
            "wit/README.md",
            "examples/sim.toml",
            "Cargo.toml",
            "host/src/main.rs",
        ] {
            assert!(!input(path), "{path}");
        }
        assert!(!scope().is_input(Path::new("/elsewhere/plugins/echo/src/lib.rs")));
    }

    #[test]
    fn a_rename_counts_for_its_destination() {
        let rename = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        let paths = ["plugins/echo/src/.lib.rs.tmp", "plugins/echo/src/lib.rs"];
        assert_eq!(
            changes(rename, &paths),
            [Path::new("/w/plugins/echo/src/lib.rs")]
        );
        let from = EventKind::Modify(ModifyKind::Name(RenameMode::From));
        assert!(changes(from, &paths[..1]).is_empty());
    }

    #[test]
    fn reads_of_inputs_are_no_changes() {
        let open = EventKind::Access(AccessKind::Open(AccessMode::Any));
        assert!(changes(open, &["guest-sdk/Cargo.toml"]).is_empty());
        let chmod = EventKind::Modify(ModifyKind::Metadata(MetadataKind::Permissions));
        assert!(changes(chmod, &["plugins/echo/src/lib.rs"]).is_empty());
    }

    fn names(crates: Vec<PluginCrate>) -> Vec<String> {
        crates.into_iter().map(|c| c.package).collect()
    }

    fn burst(paths: &[&str], lost: bool) -> Burst {
        let paths = paths.iter().map(|p| Path::new(ROOT).join(p)).collect();
        Burst { paths, lost }
    }

    #[test]
    fn a_burst_builds_the_union_of_what_it_touches() {
        let all = crates(Path::new(ROOT));
        let touched = |paths: &[&str]| names(targets(&scope(), &all, &all, &burst(paths, false)));
        assert_eq!(
            touched(&["plugins/echo/src/lib.rs", "plugins/echo/src/util.rs"]),
            ["echo"]
        );
        assert_eq!(
            touched(&["plugins/echo/src/lib.rs", "plugins/welcome/src/lib.rs"]),
            ["echo", "welcome"]
        );
        assert_eq!(
            touched(&["wit/world.wit", "plugins/echo/src/lib.rs"]),
            ["echo", "welcome"]
        );
        assert!(touched(&["plugins/echo/target/x.wasm", "guest-sdk/README.md"]).is_empty());
        assert_eq!(
            names(targets(&scope(), &all, &all, &burst(&[], true))),
            ["echo", "welcome"]
        );
    }

    #[test]
    fn a_new_plugin_crate_is_built() {
        let known = crates(Path::new(ROOT));
        let mut found = known.clone();
        found.push(PluginCrate {
            package: "help".into(),
            dir: Path::new(ROOT).join("plugins/help"),
            foreign: false,
        });
        // Moved into place whole: one event, for the folder.
        let built = targets(&scope(), &known, &found, &burst(&["plugins/help"], false));
        assert_eq!(names(built), ["help"]);
        let edit = burst(&["plugins/echo/src/lib.rs"], false);
        assert_eq!(
            names(targets(&scope(), &known, &found, &edit)),
            ["echo", "help"]
        );
        // Once known, it is built like the others: when its inputs change.
        let readme = burst(&["plugins/help/README.md"], false);
        assert!(targets(&scope(), &found, &found, &readme).is_empty());
    }

    #[tokio::test]
    async fn a_burst_ends_after_a_quiet_spell() {
        let (tx, mut rx) = mpsc::channel(8);
        tx.send(Change::Input("/w/a.rs".into())).await.unwrap();
        tx.send(Change::Lost).await.unwrap();
        let first = rx.recv().await.unwrap();
        let started = std::time::Instant::now();
        let burst = gather(first, &mut rx).await;
        assert!(burst.lost);
        assert_eq!(burst.paths.len(), 1);
        assert!(started.elapsed() >= QUIET);
        assert!(started.elapsed() < MAX_BURST);
    }

    #[test]
    fn a_projects_sources_are_inputs_and_its_output_is_not() {
        let project = PathBuf::from("/elsewhere/hello-py");
        let scope = scope().with_projects(vec![project.clone()]);
        let input = |rel: &str| scope.is_input(&project.join(rel));
        for path in [
            "app.py",
            "lib/util.py",
            "src/plugin.ts",
            "wasmbot.toml",
            "package.json",
        ] {
            assert!(input(path), "{path}");
        }
        for path in [
            "build/hello-py.wasm",
            "build/wasmbot/__init__.py",
            "node_modules/x/index.js",
            "__pycache__/app.cpython-313.pyc",
            ".app.py.swp",
            "README.md",
        ] {
            assert!(!input(path), "{path}");
        }
        let hello = PluginCrate {
            package: "hello-py".into(),
            dir: project.clone(),
            foreign: true,
        };
        let mut all = crates(Path::new(ROOT));
        all.push(hello);
        let hit = affected(&scope, &all, &[project.join("app.py")]);
        assert_eq!(
            hit.iter().map(|c| c.package.as_str()).collect::<Vec<_>>(),
            ["hello-py"]
        );
    }
}
