//! `POST /v1/ocr` (and `/ocr`) through the real binary to a Mistral deployment of the mock:
//! the document and Mistral's options go upstream with the deployment's model, the answer in
//! LiteLLM's shape; a provider without OCR, a missing document and an upstream error are
//! refused as LiteLLM refuses them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_litellm_error, Gateway, Mock};
use serde_json::json;

#[test]
fn ocr_goes_to_mistral_and_comes_back_in_litellm_s_shape() {
    let mock = Mock::start();
    let config = format!(
        "model_list:\n  - model_name: ocr\n    litellm_params:\n      model: mistral/mistral-ocr-latest\n      api_base: {0}\n      api_key: sk-m\n  - model_name: ocr-busy\n    litellm_params:\n      model: mistral/mistral-ocr-latest\n      api_base: {1}\n      api_key: sk-m\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {0}\n      api_key: sk-o\n",
        mock.base("/v1"),
        mock.base("/status/429/v1"),
    );
    let gw = Gateway::start(&config);
    let document = json!({"type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgo="});
    for path in ["/v1/ocr", "/ocr"] {
        let resp = gw.post(
            path,
            &json!({"model": "ocr", "document": document, "pages": [0], "include_image_base64": false, "foo": 1}),
        );
        assert_eq!(resp.status, 200, "{}", resp.text());
        let answer = resp.json();
        assert_eq!(answer["model"], "ocr");
        assert_eq!(answer["object"], "ocr");
        assert_eq!(
            answer["pages"][0]["markdown"],
            "Hello from the mock provider."
        );
        assert_eq!(answer["usage_info"]["pages_processed"], 1);
        assert!(answer["usage_info"]["credits"].is_null());
        let seen = mock.last_request();
        assert_eq!(seen["path"], "/v1/ocr");
        let sent: serde_json::Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({"model": "mistral-ocr-latest", "document": document, "pages": [0], "include_image_base64": false})
        );
    }
    let before = mock.requests().len();
    let error = assert_litellm_error(&gw.post("/v1/ocr", &json!({"model": "ocr"})), 400);
    assert_eq!(error["param"], "document");
    let error = assert_litellm_error(
        &gw.post("/v1/ocr", &json!({"model": "gpt", "document": document})),
        400,
    );
    assert_eq!(
        error["message"],
        "litellm.BadRequestError:  - invalid provider: openai"
    );
    assert_eq!(
        mock.requests().len(),
        before,
        "nothing sent for refused requests"
    );
    let error = assert_litellm_error(
        &gw.post(
            "/v1/ocr",
            &json!({"model": "ocr-busy", "document": document}),
        ),
        429,
    );
    assert!(error["message"]
        .as_str()
        .unwrap()
        .starts_with("litellm.RateLimitError: RateLimitError: MistralException - (429, '"));
    assert_eq!(gw.get("/v1/ocr").status, 405);
    gw.assert_healthy();
}
