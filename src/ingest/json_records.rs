//! Splits a JSON input into records without reading it whole: a top-level array of
//! objects, a Graph page `{"value": [...], "@odata.nextLink": ...}` or a Google Reports
//! API page `{"items": [...], "nextPageToken": ...}`, one object, or one object per line. Each record comes with the line it starts on, for evidence (CTL-5).
use std::io::BufRead;

use crate::ingest::IngestError;
use crate::ingest::record::Batcher;
use crate::ingest::sink::Sink;

/// One record's bytes and where it starts.
pub struct JsonRecord<'a> {
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// The record's text.
    pub bytes: &'a [u8],
    /// True when the input ended in the middle of this record.
    pub truncated: bool,
    /// True when the record was longer than the limit: `bytes` holds its first part only.
    pub oversized: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Before the first value.
    Start,
    /// Records are the elements of the top-level array.
    Array,
    /// Records are top-level objects (one object, or one per line), unless one of them
    /// turns out to be a page with a `value` array.
    Objects,
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Calls `each` for every record in `input`. Stray text between records is handed over
/// as a record of its own, so the caller rejects it with its line.
/// A record over `max` bytes is handed over cut at `max` with `oversized` set; what follows
/// it is read past, never kept, so memory stays at `max` whatever the input.
pub fn split<E>(
    input: &mut dyn BufRead,
    max: usize,
    each: &mut dyn FnMut(JsonRecord<'_>) -> Result<(), E>,
) -> Result<(), SplitError<E>> {
    let mut mode = Mode::Start;
    let mut line: u64 = 1;
    let mut depth: u32 = 0;
    let mut in_string = false;
    let mut escaped = false;
    // A record is handed over as a slice of the read buffer; only the part of a record
    // that began in an earlier buffer fill is carried here.
    let mut carry: Vec<u8> = Vec::new();
    let mut rec_from = 0usize; // where the open record starts in the current buffer
    let mut rec_line = 0u64;
    let mut rec_depth = 0u32; // depth at which the current record's value opened
    let mut in_record = false;
    let mut over = false; // the open record passed `max`
    let mut page_depth: Option<u32> = None; // depth of a page's `value` array contents
    let mut last_key: Vec<u8> = Vec::new();
    let mut key_buf: Vec<u8> = Vec::new();
    // Bytes of the byte order mark seen so far; 3 once it is past or absent.
    let mut bom = 0usize;
    let mut one_per_line = false;
    let mut stray: Vec<u8> = Vec::new();
    let mut stray_line = 0u64;
    loop {
        let buf = input.fill_buf().map_err(SplitError::Read)?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        let mut i = 0;
        // A byte order mark, even when it straddles two buffer fills.
        while bom < 3 && i < n {
            if buf[i] == BOM[bom] {
                bom += 1;
                i += 1;
            } else {
                // A partial mark is no mark: keep its bytes as stray text, to be rejected.
                if bom > 0 {
                    stray.extend_from_slice(&BOM[..bom]);
                    stray_line = 1;
                }
                bom = 3;
            }
        }
        while i < n {
            if in_string && !escaped {
                // Most bytes are inside strings: jump to the next byte that matters.
                let rest = &buf[i..n];
                let skip = memchr::memchr3(b'"', b'\\', b'\n', rest).unwrap_or(rest.len());
                if skip > 0 {
                    let chunk = &rest[..skip];
                    let room = 64usize.saturating_sub(key_buf.len());
                    key_buf.extend_from_slice(&chunk[..skip.min(room)]);
                    i += skip;
                    if i == n {
                        break;
                    }
                }
            }
            let b = buf[i];
            i += 1;
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                    last_key.clone_from(&key_buf);
                } else if key_buf.len() < 64 {
                    key_buf.push(b);
                }
                if b == b'\n' {
                    // A JSON string never holds a raw newline: the record is broken.
                    // Hand it over as it is and start afresh on the next line.
                    line += 1;
                    in_string = false;
                    escaped = false;
                    if in_record {
                        in_record = false;
                        depth = rec_depth;
                        let (bytes, oversized) = record(&mut carry, &buf[rec_from..i], max, over);
                        each(JsonRecord { line: rec_line, bytes, truncated: false, oversized })
                            .map_err(SplitError::Sink)?;
                        carry.clear();
                        over = false;
                    }
                }
                continue;
            }
            if b == b'\n' && in_record && one_per_line && rec_depth == 0 {
                // One object per line: a line that did not close its object is broken.
                line += 1;
                in_record = false;
                depth = 0;
                let (bytes, oversized) = record(&mut carry, &buf[rec_from..i], max, over);
                each(JsonRecord { line: rec_line, bytes, truncated: false, oversized }).map_err(SplitError::Sink)?;
                carry.clear();
                over = false;
                continue;
            }
            match b {
                b'\n' => line += 1,
                b' ' | b'\t' | b'\r' | b',' | b':' if !in_record => {}
                b'"' => {
                    in_string = true;
                    key_buf.clear();
                }
                b'[' | b'{' => {
                    let record_starts = !in_record
                        && match mode {
                            Mode::Start => {
                                if b == b'[' {
                                    mode = Mode::Array;
                                    false
                                } else {
                                    mode = Mode::Objects;
                                    true
                                }
                            }
                            Mode::Array => depth == 1,
                            Mode::Objects => depth == 0 || page_depth == Some(depth),
                        };
                    // A page: `"value": [` at depth 1 of a top-level object.
                    if in_record
                        && mode == Mode::Objects
                        && b == b'['
                        && depth == 1
                        && rec_depth == 0
                        && (last_key == b"value" || last_key == b"items")
                    {
                        in_record = false;
                        carry.clear();
                        page_depth = Some(2);
                    } else if record_starts {
                        flush_stray(&mut stray, stray_line, each)?;
                        in_record = true;
                        carry.clear();
                        over = false;
                        rec_from = i - 1;
                        rec_line = line;
                        rec_depth = depth;
                    }
                    depth += 1;
                }
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if in_record && depth == rec_depth {
                        in_record = false;
                        let (bytes, oversized) = record(&mut carry, &buf[rec_from..i], max, over);
                        if mode == Mode::Objects && rec_depth == 0 && !oversized && !bytes.contains(&b'\n') {
                            one_per_line = true;
                        }
                        each(JsonRecord { line: rec_line, bytes, truncated: false, oversized })
                            .map_err(SplitError::Sink)?;
                        carry.clear();
                        over = false;
                    }
                    if page_depth.is_some_and(|d| depth < d) {
                        page_depth = None;
                    }
                }
                _ if !in_record => {
                    if stray.is_empty() {
                        stray_line = line;
                    }
                    if stray.len() < 4096 {
                        stray.push(b);
                    }
                }
                _ => {}
            }
        }
        if in_record {
            let part = &buf[rec_from..n];
            let room = max.saturating_sub(carry.len());
            if part.len() > room {
                over = true;
            }
            carry.extend_from_slice(&part[..part.len().min(room)]);
            rec_from = 0;
        }
        input.consume(n);
    }
    flush_stray(&mut stray, stray_line, each)?;
    if in_record {
        each(JsonRecord { line: rec_line, bytes: &carry, truncated: true, oversized: over })
            .map_err(SplitError::Sink)?;
    }
    Ok(())
}

/// A finished record: the slice of this buffer, after what was carried from earlier fills,
/// cut at `max` bytes; the flag says whether it was longer.
fn record<'a>(carry: &'a mut Vec<u8>, tail: &'a [u8], max: usize, over: bool) -> (&'a [u8], bool) {
    if carry.is_empty() && !over {
        return (&tail[..tail.len().min(max)], tail.len() > max);
    }
    let room = max.saturating_sub(carry.len());
    carry.extend_from_slice(&tail[..tail.len().min(room)]);
    (carry, over || tail.len() > room)
}

fn flush_stray<E>(
    stray: &mut Vec<u8>,
    line: u64,
    each: &mut dyn FnMut(JsonRecord<'_>) -> Result<(), E>,
) -> Result<(), SplitError<E>> {
    if !stray.is_empty() {
        each(JsonRecord { line, bytes: stray, truncated: false, oversized: false }).map_err(SplitError::Sink)?;
        stray.clear();
    }
    Ok(())
}

/// Why splitting stopped.
#[derive(Debug)]
pub enum SplitError<E> {
    /// The input could not be read.
    Read(std::io::Error),
    /// The callback stopped the split.
    Sink(E),
}

/// Reads a JSON input record by record into `sink`: an over-long record is rejected with
/// its first part, a record cut off at the end of the file is rejected, and `each` gets
/// every other record. The readers of every JSON format share this frame.
pub fn read_into_sink<B: Batcher>(
    input: &mut dyn BufRead,
    sink: &mut Sink<B>,
    mut each: impl FnMut(&mut Sink<B>, &JsonRecord<'_>) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let path = sink.provenance().file.to_string();
    let max = sink.max_record();
    let result = split(input, max, &mut |rec| -> Result<(), IngestError> {
        if rec.oversized {
            return Ok(sink.reject_too_long(rec.line, rec.bytes)?);
        }
        if rec.truncated {
            return Ok(sink.reject(rec.line, "truncated record at end of file", rec.bytes, None)?);
        }
        each(sink, &rec)
    });
    match result {
        Ok(()) => Ok(()),
        Err(SplitError::Read(e)) => Err(IngestError::Read { path: path.into(), source: e }),
        Err(SplitError::Sink(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<(u64, String, bool)> {
        let mut out = Vec::new();
        split::<()>(&mut text.as_bytes(), 1 << 20, &mut |r| {
            out.push((r.line, String::from_utf8_lossy(r.bytes).into_owned(), r.truncated));
            Ok(())
        })
        .map_err(|_| ())
        .unwrap();
        out
    }

    #[test]
    fn splits_arrays_pages_and_lines() {
        let arr = "[\n {\"a\": 1},\n {\"a\": [2, {\"b\": \"}\"}]}\n]";
        assert_eq!(
            records(arr),
            vec![(2, "{\"a\": 1}".into(), false), (3, "{\"a\": [2, {\"b\": \"}\"}]}".into(), false)]
        );

        let page = "{\"@odata.context\": \"x\",\n \"value\": [\n  {\"id\": \"1\"},\n  {\"id\": \"2\"}\n ],\n \"@odata.nextLink\": \"y\"}";
        assert_eq!(records(page), vec![(3, "{\"id\": \"1\"}".into(), false), (4, "{\"id\": \"2\"}".into(), false)]);

        let nd = "\u{feff}{\"x\": \"a\\\"b\"}\r\n{\"x\": 2}\r\n";
        assert_eq!(records(nd), vec![(1, "{\"x\": \"a\\\"b\"}".into(), false), (2, "{\"x\": 2}".into(), false)]);

        let one = "{\"value\": 1, \"id\": \"x\"}";
        assert_eq!(records(one), vec![(1, one.into(), false)]);
    }

    /// The same records whatever the reader's buffer size: the string fast path must not
    /// lose or double a byte at a buffer boundary.
    #[test]
    fn buffer_boundaries_change_nothing() {
        let inputs = [
            "[\n {\"a\": 1},\n {\"a\": [2, {\"b\": \"}\\\"x\"}]}\n]",
            "{\"@odata.context\": \"x\",\n \"value\": [\n  {\"id\": \"1\"},\n  {\"id\": \"2\"}\n ]}",
            "\u{feff}{\"x\": \"a\\\"b\\\\\"}\r\n{\"x\": \"long string value here\"}\r\n{\"a\": \"cut\n{\"a\": 3}\ngarbage\n",
        ];
        for text in inputs {
            let whole = records(text);
            for cap in [1, 2, 3, 7, 64] {
                let mut r = std::io::BufReader::with_capacity(cap, text.as_bytes());
                let mut got = Vec::new();
                split::<()>(&mut r, 1 << 20, &mut |rec| {
                    got.push((rec.line, String::from_utf8_lossy(rec.bytes).into_owned(), rec.truncated));
                    Ok(())
                })
                .map_err(|_| ())
                .unwrap();
                assert_eq!(got, whole, "capacity {cap}: {text:?}");
            }
        }
    }

    #[test]
    fn truncated_and_stray_text_are_handed_over() {
        let lines = "{\"a\": 1}\n{\"a\": \"cut\n{\"a\": {\"b\": 2}\n{\"a\": 3}\n";
        let got = records(lines);
        assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        assert_eq!(got[3].1, "{\"a\": 3}");
        let cut = "[{\"a\": 1}, {\"a\": ";
        assert_eq!(records(cut), vec![(1, "{\"a\": 1}".into(), false), (1, "{\"a\": ".into(), true)]);
        let half_bom = [&[0xEF, 0xBB][..], b"{\"a\": 1}"].concat();
        let mut got = Vec::new();
        split::<()>(&mut half_bom.as_slice(), 1 << 20, &mut |r| {
            got.push((r.line, r.bytes.to_vec()));
            Ok(())
        })
        .map_err(|_| ())
        .unwrap();
        assert_eq!(got, vec![(1, vec![0xEF, 0xBB]), (1, b"{\"a\": 1}".to_vec())]);
        let stray = "{\"a\": 1}\ngarbage\n{\"a\": 2}";
        let got = records(stray);
        assert_eq!(got.len(), 3);
        assert_eq!((got[1].0, got[1].1.trim()), (2, "garbage"));
    }
}
