//! Enrichment stages: what logwacht adds to a row from reference data (GeoIP now;
//! blocklist categories and directory roles as the rules issue adds them).
pub mod blocklist;
pub mod directory;
pub mod geoip;
pub mod travel;
