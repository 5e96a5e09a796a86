//! `POST /v1/ocr` (Mistral's OCR API, https://docs.mistral.ai/api/#tag/ocr), as LiteLLM
//! 1.108.7's proxy sends it to a `mistral/` deployment and answers it:
//!
//! - upstream `POST {api_base}/ocr` with the deployment's model and the client's `document`
//!   (a `document_url` or `image_url`: a URL or a base64 data URL) and Mistral's OCR options;
//!   other keys are not sent;
//! - the answer's pages and annotation as they came, `model` the client's, `usage_info` in
//!   LiteLLM's shape, and LiteLLM's `content`, `tables`, `keyValuePairs` (null for Mistral)
//!   and `object: "ocr"`.

use crate::anthropic::request::{invalid, Result};
use crate::json::top_members;
use crate::json::value::{answer_object, fields, get, is_object, key_of};
use crate::json::write_json_string;
use crate::usage::Usage;

/// The request fields of Mistral's OCR API that go upstream (besides `model`).
const OPTIONS: &[&str] = &[
    "document",
    "id",
    "pages",
    "include_image_base64",
    "image_limit",
    "image_min_size",
    "bbox_annotation_format",
    "document_annotation_format",
    "document_annotation_prompt",
    "table_format",
    "extract_header",
    "extract_footer",
];

/// Whether the client's body has a `document` (LiteLLM's required parameter).
pub fn has_document(body: &[u8]) -> bool {
    get(body, "document").is_some_and(|d| d != b"null")
}

/// The OCR body for `provider_model`.
pub fn request(body: &[u8], provider_model: &str, out: &mut Vec<u8>) -> Result<()> {
    let document = get(body, "document")
        .filter(|d| is_object(d))
        .ok_or_else(|| invalid("document must be an object"))?;
    let kind = get(document, "type");
    if !matches!(kind, Some(b"\"document_url\"" | b"\"image_url\"")) {
        return Err(invalid(
            "document.type must be 'document_url' or 'image_url'",
        ));
    }
    out.extend_from_slice(b"{\"model\":");
    write_json_string(provider_model, out);
    for m in top_members(body).into_iter().flatten() {
        let key = key_of(body, &m.key).unwrap_or_default();
        let v = &body[m.value];
        if OPTIONS.contains(&key.as_str()) && v != b"null" {
            out.push(b',');
            write_json_string(&key, out);
            out.push(b':');
            out.extend_from_slice(v);
        }
    }
    out.push(b'}');
    Ok(())
}

/// The client's answer for Mistral's `answer`; the usage is none (OCR is billed by page).
pub fn response(
    answer: &[u8],
    requested_model: &str,
    out: &mut Vec<u8>,
) -> std::result::Result<Usage, String> {
    let answer = answer_object(answer).map_err(str::to_owned)?;
    let [pages, annotation, usage] = fields(answer, ["pages", "document_annotation", "usage_info"]);
    let pages = pages
        .filter(|p| p.first() == Some(&b'['))
        .ok_or("an answer without pages")?;
    out.extend_from_slice(b"{\"pages\":");
    out.extend_from_slice(pages);
    out.extend_from_slice(b",\"model\":");
    write_json_string(requested_model, out);
    out.extend_from_slice(b",\"document_annotation\":");
    out.extend_from_slice(annotation.unwrap_or(b"null"));
    out.extend_from_slice(b",\"usage_info\":");
    match usage.filter(|u| is_object(u)) {
        Some(u) => {
            out.push(b'{');
            for (n, key) in [
                "pages_processed",
                "pages_processed_annotation",
                "credits",
                "doc_size_bytes",
            ]
            .iter()
            .enumerate()
            {
                if n > 0 {
                    out.push(b',');
                }
                write_json_string(key, out);
                out.push(b':');
                out.extend_from_slice(get(u, key).unwrap_or(b"null"));
            }
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(
        b",\"content\":null,\"tables\":null,\"keyValuePairs\":null,\"object\":\"ocr\"}",
    );
    Ok(Usage::default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn the_request_keeps_the_document_and_mistral_s_options() {
        let mut out = Vec::new();
        request(
            br#"{"model":"g","document":{"type":"image_url","image_url":"data:image/png;base64,AA=="},"pages":[0],"include_image_base64":true,"foo":1,"metadata":{}}"#,
            "mistral-ocr-latest",
            &mut out,
        )
        .unwrap();
        let sent: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            sent,
            json!({"model": "mistral-ocr-latest", "document": {"type": "image_url", "image_url": "data:image/png;base64,AA=="},
                   "pages": [0], "include_image_base64": true})
        );
        assert!(request(br#"{"document":"x"}"#, "m", &mut Vec::new()).is_err());
        assert!(!has_document(br#"{"model":"g","document":null}"#));
    }

    #[test]
    fn the_answer_gets_litellm_s_fields() {
        let mut out = Vec::new();
        response(
            br##"{"pages":[{"index":0,"markdown":"# A"}],"model":"mistral-ocr-2505","usage_info":{"pages_processed":1,"doc_size_bytes":9}}"##,
            "g",
            &mut out,
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            json!({"pages": [{"index": 0, "markdown": "# A"}], "model": "g", "document_annotation": null,
                   "usage_info": {"pages_processed": 1, "pages_processed_annotation": null, "credits": null, "doc_size_bytes": 9},
                   "content": null, "tables": null, "keyValuePairs": null, "object": "ocr"})
        );
        assert!(response(b"{}", "g", &mut Vec::new()).is_err());
    }
}
