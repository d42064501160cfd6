//! CSV as Microsoft tools write it, shared by the CSV formats: an optional UTF-8 BOM,
//! CRLF, quoted cells over several lines, a PowerShell `#TYPE` line before the header, or
//! the Exchange `#Software`/`#Version`/`#Log-type`/`#Date`/`#Fields:` preamble instead of a
//! header row.
use std::io::BufRead;

use crate::error::{Error, IngestError};
use crate::ingest::record::Batcher;
use crate::ingest::sink::{Rejection, Sink};

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
/// first other line is the header row. Returns the header and the lines consumed.
pub fn read_header(input: &mut dyn BufRead, delim: u8) -> std::io::Result<(Option<Columns>, u64)> {
    let mut consumed = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
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
) -> Result<(), Error> {
    let path = sink.provenance().file.to_string();
    let format = sink.provenance().format;
    let io_err = |e: std::io::Error| Error::from(IngestError::Read { path: path.clone().into(), source: e });
    let (cols, offset) = read_header(input, delim).map_err(io_err)?;
    let Some(cols) = cols else {
        return Err(
            IngestError::NotThisFormat { path: path.into(), format, reason: "the file has no header".into() }.into()
        );
    };
    let mut row_fn =
        setup(&cols).map_err(|reason| IngestError::NotThisFormat { path: path.clone().into(), format, reason })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .comment(Some(b'#'))
        .from_reader(input);
    let mut raw = csv::ByteRecord::new();
    loop {
        let line = reader.position().line() + offset;
        match reader.read_byte_record(&mut raw) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => match e.kind() {
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
        match row_fn(&row) {
            Ok(recs) => {
                for rec in &recs {
                    sink.accept(rec, line)?;
                }
            }
            Err((reason, t)) => sink.reject(line, reason, raw_text().as_bytes(), t)?,
        }
    }
    Ok(())
}
