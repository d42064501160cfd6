//! The one place that reads the system time. Every command takes its `now` from a
//! [`Clock`], which `--now` (and tests) can fix, so nothing depends on today's date.
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Where "now" comes from: the system clock, or a fixed instant.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock { fixed: None }
    }

    /// A clock that always answers `at`.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock { fixed: Some(at) }
    }

    /// A clock from the `--now` flag: RFC 3339 (`2026-11-22T03:00:00Z`), a naive
    /// date-time taken as UTC, or a date (midnight UTC).
    pub fn from_flag(flag: Option<&str>) -> Result<Self, String> {
        match flag {
            None => Ok(Self::system()),
            Some(text) => parse_instant(text)
                .map(Self::fixed)
                .ok_or_else(|| format!("--now {text:?} is not an RFC 3339 time or a YYYY-MM-DD date")),
        }
    }

    /// The current instant.
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the system time
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }
}

/// Parses a time given on the command line or in a reference file.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_answers_the_flag() {
        let clock = Clock::from_flag(Some("2026-11-22T03:00:00+01:00")).unwrap();
        assert_eq!(clock.now().to_rfc3339(), "2026-11-22T02:00:00+00:00");
        let clock = Clock::from_flag(Some("2026-11-22")).unwrap();
        assert_eq!(clock.now().to_rfc3339(), "2026-11-22T00:00:00+00:00");
    }

    #[test]
    fn bad_now_is_a_usage_error_naming_the_value() {
        let err = Clock::from_flag(Some("yesterday")).unwrap_err();
        // commands::run turns it into a usage error (exit 2).
        assert!(err.contains("yesterday"), "{err}");
    }
}
