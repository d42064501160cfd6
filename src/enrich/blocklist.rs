//! Web categories from SquidGuard/UT1 lists (WEB-1..WEB-5).
//!
//! In: a folder with one sub-folder per category holding `domains` (one domain per line;
//! it matches itself and every subdomain) and `urls` (URL prefixes without the scheme), as
//! UT1 publishes them; or the small built-in sample (fixtures/blocklists/README.md).
//! Out: a [`Blocklist`] that says which categories a request's host and path fall in.
//!
//! Built once per run for 35 M requests: every domain goes into one hash map from the
//! domain to a bit set of its categories, and a host is matched by looking up itself and
//! each parent domain (`a.b.example.com`, `b.example.com`, `example.com`, `com`): a few
//! hash probes per request, whatever the size of the lists. URL entries hang off their
//! host in the same way and match by path prefix. No per-row scan of a list.
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

/// The most categories one run can tell apart (a bit each).
pub const MAX_CATEGORIES: usize = 64;

/// Errors of reading the lists.
#[derive(Debug, thiserror::Error)]
pub enum BlocklistError {
    /// The folder cannot be read.
    #[error("cannot read blocklist folder {path}: {source}")]
    Read {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A configured category has no folder.
    #[error("blocklist category {category:?} is configured but {path} has no such folder with domains or urls")]
    MissingCategory {
        /// The category.
        category: String,
        /// The blocklist folder.
        path: PathBuf,
    },
    /// Too many categories.
    #[error("{count} blocklist categories are configured; the most one run can use is {MAX_CATEGORIES}")]
    TooMany {
        /// How many.
        count: usize,
    },
}

/// FNV-1a: the keys are short domain names, and SipHash costs more than the lookup.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<V> = HashMap<Box<str>, V, BuildHasherDefault<Fnv>>;

/// `host` without a trailing dot or a leading `www.`, then each domain above it.
fn suffixes(host: &str) -> impl Iterator<Item = &str> {
    let host = host.trim_end_matches('.');
    let host = host.strip_prefix("www.").unwrap_or(host);
    std::iter::successors(Some(host), |rest| rest.find('.').map(|i| &rest[i + 1..]))
}

/// The loaded lists.
#[derive(Debug, Default)]
pub struct Blocklist {
    categories: Vec<String>,
    domains: FastMap<u64>,
    /// host -> (path prefix without the leading `/`, categories).
    urls: FastMap<Vec<(Box<str>, u64)>>,
    /// Where the lists came from (for the report and the trail).
    pub origin: String,
}

macro_rules! builtin {
    ($($c:literal),* $(,)?) => {
        &[$(($c,
            include_str!(concat!("../../fixtures/blocklists/ut1-sample/", $c, "/domains")),
            include_str!(concat!("../../fixtures/blocklists/ut1-sample/", $c, "/urls"))),)*]
    };
}

/// The built-in sample: (category, domains, urls).
static BUILTIN: &[(&str, &str, &str)] = builtin!(
    "adult",
    "agressif",
    "audio-video",
    "cryptojacking",
    "dating",
    "doh",
    "download",
    "drogue",
    "gambling",
    "games",
    "lingerie",
    "malware",
    "mixed_adult",
    "phishing",
    "redirector",
    "remote-control",
    "residential-proxies",
    "social_networks",
    "vpn",
    "warez",
);

/// Lower-cases, drops a trailing dot and a leading `www.`, as SquidGuard compares.
fn normal_host(host: &str) -> String {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    h.strip_prefix("www.").map(str::to_string).unwrap_or(h)
}

impl Blocklist {
    /// The built-in sample, restricted to `categories`.
    pub fn builtin(categories: &[String]) -> Result<Blocklist, BlocklistError> {
        let mut list = Blocklist { origin: "built-in UT1 sample (fixtures/blocklists)".into(), ..Default::default() };
        for c in categories {
            let Some((_, domains, urls)) = BUILTIN.iter().find(|(name, _, _)| name == c) else {
                return Err(BlocklistError::MissingCategory {
                    category: c.clone(),
                    path: "fixtures/blocklists/ut1-sample (built in)".into(),
                });
            };
            let bit = list.category(c)?;
            list.add(bit, domains, urls);
        }
        Ok(list)
    }

    /// Reads `categories` from a SquidGuard/UT1 folder.
    pub fn load(dir: &Path, categories: &[String]) -> Result<Blocklist, BlocklistError> {
        let mut list = Blocklist { origin: dir.display().to_string(), ..Default::default() };
        for c in categories {
            let read = |name: &str| -> Result<Option<String>, BlocklistError> {
                let p = dir.join(c).join(name);
                match std::fs::read(&p) {
                    // The lists are mostly ASCII; a stray Latin-1 byte must not stop a run.
                    Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(BlocklistError::Read { path: p, source }),
                }
            };
            let (domains, urls) = (read("domains")?, read("urls")?);
            if domains.is_none() && urls.is_none() {
                return Err(BlocklistError::MissingCategory { category: c.clone(), path: dir.into() });
            }
            let bit = list.category(c)?;
            list.add(bit, domains.as_deref().unwrap_or(""), urls.as_deref().unwrap_or(""));
        }
        Ok(list)
    }

    fn category(&mut self, name: &str) -> Result<u64, BlocklistError> {
        if let Some(i) = self.categories.iter().position(|c| c == name) {
            return Ok(1 << i);
        }
        if self.categories.len() == MAX_CATEGORIES {
            return Err(BlocklistError::TooMany { count: MAX_CATEGORIES + 1 });
        }
        self.categories.push(name.to_string());
        Ok(1 << (self.categories.len() - 1))
    }

    fn add(&mut self, bit: u64, domains: &str, urls: &str) {
        for line in domains.lines() {
            let d = line.trim();
            if d.is_empty() || d.starts_with('#') {
                continue;
            }
            *self.domains.entry(normal_host(d).into()).or_default() |= bit;
        }
        for line in urls.lines() {
            let u = line.trim();
            if u.is_empty() || u.starts_with('#') {
                continue;
            }
            let u = u.split_once("://").map_or(u, |(_, rest)| rest);
            let (host, path) = u.split_once('/').unwrap_or((u, ""));
            let host = normal_host(host.split(':').next().unwrap_or(host));
            let entries = self.urls.entry(host.into()).or_default();
            match entries.iter_mut().find(|(p, _)| &**p == path) {
                Some((_, mask)) => *mask |= bit,
                None => entries.push((path.into(), bit)),
            }
        }
    }

    /// The loaded categories, in bit order.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Number of domain and URL entries.
    pub fn len(&self) -> usize {
        self.domains.len() + self.urls.values().map(Vec::len).sum::<usize>()
    }

    /// True when nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The categories `host` (and `path`, the URL's path and query) fall in, as a bit set.
    pub fn lookup(&self, host: &str, path: Option<&str>) -> u64 {
        let (found, has_urls) = self.lookup_host(host);
        if has_urls { found | self.lookup_urls(host, path) } else { found }
    }

    /// The categories the domain lists give `host`, and whether the URL lists name it or a
    /// domain above it (then [`Blocklist::lookup_urls`] adds what its path gives). Depends
    /// on the host alone, so a caller may keep it per host.
    pub fn lookup_host(&self, host: &str) -> (u64, bool) {
        let mut found = 0;
        let mut has_urls = false;
        for rest in suffixes(host) {
            if let Some(m) = self.domains.get(rest) {
                found |= m;
            }
            has_urls |= self.urls.contains_key(rest);
        }
        (found, has_urls)
    }

    /// The categories the URL lists give `path` on `host`.
    pub fn lookup_urls(&self, host: &str, path: Option<&str>) -> u64 {
        let p = path.unwrap_or("").trim_start_matches('/');
        let mut found = 0;
        for rest in suffixes(host) {
            for (prefix, m) in self.urls.get(rest).map(Vec::as_slice).unwrap_or_default() {
                if p.starts_with(&**prefix) {
                    found |= m;
                }
            }
        }
        found
    }

    /// The categories of `names` (a group, in its configured order) that the lists know,
    /// each with its bit in what [`Blocklist::lookup`] returns; unknown names are left out.
    pub fn order(&self, names: &[String]) -> Order<'_> {
        Order(
            names
                .iter()
                .filter_map(|n| {
                    let i = self.categories.iter().position(|c| c == n)?;
                    Some((1u64 << i, self.categories[i].as_str()))
                })
                .collect(),
        )
    }
}

/// A group's categories in order, each with its bit ([`Blocklist::order`]).
pub struct Order<'a>(Vec<(u64, &'a str)>);

impl<'a> Order<'a> {
    /// The first of these categories that `found` (a bit set from a lookup) holds.
    pub fn first(&self, found: u64) -> Option<&'a str> {
        self.0.iter().find(|(bit, _)| found & bit != 0).map(|(_, name)| *name)
    }

    /// The bit set of these categories.
    pub fn mask(&self) -> u64 {
        self.0.iter().fold(0, |m, (bit, _)| m | bit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_domain_matches_itself_and_its_subdomains_only() {
        let mut b = Blocklist::default();
        let games = b.category("games").unwrap();
        b.add(games, "example.org\n# comment\n\nWWW.Play.test.\n", "");
        assert_eq!(b.lookup("example.org", None), games);
        assert_eq!(b.lookup("a.b.example.org", Some("/x")), games);
        assert_eq!(b.lookup("www.example.org", None), games);
        assert_eq!(b.lookup("play.test", None), games);
        assert_eq!(b.lookup("notexample.org", None), 0);
        assert_eq!(b.lookup("example.org.evil.test", None), 0);
        assert_eq!(b.lookup("org", None), 0);
    }

    #[test]
    fn url_entries_match_by_path_prefix_on_their_host() {
        let mut b = Blocklist::default();
        let adult = b.category("adult").unwrap();
        let games = b.category("games").unwrap();
        b.add(adult, "", "host.test/bad/\nhttp://www.other.test/x\n");
        b.add(games, "", "host.test/bad/game\n");
        assert_eq!(b.lookup("host.test", Some("/bad/page?q=1")), adult);
        assert_eq!(b.lookup("host.test", Some("/bad/game1")), adult | games);
        assert_eq!(b.lookup("host.test", Some("/good")), 0);
        assert_eq!(b.lookup("host.test", None), 0);
        assert_eq!(b.lookup("other.test", Some("/xyz")), adult);
        assert_eq!(b.order(&names(&["games", "adult"])).first(adult | games), Some("games"));
        assert_eq!(b.order(&names(&["games"])).first(adult), None);
    }

    #[test]
    fn the_builtin_sample_and_a_lists_folder_load() {
        let b = Blocklist::builtin(&names(&["games", "vpn"])).unwrap();
        assert!(!b.is_empty());
        assert_eq!(b.lookup("0000100.com", None), b.order(&names(&["games"])).mask());
        let err = Blocklist::builtin(&names(&["nope"])).unwrap_err().to_string();
        assert!(err.contains("\"nope\""), "{err}");
        // The same sample read from disk, as a school's `[web] blocklists` folder is.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/blocklists/ut1-sample");
        let b = Blocklist::load(&dir, &names(&["games", "malware"])).unwrap();
        assert!(!b.is_empty());
        assert_ne!(b.lookup("sub.0000100.com", Some("/")), 0);
        let err = Blocklist::load(&dir, &names(&["no-such-category"])).unwrap_err().to_string();
        assert!(err.contains("no-such-category"), "{err}");
    }
}
