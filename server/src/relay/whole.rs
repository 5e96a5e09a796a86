//! A non-stream response: held whole when small (Content-Length and the cost header), else
//! streamed to the client as chunks through the model rewriter, one read at a time.

use std::time::Instant;

use corelane_http1::{begin_chunk, end_chunk, BodyDecoder, BodyKind, LAST_CHUNK};
use corelane_transforms::family::{body_rewriter, rewrite_response};
use corelane_transforms::provider::ProviderRow;
use monoio::net::TcpStream;

use super::{collect, done, refill, Done, Head, SMALL_BODY};
use crate::core::Core;
use crate::errors::GatewayError;
use crate::exchange::Exchange;
use crate::io::{place_head, with_head_room, write_all, write_from, HEAD_ROOM};
use crate::response::{write_head, Framing};
use crate::upstream::conn::UpstreamConn;

/// The largest answer held whole for plugins' post-call success hooks (which may replace
/// it): a larger one fails the request rather than pass a post-call guardrail unseen.
const MAX_HELD_FOR_HOOKS: usize = 8 * 1024 * 1024;

/// How much more of an answer held for plugins' hooks is charged and read at a time.
const HOOK_STEP: usize = 1024 * 1024;

/// A non-stream response: held whole when small, else streamed through chunked.
#[allow(clippy::too_many_arguments)]
pub(super) async fn relay_body(
    core: &Core,
    client: &mut TcpStream,
    ex: &Exchange<'_>,
    provider: &'static ProviderRow,
    conn: &mut UpstreamConn,
    rbuf: &mut Vec<u8>,
    head: &Head,
    deadline: Instant,
) -> Result<(Done, bool), GatewayError> {
    let protocol = |detail: &str| GatewayError::UpstreamProtocol {
        provider: provider.name,
        detail: detail.to_owned(),
    };
    let mut decoder = BodyDecoder::new(head.body);
    let mut whole = core.take_buf();
    let pos = head.head_len;
    // Plugins' post-call success hooks see every success whole: one larger than SMALL_BODY
    // is held too (charged to the core's budget), up to MAX_HELD_FOR_HOOKS.
    let for_hooks = (200..300).contains(&head.status) && crate::plugins::holds_answer(core, ex);
    let too_large = || {
        GatewayError::proxy(
            500,
            "internal_server_error",
            None,
            format!(
                "the answer from {} is larger than {} MiB, the most corelane holds for plugins' async_post_call_success_hook: refused, so that no answer passes the post-call hooks unseen",
                provider.name,
                MAX_HELD_FOR_HOOKS >> 20
            ),
        )
    };
    // A body announced as large goes straight to phase 2: holding its first SMALL_BODY bytes
    // would only cost memory per in-flight request.
    let known_large = match head.body {
        BodyKind::Length(n) if for_hooks && n > MAX_HELD_FOR_HOOKS as u64 => {
            return Err(too_large());
        }
        BodyKind::Length(n) if n > SMALL_BODY as u64 => !for_hooks,
        BodyKind::Length(n) => {
            whole.reserve(n as usize);
            false
        }
        _ => false,
    };
    // Phase 1: collect up to SMALL_BODY (for plugins' hooks, on to MAX_HELD_FOR_HOOKS, a step
    // at a time, each charged before it is read: the answer, the hook's copy and the
    // rewritten one).
    let mut charge = crate::core::BodyCharge::new(core);
    if !known_large {
        let (mut pos, mut limit) = (pos, SMALL_BODY);
        loop {
            collect(
                ex,
                provider,
                conn,
                rbuf,
                pos,
                &mut decoder,
                &mut whole,
                limit,
                deadline,
            )
            .await?;
            if decoder.is_done() || !for_hooks {
                break;
            }
            if whole.len() > MAX_HELD_FOR_HOOKS {
                return Err(too_large());
            }
            let next = (whole.len() + HOOK_STEP).min(MAX_HELD_FOR_HOOKS);
            if !charge.grow_to(3 * next) {
                return Err(GatewayError::BodyBudget);
            }
            // All of `rbuf` was fed: the next step starts with a read.
            (pos, limit) = (rbuf.len(), next);
        }
    }
    let mut out = core.take_buf();
    if decoder.is_done() {
        let mut body = with_head_room(core.take_buf());
        let reported = rewrite_response(
            provider,
            ex.endpoint(),
            &whole,
            &ex.requested_model,
            || ex.answer_id(),
            ex.request_note.get(),
            &ex.origin(),
            &mut body,
        )
        .map_err(|detail| GatewayError::UpstreamProtocol {
            provider: provider.name,
            detail,
        })?;
        let cost = ex.cost(reported.usage.as_ref());
        // Plugins' moderation and post-call hooks decide before the first byte, and may
        // replace the answer.
        if (200..300).contains(&head.status) {
            if let Some(replaced) = crate::plugins::before_answer(
                core,
                ex,
                crate::plugins::Answer::Whole(&body[HEAD_ROOM..]),
            )
            .await?
            {
                body.truncate(HEAD_ROOM);
                body.extend_from_slice(&replaced);
            }
        }
        // A plugin's logging hooks receive the answer (a copy, only when one has them).
        if let Some(captured) = &ex.plugin {
            captured.note_answer(&body[HEAD_ROOM..]);
        }
        write_head(
            &mut out,
            head.status,
            "application/json",
            Framing::Length(body.len() - HEAD_ROOM),
            ex.keep_alive,
            Some(&ex.headers(cost)),
        );
        let start = place_head(&mut body, &out);
        core.give_buf(out);
        core.give_buf(whole);
        let (res, body) = write_from(client, body, start).await;
        core.give_buf(body);
        let keep = res.is_ok() && ex.keep_alive;
        let mut answered = done(head.status, reported.usage, keep);
        answered.service_tier = reported.service_tier;
        return Ok((answered, decoder.reusable()));
    }
    // Phase 2: large body, streamed through the rewriter as chunks (plugins' moderation
    // hooks still decide first; no plugin has a post-call success hook).
    if (200..300).contains(&head.status) {
        crate::plugins::before_answer(core, ex, crate::plugins::Answer::NotHeld).await?;
    }
    let Some(mut rewriter) = body_rewriter(
        provider,
        ex.endpoint(),
        &ex.requested_model,
        ex.request_note.get(),
    ) else {
        return Err(protocol(
            "answer larger than 256 KiB: too large to translate",
        ));
    };
    write_head(
        &mut out,
        head.status,
        "application/json",
        Framing::Chunked,
        ex.keep_alive,
        Some(&ex.headers(None)),
    );
    let at = begin_chunk(&mut out);
    rewriter.feed(&whole, &mut out);
    core.give_buf(whole);
    if known_large {
        decoder
            .feed(&rbuf[pos..], |d| rewriter.feed(d, &mut out))
            .map_err(|e| protocol(e.message()))?;
    }
    if decoder.is_done() {
        rewriter.finish(&mut out);
    }
    end_chunk(&mut out, at);
    if decoder.is_done() && !rewriter.failed() {
        out.extend_from_slice(LAST_CHUNK);
    }
    loop {
        let (res, back) = write_all(client, out).await;
        out = back;
        out.clear();
        if res.is_err() {
            // The client left: drop the upstream connection mid-body (never pooled).
            return Ok((done(head.status, None, false), false));
        }
        if rewriter.failed() {
            // An answer translated as it arrives turned out unreadable: the head is sent, so
            // the body is cut short (no terminating chunk) and both connections dropped.
            core.give_buf(out);
            let mut cut = done(head.status, None, false);
            cut.failure = Some(protocol("unreadable answer from upstream"));
            return Ok((cut, false));
        }
        if decoder.is_done() {
            break;
        }
        let at = begin_chunk(&mut out);
        match refill(conn, rbuf, deadline).await {
            Ok(Some(())) => {
                if decoder.feed(rbuf, |d| rewriter.feed(d, &mut out)).is_err() {
                    // Bad framing mid-body: the headers are sent, so all that is left is to
                    // cut the response short (no terminating chunk) and drop both connections.
                    return Ok((done(head.status, None, false), false));
                }
            }
            Ok(None) => {
                if !decoder.eof() {
                    // Truncated: end the chunked body abnormally so the client sees the cut.
                    return Ok((done(head.status, None, false), false));
                }
            }
            Err(()) => return Ok((done(head.status, None, false), false)),
        }
        if decoder.is_done() {
            rewriter.finish(&mut out);
        }
        end_chunk(&mut out, at);
        if decoder.is_done() && !rewriter.failed() {
            out.extend_from_slice(LAST_CHUNK);
        }
    }
    core.give_buf(out);
    Ok((
        done(head.status, rewriter.usage(), ex.keep_alive),
        decoder.reusable(),
    ))
}
