//! OpenAI embeddings ↔ Vertex AI's text-embedding `:predict`, as LiteLLM 1.108.7 maps them
//! (`litellm/llms/vertex_ai/vertex_embeddings/transformation.py`
//! `VertexAITextEmbeddingConfig`, the `vertex_ai` branch of `get_optional_params_embeddings`;
//! the API: cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api):
//!
//! - the request: one instance `{"content": ..}` per input string, each with the request's
//!   `task_type` (the client's `input_type` first) and `title`; `parameters` holds
//!   `dimensions` as `outputDimensionality`, then every other member the client sent as it
//!   came (`task_type`, `title`, `auto_truncate`, ...), LiteLLM's own keys and `null`s left
//!   out, as LiteLLM passes its optional parameters whole; `labels` (a dict's string values,
//!   else those of the client's `metadata`) go beside them as Vertex's billing labels;
//! - `encoding_format: "float"` is dropped (it is Vertex's only format); another format and
//!   `user` are LiteLLM's `UnsupportedParamsError`, dropped with `drop_params`;
//! - the answer: `predictions[i].embeddings.values` become `data[i].embedding` (copied as they
//!   came); usage is the sum of the predictions' `statistics.token_count`, with the answer's
//!   `metadata.billableCharacterCount` as `prompt_tokens_details.character_count`.
//!
//! Refused (400): inputs that are not strings (token arrays, nested lists), which LiteLLM
//! sends on as `content` and Vertex rejects.

use crate::anthropic::TransformError;
use crate::json::value::{answer_object, elements, fields, get};
use crate::json::{top_members, write_json_string};
use crate::usage::Usage;

/// The members of an embeddings request that are not sent in `parameters` as they came.
const OWN_KEYS: &[&str] = &[
    "model",
    "input",
    "user",
    "encoding_format",
    "dimensions",
    "labels",
];

/// Writes the `:predict` body for the OpenAI embeddings request `body` of `provider_model`.
pub fn embed_request(
    body: &[u8],
    provider_model: &str,
    out: &mut Vec<u8>,
) -> Result<(), TransformError> {
    let body = &body[crate::json::skip_ws(body, 0)..];
    let [input, user, format, dimensions, task_type, input_type, title, labels, metadata] = fields(
        body,
        [
            "input",
            "user",
            "encoding_format",
            "dimensions",
            "task_type",
            "input_type",
            "title",
            "labels",
            "metadata",
        ],
    )
    .map(|v| v.filter(|v| *v != b"null"));
    refuse_unsupported(user, format, provider_model)?;
    let input = input.ok_or_else(|| TransformError::Invalid("input is required".into()))?;
    let items = elements(input).unwrap_or_else(|| vec![input]);
    if items.iter().any(|item| item.first() != Some(&b'"')) {
        return Err(TransformError::Unsupported(
            "Vertex AI text embeddings take strings only (token arrays and nested lists are not supported)"
                .to_owned(),
        ));
    }
    let asked_task = task_type;
    let task_type = input_type.or(task_type);
    out.extend_from_slice(b"{\"instances\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"content\":");
        out.extend_from_slice(item);
        if let Some(t) = task_type {
            out.extend_from_slice(b",\"task_type\":");
            out.extend_from_slice(t);
        }
        if let Some(t) = title {
            out.extend_from_slice(b",\"title\":");
            out.extend_from_slice(t);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"parameters\":{");
    let mut first = true;
    let mut member = |key: &[u8], value: &[u8], out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.extend_from_slice(key);
        out.push(b':');
        out.extend_from_slice(value);
    };
    if let Some(d) = dimensions {
        member(b"\"outputDimensionality\"", d, out);
    }
    if let (Some(t), None) = (input_type, asked_task) {
        member(b"\"task_type\"", t, out);
    }
    for (name, key, v) in crate::params::passed_members(body, OWN_KEYS) {
        // The client's `input_type` names the task for every instance.
        let v = if name == "task_type" {
            task_type.unwrap_or(v)
        } else {
            v
        };
        member(key, v, out);
    }
    out.push(b'}');
    write_labels(labels, metadata, out);
    out.push(b'}');
    Ok(())
}

/// `user`, and an `encoding_format` other than `"float"`, as LiteLLM's
/// `UnsupportedParamsError` (in its order).
fn refuse_unsupported(
    user: Option<&[u8]>,
    format: Option<&[u8]>,
    provider_model: &str,
) -> Result<(), TransformError> {
    let format = format.filter(|f| *f != b"\"float\"");
    let mut dict = String::new();
    let mut params = Vec::new();
    for (name, v) in [("user", user), ("encoding_format", format)] {
        let Some(v) = v else { continue };
        dict.push_str(if dict.is_empty() { "{'" } else { ", '" });
        dict.push_str(name);
        dict.push_str("': ");
        crate::json::value::py_repr(v, &mut dict);
        params.push(name.to_owned());
    }
    if params.is_empty() {
        return Ok(());
    }
    Err(TransformError::UnsupportedParams {
        message: format!(
            "vertex_ai does not support parameters: {dict}}}, for model={provider_model}. To drop these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n"
        ),
        params,
    })
}

/// LiteLLM's `pop_vertex_request_labels`: the string values of the client's `labels`, else of
/// its `metadata` (the proxy's `requester_metadata`), as `,"labels":{..}` when there are any.
fn write_labels(labels: Option<&[u8]>, metadata: Option<&[u8]>, out: &mut Vec<u8>) {
    for source in [labels, metadata].into_iter().flatten() {
        let start = out.len();
        out.extend_from_slice(b",\"labels\":{");
        let mut any = false;
        for m in top_members(source).into_iter().flatten() {
            let v = &source[m.value.clone()];
            if v.first() != Some(&b'"') {
                continue;
            }
            if std::mem::replace(&mut any, true) {
                out.push(b',');
            }
            out.extend_from_slice(&source[m.key.start - 1..m.key.end + 1]);
            out.push(b':');
            out.extend_from_slice(v);
        }
        if any {
            out.push(b'}');
            return;
        }
        out.truncate(start);
    }
}

/// Writes the client's embeddings answer for the `:predict` answer `body`, with the client's
/// `model` name.
pub fn embed_response(
    body: &[u8],
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("Vertex AI embeddings response: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let predictions = get(body, "predictions")
        .and_then(elements)
        .ok_or_else(|| bad("no predictions list"))?;
    out.extend_from_slice(b"{\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"data\":[");
    let mut tokens = 0u64;
    for (i, p) in predictions.iter().enumerate() {
        let embeddings =
            get(p, "embeddings").ok_or_else(|| bad("a prediction without embeddings"))?;
        let [values, statistics] = fields(embeddings, ["values", "statistics"]);
        let values = values
            .filter(|v| v.first() == Some(&b'['))
            .ok_or_else(|| bad("an embedding without values"))?;
        let count = statistics
            .and_then(|s| get(s, "token_count"))
            .and_then(count)
            .ok_or_else(|| bad("an embedding without statistics.token_count"))?;
        tokens = tokens.saturating_add(count);
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"object\":\"embedding\",\"index\":");
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
        out.extend_from_slice(b",\"embedding\":");
        out.extend_from_slice(values);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"object\":\"list\",\"usage\":");
    let usage = Usage::counts(tokens, 0, tokens);
    crate::usage::write_counts(&usage, out);
    out.extend_from_slice(b",\"completion_tokens_details\":null,\"prompt_tokens_details\":");
    let characters = get(body, "metadata")
        .and_then(|m| get(m, "billableCharacterCount"))
        .and_then(count);
    match characters {
        Some(n) => {
            out.extend_from_slice(
                b"{\"audio_tokens\":null,\"cached_tokens\":null,\"image_tokens\":null,\"text_tokens\":null,\"video_tokens\":null,\"initial_prompt_tokens\":null,\"character_count\":",
            );
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}}");
    Ok(usage)
}

/// A count Vertex reports: a non-negative integer (`12`, or `12.0`).
fn count(v: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(v).ok()?;
    let s = s.strip_suffix(".0").unwrap_or(s);
    s.parse().ok()
}

/// Whether a `vertex_ai/` model embeds text through `:predict`, as LiteLLM routes
/// embeddings: the text-embedding models (`text-embedding-*`, `text-multilingual-*`,
/// `textembedding-gecko*`, `gemini-embedding-001`), not the multimodal model, not the models
/// the cost map marks `uses_embed_content` (`gemini-embedding-2*`, sent to `:embedContent`),
/// not BGE's or a tuned model's endpoint (their own instance shapes).
pub fn is_text_embedding_model(model: &str) -> bool {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    (name.contains("embedding") || name.contains("gecko"))
        && !name.contains("multimodalembedding")
        && !name.starts_with("gemini-embedding-2")
        && !name.contains("bge")
}

/// Whether a `vertex_ai/` model is an embedding model corelane does not serve
/// ([`is_text_embedding_model`] says which it does).
pub fn is_other_embedding_model(model: &str) -> bool {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    !is_text_embedding_model(model)
        && (name.contains("multimodalembedding") || name.starts_with("gemini-embedding-2"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn request(body: Value) -> Result<Value, TransformError> {
        let mut out = Vec::new();
        embed_request(body.to_string().as_bytes(), "text-embedding-005", &mut out)?;
        Ok(serde_json::from_slice(&out).expect("valid JSON"))
    }

    #[test]
    fn inputs_become_instances_and_parameters_carry_the_rest() {
        assert_eq!(
            request(json!({"model": "e", "input": "hello"})).unwrap(),
            json!({"instances": [{"content": "hello"}], "parameters": {}})
        );
        assert_eq!(
            request(json!({"model": "e", "input": ["a", "b"], "dimensions": 3,
                           "encoding_format": "float", "metadata": {"team": "t", "n": 1},
                           "auto_truncate": false, "caching": true, "x": null}))
            .unwrap(),
            json!({"instances": [{"content": "a"}, {"content": "b"}],
                   "parameters": {"outputDimensionality": 3, "auto_truncate": false},
                   "labels": {"team": "t"}})
        );
        assert_eq!(
            request(json!({"model": "e", "input": ["d"], "task_type": "RETRIEVAL_DOCUMENT", "title": "T"})).unwrap(),
            json!({"instances": [{"content": "d", "task_type": "RETRIEVAL_DOCUMENT", "title": "T"}],
                   "parameters": {"task_type": "RETRIEVAL_DOCUMENT", "title": "T"}})
        );
        // input_type names the task (LiteLLM's kwargs mapping) and is sent on as well.
        assert_eq!(
            request(json!({"model": "e", "input": "q", "input_type": "RETRIEVAL_QUERY"})).unwrap(),
            json!({"instances": [{"content": "q", "task_type": "RETRIEVAL_QUERY"}],
                   "parameters": {"task_type": "RETRIEVAL_QUERY", "input_type": "RETRIEVAL_QUERY"}})
        );
        assert_eq!(
            request(json!({"model": "e", "input": "q", "task_type": "CLUSTERING", "input_type": "RETRIEVAL_QUERY"}))
                .unwrap(),
            json!({"instances": [{"content": "q", "task_type": "RETRIEVAL_QUERY"}],
                   "parameters": {"task_type": "RETRIEVAL_QUERY", "input_type": "RETRIEVAL_QUERY"}})
        );
        // labels win over metadata; non-string values are left out.
        assert_eq!(
            request(json!({"model": "e", "input": "q", "labels": {"a": "1", "b": 2}, "metadata": {"c": "3"}})).unwrap()
                ["labels"],
            json!({"a": "1"})
        );
        assert_eq!(
            request(
                json!({"model": "e", "input": "q", "labels": {"b": 2}, "metadata": {"c": "3"}})
            )
            .unwrap()["labels"],
            json!({"c": "3"})
        );
    }

    #[test]
    fn user_and_other_formats_are_unsupported_params() {
        match request(
            json!({"model": "e", "input": "q", "user": "u1", "encoding_format": "base64"}),
        ) {
            Err(TransformError::UnsupportedParams { message, params }) => {
                assert_eq!(params, ["user", "encoding_format"]);
                assert!(message.starts_with(
                    "vertex_ai does not support parameters: {'user': 'u1', 'encoding_format': 'base64'}, for model=text-embedding-005."
                ), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inputs_other_than_strings_are_refused() {
        for input in [json!([1, 2]), json!([["a"]]), json!(5)] {
            assert!(matches!(
                request(json!({"model": "e", "input": input})),
                Err(TransformError::Unsupported(_))
            ));
        }
        assert!(matches!(
            request(json!({"model": "e"})),
            Err(TransformError::Invalid(_))
        ));
    }

    #[test]
    fn predictions_become_data_with_usage() {
        let answer = br#"{"predictions":[{"embeddings":{"values":[0.25,-0.5],"statistics":{"token_count":3,"truncated":false}}},{"embeddings":{"statistics":{"token_count":4.0},"values":[1]}}],"metadata":{"billableCharacterCount":11}}"#;
        let mut out = Vec::new();
        let usage = embed_response(answer, "vx", &mut out).unwrap();
        assert_eq!(usage.prompt_tokens, 7);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            json!({"model": "vx", "object": "list", "data": [
                {"object": "embedding", "index": 0, "embedding": [0.25, -0.5]},
                {"object": "embedding", "index": 1, "embedding": [1]}],
                "usage": {"completion_tokens": 0, "prompt_tokens": 7, "total_tokens": 7,
                          "completion_tokens_details": null,
                          "prompt_tokens_details": {"audio_tokens": null, "cached_tokens": null, "image_tokens": null,
                                                    "text_tokens": null, "video_tokens": null,
                                                    "initial_prompt_tokens": null, "character_count": 11}}})
        );
        let mut out = Vec::new();
        embed_response(br#"{"predictions":[]}"#, "vx", &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["usage"]["prompt_tokens_details"], Value::Null);
        for bad in [
            &b"{}"[..],
            br#"{"predictions":[{"embeddings":{"values":[1]}}]}"#,
            b"[1]",
        ] {
            assert!(embed_response(bad, "vx", &mut Vec::new()).is_err());
        }
    }

    #[test]
    fn text_embedding_models_are_told_apart() {
        for m in [
            "text-embedding-005",
            "gemini-embedding-001",
            "textembedding-gecko@003",
            "text-multilingual-embedding-002",
        ] {
            assert!(is_text_embedding_model(m), "{m}");
            assert!(!is_other_embedding_model(m), "{m}");
        }
        for m in [
            "multimodalembedding@001",
            "gemini-embedding-2",
            "gemini-embedding-2-preview",
        ] {
            assert!(!is_text_embedding_model(m), "{m}");
            assert!(is_other_embedding_model(m), "{m}");
        }
        for m in ["gemini-2.5-flash", "bge-large-en", "1234"] {
            assert!(!is_text_embedding_model(m), "{m}");
            assert!(!is_other_embedding_model(m), "{m}");
        }
    }
}
