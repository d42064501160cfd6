//! The FortiGate web filter and traffic log reader on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| logwacht_fuzz::read(logwacht::ingest::Format::Fortigate, data));
