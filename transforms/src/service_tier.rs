//! The service tier a request ran on, for the `service_tier` label of LiteLLM's metrics
//! (litellm_core_utils/service_tier_utils.py): the tier the provider reports it served (a
//! response's top-level `service_tier`) wins over the tier the client asked for (the request's
//! `service_tier`), which counts only when it names a known tier. Both are kept to the known
//! tiers here, so that a label value can never be minted by a client or a provider.

/// A tier LiteLLM knows: its `ServiceTier` enum plus the request tiers it accepts
/// (`KNOWN_REQUEST_SERVICE_TIERS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceTier {
    Auto,
    Flex,
    Balanced,
    Priority,
    Fast,
    Ultrafast,
    Batch,
    Default,
    Scale,
    Standard,
    StandardOnly,
}

impl ServiceTier {
    const ALL: [ServiceTier; 11] = [
        ServiceTier::Auto,
        ServiceTier::Flex,
        ServiceTier::Balanced,
        ServiceTier::Priority,
        ServiceTier::Fast,
        ServiceTier::Ultrafast,
        ServiceTier::Batch,
        ServiceTier::Default,
        ServiceTier::Scale,
        ServiceTier::Standard,
        ServiceTier::StandardOnly,
    ];

    /// The tier `name` spells exactly, if a known one.
    pub fn from_name(name: &str) -> Option<ServiceTier> {
        ServiceTier::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            ServiceTier::Auto => "auto",
            ServiceTier::Flex => "flex",
            ServiceTier::Balanced => "balanced",
            ServiceTier::Priority => "priority",
            ServiceTier::Fast => "fast",
            ServiceTier::Ultrafast => "ultrafast",
            ServiceTier::Batch => "batch",
            ServiceTier::Default => "default",
            ServiceTier::Scale => "scale",
            ServiceTier::Standard => "standard",
            ServiceTier::StandardOnly => "standard_only",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for t in ServiceTier::ALL {
            assert_eq!(ServiceTier::from_name(t.name()), Some(t));
        }
        assert_eq!(ServiceTier::from_name("Default"), None);
        assert_eq!(ServiceTier::from_name("gold"), None);
        assert_eq!(ServiceTier::from_name(""), None);
    }
}
