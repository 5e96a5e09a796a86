//! OpenAI embeddings ↔ Cohere's `/v2/embed`, as LiteLLM 1.108.7 maps them
//! (`litellm/llms/cohere/embed/transformation.py` `CohereEmbeddingConfig`):
//!
//! - `{"model", "texts": [...], "input_type": "search_document", ...}`: a string input is a
//!   list of one, the client's `input_type` replaces the default; `encoding_format` →
//!   `embedding_types: [v]` (a list as given), `dimensions` → `output_dimension`; other
//!   members (`truncate`, `embedding_types`, ...) are sent as they came;
//! - inputs whose last one is a `data:` base64 URL go as `images` with `input_type: "image"`
//!   (LiteLLM looks at the last input only);
//! - the answer's `embeddings` (a map of type → vectors) become `data` items in the types'
//!   order, `index` restarting at 0 for each type, as LiteLLM numbers them;
//! - usage: `meta.billed_units` `input_tokens` + `images` with `prompt_tokens_details`, else
//!   the inputs counted with tiktoken's cl100k ([`embed_request`] counts them).
//!
//! Refused (400): `user`, with LiteLLM's `UnsupportedParamsError` text; inputs that are not
//! strings (LiteLLM's proxy decodes token arrays back to text first).

use super::answer_object;
use crate::anthropic::TransformError;
use crate::json::value::{elements, fields, get, key_of, string};
use crate::json::{top_members, write_json_string, write_u64};
use crate::usage::Usage;

/// Members never sent: the gateway's, LiteLLM's own request keys, and the mapped ones.
const NOT_SENT: &[&str] = &[
    "model",
    "input",
    "user",
    "encoding_format",
    "dimensions",
    "metadata",
    "fallbacks",
    "num_retries",
    "timeout",
    "caching",
    "tags",
    "api_key",
    "api_base",
    "extra_headers",
];

/// Longest billed count read (longer numbers are not counts): the streamed translation holds
/// this much of one.
pub(crate) const MAX_COUNT_LEN: usize = 32;

/// Writes the `/v2/embed` body for the OpenAI embeddings request `body`; returns the prompt
/// token count LiteLLM reports when Cohere bills none.
pub fn embed_request(
    body: &[u8],
    provider_model: &str,
    out: &mut Vec<u8>,
) -> Result<u64, TransformError> {
    let invalid = |m: &str| TransformError::Invalid(m.to_owned());
    let body = &body[crate::json::skip_ws(body, 0)..];
    let [input, encoding, dimensions, user] =
        fields(body, ["input", "encoding_format", "dimensions", "user"]);
    if let Some(user) = user.filter(|u| *u != b"null") {
        return Err(unsupported_user(user, provider_model));
    }
    let input = input.ok_or_else(|| invalid("input is required"))?;
    let items = elements(input).unwrap_or_else(|| vec![input]);
    let mut texts = Vec::with_capacity(items.len());
    for item in &items {
        texts.push(string(item).ok_or_else(|| {
            TransformError::Unsupported(
                "Cohere embeddings take text inputs only here (token arrays are not supported)"
                    .to_owned(),
            )
        })?);
    }
    let images = texts
        .last()
        .is_some_and(|t| t.starts_with("data:") && t.contains(";base64,"));
    let mut buf = Vec::with_capacity(body.len() + 64);
    buf.extend_from_slice(b"{\"model\":");
    write_json_string(provider_model, &mut buf);
    buf.extend_from_slice(if images {
        b",\"images\":[".as_slice()
    } else {
        b",\"texts\":["
    });
    buf.extend_from_slice(&items.join(&b","[..]));
    buf.extend_from_slice(if images {
        b"],\"input_type\":\"image\"".as_slice()
    } else {
        b"]"
    });
    let mut input_type: Option<&[u8]> = None;
    let mut extras = Vec::new();
    for m in top_members(body).into_iter().flatten() {
        let key = key_of(body, &m.key).unwrap_or_default();
        let v = &body[m.value];
        if v == b"null" || NOT_SENT.contains(&key.as_str()) || key.starts_with("litellm_") {
            continue;
        }
        if key == "input_type" {
            input_type = Some(v);
        } else {
            extras.retain(|(k, _): &(String, &[u8])| *k != key);
            extras.push((key, v));
        }
    }
    if !images {
        buf.extend_from_slice(b",\"input_type\":");
        buf.extend_from_slice(input_type.unwrap_or(b"\"search_document\""));
    }
    if let Some(e) = encoding.filter(|e| *e != b"null") {
        buf.extend_from_slice(b",\"embedding_types\":");
        if e.first() == Some(&b'[') {
            buf.extend_from_slice(e);
        } else {
            buf.push(b'[');
            buf.extend_from_slice(e);
            buf.push(b']');
        }
    }
    if let Some(d) = dimensions.filter(|d| *d != b"null") {
        buf.extend_from_slice(b",\"output_dimension\":");
        buf.extend_from_slice(d);
    }
    for (key, v) in extras {
        // The mapped values win over the same keys sent raw, as in LiteLLM's dict.
        if (key == "embedding_types" && encoding.is_some_and(|e| e != b"null"))
            || (key == "output_dimension" && dimensions.is_some_and(|d| d != b"null"))
        {
            continue;
        }
        buf.push(b',');
        write_json_string(&key, &mut buf);
        buf.push(b':');
        buf.extend_from_slice(v);
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(texts
        .iter()
        .map(|t| crate::tokens::count_tokens("text-embedding-ada-002", t))
        .sum())
}

/// LiteLLM's `UnsupportedParamsError` for `user` on embeddings (its dict form).
fn unsupported_user(user: &[u8], model: &str) -> TransformError {
    unsupported_embedding_user("cohere", user, model)
}

/// LiteLLM's `UnsupportedParamsError` for `user` on `provider`'s embeddings (its dict form).
pub(crate) fn unsupported_embedding_user(
    provider: &str,
    user: &[u8],
    model: &str,
) -> TransformError {
    let shown = match string(user) {
        Some(s) if !s.contains('\'') => format!("'{s}'"),
        Some(s) => format!("\"{s}\""),
        None => String::from_utf8_lossy(user).into_owned(),
    };
    TransformError::UnsupportedParams {
        message: format!(
            "{provider} does not support parameters: {{'user': {shown}}}, for model={model}. To drop these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n"
        ),
        params: vec!["user".to_owned()],
    }
}

/// Writes the client's embeddings answer for the `/v2/embed` answer `body`, with the client's
/// `model` name; `counted` is [`embed_request`]'s count, used when Cohere bills nothing.
pub fn embed_response(
    body: &[u8],
    model: &str,
    counted: u64,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("Cohere embeddings response: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let [embeddings, meta] = fields(body, ["embeddings", "meta"]);
    // Vectors are written as they are read when an answer is streamed (`embed_stream`), so a
    // second `embeddings` cannot replace the first there: refused in both.
    let repeated = top_members(body)
        .into_iter()
        .flatten()
        .filter(|m| crate::json::value::key_is(body, &m.key, "embeddings"))
        .count()
        > 1;
    if repeated {
        return Err(bad("embeddings repeated"));
    }
    let embeddings = embeddings
        .filter(|e| e.first() == Some(&b'{'))
        .ok_or_else(|| bad("no embeddings map"))?;
    let mut buf = Vec::with_capacity(body.len() + 128);
    buf.extend_from_slice(b"{\"model\":");
    write_json_string(model, &mut buf);
    buf.extend_from_slice(b",\"data\":[");
    let mut first = true;
    for m in top_members(embeddings).into_iter().flatten() {
        let vectors = elements(&embeddings[m.value]).ok_or_else(|| bad("vectors not a list"))?;
        for (i, vector) in vectors.iter().enumerate() {
            if !first {
                buf.push(b',');
            }
            first = false;
            buf.extend_from_slice(b"{\"object\":\"embedding\",\"index\":");
            write_u64(i as u64, &mut buf);
            buf.extend_from_slice(b",\"embedding\":");
            buf.extend_from_slice(vector);
            buf.push(b'}');
        }
    }
    buf.extend_from_slice(
        b"],\"object\":\"list\",\"usage\":{\"completion_tokens\":0,\"prompt_tokens\":",
    );
    let billed = meta.and_then(|m| get(m, "billed_units"));
    let [text_tokens, images] =
        billed.map_or([None, None], |b| fields(b, ["input_tokens", "images"]));
    let count = |v: Option<&[u8]>| {
        v.filter(|v| v.len() <= MAX_COUNT_LEN)
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| n as u64)
    };
    let (text_n, image_n) = (count(text_tokens), count(images));
    let billed = text_n.is_some() || image_n.is_some();
    let prompt = if billed {
        text_n.unwrap_or(0).saturating_add(image_n.unwrap_or(0))
    } else {
        counted
    };
    write_u64(prompt, &mut buf);
    buf.extend_from_slice(b",\"total_tokens\":");
    write_u64(prompt, &mut buf);
    buf.extend_from_slice(b",\"completion_tokens_details\":null,\"prompt_tokens_details\":");
    if billed {
        let opt = |n: Option<u64>, buf: &mut Vec<u8>| match n {
            Some(n) => write_u64(n, buf),
            None => buf.extend_from_slice(b"null"),
        };
        buf.extend_from_slice(b"{\"audio_tokens\":null,\"cached_tokens\":null,\"image_tokens\":");
        opt(image_n, &mut buf);
        buf.extend_from_slice(b",\"text_tokens\":");
        opt(text_n, &mut buf);
        buf.extend_from_slice(b",\"video_tokens\":null,\"initial_prompt_tokens\":null}");
    } else {
        buf.extend_from_slice(b"null");
    }
    buf.extend_from_slice(b"}}");
    out.extend_from_slice(&buf);
    Ok(Usage::counts(prompt, 0, prompt))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(body: &str) -> Result<serde_json::Value, TransformError> {
        let mut out = Vec::new();
        embed_request(body.as_bytes(), "embed-english-v3.0", &mut out)?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    #[test]
    fn request_as_litellm_builds_it() {
        assert_eq!(
            request(r#"{"model":"coembed","input":"hello"}"#).unwrap(),
            serde_json::json!({"model":"embed-english-v3.0","texts":["hello"],"input_type":"search_document"})
        );
        assert_eq!(
            request(r#"{"model":"coembed","input":["hello"],"input_type":"search_query","encoding_format":"float","dimensions":256,"truncate":"END"}"#).unwrap(),
            serde_json::json!({"model":"embed-english-v3.0","texts":["hello"],"input_type":"search_query",
                "embedding_types":["float"],"output_dimension":256,"truncate":"END"})
        );
        match request(r#"{"input":"a","user":"u1"}"#).unwrap_err() {
            TransformError::UnsupportedParams { message: m, .. } => assert!(
                m.starts_with("cohere does not support parameters: {'user': 'u1'}, for model=embed-english-v3.0."),
                "{m}"
            ),
            e => panic!("{e:?}"),
        }
    }

    /// Strings are copied as they came, so an answer that is not UTF-8 is refused whole, as
    /// the streamed translation stops at it (found by the `cohere_embed_stream` fuzz target).
    #[test]
    fn an_answer_that_is_not_utf8_is_refused() {
        let mut out = Vec::new();
        let answer = b"{\"embeddings\":{\"base64\":[\"\xef\xef\"]}}";
        assert!(embed_response(answer, "m", 1, &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn answer_numbered_per_type_with_billed_usage() {
        let mut out = Vec::new();
        let u = embed_response(
            br#"{"id":"e","embeddings":{"float":[[0.1],[0.2]],"int8":[[1]]},"texts":["a","b"],"meta":{"billed_units":{"input_tokens":7}}}"#,
            "coembed",
            99,
            &mut out,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let indexes: Vec<_> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["index"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, [0, 1, 0]);
        assert_eq!(u.prompt_tokens, 7);
        assert_eq!(v["usage"]["prompt_tokens_details"]["text_tokens"], 7);
        let mut out = Vec::new();
        let u = embed_response(
            br#"{"embeddings":{"float":[[0.1]]}}"#,
            "coembed",
            3,
            &mut out,
        )
        .unwrap();
        assert_eq!(u.prompt_tokens, 3);
    }
}
