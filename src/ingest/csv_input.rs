//! CSV as Microsoft tools write it, shared by the CSV formats: an optional UTF-8 BOM,
//! CRLF, quoted cells over several lines, a PowerShell `#TYPE` line before the header, or
//! the Exchange `#Software`/`#Version`/`#Log-type`/`#Date`/`#Fields:` preamble instead of a
//! header row.
use std::io::BufRead;

use crate::ingest::IngestError;
use crate::ingest::record::Batcher;
use crate::ingest::sink::{Rejection, Sink};
use crate::store::StoreError;

/// The header of a CSV file.
#[derive(Debug, Clone)]
pub struct Columns {
    names: Vec<String>,
}

impl Columns {
    /// A header from its cell texts.
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        Columns { names: names.into_iter().map(|n| n.trim_start_matches('\u{feff}').trim().to_string()).collect() }
    }

    /// The index of the first of `candidates` present (case-insensitive).
    pub fn find(&self, candidates: &[&str]) -> Option<usize> {
        candidates.iter().find_map(|c| self.names.iter().position(|n| n.eq_ignore_ascii_case(c)))
    }

    /// How many columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True for an empty header.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// What a format makes of one row: the records it holds, or why it is rejected.
pub type RowFn<R> = Box<dyn FnMut(&csv::StringRecord) -> Result<Vec<R>, Rejection>>;

/// Reads the preamble: `#TYPE` lines are skipped, `#Fields:` gives the header, and the
/// first other line is the header row. Returns the header and the lines consumed. Of a
/// line longer than `max` bytes only the first `max` are looked at.
pub fn read_header(input: &mut dyn BufRead, delim: u8, max: usize) -> std::io::Result<(Option<Columns>, u64)> {
    let mut consumed = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        if crate::ingest::lines::read_line_capped(input, &mut line, max)?.0 == 0 {
            return Ok((None, consumed));
        }
        consumed += 1;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_start_matches('\u{feff}').trim_end_matches(['\r', '\n']);
        if let Some(fields) = text.strip_prefix("#Fields:") {
            return Ok((Some(split_header(fields.trim(), delim)), consumed));
        }
        if text.starts_with('#') || text.trim().is_empty() {
            continue;
        }
        return Ok((Some(split_header(text, delim)), consumed));
    }
}

fn split_header(text: &str, delim: u8) -> Columns {
    let mut r = csv::ReaderBuilder::new().has_headers(false).delimiter(delim).from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    let _ = r.read_record(&mut rec);
    Columns::new(rec.iter().map(str::to_string))
}

/// Reads a CSV file into `sink`: `setup` looks at the header and returns the row mapper,
/// or says why this is not the format it expects (a file-level error).
pub fn read_csv<B: Batcher>(
    input: &mut dyn BufRead,
    sink: &mut Sink<B>,
    delim: u8,
    setup: impl FnOnce(&Columns) -> Result<RowFn<B::Rec<'static>>, String>,
) -> Result<(), IngestError> {
    read_csv_rows(input, sink, delim, |cols| {
        let mut row_fn = setup(cols)?;
        Ok(Box::new(move |sink: &mut Sink<B>, line: u64, row: &csv::StringRecord, raw: &dyn Fn() -> String| {
            // A valid row that is no event of this table (an audit log's other operations)
            // is counted as skipped, not stored.
            match row_fn(row) {
                Err((reason, t)) => sink.reject(line, reason, raw().as_bytes(), t),
                rows => sink.take(line, b"", rows),
            }
        }) as RowTaker<B>)
    })
}

/// What a format does with one row, given the sink: for a reader whose rows do not all
/// go one way (the unified audit log: sign-ins, mail, operations skipped by name). `raw`
/// gives the row's text for a rejection.
pub type RowTaker<B> =
    Box<dyn FnMut(&mut Sink<B>, u64, &csv::StringRecord, &dyn Fn() -> String) -> Result<(), StoreError>>;

/// [`read_csv`] with a [`RowTaker`].
pub fn read_csv_rows<B: Batcher>(
    input: &mut dyn BufRead,
    sink: &mut Sink<B>,
    delim: u8,
    setup: impl FnOnce(&Columns) -> Result<RowTaker<B>, String>,
) -> Result<(), IngestError> {
    let path = sink.provenance().file.to_string();
    let format = sink.provenance().format;
    let io_err = |e: std::io::Error| IngestError::Read { path: path.clone().into(), source: e };
    let (cols, offset) = read_header(input, delim, sink.max_record()).map_err(io_err)?;
    let Some(cols) = cols else {
        return Err(IngestError::NotThisFormat { path: path.into(), format, reason: "the file has no header".into() });
    };
    let mut row_fn =
        setup(&cols).map_err(|reason| IngestError::NotThisFormat { path: path.clone().into(), format, reason })?;
    let max = sink.max_record();
    // The CSV reader is restarted after a record over the budget, one line further on.
    let mut offset = offset;
    let mut raw = csv::ByteRecord::new();
    'restart: loop {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delim)
            .comment(Some(b'#'))
            .buffer_capacity(CSV_BUFFER)
            .from_reader(Budgeted::new(&mut *input, max));
        loop {
            let at = reader.position().clone();
            reader.get_mut().mark(at.byte());
            let line = at.line() + offset;
            match reader.read_byte_record(&mut raw) {
                Ok(false) => break 'restart,
                Ok(true) => {}
                Err(e) => match e.kind() {
                    csv::ErrorKind::Io(_) if reader.get_ref().over => {
                        // A quote opened and never closed (or a record that long): the
                        // record is rejected with its first bytes, and reading goes on
                        // from the next line with a fresh reader.
                        let budget = reader.into_inner();
                        sink.reject_too_long(line, &budget.head)?;
                        offset += budget.newlines;
                        let input = budget.inner;
                        if !skip_line(input).map_err(io_err)? {
                            break 'restart;
                        }
                        offset += 1;
                        continue 'restart;
                    }
                    csv::ErrorKind::Io(_) => {
                        let csv::ErrorKind::Io(io) = e.into_kind() else { unreachable!() };
                        return Err(io_err(io));
                    }
                    _ => {
                        sink.reject(line, "unreadable CSV row", b"", None)?;
                        continue;
                    }
                },
            }
            let line = raw.position().map(|p| p.line()).unwrap_or(line - offset) + offset;
            let raw_text = || {
                let cells: Vec<String> = raw.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
                cells.join(std::str::from_utf8(&[delim]).unwrap_or(","))
            };
            if raw.len() == 1 && raw.get(0).is_some_and(|c| c.iter().all(u8::is_ascii_whitespace)) {
                sink.skip();
                continue;
            }
            if raw.len() != cols.len() {
                let reason =
                    if raw.len() < cols.len() { "fewer fields than the header" } else { "more fields than the header" };
                sink.reject(line, reason, raw_text().as_bytes(), None)?;
                continue;
            }
            let row = match csv::StringRecord::from_byte_record(raw.clone()) {
                Ok(r) => r,
                Err(_) => {
                    sink.reject(line, "not valid UTF-8", raw_text().as_bytes(), None)?;
                    continue;
                }
            };
            row_fn(sink, line, &row, &raw_text)?;
        }
    }
    Ok(())
}

/// How much the CSV reader reads ahead of the record it parses (its buffer).
const CSV_BUFFER: usize = 64 * 1024;
/// How much of an over-long record a rejected row keeps.
const KEEP: usize = 4096;

/// The input as the CSV reader sees it, with a byte budget per record. The csv crate holds
/// a record whole in memory, so a quote opened and never closed would make the rest of the
/// file one record, as long as the file. This reader knows where the record being parsed
/// started (`mark`), keeps that record's first 4 KiB, and fails the read that would take
/// the record past `max` bytes: memory stays at `max` plus the CSV reader's buffer.
struct Budgeted<'a> {
    inner: &'a mut dyn BufRead,
    max: u64,
    /// Bytes handed to the CSV reader.
    given: u64,
    /// Newlines among them.
    newlines: u64,
    /// Where the record being parsed starts (a CSV reader byte position).
    start: u64,
    /// The last bytes handed over (at most 2 x the CSV buffer): the start of the next
    /// record is among them.
    tail: Vec<u8>,
    /// The first bytes of the record being parsed, from `start`.
    head: Vec<u8>,
    /// Set when the budget ran out: the CSV reader's error is this one.
    over: bool,
}

impl<'a> Budgeted<'a> {
    fn new(inner: &'a mut dyn BufRead, max: usize) -> Self {
        Budgeted {
            inner,
            max: max as u64,
            given: 0,
            newlines: 0,
            start: 0,
            tail: Vec::new(),
            head: Vec::new(),
            over: false,
        }
    }

    /// The next record starts at `start` (bytes from this reader's beginning).
    fn mark(&mut self, start: u64) {
        self.start = start;
        self.head.clear();
        let tail_at = self.given - self.tail.len() as u64;
        if let Some(from) = start.checked_sub(tail_at) {
            let from = (from as usize).min(self.tail.len());
            let end = self.tail.len().min(from + KEEP);
            self.head.extend_from_slice(&self.tail[from..end]);
        }
    }
}

impl std::io::Read for Budgeted<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.given.saturating_sub(self.start) > self.max {
            // The CSV reader wants more of a record already over the budget.
            self.over = true;
            return Err(std::io::Error::other("a CSV record over [ingest] max_record_bytes"));
        }
        let chunk = self.inner.fill_buf()?;
        // Never more than the record's budget allows: a record is at most `max` + 1 bytes.
        let room = (self.start + self.max + 1 - self.given) as usize;
        let n = chunk.len().min(out.len()).min(room);
        out[..n].copy_from_slice(&chunk[..n]);
        self.inner.consume(n);
        let got = &out[..n];
        self.newlines += memchr::memchr_iter(b'\n', got).count() as u64;
        // The record's head grows while it is shorter than KEEP and the bytes are its own.
        if self.head.len() < KEEP && self.given == self.start + self.head.len() as u64 {
            let room = KEEP - self.head.len();
            self.head.extend_from_slice(&got[..n.min(room)]);
        }
        self.given += n as u64;
        self.tail.extend_from_slice(got);
        if self.tail.len() > 2 * CSV_BUFFER {
            let cut = self.tail.len() - CSV_BUFFER;
            self.tail.drain(..cut);
        }
        Ok(n)
    }
}

/// Reads past the rest of the current line (through its `\n`) without keeping it. Returns
/// false at the end of the input.
fn skip_line(input: &mut dyn BufRead) -> std::io::Result<bool> {
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(false);
        }
        match memchr::memchr(b'\n', chunk) {
            Some(i) => {
                input.consume(i + 1);
                return Ok(true);
            }
            None => {
                let n = chunk.len();
                input.consume(n);
            }
        }
    }
}
