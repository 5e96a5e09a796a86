//! Reading the fields of one framed server-sent event (WHATWG HTML §9.2.6), without copying.

/// The value of the event's only `data:` field (one optional leading space stripped, trailing
/// CR stripped); None when the event has no data line or more than one. Other fields
/// (`event:`, `id:`, `retry:`, comments) are allowed.
pub fn single_data(event: &[u8]) -> Option<&[u8]> {
    let mut data = fields(event)
        .filter(|(name, _)| *name == b"data")
        .map(|(_, v)| v);
    let first = data.next()?;
    // Several data lines join with LF in the spec; callers that splice one JSON value per
    // event must not see a joined value, so more than one is None.
    data.next().is_none().then_some(first)
}

/// The `event:` field value if present (the last one, as the spec's event type buffer keeps).
pub fn event_name(event: &[u8]) -> Option<&[u8]> {
    fields(event)
        .filter(|(name, _)| *name == b"event")
        .map(|(_, v)| v)
        .last()
}

/// `(name, value)` of each field line; comment lines (leading `:`) are skipped, and a line
/// without a colon is a field with an empty value.
fn fields(event: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    event.split(|&b| b == b'\n').filter_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b':') {
            return None;
        }
        Some(match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &line[line.len()..]),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_data_line() {
        assert_eq!(single_data(b"data: {\"a\":1}"), Some(&b"{\"a\":1}"[..]));
        assert_eq!(single_data(b"data:{}"), Some(&b"{}"[..]));
        assert_eq!(single_data(b"data:  two spaces"), Some(&b" two spaces"[..]));
        assert_eq!(single_data(b"data: x\r"), Some(&b"x"[..]));
        assert_eq!(single_data(b"data"), Some(&b""[..]));
        assert_eq!(single_data(b"data: [DONE]"), Some(&b"[DONE]"[..]));
    }

    #[test]
    fn other_fields_are_allowed() {
        let ev = b": keep-alive comment\r\nevent: message_start\r\nid: 7\r\ndata: {}\r\nretry: 10";
        assert_eq!(single_data(ev), Some(&b"{}"[..]));
        assert_eq!(event_name(ev), Some(&b"message_start"[..]));
    }

    #[test]
    fn zero_or_many_data_lines() {
        assert_eq!(single_data(b"event: ping"), None);
        assert_eq!(single_data(b": only a comment"), None);
        assert_eq!(single_data(b""), None);
        assert_eq!(single_data(b"data: a\ndata: b"), None);
        // Field names are case-sensitive.
        assert_eq!(single_data(b"Data: a"), None);
        assert_eq!(single_data(b"data : a"), None);
    }

    #[test]
    fn event_names() {
        assert_eq!(event_name(b"event:delta\ndata: x"), Some(&b"delta"[..]));
        assert_eq!(event_name(b"event: a\nevent: b"), Some(&b"b"[..]));
        assert_eq!(event_name(b"data: x"), None);
        assert_eq!(event_name(b":event: fake"), None);
    }
}
