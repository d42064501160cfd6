//! Splits a JSON input into records without reading it whole: a top-level array of
//! objects, a Graph page `{"value": [...], "@odata.nextLink": ...}` or a Google Reports
//! API page `{"items": [...], "nextPageToken": ...}`, one object, or one object per line. Each record comes with the line it starts on, for evidence (CTL-5).
use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::mpsc;

use crate::ingest::IngestError;
use crate::ingest::record::{Batcher, SigninBatcher, SigninRecord};
use crate::ingest::sink::{Rejection, Sink};

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
    // Whether the last string closed at depth 1 of a top-level object was `value` or
    // `items` (a page's key). Only strings at that depth are collected, and only their
    // first `KEY_ROOM` bytes: copying every key of every record cost a tenth of the split.
    let mut page_key = false;
    let mut key_buf: Vec<u8> = Vec::new();
    let page_keys = [memchr::memmem::Finder::new(b"\"value\""), memchr::memmem::Finder::new(b"\"items\"")];
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
            // Depth does not change inside a string: a string's first bytes are kept when it
            // opened at depth 1 of a top-level object (where a page's key stands).
            let key_tracked = mode == Mode::Objects && depth == 1;
            if in_string && !escaped {
                // Most bytes are inside strings: jump to the next byte that matters.
                let rest = &buf[i..n];
                let skip = memchr::memchr3(b'"', b'\\', b'\n', rest).unwrap_or(rest.len());
                if skip > 0 {
                    if key_tracked {
                        let room = KEY_ROOM.saturating_sub(key_buf.len());
                        key_buf.extend_from_slice(&rest[..skip.min(room)]);
                    }
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
                    if key_tracked {
                        page_key = key_buf == b"value" || key_buf == b"items";
                    }
                } else if key_tracked && key_buf.len() < KEY_ROOM {
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
                        let bytes = bytes.trim_ascii_end();
                        each(JsonRecord { line: rec_line, bytes, truncated: false, oversized })
                            .map_err(SplitError::Sink)?;
                        carry.clear();
                        over = false;
                    }
                }
                continue;
            }
            if b == b'\n' && in_record && one_per_line && rec_depth == 0 {
                // One object per line: the record is the line. A line that did not close
                // its object is broken; one with more after its object is not one object.
                line += 1;
                in_record = false;
                depth = 0;
                let (bytes, oversized) = record(&mut carry, &buf[rec_from..i], max, over);
                let bytes = bytes.trim_ascii_end();
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
                    if in_record && mode == Mode::Objects && b == b'[' && depth == 1 && rec_depth == 0 && page_key {
                        in_record = false;
                        carry.clear();
                        page_depth = Some(2);
                    } else if record_starts
                        && one_per_line
                        && depth == 0
                        && let Some((text_len, line_len)) = whole_line(&buf[i - 1..n], &page_keys)
                    {
                        // One object per line, and this line holds one whole object: it
                        // is handed over as it stands, found by one search for the line's
                        // end instead of walking its bytes. A line that may hold a page
                        // (it names `"value"` or `"items"`) takes the walk below.
                        flush_stray(&mut stray, stray_line, each)?;
                        let bytes = &buf[i - 1..i - 1 + text_len.min(max)];
                        each(JsonRecord { line, bytes, truncated: false, oversized: text_len > max })
                            .map_err(SplitError::Sink)?;
                        line += 1;
                        i += line_len - 1;
                        continue;
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
                    // Once the input is one object per line, a record ends with its line
                    // (above), so that a line is one record however the buffer falls.
                    let line_record = one_per_line && mode == Mode::Objects && rec_depth == 0;
                    if in_record && depth == rec_depth && !line_record {
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
        // The last line of one object per line needs no newline after it.
        let whole_line = one_per_line && rec_depth == 0 && depth == 0 && !in_string;
        let bytes = if whole_line { carry.trim_ascii_end() } else { &carry[..] };
        each(JsonRecord { line: rec_line, bytes, truncated: !whole_line, oversized: over })
            .map_err(SplitError::Sink)?;
    }
    Ok(())
}

/// The first `KEY_ROOM` bytes of a key are enough to tell `value` and `items` apart.
const KEY_ROOM: usize = 6;

/// When `rest` (starting at a line's opening `{`) holds the whole line in this buffer and
/// names no page key: the record's length (without trailing blanks) and the length
/// through the newline.
fn whole_line(rest: &[u8], page_keys: &[memchr::memmem::Finder<'_>; 2]) -> Option<(usize, usize)> {
    let nl = memchr::memchr(b'\n', rest)?;
    let text = rest[..nl].trim_ascii_end();
    if page_keys.iter().any(|f| f.find(text).is_some()) {
        return None;
    }
    Some((text.len(), nl + 1))
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

/// What a sign-in reader makes of one record: its rows (none: a valid record that is no
/// sign-in, counted as skipped), or why it is rejected.
pub type SigninRows = Result<Vec<SigninRecord>, Rejection>;

/// Records go to the parse threads in chunks of about this many bytes (or
/// [`CHUNK_RECORDS`] records), so that handing one over costs little beside parsing it.
const CHUNK_BYTES: usize = 1 << 20;
const CHUNK_RECORDS: usize = 4096;
/// Chunks handed over and not yet in the sink, per parse thread: what bounds memory.
const IN_FLIGHT_PER_THREAD: usize = 3;
/// The most parse threads a file gets.
const MAX_THREADS: usize = 8;

/// How a record came out of the split.
#[derive(Clone, Copy)]
enum Kind {
    Whole,
    TooLong,
    Truncated,
}

/// Records copied out of the read buffer, in file order.
struct Chunk {
    seq: usize,
    bytes: Vec<u8>,
    /// Line, end offset in `bytes` (each starts where the one before ends), kind.
    recs: Vec<(u64, usize, Kind)>,
}

impl Chunk {
    fn new(seq: usize) -> Chunk {
        Chunk { seq, bytes: Vec::with_capacity(CHUNK_BYTES + (64 << 10)), recs: Vec::with_capacity(1024) }
    }

    fn push(&mut self, rec: &JsonRecord<'_>) {
        let kind = if rec.oversized {
            Kind::TooLong
        } else if rec.truncated {
            Kind::Truncated
        } else {
            Kind::Whole
        };
        // An over-long record is kept as the sink keeps it: its first 4 KiB.
        let bytes = if rec.oversized { &rec.bytes[..rec.bytes.len().min(4096)] } else { rec.bytes };
        self.bytes.extend_from_slice(bytes);
        self.recs.push((rec.line, self.bytes.len(), kind));
    }

    fn full(&self) -> bool {
        self.bytes.len() >= CHUNK_BYTES || self.recs.len() >= CHUNK_RECORDS
    }

    /// Each record's line, text and kind.
    fn records(&self) -> impl Iterator<Item = (u64, &[u8], Kind)> {
        let mut from = 0;
        self.recs.iter().map(move |&(line, to, kind)| {
            let text = &self.bytes[from..to];
            from = to;
            (line, text, kind)
        })
    }
}

/// Reads sign-in JSON on every core: this thread splits the input into records (one pass,
/// cheap beside parsing) and hands them in chunks to parse threads; their rows come back
/// and go into `sink` in file order, so the store, the rejected rows and the counts are
/// those of a reading on one thread, row for row.
///
/// `first` sees records in order until it returns true (the format check of the first
/// record that parses); an error from it stops the reading. `parse` turns one record
/// into rows, on any of the threads.
pub fn read_signins_parallel(
    input: &mut dyn BufRead,
    sink: &mut Sink<SigninBatcher>,
    mut first: impl FnMut(&[u8]) -> Result<bool, IngestError>,
    parse: &(dyn Fn(&[u8]) -> SigninRows + Sync),
) -> Result<(), IngestError> {
    let path = sink.provenance().file.to_string();
    let max = sink.max_record();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_THREADS);
    let limit = threads * IN_FLIGHT_PER_THREAD;
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(Chunk, Vec<SigninRows>)>();
        let mut jobs = Vec::with_capacity(threads);
        for t in 0..threads {
            let (tx, rx) = mpsc::sync_channel::<Chunk>(IN_FLIGHT_PER_THREAD);
            let done = done_tx.clone();
            let spawned = std::thread::Builder::new().name(format!("parse-{t}")).spawn_scoped(scope, move || {
                for chunk in rx {
                    let rows = chunk
                        .records()
                        .map(|(_, text, kind)| match kind {
                            Kind::Whole => parse(text),
                            // Answered by the merge: these need no parse.
                            Kind::TooLong | Kind::Truncated => Ok(Vec::new()),
                        })
                        .collect();
                    if done.send((chunk, rows)).is_err() {
                        break;
                    }
                }
            });
            if spawned.is_ok() {
                jobs.push(tx);
            }
        }
        drop(done_tx);
        if jobs.is_empty() {
            return Err(IngestError::Bug("no parse thread could be started".into()));
        }
        let mut merge = Merge { next: 0, sent: 0, waiting: BTreeMap::new(), spare: Vec::new() };
        let mut chunk = Chunk::new(0);
        let mut checked = false;
        let split_result = split(input, max, &mut |rec| -> Result<(), IngestError> {
            if !checked && !rec.oversized && !rec.truncated {
                checked = first(rec.bytes)?;
            }
            chunk.push(&rec);
            if chunk.full() {
                let next = merge.fresh(chunk.seq + 1);
                let full = std::mem::replace(&mut chunk, next);
                merge.send(full, &jobs, &done_rx, sink, limit)?;
            }
            Ok(())
        });
        let result = match split_result {
            Ok(()) => merge.send(chunk, &jobs, &done_rx, sink, limit).and_then(|()| {
                // Every chunk is handed over: wait for the last ones.
                while merge.next < merge.sent {
                    merge.receive(&done_rx, sink)?;
                }
                Ok(())
            }),
            Err(SplitError::Read(e)) => Err(IngestError::Read { path: path.into(), source: e }),
            Err(SplitError::Sink(e)) => Err(e),
        };
        // The parse threads end when their queues close.
        drop(jobs);
        result
    })
}

/// Puts the parse threads' chunks back in file order.
struct Merge {
    /// The next chunk for the sink.
    next: usize,
    /// Chunks handed over so far.
    sent: usize,
    waiting: BTreeMap<usize, (Chunk, Vec<SigninRows>)>,
    /// Chunks whose records are in the sink, kept for reuse: a fresh megabyte per chunk
    /// cost the kernel's page clearing a sixth of this thread's time.
    spare: Vec<Chunk>,
}

impl Merge {
    /// An empty chunk numbered `seq`, reusing a spare one's memory.
    fn fresh(&mut self, seq: usize) -> Chunk {
        match self.spare.pop() {
            Some(mut c) => {
                c.seq = seq;
                c.bytes.clear();
                c.recs.clear();
                c
            }
            None => Chunk::new(seq),
        }
    }

    /// Hands `chunk` to its thread (round robin), first making room under `limit`.
    fn send(
        &mut self,
        chunk: Chunk,
        jobs: &[mpsc::SyncSender<Chunk>],
        done: &mpsc::Receiver<(Chunk, Vec<SigninRows>)>,
        sink: &mut Sink<SigninBatcher>,
        limit: usize,
    ) -> Result<(), IngestError> {
        if chunk.recs.is_empty() {
            return Ok(());
        }
        while self.sent - self.next >= limit {
            self.receive(done, sink)?;
        }
        let to = &jobs[chunk.seq % jobs.len()];
        to.send(chunk).map_err(|_| IngestError::Bug("a parse thread stopped".into()))?;
        self.sent += 1;
        // Take in whatever is ready, without waiting.
        while let Ok((c, rows)) = done.try_recv() {
            self.waiting.insert(c.seq, (c, rows));
        }
        self.apply(sink)
    }

    /// Waits for one chunk and applies what is in order.
    fn receive(
        &mut self,
        done: &mpsc::Receiver<(Chunk, Vec<SigninRows>)>,
        sink: &mut Sink<SigninBatcher>,
    ) -> Result<(), IngestError> {
        let (c, rows) = done.recv().map_err(|_| IngestError::Bug("a parse thread stopped".into()))?;
        self.waiting.insert(c.seq, (c, rows));
        self.apply(sink)
    }

    fn apply(&mut self, sink: &mut Sink<SigninBatcher>) -> Result<(), IngestError> {
        while let Some((chunk, rows)) = self.waiting.remove(&self.next) {
            for ((line, text, kind), rows) in chunk.records().zip(rows) {
                match kind {
                    Kind::Whole => sink.take(line, text, rows)?,
                    Kind::TooLong => sink.reject_too_long(line, text)?,
                    Kind::Truncated => sink.reject(line, "truncated record at end of file", text, None)?,
                }
            }
            if self.spare.len() < IN_FLIGHT_PER_THREAD * MAX_THREADS {
                self.spare.push(chunk);
            }
            self.next += 1;
        }
        Ok(())
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
            // Lines after the first: two objects on one line are one (bad) record, a page
            // line is still split, the last line needs no newline.
            "{\"a\": 1}\n{\"a\": 2}{\"b\": 3}\n{\"a\": 4} tail\n{\"value\": [{\"id\": 5}, {\"id\": 6}]}\n{\"a\": 7}",
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
    fn one_object_per_line_is_one_record_per_line() {
        let text = "{\"a\": 1}\n{\"a\": 2}{\"b\": 3}\r\n{\"value\": [{\"id\": 5}]}\n{\"a\": 7}";
        assert_eq!(
            records(text),
            vec![
                (1, "{\"a\": 1}".into(), false),
                (2, "{\"a\": 2}{\"b\": 3}".into(), false),
                (3, "{\"id\": 5}".into(), false),
                (4, "{\"a\": 7}".into(), false),
            ]
        );
        // An over-long line is cut at the limit and says so.
        let long = format!("{{\"a\": 1}}\n{{\"b\": \"{}\"}}\n", "x".repeat(100));
        let mut got = Vec::new();
        split::<()>(&mut long.as_bytes(), 50, &mut |r| {
            got.push((r.line, r.bytes.len(), r.oversized));
            Ok(())
        })
        .map_err(|_| ())
        .unwrap();
        assert_eq!(got, vec![(1, 8, false), (2, 50, true)]);
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
