//! A step's expectations against what happened, as readable diff lines: `-` what was
//! expected, `+` what the plugin did.

use serde_json::Value;

use super::format::Expect;
use super::stubs::HttpCall;

/// What a step produced, gathered from the sim, the store and the stub server.
#[derive(Debug, Default)]
pub struct Observed {
    /// The sim's action records in the step's chat since the step began.
    pub actions: Vec<Value>,
    /// The plugin's pending timer keys, sorted.
    pub timers: Vec<String>,
    /// The kv value of each key the step expects (`None`: absent).
    pub kv: Vec<(String, Option<Value>)>,
    /// The HTTP requests made since the step began.
    pub http: Vec<HttpCall>,
}

/// The diff lines of `observed` against `expect` (none: the step passed).
pub fn diff(expect: &Expect, observed: &Observed) -> Vec<String> {
    let of = |op: &str, field: &str| -> Vec<String> {
        observed
            .actions
            .iter()
            .filter(|a| a["op"] == op)
            .map(|a| a[field].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let mut lines = Vec::new();
    let lists = [
        ("replies", &expect.replies, of("reply", "text")),
        ("sends", &expect.sends, of("send", "text")),
        ("edits", &expect.edits, of("edit", "text")),
        ("reactions", &expect.reactions, of("react", "emoji")),
    ];
    for (what, expected, actual) in lists {
        diff_list(what, expected.as_deref(), &actual, &mut lines);
    }
    if let Some(keys) = &expect.timers {
        let mut wanted = keys.clone();
        wanted.sort();
        diff_list(
            "pending timers",
            Some(&wanted),
            &observed.timers,
            &mut lines,
        );
    }
    for (key, wanted) in expect.kv.iter().flatten() {
        let actual = observed
            .kv
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_ref());
        diff_kv(key, wanted, actual, &mut lines);
    }
    diff_http(expect.http.as_deref(), &observed.http, &mut lines);
    lines
}

/// Unmatched requests always; the request lines when `expected` is given.
fn diff_http(expected: Option<&[String]>, calls: &[HttpCall], lines: &mut Vec<String>) {
    for call in calls.iter().filter(|c| !c.matched) {
        lines.push(format!(
            "HTTP {}: no stub matches it (declare one under [[http]] with this method and url)",
            call.line()
        ));
    }
    let made: Vec<String> = calls.iter().map(HttpCall::line).collect();
    diff_list("HTTP requests", expected, &made, lines);
}

fn diff_kv(key: &str, wanted: &Value, actual: Option<&Value>, lines: &mut Vec<String>) {
    if actual == Some(wanted) {
        return;
    }
    lines.push(format!("kv {key:?}:"));
    lines.push(format!("  - {wanted}"));
    lines.push(format!(
        "  + {}",
        actual.map_or_else(|| "(none)".into(), Value::to_string)
    ));
}

/// Adds a `-`/`+` listing of `what` to `lines` when `actual` differs from `expected`.
pub fn diff_list(
    what: &str,
    expected: Option<&[String]>,
    actual: &[String],
    lines: &mut Vec<String>,
) {
    let Some(expected) = expected else { return };
    if expected == actual {
        return;
    }
    lines.push(format!(
        "{what}: expected {}, got {}",
        expected.len(),
        actual.len()
    ));
    for line in expected {
        lines.push(format!("  - {line:?}"));
    }
    for line in actual {
        lines.push(format!("  + {line:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_lists_both_sides() {
        let mut lines = Vec::new();
        diff_list("replies", Some(&["hi".into()]), &["ho".into()], &mut lines);
        assert_eq!(
            lines,
            ["replies: expected 1, got 1", "  - \"hi\"", "  + \"ho\""]
        );
        let mut none = Vec::new();
        diff_list("replies", Some(&["hi".into()]), &["hi".into()], &mut none);
        diff_list("sends", None, &["x".into()], &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn unmatched_requests_fail_and_kv_names_the_key() {
        let expect = Expect {
            kv: Some([("n".to_string(), json!(2))].into()),
            ..Expect::default()
        };
        let observed = Observed {
            kv: vec![("n".into(), Some(json!(1)))],
            http: vec![HttpCall {
                method: "GET".into(),
                url: "https://x.example/".into(),
                body: String::new(),
                matched: false,
            }],
            ..Observed::default()
        };
        let lines = diff(&expect, &observed);
        assert_eq!(&lines[..3], ["kv \"n\":", "  - 2", "  + 1"]);
        assert!(
            lines[3].contains("GET https://x.example/: no stub matches"),
            "{lines:?}"
        );
    }
}
