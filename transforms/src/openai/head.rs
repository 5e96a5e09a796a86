//! The upstream request head of the OpenAI family.

use crate::provider::{
    write_auth, write_head_fields, write_request_path, write_responses_path, Credentials, Endpoint,
    ProviderRow, UpstreamTarget,
};

/// Writes the request line and headers of an OpenAI-family request, auth included, without
/// the blank line that ends the head (the gateway adds its own headers after it).
pub fn write_request_head(
    row: &ProviderRow,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) {
    let mut path = String::with_capacity(target.base_path.len() + 64);
    path.push_str(target.base_path);
    if target.endpoint.listed_as() == Endpoint::Responses {
        write_responses_path(
            row,
            target.endpoint,
            target.response_id,
            target.api_version,
            &mut path,
        );
    } else {
        write_request_path(
            row,
            target.endpoint,
            target.provider_model,
            target.api_version,
            target.stream,
            &mut path,
        );
    }
    out.extend_from_slice(target.endpoint.method().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    write_head_fields(target, out);
    out.extend_from_slice(if target.stream {
        b"\r\naccept: text/event-stream".as_slice()
    } else {
        b"\r\naccept: application/json".as_slice()
    });
    write_auth(row, creds, target.now, out);
}
