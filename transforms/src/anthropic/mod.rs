//! The Anthropic provider family as pure transforms, dispatched from [`crate::family`]:
//!
//! - [`request`]: an OpenAI chat-completions body → the body of `POST {api_base}/v1/messages`,
//!   as LiteLLM's `AnthropicConfig.map_openai_params` + `transform_request` and
//!   `anthropic_messages_pt` build it;
//! - [`response`]: an Anthropic Messages response → the `chat.completion` body LiteLLM returns
//!   (`AnthropicConfig.transform_parsed_response`, `calculate_usage`);
//! - [`stream`]: a Messages event stream → the `chat.completion.chunk` events LiteLLM's proxy
//!   sends for it;
//! - [`messages`]: Anthropic's own `/v1/messages` passed through (model and usage).
//!
//! Both read a body simd-json has validated with the byte scanner of [`crate::json`]: value
//! ranges, keys unescaped only to compare them, raw sub-values copied verbatim.

pub mod head;
pub mod messages;
pub mod request;
pub mod response;
pub mod stream;

pub use messages::{message_usage, MessagesStream};
pub use request::{transform_request, TransformError};
pub use response::transform_response;
pub use stream::ChatStream;

use std::ops::Range;

use crate::json::{skip_ws, top_members, unescape, value_end};

/// The value of the last member named `key` (keys compared unescaped): duplicate keys resolve
/// to the last one, as Python's `json.loads` does. `obj` must be a validated object's bytes.
pub(crate) fn get<'b>(obj: &'b [u8], key: &str) -> Option<&'b [u8]> {
    let mut found = None;
    for m in top_members(obj)? {
        if key_is(obj, &m.key, key) {
            found = Some(&obj[m.value]);
        }
    }
    found
}

pub(crate) fn key_is(obj: &[u8], key: &Range<usize>, want: &str) -> bool {
    let raw = &obj[key.clone()];
    if raw.contains(&b'\\') {
        unescape(raw).is_some_and(|k| k == want)
    } else {
        raw == want.as_bytes()
    }
}

/// The unescaped key of a member.
pub(crate) fn key_of(obj: &[u8], key: &Range<usize>) -> Option<String> {
    unescape(&obj[key.clone()])
}

/// The elements of the array `arr`, or `None` when it is not an array.
pub(crate) fn elements(arr: &[u8]) -> Option<Vec<&[u8]>> {
    let mut i = skip_ws(arr, 0);
    if arr.get(i) != Some(&b'[') {
        return None;
    }
    let mut out = Vec::new();
    i = skip_ws(arr, i + 1);
    if arr.get(i) == Some(&b']') {
        return Some(out);
    }
    loop {
        let end = value_end(arr, i)?;
        out.push(&arr[i..end]);
        i = skip_ws(arr, end);
        match arr.get(i)? {
            b',' => i = skip_ws(arr, i + 1),
            b']' => return Some(out),
            _ => return None,
        }
    }
}

/// The unescaped string, or `None` when `v` is not a JSON string.
pub(crate) fn string(v: &[u8]) -> Option<String> {
    if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' {
        unescape(&v[1..v.len() - 1])
    } else {
        None
    }
}

pub(crate) fn is_object(v: &[u8]) -> bool {
    v.first() == Some(&b'{')
}

pub(crate) fn is_null(v: Option<&[u8]>) -> bool {
    v.is_none_or(|v| v == b"null")
}
