//! Server-sent events: framing a byte stream into events, and reading an event's fields.

mod fields;

pub use fields::{event_name, single_data};

use crate::Error;

/// Splits a server-sent-events stream into events at blank lines (`\n\n`, `\r\n\r\n`, and the
/// mixed `\r\n\n` / `\n\r\n`).
///
/// Owns one growable buffer; consumed events are compacted away on the next [`push`], so the
/// buffer holds at most one partial event plus what the caller pushed in one go. Lines end in
/// LF or CRLF; a lone CR is kept as event content (no provider we relay sends CR-only lines).
///
/// [`push`]: SseFramer::push
#[derive(Debug)]
pub struct SseFramer {
    buf: Vec<u8>,
    /// First byte of the event being assembled; everything before it was handed out.
    start: usize,
    /// No blank line ends before this offset: resumes the search without rescanning.
    scan: usize,
    max_event_bytes: usize,
}

/// Where a search for the blank line ending an event stopped.
enum Search {
    /// The event ends at `event_end`; the next event starts at `next`.
    Found { event_end: usize, next: usize },
    /// No blank line yet; search again from `resume` once more bytes arrive.
    Incomplete { resume: usize },
}

impl SseFramer {
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            scan: 0,
            max_event_bytes,
        }
    }

    /// Appends stream bytes, first dropping events already handed out.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            // Only the partial event moves, and each event's bytes move at most once.
            self.buf.copy_within(self.start.., 0);
            self.buf.truncate(self.buf.len() - self.start);
            self.scan -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Next complete event WITHOUT its terminating blank line, or `Ok(None)` when more bytes
    /// are needed. `Err(Error::EventTooLarge)` when the incomplete buffered event exceeds
    /// `max_event_bytes`.
    pub fn next_event(&mut self) -> Result<Option<&[u8]>, Error> {
        self.skip_blank_lines();
        self.scan = self.scan.max(self.start);
        match self.search() {
            Search::Found { event_end, next } => {
                let event = self.start..event_end;
                self.start = next;
                self.scan = next;
                Ok(Some(&self.buf[event]))
            }
            Search::Incomplete { resume } => {
                self.scan = resume;
                if self.buffered() > self.max_event_bytes {
                    return Err(Error::EventTooLarge);
                }
                Ok(None)
            }
        }
    }

    /// At end of stream: the unterminated remainder (trailing line ends trimmed), if any
    /// non-whitespace bytes are left. The framer is empty afterwards.
    pub fn finish(&mut self) -> Option<&[u8]> {
        self.skip_blank_lines();
        let mut rest = self.start..self.buf.len();
        self.start = self.buf.len();
        self.scan = self.buf.len();
        while rest.end > rest.start && matches!(self.buf[rest.end - 1], b'\r' | b'\n') {
            rest.end -= 1;
        }
        let rest = &self.buf[rest];
        rest.iter()
            .any(|b| !b.is_ascii_whitespace())
            .then_some(rest)
    }

    /// Bytes held that have not been handed out as events.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Blank lines before an event's first field dispatch nothing (WHATWG HTML §9.2.6).
    fn skip_blank_lines(&mut self) {
        loop {
            match self.buf[self.start..] {
                [b'\n', ..] => self.start += 1,
                [b'\r', b'\n', ..] => self.start += 2,
                _ => return,
            }
        }
    }

    fn search(&self) -> Search {
        let buf = &self.buf;
        for lf in memchr::memchr_iter(b'\n', &buf[self.scan..]).map(|i| i + self.scan) {
            let next = match (buf.get(lf + 1), buf.get(lf + 2)) {
                (Some(b'\n'), _) => lf + 2,
                (Some(b'\r'), Some(b'\n')) => lf + 3,
                // The blank line may still be arriving: look at this LF again next time.
                (None, _) | (Some(b'\r'), None) => return Search::Incomplete { resume: lf },
                _ => continue,
            };
            let event_end = if lf > self.start && buf[lf - 1] == b'\r' {
                lf - 1
            } else {
                lf
            };
            return Search::Found { event_end, next };
        }
        Search::Incomplete { resume: buf.len() }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Every event the framer yields for `pieces`, then what `finish` returns.
    fn frame(pieces: &[&[u8]], max: usize) -> (Vec<Vec<u8>>, Option<Vec<u8>>) {
        let mut framer = SseFramer::new(max);
        let mut events = Vec::new();
        for p in pieces {
            framer.push(p);
            while let Some(ev) = framer.next_event().unwrap() {
                events.push(ev.to_vec());
            }
        }
        let rest = framer.finish().map(<[u8]>::to_vec);
        (events, rest)
    }

    const STREAM: &[u8] = b"data: {\"a\":1}\n\n\
data: {\"b\":2}\r\n\r\n\
event: x\r\ndata: y\r\n\n\
data: z\n\r\n\
: comment\n\ndata: [DONE]\n\n";

    fn expected() -> Vec<Vec<u8>> {
        [
            &b"data: {\"a\":1}"[..],
            b"data: {\"b\":2}",
            b"event: x\r\ndata: y",
            b"data: z",
            b": comment",
            b"data: [DONE]",
        ]
        .iter()
        .map(|e| e.to_vec())
        .collect()
    }

    #[test]
    fn all_terminator_forms() {
        let (events, rest) = frame(&[STREAM], 1024);
        assert_eq!(events, expected());
        assert_eq!(rest, None);
    }

    #[test]
    fn every_split_point() {
        for split in 0..=STREAM.len() {
            let (a, b) = STREAM.split_at(split);
            let (events, rest) = frame(&[a, b], 1024);
            assert_eq!(events, expected(), "split {split}");
            assert_eq!(rest, None);
        }
    }

    #[test]
    fn byte_by_byte() {
        let pieces: Vec<&[u8]> = STREAM.chunks(1).collect();
        assert_eq!(frame(&pieces, 1024).0, expected());
    }

    #[test]
    fn leading_blank_lines_dispatch_nothing() {
        let (events, _) = frame(&[b"\n\r\n\ndata: a\n\n\n\n"], 64);
        assert_eq!(events, vec![b"data: a".to_vec()]);
    }

    #[test]
    fn finish_returns_unterminated_remainder() {
        let (events, rest) = frame(&[b"data: a\n\ndata: tail\r\n"], 64);
        assert_eq!(events, vec![b"data: a".to_vec()]);
        assert_eq!(rest, Some(b"data: tail".to_vec()));
        let (_, rest) = frame(&[b"data: a\n\n \r\n\t"], 64);
        assert_eq!(rest, None);
        let mut framer = SseFramer::new(64);
        framer.push(b"data: x");
        assert_eq!(framer.finish(), Some(&b"data: x"[..]));
        assert_eq!(framer.buffered(), 0);
        assert_eq!(framer.finish(), None);
    }

    #[test]
    fn event_too_large_only_while_incomplete() {
        let mut framer = SseFramer::new(8);
        framer.push(b"data: 12");
        assert_eq!(framer.next_event().unwrap(), None);
        framer.push(b"3");
        assert_eq!(framer.next_event(), Err(Error::EventTooLarge));
        // A complete event is handed out whatever its size: it is already buffered.
        let mut framer = SseFramer::new(8);
        framer.push(b"data: 123456789\n\n");
        assert_eq!(framer.next_event().unwrap(), Some(&b"data: 123456789"[..]));
    }

    #[test]
    fn buffer_is_compacted() {
        let mut framer = SseFramer::new(64);
        for _ in 0..10_000 {
            framer.push(b"data: 0123456789\n\ndata: par");
            assert!(framer.next_event().unwrap().is_some());
            assert_eq!(framer.next_event().unwrap(), None);
            framer.push(b"tial\n\n");
            assert_eq!(framer.next_event().unwrap(), Some(&b"data: partial"[..]));
        }
        assert_eq!(framer.buffered(), 0);
        assert!(
            framer.buf.capacity() < 256,
            "capacity {}",
            framer.buf.capacity()
        );
    }

    #[test]
    fn no_rescan_of_long_partial_events() {
        // Resuming from `scan` keeps framing linear when a big event trickles in.
        let mut framer = SseFramer::new(1 << 20);
        framer.push(b"data: ");
        for _ in 0..100_000 {
            framer.push(b"x");
            assert_eq!(framer.next_event().unwrap(), None);
        }
        assert_eq!(framer.scan, framer.buf.len());
        framer.push(b"\n\n");
        assert_eq!(framer.next_event().unwrap().map(<[u8]>::len), Some(100_006));
    }
}
