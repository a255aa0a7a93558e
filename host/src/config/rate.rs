//! Outbound rates, written as operators think of them: `"20/min"`, `"10/s"`, `"500/h"`, or
//! `"off"`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// At most `requests` in any window of length `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub requests: u32,
    pub window: Duration,
}

impl Rate {
    pub const fn per_minute(requests: u32) -> Self {
        Self {
            requests,
            window: Duration::from_secs(60),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.requests, self.window.as_secs_f64())
    }
}

/// A bot's `rate_limit`: a rate, or `off` to lift the platform's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum RateSetting {
    Off,
    Limit(Rate),
}

impl FromStr for RateSetting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "off" {
            return Ok(RateSetting::Off);
        }
        let expected = || {
            format!(
                "`{text}` is not a rate; write it like \"20/min\", \"10/s\", \"500/h\" or \"off\""
            )
        };
        let (count, unit) = text.split_once('/').ok_or_else(expected)?;
        let requests: u32 = count.trim().parse().map_err(|_| expected())?;
        let window = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(expected()),
        };
        if requests == 0 {
            return Err(format!(
                "`{text}`: a rate must allow at least one request (or say \"off\")"
            ));
        }
        Ok(RateSetting::Limit(Rate { requests, window }))
    }
}

impl TryFrom<String> for RateSetting {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_in_operator_units() {
        assert_eq!(
            "20/min".parse(),
            Ok(RateSetting::Limit(Rate::per_minute(20)))
        );
        assert_eq!(
            " 10 / s ".parse(),
            Ok(RateSetting::Limit(Rate {
                requests: 10,
                window: Duration::from_secs(1)
            }))
        );
        assert_eq!("off".parse::<RateSetting>(), Ok(RateSetting::Off));
        for bad in ["20", "20/day", "x/min", "0/s", "-1/s", ""] {
            let e = bad.parse::<RateSetting>().unwrap_err();
            assert!(e.contains("rate"), "{bad}: {e}");
        }
    }
}
