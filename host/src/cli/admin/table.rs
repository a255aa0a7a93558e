//! Tables for people from the admin API's JSON: `status`, `deadletters list`, and one line for
//! a change that was made.

use serde_json::Value;

/// Left-aligned columns two spaces apart, under a header; `(none)` for no rows.
fn grid(header: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "  (none)\n".to_string();
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            out.push(' ');
            out.push_str(cell);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(w - cell.chars().count() + 1));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// A JSON value as a cell: strings without quotes, null as `-`.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value[key].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// `wasmbot status`: plugins, plugins that failed to load, plugins away, bots.
pub(super) fn status(body: &Value) -> String {
    let plugins: Vec<Vec<String>> = array(body, "plugins")
        .iter()
        .map(|p| {
            let state = if p["quarantined"] == true {
                "quarantined".to_string()
            } else if p["enabled"] == false {
                "disabled".to_string()
            } else {
                "serving".to_string()
            };
            vec![
                cell(&p["name"]),
                cell(&p["version"]),
                cell(&p["world"]),
                state,
                cell(&p["backlog"]),
                cell(&p["failures"]),
                cell(&p["shed"]),
                cell(&p["tier"]),
                cell(&p["source"]),
            ]
        })
        .collect();
    let header = [
        "NAME", "VERSION", "WORLD", "STATE", "BACKLOG", "FAILURES", "SHED", "TIER", "FILE",
    ];
    let mut out = format!("plugins\n{}", grid(&header, &plugins));
    let errors: Vec<Vec<String>> = array(body, "plugins")
        .iter()
        .filter(|p| p["last_error"].is_string())
        .map(|p| vec![cell(&p["name"]), cell(&p["last_error"])])
        .collect();
    if !errors.is_empty() {
        out.push_str(&format!(
            "\nplugins' last errors (and what to do)\n{}",
            grid(&["NAME", "LAST ERROR"], &errors)
        ));
    }
    let failed: Vec<Vec<String>> = array(body, "failed_plugins")
        .iter()
        .map(|f| vec![cell(&f["file"]), cell(&f["reason"])])
        .collect();
    if !failed.is_empty() {
        out.push_str(&format!(
            "\nplugins that failed to load\n{}",
            grid(&["FILE", "REASON"], &failed)
        ));
    }
    let waiting: Vec<Vec<String>> = array(body, "waiting_plugins")
        .iter()
        .map(|w| vec![cell(&w["name"]), cell(&w["behind"])])
        .collect();
    if !waiting.is_empty() {
        out.push_str(&format!(
            "\nplugins away (their place is kept)\n{}",
            grid(&["NAME", "EVENTS BEHIND"], &waiting)
        ));
    }
    let bots: Vec<Vec<String>> = array(body, "bots")
        .iter()
        .map(|b| {
            vec![
                cell(&b["name"]),
                cell(&b["platform"]),
                cell(&b["connection"]),
                cell(&b["failures"]),
            ]
        })
        .collect();
    out.push_str(&format!(
        "\nbots\n{}",
        grid(
            &["NAME", "PLATFORM", "CONNECTION", "FAILURES IN A ROW"],
            &bots
        )
    ));
    out.push_str(&format!(
        "\ndead letters: {}\n",
        cell(&body["dead_letters"])
    ));
    if body["cluster"].is_object() {
        out.push_str(&cluster(&body["cluster"]));
    }
    out
}

/// The cluster part of `wasmbot status`: this node, the nodes present, who holds which
/// lease, and the events not handled yet.
fn cluster(c: &Value) -> String {
    let nodes: Vec<Vec<String>> = array(c, "nodes").iter().map(|n| vec![cell(n)]).collect();
    let leases: Vec<Vec<String>> = array(c, "leases")
        .iter()
        .map(|l| vec![cell(&l[0]), cell(&l[1])])
        .collect();
    let lagging: Vec<Vec<String>> = array(c, "lagging")
        .iter()
        .map(|p| vec![cell(&p[0]), cell(&p[1]), cell(&p[2])])
        .collect();
    format!(
        "\ncluster: node {}, {} partitions, {} events waiting\n\nnodes\n{}\nleases\n{}\npartitions with events waiting\n{}",
        cell(&c["node"]),
        cell(&c["partitions"]),
        cell(&c["lag"]),
        grid(&["NODE"], &nodes),
        grid(&["LEASE", "HOLDER"], &leases),
        grid(&["PARTITION", "WAITING", "IN FLIGHT"], &lagging)
    )
}

/// `wasmbot deadletters list`.
pub(super) fn dead_letters(body: &Value) -> String {
    let rows: Vec<Vec<String>> = array(body, "dead_letters")
        .iter()
        .map(|l| {
            vec![
                cell(&l["id"]),
                cell(&l["plugin"]),
                cell(&l["bot"]),
                cell(&l["chat"]),
                cell(&l["op"]),
                cell(&l["reason"]),
            ]
        })
        .collect();
    grid(&["ID", "PLUGIN", "BOT", "CHAT", "ACTION", "REASON"], &rows)
}

/// One line for a change the daemon made (`{"retried": 3}` → `retried 3`).
pub(super) fn done(body: &Value) -> String {
    match body.as_object() {
        Some(map) => map
            .iter()
            .map(|(k, v)| format!("{k} {}", cell(v)))
            .collect::<Vec<_>>()
            .join(", "),
        None => cell(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_is_a_table_without_json_quotes() {
        let body = json!({
            "plugins": [{"name": "echo", "version": "0.2.0", "world": "wasmbot:bot@0.2.0",
                "quarantined": false, "backlog": 0, "failures": 0, "shed": 0,
                "tier": "optimized", "source": "plugins/echo.wasm"}],
            "failed_plugins": [{"file": "plugins/bad.wasm", "reason": "the file is empty"}],
            "bots": [{"name": "sim", "platform": "sim", "connection": "up", "failures": 0}],
            "dead_letters": 2,
        });
        let text = status(&body);
        assert!(text.contains("echo"), "{text}");
        assert!(
            text.contains("plugins/bad.wasm  the file is empty"),
            "{text}"
        );
        assert!(text.contains("dead letters: 2"), "{text}");
        assert!(!text.contains('"'), "{text}");
    }

    #[test]
    fn a_plugins_last_error_is_listed_with_what_to_do() {
        let body = json!({
            "plugins": [{"name": "py", "last_error": "internal: boom (fix the plugin)"},
                {"name": "echo", "last_error": null}],
        });
        let text = status(&body);
        let errors = text.split("last errors").nth(1).unwrap_or_default();
        assert!(errors.contains("internal: boom (fix the plugin)"), "{text}");
        assert!(!errors.contains("echo"), "{text}");
    }

    #[test]
    fn an_empty_list_says_none() {
        assert_eq!(dead_letters(&json!({"dead_letters": []})), "  (none)\n");
    }
}
