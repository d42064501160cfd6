//! `verify-log` on any trail: the chain check and the anchor check.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = logwacht_fuzz::scratch_file("audit.jsonl", data);
    let log = logwacht::audit_log::AuditLog::new(&path);
    let outcome = log.verify().expect("a readable file verifies to an outcome");
    if let Some((line, _)) = &outcome.broken {
        assert!(*line >= 1);
    }
    // Anchors that agree with the chain, and ones that cannot.
    let anchors = [
        logwacht::audit_log::Anchor { source: "head".into(), lines: Some(outcome.lines), head: outcome.head.clone() },
        logwacht::audit_log::Anchor { source: "far".into(), lines: Some(usize::MAX), head: "é".repeat(20) },
        logwacht::audit_log::Anchor { source: "none".into(), lines: None, head: "x".into() },
    ];
    let _ = log.check_anchors(&anchors);
    let _ = log.entries();
});
