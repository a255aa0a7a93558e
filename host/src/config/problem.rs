//! A problem with the config, with where it is: the key path (`bots[2] (name = "yh").secret`)
//! and, given the file's text, the line and column of the deepest part of that path present.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// One step of a key path: a table key, or an element of an array (of tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// What is wrong and at which key. Arrays of tables are numbered from 1 as they appear in the
/// file, and a bot's or plugin's element carries its name: `bots[2] (name = "yh")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: Vec<Seg>,
    /// The `name` of the array element the path goes through, if it has one.
    pub label: Option<String>,
    pub message: String,
    /// Line and column (from 1), when the file's text was at hand.
    pub at: Option<(usize, usize)>,
}

impl Problem {
    /// A problem at the top-level key path `keys` (`["runtime", "timeout_ms"]`).
    pub fn at_key(keys: &[&str], message: impl Into<String>) -> Self {
        Self {
            path: keys.iter().map(|k| Seg::Key(k.to_string())).collect(),
            label: None,
            message: message.into(),
            at: None,
        }
    }

    /// A problem with element `index` (from 0) of the array `array`, whose name is `name`, at
    /// its key path `keys` (empty: the element itself).
    pub fn in_element(
        array: &str,
        index: usize,
        name: &str,
        keys: &[&str],
        message: impl Into<String>,
    ) -> Self {
        let mut path = vec![Seg::Key(array.to_string()), Seg::Index(index)];
        path.extend(keys.iter().map(|k| Seg::Key(k.to_string())));
        Self {
            path,
            label: Some(name.to_string()),
            message: message.into(),
            at: None,
        }
    }

    /// A problem with no place in the file (a syntax error has only its position).
    pub fn plain(message: impl Into<String>, at: Option<(usize, usize)>) -> Self {
        Self {
            path: Vec::new(),
            label: None,
            message: message.into(),
            at,
        }
    }

    /// Finds the line and column of this problem's key in `text`.
    pub fn locate(mut self, text: &str) -> Self {
        if self.at.is_none() && !self.path.is_empty() {
            self.at = span_of(text, &self.path).map(|span| line_col(text, span.start));
        }
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) if path.is_empty() => path.push_str(k),
                Seg::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Seg::Index(i) => {
                    path.push_str(&format!("[{}]", i + 1));
                    if let Some(label) = &self.label {
                        path.push_str(&format!(" (name = {label:?})"));
                    }
                }
            }
        }
        if path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{path}: {}", self.message)
        }
    }
}

/// The span of the deepest part of `path` present in `text`.
fn span_of(text: &str, path: &[Seg]) -> Option<Range<usize>> {
    let (root, _) = DeTable::parse_recoverable(text);
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut value: Option<&DeValue<'_>> = None;
    let mut found = None;
    for seg in path {
        let next = match (seg, table, value) {
            (Seg::Key(k), Some(t), _) => {
                t.iter()
                    .find(|(key, _)| key.get_ref() == k)
                    .map(|(key, v)| {
                        found = Some(key.span());
                        v
                    })
            }
            (Seg::Index(i), _, Some(DeValue::Array(items))) => items.get(*i).inspect(|v| {
                found = Some(v.span());
            }),
            _ => None,
        };
        let Some(next) = next else { break };
        value = Some(next.get_ref());
        table = next.get_ref().as_table();
    }
    found
}

/// The line and column (from 1, the column in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[[bots]]\nname = \"a\"\nplatform = \"sim\"\n\n[[bots]]\nname = \"yh\"\nplatform = \"yunhu\"\n[bots.options]\nfoo = 1\n";

    #[test]
    fn a_key_in_the_second_bot_is_found_and_named() {
        let p = Problem::in_element("bots", 1, "yh", &["options", "foo"], "unknown option")
            .locate(TEXT);
        assert_eq!(p.at, Some((9, 1)));
        assert_eq!(
            p.to_string(),
            "bots[2] (name = \"yh\").options.foo: unknown option"
        );
    }

    #[test]
    fn a_missing_key_points_at_its_table() {
        let p = Problem::in_element("bots", 1, "yh", &["secret"], "missing").locate(TEXT);
        let (line, _) = p.at.unwrap();
        assert!((5..=7).contains(&line), "{p:?}");
    }
}
