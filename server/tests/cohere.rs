//! The Cohere family end to end: the real binary in front of the mock provider, which speaks
//! Cohere's v2 API (`/v2/chat` and its named SSE events, `/v2/embed`, `/v2/rerank`, Cohere's
//! error JSON): chat, streams, tool calls, embeddings, rerank, errors and a cut stream.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_litellm_error, chat_body, Gateway, Mock};
use serde_json::{json, Value};

fn config(mock: &Mock, chat_prefix: &str) -> String {
    let chat = mock.base(&format!("{chat_prefix}/v2/chat"));
    format!(
        "model_list:
  - model_name: cmdr
    litellm_params: {{model: cohere/command-r-plus, api_base: \"{chat}\", api_key: co-test}}
  - model_name: cmda
    litellm_params: {{model: cohere_chat/command-a-03-2025, api_base: \"{chat}\", api_key: co-test}}
  - model_name: coembed
    litellm_params: {{model: cohere/embed-english-v3.0, api_base: \"{embed}\", api_key: co-test}}
  - model_name: corerank
    litellm_params: {{model: cohere/rerank-v3.5, api_base: \"{base}\", api_key: co-test}}
  - model_name: cov1
    litellm_params: {{model: cohere_chat/v1/command-r, api_base: \"{chat}\", api_key: co-test}}
  - model_name: vllm-rerank
    litellm_params: {{model: hosted_vllm/BAAI/bge-reranker-v2-m3, api_base: \"{vllm}\"}}
  - model_name: jina-rerank
    litellm_params: {{model: jina_ai/jina-reranker-v2-base-multilingual, api_base: \"{vllm}\", api_key: jina-test}}
  - model_name: voyage-rerank
    litellm_params: {{model: voyage/rerank-2, api_base: \"{base}\", api_key: pa-test}}
  - model_name: voyage-embed
    litellm_params: {{model: voyage/voyage-3, api_base: \"{vllm}\", api_key: pa-test}}
",
        embed = mock.base("/v2/embed"),
        base = mock.base(""),
        vllm = mock.base("/v1"),
    )
}

/// The mock's recorded request: path, headers, body parsed.
fn seen(mock: &Mock) -> (String, Value, Value) {
    let r = mock.last_request();
    let body = serde_json::from_str(r["body"].as_str().unwrap()).unwrap_or(Value::Null);
    (
        r["path"].as_str().unwrap().to_owned(),
        r["headers"].clone(),
        body,
    )
}

/// The data payloads of an SSE answer, `[DONE]` excluded.
fn chunks(text: &str) -> Vec<Value> {
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    text.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[test]
fn chat_goes_to_v2_chat_and_comes_back_as_a_chat_completion() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock, ""));
    let mut body = chat_body("cmdr");
    body["temperature"] = json!(0.3);
    body["top_p"] = json!(0.5);
    body["stop"] = json!(["END"]);
    body["user"] = json!("u1");
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["model"], "cmdr");
    assert_eq!(v["object"], "chat.completion");
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"), "{v}");
    assert_eq!(
        v["choices"][0]["message"],
        json!({"content": "Hello from the mock provider.", "role": "assistant"})
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    // usage.tokens, not billed_units (LiteLLM's reading).
    assert_eq!(
        v["usage"],
        json!({"completion_tokens": 6, "prompt_tokens": 70, "total_tokens": 76})
    );
    let (path, headers, sent) = seen(&mock);
    assert_eq!(path, "/v2/chat");
    assert_eq!(headers["authorization"], "Bearer co-test");
    assert_eq!(headers["request-source"], "unspecified:litellm");
    assert_eq!(
        sent,
        json!({"model": "command-r-plus", "messages": [{"role": "user", "content": "hi"}],
               "temperature": 0.3, "p": 0.5, "stream": false, "stop_sequences": ["END"]})
    );
    gw.assert_healthy();
}

#[test]
fn streams_translate_cohere_events_into_chunks() {
    let mock = Mock::start_with(&["--stream-chunks", "3"]);
    let gw = Gateway::start(&config(&mock, ""));
    let mut body = chat_body("cmdr");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/event-stream"));
    let chunks = chunks(&resp.text());
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello from the");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks.iter().all(|c| c["model"] == "cmdr"), "{chunks:?}");
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        chunks.last().unwrap()["usage"],
        json!({"completion_tokens": 3, "prompt_tokens": 70, "total_tokens": 73})
    );
    let (_, _, sent) = seen(&mock);
    assert_eq!(sent["stream"], true);
    gw.assert_healthy();
}

#[test]
fn tool_calls_whole_and_streamed() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock, ""));
    let tools = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    let body = json!({"model": "cmdr", "tools": tools, "tool_choice": "auto",
        "messages": [{"role": "user", "content": "weather? [[tool:get_weather {\"city\":\"Paris\"}]]"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let message = &resp.json()["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(
        message["tool_calls"],
        json!([{"index": 0, "id": "get_weather_mock1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}])
    );
    let (_, _, sent) = seen(&mock);
    assert_eq!(sent["tools"], tools, "tools go in OpenAI's format");
    assert!(sent.get("tool_choice").is_none(), "LiteLLM never maps it");

    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let resp = gw.post("/v1/chat/completions", &streamed);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let chunks = chunks(&resp.text());
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert_eq!(calls[0]["id"], "get_weather_mock1");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    let args: String = calls
        .iter()
        .map(|c| c["function"]["arguments"].as_str().unwrap())
        .collect();
    assert_eq!(args, "{\"city\":\"Paris\"}");
    assert!(calls.iter().all(|c| c["index"] == 0));
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
    gw.assert_healthy();
}

#[test]
fn embeddings_go_to_v2_embed() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock, ""));
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "coembed", "input": ["hello", "world"], "dimensions": 3}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["model"], "coembed");
    assert_eq!(v["object"], "list");
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[1]["index"], 1);
    assert_eq!(data[1]["embedding"].as_array().unwrap().len(), 3);
    assert_eq!(v["usage"]["prompt_tokens"], 4);
    assert_eq!(v["usage"]["prompt_tokens_details"]["text_tokens"], 4);
    let (path, _, sent) = seen(&mock);
    assert_eq!(path, "/v2/embed");
    assert_eq!(
        sent,
        json!({"model": "embed-english-v3.0", "texts": ["hello", "world"],
               "input_type": "search_document", "output_dimension": 3})
    );
    // `user` is LiteLLM's UnsupportedParamsError, before anything is sent.
    let before = mock.requests().len();
    let err = assert_litellm_error(
        &gw.post(
            "/v1/embeddings",
            &json!({"model": "coembed", "input": "a", "user": "u1"}),
        ),
        400,
    );
    assert!(
        err["message"].as_str().unwrap().starts_with(
            "litellm.UnsupportedParamsError: cohere does not support parameters: {'user': 'u1'}"
        ),
        "{err}"
    );
    assert_eq!(mock.requests().len(), before);
    gw.assert_healthy();
}

#[test]
fn rerank_to_jina_ai_speaks_jina_s_shape() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock, ""));
    let resp = gw.post(
        "/v1/rerank",
        &json!({"model": "jina-rerank", "query": "q", "documents": ["a", "b", "c"], "top_n": 2,
                "return_documents": true, "rank_fields": ["text"]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (path, headers, sent) = seen(&mock);
    assert_eq!(path, "/v1/rerank");
    assert_eq!(headers["authorization"], "Bearer jina-test");
    // Jina's own members only, as the client sent them.
    assert_eq!(
        sent,
        json!({"model": "jina-reranker-v2-base-multilingual", "query": "q",
               "documents": ["a", "b", "c"], "top_n": 2, "return_documents": true})
    );
    let answer = resp.json();
    assert_eq!(answer["results"][1]["document"], json!({"text": "b"}));
    // `meta` from Jina's usage.
    assert_eq!(
        answer["meta"],
        json!({"billed_units": {"total_tokens": 9}, "tokens": {}})
    );
}

#[test]
fn rerank_to_voyage_ai_speaks_voyage_s_shape() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock, ""));
    let resp = gw.post(
        "/v1/rerank",
        &json!({"model": "voyage-rerank", "query": "q", "documents": ["a", "b", "c"], "top_n": 2,
                "return_documents": true, "rank_fields": ["text"]}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (path, headers, sent) = seen(&mock);
    // `/v1` added to a base without it, as LiteLLM adds it.
    assert_eq!(path, "/v1/rerank");
    assert_eq!(headers["authorization"], "Bearer pa-test");
    // `top_n` as `top_k`; Cohere's other parameters (`rank_fields`) are not Voyage's.
    assert_eq!(
        sent,
        json!({"model": "rerank-2", "query": "q", "documents": ["a", "b", "c"], "top_k": 2,
               "return_documents": true})
    );
    let answer = resp.json();
    assert_eq!(answer["results"].as_array().unwrap().len(), 2);
    assert_eq!(answer["results"][1]["document"], json!({"text": "b"}));
    assert_eq!(answer["results"][0]["relevance_score"], json!(1.0));
    assert_eq!(
        answer["meta"],
        json!({"billed_units": {"total_tokens": 9},
               "tokens": {"input_tokens": 9, "output_tokens": 0}})
    );
}

#[test]
fn embeddings_to_voyage_ai_take_its_names_and_give_litellms_usage() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock, ""));
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "voyage-embed", "input": ["a", "b"], "dimensions": 8,
                "input_type": "query", "metadata": {"x": 1}}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (path, headers, sent) = seen(&mock);
    assert_eq!(path, "/v1/embeddings");
    assert_eq!(headers["authorization"], "Bearer pa-test");
    assert_eq!(
        sent,
        json!({"input": ["a", "b"], "model": "voyage-3", "output_dimension": 8,
               "input_type": "query"})
    );
    let answer = resp.json();
    assert_eq!(answer["model"], "voyage-embed");
    let total = answer["usage"]["total_tokens"].clone();
    assert_eq!(
        answer["usage"],
        json!({"completion_tokens": 0, "prompt_tokens": total, "total_tokens": total,
               "completion_tokens_details": null, "prompt_tokens_details": null})
    );
    // An answer too large to hold (hundreds of KiB) is rewritten as it arrives.
    let inputs: Vec<String> = (0..300).map(|i| format!("text {i}")).collect();
    let resp = gw.post(
        "/v1/embeddings",
        &json!({"model": "voyage-embed", "input": inputs}),
    );
    assert_eq!(resp.status, 200);
    assert!(resp.text().len() > 256 * 1024, "{}", resp.text().len());
    let answer = resp.json();
    assert_eq!(answer["data"].as_array().unwrap().len(), 300);
    assert_eq!(answer["model"], "voyage-embed");
    assert_eq!(answer["usage"]["completion_tokens"], 0);
    assert_eq!(
        answer["usage"]["prompt_tokens"],
        answer["usage"]["total_tokens"]
    );
    // Voyage has no `user`: LiteLLM's refusal, nothing sent.
    let before = mock.requests().len();
    let refused = gw.post(
        "/v1/embeddings",
        &json!({"model": "voyage-embed", "input": "a", "user": "u"}),
    );
    let error = assert_litellm_error(&refused, 400);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("voyage does not support parameters: {'user': 'u'}"),
        "{error}"
    );
    assert_eq!(mock.requests().len(), before);
    gw.assert_healthy();
}

#[test]
fn rerank_routes_reach_v2_rerank() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock, ""));
    for route in ["/rerank", "/v1/rerank", "/v2/rerank"] {
        let resp = gw.post(
            route,
            &json!({"model": "corerank", "query": "q", "documents": ["a", {"text": "b", "title": "t"}, "c"],
                    "top_n": 2, "return_documents": true, "max_chunks_per_doc": 4}),
        );
        assert_eq!(resp.status, 200, "{route}: {}", resp.text());
        assert_eq!(
            resp.json(),
            json!({"id": "mock-rerank-1", "results": [
                {"index": 0, "relevance_score": 1.0, "document": {"text": "a"}},
                {"index": 1, "relevance_score": 0.5, "document": {"text": "b"}}],
                "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}}),
            "{route}"
        );
        let (path, headers, sent) = seen(&mock);
        assert_eq!(path, "/v2/rerank");
        assert_eq!(headers["authorization"], "Bearer co-test");
        assert_eq!(
            sent,
            json!({"model": "rerank-v3.5", "query": "q", "top_n": 2,
                   "documents": ["a", {"text": "b", "title": "t"}, "c"], "return_documents": true})
        );
    }
    let before = mock.requests().len();
    let err = assert_litellm_error(
        &gw.post(
            "/v1/rerank",
            &json!({"model": "corerank", "documents": ["a"]}),
        ),
        400,
    );
    assert_eq!(
        err["message"],
        "/rerank: Missing required parameter: 'query'."
    );
    let err = assert_litellm_error(
        &gw.post("/rerank", &json!({"model": "corerank", "query": "q"})),
        400,
    );
    assert_eq!(err["param"], "documents");
    // A chat-only provider does not serve rerank.
    assert_litellm_error(
        &gw.post(
            "/rerank",
            &json!({"model": "cmda", "query": "q", "documents": ["a"]}),
        ),
        400,
    );
    assert_eq!(mock.requests().len(), before, "nothing was sent upstream");
    // vLLM's /rerank (hosted_vllm) takes the same shape; its usage becomes the meta.
    let resp = gw.post(
        "/rerank",
        &json!({"model": "vllm-rerank", "query": "q", "documents": ["a", "b"], "instruction": "Rank"}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.json()["meta"],
        json!({"billed_units": {"total_tokens": 6}, "tokens": {"input_tokens": 6}})
    );
    let (path, _, sent) = seen(&mock);
    assert_eq!(path, "/v1/rerank");
    assert_eq!(
        sent,
        json!({"model": "BAAI/bge-reranker-v2-m3", "query": "q", "documents": ["a", "b"], "instruction": "Rank"})
    );
    let routes = gw.get("/routes").text();
    assert!(routes.contains("/v2/rerank"), "{routes}");
    gw.assert_healthy();
}

#[test]
fn errors_are_mapped_as_litellm_maps_cohere_errors() {
    let mock = Mock::start();
    let gw = Gateway::start(&config(&mock, "/status/429"));
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("cmdr")), 429);
    assert_eq!(
        err["message"],
        "litellm.RateLimitError: CohereException - {\"message\":\"mock error 429\"}"
    );
    assert_eq!(err["type"], "throttling_error");
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("cmda")), 429);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("litellm.RateLimitError: Cohere_chatException - "),
        "{err}"
    );
    // Cohere's v1 API is refused, never guessed.
    let before = mock.requests().len();
    let err = assert_litellm_error(&gw.post("/v1/chat/completions", &chat_body("cov1")), 400);
    assert!(err["message"].as_str().unwrap().contains("v1"), "{err}");
    assert_eq!(mock.requests().len(), before);
    gw.assert_healthy();
}

#[test]
fn a_cut_stream_ends_with_an_error_event() {
    let mock = Mock::start_with(&["--stream-chunks", "6"]);
    let gw = Gateway::start(&config(&mock, "/truncate"));
    let mut body = chat_body("cmdr");
    body["stream"] = json!(true);
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    let last = text
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .last()
        .unwrap();
    let error: Value = serde_json::from_str(last.strip_prefix("data: ").unwrap()).unwrap();
    assert!(error["error"]["message"].is_string(), "{text}");
    assert!(text.contains("\"content\":\"Hello\""), "{text}");
    assert!(!text.contains("[DONE]"), "{text}");
    gw.assert_healthy();
}

#[test]
fn rerank_to_a_provider_corelane_does_not_serve_is_warned_and_refused() {
    let mock = Mock::start();
    let config = format!(
        "model_list:
  - model_name: together-rerank
    litellm_params: {{model: together_ai/Salesforce/Llama-Rank-V1, api_base: \"{base}\", api_key: k}}
    model_info: {{mode: rerank}}
  - model_name: infinity-rerank
    litellm_params: {{model: infinity/bge-reranker, api_key: k}}
",
        base = mock.base("/v1")
    );
    let gw = Gateway::start(&config);
    let body = |model: &str| json!({"model": model, "query": "q", "documents": ["a"]});
    let err = assert_litellm_error(&gw.post("/v1/rerank", &body("together-rerank")), 400);
    assert_eq!(
        err["message"],
        "/rerank is not supported for model=together-rerank"
    );
    let err = assert_litellm_error(&gw.post("/v1/rerank", &body("infinity-rerank")), 400);
    assert!(
        err["message"].as_str().unwrap().contains("infinity"),
        "{err}"
    );
    assert_eq!(mock.stats().0, 0, "nothing was sent upstream");
    let stderr = gw.proc.stderr.text();
    assert!(
        stderr.contains("model_list[0] (together-rerank): /rerank to provider 'together_ai' is not supported by corelane yet"),
        "{stderr}"
    );
    assert!(
        stderr.contains("model_list[1] (infinity-rerank): provider 'infinity'"),
        "{stderr}"
    );
}

/// An embeddings answer over the 256 KiB a translation holds is translated as it arrives,
/// framed by length or chunked.
#[test]
fn a_large_embeddings_answer_is_translated_as_it_arrives() {
    let mock = Mock::start();
    let config = format!(
        "model_list:
  - model_name: coembed
    litellm_params: {{model: cohere/embed-english-v3.0, api_base: \"{}\", api_key: co-test}}
  - model_name: coembed-chunked
    litellm_params: {{model: cohere/embed-english-v3.0, api_base: \"{}\", api_key: co-test}}
",
        mock.base("/v2/embed"),
        mock.base("/chunked/v2/embed"),
    );
    let gw = Gateway::start(&config);
    let input: Vec<String> = (0..96).map(|i| format!("text {i}")).collect();
    for model in ["coembed", "coembed-chunked"] {
        let resp = gw.post(
            "/v1/embeddings",
            &json!({"model": model, "input": input, "dimensions": 1024}),
        );
        assert_eq!(resp.status, 200, "{model}: {}", resp.text());
        assert!(resp.body.len() > 256 * 1024, "{}", resp.body.len());
        let v = resp.json();
        assert_eq!(v["model"], model);
        let data = v["data"].as_array().unwrap();
        assert_eq!(data.len(), 96);
        for (i, d) in data.iter().enumerate() {
            assert_eq!(d["index"], i);
            assert_eq!(d["object"], "embedding");
            assert_eq!(d["embedding"].as_array().unwrap().len(), 1024);
        }
        assert_eq!(data[95]["embedding"][1023], json!(98.303));
        assert_eq!(v["usage"]["prompt_tokens"], 192);
        assert_eq!(v["usage"]["prompt_tokens_details"]["text_tokens"], 192);
    }
    gw.assert_healthy();
}
