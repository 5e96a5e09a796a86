//! Text completions through chat completions, as LiteLLM 1.108.7 sends `/v1/completions` to
//! a provider outside its `openai_text_completion_compatible_providers` (litellm/main.py
//! `text_completion`, then `completion`): OpenAI's chat models, `azure/`, the chat-only
//! OpenAI-format providers, and the families with their own wire format (whose chat
//! translation then writes the request and reads the answer, [`crate::family`]):
//!
//! - the request: the prompt becomes user messages (a string one message, a list of strings
//!   one message each, in one conversation), every other member goes on as a chat parameter,
//!   through the row's chat table ([`crate::params::write_chat_body`]) or the family's chat
//!   translation;
//! - the answer: a `text_completion` of the chat completion's choices, each message's content
//!   as its text (`LiteLLMResponseObjectHandler.convert_chat_to_text_completion`), the usage
//!   in LiteLLM's shape;
//! - the stream: each chunk's first choice as a text chunk (`TextCompletionStreamWrapper`),
//!   its members that are null left out as the proxy writes them; the usage chunk, when the
//!   client asked for it, with one bare choice and LiteLLM's stream usage (its details and
//!   cost); when it did not, a zero usage on every chunk, as the wrapper leaves it.
//!
//! A prompt of token ids (or anything but strings) is LiteLLM's "Unmapped prompt format":
//! only OpenAI and Azure take those, and they have `/completions`.

use crate::anthropic::TransformError;
use crate::json::value::{elements, get, is_object, string};
use crate::json::{top_members, write_json_string};
use crate::stream::StreamFailure;
use crate::usage::{parse_usage, write_counts, Usage};

/// Writes the chat completions body for the text completions `body` (validated JSON):
/// `model` as `provider_model`, the prompt as `messages`, the other members as they came.
pub fn to_chat_request(
    body: &[u8],
    provider_model: &str,
    out: &mut Vec<u8>,
) -> Result<(), TransformError> {
    if !is_object(body) {
        return Err(TransformError::Invalid("expected an object".to_owned()));
    }
    let prompt = get(body, "prompt").ok_or_else(|| {
        TransformError::Invalid("Missing required parameter: 'prompt'".to_owned())
    })?;
    let prompts = match prompt.first() {
        Some(b'"') => vec![prompt],
        // LiteLLM reads the list as strings when its first element is one.
        Some(b'[') => elements(prompt)
            .filter(|p| p.first().is_some_and(|first| first.first() == Some(&b'"')))
            .ok_or_else(|| unmapped(prompt))?,
        _ => return Err(unmapped(prompt)),
    };
    out.extend_from_slice(b"{\"model\":");
    write_json_string(provider_model, out);
    out.extend_from_slice(b",\"messages\":");
    crate::json::write_array(prompts, out, |p, out| {
        out.extend_from_slice(b"{\"role\":\"user\",\"content\":");
        out.extend_from_slice(p);
        out.push(b'}');
    });
    for m in top_members(body).into_iter().flatten() {
        let key = &body[m.key.clone()];
        if key == b"model" || key == b"prompt" {
            continue;
        }
        out.push(b',');
        out.extend_from_slice(&body[m.key.start - 1..m.key.end + 1]);
        out.push(b':');
        out.extend_from_slice(&body[m.value]);
    }
    out.push(b'}');
    Ok(())
}

/// LiteLLM's error for a prompt that is neither a string nor a list of strings.
fn unmapped(prompt: &[u8]) -> TransformError {
    let mut shown = String::new();
    crate::json::value::py_repr(prompt, &mut shown);
    TransformError::Invalid(format!(
        "Unmapped prompt format. Your prompt is neither a list of strings nor a string. prompt={shown}"
    ))
}

/// Who wrote a chat answer's usage, which decides how LiteLLM's text completion shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageFrom {
    /// An OpenAI-format provider: its counts and details objects as it gave them.
    Provider,
    /// A family translation (LiteLLM built its `Usage` from the provider's own format): every
    /// field of LiteLLM's `Usage`, those it did not fill null.
    Translated,
    /// As `Translated`, from an answer in Anthropic's format (its usage adds Anthropic's own
    /// fields).
    Anthropic,
}

/// Writes the client's `text_completion` for the chat completion `body`, named `model`, its
/// usage written as `from` says; returns its usage.
pub fn to_text_completion(
    body: &[u8],
    model: &str,
    from: UsageFrom,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("chat completion: {m}"));
    let body = crate::json::value::strict_object(body).map_err(bad)?;
    let [id, created, choices, usage] =
        crate::json::value::fields(body, ["id", "created", "choices", "usage"]);
    let choices = choices
        .and_then(elements)
        .ok_or_else(|| bad("no choices"))?;
    out.extend_from_slice(b"{\"id\":");
    out.extend_from_slice(id.unwrap_or(b"null"));
    out.extend_from_slice(b",\"object\":\"text_completion\",\"created\":");
    out.extend_from_slice(created.unwrap_or(b"null"));
    out.extend_from_slice(b",\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"choices\":");
    crate::json::write_array(choices, out, |choice, out| {
        let [index, finish, message] =
            crate::json::value::fields(choice, ["index", "finish_reason", "message"]);
        out.extend_from_slice(b"{\"finish_reason\":");
        out.extend_from_slice(finish.unwrap_or(b"null"));
        out.extend_from_slice(b",\"index\":");
        out.extend_from_slice(index.unwrap_or(b"0"));
        out.extend_from_slice(b",\"text\":");
        out.extend_from_slice(message.and_then(|m| get(m, "content")).unwrap_or(b"null"));
        out.extend_from_slice(b",\"logprobs\":null}");
    });
    let usage = usage.filter(|u| is_object(u));
    let counts = usage.and_then(parse_usage).unwrap_or_default();
    out.extend_from_slice(b",\"usage\":");
    match (usage, from) {
        (Some(raw), UsageFrom::Provider) => write_usage(&counts, raw, out),
        (Some(raw), _) => write_full_usage(&counts, raw, from == UsageFrom::Anthropic, out),
        (None, _) => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
    Ok(counts)
}

/// LiteLLM's `Usage` of a chat answer: the counts, then the provider's details objects (null
/// when it gave none).
fn write_usage(counts: &Usage, raw: &[u8], out: &mut Vec<u8>) {
    write_counts(counts, out);
    for key in ["completion_tokens_details", "prompt_tokens_details"] {
        write_member(key, get(raw, key), out);
    }
    out.push(b'}');
}

/// The fields of LiteLLM's `CompletionTokensDetailsWrapper`, in its order.
const COMPLETION_DETAILS: [&str; 7] = [
    "accepted_prediction_tokens",
    "audio_tokens",
    "reasoning_tokens",
    "rejected_prediction_tokens",
    "text_tokens",
    "image_tokens",
    "video_tokens",
];

/// The fields of LiteLLM's `PromptTokensDetailsWrapper`, in its order; `true` marks those
/// written only when set (the cache-write counts).
const PROMPT_DETAILS: [(&str, bool); 8] = [
    ("audio_tokens", false),
    ("cache_write_tokens", true),
    ("cached_tokens", false),
    ("image_tokens", false),
    ("text_tokens", false),
    ("video_tokens", false),
    ("initial_prompt_tokens", false),
    ("cache_creation_tokens", true),
];

/// LiteLLM's whole `Usage` of a translated answer, as its text completion dumps it (null
/// fields included): the details objects with every field, the cache counts at the top where
/// there are prompt details, and with `anthropic` the fields of Anthropic's usage it keeps.
fn write_full_usage(counts: &Usage, raw: &[u8], anthropic: bool, out: &mut Vec<u8>) {
    let completion = get(raw, "completion_tokens_details").filter(|d| is_object(d));
    let prompt = get(raw, "prompt_tokens_details").filter(|d| is_object(d));
    write_counts(counts, out);
    out.extend_from_slice(b",\"completion_tokens_details\":");
    match completion {
        Some(_) => write_object(
            COMPLETION_DETAILS
                .iter()
                .map(|k| (*k, detail(completion, k))),
            out,
        ),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"prompt_tokens_details\":");
    match prompt {
        Some(_) => write_object(
            PROMPT_DETAILS
                .iter()
                .map(|(k, optional)| (*k, detail(prompt, k), *optional))
                .filter(|(_, v, optional)| !optional || v.is_some())
                .map(|(k, v, _)| (k, v)),
            out,
        ),
        None => out.extend_from_slice(b"null"),
    }
    // With prompt details, LiteLLM's `Usage` keeps the cache counts at the top too.
    if prompt.is_some() {
        for (key, value) in [
            (
                "cache_creation_input_tokens",
                detail(prompt, "cache_creation_tokens"),
            ),
            ("cache_read_input_tokens", detail(prompt, "cached_tokens")),
        ] {
            write_member(key, value, out);
        }
    }
    if anthropic {
        for key in ["iterations", "inference_geo", "speed", "service_tier"] {
            write_member(key, get(raw, key), out);
        }
    }
    out.push(b'}');
}

/// The member `key` of `object`, when both are there.
fn detail<'a>(object: Option<&'a [u8]>, key: &str) -> Option<&'a [u8]> {
    object.and_then(|o| get(o, key))
}

/// `,"key":value` (`null` when absent).
fn write_member(key: &str, value: Option<&[u8]>, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(value.unwrap_or(b"null"));
}

/// An object of `members` (`null` values where absent).
fn write_object<'a>(members: impl Iterator<Item = (&'a str, Option<&'a [u8]>)>, out: &mut Vec<u8>) {
    out.push(b'{');
    let start = out.len();
    for (key, value) in members {
        write_member(key, value, out);
    }
    // The first member's comma goes.
    if out.len() > start {
        out.remove(start);
    }
    out.push(b'}');
}

/// The translation state of one stream.
#[derive(Debug)]
pub struct TextFromChat {
    /// The client asked for the usage chunk (`stream_options.include_usage`).
    pub include_usage: bool,
    from: UsageFrom,
    model: String,
    usage: Option<Usage>,
    /// The deployment's prices, for the usage chunk's `cost`.
    prices: Option<crate::cost::Prices>,
}

impl TextFromChat {
    /// A stream whose chunks name the client's `model`, its usage (written by `from`) priced
    /// at `prices` where the chat chunks carry no cost.
    pub fn new(model: &str, from: UsageFrom, prices: Option<crate::cost::Prices>) -> Self {
        TextFromChat {
            include_usage: false,
            from,
            model: model.to_owned(),
            usage: None,
            prices,
        }
    }

    /// Translates one chat chunk (`data`, an event's data line) into the client's text
    /// chunk, appended to `out`; the usage chunk only with [`TextFromChat::include_usage`].
    /// Returns the usage when the chunk reported it.
    pub fn event(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Usage>, StreamFailure> {
        let include_usage = self.include_usage;
        if data == b"[DONE]" {
            return Ok(None);
        }
        // Validated whole: its values are copied as they came.
        let data = crate::json::value::strict_object(data).map_err(|_| StreamFailure::Malformed)?;
        if let Some(error) = get(data, "error") {
            let message = get(error, "message")
                .and_then(string)
                .unwrap_or_else(|| String::from_utf8_lossy(error).into_owned());
            return Err(StreamFailure::Provider { message });
        }
        let [id, created, choices, raw_usage] =
            crate::json::value::fields(data, ["id", "created", "choices", "usage"]);
        let raw_usage = raw_usage.filter(|u| is_object(u));
        let usage = raw_usage.and_then(parse_usage);
        if usage.is_some() {
            self.usage = usage;
        }
        let choice = choices.and_then(elements).and_then(|c| c.first().copied());
        if choice.is_none() && !(usage.is_some() && include_usage) {
            return Ok(usage);
        }
        out.extend_from_slice(b"data: {\"id\":");
        out.extend_from_slice(id.unwrap_or(b"null"));
        out.extend_from_slice(b",\"object\":\"text_completion\",\"created\":");
        out.extend_from_slice(created.unwrap_or(b"null"));
        out.extend_from_slice(b",\"model\":");
        write_json_string(&self.model, out);
        out.extend_from_slice(b",\"choices\":[{");
        match choice {
            Some(choice) => write_choice(choice, out),
            None => out.extend_from_slice(b"\"index\":0"),
        }
        out.extend_from_slice(b"}]");
        if !include_usage {
            // LiteLLM's wrapper leaves its zero usage on each chunk then.
            out.extend_from_slice(
                b",\"usage\":{\"completion_tokens\":0,\"prompt_tokens\":0,\"total_tokens\":0}",
            );
        } else if let (Some(raw), Some(_), false) =
            (raw_usage, usage, self.from == UsageFrom::Provider)
        {
            // A translation's usage chunk is LiteLLM's already (its cost included): as it is,
            // with the cache counts LiteLLM's `Usage` also keeps at the top.
            out.extend_from_slice(b",\"usage\":");
            write_translated_stream_usage(raw, out);
        } else if let Some(u) = usage {
            out.extend_from_slice(b",\"usage\":");
            write_counts(&u, out);
            out.extend_from_slice(b",\"completion_tokens_details\":{\"reasoning_tokens\":");
            crate::json::write_u64(u.reasoning_tokens, out);
            out.extend_from_slice(b",\"text_tokens\":");
            crate::json::write_u64(u.completion_tokens.saturating_sub(u.reasoning_tokens), out);
            out.extend_from_slice(b"}}");
            crate::cost::stamp_usage(self.prices, &u, out);
        }
        out.extend_from_slice(b"}\n\n");
        Ok(usage)
    }

    /// The end of the chat stream: `[DONE]`. Returns the usage of the whole stream.
    pub fn end(&mut self, out: &mut Vec<u8>) -> Option<Usage> {
        out.extend_from_slice(b"data: [DONE]\n\n");
        self.usage
    }
}

/// A translated stream's usage object as it came, with `cache_creation_input_tokens` and
/// `cache_read_input_tokens` from its prompt details where those count cache writes.
fn write_translated_stream_usage(raw: &[u8], out: &mut Vec<u8>) {
    crate::json::write_members(raw, out, |_, value, out| {
        out.extend_from_slice(value);
        true
    });
    let prompt = get(raw, "prompt_tokens_details").filter(|d| is_object(d));
    if let Some(creation) = detail(prompt, "cache_creation_tokens") {
        out.pop();
        write_member("cache_creation_input_tokens", Some(creation), out);
        write_member(
            "cache_read_input_tokens",
            detail(prompt, "cached_tokens"),
            out,
        );
        out.push(b'}');
    }
}

/// A text choice's members from a chat chunk's choice, those that are null left out:
/// `finish_reason`, `index`, the delta's content as `text`, its `reasoning_content`.
fn write_choice(choice: &[u8], out: &mut Vec<u8>) {
    fn present(v: Option<&[u8]>) -> Option<&[u8]> {
        v.filter(|v| *v != b"null")
    }
    let [index, finish, delta] =
        crate::json::value::fields(choice, ["index", "finish_reason", "delta"]);
    let [text, reasoning] = delta
        .map(|d| crate::json::value::fields(d, ["content", "reasoning_content"]))
        .unwrap_or_default();
    if let Some(f) = present(finish) {
        out.extend_from_slice(b"\"finish_reason\":");
        out.extend_from_slice(f);
        out.push(b',');
    }
    out.extend_from_slice(b"\"index\":");
    out.extend_from_slice(index.unwrap_or(b"0"));
    for (key, value) in [("text", text), ("reasoning_content", reasoning)] {
        if let Some(v) = present(value) {
            write_member(key, Some(v), out);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn request(body: &str) -> Result<serde_json::Value, TransformError> {
        let mut out = Vec::new();
        to_chat_request(body.as_bytes(), "up-model", &mut out)?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    #[test]
    fn prompts_become_user_messages_and_other_members_stay() {
        let chat = request(r#"{"model":"g","prompt":"hi","max_tokens":5,"echo":true}"#).unwrap();
        assert_eq!(
            chat,
            serde_json::json!({"model":"up-model","messages":[{"role":"user","content":"hi"}],
                "max_tokens":5,"echo":true})
        );
        let chat = request(r#"{"model":"g","prompt":["a","b"]}"#).unwrap();
        assert_eq!(
            chat["messages"],
            serde_json::json!([{"role":"user","content":"a"},{"role":"user","content":"b"}])
        );
    }

    #[test]
    fn token_prompts_and_missing_prompts_are_refused() {
        for body in [
            r#"{"model":"g","prompt":[1,2]}"#,
            r#"{"model":"g","prompt":[[1]]}"#,
            r#"{"model":"g","prompt":[]}"#,
            r#"{"model":"g","prompt":null}"#,
        ] {
            let e = request(body).unwrap_err();
            assert!(e.message().starts_with("Unmapped prompt format"), "{body}");
        }
        assert!(request(r#"{"model":"g"}"#).is_err());
    }

    #[test]
    fn a_chat_answer_becomes_a_text_completion() {
        let chat = br#"{"id":"chatcmpl-1","object":"chat.completion","created":7,"model":"up",
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"},
                       {"index":1,"message":{"role":"assistant","content":null},"finish_reason":"length"}],
            "usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1}}}"#;
        let mut out = Vec::new();
        let usage = to_text_completion(chat, "group", UsageFrom::Provider, &mut out).unwrap();
        assert_eq!(usage.total_tokens, 5);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id":"chatcmpl-1","object":"text_completion","created":7,"model":"group",
                "choices":[{"finish_reason":"stop","index":0,"text":"Hello","logprobs":null},
                           {"finish_reason":"length","index":1,"text":null,"logprobs":null}],
                "usage":{"completion_tokens":2,"prompt_tokens":3,"total_tokens":5,
                         "completion_tokens_details":null,"prompt_tokens_details":{"cached_tokens":1}}})
        );
        assert!(to_text_completion(b"{}", "group", UsageFrom::Provider, &mut Vec::new()).is_err());
    }

    #[test]
    fn a_translated_answers_usage_is_litellms_whole_usage() {
        let chat = br#"{"id":"chatcmpl-1","created":7,"choices":[{"index":0,"message":{"content":"Hi"},"finish_reason":"stop"}],
            "usage":{"completion_tokens":5,"prompt_tokens":15,"total_tokens":20,
                     "completion_tokens_details":{"reasoning_tokens":0,"text_tokens":5},
                     "prompt_tokens_details":{"cached_tokens":3,"cache_creation_tokens":2,"cache_write_tokens":2,"text_tokens":10}}}"#;
        let usage = |from| {
            let mut out = Vec::new();
            to_text_completion(chat, "group", from, &mut out).unwrap();
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()["usage"].clone()
        };
        let translated = serde_json::json!({"completion_tokens":5,"prompt_tokens":15,"total_tokens":20,
            "completion_tokens_details":{"accepted_prediction_tokens":null,"audio_tokens":null,"reasoning_tokens":0,
                "rejected_prediction_tokens":null,"text_tokens":5,"image_tokens":null,"video_tokens":null},
            "prompt_tokens_details":{"audio_tokens":null,"cache_write_tokens":2,"cached_tokens":3,"image_tokens":null,
                "text_tokens":10,"video_tokens":null,"initial_prompt_tokens":null,"cache_creation_tokens":2},
            "cache_creation_input_tokens":2,"cache_read_input_tokens":3});
        assert_eq!(usage(UsageFrom::Translated), translated);
        let mut anthropic = translated.clone();
        for key in ["iterations", "inference_geo", "speed", "service_tier"] {
            anthropic[key] = serde_json::Value::Null;
        }
        assert_eq!(usage(UsageFrom::Anthropic), anthropic);
        // Without details (Cohere's answers), the details are null and no cache counts follow.
        let bare = br#"{"id":"x","created":1,"choices":[],"usage":{"completion_tokens":1,"prompt_tokens":2,"total_tokens":3}}"#;
        let mut out = Vec::new();
        to_text_completion(bare, "group", UsageFrom::Translated, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["usage"],
            serde_json::json!({"completion_tokens":1,"prompt_tokens":2,"total_tokens":3,
                "completion_tokens_details":null,"prompt_tokens_details":null})
        );
    }

    #[test]
    fn a_translated_streams_usage_chunk_keeps_its_usage_and_adds_the_cache_counts() {
        let mut s = TextFromChat::new("group", UsageFrom::Translated, None);
        s.include_usage = true;
        let mut out = Vec::new();
        s.event(
            br#"{"id":"c","created":1,"choices":[],"usage":{"completion_tokens":5,"prompt_tokens":15,"total_tokens":20,"prompt_tokens_details":{"cached_tokens":3,"cache_creation_tokens":2},"cost":0.5}}"#,
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(text.strip_prefix("data: ").unwrap().trim()).unwrap();
        assert_eq!(
            v["usage"],
            serde_json::json!({"completion_tokens":5,"prompt_tokens":15,"total_tokens":20,
                "prompt_tokens_details":{"cached_tokens":3,"cache_creation_tokens":2},"cost":0.5,
                "cache_creation_input_tokens":2,"cache_read_input_tokens":3})
        );
        assert_eq!(v["choices"], serde_json::json!([{"index": 0}]));
    }

    fn events(stream: &[&str], include_usage: bool) -> Vec<serde_json::Value> {
        let mut s = TextFromChat::new("group", UsageFrom::Provider, None);
        s.include_usage = include_usage;
        let mut out = Vec::new();
        for data in stream {
            s.event(data.as_bytes(), &mut out).unwrap();
        }
        assert_eq!(s.end(&mut out).unwrap().total_tokens, 5);
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("data: [DONE]\n\n"));
        text.split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    const STREAM: [&str; 5] = [
        r#"{"id":"c1","created":7,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
        r#"{"id":"c1","created":7,"choices":[{"index":0,"delta":{"reasoning_content":"hm"},"finish_reason":null}]}"#,
        r#"{"id":"c1","created":7,"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
        r#"{"id":"c1","created":7,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        r#"{"id":"c1","created":7,"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
    ];

    #[test]
    fn chat_chunks_become_text_chunks_without_null_members() {
        let got = events(&STREAM, true);
        let choices: Vec<_> = got.iter().map(|e| e["choices"][0].clone()).collect();
        assert_eq!(
            choices,
            vec![
                serde_json::json!({"index":0,"text":""}),
                serde_json::json!({"index":0,"reasoning_content":"hm"}),
                serde_json::json!({"index":0,"text":"Hi"}),
                serde_json::json!({"finish_reason":"stop","index":0}),
                serde_json::json!({"index":0}),
            ]
        );
        assert_eq!(got[0]["object"], "text_completion");
        assert_eq!(got[0]["model"], "group");
        assert_eq!(got[0]["id"], "c1");
        assert_eq!(
            got[4]["usage"],
            serde_json::json!({"completion_tokens":2,"prompt_tokens":3,"total_tokens":5,
                "completion_tokens_details":{"reasoning_tokens":0,"text_tokens":2}})
        );
    }

    #[test]
    fn the_usage_chunk_goes_out_only_when_asked() {
        let got = events(&STREAM, false);
        assert_eq!(got.len(), 4);
        let zero = serde_json::json!({"completion_tokens":0,"prompt_tokens":0,"total_tokens":0});
        assert!(got.iter().all(|e| e["usage"] == zero));
        let got = events(&STREAM, true);
        assert!(got[..4].iter().all(|e| e.get("usage").is_none()));
    }

    #[test]
    fn error_events_and_garbage_fail_the_stream() {
        let mut s = TextFromChat::new("group", UsageFrom::Provider, None);
        let mut out = Vec::new();
        assert!(matches!(
            s.event(br#"{"error":{"message":"boom"}}"#, &mut out),
            Err(StreamFailure::Provider { message }) if message == "boom"
        ));
        assert!(matches!(
            s.event(b"[1,2]", &mut out),
            Err(StreamFailure::Malformed)
        ));
        assert!(out.is_empty());
    }
}
