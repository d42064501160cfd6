//! Exchange Server message tracking logs, on disk with the `#Software`/`#Version`/
//! `#Log-type`/`#Date`/`#Fields:` preamble or as CSV with a header row. One row per
//! tracking event per recipient (a cell may hold `;`-separated recipients); the event
//! (RECEIVE, DELIVER, SEND, ...) is kept, so rules choose which events count.
use std::io::BufRead;

use crate::ingest::IngestError;
use crate::ingest::csv_input::{Columns, read_csv};
use crate::ingest::record::{EmailBatcher, EmailRecord, normalise_address};
use crate::ingest::sink::Sink;
use crate::ingest::time::parse_utc;

/// True when a header is a message tracking log's.
pub fn is_header(cols: &Columns) -> bool {
    cols.find(&["date-time"]).is_some()
        && cols.find(&["event-id"]).is_some()
        && cols.find(&["recipient-address"]).is_some()
}

/// Reads a tracking log.
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<EmailBatcher>) -> Result<(), IngestError> {
    read_csv(input, sink, b',', |cols| {
        if !is_header(cols) {
            return Err("the header has no date-time, event-id and recipient-address columns".into());
        }
        let cols = cols.clone();
        Ok(Box::new(move |row: &csv::StringRecord| {
            let get = |k: &str| cols.find(&[k]).and_then(|i| row.get(i)).map(str::trim).filter(|s| !s.is_empty());
            let Some(t) = get("date-time") else {
                return Err(("missing date-time", None));
            };
            let Some(event_time) = parse_utc(t) else {
                return Err(("unparseable date-time", None));
            };
            let custom = get("custom-data").unwrap_or("");
            let recipient_type =
                custom.split(';').find_map(|kv| kv.strip_prefix("S:RecipientType=")).map(|t| t.to_ascii_lowercase());
            let base = EmailRecord {
                event_time,
                message_id: get("message-id").map(str::to_string),
                trace_id: get("network-message-id").map(str::to_string),
                event: get("event-id").map(str::to_string),
                sender: get("sender-address").and_then(normalise_address),
                recipient_count: get("recipient-count").and_then(|n| n.parse().ok()),
                subject: get("message-subject").map(str::to_string),
                size_bytes: get("total-bytes").and_then(|n| n.parse().ok()),
                direction: get("directionality").map(str::to_string),
                client_ip: get("original-client-ip").or(get("client-ip")).map(str::to_string),
                server_ip: get("server-ip").map(str::to_string),
                client_host: get("client-hostname").map(str::to_string),
                ..Default::default()
            };
            let recipients: Vec<&str> = get("recipient-address").map(|r| r.split(';').collect()).unwrap_or_default();
            let statuses: Vec<&str> = get("recipient-status").map(|r| r.split(';').collect()).unwrap_or_default();
            if recipients.is_empty() {
                return Ok(vec![base]);
            }
            let single = recipients.len() == 1;
            Ok(recipients
                .iter()
                .enumerate()
                .map(|(i, r)| EmailRecord {
                    recipient: normalise_address(r),
                    status: statuses.get(i).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
                    // The custom-data type applies to the event; only trust it for one recipient.
                    recipient_type: if single { recipient_type.clone() } else { None },
                    ..base.clone()
                })
                .collect())
        }))
    })
}
