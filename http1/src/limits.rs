//! Named bounds that keep a peer from making the codec buffer or scan without end.

/// Largest request or response head (start line, fields, final blank line) we accept.
pub const DEFAULT_MAX_HEAD_BYTES: usize = 64 * 1024;

/// Header slots callers allocate on the stack: `[EMPTY_HEADER; MAX_HEADERS]`, or left
/// uninitialised ([`header_slots`](crate::header_slots), the server's per-request path).
pub const MAX_HEADERS: usize = 100;

/// Largest request body accepted by default (64 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Bounds applied while parsing one message.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Head bytes (including the final CRLFCRLF) beyond which the head is rejected with 431.
    pub max_head_bytes: usize,
    /// Header fields beyond which the head is rejected with 431.
    pub max_headers: usize,
    /// Declared or decoded body bytes beyond which the message is rejected with 413.
    pub max_body_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
            max_headers: MAX_HEADERS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}
