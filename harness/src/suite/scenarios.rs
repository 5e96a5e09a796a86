//! The scenarios of a run: what each sends, at what concurrency, and what it shows.

/// Model group the chat scenarios ask for (configured in every proxy the suite starts).
pub const CHAT_MODEL: &str = "gpt-4o";
/// Model group of an Anthropic-format deployment (the mock's Messages API), for the
/// translation scenarios.
pub const CLAUDE_MODEL: &str = "claude-sonnet-4-5";
/// Model group of the embedding scenarios.
pub const EMBED_MODEL: &str = "text-embedding-3-small";
/// Dimensions of every embedding; the mock's value text makes 256 of them ~3.9 MB of JSON.
pub const EMBED_DIMS: usize = 1536;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chat,
    Stream,
    Embed,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub about: String,
    pub kind: Kind,
    pub path: &'static str,
    pub body: Vec<u8>,
    pub concurrency: usize,
    /// The request is translated between provider formats: only gateways run it (nginx and
    /// the bare mock cannot).
    pub translated: bool,
}

/// Every scenario, in run order.
pub fn all() -> Vec<Scenario> {
    let chat = include_bytes!("../../bodies/chat.json").to_vec();
    let stream = include_bytes!("../../bodies/chat-stream.json").to_vec();
    vec![
        Scenario {
            name: "chat-c1".into(),
            about: "one connection: latency; overhead = target p50 - direct p50".into(),
            kind: Kind::Chat,
            path: "/v1/chat/completions",
            body: chat.clone(),
            concurrency: 1,
            translated: false,
        },
        Scenario {
            name: "chat-c50".into(),
            about: "50 connections: throughput, CPU per request, memory".into(),
            kind: Kind::Chat,
            path: "/v1/chat/completions",
            body: chat,
            concurrency: 50,
            translated: false,
        },
        Scenario {
            name: "stream-c50".into(),
            about: "50 connections of SSE streams: first byte, full stream, events/s".into(),
            kind: Kind::Stream,
            path: "/v1/chat/completions",
            body: stream.clone(),
            concurrency: 50,
            translated: false,
        },
        Scenario {
            name: "anthropic-stream-c50".into(),
            about: "stream-c50 to an Anthropic-format provider: its Messages events become chat chunks (compare with stream-c50)".into(),
            kind: Kind::Stream,
            path: "/v1/chat/completions",
            body: with_model(&stream, CLAUDE_MODEL),
            concurrency: 50,
            translated: true,
        },
        Scenario {
            name: "messages-c50".into(),
            about: "chat-c50 sent as /v1/messages to an OpenAI-format provider: translated both ways (compare with chat-c50)".into(),
            kind: Kind::Chat,
            path: "/v1/messages",
            body: include_bytes!("../../bodies/messages.json").to_vec(),
            concurrency: 50,
            translated: true,
        },
        embed(64),
        embed(256),
    ]
}

/// `body` with its `model` replaced.
fn with_model(body: &[u8], model: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    v["model"] = model.into();
    v.to_string().into_bytes()
}

fn embed(batch: usize) -> Scenario {
    Scenario {
        name: format!("embed-batch-{batch}"),
        about: format!("10 connections of {batch}x{EMBED_DIMS} embeddings: peak memory must not grow with response size"),
        kind: Kind::Embed,
        path: "/v1/embeddings",
        body: embed_body(batch),
        concurrency: 10,
        translated: false,
    }
}

/// An embeddings request with `batch` distinct short inputs.
pub fn embed_body(batch: usize) -> Vec<u8> {
    let inputs: Vec<String> = (0..batch)
        .map(|i| format!("document {i}: the quick brown fox jumps over the lazy dog"))
        .collect();
    serde_json::json!({"model": EMBED_MODEL, "input": inputs, "dimensions": EMBED_DIMS})
        .to_string()
        .into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_for_the_configured_models() {
        for scenario in all() {
            let body: serde_json::Value = serde_json::from_slice(&scenario.body).unwrap();
            let model = if scenario.kind == Kind::Embed {
                EMBED_MODEL
            } else if scenario.name.starts_with("anthropic") {
                CLAUDE_MODEL
            } else {
                CHAT_MODEL
            };
            assert_eq!(body["model"], model, "{}", scenario.name);
            assert_eq!(
                body["stream"] == true,
                scenario.kind == Kind::Stream,
                "{}",
                scenario.name
            );
        }
        let body: serde_json::Value = serde_json::from_slice(&embed_body(256)).unwrap();
        assert_eq!(body["input"].as_array().unwrap().len(), 256);
    }
}
