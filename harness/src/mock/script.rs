//! Scripted tool use on the Messages, chat completions and Gemini routes, so an agent (Claude Code)
//! can run a whole tool loop against the mock: a conversation whose last user turn carries `[[tool:NAME {json}]]` in
//! its text gets a call to NAME with that input (a `tool_use` block, or `tool_calls`); a last
//! turn that carries the tool's result gets `tool result: <its text>` back, so a test sees
//! the tool ran.
//! Bodies without the marker are never parsed here (the load path stays as it is).

use serde_json::{json, Value};

const MARKER: &str = "[[tool:";

/// What a scripted turn answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Script {
    /// Call tool `name` with `input` (a JSON object).
    Call { name: String, input: Value },
    /// Answer with this text.
    Text(String),
}

/// The script for a request body, if its conversation uses the marker.
pub fn script(body: &[u8]) -> Option<Script> {
    memchr::memmem::find(body, MARKER.as_bytes())?;
    let body: Value = serde_json::from_slice(body).ok()?;
    if let Some(contents) = body.get("contents").and_then(Value::as_array) {
        return gemini_script(contents);
    }
    // The turns after the last assistant message: Claude Code adds system (or, bridged,
    // operator-note user) messages there.
    let messages = body.get("messages")?.as_array()?;
    let after = messages
        .iter()
        .rposition(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .map_or(0, |i| i + 1);
    let trailing = &messages[after..];
    for m in trailing {
        if m.get("role").and_then(Value::as_str) == Some("tool") {
            let text = m.get("content").map(text_of).unwrap_or_default();
            return Some(Script::Text(format!("tool result: {}", text.trim())));
        }
        let results = m.get("content").and_then(Value::as_array);
        if let Some(result) = results
            .into_iter()
            .flatten()
            .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
        {
            let text = result.get("content").map(text_of).unwrap_or_default();
            return Some(Script::Text(format!("tool result: {}", text.trim())));
        }
    }
    trailing
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .find_map(|m| call_in(m.get("content")?))
}

/// A Gemini conversation's script: a `functionResponse` after the last `model` content is
/// answered with its text, a marker in a user text part is called.
fn gemini_script(contents: &[Value]) -> Option<Script> {
    let after = contents
        .iter()
        .rposition(|c| c.get("role").and_then(Value::as_str) == Some("model"))
        .map_or(0, |i| i + 1);
    let parts: Vec<&Value> = contents[after..]
        .iter()
        .filter_map(|c| c.get("parts")?.as_array())
        .flatten()
        .collect();
    // Gemini takes both spellings (LiteLLM writes snake_case).
    let response = parts.iter().find_map(|p| {
        p.get("functionResponse")
            .or_else(|| p.get("function_response"))
    });
    if let Some(response) = response {
        let value = &response["response"];
        let text = value
            .get("content")
            .map(text_of)
            .unwrap_or_else(|| value.to_string());
        return Some(Script::Text(format!("tool result: {}", text.trim())));
    }
    let texts: Vec<Value> = parts
        .iter()
        .filter_map(|p| p.get("text").cloned())
        .collect();
    call_in(&Value::Array(texts))
}

/// The marker's call in a user turn's content (a string or text blocks).
fn call_in(content: &Value) -> Option<Script> {
    let blocks: Vec<&Value> = match content {
        Value::Array(blocks) => blocks.iter().collect(),
        text @ Value::String(_) => vec![text],
        _ => return None,
    };
    blocks.iter().find_map(|b| {
        let text = b.as_str().or_else(|| b.get("text")?.as_str())?;
        let at = text.find(MARKER)? + MARKER.len();
        let rest = &text[at..];
        let call = &rest[..rest.find("]]")?];
        let (name, input) = call.split_once(' ').unwrap_or((call, "{}"));
        let input = serde_json::from_str(input.trim())
            .ok()
            .filter(Value::is_object)?;
        Some(Script::Call {
            name: name.to_owned(),
            input,
        })
    })
}

/// A string, or the texts of a list of parts.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

impl Script {
    /// The whole chat completion (OpenAI's format).
    pub fn chat_message(&self, model: &str) -> Vec<u8> {
        let (message, finish) = match self {
            Script::Call { name, input } => (
                json!({"role": "assistant", "content": null, "tool_calls": [{"id": CALL_ID,
                    "type": "function", "function": {"name": name, "arguments": input.to_string()}}]}),
                "tool_calls",
            ),
            Script::Text(text) => (json!({"role": "assistant", "content": text}), "stop"),
        };
        json!({"id": "chatcmpl-mock", "object": "chat.completion", "created": 1700000000,
            "model": model, "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
        .to_string()
        .into_bytes()
    }

    /// The chat completion stream, one `data: ...\n\n` per element, `[DONE]` last.
    pub fn chat_events(&self, model: &str, include_usage: bool) -> Vec<Vec<u8>> {
        let chunk = |delta: Value, finish: Value| {
            let c = json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk",
                "created": 1700000000, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
            format!("data: {c}\n\n").into_bytes()
        };
        let mut events = vec![chunk(
            json!({"role": "assistant", "content": ""}),
            Value::Null,
        )];
        let finish = match self {
            Script::Call { name, input } => {
                let args = input.to_string();
                let (a, b) = args.split_at(args.len() / 2);
                events.push(chunk(
                    json!({"tool_calls": [{"index": 0, "id": CALL_ID, "type": "function",
                        "function": {"name": name, "arguments": ""}}]}),
                    Value::Null,
                ));
                for piece in [a, b] {
                    events.push(chunk(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}),
                        Value::Null,
                    ));
                }
                "tool_calls"
            }
            Script::Text(text) => {
                events.push(chunk(json!({"content": text}), Value::Null));
                "stop"
            }
        };
        events.push(chunk(json!({}), json!(finish)));
        if include_usage {
            let u = json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk",
                "created": 1700000000, "model": model, "choices": [],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}});
            events.push(format!("data: {u}\n\n").into_bytes());
        }
        events.push(b"data: [DONE]\n\n".to_vec());
        events
    }

    /// The whole Messages answer; `model` is the model to echo.
    pub fn message(&self, model: &str) -> Vec<u8> {
        let (content, stop) = match self {
            Script::Call { name, input } => (
                json!([{"type": "tool_use", "id": TOOL_ID, "name": name, "input": input}]),
                "tool_use",
            ),
            Script::Text(text) => (json!([{"type": "text", "text": text}]), "end_turn"),
        };
        let mut m = start(model);
        m["content"] = content;
        m["stop_reason"] = json!(stop);
        m["usage"] = json!({"input_tokens": 10, "output_tokens": 5});
        m.to_string().into_bytes()
    }

    /// The Messages stream, one `event: ...\ndata: ...\n\n` per element.
    pub fn events(&self, model: &str) -> Vec<Vec<u8>> {
        let (block, deltas, stop): (Value, Vec<Value>, &str) = match self {
            Script::Call { name, input } => {
                let args = input.to_string();
                let (a, b) = args.split_at(args.len() / 2);
                (
                    json!({"type": "tool_use", "id": TOOL_ID, "name": name, "input": {}}),
                    [a, b]
                        .iter()
                        .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                        .collect(),
                    "tool_use",
                )
            }
            Script::Text(text) => (
                json!({"type": "text", "text": ""}),
                vec![json!({"type": "text_delta", "text": text})],
                "end_turn",
            ),
        };
        let mut message = start(model);
        message["usage"] = json!({"input_tokens": 10, "output_tokens": 1});
        let mut events = vec![
            event(json!({"type": "message_start", "message": message})),
            event(json!({"type": "content_block_start", "index": 0, "content_block": block})),
        ];
        for delta in deltas {
            events.push(event(
                json!({"type": "content_block_delta", "index": 0, "delta": delta}),
            ));
        }
        events.push(event(json!({"type": "content_block_stop", "index": 0})));
        events.push(event(json!({"type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": 5}})));
        events.push(event(json!({"type": "message_stop"})));
        events
    }
}

impl Script {
    /// The `GenerateContentResponse` (Gemini's format): a `functionCall` part, or text.
    pub fn gemini_answer(&self, model: &str) -> Value {
        let part = match self {
            Script::Call { name, input } => json!({"functionCall": {"name": name, "args": input}}),
            Script::Text(text) => json!({"text": text}),
        };
        json!({"candidates": [{"content": {"parts": [part], "role": "model"},
                               "finishReason": "STOP", "index": 0}],
               "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
               "modelVersion": model, "responseId": "mock-gemini"})
    }
}

const TOOL_ID: &str = "toolu_mock_1";
const CALL_ID: &str = "call_mock_1";

fn start(model: &str) -> Value {
    json!({"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
        "content": [], "stop_reason": null, "stop_sequence": null})
}

fn event(data: Value) -> Vec<u8> {
    let name = data["type"].as_str().unwrap_or("").to_owned();
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn marker_calls_and_result_answers() {
        let call = br#"{"messages":[{"role":"user","content":[{"type":"text","text":"run [[tool:Bash {\"command\": \"echo hi\"}]] now"}]}]}"#;
        assert_eq!(
            script(call),
            Some(Script::Call {
                name: "Bash".into(),
                input: json!({"command": "echo hi"})
            })
        );
        let result = br#"{"messages":[{"role":"user","content":"[[tool:Bash {}]]"},{"role":"assistant","content":[]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"hi\n"}]}]}]}"#;
        assert_eq!(script(result), Some(Script::Text("tool result: hi".into())));
        assert_eq!(
            script(br#"{"messages":[{"role":"user","content":"hello"}]}"#),
            None
        );
        let events = Script::Call {
            name: "Bash".into(),
            input: json!({"command": "echo hi"}),
        }
        .events("m");
        let args: String = events
            .iter()
            .filter_map(|e| {
                let text = std::str::from_utf8(e).unwrap();
                let data: Value = serde_json::from_str(text.split_once("data: ")?.1.trim()).ok()?;
                Some(data["delta"]["partial_json"].as_str()?.to_owned())
            })
            .collect();
        assert_eq!(
            serde_json::from_str::<Value>(&args).unwrap(),
            json!({"command": "echo hi"})
        );
    }

    #[test]
    fn gemini_conversations_are_scripted_too() {
        let call = br#"{"contents":[{"role":"user","parts":[{"text":"run [[tool:Bash {\"command\": \"ls\"}]]"}]}]}"#;
        let called = script(call).unwrap();
        assert_eq!(
            called,
            Script::Call {
                name: "Bash".into(),
                input: json!({"command": "ls"})
            }
        );
        let answer = called.gemini_answer("g");
        assert_eq!(
            answer["candidates"][0]["content"]["parts"][0]["functionCall"]["name"],
            "Bash"
        );
        let result = br#"{"contents":[{"role":"user","parts":[{"text":"run [[tool:Bash {}]]"}]},
            {"role":"model","parts":[{"function_call":{"name":"Bash","args":{}}}]},
            {"role":"user","parts":[{"function_response":{"name":"Bash","response":{"content":"a.txt"}}}]}]}"#;
        assert_eq!(
            script(result).unwrap(),
            Script::Text("tool result: a.txt".into())
        );
    }
}
