//! Microsoft Entra sign-ins as JSON: Graph `signIn` objects (an array, a `{"value": [...]}`
//! page, or one object per line) and the Azure Monitor diagnostic-settings export (one
//! record per line, the `signIn` object under `properties`).
use std::io::BufRead;

use serde_json::Value;

use crate::error::{Error, IngestError};
use crate::ingest::json_records::{self, SplitError};
use crate::ingest::record::{SigninBatcher, SigninRecord, normalise_address};
use crate::ingest::sink::Sink;
use crate::ingest::time::parse_utc;

/// Reads Graph `signIn` JSON or the diagnostic export (both are told apart per record).
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), Error> {
    let path = sink.provenance().file.to_string();
    let format = sink.provenance().format;
    let mut checked = false;
    let result = json_records::split(input, &mut |rec| -> Result<(), Error> {
        if rec.truncated {
            return Ok(sink.reject(rec.line, "truncated record at end of file", rec.bytes, None)?);
        }
        let value: Value = match serde_json::from_slice(rec.bytes) {
            Ok(v) => v,
            Err(_) => return Ok(sink.reject(rec.line, "not valid JSON", rec.bytes, None)?),
        };
        if !checked && value.is_object() {
            checked = true;
            if !looks_like_signin(&value) {
                return Err(IngestError::NotThisFormat {
                    path: path.clone().into(),
                    format,
                    reason: "the first record has no createdDateTime, userPrincipalName or properties".into(),
                }
                .into());
            }
        }
        match to_record(&value) {
            Ok(r) => sink.accept(&r, rec.line)?,
            Err((reason, t)) => sink.reject(rec.line, reason, rec.bytes, t)?,
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(SplitError::Read(e)) => Err(IngestError::Read { path: path.into(), source: e }.into()),
        Err(SplitError::Sink(e)) => Err(e),
    }
}

/// True when a JSON object is a Graph sign-in or a diagnostic record holding one.
pub fn looks_like_signin(v: &Value) -> bool {
    let inner = v.get("properties").unwrap_or(v);
    inner.get("createdDateTime").is_some() || inner.get("userPrincipalName").is_some()
}

/// True when a JSON object is an Azure Monitor diagnostic record.
pub fn is_diagnostic(v: &Value) -> bool {
    v.get("properties").is_some_and(Value::is_object) && (v.get("time").is_some() || v.get("category").is_some())
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn boolean(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

use crate::ingest::sink::Rejection;

/// Maps one record (Graph or diagnostic) to a sign-in row.
pub fn to_record(v: &Value) -> Result<SigninRecord, Rejection> {
    if !v.is_object() {
        return Err(("record is not a JSON object", None));
    }
    let diag = is_diagnostic(v);
    let p = if diag { &v["properties"] } else { v };
    let time_text = text(p, "createdDateTime").or_else(|| if diag { text(v, "time") } else { None });
    let Some(time_text) = time_text else {
        return Err(("missing createdDateTime", None));
    };
    let Some(event_time) = parse_utc(&time_text) else {
        return Err(("unparseable createdDateTime", None));
    };
    let user = text(p, "userPrincipalName").and_then(|u| normalise_address(&u));
    if user.is_none() {
        return Err(("missing userPrincipalName", Some(event_time)));
    }
    let status = p.get("status").unwrap_or(&Value::Null);
    let error_code = int(status, "errorCode").or_else(|| if diag { int(v, "resultType") } else { None });
    let failure_reason = text(status, "failureReason")
        .or_else(|| if diag { text(v, "resultDescription") } else { None })
        .filter(|r| r != "Other." || error_code != Some(0));
    let location = p.get("location").unwrap_or(&Value::Null);
    let source_country = text(location, "countryOrRegion").or_else(|| if diag { text(v, "location") } else { None });
    let ip = text(p, "ipAddress").or_else(|| if diag { text(v, "callerIpAddress") } else { None });
    Ok(SigninRecord {
        event_time,
        user,
        ip,
        success: error_code.map(|c| c == 0),
        error_code,
        failure_reason,
        app: text(p, "appDisplayName"),
        client_app: text(p, "clientAppUsed"),
        conditional_access: text(p, "conditionalAccessStatus"),
        interactive: boolean(p, "isInteractive"),
        source_country: source_country.map(|c| c.to_ascii_uppercase()),
        log_category: if diag { text(v, "category") } else { None },
        request_id: text(p, "id"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_and_diagnostic_records_map_alike() {
        let graph: Value = serde_json::from_str(
            r#"{"id":"66ea54eb-6301-4ee5-be62-ff5a759b8100","createdDateTime":"2026-11-20T08:15:30Z",
            "userPrincipalName":"Jan.Peeters@School.be","ipAddress":"2a02:a03f::1",
            "status":{"errorCode":50126,"failureReason":"Invalid username or password."},
            "appDisplayName":"Office 365 Exchange Online","clientAppUsed":"Browser",
            "conditionalAccessStatus":"notApplied","isInteractive":true,
            "location":{"city":"Gent","countryOrRegion":"BE"}}"#,
        )
        .unwrap();
        let r = to_record(&graph).unwrap();
        assert_eq!(r.user.as_deref(), Some("jan.peeters@school.be"));
        assert_eq!((r.success, r.error_code), (Some(false), Some(50126)));
        assert_eq!(r.source_country.as_deref(), Some("BE"));
        assert_eq!(r.log_category, None);

        let diag: Value = serde_json::from_str(
            r#"{"time":"2026-11-20T09:15:30.1234567+01:00","category":"NonInteractiveUserSignInLogs",
            "resultType":"0","callerIpAddress":"81.246.0.1","location":"BE",
            "properties":{"createdDateTime":"2026-11-20T09:15:30.1234567+01:00","userPrincipalName":"a@school.be",
            "status":{"errorCode":0},"isInteractive":false}}"#,
        )
        .unwrap();
        let r = to_record(&diag).unwrap();
        assert_eq!(r.event_time, parse_utc("2026-11-20T08:15:30.123456Z").unwrap());
        assert_eq!((r.success, r.interactive), (Some(true), Some(false)));
        assert_eq!(r.ip.as_deref(), Some("81.246.0.1"));
        assert_eq!(r.log_category.as_deref(), Some("NonInteractiveUserSignInLogs"));
    }

    #[test]
    fn bad_records_are_rejected_with_a_reason_not_a_value() {
        let v: Value = serde_json::from_str(r#"{"userPrincipalName":"x@y","createdDateTime":"gisteren"}"#).unwrap();
        assert_eq!(to_record(&v).unwrap_err().0, "unparseable createdDateTime");
        let v: Value = serde_json::from_str(r#"{"createdDateTime":"2026-11-20T08:15:30Z"}"#).unwrap();
        assert_eq!(to_record(&v).unwrap_err().0, "missing userPrincipalName");
    }
}
