//! The unified audit log JSON reader on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| logwacht_fuzz::read(logwacht::ingest::Format::UalJson, data));
