//! The rerank route (`/rerank`, `/v1/rerank`, `/v2/rerank`: Cohere's request shape) to the
//! providers that take that shape, and LiteLLM's `RerankResponse` back, as LiteLLM 1.108.7
//! maps them (`types/rerank.py`):
//!
//! - Cohere v2 (`llms/cohere/rerank_v2/transformation.py`): `RerankRequest(...)
//!   .model_dump(exclude_none=True)`: `model`, `query`, `top_n`, `documents` (strings or
//!   objects, as given), `rank_fields`, `return_documents`, `max_tokens_per_doc`; nothing else
//!   is sent (v2 drops `max_chunks_per_doc`); the answer validated into `RerankResponse`:
//!   `id` (Cohere's), `results` (`index`, `relevance_score` as a float, and `document` as
//!   `{"text"}` when there is one), `meta` (`api_version` as given, `billed_units` with
//!   `search_units`/`total_tokens`, `tokens` with `input_tokens`/`output_tokens`, each only
//!   when given); other keys are dropped, as pydantic drops them. A document without a
//!   string `text` fails, as LiteLLM's validation does.
//! - hosted_vllm (`llms/hosted_vllm/rerank/transformation.py`): the same request plus
//!   `instruction`, `truncate_prompt_tokens`, `truncation_side` and `max_tokens_per_query`;
//!   `max_chunks_per_doc` is refused; the answer's `id` (else the gateway's), its results,
//!   and `meta` built from `usage.total_tokens`.

use crate::anthropic::TransformError;
use crate::cohere::answer_object;
use crate::json::value::{elements, fields, get, string};
use crate::json::write_json_string;

/// Whose rerank API a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    CohereV2,
    HostedVllm,
    /// Jina AI (`llms/jina_ai/rerank/transformation.py`): `model` and the client's `query`,
    /// `top_n`, `documents` and `return_documents` as they came, in its order (nothing else);
    /// the answer's string documents as `{"text"}`, `meta` from its `usage`.
    Jina,
    /// Voyage AI (`llms/voyage/rerank/transformation.py`, docs.voyageai.com/reference/reranker-api):
    /// `model`, `query`, `documents`, `top_n` as `top_k`, `return_documents`; the answer's
    /// `data` as the results (string documents as `{"text"}`), `meta` from its
    /// `usage.total_tokens`.
    Voyage,
}

/// The request members Jina's rerank takes (`get_supported_cohere_rerank_params`).
const JINA_PARAMS: [&str; 4] = ["query", "top_n", "documents", "return_documents"];

/// hosted_vllm's extra request members, in `RerankRequest`'s order, as the client sent them.
const VLLM_EXTRAS: [&str; 4] = [
    "instruction",
    "truncate_prompt_tokens",
    "truncation_side",
    "max_tokens_per_query",
];

/// Writes the provider's rerank body for the client's rerank `body` and `provider_model`.
pub fn rerank_request(
    flavor: Flavor,
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
    if flavor == Flavor::HostedVllm && set(get(body, "max_chunks_per_doc")).is_some() {
        return Err(invalid("Hosted VLLM does not support max_chunks_per_doc"));
    }
    let docs = elements(documents).ok_or_else(|| invalid("documents: expected a list"))?;
    if flavor == Flavor::Voyage {
        out.extend_from_slice(b"{\"model\":");
        write_json_string(provider_model, out);
        out.extend_from_slice(b",\"query\":");
        out.extend_from_slice(query);
        out.extend_from_slice(b",\"documents\":");
        out.extend_from_slice(documents);
        if let Some(n) = set(top_n) {
            out.extend_from_slice(b",\"top_k\":");
            out.extend_from_slice(n);
        }
        if let Some(r) = set(return_documents) {
            out.extend_from_slice(b",\"return_documents\":");
            out.extend_from_slice(r);
        }
        out.push(b'}');
        return Ok(());
    }
    if flavor == Flavor::Jina {
        // The client's supported members in its order, `model` first.
        out.extend_from_slice(b"{\"model\":");
        write_json_string(provider_model, out);
        for m in crate::json::top_members(body).into_iter().flatten() {
            let value = &body[m.value.clone()];
            let Some(key) = JINA_PARAMS
                .iter()
                .find(|k| crate::json::value::key_is(body, &m.key, k))
            else {
                continue;
            };
            if set(Some(value)).is_some() {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(key.as_bytes());
                out.extend_from_slice(b"\":");
                out.extend_from_slice(value);
            }
        }
        out.push(b'}');
        let _ = docs;
        return Ok(());
    }
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
    if flavor == Flavor::HostedVllm {
        for (key, v) in VLLM_EXTRAS.iter().zip(fields(body, VLLM_EXTRAS)) {
            if let Some(v) = set(v) {
                buf.extend_from_slice(b",\"");
                buf.extend_from_slice(key.as_bytes());
                buf.extend_from_slice(b"\":");
                buf.extend_from_slice(v);
            }
        }
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

/// Writes LiteLLM's `RerankResponse` for the provider's answer `body`; `answer_id` is the
/// id LiteLLM draws where the provider gives none (hosted_vllm's uuid4).
pub fn rerank_response(
    flavor: Flavor,
    body: &[u8],
    answer_id: impl FnOnce() -> String,
    out: &mut Vec<u8>,
) -> Result<(), TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("rerank response: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let [id, results, data, meta, usage] = fields(body, ["id", "results", "data", "meta", "usage"]);
    // Voyage AI names its results `data` (LiteLLM fails an answer without them).
    let results = match flavor {
        Flavor::Voyage => Some(data.ok_or_else(|| bad("no results (data) in the answer"))?),
        _ => results,
    };
    let mut buf = Vec::with_capacity(body.len());
    buf.extend_from_slice(b"{\"id\":");
    match id.filter(|i| string(i).is_some_and(|i| !i.is_empty())) {
        Some(id) => buf.extend_from_slice(id),
        None if flavor != Flavor::CohereV2 => write_json_string(&answer_id(), &mut buf),
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
                write_result(flavor, item, &mut buf)
                    .map_err(|m| bad(&format!("results.{i}.{m}")))?;
            }
            buf.push(b']');
        }
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"meta\":");
    match (flavor, meta.filter(|m| m.first() == Some(&b'{'))) {
        (Flavor::HostedVllm | Flavor::Voyage, _) => {
            // `usage.total_tokens` (0 when absent) as billed and input tokens (Voyage's
            // with no output tokens).
            let total = usage
                .and_then(|u| get(u, "total_tokens"))
                .filter(|t| is_number(t))
                .unwrap_or(b"0");
            buf.extend_from_slice(b"{\"billed_units\":{\"total_tokens\":");
            buf.extend_from_slice(total);
            buf.extend_from_slice(b"},\"tokens\":{\"input_tokens\":");
            buf.extend_from_slice(total);
            if flavor == Flavor::Voyage {
                buf.extend_from_slice(b",\"output_tokens\":0");
            }
            buf.extend_from_slice(b"}}");
        }
        (Flavor::Jina, _) => {
            // `usage` read as `billed_units` and as `tokens` (each keeps its own keys).
            let usage = usage.filter(|u| u.first() == Some(&b'{')).unwrap_or(b"{}");
            buf.extend_from_slice(b"{\"billed_units\":");
            write_counts(usage, &["search_units", "total_tokens"], &mut buf);
            buf.extend_from_slice(b",\"tokens\":");
            write_counts(usage, &["input_tokens", "output_tokens"], &mut buf);
            buf.push(b'}');
        }
        (Flavor::CohereV2, Some(meta)) => write_meta(meta, &mut buf),
        (Flavor::CohereV2, None) => buf.extend_from_slice(b"null"),
    }
    buf.push(b'}');
    out.extend_from_slice(&buf);
    Ok(())
}

pub(crate) fn is_number(v: &[u8]) -> bool {
    v.first().is_some_and(|b| b.is_ascii_digit() || *b == b'-')
}

/// The numeric members `keys` of `obj`, as an object.
pub(crate) fn write_counts(obj: &[u8], keys: &[&str], out: &mut Vec<u8>) {
    out.push(b'{');
    let mut n = 0;
    for key in keys {
        if let Some(v) = get(obj, key).filter(|v| is_number(v)) {
            if n > 0 {
                out.push(b',');
            }
            n += 1;
            write_json_string(key, out);
            out.push(b':');
            out.extend_from_slice(v);
        }
    }
    out.push(b'}');
}

/// One result: `index`, `relevance_score`, and the document's `text` when there is a document
/// (Jina's and Voyage's string document as `{"text"}`, an object as it came).
fn write_result(flavor: Flavor, item: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let [index, score, document] = fields(item, ["index", "relevance_score", "document"]);
    let index = index
        .filter(|i| is_number(i))
        .ok_or("index: Field required")?;
    let score = score
        .filter(|s| is_number(s))
        .ok_or("relevance_score: Field required")?;
    write_scored(index, score, out);
    if let (Flavor::Jina | Flavor::Voyage, Some(document)) = (flavor, document) {
        out.extend_from_slice(b",\"document\":");
        if document.first() == Some(&b'"') {
            out.extend_from_slice(b"{\"text\":");
            out.extend_from_slice(document);
            out.push(b'}');
        } else {
            out.extend_from_slice(document);
        }
        out.push(b'}');
        return Ok(());
    }
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

/// A result's opening: `{"index":..,"relevance_score":..` (the object left open), the score a
/// float, as pydantic (and Python's `float()`) makes it.
pub(crate) fn write_scored(index: &[u8], score: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"index\":");
    out.extend_from_slice(index);
    out.extend_from_slice(b",\"relevance_score\":");
    out.extend_from_slice(score);
    if !score.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        out.extend_from_slice(b".0");
    }
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

    fn request(flavor: Flavor, body: &str) -> Result<serde_json::Value, TransformError> {
        let mut out = Vec::new();
        rerank_request(flavor, body.as_bytes(), "rerank-v3.5", &mut out)?;
        Ok(serde_json::from_slice(&out).unwrap())
    }

    fn response(flavor: Flavor, body: &str) -> Result<String, TransformError> {
        let mut out = Vec::new();
        rerank_response(flavor, body.as_bytes(), || "3f1c".to_owned(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn cohere_request_keeps_litellms_fields_only() {
        let v = request(
            Flavor::CohereV2,
            r#"{"model":"rr","query":"q","documents":["a",{"text":"b","title":"t"}],"rank_fields":["text"],
                "return_documents":true,"max_tokens_per_doc":100,"max_chunks_per_doc":3,"foo":1,"top_n":null,"instruction":"x"}"#,
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"model":"rerank-v3.5","query":"q","documents":["a",{"text":"b","title":"t"}],
                "rank_fields":["text"],"return_documents":true,"max_tokens_per_doc":100})
        );
        assert!(request(Flavor::CohereV2, r#"{"query":1,"documents":[]}"#).is_err());
        assert!(request(Flavor::CohereV2, r#"{"query":"q","documents":[1]}"#).is_err());
    }

    #[test]
    fn cohere_answer_as_rerank_response() {
        let v: serde_json::Value = serde_json::from_str(
            &response(
                Flavor::CohereV2,
                r#"{"id":"rr-1","results":[{"index":0,"relevance_score":0.9,"document":{"text":"a","x":1}},{"index":1,"relevance_score":0}],
                "meta":{"api_version":{"version":"2"},"billed_units":{"search_units":1},"warnings":["w"]},"extra":1}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id":"rr-1","results":[{"index":0,"relevance_score":0.9,"document":{"text":"a"}},
                {"index":1,"relevance_score":0.0}],"meta":{"api_version":{"version":"2"},"billed_units":{"search_units":1}}})
        );
        assert!(v["results"][1]["relevance_score"].is_f64());
        assert!(response(
            Flavor::CohereV2,
            r#"{"results":[{"index":0,"relevance_score":1,"document":{"title":"t"}}]}"#
        )
        .is_err());
        assert_eq!(
            response(Flavor::CohereV2, r#"{"results":null}"#).unwrap(),
            r#"{"id":null,"results":null,"meta":null}"#
        );
    }

    #[test]
    fn hosted_vllm_request_and_answer() {
        let v = request(
            Flavor::HostedVllm,
            r#"{"model":"v","query":"q","documents":["a"],"instruction":"Rank","truncation_side":"left","k":1}"#,
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"model":"rerank-v3.5","query":"q","documents":["a"],"instruction":"Rank","truncation_side":"left"})
        );
        assert!(request(
            Flavor::HostedVllm,
            r#"{"query":"q","documents":["a"],"max_chunks_per_doc":2}"#
        )
        .is_err());
        assert_eq!(
            response(
                Flavor::HostedVllm,
                r#"{"results":[{"index":0,"relevance_score":1,"document":{"text":"a"}}],"usage":{"total_tokens":7}}"#
            )
            .unwrap(),
            r#"{"id":"3f1c","results":[{"index":0,"relevance_score":1.0,"document":{"text":"a"}}],"meta":{"billed_units":{"total_tokens":7},"tokens":{"input_tokens":7}}}"#
        );
    }

    #[test]
    fn jina_takes_its_own_members_and_answers_with_usage() {
        let mut out = Vec::new();
        rerank_request(
            Flavor::Jina,
            br#"{"documents":["a","b"],"model":"j","query":"q","rank_fields":["x"],"return_documents":true}"#,
            "jina-reranker-v2",
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out,
            br#"{"model":"jina-reranker-v2","documents":["a","b"],"query":"q","return_documents":true}"#
        );
        let mut out = Vec::new();
        rerank_response(
            Flavor::Jina,
            br#"{"model":"j","usage":{"total_tokens":15},"results":[{"index":0,"relevance_score":0.9,"document":"a"},{"index":1,"relevance_score":1,"document":{"text":"b","x":1}}]}"#,
            || "uuid-1".to_owned(),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"uuid-1","results":[{"index":0,"relevance_score":0.9,"document":{"text":"a"}},{"index":1,"relevance_score":1.0,"document":{"text":"b","x":1}}],"meta":{"billed_units":{"total_tokens":15},"tokens":{}}}"#
        );
    }

    #[test]
    fn voyage_takes_top_k_and_answers_from_its_data() {
        let mut out = Vec::new();
        rerank_request(
            Flavor::Voyage,
            br#"{"documents":["a","b"],"model":"v","query":"q","top_n":1,"rank_fields":["x"]}"#,
            "rerank-2",
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out,
            br#"{"model":"rerank-2","query":"q","documents":["a","b"],"top_k":1}"#
        );
        let mut out = Vec::new();
        rerank_response(
            Flavor::Voyage,
            br#"{"object":"list","data":[{"relevance_score":0.5,"index":1,"document":"b"}],"model":"rerank-2","usage":{"total_tokens":26}}"#,
            || "uuid-2".to_owned(),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"uuid-2","results":[{"index":1,"relevance_score":0.5,"document":{"text":"b"}}],"meta":{"billed_units":{"total_tokens":26},"tokens":{"input_tokens":26,"output_tokens":0}}}"#
        );
        // An answer without its data is refused, as LiteLLM refuses it.
        let mut out = Vec::new();
        let empty = rerank_response(Flavor::Voyage, br#"{"results":[]}"#, String::new, &mut out);
        assert!(empty.is_err());
    }
}
