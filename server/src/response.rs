//! Response heads written to clients, with LiteLLM's `x-litellm-*` headers.

use corelane_http1::reason_phrase;

/// The terminating event of an OpenAI-compatible stream.
pub use corelane_transforms::stream::SSE_DONE;

/// How the body that follows a head is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Length(usize),
    Chunked,
}

/// The `x-litellm-*` headers of a routed request.
#[derive(Debug, Default)]
pub struct LitellmHeaders<'a> {
    pub call_id: &'a str,
    pub model_id: &'a str,
    pub model_group: &'a str,
    pub api_base: &'a str,
    pub cost: Option<f64>,
    pub overhead_ms: f64,
    pub attempted_retries: u32,
    /// After a retry: the most retries the group would have made.
    pub max_retries: Option<u32>,
    pub attempted_fallbacks: u32,
    /// More header lines, each `name: value\r\n` (the rate limits').
    pub extra: &'a [u8],
    /// The plugins' `async_post_call_response_headers_hook` headers, each `\r\nname: value`
    /// (checked: see [`crate::plugins::hook_header_lines`]); they replace any header of the
    /// same name. Borrowed from the request's [`crate::exchange::Exchange::hook_headers`].
    pub plugin: Option<std::cell::Ref<'a, Vec<u8>>>,
}

/// Writes a status line and headers; `litellm` adds LiteLLM's routing headers.
pub fn write_head(
    out: &mut Vec<u8>,
    status: u16,
    content_type: &str,
    framing: Framing,
    keep_alive: bool,
    litellm: Option<&LitellmHeaders<'_>>,
) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(num.format(status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\ncontent-type: ");
    out.extend_from_slice(content_type.as_bytes());
    match framing {
        Framing::Length(n) => {
            out.extend_from_slice(b"\r\ncontent-length: ");
            out.extend_from_slice(num.format(n).as_bytes());
        }
        Framing::Chunked => out.extend_from_slice(b"\r\ntransfer-encoding: chunked"),
    }
    if !keep_alive {
        out.extend_from_slice(b"\r\nconnection: close");
    }
    let headers_from = out.len();
    if let Some(h) = litellm {
        // Each name is written with its CRLF and colon in one copy of a constant (these run
        // for every response); values from outside still go through the header-value check.
        line(out, b"\r\nx-litellm-call-id: ", h.call_id);
        line(out, b"\r\nx-litellm-model-id: ", h.model_id);
        line(out, b"\r\nx-litellm-model-group: ", h.model_group);
        if !h.api_base.is_empty() {
            line(out, b"\r\nx-litellm-model-api-base: ", h.api_base);
        }
        // The numbers are formatted in place: ASCII digits need no header-value check.
        if let Some(cost) = h.cost {
            out.extend_from_slice(b"\r\nx-litellm-response-cost: ");
            corelane_transforms::cost::write_cost(cost, out);
        }
        out.extend_from_slice(b"\r\nx-litellm-overhead-duration-ms: ");
        write_millis(h.overhead_ms, out);
        out.extend_from_slice(b"\r\nx-litellm-attempted-retries: ");
        out.extend_from_slice(num.format(h.attempted_retries).as_bytes());
        if let Some(max) = h.max_retries {
            out.extend_from_slice(b"\r\nx-litellm-max-retries: ");
            out.extend_from_slice(num.format(max).as_bytes());
        }
        out.extend_from_slice(b"\r\nx-litellm-attempted-fallbacks: ");
        out.extend_from_slice(num.format(h.attempted_fallbacks).as_bytes());
        if !h.extra.is_empty() {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(h.extra.strip_suffix(b"\r\n").unwrap_or(h.extra));
        }
        if let Some(hooked) = h.plugin.as_deref().filter(|p| !p.is_empty()) {
            let end = out.len();
            merge_hook_headers(out, headers_from, end, hooked);
        }
    }
    out.extend_from_slice(b"\r\n\r\n");
}

/// Puts a plugin's header lines (`hook`, each `\r\nname: value`) at `at`, dropping the
/// lines of `out[from..at]` (each `\r\nname: value`) of a name they set: a plugin's header
/// replaces the gateway's, as in LiteLLM (names compared without case).
pub fn merge_hook_headers(out: &mut Vec<u8>, from: usize, at: usize, hook: &[u8]) {
    fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
        text.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.is_empty())
    }
    fn name(line: &[u8]) -> &[u8] {
        line.split(|&b| b == b':').next().unwrap_or(line)
    }
    let set: Vec<&[u8]> = lines(hook).map(name).collect();
    let mut kept = Vec::with_capacity(at - from + hook.len());
    for line in lines(&out[from..at]) {
        if !set.iter().any(|n| n.eq_ignore_ascii_case(name(line))) {
            kept.extend_from_slice(b"\r\n");
            kept.extend_from_slice(line);
        }
    }
    kept.extend_from_slice(hook);
    out.splice(from..at, kept);
}

/// A header line whose `start` is its CRLF, name and `": "` (CR and LF dropped from `value`).
fn line(out: &mut Vec<u8>, start: &[u8], value: &str) {
    out.extend_from_slice(start);
    corelane_transforms::provider::push_header_value(value, out);
}

/// One `name: value` header line (CR and LF dropped from the value).
pub fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    corelane_transforms::provider::push_header_value(value, out);
}

/// A complete JSON response: head plus body.
pub fn write_json(
    out: &mut Vec<u8>,
    status: u16,
    body: &[u8],
    keep_alive: bool,
    litellm: Option<&LitellmHeaders<'_>>,
) {
    write_head(
        out,
        status,
        "application/json",
        Framing::Length(body.len()),
        keep_alive,
        litellm,
    );
    out.extend_from_slice(body);
}

/// A call id: a version-7 UUID (the Unix time in milliseconds, then 74 random bits), held
/// inline (36 bytes of text) so that giving each request one allocates nothing. Empty until
/// [`CallId::random`].
///
/// LiteLLM's are version 4 (all random). Clients see only a UUID either way; a time-ordered
/// one is what makes the spend rows cheap: `request_id` is their primary key, and ids that
/// grow with time add to the end of its index instead of to a random page of it, so a batch
/// of 500 rows dirties a few pages, not hundreds (`docs/deviations.md`).
#[derive(Clone, Copy)]
pub struct CallId {
    text: [u8; 36],
    set: bool,
}

impl Default for CallId {
    fn default() -> Self {
        CallId {
            text: [0; 36],
            set: false,
        }
    }
}

impl CallId {
    pub fn random() -> CallId {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        CallId::from_bits(millis, fastrand::u128(..))
    }

    /// The version-7 UUID of `millis` (its low 48 bits, big-endian first) and random bits
    /// for the rest. Each byte's two digits go to a fixed place between the dashes (one per
    /// request: a table, not a branch per byte).
    fn from_bits(millis: u128, bits: u128) -> CallId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
        let mut b: [u8; 16] = bits.to_le_bytes();
        b[..6].copy_from_slice(&millis.to_be_bytes()[10..]);
        b[6] = (b[6] & 0x0f) | 0x70;
        b[8] = (b[8] & 0x3f) | 0x80;
        let mut text = [b'-'; 36];
        for (&byte, at) in b.iter().zip(AT) {
            text[at] = HEX[usize::from(byte >> 4)];
            text[at + 1] = HEX[usize::from(byte & 0xf)];
        }
        CallId { text, set: true }
    }

    pub fn as_str(&self) -> &str {
        if self.set {
            std::str::from_utf8(&self.text).unwrap_or_default()
        } else {
            ""
        }
    }
}

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Milliseconds with three decimals ("0.123"), without the formatting machinery: this runs
/// on every response.
fn write_millis(ms: f64, out: &mut Vec<u8>) {
    let micros = (ms.max(0.0) * 1000.0).round() as u64;
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(num.format(micros / 1000).as_bytes());
    out.push(b'.');
    let frac = micros % 1000;
    if frac < 100 {
        out.push(b'0');
    }
    if frac < 10 {
        out.push(b'0');
    }
    out.extend_from_slice(num.format(frac).as_bytes());
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn millis_have_three_decimals() {
        let m = |x: f64| {
            let mut s = Vec::new();
            write_millis(x, &mut s);
            String::from_utf8(s).unwrap()
        };
        assert_eq!(m(0.0), "0.000");
        assert_eq!(m(0.1234), "0.123");
        assert_eq!(m(1.0006), "1.001");
        assert_eq!(m(12.05), "12.050");
        assert_eq!(m(-1.0), "0.000");
    }

    #[test]
    fn call_ids_are_uuid_v7_of_the_time() {
        // RFC 9562's example: 2022-02-22 19:22:22 UTC, 0x017F22E279B0 ms.
        let id = CallId::from_bits(0x017F_22E2_79B0, 0);
        assert_eq!(id.as_str(), "017f22e2-79b0-7000-8000-000000000000");
        let id = CallId::from_bits(0x017F_22E2_79B0, u128::MAX);
        assert_eq!(id.as_str(), "017f22e2-79b0-7fff-bfff-ffffffffffff");
        let id = CallId::random().as_str().to_owned();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "7");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(CallId::random().as_str(), id);
        // Later ids sort after earlier ones (the index grows at its end).
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(CallId::random().as_str() > id.as_str());
    }

    #[test]
    fn head_has_framing_and_litellm_headers() {
        let mut out = Vec::new();
        let h = LitellmHeaders {
            call_id: "c",
            model_id: "m",
            model_group: "g",
            api_base: "http://x/v1",
            cost: None,
            overhead_ms: 0.5,
            attempted_retries: 0,
            max_retries: None,
            attempted_fallbacks: 0,
            extra: b"",
            plugin: None,
        };
        write_head(
            &mut out,
            200,
            "application/json",
            Framing::Length(2),
            true,
            Some(&h),
        );
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(s.contains("\r\ncontent-length: 2\r\n"));
        assert!(s.contains("\r\nx-litellm-model-group: g\r\n"));
        assert!(s.ends_with("\r\n\r\n"));
        assert!(!s.contains("x-litellm-response-cost"));
    }

    /// A plugin's headers come last and replace the gateway's of the same name.
    #[test]
    fn a_plugins_headers_replace_the_gateways_of_the_same_name() {
        let mut out = Vec::new();
        let hooked =
            std::cell::RefCell::new(b"\r\nx-litellm-model-group: hooked\r\nx-hook: 1".to_vec());
        let h = LitellmHeaders {
            call_id: "c",
            model_group: "g",
            extra: b"x-ratelimit-remaining-requests: 9\r\n",
            plugin: Some(hooked.borrow()),
            ..LitellmHeaders::default()
        };
        write_head(
            &mut out,
            200,
            "text/plain",
            Framing::Length(0),
            true,
            Some(&h),
        );
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nx-litellm-call-id: c\r\n"));
        assert!(s.contains("\r\nx-ratelimit-remaining-requests: 9\r\n"));
        assert!(s.ends_with("\r\nx-litellm-model-group: hooked\r\nx-hook: 1\r\n\r\n"));
        assert_eq!(s.matches("x-litellm-model-group").count(), 1);
    }

    /// The whole head, byte for byte, with every header and a value whose CR, LF and NUL are
    /// dropped (the names are written as constants, the values still checked).
    #[test]
    fn head_bytes_are_exact() {
        let mut out = Vec::new();
        let h = LitellmHeaders {
            call_id: "0d4c1f9e-6f53-4b1a-9a43-0f3f0c3f2b1a",
            model_id: "id\r\nx-injected: 1",
            model_group: "gpt-4o\0",
            api_base: "http://127.0.0.1:9/v1",
            cost: Some(8.5e-5),
            overhead_ms: 1.25,
            attempted_retries: 2,
            max_retries: None,
            attempted_fallbacks: 0,
            extra: b"",
            plugin: None,
        };
        write_head(
            &mut out,
            200,
            "application/json",
            Framing::Length(338),
            false,
            Some(&h),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 338\r\n\
             connection: close\r\nx-litellm-call-id: 0d4c1f9e-6f53-4b1a-9a43-0f3f0c3f2b1a\r\n\
             x-litellm-model-id: idx-injected: 1\r\nx-litellm-model-group: gpt-4o\r\n\
             x-litellm-model-api-base: http://127.0.0.1:9/v1\r\n\
             x-litellm-response-cost: 8.5e-05\r\nx-litellm-overhead-duration-ms: 1.250\r\n\
             x-litellm-attempted-retries: 2\r\nx-litellm-attempted-fallbacks: 0\r\n\r\n"
        );
        let mut out = Vec::new();
        let h = LitellmHeaders { api_base: "", ..h };
        write_head(
            &mut out,
            200,
            "text/event-stream",
            Framing::Chunked,
            true,
            Some(&h),
        );
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("\r\ntransfer-encoding: chunked\r\nx-litellm-call-id: "));
        assert!(!s.contains("api-base"));
    }
}
