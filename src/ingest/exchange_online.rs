//! Exchange Online message trace: `Get-MessageTrace | Export-Csv` (`Received`,
//! `SenderAddress`, `RecipientAddress`, ...), the admin centre's downloadable report
//! (`origin_timestamp_utc`, `sender_address`, `recipient_status`, ...), and the same
//! records as JSON from the reporting web service or `ConvertTo-Json`. One row per
//! message per recipient, as the trace itself gives it.
use std::io::BufRead;

use serde_json::Value;

use crate::ingest::IngestError;
use crate::ingest::csv_input::{Columns, read_csv};
use crate::ingest::json_records;
use crate::ingest::record::{EmailBatcher, EmailRecord, normalise_address};
use crate::ingest::sink::{Rejection, Sink};
use crate::ingest::time::parse_utc;

/// True when a CSV header is a `Get-MessageTrace` export.
pub fn is_trace_header(cols: &Columns) -> bool {
    cols.find(&["Received"]).is_some()
        && cols.find(&["SenderAddress"]).is_some()
        && cols.find(&["RecipientAddress"]).is_some()
}

/// True when a CSV header is the admin centre's message trace report.
pub fn is_report_header(cols: &Columns) -> bool {
    cols.find(&["origin_timestamp_utc"]).is_some() && cols.find(&["sender_address"]).is_some()
}

/// True when a JSON object is a message trace record.
pub fn is_trace_json(v: &Value) -> bool {
    v.get("Received").is_some() && (v.get("SenderAddress").is_some() || v.get("MessageTraceId").is_some())
}

/// Maps a record whose fields `get` looks up by name to its rows.
fn to_records(get: &dyn Fn(&str) -> Option<String>) -> Result<Vec<EmailRecord>, Rejection> {
    let report = get("origin_timestamp_utc").is_some() || get("sender_address").is_some();
    let time_key = if report { "origin_timestamp_utc" } else { "Received" };
    let Some(t) = get(time_key) else {
        return Err(("missing Received time", None));
    };
    let Some(event_time) = parse_utc(&t) else {
        return Err(("unparseable Received time", None));
    };
    let num = |k: &str| get(k).and_then(|s| s.replace(',', "").parse::<i64>().ok());
    let base = EmailRecord {
        event_time,
        message_id: get(if report { "message_id" } else { "MessageId" }),
        trace_id: get(if report { "network_message_id" } else { "MessageTraceId" }),
        sender: get(if report { "sender_address" } else { "SenderAddress" }).and_then(|s| normalise_address(&s)),
        subject: get(if report { "message_subject" } else { "Subject" }),
        size_bytes: num(if report { "total_bytes" } else { "Size" }),
        direction: get("directionality"),
        client_ip: get(if report { "original_client_ip" } else { "FromIP" }),
        server_ip: if report { None } else { get("ToIP") },
        ..Default::default()
    };
    if report {
        // `recipient_status`: `a@x##Receive, Deliver;b@y##Receive, Fail`
        let Some(list) = get("recipient_status") else {
            return Err(("missing recipient_status", Some(event_time)));
        };
        let mut out = Vec::new();
        for item in list.split(';').filter(|s| !s.trim().is_empty()) {
            let (addr, events) = item.split_once("##").unwrap_or((item, ""));
            let last = events.rsplit(',').next().map(str::trim).filter(|s| !s.is_empty());
            out.push(EmailRecord {
                recipient: normalise_address(addr),
                status: last.map(str::to_string),
                event: last.map(str::to_string),
                ..base.clone()
            });
        }
        if out.is_empty() {
            return Err(("empty recipient_status", Some(event_time)));
        }
        return Ok(out);
    }
    let Some(recipient) = get("RecipientAddress").and_then(|r| normalise_address(&r)) else {
        return Err(("missing RecipientAddress", Some(event_time)));
    };
    let status = get("Status");
    Ok(vec![EmailRecord { recipient: Some(recipient), event: status.clone(), status, ..base }])
}

/// Reads either CSV form.
pub fn read_csv_file(input: &mut dyn BufRead, sink: &mut Sink<EmailBatcher>) -> Result<(), IngestError> {
    read_csv(input, sink, b',', |cols| {
        if !is_trace_header(cols) && !is_report_header(cols) {
            return Err("the header has neither Received/SenderAddress/RecipientAddress nor origin_timestamp_utc/sender_address".into());
        }
        let cols = cols.clone();
        Ok(Box::new(move |row: &csv::StringRecord| {
            let get = |k: &str| {
                cols.find(&[k]).and_then(|i| row.get(i)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
            };
            to_records(&get)
        }))
    })
}

/// Reads the JSON form (one object, an array, or one object per line).
pub fn read_json(input: &mut dyn BufRead, sink: &mut Sink<EmailBatcher>) -> Result<(), IngestError> {
    let path = sink.provenance().file.to_string();
    let format = sink.provenance().format;
    let mut checked = false;
    json_records::read_into_sink(input, sink, |sink, rec| {
        let Ok(v) = serde_json::from_slice::<Value>(rec.bytes) else {
            return Ok(sink.reject(rec.line, "not valid JSON", rec.bytes, None)?);
        };
        if !checked && v.is_object() {
            checked = true;
            if !is_trace_json(&v) {
                return Err(IngestError::NotThisFormat {
                    path: path.clone().into(),
                    format,
                    reason: "the first record has no Received and SenderAddress".into(),
                });
            }
        }
        let get = |k: &str| match v.get(k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        match to_records(&get) {
            Ok(recs) => {
                for r in &recs {
                    sink.accept(r, rec.line)?;
                }
            }
            Err((reason, t)) => sink.reject(rec.line, reason, rec.bytes, t)?,
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_rows_split_into_one_row_per_recipient() {
        let fields = [
            ("origin_timestamp_utc", "2026-11-20T08:15:30.1234567Z"),
            ("sender_address", "Leerkracht@School.be"),
            ("recipient_status", "a@gmail.com##Receive, Deliver;b@school.be##Receive, Fail"),
            ("total_bytes", "2,048"),
            ("directionality", "Originating"),
        ];
        let get = |k: &str| fields.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        let rows = to_records(&get).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].recipient.as_deref(), Some("a@gmail.com"));
        assert_eq!(rows[1].status.as_deref(), Some("Fail"));
        assert_eq!(rows[0].sender.as_deref(), Some("leerkracht@school.be"));
        assert_eq!(rows[0].size_bytes, Some(2048));
    }
}
