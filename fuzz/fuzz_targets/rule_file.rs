//! A school's rule file (its `--` header and SQL) on any text. The file is named after the
//! id its header gives, as a school names it, so the fuzzer reaches past the name check.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let id = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("-- id:"))
        .map(|v| v.trim().replace(['/', '\\', '\0'], "_"))
        .filter(|v| !v.is_empty() && v.len() < 200)
        .unwrap_or_else(|| "fuzz".into());
    let path = std::path::PathBuf::from(format!("queries/{id}.sql"));
    if let Ok(rule) = logwacht::rules::parse(&path, &text) {
        // What is accepted is a rule the reports and the trail can carry.
        assert!(
            !rule.id.is_empty() && rule.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        );
        assert!(["automated", "sample"].contains(&rule.mode.as_str()));
        assert!(!rule.sql.trim().is_empty());
    }
});
