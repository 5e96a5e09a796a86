//! Ollama's native API (github.com/ollama/ollama `docs/api.md`): `POST /api/chat`,
//! `/api/generate` and `/api/embed`; streams as NDJSON (`application/x-ndjson`, one answer
//! object a line, the last with `done: true`, `done_reason` and the counts); errors as
//! `{"error": "..."}`.
//!
//! Written from Ollama's documentation, independently of the gateway's transforms, so a
//! mistake on one side is not mirrored on the other.

use serde_json::{json, Value};

use super::openai::{push_number, word, CONTENT, PROMPT_TOKENS, WORDS};
use super::script::Script;

/// Which Ollama endpoint a path names (any base prefix before `/api/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Chat,
    Generate,
    Embed,
}

impl Api {
    pub fn from_path(path: &str) -> Option<Self> {
        if path.ends_with("/api/chat") {
            Some(Self::Chat)
        } else if path.ends_with("/api/generate") {
            Some(Self::Generate)
        } else if path.ends_with("/api/embed") {
            Some(Self::Embed)
        } else {
            None
        }
    }
}

const CREATED_AT: &str = "2025-05-24T02:12:05.859654Z";

/// The start of an answer object: `{"model":<model>,"created_at":"..."`.
fn open(out: &mut Vec<u8>, model: &str) {
    out.extend_from_slice(b"{\"model\":");
    out.extend_from_slice(model.as_bytes());
    out.extend_from_slice(b",\"created_at\":\"");
    out.extend_from_slice(CREATED_AT.as_bytes());
    out.push(b'"');
}

/// The text of an answer: a `message` (`/api/chat`) or a `response` (`/api/generate`).
fn text(out: &mut Vec<u8>, api: Api, text: &str) {
    match api {
        Api::Chat => {
            out.extend_from_slice(b",\"message\":{\"role\":\"assistant\",\"content\":\"");
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\"}");
        }
        _ => {
            out.extend_from_slice(b",\"response\":\"");
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        }
    }
}

/// The members of the last object: done, the reason, the durations and the counts.
fn done(out: &mut Vec<u8>, completion: usize, with_usage: bool) {
    out.extend_from_slice(
        b",\"done\":true,\"done_reason\":\"stop\",\"total_duration\":1000,\"load_duration\":10",
    );
    if with_usage {
        out.extend_from_slice(b",\"prompt_eval_count\":");
        push_number(out, PROMPT_TOKENS);
        out.extend_from_slice(b",\"eval_count\":");
        push_number(out, completion);
    }
    out.extend_from_slice(b",\"eval_duration\":900}");
}

/// A whole (non-stream) answer; `model` is already a JSON string literal.
pub fn answer(out: &mut Vec<u8>, api: Api, model: &str, with_usage: bool) {
    open(out, model);
    text(out, api, CONTENT);
    done(out, WORDS.len(), with_usage);
}

/// An embeddings answer: `batch` vectors of `dims` numbers.
pub fn embeddings(out: &mut Vec<u8>, model: &str, batch: usize, dims: usize, with_usage: bool) {
    out.extend_from_slice(b"{\"model\":");
    out.extend_from_slice(model.as_bytes());
    out.extend_from_slice(b",\"embeddings\":[");
    for i in 0..batch {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        for d in 0..dims {
            if d > 0 {
                out.push(b',');
            }
            out.extend_from_slice(if (i + d) % 2 == 0 { b"0.25" } else { b"-0.5" });
        }
        out.push(b']');
    }
    out.extend_from_slice(b"],\"total_duration\":1000,\"load_duration\":10");
    if with_usage {
        out.extend_from_slice(b",\"prompt_eval_count\":");
        push_number(out, PROMPT_TOKENS);
    }
    out.push(b'}');
}

/// One line of a stream with `chunks` text pieces, then the `done` line.
#[derive(Debug, Clone, Copy)]
pub struct OllamaEvent<'a> {
    pub api: Api,
    pub model: &'a str,
    pub chunks: usize,
    pub with_usage: bool,
}

impl OllamaEvent<'_> {
    pub fn count(&self) -> usize {
        self.chunks + 1
    }

    pub fn render(&self, index: usize, out: &mut Vec<u8>) {
        open(out, self.model);
        if index < self.chunks {
            text(out, self.api, word(index));
            out.extend_from_slice(b",\"done\":false}\n");
        } else {
            text(out, self.api, "");
            done(out, self.chunks, self.with_usage);
            out.push(b'\n');
        }
    }
}

impl Script {
    /// The whole `/api/chat` answer: a tool call (arguments as an object), or text.
    pub fn ollama_answer(&self, model: &str) -> Value {
        let message = match self {
            Script::Call { name, input } => json!({"role": "assistant", "content": "",
                "tool_calls": [{"function": {"name": name, "arguments": input}}]}),
            Script::Text(text) => json!({"role": "assistant", "content": text}),
        };
        json!({"model": model, "created_at": CREATED_AT, "message": message, "done": true,
               "done_reason": "stop", "prompt_eval_count": 10, "eval_count": 5})
    }

    /// The `/api/chat` stream: the answer's message in one line, then the `done` line.
    pub fn ollama_lines(&self, model: &str) -> Vec<Vec<u8>> {
        let mut first = self.ollama_answer(model);
        first["done"] = json!(false);
        for key in ["done_reason", "prompt_eval_count", "eval_count"] {
            if let Some(o) = first.as_object_mut() {
                o.remove(key);
            }
        }
        let last = json!({"model": model, "created_at": CREATED_AT,
            "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop",
            "prompt_eval_count": 10, "eval_count": 5});
        vec![
            format!("{first}\n").into_bytes(),
            format!("{last}\n").into_bytes(),
        ]
    }
}
