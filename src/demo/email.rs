//! The mail of one day: Exchange Online's message trace (`Get-MessageTrace | Export-Csv`)
//! and the newsletter relay's Postfix log, with one message per mail rule injected on about
//! half of the school days and protected look-alikes that no rule may find.
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::school::{Person, at, busy_second, guid, ip_in};
use super::{Day, GenerateStats, Out, Spec};
use crate::enrich::directory::Role;
use crate::error::Error;

const SUBJECTS: [&str; 16] = [
    "Planning toetsen volgende week",
    "Vraag over huiswerk wiskunde",
    "Verslag vergadering",
    "Uitstap naar Brugge",
    "Lessenrooster aangepast",
    "Taak Nederlands",
    "Re: project geschiedenis",
    "Boekenlijst",
    "Oudercontact",
    "Re: Re: groepswerk",
    "Agenda personeelsvergadering",
    "Sportdag",
    "Fotos schoolfeest",
    "Vraag",
    "Nota",
    "Verbetersleutel hoofdstuk 3",
];

/// Writes the day's Exchange Online message trace.
pub(super) fn exchange_day(d: &Day, rng: &mut ChaCha8Rng, stats: &mut GenerateStats) -> Result<(), Error> {
    let (out, spec, people, day, weekend, tz, school_ip) =
        (d.out, d.spec, d.people, d.day, d.weekend, d.tz, d.school_ip);
    let actors: &[usize] = &d.actors;
    // Mail through Exchange Online.
    let mut w = Out::create(&out.join(format!("logs/email/messagetrace-{day}.csv")), stats)?;
    w.raw(b"#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n")?;
    w.raw(b"\"PSComputerName\",\"RunspaceId\",\"PSShowComputerName\",\"Organization\",\"MessageId\",\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\",\"Status\",\"ToIP\",\"FromIP\",\"Size\",\"MessageTraceId\",\"StartDate\",\"EndDate\",\"Index\"\r\n")?;
    let mut rows: Vec<(DateTime<Utc>, String)> = Vec::new();
    let parents: Vec<usize> =
        people.iter().enumerate().filter(|(_, p)| p.role == Role::Parent).map(|(i, _)| i).collect();
    for &i in actors {
        let p = &people[i];
        for _ in 0..d.scale(spec.mails_per_day, rng) / 3 {
            let t = at(day, tz, busy_second(rng, weekend));
            let n = rng.random_range(1..=3);
            let subject = SUBJECTS[rng.random_range(0..SUBJECTS.len())];
            let size = rng.random_range(3_000..250_000);
            let mid = format!(
                "<{}@{}>",
                guid(rng).replace('-', "").to_uppercase(),
                p.address.split('@').nth(1).unwrap_or("")
            );
            let trace = guid(rng);
            for _ in 0..n {
                // MAIL-8: the clean traffic mails parents only on weekdays between 07:00 and 17:00.
                let local = t.with_timezone(&tz);
                let quiet = weekend || local.hour() >= 17 || local.hour() < 7;
                let r = if p.role == Role::Staff && !quiet && !parents.is_empty() && rng.random_range(0..10) == 0 {
                    parents[rng.random_range(0..parents.len())]
                } else {
                    actors[rng.random_range(0..actors.len())]
                };
                let r = &people[r];
                let external = !r.address.ends_with(&spec.domain);
                let to_ip = if external { ip_in(rng, "BE") } else { String::new() };
                let from_ip = if t.with_timezone(&tz).format("%H").to_string().as_str() < "16" {
                    school_ip
                } else {
                    p.home_ip.as_str()
                };
                let mut line = String::new();
                let _ = write!(
                    line,
                    "\"outlook.office365.com\",\"{}\",\"False\",\"school.onmicrosoft.com\",\"{mid}\",\"{}\",\"{}\",\"{}\",\"{}\",\"Delivered\",\"{to_ip}\",\"{from_ip}\",\"{size}\",\"{trace}\",\"{}\",\"{}\",\"{}\"\r\n",
                    guid(rng),
                    t.format("%-m/%-d/%Y %-I:%M:%S %p"),
                    p.address,
                    r.address,
                    subject,
                    day.format("%-m/%-d/%Y 12:00:00 AM"),
                    (day + Duration::days(1)).format("%-m/%-d/%Y 12:00:00 AM"),
                    rows.len()
                );
                rows.push((t, line));
            }
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0)); // Get-MessageTrace lists newest first
    stats.mails += rows.len() as u64;
    for (_, line) in &rows {
        w.raw(line.as_bytes())?;
    }
    w.finish()?;
    Ok(())
}

/// Writes the day's Postfix log of the newsletter relay, with the injected messages.
pub(super) fn postfix_day(d: &Day, rng: &mut ChaCha8Rng, stats: &mut GenerateStats) -> Result<(), Error> {
    let (out, spec, people, day, weekend, tz) = (d.out, d.spec, d.people, d.day, d.weekend, d.tz);
    let actors: &[usize] = &d.actors;
    let parents: Vec<usize> =
        people.iter().enumerate().filter(|(_, p)| p.role == Role::Parent).map(|(i, _)| i).collect();
    // The newsletter relay (Postfix): a few mailings to parents, and rejected spam.
    let mut w = Out::create(&out.join(format!("logs/email/mail.log-{day}")), stats)?;
    let sender = people
        .iter()
        .find(|p| p.role == Role::SharedMailbox && p.address.starts_with("nieuwsbrief"))
        .map(|p| p.address.clone())
        .unwrap_or_default();
    let mut pid = 2000u32;
    for k in 0..if weekend { 0 } else { 2 } {
        let mut s = 10 * 3600 + k * 3600 + rng.random_range(0..600);
        let qid = hex::encode_upper(rng.random::<[u8; 5]>());
        let stamp = |s: u32| at(day, tz, s).with_timezone(&tz).format("%b %e %H:%M:%S").to_string();
        let n = parents.len().min(5);
        w.line(&format!(
            "{} relay postfix/smtpd[{pid}]: {qid}: client=app01.{}[10.20.250.10], sasl_method=PLAIN, sasl_username={}",
            stamp(s),
            spec.domain,
            sender
        ))?;
        w.line(&format!(
            "{} relay postfix/cleanup[{}]: {qid}: message-id=<{}@{}>",
            stamp(s),
            pid + 1,
            guid(rng),
            spec.domain
        ))?;
        w.line(&format!(
            "{} relay postfix/qmgr[{}]: {qid}: from=<{sender}>, size={}, nrcpt={n} (queue active)",
            stamp(s),
            pid + 2,
            rng.random_range(20_000..90_000)
        ))?;
        for j in 0..n {
            s += 1;
            let r = &people[parents[rng.random_range(0..parents.len())]];
            let relay_ip = ip_in(rng, "BE");
            w.line(&format!(
                "{} relay postfix/smtp[{}]: {qid}: to=<{}>, relay=mx.{}[{relay_ip}]:25, delay=1.{j}, delays=0.1/0/0.5/0.{j}, dsn=2.0.0, status=sent (250 2.0.0 OK)",
                stamp(s), pid + 3, r.address, r.address.split('@').nth(1).unwrap_or("")
            ))?;
            stats.mails += 1;
        }
        w.line(&format!("{} relay postfix/qmgr[{}]: {qid}: removed", stamp(s + 1), pid + 2))?;
        pid += 10;
        let spam_ip = ip_in(rng, "RU");
        let victim = &people[actors[rng.random_range(0..actors.len())]].address;
        w.line(&format!(
            "{} relay postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{spam_ip}]: 554 5.7.1 <{victim}>: Relay access denied; from=<promo@bulk-offers.example> to=<{victim}> proto=ESMTP helo=<bulk-offers.example>",
            stamp(s + 30)
        ))?;
        stats.mails += 1;
    }
    inject_mail(&mut w, rng, people, day, weekend, tz, &mut pid, spec, stats)?;
    w.finish()?;
    Ok(())
}

/// One message through the Postfix relay, with the headers the school logs (README:
/// `header_checks` with INFO).
struct Mail<'a> {
    secs: u32,
    sasl: Option<&'a str>,
    client: (&'a str, &'a str),
    sender: &'a str,
    to: Vec<String>,
    headers: Vec<(&'static str, String)>,
    nrcpt: Option<usize>,
}

/// Writes one message; returns the line of its first delivery (the evidence line the rules
/// report: the smallest line of the message's rows).
fn postfix_message(
    w: &mut Out,
    rng: &mut ChaCha8Rng,
    day: NaiveDate,
    tz: Tz,
    pid: &mut u32,
    domain: &str,
    m: &Mail,
) -> Result<u64, Error> {
    let qid = hex::encode_upper(rng.random::<[u8; 5]>());
    let stamp = |s: u32| at(day, tz, s).with_timezone(&tz).format("%b %e %H:%M:%S").to_string();
    let (host, ip) = m.client;
    let p = *pid;
    *pid += 10;
    match m.sasl {
        Some(a) => w.line(&format!(
            "{} relay postfix/smtpd[{p}]: {qid}: client={host}[{ip}], sasl_method=LOGIN, sasl_username={a}",
            stamp(m.secs)
        ))?,
        None => w.line(&format!("{} relay postfix/smtpd[{p}]: {qid}: client={host}[{ip}]", stamp(m.secs)))?,
    }
    w.line(&format!("{} relay postfix/cleanup[{}]: {qid}: message-id=<{}@{domain}>", stamp(m.secs), p + 1, guid(rng)))?;
    let first = m.to.first().cloned().unwrap_or_default();
    let helo = host.split('.').next().unwrap_or(host);
    for (name, value) in &m.headers {
        w.line(&format!(
            "{} relay postfix/cleanup[{}]: {qid}: info: header {name}: {value} from {host}[{ip}]; from=<{}> to=<{first}> proto=ESMTP helo=<{helo}>",
            stamp(m.secs),
            p + 1,
            m.sender
        ))?;
    }
    w.line(&format!(
        "{} relay postfix/qmgr[{}]: {qid}: from=<{}>, size={}, nrcpt={} (queue active)",
        stamp(m.secs),
        p + 2,
        m.sender,
        rng.random_range(3_000..90_000),
        m.nrcpt.unwrap_or(m.to.len())
    ))?;
    let mut first_line = 0;
    for (j, r) in m.to.iter().enumerate() {
        let line = if r.ends_with(domain) {
            format!(
                "{} relay postfix/lmtp[{}]: {qid}: to=<{r}>, relay=mail.{domain}[private/dovecot-lmtp], delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 <{r}> Saved)",
                stamp(m.secs + 1),
                p + 3
            )
        } else {
            let relay_ip = ip_in(rng, "BE");
            format!(
                "{} relay postfix/smtp[{}]: {qid}: to=<{r}>, relay=mx.{}[{relay_ip}]:25, delay=1.{j}, delays=0.1/0/0.5/0.{j}, dsn=2.0.0, status=sent (250 2.0.0 OK)",
                stamp(m.secs + 1),
                p + 3,
                r.split('@').nth(1).unwrap_or("")
            )
        };
        w.line(&line)?;
        if first_line == 0 {
            first_line = w.lines;
        }
    }
    w.line(&format!("{} relay postfix/qmgr[{}]: {qid}: removed", stamp(m.secs + 2), p + 2))?;
    Ok(first_line)
}

/// Injects one message per mail rule on about half of the school days (each drawn from the
/// seed), plus protected look-alikes that no rule may find (CTL-7, CTL-8), and records
/// every finding-to-be in the ground truth.
#[allow(clippy::too_many_arguments)]
fn inject_mail(
    w: &mut Out,
    rng: &mut ChaCha8Rng,
    people: &[Person],
    day: NaiveDate,
    weekend: bool,
    tz: Tz,
    pid: &mut u32,
    spec: &Spec,
    stats: &mut GenerateStats,
) -> Result<(), Error> {
    let file = format!("mail.log-{day}");
    let pick = |rng: &mut ChaCha8Rng, role: Role| -> Option<Person> {
        let v: Vec<&Person> = people.iter().filter(|p| p.role == role && !p.alias).collect();
        (!v.is_empty()).then(|| v[rng.random_range(0..v.len())].clone())
    };
    // One staff member breaks the mail rules throughout (the demo's case looks at them):
    // the second of the directory, so that the first traveller stays apart.
    let suspect = people.iter().filter(|p| p.role == Role::Staff && !p.alias).nth(1).cloned();
    let (Some(staff), Some(colleague), Some(pupil), Some(parent), Some(counsellor)) =
        (suspect, pick(rng, Role::Staff), pick(rng, Role::Pupil), pick(rng, Role::Parent), pick(rng, Role::Counsellor))
    else {
        return Ok(());
    };
    let alias = people.iter().find(|p| p.alias && p.role == Role::Staff).cloned();
    let outlook = ("X-Mailer", "Microsoft Outlook 16.0".to_string());
    let pc = format!("pc{}.{}", rng.random_range(10..99), spec.domain);
    let pc_ip = staff.device_ip.clone();
    let first_name = pupil.name.split(' ').next().unwrap_or("").to_string();
    let mut kinds: Vec<(&str, Mail)> = Vec::new();
    let base = |secs: u32, to: Vec<String>, headers: Vec<(&'static str, String)>| Mail {
        secs,
        sasl: None,
        client: ("", ""),
        sender: "",
        to,
        headers,
        nrcpt: None,
    };
    // Submitted by the suspect from a school PC.
    let by_staff = |secs: u32, to: Vec<String>, headers: Vec<(&'static str, String)>| Mail {
        sasl: Some(&staff.address),
        client: (&pc, &pc_ip),
        sender: &staff.address,
        ..base(secs, to, headers)
    };
    if !weekend {
        if let Some(a) = &alias {
            kinds.push((
                "mail_private_address_staff_pupil",
                Mail {
                    client: ("mail-sor-f41.google.com", "209.85.220.41"),
                    sender: &a.address,
                    ..base(20 * 3600 + 15 * 60, vec![pupil.address.clone()], vec![("Subject", "Re: huiswerk".into())])
                },
            ));
        }
        let externals: Vec<String> = (1..=12).map(|i| format!("lid{i:02}@vereniging.example")).collect();
        kinds.push((
            "mail_external_recipients_visible",
            by_staff(
                10 * 3600,
                externals.clone(),
                vec![("Subject", "Uitnodiging sportdag".into()), outlook.clone(), ("To", externals.join(", "))],
            ),
        ));
        kinds.push((
            "mail_password_in_subject",
            by_staff(
                10 * 3600 + 30 * 60,
                vec![parent.address.clone()],
                vec![
                    ("Subject", "Uw nieuw wachtwoord voor Smartschool".into()),
                    outlook.clone(),
                    ("To", parent.address.clone()),
                ],
            ),
        ));
        kinds.push((
            "mail_sensitive_pupil_data_in_subject",
            by_staff(
                11 * 3600,
                vec![colleague.address.clone()],
                vec![
                    ("Subject", format!("Medicatie {first_name} tijdens uitstap")),
                    outlook.clone(),
                    ("To", colleague.address.clone()),
                ],
            ),
        ));
        kinds.push((
            "mail_sender_misrepresented",
            by_staff(
                11 * 3600 + 30 * 60,
                vec![pupil.address.clone()],
                vec![
                    ("Subject", "Bericht van de directie".into()),
                    outlook.clone(),
                    ("From", "\"Directie\" <directie@schoo1-example.com>".into()),
                    ("To", pupil.address.clone()),
                ],
            ),
        ));
        kinds.push((
            "mail_forbidden_attachment",
            by_staff(
                12 * 3600,
                vec![parent.address.clone()],
                vec![
                    ("Subject", "Rapport".into()),
                    outlook.clone(),
                    ("To", parent.address.clone()),
                    ("Content-Disposition", "attachment; filename=\"rapport.pdf.exe\"".into()),
                ],
            ),
        ));
        kinds.push((
            "mail_mass_or_chain",
            Mail {
                sasl: Some(&staff.address),
                client: (&pc, &pc_ip),
                sender: &staff.address,
                nrcpt: Some(60),
                ..base(
                    13 * 3600,
                    vec![pupil.address.clone()],
                    vec![("Subject", "Info voor alle klassen".into()), outlook.clone()],
                )
            },
        ));
        kinds.push((
            "mail_unapproved_client",
            by_staff(
                14 * 3600,
                vec![colleague.address.clone()],
                vec![
                    ("Subject", "Planning".into()),
                    ("User-Agent", "Mozilla Thunderbird 128.3.0".into()),
                    ("To", colleague.address.clone()),
                ],
            ),
        ));
    }
    kinds.push((
        "mail_staff_to_parent_after_hours",
        by_staff(
            19 * 3600 + 30 * 60,
            vec![parent.address.clone()],
            vec![("Subject", "Vraag over uitstap".into()), outlook.clone(), ("To", parent.address.clone())],
        ),
    ));
    // Look-alikes no rule may find: personal-labelled (CTL-7) and to a counsellor (CTL-8).
    let protected = [
        by_staff(
            15 * 3600,
            vec![colleague.address.clone()],
            vec![
                ("Subject", "Mijn wachtwoord voor de fitness".into()),
                ("Sensitivity", "Personal".into()),
                outlook.clone(),
                ("To", colleague.address.clone()),
            ],
        ),
        by_staff(
            15 * 3600 + 30 * 60,
            vec![counsellor.address.clone()],
            vec![
                ("Subject", format!("Verslag CLB {first_name}: medicatie en thuissituatie")),
                outlook.clone(),
                ("To", counsellor.address.clone()),
                ("Content-Disposition", "attachment; filename=\"verslag.exe\"".into()),
            ],
        ),
    ];
    for (rule, m) in &kinds {
        if rng.random_range(0..2) == 0 {
            continue;
        }
        let line = postfix_message(w, rng, day, tz, pid, &spec.domain, m)?;
        stats.mails += m.to.len() as u64;
        stats.ground_truth.add(rule, &file, line, day);
    }
    if !weekend {
        for m in &protected {
            postfix_message(w, rng, day, tz, pid, &spec.domain, m)?;
            stats.mails += m.to.len() as u64;
        }
    }
    Ok(())
}
