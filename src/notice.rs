//! Belgium's CAO nr. 81 (the collective agreement of the National Labour Council of 26
//! April 2002 on the control of electronic online communication data) for schools that
//! follow it (`[school] staff_procedure = "cao81"`): a staff member may be named directly
//! for its first three purposes (unlawful or harmful acts, the school's confidential
//! interests, the network's security and working), but for the fourth (compliance with the
//! rules for using online technology) only by *indirect individualisation*: first a notice
//! to all staff that an anomaly was found and that a recurrence will be traced to the
//! person (the alarm bell, `logwacht notice`), and only a recurrence after that notice may
//! be attributed; the person is then invited to an interview before any decision. Pupils
//! and parents are outside it (the school rules and the GDPR apply).
//!
//! The article numbers of the agreement are not quoted here: they could not be checked
//! against the official text where this was written.
//!
//! ```text
//! notice --rule R --from D --to D  --> notices/R-<time>/notice.{nl,fr,en}.md + trail "notice"
//! case open --rule R (staff, purpose 4) --> refused unless a notice of R precedes the window
//! ```
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::audit_log::{self, AuditEntry, FileHash};
use crate::config::{Config, StaffProcedure};
use crate::enrich::directory::Role;
use crate::error::Error;
use crate::rules::{Purpose, Rule, cao81_of};
use crate::templates::safe;

/// The sentences of a notice in one language.
#[derive(Serialize)]
struct NoticeText {
    title: &'static str,
    to: &'static str,
    date: &'static str,
    found: &'static str,
    through: &'static str,
    found_end: &'static str,
    rule: &'static str,
    purpose: &'static str,
    nobody: &'static str,
    recurrence: &'static str,
    content: &'static str,
    questions: &'static str,
}

const NL: NoticeText = NoticeText {
    title: "Melding aan alle personeelsleden: een afwijking bij het gebruik van de ICT-middelen",
    to: "Aan: alle betrokken personeelsleden",
    date: "Datum: ",
    found: "Bij de controle op het gebruik van de elektronische online communicatiemiddelen van de school werd in de periode van ",
    through: " tot en met ",
    found_end: " de volgende afwijking vastgesteld:",
    rule: "De controle die dit vaststelde: ",
    purpose: "doel ",
    nobody: "Deze melding gaat naar alle betrokken personeelsleden. Ze noemt niemand, en niemand werd als persoon aangewezen.",
    recurrence: "Als dezelfde afwijking zich na deze melding opnieuw voordoet, zullen de gegevens worden herleid tot het personeelslid dat ze veroorzaakt (cao nr. 81). Dat personeelslid wordt dan uitgenodigd voor een gesprek voordat er een beslissing of beoordeling volgt.",
    content: "De inhoud van berichten wordt nooit gecontroleerd; de controle kijkt enkel naar gegevens over het verkeer (tijdstippen, aantallen, bestemmingen).",
    questions: "Met vragen kunt u terecht bij de directie of bij de functionaris voor gegevensbescherming van de school.\n\nDe directie",
};

const FR: NoticeText = NoticeText {
    title: "Avis à tous les membres du personnel : une anomalie dans l'utilisation des moyens informatiques",
    to: "À : tous les membres du personnel concernés",
    date: "Date : ",
    found: "Lors du contrôle de l'utilisation des moyens de communication électroniques en ligne de l'école, l'anomalie suivante a été constatée pour la période du ",
    through: " au ",
    found_end: " :",
    rule: "Le contrôle qui l'a constatée : ",
    purpose: "finalité ",
    nobody: "Cet avis est adressé à tous les membres du personnel concernés. Il ne nomme personne, et personne n'a été identifié.",
    recurrence: "Si la même anomalie se reproduit après cet avis, les données seront attribuées au membre du personnel qui en est à l'origine (CCT n° 81). Celui-ci sera alors invité à un entretien avant toute décision ou évaluation.",
    content: "Le contenu des messages n'est jamais contrôlé ; le contrôle ne porte que sur les données de trafic (heures, nombres, destinations).",
    questions: "Pour toute question, adressez-vous à la direction ou au délégué à la protection des données de l'école.\n\nLa direction",
};

const EN: NoticeText = NoticeText {
    title: "Notice to all staff: an anomaly in the use of the school's ICT facilities",
    to: "To: all staff concerned",
    date: "Date: ",
    found: "When checking the use of the school's electronic online communication facilities, the following anomaly was found in the period from ",
    through: " to ",
    found_end: " inclusive:",
    rule: "The check that found it: ",
    purpose: "purpose ",
    nobody: "This notice goes to all staff concerned. It names no one, and no one has been identified as a person.",
    recurrence: "If the same anomaly recurs after this notice, the data will be traced to the staff member who causes it (CAO nr. 81). That staff member will then be invited to an interview before any decision or evaluation.",
    content: "The content of messages is never checked; the check looks only at traffic data (times, counts, destinations).",
    questions: "Questions can be put to the school leadership or to the school's data protection officer.\n\nThe school leadership",
};

/// What `notice` wrote.
#[derive(Debug, Clone)]
pub struct NoticeOutcome {
    /// Its folder.
    pub dir: PathBuf,
    /// The three files with their SHA-256.
    pub files: Vec<FileHash>,
    /// The rule's CAO nr. 81 purpose.
    pub cao81: u8,
}

/// The notice of `rule` in each language: no name, the anomaly by rule and period.
fn render(rule: &Rule, from: NaiveDate, to: NaiveDate, day: NaiveDate) -> Result<Vec<(&'static str, String)>, Error> {
    let langs: [(&str, &NoticeText, &str, crate::schema::Lang); 3] = [
        ("notice.nl.md", &NL, rule.summary_nl.as_str(), crate::schema::Lang::Nl),
        ("notice.fr.md", &FR, rule.summary_fr.as_deref().unwrap_or(rule.summary_en.as_str()), crate::schema::Lang::En),
        ("notice.en.md", &EN, rule.summary_en.as_str(), crate::schema::Lang::En),
    ];
    let mut out = Vec::new();
    for (file, t, summary, lang) in langs {
        let view = minijinja::context! {
            t => crate::templates::words(t),
            date => safe(day.to_string()),
            from => safe(from.to_string()),
            to => safe(to.to_string()),
            // The school's own words from its rule file: escaped.
            summary => summary,
            rule => safe(rule.id.as_str()),
            purpose => safe(crate::rules::purpose_name(lang, rule.purpose)),
            requirements => rule.requirements.join(", "),
        };
        out.push((file, crate::templates::render("notice.md", &view).map_err(Error::Bug)?));
    }
    Ok(out)
}

/// Writes the alarm-bell notice of rule `id` for the anomaly it found from `from` to `to`
/// (local days), and records it in the trail: from then on a recurrence may be traced.
pub fn write(
    config: &Config,
    now: DateTime<Utc>,
    id: &str,
    (from, to): (NaiveDate, NaiveDate),
    operator: Option<&str>,
) -> Result<NoticeOutcome, Error> {
    let rules = crate::rules::configured(config)?;
    let Some(rule) = rules.iter().find(|r| r.id == id) else {
        return Err(Error::Usage(format!(
            "no rule {:?}; `logwacht rules list` shows them",
            id.chars().take(80).collect::<String>()
        )));
    };
    let today = now.with_timezone(&config.timezone).date_naive();
    if to < from || to > today {
        return Err(Error::Usage(format!(
            "--from {from} --to {to}: the anomaly's period must be a range of days up to today ({today})"
        )));
    }
    let dir = config.notices_dir().join(format!("{}-{}", rule.id, now.format("%Y%m%dT%H%M%SZ")));
    let files = render(rule, from, to, today)?;
    let refs: Vec<(&str, String)> = files.into_iter().collect();
    let written = audit_log::write_files(&dir, &refs)?;
    let cao81 = cao81_of(rule);
    let event = audit_log::Event::Notice { rule: &rule.id, from, to, cao81, files: written.clone() };
    audit_log::AuditLog::of(config).record(now, &audit_log::operator(operator), event)?;
    Ok(NoticeOutcome { dir, files: written, cao81 })
}

/// A notice the trail recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// The rule.
    pub rule: String,
    /// When it was recorded, RFC 3339.
    pub time: String,
    /// The anomaly's period.
    pub from: String,
    /// Its last day.
    pub to: String,
}

/// Every notice in the trail, oldest first.
pub fn recorded(entries: &[AuditEntry]) -> Vec<Notice> {
    entries
        .iter()
        .filter(|e| e.command == "notice")
        .filter_map(|e| {
            let s = |k: &str| e.scope.get(k).and_then(|v| v.as_str()).map(str::to_string);
            Some(Notice { rule: s("rule")?, time: e.time.clone(), from: s("from")?, to: s("to")? })
        })
        .collect()
}

/// How CAO nr. 81 applies to a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The school does not follow it.
    NotFollowed,
    /// The subject is no employee (a pupil or a parent): the school rules and the GDPR apply.
    NotStaff(Role),
    /// Purposes 1-3: a staff member may be named directly.
    Direct(u8),
    /// Purpose 4 after the alarm bell: the notice of `rule` at `time` preceded the window;
    /// the case ends with an interview invitation.
    AfterNotice {
        /// The rule whose anomaly recurred.
        rule: String,
        /// The notice's time.
        time: String,
    },
}

impl Step {
    /// True when the subject must be invited to an interview before any decision.
    pub fn interview(&self) -> bool {
        matches!(self, Step::AfterNotice { .. })
    }

    /// One line for the terminal and the trail (no name).
    pub fn describe(&self) -> String {
        match self {
            Step::NotFollowed => "staff procedure: none".into(),
            Step::NotStaff(role) => format!(
                "CAO nr. 81 does not apply: the subject is a {} (the school rules and the GDPR do)",
                role.as_str()
            ),
            Step::Direct(n) => format!(
                "CAO nr. 81 purpose {n} ({}): direct individualisation is allowed",
                crate::rules::CAO81_PURPOSES[usize::from(*n - 1)]
            ),
            Step::AfterNotice { rule, time } => format!(
                "CAO nr. 81 purpose 4: a recurrence after the alarm-bell notice of rule {rule} ({time}); the subject is invited to an interview before any decision"
            ),
        }
    }
}

/// The CAO nr. 81 step of a case on `subject` for `purpose`, naming `rule` (the rule whose
/// anomaly recurred) or none, whose window starts at `window_start` (UTC µs of its first
/// local day): `Err` says why the case may not be opened. A subject the directory does not
/// know is treated as staff: the procedure applies unless the directory says otherwise.
pub fn staff_step(
    config: &Config,
    entries: &[AuditEntry],
    role: Option<Role>,
    purpose: Purpose,
    rule: Option<&Rule>,
    window_start: DateTime<Utc>,
) -> Result<Step, String> {
    if config.staff_procedure != StaffProcedure::Cao81 {
        return Ok(Step::NotFollowed);
    }
    if let Some(r @ (Role::Pupil | Role::Parent)) = role {
        return Ok(Step::NotStaff(r));
    }
    let n = match rule {
        Some(r) => cao81_of(r),
        None => crate::rules::cao81_of_purpose(purpose),
    };
    if n != 4 {
        return Ok(Step::Direct(n));
    }
    let Some(rule) = rule else {
        return Err(format!(
            "purpose {} serves CAO nr. 81's fourth purpose ({}): a staff member is named for it only after the alarm-bell notice to all staff and a recurrence after it; name the rule whose anomaly recurred (--rule ID)",
            purpose.letter(),
            crate::rules::CAO81_PURPOSES[3]
        ));
    };
    let before = |n: &Notice| crate::clock::parse_instant(&n.time).is_some_and(|t| t < window_start);
    match recorded(entries).into_iter().filter(|n| n.rule == rule.id).find(before) {
        Some(n) => Ok(Step::AfterNotice { rule: rule.id.clone(), time: n.time }),
        None => Err(format!(
            "no alarm-bell notice of rule {} precedes the window (CAO nr. 81): run `logwacht notice --rule {}` first, and open a case only for a recurrence after it",
            rule.id, rule.id
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_names_the_anomaly_and_no_one_and_escapes_the_rules_words() {
        let mut rule = crate::rules::parse(
            std::path::Path::new("x/staff_rule.sql"),
            "-- id: staff_rule\n-- purpose: a\n-- requirement: MAIL-8\n-- severity: low\n-- mode: automated\n-- summary.en: Mail to parents <b>late</b>.\n-- summary.nl: Laat gemaild.\nSELECT 1\n",
        )
        .unwrap();
        rule.summary_fr = None;
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let files = render(&rule, d("2026-11-16"), d("2026-11-20"), d("2026-11-23")).unwrap();
        assert_eq!(files.len(), 3);
        for (name, text) in &files {
            assert!(
                text.contains("2026-11-16") && text.contains("2026-11-20") && text.contains("staff_rule"),
                "{name}"
            );
            assert!(!text.contains("<b>"), "{name}: the rule's words are escaped: {text}");
        }
        assert!(files[0].1.contains("Laat gemaild") && files[0].1.contains("niemand"));
        assert!(files[1].1.contains("personne") && files[1].1.contains("late"), "French falls back to English");
        assert!(files[2].1.contains("names no one"));
    }
}
