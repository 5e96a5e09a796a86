//! OpenAI's Responses API (https://platform.openai.com/docs/api-reference/responses):
//! `POST /responses`, whole or streamed as its named events
//! (https://platform.openai.com/docs/api-reference/responses-streaming), and a stored
//! response's `GET`, `DELETE`, `GET .../input_items` and `POST .../cancel`. The mock stores
//! nothing: any id names a completed response with that id. Off the hot path of any load
//! test, so bodies are built with serde_json.

use serde_json::{json, Value};

use super::openai::{word, CONTENT, CREATED, PROMPT_TOKENS};
use super::route::{Reply, StreamFamily, StreamReply};

/// The id of every created response (and its message's).
pub const RESPONSE_ID: &str = "resp_0mock1a2b3c";
const MESSAGE_ID: &str = "msg_0mock1a2b3c";

/// What a stored response's path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Read,
    InputItems,
    Cancel,
}

/// `/responses/{id}[/input_items|/cancel]` at the end of a path: the id and what it asks.
pub fn stored(path: &str) -> Option<(&str, Stored)> {
    let (_, rest) = path.rsplit_once("/responses/")?;
    let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let what = match tail {
        "" => Stored::Read,
        "input_items" => Stored::InputItems,
        "cancel" => Stored::Cancel,
        _ => return None,
    };
    (!id.is_empty()).then_some((id, what))
}

fn usage(output_tokens: usize) -> Value {
    json!({
        "input_tokens": PROMPT_TOKENS,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": PROMPT_TOKENS + output_tokens,
    })
}

fn message(text: &str, status: &str) -> Value {
    json!({
        "type": "message", "id": MESSAGE_ID, "status": status, "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    })
}

/// A response object as OpenAI returns it; the request's echoed fields are taken from
/// `request` (an object) where it has them.
fn response(id: &str, request: &Value, status: &str, output: Vec<Value>, usage: Value) -> Value {
    let echo = |key: &str, default: Value| request.get(key).cloned().unwrap_or(default);
    json!({
        "id": id, "object": "response", "created_at": CREATED.parse::<u64>().unwrap_or(0),
        "status": status, "error": null, "incomplete_details": null,
        "instructions": echo("instructions", Value::Null),
        "max_output_tokens": echo("max_output_tokens", Value::Null),
        "model": echo("model", json!("gpt-4o-2024-08-06")),
        "output": output, "parallel_tool_calls": true,
        "previous_response_id": echo("previous_response_id", Value::Null),
        "reasoning": {"effort": null, "summary": null}, "store": true,
        "temperature": echo("temperature", json!(1.0)),
        "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [],
        "top_p": 1.0, "truncation": "disabled", "usage": usage, "user": null,
        "metadata": echo("metadata", json!({})),
    })
}

/// `POST /responses`: a request with a `model` and an `input` is answered whole, or streamed
/// in `chunks` text deltas when it asks (`"stream": true`).
pub fn create(body: &[u8], chunks: usize, with_usage: bool) -> Result<Reply, String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    if !request.get("model").is_some_and(Value::is_string) {
        return Err("Missing required parameter: 'model'.".to_owned());
    }
    if request.get("input").is_none() {
        return Err("Missing required parameter: 'input'.".to_owned());
    }
    let usage_of = |n| if with_usage { usage(n) } else { Value::Null };
    if request.get("stream") != Some(&Value::Bool(true)) {
        let whole = response(
            RESPONSE_ID,
            &request,
            "completed",
            vec![message(CONTENT, "completed")],
            usage_of(6),
        );
        return Ok(Reply::Full {
            status: 200,
            body: whole.to_string().into_bytes(),
        });
    }
    let text: String = (0..chunks).map(word).collect();
    let mut events = Vec::new();
    let mut push = |kind: &str, mut event: Value| {
        event["type"] = json!(kind);
        event["sequence_number"] = json!(events.len());
        events.push(format!("event: {kind}\ndata: {event}\n\n").into_bytes());
    };
    let started = response(
        RESPONSE_ID,
        &request,
        "in_progress",
        Vec::new(),
        Value::Null,
    );
    push("response.created", json!({"response": started}));
    push("response.in_progress", json!({"response": started}));
    let mut item = message("", "in_progress");
    item["content"] = json!([]);
    push(
        "response.output_item.added",
        json!({"output_index": 0, "item": item}),
    );
    let part = |text: &str| json!({"type": "output_text", "annotations": [], "text": text});
    let at = |extra: Value| {
        let mut e = json!({"item_id": MESSAGE_ID, "output_index": 0, "content_index": 0});
        if let (Some(e), Value::Object(extra)) = (e.as_object_mut(), extra) {
            e.extend(extra);
        }
        e
    };
    push("response.content_part.added", at(json!({"part": part("")})));
    for i in 0..chunks {
        push(
            "response.output_text.delta",
            at(json!({"delta": word(i), "logprobs": []})),
        );
    }
    push(
        "response.output_text.done",
        at(json!({"text": text, "logprobs": []})),
    );
    push(
        "response.content_part.done",
        at(json!({"part": part(&text)})),
    );
    push(
        "response.output_item.done",
        json!({"output_index": 0, "item": message(&text, "completed")}),
    );
    let done = response(
        RESPONSE_ID,
        &request,
        "completed",
        vec![message(&text, "completed")],
        usage_of(chunks),
    );
    push("response.completed", json!({"response": done}));
    Ok(Reply::Stream(StreamReply {
        family: StreamFamily::Scripted,
        model: String::new(),
        chunks: 0,
        include_usage: false,
        with_usage,
        script: events,
    }))
}

/// A stored response: read (`GET`), deleted (`DELETE`), its input items (`GET`) or
/// cancelled (`POST`); `Err` for another method.
pub fn answer(method: &str, id: &str, what: Stored) -> Result<Value, &'static str> {
    let done = || {
        response(
            id,
            &json!({}),
            "completed",
            vec![message(CONTENT, "completed")],
            usage(6),
        )
    };
    Ok(match (method, what) {
        ("GET", Stored::Read) => done(),
        ("DELETE", Stored::Read) => json!({"id": id, "object": "response", "deleted": true}),
        ("GET", Stored::InputItems) => json!({
            "object": "list",
            "data": [{"id": "msg_0input", "type": "message", "role": "user", "status": "completed",
                      "content": [{"type": "input_text", "text": "Hi"}]}],
            "first_id": "msg_0input", "last_id": "msg_0input", "has_more": false,
        }),
        ("POST", Stored::Cancel) => {
            let mut cancelled = done();
            cancelled["status"] = json!("cancelled");
            cancelled
        }
        _ => return Err("mock: method not allowed for a stored response"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_stored_responses() {
        assert_eq!(
            stored("/v1/responses/resp_1"),
            Some(("resp_1", Stored::Read))
        );
        assert_eq!(
            stored("/openai/v1/responses/r/input_items"),
            Some(("r", Stored::InputItems))
        );
        assert_eq!(stored("/responses/r/cancel"), Some(("r", Stored::Cancel)));
        assert_eq!(stored("/v1/responses"), None);
        assert_eq!(stored("/v1/responses/r/other"), None);
    }

    #[test]
    fn a_stream_is_the_named_events_in_order() {
        let Ok(Reply::Stream(s)) = create(br#"{"model":"m","input":"hi","stream":true}"#, 3, true)
        else {
            panic!()
        };
        let kinds: Vec<String> = s
            .script
            .iter()
            .map(|e| {
                String::from_utf8_lossy(e)
                    .lines()
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(kinds.len(), 11);
        assert_eq!(kinds[0], "event: response.created");
        assert_eq!(kinds[10], "event: response.completed");
        assert!(create(br#"{"model":"m"}"#, 3, true).is_err());
    }
}
