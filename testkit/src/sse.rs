//! Server-sent events: bodies split into events, as chunks arrive or whole.

use serde_json::Value;

use crate::client::find;

/// Splits an SSE body arriving in HTTP chunks into events (text between blank lines).
#[derive(Debug, Default)]
pub struct SseEvents {
    pending: Vec<u8>,
}

impl SseEvents {
    /// Adds bytes; returns the events completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = find(&self.pending, b"\n\n") {
            let event = String::from_utf8_lossy(&self.pending[..end]).into_owned();
            self.pending.drain(..end + 2);
            if !event.trim().is_empty() {
                events.push(event);
            }
        }
        events
    }

    /// Bytes left that never ended with a blank line.
    pub fn rest(&self) -> &[u8] {
        &self.pending
    }

    /// All events of a whole SSE body; panics if it does not end on an event boundary.
    pub fn split(body: &[u8]) -> Vec<String> {
        let mut s = SseEvents::default();
        let events = s.push(body);
        assert!(
            s.rest().iter().all(u8::is_ascii_whitespace),
            "stream ends mid-event: {:?}",
            String::from_utf8_lossy(s.rest())
        );
        events
    }
}

/// The JSON of a `data: {...}` event (`None` for `[DONE]` and non-data events).
pub fn event_json(event: &str) -> Option<Value> {
    let data = event.strip_prefix("data: ")?;
    if data == "[DONE]" {
        return None;
    }
    Some(serde_json::from_str(data).unwrap_or_else(|e| panic!("event {event:?}: {e}")))
}

/// The (event name, data) pairs of a whole SSE body, OpenAI's `data:` events and
/// Anthropic's `event:` + `data:` ones alike; panics on a torn event or any other line.
pub fn parse_events(text: &str) -> Vec<(Option<String>, String)> {
    assert!(
        text.is_empty() || text.ends_with("\n\n"),
        "torn event in {text:?}"
    );
    SseEvents::split(text.as_bytes())
        .iter()
        .map(|event| {
            let mut name = None;
            let mut data = String::new();
            for line in event.lines() {
                if let Some(value) = line.strip_prefix("event: ") {
                    name = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data.push_str(value);
                } else {
                    panic!("unexpected SSE line {line:?}");
                }
            }
            (name, data)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_complete_across_pushes() {
        let mut s = SseEvents::default();
        assert!(s.push(b"data: {\"a\"").is_empty());
        assert_eq!(s.push(b":1}\n\ndata: [DO"), vec!["data: {\"a\":1}"]);
        assert_eq!(s.rest(), b"data: [DO");
        assert_eq!(s.push(b"NE]\n\n"), vec!["data: [DONE]"]);
        assert_eq!(event_json("data: {\"a\":1}").unwrap()["a"], 1);
        assert_eq!(event_json("data: [DONE]"), None);
        assert_eq!(event_json(": comment"), None);
    }

    #[test]
    fn parse_events_names_anthropic_events() {
        let events = parse_events("event: ping\ndata: {}\n\ndata: [DONE]\n\n");
        assert_eq!(
            events,
            vec![
                (Some("ping".to_owned()), "{}".to_owned()),
                (None, "[DONE]".to_owned())
            ]
        );
        assert!(parse_events("").is_empty());
    }

    #[test]
    #[should_panic(expected = "torn event")]
    fn parse_events_refuses_a_torn_event() {
        parse_events("data: {}\n\ndata: {\"a\"");
    }
}
