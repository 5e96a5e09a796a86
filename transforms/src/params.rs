//! The OpenAI chat-completions parameters, and what an OpenAI-format provider does with each:
//! LiteLLM's `get_optional_params` for chat (`_check_valid_arg` against the provider config's
//! `get_supported_openai_params`, then its `map_openai_params`).
//!
//! A chat body to an OpenAI-format row goes upstream spliced (the model, `include_usage`)
//! unless one of its top-level keys needs more: a parameter the row refuses, does not send or
//! renames, one of LiteLLM's own keys (`metadata`, `drop_params`, `tags`, ... never reach a
//! provider), or `extra_body` (merged into the body, as the OpenAI SDK LiteLLM calls does).
//! The scan of the client body already meets every top-level key, so it notes them
//! ([`BodyKeys`]; about 50 instructions a key, measured with callgrind) and the common body
//! pays nothing more; the others are written again member by member ([`write_chat_body`]),
//! which also leaves out `null` parameters (a spliced body keeps them as sent).
//!
//! As LiteLLM: a parameter counts only with a value other than `null`; `n: 1` is never
//! refused (langchain sends it by default) but not sent where `n` is refused; `user`,
//! `stream`, `stream_options` and `max_retries` are never refused. The refusal names the
//! parameters in the order of `get_optional_params`'s arguments, and `drop_params` drops them.
//!
//! Where LiteLLM's config decides by the model (tools only for models its cost map says call
//! functions, `reasoning_effort` only for reasoning models), corelane, which has no such
//! table, sends the parameter: the provider answers for its model.

use crate::anthropic::TransformError;

mod messages;
mod mistral;
pub mod rows;

use crate::json::value::key_of;
use crate::json::{top_members, write_json_string};
pub use messages::{ContentAsText, MessageRules, ReasoningFill, Shapes};

/// An OpenAI chat parameter LiteLLM validates, in the order of `get_optional_params`'s
/// arguments (the order its `UnsupportedParamsError` lists them); the last four come through
/// its `**kwargs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Param {
    Functions,
    FunctionCall,
    Temperature,
    TopP,
    N,
    Stream,
    StreamOptions,
    Stop,
    MaxTokens,
    MaxCompletionTokens,
    Modalities,
    Prediction,
    Audio,
    PresencePenalty,
    FrequencyPenalty,
    LogitBias,
    User,
    ResponseFormat,
    Seed,
    Tools,
    ToolChoice,
    Logprobs,
    TopLogprobs,
    ParallelToolCalls,
    ReasoningEffort,
    Verbosity,
    Thinking,
    WebSearchOptions,
    SafetyIdentifier,
    Store,
    PromptCacheKey,
    ServiceTier,
    PromptCacheRetention,
    IncludeServerSideToolInvocations,
    ContextManagement,
}

impl Param {
    /// Every parameter, in LiteLLM's order.
    pub const ALL: [Param; 35] = [
        Param::Functions,
        Param::FunctionCall,
        Param::Temperature,
        Param::TopP,
        Param::N,
        Param::Stream,
        Param::StreamOptions,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::Modalities,
        Param::Prediction,
        Param::Audio,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::LogitBias,
        Param::User,
        Param::ResponseFormat,
        Param::Seed,
        Param::Tools,
        Param::ToolChoice,
        Param::Logprobs,
        Param::TopLogprobs,
        Param::ParallelToolCalls,
        Param::ReasoningEffort,
        Param::Verbosity,
        Param::Thinking,
        Param::WebSearchOptions,
        Param::SafetyIdentifier,
        Param::Store,
        Param::PromptCacheKey,
        Param::ServiceTier,
        Param::PromptCacheRetention,
        Param::IncludeServerSideToolInvocations,
        Param::ContextManagement,
    ];

    /// The parameter's key in the body.
    pub const fn name(self) -> &'static str {
        match self {
            Param::Functions => "functions",
            Param::FunctionCall => "function_call",
            Param::Temperature => "temperature",
            Param::TopP => "top_p",
            Param::N => "n",
            Param::Stream => "stream",
            Param::StreamOptions => "stream_options",
            Param::Stop => "stop",
            Param::MaxTokens => "max_tokens",
            Param::MaxCompletionTokens => "max_completion_tokens",
            Param::Modalities => "modalities",
            Param::Prediction => "prediction",
            Param::Audio => "audio",
            Param::PresencePenalty => "presence_penalty",
            Param::FrequencyPenalty => "frequency_penalty",
            Param::LogitBias => "logit_bias",
            Param::User => "user",
            Param::ResponseFormat => "response_format",
            Param::Seed => "seed",
            Param::Tools => "tools",
            Param::ToolChoice => "tool_choice",
            Param::Logprobs => "logprobs",
            Param::TopLogprobs => "top_logprobs",
            Param::ParallelToolCalls => "parallel_tool_calls",
            Param::ReasoningEffort => "reasoning_effort",
            Param::Verbosity => "verbosity",
            Param::Thinking => "thinking",
            Param::WebSearchOptions => "web_search_options",
            Param::SafetyIdentifier => "safety_identifier",
            Param::Store => "store",
            Param::PromptCacheKey => "prompt_cache_key",
            Param::ServiceTier => "service_tier",
            Param::PromptCacheRetention => "prompt_cache_retention",
            Param::IncludeServerSideToolInvocations => "include_server_side_tool_invocations",
            Param::ContextManagement => "context_management",
        }
    }

    /// The parameter named `key`, if any.
    pub fn of(key: &str) -> Option<Param> {
        Some(match key {
            "functions" => Param::Functions,
            "function_call" => Param::FunctionCall,
            "temperature" => Param::Temperature,
            "top_p" => Param::TopP,
            "n" => Param::N,
            "stream" => Param::Stream,
            "stream_options" => Param::StreamOptions,
            "stop" => Param::Stop,
            "max_tokens" => Param::MaxTokens,
            "max_completion_tokens" => Param::MaxCompletionTokens,
            "modalities" => Param::Modalities,
            "prediction" => Param::Prediction,
            "audio" => Param::Audio,
            "presence_penalty" => Param::PresencePenalty,
            "frequency_penalty" => Param::FrequencyPenalty,
            "logit_bias" => Param::LogitBias,
            "user" => Param::User,
            "response_format" => Param::ResponseFormat,
            "seed" => Param::Seed,
            "tools" => Param::Tools,
            "tool_choice" => Param::ToolChoice,
            "logprobs" => Param::Logprobs,
            "top_logprobs" => Param::TopLogprobs,
            "parallel_tool_calls" => Param::ParallelToolCalls,
            "reasoning_effort" => Param::ReasoningEffort,
            "verbosity" => Param::Verbosity,
            "thinking" => Param::Thinking,
            "web_search_options" => Param::WebSearchOptions,
            "safety_identifier" => Param::SafetyIdentifier,
            "store" => Param::Store,
            "prompt_cache_key" => Param::PromptCacheKey,
            "service_tier" => Param::ServiceTier,
            "prompt_cache_retention" => Param::PromptCacheRetention,
            "include_server_side_tool_invocations" => Param::IncludeServerSideToolInvocations,
            "context_management" => Param::ContextManagement,
            _ => return None,
        })
    }

    const fn bit(self) -> u64 {
        1 << self as u8
    }
}

/// A set of [`Param`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParamSet(u64);

impl ParamSet {
    pub const EMPTY: ParamSet = ParamSet(0);

    pub const fn of(params: &[Param]) -> ParamSet {
        let mut bits = 0;
        let mut i = 0;
        while i < params.len() {
            bits |= params[i].bit();
            i += 1;
        }
        ParamSet(bits)
    }

    /// Every parameter LiteLLM can refuse except `params`: a row that lists what its
    /// provider takes. `user`, `stream` and `stream_options` are never refused; nor are the
    /// two parameters LiteLLM added last, which no provider table here was checked for.
    pub const fn all_but(params: &[Param]) -> ParamSet {
        let never = ParamSet::of(&[
            Param::User,
            Param::Stream,
            Param::StreamOptions,
            Param::IncludeServerSideToolInvocations,
            Param::ContextManagement,
        ]);
        ParamSet(ParamSet::of(&Param::ALL).0 & !ParamSet::of(params).0 & !never.0)
    }

    pub const fn contains(self, p: Param) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn insert(&mut self, p: Param) {
        self.0 |= p.bit();
    }

    /// The parameters among `names` (others ignored).
    fn from_names(names: &[String]) -> ParamSet {
        let mut set = ParamSet::EMPTY;
        for p in names.iter().filter_map(|n| Param::of(n)) {
            set.insert(p);
        }
        set
    }

    pub const fn union(self, other: ParamSet) -> ParamSet {
        ParamSet(self.0 | other.0)
    }

    const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What an OpenAI-format provider does with the OpenAI parameters (LiteLLM's config for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamRules {
    /// Parameters it has no field for: LiteLLM's `UnsupportedParamsError` (400), or dropped
    /// with `drop_params`. Never [`Param::User`], `Stream`, `StreamOptions`.
    pub refused: ParamSet,
    /// Parameters it accepts from a client but LiteLLM does not send (its config does not map
    /// them): `user` for most providers, `stream_options` for some (then never added for
    /// usage either).
    pub unsent: ParamSet,
    /// `max_completion_tokens` sent as `max_tokens` (over a `max_tokens` of the client's).
    pub max_tokens_only: bool,
    /// `max_tokens` sent as `max_completion_tokens` (a `max_completion_tokens` of the
    /// client's wins): OpenAI's o-series and GPT-5 models.
    pub max_completion_tokens_only: bool,
    /// When `temperature` (other than 1) and the sampling parameters go: OpenAI's reasoning
    /// series.
    pub sampling: Sampling,
    /// `temperature` at most 1, and 0.3 where it is below with `n` over 1 (Moonshot).
    pub clamp_temperature: bool,
    /// `reasoning_effort` sent as its level's string (an object's `effort`; left out when it
    /// has none): Moonshot.
    pub effort_as_string: bool,
    pub tool_choice: ToolChoice,
    /// `seed` sent as `random_seed` (Mistral).
    pub random_seed: bool,
    /// `reasoning_effort` sent as DeepSeek's `thinking` (`{"type": "enabled"}`, or
    /// `"disabled"` for `none`); a `thinking` object of the client's wins, sent as its `type`.
    pub thinking_type: bool,
    /// `thinking` never sent; an enabled one becomes `reasoning_effort` by its budget where
    /// the client sent none (hosted_vllm).
    pub thinking_as_effort: bool,
    /// The messages rewritten as Mistral takes them ([`mistral`]); every body is written
    /// again.
    pub mistral_messages: bool,
    /// Every `strict` member removed from the tools, at any depth, and no empty `tools` sent
    /// (xAI).
    pub tools_without_strict: bool,
    /// `"usage": {"include": true}` added when the body has no `usage` (OpenRouter, so its
    /// answers carry their cost).
    pub usage_include: bool,
    /// `"stream": false` added to a client's chat body without `stream`: LiteLLM's proxy
    /// calls with `stream=False`, which the providers it serves through its
    /// `BaseLLMHTTPHandler` send on (xAI, Groq, DeepSeek, ...); those it serves through
    /// OpenAI's SDK leave it out.
    pub stream_false: bool,
    /// What is done to the messages ([`messages`]).
    pub messages: MessageRules,
    /// Of the embeddings parameters (`user`, `encoding_format`, `dimensions`, in that order),
    /// the ones LiteLLM's embedding config for the provider refuses
    /// (`get_optional_params_embeddings`).
    pub embedding_refused: &'static [&'static str],
}

/// How `tool_choice` goes to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolChoice {
    AsSent,
    /// `"required"` as `"any"` (Fireworks AI).
    RequiredAsAny,
    /// Mistral's: `"auto"` and `"none"` as sent, any other string as `"any"`, an object not
    /// sent.
    Mistral,
    /// Never sent: `"auto"` and `"none"` left out, anything else refused (DeepInfra).
    Never,
    /// Sent only with tools (a non-empty `tools` or `functions`), else left out (Azure's
    /// `transform_request`).
    WithTools,
    /// `"required"` left out and a user turn asking for a tool appended to the messages
    /// (Moonshot's `_add_tool_choice_required_message`); anything else as sent.
    RequiredAsMessage,
}

impl ParamRules {
    /// A provider that takes every parameter as OpenAI does (LiteLLM's `OpenAIGPTConfig`).
    pub const OPENAI: ParamRules = ParamRules {
        refused: ParamSet::EMPTY,
        unsent: ParamSet::EMPTY,
        max_tokens_only: false,
        max_completion_tokens_only: false,
        sampling: Sampling::Any,
        clamp_temperature: false,
        effort_as_string: false,
        tool_choice: ToolChoice::AsSent,
        random_seed: false,
        thinking_type: false,
        thinking_as_effort: false,
        mistral_messages: false,
        tools_without_strict: false,
        usage_include: false,
        stream_false: false,
        messages: MessageRules::NONE,
        embedding_refused: &[],
    };

    /// Whether every body is written again, whatever its parameters (the messages or the
    /// body itself always change).
    const fn rewrites_every_body(&self) -> bool {
        self.mistral_messages || self.usage_include
    }

    /// The parameters whose presence means the body is written again.
    const fn touched(&self) -> ParamSet {
        let mut touched = self.refused.union(self.unsent);
        if self.max_tokens_only {
            touched = touched.union(ParamSet::of(&[Param::MaxCompletionTokens]));
        }
        if self.max_completion_tokens_only {
            touched = touched.union(ParamSet::of(&[Param::MaxTokens]));
        }
        if self.clamp_temperature {
            touched = touched.union(ParamSet::of(&[Param::Temperature]));
        }
        if self.effort_as_string {
            touched = touched.union(ParamSet::of(&[Param::ReasoningEffort]));
        }
        if !matches!(self.sampling, Sampling::Any) {
            touched = touched.union(ParamSet::of(&[
                Param::Temperature,
                Param::TopP,
                Param::Logprobs,
                Param::TopLogprobs,
            ]));
        }
        if !matches!(self.tool_choice, ToolChoice::AsSent) {
            touched = touched.union(ParamSet::of(&[Param::ToolChoice]));
        }
        if self.random_seed {
            touched = touched.union(ParamSet::of(&[Param::Seed]));
        }
        if self.thinking_type {
            touched = touched.union(ParamSet::of(&[Param::ReasoningEffort, Param::Thinking]));
        }
        if self.thinking_as_effort {
            touched = touched.union(ParamSet::of(&[Param::Thinking]));
        }
        if self.tools_without_strict {
            touched = touched.union(ParamSet::of(&[Param::Tools]));
        }
        touched
    }
}

/// The top-level keys of a chat body that decide how it goes upstream: the [`Param`]s it has
/// (with any value), whether it has one of LiteLLM's own keys, and `extra_body`; one word, as
/// it rides in every request's fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BodyKeys(u64);

impl BodyKeys {
    const LITELLM: u64 = 1 << 62;
    const EXTRA_BODY: u64 = 1 << 63;

    /// Notes the top-level key `key` (unescaped).
    pub fn note(&mut self, key: &str) {
        self.0 |= match classify(key) {
            Class::Param(p) => p.bit(),
            Class::LiteLlm => BodyKeys::LITELLM,
            Class::ExtraBody => BodyKeys::EXTRA_BODY,
            Class::Other => 0,
        }
    }

    /// Whether a body with these keys must be written again for a row with `rules` (else it
    /// is spliced as it came).
    pub fn rewrite(&self, rules: &ParamRules) -> bool {
        rules.rewrites_every_body()
            || (rules.stream_false && self.0 & Param::Stream.bit() == 0)
            || self.0 & (BodyKeys::LITELLM | BodyKeys::EXTRA_BODY | rules.touched().0) != 0
    }
}

/// What a top-level key is to [`write_chat_body`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Param(Param),
    /// One of LiteLLM's own parameters: read by the proxy, never sent to a provider.
    LiteLlm,
    ExtraBody,
    /// `model`, `messages`, and keys LiteLLM sends on as they came.
    Other,
}

/// Whether `key` is one of LiteLLM's own request parameters (never sent to a provider).
pub(crate) fn is_litellm_key(key: &str) -> bool {
    classify(key) == Class::LiteLlm
}

/// The top-level members of `body` LiteLLM sends a provider as they came: not `null`, not
/// one of LiteLLM's own keys or `extra_body`, not among `own` (those the caller writes
/// itself). Each as (its unescaped key, the key's bytes with their quotes, the value's bytes).
pub(crate) fn passed_members<'b>(
    body: &'b [u8],
    own: &'b [&'b str],
) -> impl Iterator<Item = (String, &'b [u8], &'b [u8])> + 'b {
    crate::json::top_members(body)
        .into_iter()
        .flatten()
        .filter_map(move |m| {
            let value = &body[m.value.clone()];
            let key = crate::json::value::key_of(body, &m.key)?;
            let skip = value == b"null"
                || own.contains(&key.as_str())
                || key == "extra_body"
                || is_litellm_key(&key);
            (!skip).then(|| (key, &body[m.key.start - 1..m.key.end + 1], value))
        })
}

fn classify(key: &str) -> Class {
    match key {
        "model" | "messages" => Class::Other,
        "extra_body" => Class::ExtraBody,
        _ => match Param::of(key) {
            Some(p) => Class::Param(p),
            None if may_be_litellm_key(key) && LITELLM_KEYS.binary_search(&key).is_ok() => {
                Class::LiteLlm
            }
            None => Class::Other,
        },
    }
}

/// Writes the chat body for an OpenAI-format provider with `rules` into `out`: the client's
/// members in their order, `model` as `provider_model`, `null` parameters and LiteLLM's own
/// keys left out, `extra_body`'s members merged in (a client member of the same name gives
/// way), `stream_options.include_usage` set for a stream when `force_include_usage`. As
/// LiteLLM: `allowed_openai_params` (a list of names) are sent even where the row refuses
/// them, and `additional_drop_params` (top-level names) are left out. A parameter the
/// provider refuses is left out with `drop_refused` (`drop_params`), else LiteLLM's
/// `UnsupportedParamsError` naming `provider`, and `out` is left as it was. An `extra_body`
/// that sets a key the gateway reads (`model`, `stream`, `stream_options`, `user`, ..., in
/// any letter case) is refused: the provider would serve another request than the one
/// routed and accounted.
pub fn write_chat_body(
    body: &[u8],
    rules: &ParamRules,
    provider: &str,
    provider_model: &str,
    force_include_usage: bool,
    drop_refused: bool,
    out: &mut Vec<u8>,
) -> Result<(), TransformError> {
    let start = out.len();
    let members: Vec<_> = top_members(body).into_iter().flatten().collect();
    let keys: Vec<String> = members
        .iter()
        .map(|m| key_of(body, &m.key).unwrap_or_default())
        .collect();
    let classes: Vec<Class> = keys.iter().map(|k| classify(k)).collect();
    // The last of a repeated LiteLLM key is the one, as a provider's parser reads them.
    let last = |name: &str| {
        keys.iter()
            .rposition(|k| k == name)
            .map(|i| &body[members[i].value.clone()])
    };
    let extra = last("extra_body").filter(|v| crate::json::value::is_object(v));
    let extra_members: Vec<_> = extra
        .and_then(top_members)
        .into_iter()
        .flatten()
        .filter_map(|m| Some((key_of(extra?, &m.key)?, m)))
        .collect();
    if let Some((key, _)) = extra_members
        .iter()
        .find(|(k, _)| crate::keys::Key::find(k, &crate::keys::Key::TOP_LEVEL).is_some())
    {
        return Err(TransformError::Invalid(format!(
            "extra_body may not set {key:?}: the gateway reads it from the request itself"
        )));
    }
    let overridden: std::collections::HashSet<&str> =
        extra_members.iter().map(|(k, _)| k.as_str()).collect();
    let names = |name: &str| -> Vec<String> {
        last(name)
            .and_then(crate::json::value::elements)
            .into_iter()
            .flatten()
            .filter_map(crate::json::value::string)
            .collect()
    };
    let allowed = ParamSet::from_names(&names("allowed_openai_params"));
    let dropped = names("additional_drop_params");
    // The facts that decide single members, from the members that go out.
    let mut present = ParamSet::EMPTY;
    let mut stream = false;
    // DeepSeek's `thinking` as the client gave it: enabled or disabled (else not sent); and
    // as the first `reasoning_effort` that goes out asks for it (`none` disables).
    let mut thinking = None;
    let mut effort_thinking = None;
    // A non-empty `tools` or `functions` goes out (Python's truth of the list).
    let mut with_tools = false;
    let sent: Vec<bool> = keys
        .iter()
        .map(|k| !overridden.contains(k.as_str()) && !dropped.contains(k))
        .collect();
    for (i, m) in members.iter().enumerate() {
        let value = &body[m.value.clone()];
        if let (Class::Param(p), true) = (classes[i], sent[i]) {
            if value != b"null" {
                present.insert(p);
                stream |= p == Param::Stream && value == b"true";
                if p == Param::Thinking {
                    thinking = thinking_type(value);
                }
                if p == Param::ReasoningEffort && effort_thinking.is_none() {
                    effort_thinking = Some(value != br#""none""#);
                }
                with_tools |= matches!(p, Param::Tools | Param::Functions) && value != b"[]";
            }
        }
    }
    // DeepSeek's `thinking` as sent: the client's wins over its `reasoning_effort`.
    let deepseek_thinking = thinking.or(effort_thinking);
    let thinking_on = rules.thinking_type && deepseek_thinking == Some(true);
    // Moonshot's turn asking for a tool, in place of `tool_choice: "required"`.
    let tool_request = rules.tool_choice == ToolChoice::RequiredAsMessage
        && present.contains(Param::ToolChoice)
        && last("tool_choice") == Some(br#""required""#.as_slice());
    let mut refused = ParamSet::EMPTY;
    // A temperature the row takes only as 1, as the client gave it, and whether a sampling
    // parameter the row takes only without reasoning came.
    let mut odd_temperature = None;
    let mut odd_sampling = false;
    let effort = last("reasoning_effort").and_then(effort_level);
    let without_reasoning = rules.sampling.without_reasoning(effort.as_deref());
    out.push(b'{');
    // `open` writes a member's key (its value follows); `member` a whole member.
    let first = std::cell::Cell::new(true);
    let open = |out: &mut Vec<u8>, key: Key<'_>| {
        if !first.replace(false) {
            out.push(b',');
        }
        match key {
            Key::Raw(raw) => out.extend_from_slice(raw),
            Key::Named(name) => write_json_string(name, out),
        }
        out.push(b':');
    };
    let member = |out: &mut Vec<u8>, key: Key<'_>, value: &[u8]| {
        open(out, key);
        out.extend_from_slice(value);
    };
    let mut model = Vec::with_capacity(provider_model.len() + 2);
    write_json_string(provider_model, &mut model);
    let mut model_written = false;
    let mut thinking_written = false;
    let mut usage_written = false;
    for (i, m) in members.iter().enumerate() {
        if !sent[i] {
            continue;
        }
        let (raw_key, value) = raw(body, m);
        let key_as_sent = Key::Raw(raw_key);
        let p = match classes[i] {
            Class::LiteLlm | Class::ExtraBody => continue,
            Class::Other if keys[i] == "model" => {
                if !model_written {
                    member(out, Key::Named("model"), &model);
                    model_written = true;
                }
                continue;
            }
            Class::Other
                if keys[i] == "messages"
                    && (rules.mistral_messages
                        || rules.messages != MessageRules::NONE
                        || tool_request) =>
            {
                open(out, key_as_sent);
                // DeepSeek fills reasoning turns only in thinking mode.
                let message_rules = MessageRules {
                    reasoning_fill: match rules.messages.reasoning_fill {
                        ReasoningFill::Assistant if !thinking_on => ReasoningFill::Never,
                        fill => fill,
                    },
                    ..rules.messages
                };
                match (rules.mistral_messages, rules.messages == MessageRules::NONE) {
                    (true, true) => mistral::write_messages(value, out),
                    (true, false) => {
                        let mut prepared = Vec::with_capacity(value.len());
                        messages::write_messages(value, &message_rules, &mut prepared);
                        mistral::write_messages(&prepared, out);
                    }
                    (false, _) => messages::write_messages(value, &message_rules, out),
                }
                if tool_request && out.last() == Some(&b']') {
                    out.pop();
                    if out.last() != Some(&b'[') {
                        out.push(b',');
                    }
                    out.extend_from_slice(TOOL_REQUEST);
                    out.push(b']');
                }
                continue;
            }
            Class::Other => {
                usage_written |= keys[i] == "usage";
                member(out, key_as_sent, value);
                continue;
            }
            Class::Param(p) => p,
        };
        if value == b"null" || rules.unsent.contains(p) {
            continue;
        }
        if rules.refused.contains(p) && !allowed.contains(p) {
            // `n: 1` is LiteLLM's default: never refused, and not sent where `n` is.
            if !(p == Param::N && is_one(value)) {
                refused.insert(p);
            }
            continue;
        }
        match p {
            Param::MaxTokens
                if rules.max_tokens_only && present.contains(Param::MaxCompletionTokens) => {}
            Param::MaxCompletionTokens if rules.max_tokens_only => {
                member(out, Key::Named("max_tokens"), value);
            }
            Param::MaxTokens if rules.max_completion_tokens_only => {
                if !present.contains(Param::MaxCompletionTokens) {
                    member(out, Key::Named("max_completion_tokens"), value);
                }
            }
            Param::Temperature
                if rules.sampling != Sampling::Any && !is_one(value) && !without_reasoning =>
            {
                odd_temperature = Some(value);
            }
            Param::Temperature if rules.clamp_temperature => {
                let n = last("n").unwrap_or(b"1");
                member(out, key_as_sent, clamped_temperature(value, n));
            }
            Param::ReasoningEffort if rules.effort_as_string => {
                if let Some(effort) = effort_level(value) {
                    let mut quoted = Vec::with_capacity(effort.len() + 2);
                    write_json_string(&effort, &mut quoted);
                    member(out, key_as_sent, &quoted);
                }
            }
            Param::TopP | Param::Logprobs | Param::TopLogprobs
                if matches!(rules.sampling, Sampling::Gpt5(level) if level != NoneLevel::Unsupported)
                    && !without_reasoning =>
            {
                odd_sampling = true;
            }
            Param::StreamOptions if stream && force_include_usage => {
                member(out, key_as_sent, &with_include_usage(value));
            }
            Param::ToolChoice if !allowed.contains(p) => {
                match tool_choice(rules.tool_choice, value, with_tools) {
                    Some(Some(choice)) => member(out, key_as_sent, choice),
                    Some(None) => {}
                    None => refused.insert(p),
                }
            }
            Param::Seed if rules.random_seed => member(out, Key::Named("random_seed"), value),
            Param::Tools if rules.tools_without_strict || rules.messages.strip_cache_control => {
                let removed: &[&str] = match rules.messages.strip_cache_control {
                    true if rules.tools_without_strict => &["strict", "cache_control"],
                    true => &["cache_control"],
                    false => &["strict"],
                };
                let tools = crate::json::value::elements(value).unwrap_or_default();
                if !tools.is_empty() {
                    open(out, key_as_sent);
                    crate::json::write_array(tools, out, |tool, out| {
                        write_without_keys(tool, removed, 0, out)
                    });
                } else if !rules.tools_without_strict {
                    // xAI gets no empty tools; the others get them as sent.
                    member(out, key_as_sent, value);
                }
            }
            Param::ReasoningEffort | Param::Thinking if rules.thinking_type => {
                // Written once: in place of the client's `thinking`, else of the effort.
                let here = thinking.is_some() || p == Param::ReasoningEffort;
                if let (Some(enabled), true, false) = (deepseek_thinking, here, thinking_written) {
                    member(out, Key::Named("thinking"), thinking_of_type(enabled));
                    thinking_written = true;
                }
            }
            Param::Thinking if rules.thinking_as_effort => {
                let enabled = thinking_type(value) == Some(true);
                if enabled && !present.contains(Param::ReasoningEffort) {
                    let effort = crate::messages::request::effort_for_budget(value);
                    let mut quoted = Vec::with_capacity(effort.len() + 2);
                    write_json_string(effort, &mut quoted);
                    member(out, Key::Named("reasoning_effort"), &quoted);
                }
            }
            _ => member(out, key_as_sent, value),
        }
    }
    if stream
        && force_include_usage
        && !present.contains(Param::StreamOptions)
        && !rules.unsent.contains(Param::StreamOptions)
    {
        member(
            out,
            Key::Named("stream_options"),
            br#"{"include_usage":true}"#,
        );
    }
    for (name, m) in &extra_members {
        let (key, value) = raw(extra.unwrap_or_default(), m);
        usage_written |= name == "usage";
        member(out, Key::Raw(key), value);
    }
    if rules.usage_include && !usage_written {
        member(out, Key::Named("usage"), br#"{"include":true}"#);
    }
    if rules.stream_false && !keys.iter().any(|k| k == "stream") {
        member(out, Key::Named("stream"), b"false");
    }
    if !model_written {
        member(out, Key::Named("model"), &model);
    }
    out.push(b'}');
    if refused.is_empty() && !drop_refused {
        let message = if odd_sampling {
            let shown = match &effort {
                Some(e) => format!("'{e}'"),
                None => "None".to_owned(),
            };
            Some(format!("{provider_model} only supports logprobs, top_p, top_logprobs when reasoning_effort resolves to 'none', either set explicitly on the request or declared as the model's default_reasoning_effort. Current reasoning_effort={shown}. To drop unsupported params set `litellm.drop_params = True`"))
        } else {
            odd_temperature.map(|value| {
                let mut shown = String::new();
                crate::json::value::py_repr(value, &mut shown);
                match rules.sampling {
                    Sampling::OSeries => format!("O-series models don't support temperature={shown}. Only temperature=1 is supported. To drop unsupported openai params from the call, set `litellm.drop_params = True`"),
                    _ => format!("{provider_model} doesn't support temperature={shown} while reasoning is active. Only temperature=1 is supported unless reasoning_effort resolves to 'none', either set explicitly on the request or declared as the model's default_reasoning_effort. To drop unsupported params set `litellm.drop_params = True`"),
                }
            })
        };
        if let Some(message) = message {
            out.truncate(start);
            let params = if odd_sampling {
                ["top_p", "logprobs", "top_logprobs"]
                    .iter()
                    .map(|p| (*p).to_owned())
                    .collect()
            } else {
                vec!["temperature".to_owned()]
            };
            return Err(TransformError::UnsupportedParams { message, params });
        }
    }
    if !refused.is_empty() && !drop_refused {
        out.truncate(start);
        if rules.tool_choice == ToolChoice::Never && refused == ParamSet::of(&[Param::ToolChoice]) {
            return Err(deepinfra_tool_choice(
                last("tool_choice").unwrap_or_default(),
            ));
        }
        let names: Vec<String> = Param::ALL
            .into_iter()
            .filter(|p| refused.contains(*p))
            .map(|p| p.name().to_owned())
            .collect();
        return Err(crate::chat::unsupported_params(
            provider,
            &names,
            provider_model,
        ));
    }
    Ok(())
}

/// LiteLLM's refusal of the embeddings parameters in `body` that `rules` refuse
/// (`get_optional_params_embeddings`: a `null` one counts as absent), naming them with their
/// values as Python prints a dict; with `drop`, their names (to be left out). `None` when
/// the body has none of them.
pub fn refused_embedding_params(
    body: &[u8],
    rules: &ParamRules,
    provider: &str,
    model: &str,
    drop: bool,
) -> Option<Result<Vec<String>, TransformError>> {
    let found: Vec<(&str, &[u8])> = rules
        .embedding_refused
        .iter()
        .filter_map(|&name| {
            let value = crate::json::value::get(body, name).filter(|v| *v != b"null")?;
            Some((name, value))
        })
        .collect();
    if found.is_empty() {
        return None;
    }
    let names = found.iter().map(|(n, _)| (*n).to_owned()).collect();
    if drop {
        return Some(Ok(names));
    }
    let mut dict = String::from("{");
    for (i, (name, value)) in found.iter().enumerate() {
        if i > 0 {
            dict.push_str(", ");
        }
        crate::json::value::py_repr_string(name, &mut dict);
        dict.push_str(": ");
        crate::json::value::py_repr(value, &mut dict);
    }
    dict.push('}');
    Some(Err(TransformError::UnsupportedParams {
        message: format!(
            "{provider} does not support parameters: {dict}, for model={model}. To drop these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n"
        ),
        params: names,
    }))
}

/// `value` without any member named in `keys`, in objects at any depth (inside objects, and
/// the objects of arrays), as LiteLLM's `filter_value_from_dict` leaves it: below 100 levels
/// the value goes as it came. An array `value` is an array of such values.
pub(crate) fn write_without_keys(value: &[u8], keys: &[&str], depth: usize, out: &mut Vec<u8>) {
    match crate::json::value::elements(value) {
        Some(items) if depth <= 100 => crate::json::write_array(items, out, |item, out| {
            if crate::json::value::is_object(item) {
                write_without_keys(item, keys, depth, out);
            } else {
                out.extend_from_slice(item);
            }
        }),
        _ if depth > 100 || !crate::json::value::is_object(value) => {
            out.extend_from_slice(value);
        }
        _ => crate::json::write_members(value, out, |k, v, out| {
            if keys.contains(&k) {
                return false;
            }
            write_without_keys(v, keys, depth + 1, out);
            true
        }),
    }
}

/// When OpenAI's reasoning models take a `temperature` other than 1 and the sampling
/// parameters (`top_p`, `logprobs`, `top_logprobs`), as LiteLLM's configs decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Whatever the client sends.
    Any,
    /// A `temperature` other than 1 refused (`OpenAIOSeriesConfig`; the sampling parameters
    /// are in the row's refused set).
    OSeries,
    /// `OpenAIGPT5Config`: both only when the request's reasoning effort resolves to `none`,
    /// which depends on the model's levels in LiteLLM's cost map.
    Gpt5(NoneLevel),
}

/// A GPT-5 model's `none` reasoning effort, from LiteLLM's cost map
/// (`supports_none_reasoning_effort`, `default_reasoning_effort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoneLevel {
    /// The model always reasons (the sampling parameters are in the row's refused set).
    Unsupported,
    /// `reasoning_effort: "none"` turns reasoning off.
    Supported,
    /// Reasoning is off unless the request asks for an effort other than `none`.
    Default,
}

impl Sampling {
    /// Whether a request with reasoning effort `effort` runs without reasoning, so that the
    /// model takes any temperature and the sampling parameters.
    fn without_reasoning(&self, effort: Option<&str>) -> bool {
        match self {
            Sampling::Any => true,
            Sampling::OSeries | Sampling::Gpt5(NoneLevel::Unsupported) => false,
            Sampling::Gpt5(NoneLevel::Supported) => effort == Some("none"),
            Sampling::Gpt5(NoneLevel::Default) => effort.is_none_or(|e| e == "none"),
        }
    }
}

/// A `reasoning_effort` value's level: the string, or an object's `effort` (LiteLLM's
/// `get_effort_level`); `None` for `null` and anything else.
fn effort_level(value: &[u8]) -> Option<String> {
    crate::json::value::string(value).or_else(|| {
        crate::json::value::is_object(value)
            .then(|| crate::json::value::get(value, "effort").and_then(crate::json::value::string))
            .flatten()
    })
}

/// The user turn Moonshot's config appends in place of `tool_choice: "required"`.
const TOOL_REQUEST: &[u8] =
    br#"{"role":"user","content":"Please select a tool to handle the current issue."}"#;

/// Moonshot's temperature (`MoonshotChatConfig.map_openai_params`): at most 1, and 0.3 where
/// it is below 0.3 with `n` over 1; the client's text where it stands.
fn clamped_temperature<'v>(value: &'v [u8], n: &[u8]) -> &'v [u8] {
    let number = |v: &[u8]| std::str::from_utf8(v).ok()?.parse::<f64>().ok();
    match number(value) {
        Some(t) if t > 1.0 => b"1",
        Some(t) if t < 0.3 && number(n).is_some_and(|n| n > 1.0) => b"0.3",
        _ => value,
    }
}

/// Whether a JSON number is 1 (`1`, `1.0`, `1e0`), as Python's `n == 1` reads it.
fn is_one(value: &[u8]) -> bool {
    std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        == Some(1.0)
}

/// DeepInfra's own refusal of a `tool_choice` it never sends
/// (llms/deepinfra/chat/transformation.py), the value as Python prints it.
fn deepinfra_tool_choice(value: &[u8]) -> TransformError {
    let shown = crate::json::value::string(value)
        .unwrap_or_else(|| String::from_utf8_lossy(value).into_owned());
    TransformError::UnsupportedParams {
        message: format!(
            "Deepinfra doesn't support tool_choice={shown}. To drop unsupported openai params from the call, set `litellm.drop_params = True`"
        ),
        params: vec!["tool_choice".to_owned()],
    }
}

/// A member of `json` as the client wrote it: its key (quotes included) and its value.
fn raw<'j>(json: &'j [u8], m: &crate::json::Member) -> (&'j [u8], &'j [u8]) {
    (
        &json[m.key.start - 1..m.key.end + 1],
        &json[m.value.clone()],
    )
}

/// A member's key as written: the client's bytes (quotes included), or a name of ours.
#[derive(Clone, Copy)]
enum Key<'a> {
    Raw(&'a [u8]),
    Named(&'static str),
}

/// `tool_choice` as `how` sends it: `Some(Some(value))`, `Some(None)` when not sent, `None`
/// when refused; `with_tools` when the body sends tools.
fn tool_choice(how: ToolChoice, value: &[u8], with_tools: bool) -> Option<Option<&[u8]>> {
    const ANY: &[u8] = br#""any""#;
    let auto_or_none = value == br#""auto""# || value == br#""none""#;
    Some(match how {
        ToolChoice::AsSent => Some(value),
        ToolChoice::RequiredAsAny if value == br#""required""# => Some(ANY),
        ToolChoice::RequiredAsAny => Some(value),
        ToolChoice::Mistral if auto_or_none => Some(value),
        ToolChoice::Mistral if value.first() == Some(&b'"') => Some(ANY),
        ToolChoice::Mistral => None,
        ToolChoice::Never if auto_or_none => None,
        ToolChoice::Never => return None,
        ToolChoice::WithTools => with_tools.then_some(value),
        ToolChoice::RequiredAsMessage if value == br#""required""# => None,
        ToolChoice::RequiredAsMessage => Some(value),
    })
}

/// Whether a client's `thinking` object enables (`true`) or disables thinking; `None` for
/// anything else.
fn thinking_type(value: &[u8]) -> Option<bool> {
    match crate::json::value::get(value, "type")? {
        br#""enabled""# => Some(true),
        br#""disabled""# => Some(false),
        _ => None,
    }
}

fn thinking_of_type(enabled: bool) -> &'static [u8] {
    if enabled {
        br#"{"type":"enabled"}"#
    } else {
        br#"{"type":"disabled"}"#
    }
}

/// A `stream_options` value with `include_usage: true` (its other members kept); anything
/// but an object becomes `{"include_usage":true}`, as LiteLLM sends for streams.
fn with_include_usage(options: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(options.len() + 24);
    out.push(b'{');
    for m in top_members(options).into_iter().flatten() {
        if key_of(options, &m.key).as_deref() == Some("include_usage") {
            continue;
        }
        out.extend_from_slice(&options[m.key.start - 1..m.key.end + 1]);
        out.push(b':');
        out.extend_from_slice(&options[m.value]);
        out.push(b',');
    }
    out.extend_from_slice(br#""include_usage":true}"#);
    out
}

/// LiteLLM's own request parameters (LiteLLM 1.108.7: `litellm.types.utils.all_litellm_params`
/// and `completion()`'s arguments that are not OpenAI parameters, and the fallback members its
/// Router takes out of a request before the call), sorted: read by its proxy, never sent to a
/// provider.
#[rustfmt::skip]
const LITELLM_KEYS: [&str; 385] = include!("params/litellm_keys.in");

/// For each key length under 64, the first bytes ([`first_byte_bit`]) of LiteLLM's keys of
/// that length: most keys a client sends that are neither parameters nor LiteLLM's own are
/// ruled out here, before the binary search (every request's keys are looked up as scanned).
const LITELLM_KEY_SHAPES: [u32; 64] = {
    let mut shapes = [0u32; 64];
    let mut i = 0;
    while i < LITELLM_KEYS.len() {
        let key = LITELLM_KEYS[i].as_bytes();
        shapes[key.len()] |= first_byte_bit(key[0]);
        i += 1;
    }
    shapes
};

const fn first_byte_bit(b: u8) -> u32 {
    match b {
        b'a'..=b'z' => 1 << (b - b'a'),
        b'_' => 1 << 26,
        _ => 1 << 27,
    }
}

fn may_be_litellm_key(key: &str) -> bool {
    match key.as_bytes() {
        [first, ..] if key.len() < 64 => {
            LITELLM_KEY_SHAPES[key.len()] & first_byte_bit(*first) != 0
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const GROQ_LIKE: ParamRules = ParamRules {
        refused: ParamSet::of(&[Param::ReasoningEffort, Param::WebSearchOptions, Param::N]),
        unsent: ParamSet::of(&[Param::User]),
        max_tokens_only: true,
        ..ParamRules::OPENAI
    };

    fn write(body: Value, rules: &ParamRules, usage: bool) -> Result<Value, String> {
        let mut out = b"HEAD".to_vec();
        let body = serde_json::to_vec(&body).unwrap();
        match write_chat_body(&body, rules, "groq", "llama-3", usage, false, &mut out) {
            Ok(()) => Ok(serde_json::from_slice(&out[4..]).unwrap()),
            Err(e) => {
                assert_eq!(out, b"HEAD");
                Err(e.message().to_owned())
            }
        }
    }

    #[test]
    fn params_are_found_by_name() {
        for p in Param::ALL {
            assert_eq!(Param::of(p.name()), Some(p));
        }
        assert_eq!(Param::of("messages"), None);
    }

    #[test]
    fn litellm_keys_are_sorted_and_no_openai_parameter() {
        assert!(LITELLM_KEYS.windows(2).all(|w| w[0] < w[1]));
        for p in Param::ALL {
            assert!(
                LITELLM_KEYS.binary_search(&p.name()).is_err(),
                "{}",
                p.name()
            );
        }
        for key in [
            "metadata",
            "drop_params",
            "tags",
            "num_retries",
            "api_base",
            "mock_response",
        ] {
            assert_eq!(classify(key), Class::LiteLlm, "{key}");
        }
        for key in LITELLM_KEYS {
            assert!(may_be_litellm_key(key), "{key}");
        }
        assert!(!may_be_litellm_key("top_k") && !may_be_litellm_key("input_type"));
        assert!(!may_be_litellm_key(""));
        assert_eq!(classify("messages"), Class::Other);
        assert_eq!(classify("top_k"), Class::Other);
    }

    #[test]
    fn refused_parameters_are_named_in_litellms_order() {
        let e = write(
            json!({"model": "g", "web_search_options": {}, "n": 2, "reasoning_effort": "low",
                   "messages": []}),
            &GROQ_LIKE,
            false,
        )
        .unwrap_err();
        assert!(
            e.starts_with("groq does not support parameters: ['n', 'reasoning_effort', 'web_search_options'], for model=llama-3. To drop these"),
            "{e}"
        );
    }

    #[test]
    fn null_values_and_n_of_one_are_not_refused() {
        let out = write(
            json!({"model": "g", "messages": [], "reasoning_effort": null, "n": 1}),
            &GROQ_LIKE,
            false,
        )
        .unwrap();
        assert_eq!(out, json!({"model": "llama-3", "messages": []}));
    }

    #[test]
    fn renames_drops_and_merges_as_litellm() {
        let out = write(
            json!({"model": "g", "messages": [{"role": "user", "content": "hi"}],
                   "max_tokens": 30, "max_completion_tokens": 20, "user": "u1",
                   "metadata": {"a": 1}, "tags": ["t"], "drop_params": true, "top_k": 5,
                   "temperature": 0.5, "extra_body": {"eb": 1, "temperature": 0.1}}),
            &GROQ_LIKE,
            false,
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [{"role": "user", "content": "hi"}],
                   "max_tokens": 20, "top_k": 5, "eb": 1, "temperature": 0.1})
        );
    }

    #[test]
    fn extra_body_may_not_set_what_the_gateway_reads() {
        for key in ["model", "stream", "Stream_Options", "user", "metadata"] {
            let body = json!({"model": "g", "messages": [], "extra_body": {key: true}});
            let e = write(body, &ParamRules::OPENAI, false).unwrap_err();
            assert!(e.contains("extra_body may not set"), "{key}: {e}");
        }
        // The last extra_body is the one: a non-object there merges nothing.
        let body = br#"{"model":"g","messages":[],"extra_body":{"eb":1},"extra_body":"x"}"#;
        let mut out = Vec::new();
        write_chat_body(body, &ParamRules::OPENAI, "p", "m", false, false, &mut out).unwrap();
        assert_eq!(out, br#"{"model":"m","messages":[]}"#);
    }

    #[test]
    fn allowed_and_additional_drop_params_as_litellm() {
        let body = json!({"model": "g", "messages": [], "reasoning_effort": "low", "top_k": 3,
                          "allowed_openai_params": ["reasoning_effort"],
                          "additional_drop_params": ["top_k"]});
        let out = write(body, &GROQ_LIKE, false).unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [], "reasoning_effort": "low"})
        );
        // `n` of 1 in any spelling is LiteLLM's default.
        let body = json!({"model": "g", "messages": [], "n": 1.0});
        assert_eq!(write(body, &GROQ_LIKE, false).unwrap()["n"], Value::Null);
    }

    #[test]
    fn openai_rows_send_every_parameter() {
        let out = write(
            json!({"model": "g", "messages": [], "max_completion_tokens": 20, "user": "u1",
                   "n": 2, "metadata": {}}),
            &ParamRules::OPENAI,
            false,
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [], "max_completion_tokens": 20,
                   "user": "u1", "n": 2})
        );
    }

    #[test]
    fn streams_ask_for_usage() {
        let out = write(
            json!({"model": "g", "messages": [], "stream": true, "metadata": {},
                   "stream_options": {"include_usage": false, "x": 1}}),
            &ParamRules::OPENAI,
            true,
        )
        .unwrap();
        assert_eq!(
            out["stream_options"],
            json!({"x": 1, "include_usage": true})
        );
        let out = write(
            json!({"model": "g", "messages": [], "stream": true, "tags": []}),
            &ParamRules::OPENAI,
            true,
        )
        .unwrap();
        assert_eq!(out["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn mistral_takes_any_tool_choice_and_a_random_seed() {
        let body = json!({"model": "m", "messages": [], "seed": 7, "tool_choice": "required",
                          "max_completion_tokens": 5});
        let out = write(body, &rows::MISTRAL, false).unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [], "random_seed": 7, "tool_choice": "any",
                   "max_tokens": 5})
        );
        let body = json!({"model": "m", "messages": [], "tool_choice": {"type": "function"}});
        let out = write(body, &rows::MISTRAL, false).unwrap();
        assert_eq!(out, json!({"model": "llama-3", "messages": []}));
        let out = write(
            json!({"model": "m", "messages": [], "tool_choice": "required"}),
            &rows::FIREWORKS_AI,
            false,
        )
        .unwrap();
        assert_eq!(out["tool_choice"], "any");
    }

    #[test]
    fn xai_tools_lose_every_strict() {
        let tools = json!([{"type": "function", "strict": true, "function": {"name": "f", "strict": true,
            "parameters": {"type": "object", "properties": {"a": {"strict": 1}}, "anyOf": [{"strict": 2}, [{"strict": 3}]]}}}]);
        let out = write(
            json!({"model": "g", "messages": [], "tools": tools}),
            &rows::XAI,
            false,
        )
        .unwrap();
        assert_eq!(
            out["tools"],
            json!([{"type": "function", "function": {"name": "f",
                "parameters": {"type": "object", "properties": {"a": {}}, "anyOf": [{}, [{"strict": 3}]]}}}])
        );
        let out = write(
            json!({"model": "g", "messages": [], "tools": []}),
            &rows::XAI,
            false,
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [], "stream": false})
        );
        assert!(BodyKeys(Param::Tools.bit()).rewrite(&rows::XAI));
    }

    #[test]
    fn openrouter_asks_for_usage_unless_the_body_has_it() {
        let out = write(
            json!({"model": "g", "messages": []}),
            &rows::OPENROUTER,
            false,
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [], "usage": {"include": true}, "stream": false})
        );
        for body in [
            json!({"model": "g", "messages": [], "usage": {"include": false}}),
            json!({"model": "g", "messages": [], "extra_body": {"usage": {"include": false}}}),
        ] {
            let out = write(body, &rows::OPENROUTER, false).unwrap();
            assert_eq!(out["usage"], json!({"include": false}));
        }
        assert!(BodyKeys::default().rewrite(&rows::OPENROUTER));
    }

    /// The shared tables of the providers LiteLLM serves with `OpenAIGPTConfig`'s table as it
    /// stands (checked against LiteLLM by harness/differential's chat-row-* cases).
    #[test]
    fn openai_like_rows_leave_out_user_and_refuse_thinking() {
        let body = json!({"model": "g", "messages": [], "user": "u", "max_completion_tokens": 5,
                          "reasoning_effort": "low", "verbosity": "low", "temperature": 0.5});
        let out = write(body.clone(), &rows::OPENAI_LIKE, false).unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [], "max_completion_tokens": 5,
                   "reasoning_effort": "low", "verbosity": "low", "temperature": 0.5})
        );
        let out = write(body.clone(), &rows::OPENAI_LIKE_MAX_TOKENS, false).unwrap();
        assert_eq!(out["max_tokens"], json!(5));
        assert!(out.get("max_completion_tokens").is_none());
        let out = write(body.clone(), &rows::OPENAI_LIKE_NO_REASONING, false).unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [], "max_tokens": 5, "temperature": 0.5})
        );
        let thinking = json!({"model": "g", "messages": [], "thinking": {"type": "enabled"}});
        let refused = write(thinking.clone(), &rows::OPENAI_LIKE, false).unwrap_err();
        assert!(refused.contains("thinking"), "{refused}");
        let out = write(thinking, &rows::LITELLM_PROXY, false).unwrap();
        assert!(out.get("thinking").is_none());
        let out = write(body, &rows::META_LLAMA, false).unwrap();
        assert!(out.get("user").is_none());
    }

    #[test]
    fn stream_options_stay_behind_where_litellm_drops_them() {
        let asked = json!({"model": "g", "messages": [], "stream": true,
                           "stream_options": {"include_usage": true}});
        let plain = json!({"model": "g", "messages": [], "stream": true});
        for body in [asked, plain.clone()] {
            let out = write(body, &rows::MISTRAL, true).unwrap();
            assert!(out.get("stream_options").is_none(), "{out}");
        }
        let out = write(plain, &rows::GROQ, true).unwrap();
        assert_eq!(out["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn embedding_parameters_refused_as_litellm_refuses_them() {
        let body =
            br#"{"model":"m","dimensions":8,"input":["a"],"user":"u'1","encoding_format":null}"#;
        let refused =
            refused_embedding_params(body, &rows::MISTRAL, "mistral", "mistral-embed", false);
        match refused {
            Some(Err(TransformError::UnsupportedParams { message, params })) => {
                assert_eq!(params, ["user", "dimensions"]);
                assert!(
                    message.starts_with(
                        r#"mistral does not support parameters: {'user': "u'1", 'dimensions': 8}, for model=mistral-embed. To drop these"#
                    ),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        let dropped = refused_embedding_params(body, &rows::MISTRAL, "mistral", "m", true);
        assert_eq!(dropped.unwrap().unwrap(), ["user", "dimensions"]);
        // A null counts as absent; rows without refusals refuse nothing.
        let body = br#"{"model":"m","encoding_format":"float","user":null}"#;
        assert!(refused_embedding_params(body, &rows::MISTRAL, "mistral", "m", false).is_none());
        let body = br#"{"model":"m","dimensions":8}"#;
        assert!(
            refused_embedding_params(body, &ParamRules::OPENAI, "openai", "m", false).is_none()
        );
    }

    #[test]
    fn stream_false_goes_where_the_client_sent_no_stream() {
        let out = write(json!({"model": "g", "messages": []}), &rows::XAI, false).unwrap();
        assert_eq!(
            out,
            json!({"model": "llama-3", "messages": [], "stream": false})
        );
        // A stream of the client's goes as it came; a null one goes not at all (LiteLLM calls
        // with `stream=None`, which sends none).
        let out = write(
            json!({"model": "g", "messages": [], "stream": true}),
            &rows::XAI,
            false,
        )
        .unwrap();
        assert_eq!(out["stream"], json!(true));
        let out = write(
            json!({"model": "g", "messages": [], "stream": null}),
            &rows::XAI,
            false,
        )
        .unwrap();
        assert!(out.get("stream").is_none(), "{out}");
        assert!(BodyKeys::default().rewrite(&rows::MINIMAX));
        assert!(!BodyKeys(Param::Stream.bit()).rewrite(&rows::MINIMAX));
        assert!(!BodyKeys::default().rewrite(&ParamRules::OPENAI));
    }

    #[test]
    fn deepinfra_never_sends_tool_choice() {
        let auto = json!({"model": "m", "messages": [], "tool_choice": "auto"});
        let out = write(auto, &rows::DEEPINFRA, false).unwrap();
        assert_eq!(out, json!({"model": "llama-3", "messages": []}));
        let e = write(
            json!({"model": "m", "messages": [], "tool_choice": "required"}),
            &rows::DEEPINFRA,
            false,
        )
        .unwrap_err();
        assert!(
            e.starts_with("Deepinfra doesn't support tool_choice=required. To drop"),
            "{e}"
        );
    }

    #[test]
    fn azure_sends_tool_choice_with_tools_and_stream_false() {
        let alone = json!({"model": "m", "messages": [], "tool_choice": "auto"});
        assert_eq!(
            write(alone, &rows::AZURE, false).unwrap(),
            json!({"model": "llama-3", "messages": [], "stream": false})
        );
        let empty = json!({"model": "m", "messages": [], "tools": [], "tool_choice": "auto"});
        assert_eq!(
            write(empty, &rows::AZURE, false).unwrap()["tool_choice"],
            Value::Null
        );
        let tool = json!({"type": "function", "function": {"name": "f"}});
        let with = json!({"model": "m", "messages": [], "tools": [tool], "tool_choice": "required", "stream": true});
        let out = write(with, &rows::AZURE, false).unwrap();
        assert_eq!(out["tool_choice"], json!("required"));
        assert_eq!(out["stream"], json!(true));
        let functions = json!({"model": "m", "messages": [], "functions": [{"name": "f"}], "tool_choice": "auto"});
        assert_eq!(
            write(functions, &rows::AZURE, false).unwrap()["tool_choice"],
            json!("auto")
        );
    }

    #[test]
    fn openai_s_own_host_loses_cache_marks() {
        let body = json!({"model": "m", "messages": [
            {"role": "user", "content": [{"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}}],
             "cache_control": {"type": "ephemeral"}}],
            "tools": [{"type": "function", "function": {"name": "f"}, "cache_control": {"type": "ephemeral"}}]});
        let out = write(body.clone(), &rows::OPENAI_NO_CACHE_MARKS, false).unwrap();
        assert_eq!(
            out["messages"],
            json!([{"role": "user", "content": [{"type": "text", "text": "a"}]}])
        );
        assert_eq!(
            out["tools"],
            json!([{"type": "function", "function": {"name": "f"}}])
        );
        let kept = write(body.clone(), &rows::OPENAI_OWN, false).unwrap();
        assert_eq!(kept["messages"], body["messages"]);
        assert_eq!(kept["tools"], body["tools"]);
    }

    #[test]
    fn openai_s_reasoning_series() {
        let o = rows::o_series(rows::OPENAI_OWN);
        let body = json!({"model": "m", "messages": [], "max_tokens": 10, "temperature": 1});
        let out = write(body, &o, false).unwrap();
        assert_eq!(out["max_completion_tokens"], json!(10));
        assert_eq!(out["max_tokens"], Value::Null);
        assert_eq!(out["temperature"], json!(1));
        let both =
            json!({"model": "m", "messages": [], "max_tokens": 10, "max_completion_tokens": 20});
        assert_eq!(
            write(both, &o, false).unwrap()["max_completion_tokens"],
            json!(20)
        );
        let warm = json!({"model": "m", "messages": [], "temperature": 0.5});
        let e = write(warm.clone(), &o, false).unwrap_err();
        assert!(
            e.starts_with(
                "O-series models don't support temperature=0.5. Only temperature=1 is supported."
            ),
            "{e}"
        );
        let mut dropped = Vec::new();
        let warm = serde_json::to_vec(&warm).unwrap();
        write_chat_body(&warm, &o, "openai", "o3", false, true, &mut dropped).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&dropped).unwrap()["temperature"],
            Value::Null
        );
        // A refused parameter is named first, as LiteLLM checks the table before the values.
        let e = write(
            json!({"model": "m", "messages": [], "temperature": 0, "top_p": 0.5}),
            &o,
            false,
        )
        .unwrap_err();
        assert!(
            e.starts_with("groq does not support parameters: ['top_p']"),
            "{e}"
        );
        let g = rows::gpt_5(rows::OPENAI_OWN, NoneLevel::Unsupported);
        let e = write(
            json!({"model": "m", "messages": [], "stop": ["x"], "presence_penalty": 1, "top_p": 1}),
            &g,
            false,
        )
        .unwrap_err();
        assert!(
            e.starts_with(
                "groq does not support parameters: ['top_p', 'stop', 'presence_penalty']"
            ),
            "{e}"
        );
        let out = write(
            json!({"model": "m", "messages": [], "max_tokens": 5, "temperature": 1}),
            &g,
            false,
        )
        .unwrap();
        assert_eq!(out["max_completion_tokens"], json!(5));
        assert_eq!(out["temperature"], json!(1));
        let e = write(
            json!({"model": "m", "messages": [], "temperature": 0.2, "reasoning_effort": "none"}),
            &g,
            false,
        )
        .unwrap_err();
        assert!(
            e.starts_with("llama-3 doesn't support temperature=0.2 while reasoning is active."),
            "{e}"
        );
    }

    #[test]
    fn gpt_5_sampling_only_without_reasoning() {
        let supported = rows::gpt_5(rows::OPENAI_OWN, NoneLevel::Supported);
        let by_default = rows::gpt_5(rows::OPENAI_OWN, NoneLevel::Default);
        let body = |extra: Value| {
            let mut b = json!({"model": "m", "messages": [], "temperature": 0.3, "top_p": 0.5});
            b.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            b
        };
        // Reasoning off: everything goes.
        let off = json!({"reasoning_effort": "none"});
        assert_eq!(
            write(body(off.clone()), &supported, false).unwrap()["temperature"],
            json!(0.3)
        );
        assert_eq!(
            write(body(json!({})), &by_default, false).unwrap()["top_p"],
            json!(0.5)
        );
        let as_object = json!({"reasoning_effort": {"effort": "none", "summary": "auto"}});
        assert!(write(body(as_object), &supported, false).is_ok());
        // Reasoning on: the sampling parameters are named first, then the temperature.
        let e = write(body(json!({})), &supported, false).unwrap_err();
        assert!(e.starts_with("llama-3 only supports logprobs, top_p, top_logprobs when reasoning_effort resolves to 'none'"), "{e}");
        assert!(e.contains("Current reasoning_effort=None."), "{e}");
        let e = write(body(json!({"reasoning_effort": "low"})), &by_default, false).unwrap_err();
        assert!(e.contains("Current reasoning_effort='low'."), "{e}");
        let e = write(
            json!({"model": "m", "messages": [], "temperature": 0.3}),
            &supported,
            false,
        )
        .unwrap_err();
        assert!(
            e.starts_with("llama-3 doesn't support temperature=0.3 while reasoning is active."),
            "{e}"
        );
        // drop_params leaves them out.
        let mut out = Vec::new();
        let b = serde_json::to_vec(&body(json!({"reasoning_effort": "high"}))).unwrap();
        write_chat_body(&b, &supported, "openai", "gpt-5.5", false, true, &mut out).unwrap();
        let out: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            (out["temperature"].clone(), out["top_p"].clone()),
            (Value::Null, Value::Null)
        );
        assert_eq!(out["reasoning_effort"], json!("high"));
    }

    #[test]
    fn deepseek_fills_reasoning_turns_in_thinking_mode_only() {
        let turns = json!([{"role": "assistant", "content": "a"}]);
        let filled = |extra: Value| {
            let mut body = json!({"model": "m", "messages": turns.clone()});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            write(body, &rows::DEEPSEEK_REASONING, false).unwrap()["messages"][0]
                ["reasoning_content"]
                == json!(" ")
        };
        assert!(filled(json!({"thinking": {"type": "enabled"}})));
        assert!(filled(json!({"reasoning_effort": "low"})));
        assert!(!filled(json!({"reasoning_effort": "none"})));
        assert!(!filled(
            json!({"reasoning_effort": "low", "thinking": {"type": "disabled"}})
        ));
        assert!(!filled(json!({})));
        let plain = json!({"model": "m", "messages": turns, "thinking": {"type": "enabled"}});
        assert_eq!(
            write(plain, &rows::DEEPSEEK, false).unwrap()["messages"][0].get("reasoning_content"),
            None
        );
    }

    #[test]
    fn moonshot_s_rules() {
        let temperature = |t: Value, n: Value| {
            write(
                json!({"model": "m", "messages": [], "temperature": t, "n": n}),
                &rows::MOONSHOT,
                false,
            )
            .unwrap()["temperature"]
                .clone()
        };
        assert_eq!(temperature(json!(1.5), json!(1)), json!(1));
        assert_eq!(temperature(json!(0.7), json!(1)), json!(0.7));
        assert_eq!(temperature(json!(0.1), json!(2)), json!(0.3));
        assert_eq!(temperature(json!(0.1), json!(1)), json!(0.1));
        // "required" becomes a user turn asking for a tool; other choices go as sent.
        let tool = json!({"type": "function", "function": {"name": "f"}});
        let required = json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}], "tools": [tool.clone()], "tool_choice": "required"});
        let out = write(required, &rows::MOONSHOT, false).unwrap();
        assert_eq!(out["tool_choice"], Value::Null);
        assert_eq!(
            out["messages"],
            json!([{"role": "user", "content": "Hi"}, {"role": "user", "content": "Please select a tool to handle the current issue."}])
        );
        let empty = json!({"model": "m", "messages": [], "tools": [tool.clone()], "tool_choice": "required"});
        assert_eq!(
            write(empty, &rows::MOONSHOT, false).unwrap()["messages"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let auto = json!({"model": "m", "messages": [], "tools": [tool], "tool_choice": "auto"});
        assert_eq!(
            write(auto, &rows::MOONSHOT, false).unwrap()["tool_choice"],
            json!("auto")
        );
        // reasoning_effort: refused where the model does not reason, a string where it does.
        let effort = json!({"model": "m", "messages": [], "reasoning_effort": {"effort": "low", "summary": "auto"}, "temperature": 0.5});
        assert!(write(effort.clone(), &rows::MOONSHOT, false).is_err());
        let out = write(effort, &rows::MOONSHOT_REASONING, false).unwrap();
        assert_eq!(out["reasoning_effort"], json!("low"));
        assert_eq!(out["temperature"], Value::Null);
    }

    #[test]
    fn deepseek_thinks_by_type() {
        let thinking =
            |body: Value| write(body, &rows::DEEPSEEK, false).unwrap()["thinking"].clone();
        let effort = json!({"model": "m", "messages": [], "reasoning_effort": "low"});
        assert_eq!(thinking(effort), json!({"type": "enabled"}));
        let none = json!({"model": "m", "messages": [], "reasoning_effort": "none"});
        assert_eq!(thinking(none), json!({"type": "disabled"}));
        // The client's thinking wins, sent as its type only.
        let both = json!({"model": "m", "messages": [], "reasoning_effort": "high",
                          "thinking": {"type": "disabled", "budget_tokens": 5}});
        assert_eq!(thinking(both), json!({"type": "disabled"}));
        let bad = json!({"model": "m", "messages": [], "thinking": {"type": "x"}});
        assert_eq!(thinking(bad), Value::Null);
    }

    #[test]
    fn hosted_vllm_takes_a_thinking_budget_as_reasoning_effort() {
        let effort = |thinking: Value, extra: Value| {
            let mut body = json!({"model": "m", "messages": [], "thinking": thinking});
            if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            let out = write(body, &rows::HOSTED_VLLM, false).unwrap();
            assert_eq!(out.get("thinking"), None);
            out.get("reasoning_effort").cloned()
        };
        let on = |budget: u64| json!({"type": "enabled", "budget_tokens": budget});
        assert_eq!(effort(on(1024), json!({})), Some(json!("low")));
        assert_eq!(effort(on(20000), json!({})), Some(json!("high")));
        assert_eq!(
            effort(json!({"type": "enabled"}), json!({})),
            Some(json!("minimal"))
        );
        assert_eq!(effort(json!({"type": "disabled"}), json!({})), None);
        // The client's own effort stays.
        let own = json!({"reasoning_effort": "medium"});
        assert_eq!(effort(on(20000), own), Some(json!("medium")));
    }

    #[test]
    fn body_keys_say_when_a_body_is_written_again() {
        let mut keys = BodyKeys::default();
        for k in [
            "model",
            "messages",
            "temperature",
            "max_completion_tokens",
            "top_k",
        ] {
            keys.note(k);
        }
        assert!(!keys.rewrite(&ParamRules::OPENAI));
        assert!(keys.rewrite(&GROQ_LIKE));
        keys.note("metadata");
        assert!(keys.rewrite(&ParamRules::OPENAI));
        let mut keys = BodyKeys::default();
        keys.note("extra_body");
        assert!(keys.rewrite(&ParamRules::OPENAI));
    }
}
