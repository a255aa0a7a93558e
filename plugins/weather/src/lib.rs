//! `weather`: `/weather CITY` asks the operator's weather API (`GET {api_url}?city=CITY`) and
//! replies with the `summary` of its JSON answer.
//!
//! The operator sets `api_url` in `[plugins.config]` and grants its host in
//! `[plugins.grants] http`; without `api_url` the plugin answers that it is not configured.
//! A denied host, a timeout and an error status each get their own short explanation.

use serde::Deserialize;
use wasmbot_sdk::http::{self, HttpError};
use wasmbot_sdk::prelude::*;

/// The operator's config.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Config {
    /// The API's URL, without a query: `https://weather.example.com/v1/now`.
    api_url: Option<String>,
}

/// What the API answers; only the summary is used.
#[derive(Debug, Deserialize)]
struct Answer {
    summary: String,
}

#[derive(Debug, Default)]
struct Weather {
    config: Config,
}

impl Plugin for Weather {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .command(
                CommandHelp::new("weather", "Tells the weather in a city")
                    .arg("CITY", "the city to ask about"),
            )
            .permission(Operation::Reply)
            // The API's host is whatever `api_url` names: the operator grants it.
            .http_host("*")
    }

    fn init(&mut self, config: Value) -> Result<(), String> {
        self.config = wasmbot_sdk::config::parse(config)?;
        if let Some(url) = &self.config.api_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "api_url `{url}` must start with http:// or https://"
                ));
            }
        }
        Ok(())
    }

    fn on_command(&mut self, command: Command) -> Result<(), Error> {
        let city = command.args.trim();
        let answer = match (&self.config.api_url, city) {
            (_, "") => "Usage: /weather CITY".to_string(),
            (None, _) => NOT_CONFIGURED.to_string(),
            (Some(api), city) => match ask(api, city) {
                Ok(summary) => summary,
                Err(e) => explain(&e, city),
            },
        };
        command.reply(answer)?;
        Ok(())
    }
}

const NOT_CONFIGURED: &str =
    "The weather service is not configured (the operator sets api_url in [plugins.config]).";

/// The request's URL: `api?city=CITY`, the city percent-encoded.
fn url_for(api: &str, city: &str) -> String {
    let separator = if api.contains('?') { '&' } else { '?' };
    format!("{api}{separator}city={}", http::encode(city))
}

/// The summary for `city`, or why there is none.
fn ask(api: &str, city: &str) -> Result<String, HttpError> {
    let answer: Answer = http::get(&url_for(api, city))?.error_for_status()?.json()?;
    Ok(answer.summary)
}

/// A short sentence for the user; the details are in the host's audit line.
fn explain(error: &HttpError, city: &str) -> String {
    match error {
        HttpError::Denied(_) => {
            "The weather service is not allowed from here (the operator has not granted its host)."
                .into()
        }
        HttpError::Timeout => "The weather service did not answer in time; try again later.".into(),
        HttpError::Status(404) => format!("The weather service knows no city called {city}."),
        HttpError::Status(status) => {
            format!("The weather service answered with an error ({status}); try again later.")
        }
        HttpError::Body(_) | HttpError::TooLarge => {
            "The weather service answered something I cannot read.".into()
        }
        _ => "The weather service cannot be reached right now; try again later.".into(),
    }
}

wasmbot_sdk::export_plugin!(Weather);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_city_is_percent_encoded_into_the_query() {
        assert_eq!(
            url_for("http://h/now", "São Paulo"),
            "http://h/now?city=S%C3%A3o%20Paulo"
        );
        assert_eq!(
            url_for("http://h/now?key=1", "Oslo"),
            "http://h/now?key=1&city=Oslo"
        );
    }

    #[test]
    fn each_failure_has_its_own_words() {
        let texts: Vec<String> = [
            HttpError::Denied("x".into()),
            HttpError::Timeout,
            HttpError::Status(500),
            HttpError::Status(404),
            HttpError::Connection("x".into()),
        ]
        .iter()
        .map(|e| explain(e, "Oslo"))
        .collect();
        let distinct: std::collections::BTreeSet<&String> = texts.iter().collect();
        assert_eq!(distinct.len(), texts.len(), "{texts:?}");
    }
}
