//! What a plugin project is: its folder, name, language and entry file, read from
//! `wasmbot.toml` or guessed from the files present.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// The languages `wasmbot build` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    Python,
    Js,
    Ts,
}

impl Lang {
    /// Parses `rust`, `python`, `js` or `ts` (also `javascript`, `typescript`).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(match text {
            "rust" => Self::Rust,
            "python" | "py" => Self::Python,
            "js" | "javascript" => Self::Js,
            "ts" | "typescript" => Self::Ts,
            other => bail!("unknown language {other:?}: one of rust, python, js, ts"),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::Js => "js",
            Self::Ts => "ts",
        }
    }
}

/// `wasmbot.toml`, the project file of Python and JS/TS plugins.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    name: String,
    lang: String,
    /// The entry file: `app.py`, `src/plugin.ts`, …
    entry: Option<String>,
}

/// A plugin project to build.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project's folder (absolute).
    pub dir: PathBuf,
    /// The plugin's name: the output file is `build/NAME.wasm` (Rust: cargo's file).
    pub name: String,
    pub lang: Lang,
    /// The entry file, relative to `dir` (None for Rust).
    pub entry: Option<PathBuf>,
}

impl Project {
    /// Reads `dir/wasmbot.toml`, or takes a folder with a `Cargo.toml` for a Rust project.
    pub fn detect(dir: &Path) -> anyhow::Result<Self> {
        let dir = std::fs::canonicalize(dir)
            .with_context(|| format!("no plugin project at {}", dir.display()))?;
        let file = dir.join("wasmbot.toml");
        if file.exists() {
            return Self::from_file(&dir, &file);
        }
        if dir.join("Cargo.toml").exists() {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "plugin".into());
            return Ok(Self {
                dir,
                name,
                lang: Lang::Rust,
                entry: None,
            });
        }
        bail!(
            "{} is not a plugin project: it has neither wasmbot.toml (Python, JS, TS) nor \
             Cargo.toml (Rust); `wasmbot new NAME --lang LANG` makes one",
            dir.display()
        )
    }

    fn from_file(dir: &Path, file: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let parsed: ProjectFile =
            toml::from_str(&text).with_context(|| format!("{} is not valid", file.display()))?;
        let lang = Lang::parse(&parsed.lang).with_context(|| format!("in {}", file.display()))?;
        let entry = parsed.entry.map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(match lang {
                Lang::Python => "app.py",
                Lang::Ts => "src/plugin.ts",
                _ => "src/plugin.js",
            })
        });
        if !dir.join(&entry).exists() {
            bail!(
                "{}: the entry file {} does not exist",
                file.display(),
                entry.display()
            );
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            name: parsed.name,
            lang,
            entry: Some(entry),
        })
    }

    /// `DIR/build`, where the SDK copies and the component go.
    pub fn build_dir(&self) -> PathBuf {
        self.dir.join("build")
    }

    /// `DIR/build/NAME.wasm`.
    pub fn output(&self) -> PathBuf {
        self.build_dir().join(format!("{}.wasm", self.name))
    }
}
