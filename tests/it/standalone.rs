//! The repository stands on its own: nothing it builds, tests, benchmarks, documents or
//! runs reads from a folder beside the clone, which a user who clones logwacht does not have.
use crate::util::repo;
use std::path::{Path, PathBuf};

/// The parent's folder that only the developers have; spelled in two parts so that this
/// file does not name it.
fn outside() -> String {
    format!("{}/{}", "..", "shared")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            files_under(&path, out);
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

#[test]
fn no_file_of_the_project_refers_to_a_folder_beside_the_clone() {
    let root = repo();
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "docs", "queries", ".ci", "fixtures"] {
        files_under(&root.join(dir), &mut files);
    }
    for file in ["README.md", "Cargo.toml", "clippy.toml", "build.rs"] {
        if root.join(file).is_file() {
            files.push(root.join(file));
        }
    }
    assert!(files.len() > 50, "only {} files found under {}", files.len(), root.display());
    let needle = outside();
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read(f).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes())))
        .map(|f| f.strip_prefix(&root).unwrap_or(f).display().to_string())
        .collect();
    assert!(offenders.is_empty(), "these files refer to {needle}: {offenders:?}");
}

#[test]
fn the_requirements_document_names_every_requirement_a_rule_cites() {
    let policy = std::fs::read_to_string(repo().join("docs/policy.md")).unwrap();
    let mut cited = Vec::new();
    let mut rules = Vec::new();
    files_under(&repo().join("queries"), &mut rules);
    for rule in rules.iter().filter(|p| p.extension().is_some_and(|e| e == "sql")) {
        let text = std::fs::read_to_string(rule).unwrap();
        let line = text.lines().find_map(|l| l.strip_prefix("-- requirement:")).unwrap_or_else(|| {
            panic!("{} has no requirement line", rule.display());
        });
        cited.extend(line.split(',').map(|id| id.trim().to_string()).filter(|id| !id.is_empty()));
    }
    assert!(cited.len() >= 18, "{cited:?}");
    for id in cited {
        assert!(
            policy.contains(&format!("**{id} (")) || policy.contains(&format!("**{id}**")),
            "{id} is not in docs/policy.md"
        );
    }
}
