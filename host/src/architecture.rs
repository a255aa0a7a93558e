//! Holds the crate to the plan in `ARCHITECTURE.md`: reads the sources and fails on an import
//! the plan's "may import" column does not allow, on a cycle between top-level modules that its
//! "Cycles still to break" list does not name (and on a listed cycle that is gone, so the list
//! only shrinks), and on a cycle between the files of one adapter.
//!
//! Code after a file's `#[cfg(test)]` module, `tests.rs` files and `test_fixtures.rs` are test
//! code and not held to the plan; comments are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// One `crate::…` or `super::…` reference: the file and line it is on, and what it names.
#[derive(Debug)]
struct Reference {
    file: String,
    line: usize,
    path: Vec<String>,
}

#[test]
fn imports_follow_the_plan() {
    let plan = Plan::read();
    let mut wrong = Vec::new();
    for r in references() {
        let (Some(from), Some(to)) = (top_level(&r.file), r.target_top_level()) else {
            continue;
        };
        let line = format!("{}:{}: `{from}` imports `{to}`", r.file, r.line);
        if from != to && !plan.allows(&from, &to) && !wrong.contains(&line) {
            wrong.push(line);
        }
    }
    assert!(
        wrong.is_empty(),
        "imports ARCHITECTURE.md does not allow:\n{}",
        wrong.join("\n")
    );
}

/// Every module a row may import is a row above it, so the plan itself has no cycle.
#[test]
fn the_plan_is_layered() {
    let plan = Plan::read();
    let mut above = BTreeSet::new();
    for name in &plan.order {
        let allowed = &plan.may_import[name];
        let below: Vec<_> = allowed.difference(&above).collect();
        assert!(
            below.is_empty(),
            "`{name}` may import {below:?}, not above it in the table"
        );
        above.insert(name.clone());
    }
}

#[test]
fn top_level_cycles_are_only_the_listed_ones() {
    let plan = Plan::read();
    let mut graph = Graph::new();
    for r in references() {
        if let (Some(from), Some(to)) = (top_level(&r.file), r.target_top_level()) {
            if from != to {
                graph.entry(from).or_default().insert(to);
            }
        }
    }
    let found = cycles(&graph);
    let new: Vec<_> = found.difference(&plan.known_cycles).collect();
    let gone: Vec<_> = plan.known_cycles.difference(&found).collect();
    assert!(new.is_empty(), "import cycles between modules: {new:?}");
    assert!(
        gone.is_empty(),
        "cycles broken since: remove them from ARCHITECTURE.md's list: {gone:?}"
    );
}

#[test]
fn no_adapter_has_a_cycle_between_its_files() {
    let mut graph = Graph::new();
    for r in references() {
        let Some(from) = adapter_file(&r.file) else {
            continue;
        };
        if let Some(to) = r.sibling_of(&from) {
            graph.entry(from).or_default().insert(to);
        }
    }
    let found = cycles(&graph);
    assert!(found.is_empty(), "cycles inside an adapter: {found:?}");
}

/// A deliberate bad import is caught: proof that the checks can fail.
#[test]
fn the_checks_catch_a_bad_import_and_a_cycle() {
    let plan = Plan::read();
    assert!(!plan.allows("runtime", "adapter"));
    assert!(!plan.allows("adapter", "cli"));
    let r = scan("host/src/runtime/x.rs", "use crate::adapter::Adapters;\n");
    assert_eq!(r[0].target_top_level().as_deref(), Some("adapter"));
    let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        .into_iter()
        .fold(Graph::new(), |mut g, (from, to)| {
            g.entry(from.into()).or_default().insert(to.into());
            g
        });
    let expected: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
    assert_eq!(cycles(&graph), [expected].into());
    let r = scan(
        "host/src/adapter/fanbook/poll.rs",
        "use super::{gateway, Task};\n// use super::wire;\n",
    );
    assert_eq!(r.len(), 2, "{r:?}");
    let from = adapter_file(&r[0].file).unwrap_or_default();
    assert_eq!(from, "adapter/fanbook/poll");
    assert_eq!(
        r[0].sibling_of(&from).as_deref(),
        Some("adapter/fanbook/gateway")
    );
}

/// The tables of `ARCHITECTURE.md`.
struct Plan {
    /// The modules in the table's order.
    order: Vec<String>,
    may_import: BTreeMap<String, BTreeSet<String>>,
    known_cycles: BTreeSet<BTreeSet<String>>,
}

impl Plan {
    fn read() -> Self {
        let path = root().join("../../ARCHITECTURE.md");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut order = Vec::new();
        let mut may_import = BTreeMap::new();
        let mut known_cycles: BTreeSet<BTreeSet<String>> = BTreeSet::new();
        let mut section = "";
        for line in text.lines() {
            if let Some(title) = line.strip_prefix("## ") {
                section = if title.starts_with("Modules") {
                    "modules"
                } else if title.starts_with("Cycles still to break") {
                    "cycles"
                } else {
                    ""
                };
                continue;
            }
            match section {
                "modules" if line.starts_with("| `") => {
                    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                    let names = backticked(cells.get(1).copied().unwrap_or_default());
                    let allowed = backticked(cells.get(3).copied().unwrap_or_default());
                    if let Some(name) = names.into_iter().next() {
                        order.push(name.clone());
                        may_import.insert(name, allowed.into_iter().collect());
                    }
                }
                "cycles" if line.starts_with("- ") => {
                    let names = backticked(line.split(':').next().unwrap_or(""));
                    known_cycles.insert(names.into_iter().collect());
                }
                _ => {}
            }
        }
        assert!(
            !may_import.is_empty(),
            "no module table in {}",
            path.display()
        );
        Plan {
            order,
            may_import,
            known_cycles,
        }
    }

    fn allows(&self, from: &str, to: &str) -> bool {
        self.may_import.get(from).is_some_and(|m| m.contains(to))
    }
}

/// The `names` in backticks, in order.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

impl Reference {
    /// The top-level module a `crate::…` path names.
    fn target_top_level(&self) -> Option<String> {
        (self.path.first()? == "crate")
            .then(|| self.path.get(1).cloned())
            .flatten()
    }

    /// The sibling file of the adapter file `from` (`adapter/P/F`) this reference names, if any.
    fn sibling_of(&self, from: &str) -> Option<String> {
        let dir = from.rsplit_once('/')?.0;
        let named = match self.path.first()?.as_str() {
            "super" => self.path.get(1)?.clone(),
            "crate" => {
                let rest = self.path[1..].join("/");
                rest.strip_prefix(&format!("{dir}/"))?
                    .split('/')
                    .next()?
                    .to_owned()
            }
            _ => return None,
        };
        let sibling = format!("{dir}/{named}");
        let on_disk = root().join(format!("{sibling}.rs")).is_file()
            || root().join(&sibling).join("mod.rs").is_file();
        (on_disk && sibling != from).then_some(sibling)
    }
}

/// `host/src`.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every reference in the crate's non-test code.
fn references() -> Vec<Reference> {
    let mut files = Vec::new();
    collect(&root(), &mut files);
    files
        .iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(root()).ok()?.to_str()?.to_owned();
            let text = std::fs::read_to_string(path).ok()?;
            Some(scan(&format!("host/src/{relative}"), &text))
        })
        .flatten()
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            collect(&path, files);
        } else if name.ends_with(".rs")
            && !matches!(name, "tests.rs" | "test_fixtures.rs" | "architecture.rs")
        {
            files.push(path);
        }
    }
}

/// The references in one file, up to its test module.
fn scan(file: &str, text: &str) -> Vec<Reference> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|(_, l)| l.trim_start().starts_with("mod "))
        {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        for path in paths_in(code) {
            found.push(Reference {
                file: file.to_owned(),
                line: n + 1,
                path,
            });
        }
    }
    found
}

/// The `crate::a::b` and `super::a` paths in a line, with `{x, y}` groups expanded one level.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(start) {
            let preceded = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let tail = &rest[at..];
            rest = &rest[at + start.len()..];
            if preceded {
                continue;
            }
            let path: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let parts: Vec<String> = path
                .split("::")
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            let after = &tail[path.len()..];
            match after.strip_prefix('{') {
                Some(group) => {
                    let inner = group.split('}').next().unwrap_or("");
                    for item in inner.split(',') {
                        let first = item.trim().split("::").next().unwrap_or("").trim();
                        if !first.is_empty() {
                            let mut p = parts.clone();
                            p.push(first.to_owned());
                            paths.push(p);
                        }
                    }
                }
                None => {
                    if parts.len() == 1 && start == "super::" {
                        continue;
                    }
                    paths.push(parts);
                }
            }
        }
    }
    paths
}

/// The top-level module of a source file, `None` for the crate root.
fn top_level(file: &str) -> Option<String> {
    let relative = file.strip_prefix("host/src/")?;
    let first = relative.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// `adapter/P/F` for a file of an adapter `P` (its `mod.rs` is `adapter/P/mod`).
fn adapter_file(file: &str) -> Option<String> {
    let relative = file.strip_prefix("host/src/adapter/")?;
    let (platform, rest) = relative.split_once('/')?;
    let name = rest.split('/').next()?;
    Some(format!(
        "adapter/{platform}/{}",
        name.strip_suffix(".rs").unwrap_or(name)
    ))
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(graph: &Graph) -> BTreeSet<BTreeSet<String>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: BTreeSet<BTreeSet<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, node: &'g str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = BTreeSet::new();
                while let Some(top) = self.stack.pop() {
                    component.insert(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.insert(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: BTreeSet::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    tarjan.found
}
