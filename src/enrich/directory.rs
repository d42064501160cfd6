//! The directory of people: `reference/people.csv` (`address,role,display_name,class`),
//! validated on load with errors that name the line. Roles: pupil, staff, counsellor,
//! parent, shared-mailbox, protected-mailbox (a functional address a counsellor uses, such
//! as vertrouwenspersoon@...). Mail of counsellors and protected mailboxes is never
//! inspected for content (CTL-8).
use std::path::Path;

use crate::config::ConfigError;

/// A person's role in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Pupil,
    Staff,
    Counsellor,
    Parent,
    SharedMailbox,
    ProtectedMailbox,
}

impl Role {
    /// Every role, in the order the documentation lists them.
    pub const ALL: [Role; 6] =
        [Role::Pupil, Role::Staff, Role::Counsellor, Role::Parent, Role::SharedMailbox, Role::ProtectedMailbox];

    /// The word `people.csv` and the `people` table use.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Pupil => "pupil",
            Role::Staff => "staff",
            Role::Counsellor => "counsellor",
            Role::Parent => "parent",
            Role::SharedMailbox => "shared-mailbox",
            Role::ProtectedMailbox => "protected-mailbox",
        }
    }

    /// Parses a role word, any case.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether this role's mail is never inspected for content (CTL-8: 003 art. 6.9).
    pub fn is_protected(self) -> bool {
        matches!(self, Role::Counsellor | Role::ProtectedMailbox)
    }
}

/// The words of the roles whose mail is never inspected for content (CTL-8), for queries.
pub fn protected_role_words() -> impl Iterator<Item = &'static str> {
    Role::ALL.into_iter().filter(|r| r.is_protected()).map(Role::as_str)
}

/// One person.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Lower-cased address.
    pub address: String,
    /// The role.
    pub role: Role,
    /// The class, for pupils.
    pub class: Option<String>,
}

/// Reads and validates the directory (an absent file is an empty directory).
pub fn load(path: &Path) -> Result<Vec<Person>, ConfigError> {
    let invalid = |line: u64, message: String| ConfigError::Invalid {
        path: path.into(),
        message: format!("line {line}: {message}"),
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ConfigError::Read { path: path.into(), source }),
    };
    let mut r = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(file);
    let header = r.headers().map_err(|e| invalid(1, e.to_string()))?.clone();
    let col = |name: &str| header.iter().position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name));
    let (Some(address), Some(role)) = (col("address"), col("role")) else {
        return Err(invalid(
            1,
            "the header needs the columns address and role (address,role,display_name,class)".into(),
        ));
    };
    let class = col("class");
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| invalid(e.position().map(|p| p.line()).unwrap_or(0), e.to_string()))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let a = crate::schema::normalise_address(rec.get(address).unwrap_or(""))
            .ok_or_else(|| invalid(line, "address is empty".into()))?;
        let word = rec.get(role).unwrap_or("").to_ascii_lowercase();
        let Some(role) = Role::parse(&word) else {
            let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            return Err(invalid(line, format!("role {word:?} is not one of {}", all.join(", "))));
        };
        let class = class.and_then(|i| rec.get(i)).map(str::to_string).filter(|c| !c.is_empty());
        out.push(Person { address: a, role, class });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_loads_and_names_a_bad_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("people.csv");
        std::fs::write(
            &p,
            "address,role,display_name,class\nA@School.example,pupil,A,3B\nc@school.example,counsellor,C,\n",
        )
        .unwrap();
        let people = load(&p).unwrap();
        assert_eq!(
            people[0],
            Person { address: "a@school.example".into(), role: Role::Pupil, class: Some("3B".into()) }
        );
        assert_eq!(people[1].role, Role::Counsellor);
        std::fs::write(&p, "address,role,display_name,class\na@x,pupil,A,\nb@x,teacher,B,\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("\"teacher\""), "{e}");
    }
}
