//! The codec's single error type, the status code each error answers with, and reason phrases.

use std::fmt;

/// Everything that can be wrong with bytes handed to the codec.
///
/// `Copy` and allocation-free, as httparse's error: the server maps it to a response once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The head is longer than `Limits::max_head_bytes`.
    HeadTooLarge,
    /// More header fields than the caller's slots or `Limits::max_headers`.
    TooManyHeaders,
    /// Malformed start line or header field.
    BadHead,
    /// A header line continues the previous one with leading whitespace (obs-fold).
    ObsFold,
    /// An HTTP version other than 1.0 or 1.1.
    UnsupportedVersion,
    /// A Content-Length that is not a list of decimal digits fitting in u64.
    InvalidContentLength,
    /// Content-Length values that disagree.
    ConflictingContentLength,
    /// Both Content-Length and Transfer-Encoding: a request-smuggling vector.
    ContentLengthWithTransferEncoding,
    /// A request whose final transfer coding is `chunked` after codings we do not decode
    /// (`gzip, chunked`): RFC 9112 §6.1 says a server SHOULD answer 501.
    UnsupportedTransferEncoding,
    /// A request whose Transfer-Encoding does not end with `chunked` (RFC 9112 §6.3 item 4),
    /// or applies `chunked` more than once (§6.1): its length cannot be determined.
    InvalidTransferEncoding,
    /// An HTTP/1.1 request without a Host field (RFC 9112 §3.2).
    MissingHost,
    /// A Host field that is not `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 9110 §7.2).
    InvalidHost,
    /// A chunk size that is not hex or does not fit in u64.
    InvalidChunkSize,
    /// Malformed chunked framing: missing CRLF, oversized extensions or trailers.
    BadChunk,
    /// The body is longer than `Limits::max_body_bytes`.
    BodyTooLarge,
    /// An unterminated server-sent event outgrew the framer's bound.
    EventTooLarge,
}

impl Error {
    /// The status code a server answers this error with.
    pub fn status(self) -> u16 {
        match self {
            Self::HeadTooLarge | Self::TooManyHeaders => 431,
            Self::BodyTooLarge => 413,
            Self::UnsupportedTransferEncoding => 501,
            // Exhaustive, so a new variant has to choose its status here.
            Self::BadHead
            | Self::ObsFold
            | Self::UnsupportedVersion
            | Self::InvalidContentLength
            | Self::ConflictingContentLength
            | Self::ContentLengthWithTransferEncoding
            | Self::InvalidTransferEncoding
            | Self::MissingHost
            | Self::InvalidHost
            | Self::InvalidChunkSize
            | Self::BadChunk
            | Self::EventTooLarge => 400,
        }
    }

    /// A short human-readable description, safe to send to a client.
    pub fn message(self) -> &'static str {
        match self {
            Self::HeadTooLarge => "message head too large",
            Self::TooManyHeaders => "too many header fields",
            Self::BadHead => "malformed message head",
            Self::ObsFold => "obsolete line folding in header field",
            Self::UnsupportedVersion => "unsupported HTTP version",
            Self::InvalidContentLength => "invalid Content-Length",
            Self::ConflictingContentLength => "conflicting Content-Length values",
            Self::ContentLengthWithTransferEncoding => {
                "both Content-Length and Transfer-Encoding present"
            }
            Self::UnsupportedTransferEncoding => "unsupported Transfer-Encoding",
            Self::InvalidTransferEncoding => "Transfer-Encoding must end with a single chunked",
            Self::MissingHost => "missing Host header field",
            Self::InvalidHost => "invalid Host header field",
            Self::InvalidChunkSize => "invalid chunk size",
            Self::BadChunk => "malformed chunked body",
            Self::BodyTooLarge => "body too large",
            Self::EventTooLarge => "server-sent event too large",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

/// The standard reason phrase for `status` (RFC 9110 §15), or "" when unknown.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_follow_the_contract() {
        assert_eq!(Error::HeadTooLarge.status(), 431);
        assert_eq!(Error::TooManyHeaders.status(), 431);
        assert_eq!(Error::BodyTooLarge.status(), 413);
        assert_eq!(Error::UnsupportedTransferEncoding.status(), 501);
        for e in [
            Error::BadHead,
            Error::ObsFold,
            Error::UnsupportedVersion,
            Error::InvalidContentLength,
            Error::ConflictingContentLength,
            Error::ContentLengthWithTransferEncoding,
            Error::InvalidTransferEncoding,
            Error::MissingHost,
            Error::InvalidHost,
            Error::InvalidChunkSize,
            Error::BadChunk,
            Error::EventTooLarge,
        ] {
            assert_eq!(e.status(), 400, "{e:?}");
            assert!(!e.message().is_empty());
        }
    }

    #[test]
    fn new_request_rules_answer_400_not_501() {
        // RFC 9112 §3.2 (Host) and §6.3 item 4 (final coding not chunked) are 400s; only a
        // coding we cannot decode before `chunked` keeps §6.1's 501.
        for (e, msg) in [
            (Error::MissingHost, "missing Host header field"),
            (Error::InvalidHost, "invalid Host header field"),
            (
                Error::InvalidTransferEncoding,
                "Transfer-Encoding must end with a single chunked",
            ),
        ] {
            assert_eq!((e.status(), e.message()), (400, msg));
            assert_eq!(reason_phrase(e.status()), "Bad Request");
        }
        assert_eq!(
            reason_phrase(Error::UnsupportedTransferEncoding.status()),
            "Not Implemented"
        );
    }

    #[test]
    fn display_is_the_message() {
        assert_eq!(Error::BadChunk.to_string(), Error::BadChunk.message());
    }

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(200), "OK");
        assert_eq!(reason_phrase(400), "Bad Request");
        assert_eq!(reason_phrase(429), "Too Many Requests");
        assert_eq!(reason_phrase(502), "Bad Gateway");
        assert_eq!(reason_phrase(799), "");
    }
}
