//! Days: UTC day numbers (the store's partitions) and the start of a school-local day.
//! One place for the arithmetic, on the ground floor, for the store, ingest, enrichment
//! and the rules alike.
use chrono::{Days, NaiveDate, TimeZone};
use chrono_tz::Tz;

/// Microseconds in a UTC day.
pub const DAY_US: i64 = 86_400_000_000;

/// Days since 1970-01-01 (UTC) of a timestamp in microseconds.
pub fn day_of_micros(micros: i64) -> i32 {
    micros.div_euclid(DAY_US) as i32
}

/// The calendar date of a day number.
pub fn date_of_day(day: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    if day >= 0 {
        epoch.checked_add_days(Days::new(day as u64)).unwrap_or(NaiveDate::MAX)
    } else {
        epoch.checked_sub_days(Days::new(day.unsigned_abs() as u64)).unwrap_or(NaiveDate::MIN)
    }
}

/// The start of a school-local day, in UTC µs.
pub fn day_start_us(day: NaiveDate, tz: Tz) -> i64 {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive).earliest().map(|t| t.timestamp_micros()).unwrap_or(i64::MIN)
}
