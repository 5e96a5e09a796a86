//! Newline-delimited JSON framing (`application/x-ndjson`), as Ollama streams its answers:
//! one JSON object a line. The framer buffers a stream's bytes and yields whole lines,
//! bounded: a line longer than `max` is an error, never an ever-growing buffer. Each byte is
//! looked at once when searching for line ends.

/// A line longer than the framer's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong;

/// Buffers a stream's bytes and yields its non-blank lines in order (a trailing `\r` cut).
#[derive(Debug)]
pub struct LineFramer {
    buf: Vec<u8>,
    /// Start of the first line not yielded yet.
    start: usize,
    /// Bytes of `buf` already searched for a line end.
    scanned: usize,
    max: usize,
}

impl LineFramer {
    /// A framer refusing any line longer than `max` bytes.
    pub fn new(max: usize) -> Self {
        LineFramer {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            max,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && (self.start == self.buf.len() || self.start > self.buf.len() / 2) {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole non-blank line, `Ok(None)` until one is buffered.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, LineTooLong> {
        loop {
            let Some(at) = memchr::memchr(b'\n', &self.buf[self.scanned..]) else {
                self.scanned = self.buf.len();
                if self.buf.len() - self.start > self.max {
                    return Err(LineTooLong);
                }
                return Ok(None);
            };
            let end = self.scanned + at;
            let line = self.start..end;
            self.start = end + 1;
            self.scanned = end + 1;
            if line.len() > self.max {
                return Err(LineTooLong);
            }
            let text = trim_line(&self.buf[line.clone()]);
            if !text.is_empty() {
                let (from, to) = (line.start, line.start + text.len());
                return Ok(Some(&self.buf[from..to]));
            }
        }
    }

    /// The stream ended: what is left, if it is a line without its newline.
    pub fn finish(&mut self) -> Option<&[u8]> {
        let rest = self.start..self.buf.len();
        self.start = self.buf.len();
        self.scanned = self.buf.len();
        let text = trim_line(&self.buf[rest.clone()]);
        (!text.is_empty()).then(|| &self.buf[rest.start..rest.start + text.len()])
    }

    /// Bytes buffered that do not make a whole line yet.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }
}

/// A line without its trailing `\r` and whitespace; blank lines come out empty. Leading
/// whitespace stays (the JSON reader skips it), so the result starts where the line does.
fn trim_line(line: &[u8]) -> &[u8] {
    if line.iter().all(u8::is_ascii_whitespace) {
        return &[];
    }
    line.trim_ascii_end()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lines(f: &mut LineFramer) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(l) = f.next_line().unwrap() {
            out.push(l.to_vec());
        }
        out
    }

    #[test]
    fn lines_across_pieces_blank_lines_and_crlf() {
        let mut f = LineFramer::new(64);
        f.push(b"{\"a\":1}\n{\"b\"");
        assert_eq!(lines(&mut f), vec![b"{\"a\":1}".to_vec()]);
        f.push(b":2}\r\n\n  \n{\"c\":3}");
        assert_eq!(lines(&mut f), vec![b"{\"b\":2}".to_vec()]);
        assert_eq!(f.pending(), 7);
        assert_eq!(f.finish(), Some(&b"{\"c\":3}"[..]));
        assert_eq!(f.finish(), None);
    }

    #[test]
    fn a_line_over_the_limit_is_refused_whole_or_in_pieces() {
        let mut f = LineFramer::new(8);
        f.push(b"0123456789");
        assert_eq!(f.next_line(), Err(LineTooLong));
        let mut f = LineFramer::new(8);
        f.push(b"012345678\n");
        assert_eq!(f.next_line(), Err(LineTooLong));
        let mut f = LineFramer::new(8);
        f.push(b"01234567\n");
        assert_eq!(f.next_line().unwrap(), Some(&b"01234567"[..]));
    }

    #[test]
    fn the_buffer_does_not_keep_yielded_lines() {
        let mut f = LineFramer::new(64);
        for _ in 0..1000 {
            f.push(b"{\"x\":\"yyyyyyyy\"}\n");
            assert_eq!(lines(&mut f).len(), 1);
        }
        assert!(f.buf.capacity() < 1024, "{}", f.buf.capacity());
    }
}
