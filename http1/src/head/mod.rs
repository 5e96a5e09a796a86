//! Request and response heads: httparse does the tokenising, this module applies RFC 9112 policy.

mod fields;
mod request;
mod response;
mod scan;
mod target;

pub use request::{parse_request, parse_request_uninit, RequestHead};
pub use response::{parse_response, parse_response_uninit, ResponseHead};
pub use scan::HeadScan;

use std::mem::MaybeUninit;

use crate::{Error, Header, Limits, Status, MAX_HEADERS};

/// Request methods the gateway routes on; everything else is `Other` (see `method_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
    Other,
}

impl Method {
    /// Methods are case-sensitive (RFC 9110 §9.1), so `get` is `Other`.
    pub fn from_bytes(method: &[u8]) -> Self {
        match method {
            b"GET" => Self::Get,
            b"HEAD" => Self::Head,
            b"POST" => Self::Post,
            b"PUT" => Self::Put,
            b"DELETE" => Self::Delete,
            b"OPTIONS" => Self::Options,
            b"PATCH" => Self::Patch,
            _ => Self::Other,
        }
    }

    /// The method's name (`OTHER` for methods outside the set).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Options => "OPTIONS",
            Self::Patch => "PATCH",
            Self::Other => "OTHER",
        }
    }
}

/// First field named `name` (ASCII case-insensitive, RFC 9110 §5.1).
fn find_header<'b>(headers: &[Header<'b>], name: &str) -> Option<&'b [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// What an incomplete head means under the limits: wait for more, or give up.
fn partial<T>(buf: &[u8], limits: &Limits) -> Result<Status<T>, Error> {
    if buf.len() > limits.max_head_bytes {
        Err(Error::HeadTooLarge)
    } else {
        Ok(Status::Partial)
    }
}

/// Header slots httparse may fill: the caller's storage, capped by `max_headers`.
fn slots<'h, T>(headers: &'h mut [T], limits: &Limits) -> &'h mut [T] {
    let n = headers.len().min(limits.max_headers);
    &mut headers[..n]
}

/// Header storage for [`parse_request_uninit`] and [`parse_response_uninit`]: left
/// uninitialised (httparse writes each slot it uses before it is read), where
/// `[EMPTY_HEADER; MAX_HEADERS]` costs a 3.2 KB initialising loop per head.
pub type HeaderSlots<'b> = [MaybeUninit<Header<'b>>; MAX_HEADERS];

/// Fresh [`HeaderSlots`]; nothing is written.
#[inline(always)]
pub fn header_slots<'b>() -> HeaderSlots<'b> {
    [const { MaybeUninit::uninit() }; MAX_HEADERS]
}

/// Maps httparse's tokeniser errors onto ours, telling obs-fold apart from other bad names.
fn from_httparse(err: httparse::Error, buf: &[u8], limits: &Limits) -> Error {
    match err {
        httparse::Error::TooManyHeaders => Error::TooManyHeaders,
        httparse::Error::Version => Error::UnsupportedVersion,
        // httparse rejects a field line that starts with SP/HTAB as a bad header name unless
        // obs-fold is switched on (it never is here); RFC 9112 §5.2 lets a server reject it
        // with 400, which we do so a folded line can never smuggle a header past the proxy.
        httparse::Error::HeaderName if has_obs_fold(buf, limits.max_head_bytes) => Error::ObsFold,
        _ => Error::BadHead,
    }
}

/// True when a line of the head (before the first blank line) starts with SP or HTAB.
fn has_obs_fold(buf: &[u8], max_head_bytes: usize) -> bool {
    let head = &buf[..buf.len().min(max_head_bytes)];
    for nl in memchr::memchr_iter(b'\n', head) {
        match head.get(nl + 1) {
            Some(b' ' | b'\t') => return true,
            Some(b'\n') => return false,
            Some(b'\r') if head.get(nl + 2) == Some(&b'\n') => return false,
            _ => {}
        }
    }
    false
}
