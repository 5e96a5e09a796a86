//! A Responses API object (`"object": "response"`) rebuilt as LiteLLM 1.108.7 returns it: its
//! pydantic `ResponsesAPIResponse` (`types/llms/openai.py`), whose output items and usage are
//! the OpenAI SDK's types. Each typed object is written with its declared fields first, in
//! their order, then the provider's other members in theirs:
//!
//! - a whole answer ([`Nulls::Written`]) carries every declared field, `null` where the
//!   provider sent none (FastAPI's `jsonable_encoder`);
//! - inside a stream's events ([`Nulls::Dropped`]) a `null` or missing field is left out
//!   (`model_dump_json(exclude_none=True, exclude_unset=True)`);
//! - `id` becomes the client's id ([`super::encode_id`]), `created_at` an integer, and
//!   `usage.cost` is `null` in a whole answer (LiteLLM reports the cost in a header) and the
//!   call's cost at the end of a stream when the model has a price.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::json::value::{elements, get, is_object, string};
use crate::json::write_json_string;
use crate::json::{top_members, unescape};

/// How missing and `null` fields are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// Every declared field, `null` where absent (a whole answer).
    Written,
    /// `null` and absent fields left out (a stream event).
    Dropped,
}

/// A typed object: its declared fields in order, and those of them never written as `null`.
struct Shape {
    fields: &'static [&'static str],
    never_null: &'static [&'static str],
}

const RESPONSE: Shape = Shape {
    fields: &[
        "id",
        "created_at",
        "error",
        "incomplete_details",
        "instructions",
        "metadata",
        "model",
        "object",
        "output",
        "parallel_tool_calls",
        "temperature",
        "tool_choice",
        "tools",
        "top_p",
        "max_output_tokens",
        "previous_response_id",
        "reasoning",
        "status",
        "text",
        "truncation",
        "usage",
        "user",
        "store",
    ],
    never_null: &[],
};

const USAGE: Shape = Shape {
    fields: &[
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens",
        "cost",
    ],
    never_null: &[],
};

const INPUT_DETAILS: Shape = Shape {
    fields: &[
        "audio_tokens",
        "cached_tokens",
        "cached_tokens_details",
        "image_tokens",
        "text_tokens",
        "video_tokens",
    ],
    never_null: &[],
};

const OUTPUT_DETAILS: Shape = Shape {
    fields: &["audio_tokens", "reasoning_tokens", "text_tokens"],
    never_null: &[],
};

/// `ResponseOutputMessage`.
const MESSAGE: Shape = Shape {
    fields: &["id", "content", "role", "status", "type", "phase"],
    never_null: &[],
};

/// `ResponseOutputText`.
const OUTPUT_TEXT: Shape = Shape {
    fields: &["annotations", "text", "type", "logprobs"],
    never_null: &[],
};

/// `ResponseOutputRefusal`.
const REFUSAL: Shape = Shape {
    fields: &["refusal", "type"],
    never_null: &[],
};

/// `ResponseFunctionToolCall`.
const FUNCTION_CALL: Shape = Shape {
    fields: &[
        "arguments",
        "call_id",
        "name",
        "type",
        "id",
        "async",
        "caller",
        "namespace",
        "status",
    ],
    never_null: &[],
};

/// `ResponseReasoningItem`: LiteLLM's serializer removes its `null` status, content and
/// encrypted content.
const REASONING: Shape = Shape {
    fields: &[
        "id",
        "summary",
        "type",
        "content",
        "encrypted_content",
        "status",
    ],
    never_null: &["content", "encrypted_content", "status"],
};

/// A reasoning item's `Summary`.
const SUMMARY: Shape = Shape {
    fields: &["text", "type"],
    never_null: &[],
};

/// `FunctionTool`, as LiteLLM's response repeats a request's function tools.
const FUNCTION_TOOL: Shape = Shape {
    fields: &[
        "name",
        "parameters",
        "strict",
        "type",
        "allowed_callers",
        "async",
        "defer_loading",
        "description",
        "output_schema",
    ],
    never_null: &[],
};

/// A request's tools as a whole answer repeats them: function tools in the SDK's
/// `FunctionTool` shape, the others as they came.
pub fn write_tools(tools: &[u8], out: &mut Vec<u8>) {
    match elements(tools) {
        Some(items) => crate::json::write_array(items, out, |tool, out| {
            if is_object(tool) && get(tool, "type").and_then(string).as_deref() == Some("function")
            {
                write_typed(tool, &FUNCTION_TOOL, Nulls::Written, out, &mut |_, _, _| {
                    false
                });
            } else {
                out.extend_from_slice(tool);
            }
        }),
        None => out.extend_from_slice(tools),
    }
}

/// What replaces the provider's values in a rebuilt response.
#[derive(Debug, Clone, Copy)]
pub struct Rewrite<'a> {
    /// The client's id for the response (the provider's id wrapped).
    pub id: Option<&'a str>,
    /// The model the client asked for; `None` keeps the provider's (a `GET` by id, a
    /// stream's nested response).
    pub model: Option<&'a str>,
    /// `usage.cost`: the call's cost (a stream's last event, a priced model), else `null`.
    pub cost: Option<f64>,
}

/// Writes the response object `obj` (a validated JSON object) rebuilt for the client.
pub fn write_response(obj: &[u8], rewrite: &Rewrite<'_>, nulls: Nulls, out: &mut Vec<u8>) {
    write_typed(
        obj,
        &RESPONSE,
        nulls,
        out,
        &mut |key, value, out| match key {
            "id" if value.is_some() => match rewrite.id {
                Some(id) => {
                    write_json_string(id, out);
                    true
                }
                None => false,
            },
            "model" if value.is_some() => match rewrite.model {
                Some(model) => {
                    write_json_string(model, out);
                    true
                }
                None => false,
            },
            "created_at" => match value {
                Some(v) => {
                    write_created(v, out);
                    true
                }
                None => false,
            },
            "output" => match value.and_then(elements) {
                Some(items) => {
                    crate::json::write_array(items, out, |item, out| write_item(item, nulls, out));
                    true
                }
                None => false,
            },
            "usage" => match value.filter(|v| is_object(v)) {
                Some(usage) => {
                    write_usage(usage, rewrite.cost, nulls, out);
                    true
                }
                None => false,
            },
            _ => false,
        },
    );
}

/// The provider's `id` of a response object, when it is a string.
pub fn response_id(obj: &[u8]) -> Option<String> {
    get(obj, "id").and_then(string)
}

/// `created_at` as an integer (`safe_convert_created_field` truncates a float).
fn write_created(v: &[u8], out: &mut Vec<u8>) {
    match v.iter().position(|&b| b == b'.') {
        Some(dot) if v[..dot].iter().all(u8::is_ascii_digit) && dot > 0 => {
            out.extend_from_slice(&v[..dot]);
        }
        _ => out.extend_from_slice(v),
    }
}

fn write_usage(usage: &[u8], cost: Option<f64>, nulls: Nulls, out: &mut Vec<u8>) {
    write_typed(
        usage,
        &USAGE,
        nulls,
        out,
        &mut |key, value, out| match key {
            "input_tokens_details" | "output_tokens_details" => {
                match value.filter(|v| is_object(v)) {
                    Some(details) => {
                        let shape = if key == "input_tokens_details" {
                            &INPUT_DETAILS
                        } else {
                            &OUTPUT_DETAILS
                        };
                        write_typed(details, shape, nulls, out, &mut |_, _, _| false);
                        true
                    }
                    None => false,
                }
            }
            "cost" => match cost {
                Some(cost) => {
                    crate::cost::write_cost(cost, out);
                    true
                }
                // LiteLLM's whole answer carries no cost of its own (`null`).
                None if nulls == Nulls::Written => {
                    out.extend_from_slice(b"null");
                    true
                }
                None => false,
            },
            _ => false,
        },
    );
}

/// One output item in its SDK type's shape (other types as they came).
fn write_item(item: &[u8], nulls: Nulls, out: &mut Vec<u8>) {
    if !is_object(item) {
        out.extend_from_slice(item);
        return;
    }
    match get(item, "type").and_then(string).as_deref() {
        Some("message") => write_typed(item, &MESSAGE, nulls, out, &mut |key, value, out| match (
            key,
            value.and_then(elements),
        ) {
            ("content", Some(parts)) => {
                crate::json::write_array(parts, out, |part, out| write_part(part, nulls, out));
                true
            }
            _ => false,
        }),
        Some("function_call") => {
            write_typed(item, &FUNCTION_CALL, nulls, out, &mut |_, _, _| false)
        }
        Some("reasoning") => {
            write_typed(item, &REASONING, nulls, out, &mut |key, value, out| match (
                key,
                value.and_then(elements),
            ) {
                ("summary", Some(parts)) => {
                    crate::json::write_array(parts, out, |part, out| {
                        if is_object(part) {
                            write_typed(part, &SUMMARY, nulls, out, &mut |_, _, _| false);
                        } else {
                            out.extend_from_slice(part);
                        }
                    });
                    true
                }
                _ => false,
            })
        }
        _ => out.extend_from_slice(item),
    }
}

/// One content part of a message.
fn write_part(part: &[u8], nulls: Nulls, out: &mut Vec<u8>) {
    if !is_object(part) {
        out.extend_from_slice(part);
        return;
    }
    let shape = match get(part, "type").and_then(string).as_deref() {
        Some("output_text") => &OUTPUT_TEXT,
        Some("refusal") => &REFUSAL,
        _ => {
            out.extend_from_slice(part);
            return;
        }
    };
    write_typed(part, shape, nulls, out, &mut |_, _, _| false);
}

/// Writes a field's value itself: gets the key and the present, non-null value; says whether
/// it wrote one.
type FieldWriter<'a> = dyn FnMut(&str, Option<&[u8]>, &mut Vec<u8>) -> bool + 'a;

/// Writes the object `obj` as `shape`: its declared fields in order, then the other members
/// (the last of repeated keys, in the order they came). `value` may write a declared or other
/// field's value itself (it gets the present, non-null value or `None`) and says whether it
/// did; otherwise the value is copied, or `null` per `nulls`.
fn write_typed(
    obj: &[u8],
    shape: &Shape,
    nulls: Nulls,
    out: &mut Vec<u8>,
    value: &mut FieldWriter<'_>,
) {
    // Keys borrowed where they hold no escape; each key's last member found in one pass (a
    // hostile object with many members costs linear time).
    let members: Vec<(Cow<'_, str>, &[u8])> = top_members(obj)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let raw = &obj[m.key.clone()];
            let key = if raw.contains(&b'\\') {
                Cow::Owned(unescape(raw)?)
            } else {
                Cow::Borrowed(std::str::from_utf8(raw).ok()?)
            };
            Some((key, &obj[m.value]))
        })
        .collect();
    let mut last_at: HashMap<&str, usize> = HashMap::with_capacity(members.len());
    for (i, (key, _)) in members.iter().enumerate() {
        last_at.insert(key.as_ref(), i);
    }
    let last = |key: &str| last_at.get(key).map(|&i| &members[i]);
    out.push(b'{');
    let mut field = |key: &str, given: Option<&[u8]>, declared: bool, out: &mut Vec<u8>| {
        let mark = out.len();
        if out.last() != Some(&b'{') {
            out.push(b',');
        }
        write_json_string(key, out);
        out.push(b':');
        let present = given.filter(|v| *v != b"null");
        if value(key, present, out) {
            return;
        }
        match present {
            Some(v) => out.extend_from_slice(v),
            None if nulls == Nulls::Written
                && !shape.never_null.contains(&key)
                && (declared || given.is_some()) =>
            {
                out.extend_from_slice(b"null")
            }
            None => out.truncate(mark),
        }
    };
    for key in shape.fields {
        field(key, last(key).map(|(_, v)| *v), true, out);
    }
    for (i, (key, v)) in members.iter().enumerate() {
        let repeated = last_at.get(key.as_ref()) != Some(&i);
        if !repeated && !shape.fields.contains(&key.as_ref()) {
            field(key, Some(v), false, out);
        }
    }
    out.push(b'}');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rebuilt(obj: &str, rewrite: Rewrite<'_>, nulls: Nulls) -> String {
        let mut out = Vec::new();
        write_response(obj.as_bytes(), &rewrite, nulls, &mut out);
        let s = String::from_utf8(out).unwrap();
        serde_json::from_str::<serde_json::Value>(&s).unwrap();
        s
    }

    #[test]
    fn a_whole_answer_as_litellm_returns_it() {
        // Example A of LiteLLM 1.108.7's proxy (an upstream `/v1/responses` answer, client
        // model `vllm`).
        let upstream = r#"{"id":"resp_0abc","object":"response","created_at":1741476542,"status":"completed","model":"gpt-4o","output":[{"type":"message","id":"msg_0abc","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Hi","annotations":[]}]}],"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}"#;
        let rewrite = Rewrite {
            id: Some("resp_X"),
            model: Some("vllm"),
            cost: None,
        };
        assert_eq!(
            rebuilt(upstream, rewrite, Nulls::Written),
            r#"{"id":"resp_X","created_at":1741476542,"error":null,"incomplete_details":null,"instructions":null,"metadata":null,"model":"vllm","object":"response","output":[{"id":"msg_0abc","content":[{"annotations":[],"text":"Hi","type":"output_text","logprobs":null}],"role":"assistant","status":"completed","type":"message","phase":null}],"parallel_tool_calls":null,"temperature":null,"tool_choice":null,"tools":null,"top_p":null,"max_output_tokens":null,"previous_response_id":null,"reasoning":null,"status":"completed","text":null,"truncation":null,"usage":{"input_tokens":5,"input_tokens_details":null,"output_tokens":2,"output_tokens_details":null,"total_tokens":7,"cost":null},"user":null,"store":null}"#
        );
    }

    #[test]
    fn details_expand_and_other_members_follow() {
        let upstream = r#"{"id":"r","created_at":17.9,"model":"m","store":true,"background":false,"zz":{"a":1},"max_tool_calls":null,"usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123}}"#;
        let rewrite = Rewrite {
            id: None,
            model: None,
            cost: None,
        };
        let s = rebuilt(upstream, rewrite, Nulls::Written);
        assert!(
            s.starts_with(r#"{"id":"r","created_at":17,"error":null"#),
            "{s}"
        );
        assert!(s.ends_with(r#""usage":{"input_tokens":36,"input_tokens_details":{"audio_tokens":null,"cached_tokens":0,"cached_tokens_details":null,"image_tokens":null,"text_tokens":null,"video_tokens":null},"output_tokens":87,"output_tokens_details":{"audio_tokens":null,"reasoning_tokens":0,"text_tokens":null},"total_tokens":123,"cost":null},"user":null,"store":true,"background":false,"zz":{"a":1},"max_tool_calls":null}"#), "{s}");
    }

    #[test]
    fn a_stream_event_drops_nulls_and_keeps_the_model() {
        let upstream = r#"{"id":"resp_0abc","object":"response","created_at":1741476542,"status":"completed","error":null,"model":"gpt-4o-2024-08-06","output":[{"id":"msg_0","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hello"}]}],"reasoning":{"effort":null,"summary":null},"usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123},"user":null,"store":true}"#;
        let rewrite = Rewrite {
            id: Some("resp_E"),
            model: None,
            cost: Some(0.0009600000000000001),
        };
        assert_eq!(
            rebuilt(upstream, rewrite, Nulls::Dropped),
            r#"{"id":"resp_E","created_at":1741476542,"model":"gpt-4o-2024-08-06","object":"response","output":[{"id":"msg_0","content":[{"annotations":[],"text":"Hello","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message"}],"reasoning":{"effort":null,"summary":null},"status":"completed","usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123,"cost":0.0009600000000000001},"store":true}"#
        );
    }

    #[test]
    fn many_members_cost_linear_time() {
        // A hostile object of 100k members is rebuilt in well under a second.
        let mut obj = String::from("{\"id\":\"r\"");
        for i in 0..100_000 {
            obj.push_str(&format!(",\"k{i}\":{i},\"k{i}\":1"));
        }
        obj.push('}');
        let started = std::time::Instant::now();
        let mut out = Vec::new();
        let rewrite = Rewrite {
            id: None,
            model: None,
            cost: None,
        };
        write_response(obj.as_bytes(), &rewrite, Nulls::Written, &mut out);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["k7"], 1, "the last of repeated keys");
    }

    #[test]
    fn items_take_their_sdk_shapes() {
        let upstream = r#"{"id":"r","output":[{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{}","status":"completed"},{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"t"}],"status":null},{"type":"web_search_call","id":"ws","status":"completed"},{"type":"message","content":[{"type":"refusal","refusal":"no"}]}]}"#;
        let rewrite = Rewrite {
            id: None,
            model: None,
            cost: None,
        };
        let s = rebuilt(upstream, rewrite, Nulls::Written);
        assert!(s.contains(r#""output":[{"arguments":"{}","call_id":"call_1","name":"f","type":"function_call","id":"fc_1","async":null,"caller":null,"namespace":null,"status":"completed"},{"id":"rs_1","summary":[{"text":"t","type":"summary_text"}],"type":"reasoning"},{"type":"web_search_call","id":"ws","status":"completed"},{"id":null,"content":[{"refusal":"no","type":"refusal"}],"role":null,"status":null,"type":"message","phase":null}]"#), "{s}");
    }
}
