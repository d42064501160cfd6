//! The Sophos Firewall content filtering log reader on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| logwacht_fuzz::read(logwacht::ingest::Format::Sophos, data));
