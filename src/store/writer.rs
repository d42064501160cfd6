//! Writes Arrow batches into day partitions ([`Parts`]: one Parquet file per day, zstd).
//! Files are written under `STORE/_tmp/` and only published (renamed into their partition)
//! by the store's commit once the whole input file has been read. The thread that runs it
//! beside the parser, and the enrichment before it, belong to the ingest pipeline
//! (`ingest/sink.rs`).
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::schema::{self, Source};
use crate::store::Store;
use crate::store::StoreError;

/// Rows per Parquet row group: small enough to keep memory flat, large enough for scans.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// A part written under `_tmp/`, waiting to be published.
#[derive(Debug, Clone)]
pub struct WrittenPart {
    /// The source table.
    pub source: Source,
    /// Day number (UTC) of the partition.
    pub day: i32,
    /// Where it is now.
    pub tmp: PathBuf,
    /// Rows in it.
    pub rows: u64,
}

/// The Parquet settings of every file in the store: zstd, page statistics.
pub fn writer_properties() -> WriterProperties {
    // Dictionary encoding pays for columns that repeat (hosts, users, statuses, files);
    // for near-unique ones it only costs a hash per value.
    let unique = [
        schema::URL,
        schema::PATH,
        schema::REFERER,
        schema::REQUEST_ID,
        schema::MESSAGE_ID,
        schema::TRACE_ID,
        schema::EVENT_TIME,
        schema::SOURCE_LINE,
        schema::BYTES,
        schema::SIZE_BYTES,
        schema::ELAPSED_MS,
        schema::CLIENT_IP,
        schema::HIERARCHY,
    ];
    let mut b = WriterProperties::builder();
    for col in unique {
        b = b.set_column_dictionary_enabled(ColumnPath::from(col), false);
    }
    b.set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("logwacht {}", env!("CARGO_PKG_VERSION")))
        .build()
}

struct Open {
    writer: ArrowWriter<BufWriter<File>>,
    tmp: PathBuf,
    rows: u64,
}

/// The open Parquet files of one input, one per day.
pub struct Parts {
    tmp_dir: PathBuf,
    source: Source,
    stem: String,
    props: WriterProperties,
    open: BTreeMap<i32, Open>,
}

impl Parts {
    /// Parts of `source`; `stem` makes their temporary names unique.
    pub fn new(store: &Store, source: Source, stem: &str) -> Result<Parts, StoreError> {
        let tmp_dir = store.tmp_dir();
        std::fs::create_dir_all(&tmp_dir).map_err(StoreError::io("create", &tmp_dir))?;
        Ok(Parts { tmp_dir, source, stem: stem.to_string(), props: writer_properties(), open: BTreeMap::new() })
    }

    /// Writes a batch of day `day` (UTC day number) into that day's part.
    pub fn write(&mut self, day: i32, batch: &RecordBatch) -> Result<(), StoreError> {
        let part = match self.open.entry(day) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                let tmp = self.tmp_dir.join(format!("{}-{}-{day}.parquet.tmp", self.source.name(), self.stem));
                let file = File::create(&tmp).map_err(StoreError::io("create", &tmp))?;
                let writer = ArrowWriter::try_new(
                    BufWriter::with_capacity(1 << 20, file),
                    self.source.schema(),
                    Some(self.props.clone()),
                )
                .map_err(|source| StoreError::Parquet { path: tmp.clone(), source })?;
                v.insert(Open { writer, tmp, rows: 0 })
            }
        };
        part.rows += batch.num_rows() as u64;
        part.writer.write(batch).map_err(|s| StoreError::Parquet { path: part.tmp.clone(), source: s })
    }

    /// Closes and syncs every part; they stay under `_tmp/` for the commit.
    pub fn finish(self) -> Result<Vec<WrittenPart>, StoreError> {
        let mut done = Vec::with_capacity(self.open.len());
        for (day, part) in self.open {
            let buf =
                part.writer.into_inner().map_err(|s| StoreError::Parquet { path: part.tmp.clone(), source: s })?;
            let file = buf.into_inner().map_err(|e| StoreError::io("flush", &part.tmp)(e.into_error()))?;
            file.sync_all().map_err(StoreError::io("sync", &part.tmp))?;
            done.push(WrittenPart { source: self.source, day, tmp: part.tmp, rows: part.rows });
        }
        Ok(done)
    }
}
