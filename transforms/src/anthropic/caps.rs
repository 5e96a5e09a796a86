//! What a Claude model accepts, where LiteLLM reshapes a Messages request by it. LiteLLM reads
//! these from its model cost map (`supports_reasoning`, `supports_adaptive_thinking`,
//! `supports_output_config`, `supports_mid_conversation_system`,
//! `cache_creation_input_token_cost_above_1hr`, `supports_native_structured_output`); corelane
//! carries no cost map, so the facts are written here per Claude generation, as the map of
//! LiteLLM 1.108.7 has them for Bedrock's Claude models (ids with or without a cross-region
//! prefix, dated or not), which Vertex AI's Claude models share. A model id that names no Claude generation gets no capability.

/// A Claude model's name as its generation: family and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Generation<'m> {
    family: &'m str,
    major: u32,
    minor: u32,
    /// `mythos-preview`: a family without a version number.
    preview: bool,
}

fn generation(model: &str) -> Option<Generation<'_>> {
    let at = model.find("claude-")? + "claude-".len();
    let mut parts = model[at..].split(['-', '@', ':', '.']);
    let version = |s: &str| (s.len() == 1).then(|| s.parse::<u32>().ok()).flatten();
    let first = parts.next()?;
    // The old names: claude-3-5-sonnet, claude-3-opus.
    if let Some(major) = version(first) {
        let second = parts.next()?;
        return Some(match version(second) {
            Some(minor) => Generation {
                family: parts.next()?,
                major,
                minor,
                preview: false,
            },
            None => Generation {
                family: second,
                major,
                minor: 0,
                preview: false,
            },
        });
    }
    // The new names: claude-sonnet-4-5-20250929, claude-opus-4, claude-mythos-preview.
    let family = first;
    match parts.next() {
        Some("preview") => Some(Generation {
            family,
            major: 0,
            minor: 0,
            preview: true,
        }),
        Some(s) => {
            let major = version(s)?;
            let minor = parts.next().and_then(version).unwrap_or(0);
            Some(Generation {
                family,
                major,
                minor,
                preview: false,
            })
        }
        None => None,
    }
}

/// What a Claude model on Bedrock accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaudeCaps {
    /// Extended thinking (`thinking.type: enabled`): Claude 3.7 and later.
    pub reasoning: bool,
    /// Adaptive thinking and effort levels natively: Claude 4.6 and later.
    pub adaptive: bool,
    /// `output_config.effort`: Opus 4.5, the adaptive models and Mythos.
    pub output_config: bool,
    /// `role: "system"` turns in the middle of `messages`: Claude 4.8 and later.
    pub mid_conversation_system: bool,
    /// A `ttl` on `cache_control`: Claude 4.5 and later.
    pub prompt_cache_ttl: bool,
    /// `output_config.format` enforced by Bedrock: Claude 4.5 and 4.6.
    pub native_structured_output: bool,
    /// Opus 4.5: an effort of `xhigh` or `max` is refused (only low, medium and high).
    pub effort_up_to_high: bool,
}

impl ClaudeCaps {
    /// The capabilities of a Claude model by its Bedrock id (`anthropic.claude-...`,
    /// `us.anthropic.claude-...`) or Vertex AI name (`claude-sonnet-4-5@20250929`).
    pub fn of(model: &str) -> ClaudeCaps {
        let Some(g) = generation(model) else {
            return ClaudeCaps::default();
        };
        let version = (g.major, g.minor);
        let named_family = matches!(g.family, "fable" | "mythos");
        let adaptive =
            version >= (4, 6) || g.family == "fable" || (g.family == "mythos" && !g.preview);
        let opus_4_5 = g.family == "opus" && version == (4, 5);
        ClaudeCaps {
            reasoning: version >= (3, 7) || named_family,
            adaptive,
            output_config: adaptive || opus_4_5 || g.family == "mythos",
            mid_conversation_system: version >= (4, 8)
                || g.family == "fable"
                || (g.family == "mythos" && !g.preview),
            prompt_cache_ttl: version >= (4, 5) || named_family,
            native_structured_output: version == (4, 5)
                || version == (4, 6)
                || (g.family == "mythos" && !g.preview),
            effort_up_to_high: opus_4_5,
        }
    }

    /// Whether LiteLLM's `_supports_extended_thinking_on_bedrock` holds: the adaptive models,
    /// and by name Opus 4.5, 4.1 and 4 and Sonnet 4.
    pub fn extended_thinking_on_bedrock(&self, model: &str) -> bool {
        let lower = model.to_ascii_lowercase();
        self.adaptive
            || [
                "opus-4.5", "opus_4.5", "opus-4-5", "opus_4_5", "opus-4.1", "opus_4.1", "opus-4-1",
                "opus_4_1", "opus-4", "opus_4", "sonnet-4", "sonnet_4",
            ]
            .iter()
            .any(|p| lower.contains(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_by_name() {
        let caps = ClaudeCaps::of;
        // As the cost map has them (LiteLLM 1.108.7).
        let old = caps("anthropic.claude-3-5-sonnet-20240620-v1:0");
        assert_eq!(old, ClaudeCaps::default());
        assert!(caps("us.anthropic.claude-3-7-sonnet-20250219-v1:0").reasoning);
        let s45 = caps("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assert!(s45.reasoning && !s45.adaptive && !s45.output_config && s45.prompt_cache_ttl);
        assert!(s45.native_structured_output && !s45.mid_conversation_system);
        let s4 = caps("anthropic.claude-sonnet-4-20250514-v1:0");
        assert!(s4.reasoning && !s4.prompt_cache_ttl);
        let o45 = caps("anthropic.claude-opus-4-5-20251101-v1:0");
        assert!(o45.output_config && !o45.adaptive && o45.effort_up_to_high);
        let o46 = caps("global.anthropic.claude-opus-4-6-v1");
        assert!(o46.adaptive && o46.output_config && o46.native_structured_output);
        let o48 = caps("anthropic.claude-opus-4-8");
        assert!(o48.mid_conversation_system && !o48.native_structured_output);
        let preview = caps("anthropic.claude-mythos-preview");
        assert!(preview.reasoning && preview.output_config && !preview.adaptive);
        assert!(caps("anthropic.claude-fable-5-1").mid_conversation_system);
        assert!(!caps("anthropic.claude-v2:1").reasoning);
        assert!(!caps("anthropic.claude-instant-v1").reasoning);
        assert_eq!(caps("meta.llama3-70b"), ClaudeCaps::default());
    }

    #[test]
    fn extended_thinking_by_name() {
        let m = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        assert!(ClaudeCaps::of(m).extended_thinking_on_bedrock(m));
        let m = "anthropic.claude-3-7-sonnet-20250219-v1:0";
        assert!(!ClaudeCaps::of(m).extended_thinking_on_bedrock(m));
    }
}
