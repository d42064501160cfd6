//! Holds (RET-2: 003 art. 6.7 "onder omstandigheden"; RET-3: 003 art. 8.5b quarantine):
//! the only way a row outlives the retention window. A hold names one case, one subject
//! (or, for quarantine, message ids), the sources, the period of events, a reason, an
//! approver and an end date no further than `retention.max_hold_days` away. The registry
//! is `reference/holds.json`, written atomically under the store lock.
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::schema::Source;
use crate::store::StoreError;

/// One hold.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hold {
    /// The case id (letters, digits, `.`, `-`, `_`): also a folder name.
    pub case: String,
    /// The one person whose rows are held, lower-cased.
    pub subject: Option<String>,
    /// RET-3 quarantine: the message ids held instead of a subject.
    #[serde(default)]
    pub message_ids: Vec<String>,
    /// The sources held.
    pub sources: Vec<Source>,
    /// First day of the events held (school time zone), inclusive.
    pub from: NaiveDate,
    /// Last day of the events held, inclusive.
    pub to: NaiveDate,
    /// Why: the concrete case.
    pub reason: String,
    /// Who approved it.
    pub approved_by: String,
    /// The hold ends at the end of this day (school time zone).
    pub until: NaiveDate,
    /// When it was placed, RFC 3339.
    pub created_at: String,
    /// When it was released, if it was.
    #[serde(default)]
    pub released_at: Option<String>,
}

/// What `hold add` was given.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub case: String,
    pub subject: Option<String>,
    pub message_ids: Vec<String>,
    pub sources: Vec<Source>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
    pub approved_by: String,
    pub until: NaiveDate,
}

pub use crate::calendar::day_start_us;

impl Hold {
    /// True while the hold keeps rows: not released, and `now` before the end of `until`.
    pub fn active(&self, now: DateTime<Utc>, tz: Tz) -> bool {
        self.released_at.is_none() && now.timestamp_micros() < day_start_us(self.until + Duration::days(1), tz)
    }

    /// The event-time range it covers, UTC µs, half-open.
    pub fn range_us(&self, tz: Tz) -> (i64, i64) {
        (day_start_us(self.from, tz), day_start_us(self.to + Duration::days(1), tz))
    }
}

/// The hold registry of a workspace.
#[derive(Debug, Clone)]
pub struct Holds {
    path: PathBuf,
    /// Every hold ever placed (released ones stay, for the record).
    pub holds: Vec<Hold>,
}

fn invalid(msg: String) -> StoreError {
    StoreError::Refused(msg)
}

impl Holds {
    /// Reads `path` (none if absent).
    pub fn load(path: &Path) -> Result<Holds, StoreError> {
        let holds = match std::fs::read_to_string(path) {
            Ok(t) => serde_json::from_str(&t)
                .map_err(|e| StoreError::Config(ConfigError::Parse { path: path.into(), message: e.to_string() }))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(StoreError::io("read", path)(e)),
        };
        // An id that is no valid folder name (a hand-edited file, an older version) would
        // send the purge's copies outside STORE/_holds: refuse the file before anything moves.
        for (i, h) in holds.iter().enumerate() {
            let h: &Hold = h;
            crate::fsio::check_id("hold", &h.case).map_err(|e| {
                StoreError::Config(ConfigError::Invalid {
                    path: path.into(),
                    message: format!("hold {} of the file: {e}; fix or remove it before any purge runs", i + 1),
                })
            })?;
        }
        Ok(Holds { path: path.into(), holds })
    }

    /// Writes the registry atomically.
    pub fn save(&self) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(&self.holds).unwrap_or_default();
        crate::fsio::write_atomic(&self.path, text.as_bytes()).map_err(StoreError::io("write", &self.path))
    }

    /// The active hold of a case, if any.
    pub fn active_case(&self, case: &str, now: DateTime<Utc>, tz: Tz) -> Option<&Hold> {
        self.holds.iter().find(|h| h.case == case && h.active(now, tz))
    }

    /// Places a hold, or extends the active hold of the same case (same subject and
    /// scope). Returns whether it was new.
    pub fn add(&mut self, req: HoldRequest, now: DateTime<Utc>, tz: Tz, max_days: u32) -> Result<bool, StoreError> {
        let case = req.case.trim();
        // The id becomes the folder STORE/_holds/<case>: checked here, not by a later purge.
        crate::fsio::check_id("hold", case).map_err(|e| invalid(e.to_string()))?;
        if req.reason.trim().is_empty() {
            return Err(invalid(format!("hold for case {case} has no reason; a hold needs a concrete case (RET-2)")));
        }
        if req.approved_by.trim().is_empty() {
            return Err(invalid(format!("hold for case {case} has no approver (RET-2)")));
        }
        match (&req.subject, req.message_ids.is_empty()) {
            (None, true) => {
                return Err(invalid(format!(
                    "hold for case {case} names no subject and no message ids (RET-2, RET-3)"
                )));
            }
            (Some(_), false) => {
                return Err(invalid(format!(
                    "hold for case {case} names a subject and message ids; a quarantine hold names messages only (RET-3)"
                )));
            }
            _ => {}
        }
        if let Some(s) = &req.subject
            && (s.contains(',') || s.contains(';') || s.split_whitespace().count() != 1)
        {
            return Err(invalid(format!(
                "hold for case {case} names more than one subject; a hold is for one person (RET-2)"
            )));
        }
        if req.sources.is_empty() {
            return Err(invalid(format!("hold for case {case} names no sources")));
        }
        if req.from > req.to {
            return Err(invalid(format!("hold for case {case}: --from {} is after --to {}", req.from, req.to)));
        }
        let today = now.with_timezone(&tz).date_naive();
        if req.until < today {
            return Err(invalid(format!("hold for case {case} would end on {}, which has passed", req.until)));
        }
        let existing = self.holds.iter_mut().find(|h| h.case == case && h.active(now, tz));
        let start = existing
            .as_ref()
            .and_then(|h| DateTime::parse_from_rfc3339(&h.created_at).ok())
            .map(|t| t.with_timezone(&tz).date_naive())
            .unwrap_or(today);
        let days = (req.until - start).num_days() + 1;
        if days > i64::from(max_days) {
            return Err(invalid(format!("hold for case {case} runs {days} days; the maximum is {max_days} (RET-2)")));
        }
        let subject = req.subject.as_deref().and_then(crate::schema::normalise_address);
        if let Some(h) = existing {
            if h.subject != subject
                || h.sources != req.sources
                || h.from != req.from
                || h.to != req.to
                || h.message_ids != req.message_ids
            {
                return Err(invalid(format!(
                    "case {case} already holds another scope; release it first or use a new case id"
                )));
            }
            h.until = h.until.max(req.until);
            h.reason = req.reason;
            h.approved_by = req.approved_by;
            return Ok(false);
        }
        self.holds.push(Hold {
            case: case.to_string(),
            subject,
            message_ids: req.message_ids,
            sources: req.sources,
            from: req.from,
            to: req.to,
            reason: req.reason,
            approved_by: req.approved_by,
            until: req.until,
            created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            released_at: None,
        });
        Ok(true)
    }

    /// Releases the active hold of a case.
    pub fn release(&mut self, case: &str, now: DateTime<Utc>, tz: Tz) -> Result<(), StoreError> {
        let h = self
            .holds
            .iter_mut()
            .find(|h| h.case == case && h.active(now, tz))
            .ok_or_else(|| invalid(format!("case {case} has no active hold")))?;
        h.released_at = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(until: &str) -> HoldRequest {
        HoldRequest {
            case: "2026-014".into(),
            subject: Some("Jan.Peeters@school.example".into()),
            message_ids: vec![],
            sources: vec![Source::Email, Source::Web],
            from: "2026-11-01".parse().unwrap(),
            to: "2026-11-10".parse().unwrap(),
            reason: "concrete suspicion of data leak".into(),
            approved_by: "directeur".into(),
            until: until.parse().unwrap(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T03:00:00Z").unwrap().to_utc()
    }

    #[test]
    fn holds_are_bounded_and_need_reason_and_approver() {
        let tz = chrono_tz::Europe::Brussels;
        let mut h = Holds { path: "/x".into(), holds: vec![] };
        let err = h.add(req("2027-03-01"), now(), tz, 90).unwrap_err().to_string();
        assert_eq!(err, "hold for case 2026-014 runs 100 days; the maximum is 90 (RET-2)");
        let mut r = req("2026-12-01");
        r.reason = " ".into();
        assert!(h.add(r, now(), tz, 90).unwrap_err().to_string().contains("no reason"));
        let mut r = req("2026-12-01");
        r.approved_by = String::new();
        assert!(h.add(r, now(), tz, 90).unwrap_err().to_string().contains("no approver"));
        let mut r = req("2026-12-01");
        r.subject = Some("a@x, b@y".into());
        assert!(h.add(r, now(), tz, 90).unwrap_err().to_string().contains("one person"));
        assert!(h.add(req("2026-12-01"), now(), tz, 90).unwrap());
        assert_eq!(h.holds[0].subject.as_deref(), Some("jan.peeters@school.example"));
        // Extending keeps one hold.
        assert!(!h.add(req("2026-12-20"), now(), tz, 90).unwrap());
        assert_eq!(h.holds.len(), 1);
        assert_eq!(h.holds[0].until.to_string(), "2026-12-20");
        h.release("2026-014", now(), tz).unwrap();
        assert!(!h.holds[0].active(now(), tz));
    }

    #[test]
    fn a_hold_ends_at_the_end_of_its_last_local_day() {
        let tz = chrono_tz::Europe::Brussels;
        let mut h = Holds { path: "/x".into(), holds: vec![] };
        h.add(req("2026-11-30"), now(), tz, 90).unwrap();
        let before = DateTime::parse_from_rfc3339("2026-11-30T22:59:59Z").unwrap().to_utc();
        let after = DateTime::parse_from_rfc3339("2026-11-30T23:00:00Z").unwrap().to_utc();
        assert!(h.holds[0].active(before, tz));
        assert!(!h.holds[0].active(after, tz));
    }
}
