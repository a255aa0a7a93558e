//! `${VAR}` expansion in string values, so secrets can come from the environment.

/// Replaces every `${NAME}` in the string values of `value`. `$${` escapes a literal `${`.
pub(super) fn expand(
    value: &mut toml::Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    expand_at(value, lookup, "")
}

fn expand_at(
    value: &mut toml::Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    at: &str,
) -> Result<(), String> {
    match value {
        toml::Value::String(s) => {
            *s = expand_str(s, lookup).map_err(|e| format!("{at}: {e}"))?;
        }
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                expand_at(item, lookup, &format!("{at}[{i}]"))?;
            }
        }
        toml::Value::Table(table) => {
            for (key, item) in table.iter_mut() {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                expand_at(item, lookup, &path)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn expand_str(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if let Some(escaped) = after.strip_prefix("${") {
            out.push_str("${");
            rest = escaped;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| "unclosed `${` in value".to_string())?;
            let name = &body[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`${{{name}}}` is not a valid variable name"));
            }
            let found =
                lookup(name).ok_or_else(|| format!("environment variable `{name}` is not set"))?;
            out.push_str(&found);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "s3cret".to_string())
    }

    #[test]
    fn expands_escapes_and_reports_missing() {
        assert_eq!(expand_str("a${TOKEN}b", &env).as_deref(), Ok("as3cretb"));
        assert_eq!(
            expand_str("$${TOKEN} $5", &env).as_deref(),
            Ok("${TOKEN} $5")
        );
        assert!(expand_str("${NOPE}", &env)
            .unwrap_err()
            .contains("`NOPE` is not set"));
        assert!(expand_str("${TOKEN", &env)
            .unwrap_err()
            .contains("unclosed"));
    }

    #[test]
    fn names_the_key_of_a_bad_value() {
        let mut value: toml::Value = toml::from_str("[[bots]]\nname = \"x\"\ntoken = \"${NOPE}\"")
            .unwrap_or(toml::Value::Boolean(false));
        let err = expand(&mut value, &env).unwrap_err();
        assert!(err.starts_with("bots[0].token"), "{err}");
    }
}
