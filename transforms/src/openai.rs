//! The OpenAI-compatible request path: validate the client body once, locate the fields the
//! gateway needs, and splice the upstream body from the original bytes. A body in memory is
//! read with [`inspect`]; one that arrives in pieces (spilled to a file) with [`BodyScanner`],
//! which gives the same answer. Either way the upstream body is a [`SplicePlan`].

use std::ops::Range;

use simd_json::prelude::{TypedScalarValue, ValueAsScalar};
use simd_json::tape::{Object, Tape};

use crate::json::skip_ws;
use crate::json::tape::{IndexedMembers, Scratch};
use crate::keys::{Key, Seen, Spelling};
use crate::params::{BodyKeys, Shapes};
use crate::provider::Endpoint;
use crate::service_tier::ServiceTier;

mod head;
mod scan;
mod splice;

pub use head::write_request_head;
pub use scan::BodyScanner;
pub use splice::{splice, splice_plan, Edit, SplicePlan};

/// Longest `model` value accepted, in unescaped bytes. The scanner of a spilled body keeps the
/// value in memory, so it needs a bound; real model names (`provider/name`, Azure deployment
/// and Bedrock ARNs) stay under 300 bytes.
pub const MAX_MODEL_LEN: usize = 4096;

/// Longest `user` value accepted, in unescaped bytes. Refused rather than dropped when longer:
/// LiteLLM keys end-user budgets and spend on it, so it must not silently vanish.
pub const MAX_USER_LEN: usize = 4096;

/// What the gateway reads from a client request, with byte ranges into the original body.
/// Keys are matched after JSON unescaping; each key in [`Key`] occurs at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFields {
    /// The top-level object (always set by [`inspect`] and [`BodyScanner`]).
    pub object: Option<ObjectSpan>,
    /// Unescaped top-level "model" string.
    pub model: Option<String>,
    /// Range in the original body of the model value, quotes included.
    pub model_span: Option<Range<usize>>,
    /// Top-level "stream": true.
    pub stream: bool,
    /// `stream_options.include_usage` as the client sent it (a bool; anything else is `None`).
    pub include_usage: Option<bool>,
    /// Range of the `stream_options.include_usage` value when `stream_options` is an object
    /// that has one (of any JSON type).
    pub include_usage_span: Option<Range<usize>>,
    /// Range of the `stream_options` value when present (of any JSON type).
    pub stream_options_span: Option<Range<usize>>,
    /// The `stream_options` value when it is an object.
    pub stream_options_object: Option<ObjectSpan>,
    /// Top-level "user" when it is a string.
    pub user: Option<String>,
    /// Top-level "messages" (the last one, if repeated), for [`require`].
    pub messages: Presence,
    /// Top-level "prompt" (the last one, if repeated), for [`require`].
    pub prompt: Presence,
    /// Top-level "input" (the last one, if repeated), for [`require`].
    pub input: Presence,
    /// Top-level "max_tokens" (the last one, if repeated), for [`require`] on Messages.
    pub max_tokens: Presence,
    /// Top-level "query" and "documents" (the last of each), for [`require`] on rerank.
    pub query: Presence,
    pub documents: Presence,
    /// Top-level "service_tier" (the last one, if repeated) when it names a known tier.
    pub service_tier: Option<ServiceTier>,
    /// The top-level keys that decide whether a chat body is spliced or written again.
    pub keys: BodyKeys,
    /// What the messages and tools hold that a provider's message rules change; `None` when
    /// the body was read in pieces ([`BodyScanner`] does not walk them).
    pub shapes: Option<Shapes>,
    /// Where the values of LiteLLM's router members are (the last of each).
    pub router_args: RouterArgSpans,
}

/// A request member LiteLLM's router reads (`num_retries`, `fallbacks`, `timeout`, ...): never
/// sent to a provider, read by the server only when present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouterArg {
    NumRetries,
    Timeout,
    RequestTimeout,
    StreamTimeout,
    Fallbacks,
    ContextWindowFallbacks,
    ContentPolicyFallbacks,
    DisableFallbacks,
    MaxFallbacks,
    /// `metadata` (its `tags`) and `tags`: the request's tags, for tag routing.
    Metadata,
    Tags,
}

impl RouterArg {
    pub const ALL: [RouterArg; 11] = [
        RouterArg::NumRetries,
        RouterArg::Timeout,
        RouterArg::RequestTimeout,
        RouterArg::StreamTimeout,
        RouterArg::Fallbacks,
        RouterArg::ContextWindowFallbacks,
        RouterArg::ContentPolicyFallbacks,
        RouterArg::DisableFallbacks,
        RouterArg::MaxFallbacks,
        RouterArg::Metadata,
        RouterArg::Tags,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            RouterArg::NumRetries => "num_retries",
            RouterArg::Timeout => "timeout",
            RouterArg::RequestTimeout => "request_timeout",
            RouterArg::StreamTimeout => "stream_timeout",
            RouterArg::Fallbacks => "fallbacks",
            RouterArg::ContextWindowFallbacks => "context_window_fallbacks",
            RouterArg::ContentPolicyFallbacks => "content_policy_fallbacks",
            RouterArg::DisableFallbacks => "disable_fallbacks",
            RouterArg::MaxFallbacks => "max_fallbacks",
            RouterArg::Metadata => "metadata",
            RouterArg::Tags => "tags",
        }
    }

    /// The member named exactly `key` (LiteLLM reads its members by exact name). `fallbacks`
    /// and `metadata` are [`Key`]s, read where keys are.
    pub fn of(key: &str) -> Option<RouterArg> {
        Some(match key {
            "num_retries" => RouterArg::NumRetries,
            "timeout" => RouterArg::Timeout,
            "request_timeout" => RouterArg::RequestTimeout,
            "stream_timeout" => RouterArg::StreamTimeout,
            "context_window_fallbacks" => RouterArg::ContextWindowFallbacks,
            "content_policy_fallbacks" => RouterArg::ContentPolicyFallbacks,
            "disable_fallbacks" => RouterArg::DisableFallbacks,
            "max_fallbacks" => RouterArg::MaxFallbacks,
            "tags" => RouterArg::Tags,
            _ => return None,
        })
    }
}

/// The byte range of each [`RouterArg`]'s value in the body, the last one where repeated: a
/// fixed size whatever the body repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouterArgSpans([Option<Range<usize>>; 11]);

impl RouterArgSpans {
    pub fn set(&mut self, arg: RouterArg, span: Range<usize>) {
        self.0[arg as usize] = Some(span);
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    /// The members present, with their values' ranges.
    pub fn iter(&self) -> impl Iterator<Item = (RouterArg, Range<usize>)> + '_ {
        RouterArg::ALL
            .iter()
            .zip(&self.0)
            .filter_map(|(&arg, span)| Some((arg, span.clone()?)))
    }
}

/// Where an object sits in the body: what a splice needs to add a member to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectSpan {
    /// Offset of its `{`.
    pub open: usize,
    /// Offset of its `}`.
    pub close: usize,
    pub has_members: bool,
}

/// Whether a member the gateway only checks for is in the body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Presence {
    #[default]
    Absent,
    Null,
    /// Any non-null value.
    Value,
}

impl Presence {
    fn of(value: simd_json::tape::Value<'_, '_>) -> Presence {
        if value.is_null() {
            Presence::Null
        } else {
            Presence::Value
        }
    }
}

/// Why a client body was refused; the server maps every variant to 400 with
/// `prefix() + message()` and `param()` in LiteLLM's error JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    InvalidJson,
    NotAnObject,
    ModelNotString,
    StreamNotBool,
    /// A key the gateway reads or rewrites occurs twice once unescaped (`"model"` and
    /// `"mod\u0065l"`): the upstream would serve the last one, whatever the gateway routed,
    /// authorised and priced.
    DuplicateKey(Key),
    /// A key equal to one the gateway reads or rewrites except for letter case (`"Model"`):
    /// case-insensitive upstream parsers would read it as that key.
    CaseVariantKey(Key),
    /// A `model` or `user` string longer than [`MAX_MODEL_LEN`] or [`MAX_USER_LEN`].
    ValueTooLong(Key),
    /// The endpoint's required body parameter is missing ([`require`]).
    MissingParam(Endpoint),
    /// A Messages request without `max_tokens`, its second required parameter.
    MissingMaxTokens,
    /// A rerank request without `documents`, its second required parameter.
    MissingDocuments,
}

impl RequestError {
    /// Message for the error JSON, worded after LiteLLM's proxy responses, without
    /// [`RequestError::prefix`].
    pub fn message(self) -> &'static str {
        match self {
            RequestError::InvalidJson => "request body could not be parsed as JSON",
            // LiteLLM `http_parsing_utils.py` `_read_request_body`, for a body that is valid
            // JSON but not an object: "Invalid JSON payload: expected an object".
            RequestError::NotAnObject => "expected an object",
            RequestError::ModelNotString => "Invalid model name passed in model: expected a string",
            RequestError::StreamNotBool => "Invalid value for 'stream': expected a boolean",
            RequestError::DuplicateKey(key) => duplicate_message(key),
            RequestError::CaseVariantKey(key) => case_variant_message(key),
            RequestError::ValueTooLong(key) => too_long_message(key),
            RequestError::MissingParam(endpoint) => missing_message(endpoint),
            RequestError::MissingMaxTokens => {
                "anthropic_messages: Missing required parameter: 'max_tokens'."
            }
            RequestError::MissingDocuments => "/rerank: Missing required parameter: 'documents'.",
        }
    }

    /// What LiteLLM puts before the message: "Invalid JSON payload: " for the errors it
    /// raises while reading the body (`_read_request_body`), nothing for the others.
    pub fn prefix(self) -> &'static str {
        match self {
            RequestError::InvalidJson | RequestError::NotAnObject => "Invalid JSON payload: ",
            _ => "",
        }
    }

    /// The `param` of LiteLLM's error JSON: "request_body" for unreadable bodies, else the
    /// offending parameter.
    pub fn param(self) -> &'static str {
        match self {
            RequestError::InvalidJson | RequestError::NotAnObject => "request_body",
            RequestError::ModelNotString => "model",
            RequestError::StreamNotBool => "stream",
            RequestError::DuplicateKey(key)
            | RequestError::CaseVariantKey(key)
            | RequestError::ValueTooLong(key) => key.path(),
            RequestError::MissingParam(endpoint) => required_param(endpoint),
            RequestError::MissingMaxTokens => "max_tokens",
            RequestError::MissingDocuments => "documents",
        }
    }
}

fn duplicate_message(key: Key) -> &'static str {
    macro_rules! duplicate {
        ($path:literal) => {
            concat!(
                "Duplicate key '",
                $path,
                "' in request body: each field the gateway reads must appear once"
            )
        };
    }
    match key {
        Key::Model => duplicate!("model"),
        Key::Stream => duplicate!("stream"),
        Key::StreamOptions => duplicate!("stream_options"),
        Key::User => duplicate!("user"),
        Key::Metadata => duplicate!("metadata"),
        Key::Fallbacks => duplicate!("fallbacks"),
        Key::IncludeUsage => duplicate!("stream_options.include_usage"),
    }
}

fn case_variant_message(key: Key) -> &'static str {
    macro_rules! case_variant {
        ($path:literal) => {
            concat!(
                "Key '",
                $path,
                "' in request body is spelled in another letter case: providers that ignore case read it as '",
                $path,
                "', so send it only as '",
                $path,
                "'"
            )
        };
    }
    match key {
        Key::Model => case_variant!("model"),
        Key::Stream => case_variant!("stream"),
        Key::StreamOptions => case_variant!("stream_options"),
        Key::User => case_variant!("user"),
        Key::Metadata => case_variant!("metadata"),
        Key::Fallbacks => case_variant!("fallbacks"),
        Key::IncludeUsage => case_variant!("stream_options.include_usage"),
    }
}

fn too_long_message(key: Key) -> &'static str {
    match key {
        Key::Model => "Invalid model name passed in model: longer than 4096 bytes",
        Key::User => "Invalid value for 'user': longer than 4096 bytes",
        _ => "Invalid value in request body: too long",
    }
}

/// The body parameter LiteLLM requires before routing, per endpoint.
fn required_param(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::ChatCompletions | Endpoint::Messages | Endpoint::CountTokens => "messages",
        Endpoint::Completions => "prompt",
        Endpoint::Embeddings => "input",
        Endpoint::Ocr => "document",
        Endpoint::Rerank => "query",
        Endpoint::Responses | Endpoint::Response(_) => "input",
    }
}

/// LiteLLM's `ProxyMissingRequiredParamError` text, `f"{route}: Missing required parameter:
/// '{param}'."` with `route` from `ROUTE_ENDPOINT_MAPPING` (proxy/route_llm_request.py).
fn missing_message(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::ChatCompletions => "/chat/completions: Missing required parameter: 'messages'.",
        Endpoint::Completions => "/completions: Missing required parameter: 'prompt'.",
        Endpoint::Embeddings => "/embeddings: Missing required parameter: 'input'.",
        Endpoint::Messages => "anthropic_messages: Missing required parameter: 'messages'.",
        // The count_tokens route's own check (an HTTPException, not the route table's).
        Endpoint::CountTokens => "messages parameter is required",
        Endpoint::Ocr => "/ocr: Missing required parameter: 'document'.",
        Endpoint::Rerank => "/rerank: Missing required parameter: 'query'.",
        Endpoint::Responses | Endpoint::Response(_) => {
            "/responses: Missing required parameter: 'input'."
        }
    }
}

/// Whether the request asks for `drop_params` itself (`"drop_params": true`, as LiteLLM reads
/// it from the body). Read only when a translation refuses parameters.
pub fn asks_drop_params(body: &[u8]) -> bool {
    crate::json::value::get(body, "drop_params") == Some(b"true")
}

/// Validates `body` as JSON with simd-json (on a copy in `scratch`, since simd-json rewrites
/// its input) and extracts [`RequestFields`] with one walk of the top-level members: keys as
/// simd-json unescaped them (from its tape), value ranges from its structural indexes.
///
/// A repeated key the gateway reads or rewrites, or a case variant of one, is refused
/// (DESIGN.md, "Bad input"): LiteLLM takes the last one, as orjson does, but a body the
/// gateway forwards must mean to every upstream parser what it meant to the gateway.
///
/// A `model` or `user` string longer than [`MAX_MODEL_LEN`] or [`MAX_USER_LEN`] is refused
/// ([`RequestError::ValueTooLong`]), so that [`BodyScanner`], which must hold them in bounded
/// memory, answers the same.
///
/// Measured with `examples/inspect_cost.rs` (2.1 KB chat body, opt-level 3, shared 2-core VM
/// under load 4–6, so ±40 %): a simd-json tape plus a byte scan for the ranges 4.0–6.0 µs;
/// simd-json borrowed tree 6.8–7.0 µs; serde_json `IgnoredAny` + scan 3.1 µs, 4.1 µs with the
/// UTF-8 check simd-json does for free; a typed serde_json struct 1.5–2.2 µs but without
/// offsets; the scan alone 1.2–2.0 µs. The tape stays: it validates UTF-8 and structure in one
/// pass and already holds unescaped keys. Since then the ranges come from simd-json's own
/// structural indexes and its buffers are reused ([`Scratch`]): callgrind through the gateway
/// on the harness's 981-byte chat body, 12.0k → 8.4k instructions per request; later, from
/// 9.3k, walking those indexes only as far as a byte range is needed (`fields_of`): 8.2k.
pub fn inspect(body: &[u8], scratch: &mut Scratch) -> Result<RequestFields, RequestError> {
    scratch
        .parse(body, |tape, idx| fields_of(body, tape, idx))
        .map_err(|_| RequestError::InvalidJson)?
}

/// What the `messages` value holds that a provider's [`crate::params::MessageRules`] may
/// change: one walk over the messages and their content parts on simd-json's tape.
fn message_shapes(messages: simd_json::tape::Value<'_, '_>) -> Shapes {
    let mut shapes = Shapes::EMPTY;
    for message in messages.as_array().iter().flat_map(|list| list.iter()) {
        let Some(members) = message.as_object() else {
            continue;
        };
        let mut has_role = false;
        for (key, value) in members.iter() {
            if value.is_null() {
                shapes = shapes.with(Shapes::NULL_MEMBER);
            }
            match key {
                "role" => {
                    has_role = true;
                    match value.as_str() {
                        Some("developer") => shapes = shapes.with(Shapes::DEVELOPER),
                        Some("assistant") => shapes = shapes.with(Shapes::ASSISTANT),
                        _ => {}
                    }
                }
                "cache_control" => shapes = shapes.with(Shapes::CACHE_CONTROL),
                "content" => {
                    if let Some(parts) = value.as_array() {
                        shapes = shapes.with(Shapes::CONTENT_LIST);
                        if parts.iter().any(|part| part.contains_key("cache_control")) {
                            shapes = shapes.with(Shapes::CACHE_CONTROL);
                        }
                    }
                }
                _ => {}
            }
        }
        if !has_role {
            shapes = shapes.with(Shapes::NO_ROLE);
        }
    }
    shapes
}

/// `cache_control` on a tool or on its function ([`message_shapes`] for `tools`).
fn tool_shapes(tools: simd_json::tape::Value<'_, '_>) -> Shapes {
    let marked = tools
        .as_array()
        .iter()
        .flat_map(|list| list.iter())
        .any(|tool| {
            tool.contains_key("cache_control")
                || tool
                    .get("function")
                    .is_some_and(|f| f.contains_key("cache_control"))
        });
    if marked {
        Shapes::CACHE_CONTROL
    } else {
        Shapes::EMPTY
    }
}

/// [`inspect`] once simd-json accepted `body`: one walk of the top-level members, keys and
/// values from the tape. Byte ranges, from the structural indexes `idx`, are only needed for
/// `model` and `stream_options`: the walk over the indexes (which visits every index inside
/// every value, the messages' included) goes only as far as the last of those, and the
/// object's `}` is the document's last index (simd-json refuses anything after the root).
fn fields_of(body: &[u8], tape: &Tape<'_>, idx: &[u32]) -> Result<RequestFields, RequestError> {
    let root = tape.as_value();
    let object = root.as_object().ok_or(RequestError::NotAnObject)?;
    let open = *idx.first().ok_or(RequestError::InvalidJson)? as usize;
    let mut spans = IndexedMembers::new(body, idx, 0);
    // Members of `spans` taken so far.
    let mut walked = 0;
    let mut seen = Seen::default();
    let mut fields = RequestFields::default();
    let mut shapes = Shapes::EMPTY;
    let mut members = 0;
    for (key, value) in object.iter() {
        let n = members;
        members += 1;
        // simd-json validated the body, so the walk meets the same members in order.
        let mut member = || {
            let skip = n - walked;
            walked = n + 1;
            spans.nth(skip).ok_or(RequestError::InvalidJson)
        };
        fields.keys.note(key);
        let Some(watched) = watched(key, &Key::TOP_LEVEL, &mut seen)? else {
            match key {
                "messages" => {
                    fields.messages = Presence::of(value);
                    shapes = shapes.with(message_shapes(value));
                }
                "tools" => shapes = shapes.with(tool_shapes(value)),
                "prompt" => fields.prompt = Presence::of(value),
                "input" => fields.input = Presence::of(value),
                "max_tokens" => fields.max_tokens = Presence::of(value),
                "query" => fields.query = Presence::of(value),
                "documents" => fields.documents = Presence::of(value),
                "service_tier" => {
                    fields.service_tier = value.as_str().and_then(ServiceTier::from_name);
                }
                _ => {
                    if let Some(arg) = RouterArg::of(key) {
                        fields.router_args.set(arg, member()?.value);
                    }
                }
            }
            continue;
        };
        match watched {
            Key::Model => {
                let model = value.as_str().ok_or(RequestError::ModelNotString)?;
                if model.len() > MAX_MODEL_LEN {
                    return Err(RequestError::ValueTooLong(Key::Model));
                }
                fields.model = Some(model.to_owned());
                fields.model_span = Some(member()?.value);
            }
            Key::Stream => {
                fields.stream = match value.as_bool() {
                    Some(stream) => stream,
                    // LiteLLM treats an explicit null like an absent stream flag.
                    None if value.is_null() => false,
                    None => return Err(RequestError::StreamNotBool),
                }
            }
            Key::StreamOptions => {
                let member = member()?;
                let span = member.value;
                if let Some(options) = value.as_object() {
                    if let Some(usage) = include_usage_span(body, idx, member.at, &options)? {
                        fields.include_usage = match &body[usage.clone()] {
                            b"true" => Some(true),
                            b"false" => Some(false),
                            _ => None,
                        };
                        fields.include_usage_span = Some(usage);
                    }
                    fields.stream_options_object = Some(ObjectSpan {
                        open: span.start,
                        close: span.end - 1,
                        has_members: skip_ws(body, span.start + 1) < span.end - 1,
                    });
                }
                fields.stream_options_span = Some(span);
            }
            Key::User => {
                if let Some(user) = value.as_str() {
                    if user.len() > MAX_USER_LEN {
                        return Err(RequestError::ValueTooLong(Key::User));
                    }
                    fields.user = Some(user.to_owned());
                }
            }
            Key::Fallbacks => fields
                .router_args
                .set(RouterArg::Fallbacks, member()?.value),
            Key::Metadata => fields.router_args.set(RouterArg::Metadata, member()?.value),
            Key::IncludeUsage => {}
        }
    }
    let close = if walked == members {
        // Past the last member the walk stops at the object's `}`.
        let _ = spans.next();
        spans.close()
    } else {
        idx.last()
            .map(|&i| i as usize)
            .filter(|&i| body.get(i) == Some(&b'}'))
    };
    fields.object = Some(ObjectSpan {
        open,
        close: close.ok_or(RequestError::InvalidJson)?,
        has_members: members > 0,
    });
    fields.shapes = Some(shapes);
    Ok(fields)
}

/// Which of `among` the unescaped `key` is, if any; refuses a second occurrence and a case
/// variant.
fn watched(key: &str, among: &[Key], seen: &mut Seen) -> Result<Option<Key>, RequestError> {
    match Key::find(key, among) {
        None => Ok(None),
        Some((key, Spelling::CaseVariant)) => Err(RequestError::CaseVariantKey(key)),
        Some((key, Spelling::Exact)) if seen.insert(key) => Ok(Some(key)),
        Some((key, Spelling::Exact)) => Err(RequestError::DuplicateKey(key)),
    }
}

/// The range of the `include_usage` value in the `stream_options` object whose `{` is at
/// `idx[at]`; `options` is the same object on the tape.
fn include_usage_span(
    body: &[u8],
    idx: &[u32],
    at: usize,
    options: &Object<'_, '_>,
) -> Result<Option<Range<usize>>, RequestError> {
    let mut spans = IndexedMembers::new(body, idx, at);
    let mut seen = Seen::default();
    let mut found = None;
    for key in options.keys() {
        let span = spans.next().ok_or(RequestError::InvalidJson)?.value;
        if watched(key, &Key::STREAM_OPTIONS, &mut seen)?.is_some() {
            found = Some(span);
        }
    }
    Ok(found)
}

/// Refuses a request that lacks the parameter LiteLLM requires for `endpoint` before it
/// routes (proxy/route_llm_request.py `raise_if_required_body_param_missing`, the first step
/// of `route_request`, so before any model lookup). Call it right after [`inspect`].
///
/// - chat completions: `messages` absent or null (`REQUIRED_BODY_PARAMS_BY_ROUTE`,
///   `data.get("messages") is None`). A non-array `messages` is not refused here: LiteLLM
///   fails it later, inconsistently (400 "Invalid request format: ..." from an
///   AttributeError for a string, 500 for a number), so the upstream's own 400 is clearer.
/// - completions: `prompt` absent (`REQUIRED_PRESENT_BODY_PARAMS_BY_ROUTE`, `"prompt" not
///   in data`; an explicit null passes this check).
/// - embeddings: `input` absent or null (`REQUIRED_BODY_PARAMS_BY_ROUTE`).
/// - messages: `messages`, then `max_tokens`, absent or null.
///
/// The message is LiteLLM's `ProxyMissingRequiredParamError`, e.g.
/// "/chat/completions: Missing required parameter: 'messages'." (param "messages").
pub fn require(endpoint: Endpoint, fields: &RequestFields) -> Result<(), RequestError> {
    let present = match endpoint {
        Endpoint::ChatCompletions | Endpoint::Messages => fields.messages == Presence::Value,
        // Also refused when `[]` (`if not messages`): `messages::count::has_messages`.
        Endpoint::CountTokens => fields.messages == Presence::Value,
        // `document` is not one of the fields read here: `ocr::has_document`.
        Endpoint::Ocr => true,
        Endpoint::Completions => fields.prompt != Presence::Absent,
        Endpoint::Embeddings => fields.input == Presence::Value,
        // proxy/route_llm_request.py: `query`, then `documents`, absent or null.
        Endpoint::Rerank => fields.query == Presence::Value,
        Endpoint::Responses => fields.input == Presence::Value,
        // A stored response is named by its path.
        Endpoint::Response(_) => true,
    };
    if !present {
        Err(RequestError::MissingParam(endpoint))
    } else if endpoint == Endpoint::Messages && fields.max_tokens != Presence::Value {
        Err(RequestError::MissingMaxTokens)
    } else if endpoint == Endpoint::Rerank && fields.documents != Presence::Value {
        Err(RequestError::MissingDocuments)
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// [`fields_of`] as it was before the walk over the structural indexes stopped early: every
    /// member's byte range taken, presences and `stream` read from the bytes.
    fn fields_of_before(
        body: &[u8],
        tape: &Tape<'_>,
        idx: &[u32],
    ) -> Result<RequestFields, RequestError> {
        let root = tape.as_value();
        let object = root.as_object().ok_or(RequestError::NotAnObject)?;
        let open = *idx.first().ok_or(RequestError::InvalidJson)? as usize;
        let mut spans = IndexedMembers::new(body, idx, 0);
        let mut seen = Seen::default();
        let mut fields = RequestFields::default();
        let mut shapes = Shapes::EMPTY;
        let mut has_members = false;
        for (key, value) in object.iter() {
            has_members = true;
            // simd-json validated the body, so the walk meets the same members in order.
            let member = spans.next().ok_or(RequestError::InvalidJson)?;
            let span = member.value;
            let raw = &body[span.clone()];
            fields.keys.note(key);
            let Some(watched) = watched(key, &Key::TOP_LEVEL, &mut seen)? else {
                match key {
                    "messages" => {
                        fields.messages = presence_of_raw(raw);
                        shapes = shapes.with(message_shapes(value));
                    }
                    "tools" => shapes = shapes.with(tool_shapes(value)),
                    "prompt" => fields.prompt = presence_of_raw(raw),
                    "input" => fields.input = presence_of_raw(raw),
                    "max_tokens" => fields.max_tokens = presence_of_raw(raw),
                    "query" => fields.query = presence_of_raw(raw),
                    "documents" => fields.documents = presence_of_raw(raw),
                    "service_tier" => {
                        fields.service_tier = value.as_str().and_then(ServiceTier::from_name);
                    }
                    _ => {
                        if let Some(arg) = RouterArg::of(key) {
                            fields.router_args.set(arg, span);
                        }
                    }
                }
                continue;
            };
            match watched {
                Key::Model => {
                    let model = value.as_str().ok_or(RequestError::ModelNotString)?;
                    if model.len() > MAX_MODEL_LEN {
                        return Err(RequestError::ValueTooLong(Key::Model));
                    }
                    fields.model = Some(model.to_owned());
                    fields.model_span = Some(span);
                }
                Key::Stream => {
                    fields.stream = match raw {
                        b"true" => true,
                        // LiteLLM treats an explicit null like an absent stream flag.
                        b"false" | b"null" => false,
                        _ => return Err(RequestError::StreamNotBool),
                    }
                }
                Key::StreamOptions => {
                    if let Some(options) = value.as_object() {
                        if let Some(usage) = include_usage_span(body, idx, member.at, &options)? {
                            fields.include_usage = match &body[usage.clone()] {
                                b"true" => Some(true),
                                b"false" => Some(false),
                                _ => None,
                            };
                            fields.include_usage_span = Some(usage);
                        }
                        fields.stream_options_object = Some(ObjectSpan {
                            open: span.start,
                            close: span.end - 1,
                            has_members: skip_ws(body, span.start + 1) < span.end - 1,
                        });
                    }
                    fields.stream_options_span = Some(span);
                }
                Key::User => {
                    if let Some(user) = value.as_str() {
                        if user.len() > MAX_USER_LEN {
                            return Err(RequestError::ValueTooLong(Key::User));
                        }
                        fields.user = Some(user.to_owned());
                    }
                }
                Key::Fallbacks => fields.router_args.set(RouterArg::Fallbacks, span),
                Key::Metadata => fields.router_args.set(RouterArg::Metadata, span),
                Key::IncludeUsage => {}
            }
        }
        // Past the last member the walk stops at the object's `}`.
        let _ = spans.next();
        let close = spans.close().ok_or(RequestError::InvalidJson)?;
        fields.object = Some(ObjectSpan {
            open,
            close,
            has_members,
        });
        fields.shapes = Some(shapes);
        Ok(fields)
    }

    fn presence_of_raw(raw: &[u8]) -> Presence {
        if raw == b"null" {
            Presence::Null
        } else {
            Presence::Value
        }
    }

    fn inspect_before(body: &[u8], scratch: &mut Scratch) -> Result<RequestFields, RequestError> {
        scratch
            .parse(body, |tape, idx| fields_of_before(body, tape, idx))
            .map_err(|_| RequestError::InvalidJson)?
    }

    /// Bodies with the members the gateway reads in every order and shape, then mutated
    /// byte by byte: `inspect` answers exactly what the full walk answered (fields, byte
    /// ranges, errors).
    #[test]
    fn inspect_answers_what_the_full_walk_answered() {
        let members: &[&str] = &[
            r#""model":"gpt-4o""#,
            r#""model" : "mod\u0065l/x""#,
            r#""messages":[{"role":"user","content":"hi"},{"role":"developer","content":[{"type":"text","text":"x","cache_control":{}}]}]"#,
            r#""messages":null"#,
            r#""stream":true"#,
            r#""stream":false"#,
            r#""stream":null"#,
            r#""stream":"yes""#,
            r#""stream_options":{"include_usage":true}"#,
            r#""stream_options": { "x":[1,{"include_usage":2}], "include_usage" : false } "#,
            r#""stream_options":null"#,
            r#""user":"bench""#,
            r#""temperature":0.2"#,
            r#""max_tokens":null"#,
            r#""tools":[{"type":"function","function":{"name":"f","cache_control":{}}}]"#,
            r#""prompt":"p""#,
            r#""input":["a"]"#,
            r#""query":"q","documents":[]"#,
            r#""service_tier":"flex""#,
            r#""Model":"x""#,
            r#""metadata":{"a":1}"#,
            r#""fallbacks":["g2",{"g":["h"]}]"#,
            r#""num_retries":3"#,
            r#""timeout" : 1.5"#,
            r#""disable_fallbacks":true"#,
        ];
        let mut rng = fastrand::Rng::with_seed(5);
        let mut scratch = Scratch::new();
        let mut other = Scratch::new();
        let mut compared = 0;
        for _ in 0..20_000 {
            let n = rng.usize(..6);
            let picked: Vec<&str> = (0..n)
                .map(|_| members[rng.usize(..members.len())])
                .collect();
            let mut body = format!(
                "{}{{{}}}{}",
                [" ", "", "\n"][rng.usize(..3)],
                picked.join(","),
                ["", " ", "\r\n\t"][rng.usize(..3)]
            )
            .into_bytes();
            // Some bodies mutated: invalid JSON must be refused the same way.
            if rng.u8(..4) == 0 && !body.is_empty() {
                let at = rng.usize(..body.len());
                const BYTES: &[u8] = b"{}[]\":, 0an\\";
                body[at] = BYTES[rng.usize(..BYTES.len())];
            }
            let want = inspect_before(&body, &mut other);
            assert_eq!(
                inspect(&body, &mut scratch),
                want,
                "{}",
                String::from_utf8_lossy(&body)
            );
            compared += usize::from(want.is_ok());
        }
        assert!(compared > 5_000, "{compared}");
        for body in [
            &include_bytes!("../../harness/bodies/chat.json")[..],
            include_bytes!("../../harness/bodies/chat-stream.json"),
            include_bytes!("../../harness/bodies/messages.json"),
        ] {
            assert_eq!(
                inspect(body, &mut scratch),
                inspect_before(body, &mut other)
            );
        }
    }

    #[test]
    fn inspect_reads_fields_and_spans() {
        let body = br#"{"messages":[{"role":"user","content":"hi \"model\""}], "model" : "gpt\u002d4o", "stream":true,
            "stream_options":{"include_usage":false},"user":"u1"}"#;
        let f = inspect(body, &mut Scratch::new()).unwrap();
        assert_eq!(f.model.as_deref(), Some("gpt-4o"));
        assert_eq!(&body[f.model_span.clone().unwrap()], br#""gpt\u002d4o""#);
        assert!(f.stream);
        assert_eq!(f.include_usage, Some(false));
        assert_eq!(f.user.as_deref(), Some("u1"));
    }

    #[test]
    fn inspect_notes_what_the_messages_hold() {
        let shapes = |body: &str| {
            inspect(body.as_bytes(), &mut Scratch::new())
                .unwrap()
                .shapes
        };
        assert_eq!(
            shapes(
                r#"{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}]}"#
            ),
            Some(Shapes::EMPTY)
        );
        assert_eq!(
            shapes(r#"{"messages":[{"role":"developer","content":"x"},{"content":null}]}"#),
            Some(
                Shapes::DEVELOPER
                    .with(Shapes::NULL_MEMBER)
                    .with(Shapes::NO_ROLE)
            )
        );
        assert_eq!(
            shapes(
                r#"{"messages":[{"role":"user","content":[{"type":"text","text":"x","cache_control":{}}]}]}"#
            ),
            Some(Shapes::CONTENT_LIST.with(Shapes::CACHE_CONTROL))
        );
        assert_eq!(
            shapes(
                r#"{"messages":[],"tools":[{"type":"function","function":{"cache_control":{}}}]}"#
            ),
            Some(Shapes::CACHE_CONTROL)
        );
        // Not a list, or not objects: nothing to note.
        assert_eq!(shapes(r#"{"messages":"x"}"#), Some(Shapes::EMPTY));
        assert_eq!(shapes(r#"{"messages":[1,"x",null]}"#), Some(Shapes::EMPTY));
    }

    #[test]
    fn inspect_errors() {
        let mut s = Scratch::new();
        assert_eq!(
            inspect(b"{", &mut s).unwrap_err(),
            RequestError::InvalidJson
        );
        assert_eq!(
            inspect(b"[]", &mut s).unwrap_err(),
            RequestError::NotAnObject
        );
        assert_eq!(
            inspect(br#"{"model":1}"#, &mut s).unwrap_err(),
            RequestError::ModelNotString
        );
        assert_eq!(
            inspect(br#"{"model":"a","stream":"yes"}"#, &mut s).unwrap_err(),
            RequestError::StreamNotBool
        );
    }

    #[test]
    fn inspect_locates_the_objects_a_splice_extends() {
        let body = br#" { "stream_options" : { } ,"model":"m"}  "#;
        let f = inspect(body, &mut Scratch::new()).unwrap();
        let span = |open, close, has_members| {
            Some(ObjectSpan {
                open,
                close,
                has_members,
            })
        };
        assert_eq!(f.object, span(1, 38, true));
        assert_eq!(f.stream_options_object, span(22, 24, false));
        let f = inspect(b"{ }", &mut Scratch::new()).unwrap();
        assert_eq!(f.object, span(0, 2, false));
    }

    #[test]
    fn model_and_user_have_a_length_limit() {
        let at = |len: usize, key: &str| {
            let body = format!(r#"{{"{key}":"{}"}}"#, "é".repeat(len / 2));
            inspect(body.as_bytes(), &mut Scratch::new())
        };
        assert!(at(MAX_MODEL_LEN, "model").is_ok());
        assert_eq!(
            at(MAX_MODEL_LEN + 2, "model").unwrap_err(),
            RequestError::ValueTooLong(Key::Model)
        );
        assert!(at(MAX_USER_LEN, "user").is_ok());
        assert_eq!(
            at(MAX_USER_LEN + 2, "user").unwrap_err(),
            RequestError::ValueTooLong(Key::User)
        );
        let e = RequestError::ValueTooLong(Key::Model);
        assert_eq!((e.prefix(), e.param()), ("", "model"));
        assert!(e.message().contains(&MAX_MODEL_LEN.to_string()));
        let e = RequestError::ValueTooLong(Key::User);
        assert!(e.message().contains(&MAX_USER_LEN.to_string()));
    }
}
