//! A line reader with a hard cap on line length: a corrupt or hostile file with one 10 MB line
//! must fail after reading at most the cap, not after buffering (or OOMing on) the whole line.

use crate::IngestError;
use std::io::{BufRead, ErrorKind};
use std::path::{Path, PathBuf};

/// The longest line accepted in a text product, bytes. Real rows are < 200 bytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;

pub(crate) struct LineReader<R> {
    inner: R,
    path: PathBuf,
    buf: Vec<u8>,
    line_no: usize,
    eof: bool,
}

/// One physical line: its 1-based number and its text, or `None` when it is not UTF-8.
pub(crate) struct Line<'a> {
    pub no: usize,
    pub text: Option<&'a str>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, path: &Path) -> Self {
        Self {
            inner,
            path: path.to_path_buf(),
            buf: Vec::new(),
            line_no: 0,
            eof: false,
        }
    }

    /// The next line without its `\n` / `\r\n`; a UTF-8 BOM on line 1 is dropped.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, IngestError> {
        self.buf.clear();
        if self.eof {
            return Ok(None);
        }
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(IngestError::Io {
                        path: self.path.clone(),
                        source,
                    })
                }
            };
            if avail.is_empty() {
                self.eof = true;
                if self.buf.is_empty() {
                    return Ok(None);
                }
                break;
            }
            let (take, found) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            if self.buf.len() + take > MAX_LINE_BYTES {
                return Err(IngestError::LineTooLong {
                    line: self.line_no + 1,
                    limit: MAX_LINE_BYTES,
                });
            }
            self.buf.extend_from_slice(&avail[..take]);
            self.inner.consume(if found { take + 1 } else { take });
            if found {
                break;
            }
        }
        self.line_no += 1;
        let mut bytes = &self.buf[..];
        if let Some(b) = bytes.strip_suffix(b"\r") {
            bytes = b;
        }
        if self.line_no == 1 {
            if let Some(b) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
                bytes = b;
            }
        }
        Ok(Some(Line {
            no: self.line_no,
            text: std::str::from_utf8(bytes).ok(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(bytes: &[u8]) -> Result<Vec<(usize, Option<String>)>, IngestError> {
        let mut r = LineReader::new(bytes, Path::new("x"));
        let mut out = Vec::new();
        while let Some(l) = r.next_line()? {
            out.push((l.no, l.text.map(str::to_owned)));
        }
        Ok(out)
    }

    #[test]
    fn splits_lf_crlf_and_a_last_line_without_newline() {
        let got = collect(b"\xEF\xBB\xBFa,b\r\n\nc\n\xFFd").unwrap();
        assert_eq!(
            got,
            vec![
                (1, Some("a,b".into())),
                (2, Some(String::new())),
                (3, Some("c".into())),
                (4, None)
            ]
        );
        assert!(collect(b"").unwrap().is_empty());
        assert_eq!(collect(b"x\n").unwrap().len(), 1);
    }

    #[test]
    fn refuses_a_line_over_the_cap() {
        let mut data = b"ok\n".to_vec();
        data.extend(vec![b'7'; MAX_LINE_BYTES + 1]);
        let err = collect(&data).unwrap_err();
        assert!(
            matches!(err, IngestError::LineTooLong { line: 2, .. }),
            "{err}"
        );
        // Exactly at the cap is still a line.
        let data = vec![b'7'; MAX_LINE_BYTES];
        assert_eq!(collect(&data).unwrap().len(), 1);
    }
}
