//! `logwacht.toml` on any text.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = logwacht_fuzz::scratch().join("logwacht.toml");
    let _ = logwacht::config::Config::parse(&path, &text);
});
