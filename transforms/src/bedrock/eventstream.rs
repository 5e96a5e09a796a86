//! The AWS event-stream framing of Bedrock's `converse-stream` answers
//! (`application/vnd.amazon.eventstream`): length-prefixed binary messages with typed headers,
//! each checked by two CRC32s. Messages are decoded and checked by AWS's own
//! `aws-smithy-eventstream` (`read_message_from`); this module only buffers the bytes of a
//! message until it is whole, bounded, so an upstream cannot make the gateway hold more than
//! `max` bytes for one message whatever length it announces.

use aws_smithy_eventstream::frame::read_message_from;
use aws_smithy_types::event_stream::{HeaderValue, Message};

/// Bytes of the prelude: total length, headers length, prelude CRC.
const PRELUDE: usize = 12;
/// The smallest message: prelude and message CRC, no headers, no payload.
const MIN_MESSAGE: usize = PRELUDE + 4;

/// Why a stream cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A message announces more than the limit (or less than a message can be).
    BadLength(u64),
    /// A message fails its checksums or its header encoding.
    Invalid(String),
}

/// One decoded message: what kind it is and its payload (JSON for Bedrock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `:message-type` (`event`, `exception` or `error`).
    pub message_type: String,
    /// `:event-type` of an event, `:exception-type` of an exception, `:error-code` of an
    /// error.
    pub name: String,
    pub payload: Vec<u8>,
}

/// Buffers a stream's bytes and yields its whole messages in order.
#[derive(Debug)]
pub struct EventFramer {
    buf: Vec<u8>,
    /// Bytes of `buf` already yielded.
    start: usize,
    max: usize,
}

impl EventFramer {
    /// A framer refusing any message longer than `max` bytes.
    pub fn new(max: usize) -> Self {
        EventFramer {
            buf: Vec::new(),
            start: 0,
            max,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, `Ok(None)` until one is buffered.
    pub fn next_event(&mut self) -> Result<Option<Event>, FrameError> {
        let rest = &self.buf[self.start..];
        let Some(prelude) = rest.get(..4) else {
            return Ok(None);
        };
        let total = u32::from_be_bytes([prelude[0], prelude[1], prelude[2], prelude[3]]) as usize;
        if total < MIN_MESSAGE || total > self.max {
            return Err(FrameError::BadLength(total as u64));
        }
        let Some(bytes) = rest.get(..total) else {
            return Ok(None);
        };
        let message = read_message_from(bytes).map_err(|e| FrameError::Invalid(e.to_string()))?;
        self.start += total;
        Ok(Some(event(&message)))
    }

    /// Bytes left that do not make a whole message (a cut stream).
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }
}

fn event(message: &Message) -> Event {
    let header = |wanted: &str| {
        message.headers().iter().find_map(|h| {
            if h.name().as_str() != wanted {
                return None;
            }
            match h.value() {
                HeaderValue::String(s) => Some(s.as_str().to_owned()),
                _ => None,
            }
        })
    };
    let message_type = header(":message-type").unwrap_or_else(|| "event".to_owned());
    let name = match message_type.as_str() {
        "exception" => header(":exception-type"),
        "error" => header(":error-code"),
        _ => header(":event-type"),
    }
    .unwrap_or_default();
    Event {
        message_type,
        name,
        payload: message.payload().to_vec(),
    }
}

/// Encodes one message as AWS does (for tests and the mock provider).
pub fn encode(message_type: &str, name: &str, payload: &[u8]) -> Vec<u8> {
    use aws_smithy_types::event_stream::Header;
    let name_header = match message_type {
        "exception" => ":exception-type",
        "error" => ":error-code",
        _ => ":event-type",
    };
    let message = Message::new(payload.to_vec())
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(message_type.to_owned().into()),
        ))
        .add_header(Header::new(
            name_header,
            HeaderValue::String(name.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    // Writing to a Vec cannot fail for headers this small.
    let _ = aws_smithy_eventstream::frame::write_message_to(&message, &mut out);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn whole_messages_come_out_whatever_the_splits() {
        let mut stream = encode("event", "messageStart", br#"{"role":"assistant"}"#);
        stream.extend(encode(
            "event",
            "contentBlockDelta",
            br#"{"delta":{"text":"Hi"}}"#,
        ));
        stream.extend(encode(
            "exception",
            "throttlingException",
            br#"{"message":"slow"}"#,
        ));
        for split in [1, 3, 7, 16, 1000] {
            let mut framer = EventFramer::new(1 << 20);
            let mut got = Vec::new();
            for piece in stream.chunks(split) {
                framer.push(piece);
                while let Some(e) = framer.next_event().unwrap() {
                    got.push(e);
                }
            }
            assert_eq!(framer.pending(), 0);
            let names: Vec<_> = got
                .iter()
                .map(|e| (e.message_type.as_str(), e.name.as_str()))
                .collect();
            assert_eq!(
                names,
                [
                    ("event", "messageStart"),
                    ("event", "contentBlockDelta"),
                    ("exception", "throttlingException")
                ],
                "split {split}"
            );
            assert_eq!(got[1].payload, br#"{"delta":{"text":"Hi"}}"#);
        }
    }

    #[test]
    fn corrupt_or_oversized_messages_are_refused() {
        let good = encode("event", "messageStop", br#"{"stopReason":"end_turn"}"#);
        let mut bad = good.clone();
        let last = bad.len() - 6;
        bad[last] ^= 1;
        let mut framer = EventFramer::new(1 << 20);
        framer.push(&bad);
        assert!(matches!(framer.next_event(), Err(FrameError::Invalid(_))));
        let mut framer = EventFramer::new(64);
        framer.push(&u32::MAX.to_be_bytes());
        assert_eq!(
            framer.next_event(),
            Err(FrameError::BadLength(u32::MAX as u64))
        );
        let mut framer = EventFramer::new(64);
        framer.push(&[0, 0, 0, 3]);
        assert_eq!(framer.next_event(), Err(FrameError::BadLength(3)));
    }
}
