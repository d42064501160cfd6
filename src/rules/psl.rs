//! Registrable domains by Mozilla's Public Suffix List (built in: `fixtures/psl/`).
//!
//! The algorithm of <https://publicsuffix.org/list/>: of the rules that match a host's
//! trailing labels, an exception rule (`!www.ck`) prevails, else the one with the most
//! labels (`*.ck` counts as two); with none, the rule `*` (the last label) applies. The
//! registrable domain is the public suffix plus one label; a host that is a public suffix
//! itself has none. Rules with non-ASCII labels are also kept in their punycode form, so
//! `食狮.公司.cn` and `xn--85x722f.xn--55qx5d.cn` both resolve.
use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("../../fixtures/psl/public_suffix_list.dat");

/// The three kinds of rule, each a set of suffixes without their marker.
struct Rules {
    plain: HashSet<Box<str>>,
    /// `*.ck` stored as `ck`.
    wildcard: HashSet<Box<str>>,
    /// `!www.ck` stored as `www.ck`.
    exception: HashSet<Box<str>>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| parse(LIST))
}

fn parse(text: &str) -> Rules {
    let mut r = Rules { plain: HashSet::new(), wildcard: HashSet::new(), exception: HashSet::new() };
    for line in text.lines() {
        // A rule is the first run of non-space characters; `//` starts a comment line.
        let Some(rule) = line.split_whitespace().next() else { continue };
        if rule.starts_with("//") {
            continue;
        }
        let (set, name) = if let Some(n) = rule.strip_prefix('!') {
            (&mut r.exception, n)
        } else if let Some(n) = rule.strip_prefix("*.") {
            (&mut r.wildcard, n)
        } else {
            (&mut r.plain, rule)
        };
        let name = name.to_lowercase();
        if !name.is_ascii() {
            // The list writes internationalised rules in Unicode; logs mostly carry the
            // punycode form. A rule that does not convert is kept only as written.
            if let Ok(ascii) = idna::domain_to_ascii(&name) {
                set.insert(ascii.into());
            }
        }
        set.insert(name.into());
    }
    r
}

/// The registrable domain of a host name (lower case, no trailing dot), or `None` when
/// the host is a public suffix itself or has an empty label.
pub fn registrable(host: &str) -> Option<&str> {
    if host.is_empty() || host.split('.').any(str::is_empty) {
        return None;
    }
    // Byte offsets where each label starts, leftmost first.
    let starts: Vec<usize> = std::iter::once(0).chain(host.match_indices('.').map(|(i, _)| i + 1)).collect();
    let n = starts.len();
    let rules = rules();
    // Labels in the public suffix: an exception prevails, else the longest rule, else 1.
    let mut suffix_labels = 1;
    let mut exception = None;
    for (i, &start) in starts.iter().enumerate() {
        let suffix = &host[start..];
        let labels = n - i;
        if rules.exception.contains(suffix) {
            exception = Some(labels - 1);
            break;
        }
        if rules.plain.contains(suffix) {
            suffix_labels = suffix_labels.max(labels);
        }
        if rules.wildcard.contains(suffix) {
            suffix_labels = suffix_labels.max(labels + 1);
        }
    }
    let suffix_labels = exception.unwrap_or(suffix_labels);
    (n > suffix_labels).then(|| &host[starts[n - suffix_labels - 1]..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case of the list's official test file, `checkPublicSuffix(host, expected)`,
    /// with the file's lower-casing of the input.
    #[test]
    fn psl_official_test_file_passes() {
        let text = include_str!("../../fixtures/psl/test_psl.txt");
        let mut cases = 0;
        for (no, line) in text.lines().enumerate() {
            let Some(args) = line.trim().strip_prefix("checkPublicSuffix(").and_then(|a| a.strip_suffix(");")) else {
                continue;
            };
            let (input, expected) = args.split_once(", ").unwrap_or_else(|| panic!("line {}: {line}", no + 1));
            let unquote = |s: &str| (s != "null").then(|| s.trim_matches('\'').to_string());
            let (input, expected) = (unquote(input), unquote(expected));
            let got = input.as_deref().and_then(|h| registrable(&h.to_lowercase()).map(str::to_string));
            assert_eq!(got, expected, "line {}: {line}", no + 1);
            cases += 1;
        }
        assert!(cases >= 70, "only {cases} cases read");
    }

    #[test]
    fn the_list_is_read_whole() {
        let r = rules();
        assert!(r.plain.len() > 9_000, "{} plain rules", r.plain.len());
        assert!(r.plain.contains("co.uk") && r.plain.contains("github.io") && r.plain.contains("be"));
        assert!(r.wildcard.contains("ck") && r.exception.contains("www.ck"));
        assert!(r.plain.contains("xn--55qx5d.cn"), "punycode form of 公司.cn");
    }
}
