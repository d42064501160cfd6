//! The travel-exception CSV (GEO-3) on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = logwacht_fuzz::scratch_file("travel_exceptions.csv", data);
    if let Ok(exceptions) = logwacht::enrich::travel::load(&path) {
        // What loads, turns into the table the rules read.
        logwacht::enrich::travel::to_batch(&exceptions, chrono_tz::Europe::Brussels).expect("a table");
    }
});
