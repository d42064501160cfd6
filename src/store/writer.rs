//! Writes Arrow batches into day partitions on a thread of its own, so that parsing (the
//! calling thread) and Parquet encoding with zstd use both cores. Files are written under
//! `STORE/_tmp/` and only published (renamed into their partition) by the caller once the
//! whole input file has been read.
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::StoreError;
use crate::schema::{self, Source};
use crate::store::Store;

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

/// A stage applied to each batch on the writer thread before it is written (GeoIP
/// placement of sign-ins): batches in, batches out.
pub type Transform = Box<dyn FnMut(&RecordBatch) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> + Send>;

/// A handle on the writer thread.
pub struct PartWriter {
    tx: Option<SyncSender<(i32, RecordBatch)>>,
    handle: Option<JoinHandle<Result<Vec<WrittenPart>, StoreError>>>,
}

impl PartWriter {
    /// Starts a writer for `source`; `stem` makes its temporary names unique.
    pub fn spawn(store: &Store, source: Source, stem: String, transform: Option<Transform>) -> PartWriter {
        let (tx, rx) = sync_channel(4);
        let store = store.clone();
        let handle = std::thread::Builder::new()
            .name(format!("write-{}", source.name()))
            .spawn(move || write_loop(rx, &store, source, &stem, transform))
            .ok();
        PartWriter { tx: Some(tx), handle }
    }

    /// Hands a batch of day `day` to the writer.
    pub fn send(&mut self, day: i32, batch: RecordBatch) -> Result<(), StoreError> {
        let sent = self.tx.as_ref().map(|tx| tx.send((day, batch)).is_ok()).unwrap_or(false);
        if sent {
            return Ok(());
        }
        // The thread stopped: its own error says why.
        self.tx = None;
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => {
                Err(StoreError::io("write", "writer thread")(std::io::Error::other("stopped early (this is a bug)")))
            }
        }
    }

    /// Closes every part and returns them, still under `_tmp/`.
    pub fn finish(mut self) -> Result<Vec<WrittenPart>, StoreError> {
        self.tx = None;
        self.join()
    }

    fn join(&mut self) -> Result<Vec<WrittenPart>, StoreError> {
        match self.handle.take() {
            Some(h) => h.join().unwrap_or_else(|_| {
                Err(StoreError::io("write", "writer thread")(std::io::Error::other("panicked (this is a bug)")))
            }),
            None => Err(StoreError::io("start", "writer thread")(std::io::Error::other("could not be started"))),
        }
    }
}

struct Open {
    writer: ArrowWriter<BufWriter<File>>,
    tmp: PathBuf,
    rows: u64,
}

fn write_loop(
    rx: Receiver<(i32, RecordBatch)>,
    store: &Store,
    source: Source,
    stem: &str,
    mut transform: Option<Transform>,
) -> Result<Vec<WrittenPart>, StoreError> {
    let tmp_dir = store.tmp_dir();
    std::fs::create_dir_all(&tmp_dir).map_err(StoreError::io("create", &tmp_dir))?;
    let mut open: BTreeMap<i32, Open> = BTreeMap::new();
    let props = writer_properties();
    for (day, batch) in rx {
        let batch = match transform.as_mut() {
            Some(t) => t(&batch).map_err(|e| StoreError::Arrow { source_name: source.name(), source: e })?,
            None => batch,
        };
        let part = match open.entry(day) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                let tmp = tmp_dir.join(format!("{}-{}-{day}.parquet.tmp", source.name(), stem));
                let file = File::create(&tmp).map_err(StoreError::io("create", &tmp))?;
                let writer =
                    ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), source.schema(), Some(props.clone()))
                        .map_err(|source| StoreError::Parquet { path: tmp.clone(), source })?;
                v.insert(Open { writer, tmp, rows: 0 })
            }
        };
        part.rows += batch.num_rows() as u64;
        part.writer.write(&batch).map_err(|s| StoreError::Parquet { path: part.tmp.clone(), source: s })?;
    }
    let mut done = Vec::with_capacity(open.len());
    for (day, part) in open {
        let buf = part.writer.into_inner().map_err(|s| StoreError::Parquet { path: part.tmp.clone(), source: s })?;
        let file = buf.into_inner().map_err(|e| StoreError::io("flush", &part.tmp)(e.into_error()))?;
        file.sync_all().map_err(StoreError::io("sync", &part.tmp))?;
        done.push(WrittenPart { source, day, tmp: part.tmp, rows: part.rows });
    }
    Ok(done)
}
