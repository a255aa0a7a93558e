//! `wasmbot new NAME --lang rust|python|js|ts`: a plugin project that builds with
//! `wasmbot build` and passes its own scenario test (`tests/NAME.toml`) out of the box. The
//! new plugin answers `/NAME TEXT` with a reply containing TEXT.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;

use super::build::Lang;

/// Options of `wasmbot new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name, also its command: lower-case letters, digits, `-` and `_`.
    name: String,
    /// rust, python, js or ts.
    #[arg(long, default_value = "rust")]
    lang: String,
    /// Where to make it (default: ./NAME).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// One file of a template: its path in the project and its text (placeholders unfilled).
type File = (&'static str, &'static str);

const PYTHON: &[File] = &[
    ("app.py", include_str!("templates/python/app.py")),
    (
        "wasmbot.toml",
        include_str!("templates/python/wasmbot.toml"),
    ),
];
const TS: &[File] = &[
    ("src/plugin.ts", include_str!("templates/ts/plugin.ts")),
    ("wasmbot.toml", include_str!("templates/ts/wasmbot.toml")),
    ("package.json", include_str!("templates/ts/package.json")),
];
const JS: &[File] = &[
    ("src/plugin.js", include_str!("templates/js/plugin.js")),
    ("wasmbot.toml", include_str!("templates/ts/wasmbot.toml")),
    ("package.json", include_str!("templates/ts/package.json")),
];
const RUST: &[File] = &[
    ("Cargo.toml", include_str!("templates/rust/Cargo.toml")),
    ("src/lib.rs", include_str!("templates/rust/lib.rs")),
    (
        "tests/scenario.rs",
        include_str!("templates/rust/scenario.rs"),
    ),
    ("Cargo.lock", include_str!("../../../Cargo.lock")),
];
const COMMON: &[File] = &[
    ("README.md", include_str!("templates/README.md")),
    (".gitignore", include_str!("templates/gitignore")),
];

/// Makes the project and says what to do next.
pub fn run(args: &NewArgs) -> anyhow::Result<ExitCode> {
    let lang = Lang::parse(&args.lang)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    create(&args.name, lang, &dir)?;
    println!("made {} ({}) in {}", args.name, lang.name(), dir.display());
    println!(
        "next: wasmbot build {0} && wasmbot test {0}/{1} {0}/tests/{2}.toml",
        dir.display(),
        wasm_path(&args.name, lang),
        args.name
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the project for `name` in `lang` into `dir` (which must not exist or be empty).
pub fn create(name: &str, lang: Lang, dir: &Path) -> anyhow::Result<()> {
    check_name(name)?;
    if dir
        .read_dir()
        .map(|mut d| d.next().is_some())
        .unwrap_or(false)
    {
        bail!(
            "{} already exists and is not empty: choose another name or --dir",
            dir.display()
        );
    }
    let values = placeholders(name, lang, dir)?;
    let files = match lang {
        Lang::Python => PYTHON,
        Lang::Ts => TS,
        Lang::Js => JS,
        Lang::Rust => RUST,
    };
    let scenario = format!("tests/{name}.toml");
    let extra: [(&str, &str); 1] = [(scenario.as_str(), include_str!("templates/scenario.toml"))];
    for (path, text) in files.iter().chain(COMMON).chain(extra.iter()) {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, fill(text, &values))
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}

/// A name is a command too: lower-case ASCII letters, digits, `-` and `_`, a letter first.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        bail!("{name:?} cannot be a plugin's name: use 1 to 32 lower-case letters, digits, `-` or `_`, starting with a letter");
    }
    Ok(())
}

/// Where `wasmbot build` puts the component, relative to the project.
fn wasm_path(name: &str, lang: Lang) -> String {
    match lang {
        Lang::Rust => format!(
            "target/wasm32-wasip2/release/{}.wasm",
            name.replace('-', "_")
        ),
        _ => format!("build/{name}.wasm"),
    }
}

fn placeholders(name: &str, lang: Lang, dir: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    let (language, entry, toolchain) = match lang {
        Lang::Python => ("Python", "app.py", format!("Needs componentize-py: `pip install componentize-py=={}`.", super::build::COMPONENTIZE_PY)),
        Lang::Ts => ("TypeScript", "src/plugin.ts", "Needs Node.js 20+ and npm: `wasmbot build` runs `npm install` for the pinned tools in package.json.".into()),
        Lang::Js => ("JavaScript", "src/plugin.js", "Needs Node.js 20+ and npm: `wasmbot build` runs `npm install` for the pinned tools in package.json.".into()),
        Lang::Rust => ("Rust", "src/lib.rs", "Needs Rust and `rustup target add wasm32-wasip2`; after `wasmbot build .`, `cargo test` runs its unit test and its scenario (tests/scenario.rs, with wasmbot's harness).".into()),
    };
    let mut values = vec![
        ("name", name.to_string()),
        ("lang", lang.name().to_string()),
        ("language", language.to_string()),
        ("entry", entry.to_string()),
        ("toolchain", toolchain),
        ("wasm", wasm_path(name, lang)),
    ];
    if lang == Lang::Rust {
        values.extend(rust_placeholders(dir)?);
        values.push(("crate", name.replace('-', "_")));
    }
    Ok(values)
}

/// The Rust SDK's path (this binary's repository) and whether the crate is a workspace of its
/// own (it is, unless it lands in the wasmbot workspace's `plugins/`).
fn rust_placeholders(dir: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let sdk = std::fs::canonicalize(repo.join("guest-sdk")).with_context(|| {
        format!(
            "the Rust SDK (guest-sdk) is not at {}: make Rust plugins from a wasmbot checkout",
            repo.display()
        )
    })?;
    let parent = std::fs::canonicalize(
        dir.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )
    .with_context(|| format!("the parent folder of {} does not exist", dir.display()))?;
    let in_workspace =
        std::fs::canonicalize(repo.join("plugins")).is_ok_and(|plugins| plugins == parent);
    let workspace = if in_workspace {
        ""
    } else {
        "\n# A workspace of its own (not part of an enclosing one).\n[workspace]\n"
    };
    let host = std::fs::canonicalize(repo.join("host"))
        .with_context(|| format!("the wasmbot crate (host) is not at {}", repo.display()))?;
    Ok(vec![
        ("sdk", sdk.display().to_string()),
        ("host", host.display().to_string()),
        ("workspace", workspace.to_string()),
    ])
}

/// `text` with every `{{key}}` replaced.
fn fill(text: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(text.to_string(), |t, (key, value)| {
        t.replace(&format!("{{{{{key}}}}}"), value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_commands() {
        assert!(check_name("hello-bot_2").is_ok());
        for bad in ["", "Hello", "2x", "a b", "../x", &"x".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fills_every_placeholder() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join("hello");
        for (lang, files) in [
            (Lang::Python, PYTHON),
            (Lang::Ts, TS),
            (Lang::Js, JS),
            (Lang::Rust, RUST),
        ] {
            let values = placeholders("hello", lang, &dir)?;
            for (path, text) in files.iter().chain(COMMON) {
                if *path != "Cargo.lock" {
                    assert!(!fill(text, &values).contains("{{"), "{path} of {lang:?}");
                }
            }
        }
        Ok(())
    }
}
