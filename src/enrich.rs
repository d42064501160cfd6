//! Enrichment stages: what logwacht adds to a row from reference data (GeoIP now;
//! blocklist categories and directory roles as the rules issue adds them). A stage that
//! adds columns while logs are read is a [`Transform`]; the ingest pipeline composes them
//! between the reader and the store's writer.
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

/// One enrichment step of the ingest pipeline: a batch in, the same rows out with what the
/// step adds. Runs on the writer's thread, beside the parser.
pub trait Transform: Send {
    /// Enriches one batch.
    fn apply(&mut self, batch: &RecordBatch) -> Result<RecordBatch, ArrowError>;
}

impl Transform for geoip::GeoIp {
    fn apply(&mut self, batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
        self.place_batch(batch)
    }
}

pub mod blocklist;
pub mod directory;
pub mod geoip;
pub mod travel;
