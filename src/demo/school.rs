//! The school the generator invents: its people (pupils in classes, staff, counsellors,
//! parents, shared mailboxes, two private aliases), their addresses and devices, and the
//! moments of a school day.
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::Spec;
use crate::enrich::directory::Role;

#[derive(Debug, Clone)]
pub(super) struct Person {
    pub(super) address: String,
    pub(super) name: String,
    pub(super) role: Role,
    pub(super) class: Option<String>,
    pub(super) home_ip: String,
    pub(super) device_ip: String,
    pub(super) user_id: String,
    /// A known private address of a person listed twice in the directory: never an actor.
    pub(super) alias: bool,
}

const FIRST: [&str; 40] = [
    "Lotte", "Emma", "Louise", "Olivia", "Noor", "Elena", "Mila", "Julie", "Marie", "Lore", "Hanne", "Fien", "Ella",
    "Lina", "Nora", "Ines", "Sara", "Amber", "Jana", "Zoë", "Noah", "Arthur", "Lucas", "Louis", "Liam", "Jules",
    "Adam", "Finn", "Victor", "Mats", "Lars", "Wout", "Seppe", "Milan", "Kobe", "Thibo", "Senne", "Rayan", "Bram",
    "Stan",
];
const LAST: [&str; 40] = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martens",
    "Vermeulen",
    "Hermans",
    "Pauwels",
    "Aerts",
    "Desmet",
    "Van Damme",
    "De Clercq",
    "Verstraete",
    "Cools",
    "Van den Broeck",
    "Smets",
    "Coppens",
    "Michiels",
    "Bogaerts",
    "Renard",
    "Stevens",
    "Leclercq",
    "Lemmens",
    "De Backer",
    "Segers",
    "Vandenberghe",
    "El Amrani",
    "Yilmaz",
    "Nowak",
    "Rossi",
    "Vos",
];

/// Real address blocks of access providers, per country (ISO-2, first octets, prefix).
const NETS: [(&str, [u8; 2], u8); 12] = [
    ("BE", [81, 240], 14), // Proximus
    ("BE", [84, 192], 14), // Telenet
    ("BE", [94, 224], 13), // Telenet
    ("NL", [77, 160], 14), // KPN
    ("FR", [90, 0], 12),   // Orange
    ("DE", [79, 192], 12), // Deutsche Telekom
    ("LU", [158, 64], 16), // RESTENA
    ("US", [3, 0], 12),    // AWS us-east
    ("CN", [1, 80], 13),   // China Telecom
    ("RU", [5, 136], 13),  // Rostelecom
    ("ES", [88, 0], 12),   // Telefonica
    ("MA", [41, 248], 14), // Maroc Telecom
];

/// The built-in GeoIP database, to draw only addresses it places in the intended country.
static GEO: std::sync::LazyLock<Option<std::sync::Mutex<crate::enrich::geoip::GeoIp>>> =
    std::sync::LazyLock::new(|| crate::enrich::geoip::GeoIp::builtin().ok().map(std::sync::Mutex::new));

/// A random address of an access provider in `country`, one the built-in database places
/// there (the provider blocks above are wide; parts of them are registered elsewhere).
pub(super) fn ip_in(rng: &mut ChaCha8Rng, country: &str) -> String {
    let nets: Vec<_> = NETS.iter().filter(|n| n.0 == country).collect();
    let mut last = String::new();
    for _ in 0..64 {
        let (_, base, prefix) = nets[rng.random_range(0..nets.len())];
        let span = 1u32 << (32 - u32::from(*prefix));
        let base = u32::from_be_bytes([base[0], base[1], 0, 0]);
        last = std::net::Ipv4Addr::from(base + rng.random_range(1..span - 1)).to_string();
        let placed = GEO.as_ref().and_then(|g| g.lock().ok().map(|mut g| g.lookup(&last)));
        if placed.as_ref().and_then(|p| p.country()) == Some(country) {
            break;
        }
    }
    last
}

fn slug(s: &str) -> String {
    s.to_lowercase().replace('ë', "e").chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

pub(super) fn guid(rng: &mut ChaCha8Rng) -> String {
    let b: [u8; 16] = rng.random();
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

pub(super) fn people(rng: &mut ChaCha8Rng, spec: &Spec) -> Vec<Person> {
    let n = spec.people.max(10) as usize;
    let counsellors = (n / 150).max(1);
    let staff = (n * 12 / 100).max(2);
    let pupils = n - staff - counsellors;
    let mut out: Vec<Person> = Vec::new();
    let mut taken = std::collections::HashSet::new();
    let mut add = |rng: &mut ChaCha8Rng, role: Role, class: Option<String>, out: &mut Vec<Person>| {
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let mut local = format!("{}.{}", slug(first), slug(last));
        let mut i = 2;
        while !taken.insert(local.clone()) {
            local = format!("{}.{}{i}", slug(first), slug(last));
            i += 1;
        }
        let home = match rng.random_range(0..100) {
            0..=87 => "BE",
            88..=92 => "NL",
            93..=96 => "FR",
            97..=98 => "DE",
            _ => "LU",
        };
        let k = out.len();
        let domain = if role == Role::Parent {
            ["gmail.com", "telenet.be", "hotmail.com", "outlook.com", "skynet.be"][rng.random_range(0..5)].to_string()
        } else {
            spec.domain.clone()
        };
        out.push(Person {
            address: format!("{local}@{domain}"),
            name: format!("{first} {last}"),
            role,
            class,
            home_ip: ip_in(rng, home),
            device_ip: format!("10.20.{}.{}", (k / 250) % 250, k % 250 + 2),
            user_id: guid(rng),
            alias: false,
        });
    };
    for i in 0..pupils {
        let class = format!("{}{}", 1 + i % 6, ["A", "B", "C"][i / 6 % 3]);
        add(rng, Role::Pupil, Some(class), &mut out);
    }
    for _ in 0..staff {
        add(rng, Role::Staff, None, &mut out);
    }
    for _ in 0..counsellors {
        add(rng, Role::Counsellor, None, &mut out);
    }
    for _ in 0..pupils / 2 {
        add(rng, Role::Parent, None, &mut out);
    }
    for name in ["secretariaat", "nieuwsbrief"] {
        let k = out.len();
        out.push(Person {
            address: format!("{name}@{}", spec.domain),
            name: name.to_string(),
            role: Role::SharedMailbox,
            class: None,
            home_ip: ip_in(rng, "BE"),
            device_ip: format!("10.20.250.{}", k % 250 + 2),
            user_id: guid(rng),
            alias: false,
        });
    }
    // MAIL-1: the directory knows one staff member's and one pupil's private address.
    for role in [Role::Staff, Role::Pupil] {
        if let Some(p) = out.iter().find(|p| p.role == role && !p.alias).cloned() {
            let local = p.address.split('@').next().unwrap_or("").to_string();
            let domain = if role == Role::Staff { "gmail.com" } else { "hotmail.com" };
            out.push(Person {
                address: format!("{local}.prive@{domain}"),
                name: format!("{} (privé)", p.name),
                alias: true,
                ..p
            });
        }
    }
    out
}

/// A local moment of `day` in the school's zone, in UTC.
pub(super) fn at(day: NaiveDate, tz: Tz, secs: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(i64::from(secs.min(86_399)));
    tz.from_local_datetime(&naive)
        .earliest()
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive).with_timezone(&tz))
        .with_timezone(&Utc)
}

/// A second of the day: mostly school hours, sometimes the evening.
pub(super) fn busy_second(rng: &mut ChaCha8Rng, weekend: bool) -> u32 {
    if weekend || rng.random_range(0..100) < 20 {
        rng.random_range(17 * 3600..22 * 3600)
    } else {
        rng.random_range(8 * 3600 + 25 * 60..16 * 3600)
    }
}
