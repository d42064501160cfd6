//! Travel exceptions (GEO-2, GEO-3: 000 par. 6.5): `reference/travel_exceptions.csv`,
//! `person,countries,first_day,last_day,requested_on,approved_by,note`, validated on load
//! with errors that name the line. One Arrow row per person and country, with the covered
//! moments computed in the school's time zone: from 00:00 on the first day to 00:00 after
//! the last day, so daylight saving on either day is taken into account.
use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use datafusion::arrow::array::{ArrayRef, Date32Array, Int64Array, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;

use crate::calendar::day_start_us;
use crate::config::ConfigError;

/// One validated exception for one country.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    pub person: String,
    pub country: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub requested_on: NaiveDate,
    pub approved_by: Option<String>,
    pub note: Option<String>,
    pub line: u64,
}

/// The table's schema.
pub fn schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("person", DataType::Utf8, false),
        Field::new("country", DataType::Utf8, false),
        Field::new("first_day", DataType::Date32, false),
        Field::new("last_day", DataType::Date32, false),
        Field::new("requested_on", DataType::Date32, false),
        Field::new("approved_by", DataType::Utf8, true),
        Field::new("note", DataType::Utf8, true),
        Field::new("cover_from", ts.clone(), false),
        Field::new("cover_to", ts, false),
        Field::new("source_line", DataType::Int64, false),
        // Days since 1970-01-01: lead-time arithmetic in plain SQL.
        Field::new("first_day_num", DataType::Int64, false),
        Field::new("requested_day_num", DataType::Int64, false),
    ]))
}

/// Reads and validates the CSV (an absent file is an empty table).
pub fn load(path: &Path) -> Result<Vec<Exception>, ConfigError> {
    let invalid = |line: u64, message: String| ConfigError::Invalid {
        path: path.into(),
        message: format!("line {line}: {message}"),
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ConfigError::Read { path: path.into(), source }),
    };
    let mut r = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(file);
    let header = r.headers().map_err(|e| invalid(1, e.to_string()))?.clone();
    let want = ["person", "countries", "first_day", "last_day", "requested_on", "approved_by", "note"];
    let col = |name: &str| header.iter().position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name));
    let idx: Vec<Option<usize>> = want.iter().map(|w| col(w)).collect();
    if let Some(missing) = want.iter().zip(&idx).take(5).find(|(_, i)| i.is_none()) {
        return Err(invalid(1, format!("the header lacks the column {:?} ({})", missing.0, want.join(","))));
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| invalid(e.position().map(|p| p.line()).unwrap_or(0), e.to_string()))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |k: usize| idx[k].and_then(|i| rec.get(i)).unwrap_or("").trim();
        let date = |k: usize| {
            NaiveDate::parse_from_str(get(k), "%Y-%m-%d")
                .map_err(|_| invalid(line, format!("{} {:?} is not a date YYYY-MM-DD", want[k], get(k))))
        };
        let person = crate::schema::normalise_address(get(0)).ok_or_else(|| invalid(line, "person is empty".into()))?;
        let (first_day, last_day, requested_on) = (date(2)?, date(3)?, date(4)?);
        if first_day > last_day {
            return Err(invalid(line, format!("first_day {first_day} is after last_day {last_day}")));
        }
        let countries: Vec<String> =
            get(1).split([';', ' ', '|']).filter(|c| !c.is_empty()).map(|c| c.to_ascii_uppercase()).collect();
        if countries.is_empty() {
            return Err(invalid(line, "countries is empty".into()));
        }
        for c in countries {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(invalid(line, format!("country {c:?} is not an ISO 3166 alpha-2 code")));
            }
            let opt = |k: usize| Some(get(k).to_string()).filter(|s| !s.is_empty());
            out.push(Exception {
                person: person.clone(),
                country: c,
                first_day,
                last_day,
                requested_on,
                approved_by: opt(5),
                note: opt(6),
                line,
            });
        }
    }
    Ok(out)
}

fn day_num(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// The exceptions as an Arrow batch, with the covered moments in UTC.
pub fn to_batch(exceptions: &[Exception], tz: Tz) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(exceptions.iter().map(|e| e.person.as_str()))),
        Arc::new(StringArray::from_iter_values(exceptions.iter().map(|e| e.country.as_str()))),
        Arc::new(Date32Array::from_iter_values(exceptions.iter().map(|e| day_num(e.first_day)))),
        Arc::new(Date32Array::from_iter_values(exceptions.iter().map(|e| day_num(e.last_day)))),
        Arc::new(Date32Array::from_iter_values(exceptions.iter().map(|e| day_num(e.requested_on)))),
        Arc::new(StringArray::from_iter(exceptions.iter().map(|e| e.approved_by.as_deref()))),
        Arc::new(StringArray::from_iter(exceptions.iter().map(|e| e.note.as_deref()))),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(exceptions.iter().map(|e| day_start_us(e.first_day, tz)))
                .with_timezone("UTC"),
        ),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(
                exceptions.iter().map(|e| day_start_us(e.last_day + Duration::days(1), tz)),
            )
            .with_timezone("UTC"),
        ),
        Arc::new(Int64Array::from_iter_values(exceptions.iter().map(|e| e.line as i64))),
        Arc::new(Int64Array::from_iter_values(exceptions.iter().map(|e| i64::from(day_num(e.first_day))))),
        Arc::new(Int64Array::from_iter_values(exceptions.iter().map(|e| i64::from(day_num(e.requested_on))))),
    ];
    RecordBatch::try_new(schema(), cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("travel_exceptions.csv");
        std::fs::write(&p, text).unwrap();
        (d, p)
    }

    #[test]
    fn exceptions_load_one_row_per_country_and_cover_local_days() {
        let (_d, p) = write(
            "person,countries,first_day,last_day,requested_on,approved_by,note\nJan@school.example,US;CA,2026-03-29,2026-10-25,2026-02-01,directie,\n",
        );
        let ex = load(&p).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(
            (ex[0].country.as_str(), ex[1].country.as_str(), ex[0].person.as_str()),
            ("US", "CA", "jan@school.example")
        );
        let b = to_batch(&ex, chrono_tz::Europe::Brussels).unwrap();
        let from = b.column(7).as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap().value(0);
        let to = b.column(8).as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap().value(0);
        // 2026-03-29 is the spring change: midnight is still CET (+01:00).
        assert_eq!(chrono::DateTime::from_timestamp_micros(from).unwrap().to_rfc3339(), "2026-03-28T23:00:00+00:00");
        // 2026-10-25 is the autumn change: the next midnight is CET again.
        assert_eq!(chrono::DateTime::from_timestamp_micros(to).unwrap().to_rfc3339(), "2026-10-25T23:00:00+00:00");
    }

    #[test]
    fn bad_rows_are_errors_that_name_the_line() {
        let (_d, p) = write(
            "person,countries,first_day,last_day,requested_on,approved_by,note\na@x,US,2026-07-01,2026-07-10,2026-06-01,d,\nb@x,USA,2026-07-01,2026-07-10,2026-06-01,d,\n",
        );
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("\"USA\""), "{e}");
        let (_d, p) = write(
            "person,countries,first_day,last_day,requested_on,approved_by,note\na@x,US,2026-07-10,2026-07-01,2026-06-01,d,\n",
        );
        assert!(load(&p).unwrap_err().to_string().contains("after last_day"));
        let (_d, p) = write("person,countries,first_day\n");
        assert!(load(&p).unwrap_err().to_string().contains("lacks the column \"last_day\""));
    }
}
