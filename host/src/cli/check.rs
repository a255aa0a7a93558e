//! `wasmbot check`: every problem with the config and the plugins, at once, each with its file,
//! line and column. The config's checks are exactly `run`'s ([`crate::daemon::problems`]);
//! warnings (a plugin asking for what it is not granted) do not fail the check.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::{best_match, located, Config, Grants, HostMatch, Problem};
use crate::plugin::{Loader, PluginVersion};
use crate::runtime::{Engine, HostServices, NoPlatforms};
use crate::store::MemoryStore;

/// A loader that touches nothing: no cache, an empty store, no platforms.
pub(super) fn scratch_loader(config: Config) -> anyhow::Result<Loader> {
    let services = HostServices::new(Arc::new(MemoryStore::default()), Arc::new(NoPlatforms));
    Ok(Loader {
        engine: Engine::new(None)?,
        services,
        config: Arc::new(config),
    })
}

/// What `check` found: problems fail it, warnings do not.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    warnings: Vec<String>,
}

pub(super) async fn run(args: &super::RunArgs) -> anyhow::Result<ExitCode> {
    let path = args.config.as_deref();
    let shown = path.unwrap_or(Path::new("(no config file)"));
    let (mut config, text) = match path {
        Some(path) => match read_config(path) {
            Ok(read) => read,
            Err(problems) => {
                report_problems(problems);
                return Ok(ExitCode::FAILURE);
            }
        },
        None => (Config::default(), String::new()),
    };
    args.apply(&mut config);
    let mut findings = Findings::default();
    for problem in crate::daemon::problems(&config) {
        findings
            .problems
            .push(located(shown, &problem.locate(&text)));
    }
    check_plugins(config, shown, &text, &mut findings).await?;
    for warning in &findings.warnings {
        eprintln!("warning: {warning}");
    }
    if findings.problems.is_empty() {
        println!("no problems found");
        return Ok(ExitCode::SUCCESS);
    }
    report_problems(findings.problems);
    Ok(ExitCode::FAILURE)
}

/// The config file's text and structure (syntax, keys, types), or what is wrong with them.
fn read_config(path: &Path) -> Result<(Config, String), Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("cannot read config file {}: {e}", path.display())])?;
    match Config::parse_structure(&text) {
        Ok(config) => Ok((config, text)),
        Err(problems) => Err(problems.iter().map(|p| located(path, p)).collect()),
    }
}

fn report_problems(problems: Vec<String>) {
    for problem in &problems {
        eprintln!("problem: {problem}");
    }
    eprintln!("{} problem(s) found", problems.len());
}

/// Loads every plugin in the folder as `run` would (without starting it), and compares what
/// each asks for with what it is granted.
async fn check_plugins(
    config: Config,
    shown: &Path,
    text: &str,
    findings: &mut Findings,
) -> anyhow::Result<()> {
    let plugins_dir = config.plugins_dir.clone();
    let loader = scratch_loader(config)?;
    let mut names = std::collections::BTreeMap::new();
    let files = match wasm_files(&plugins_dir) {
        Ok(files) => files,
        Err(e) => {
            let message = format!("plugins folder {}: {e}", plugins_dir.display());
            findings.problems.push(message);
            return Ok(());
        }
    };
    for file in files {
        let version = match loader.inspect(&file).await {
            Ok(version) => version,
            Err(e) => {
                findings.problems.push(e.to_string());
                continue;
            }
        };
        if let Some(other) = names.insert(version.name.to_string(), file.clone()) {
            findings.problems.push(format!(
                "{}: plugin `{}` is also declared by {}; only one file may declare a name",
                file.display(),
                version.name,
                other.display()
            ));
        }
        println!(
            "ok   {} ({} {}, {})",
            file.display(),
            version.name,
            version.manifest.version,
            version.world.name()
        );
        findings.warnings.extend(ungranted(&file, &version));
    }
    for (i, plugin) in loader.config.plugins.iter().enumerate() {
        if !names.contains_key(&plugin.name) {
            let message = format!(
                "`{}` is configured but no plugin of that name is in {}",
                plugin.name,
                plugins_dir.display()
            );
            let problem = Problem::in_element("plugins", i, &plugin.name, &["name"], message);
            findings
                .problems
                .push(located(shown, &problem.locate(text)));
        }
    }
    Ok(())
}

/// What a plugin declares it will do but is not granted: operations, then HTTP hosts.
fn ungranted(file: &Path, version: &PluginVersion) -> Vec<String> {
    let mut warnings = Vec::new();
    let missing: Vec<&str> = version
        .manifest
        .permissions
        .iter()
        .filter(|op| !version.grants.allows(**op))
        .map(|op| op.name())
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "{}: plugin `{}` asks for {} but is not granted them: those calls will be denied \
             (grant them in `[plugins.grants] operations`)",
            file.display(),
            version.name,
            missing.join(", ")
        ));
    }
    if !version.http_hosts.is_empty() && version.grants.http.is_empty() {
        warnings.push(format!(
            "{}: plugin `{}` means to reach {} over HTTP but has no `[plugins.grants] http`: \
             its requests will be denied",
            file.display(),
            version.name,
            version.http_hosts.join(", ")
        ));
    } else {
        let ungranted = ungranted_hosts(&version.http_hosts, &version.grants);
        if !ungranted.is_empty() {
            warnings.push(format!(
                "{}: plugin `{}` means to reach {} over HTTP, which `[plugins.grants] http` \
                 does not allow: those requests will be denied",
                file.display(),
                version.name,
                ungranted.join(", ")
            ));
        }
    }
    warnings
}

/// The hosts a plugin declares that no grant pattern allows (on their port, else 443).
/// Wildcards it declares are left out: no single grant settles them.
fn ungranted_hosts<'h>(hosts: &'h [String], grants: &Grants) -> Vec<&'h str> {
    let patterns = grants.http_patterns();
    hosts
        .iter()
        .map(String::as_str)
        .filter(|host| !host.contains('*'))
        .filter(|host| {
            let (name, port) = match host.rsplit_once(':') {
                Some((name, port)) => (name, port.parse().unwrap_or(443)),
                None => (*host, 443),
            };
            best_match(&patterns, name, port) == HostMatch::None
        })
        .collect()
}

/// The `.wasm` files in `dir`, sorted.
fn wasm_files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_no_grant_allows_are_named() {
        let grants = Grants {
            http: vec!["api.example.com".into(), "*.example.org:8443".into()],
            ..Grants::default()
        };
        let hosts: Vec<String> = [
            "api.example.com",
            "other.example.net",
            "a.example.org:8443",
            "*.x.com",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect();
        assert_eq!(ungranted_hosts(&hosts, &grants), ["other.example.net"]);
    }
}
