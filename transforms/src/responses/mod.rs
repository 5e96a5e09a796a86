//! OpenAI's Responses API (`POST /v1/responses`, and `GET`/`DELETE /v1/responses/{id}`,
//! `/input_items`, `/cancel`), as LiteLLM 1.108.7's proxy serves it to a provider that has the
//! API itself (openai, azure, hosted_vllm, ...):
//!
//! - [`request`]: the client's body with LiteLLM's parameters only, in its order;
//! - [`object`]: an answer rebuilt as LiteLLM's `ResponsesAPIResponse` (its field order, the
//!   missing fields as `null`, output items and usage in the OpenAI SDK's shapes);
//! - [`stream`]: the stream's events without their `event:` lines, each with the client's
//!   `model`, ended by `data: [DONE]`; a failure as one `response.failed` event;
//! - ids ([`encode_id`], [`decode_id`]): the provider's response id wrapped with the provider
//!   and the deployment's id, so a later `GET`, `DELETE` or `previous_response_id` finds the
//!   deployment that holds the response (LiteLLM's `responses/utils.py`, so ids one gateway
//!   issued are read by the other).

pub mod bridge;
pub mod bridge_stream;
pub mod object;
pub mod request;
pub mod stream;

use base64::Engine;

/// What LiteLLM puts before the base64 of a wrapped response id.
const ID_PREFIX: &str = "resp_";

/// The client's id for `response_id` of `provider`'s deployment `model_id`: LiteLLM's
/// `_build_responses_api_response_id` (`"resp_"` and the standard base64, padded, of
/// `litellm:custom_llm_provider:{p};model_id:{id};response_id:{r}`; a deployment without an id
/// is `None`, as Python formats it).
pub fn encode_id(provider: &str, model_id: Option<&str>, response_id: &str) -> String {
    let plain = format!(
        "litellm:custom_llm_provider:{provider};model_id:{};response_id:{response_id}",
        model_id.unwrap_or("None")
    );
    let mut out = String::with_capacity(ID_PREFIX.len() + plain.len() * 4 / 3 + 4);
    out.push_str(ID_PREFIX);
    base64::engine::general_purpose::STANDARD.encode_string(plain, &mut out);
    out
}

/// A wrapped id read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedId {
    pub provider: String,
    /// The deployment's id (`"None"` when the issuing deployment had none, as LiteLLM
    /// writes it).
    pub model_id: String,
    /// The provider's own id.
    pub response_id: String,
}

/// Reads an id [`encode_id`] wrote; `None` for any other id (the provider's own, passed on
/// as it is). As LiteLLM's `decode_responses_api_response_id`: every `resp_` is removed,
/// characters outside base64's alphabet are skipped, and the text must hold a `;`.
pub fn decode_id(id: &str) -> Option<DecodedId> {
    let cleaned: String = id
        .replace(ID_PREFIX, "")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split(';');
    let (provider, model_id, response_id) = (parts.next()?, parts.next()?, parts.next()?);
    Some(DecodedId {
        provider: provider.replace("litellm:custom_llm_provider:", ""),
        model_id: model_id.replace("model_id:", ""),
        response_id: response_id.replace("response_id:", ""),
    })
}

/// The provider's own id behind a client's id (`previous_response_id`, a path's id): the
/// wrapped one's, else the id as it came.
pub fn provider_id(id: &str) -> std::borrow::Cow<'_, str> {
    match decode_id(id) {
        Some(d) => std::borrow::Cow::Owned(d.response_id),
        None => std::borrow::Cow::Borrowed(id),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_encode_as_litellm_does() {
        // From a LiteLLM 1.108.7 proxy (no master key), deployment `model_info.id: my-deploy-1`.
        let id = encode_id("openai", Some("my-deploy-1"), "resp_0abc123");
        assert_eq!(
            id,
            "resp_bGl0ZWxsbTpjdXN0b21fbGxtX3Byb3ZpZGVyOm9wZW5haTttb2RlbF9pZDpteS1kZXBsb3ktMTtyZXNwb25zZV9pZDpyZXNwXzBhYmMxMjM="
        );
        let back = decode_id(&id).unwrap();
        assert_eq!(back.provider, "openai");
        assert_eq!(back.model_id, "my-deploy-1");
        assert_eq!(back.response_id, "resp_0abc123");
        assert_eq!(provider_id(&id), "resp_0abc123");
        assert_eq!(
            decode_id(&encode_id("azure", None, "r")).unwrap().model_id,
            "None"
        );
    }

    #[test]
    fn other_ids_pass_as_they_are() {
        for id in [
            "resp_0abc123",
            "resp_",
            "",
            "resp_!!!",
            "chatcmpl-1",
            "resp_aGk=",
        ] {
            assert_eq!(decode_id(id), None, "{id}");
            assert_eq!(provider_id(id), id);
        }
    }
}
