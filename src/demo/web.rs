//! The web of one day: the school proxy's Squid native log, or the school firewall's
//! FortiGate or Sophos web log (one request per web rule injected on about half of the
//! school days, the same requests whichever writes them), and the school website's Apache
//! log.
use std::fmt::Write as _;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::school::{at, ip_in};
use super::{Day, GenerateStats, Out, WebLog};
use crate::enrich::directory::Role;
use crate::error::Error;

const SITES: [&str; 30] = [
    "www.smartschool.be",
    "login.microsoftonline.com",
    "outlook.office.com",
    "teams.microsoft.com",
    "www.office.com",
    "school.example",
    "nl.wikipedia.org",
    "www.google.be",
    "www.google.com",
    "fonts.gstatic.com",
    "www.bing.com",
    "www.vrt.be",
    "www.standaard.be",
    "www.hln.be",
    "www.knack.be",
    "www.klascement.net",
    "www.scoodle.be",
    "www.diddit.be",
    "www.bookwidgets.com",
    "quizlet.com",
    "www.duolingo.com",
    "kahoot.it",
    "www.canva.com",
    "docs.google.com",
    "www.youtube.com",
    "i.ytimg.com",
    "cdn.jsdelivr.net",
    "www.meteo.be",
    "www.belgium.be",
    "www.onderwijs.vlaanderen.be",
];
/// The requests injected for the web rules: rule, Squid code/status, method, URL. The
/// hosts are entries of the built-in UT1 sample (fixtures/blocklists).
const WEB_INJECTIONS: [(&str, &str, &str, &str); 5] = [
    ("web_forbidden_category", "TCP_MISS/200", "GET", "http://020sextoy.com/sk/index.html"),
    ("web_filter_circumvention", "TCP_TUNNEL/200", "CONNECT", "01usevpn.website:443"),
    ("web_leisure_during_school_hours", "TCP_MISS/200", "GET", "http://0000100.com/play"),
    ("web_download_executable", "TCP_MISS/200", "GET", "http://files.example.org/tools/setup.exe"),
    ("web_malware_or_phishing", "TCP_DENIED/403", "GET", "http://0819-4xo.pages.dev/de/register/step1"),
];

/// Writes the day's Squid log.
pub(super) fn squid_day(d: &Day, rng: &mut ChaCha8Rng, stats: &mut GenerateStats) -> Result<(), Error> {
    let (out, spec, people, day, weekend, tz, school_ip) =
        (d.out, d.spec, d.people, d.day, d.weekend, d.tz, d.school_ip);
    let actors: &[usize] = &d.actors;
    // The proxy (Squid native).
    let file = match spec.web {
        WebLog::Squid => format!("access-{day}.log"),
        WebLog::Fortigate => format!("fortigate-{day}.log"),
        WebLog::Sophos => format!("sophos-{day}.log"),
    };
    let mut w = Out::create(&out.join("logs/web").join(&file), stats)?;
    let mut reqs: Vec<(i64, usize, Option<usize>)> = Vec::new();
    // Injected: one request per web rule on about half of the school days, by a pupil,
    // during lessons (WEB_INJECTIONS; hosts from the built-in UT1 sample).
    if !weekend {
        let pupils: Vec<usize> = actors.iter().copied().filter(|&i| people[i].role == Role::Pupil).collect();
        for k in 0..WEB_INJECTIONS.len() {
            if pupils.is_empty() || rng.random_range(0..2) == 0 {
                continue;
            }
            let s = rng.random_range(9 * 3600..15 * 3600);
            let t = at(day, tz, s).timestamp_millis() + rng.random_range(0..1000);
            reqs.push((t, pupils[rng.random_range(0..pupils.len())], Some(k)));
        }
    }
    for &i in actors {
        for _ in 0..d.scale(spec.web_per_day, rng) {
            let s = if weekend {
                rng.random_range(10 * 3600..16 * 3600)
            } else {
                rng.random_range(8 * 3600 + 25 * 60..16 * 3600)
            };
            let t = at(day, tz, s).timestamp_millis() + rng.random_range(0..1000);
            reqs.push((t, i, None));
        }
    }
    reqs.sort_unstable();
    stats.web += reqs.len() as u64;
    let mut line = String::with_capacity(256);
    for (t, i, injected) in reqs {
        let p = &people[i];
        let site = SITES[rng.random_range(0..SITES.len())];
        line.clear();
        let elapsed = rng.random_range(5..900);
        let bytes = rng.random_range(300..80_000);
        if let Some(k) = injected {
            let (rule, code, method, url) = WEB_INJECTIONS[k];
            let _ = write!(
                line,
                "{}.{:03} {elapsed:>6} {} {code} {bytes} {method} {url} {} HIER_DIRECT/{} text/html",
                t / 1000,
                t % 1000,
                p.device_ip,
                p.address,
                school_ip
            );
            if spec.web != WebLog::Squid {
                line = firewall_line(spec.web, &line, tz);
            }
            w.line(&line)?;
            stats.ground_truth.add(rule, &file, w.lines, day);
            continue;
        }
        if rng.random_range(0..10) < 8 {
            let _ = write!(
                line,
                "{}.{:03} {elapsed:>6} {} TCP_TUNNEL/200 {bytes} CONNECT {site}:443 {} HIER_DIRECT/{} -",
                t / 1000,
                t % 1000,
                p.device_ip,
                p.address,
                school_ip
            );
        } else {
            let _ = write!(
                line,
                "{}.{:03} {elapsed:>6} {} TCP_MISS/200 {bytes} GET http://{site}/ {} HIER_DIRECT/{} text/html",
                t / 1000,
                t % 1000,
                p.device_ip,
                p.address,
                school_ip
            );
        }
        if spec.web != WebLog::Squid {
            line = firewall_line(spec.web, &line, tz);
        }
        w.line(&line)?;
    }
    w.finish()?;
    Ok(())
}

/// The same request as a firewall logs it: a Squid line rewritten as FortiGate's web filter
/// or Sophos' content filtering `key=value` line (the generator writes the Squid line first
/// so that every log kind draws the same random numbers: the same school).
fn firewall_line(kind: WebLog, squid: &str, tz: chrono_tz::Tz) -> String {
    use chrono::TimeZone;
    let f: Vec<&str> = squid.split_ascii_whitespace().collect();
    let (t, client, code, bytes, method, url, user) = (f[0], f[2], f[3], f[4], f[5], f[6], f[7]);
    let ms: i64 = t.replace('.', "").parse().unwrap_or(0);
    let utc = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).unwrap_or_default();
    let local = tz.from_utc_datetime(&utc.naive_utc());
    let (host, url) = match method {
        "CONNECT" => {
            let host = url.rsplit_once(':').map_or(url, |(h, _)| h);
            (host.to_string(), format!("https://{host}/"))
        }
        _ => (url.split("://").nth(1).unwrap_or(url).split('/').next().unwrap_or("").to_string(), url.to_string()),
    };
    let denied = code.contains("DENIED");
    let status = code.split('/').nth(1).unwrap_or("200");
    match kind {
        WebLog::Fortigate => format!(
            "date={} time={} eventtime={}000000 tz=\"{}\" logid=\"{}\" type=\"utm\" subtype=\"webfilter\" eventtype=\"{}\" level=\"{}\" vd=\"root\" policyid=3 srcip={client} srcintf=\"internal\" dstintf=\"wan1\" proto=6 service=\"{}\" hostname=\"{host}\" profile=\"school\" action=\"{}\" reqtype=\"direct\" url=\"{url}\" sentbyte=512 rcvdbyte={bytes} direction=\"incoming\" user=\"{user}\"",
            local.format("%Y-%m-%d"),
            local.format("%H:%M:%S"),
            ms,
            local.format("%z"),
            if denied { "0316013056" } else { "0317013312" },
            if denied { "ftgd_blk" } else { "ftgd_allow" },
            if denied { "warning" } else { "notice" },
            if url.starts_with("https") { "HTTPS" } else { "HTTP" },
            if denied { "blocked" } else { "passthrough" },
        ),
        _ => format!(
            "device=\"SFW\" timestamp=\"{}\" device_name=\"XGS2100\" log_id={} log_type=\"Content Filtering\" log_component=\"HTTP\" log_subtype=\"{}\" status= priority=Information fw_rule_id=5 user_name=\"{user}\" url=\"{url}\" src_ip={client} recv_bytes={bytes} domain={host} status_code=\"{status}\"",
            local.format("%Y-%m-%dT%H:%M:%S%z"),
            if denied { "050901616001" } else { "050901616002" },
            if denied { "Denied" } else { "Allowed" },
        ),
    }
}

/// Writes the day's Apache log of the school website.
pub(super) fn apache_day(d: &Day, rng: &mut ChaCha8Rng, stats: &mut GenerateStats) -> Result<(), Error> {
    let (out, day, weekend, tz) = (d.out, d.day, d.weekend, d.tz);
    // The school website (Apache combined).
    let mut w = Out::create(&out.join(format!("logs/web/www-access-{day}.log")), stats)?;
    let n = if weekend { 40 } else { 200 };
    let mut visits: Vec<u32> = (0..n).map(|_| rng.random_range(0..86_399)).collect();
    visits.sort_unstable();
    for s in visits {
        let t = at(day, tz, s).with_timezone(&tz);
        let page =
            ["/", "/nieuws", "/inschrijvingen", "/contact", "/kalender", "/img/logo.png"][rng.random_range(0..6)];
        let ip = ip_in(rng, "BE");
        w.line(&format!(
            "{ip} - - [{}] \"GET {page} HTTP/1.1\" 200 {} \"https://www.google.be/\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\"",
            t.format("%d/%b/%Y:%H:%M:%S %z"),
            rng.random_range(500..40_000)
        ))?;
        stats.web += 1;
    }
    w.finish()?;
    Ok(())
}
