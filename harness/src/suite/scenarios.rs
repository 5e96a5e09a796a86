//! The scenarios of a run: what each sends, at what concurrency, and what it shows.

use super::targets::TargetKind;

/// Model group the chat scenarios ask for (configured in every proxy the suite starts).
pub const CHAT_MODEL: &str = "gpt-4o";
/// Model group of an Anthropic-format deployment (the mock's Messages API), for the
/// translation scenarios.
pub const CLAUDE_MODEL: &str = "claude-sonnet-4-5";
/// Model group of the embedding scenarios.
pub const EMBED_MODEL: &str = "text-embedding-3-small";
/// Dimensions of every embedding; the mock's value text makes 256 of them ~3.9 MB of JSON.
pub const EMBED_DIMS: usize = 1536;

/// Share of requests the flaky deployment of the `chat-c50-flaky*` scenarios fails (the mock's
/// `/flaky/{percent}` prefix in its api_base): every second one.
pub const FLAKY_PERCENT: u8 = 50;
/// The scenarios with a flaky deployment, each compared with chat-c50 in the summary.
pub const FLAKY_SCENARIOS: [&str; 2] = ["chat-c50-flaky", "chat-c50-flaky-nocooldown"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chat,
    Stream,
    Embed,
}

/// Which targets a scenario is run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// Every target, the bare mock included.
    Everywhere,
    /// The request is translated between provider formats: only gateways (nginx and the bare
    /// mock cannot).
    Gateways,
    /// corelane only (both drivers): the scenario measures its router. nginx and the bare
    /// mock cannot retry or fall back; LiteLLM is left out to keep the run short (it loads
    /// the same config: add it here to compare).
    Corelane,
}

impl Runs {
    pub fn includes(self, kind: TargetKind) -> bool {
        match self {
            Self::Everywhere => true,
            Self::Gateways => !matches!(kind, TargetKind::Nginx | TargetKind::Direct),
            Self::Corelane => matches!(kind, TargetKind::Corelane | TargetKind::CorelaneEpoll),
        }
    }
}

/// A second deployment in the chat group that fails a share of the requests it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flaky {
    pub percent: u8,
    /// The router's cooldowns as LiteLLM's defaults have them (the flaky deployment is soon
    /// taken out for a while), or off (`disable_cooldowns: true`): it stays in every pick, so
    /// every failure it answers is retried, the retry path's steady cost.
    pub cooldowns: bool,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub about: String,
    pub kind: Kind,
    pub path: &'static str,
    pub body: Vec<u8>,
    pub concurrency: usize,
    pub runs: Runs,
    /// The chat group gets a flaky second deployment ([`super::targets::proxy_config`]);
    /// `None`: the shared config.
    pub flaky: Option<Flaky>,
    /// Requests authenticate with a virtual key made for the run (rpm and tpm limits, a
    /// budget, spend recorded for every request) instead of the master key.
    pub virtual_key: bool,
    /// A LiteLLM Python plugin the config names (run in corelane's sidecar).
    pub plugin: Option<Plugin>,
}

/// The plugins of the plugin scenarios: LiteLLM `CustomLogger`s that do nothing but exist,
/// so what is measured is what corelane pays to run them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plugin {
    /// `async_log_success_event` only: events batched to the sidecar, off the request path.
    Logging,
    /// `async_pre_call_hook` returning the data as it came: a round trip on every request.
    PreCall,
}

impl Plugin {
    /// The module's name and text, written beside the config.
    pub fn module(self) -> (&'static str, &'static str) {
        match self {
            Plugin::Logging => (
                "bench_logger",
                "from litellm.integrations.custom_logger import CustomLogger\n\n\nclass BenchLogger(CustomLogger):\n    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):\n        pass\n\n\nproxy_handler_instance = BenchLogger()\n",
            ),
            Plugin::PreCall => (
                "bench_pre_call",
                "from litellm.integrations.custom_logger import CustomLogger\n\n\nclass BenchPreCall(CustomLogger):\n    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):\n        return data\n\n\nproxy_handler_instance = BenchPreCall()\n",
            ),
        }
    }
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
            runs: Runs::Everywhere,
            flaky: None,
            virtual_key: false,
            plugin: None,
        },
        Scenario {
            name: "chat-c50".into(),
            about: "50 connections: throughput, CPU per request, memory".into(),
            kind: Kind::Chat,
            path: "/v1/chat/completions",
            body: chat.clone(),
            concurrency: 50,
            runs: Runs::Everywhere,
            flaky: None,
            virtual_key: false,
            plugin: None,
        },
        Scenario {
            name: "keys".into(),
            about: "chat-c50 with a virtual key: rpm/tpm limits checked and spend recorded on every request (compare with chat-c50)".into(),
            kind: Kind::Chat,
            path: "/v1/chat/completions",
            body: chat.clone(),
            concurrency: 50,
            runs: Runs::Corelane,
            flaky: None,
            virtual_key: true,
            plugin: None,
        },
        flaky(&chat, FLAKY_SCENARIOS[0], true),
        flaky(&chat, FLAKY_SCENARIOS[1], false),
        Scenario {
            name: "stream-c50".into(),
            about: "50 connections of SSE streams: first byte, full stream, events/s".into(),
            kind: Kind::Stream,
            path: "/v1/chat/completions",
            body: stream.clone(),
            concurrency: 50,
            runs: Runs::Everywhere,
            flaky: None,
            virtual_key: false,
            plugin: None,
        },
        Scenario {
            name: "anthropic-stream-c50".into(),
            about: "stream-c50 to an Anthropic-format provider: its Messages events become chat chunks (compare with stream-c50)".into(),
            kind: Kind::Stream,
            path: "/v1/chat/completions",
            body: with_model(&stream, CLAUDE_MODEL),
            concurrency: 50,
            runs: Runs::Gateways,
            flaky: None,
            virtual_key: false,
            plugin: None,
        },
        Scenario {
            name: "messages-c50".into(),
            about: "chat-c50 sent as /v1/messages to an OpenAI-format provider: translated both ways (compare with chat-c50)".into(),
            kind: Kind::Chat,
            path: "/v1/messages",
            body: include_bytes!("../../bodies/messages.json").to_vec(),
            concurrency: 50,
            runs: Runs::Gateways,
            flaky: None,
            virtual_key: false,
            plugin: None,
        },
        plugin_scenario(&chat, "plugin-log", Plugin::Logging, "chat-c50 with a logging-only LiteLLM plugin: every request's event goes to the Python sidecar, batched, off the request path (compare with chat-c50)"),
        plugin_scenario(&chat, "plugin-precall", Plugin::PreCall, "chat-c50 with a LiteLLM async_pre_call_hook: a round trip to the Python sidecar on every request (compare with chat-c50)"),
        embed(64),
        embed(256),
    ]
}

fn plugin_scenario(chat: &[u8], name: &str, plugin: Plugin, about: &str) -> Scenario {
    Scenario {
        name: name.into(),
        about: about.into(),
        kind: Kind::Chat,
        path: "/v1/chat/completions",
        body: chat.to_vec(),
        concurrency: 50,
        runs: Runs::Corelane,
        flaky: None,
        virtual_key: false,
        plugin: Some(plugin),
    }
}

/// `body` with its `model` replaced.
fn with_model(body: &[u8], model: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    v["model"] = model.into();
    v.to_string().into_bytes()
}

/// chat-c50 with a flaky second deployment in the group: corelane must absorb its failures.
fn flaky(chat: &[u8], name: &str, cooldowns: bool) -> Scenario {
    let how = if cooldowns {
        "LiteLLM's default cooldowns"
    } else {
        "cooldowns disabled, so ~1 request in 4 meets a failure and is retried"
    };
    Scenario {
        name: name.to_owned(),
        about: format!("chat-c50 with a second deployment in the group failing {FLAKY_PERCENT} % (500s), {how}: client-visible error rate (target 0), upstream attempts per response, CPU per request (compare with chat-c50)"),
        kind: Kind::Chat,
        path: "/v1/chat/completions",
        body: chat.to_vec(),
        concurrency: 50,
        runs: Runs::Corelane,
        flaky: Some(Flaky {
            percent: FLAKY_PERCENT,
            cooldowns,
        }),
        virtual_key: false,
            plugin: None,
    }
}

fn embed(batch: usize) -> Scenario {
    Scenario {
        name: format!("embed-batch-{batch}"),
        about: format!("10 connections of {batch}x{EMBED_DIMS} embeddings: peak memory must not grow with response size"),
        kind: Kind::Embed,
        path: "/v1/embeddings",
        body: embed_body(batch),
        concurrency: 10,
        runs: Runs::Everywhere,
        flaky: None,
        virtual_key: false,
            plugin: None,
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
        let flaky: Vec<Scenario> = all().into_iter().filter(|s| s.flaky.is_some()).collect();
        let names: Vec<&str> = flaky.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, FLAKY_SCENARIOS);
        for scenario in &flaky {
            assert!(scenario.runs.includes(TargetKind::CorelaneEpoll));
            for kind in [TargetKind::Nginx, TargetKind::Litellm, TargetKind::Direct] {
                assert!(!scenario.runs.includes(kind), "{kind:?}");
            }
        }
        let body: serde_json::Value = serde_json::from_slice(&embed_body(256)).unwrap();
        assert_eq!(body["input"].as_array().unwrap().len(), 256);
    }
}
