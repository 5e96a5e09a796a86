//! A stream relayed event by event: each event's JSON carries the requested model back (or is
//! translated), usage is captured, and a failure after the first byte is reported in-band.
//! Events are SSE, AWS event-stream messages or NDJSON lines, as each family streams them.

use std::time::{Duration, Instant};

use corelane_http1::{begin_chunk, end_chunk, BodyDecoder, SseFramer, LAST_CHUNK};
use corelane_transforms::bedrock::eventstream::EventFramer;
use corelane_transforms::family::{
    stream_framing, stream_translator, StreamFraming, StreamTranslator,
};
use corelane_transforms::ollama::ndjson::LineFramer;
use corelane_transforms::provider::ProviderRow;
use corelane_transforms::stream::StreamFailure;
use corelane_transforms::usage::Usage;
use monoio::net::TcpStream;

use super::{done, refill, Done, Head, MAX_EVENT};
use crate::core::Core;
use crate::errors::GatewayError;
use crate::exchange::Exchange;
use crate::io::write_all;
use crate::response::{write_head, Framing};
use crate::upstream::conn::UpstreamConn;

/// An SSE stream: each event becomes the client's through the family's [`StreamTranslator`]
/// (an OpenAI chunk gets the requested model; other families' events are translated).
#[allow(clippy::too_many_arguments)]
pub(super) async fn relay_stream(
    core: &Core,
    client: &mut TcpStream,
    ex: &mut Exchange<'_>,
    provider: &'static ProviderRow,
    conn: &mut UpstreamConn,
    rbuf: &mut Vec<u8>,
    head: &Head,
    idle: Duration,
) -> Result<(Done, bool), GatewayError> {
    let mut decoder = BodyDecoder::new(head.body);
    let mut framer = match stream_framing(provider.family) {
        StreamFraming::Sse => Framer::Sse(SseFramer::new(MAX_EVENT)),
        StreamFraming::AwsEventStream => Framer::Aws(EventFramer::new(MAX_EVENT)),
        StreamFraming::Ndjson => Framer::Ndjson(LineFramer::new(MAX_EVENT)),
    };
    let mut usage = None;
    let mut translator = stream_translator(
        provider,
        ex.endpoint(),
        &ex.requested_model,
        || ex.answer_id(),
        &ex.origin(),
    );
    // Plugins' moderation hooks decide before the first byte.
    if (200..300).contains(&head.status) {
        crate::plugins::before_answer(core, ex, crate::plugins::Answer::Stream).await?;
    }
    let mut out = core.take_buf();
    write_head(
        &mut out,
        head.status,
        "text/event-stream",
        Framing::Chunked,
        ex.keep_alive,
        Some(&ex.headers(None)),
    );
    // The head waits for the first event the client gets, as LiteLLM's proxy waits for the
    // first chunk: a stream that fails before it is answered as an error, status and all.
    let head_len = out.len();
    let mut sent = false;
    let mut pos = head.head_len;
    let protocol = |detail: &str| GatewayError::UpstreamProtocol {
        provider: provider.name,
        detail: detail.to_owned(),
    };
    let mut failure: Option<GatewayError> = None;
    // The stream timeout counts whole events: a provider that drips bytes without ever
    // completing one times out as one that sends nothing.
    let mut last_event = Instant::now();
    // The end of the shutdown grace period cuts the stream with an error event.
    let mut cut = std::pin::pin!(core.cut.wait());
    loop {
        // After a failure nothing more of the upstream's goes out (a plugin's streaming hook
        // that refused a read must not let the next one through): straight to the end.
        if failure.is_none() {
            match decoder.feed(&rbuf[pos..], |d| framer.push(d)) {
                Ok(_) => {}
                Err(_) => failure = Some(protocol("invalid chunked framing from upstream")),
            }
        }
        let at = begin_chunk(&mut out);
        let chunk_start = out.len();
        while failure.is_none() {
            let written = match &mut framer {
                Framer::Sse(f) => match f.next_event() {
                    Ok(Some(event)) => {
                        write_event(core, ex, &mut translator, event, &mut out, &mut usage)
                    }
                    Ok(None) => break,
                    Err(_) => {
                        failure = Some(protocol("stream event too large"));
                        break;
                    }
                },
                Framer::Aws(f) => match f.next_event() {
                    Ok(Some(event)) => translator
                        .aws_event(&event, ex.client_include_usage, &mut out)
                        .map(|u| {
                            if u.is_some() {
                                usage = u;
                            }
                        }),
                    Ok(None) => break,
                    Err(e) => {
                        failure = Some(protocol(&format!(
                            "unreadable event-stream message ({e:?})"
                        )));
                        break;
                    }
                },
                Framer::Ndjson(f) => match f.next_line() {
                    Ok(Some(line)) => ndjson_line(
                        &mut translator,
                        line,
                        ex.client_include_usage,
                        &mut out,
                        &mut usage,
                    ),
                    Ok(None) => break,
                    Err(_) => {
                        failure = Some(protocol("stream line too large"));
                        break;
                    }
                },
            };
            last_event = Instant::now();
            // The first token is the first event the client gets something from.
            if out.len() > chunk_start {
                ex.timings.first_token.get_or_insert(last_event);
            }
            if let Err(e) = written {
                failure = Some(stream_failure(provider, e));
                break;
            }
        }
        if decoder.is_done() || failure.is_some() {
            // A clean end may leave a last event without its blank line; after a failure the
            // rest is a cut event, and the client gets the error event instead.
            if failure.is_none() {
                match &mut framer {
                    Framer::Sse(f) => {
                        if let Some(rest) = f.finish() {
                            if let Err(e) =
                                write_event(core, ex, &mut translator, rest, &mut out, &mut usage)
                            {
                                failure = Some(stream_failure(provider, e));
                            }
                        }
                    }
                    Framer::Aws(f) if f.pending() > 0 => {
                        failure = Some(protocol("the event stream ended inside a message"));
                    }
                    Framer::Aws(_) => {}
                    Framer::Ndjson(f) => {
                        if let Some(rest) = f.finish() {
                            if let Err(e) = ndjson_line(
                                &mut translator,
                                rest,
                                ex.client_include_usage,
                                &mut out,
                                &mut usage,
                            ) {
                                failure = Some(stream_failure(provider, e));
                            }
                        }
                    }
                }
            }
            if failure.is_none() {
                failure = translator.unfinished().map(|e| stream_failure(provider, e));
            }
            if failure.is_none() {
                if let Some(u) = translator.end(ex.client_include_usage, &mut out) {
                    usage = Some(u);
                }
            }
            // Plugins' streaming hooks: the last events, and the end of the stream.
            if failure.is_none() {
                if let Err(e) =
                    crate::plugins::through_stream_hooks(core, ex, &mut out, chunk_start, true)
                        .await
                {
                    failure = Some(e);
                }
            }
            // A logging plugin gets the stream's text as the client got it.
            if let Some(captured) = &ex.plugin {
                captured.note_stream(&out[chunk_start..]);
            }
            // A plugin's failure that goes in the stream whenever it comes (a Responses API
            // stream's `response.failed` event, then [DONE]): never an error status.
            let in_band = matches!(
                &failure,
                Some(GatewayError::Plugin { stream: Some(f), .. }) if f.in_stream
            );
            if !sent && out.len() == chunk_start && !in_band {
                if let Some(err) = failure {
                    core.give_buf(out);
                    return Err(err.before_stream());
                }
            }
            // A complete body without [DONE] is a finished stream too; a failure is
            // reported in-band as LiteLLM does (never a silent cut).
            if let Some(err) = &failure {
                let (_, now) = ex.answer_id();
                let unseen = format!("resp_{}", ex.call_id.as_str().replace('-', ""));
                // A plugin's failure on a Responses stream comes with its failure event, made
                // from what the hooks let out (not what the translator saw).
                if in_band
                    || !translator.write_failure(
                        err.status(),
                        &err.message(),
                        (&unseen, now),
                        &mut out,
                    )
                {
                    err.write_in_band(ex.dialect, &mut out);
                }
            }
            end_chunk(&mut out, at);
            // A plugin's HTTPException mid-stream cuts it: no end of the body, and the
            // connection closes (the client sees a broken stream, as under LiteLLM).
            let cut = matches!(
                &failure,
                Some(GatewayError::Plugin { stream: Some(f), .. }) if f.after.is_none()
            );
            if !cut {
                out.extend_from_slice(LAST_CHUNK);
            }
            let (res, back) = write_all(client, out).await;
            core.give_buf(back);
            let reusable = failure.is_none() && decoder.reusable();
            let mut done = done(head.status, usage, res.is_ok() && ex.keep_alive && !cut);
            done.failure = match res {
                Err(_) => Some(GatewayError::ClientGone),
                Ok(()) => failure,
            };
            return Ok((done, reusable));
        }
        // Plugins' streaming hooks see this read's events before the client does.
        if failure.is_none() {
            if let Err(e) =
                crate::plugins::through_stream_hooks(core, ex, &mut out, chunk_start, false).await
            {
                failure = Some(e);
            }
        }
        if let Some(captured) = &ex.plugin {
            captured.note_stream(&out[chunk_start..]);
        }
        end_chunk(&mut out, at);
        if !out.is_empty() && (sent || out.len() > head_len) {
            sent = true;
            let (res, back) = write_all(client, out).await;
            out = back;
            out.clear();
            if res.is_err() {
                core.give_buf(out);
                let mut done = done(head.status, usage, false);
                done.failure = Some(GatewayError::ClientGone);
                return Ok((done, false));
            }
        }
        if failure.is_some() {
            continue;
        }
        pos = 0;
        let refilled = monoio::select! {
            r = refill(conn, rbuf, last_event + idle) => r.map_err(|()| ex.upstream_timeout(provider.name)),
            _ = &mut cut => Err(GatewayError::ShuttingDown),
        };
        match refilled {
            Ok(Some(())) => {}
            Ok(None) => {
                if !decoder.eof() {
                    failure = Some(protocol("upstream closed the stream before it finished"));
                }
                rbuf.clear();
            }
            Err(err) => {
                failure = Some(err);
                rbuf.clear();
            }
        }
    }
}

/// How the upstream's stream is cut into events.
enum Framer {
    Sse(SseFramer),
    Aws(EventFramer),
    Ndjson(LineFramer),
}

impl Framer {
    fn push(&mut self, bytes: &[u8]) {
        match self {
            Framer::Sse(f) => f.push(bytes),
            Framer::Aws(f) => f.push(bytes),
            Framer::Ndjson(f) => f.push(bytes),
        }
    }
}

/// Writes what the client gets for one NDJSON line.
fn ndjson_line(
    translator: &mut StreamTranslator,
    line: &[u8],
    include_usage: bool,
    out: &mut Vec<u8>,
    usage: &mut Option<Usage>,
) -> Result<(), StreamFailure> {
    if let Some(u) = translator.ndjson_line(line, include_usage, out)? {
        *usage = Some(u);
    }
    Ok(())
}

/// Writes what the client gets for one upstream event.
fn write_event(
    core: &Core,
    ex: &Exchange<'_>,
    translator: &mut StreamTranslator,
    event: &[u8],
    out: &mut Vec<u8>,
    usage: &mut Option<Usage>,
) -> Result<(), StreamFailure> {
    let Some(data) = corelane_http1::single_data(event) else {
        if translator.passes_other_events() && !event.iter().all(u8::is_ascii_whitespace) {
            out.extend_from_slice(event);
            out.extend_from_slice(b"\n\n");
        }
        return Ok(());
    };
    let mut arena = core.arena.borrow_mut();
    let result = translator.event(
        event,
        data,
        &ex.requested_model,
        ex.client_include_usage,
        &arena,
        out,
    );
    arena.reset();
    if let Some(u) = result? {
        *usage = Some(u);
    }
    Ok(())
}

/// The error a stream that cannot go on reports in-band.
fn stream_failure(provider: &'static ProviderRow, failure: StreamFailure) -> GatewayError {
    match failure {
        StreamFailure::Provider { message } => GatewayError::UpstreamEvent {
            provider: provider.name,
            message,
        },
        StreamFailure::Mapped { message, map } => GatewayError::UpstreamStreamError {
            provider: provider.name,
            map,
            message,
        },
        StreamFailure::Malformed => GatewayError::UpstreamProtocol {
            provider: provider.name,
            detail: "unreadable stream event from upstream".to_owned(),
        },
    }
}
