//! Line-by-line reading for the line-oriented formats, with 1-based line numbers, CRLF
//! tolerated and invalid UTF-8 handed over as bytes for the caller to reject.
use std::io::BufRead;

use crate::ingest::IngestError;
use crate::ingest::record::{WebBatcher, WebRecord};
use crate::ingest::sink::Sink;

/// One line as a reader sees it.
pub enum Line<'a> {
    /// Valid UTF-8, without its line end.
    Text(&'a str),
    /// Not UTF-8: the bytes.
    NotUtf8(&'a [u8]),
    /// Longer than the limit: its first bytes (the rest was read past, never kept).
    TooLong(&'a [u8]),
}

/// Reads one line (through `\n`, or to the end of the input) into `buf`, keeping at most
/// `max` bytes of it; the rest of a longer line is read past. Returns the bytes read
/// (0 at the end) and whether the line was longer than `max`. Memory stays at `max`
/// whatever the input (a file of zeros without a newline, a 1.5 GB line).
pub fn read_line_capped(input: &mut dyn BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<(usize, bool)> {
    let mut read = 0usize;
    let mut over = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok((read, over));
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        if take > room {
            over = true;
        }
        buf.extend_from_slice(&chunk[..take.min(room)]);
        input.consume(take);
        read += take;
        if done {
            return Ok((read, over));
        }
    }
}

/// Calls `each(line_no, line)` for every line. Lines are handed over in place from the
/// reader's buffer; only a line that straddles two buffer fills is copied, and of a line
/// longer than `max` bytes only the first `max` are kept.
pub fn for_each_line(
    input: &mut dyn BufRead,
    path: &str,
    max: usize,
    mut each: impl FnMut(u64, Line<'_>) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let read_err = |e| IngestError::Read { path: path.into(), source: e };
    let mut carry: Vec<u8> = Vec::new();
    let mut over = false;
    let mut line_no = 0u64;
    let mut emit = |line_no: u64, raw: &[u8], over: bool| -> Result<(), IngestError> {
        if over || raw.len() > max {
            return each(line_no, Line::TooLong(&raw[..raw.len().min(max)]));
        }
        let mut end = raw.len();
        while end > 0 && (raw[end - 1] == b'\n' || raw[end - 1] == b'\r') {
            end -= 1;
        }
        let mut bytes = &raw[..end];
        if line_no == 1 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            bytes = &bytes[3..];
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => each(line_no, Line::Text(text)),
            Err(_) => each(line_no, Line::NotUtf8(bytes)),
        }
    };
    // Appends to the carried start of a line, never past `max` bytes.
    let keep = |carry: &mut Vec<u8>, over: &mut bool, part: &[u8]| {
        let room = max.saturating_sub(carry.len());
        if part.len() > room {
            *over = true;
        }
        carry.extend_from_slice(&part[..part.len().min(room)]);
    };
    loop {
        let buf = input.fill_buf().map_err(read_err)?;
        if buf.is_empty() {
            if !carry.is_empty() || over {
                line_no += 1;
                emit(line_no, &carry, over)?;
            }
            return Ok(());
        }
        let n = buf.len();
        let mut start = 0;
        while let Some(pos) = memchr::memchr(b'\n', &buf[start..]) {
            let end = start + pos + 1;
            line_no += 1;
            if carry.is_empty() && !over {
                emit(line_no, &buf[start..end], false)?;
            } else {
                keep(&mut carry, &mut over, &buf[start..end]);
                emit(line_no, &carry, over)?;
                carry.clear();
                over = false;
            }
            start = end;
        }
        keep(&mut carry, &mut over, &buf[start..]);
        input.consume(n);
    }
}

/// Reads a one-record-per-line web log: `parse` maps a line to a record or a rejection
/// reason; blank lines are skipped, bad ones kept as rejected rows, dated by the time
/// `time_of` can still read from them (RET-1: a bad line is kept no longer than a good one).
pub fn read_web(
    input: &mut dyn BufRead,
    sink: &mut Sink<WebBatcher>,
    parse: for<'a> fn(&'a str) -> Result<Option<WebRecord<'a>>, &'static str>,
    time_of: fn(&str) -> Option<i64>,
) -> Result<(), IngestError> {
    let path = sink.provenance().file.to_string();
    let max = sink.max_record();
    for_each_line(input, &path, max, |n, line| {
        match line {
            Line::TooLong(first) => sink.reject_too_long(n, first)?,
            Line::NotUtf8(bytes) => sink.reject(n, "not valid UTF-8", bytes, None)?,
            Line::Text(text) if text.trim().is_empty() => sink.skip(),
            Line::Text(text) => match parse(text) {
                Ok(Some(rec)) => sink.accept(&rec, n)?,
                // A valid line that is no web request (a firewall's DNS session, an admin event).
                Ok(None) => sink.skip(),
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
    fn a_line_over_the_limit_is_cut_at_the_limit_and_the_next_line_arrives_whole() {
        let long = "x".repeat(10_000);
        let text = format!("short\n{long}\nafter\n{long}");
        for cap in [7, 64, 4096] {
            let mut r = std::io::BufReader::with_capacity(cap, text.as_bytes());
            let mut got = Vec::new();
            for_each_line(&mut r, "x", 100, |n, l| {
                got.push(match l {
                    Line::Text(t) => (n, format!("text {t}")),
                    Line::TooLong(b) => (n, format!("long {}", b.len())),
                    Line::NotUtf8(_) => (n, "bytes".into()),
                });
                Ok(())
            })
            .unwrap();
            let want = [
                (1, "text short".to_string()),
                (2, "long 100".into()),
                (3, "text after".into()),
                (4, "long 100".into()),
            ];
            assert_eq!(got, want, "capacity {cap}");
        }
        let mut r = std::io::BufReader::with_capacity(16, text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(read_line_capped(&mut r, &mut buf, 100).unwrap(), (6, false));
        buf.clear();
        assert_eq!(read_line_capped(&mut r, &mut buf, 100).unwrap(), (10_001, true));
        assert_eq!(buf.len(), 100);
    }

    #[test]
    fn lines_across_buffer_fills_and_without_a_final_newline_arrive_whole() {
        let text = "\u{feff}first\r\nsecond line that is long\nthird";
        for cap in [1, 2, 5, 64] {
            let mut r = std::io::BufReader::with_capacity(cap, text.as_bytes());
            let mut got = Vec::new();
            for_each_line(&mut r, "x", 1024, |n, l| {
                let Line::Text(t) = l else { panic!("line {n} is not text") };
                got.push((n, t.to_string()));
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
