//! Microsoft Entra sign-ins as JSON: Graph `signIn` objects (an array, a `{"value": [...]}`
//! page, or one object per line) and the Azure Monitor diagnostic-settings export (one
//! record per line, the `signIn` object under `properties`).
use std::io::BufRead;

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::ingest::IngestError;
use crate::ingest::json_records;
use crate::ingest::record::{
    PRINCIPAL_MANAGED, PRINCIPAL_SERVICE, PRINCIPAL_USER, SigninBatcher, SigninRecord, normalise_address,
};

/// The diagnostic-settings categories that hold sign-ins (Microsoft Entra ID > Diagnostic
/// settings); any other category in the same export is not a sign-in.
pub const SIGNIN_CATEGORIES: [&str; 5] = [
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "MicrosoftServicePrincipalSignInLogs",
];

/// What exports write for "no address".
const NO_ADDRESS: [&str; 2] = ["0.0.0.0", "::"];
use crate::ingest::sink::{Rejection, Sink};
use crate::ingest::time::parse_utc;

/// Reads Graph `signIn` JSON or the diagnostic export (both are told apart per record),
/// parsing on every core (`json_records::read_signins_parallel`).
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
    let path = sink.provenance().file.to_string();
    let format = sink.provenance().format;
    let first = |bytes: &[u8]| -> Result<bool, IngestError> {
        let Ok(top) = serde_json::from_slice::<Top<'_>>(bytes) else { return Ok(false) };
        if top.created.is_none() && top.upn.is_none() && top.properties.is_none() && top.signin_count.is_none() {
            return Err(IngestError::NotThisFormat {
                path: path.clone().into(),
                format,
                reason: "the first record has no createdDateTime, userPrincipalName or properties".into(),
            });
        }
        Ok(true)
    };
    json_records::read_signins_parallel(input, sink, first, &parse)
}

/// One record's sign-in, or why it is rejected.
fn parse(bytes: &[u8]) -> json_records::SigninRows {
    match serde_json::from_slice::<Top<'_>>(bytes) {
        Ok(top) => top.to_record().map(|r| vec![r]),
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(("record is not a sign-in object", None)),
        Err(_) => Err(("not valid JSON", None)),
    }
}

/// A string as the JSON has it, borrowed unless it holds escapes.
type Text<'a> = Option<Cow<'a, str>>;

/// A value Microsoft writes as a number in one export and a string in another.
/// Deserialised by hand: serde's `untagged` buffers the value and tries each variant in
/// turn, which cost a tenth of the sign-in parse.
enum Flex<'a> {
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Flex<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Flex<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean, an integer or a string")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Flex<'de>, E> {
                Ok(Flex::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Flex<'de>, E> {
                Ok(Flex::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Flex<'de>, E> {
                i64::try_from(v).map(Flex::Int).map_err(|_| E::custom("integer out of range"))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Flex<'de>, E> {
                Ok(Flex::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Flex<'de>, E> {
                Ok(Flex::Str(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string that borrows from the input unless it holds escapes.
#[derive(Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

impl Flex<'_> {
    fn int(&self) -> Option<i64> {
        match self {
            Flex::Int(i) => Some(*i),
            Flex::Str(s) => s.trim().parse().ok(),
            Flex::Bool(_) => None,
        }
    }
    fn boolean(&self) -> Option<bool> {
        match self {
            Flex::Bool(b) => Some(*b),
            Flex::Str(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
            Flex::Str(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

/// Graph's `location` object, or the diagnostic export's top-level `location` string
/// (by hand, like `Flex`).
enum Location<'a> {
    Object { country: Text<'a> },
    Code(Cow<'a, str>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Location<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Location<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a location object or a country code")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Location<'de>, E> {
                Ok(Location::Code(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Location<'de>, E> {
                Ok(Location::Code(Cow::Owned(v.to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Location<'de>, A::Error> {
                let mut country = None;
                while let Some(Borrowed(key)) = map.next_key()? {
                    if key == "countryOrRegion" {
                        country = map.next_value::<Option<Borrowed<'de>>>()?.map(|b| b.0);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(Location::Object { country })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(rename = "errorCode", borrow)]
    error_code: Option<Flex<'a>>,
    #[serde(rename = "failureReason", borrow)]
    failure_reason: Text<'a>,
}

/// A summary's `managedServiceIdentity` (`msiType` is `none` for a person's sign-ins).
#[derive(Deserialize)]
struct Msi<'a> {
    #[serde(rename = "msiType", borrow)]
    msi_type: Text<'a>,
}

/// The fields of a Graph `signIn` that logwacht keeps; the rest are skipped unread.
#[derive(Deserialize)]
struct SignIn<'a> {
    #[serde(rename = "createdDateTime", borrow)]
    created: Text<'a>,
    #[serde(rename = "userPrincipalName", borrow)]
    upn: Text<'a>,
    #[serde(rename = "ipAddress", borrow)]
    ip: Text<'a>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
    #[serde(rename = "appDisplayName", borrow)]
    app: Text<'a>,
    #[serde(rename = "clientAppUsed", borrow)]
    client_app: Text<'a>,
    #[serde(rename = "conditionalAccessStatus", borrow)]
    conditional_access: Text<'a>,
    #[serde(rename = "isInteractive", borrow)]
    interactive: Option<Flex<'a>>,
    #[serde(borrow)]
    location: Option<Location<'a>>,
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(rename = "userId", borrow)]
    user_id: Text<'a>,
    #[serde(rename = "servicePrincipalId", borrow)]
    sp_id: Text<'a>,
    #[serde(rename = "servicePrincipalName", borrow)]
    sp_name: Text<'a>,
    #[serde(rename = "appId", borrow)]
    app_id: Text<'a>,
    #[serde(rename = "managedIdentityType", borrow)]
    managed_identity_type: Text<'a>,
}

/// A record: a Graph `signIn`, or a diagnostic record with the `signIn` under `properties`.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(rename = "createdDateTime", borrow)]
    created: Text<'a>,
    #[serde(rename = "userPrincipalName", borrow)]
    upn: Text<'a>,
    #[serde(rename = "ipAddress", borrow)]
    ip: Text<'a>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
    #[serde(rename = "appDisplayName", borrow)]
    app: Text<'a>,
    #[serde(rename = "clientAppUsed", borrow)]
    client_app: Text<'a>,
    #[serde(rename = "conditionalAccessStatus", borrow)]
    conditional_access: Text<'a>,
    #[serde(rename = "isInteractive", borrow)]
    interactive: Option<Flex<'a>>,
    #[serde(borrow)]
    location: Option<Location<'a>>,
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(rename = "userId", borrow)]
    user_id: Text<'a>,
    #[serde(rename = "servicePrincipalId", borrow)]
    sp_id: Text<'a>,
    #[serde(rename = "servicePrincipalName", borrow)]
    sp_name: Text<'a>,
    #[serde(rename = "appId", borrow)]
    app_id: Text<'a>,
    #[serde(rename = "managedIdentityType", borrow)]
    managed_identity_type: Text<'a>,
    // A `summarizedSignIn` (Graph beta): sign-ins of one principal, app and address in a
    // window, counted.
    #[serde(rename = "signInCount", borrow)]
    signin_count: Option<Flex<'a>>,
    #[serde(rename = "firstSignInDateTime", borrow)]
    first_signin: Text<'a>,
    #[serde(rename = "aggregationDateTime", borrow)]
    aggregation: Text<'a>,
    #[serde(rename = "managedServiceIdentity", borrow)]
    managed_service_identity: Option<Msi<'a>>,
    // The diagnostic export's own fields.
    #[serde(borrow)]
    time: Text<'a>,
    #[serde(borrow)]
    category: Text<'a>,
    #[serde(rename = "resultType", borrow)]
    result_type: Option<Flex<'a>>,
    #[serde(rename = "resultDescription", borrow)]
    result_description: Text<'a>,
    #[serde(rename = "callerIpAddress", borrow)]
    caller_ip: Text<'a>,
    #[serde(borrow)]
    properties: Option<SignIn<'a>>,
}

fn some(t: &Text<'_>) -> Option<String> {
    t.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn country(l: &Option<Location<'_>>) -> Option<String> {
    match l {
        Some(Location::Object { country }) => some(country),
        Some(Location::Code(c)) => some(&Some(c.clone())),
        None => None,
    }
}

impl Top<'_> {
    /// Maps the record (Graph or diagnostic) to a sign-in row.
    fn to_record(&self) -> Result<SigninRecord, Rejection> {
        let diag = self.properties.is_some();
        // In a diagnostic record the signIn is `properties`; its own fields are fallbacks.
        // A diagnostic export folder may hold other categories beside the sign-ins (audit,
        // provisioning, risk events): counted under their own reason, not as malformed.
        if diag
            && let Some(c) = some(&self.category)
            && !SIGNIN_CATEGORIES.iter().any(|k| k.eq_ignore_ascii_case(&c))
        {
            return Err(("not a sign-in record (another log category)", None));
        }
        let (created, upn, ip, status, app, client_app, ca, interactive, location, id) = match &self.properties {
            Some(p) => (
                &p.created,
                &p.upn,
                &p.ip,
                &p.status,
                &p.app,
                &p.client_app,
                &p.conditional_access,
                &p.interactive,
                &p.location,
                &p.id,
            ),
            None => (
                &self.created,
                &self.upn,
                &self.ip,
                &self.status,
                &self.app,
                &self.client_app,
                &self.conditional_access,
                &self.interactive,
                &self.location,
                &self.id,
            ),
        };
        let (user_id, sp_id, sp_name, app_id, mi_type) = match &self.properties {
            Some(p) => (&p.user_id, &p.sp_id, &p.sp_name, &p.app_id, &p.managed_identity_type),
            None => (&self.user_id, &self.sp_id, &self.sp_name, &self.app_id, &self.managed_identity_type),
        };
        // A summarised row is dated by its first sign-in (else its window's start).
        let summarised = !diag && self.signin_count.is_some();
        let time_text = some(created)
            .or_else(|| if diag { some(&self.time) } else { None })
            .or_else(|| if summarised { some(&self.first_signin).or_else(|| some(&self.aggregation)) } else { None });
        let Some(time_text) = time_text else { return Err(("missing createdDateTime", None)) };
        let Some(event_time) = parse_utc(&time_text) else { return Err(("unparseable createdDateTime", None)) };
        // A person signs in with a user principal name; an app (service principal) or an
        // Azure resource (managed identity) with its own id and name.
        let (principal_type, user, principal_id) = match upn.as_deref().and_then(normalise_address) {
            Some(u) => (PRINCIPAL_USER, Some(u), some(user_id)),
            None => {
                let id = some(sp_id).or_else(|| some(app_id));
                let name = some(sp_name);
                if id.is_none() && name.is_none() {
                    return Err(("missing userPrincipalName", Some(event_time)));
                }
                let category = if diag { some(&self.category) } else { None };
                let managed = category.is_some_and(|c| c.eq_ignore_ascii_case("ManagedIdentitySignInLogs"))
                    || some(mi_type).is_some_and(|t| !t.eq_ignore_ascii_case("none"))
                    || (summarised
                        && self
                            .managed_service_identity
                            .as_ref()
                            .and_then(|m| some(&m.msi_type))
                            .is_some_and(|t| !t.eq_ignore_ascii_case("none")));
                let kind = if managed { PRINCIPAL_MANAGED } else { PRINCIPAL_SERVICE };
                (kind, name.or_else(|| id.clone()), id)
            }
        };
        let error_code = status
            .as_ref()
            .and_then(|s| s.error_code.as_ref())
            .and_then(Flex::int)
            .or_else(|| if diag { self.result_type.as_ref().and_then(Flex::int) } else { None });
        let failure_reason = status
            .as_ref()
            .and_then(|s| some(&s.failure_reason))
            .or_else(|| if diag { some(&self.result_description) } else { None })
            .filter(|r| r != "Other." || error_code != Some(0));
        let source_country = country(location).or_else(|| if diag { country(&self.location) } else { None });
        let signin_count = match self.signin_count.as_ref().filter(|_| summarised) {
            None => None,
            Some(n) => match n.int() {
                Some(n) if n >= 1 => Some(n),
                _ => return Err(("signInCount is not a positive whole number", Some(event_time))),
            },
        };
        // The summaries are of non-interactive sign-ins, one endpoint per kind of principal.
        let summary_category = match (summarised, principal_type) {
            (false, _) => None,
            (true, PRINCIPAL_USER) => Some("NonInteractiveUserSignInLogs".to_string()),
            (true, PRINCIPAL_MANAGED) => Some("ManagedIdentitySignInLogs".to_string()),
            (true, _) => Some("ServicePrincipalSignInLogs".to_string()),
        };
        Ok(SigninRecord {
            event_time,
            user,
            // Real exports write "0.0.0.0" (and "") where they have no address: unknown.
            ip: some(ip)
                .filter(|a| !NO_ADDRESS.contains(&a.as_str()))
                .or_else(|| if diag { some(&self.caller_ip) } else { None })
                .filter(|a| !NO_ADDRESS.contains(&a.as_str())),
            success: error_code.map(|c| c == 0),
            error_code,
            failure_reason,
            app: some(app),
            client_app: some(client_app),
            conditional_access: some(ca),
            interactive: interactive.as_ref().and_then(Flex::boolean).or(if summarised { Some(false) } else { None }),
            source_country: source_country.map(|c| c.to_ascii_uppercase()),
            log_category: if diag { some(&self.category) } else { summary_category },
            request_id: some(id),
            principal_type: Some(principal_type),
            principal_id,
            signin_count,
        })
    }
}

/// Maps one record's JSON text to a sign-in row (used by the tests).
pub fn to_record(bytes: &[u8]) -> Result<SigninRecord, Rejection> {
    let top: Top<'_> = serde_json::from_slice(bytes).map_err(|_| ("not valid JSON", None))?;
    top.to_record()
}

/// True when a JSON object is a Graph sign-in or a diagnostic record holding one.
pub fn looks_like_signin(v: &Value) -> bool {
    let inner = v.get("properties").unwrap_or(v);
    inner.get("createdDateTime").is_some()
        || inner.get("userPrincipalName").is_some()
        || (v.get("signInCount").is_some() && v.get("aggregationDateTime").is_some())
}

/// True when a JSON object is an Azure Monitor diagnostic record.
pub fn is_diagnostic(v: &Value) -> bool {
    v.get("properties").is_some_and(Value::is_object) && (v.get("time").is_some() || v.get("category").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_and_diagnostic_records_map_alike() {
        let graph = r#"{"id":"66ea54eb-6301-4ee5-be62-ff5a759b8100","createdDateTime":"2026-11-20T08:15:30Z",
            "userPrincipalName":"Jan.Peeters@School.be","ipAddress":"2a02:a03f::1",
            "status":{"errorCode":50126,"failureReason":"Invalid username or password."},
            "appDisplayName":"Office 365 Exchange Online","clientAppUsed":"Browser",
            "conditionalAccessStatus":"notApplied","isInteractive":true,
            "location":{"city":"Gent","countryOrRegion":"BE"}}"#;
        let r = to_record(graph.as_bytes()).unwrap();
        assert_eq!(r.user.as_deref(), Some("jan.peeters@school.be"));
        assert_eq!((r.success, r.error_code), (Some(false), Some(50126)));
        assert_eq!(r.source_country.as_deref(), Some("BE"));
        assert_eq!(r.log_category, None);

        let diag = r#"{"time":"2026-11-20T09:15:30.1234567+01:00","category":"NonInteractiveUserSignInLogs",
            "resultType":"0","callerIpAddress":"81.246.0.1","location":"BE",
            "properties":{"createdDateTime":"2026-11-20T09:15:30.1234567+01:00","userPrincipalName":"a@school.be",
            "status":{"errorCode":0},"isInteractive":false}}"#;
        let r = to_record(diag.as_bytes()).unwrap();
        assert_eq!(r.event_time, parse_utc("2026-11-20T08:15:30.123456Z").unwrap());
        assert_eq!((r.success, r.interactive), (Some(true), Some(false)));
        assert_eq!(r.ip.as_deref(), Some("81.246.0.1"));
        assert_eq!(r.log_category.as_deref(), Some("NonInteractiveUserSignInLogs"));
    }

    #[test]
    fn bad_records_are_rejected_with_a_reason_not_a_value() {
        let v = r#"{"userPrincipalName":"x@y","createdDateTime":"gisteren"}"#;
        assert_eq!(to_record(v.as_bytes()).unwrap_err().0, "unparseable createdDateTime");
        let v = r#"{"createdDateTime":"2026-11-20T08:15:30Z","userPrincipalName":"a\u0040b"}"#;
        assert_eq!(to_record(v.as_bytes()).unwrap().user.as_deref(), Some("a@b"));
        let v = r#"{"createdDateTime":"2026-11-20T08:15:30Z"}"#;
        assert_eq!(to_record(v.as_bytes()).unwrap_err().0, "missing userPrincipalName");
    }

    #[test]
    fn apps_and_managed_identities_sign_in_as_principals() {
        let sp = r#"{"time":"2026-11-20T08:00:00.0000000Z","category":"ServicePrincipalSignInLogs","resultType":"7000215",
            "callerIpAddress":"3.80.12.7","location":"US","properties":{"createdDateTime":"2026-11-20T08:00:00Z",
            "servicePrincipalId":"b1c3","servicePrincipalName":"Roosterkoppeling","appId":"cfce","managedIdentityType":"none",
            "ipAddress":"3.80.12.7","status":{"errorCode":7000215}}}"#;
        let r = to_record(sp.as_bytes()).unwrap();
        assert_eq!((r.principal_type, r.user.as_deref()), (Some(PRINCIPAL_SERVICE), Some("Roosterkoppeling")));
        assert_eq!((r.principal_id.as_deref(), r.success), (Some("b1c3"), Some(false)));
        // A managed identity, with no name: its id names it; an empty address and a
        // 0.0.0.0 caller are no address at all.
        let mi = r#"{"time":"2026-11-20T08:00:00Z","category":"ManagedIdentitySignInLogs","callerIpAddress":"0.0.0.0",
            "properties":{"createdDateTime":"2026-11-20T08:00:00Z","servicePrincipalId":"4e5f","servicePrincipalName":"",
            "ipAddress":"","status":{"errorCode":0}}}"#;
        let r = to_record(mi.as_bytes()).unwrap();
        assert_eq!((r.principal_type, r.user.as_deref(), r.ip), (Some(PRINCIPAL_MANAGED), Some("4e5f"), None));
        // A person is a user, with their object id.
        let user = r#"{"createdDateTime":"2026-11-20T08:00:00Z","userPrincipalName":"a@school.be","userId":"8105"}"#;
        let r = to_record(user.as_bytes()).unwrap();
        assert_eq!((r.principal_type, r.principal_id.as_deref()), (Some(PRINCIPAL_USER), Some("8105")));
        // Another category of the same export is not a sign-in, whatever it holds.
        let audit =
            r#"{"time":"2026-11-20T08:00:00Z","category":"AuditLogs","properties":{"activityDisplayName":"x"}}"#;
        assert_eq!(to_record(audit.as_bytes()).unwrap_err().0, "not a sign-in record (another log category)");
    }
}
