//! The Microsoft 365 unified audit log, which every tenant keeps (Audit Standard, any
//! licence), as sign-ins: the Purview audit search's export and
//! `Search-UnifiedAuditLog | Export-Csv` (`ual-csv`: `RecordId, CreationDate, RecordType,
//! Operation, UserId, AuditData, AssociatedAdminUnits, AssociatedAdminUnitsNames`, or the
//! older `CreationDate, UserIds, Operations, AuditData`, with the record's JSON in the
//! `AuditData` cell), and the same records as the Office 365 Management Activity API and
//! Graph's `auditLogRecord` return them (`ual-json`: one per line or an array;
//! `CreationTime` without a zone, `RecordType` a number; Graph's under `auditData`).
//!
//! `UserLoggedIn` and `UserLoginFailed` (workload `AzureActiveDirectory`) become sign-in
//! rows: `UserId`, `ClientIP` (its port cut off), `ErrorNumber` and `LogonError`, the
//! user agent and request type from `ExtendedProperties`. Every other operation (mail,
//! files, Teams, admin) is counted as skipped: the audit log is read here for sign-ins
//! only (its mail records do not name recipients).
use std::io::BufRead;

use serde_json::Value;

use crate::ingest::IngestError;
use crate::ingest::csv_input::{Columns, read_csv};
use crate::ingest::json_records;
use crate::ingest::record::{PRINCIPAL_USER, SigninBatcher, SigninRecord, normalise_address};
use crate::ingest::sink::{Rejection, Sink};
use crate::ingest::time::parse_utc;

/// True when a CSV header is the audit log's export.
pub fn is_header(cols: &Columns) -> bool {
    cols.find(&["AuditData"]).is_some() && cols.find(&["CreationDate"]).is_some()
}

/// True when a JSON object is an audit record (Management Activity API or Graph).
pub fn looks_like(v: &Value) -> bool {
    (v.get("Workload").is_some() && v.get("Operation").is_some() && v.get("RecordType").is_some())
        || (v.get("auditLogRecordType").is_some() && v.get("operation").is_some())
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// `81.246.12.34:51234`, `[2a02:1810::1]:443`, `2a02:1810::1`: the address alone.
fn address(ip: &str) -> Option<String> {
    let ip = ip.trim();
    let bare = if let Some(v6) = ip.strip_prefix('[') {
        v6.split(']').next().unwrap_or(v6)
    } else if ip.matches(':').count() == 1 {
        ip.split(':').next().unwrap_or(ip)
    } else {
        ip
    };
    Some(bare.to_string()).filter(|a| !a.is_empty() && a != "0.0.0.0" && a != "::")
}

fn extended<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get("ExtendedProperties")?
        .as_array()?
        .iter()
        .find(|p| p.get("Name").and_then(Value::as_str) == Some(name))
        .and_then(|p| p.get("Value").and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// The sign-in row of one audit record (none for another operation).
fn to_records(record: &Value) -> Result<Vec<SigninRecord>, Rejection> {
    // Graph's auditLogRecord holds the record under `auditData`.
    let r = record.get("auditData").filter(|a| a.is_object()).unwrap_or(record);
    let operation = text(r, "Operation").or_else(|| text(record, "operation"));
    let success = match operation {
        Some("UserLoggedIn") => true,
        Some("UserLoginFailed") => false,
        Some(_) => return Ok(Vec::new()),
        None => return Err(("missing Operation", None)),
    };
    let time = text(r, "CreationTime").or_else(|| text(record, "createdDateTime"));
    let Some(time) = time else { return Err(("missing CreationTime", None)) };
    let Some(event_time) = parse_utc(time) else { return Err(("unparseable CreationTime", None)) };
    let user = text(r, "UserId").or_else(|| text(record, "userPrincipalName")).and_then(normalise_address);
    let Some(user) = user else { return Err(("missing UserId", Some(event_time))) };
    let error_code =
        text(r, "ErrorNumber").and_then(|n| n.parse::<i64>().ok()).or(if success { Some(0) } else { None });
    Ok(vec![SigninRecord {
        event_time,
        user: Some(user),
        ip: text(r, "ClientIP")
            .or_else(|| text(r, "ActorIpAddress"))
            .or_else(|| text(record, "clientIp"))
            .and_then(address),
        success: Some(success),
        error_code,
        failure_reason: if success { None } else { text(r, "LogonError").map(str::to_string) },
        app: text(r, "ApplicationId").map(str::to_string),
        client_app: extended(r, "RequestType").map(str::to_string),
        conditional_access: None,
        interactive: None,
        source_country: None,
        log_category: operation.map(str::to_string),
        request_id: text(r, "Id").map(str::to_string),
        principal_type: Some(PRINCIPAL_USER),
        principal_id: text(r, "UserKey").map(str::to_string),
    }])
}

/// Reads the CSV export.
pub fn read_csv_export(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
    read_csv(input, sink, b',', |cols| {
        if !is_header(cols) {
            return Err("the header has no CreationDate and AuditData columns".into());
        }
        let data = cols.find(&["AuditData"]);
        Ok(Box::new(move |row: &csv::StringRecord| {
            let Some(cell) = data.and_then(|i| row.get(i)).filter(|c| !c.trim().is_empty()) else {
                return Err(("empty AuditData", None));
            };
            let record: Value = serde_json::from_str(cell).map_err(|_| ("AuditData is not valid JSON", None))?;
            to_records(&record)
        }))
    })
}

/// Reads the JSON records.
pub fn read_json(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
    json_records::read_into_sink(input, sink, |sink, rec| {
        let rows = match serde_json::from_slice::<Value>(rec.bytes) {
            Ok(record) => to_records(&record),
            Err(_) => Err(("not valid JSON", None)),
        };
        Ok(sink.take(rec.line, rec.bytes, rows)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_become_sign_ins_and_other_operations_nothing() {
        let ok: Value = serde_json::from_str(
            r#"{"CreationTime":"2026-11-20T08:15:30","Id":"a1","Operation":"UserLoggedIn","RecordType":15,"ResultStatus":"Success",
            "UserKey":"8105","UserId":"Jan@School.be","Workload":"AzureActiveDirectory","ClientIP":"81.246.12.34:51234",
            "ExtendedProperties":[{"Name":"RequestType","Value":"OAuth2:Authorize"}],"ErrorNumber":"0"}"#,
        )
        .unwrap();
        let r = &to_records(&ok).unwrap()[0];
        assert_eq!(
            (r.user.as_deref(), r.ip.as_deref(), r.success),
            (Some("jan@school.be"), Some("81.246.12.34"), Some(true))
        );
        assert_eq!((r.client_app.as_deref(), r.principal_id.as_deref()), (Some("OAuth2:Authorize"), Some("8105")));
        let failed: Value = serde_json::from_str(
            r#"{"CreationTime":"2026-11-20T08:15:30","Operation":"UserLoginFailed","UserId":"a@b.be","ClientIP":"[2a02:1810::1]:443",
            "LogonError":"InvalidUserNameOrPassword","ErrorNumber":"50126","Workload":"AzureActiveDirectory","RecordType":15}"#,
        )
        .unwrap();
        let r = &to_records(&failed).unwrap()[0];
        assert_eq!((r.ip.as_deref(), r.error_code), (Some("2a02:1810::1"), Some(50126)));
        assert_eq!(r.failure_reason.as_deref(), Some("InvalidUserNameOrPassword"));
        let mail: Value = serde_json::from_str(
            r#"{"CreationTime":"2026-11-20T08:15:30","Operation":"Send","Workload":"Exchange","RecordType":2}"#,
        )
        .unwrap();
        assert!(to_records(&mail).unwrap().is_empty());
        // Graph's auditLogRecord: the record under auditData.
        let graph: Value = serde_json::from_str(
            r#"{"id":"x","createdDateTime":"2026-11-20T08:15:30Z","auditLogRecordType":"azureActiveDirectoryStsLogon","operation":"UserLoggedIn",
            "userPrincipalName":"c@school.be","clientIp":"81.246.12.34","auditData":{"Operation":"UserLoggedIn","UserId":"c@school.be","CreationTime":"2026-11-20T08:15:30"}}"#,
        )
        .unwrap();
        assert_eq!(to_records(&graph).unwrap()[0].user.as_deref(), Some("c@school.be"));
    }
}
