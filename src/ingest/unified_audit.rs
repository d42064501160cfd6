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
//! user agent and request type from `ExtendedProperties`.
//!
//! Exchange's `Send` (a mailbox sent a message; mailbox auditing, on by default) becomes
//! a row of the mail table: the mailbox (`MailboxOwnerUPN`) as sender, the account that
//! sent it (`UserId`, a delegate's when it differs) as `submitted_by`, and of `Item` the
//! `InternetMessageId`, `Subject`, `SizeInBytes` and the attachments' names (without their
//! sizes); the record names no recipient, so `recipient` is NULL. `MailItemsAccessed`
//! records a mailbox *read* (by folder when synced, by message id when opened): it is no
//! message sent or received, and as a mail row every mail rule would count reads as
//! messages, so it is counted as skipped under its name like every other operation
//! (files, Teams, admin: `FileAccessed`, `New-InboxRule`, ...).
use std::io::BufRead;

use serde_json::Value;

use crate::ingest::IngestError;
use crate::ingest::csv_input::{Columns, RowTaker, read_csv_rows};
use crate::ingest::json_records;
use crate::ingest::record::{EmailRecord, PRINCIPAL_USER, SigninBatcher, SigninRecord, normalise_address};
use crate::ingest::sink::{Rejection, Sink};
use crate::ingest::time::parse_utc;
use crate::store::StoreError;

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

/// What one audit record is to logwacht.
#[derive(Debug)]
enum Audit {
    /// A sign-in row.
    Signin(SigninRecord),
    /// A mail row (`Send`).
    Mail(EmailRecord),
    /// Another operation, counted as skipped under its name.
    Other(String),
}

/// `"report.pdf (52340b); logo.png (1200b)"`: the names, `;`-separated.
fn attachment_names(list: &str) -> Option<String> {
    let names: Vec<&str> = list
        .split(';')
        .map(|a| {
            let a = a.trim();
            match a.rfind(" (") {
                Some(i) if a.ends_with("b)") => a[..i].trim(),
                _ => a,
            }
        })
        .filter(|a| !a.is_empty())
        .collect();
    Some(names.join(";")).filter(|n| !n.is_empty())
}

/// The mail row of a `Send` record.
fn send_record(r: &Value, event_time: i64) -> Result<Audit, Rejection> {
    let actor = text(r, "UserId").and_then(normalise_address);
    let Some(sender) = text(r, "MailboxOwnerUPN").and_then(normalise_address).or_else(|| actor.clone()) else {
        return Err(("missing MailboxOwnerUPN and UserId", Some(event_time)));
    };
    let item = r.get("Item").filter(|i| i.is_object());
    let item_text = |key: &str| item.and_then(|i| text(i, key)).map(str::to_string);
    Ok(Audit::Mail(EmailRecord {
        event_time,
        message_id: item_text("InternetMessageId"),
        event: Some("Send".into()),
        submitted_by: actor.filter(|a| *a != sender),
        sender: Some(sender),
        subject: item_text("Subject"),
        status: text(r, "ResultStatus").map(str::to_string),
        size_bytes: item
            .and_then(|i| i.get("SizeInBytes"))
            .and_then(|n| n.as_i64().or_else(|| n.as_str().and_then(|t| t.trim().parse().ok())).filter(|n| *n >= 0)),
        direction: Some("Originating".into()),
        client_ip: text(r, "ClientIP").or_else(|| text(r, "ClientIPAddress")).and_then(address),
        attachment_names: item.and_then(|i| text(i, "Attachments")).and_then(attachment_names),
        ..EmailRecord::default()
    }))
}

/// What one audit record becomes: a sign-in row, a mail row, or an operation skipped.
fn to_records(record: &Value) -> Result<Audit, Rejection> {
    // Graph's auditLogRecord holds the record under `auditData`.
    let r = record.get("auditData").filter(|a| a.is_object()).unwrap_or(record);
    let operation = text(r, "Operation").or_else(|| text(record, "operation"));
    // Some(success) for a sign-in, None for a message sent.
    let sign_in = match operation {
        Some("UserLoggedIn") => Some(true),
        Some("UserLoginFailed") => Some(false),
        Some("Send") => None,
        Some(other) => return Ok(Audit::Other(other.to_string())),
        None => return Err(("missing Operation", None)),
    };
    let time = text(r, "CreationTime").or_else(|| text(record, "createdDateTime"));
    let Some(time) = time else { return Err(("missing CreationTime", None)) };
    let Some(event_time) = parse_utc(time) else { return Err(("unparseable CreationTime", None)) };
    let Some(success) = sign_in else { return send_record(r, event_time) };
    let user = text(r, "UserId").or_else(|| text(record, "userPrincipalName")).and_then(normalise_address);
    let Some(user) = user else { return Err(("missing UserId", Some(event_time))) };
    let error_code =
        text(r, "ErrorNumber").and_then(|n| n.parse::<i64>().ok()).or(if success { Some(0) } else { None });
    Ok(Audit::Signin(SigninRecord {
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
        signin_count: None,
    }))
}

/// Hands one record's outcome to the sink.
fn take(
    sink: &mut Sink<SigninBatcher>,
    line: u64,
    raw: &[u8],
    audit: Result<Audit, Rejection>,
) -> Result<(), StoreError> {
    match audit {
        Ok(Audit::Signin(r)) => sink.take(line, raw, Ok(vec![r])),
        Ok(Audit::Mail(m)) => sink.accept_mail(&m, line),
        Ok(Audit::Other(operation)) => {
            sink.skip_named(&operation);
            Ok(())
        }
        Err(why) => sink.take(line, raw, Err(why)),
    }
}

/// Reads the CSV export.
pub fn read_csv_export(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
    read_csv_rows(input, sink, b',', |cols| {
        if !is_header(cols) {
            return Err("the header has no CreationDate and AuditData columns".into());
        }
        let data = cols.find(&["AuditData"]);
        Ok(Box::new(
            move |sink: &mut Sink<SigninBatcher>, line: u64, row: &csv::StringRecord, raw: &dyn Fn() -> String| {
                let audit = match data.and_then(|i| row.get(i)).filter(|c| !c.trim().is_empty()) {
                    None => Err(("empty AuditData", None)),
                    Some(cell) => match serde_json::from_str::<Value>(cell) {
                        Ok(record) => to_records(&record),
                        Err(_) => Err(("AuditData is not valid JSON", None)),
                    },
                };
                let raw = if audit.is_err() { raw() } else { String::new() };
                take(sink, line, raw.as_bytes(), audit)
            },
        ) as RowTaker<SigninBatcher>)
    })
}

/// Reads the JSON records.
pub fn read_json(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
    json_records::read_into_sink(input, sink, |sink, rec| {
        let audit = match serde_json::from_slice::<Value>(rec.bytes) {
            Ok(record) => to_records(&record),
            Err(_) => Err(("not valid JSON", None)),
        };
        Ok(take(sink, rec.line, rec.bytes, audit)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signin(v: &Value) -> SigninRecord {
        match to_records(v) {
            Ok(Audit::Signin(r)) => r,
            other => panic!("not a sign-in: {other:?}"),
        }
    }

    #[test]
    fn logins_become_sign_ins_and_other_operations_nothing() {
        let ok: Value = serde_json::from_str(
            r#"{"CreationTime":"2026-11-20T08:15:30","Id":"a1","Operation":"UserLoggedIn","RecordType":15,"ResultStatus":"Success",
            "UserKey":"8105","UserId":"Jan@School.be","Workload":"AzureActiveDirectory","ClientIP":"81.246.12.34:51234",
            "ExtendedProperties":[{"Name":"RequestType","Value":"OAuth2:Authorize"}],"ErrorNumber":"0"}"#,
        )
        .unwrap();
        let r = &signin(&ok);
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
        let r = &signin(&failed);
        assert_eq!((r.ip.as_deref(), r.error_code), (Some("2a02:1810::1"), Some(50126)));
        assert_eq!(r.failure_reason.as_deref(), Some("InvalidUserNameOrPassword"));
        let read: Value = serde_json::from_str(
            r#"{"CreationTime":"2026-11-20T08:15:30","Operation":"MailItemsAccessed","Workload":"Exchange","RecordType":50}"#,
        )
        .unwrap();
        assert!(matches!(to_records(&read), Ok(Audit::Other(op)) if op == "MailItemsAccessed"));
        // Graph's auditLogRecord: the record under auditData.
        let graph: Value = serde_json::from_str(
            r#"{"id":"x","createdDateTime":"2026-11-20T08:15:30Z","auditLogRecordType":"azureActiveDirectoryStsLogon","operation":"UserLoggedIn",
            "userPrincipalName":"c@school.be","clientIp":"81.246.12.34","auditData":{"Operation":"UserLoggedIn","UserId":"c@school.be","CreationTime":"2026-11-20T08:15:30"}}"#,
        )
        .unwrap();
        assert_eq!(signin(&graph).user.as_deref(), Some("c@school.be"));
    }

    #[test]
    fn a_send_record_is_a_mail_row_without_recipient() {
        let send: Value = serde_json::from_str(
            r#"{"CreationTime":"2026-11-20T09:01:02","Id":"b2","Operation":"Send","RecordType":2,"ResultStatus":"Succeeded",
            "UserId":"Secretariaat@School.be","Workload":"Exchange","ClientIP":"81.246.12.34","MailboxOwnerUPN":"directie@school.be",
            "Item":{"Id":"RgAAAA","InternetMessageId":"<abc@school.be>","Subject":"Verslag","SizeInBytes":52340,
            "Attachments":"verslag.pdf (48211b); logo.png (1200b)","ParentFolder":{"Path":"\\Sent Items"}}}"#,
        )
        .unwrap();
        let Ok(Audit::Mail(m)) = to_records(&send) else { panic!("not a mail row") };
        assert_eq!(
            (m.sender.as_deref(), m.submitted_by.as_deref(), m.recipient.as_deref()),
            (Some("directie@school.be"), Some("secretariaat@school.be"), None)
        );
        assert_eq!((m.message_id.as_deref(), m.size_bytes), (Some("<abc@school.be>"), Some(52340)));
        assert_eq!(m.attachment_names.as_deref(), Some("verslag.pdf;logo.png"));
        assert_eq!((m.event.as_deref(), m.client_ip.as_deref()), (Some("Send"), Some("81.246.12.34")));
        let no_one: Value =
            serde_json::from_str(r#"{"CreationTime":"2026-11-20T09:01:02","Operation":"Send","Workload":"Exchange"}"#)
                .unwrap();
        assert_eq!(to_records(&no_one).err().map(|e| e.0), Some("missing MailboxOwnerUPN and UserId"));
    }

    #[test]
    fn skipped_names_are_codes_and_bounded() {
        let mut c = crate::ingest::sink::FileCounts::default();
        c.skip_named("FileAccessed");
        c.skip_named("FileAccessed");
        c.skip_named("jan@school.be");
        c.skip_named(&"A".repeat(65));
        for i in 0..100 {
            c.skip_named(&format!("Op{i}"));
        }
        assert_eq!(c.skipped, 104);
        assert_eq!(c.skipped_by.get("FileAccessed"), Some(&2));
        assert!(c.skipped_by.keys().all(|k| !k.contains('@') && k.len() <= 64));
        assert_eq!(c.skipped_by.len(), crate::ingest::sink::SKIP_NAMES_MAX + 1);
        assert_eq!(c.skipped_by.values().sum::<u64>(), 104);
    }
}
