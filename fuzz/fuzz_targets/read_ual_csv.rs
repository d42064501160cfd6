//! The unified audit log CSV export reader on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| logwacht_fuzz::read(logwacht::ingest::Format::UalCsv, data));
