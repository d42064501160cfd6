//! `logwacht demo`: the whole job on a generated school, in a fresh workspace folder.
//!
//! generate (a school of `--people`, 35 days) -> init -> the nightly ingest of each day's
//! files (at 03:00 the next morning, as cron would) -> purge -> the sign-in rules over the
//! retained window -> the weekly DPO report of the last whole week -> verify the audit
//! case walk-through (open, screen, report, close for one staff member) -> verify the
//! audit trail -> summary.
use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::cli::DemoArgs;
use crate::config::Config;
use crate::demo::{self, Spec};
use crate::error::{EXIT_OK, Error};
use crate::ingest::{IngestOptions, IngestStats};
use crate::schema::Source;
use crate::store::StoreError;

/// What the demo did, for its summary and for tests.
#[derive(Debug, Default)]
pub struct DemoOutcome {
    /// The workspace folder.
    pub dir: PathBuf,
    /// Every nightly ingest, merged.
    pub ingest: IngestStats,
    /// Days ingested.
    pub nights: usize,
    /// The purge after the last night.
    pub purge: Option<crate::store::retention::PurgeReceipt>,
    /// The retention window the workspace was set up with (`retention.days`).
    pub retention_days: u32,
    /// Every automated and sampled rule over the retained window.
    pub signin_audit: Vec<crate::report::outcome::RuleOutcome>,
    /// Per rule with injected violations: (injected still retained, found of them, extra).
    pub truth: Vec<(String, usize, usize, usize)>,
    /// The weekly report of the last whole week.
    pub report: Option<crate::report::ReportOutcome>,
    /// The messages of that week listed for return to their senders (CTL-10).
    pub returns: Option<crate::returns::Outcome>,
    /// The alarm-bell notice written the week before (CAO nr. 81: the demo school is Belgian).
    pub notice: Option<crate::notice::NoticeOutcome>,
    /// The example case's screening and the files it wrote.
    pub case: Option<(crate::case::Screening, Vec<crate::audit_log::FileHash>)>,
    /// The audit trail's check: lines, and the first broken line if any.
    pub trail: Option<crate::audit_log::VerifyOutcome>,
}

fn fresh_dir(args: &DemoArgs, now: DateTime<Utc>) -> PathBuf {
    if let Some(d) = &args.dir {
        return d.clone();
    }
    let base = std::env::temp_dir().join(format!("logwacht-demo-{}", now.format("%Y%m%dT%H%M%S")));
    let mut dir = base.clone();
    let mut i = 2;
    while dir.exists() {
        dir = PathBuf::from(format!("{}-{i}", base.display()));
        i += 1;
    }
    dir
}

/// Runs the demo and returns what it did.
pub fn execute(args: &DemoArgs, now: DateTime<Utc>) -> Result<DemoOutcome, Error> {
    let dir = fresh_dir(args, now);
    if dir.join(crate::config::FILE_NAME).exists() {
        return Err(Error::Usage(format!("{} already holds a workspace; name a new folder with --dir", dir.display())));
    }
    let tz = chrono_tz::Europe::Brussels;
    let spec = Spec { people: args.people, seed: args.seed, platform: args.platform, web: args.web, ..Spec::default() };
    let data = dir.join("school");
    let school = demo::write(&data, &spec, now)?;
    print!("{}", school.render());
    let created = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // A Belgian school (Europe/Brussels) that follows CAO nr. 81 for its staff.
    let cfg_path = crate::workspace::create(&dir, Some(std::slice::from_ref(&spec.domain)), Some("BE"), &created)?;
    // The generated directory of people and travel exceptions are the school's reference files.
    for f in ["people.csv", "travel_exceptions.csv"] {
        let (from, to) = (data.join("reference").join(f), dir.join("reference").join(f));
        std::fs::copy(&from, &to).map_err(StoreError::io("copy", &to))?;
    }
    let config = Config::find(Some(&cfg_path))?;
    let mut outcome = DemoOutcome { dir: dir.clone(), ..Default::default() };
    let (Some(first), Some(last)) = (school.first_day, school.last_day) else {
        return Ok(outcome);
    };
    // The nightly jobs hold the store's lock (until the purge is done: the case below places
    // a hold, which takes it again), and the GeoIP database opens once for every night.
    let store = crate::store::Store::new(&config.store_dir);
    store.create()?;
    let lock = crate::store::lock::StoreLock::acquire(store.root(), "demo", now)?;
    let geoip = std::sync::Arc::new(crate::enrich::geoip::GeoIp::configured(&config)?);
    let mut day = first;
    let mut last_night = now;
    while day <= last {
        let files = day_files(&data, day)?;
        // The nightly job: 03:00 the next morning, school time.
        let night = (day + Duration::days(1)).and_hms_opt(3, 0, 0).unwrap_or_default();
        let now = tz.from_local_datetime(&night).earliest().map(|t| t.to_utc()).unwrap_or(now);
        let stats = crate::commands::ingest::ingest_paths(
            &config,
            &lock,
            now,
            geoip.clone(),
            &files,
            &IngestOptions::default(),
            Some("demo"),
        )?;
        outcome.ingest.files.extend(stats.files);
        outcome.nights += 1;
        last_night = now;
        day += Duration::days(1);
    }
    outcome.retention_days = crate::store::retention::RetentionPolicy::of(&config).days;
    // The nightly purge after the last ingest: the first week is past the retention window (28 days by default).
    outcome.purge = Some(crate::commands::purge::purge(&config, &lock, last_night, false, Some("demo"))?);
    drop(lock);
    // The sign-in rules over the days still in the store.
    let retained_from = crate::store::retention::RetentionPolicy::of(&config).first_day(last_night, config.timezone);
    // The demo is one command: the key is read once, here.
    let key = crate::pseudonym::load(&config.key_path())?;
    outcome.signin_audit = crate::report::outcome::audit_rules(
        &config,
        last_night,
        &key,
        retained_from,
        last,
        |r| r.mode.is_audited(),
        Some("demo"),
    )?;
    // The self-check: what the rules found against what the generator injected.
    for (id, truth) in &school.ground_truth.rules {
        let Some(rule) = outcome.signin_audit.iter().find(|r| &r.id == id) else { continue };
        let want: std::collections::BTreeSet<(String, String)> = truth
            .iter()
            .filter(|t| t["day"].as_str().is_some_and(|d| d >= retained_from.to_string().as_str()))
            .map(|t| (t["source_file"].as_str().unwrap_or("").to_string(), t["source_line"].to_string()))
            .collect();
        let got: std::collections::BTreeSet<(String, String)> = rule
            .rows
            .iter()
            .filter(|r| r.get("violation").is_none_or(|v| v == "true"))
            .map(|r| {
                let f = r.get("source_file").and_then(|f| f.as_str()).unwrap_or("");
                let line = r.get("source_line").and_then(|l| l.as_str()).unwrap_or("");
                (f.rsplit('/').next().unwrap_or("").to_string(), line.to_string())
            })
            .collect();
        outcome.truth.push((id.clone(), want.len(), got.intersection(&want).count(), got.difference(&want).count()));
    }
    // The DPO's weekly report: the last whole ISO week of the generated days.
    let sunday = last - Duration::days(i64::from(chrono::Datelike::weekday(&last).num_days_from_sunday()));
    let monday = sunday - Duration::days(6);
    let req = crate::report::Request {
        from: monday,
        to: sunday,
        label: crate::report::week_label(monday),
        lang: config.language,
        redraw: None,
        out: None,
        cases_waiting: crate::case::waiting(&config)?,
    };
    // The nightly returns list of the week (CTL-10), and the alarm-bell notice of the week
    // before for the after-hours mail to parents (CAO nr. 81's fourth purpose).
    outcome.returns = Some(crate::returns::run(&config, last_night, &key, (monday, sunday), Some("demo"))?);
    outcome.notice = Some(crate::notice::write(
        &config,
        last_night,
        "mail_staff_to_parent_after_hours",
        (monday - Duration::days(7), sunday - Duration::days(7)),
        Some("demo"),
    )?);
    outcome.report = Some(crate::report::weekly(&config, last_night, &key, &req, Some("demo"))?);
    // The security officer's walk-through: one staff member, the last week, then the letter.
    let people = crate::enrich::directory::load(&config.reference_dir.join("people.csv"))?;
    // The generator's suspect: the second staff member of the directory (generate.rs).
    if let Some(staff) = people.iter().filter(|p| p.role == crate::enrich::directory::Role::Staff).nth(1) {
        let officer = last_night;
        let open = crate::case::OpenRequest {
            id: "DEMO-1".into(),
            subject: staff.address.clone(),
            suspicion:
                "Melding van de IT-dienst: bijlagen met uitvoerbare bestanden en mail buiten de uren vanaf deze account"
                    .into(),
            purpose: crate::rules::Purpose::E,
            from: last - Duration::days(6),
            to: last,
            approved_by: "Directie (demo)".into(),
            hold: true,
            rule: None,
        };
        crate::case::open(&config, officer, &key, &open, Some("demo"))?;
        let (screening, mut files) =
            crate::case::screen(&config, officer, &key, "DEMO-1", &Default::default(), Some("demo"))?;
        files.extend(crate::case::report(&config, officer, &key, "DEMO-1", &Default::default(), Some("demo"))?);
        let outcome_text = "Het vermoeden werd niet bevestigd: de downloads hoorden bij lesvoorbereiding.";
        files.extend(crate::case::close(&config, officer, &key, "DEMO-1", outcome_text, Some("demo"))?.1);
        outcome.case = Some((screening, files));
    }
    outcome.trail = Some(crate::audit_log::AuditLog::of(&config).verify()?);
    Ok(outcome)
}

fn day_files(data: &std::path::Path, day: NaiveDate) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for sub in ["signin", "email", "web"] {
        let dir = data.join("logs").join(sub);
        for f in crate::store::list_files(&dir)? {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.contains(&day.to_string()) {
                files.push(f);
            }
        }
    }
    Ok(files)
}

/// `logwacht demo`.
pub fn run(args: &DemoArgs, now: DateTime<Utc>) -> Result<u8, Error> {
    let started = std::time::Instant::now();
    let outcome = execute(args, now)?;
    println!("workspace: {}", outcome.dir.display());
    println!(
        "nightly ingests: {} ({} files, {} could not be read)",
        outcome.nights,
        outcome.ingest.files.len(),
        outcome.ingest.failed()
    );
    let totals = outcome.ingest.totals();
    for source in Source::ALL {
        let t = totals.get(&source).cloned().unwrap_or_default();
        println!(
            "  {:<7} {:>10} rows stored, {:>6} rejected, {:>8} expired",
            source.name(),
            t.stored,
            t.rejected_total(),
            t.expired
        );
    }
    if let Some(p) = &outcome.purge {
        let days: std::collections::BTreeSet<&str> = p.partitions_deleted.iter().map(|d| d.date.as_str()).collect();
        println!(
            "purge (RET-1, {} days): removed {} whole days ({} .. {}), cut the boundary day, rows removed: {}",
            outcome.retention_days,
            days.len(),
            days.first().unwrap_or(&"-"),
            days.last().unwrap_or(&"-"),
            p.rows_removed.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(", ")
        );
    }
    for r in outcome.signin_audit.iter().filter(|r| r.id.starts_with("signin_") || r.id.starts_with("travel_")) {
        println!("rule {}", r.summary());
    }
    if !outcome.truth.is_empty() {
        let injected: usize = outcome.truth.iter().map(|t| t.1).sum();
        let found: usize = outcome.truth.iter().map(|t| t.2).sum();
        let extra: usize = outcome.truth.iter().map(|t| t.3).sum();
        println!(
            "mail and web rules over the retained days: {found} of {injected} injected violations found, {extra} findings on clean rows ({} rules, ground_truth.json)",
            outcome.truth.len()
        );
    }
    if let Some(r) = &outcome.report {
        let k = r.report.k;
        println!("weekly DPO report {} ({} - {}):", r.report.label, r.report.from, r.report.to);
        for rule in r.report.rules.iter().filter(|x| x.rule.purpose != crate::rules::Purpose::F) {
            let sample = match rule.sample.as_ref().and_then(|s| s.interval) {
                Some((lo, hi)) => format!(", sample estimate {:.1} %-{:.1} %", lo * 100.0, hi * 100.0),
                None => String::new(),
            };
            println!(
                "  {:<40} {:>6} findings{sample}",
                rule.rule.id,
                crate::report::suppress::Cell::of(rule.findings, k).text(k)
            );
        }
        println!("  report: {}", r.dir.join("report.html").display());
    }
    if let Some(ret) = &outcome.returns {
        let dir = ret.dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default();
        println!(
            "returns (CTL-10): {} suspicious message(s) of that week listed for the mail system: {dir}",
            ret.messages.len()
        );
    }
    if let Some(n) = &outcome.notice {
        println!("alarm-bell notice to staff (CAO nr. 81, nl/fr/en): {}", n.dir.display());
    }
    if let Some((s, files)) = &outcome.case {
        let left: Vec<String> = s.left_alone.iter().map(|(w, n)| format!("{n} {w}")).collect();
        println!(
            "case DEMO-1 (one staff member, {} .. {}): left alone {}; {} protected messages counted only; {} items screened further",
            s.from,
            s.to,
            left.join(", "),
            s.protected_messages,
            s.remainder.len()
        );
        if let Some(dir) =
            files.first().and_then(|f| std::path::Path::new(&f.path).parent().map(|p| p.display().to_string()))
        {
            println!("  case file and letters (nl, en): {dir}");
        }
    }
    if let Some(v) = &outcome.trail {
        match &v.broken {
            None => println!("audit trail: {} lines, hash chain intact", v.lines),
            Some((line, why)) => println!("audit trail: line {line} broken: {why}"),
        }
    }
    println!("store: {}", outcome.dir.join("store").display());
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(EXIT_OK)
}
