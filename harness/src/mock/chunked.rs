//! Incremental decoder for chunked request bodies (RFC 9112 §7.1), fed as bytes arrive.

/// Where the decoder is inside the chunked framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size {
        value: u64,
        digits: u8,
    },
    /// Skipping a chunk extension up to its CR.
    Extension {
        value: u64,
    },
    /// Expecting the LF after a size line.
    SizeLf {
        value: u64,
    },
    /// Copying this many more data bytes.
    Data(u64),
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    TrailerLine,
    TrailerLf,
    FinalLf,
    Done,
}

/// Why a chunked body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkError {
    /// Bad size line or missing CRLF: the framing is lost, so the connection must close.
    Malformed,
    /// The decoded body would exceed the limit given to the decoder.
    TooLarge,
}

/// Hex digits of a chunk size; 16 fill a u64, more can only overflow.
const MAX_SIZE_DIGITS: u8 = 16;

/// Decodes a chunked body into a caller-owned Vec, resumable at any byte boundary.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    limit: usize,
}

impl ChunkedDecoder {
    /// A decoder that refuses bodies longer than `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            state: State::Size {
                value: 0,
                digits: 0,
            },
            limit,
        }
    }

    /// True once the last chunk and trailers have been consumed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes framing from `input`, appends data to `body`, returns the bytes consumed.
    ///
    /// Stops right after the final CRLF, so bytes of a pipelined next request stay unconsumed.
    pub fn decode(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<usize, ChunkError> {
        let mut pos = 0;
        while pos < input.len() && self.state != State::Done {
            if let State::Data(remaining) = self.state {
                let available = input.len() - pos;
                let take = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(available);
                if body.len() + take > self.limit {
                    return Err(ChunkError::TooLarge);
                }
                body.extend_from_slice(&input[pos..pos + take]);
                pos += take;
                let left = remaining - take as u64;
                self.state = if left == 0 {
                    State::DataCr
                } else {
                    State::Data(left)
                };
                continue;
            }
            self.state = self.step(input[pos])?;
            pos += 1;
        }
        Ok(pos)
    }

    fn step(&self, byte: u8) -> Result<State, ChunkError> {
        let next = match (self.state, byte) {
            (State::Size { value, digits }, _) if hex(byte).is_some() => {
                if digits >= MAX_SIZE_DIGITS {
                    return Err(ChunkError::Malformed);
                }
                let digit = u64::from(hex(byte).unwrap_or(0));
                State::Size {
                    value: value << 4 | digit,
                    digits: digits + 1,
                }
            }
            (State::Size { value, digits }, b';' | b' ' | b'\t') if digits > 0 => {
                State::Extension { value }
            }
            (State::Size { value, digits }, b'\r') if digits > 0 => State::SizeLf { value },
            (State::Extension { value }, b'\r') => State::SizeLf { value },
            (State::Extension { value }, _) => State::Extension { value },
            (State::SizeLf { value: 0 }, b'\n') => State::TrailerStart,
            (State::SizeLf { value }, b'\n') => {
                if value > self.limit as u64 {
                    return Err(ChunkError::TooLarge);
                }
                State::Data(value)
            }
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => State::Size {
                value: 0,
                digits: 0,
            },
            (State::TrailerStart, b'\r') => State::FinalLf,
            (State::TrailerStart | State::TrailerLine, b'\n') => return Err(ChunkError::Malformed),
            (State::TrailerLine, b'\r') => State::TrailerLf,
            (State::TrailerStart | State::TrailerLine, _) => State::TrailerLine,
            (State::TrailerLf, b'\n') => State::TrailerStart,
            (State::FinalLf, b'\n') => State::Done,
            _ => return Err(ChunkError::Malformed),
        };
        Ok(next)
    }
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<(Vec<u8>, usize), ChunkError> {
        let mut decoder = ChunkedDecoder::new(1 << 20);
        let mut body = Vec::new();
        let used = decoder.decode(input, &mut body)?;
        assert!(decoder.is_done(), "not done after {used} bytes");
        Ok((body, used))
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers() {
        let input =
            b"5;name=v\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-t: 1\r\n\r\nNEXT";
        let (body, used) = decode_all(input).unwrap();
        assert_eq!(body, b"helloabcdefghijklmnopqrstuvwxyz");
        assert_eq!(&input[used..], b"NEXT");
    }

    #[test]
    fn resumes_at_every_byte_boundary() {
        let input = b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let mut decoder = ChunkedDecoder::new(100);
        let mut body = Vec::new();
        for byte in input.chunks(1) {
            assert_eq!(decoder.decode(byte, &mut body).unwrap(), 1);
        }
        assert!(decoder.is_done());
        assert_eq!(body, b"abcde");
    }

    #[test]
    fn rejects_bad_framing_and_oversize() {
        assert_eq!(decode_all(b"x\r\n").unwrap_err(), ChunkError::Malformed);
        assert_eq!(decode_all(b"\r\n").unwrap_err(), ChunkError::Malformed);
        assert_eq!(decode_all(b"3\r\nabcX").unwrap_err(), ChunkError::Malformed);
        assert_eq!(
            decode_all(b"11111111111111111\r\n").unwrap_err(),
            ChunkError::Malformed
        );
        let mut small = ChunkedDecoder::new(4);
        let mut body = Vec::new();
        assert_eq!(
            small.decode(b"5\r\nhello\r\n", &mut body).unwrap_err(),
            ChunkError::TooLarge
        );
    }
}
