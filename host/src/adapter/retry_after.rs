//! `Retry-After` (RFC 9110 §10.2.3): how long a platform asks the client to wait, given as
//! delay-seconds (`120`) or as an HTTP-date (`Fri, 31 Oct 2025 10:06:00 GMT`). Every HTTP client
//! of the adapters reads it here, for a 429 as for a rate-limit code inside a 200.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The longest wait honoured: a platform asking for more is treated as asking for this, so one
/// odd answer cannot park a chat's deliveries for a day.
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

/// The wait a response's `Retry-After` asks for, counted from `now`; `None` when the header is
/// absent or neither form.
pub fn from_headers(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse(value, now)
}

/// Reads a `Retry-After` value. Delay-seconds may carry a fraction (some platforms send `0.5`);
/// a date in the past means "now" (a zero wait). Waits are capped at [`MAX_WAIT`].
pub fn parse(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(MAX_WAIT.as_secs_f64())));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default().min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fri, 31 Oct 2025 10:05:00 GMT.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_761_905_100)
    }

    #[test]
    fn delay_seconds() {
        assert_eq!(parse("2", now()), Some(Duration::from_secs(2)));
        assert_eq!(parse(" 0 ", now()), Some(Duration::ZERO));
        assert_eq!(parse("0.3", now()), Some(Duration::from_millis(300)));
        assert_eq!(parse("99999999", now()), Some(MAX_WAIT));
        assert_eq!(parse("-1", now()), None);
        assert_eq!(parse("NaN", now()), None);
        assert_eq!(parse("inf", now()), None);
    }

    #[test]
    fn http_dates_in_each_form() {
        let in_a_minute = Some(Duration::from_secs(60));
        assert_eq!(parse("Fri, 31 Oct 2025 10:06:00 GMT", now()), in_a_minute);
        // The obsolete forms RFC 9110 still asks recipients to accept.
        assert_eq!(parse("Friday, 31-Oct-25 10:06:00 GMT", now()), in_a_minute);
        assert_eq!(parse("Fri Oct 31 10:06:00 2025", now()), in_a_minute);
    }

    #[test]
    fn a_date_in_the_past_means_now_and_a_far_one_is_capped() {
        assert_eq!(
            parse("Fri, 31 Oct 2025 10:04:59 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse("Thu, 01 Jan 1970 00:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse("Sat, 01 Nov 2025 10:05:00 GMT", now()),
            Some(MAX_WAIT)
        );
    }

    #[test]
    fn anything_else_is_absent() {
        for value in ["", "soon", "Fri, 31 Oct 2025", "10:06:00", "1 minute"] {
            assert_eq!(parse(value, now()), None, "{value:?}");
        }
    }

    #[test]
    fn read_from_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(from_headers(&headers, now()), None);
        headers.insert(
            RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("Fri, 31 Oct 2025 10:05:30 GMT"),
        );
        assert_eq!(from_headers(&headers, now()), Some(Duration::from_secs(30)));
    }
}
