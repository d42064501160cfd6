//! Line-by-line reading for the line-oriented formats, with 1-based line numbers, CRLF
//! tolerated and invalid UTF-8 handed over as bytes for the caller to reject.
use std::io::BufRead;

use crate::error::{Error, IngestError};

/// Calls `each(line_no, text)` for every line; `text` is `Err(bytes)` when it is not UTF-8.
pub fn for_each_line(
    input: &mut dyn BufRead,
    path: &str,
    mut each: impl FnMut(u64, Result<&str, &[u8]>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut buf = Vec::with_capacity(1024);
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(|e| IngestError::Read { path: path.into(), source: e })?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let mut end = buf.len();
        while end > 0 && (buf[end - 1] == b'\n' || buf[end - 1] == b'\r') {
            end -= 1;
        }
        let mut bytes = &buf[..end];
        if line_no == 1 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            bytes = &bytes[3..];
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => each(line_no, Ok(text))?,
            Err(_) => each(line_no, Err(bytes))?,
        }
    }
}
