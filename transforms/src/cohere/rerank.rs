//! The rerank route ↔ Cohere's `/v2/rerank`, as LiteLLM 1.108.7 maps them
//! (`litellm/llms/cohere/rerank_v2/transformation.py`, `rerank/transformation.py`,
//! `types/rerank.py`):
//!
//! - request: `RerankRequest(...).model_dump(exclude_none=True)`: `model`, `query`, `top_n`,
//!   `documents` (strings or objects, as given), `rank_fields`, `return_documents`,
//!   `max_tokens_per_doc`; nothing else is sent (v2 drops `max_chunks_per_doc`);
//! - answer: LiteLLM's `RerankResponse`, every field present: `id` (Cohere's), `results`
//!   (`index`, `relevance_score`, and `document` as `{"text"}` when there is one), `meta`
//!   (`api_version` as given, `billed_units` with `search_units`/`total_tokens`, `tokens` with
//!   `input_tokens`/`output_tokens`, each only when given); other keys are dropped, as
//!   pydantic drops them.
//!
//! A document in the answer without a string `text` fails, as LiteLLM's validation does.

use crate::anthropic::TransformError;
use crate::json::value::{answer_object, elements, fields, get, string};
use crate::json::write_json_string;

/// Writes the `/v2/rerank` body for the client's rerank `body` and `provider_model`.
pub fn rerank_request(
    body: &[u8],
    provider_model: &str,
    out: &mut Vec<u8>,
) -> Result<(), TransformError> {
    let invalid = |m: &str| TransformError::Invalid(m.to_owned());
    let body = &body[crate::json::skip_ws(body, 0)..];
    let [query, top_n, documents, rank_fields, return_documents, max_tokens_per_doc] = fields(
        body,
        [
            "query",
            "top_n",
            "documents",
            "rank_fields",
            "return_documents",
            "max_tokens_per_doc",
        ],
    );
    fn set(v: Option<&[u8]>) -> Option<&[u8]> {
        v.filter(|v| *v != b"null")
    }
    let query = set(query)
        .filter(|q| string(q).is_some())
        .ok_or_else(|| invalid("query: expected a string"))?;
    let documents = set(documents).ok_or_else(|| invalid("documents: expected a list"))?;
    let docs = elements(documents).ok_or_else(|| invalid("documents: expected a list"))?;
    if docs
        .iter()
        .any(|d| string(d).is_none() && d.first() != Some(&b'{'))
    {
        return Err(invalid(
            "documents: each document must be a string or an object",
        ));
    }
    let integer = |v: &[u8]| v.iter().all(u8::is_ascii_digit) && !v.is_empty();
    let mut buf = Vec::with_capacity(body.len() + 64);
    buf.extend_from_slice(b"{\"model\":");
    write_json_string(provider_model, &mut buf);
    buf.extend_from_slice(b",\"query\":");
    buf.extend_from_slice(query);
    if let Some(n) = set(top_n) {
        if !integer(n) {
            return Err(invalid("top_n: expected an integer"));
        }
        buf.extend_from_slice(b",\"top_n\":");
        buf.extend_from_slice(n);
    }
    buf.extend_from_slice(b",\"documents\":");
    buf.extend_from_slice(documents);
    if let Some(f) = set(rank_fields) {
        if !elements(f).is_some_and(|f| f.iter().all(|x| string(x).is_some())) {
            return Err(invalid("rank_fields: expected a list of strings"));
        }
        buf.extend_from_slice(b",\"rank_fields\":");
        buf.extend_from_slice(f);
    }
    if let Some(r) = set(return_documents) {
        if r != b"true" && r != b"false" {
            return Err(invalid("return_documents: expected a boolean"));
        }
        buf.extend_from_slice(b",\"return_documents\":");
        buf.extend_from_slice(r);
    }
    if let Some(m) = set(max_tokens_per_doc) {
        if !integer(m) {
            return Err(invalid("max_tokens_per_doc: expected an integer"));
        }
        buf.extend_from_slice(b",\"max_tokens_per_doc\":");
        buf.extend_from_slice(m);
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

/// Writes LiteLLM's `RerankResponse` for Cohere's answer `body`.
pub fn rerank_response(body: &[u8], out: &mut Vec<u8>) -> Result<(), TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("Cohere rerank response: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let [id, results, meta] = fields(body, ["id", "results", "meta"]);
    let mut buf = Vec::with_capacity(body.len());
    buf.extend_from_slice(b"{\"id\":");
    match id.filter(|i| string(i).is_some()) {
        Some(id) => buf.extend_from_slice(id),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"results\":");
    match results.filter(|r| *r != b"null") {
        Some(results) => {
            let items = elements(results).ok_or_else(|| bad("results: expected a list"))?;
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_result(item, &mut buf).map_err(|m| bad(&format!("results.{i}.{m}")))?;
            }
            buf.push(b']');
        }
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"meta\":");
    match meta.filter(|m| m.first() == Some(&b'{')) {
        Some(meta) => write_meta(meta, &mut buf),
        None => buf.extend_from_slice(b"null"),
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

fn is_number(v: &[u8]) -> bool {
    v.first().is_some_and(|b| b.is_ascii_digit() || *b == b'-')
}

/// One result: `index`, `relevance_score`, and the document's `text` when there is a document.
fn write_result(item: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let [index, score, document] = fields(item, ["index", "relevance_score", "document"]);
    let index = index
        .filter(|i| is_number(i))
        .ok_or("index: Field required")?;
    let score = score
        .filter(|s| is_number(s))
        .ok_or("relevance_score: Field required")?;
    out.extend_from_slice(b"{\"index\":");
    out.extend_from_slice(index);
    out.extend_from_slice(b",\"relevance_score\":");
    out.extend_from_slice(score);
    if let Some(document) = document {
        let text = get(document, "text")
            .filter(|t| string(t).is_some())
            .ok_or("document.text: Field required")?;
        out.extend_from_slice(b",\"document\":{\"text\":");
        out.extend_from_slice(text);
        out.push(b'}');
    }
    out.push(b'}');
    Ok(())
}

/// `meta` with the keys LiteLLM's `RerankResponseMeta` keeps.
fn write_meta(meta: &[u8], out: &mut Vec<u8>) {
    let [api_version, billed, tokens] = fields(meta, ["api_version", "billed_units", "tokens"]);
    out.push(b'{');
    let mut first = true;
    let mut key = |name: &str, out: &mut Vec<u8>| {
        if !std::mem::replace(&mut first, false) {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    };
    if let Some(v) = api_version.filter(|v| v.first() == Some(&b'{') || *v == b"null") {
        key("api_version", out);
        out.extend_from_slice(v);
    }
    for (name, v, keys) in [
        ("billed_units", billed, ["search_units", "total_tokens"]),
        ("tokens", tokens, ["input_tokens", "output_tokens"]),
    ] {
        let Some(v) = v.filter(|v| v.first() == Some(&b'{') || *v == b"null") else {
            continue;
        };
        key(name, out);
        if v == b"null" {
            out.extend_from_slice(b"null");
            continue;
        }
        out.push(b'{');
        let mut n = 0;
        for (k, value) in keys.iter().zip(fields(v, keys)) {
            let Some(value) = value.filter(|x| is_number(x) || *x == b"null") else {
                continue;
            };
            if n > 0 {
                out.push(b',');
            }
            n += 1;
            out.push(b'"');
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b"\":");
            out.extend_from_slice(value);
        }
        out.push(b'}');
    }
    out.push(b'}');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn request_keeps_litellms_fields_only() {
        let mut out = Vec::new();
        rerank_request(
            br#"{"model":"rr","query":"q","documents":["a",{"text":"b","title":"t"}],"rank_fields":["text"],
                "return_documents":true,"max_tokens_per_doc":100,"max_chunks_per_doc":3,"foo":1,"top_n":null}"#,
            "rerank-v3.5",
            &mut out,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"model":"rerank-v3.5","query":"q","documents":["a",{"text":"b","title":"t"}],
                "rank_fields":["text"],"return_documents":true,"max_tokens_per_doc":100})
        );
        assert!(rerank_request(br#"{"query":1,"documents":[]}"#, "m", &mut out).is_err());
    }

    #[test]
    fn answer_as_rerank_response() {
        let mut out = Vec::new();
        rerank_response(
            br#"{"id":"rr-1","results":[{"index":0,"relevance_score":0.9,"document":{"text":"a","x":1}},{"index":1,"relevance_score":0.1}],
                "meta":{"api_version":{"version":"2"},"billed_units":{"search_units":1},"warnings":["w"]},"extra":1}"#,
            &mut out,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id":"rr-1","results":[{"index":0,"relevance_score":0.9,"document":{"text":"a"}},
                {"index":1,"relevance_score":0.1}],"meta":{"api_version":{"version":"2"},"billed_units":{"search_units":1}}})
        );
        let mut out = Vec::new();
        assert!(rerank_response(
            br#"{"results":[{"index":0,"relevance_score":1,"document":{"title":"t"}}]}"#,
            &mut out
        )
        .is_err());
    }
}
