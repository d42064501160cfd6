//! The letter to the subject (CTL-6), in Dutch and English with one layout.
use std::collections::BTreeMap;

use crate::config::Config;
use crate::rules::Purpose;
use crate::templates::safe;

use super::*;

pub(super) fn purpose_words(p: char, nl: bool) -> &'static str {
    let lang = if nl { crate::report::Lang::Nl } else { crate::report::Lang::En };
    Purpose::parse(&p.to_string()).map_or("", |p| crate::report::text::purpose(lang, p))
}

/// The sentences of the letter to the subject in one language; `letter` puts the case's
/// facts between them, so both languages share one layout.
#[derive(serde::Serialize)]
pub(super) struct LetterText {
    nl: bool,
    title: &'static str,
    to: &'static str,
    date: &'static str,
    opening: &'static str,
    why: &'static str,
    purpose: &'static str,
    approved: &'static str,
    period: &'static str,
    through: &'static str,
    sources: &'static str,
    method: &'static str,
    outcome: &'static str,
    kept: &'static str,
    kept_days: &'static str,
    held: &'static str,
    held_end: &'static str,
    rights: &'static str,
    /// The interview invitation of CAO nr. 81's fourth purpose.
    interview: &'static str,
    /// The sources, by their table name: email, web, signin.
    source_words: [&'static str; 3],
}

pub(super) const LETTER_NL: LetterText = LetterText {
    nl: true,
    title: "# Kennisgeving van een gerichte controle (dossier ",
    to: "Aan: ",
    date: "Datum: ",
    opening: "Beste,\n\nZoals het ICT-protocol van de school voorschrijft (art. 6.6), laten we u weten dat wij uw gebruik van de ICT-middelen van de school gericht hebben gecontroleerd.",
    why: "## Waarom\n\nEr was een concreet vermoeden: ",
    purpose: "Doel van de controle (art. 7.1): ",
    approved: ". De controle werd goedgekeurd door ",
    period: "## Wat werd gecontroleerd\n\nDe periode van ",
    through: " tot en met ",
    sources: "; de bronnen: ",
    method: ". Eerst werden enkel metagegevens bekeken (afzenders, bestemmingen, websites, tijdstippen). Wat regelmatig leek, werd niet geopend. Berichten met het label persoonlijk en berichten met vertrouwenspersonen werden niet inhoudelijk bekeken.",
    outcome: "## Uitkomst",
    kept: "## Hoe lang de gegevens bewaard blijven\n\nLogbestanden worden ",
    kept_days: " dagen bewaard en dan gewist.",
    held: " De gegevens van deze controle worden bewaard tot en met ",
    held_end: " en daarna gewist.",
    rights: "## Uw rechten\n\nU hebt het recht om de gegevens over u in te zien en om ze te laten verbeteren. U kunt uw standpunt over deze controle laten weten aan de directie of aan de functionaris voor gegevensbescherming van de school. U kunt ook klacht indienen bij de Gegevensbeschermingsautoriteit (Drukpersstraat 35, 1000 Brussel, www.gegevensbeschermingsautoriteit.be).\n\nMet vriendelijke groeten,\n\nDe directie",
    interview: "## Gesprek\n\nDeze controle betrof het naleven van de regels voor het gebruik van de online technologie, na een eerdere melding aan alle personeelsleden (cao nr. 81). Daarom nodigen wij u uit voor een gesprek voordat er een beslissing of beoordeling volgt die u persoonlijk raakt. De directie neemt contact met u op om een moment af te spreken; u mag zich laten bijstaan.",
    source_words: ["e-mailverkeer", "webverkeer", "aanmeldingen"],
};

pub(super) const LETTER_EN: LetterText = LetterText {
    nl: false,
    title: "# Notice of a targeted check (case ",
    to: "To: ",
    date: "Date: ",
    opening: "Dear colleague,\n\nAs the school's ICT protocol requires (art. 6.6), we let you know that your use of the school's ICT facilities was the subject of a targeted check.",
    why: "## Why\n\nThere was a concrete suspicion: ",
    purpose: "Purpose of the check (art. 7.1): ",
    approved: ". The check was approved by ",
    period: "## What was checked\n\nThe period from ",
    through: " to ",
    sources: " inclusive; the sources: ",
    method: ". First only metadata were looked at (senders, destinations, websites, times). What looked regular was not opened. Messages labelled personal and messages with confidential counsellors were not looked at for content.",
    outcome: "## Outcome",
    kept: "## How long the data are kept\n\nLogs are kept for ",
    kept_days: " days and then deleted.",
    held: " The data of this check are kept until ",
    held_end: " inclusive and then deleted.",
    rights: "## Your rights\n\nYou have the right to see the data about you and to have them corrected. You can give your view of this check to the school leadership or to the school's data protection officer. You can also lodge a complaint with the Belgian Data Protection Authority (Gegevensbeschermingsautoriteit / Autorité de protection des données, rue de la Presse 35, 1000 Brussels, www.dataprotectionauthority.be).\n\nKind regards,\n\nThe school leadership",
    interview: "## Interview\n\nThis check concerned compliance with the rules for using online technology, after an earlier notice to all staff (CAO nr. 81). You are therefore invited to an interview before any decision or evaluation that affects you individually. The school leadership will contact you to agree on a time; you may be assisted.",
    source_words: ["mail traffic", "web traffic", "sign-ins"],
};

/// What both letters say of a closed case, read once: the subject by name, the day of
/// closing, the end of a hold, the sources screened.
pub(super) struct LetterFacts {
    /// "Name <address>", the name escaped for Markdown (a directory value), the address an
    /// autolink (checked at case open: no space, quote or angle bracket).
    subject: minijinja::Value,
    closed: String,
    keep_until: String,
    sources: Vec<String>,
}

impl LetterFacts {
    pub(super) fn of(config: &Config, case: &Case, screened: &BTreeMap<String, String>) -> LetterFacts {
        let keep_until = if case.hold {
            let holds = crate::store::hold::Holds::load(&config.holds_path()).ok();
            holds
                .and_then(|h| h.holds.iter().rev().find(|x| x.case == case.id).map(|x| x.until.to_string()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        LetterFacts {
            subject: subject_line(config, case),
            closed: case.closed_at.as_deref().unwrap_or("").get(..10).unwrap_or("").to_string(),
            keep_until,
            sources: screened.iter().filter(|(_, how)| how.as_str() == "screened").map(|(s, _)| s.clone()).collect(),
        }
    }
}

/// The letter to the subject (CTL-6), in the language of `t`: `templates/letter.md`.
pub(super) fn letter(config: &Config, case: &Case, facts: &LetterFacts, t: &LetterText) -> Result<String, Error> {
    let sources: Vec<&str> = facts
        .sources
        .iter()
        .map(|s| match s.as_str() {
            "email" => t.source_words[0],
            "web" => t.source_words[1],
            "signin" => t.source_words[2],
            _ => "",
        })
        .collect();
    let view = minijinja::context! {
        t => crate::templates::words(t),
        // The id was checked (fsio::check_id) when the case opened.
        id => safe(case.id.as_str()),
        subject => facts.subject.clone(),
        closed => safe(facts.closed.as_str()),
        suspicion => case.suspicion.as_str(),
        purpose => safe(purpose_words(case.purpose, t.nl)),
        approved_by => case.approved_by.as_str(),
        from => case.from.to_string(),
        to => case.to.to_string(),
        sources => safe(sources.join(", ")),
        outcome => case.outcome.as_deref().unwrap_or(""),
        retention_days => config.retention_days,
        keep_until => facts.keep_until.as_str(),
        interview => case.interview,
    };
    crate::templates::render("letter.md", &view).map_err(Error::Bug)
}

/// The subject as a letter names them: the directory's name escaped for Markdown, the
/// address as an autolink (checked at case open: no space, quote or angle bracket).
fn subject_line(config: &Config, case: &Case) -> minijinja::Value {
    match subject_name(config, case) {
        Some(n) => safe(format!("{} <{}>", crate::templates::md(&n), case.subject)),
        None => safe(format!("<{}>", case.subject)),
    }
}
