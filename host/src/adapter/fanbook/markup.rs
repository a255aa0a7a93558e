//! Fanbook's text markup: `${@!user}` mentions a user, `${@&role}` a role, `${/cmd}` is a
//! command. Inbound text is normalised to plain `@id`, `@&id` and `/cmd` so plugins see no
//! platform syntax; outbound mentions are written back in the platform's form.

/// One piece of marked-up text.
#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Text(&'a str),
    User(&'a str),
    Role(&'a str),
    Command(&'a str),
}

/// Splits text into plain runs and markup tokens. Anything that is not well-formed markup
/// stays plain text.
fn tokens(mut text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    while let Some(start) = text.find("${") {
        let Some(len) = text[start..].find('}') else {
            break;
        };
        let inner = &text[start + 2..start + len];
        let token = if let Some(id) = inner.strip_prefix("@!") {
            Some(Token::User(id))
        } else if let Some(id) = inner.strip_prefix("@&") {
            Some(Token::Role(id))
        } else {
            inner.strip_prefix('/').map(Token::Command)
        };
        match token {
            Some(token) => {
                if start > 0 {
                    out.push(Token::Text(&text[..start]));
                }
                out.push(token);
            }
            None => out.push(Token::Text(&text[..start + len + 1])),
        }
        text = &text[start + len + 1..];
    }
    if !text.is_empty() {
        out.push(Token::Text(text));
    }
    out
}

/// Text without platform markup, and the user ids it mentions.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Normalised {
    pub text: String,
    pub mentions: Vec<String>,
}

/// Normalises marked-up text. Mentions in front of a command (`${@!bot}${/sign}` or
/// `${@!bot} /sign`) are dropped from the text, so the text starts with the command and
/// `event::message_or_command` sees it; they stay in `mentions`.
pub(super) fn normalise(text: &str) -> Normalised {
    let tokens = tokens(text);
    let mentions = dedup(tokens.iter().filter_map(|t| match t {
        Token::User(id) => Some(id.to_string()),
        _ => None,
    }));
    let lead = tokens
        .iter()
        .take_while(|t| {
            matches!(t, Token::User(_) | Token::Role(_))
                || matches!(t, Token::Text(s) if s.trim().is_empty())
        })
        .count();
    let rest = render(&tokens[lead..]);
    let text = if rest.trim_start().starts_with('/') {
        rest.trim_start().to_string()
    } else {
        render(&tokens)
    };
    Normalised { text, mentions }
}

fn render(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Token::Text(s) => out.push_str(s),
            Token::User(id) => {
                out.push('@');
                out.push_str(id);
            }
            Token::Role(id) => {
                out.push_str("@&");
                out.push_str(id);
            }
            Token::Command(name) => {
                out.push('/');
                out.push_str(name);
            }
        }
    }
    out
}

fn dedup(ids: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Writes outbound mentions in Fanbook's form: `@id` in the text becomes `${@!id}`, and a
/// mentioned user the text does not name is mentioned at its start. Fanbook notifies only
/// users listed in `mentions` as well, so the caller sends those too.
pub(super) fn with_mentions(text: &str, mentions: &[String]) -> String {
    let mut out = text.to_string();
    let mut missing = Vec::new();
    for id in mentions {
        let plain = format!("@{id}");
        let marked = format!("${{@!{id}}}");
        if out.contains(&marked) {
            continue;
        }
        match replace_whole(&out, &plain, &marked) {
            Some(replaced) => out = replaced,
            None => missing.push(marked),
        }
    }
    if missing.is_empty() {
        out
    } else {
        format!("{} {out}", missing.join(" "))
    }
}

/// Replaces `needle` (an `@id`) where no digit follows it, so `@7` does not match `@70`.
/// `None` when it occurs nowhere.
fn replace_whole(text: &str, needle: &str, with: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut found = false;
    for (at, _) in text.match_indices(needle) {
        let end = at + needle.len();
        if at < last || text[end..].starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push_str(with);
        last = end;
        found = true;
    }
    out.push_str(&text[last..]);
    found.then_some(out)
}

/// The text of a rich text body (a Quill delta as JSON): text inserts as they are, images as
/// Markdown images. Text that is not a delta is returned unchanged.
pub(super) fn delta_text(delta: &str) -> String {
    let Ok(ops) = serde_json::from_str::<Vec<super::wire::DeltaOp>>(delta) else {
        return delta.to_string();
    };
    let mut out = String::new();
    for op in ops {
        match op.insert {
            serde_json::Value::String(s) => out.push_str(&s),
            serde_json::Value::Object(o) => {
                if let Some(src) = o.get("source").and_then(|s| s.as_str()) {
                    out.push_str(&format!("![]({src})"));
                }
            }
            _ => {}
        }
    }
    out.trim_end_matches('\n').to_string()
}

/// Decodes `%E8%B5%9E` to `赞` (Fanbook URL-encodes reaction names). Text that does not
/// decode to UTF-8 is returned unchanged.
pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Encodes every byte but ASCII letters, digits and `-_.~`, as `encodeURIComponent` does.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_commands_normalise() {
        let n = normalise("${@!455902781326258176}${/签到}");
        assert_eq!(n.text, "/签到");
        assert_eq!(n.mentions, vec!["455902781326258176"]);
        let n = normalise("${@!1} /echo hi ${@!2}");
        assert_eq!(n.text, "/echo hi @2");
        assert_eq!(n.mentions, vec!["1", "2"]);
        let n = normalise("${@!1} 查询积分 ${@&9}");
        assert_eq!(n.text, "@1 查询积分 @&9");
        assert_eq!(normalise("${oops} ${@!3").text, "${oops} ${@!3");
        assert_eq!(normalise("plain").text, "plain");
    }

    #[test]
    fn percent_coding_round_trips() {
        assert_eq!(percent_decode("%E8%B5%9E"), "赞");
        assert_eq!(percent_encode("赞"), "%E8%B5%9E");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode(&percent_encode("a b/+1")), "a b/+1");
    }

    #[test]
    fn rich_text_bodies_flatten() {
        let delta = r#"[{"insert":"Hi\n"},{"insert":{"source":"https://x/y.jpg","_type":"image"}},{"insert":"\n"}]"#;
        assert_eq!(delta_text(delta), "Hi\n![](https://x/y.jpg)");
        assert_eq!(delta_text("not json"), "not json");
    }

    #[test]
    fn outbound_mentions_use_markup() {
        assert_eq!(with_mentions("hi @7", &["7".into()]), "hi ${@!7}");
        assert_eq!(
            with_mentions("hi", &["7".into(), "8".into()]),
            "${@!7} ${@!8} hi"
        );
        assert_eq!(with_mentions("${@!7} hi", &["7".into()]), "${@!7} hi");
        assert_eq!(with_mentions("@70 hi", &["7".into()]), "${@!7} @70 hi");
    }
}
