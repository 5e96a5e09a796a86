//! The Bedrock family (Converse API): chat completions to `POST /model/{modelId}/converse`
//! and `/converse-stream`, signed with SigV4 (or a Bedrock API key as a bearer token), and
//! back, as LiteLLM 1.108.7's `AmazonConverseConfig` does. Each part is a pure function:
//! [`head`] (URL and signing; time and credentials as arguments), [`request`], [`response`],
//! [`stream`] (AWS event-stream messages, framed by [`eventstream`]) and [`error`].

pub mod count;
pub mod embed;
pub mod error;
pub mod eventstream;
pub mod head;
pub mod invoke;
pub mod request;
pub mod rerank;
pub mod response;
pub mod stream;

pub use request::transform_request;
pub use response::transform_response;
pub use stream::ChatStream;

/// The region and model id of a `bedrock/` provider model: `converse/` dropped, a leading
/// region segment (`bedrock/us-east-1/anthropic...`) taken as the region, a `nova/` or
/// `nova-2/` spec prefix dropped (LiteLLM's `BedrockConverseLLM.completion`).
pub fn model_id(provider_model: &str) -> (Option<&str>, &str) {
    let model = provider_model
        .strip_prefix("converse/")
        .unwrap_or(provider_model);
    let (region, model) = match model.split_once('/') {
        Some((first, rest)) if is_region(first) => (Some(first), rest),
        _ => (None, model),
    };
    let model = model
        .strip_prefix("nova-2/")
        .or_else(|| model.strip_prefix("nova/"))
        .unwrap_or(model);
    (region, model)
}

/// The region of a model that holds a Bedrock ARN (`arn:aws:bedrock:us-west-2::...`, other
/// partitions too), as LiteLLM's `_get_aws_region_from_model_arn` reads it: the fourth
/// `:`-separated part of the whole model, when it looks like a region.
pub fn arn_region(model: &str) -> Option<&str> {
    let is_arn = model.match_indices("arn:aws").any(|(at, m)| {
        let rest = &model[at + m.len()..];
        let rest = match rest.strip_prefix('-') {
            Some(partition) => partition.trim_start_matches(|c: char| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
            }),
            None => rest,
        };
        rest.starts_with(":bedrock")
    });
    let region = model.split(':').nth(3).filter(|_| is_arn)?;
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then_some(region)
}

/// An AWS region name (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// The foundation model of an id (LiteLLM's `get_bedrock_base_model`): an ARN's resource
/// after its last `/`, without a cross-region inference prefix (`us.`, `eu.`, `global.`, ...).
pub fn base_model(id: &str) -> &str {
    let id = if id.starts_with("arn:") {
        id.rsplit('/').next().unwrap_or(id)
    } else {
        id
    };
    for prefix in ["global.", "us-gov.", "us.", "eu.", "apac.", "jp.", "au."] {
        if let Some(rest) = id.strip_prefix(prefix) {
            return rest;
        }
    }
    id
}

/// An Anthropic model (Claude) on Bedrock.
pub fn is_anthropic(id: &str) -> bool {
    base_model(id).starts_with("anthropic.")
}

/// Foundation model families LiteLLM sends through Converse (its `BEDROCK_CONVERSE_MODELS`,
/// as prefixes, so newer versions of a family route the same way).
const CONVERSE_FAMILIES: &[&str] = &[
    "anthropic.claude",
    "meta.llama3",
    "meta.llama4",
    "mistral.",
    "amazon.nova",
    "ai21.jamba",
    "writer.palmyra",
    "qwen.",
    "deepseek.",
    "openai.",
    "minimax.",
    "moonshotai.",
];

/// Whether a `bedrock/` provider model goes to Converse (what this family serves), as
/// LiteLLM's `get_bedrock_route` decides it: an explicit `converse/` route, a `nova/` spec, an
/// application inference profile, or a model of a Converse family. Other models (Titan,
/// Cohere, the `invoke/` route, ...) use the Invoke API.
pub fn is_converse_model(provider_model: &str) -> bool {
    if provider_model.starts_with("converse/") {
        return true;
    }
    if provider_model.starts_with("invoke/") || provider_model.contains("/invoke/") {
        return false;
    }
    let (_, id) = model_id(provider_model);
    if id.contains(":application-inference-profile/") {
        return true;
    }
    let base = base_model(id);
    provider_model.contains("nova/")
        || provider_model.contains("nova-2/")
        || CONVERSE_FAMILIES.iter().any(|f| base.starts_with(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_regions_and_routes() {
        assert_eq!(
            model_id("converse/us-east-1/anthropic.claude-3-haiku-20240307-v1:0"),
            (Some("us-east-1"), "anthropic.claude-3-haiku-20240307-v1:0")
        );
        assert_eq!(model_id("nova/my-model"), (None, "my-model"));
        assert_eq!(
            model_id(
                "arn:aws:bedrock:us-east-1:1:inference-profile/us.meta.llama3-1-8b-instruct-v1:0"
            ),
            (
                None,
                "arn:aws:bedrock:us-east-1:1:inference-profile/us.meta.llama3-1-8b-instruct-v1:0"
            )
        );
        assert_eq!(
            base_model(
                "arn:aws:bedrock:us-east-1:1:inference-profile/us.meta.llama3-1-8b-instruct-v1:0"
            ),
            "meta.llama3-1-8b-instruct-v1:0"
        );
        assert!(is_anthropic(
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
        ));
        for converse in [
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "converse/my-imported-model",
            "amazon.nova-pro-v1:0",
            "eu-west-1/mistral.mistral-large-2407-v1:0",
        ] {
            assert!(is_converse_model(converse), "{converse}");
        }
        for invoke in [
            "amazon.titan-text-express-v1",
            "cohere.command-r-v1:0",
            "invoke/anthropic.claude-3-haiku-20240307-v1:0",
            "foo.bar-v1",
        ] {
            assert!(!is_converse_model(invoke), "{invoke}");
        }
        assert!(is_region("us-gov-west-1") && is_region("ap-southeast-2"));
        assert!(!is_region("anthropic.claude") && !is_region("us-east") && !is_region("x-y-1"));
    }

    #[test]
    fn arn_regions() {
        let arn = "arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0";
        assert_eq!(arn_region(arn), Some("us-west-2"));
        assert_eq!(arn_region(&format!("bedrock/{arn}")), Some("us-west-2"));
        assert_eq!(
            arn_region("arn:aws-us-gov:bedrock:us-gov-west-1:1:inference-profile/x"),
            Some("us-gov-west-1")
        );
        assert_eq!(arn_region("arn:aws:bedrock:::foundation-model/x"), None);
        assert_eq!(arn_region("arn:aws:s3:us-east-1::bucket"), None);
        assert_eq!(arn_region("anthropic.claude-3-haiku-20240307-v1:0"), None);
    }
}
