//! OpenAI embeddings ↔ Gemini's `batchEmbedContents`, as LiteLLM 1.108.7 maps them
//! (`litellm/llms/vertex_ai/gemini_embeddings/batch_embed_content_transformation.py`):
//!
//! - each input string is one request `{"model": "models/{model}", "content": {"parts":
//!   [{"text": ..}]}}`, a nested list of strings one request of several parts (one combined
//!   embedding); `dimensions` → `outputDimensionality`, `task_type` → `taskType`, and
//!   `title`, are set on every request; other parameters are not sent;
//! - the answer's `embeddings[i].values` become `data[i].embedding` (copied as they came);
//! - usage: Gemini reports none here, so `prompt_tokens` is LiteLLM's `token_counter` of the
//!   input strings joined (tiktoken's cl100k), computed by [`embed_request`].
//!
//! Refused (400): inputs that are not strings (token arrays) and multimodal strings (`data:`
//! URIs, `gs://` files), which LiteLLM resolves and uploads as file parts.

use crate::anthropic::TransformError;
use crate::json::value::{answer_object, elements, fields, get, string};
use crate::json::write_json_string;
use crate::usage::Usage;

/// Writes the `batchEmbedContents` body for the OpenAI embeddings request `body`; returns the
/// prompt token count LiteLLM reports for it.
pub fn embed_request(
    body: &[u8],
    provider_model: &str,
    out: &mut Vec<u8>,
) -> Result<u64, TransformError> {
    let invalid = |m: &str| TransformError::Invalid(m.to_owned());
    let [input, dimensions, task_type, title] =
        fields(body, ["input", "dimensions", "task_type", "title"]);
    let input = input.ok_or_else(|| invalid("input is required"))?;
    // Each request's content: one string, or a nested list of strings.
    let groups: Vec<Vec<&[u8]>> = match elements(input) {
        Some(items) => items
            .into_iter()
            .map(|item| elements(item).unwrap_or_else(|| vec![item]))
            .collect(),
        None => vec![vec![input]],
    };
    if groups.is_empty() || groups.iter().any(Vec::is_empty) {
        return Err(invalid("input must not be empty"));
    }
    let mut params = Vec::new();
    if let Some(d) = dimensions.filter(|d| *d != b"null") {
        if !d.iter().all(u8::is_ascii_digit) {
            return Err(invalid("dimensions must be an integer"));
        }
        params.extend_from_slice(b",\"outputDimensionality\":");
        params.extend_from_slice(d);
    }
    for (key, v) in [("taskType", task_type), ("title", title)] {
        if let Some(v) = v.filter(|v| v.first() == Some(&b'"')) {
            params.extend_from_slice(b",\"");
            params.extend_from_slice(key.as_bytes());
            params.extend_from_slice(b"\":");
            params.extend_from_slice(v);
        }
    }
    let mut model = String::with_capacity(provider_model.len() + 7);
    model.push_str("models/");
    model.push_str(provider_model);
    let mut joined = String::new();
    out.extend_from_slice(b"{\"requests\":[");
    for (n, group) in groups.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"model\":");
        write_json_string(&model, out);
        out.extend_from_slice(b",\"content\":{\"parts\":[");
        for (p, item) in group.iter().enumerate() {
            let text = string(item).ok_or_else(|| {
                TransformError::Unsupported(
                    "Gemini embeddings take text inputs only here (token arrays are not supported)"
                        .to_owned(),
                )
            })?;
            if text.starts_with("data:") || text.starts_with("gs://") {
                return Err(TransformError::Unsupported(
                    "multimodal Gemini embedding inputs (data: URIs, gs:// files) are not supported by corelane yet"
                        .to_owned(),
                ));
            }
            if p > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"text\":");
            out.extend_from_slice(item);
            out.push(b'}');
            joined.push_str(&text);
        }
        out.extend_from_slice(b"]}");
        out.extend_from_slice(&params);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(crate::tokens::count_tokens(provider_model, &joined))
}

/// Writes the client's embeddings answer for the `batchEmbedContents` answer `body`, with the
/// client's `model` name and `prompt_tokens` from [`embed_request`].
pub fn embed_response(
    body: &[u8],
    model: &str,
    prompt_tokens: u64,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("Gemini embeddings response: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let embeddings = get(body, "embeddings")
        .and_then(elements)
        .ok_or_else(|| bad("no embeddings list"))?;
    out.extend_from_slice(b"{\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"data\":[");
    for (i, e) in embeddings.iter().enumerate() {
        let values = get(e, "values")
            .filter(|v| v.first() == Some(&b'['))
            .ok_or_else(|| bad("an embedding without values"))?;
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"embedding\":");
        out.extend_from_slice(values);
        out.extend_from_slice(b",\"index\":");
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
        out.extend_from_slice(b",\"object\":\"embedding\"}");
    }
    let mut n = itoa::Buffer::new();
    let n = n.format(prompt_tokens);
    out.extend_from_slice(
        b"],\"object\":\"list\",\"usage\":{\"completion_tokens\":0,\"prompt_tokens\":",
    );
    out.extend_from_slice(n.as_bytes());
    out.extend_from_slice(b",\"total_tokens\":");
    out.extend_from_slice(n.as_bytes());
    out.extend_from_slice(b",\"completion_tokens_details\":null,\"prompt_tokens_details\":null}}");
    Ok(Usage::counts(prompt_tokens, 0, prompt_tokens))
}
