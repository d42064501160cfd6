//! The Microsoft Entra admin centre's own download of the sign-in logs (Sign-in logs ->
//! Download -> CSV), which every tenant admin has, licence or not: one file per tab,
//! `InteractiveSignIns_<from>_<to>.csv`, `NonInteractiveSignIns_...`,
//! `ApplicationSignIns_...` (service principals) and `MSISignIns_...` (managed
//! identities). Headers as the portal writes them: `Date (UTC)`, `Request ID`, `User ID`,
//! `Username`, `IP address`, `Location` (`City, State, CC`), `Status`
//! (`Success`/`Failure`/`Interrupted`), `Sign-in error code`, `Failure reason`,
//! `Application`, `Client app`, `Conditional Access`; the application files have
//! `Service principal ID` and `Service principal name` instead of the user's columns. The
//! portal's JSON download is Graph's `signIn` objects and is read as `graph-json`.
use std::io::BufRead;

use crate::ingest::IngestError;
use crate::ingest::csv_input::{Columns, read_csv};
use crate::ingest::record::{
    PRINCIPAL_MANAGED, PRINCIPAL_SERVICE, PRINCIPAL_USER, SigninBatcher, SigninRecord, normalise_address,
};
use crate::ingest::sink::Sink;
use crate::ingest::time::parse_utc;

/// True when a CSV header is the admin centre's download.
pub fn is_header(cols: &Columns) -> bool {
    cols.find(&["Date (UTC)"]).is_some()
        && cols.find(&["Request ID"]).is_some()
        && cols.find(&["Username", "Service principal ID"]).is_some()
}

/// Which tab a file came from, by the name the portal gives it: the diagnostic-settings
/// category of the same sign-ins, and whether they were interactive.
fn tab(file: &str) -> (Option<&'static str>, Option<bool>) {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file).to_ascii_lowercase();
    if name.starts_with("noninteractivesignins") {
        (Some("NonInteractiveUserSignInLogs"), Some(false))
    } else if name.starts_with("interactivesignins") {
        (Some("SignInLogs"), Some(true))
    } else if name.starts_with("applicationsignins") {
        (Some("ServicePrincipalSignInLogs"), Some(false))
    } else if name.starts_with("msisignins") {
        (Some("ManagedIdentitySignInLogs"), Some(false))
    } else {
        (None, None)
    }
}

/// Reads the download.
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
    let (category, interactive) = tab(&sink.provenance().file);
    read_csv(input, sink, b',', |cols| {
        if !is_header(cols) {
            return Err(
                "the header has no Date (UTC), Request ID and Username (or Service principal ID) columns".into()
            );
        }
        let time = cols.find(&["Date (UTC)"]);
        let request_id = cols.find(&["Request ID"]);
        let user = cols.find(&["Username"]);
        let user_id = cols.find(&["User ID"]);
        let sp_id = cols.find(&["Service principal ID"]);
        let sp_name = cols.find(&["Service principal name"]);
        let mi_type = cols.find(&["Managed Identity type"]);
        let ip = cols.find(&["IP address"]);
        let location = cols.find(&["Location"]);
        let status = cols.find(&["Status"]);
        let code = cols.find(&["Sign-in error code"]);
        let reason = cols.find(&["Failure reason"]);
        let app = cols.find(&["Application"]);
        let client = cols.find(&["Client app"]);
        let ca = cols.find(&["Conditional Access"]);
        Ok(Box::new(move |row: &csv::StringRecord| {
            let get = |i: Option<usize>| i.and_then(|i| row.get(i)).map(str::trim).filter(|s| !s.is_empty());
            let Some(t) = get(time) else { return Err(("missing Date (UTC)", None)) };
            let Some(event_time) = parse_utc(t) else { return Err(("unparseable Date (UTC)", None)) };
            let (principal_type, user, principal_id) = match get(user).and_then(normalise_address) {
                Some(u) => (PRINCIPAL_USER, u, get(user_id).map(str::to_string)),
                None => {
                    let id = get(sp_id).map(str::to_string);
                    let Some(name) = get(sp_name).map(str::to_string).or_else(|| id.clone()) else {
                        return Err(("missing Username", Some(event_time)));
                    };
                    let managed = category == Some("ManagedIdentitySignInLogs")
                        || get(mi_type).is_some_and(|t| !t.eq_ignore_ascii_case("none"));
                    (if managed { PRINCIPAL_MANAGED } else { PRINCIPAL_SERVICE }, name, id)
                }
            };
            let error_code = match get(code) {
                None => None,
                Some(c) => {
                    Some(c.parse::<i64>().map_err(|_| ("Sign-in error code is not a number", Some(event_time)))?)
                }
            };
            let success = match (error_code, get(status)) {
                (Some(c), _) => Some(c == 0),
                (None, Some(s)) => Some(s.eq_ignore_ascii_case("Success")),
                (None, None) => None,
            };
            // "Gent, Oost-Vlaanderen, BE": the country is the last part, when it is a code.
            let country = get(location)
                .and_then(|l| l.rsplit(',').next())
                .map(str::trim)
                .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
                .map(str::to_ascii_uppercase);
            Ok(vec![SigninRecord {
                event_time,
                user: Some(user),
                ip: get(ip).filter(|a| !["0.0.0.0", "::"].contains(a)).map(str::to_string),
                success,
                error_code,
                failure_reason: get(reason).filter(|r| *r != "Other." || error_code != Some(0)).map(str::to_string),
                app: get(app).map(str::to_string),
                client_app: get(client).map(str::to_string),
                conditional_access: get(ca).map(str::to_string),
                interactive,
                source_country: country,
                log_category: category.map(str::to_string),
                request_id: get(request_id).map(str::to_string),
                principal_type: Some(principal_type),
                principal_id,
                signin_count: None,
            }])
        }))
    })
}
