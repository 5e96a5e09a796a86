//! `litellm_params.mock_response`: answer as the model would, with no upstream (LiteLLM's
//! mock_completion), streaming included. Lets the bundled example run offline.

use std::time::{SystemTime, UNIX_EPOCH};

use corelane_transforms::mock::{self, MockMeta};
use corelane_transforms::provider::Endpoint;
use corelane_transforms::usage::Usage;
use monoio::net::TcpStream;

use crate::core::Core;
use crate::exchange::Exchange;
use crate::io::write_all;
use crate::response::{write_head, Framing, SSE_DONE};

pub async fn respond(
    core: &Core,
    client: &mut TcpStream,
    ex: &mut Exchange<'_>,
    endpoint: Endpoint,
    body: &[u8],
    content: &str,
) -> Result<bool, crate::errors::GatewayError> {
    let id = mock_id(ex, endpoint);
    let meta = meta(&ex.requested_model, &id);
    // LiteLLM's mock answers report fixed usage; its Responses API mock has its own.
    let usage = match endpoint {
        Endpoint::Responses => mock::RESPONSE_USAGE,
        _ => mock::mock_usage(),
    };
    let cost = ex.cost(Some(&usage));
    ex.usage = Some(usage);
    ex.status = 200;
    let stream = ex.stream && matches!(endpoint, Endpoint::Messages | Endpoint::ChatCompletions);
    if stream {
        // Plugins' moderation hooks decide before the first byte.
        crate::plugins::before_answer(core, ex, crate::plugins::Answer::Stream).await?;
    }
    let mut out = core.take_buf();
    if stream {
        write_head(
            &mut out,
            200,
            "text/event-stream",
            Framing::Chunked,
            ex.keep_alive,
            Some(&ex.headers(cost)),
        );
        let mut events = Vec::new();
        if endpoint == Endpoint::Messages {
            for event in mock::message_stream(content, &meta) {
                events.extend_from_slice(&event);
                events.extend_from_slice(b"\n\n");
            }
        } else {
            for chunk in mock::chat_stream(content, &meta, ex.client_include_usage) {
                events.extend_from_slice(b"data: ");
                events.extend_from_slice(&chunk);
                events.extend_from_slice(b"\n\n");
            }
            events.extend_from_slice(SSE_DONE);
        }
        // Plugins' streaming hooks see the events before the client does.
        crate::plugins::through_stream_hooks(core, ex, &mut events, 0, true).await?;
        if let Some(captured) = &ex.plugin {
            captured.note_stream(&events);
        }
        corelane_http1::write_chunk(&events, &mut out);
        out.extend_from_slice(corelane_http1::LAST_CHUNK);
    } else {
        let mut json = Vec::new();
        match endpoint {
            Endpoint::ChatCompletions => mock::chat_completion(content, &meta, &mut json),
            Endpoint::Completions => mock::text_completion(content, &meta, &mut json),
            Endpoint::Embeddings => mock::embedding(count_inputs(body), &meta, &mut json),
            Endpoint::Messages => mock::message(content, &meta, &mut json),
            Endpoint::Ocr => mock::ocr(content, &meta, &mut json),
            Endpoint::Responses => {
                // The provider the mock's model names (LiteLLM wraps its id with it).
                let provider = ex.deployment.and_then(|d| {
                    corelane_transforms::provider::resolve(
                        &d.params.model,
                        d.params.custom_llm_provider.as_deref(),
                    )
                    .ok()
                });
                let origin = corelane_transforms::family::Origin {
                    provider: provider.map_or("openai", |(row, _)| row.name),
                    ..ex.origin()
                };
                mock::response(content, &meta, &origin, &mut json);
            }
            // A mock deployment stores no responses: proxy::stored_response refuses it before
            // a mock answer is asked for (no panic here: release builds abort on one).
            Endpoint::Response(_) => {}
            // Refused before (LiteLLM's rerank has no mock_response): see proxy::inference.
            Endpoint::Rerank => {}
            // Counted by the proxy before a mock answer is asked for.
            Endpoint::CountTokens => {
                corelane_transforms::messages::count::write_answer(0, &mut json)
            }
        }
        // Plugins' moderation and post-call hooks decide before the first byte, and may
        // replace the answer.
        if let Some(replaced) =
            crate::plugins::before_answer(core, ex, crate::plugins::Answer::Whole(&json)).await?
        {
            json = replaced;
        }
        if let Some(captured) = &ex.plugin {
            captured.note_answer(&json);
        }
        write_head(
            &mut out,
            200,
            "application/json",
            Framing::Length(json.len()),
            ex.keep_alive,
            Some(&ex.headers(cost)),
        );
        out.extend_from_slice(&json);
    }
    let (res, out) = write_all(client, out).await;
    core.give_buf(out);
    Ok(res.is_ok() && ex.keep_alive)
}

/// A mock chat completion for one model of a batch; returns its usage.
pub fn batch_item(ex: &Exchange<'_>, content: &str, out: &mut Vec<u8>) -> Usage {
    let id = mock_id(ex, Endpoint::ChatCompletions);
    mock::chat_completion(content, &meta(&ex.requested_model, &id), out);
    mock::mock_usage()
}

fn mock_id(ex: &Exchange<'_>, endpoint: Endpoint) -> String {
    match endpoint {
        Endpoint::ChatCompletions => format!("chatcmpl-{}", ex.call_id),
        Endpoint::Completions => format!("cmpl-{}", ex.call_id),
        Endpoint::Embeddings => String::new(),
        Endpoint::Messages => format!("msg_{}", ex.call_id),
        Endpoint::CountTokens
        | Endpoint::Ocr
        | Endpoint::Rerank
        | Endpoint::Responses
        | Endpoint::Response(_) => String::new(),
    }
}

fn meta<'a>(model: &'a str, id: &'a str) -> MockMeta<'a> {
    MockMeta {
        id,
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        model,
    }
}

/// Number of embedding inputs: the length of `input` when it is an array of strings or of
/// token arrays, else 1. Off the hot path (mock only), so a plain serde_json parse.
fn count_inputs(body: &[u8]) -> usize {
    #[derive(serde::Deserialize)]
    struct Req {
        input: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Req>(body)
        .ok()
        .and_then(|r| r.input)
    {
        Some(serde_json::Value::Array(items)) if items.iter().all(|i| i.is_number()) => 1,
        Some(serde_json::Value::Array(items)) => items.len().max(1),
        _ => 1,
    }
}
