//! The directory CSV (people and roles, no names) on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = logwacht_fuzz::scratch_file("people.csv", data);
    if let Ok(people) = logwacht::enrich::directory::load(&path) {
        for p in people {
            assert!(logwacht::enrich::directory::Role::parse(p.role.as_str()) == Some(p.role));
        }
    }
});
