//! The little URL handling a request needs: scheme, authority, path and query, and resolving a
//! redirect's `Location` against the URL it came from.

/// An absolute `http` or `https` URL, split as `wasi:http` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub https: bool,
    /// `host[:port]`, as written.
    pub authority: String,
    /// Starts with `/`.
    pub path_and_query: String,
}

impl Url {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (https, rest) = if let Some(rest) = strip_prefix_ci(text, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ci(text, "http://") {
            (false, rest)
        } else {
            return Err(format!("`{text}` is not an http:// or https:// URL"));
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.is_empty()
            || authority.contains('@')
            || authority.contains(char::is_whitespace)
        {
            return Err(format!("`{text}` has no usable host"));
        }
        let path_and_query = match tail.chars().next() {
            None => "/".to_string(),
            Some('?') => format!("/{tail}"),
            Some(_) => tail.to_string(),
        };
        if path_and_query.contains(char::is_whitespace) {
            return Err(format!("`{text}` has spaces: percent-encode them"));
        }
        Ok(Self {
            https,
            authority: authority.to_string(),
            path_and_query,
        })
    }

    /// The URL a `Location` header points to, from this one.
    pub fn join(&self, location: &str) -> Result<Self, String> {
        let scheme = if self.https { "https:" } else { "http:" };
        if location.starts_with("//") {
            return Self::parse(&format!("{scheme}{location}"));
        }
        if location.contains("://") {
            return Self::parse(location);
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            let path = self.path_and_query.split('?').next().unwrap_or("/");
            let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        Self::parse(&format!("{scheme}//{}{path}", self.authority))
    }

    /// The host alone, lower case (to tell whether a redirect leaves it).
    pub fn host(&self) -> String {
        let authority = self.authority.to_ascii_lowercase();
        if let Some(v6) = authority.strip_prefix('[') {
            return v6.split(']').next().unwrap_or_default().to_string();
        }
        authority.split(':').next().unwrap_or_default().to_string()
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Percent-encodes `text` for a query value or a path segment: everything but `A-Z a-z 0-9 - . _ ~`.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn splits_scheme_authority_and_path() {
        let u = url("https://api.example.com:8443/v1/x?city=Paris#frag");
        assert!(u.https);
        assert_eq!(u.authority, "api.example.com:8443");
        assert_eq!(u.path_and_query, "/v1/x?city=Paris");
        assert_eq!(u.host(), "api.example.com");
        assert_eq!(url("http://h").path_and_query, "/");
        assert_eq!(url("http://h?q=1").path_and_query, "/?q=1");
        assert_eq!(url("http://[::1]:80/").host(), "::1");
        for bad in [
            "ftp://h/",
            "h/path",
            "http:///x",
            "http://u@h/",
            "http://h/a b",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirects_resolve_against_the_current_url() {
        let from = url("http://a.example/dir/page?x=1");
        assert_eq!(
            from.join("/top").map(|u| u.path_and_query),
            Ok("/top".into())
        );
        assert_eq!(
            from.join("next?y=2").map(|u| u.path_and_query),
            Ok("/dir/next?y=2".into())
        );
        assert_eq!(
            from.join("//b.example/z").map(|u| u.authority),
            Ok("b.example".into())
        );
        let other = from
            .join("https://c.example:9/")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(other.https && other.authority == "c.example:9");
    }

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(
            encode("São Paulo & co/1"),
            "S%C3%A3o%20Paulo%20%26%20co%2F1"
        );
        assert_eq!(encode("a-b_c.d~"), "a-b_c.d~");
    }
}
