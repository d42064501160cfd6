//! Format sniffing on any first MiB of a file.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(format) = logwacht::ingest::sniff(data) {
        // What sniffing names, it names by a name `--format` takes back.
        assert_eq!(logwacht::ingest::Format::parse(format.name()), Some(format));
    }
});
