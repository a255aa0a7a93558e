//! Ids and texts read with their exact text, whatever form the number came in.
#![allow(clippy::unwrap_used)]

use serde::Deserialize;
use serde_json::json;

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Sample {
    #[serde(deserialize_with = "string")]
    id: String,
    #[serde(deserialize_with = "string_list")]
    ids: Vec<String>,
    #[serde(deserialize_with = "scalar")]
    content: Scalar,
    #[serde(deserialize_with = "int")]
    time: i64,
}

fn sample(text: &str) -> Sample {
    serde_json::from_str(text).unwrap()
}

#[test]
fn numbers_keep_the_literal_they_were_sent_as() {
    for literal in [
        "9007199254740993",
        "18446744073709551617",
        "18446744073709551618",
        "-9223372036854775809",
        "1e3",
        "1E3",
        "1000.0",
        "1000",
        "0.1",
    ] {
        let s = sample(&format!(r#"{{"id": {literal}, "ids": [{literal}, "x"]}}"#));
        assert_eq!(s.id, literal);
        assert_eq!(s.ids, vec![literal, "x"]);
    }
}

#[test]
fn a_string_and_a_number_with_the_same_text_are_the_same_id() {
    assert_eq!(sample(r#"{"id": "1000"}"#).id, sample(r#"{"id": 1000}"#).id);
    assert_eq!(sample(r#"{"id": "\u0031"}"#).id, "1");
    assert_eq!(sample(r#"{"id": true}"#).id, "true");
    assert_eq!(sample(r#"{"id": null}"#).id, "");
    assert_eq!(sample(r#"{"id": {"a": 1}}"#).id, "");
    assert_eq!(sample(r#"{"ids": "1, 2,,3"}"#).ids, vec!["1", "2", "3"]);
}

#[test]
fn a_scalar_remembers_an_object_or_a_list() {
    assert_eq!(sample("{}").content, Scalar::Absent);
    assert_eq!(
        sample(r#"{"content": null}"#).content.text("content"),
        Ok("")
    );
    assert_eq!(
        sample(r#"{"content": 1e3}"#).content,
        Scalar::Text("1e3".into())
    );
    let error = sample(r#"{"content": {"text": "hi"}}"#)
        .content
        .text("content")
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`content` must be a string or a number, not an object"
    );
    let list = sample(r#"{"content": ["hi"]}"#).content;
    assert!(list
        .text("content")
        .unwrap_err()
        .to_string()
        .ends_with("not a list"));
}

#[test]
fn integers_are_read_from_any_numeric_form() {
    assert_eq!(sample(r#"{"time": 1732636800}"#).time, 1_732_636_800);
    assert_eq!(sample(r#"{"time": "1732636800"}"#).time, 1_732_636_800);
    assert_eq!(sample(r#"{"time": 1.7326368e9}"#).time, 1_732_636_800);
    assert_eq!(sample(r#"{"time": 1.5}"#).time, 0);
    assert_eq!(sample(r#"{"time": 1e30}"#).time, 0);
    assert_eq!(sample(r#"{"time": "soon"}"#).time, 0);
    assert_eq!(int_of(&json!(1e3)), 1000);
    assert_eq!(int_of(&json!(-7)), -7);
}

#[test]
fn from_a_parsed_value_the_helpers_still_work() {
    let s: Sample =
        serde_json::from_value(json!({"id": 42, "ids": [1, 2], "content": "hi", "time": "5"}))
            .unwrap();
    assert_eq!(
        (s.id.as_str(), s.ids, s.content, s.time),
        (
            "42",
            vec!["1".to_string(), "2".into()],
            Scalar::Text("hi".into()),
            5
        )
    );
    let list: Vec<u32> = or_default(json!("not a list")).unwrap();
    assert!(list.is_empty());
}
