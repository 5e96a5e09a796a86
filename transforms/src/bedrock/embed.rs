//! Embeddings on Bedrock's Invoke API (`POST /model/{modelId}/invoke`), as LiteLLM 1.108.7's
//! `BedrockEmbedding` sends them:
//!
//! - Titan text (`amazon.titan-embed-text-v1`, `-g1-text-02`, `-text-v2:0`) and Titan
//!   multimodal (`amazon.titan-embed-image-v1`) take one input a request: `{"inputText": ...}`
//!   (or `{"inputImage": base64}` for a `data:` URL on the multimodal model), v2's and the
//!   multimodal model's parameters merged in; the answers are put together in input order, the
//!   usage the sum of their `inputTextTokenCount`;
//! - Cohere (`cohere.embed-*`) takes every input at once, in Cohere's embed body restricted to
//!   the keys Bedrock takes; its answer carries no usage, so the prompt tokens are tiktoken's
//!   count of the texts, as LiteLLM counts them.
//!
//! OpenAI parameters a model has no field for get LiteLLM's `UnsupportedParamsError`.

use crate::anthropic::request::{invalid, unsupported, Result};
use crate::anthropic::TransformError;
use crate::json::top_members;
use crate::json::value::{answer_object, elements, get, is_object, key_of, py_repr, string};
use crate::json::{write_json_string, write_string_list, write_u64};
use crate::usage::Usage;

/// Which embedding API a Bedrock model speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedModel {
    /// Titan text v1 (and G1): no parameters.
    TitanV1,
    /// Titan text v2: `dimensions`, `embeddingTypes`, its own fields passed through.
    TitanV2,
    /// Titan multimodal: text or a base64 image, `embeddingConfig`.
    TitanImage,
    /// Cohere Embed: all inputs in one request.
    Cohere,
}

impl EmbedModel {
    /// The embedding API of a `bedrock/` provider model, if it is an embedding model
    /// (LiteLLM tests these names with `in`).
    pub fn of(provider_model: &str) -> Option<EmbedModel> {
        let id = super::invoke::invoke_model_id(provider_model);
        if id.contains("amazon.titan-embed-text-v1") || id.contains("amazon.titan-embed-g1-text-02")
        {
            Some(EmbedModel::TitanV1)
        } else if id.contains("amazon.titan-embed-text-v2") {
            Some(EmbedModel::TitanV2)
        } else if id.contains("amazon.titan-embed-image-v1") {
            Some(EmbedModel::TitanImage)
        } else if super::base_model(id).starts_with("cohere.embed") {
            Some(EmbedModel::Cohere)
        } else {
            None
        }
    }

    /// Titan takes one input a request.
    pub fn one_input_a_request(self) -> bool {
        self != EmbedModel::Cohere
    }

    /// The OpenAI parameters the model maps (`get_supported_openai_params`).
    fn supports(self, param: &str) -> bool {
        match self {
            EmbedModel::TitanV1 => false,
            EmbedModel::TitanV2 | EmbedModel::Cohere => {
                matches!(param, "dimensions" | "encoding_format")
            }
            EmbedModel::TitanImage => param == "dimensions",
        }
    }
}

/// At most this many inputs a request (OpenAI's limit): Titan costs a request each.
pub const MAX_INPUTS: usize = 2048;

/// Request keys that are the gateway's or LiteLLM's own, never a provider's.
const OWN_KEYS: &[&str] = &[
    "model",
    "input",
    "user",
    "encoding_format",
    "dimensions",
    "metadata",
    "litellm_metadata",
    "fallbacks",
    "context_window_fallbacks",
    "num_retries",
    "timeout",
    "request_timeout",
    "mock_response",
    "tags",
    "guardrails",
    "caching",
    "cache",
    "drop_params",
    "allowed_openai_params",
];

/// The client's inputs, as strings.
fn inputs(body: &[u8]) -> Result<Vec<String>> {
    let input = get(body, "input").ok_or_else(|| invalid("input is required"))?;
    let items = match elements(input) {
        Some(items) => items,
        None => vec![input],
    };
    if items.is_empty() {
        return Err(invalid("input must not be empty"));
    }
    if items.len() > MAX_INPUTS {
        return Err(invalid(format!(
            "input must have at most {MAX_INPUTS} items"
        )));
    }
    items
        .into_iter()
        .map(|item| {
            string(item).ok_or_else(|| {
                unsupported("embedding inputs other than strings (token arrays) on Bedrock")
            })
        })
        .collect()
}

/// The OpenAI parameters the client set (not null), in LiteLLM's order, refused where the
/// model has no field for them.
fn checked_params<'b>(
    body: &'b [u8],
    model: EmbedModel,
    model_id: &str,
) -> Result<[Option<&'b [u8]>; 2]> {
    let [user, encoding_format, dimensions] =
        crate::json::value::fields(body, ["user", "encoding_format", "dimensions"]);
    let set = |v: Option<&'b [u8]>| v.filter(|v| *v != b"null");
    let mut refused = String::new();
    let mut names = Vec::new();
    for (name, v) in [
        ("user", set(user)),
        ("encoding_format", set(encoding_format)),
        ("dimensions", set(dimensions)),
    ] {
        let Some(v) = v else { continue };
        if !model.supports(name) {
            names.push(name.to_owned());
            refused.push_str(if refused.is_empty() { "{" } else { ", " });
            refused.push('\'');
            refused.push_str(name);
            refused.push_str("': ");
            py_repr(v, &mut refused);
        }
    }
    if !refused.is_empty() {
        return Err(TransformError::UnsupportedParams {
            message: format!(
                "bedrock does not support parameters: {refused}}}, for model={model_id}. To drop these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n"
            ),
            params: names,
        });
    }
    if let Some(d) = set(dimensions) {
        if !d.iter().all(u8::is_ascii_digit) {
            return Err(invalid("dimensions must be an integer"));
        }
    }
    Ok([set(encoding_format), set(dimensions)])
}

/// The Titan requests of one client request: one per input, in order, each body built only
/// when it is sent ([`TitanRequests::body`]).
#[derive(Debug)]
pub struct TitanRequests {
    model: EmbedModel,
    inputs: Vec<String>,
    /// v2's and the multimodal model's parameters, merged into every body (`,"k":v` each).
    params: Vec<u8>,
}

/// The Titan requests for the client's `body`.
pub fn titan_requests(body: &[u8], provider_model: &str) -> Result<TitanRequests> {
    let model_id = super::invoke::invoke_model_id(provider_model);
    let model = EmbedModel::of(provider_model)
        .filter(|m| m.one_input_a_request())
        .ok_or_else(|| unsupported("this Bedrock model is not a Titan embedding model"))?;
    let [encoding_format, dimensions] = checked_params(body, model, model_id)?;
    let mut params = Vec::new();
    let mut written: Vec<&str> = vec!["inputText", "inputImage"];
    let mut param = |key: &str, value: &[u8], written: &mut Vec<&str>| -> Result<()> {
        if written.contains(&key) {
            return Err(invalid(format!(
                "`{key}` is set by the gateway from the request; it cannot be sent too"
            )));
        }
        params.push(b',');
        write_json_string(key, &mut params);
        params.push(b':');
        params.extend_from_slice(value);
        Ok(())
    };
    match model {
        EmbedModel::TitanV2 => {
            if let Some(d) = dimensions {
                param("dimensions", d, &mut written)?;
                written.push("dimensions");
            }
            if let Some(f) = encoding_format {
                let kind = if f == b"\"base64\"" {
                    "binary"
                } else {
                    "float"
                };
                param(
                    "embeddingTypes",
                    format!("[\"{kind}\"]").as_bytes(),
                    &mut written,
                )?;
                written.push("embeddingTypes");
            }
        }
        EmbedModel::TitanImage => {
            if let Some(d) = dimensions {
                let mut config = b"{\"outputEmbeddingLength\":".to_vec();
                config.extend_from_slice(d);
                config.push(b'}');
                param("embeddingConfig", &config, &mut written)?;
                written.push("embeddingConfig");
            }
        }
        EmbedModel::TitanV1 | EmbedModel::Cohere => {}
    }
    if model != EmbedModel::TitanV1 {
        // Anything else the client sent goes too, as LiteLLM passes it on.
        for m in top_members(body).into_iter().flatten() {
            let key = key_of(body, &m.key).unwrap_or_default();
            if !OWN_KEYS.contains(&key.as_str()) {
                param(&key, &body[m.value], &mut written)?;
            }
        }
    }
    let inputs = inputs(body)?;
    if model == EmbedModel::TitanImage {
        for input in &inputs {
            crate::chat::data_url(input)?;
        }
    }
    Ok(TitanRequests {
        model,
        inputs,
        params,
    })
}

impl TitanRequests {
    /// How many requests (inputs) there are.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// How many inputs are images (the multimodal model's `data:` URLs).
    pub fn images(&self) -> usize {
        self.inputs
            .iter()
            .filter(|i| self.image(i).is_some())
            .count()
    }

    fn image<'i>(&self, input: &'i str) -> Option<&'i str> {
        if self.model != EmbedModel::TitanImage {
            return None;
        }
        crate::chat::data_url(input)
            .ok()
            .flatten()
            .map(|(_, data)| data)
    }

    /// Appends the body of request `i` (an index below [`TitanRequests::len`]).
    pub fn body(&self, i: usize, out: &mut Vec<u8>) {
        let Some(input) = self.inputs.get(i) else {
            return;
        };
        match self.image(input) {
            Some(data) => {
                out.extend_from_slice(b"{\"inputImage\":");
                write_json_string(data, out);
            }
            None => {
                out.extend_from_slice(b"{\"inputText\":");
                write_json_string(input, out);
            }
        }
        out.extend_from_slice(&self.params);
        out.push(b'}');
    }
}

/// Appends one Titan answer as the data item `index` (its vector: v2's `embeddingsByType`
/// binary or float, else `embedding`); returns its `inputTextTokenCount`.
pub fn titan_item(
    answer: &[u8],
    index: usize,
    out: &mut Vec<u8>,
) -> std::result::Result<u64, String> {
    let answer = answer_object(answer).map_err(str::to_owned)?;
    let by_type = get(answer, "embeddingsByType").filter(|v| is_object(v));
    let vector = by_type
        .and_then(|t| get(t, "binary").or_else(|| get(t, "float")))
        .or_else(|| get(answer, "embedding"))
        .filter(|v| elements(v).is_some())
        .ok_or("an answer without an embedding")?;
    if index > 0 {
        out.push(b',');
    }
    out.extend_from_slice(b"{\"embedding\":");
    out.extend_from_slice(vector);
    out.extend_from_slice(b",\"index\":");
    write_u64(index as u64, out);
    out.extend_from_slice(b",\"object\":\"embedding\"}");
    Ok(get(answer, "inputTextTokenCount")
        .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
        .unwrap_or(0))
}

/// Writes the whole Titan answer around its `items` (written by [`titan_item`]).
pub fn titan_answer(
    items: &[u8],
    requested_model: &str,
    prompt_tokens: u64,
    images: usize,
    out: &mut Vec<u8>,
) -> Usage {
    out.extend_from_slice(b"{\"model\":");
    write_json_string(requested_model, out);
    out.extend_from_slice(b",\"data\":[");
    out.extend_from_slice(items);
    out.extend_from_slice(
        b"],\"object\":\"list\",\"usage\":{\"completion_tokens\":0,\"prompt_tokens\":",
    );
    write_u64(prompt_tokens, out);
    out.extend_from_slice(b",\"total_tokens\":");
    write_u64(prompt_tokens, out);
    out.extend_from_slice(b",\"completion_tokens_details\":null,\"prompt_tokens_details\":");
    if images > 0 {
        out.extend_from_slice(b"{\"audio_tokens\":null,\"cached_tokens\":null,\"image_tokens\":null,\"text_tokens\":null,\"video_tokens\":null,\"initial_prompt_tokens\":null,\"image_count\":");
        write_u64(images as u64, out);
        out.push(b'}');
    } else {
        out.extend_from_slice(b"null");
    }
    out.extend_from_slice(b"}}");
    Usage::counts(prompt_tokens, 0, prompt_tokens)
}

/// Cohere's embed body on Bedrock for the client's `body` (`input_type` defaulting to
/// `search_document`, base64 asked as float, only the keys Bedrock takes); returns tiktoken's
/// count of the texts, the answer's prompt tokens.
pub fn cohere_request(body: &[u8], provider_model: &str, out: &mut Vec<u8>) -> Result<u64> {
    let model_id = super::invoke::invoke_model_id(provider_model);
    let [encoding_format, dimensions] = checked_params(body, EmbedModel::Cohere, model_id)?;
    let texts = inputs(body)?;
    let [input_type, truncate, images] =
        crate::json::value::fields(body, ["input_type", "truncate", "images"]);
    out.extend_from_slice(b"{\"input_type\":");
    match input_type.filter(|v| *v != b"null") {
        Some(v) => out.extend_from_slice(v),
        None => out.extend_from_slice(b"\"search_document\""),
    }
    out.extend_from_slice(b",\"texts\":");
    write_string_list(&texts, out);
    for (key, v) in [("truncate", truncate), ("images", images)] {
        if let Some(v) = v.filter(|v| *v != b"null") {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            out.extend_from_slice(v);
        }
    }
    if let Some(f) = encoding_format {
        // Bedrock's Cohere has no base64: float is asked instead.
        let kind = if f == b"\"base64\"" {
            b"\"float\"" as &[u8]
        } else {
            f
        };
        out.extend_from_slice(b",\"embedding_types\":[");
        out.extend_from_slice(kind);
        out.push(b']');
    }
    if let Some(d) = dimensions {
        out.extend_from_slice(b",\"output_dimension\":");
        out.extend_from_slice(d);
    }
    out.push(b'}');
    Ok(texts
        .iter()
        .map(|t| crate::tokens::count_tokens("", t))
        .sum())
}

/// Cohere's answer as OpenAI's embedding list: `embeddings` a list of vectors, or by type
/// (each item then names its `type`, the index counted per type).
pub fn cohere_response(
    answer: &[u8],
    requested_model: &str,
    prompt_tokens: u64,
    out: &mut Vec<u8>,
) -> std::result::Result<Usage, String> {
    let answer = answer_object(answer).map_err(str::to_owned)?;
    let embeddings = get(answer, "embeddings").ok_or("an answer without embeddings")?;
    let mut items = Vec::with_capacity(embeddings.len() + 64);
    let mut item = |vector: &[u8], index: usize, kind: Option<&str>| {
        if !items.is_empty() {
            items.push(b',');
        }
        items.extend_from_slice(b"{\"object\":\"embedding\",\"index\":");
        write_u64(index as u64, &mut items);
        items.extend_from_slice(b",\"embedding\":");
        items.extend_from_slice(vector);
        if let Some(kind) = kind {
            items.extend_from_slice(b",\"type\":");
            write_json_string(kind, &mut items);
        }
        items.push(b'}');
    };
    match elements(embeddings) {
        Some(vectors) => {
            for (i, v) in vectors.into_iter().enumerate() {
                item(v, i, None);
            }
        }
        None if is_object(embeddings) => {
            for m in top_members(embeddings).into_iter().flatten() {
                let kind = key_of(embeddings, &m.key).unwrap_or_default();
                let vectors =
                    elements(&embeddings[m.value]).ok_or("embeddings of a type not a list")?;
                for (i, v) in vectors.into_iter().enumerate() {
                    item(v, i, Some(&kind));
                }
            }
        }
        None => return Err("embeddings neither a list nor by type".to_owned()),
    }
    Ok(titan_answer(&items, requested_model, prompt_tokens, 0, out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn titan(body: Value, model: &str) -> Result<Vec<Value>> {
        titan_requests(body.to_string().as_bytes(), model).map(|plan| {
            (0..plan.len())
                .map(|i| {
                    let mut out = Vec::new();
                    plan.body(i, &mut out);
                    serde_json::from_slice(&out).unwrap()
                })
                .collect()
        })
    }

    #[test]
    fn models_by_name() {
        assert_eq!(
            EmbedModel::of("amazon.titan-embed-text-v1"),
            Some(EmbedModel::TitanV1)
        );
        assert_eq!(
            EmbedModel::of("us-east-1/amazon.titan-embed-text-v2:0"),
            Some(EmbedModel::TitanV2)
        );
        assert_eq!(
            EmbedModel::of("amazon.titan-embed-image-v1"),
            Some(EmbedModel::TitanImage)
        );
        assert_eq!(
            EmbedModel::of("cohere.embed-multilingual-v3"),
            Some(EmbedModel::Cohere)
        );
        assert_eq!(
            EmbedModel::of("anthropic.claude-3-5-sonnet-20240620-v1:0"),
            None
        );
    }

    #[test]
    fn titan_takes_one_input_a_request_with_its_parameters() {
        assert_eq!(
            titan(json!({"input": ["a", "b"]}), "amazon.titan-embed-text-v1").unwrap(),
            [json!({"inputText": "a"}), json!({"inputText": "b"})]
        );
        assert_eq!(
            titan(
                json!({"input": "a", "dimensions": 256, "encoding_format": "base64", "normalize": false, "metadata": {}}),
                "amazon.titan-embed-text-v2:0"
            )
            .unwrap(),
            [json!({"inputText": "a", "dimensions": 256, "embeddingTypes": ["binary"], "normalize": false})]
        );
        assert_eq!(
            titan(
                json!({"input": ["data:image/png;base64,iVBO", "cat"], "dimensions": 384}),
                "amazon.titan-embed-image-v1"
            )
            .unwrap(),
            [
                json!({"inputImage": "iVBO", "embeddingConfig": {"outputEmbeddingLength": 384}}),
                json!({"inputText": "cat", "embeddingConfig": {"outputEmbeddingLength": 384}})
            ]
        );
    }

    #[test]
    fn unsupported_parameters_are_litellm_s_error() {
        let err = titan(
            json!({"input": "a", "user": "u1", "dimensions": 8}),
            "amazon.titan-embed-text-v1",
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "bedrock does not support parameters: {'user': 'u1', 'dimensions': 8}, for model=amazon.titan-embed-text-v1. To drop these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n"
        );
        assert!(matches!(
            titan(json!({"input": [[1, 2]]}), "amazon.titan-embed-text-v1"),
            Err(TransformError::Unsupported(_))
        ));
    }

    #[test]
    fn titan_answers_are_put_together_in_order() {
        let mut items = Vec::new();
        let a = titan_item(
            br#"{"embedding":[0.1],"inputTextTokenCount":3}"#,
            0,
            &mut items,
        )
        .unwrap();
        let b = titan_item(
            br#"{"embedding":[0.1],"embeddingsByType":{"binary":[1,0]},"inputTextTokenCount":2}"#,
            1,
            &mut items,
        )
        .unwrap();
        let mut out = Vec::new();
        let usage = titan_answer(&items, "g", a + b, 0, &mut out);
        assert_eq!(usage.prompt_tokens, 5);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["data"][1],
            json!({"embedding": [1, 0], "index": 1, "object": "embedding"})
        );
        assert_eq!(v["usage"]["total_tokens"], 5);
        assert!(titan_item(b"{}", 0, &mut Vec::new()).is_err());
    }

    #[test]
    fn cohere_takes_every_input_and_answers_by_type() {
        let mut out = Vec::new();
        let counted = cohere_request(
            br#"{"input":["hello","world"],"encoding_format":"base64","dimensions":512,"foo":1,"truncate":"END"}"#,
            "cohere.embed-english-v3",
            &mut out,
        )
        .unwrap();
        assert_eq!(counted, 2);
        let sent: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            sent,
            json!({"input_type": "search_document", "texts": ["hello", "world"], "truncate": "END",
                   "embedding_types": ["float"], "output_dimension": 512})
        );
        let mut out = Vec::new();
        cohere_response(
            br#"{"embeddings":{"float":[[0.5],[0.25]]}}"#,
            "g",
            2,
            &mut out,
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["data"][1],
            json!({"object": "embedding", "index": 1, "embedding": [0.25], "type": "float"})
        );
    }
}
