//! The pseudonym key (CTL-2): created private by `init`, refused when others may read
//! it, rotated with a line in the audit trail.
use std::os::unix::fs::PermissionsExt;

use crate::util::Workspace;

#[test]
fn init_creates_a_private_key_and_rotation_is_recorded_without_the_key() {
    let ws = Workspace::new();
    let key = ws.path().join("secret.key");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let before = std::fs::read_to_string(&key).unwrap();
    let r = ws.run(&["--now", "2026-11-29T00:00:00Z", "--operator", "dpo", "key", "rotate"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("period 2"), "{}", r.stdout);
    let after = std::fs::read_to_string(&key).unwrap();
    assert_ne!(before, after);
    let secret: serde_json::Value = serde_json::from_str(&after).unwrap();
    let trail = std::fs::read_to_string(ws.path().join("audit.log")).unwrap();
    assert!(
        trail.contains("\"key rotate\"") && trail.contains("\"key_period\":2") && trail.contains("\"dpo\""),
        "{trail}"
    );
    assert!(!trail.contains(secret["key"].as_str().unwrap()), "the trail holds the key");
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn a_key_readable_by_others_is_refused() {
    let ws = Workspace::new();
    let key = ws.path().join("secret.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = ws.run(&["key", "rotate"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("readable by group or others (mode 644)"), "{}", r.stderr);
}
