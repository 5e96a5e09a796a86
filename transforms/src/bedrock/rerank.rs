//! The rerank route to Bedrock's Rerank API (`POST /rerank` on `bedrock-agent-runtime`,
//! docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_Rerank.html), as LiteLLM
//! 1.108.7's `BedrockRerankConfig` maps it (`llms/bedrock/rerank/transformation.py`):
//!
//! - the request: one `TEXT` query, the configured model as `modelArn`, `numberOfResults` the
//!   client's `top_n` (else the number of documents), and each document an `INLINE` source: a
//!   string as a `TEXT` document, an object as a `JSON` document; nothing else the client sent
//!   is sent;
//! - the answer: LiteLLM's `RerankResponse` with the answer's `id` (else a uuid4), each
//!   result's `index` and `relevanceScore` (no documents), and `meta` from the answer's
//!   `usage` (one search unit when there is none). An answer without results fails, as
//!   LiteLLM's "No results found in the response" does.

use crate::anthropic::TransformError;
use crate::json::value::{elements, fields, string};
use crate::json::write_json_string;

/// Whether a `bedrock/` provider model is a rerank model (`amazon.rerank-v1:0`,
/// `cohere.rerank-v3-5:0`, or an ARN naming one): those serve the rerank route only.
pub fn is_rerank_model(provider_model: &str) -> bool {
    let (_, id) = super::model_id(provider_model);
    super::base_model(id)
        .split_once('.')
        .is_some_and(|(_, name)| name.starts_with("rerank"))
}

/// Writes Bedrock's rerank body for the client's rerank `body`; `provider_model` is the
/// model as configured (LiteLLM sends it as the model ARN).
pub fn request(body: &[u8], provider_model: &str, out: &mut Vec<u8>) -> Result<(), TransformError> {
    let invalid = |m: &str| TransformError::Invalid(m.to_owned());
    let [query, top_n, documents] = fields(body, ["query", "top_n", "documents"]);
    let query = query
        .filter(|q| string(q).is_some())
        .ok_or_else(|| invalid("query: expected a string"))?;
    let docs = documents
        .and_then(elements)
        .ok_or_else(|| invalid("documents: expected a list"))?;
    if docs
        .iter()
        .any(|d| string(d).is_none() && d.first() != Some(&b'{'))
    {
        return Err(invalid(
            "documents: each document must be a string or an object",
        ));
    }
    let top_n = match top_n.filter(|n| *n != b"null") {
        Some(n) if !n.is_empty() && n.iter().all(u8::is_ascii_digit) => {
            Some(n).filter(|n| n.iter().any(|b| *b != b'0'))
        }
        Some(_) => return Err(invalid("top_n: expected an integer")),
        None => None,
    };
    out.extend_from_slice(b"{\"queries\":[{\"textQuery\":{\"text\":");
    out.extend_from_slice(query);
    out.extend_from_slice(b"},\"type\":\"TEXT\"}],\"rerankingConfiguration\":{\"bedrockRerankingConfiguration\":{\"modelConfiguration\":{\"modelArn\":");
    write_json_string(provider_model, out);
    out.extend_from_slice(b"},\"numberOfResults\":");
    match top_n {
        Some(n) => out.extend_from_slice(n),
        None => crate::json::write_u64(docs.len() as u64, out),
    }
    out.extend_from_slice(b"},\"type\":\"BEDROCK_RERANKING_MODEL\"},\"sources\":");
    crate::json::write_array(docs, out, |doc, out| {
        out.extend_from_slice(b"{\"inlineDocumentSource\":{");
        if doc.first() == Some(&b'"') {
            out.extend_from_slice(b"\"textDocument\":{\"text\":");
            out.extend_from_slice(doc);
            out.extend_from_slice(b"},\"type\":\"TEXT\"");
        } else {
            out.extend_from_slice(b"\"jsonDocument\":");
            out.extend_from_slice(doc);
            out.extend_from_slice(b",\"type\":\"JSON\"");
        }
        out.extend_from_slice(b"},\"type\":\"INLINE\"}");
    });
    out.push(b'}');
    Ok(())
}

/// Writes LiteLLM's `RerankResponse` for Bedrock's answer `body`; `answer_id` is the id where
/// the answer has none.
pub fn response(
    body: &[u8],
    answer_id: impl FnOnce() -> String,
    out: &mut Vec<u8>,
) -> Result<(), TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("rerank response: {m}"));
    let body = crate::json::value::answer_object(body).map_err(bad)?;
    let [id, results, usage] = fields(body, ["id", "results", "usage"]);
    let results = results
        .and_then(elements)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| bad("No results found in the response"))?;
    let mut buf = Vec::with_capacity(64 + 48 * results.len());
    buf.extend_from_slice(b"{\"id\":");
    match id.filter(|i| string(i).is_some_and(|i| !i.is_empty())) {
        Some(id) => buf.extend_from_slice(id),
        None => write_json_string(&answer_id(), &mut buf),
    }
    buf.extend_from_slice(b",\"results\":[");
    for (i, item) in results.iter().enumerate() {
        let [index, score] = fields(item, ["index", "relevanceScore"]);
        let number = |v: &&[u8]| crate::rerank::is_number(v);
        let (Some(index), Some(score)) = (index.filter(number), score.filter(number)) else {
            return Err(bad(&format!(
                "results.{i}: index and relevanceScore required"
            )));
        };
        if i > 0 {
            buf.push(b',');
        }
        crate::rerank::write_scored(index, score, &mut buf);
        buf.push(b'}');
    }
    buf.extend_from_slice(b"],\"meta\":{\"billed_units\":");
    match usage.filter(|u| u.first() == Some(&b'{')) {
        Some(usage) => {
            crate::rerank::write_counts(usage, &["search_units", "total_tokens"], &mut buf);
            buf.extend_from_slice(b",\"tokens\":");
            crate::rerank::write_counts(usage, &["input_tokens", "output_tokens"], &mut buf);
        }
        None => buf.extend_from_slice(b"{\"search_units\":1},\"tokens\":{}"),
    }
    buf.extend_from_slice(b"}}");
    out.extend_from_slice(&buf);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0";

    #[test]
    fn rerank_models_are_told_apart() {
        assert!(is_rerank_model(ARN));
        assert!(is_rerank_model("cohere.rerank-v3-5:0"));
        assert!(is_rerank_model("us-west-2/amazon.rerank-v1:0"));
        assert!(!is_rerank_model("anthropic.claude-3-haiku-20240307-v1:0"));
        assert!(!is_rerank_model("amazon.titan-embed-text-v2:0"));
    }

    #[test]
    fn request_as_litellm_sends_it() {
        let mut out = Vec::new();
        request(
            br#"{"model":"r","query":"q?","documents":["a",{"title":"t","n":1}],"top_n":null,"return_documents":true,"rank_fields":["x"]}"#,
            ARN,
            &mut out,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "queries": [{"textQuery": {"text": "q?"}, "type": "TEXT"}],
                "rerankingConfiguration": {"bedrockRerankingConfiguration": {
                    "modelConfiguration": {"modelArn": ARN}, "numberOfResults": 2},
                    "type": "BEDROCK_RERANKING_MODEL"},
                "sources": [
                    {"inlineDocumentSource": {"textDocument": {"text": "a"}, "type": "TEXT"}, "type": "INLINE"},
                    {"inlineDocumentSource": {"jsonDocument": {"title": "t", "n": 1}, "type": "JSON"}, "type": "INLINE"}
                ]
            })
        );
        // top_n becomes numberOfResults; 0 counts as absent, as LiteLLM's `or` has it.
        for (top_n, expected) in [("1", 1), ("0", 3)] {
            let mut out = Vec::new();
            let body = format!(r#"{{"query":"q","documents":["a","b","c"],"top_n":{top_n}}}"#);
            request(body.as_bytes(), ARN, &mut out).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(
                v["rerankingConfiguration"]["bedrockRerankingConfiguration"]["numberOfResults"],
                expected
            );
        }
        for bad in [
            r#"{"documents":["a"]}"#,
            r#"{"query":"q"}"#,
            r#"{"query":"q","documents":[1]}"#,
            r#"{"query":"q","documents":["a"],"top_n":"2"}"#,
            r#"{"query":"q","documents":["a"],"top_n":1.5}"#,
        ] {
            assert!(
                request(bad.as_bytes(), ARN, &mut Vec::new()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn answer_as_litellm_returns_it() {
        let mut out = Vec::new();
        response(
            br#"{"results":[{"index":1,"relevanceScore":0.68,"document":{"type":"TEXT"}},{"index":0,"relevanceScore":0}],"nextToken":"n"}"#,
            || "uuid-3".to_owned(),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"uuid-3","results":[{"index":1,"relevance_score":0.68},{"index":0,"relevance_score":0.0}],"meta":{"billed_units":{"search_units":1},"tokens":{}}}"#
        );
        let mut out = Vec::new();
        response(
            br#"{"id":"b-1","results":[{"index":0,"relevanceScore":0.5}],"usage":{"search_units":2,"input_tokens":9}}"#,
            String::new,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"b-1","results":[{"index":0,"relevance_score":0.5}],"meta":{"billed_units":{"search_units":2},"tokens":{"input_tokens":9}}}"#
        );
        for bad in [
            &br#"{"results":[]}"#[..],
            br#"{}"#,
            br#"{"results":[{"index":0}]}"#,
            b"not json",
        ] {
            assert!(response(bad, String::new, &mut Vec::new()).is_err());
        }
    }
}
