//! Reporting for the DPO (CTL-2: 003 art. 6.4): people appear only as keyed pseudonyms.
//! The weekly report itself is the reporting issue's; the pseudonym key lives here.
pub mod pseudonym;
