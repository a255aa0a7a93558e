use super::*;

const TOKEN: &str = "0123456789abcdef0123";

fn guard(listen: &str, hosts: &[&str]) -> Guard {
    let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    Guard::new(Secret::new(TOKEN), &hosts, listen.parse().unwrap(), false)
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    map
}

const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

#[test]
fn loopback_names_with_any_port_are_allowed() {
    let g = guard("127.0.0.1:8700", &[]);
    for host in [
        "127.0.0.1:8700",
        "localhost:1",
        "[::1]:8700",
        "localhost",
        "127.0.0.1",
    ] {
        let h = headers(&[("host", host)]);
        assert_eq!(g.check(&Method::GET, &h, LOOPBACK), Ok(()), "{host}");
    }
    let h = headers(&[("host", "evil.example:8700")]);
    let refused = g.check(&Method::GET, &h, LOOPBACK).unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[test]
fn configured_names_are_allowed_with_or_without_port() {
    let g = guard("127.0.0.1:8700", &["Bot.Example.com"]);
    let h = headers(&[("host", "bot.example.com:443")]);
    assert_eq!(g.check(&Method::GET, &h, LOOPBACK), Ok(()));
    let h = headers(&[("host", "other.example.com")]);
    assert!(g.check(&Method::GET, &h, LOOPBACK).is_err());
}

#[test]
fn a_listener_that_is_not_loopback_asks_for_the_token_on_reads() {
    let g = guard("0.0.0.0:8700", &[]);
    let h = headers(&[("host", "127.0.0.1:8700")]);
    let refused = g.check(&Method::GET, &h, LOOPBACK).unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {TOKEN}");
    let h = headers(&[("host", "127.0.0.1:8700"), ("authorization", &bearer)]);
    assert_eq!(g.check(&Method::GET, &h, LOOPBACK), Ok(()));
}

#[test]
fn a_remote_peer_asks_for_the_token_on_reads() {
    let g = guard("127.0.0.1:8700", &[]);
    let h = headers(&[("host", "127.0.0.1:8700")]);
    let remote: IpAddr = "10.0.0.1".parse().unwrap();
    assert!(g.check(&Method::GET, &h, remote).is_err());
}

#[test]
fn origin_must_match_the_host() {
    let g = guard("127.0.0.1:8700", &[]);
    let same = headers(&[
        ("host", "127.0.0.1:8700"),
        ("origin", "http://127.0.0.1:8700"),
    ]);
    assert_eq!(g.check(&Method::GET, &same, LOOPBACK), Ok(()));
    for origin in ["http://evil.example", "null", "http://127.0.0.1:9999"] {
        let h = headers(&[("host", "127.0.0.1:8700"), ("origin", origin)]);
        let refused = g.check(&Method::GET, &h, LOOPBACK).unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{origin}");
    }
}

#[test]
fn changes_need_post_json_and_the_token() {
    let g = guard("127.0.0.1:8700", &[]);
    let bearer = format!("Bearer {TOKEN}");
    let base = [
        ("host", "127.0.0.1:8700"),
        ("authorization", bearer.as_str()),
    ];
    let no_json = headers(&base);
    let refused = g.check(&Method::POST, &no_json, LOOPBACK).unwrap_err();
    assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let delete = g.check(&Method::DELETE, &no_json, LOOPBACK).unwrap_err();
    assert_eq!(delete.status, StatusCode::METHOD_NOT_ALLOWED);
    let mut json = base.to_vec();
    json.push(("content-type", "application/json; charset=utf-8"));
    assert_eq!(g.check(&Method::POST, &headers(&json), LOOPBACK), Ok(()));
    let without_token = headers(&[
        ("host", "127.0.0.1:8700"),
        ("content-type", "application/json"),
    ]);
    let refused = g
        .check(&Method::POST, &without_token, LOOPBACK)
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let wrong = headers(&[
        ("host", "127.0.0.1:8700"),
        ("content-type", "application/json"),
        ("authorization", "Bearer nope"),
    ]);
    let refused = g.check(&Method::POST, &wrong, LOOPBACK).unwrap_err();
    assert!(refused.message.contains("wrong"), "{refused:?}");
    assert!(!refused.message.contains(TOKEN));
}

#[test]
fn the_guard_does_not_print_its_token() {
    let g = guard("127.0.0.1:8700", &[]);
    assert!(!format!("{g:?}").contains(TOKEN));
}

#[test]
fn a_browser_may_send_the_token_as_a_basic_password() {
    use base64::Engine as _;
    let g = guard("0.0.0.0:8700", &[]);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("operator:{TOKEN}"));
    let value = format!("Basic {basic}");
    let h = headers(&[("host", "127.0.0.1:8700"), ("authorization", &value)]);
    assert_eq!(g.check(&Method::GET, &h, LOOPBACK), Ok(()));
    let wrong = base64::engine::general_purpose::STANDARD.encode("operator:nope");
    let value = format!("Basic {wrong}");
    let h = headers(&[("host", "127.0.0.1:8700"), ("authorization", &value)]);
    assert!(g.check(&Method::GET, &h, LOOPBACK).is_err());
}
