//! Line-by-line reading for the line-oriented formats, with 1-based line numbers, CRLF
//! tolerated and invalid UTF-8 handed over as bytes for the caller to reject.
use std::io::BufRead;

use crate::error::{Error, IngestError};
use crate::ingest::record::{WebBatcher, WebRecord};
use crate::ingest::sink::Sink;

/// Calls `each(line_no, text)` for every line; `text` is `Err(bytes)` when it is not UTF-8.
/// Lines are handed over in place from the reader's buffer; only a line that straddles
/// two buffer fills is copied.
pub fn for_each_line(
    input: &mut dyn BufRead,
    path: &str,
    mut each: impl FnMut(u64, Result<&str, &[u8]>) -> Result<(), Error>,
) -> Result<(), Error> {
    let read_err = |e| Error::from(IngestError::Read { path: path.into(), source: e });
    let mut carry: Vec<u8> = Vec::new();
    let mut line_no = 0u64;
    let mut emit = |line_no: u64, raw: &[u8]| -> Result<(), Error> {
        let mut end = raw.len();
        while end > 0 && (raw[end - 1] == b'\n' || raw[end - 1] == b'\r') {
            end -= 1;
        }
        let mut bytes = &raw[..end];
        if line_no == 1 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            bytes = &bytes[3..];
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => each(line_no, Ok(text)),
            Err(_) => each(line_no, Err(bytes)),
        }
    };
    loop {
        let buf = input.fill_buf().map_err(read_err)?;
        if buf.is_empty() {
            if !carry.is_empty() {
                line_no += 1;
                emit(line_no, &carry)?;
            }
            return Ok(());
        }
        let n = buf.len();
        let mut start = 0;
        while let Some(pos) = memchr::memchr(b'\n', &buf[start..]) {
            let end = start + pos + 1;
            line_no += 1;
            if carry.is_empty() {
                emit(line_no, &buf[start..end])?;
            } else {
                carry.extend_from_slice(&buf[start..end]);
                emit(line_no, &carry)?;
                carry.clear();
            }
            start = end;
        }
        carry.extend_from_slice(&buf[start..]);
        input.consume(n);
    }
}

/// Reads a one-record-per-line web log: `parse` maps a line to a record or a rejection
/// reason; blank lines are skipped, bad ones kept as rejected rows, dated by the time
/// `time_of` can still read from them (RET-1: a bad line is kept no longer than a good one).
pub fn read_web(
    input: &mut dyn BufRead,
    sink: &mut Sink<WebBatcher>,
    parse: for<'a> fn(&'a str) -> Result<WebRecord<'a>, &'static str>,
    time_of: fn(&str) -> Option<i64>,
) -> Result<(), Error> {
    let path = sink.provenance().file.to_string();
    for_each_line(input, &path, |n, line| {
        match line {
            Err(bytes) => sink.reject(n, "not valid UTF-8", bytes, None)?,
            Ok(text) if text.trim().is_empty() => sink.skip(),
            Ok(text) => match parse(text) {
                Ok(rec) => sink.accept(&rec, n)?,
                Err(reason) => sink.reject(n, reason, text.as_bytes(), time_of(text))?,
            },
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_across_buffer_fills_and_without_a_final_newline_arrive_whole() {
        let text = "\u{feff}first\r\nsecond line that is long\nthird";
        for cap in [1, 2, 5, 64] {
            let mut r = std::io::BufReader::with_capacity(cap, text.as_bytes());
            let mut got = Vec::new();
            for_each_line(&mut r, "x", |n, l| {
                got.push((n, l.unwrap().to_string()));
                Ok(())
            })
            .unwrap();
            assert_eq!(
                got,
                [(1, "first".into()), (2, "second line that is long".into()), (3, "third".into())],
                "capacity {cap}"
            );
        }
    }
}
