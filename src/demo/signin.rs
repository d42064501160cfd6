//! The sign-ins of one day: Graph `{"value": [...]}` pages of interactive sign-ins and the
//! Azure Monitor export of non-interactive ones, or on Sundays the Log Analytics CSV; the
//! travellers of the school and a few password-spraying attackers, all in the ground truth.
use chrono::{DateTime, Datelike, Utc, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::school::{Person, at, busy_second, guid, ip_in};
use super::{Day, GenerateStats, Out, Trip};
use crate::error::Error;

const APPS: [(&str, &str); 5] = [
    ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"),
    ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"),
    ("OfficeHome", "4765445b-32c6-49b0-83e6-1d93765276ca"),
    ("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c"),
    ("OneDrive SyncEngine", "ab9b8c07-8f02-4f72-87fa-80105867a763"),
];

/// A generated sign-in.
struct SigninEvent {
    t: DateTime<Utc>,
    person: usize,
    ip: String,
    country: &'static str,
    code: i64,
    interactive: bool,
    /// The signIn `id`: the key of the ground truth.
    id: String,
    /// Injected: from abroad with no approved exception covering it (GEO-1).
    violation: bool,
}

/// Writes the day's sign-in file(s).
pub(super) fn day(d: &Day, rng: &mut ChaCha8Rng, trips: &[Trip], stats: &mut GenerateStats) -> Result<(), Error> {
    let (out, spec, people, day, weekend, tz, school_ip) =
        (d.out, d.spec, d.people, d.day, d.weekend, d.tz, d.school_ip);
    let actors: &[usize] = &d.actors;
    // Sign-ins.
    let mut signins: Vec<SigninEvent> = Vec::new();
    for &i in actors {
        let p = &people[i];
        let trip = trips.iter().find(|t| t.person == i && t.first <= day && day <= t.last);
        for _ in 0..d.scale(spec.signins_per_day, rng) {
            let s = busy_second(rng, weekend);
            let (ip, country) = match trip {
                Some(t) => (ip_in(rng, t.country), t.country),
                None if s >= 16 * 3600 || weekend => (p.home_ip.clone(), "BE"),
                None => (school_ip.to_string(), "BE"),
            };
            let code = if rng.random_range(0..100) < 3 { 50126 } else { 0 };
            let interactive = rng.random_range(0..100) < 30;
            let violation = trip.is_some_and(|t| t.exception.is_none_or(|(_, a)| a.is_none()));
            signins.push(SigninEvent {
                t: at(day, tz, s),
                person: i,
                ip,
                country,
                code,
                interactive,
                id: guid(rng),
                violation,
            });
        }
    }
    // Attackers: password spraying from abroad, all blocked.
    for _ in 0..rng.random_range(2..6) {
        let i = actors[rng.random_range(0..actors.len())];
        let c = ["CN", "RU", "US"][rng.random_range(0..3)];
        let (t, ip) = (at(day, tz, rng.random_range(0..86_399)), ip_in(rng, c));
        // An attack from the very country a traveller's approved exception covers that
        // day is covered too (GEO-1 allows it): no finding to expect.
        let covered = trips.iter().any(|t| {
            t.person == i
                && t.country == c
                && t.first <= day
                && day <= t.last
                && t.exception.is_some_and(|(_, a)| a.is_some())
        });
        signins.push(SigninEvent {
            t,
            person: i,
            ip,
            country: c,
            code: 50126,
            interactive: true,
            id: guid(rng),
            violation: !covered,
        });
    }
    signins.sort_by_key(|s| s.t);
    for e in signins.iter().filter(|e| e.violation) {
        stats.ground_truth.signin_outside_allowed_countries.push(serde_json::json!({
            "request_id": e.id,
            "event_time": e.t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "finding_severity": if e.code == 0 { "high" } else { "info" },
        }));
    }
    stats.signins += signins.len() as u64;
    // A Google Workspace school: the same sign-ins as the Reports API's login audit.
    if spec.platform == super::Platform::Google {
        let mut g = Out::create(&out.join(format!("logs/signin/google-login-{day}.json")), stats)?;
        g.raw(b"{\"kind\":\"admin#reports#activities\",\"items\":[")?;
        for (k, e) in signins.iter().enumerate() {
            if k > 0 {
                g.raw(b",\n")?;
            }
            g.raw(google_item(&people[e.person], e).to_string().as_bytes())?;
        }
        g.raw(b"]}\n")?;
        return g.finish();
    }
    let sunday = day.weekday() == Weekday::Sun;
    if sunday {
        let mut w = Out::create(&out.join(format!("logs/signin/loganalytics-{day}.csv")), stats)?;
        write_la_csv(&mut w, rng, people, &signins)?;
        w.finish()?;
    } else {
        let mut g = Out::create(&out.join(format!("logs/signin/graph-{day}.json")), stats)?;
        let mut d = Out::create(&out.join(format!("logs/signin/diagnostic-{day}.json")), stats)?;
        g.raw(b"{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"value\":[")?;
        let mut first = true;
        for e in &signins {
            let (t, i, ip, country, code, interactive) = (&e.t, &e.person, &e.ip, e.country, &e.code, &e.interactive);
            let obj = graph_signin(rng, &people[*i], e, ip, country, *code, *interactive);
            if *interactive {
                if !first {
                    g.raw(b",\n")?;
                }
                first = false;
                g.raw(obj.to_string().as_bytes())?;
            } else {
                // Azure writes 7 fractional digits (100 ns ticks).
                let t7 = format!("{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100);
                let rec = serde_json::json!({
                    "time": t7,
                    "resourceId": "/tenants/5f0c0e6a-1b2c-4d3e-8f90-a1b2c3d4e5f6/providers/Microsoft.aadiam",
                    "operationName": "Sign-in activity",
                    "operationVersion": "1.0",
                    "category": "NonInteractiveUserSignInLogs",
                    "tenantId": "5f0c0e6a-1b2c-4d3e-8f90-a1b2c3d4e5f6",
                    "resultType": code.to_string(),
                    "resultSignature": "None",
                    "durationMs": 0,
                    "callerIpAddress": ip,
                    "correlationId": guid(rng),
                    "identity": people[*i].name,
                    "Level": 4,
                    "location": country,
                    "properties": obj,
                });
                d.line(&rec.to_string())?;
            }
        }
        g.raw(b"]}\n")?;
        g.finish()?;
        workloads(&mut d, day, tz, spec.seed, stats)?;
        d.finish()?;
    }
    Ok(())
}

fn graph_signin(
    rng: &mut ChaCha8Rng,
    p: &Person,
    e: &SigninEvent,
    ip: &str,
    country: &str,
    code: i64,
    interactive: bool,
) -> serde_json::Value {
    let (app, app_id) = APPS[rng.random_range(0..APPS.len())];
    let reason =
        if code == 0 { "Other." } else { "Invalid username or password or Invalid on-premise username or password." };
    let t = e.t;
    serde_json::json!({
        "id": e.id,
        "createdDateTime": t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "userDisplayName": p.name,
        "userPrincipalName": p.address,
        "userId": p.user_id,
        "appId": app_id,
        "appDisplayName": app,
        "ipAddress": ip,
        "clientAppUsed": if interactive { "Browser" } else { "Mobile Apps and Desktop clients" },
        "correlationId": guid(rng),
        "conditionalAccessStatus": "notApplied",
        "isInteractive": interactive,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes_v2": [],
        "resourceDisplayName": app,
        "status": { "errorCode": code, "failureReason": reason, "additionalDetails": null },
        "deviceDetail": { "deviceId": "", "displayName": "", "operatingSystem": "Windows10", "browser": "Edge 131.0.0", "isCompliant": false, "isManaged": false, "trustType": "" },
        "location": { "city": if country == "BE" { "Gent" } else { "" }, "state": "", "countryOrRegion": country,
            "geoCoordinates": { "altitude": null, "latitude": null, "longitude": null } },
        "appliedConditionalAccessPolicies": []
    })
}

fn write_la_csv(w: &mut Out, rng: &mut ChaCha8Rng, people: &[Person], signins: &[SigninEvent]) -> Result<(), Error> {
    // Log Analytics: BOM, CRLF, every cell quoted, dynamic columns twice.
    w.raw(&[0xEF, 0xBB, 0xBF])?;
    let header = [
        "TenantId",
        "SourceSystem",
        "TimeGenerated [UTC]",
        "ResourceId",
        "OperationName",
        "OperationVersion",
        "Category",
        "ResultType",
        "ResultSignature",
        "ResultDescription",
        "DurationMs",
        "CorrelationId",
        "Resource",
        "ResourceGroup",
        "Identity",
        "Level",
        "Location",
        "AppDisplayName",
        "AppId",
        "ClientAppUsed",
        "ConditionalAccessStatus",
        "CreatedDateTime [UTC]",
        "DeviceDetail_dynamic",
        "DeviceDetail_string",
        "IsInteractive",
        "Id",
        "IPAddress",
        "LocationDetails_dynamic",
        "LocationDetails_string",
        "Status_dynamic",
        "Status_string",
        "UserDisplayName",
        "UserId",
        "UserPrincipalName",
        "UserType",
        "Type",
    ];
    w.raw(header.join(",").as_bytes())?;
    w.raw(b"\r\n")?;
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for e in signins {
        let (t, i, ip, country, code, interactive) = (&e.t, &e.person, &e.ip, e.country, &e.code, &e.interactive);
        let p = &people[*i];
        let (app, app_id) = APPS[rng.random_range(0..APPS.len())];
        let us = t.format("%-m/%-d/%Y, %-I:%M:%S%.3f %p").to_string();
        let device = "{\r\n  \"deviceId\": \"\",\r\n  \"operatingSystem\": \"Windows10\",\r\n  \"browser\": \"Edge 131.0.0\"\r\n}";
        let loc = format!("{{\r\n  \"city\": \"\",\r\n  \"countryOrRegion\": \"{country}\"\r\n}}");
        let reason =
            if *code == 0 { "" } else { "Invalid username or password or Invalid on-premise username or password." };
        let status = format!("{{\r\n  \"errorCode\": {code},\r\n  \"failureReason\": \"{reason}\"\r\n}}");
        let cells = [
            q("5f0c0e6a-1b2c-4d3e-8f90-a1b2c3d4e5f6"),
            q("Azure AD"),
            q(&us),
            q("/tenants/5f0c0e6a/providers/Microsoft.aadiam"),
            q("Sign-in activity"),
            q("1.0"),
            q("SignInLogs"),
            q(&code.to_string()),
            q("None"),
            q(reason),
            q("0"),
            q(&guid(rng)),
            q("Microsoft.aadiam"),
            q("Microsoft.aadiam"),
            q(&p.name),
            q("4"),
            q(country),
            q(app),
            q(app_id),
            q(if *interactive { "Browser" } else { "Mobile Apps and Desktop clients" }),
            q("notApplied"),
            q(&us),
            q(device),
            q(&device.replace("\r\n", "").replace("  ", "")),
            q(if *interactive { "TRUE" } else { "FALSE" }),
            q(&e.id),
            q(ip),
            q(&loc),
            q(&loc.replace("\r\n", "").replace("  ", "")),
            q(&status),
            q(&status.replace("\r\n", "").replace("  ", "")),
            q(&p.name),
            q(&p.user_id),
            q(&p.address),
            q("Member"),
            q("SigninLogs"),
        ];
        w.raw(cells.join(",").as_bytes())?;
        w.raw(b"\r\n")?;
    }
    Ok(())
}

/// A workload's sign-in: time, category, (name, id, app id), address, country, error code.
type WorkloadSignin =
    (DateTime<Utc>, &'static str, (&'static str, &'static str, &'static str), String, &'static str, i64);

/// The school's own workloads in the diagnostic export (`ServicePrincipalSignInLogs`,
/// `ManagedIdentitySignInLogs`): the timetable sync app signing in from the school's
/// hosting every school hour and the website's managed identity with no address; on some
/// school days the app's secret is used from abroad (a stolen secret: GEO-1 for
/// workloads), written in the ground truth. They draw from a random stream of their own, so
/// the rest of the school is the same with or without them.
fn workloads(
    d: &mut Out,
    day: chrono::NaiveDate,
    tz: chrono_tz::Tz,
    seed: u64,
    stats: &mut GenerateStats,
) -> Result<(), Error> {
    use chrono::Datelike;
    use rand::SeedableRng;
    if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        return Ok(());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x574b_4c44_0000_0000 ^ day.num_days_from_ce() as u64);
    let hosting = ip_in(&mut rng, "BE");
    let app = ("Roosterkoppeling", "b1c34143-e405-4058-8e29-84596ad737b8", "cfceb902-8fab-4f8c-88ba-374d3c975c3a");
    let site = ("schoolsite-functions", "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    let mut events: Vec<WorkloadSignin> = Vec::new();
    for hour in 8..17 {
        let t = at(day, tz, hour * 3600 + rng.random_range(0..600));
        events.push((t, "ServicePrincipalSignInLogs", app, hosting.clone(), "BE", 0));
        let t = at(day, tz, hour * 3600 + 1800 + rng.random_range(0..600));
        events.push((t, "ManagedIdentitySignInLogs", site, String::new(), "", 0));
    }
    // The stolen secret: tried from Russia and refused, then used from the United States.
    if day.num_days_from_ce() % 11 == 0 {
        let t = at(day, tz, 2 * 3600 + rng.random_range(0..600));
        events.push((t, "ServicePrincipalSignInLogs", app, ip_in(&mut rng, "RU"), "RU", 7000215));
        let t = at(day, tz, 3 * 3600 + rng.random_range(0..600));
        events.push((t, "ServicePrincipalSignInLogs", app, ip_in(&mut rng, "US"), "US", 0));
    }
    events.sort_by_key(|e| e.0);
    for (t, category, (name, sp_id, app_id), ip, country, code) in events {
        let id = guid(&mut rng);
        if country != "BE" && !ip.is_empty() {
            stats.ground_truth.signin_workload_outside_allowed_countries.push(serde_json::json!({
                "request_id": id,
                "event_time": t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "finding_severity": if code == 0 { "high" } else { "info" },
            }));
        }
        let managed = category == "ManagedIdentitySignInLogs";
        let t7 = format!("{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100);
        let rec = serde_json::json!({
            "time": t7,
            "resourceId": "/tenants/5f0c0e6a-1b2c-4d3e-8f90-a1b2c3d4e5f6/providers/Microsoft.aadiam",
            "operationName": "Sign-in activity",
            "operationVersion": "1.0",
            "category": category,
            "tenantId": "5f0c0e6a-1b2c-4d3e-8f90-a1b2c3d4e5f6",
            "resultType": code.to_string(),
            "resultSignature": "None",
            "durationMs": 0,
            "callerIpAddress": if ip.is_empty() { "0.0.0.0" } else { ip.as_str() },
            "correlationId": guid(&mut rng),
            "Level": 4,
            "location": country,
            "properties": {
                "id": id,
                "createdDateTime": t7,
                "appId": app_id,
                "servicePrincipalId": sp_id,
                "servicePrincipalName": name,
                "managedIdentityType": if managed { "SystemAssigned" } else { "none" },
                "ipAddress": ip,
                "isInteractive": false,
                "resourceDisplayName": "Microsoft Graph",
                "status": { "errorCode": code },
                "location": { "city": "", "state": "", "countryOrRegion": country },
            },
        });
        d.line(&rec.to_string())?;
        stats.signins += 1;
    }
    Ok(())
}

/// A sign-in as Google's login audit has it (Admin SDK Reports API activity).
fn google_item(p: &Person, e: &SigninEvent) -> serde_json::Value {
    let (name, parameters) = if e.code == 0 {
        (
            "login_success",
            serde_json::json!([
                {"name": "login_type", "value": "google_password"},
                {"name": "login_challenge_method", "multiValue": ["password"]},
                {"name": "is_suspicious", "boolValue": false},
            ]),
        )
    } else {
        (
            "login_failure",
            serde_json::json!([
                {"name": "login_type", "value": "google_password"},
                {"name": "login_challenge_method", "multiValue": ["password"]},
                {"name": "login_failure_type", "value": "login_failure_invalid_password"},
            ]),
        )
    };
    serde_json::json!({
        "kind": "admin#reports#activity",
        "id": {
            "time": e.t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "uniqueQualifier": e.id,
            "applicationName": "login",
            "customerId": "C03az79cb",
        },
        "actor": {"callerType": "USER", "email": p.address, "profileId": p.user_id},
        "ipAddress": e.ip,
        "networkInfo": {"regionCode": e.country},
        "events": [{"type": "login", "name": name, "parameters": parameters}],
    })
}
