//! Cron expressions read in a time zone: when a schedule fires. `croner` parses and walks the
//! expression (six fields, seconds first, as `wit/guest.wit` documents); `chrono-tz` is the
//! IANA time-zone database, so `0 0 9 * * *` in `Europe/Berlin` is 09:00 there in winter and
//! in summer alike.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};

/// A parsed cron expression with its time zone.
#[derive(Debug, Clone)]
pub struct Cron {
    expression: String,
    timezone: String,
    zone: Tz,
    cron: croner::Cron,
}

/// Why an expression or time zone was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("bad cron expression `{expression}` (six fields, seconds first, e.g. `0 0 9 * * Mon-Fri`): {reason}")]
    Expression { expression: String, reason: String },
    #[error("unknown time zone `{0}` (an IANA name such as `Asia/Shanghai`, or empty for UTC)")]
    TimeZone(String),
}

impl Cron {
    /// Parses `expression` to be read in `timezone` (an IANA name; empty: UTC).
    pub fn parse(expression: &str, timezone: &str) -> Result<Self, CronError> {
        let zone = if timezone.trim().is_empty() {
            Tz::UTC
        } else {
            Tz::from_str(timezone.trim()).map_err(|_| CronError::TimeZone(timezone.to_owned()))?
        };
        let parser = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Disallowed)
            .build();
        let cron = parser
            .parse(expression)
            .map_err(|e| CronError::Expression {
                expression: expression.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            expression: expression.to_owned(),
            timezone: timezone.to_owned(),
            zone,
            cron,
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    /// The first instant strictly after `after_ms` (Unix milliseconds), in milliseconds;
    /// `None` when the expression has none left (or none within croner's search limit).
    pub fn next_after(&self, after_ms: u64) -> Option<u64> {
        let after = i64::try_from(after_ms).ok()?;
        let start: DateTime<Utc> = Utc.timestamp_millis_opt(after).single()?;
        let local = start.with_timezone(&self.zone);
        let next = self.cron.find_next_occurrence(&local, false).ok()?;
        u64::try_from(next.timestamp_millis()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-05 00:00:00 UTC, a Monday.
    const MONDAY: u64 = 1_767_571_200_000;
    const HOUR: u64 = 3_600_000;

    #[test]
    fn instants_follow_the_expression_in_its_time_zone() {
        let cron = Cron::parse("0 0 9 * * Mon-Fri", "Asia/Shanghai").unwrap();
        // 09:00 in Shanghai is 01:00 UTC.
        let first = cron.next_after(MONDAY).unwrap();
        assert_eq!(first, MONDAY + HOUR);
        assert_eq!(cron.next_after(first).unwrap(), MONDAY + 25 * HOUR);
        // Friday's, then Monday's: the weekend is skipped.
        let friday = MONDAY + 4 * 24 * HOUR + HOUR;
        assert_eq!(
            cron.next_after(friday).unwrap(),
            MONDAY + 7 * 24 * HOUR + HOUR
        );
    }

    #[test]
    fn daylight_saving_moves_the_utc_instant() {
        let cron = Cron::parse("0 0 9 * * *", "Europe/Berlin").unwrap();
        // 2026-03-28 (CET, +1) and 2026-03-30 (CEST, +2).
        let march_28 = 1_774_656_000_000; // 2026-03-28 00:00 UTC
        assert_eq!(cron.next_after(march_28).unwrap(), march_28 + 8 * HOUR);
        let march_30 = march_28 + 2 * 24 * HOUR;
        assert_eq!(cron.next_after(march_30).unwrap(), march_30 + 7 * HOUR);
    }

    #[test]
    fn seconds_count_and_an_empty_zone_is_utc() {
        let cron = Cron::parse("*/15 * * * * *", "").unwrap();
        assert_eq!(cron.next_after(MONDAY).unwrap(), MONDAY + 15_000);
        assert_eq!(cron.next_after(MONDAY + 14_999).unwrap(), MONDAY + 15_000);
        assert_eq!(cron.next_after(MONDAY + 15_000).unwrap(), MONDAY + 30_000);
    }

    #[test]
    fn bad_expressions_and_zones_say_what_is_wrong() {
        let five_fields = Cron::parse("0 9 * * *", "").unwrap_err();
        assert!(
            matches!(&five_fields, CronError::Expression { expression, .. } if expression == "0 9 * * *"),
            "{five_fields}"
        );
        assert!(matches!(
            Cron::parse("0 0 25 * * *", ""),
            Err(CronError::Expression { .. })
        ));
        assert_eq!(
            Cron::parse("0 0 9 * * *", "Mars/Olympus").unwrap_err(),
            CronError::TimeZone("Mars/Olympus".into())
        );
    }
}
