//! Each OpenAI-format provider's parameter table, as LiteLLM 1.108.7's chat config for it
//! decides (`get_supported_openai_params`, `map_openai_params`), read from its source and
//! checked through its proxy (harness/differential). Only what holds for every model is here:
//! where the config asks the model's entry in LiteLLM's cost map (tools, `reasoning_effort`,
//! `web_search_options`, `verbosity` for OpenAI's own models), the parameter is sent. `user`
//! is not sent where the config does not list it (LiteLLM lists it for OpenAI's own model
//! names only). `stream_options` is not sent where the config does not list it (LiteLLM drops
//! it; those providers send their usage anyway). Rows not named here take every parameter
//! ([`ParamRules::OPENAI`]).

use super::{
    ContentAsText, MessageRules, NoneLevel, Param, ParamRules, ParamSet, ReasoningFill, Sampling,
    ToolChoice,
};

/// openai and azure: LiteLLM's `OpenAIGPTConfig` and `AzureOpenAIConfig` refuse these for
/// every model (found with `get_optional_params` over their models; the refusals that change
/// with the model, e.g. `temperature` on o-series models, are left to the provider). The
/// messages go as they came (LiteLLM's OpenAI path keeps them).
pub const OPENAI_OWN: ParamRules = ParamRules {
    refused: ParamSet::of(&[
        Param::Thinking,
        Param::IncludeServerSideToolInvocations,
        Param::ContextManagement,
    ]),
    ..ParamRules::OPENAI
};

/// `base` for OpenAI's o-series models (`OpenAIOSeriesConfig`, chosen by name: `o` and a
/// digit, among LiteLLM's OpenAI chat models): `logprobs`, `top_p`, `top_logprobs` and the
/// penalties refused, `max_tokens` sent as `max_completion_tokens`, a `temperature` other than
/// 1 refused. What it asks the cost map about (tools, `response_format`, system messages for
/// the models without them) is sent.
pub const fn o_series(base: ParamRules) -> ParamRules {
    ParamRules {
        refused: base.refused.union(ParamSet::of(&[
            Param::TopP,
            Param::PresencePenalty,
            Param::FrequencyPenalty,
            Param::Logprobs,
            Param::TopLogprobs,
        ])),
        max_completion_tokens_only: true,
        sampling: Sampling::OSeries,
        ..base
    }
}

/// `base` for OpenAI's GPT-5 series (`OpenAIGPT5Config`, chosen by name: `gpt-5` or `gpt-6`
/// but not `gpt-5-chat`, and not a search model) whose `none` reasoning effort is `level`:
/// the penalties, `stop`, `logit_bias`, `modalities`, `prediction`, `audio` and
/// `web_search_options` refused, and `top_p`, `logprobs`, `top_logprobs` too on the models
/// that always reason; `max_tokens` sent as `max_completion_tokens`; a `temperature` other
/// than 1 and the sampling parameters only without reasoning ([`Sampling::Gpt5`]). The
/// `reasoning_effort` levels the cost map disables are sent.
pub const fn gpt_5(base: ParamRules, level: NoneLevel) -> ParamRules {
    let refused = base.refused.union(ParamSet::of(&[
        Param::Stop,
        Param::Modalities,
        Param::Prediction,
        Param::Audio,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::LogitBias,
        Param::WebSearchOptions,
    ]));
    ParamRules {
        refused: match level {
            NoneLevel::Unsupported => refused.union(ParamSet::of(&[
                Param::TopP,
                Param::Logprobs,
                Param::TopLogprobs,
            ])),
            _ => refused,
        },
        max_completion_tokens_only: true,
        sampling: Sampling::Gpt5(level),
        ..base
    }
}

/// openai on OpenAI's own host (`*.openai.com`, or no base configured) and `custom_openai`:
/// as [`OPENAI_OWN`], `cache_control` removed from messages and tools (LiteLLM's
/// `OpenAIGPTConfig` keeps it only for `openai/` deployments on another host).
pub const OPENAI_NO_CACHE_MARKS: ParamRules = ParamRules {
    messages: MessageRules {
        strip_cache_control: true,
        ..MessageRules::NONE
    },
    ..OPENAI_OWN
};

/// aiohttp_openai: as [`OPENAI_OWN`], sent as LiteLLM's aiohttp handler sends it: with
/// `"stream": false` on a chat that does not stream, and the messages prepared as for other
/// providers (developer turns as system, `null` members and `cache_control` left out).
pub const AIOHTTP_OPENAI: ParamRules = ParamRules {
    stream_false: true,
    messages: MessageRules::LITELLM,
    ..OPENAI_OWN
};

/// azure: as [`OPENAI_OWN`], with what LiteLLM's `AzureOpenAIConfig` and its Azure path add:
/// `"stream": false` on a chat that does not stream, `tool_choice` only with tools, and the
/// messages prepared as for other providers but for the removal of `cache_control`
/// (`developer` turns as `system`, `null` members left out), with Azure's content parts
/// (`convert_to_azure_openai_messages`).
pub const AZURE: ParamRules = ParamRules {
    tool_choice: ToolChoice::WithTools,
    stream_false: true,
    messages: MessageRules {
        azure_parts: true,
        ..KEEPS_CACHE_CONTROL
    },
    ..OPENAI_OWN
};

/// Every parameter sent, the messages prepared as LiteLLM prepares them for a provider other
/// than OpenAI ([`MessageRules::LITELLM`]).
const BASE: ParamRules = ParamRules {
    messages: MessageRules::LITELLM,
    ..ParamRules::OPENAI
};

/// LiteLLM's preparation but for the removal of `cache_control` (the providers whose config
/// keeps it).
const KEEPS_CACHE_CONTROL: MessageRules = MessageRules {
    strip_cache_control: false,
    ..MessageRules::LITELLM
};

/// Every parameter sent but `user` (LiteLLM's `OpenAIGPTConfig` for a model not OpenAI's own).
const USER_UNSENT: ParamRules = ParamRules {
    unsent: ParamSet::of(&[Param::User]),
    ..BASE
};

/// A provider LiteLLM serves with `OpenAIGPTConfig`'s table as it stands (directly, through
/// `OpenAILikeChatConfig`, or as one of its JSON-configured providers, whose tools it allows
/// by the cost map), for a model not OpenAI's own: `user` not sent, `thinking` refused.
pub const OPENAI_LIKE: ParamRules = ParamRules {
    refused: ParamSet::of(&[Param::Thinking]),
    ..USER_UNSENT
};

/// As [`OPENAI_LIKE`], with `max_completion_tokens` sent as `max_tokens`
/// (`OpenAILikeChatConfig`, and the JSON-configured providers' `param_mappings`).
pub const OPENAI_LIKE_MAX_TOKENS: ParamRules = ParamRules {
    max_tokens_only: true,
    ..OPENAI_LIKE
};

/// As [`OPENAI_LIKE_MAX_TOKENS`], with `reasoning_effort` and `verbosity` never sent (the
/// JSON-configured providers whose models the cost map does not list).
pub const OPENAI_LIKE_NO_REASONING: ParamRules = ParamRules {
    unsent: ParamSet::of(&[Param::User, Param::ReasoningEffort, Param::Verbosity]),
    messages: MessageRules {
        validated: true,
        ..MessageRules::NONE
    },
    ..OPENAI_LIKE_MAX_TOKENS
};

/// qwencloud and qwen_ai_platform: as [`OPENAI_LIKE`], `cache_control` kept.
pub const QWEN: ParamRules = ParamRules {
    messages: KEEPS_CACHE_CONTROL,
    ..OPENAI_LIKE
};

/// docker_model_runner and publicai: as [`OPENAI_LIKE_MAX_TOKENS`], content lists sent as
/// their texts (`handle_messages_with_content_list_to_str_conversion`).
pub const CONTENT_AS_TEXT: ParamRules = ParamRules {
    messages: MessageRules {
        content_as_text: ContentAsText::Always,
        ..MessageRules::LITELLM
    },
    ..OPENAI_LIKE_MAX_TOKENS
};

/// modelscope: as [`OPENAI_LIKE`], lists of text parts sent as their texts.
pub const MODELSCOPE: ParamRules = ParamRules {
    messages: MessageRules {
        content_as_text: ContentAsText::TextOnly,
        ..MessageRules::LITELLM
    },
    ..OPENAI_LIKE
};

/// ovhcloud: as [`OPENAI_LIKE`], served by LiteLLM's own HTTP handler, its embeddings taking
/// none of `user`, `encoding_format`, `dimensions`.
pub const OVHCLOUD: ParamRules = stream_false(ParamRules {
    embedding_refused: &["user", "encoding_format", "dimensions"],
    ..OPENAI_LIKE
});

/// meta_llama: LiteLLM's LlamaAPIConfig: as [`OPENAI_LIKE`], `response_format` never sent.
pub const META_LLAMA: ParamRules = ParamRules {
    unsent: ParamSet::of(&[Param::User, Param::ResponseFormat]),
    ..OPENAI_LIKE
};

/// tencent: LiteLLM's TencentConfig: `user`, `reasoning_effort` and `thinking` never sent.
pub const TENCENT: ParamRules = ParamRules {
    unsent: ParamSet::of(&[Param::User, Param::ReasoningEffort, Param::Thinking]),
    ..BASE
};

/// litellm_proxy: LiteLLM's LiteLLMProxyChatConfig: everything sent but `thinking`, which
/// is left out.
pub const LITELLM_PROXY: ParamRules = ParamRules {
    unsent: ParamSet::of(&[Param::Thinking]),
    messages: KEEPS_CACHE_CONTROL,
    ..BASE
};

/// minimax: LiteLLM's MinimaxChatConfig, served by its own HTTP handler: `user` not sent.
pub const MINIMAX: ParamRules = stream_false(ParamRules {
    messages: KEEPS_CACHE_CONTROL,
    ..USER_UNSENT
});

/// The rules `rules` with `"stream": false` added where the client sent no `stream` (a
/// provider LiteLLM serves through its `BaseLLMHTTPHandler`).
pub const fn stream_false(rules: ParamRules) -> ParamRules {
    ParamRules {
        stream_false: true,
        ..rules
    }
}

/// groq: LiteLLM's GroqChatConfig (→ OpenAILikeChatConfig → OpenAIGPTConfig)
/// (llms/groq/chat/transformation.py). Sent whatever the model: `reasoning_effort`,
/// `response_format`, `web_search_options`.
pub const GROQ: ParamRules = ParamRules {
    refused: ParamSet::of(&[Param::Thinking]),
    unsent: ParamSet::of(&[Param::User]),
    max_tokens_only: true,
    stream_false: true,
    ..BASE
};

/// mistral: LiteLLM's MistralConfig (→ OpenAIGPTConfig) (llms/mistral/chat/transformation.py).
/// Sent whatever the model: `reasoning_effort`, `thinking`.
pub const MISTRAL: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::ResponseFormat,
        Param::Seed,
        Param::Tools,
        Param::ToolChoice,
        Param::ParallelToolCalls,
        Param::ReasoningEffort,
        Param::Thinking,
    ]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    max_tokens_only: true,
    tool_choice: ToolChoice::Mistral,
    random_seed: true,
    mistral_messages: true,
    embedding_refused: &["user", "dimensions"],
    ..BASE
};

/// perplexity: LiteLLM's PerplexityChatConfig (→ OpenAIGPTConfig)
/// (llms/perplexity/chat/transformation.py). Sent whatever the model: `reasoning_effort`,
/// `web_search_options`.
pub const PERPLEXITY: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::ResponseFormat,
        Param::ReasoningEffort,
        Param::WebSearchOptions,
    ]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    ..BASE
};

/// fireworks_ai: LiteLLM's FireworksAIConfig (→ FireworksAIMixin, OpenAIGPTConfig)
/// (llms/fireworks_ai/chat/transformation.py). Sent whatever the model: `parallel_tool_calls`,
/// `reasoning_effort`, `thinking`, `tool_choice`, `tools`.
pub const FIREWORKS_AI: ParamRules = ParamRules {
    refused: ParamSet::of(&[
        Param::Functions,
        Param::FunctionCall,
        Param::Modalities,
        Param::Audio,
        Param::Verbosity,
        Param::WebSearchOptions,
        Param::SafetyIdentifier,
        Param::Store,
        Param::PromptCacheRetention,
    ]),
    max_tokens_only: true,
    tool_choice: ToolChoice::RequiredAsAny,
    stream_false: true,
    embedding_refused: &["user", "encoding_format", "dimensions"],
    ..BASE
};

/// cerebras: LiteLLM's CerebrasConfig (→ OpenAIGPTConfig) (llms/cerebras/chat.py). Sent
/// whatever the model: `reasoning_effort`.
pub const CEREBRAS: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::ResponseFormat,
        Param::Seed,
        Param::Tools,
        Param::ToolChoice,
        Param::ReasoningEffort,
    ]),
    max_tokens_only: true,
    unsent: ParamSet::of(&[Param::StreamOptions]),
    ..BASE
};

/// deepinfra: LiteLLM's DeepInfraConfig (→ OpenAIGPTConfig)
/// (llms/deepinfra/chat/transformation.py). Sent whatever the model: `reasoning_effort`.
pub const DEEPINFRA: ParamRules = ParamRules {
    refused: ParamSet::of(&[
        Param::Modalities,
        Param::Prediction,
        Param::Audio,
        Param::Seed,
        Param::Logprobs,
        Param::TopLogprobs,
        Param::ParallelToolCalls,
        Param::Verbosity,
        Param::Thinking,
        Param::WebSearchOptions,
        Param::SafetyIdentifier,
        Param::Store,
        Param::PromptCacheKey,
        Param::ServiceTier,
        Param::PromptCacheRetention,
    ]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    max_tokens_only: true,
    tool_choice: ToolChoice::Never,
    messages: MessageRules {
        content_as_text: ContentAsText::ToolResult,
        ..MessageRules::LITELLM
    },
    ..BASE
};

/// nvidia_nim: LiteLLM's NvidiaNimConfig (→ OpenAIGPTConfig)
/// (llms/nvidia_nim/chat/transformation.py); its lists for a few named models (Gemma,
/// Nemotron 340B) are not followed.
pub const NVIDIA_NIM: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::ResponseFormat,
        Param::Seed,
        Param::Tools,
        Param::ToolChoice,
        Param::ParallelToolCalls,
    ]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    max_tokens_only: true,
    ..BASE
};

/// sambanova: LiteLLM's SambanovaConfig (→ OpenAIGPTConfig) (llms/sambanova/chat.py). Sent
/// whatever the model: `parallel_tool_calls`, `tool_choice`, `tools`.
pub const SAMBANOVA: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::ResponseFormat,
        Param::Tools,
        Param::ToolChoice,
        Param::ParallelToolCalls,
    ]),
    unsent: ParamSet::of(&[Param::User]),
    max_tokens_only: true,
    messages: MessageRules {
        content_as_text: ContentAsText::Always,
        ..MessageRules::LITELLM
    },
    ..BASE
};

/// ai21_chat: LiteLLM's AI21ChatConfig (→ OpenAILikeChatConfig → OpenAIGPTConfig); also used
/// for 'ai21' (llms/ai21/chat/transformation.py).
pub const AI21_CHAT: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::N,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::ResponseFormat,
        Param::Seed,
        Param::Tools,
        Param::ToolChoice,
    ]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    max_tokens_only: true,
    ..BASE
};

/// together_ai: LiteLLM's TogetherAIChatConfig (→ OpenAIGPTConfig)
/// (llms/together_ai/chat/transformation.py). Sent whatever the model: `reasoning_effort`,
/// `response_format`.
pub const TOGETHER_AI: ParamRules = ParamRules {
    refused: ParamSet::of(&[Param::Thinking]),
    unsent: ParamSet::of(&[Param::User]),
    stream_false: true,
    ..BASE
};

/// featherless_ai: LiteLLM's FeatherlessAIConfig (→ OpenAIGPTConfig)
/// (llms/featherless_ai/chat/transformation.py).
pub const FEATHERLESS_AI: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Functions,
        Param::FunctionCall,
        Param::Temperature,
        Param::TopP,
        Param::N,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::LogitBias,
    ]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    max_tokens_only: true,
    ..BASE
};

/// hyperbolic: LiteLLM's HyperbolicChatConfig (→ OpenAILikeChatConfig → OpenAIGPTConfig)
/// (llms/hyperbolic/chat/transformation.py).
pub const HYPERBOLIC: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::N,
        Param::Stop,
        Param::MaxTokens,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::ResponseFormat,
        Param::Seed,
        Param::Tools,
        Param::ToolChoice,
    ]),
    unsent: ParamSet::of(&[Param::StreamOptions]),
    ..BASE
};

/// maritalk: LiteLLM's MaritalkConfig (→ OpenAIGPTConfig) (llms/maritalk.py).
pub const MARITALK: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::N,
        Param::Stop,
        Param::MaxTokens,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::Tools,
        Param::ToolChoice,
    ]),
    unsent: ParamSet::of(&[Param::User]),
    stream_false: true,
    messages: KEEPS_CACHE_CONTROL,
    ..BASE
};

/// nscale: LiteLLM's NscaleConfig (→ OpenAIGPTConfig) (llms/nscale/chat/transformation.py).
pub const NSCALE: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::N,
        Param::Stop,
        Param::MaxTokens,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::LogitBias,
        Param::ResponseFormat,
        Param::Logprobs,
        Param::TopLogprobs,
    ]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    ..BASE
};

/// zai: LiteLLM's ZAIChatConfig (→ OpenAIGPTConfig) (llms/zai/chat/transformation.py). Sent
/// whatever the model: `thinking`.
pub const ZAI: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::Stop,
        Param::MaxTokens,
        Param::Tools,
        Param::ToolChoice,
        Param::Thinking,
    ]),
    unsent: ParamSet::of(&[Param::User]),
    messages: KEEPS_CACHE_CONTROL,
    ..BASE
};

/// inception: LiteLLM's InceptionChatConfig (→ OpenAILikeChatConfig → OpenAIGPTConfig)
/// (llms/inception/chat/transformation.py).
pub const INCEPTION: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::ResponseFormat,
        Param::Tools,
        Param::ToolChoice,
        Param::ReasoningEffort,
    ]),
    unsent: ParamSet::of(&[Param::User]),
    max_tokens_only: true,
    ..BASE
};

/// moonshot: LiteLLM's MoonshotChatConfig (→ OpenAIGPTConfig)
/// (llms/moonshot/chat/transformation.py): `functions` and (on the models that do not
/// reason) `reasoning_effort` refused, `max_completion_tokens` as `max_tokens`, the
/// temperature clamped, `tool_choice: "required"` as an appended user turn, content lists as
/// text unless a message has another part. Sent whatever the model: `response_format`,
/// `tool_choice`, `tools` (LiteLLM refuses tools on kimi-thinking-preview).
pub const MOONSHOT: ParamRules = ParamRules {
    refused: ParamSet::of(&[Param::Functions, Param::Thinking, Param::ReasoningEffort]),
    unsent: ParamSet::of(&[Param::User]),
    max_tokens_only: true,
    clamp_temperature: true,
    tool_choice: ToolChoice::RequiredAsMessage,
    messages: MessageRules {
        content_as_text: ContentAsText::UnlessNonText,
        ..MessageRules::LITELLM
    },
    ..BASE
};

/// moonshot for the models LiteLLM's cost map says reason: as [`MOONSHOT`], with
/// `reasoning_effort` (as its level's string), no `temperature`, and a `reasoning_content` on
/// each assistant turn with tool calls (`fill_reasoning_content`).
pub const MOONSHOT_REASONING: ParamRules = ParamRules {
    refused: ParamSet::of(&[Param::Functions, Param::Thinking]),
    unsent: ParamSet::of(&[Param::User, Param::Temperature]),
    clamp_temperature: false,
    effort_as_string: true,
    messages: MessageRules {
        reasoning_fill: ReasoningFill::ToolCalls,
        ..MOONSHOT.messages
    },
    ..MOONSHOT
};

/// v0: LiteLLM's V0ChatConfig (→ OpenAILikeChatConfig → OpenAIGPTConfig)
/// (llms/v0/chat/transformation.py).
pub const V0: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[Param::Tools, Param::ToolChoice]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    ..BASE
};

/// morph: LiteLLM's MorphChatConfig (→ OpenAILikeChatConfig → OpenAIGPTConfig)
/// (llms/morph/chat/transformation.py).
pub const MORPH: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    ..BASE
};

/// volcengine: LiteLLM's VolcEngineChatConfig (litellm.VolcEngineConfig; → OpenAILikeChatConfig
/// → OpenAIGPTConfig) (llms/volcengine/chat/transformation.py).
pub const VOLCENGINE: ParamRules = ParamRules {
    refused: ParamSet::of(&[
        Param::Modalities,
        Param::Prediction,
        Param::Audio,
        Param::ResponseFormat,
        Param::ParallelToolCalls,
        Param::ReasoningEffort,
        Param::Verbosity,
        Param::WebSearchOptions,
        Param::SafetyIdentifier,
        Param::Store,
        Param::PromptCacheKey,
        Param::ServiceTier,
        Param::PromptCacheRetention,
    ]),
    unsent: ParamSet::of(&[Param::User]),
    max_tokens_only: true,
    embedding_refused: &["dimensions"],
    ..BASE
};

/// amazon_nova: LiteLLM's AmazonNovaChatConfig (→ OpenAILikeChatConfig → OpenAIGPTConfig)
/// (llms/amazon_nova/chat/transformation.py).
pub const AMAZON_NOVA: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::Stop,
        Param::MaxTokens,
        Param::MaxCompletionTokens,
        Param::Tools,
        Param::ToolChoice,
        Param::ReasoningEffort,
    ]),
    unsent: ParamSet::of(&[Param::User]),
    max_tokens_only: true,
    stream_false: true,
    messages: KEEPS_CACHE_CONTROL,
    ..BASE
};

/// nadir: LiteLLM's NadirConfig (→ OpenAIGPTConfig) (llms/nadir/chat/transformation.py).
pub const NADIR: ParamRules = ParamRules {
    refused: ParamSet::all_but(&[
        Param::Temperature,
        Param::TopP,
        Param::MaxTokens,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::ResponseFormat,
    ]),
    unsent: ParamSet::of(&[Param::User, Param::StreamOptions]),
    stream_false: true,
    ..BASE
};

/// sail: LiteLLM's SailChatConfig (→ OpenAIGPTConfig) (llms/sail/chat/transformation.py). Sent
/// whatever the model: `response_format`.
pub const SAIL: ParamRules = ParamRules {
    refused: ParamSet::of(&[
        Param::Stop,
        Param::PresencePenalty,
        Param::FrequencyPenalty,
        Param::LogitBias,
        Param::Seed,
        Param::Logprobs,
        Param::TopLogprobs,
        Param::Thinking,
    ]),
    ..BASE
};

/// xai: LiteLLM's XAIChatConfig (→ OpenAIGPTConfig) (llms/xai/chat/transformation.py). Sent
/// whatever the model: `frequency_penalty`, `reasoning_effort`, `stop`.
pub const XAI: ParamRules = ParamRules {
    refused: ParamSet::of(&[
        Param::Functions,
        Param::FunctionCall,
        Param::Modalities,
        Param::Prediction,
        Param::Audio,
        Param::Verbosity,
        Param::Thinking,
        Param::SafetyIdentifier,
        Param::Store,
        Param::PromptCacheKey,
        Param::ServiceTier,
        Param::PromptCacheRetention,
    ]),
    max_tokens_only: true,
    tools_without_strict: true,
    stream_false: true,
    ..BASE
};

/// deepseek: LiteLLM's DeepSeekChatConfig (→ OpenAIGPTConfig)
/// (llms/deepseek/chat/transformation.py). Sent whatever the model: `response_format`.
pub const DEEPSEEK: ParamRules = ParamRules {
    refused: ParamSet::of(&[]),
    unsent: ParamSet::of(&[Param::User]),
    thinking_type: true,
    stream_false: true,
    messages: MessageRules {
        content_as_text: ContentAsText::Always,
        ..MessageRules::LITELLM
    },
    ..BASE
};

/// deepseek for the models LiteLLM's cost map says reason: as [`DEEPSEEK`], an assistant turn
/// without `reasoning_content` filled when thinking is on (`_fill_reasoning_content`).
pub const DEEPSEEK_REASONING: ParamRules = ParamRules {
    messages: MessageRules {
        reasoning_fill: ReasoningFill::Assistant,
        ..DEEPSEEK.messages
    },
    ..DEEPSEEK
};

/// hosted_vllm: LiteLLM's HostedVLLMChatConfig (→ OpenAIGPTConfig)
/// (llms/hosted_vllm/chat/transformation.py). Sent whatever the model: `response_format`.
pub const HOSTED_VLLM: ParamRules = ParamRules {
    thinking_as_effort: true,
    stream_false: true,
    messages: MessageRules {
        content_as_text: ContentAsText::AssistantTextOnly,
        ..MessageRules::LITELLM
    },
    ..USER_UNSENT
};

/// lm_studio: LiteLLM's LMStudioChatConfig (→ OpenAIGPTConfig)
/// (llms/lm_studio/chat/transformation.py). Sent whatever the model: `response_format`.
pub const LM_STUDIO: ParamRules = ParamRules {
    refused: ParamSet::of(&[Param::ReasoningEffort, Param::Thinking]),
    unsent: ParamSet::of(&[Param::User]),
    embedding_refused: &["user", "encoding_format", "dimensions"],
    ..BASE
};

/// openrouter: LiteLLM's OpenrouterConfig (→ OpenAIGPTConfig)
/// (llms/openrouter/chat/transformation.py). Sent whatever the model: `response_format`.
pub const OPENROUTER: ParamRules = ParamRules {
    usage_include: true,
    stream_false: true,
    ..USER_UNSENT
};

/// dashscope: LiteLLM's DashScopeChatConfig (→ OpenAIGPTConfig)
/// (llms/dashscope/chat/transformation.py). Sent whatever the model: `response_format`.
pub const DASHSCOPE: ParamRules = ParamRules {
    refused: ParamSet::of(&[Param::Thinking]),
    unsent: ParamSet::of(&[Param::User]),
    messages: KEEPS_CACHE_CONTROL,
    ..BASE
};
