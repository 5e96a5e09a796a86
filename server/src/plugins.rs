//! LiteLLM's Python plugins (issue 11): callbacks (`CustomLogger`), custom guardrails
//! (`CustomGuardrail`) and custom auth, run unchanged in a Python sidecar process.
//!
//! - [`sidecar`]: the process (started when the config names a plugin, restarted when it
//!   dies, stopped on shutdown) and what it reports at start: each plugin and the hooks it
//!   really overrides. Requests pay only for hooks that exist.
//! - [`link`]: each core's own connections to it (one for hook calls, one for logging), with
//!   no lock shared between cores.
//! - [`wire`]: the frames.
//! - [`data`]: what hooks receive, in LiteLLM's shapes (`data`, `UserAPIKeyAuth`, logging
//!   `kwargs` with the `standard_logging_object`).
//!
//! Failures: a hook that needs the sidecar while it is down or late fails the request with
//! a 503 (fail closed); logging never holds a request up (events queue per core up to a
//! bound, then drop and are counted).

use serde::de::IgnoredAny;

pub mod data;
pub mod link;
pub mod sidecar;
mod wire;

pub use link::CoreLink;
pub use sidecar::{Sidecar, SidecarSettings};

/// After the pre-call hooks, with the body that goes upstream: what hooks after the call
/// need of the request is kept in `ex` (a copy, only when a plugin has such a hook), and the
/// moderation hooks start, to run beside the call.
pub async fn after_pre_call(
    core: &crate::core::Core,
    req: &crate::exchange::Request<'_>,
    endpoint: corelane_transforms::provider::Endpoint,
    ex: &mut crate::exchange::Exchange<'_>,
) -> Result<(), crate::errors::GatewayError> {
    let Some(link) = &core.plugins else {
        return Ok(());
    };
    let hooks = link.sidecar.hooks;
    // A plugin with only the sync `log_failure_event` sees refusals only: they are kept
    // where they happen (`keep_refused`), not here for every request.
    let logged = HookSet::LOG_SUCCESS.union(HookSet::LOG_FAILURE);
    let after = logged
        .union(HookSet::MODERATION)
        .union(HookSet::POST_CALL_SUCCESS)
        .union(HookSet::POST_CALL_FAILURE)
        .union(HookSet::STREAMING)
        .union(HookSet::STREAMING_ITERATOR)
        .union(HookSet::RESPONSE_HEADERS);
    if !hooks.intersects(after) {
        return Ok(());
    }
    // Hooks that decide the request see its whole body: one spilled to a file is read back,
    // so a large request is no way around a guardrail. Logging and failure hooks get a body
    // only when it is in memory and at most MAX_LOGGED_RESPONSE (they never cost a request
    // its answer, nor a core a large copy).
    let deciding = hooks.intersects(
        HookSet::MODERATION
            .union(HookSet::POST_CALL_SUCCESS)
            .union(HookSet::STREAMING)
            .union(HookSet::STREAMING_ITERATOR),
    );
    let (body, _charge) = match deciding {
        true => crate::proxy::body_in_memory(core, req).await?,
        false if req.body.len() <= data::MAX_LOGGED_RESPONSE => {
            (std::borrow::Cow::Borrowed(req.body), None)
        }
        false => (std::borrow::Cow::Borrowed(&[][..]), None),
    };
    let captured = data::Captured::new(req.raw_head, &body, hooks.intersects(logged));
    let call_type = crate::proxy::call_type(endpoint);
    let moderated = hooks.contains(HookSet::MODERATION) && captured.request_is_json();
    if let (true, Some(call_type)) = (moderated, call_type) {
        if ex.call_id.as_str().is_empty() {
            ex.call_id = crate::response::CallId::random();
        }
        let key = data::caller_key(ex);
        let mut payload = Vec::with_capacity(body.len() + 1024);
        data::write_call(
            "moderation",
            call_type,
            ex.call_id.as_str(),
            &key,
            req.raw_head,
            &body,
            &[],
            &mut payload,
        );
        let (tx, rx) = flume::bounded(1);
        let link = link.clone();
        monoio::spawn(async move {
            let _ = tx.send(link.call(&payload).await);
        });
        *captured.moderation.borrow_mut() = Some(rx);
    }
    ex.plugin = Some(Box::new(captured));
    Ok(())
}

/// The model names of a listing (`/v1/models`, `/v1/models/{id}`, `/model/info`) that the
/// plugins' `async_filter_listed_models` keep, in their order (each plugin narrows what the
/// one before kept, as in LiteLLM); all of them when no plugin has the hook. The sidecar down or late is a 503, a
/// hook that answers something else than names a 500.
pub async fn shown_models<'n>(
    core: &crate::core::Core,
    ex: &crate::exchange::Exchange<'_>,
    names: Vec<&'n str>,
) -> Result<Vec<&'n str>, crate::errors::GatewayError> {
    let Some(link) = core
        .plugins
        .as_ref()
        .filter(|l| l.sidecar.hooks.contains(HookSet::FILTER_MODELS))
    else {
        return Ok(names);
    };
    if names.is_empty() {
        return Ok(names);
    }
    let payload = serde_json::json!({
        "hook": "filter_models",
        "key": data::caller_key(ex),
        "names": names,
    });
    let payload = serde_json::to_vec(&payload).unwrap_or_default();
    let answer = decide(link, &payload, "async_filter_listed_models").await?;
    let kept: std::collections::HashSet<&str> = answer["names"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .collect();
    Ok(names.into_iter().filter(|n| kept.contains(n)).collect())
}

/// Whether a plugin's post-call success hook will be shown this request's answer, which
/// must then be held whole (see [`post_call_success`]: a client API LiteLLM runs hooks for,
/// and a JSON request).
pub fn holds_answer(core: &crate::core::Core, ex: &crate::exchange::Exchange<'_>) -> bool {
    let hooked = core
        .plugins
        .as_ref()
        .is_some_and(|l| l.sidecar.hooks.contains(HookSet::POST_CALL_SUCCESS));
    hooked
        && ex.api.and_then(crate::proxy::call_type).is_some()
        && ex.plugin.as_ref().is_some_and(|c| c.request_is_json())
}

/// The hooks that log a request.
const LOGGING: HookSet = HookSet::LOG_SUCCESS
    .union(HookSet::LOG_FAILURE)
    .union(HookSet::LOG_FAILURE_SYNC);

/// A request refused before its phases kept what plugins see of it (auth, a limit, a
/// pre-call hook's rejection): its head and body, when it is in memory and not large, so
/// that logging hooks get it as LiteLLM logs the proxy's own refusals.
pub fn keep_refused(
    core: &crate::core::Core,
    ex: &mut crate::exchange::Exchange<'_>,
    endpoint: corelane_transforms::provider::Endpoint,
    raw_head: &[u8],
    body: &[u8],
) {
    let Some(link) = &core.plugins else {
        return;
    };
    if ex.plugin.is_some() || !link.sidecar.hooks.intersects(LOGGING) || !link.room_for_refusals() {
        return;
    }
    let body = if body.len() <= data::MAX_LOGGED_RESPONSE {
        body
    } else {
        &[]
    };
    let mut captured = data::Captured::new(raw_head, body, true);
    captured.endpoint = Some(endpoint);
    ex.plugin = Some(Box::new(captured));
}

/// Before the first byte of a successful answer goes out: the moderation hooks' verdict
/// (waited for, as LiteLLM waits for them beside the call), then, for an answer held whole,
/// the post-call success hooks, which may replace it (`Some`: the new body), then the
/// response-headers hooks.
pub async fn before_answer(
    core: &crate::core::Core,
    ex: &crate::exchange::Exchange<'_>,
    answer: Answer<'_>,
) -> Result<Option<Vec<u8>>, crate::errors::GatewayError> {
    let (Some(link), Some(captured)) = (&core.plugins, &ex.plugin) else {
        return Ok(None);
    };
    let pending = captured.moderation.borrow_mut().take();
    if let Some(verdict) = pending {
        let called = verdict
            .recv_async()
            .await
            .unwrap_or(Err(link::CallError::Unavailable));
        answer_of(link, called, "async_moderation_hook")?;
    }
    // An answer that is not JSON (a provider's odd one) is shown to no hook: they take it
    // parsed. Checked here once for both hooks.
    let answer = match answer {
        Answer::Whole(whole) if serde_json::from_slice::<IgnoredAny>(whole).is_err() => {
            Answer::NotHeld
        }
        answer => answer,
    };
    let replaced = match answer {
        Answer::Whole(whole) => post_call_success(link, captured, ex, whole).await?,
        _ => None,
    };
    let shown = replaced.as_deref().map_or(answer, Answer::Whole);
    response_headers(core, ex, (b"", b""), shown).await;
    Ok(replaced)
}

/// The post-call success hooks on an answer held whole (JSON): its replacement, if they
/// made one.
async fn post_call_success(
    link: &CoreLink,
    captured: &data::Captured,
    ex: &crate::exchange::Exchange<'_>,
    whole: &[u8],
) -> Result<Option<Vec<u8>>, crate::errors::GatewayError> {
    let Some(call_type) = ex.api.and_then(crate::proxy::call_type) else {
        return Ok(None);
    };
    if !link.sidecar.hooks.contains(HookSet::POST_CALL_SUCCESS) || !captured.request_is_json() {
        return Ok(None);
    }
    let key = data::caller_key(ex);
    let mut payload = Vec::with_capacity(captured.request.len() + whole.len() + 1024);
    data::write_call(
        "post_call_success",
        call_type,
        ex.call_id.as_str(),
        &key,
        &captured.head,
        &captured.request,
        &[("response", whole)],
        &mut payload,
    );
    let answer = decide(link, &payload, "async_post_call_success_hook").await?;
    match answer.get("response") {
        Some(response) => Ok(serde_json::to_vec(response).ok()),
        None => Ok(None),
    }
}

/// What the plugins' `async_post_call_response_headers_hook` is shown of an answer.
#[derive(Debug, Clone, Copy)]
pub enum Answer<'a> {
    /// A success held whole: its body, as the client gets it (JSON, when the hooks see it:
    /// [`before_answer`] checks).
    Whole(&'a [u8]),
    /// A stream, before its first event.
    Stream,
    /// A success not shown: too large to hold (over 256 KiB, relayed as it arrives), or not
    /// JSON.
    NotHeld,
    /// A failure (the hook's `response` is None, as in LiteLLM).
    Failed,
}

/// Before an answer's head goes out (a success, a stream, or a failure): the plugins'
/// `async_post_call_response_headers_hook`s, whose headers the answer carries
/// ([`Exchange::hook_headers`](crate::exchange::Exchange::hook_headers), replacing an earlier
/// attempt's). As in LiteLLM, the first hook that raises (or runs late) ends the merge: the
/// answer carries what the hooks before it returned; a sidecar that cannot answer costs the
/// answer all of them. `raw` is the request's head and body, for a request refused before its
/// phases kept them.
pub async fn response_headers(
    core: &crate::core::Core,
    ex: &crate::exchange::Exchange<'_>,
    raw: (&[u8], &[u8]),
    answer: Answer<'_>,
) {
    let Some(link) = core
        .plugins
        .as_ref()
        .filter(|l| l.sidecar.hooks.contains(HookSet::RESPONSE_HEADERS))
    else {
        return;
    };
    let (head, request): (&[u8], &[u8]) = match &ex.plugin {
        Some(c) => (&c.head, &c.request),
        None => raw,
    };
    let request = match &ex.plugin {
        Some(c) if c.request_is_json() => request,
        None if serde_json::from_slice::<IgnoredAny>(request).is_ok() => request,
        _ => b"null",
    };
    let response: &[u8] = match answer {
        Answer::Whole(body) => body,
        _ => b"null",
    };
    let shown: &[u8] = match answer {
        Answer::Whole(_) => b"\"whole\"",
        Answer::Stream => b"\"stream\"",
        Answer::NotHeld => b"\"not_held\"",
        Answer::Failed => b"\"failed\"",
    };
    let info = serde_json::json!({
        "custom_llm_provider": ex.provider.map(|p| p.name),
        "model_info": {"id": ex.deployment.map(|d| d.id.as_str())},
        "api_base": (!ex.api_base.is_empty()).then_some(ex.api_base),
        "model_id": ex.deployment.map(|d| d.id.as_str()),
    })
    .to_string();
    let key = data::caller_key(ex);
    let mut payload = Vec::with_capacity(request.len() + response.len() + 1024);
    data::write_call(
        "response_headers",
        ex.api.and_then(crate::proxy::call_type).unwrap_or(""),
        ex.call_id.as_str(),
        &key,
        head,
        request,
        &[
            ("response", response),
            ("answer", shown),
            ("call_info", info.as_bytes()),
        ],
        &mut payload,
    );
    let answer = link.call(&payload).await;
    let mut hooked = ex.hook_headers.borrow_mut();
    hooked.clear();
    match answer {
        Ok(answer) => *hooked = hook_header_lines(&answer["headers"]),
        Err(e) => tracing::warn!(
            call_id = %ex.call_id,
            "{}",
            unavailable(link, e, "async_post_call_response_headers_hook").message()
        ),
    }
}

/// The most headers, and header bytes, the plugins may add to one answer.
const MAX_HOOK_HEADERS: usize = 64;
const MAX_HOOK_HEADER_BYTES: usize = 16 * 1024;

/// Headers a plugin may not set: the answer's framing and what LiteLLM keeps from plugins
/// (`UNSAFE_PROXY_RESPONSE_HEADERS`), and the connection's own.
const UNSAFE_HOOK_HEADERS: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "content-encoding",
    "content-type",
    "set-cookie",
    "cookie",
    "proxy-authenticate",
    "proxy-authorization",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "content-security-policy",
    "content-security-policy-report-only",
    "clear-site-data",
    "strict-transport-security",
    "x-frame-options",
    "cross-origin-opener-policy",
    "cross-origin-embedder-policy",
    "cross-origin-resource-policy",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
];

/// The header lines (each `\r\nname: value`) of what the sidecar answered for the
/// response-headers hooks (`[[name, value], ...]`, merged in order): names lowercased (as
/// LiteLLM's Starlette sets them), a later one replacing an earlier one of the same name.
/// A name that is not an HTTP token, a value with a control or non-ASCII character, a name
/// from [`UNSAFE_HOOK_HEADERS`] and anything past the bounds are dropped, each with a
/// warning (a plugin cannot split the head or reframe the answer).
pub fn hook_header_lines(headers: &serde_json::Value) -> Vec<u8> {
    let mut kept: Vec<(String, &str)> = Vec::new();
    for pair in headers.as_array().into_iter().flatten() {
        let (Some(name), Some(value)) = (pair[0].as_str(), pair[1].as_str()) else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let printable = value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
        if !token || !printable || UNSAFE_HOOK_HEADERS.contains(&name.as_str()) {
            tracing::warn!(
                header = %name.escape_debug(),
                "a plugin's async_post_call_response_headers_hook set a header corelane does not send (not a token, a control or non-ASCII character in its value, or a header that frames the answer)"
            );
            continue;
        }
        kept.retain(|(n, _)| *n != name);
        kept.push((name, value.trim_matches([' ', '\t'])));
    }
    let mut out = Vec::new();
    for (i, (name, value)) in kept.iter().enumerate() {
        if i == MAX_HOOK_HEADERS || out.len() + name.len() + value.len() + 4 > MAX_HOOK_HEADER_BYTES
        {
            tracing::warn!(
                kept = i,
                "a plugin's async_post_call_response_headers_hook set more headers than corelane sends (64, 16 KiB): the rest are dropped"
            );
            break;
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
    }
    out
}

/// A request's failure, before a byte of the answer went out: the plugins'
/// `async_post_call_failure_hook`s see it, and the first that returns or raises an
/// `HTTPException` replaces the client's error (`Some`).
pub async fn on_failure(
    core: &crate::core::Core,
    ex: &crate::exchange::Exchange<'_>,
    raw_head: &[u8],
    err: &crate::errors::GatewayError,
) -> Option<crate::errors::GatewayError> {
    let link = core.plugins.as_ref()?;
    if !link.sidecar.hooks.contains(HookSet::POST_CALL_FAILURE)
        || matches!(err, crate::errors::GatewayError::ClientGone)
    {
        return None;
    }
    // Clients with no valid key could keep the sidecar busy with their refusals, and slow
    // the hooks of everyone else: a core has at most MAX_REFUSAL_CALLS of those calls out,
    // and refuses the rest with its own error.
    let _slot = match ex.caller {
        crate::exchange::Caller::Unknown => Some(crate::core::Slot::take(
            &link.refusal_calls,
            MAX_REFUSAL_CALLS,
        )?),
        _ => None,
    };
    let key = data::caller_key(ex);
    let class = err.exception_class(ex.provider.map(|p| p.name));
    let failure = serde_json::json!({
        "class": class.class,
        "provider": class.provider,
        "status": err.status(),
        "message": err.message(),
        "model": ex.requested_model,
    });
    let request: &[u8] = match &ex.plugin {
        Some(captured) => &captured.request,
        None => b"",
    };
    let body_ok = ex.plugin.as_ref().is_some_and(|c| c.request_is_json());
    let mut payload = Vec::with_capacity(request.len() + 1024);
    data::write_call(
        "post_call_failure",
        ex.api.and_then(crate::proxy::call_type).unwrap_or(""),
        ex.call_id.as_str(),
        &key,
        raw_head,
        if body_ok { request } else { b"null" },
        &[("failure", failure.to_string().as_bytes())],
        &mut payload,
    );
    // A sidecar that cannot answer leaves the error as it is.
    let answer = link.call(&payload).await.ok()?;
    answer.get("error").map(data::rejection)
}

/// Failure-hook calls a core has out at once for requests refused before they were
/// authenticated.
const MAX_REFUSAL_CALLS: usize = 8;

/// A stream's events (`out[from..]`, what the client is about to get) through the plugins'
/// streaming hooks, replaced by what they let out; `last` ends the stream's session. An
/// OpenAI chat stream goes through `async_post_call_streaming_iterator_hook`, then
/// `async_post_call_streaming_hook` per chunk; a Responses API stream through the iterator
/// hooks only, as event objects; an Anthropic `/v1/messages` stream through the iterator
/// hooks only, as the raw bytes of each read (as LiteLLM 1.108.7 runs them). Other streams
/// (text completions) go unchanged. An error is the hooks' failure: the caller answers it
/// before the stream, or in-band.
pub async fn through_stream_hooks(
    core: &crate::core::Core,
    ex: &crate::exchange::Exchange<'_>,
    out: &mut Vec<u8>,
    from: usize,
    last: bool,
) -> Result<(), crate::errors::GatewayError> {
    use corelane_transforms::provider::Endpoint;
    let (Some(link), Some(captured)) = (&core.plugins, &ex.plugin) else {
        return Ok(());
    };
    let hooks = link.sidecar.hooks;
    let iterators = hooks.contains(HookSet::STREAMING_ITERATOR);
    // The kind of stream session: its chunks as objects through both hooks, as Responses
    // API events through the iterator hooks only (LiteLLM calls the per-chunk hook on chat
    // chunks only), or as raw reads; and the hook a failure names.
    let iterator = "async_post_call_streaming_iterator_hook";
    let (kind, raw, chunk_hook): (&[u8], bool, &str) = match ex.api {
        Some(Endpoint::ChatCompletions) => (b"\"chat\"", false, "async_post_call_streaming_hook"),
        Some(Endpoint::Responses) if iterators => (b"\"responses\"", false, iterator),
        Some(Endpoint::Messages) if iterators => (b"\"raw\"", true, iterator),
        _ => return Ok(()),
    };
    if !hooks.intersects(HookSet::STREAMING.union(HookSet::STREAMING_ITERATOR))
        || !captured.request_is_json()
    {
        return Ok(());
    }
    let call_id = ex.call_id.as_str();
    if !captured.stream_opened.get() {
        let key = data::caller_key(ex);
        let mut payload = Vec::with_capacity(captured.request.len() + 1024);
        let call_type = ex.api.and_then(crate::proxy::call_type).unwrap_or("");
        data::write_call(
            "stream_open",
            call_type,
            call_id,
            &key,
            &captured.head,
            &captured.request,
            &[("kind", kind)],
            &mut payload,
        );
        // Set before the call: a session the sidecar made but did not answer in time is
        // dropped at the request's end too.
        captured.stream_opened.set(true);
        decide(link, &payload, iterator).await?;
    }
    let events = out.split_off(from);
    let feed = |chunk: Option<&[u8]>| {
        let mut payload = Vec::with_capacity(chunk.map_or(0, <[u8]>::len) + 128);
        payload.extend_from_slice(b"{\"hook\":");
        payload.extend_from_slice(match chunk {
            Some(_) => b"\"stream_chunk\",\"call_id\":",
            None => b"\"stream_end\",\"call_id\":",
        });
        corelane_transforms::json::write_json_string(call_id, &mut payload);
        match chunk {
            // A read's bytes, as text (SSE is UTF-8).
            Some(bytes) if raw => {
                payload.extend_from_slice(b",\"raw\":");
                corelane_transforms::json::write_json_string(
                    &String::from_utf8_lossy(bytes),
                    &mut payload,
                );
            }
            Some(chunk) => {
                payload.extend_from_slice(b",\"chunk\":");
                payload.extend_from_slice(chunk);
            }
            None => {}
        }
        payload.push(b'}');
        payload
    };
    if raw {
        if !events.is_empty() {
            through(
                link,
                captured,
                feed(Some(&events)),
                iterator,
                &[&events],
                out,
            )
            .await?;
        }
        if last {
            through(link, captured, feed(None), iterator, &[], out).await?;
        }
        return Ok(());
    }
    let mut done = false;
    for event in data::sse_events(&events) {
        match corelane_http1::single_data(event) {
            Some(b"[DONE]") => {
                through(link, captured, feed(None), chunk_hook, &[], out).await?;
                done = true;
            }
            Some(chunk) if serde_json::from_slice::<IgnoredAny>(chunk).is_ok() => {
                through(
                    link,
                    captured,
                    feed(Some(chunk)),
                    chunk_hook,
                    &[event, b"\n\n"],
                    out,
                )
                .await?;
                continue;
            }
            _ => {}
        }
        out.extend_from_slice(event);
        out.extend_from_slice(b"\n\n");
    }
    if last && !done {
        through(link, captured, feed(None), chunk_hook, &[], out).await?;
    }
    Ok(())
}

/// Feeds a stream's chunk (or its end) to the streaming hooks and writes what they let out,
/// even when they failed after it (what a client got before a failure, it gets).
async fn through(
    link: &CoreLink,
    captured: &data::Captured,
    payload: Vec<u8>,
    hook: &str,
    fed: &[&[u8]],
    out: &mut Vec<u8>,
) -> Result<(), crate::errors::GatewayError> {
    let end = fed.is_empty();
    let answer = link
        .call(&payload)
        .await
        .map_err(|e| unavailable(link, e, hook))?;
    // The sidecar drops the session at its end, and when its hooks failed.
    let failed = answer.get("error").is_some() || answer.get("timeout").is_some();
    if end || failed {
        captured.stream_closed.set(true);
    }
    write_stream_out(&answer, fed, out);
    answer_of(link, Ok(answer), hook).map(drop)
}

/// A request whose stream session the sidecar still holds (the client left, or the
/// provider's stream failed, before its end was fed): the session is dropped, its hooks
/// cancelled, without waiting for the answer.
pub fn close_stream(
    link: &std::rc::Rc<CoreLink>,
    ex: &crate::exchange::Exchange<'_>,
    captured: &data::Captured,
) {
    if !captured.stream_opened.get() || captured.stream_closed.get() {
        return;
    }
    let mut payload = b"{\"hook\":\"stream_drop\",\"call_id\":".to_vec();
    corelane_transforms::json::write_json_string(ex.call_id.as_str(), &mut payload);
    payload.push(b'}');
    let link = link.clone();
    monoio::spawn(async move {
        let _ = link.call(&payload).await;
    });
}

/// Writes what the streaming hooks let out: what was fed as it came (`fed`, in parts), a
/// chunk, raw text for a `data:` line, or bytes as they are (a raw stream's).
fn write_stream_out(answer: &serde_json::Value, fed: &[&[u8]], out: &mut Vec<u8>) {
    for item in answer["out"].as_array().into_iter().flatten() {
        if item.get("same").is_some() {
            for part in fed {
                out.extend_from_slice(part);
            }
        } else if let Some(bytes) = item.get("bytes").and_then(serde_json::Value::as_str) {
            out.extend_from_slice(bytes.as_bytes());
        } else if let Some(chunk) = item.get("chunk") {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(chunk.to_string().as_bytes());
            out.extend_from_slice(b"\n\n");
        } else if let Some(raw) = item.get("raw").and_then(serde_json::Value::as_str) {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(raw.as_bytes());
            out.extend_from_slice(b"\n\n");
        }
    }
}

/// Calls a hook that decides the request: its answer, or the error the request gets (the
/// hook's rejection, or a 503 when the sidecar could not answer).
pub async fn decide(
    link: &CoreLink,
    payload: &[u8],
    hook: &str,
) -> Result<serde_json::Value, crate::errors::GatewayError> {
    answer_of(link, link.call(payload).await, hook)
}

/// What a deciding hook's call came to (see [`decide`]).
fn answer_of(
    link: &CoreLink,
    called: Result<serde_json::Value, link::CallError>,
    hook: &str,
) -> Result<serde_json::Value, crate::errors::GatewayError> {
    let answer = called.map_err(|e| unavailable(link, e, hook))?;
    if let Some(late) = answer.get("timeout") {
        return Err(plugin_late(late, hook));
    }
    match answer.get("error") {
        Some(error) => Err(data::rejection(error)),
        None => Ok(answer),
    }
}

/// The 503 of a hook whose plugin ran past its timeout, as the sidecar reports it
/// (`{"plugin", "seconds"}`).
fn plugin_late(late: &serde_json::Value, hook: &str) -> crate::errors::GatewayError {
    crate::errors::GatewayError::proxy(
        503,
        "service_unavailable",
        None,
        format!(
            "the Python plugin {} did not answer within {}s (--plugin-timeout): the request's {hook} could not run",
            late["plugin"].as_str().unwrap_or("?"),
            late["seconds"].as_f64().unwrap_or(0.0),
        ),
    )
}

/// The 503 of a hook that could not run.
pub fn unavailable(link: &CoreLink, e: link::CallError, hook: &str) -> crate::errors::GatewayError {
    let why = match e {
        link::CallError::Unavailable => "is unavailable".to_owned(),
        link::CallError::Timeout => format!(
            "did not answer within {:.1}s (its plugins' timeouts added up)",
            link.sidecar.timeout.as_secs_f64()
        ),
    };
    crate::errors::GatewayError::proxy(
        503,
        "service_unavailable",
        None,
        format!("the Python plugin sidecar {why}: the request's {hook} could not run"),
    )
}

/// corelane's own families about the sidecar: whether it is up, its restarts, hook calls
/// and their failures, logging events sent and dropped (summed over the cores), and, from
/// the sidecar's answer to a ping (`ping`, when it answered at once), the exceptions the
/// plugins' logging hooks raised since it started and the streams its hooks hold now.
pub fn render_metrics(sidecar: &Sidecar, ping: Option<&serde_json::Value>, out: &mut String) {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering::Relaxed;
    let links = sidecar.links.load();
    let sum = |f: fn(&link::LinkStats) -> u64| links.iter().map(|l| f(l)).sum::<u64>();
    let mut rows = vec![
        (
            "corelane_sidecar_up",
            "gauge",
            "1 while the Python plugin sidecar is running",
            u64::from(sidecar.up.load(Relaxed)),
        ),
        (
            "corelane_sidecar_restarts_total",
            "counter",
            "Times the Python plugin sidecar was restarted after it exited",
            sidecar.restarts.load(Relaxed),
        ),
        (
            "corelane_plugin_calls_total",
            "counter",
            "Hook calls sent to the Python plugin sidecar",
            sum(|l| l.calls.load(Relaxed)),
        ),
        (
            "corelane_plugin_call_failures_total",
            "counter",
            "Hook calls that got no answer (sidecar down, or past --plugin-timeout)",
            sum(|l| l.call_failures.load(Relaxed)),
        ),
        (
            "corelane_plugin_log_events_sent_total",
            "counter",
            "Logging events sent to the Python plugin sidecar",
            sum(|l| l.log_sent.load(Relaxed)),
        ),
        (
            "corelane_plugin_log_events_dropped_total",
            "counter",
            "Logging events dropped because the sidecar was slow or down",
            sum(|l| l.log_dropped.load(Relaxed)),
        ),
    ];
    if let Some(errors) = ping.and_then(|p| p["stats"]["log_errors"].as_u64()) {
        rows.push((
            "corelane_plugin_log_hook_errors_total",
            "counter",
            "Exceptions raised by plugins' logging hooks (since the sidecar started)",
            errors,
        ));
    }
    if let Some(streams) = ping.and_then(|p| p["streams"].as_u64()) {
        rows.push((
            "corelane_plugin_stream_sessions",
            "gauge",
            "Streams the plugins' streaming hooks hold now",
            streams,
        ));
    }
    for (name, kind, help, v) in rows {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "{name} {v}.0");
    }
}

/// Hooks, as a set of bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HookSet(u16);

impl HookSet {
    pub const PRE_CALL: HookSet = HookSet(1);
    pub const MODERATION: HookSet = HookSet(1 << 1);
    pub const POST_CALL_SUCCESS: HookSet = HookSet(1 << 2);
    pub const POST_CALL_FAILURE: HookSet = HookSet(1 << 3);
    pub const STREAMING: HookSet = HookSet(1 << 4);
    pub const STREAMING_ITERATOR: HookSet = HookSet(1 << 5);
    pub const LOG_SUCCESS: HookSet = HookSet(1 << 6);
    pub const LOG_FAILURE: HookSet = HookSet(1 << 7);
    pub const LOG_FAILURE_SYNC: HookSet = HookSet(1 << 8);
    pub const FILTER_MODELS: HookSet = HookSet(1 << 9);
    pub const RESPONSE_HEADERS: HookSet = HookSet(1 << 10);

    /// The hook a Python method name is.
    fn of_method(name: &str) -> HookSet {
        match name {
            "async_pre_call_hook" => HookSet::PRE_CALL,
            "async_moderation_hook" => HookSet::MODERATION,
            "async_post_call_success_hook" => HookSet::POST_CALL_SUCCESS,
            "async_post_call_failure_hook" => HookSet::POST_CALL_FAILURE,
            "async_post_call_streaming_hook" => HookSet::STREAMING,
            "async_post_call_streaming_iterator_hook" => HookSet::STREAMING_ITERATOR,
            "async_log_success_event" => HookSet::LOG_SUCCESS,
            "async_log_failure_event" => HookSet::LOG_FAILURE,
            "log_failure_event" => HookSet::LOG_FAILURE_SYNC,
            "async_filter_listed_models" => HookSet::FILTER_MODELS,
            "async_post_call_response_headers_hook" => HookSet::RESPONSE_HEADERS,
            _ => HookSet(0),
        }
    }

    pub fn contains(self, other: HookSet) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub const fn union(self, other: HookSet) -> HookSet {
        HookSet(self.0 | other.0)
    }

    pub fn intersects(self, other: HookSet) -> bool {
        self.0 & other.0 != 0
    }
}

/// A plugin as the sidecar describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    /// Its name in the config (`custom_callbacks.proxy_handler_instance`, a guardrail's
    /// name, the custom auth function's path).
    pub name: String,
    pub kind: PluginKind,
    /// The Python methods it overrides.
    pub methods: Vec<String>,
    pub hooks: HookSet,
    /// How long each of its hooks may take.
    pub timeout: std::time::Duration,
    /// Hooks it overrides that corelane does not call (warned about at start).
    pub not_called: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginKind {
    Callback,
    Guardrail,
    CustomAuth,
}

impl PluginInfo {
    fn from_json(v: &serde_json::Value) -> Option<PluginInfo> {
        let kind = match v["kind"].as_str()? {
            "callback" => PluginKind::Callback,
            "guardrail" => PluginKind::Guardrail,
            "custom_auth" => PluginKind::CustomAuth,
            _ => return None,
        };
        let methods: Vec<String> = v["hooks"]
            .as_array()?
            .iter()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        let hooks = methods.iter().fold(HookSet::default(), |set, m| {
            set.union(HookSet::of_method(m))
        });
        Some(PluginInfo {
            name: v["name"].as_str()?.to_owned(),
            kind,
            methods,
            hooks,
            timeout: std::time::Duration::try_from_secs_f64(v["timeout"].as_f64()?).ok()?,
            not_called: v["not_called"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_pays_for_the_hooks_it_overrides() {
        let p = PluginInfo::from_json(&serde_json::json!({
            "name": "custom_callbacks.proxy_handler_instance",
            "kind": "callback",
            "hooks": ["async_log_success_event", "log_success_event"],
            "timeout": 2.5,
        }))
        .unwrap();
        assert!(p.hooks.contains(HookSet::LOG_SUCCESS));
        assert_eq!(p.timeout, std::time::Duration::from_millis(2500));
        assert!(!p
            .hooks
            .intersects(HookSet::PRE_CALL.union(HookSet::LOG_FAILURE)));
        assert!(!HookSet::default().contains(HookSet::default()));
        assert!(PluginInfo::from_json(&serde_json::json!({"kind": "other"})).is_none());
    }
}
