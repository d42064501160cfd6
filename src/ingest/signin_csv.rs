//! The Log Analytics "Export to CSV" of the `SigninLogs` table (and of
//! `AADNonInteractiveUserSignInLogs`, `AADServicePrincipalSignInLogs` and
//! `AADManagedIdentitySignInLogs`, whose apps and resources sign in with a
//! `ServicePrincipalName` instead of a `UserPrincipalName`): UTF-8 with BOM, CRLF, quoted
//! cells holding JSON over several lines, dynamic columns twice (`_dynamic`, `_string`),
//! time columns named `... [UTC]` with US-locale text, `TRUE`/`FALSE`.
use std::io::BufRead;

use serde_json::Value;

use crate::ingest::IngestError;
use crate::ingest::csv_input::{Columns, read_csv};
use crate::ingest::record::{
    PRINCIPAL_MANAGED, PRINCIPAL_SERVICE, PRINCIPAL_USER, SigninBatcher, SigninRecord, normalise_address,
};
use crate::ingest::sink::Sink;
use crate::ingest::time::parse_utc;

/// True when a CSV header is a sign-in table's export.
pub fn is_header(cols: &Columns) -> bool {
    cols.find(&["UserPrincipalName", "ServicePrincipalName"]).is_some() && cols.find(&["ResultType"]).is_some()
}

/// Reads the Log Analytics CSV.
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
    read_csv(input, sink, b',', |cols| {
        if !is_header(cols) {
            return Err("the header has no UserPrincipalName (or ServicePrincipalName) and ResultType columns".into());
        }
        let time = cols.find(&["CreatedDateTime [UTC]", "CreatedDateTime", "TimeGenerated [UTC]", "TimeGenerated"]);
        let Some(time) = time else {
            return Err("the header has no CreatedDateTime or TimeGenerated column".into());
        };
        let user = cols.find(&["UserPrincipalName"]);
        let ip = cols.find(&["IPAddress"]);
        let result = cols.find(&["ResultType"]);
        let reason = cols.find(&["ResultDescription"]);
        let status = cols.find(&["Status_dynamic", "Status", "Status_string"]);
        let app = cols.find(&["AppDisplayName"]);
        let client = cols.find(&["ClientAppUsed"]);
        let ca = cols.find(&["ConditionalAccessStatus"]);
        let inter = cols.find(&["IsInteractive"]);
        let loc = cols.find(&["Location"]);
        let details = cols.find(&["LocationDetails_dynamic", "LocationDetails", "LocationDetails_string"]);
        let category = cols.find(&["Category", "Type"]);
        let id = cols.find(&["Id"]);
        let user_id = cols.find(&["UserId"]);
        let sp_name = cols.find(&["ServicePrincipalName"]);
        let sp_id = cols.find(&["ServicePrincipalId", "AppId"]);
        Ok(Box::new(move |row: &csv::StringRecord| {
            let get = |i: Option<usize>| i.and_then(|i| row.get(i)).map(str::trim).filter(|s| !s.is_empty());
            let Some(t) = get(Some(time)) else {
                return Err(("missing CreatedDateTime", None));
            };
            let Some(event_time) = parse_utc(t) else {
                return Err(("unparseable CreatedDateTime", None));
            };
            // A person, or an app or Azure resource signing in as itself.
            let (principal_type, user, principal_id) = match get(user).and_then(normalise_address) {
                Some(u) => (PRINCIPAL_USER, u, get(user_id).map(str::to_string)),
                None => {
                    let id = get(sp_id).map(str::to_string);
                    let Some(name) = get(sp_name).map(str::to_string).or_else(|| id.clone()) else {
                        return Err(("missing UserPrincipalName", Some(event_time)));
                    };
                    let managed = get(category).is_some_and(|c| c.to_ascii_lowercase().contains("managedidentity"));
                    (if managed { PRINCIPAL_MANAGED } else { PRINCIPAL_SERVICE }, name, id)
                }
            };
            let error_code = match get(result) {
                None => None,
                Some(r) => Some(r.parse::<i64>().map_err(|_| ("ResultType is not a number", Some(event_time)))?),
            };
            let status: Option<Value> = get(status).and_then(|s| serde_json::from_str(s).ok());
            let details: Option<Value> = get(details).and_then(|s| serde_json::from_str(s).ok());
            let failure_reason = get(reason).map(str::to_string).or_else(|| {
                status.as_ref().and_then(|s| s.get("failureReason")).and_then(Value::as_str).map(str::to_string)
            });
            let country = get(loc).map(str::to_string).or_else(|| {
                details.as_ref().and_then(|d| d.get("countryOrRegion")).and_then(Value::as_str).map(str::to_string)
            });
            Ok(vec![SigninRecord {
                event_time,
                user: Some(user),
                // "0.0.0.0" is what exports write for no address: unknown.
                ip: get(ip).filter(|a| !["0.0.0.0", "::"].contains(a)).map(str::to_string),
                success: error_code.map(|c| c == 0),
                error_code,
                failure_reason: failure_reason.filter(|r| !r.is_empty()),
                app: get(app).map(str::to_string),
                client_app: get(client).map(str::to_string),
                conditional_access: get(ca).map(str::to_string),
                interactive: get(inter).and_then(|b| match b.to_ascii_lowercase().as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                }),
                source_country: country.filter(|c| !c.is_empty()).map(|c| c.to_ascii_uppercase()),
                log_category: get(category).map(str::to_string),
                request_id: get(id).map(str::to_string),
                principal_type: Some(principal_type),
                principal_id,
                signin_count: None,
            }])
        }))
    })
}
