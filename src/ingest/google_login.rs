//! Google Workspace's login audit: the Admin SDK Reports API `activities.list` for
//! `applicationName=login`, saved page by page as the API returns them
//! (`{"kind": "admin#reports#activities", "items": [...], "nextPageToken": ...}`), or the
//! items alone (an array, or one per line).
//!
//! Each item is one activity: `id.time` (RFC 3339, UTC), `id.uniqueQualifier`, `actor.email`
//! and `actor.profileId`, `ipAddress`, `networkInfo.regionCode` (Google's own country, kept
//! as `source_country`), and `events[]`, each with a `name` and `parameters[]` (`value`,
//! `boolValue`, `intValue`, `multiValue`). The sign-in events become rows: `login_success`
//! (succeeded; `is_suspicious` kept in `log_category`), `login_failure` (failed, with
//! `login_failure_type`), `login_challenge` (passed or failed, by
//! `login_challenge_status`), and Google's `suspicious_login*` warnings (a login that
//! succeeded). Other events (`logout`, `password_edit`, `2sv_*`, ...) are counted as
//! skipped; an item of another application is rejected under its own reason.
use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;

use crate::ingest::IngestError;
use crate::ingest::json_records;
use crate::ingest::record::{PRINCIPAL_USER, SigninBatcher, SigninRecord, normalise_address};
use crate::ingest::sink::{Rejection, Sink};
use crate::ingest::time::parse_utc;

/// True when a JSON object is a Reports API activity of the login application.
pub fn looks_like(v: &Value) -> bool {
    v.get("id").and_then(|id| id.get("applicationName")).and_then(Value::as_str) == Some("login")
        || (v.get("kind").and_then(Value::as_str) == Some("admin#reports#activity") && v.get("events").is_some())
}

type Text<'a> = Option<Cow<'a, str>>;

#[derive(Deserialize)]
struct Id<'a> {
    #[serde(borrow)]
    time: Text<'a>,
    #[serde(rename = "uniqueQualifier", borrow, default)]
    unique: Option<Qualifier<'a>>,
    #[serde(rename = "applicationName", borrow)]
    application: Text<'a>,
}

/// `uniqueQualifier` is a string in the API's JSON, a number in some tools' copies.
#[derive(Deserialize)]
#[serde(untagged)]
enum Qualifier<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Number(i64),
}

#[derive(Deserialize)]
struct Actor<'a> {
    #[serde(borrow)]
    email: Text<'a>,
    #[serde(rename = "profileId", borrow)]
    profile_id: Text<'a>,
}

#[derive(Deserialize)]
struct NetworkInfo<'a> {
    #[serde(rename = "regionCode", borrow)]
    region: Text<'a>,
}

#[derive(Deserialize)]
struct Parameter<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    value: Text<'a>,
    #[serde(rename = "boolValue")]
    bool_value: Option<bool>,
    #[serde(rename = "multiValue", borrow, default)]
    multi: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow, default)]
    parameters: Vec<Parameter<'a>>,
}

impl Event<'_> {
    fn text(&self, name: &str) -> Option<String> {
        let p = self.parameters.iter().find(|p| p.name.as_deref() == Some(name))?;
        p.value.as_deref().map(str::to_string).or_else(|| (!p.multi.is_empty()).then(|| p.multi.join(";")))
    }
    fn flag(&self, name: &str) -> Option<bool> {
        self.parameters.iter().find(|p| p.name.as_deref() == Some(name)).and_then(|p| p.bool_value)
    }
}

#[derive(Deserialize)]
struct Activity<'a> {
    #[serde(borrow)]
    id: Option<Id<'a>>,
    #[serde(borrow)]
    actor: Option<Actor<'a>>,
    #[serde(rename = "ipAddress", borrow)]
    ip: Text<'a>,
    #[serde(rename = "networkInfo", borrow)]
    network: Option<NetworkInfo<'a>>,
    #[serde(borrow, default)]
    events: Vec<Event<'a>>,
}

fn some(t: &Text<'_>) -> Option<String> {
    t.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// What an event of the login application means for the sign-in table: `None` for the
/// events that are no sign-in (logout, password change, ...).
fn outcome(e: &Event<'_>) -> Option<(bool, String, Option<String>)> {
    let name = e.name.as_deref()?;
    match name {
        "login_success" => {
            let category = if e.flag("is_suspicious") == Some(true) { "login_success (suspicious)" } else { name };
            Some((true, category.to_string(), None))
        }
        "login_failure" => Some((false, name.to_string(), e.text("login_failure_type"))),
        "login_challenge" | "login_verification" => {
            let status = e.text("login_challenge_status");
            let passed = status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("Challenge Passed"));
            Some((passed, name.to_string(), if passed { None } else { status }))
        }
        "suspicious_login" | "suspicious_login_less_secure_app" | "suspicious_programmatic_login" => {
            Some((true, name.to_string(), None))
        }
        _ => None,
    }
}

/// The sign-in rows of one activity (none for an activity of no sign-in).
fn to_records(a: &Activity<'_>) -> Result<Vec<SigninRecord>, Rejection> {
    let Some(id) = &a.id else { return Err(("missing id", None)) };
    if some(&id.application).is_some_and(|app| app != "login") {
        return Err(("not a login audit record (another application)", None));
    }
    let Some(time) = some(&id.time) else { return Err(("missing id.time", None)) };
    let Some(event_time) = parse_utc(&time) else { return Err(("unparseable id.time", None)) };
    let actor = a.actor.as_ref();
    let Some(user) = actor.and_then(|x| x.email.as_deref()).and_then(normalise_address) else {
        return Err(("missing actor.email", Some(event_time)));
    };
    let request_id = id.unique.as_ref().map(|q| match q {
        Qualifier::Text(t) => t.to_string(),
        Qualifier::Number(n) => n.to_string(),
    });
    let country = a.network.as_ref().and_then(|n| some(&n.region)).map(|c| c.to_ascii_uppercase());
    Ok(a.events
        .iter()
        .filter_map(|e| {
            let (success, category, reason) = outcome(e)?;
            Some(SigninRecord {
                event_time,
                user: Some(user.clone()),
                ip: some(&a.ip).filter(|ip| ip != "0.0.0.0"),
                success: Some(success),
                error_code: None,
                failure_reason: reason,
                app: Some("Google Workspace".into()),
                client_app: e.text("login_type"),
                conditional_access: None,
                interactive: None,
                source_country: country.clone(),
                log_category: Some(category),
                request_id: request_id.clone(),
                principal_type: Some(PRINCIPAL_USER),
                principal_id: actor.and_then(|x| some(&x.profile_id)),
                signin_count: None,
            })
        })
        .collect())
}

/// Reads the login audit (pages, an array of items, or one item per line).
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
    json_records::read_signins_parallel(input, sink, |_| Ok(true), &parse)
}

/// One activity's sign-ins, or why it is rejected.
fn parse(bytes: &[u8]) -> json_records::SigninRows {
    match serde_json::from_slice::<Activity<'_>>(bytes) {
        Ok(activity) => to_records(&activity),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            Err(("record is not a Reports API activity", None))
        }
        Err(_) => Err(("not valid JSON", None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(json: &str) -> Result<Vec<SigninRecord>, Rejection> {
        let a: Activity<'_> = serde_json::from_str(json).unwrap();
        to_records(&a)
    }

    #[test]
    fn login_events_map_to_sign_ins_and_the_rest_to_nothing() {
        let ok = r#"{"kind":"admin#reports#activity","id":{"time":"2026-11-20T08:15:30.123Z","uniqueQualifier":"-42","applicationName":"login","customerId":"C01"},
            "actor":{"email":"Jan@School.be","profileId":"1001"},"ipAddress":"81.246.12.34","networkInfo":{"regionCode":"BE"},
            "events":[{"type":"login","name":"login_success","parameters":[{"name":"login_type","value":"google_password"},{"name":"is_suspicious","boolValue":true}]}]}"#;
        let r = &rows(ok).unwrap()[0];
        assert_eq!(
            (r.user.as_deref(), r.success, r.source_country.as_deref()),
            (Some("jan@school.be"), Some(true), Some("BE"))
        );
        assert_eq!(
            (r.log_category.as_deref(), r.client_app.as_deref()),
            (Some("login_success (suspicious)"), Some("google_password"))
        );
        assert_eq!((r.request_id.as_deref(), r.principal_id.as_deref()), (Some("-42"), Some("1001")));
        let failed = ok.replace("login_success", "login_failure").replace(
            r#"{"name":"is_suspicious","boolValue":true}"#,
            r#"{"name":"login_failure_type","value":"login_failure_invalid_password"}"#,
        );
        let r = &rows(&failed).unwrap()[0];
        assert_eq!((r.success, r.failure_reason.as_deref()), (Some(false), Some("login_failure_invalid_password")));
        assert!(rows(&ok.replace("login_success", "logout")).unwrap().is_empty());
        assert_eq!(
            rows(&ok.replace(r#""login","customerId""#, r#""drive","customerId""#)).unwrap_err().0,
            "not a login audit record (another application)"
        );
        assert_eq!(rows(&ok.replace("Jan@School.be", "")).unwrap_err().0, "missing actor.email");
    }
}
