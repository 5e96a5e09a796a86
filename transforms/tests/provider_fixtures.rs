//! Golden fixtures of the Gemini (and Vertex AI), Bedrock, Ollama and Cohere families, Claude on
//! Vertex AI, Mistral's OCR and OpenAI's Responses API, captured from LiteLLM 1.108.7's proxy by
//! the differential suite (`DIFF_CAPTURE`), under
//! `tests/fixtures/{gemini,bedrock,ollama,cohere,vertex_claude,ocr,responses}/<case>/`:
//!
//! - `openai_request.json` → `provider_request.json`: the request translation;
//! - `provider_response.json`, `.sse`, `.eventstream` or `.ndjson` → `openai_response.json`: LiteLLM's
//!   answer to the client (a JSON body, or a stream event by event), ids and times masked;
//! - `args`: the provider row, its model, the client's endpoint and model name, the stream
//!   options. Each `README` names the case it came from.
//!
//! The provider's wire formats: https://ai.google.dev/api/generate-content,
//! https://ai.google.dev/api/embeddings, https://cloud.google.com/vertex-ai/docs/reference/rest,
//! https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html and
//! `_ConverseStream.html` (AWS event-stream framing),
//! https://github.com/ollama/ollama/blob/main/docs/api.md (NDJSON streams),
//! https://docs.cohere.com/reference/chat, `/embed` and `/rerank` (LiteLLM cannot read Cohere's
//! streams, so none is captured). A new folder needs no code edit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture_dirs;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use bumpalo::Bump;
use corelane_transforms::bedrock::embed::{self, EmbedModel};
use corelane_transforms::bedrock::eventstream::EventFramer;
use corelane_transforms::family::{self, StreamTranslator};
use corelane_transforms::json::tape::Scratch;
use corelane_transforms::ollama::ndjson::LineFramer;
use corelane_transforms::openai;
use corelane_transforms::provider::{resolve, Endpoint, ProviderRow};
use serde_json::Value;

fn json(dir: &Path, name: &str) -> Value {
    let bytes =
        fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

/// The uuid in the ids the tests give translated answers (masked as the suite masks ids).
const TEST_UUID: &str = "00000000-0000-4000-8000-000000000000";

/// A lowercase hyphenated uuid (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The differential suite's masks: `created` and `created_at` are 0, generated ids are
/// placeholders.
fn mask(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if k == "created" || k == "created_at" {
                        Value::from(0)
                    } else {
                        mask(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(mask).collect()),
        Value::String(s) => {
            let hex = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_hexdigit());
            // A gateway's response id (LiteLLM's encrypted one, corelane's wrapped one).
            let wrapped = |t: &str| {
                t.len() >= 40
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
            };
            if s.strip_prefix("resp_").is_some_and(wrapped) {
                Value::from("resp_ID")
            } else if s.strip_prefix("rs_").is_some_and(is_uuid) {
                Value::from("rs_ID")
            } else if s.strip_prefix("call_").is_some_and(|t| hex(t, 28)) {
                Value::from("call_ID")
            } else if s.strip_prefix("chatcmpl-").is_some_and(is_uuid) {
                Value::from("chatcmpl-ID")
            } else if s.strip_prefix("msg_").is_some_and(is_uuid) {
                Value::from("msg_ID")
            } else if is_uuid(&s) {
                Value::from("UUID")
            } else if s.strip_prefix("call_").is_some_and(is_uuid) {
                Value::from("call_UUID")
            } else {
                Value::String(s)
            }
        }
        other => other,
    }
}

struct Case {
    name: String,
    /// [`corelane_transforms::responses::bridge::echo`] of the client's request.
    echo: Vec<u8>,
    args: HashMap<String, String>,
    row: &'static ProviderRow,
    endpoint: Endpoint,
}

impl Case {
    /// The deployment that answered: its provider, its id from `args` (`model_id`), the
    /// model's bundled prices (a Responses stream's last event carries the cost), and the
    /// request's fields a bridged Responses answer repeats.
    fn origin(&self) -> family::Origin<'_> {
        family::Origin {
            provider: self.row.name,
            model_id: self.args.get("model_id").map(String::as_str),
            prices: corelane_transforms::cost::bundled_prices(self.row.name, &self.args["model"]),
            echo: Some(&self.echo),
            provider_model: Some(&self.args["model"]),
        }
    }

    fn new(dir: &Path) -> Case {
        let args = fixture_dirs::args(dir);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(dir.join("README").exists(), "{name}: README missing");
        // The row the gateway resolves for the model (Claude on Bedrock has its own).
        let (row, _) = resolve(&args["model"], Some(&args["provider"])).unwrap();
        let endpoint = match args["endpoint"].as_str() {
            "chat" => Endpoint::ChatCompletions,
            "embeddings" => Endpoint::Embeddings,
            "messages" => Endpoint::Messages,
            "ocr" => Endpoint::Ocr,
            "completions" => Endpoint::Completions,
            "rerank" => Endpoint::Rerank,
            "responses" => Endpoint::Responses,
            other => panic!("{name}: endpoint {other}"),
        };
        let body = fs::read(dir.join("openai_request.json")).unwrap_or_default();
        Case {
            name,
            echo: corelane_transforms::responses::bridge::echo(&body),
            args,
            row,
            endpoint,
        }
    }

    /// The id and time the gateway gives a translated answer (its uuid masked as the suite
    /// masks LiteLLM's).
    fn answer_id(&self) -> (String, u64) {
        let prefix = match self.endpoint {
            Endpoint::Messages => "msg_",
            _ => "chatcmpl-",
        };
        (format!("{prefix}{TEST_UUID}"), 0)
    }

    fn flag(&self, key: &str) -> bool {
        self.args.get(key).is_some_and(|v| v == "true")
    }
}

/// Splits a client stream into events as the suite reads them: `{"event", "data"}`, the data
/// parsed (and masked) when it is JSON.
fn stream_events(sse: &[u8]) -> Vec<Value> {
    let text = String::from_utf8(sse.to_vec()).unwrap();
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut name = Value::Null;
            let mut data = Value::Null;
            for line in block.split('\n') {
                if let Some(n) = line.strip_prefix("event:") {
                    name = Value::from(n.trim());
                } else if let Some(d) = line.strip_prefix("data:") {
                    let d = d.trim();
                    data = serde_json::from_str(d)
                        .map(mask)
                        .unwrap_or_else(|_| Value::from(d));
                }
            }
            serde_json::json!({"event": name, "data": data})
        })
        .collect()
}

/// How a provider's stream is framed.
#[derive(Clone, Copy)]
enum Framing {
    Sse,
    Aws,
    Ndjson,
}

/// Feeds a provider's stream to the family's translator; the client's bytes.
fn translate_stream(case: &Case, input: &[u8], framing: Framing) -> Vec<u8> {
    let mut t: StreamTranslator = family::stream_translator(
        case.row,
        case.endpoint,
        &case.args["requested_model"],
        || case.answer_id(),
        &case.origin(),
    );
    let include_usage = case.flag("include_usage");
    let arena = Bump::new();
    let mut out = Vec::new();
    if let Framing::Aws = framing {
        let mut framer = EventFramer::new(1 << 20);
        framer.push(input);
        while let Some(event) = framer.next_event().unwrap() {
            t.aws_event(&event, include_usage, &mut out)
                .unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        }
    } else if let Framing::Ndjson = framing {
        let mut framer = LineFramer::new(1 << 20);
        framer.push(input);
        while let Some(line) = framer.next_line().unwrap() {
            t.ndjson_line(line, include_usage, &mut out)
                .unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        }
    } else {
        let text = String::from_utf8(input.to_vec()).unwrap();
        for event in text.split("\r\n\r\n").flat_map(|e| e.split("\n\n")) {
            // Its data line (Anthropic's events name themselves on a line before it).
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let event = event.trim();
            t.event(
                event.as_bytes(),
                data.as_bytes(),
                &case.args["requested_model"],
                include_usage,
                &arena,
                &mut out,
            )
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        }
    }
    t.end(include_usage, &mut out);
    out
}

fn run_family(family_dir: &str) -> usize {
    let mut ran = 0;
    for dir in fixture_dirs::cases(family_dir) {
        let case = Case::new(&dir);
        let body = fs::read(dir.join("openai_request.json")).unwrap();
        let mut scratch = Scratch::new();
        let fields = openai::inspect(&body, &mut scratch).unwrap();
        let mut out = Vec::new();
        // Titan takes one request per input, which the gateway sends and puts together.
        if EmbedModel::of(&case.args["model"]).is_some_and(EmbedModel::one_input_a_request) {
            run_titan(&case, &dir, &body);
            ran += 1;
            continue;
        }
        let note = family::write_request_body(
            case.row,
            case.endpoint,
            &body,
            &fields,
            &case.args["model"],
            case.args.get("anthropic_beta").map(String::as_str),
            false,
            false,
            &mut scratch,
            &mut out,
        )
        .unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        let sent: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            sent,
            json(&dir, "provider_request.json"),
            "{}: request",
            case.name
        );
        let expected = json(&dir, "openai_response.json");
        if let Ok(answer) = fs::read(dir.join("provider_response.json")) {
            let mut out = Vec::new();
            family::rewrite_response(
                case.row,
                case.endpoint,
                &answer,
                &case.args["requested_model"],
                || case.answer_id(),
                note,
                &case.origin(),
                &mut out,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let got = mask(serde_json::from_slice(&out).unwrap());
            assert_eq!(expected["status"], 200, "{}", case.name);
            assert_eq!(got, expected["json"], "{}: response", case.name);
        }
        for (file, framing) in [
            ("provider_response.sse", Framing::Sse),
            ("provider_response.eventstream", Framing::Aws),
            ("provider_response.ndjson", Framing::Ndjson),
        ] {
            if let Ok(stream) = fs::read(dir.join(file)) {
                let out = translate_stream(&case, &stream, framing);
                assert_eq!(
                    Value::from(stream_events(&out)),
                    expected["stream"],
                    "{}: stream",
                    case.name
                );
            }
        }
        ran += 1;
    }
    ran
}

/// A Titan fixture of one input: its one request, and the answer put together.
fn run_titan(case: &Case, dir: &Path, body: &[u8]) {
    let model = &case.args["model"];
    let plan =
        embed::titan_requests(body, model).unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
    assert_eq!(plan.len(), 1, "{}: one input", case.name);
    let mut sent = Vec::new();
    plan.body(0, &mut sent);
    let sent: Value = serde_json::from_slice(&sent).unwrap();
    assert_eq!(
        sent,
        json(dir, "provider_request.json"),
        "{}: request",
        case.name
    );
    let answer = fs::read(dir.join("provider_response.json")).unwrap();
    let mut items = Vec::new();
    let tokens = embed::titan_item(&answer, 0, &mut items).unwrap();
    let mut out = Vec::new();
    embed::titan_answer(&items, &case.args["requested_model"], tokens, 0, &mut out);
    let expected = json(dir, "openai_response.json");
    assert_eq!(
        mask(serde_json::from_slice(&out).unwrap()),
        expected["json"],
        "{}: response",
        case.name
    );
}

#[test]
fn every_vertex_claude_fixture_matches() {
    let ran = run_family("vertex_claude");
    assert!(ran >= 5, "only {ran} vertex_claude fixtures ran");
}

#[test]
fn every_responses_fixture_matches() {
    let ran = run_family("responses");
    assert!(ran >= 12, "only {ran} responses fixtures ran");
}

#[test]
fn every_ocr_fixture_matches() {
    let ran = run_family("ocr");
    assert!(ran >= 2, "only {ran} ocr fixtures ran");
}

#[test]
fn every_gemini_fixture_matches() {
    let ran = run_family("gemini");
    assert!(ran >= 10, "only {ran} gemini fixtures ran");
}

#[test]
fn every_cohere_fixture_matches() {
    let ran = run_family("cohere");
    assert!(ran >= 14, "only {ran} cohere fixtures ran");
}

#[test]
fn every_bedrock_fixture_matches() {
    let ran = run_family("bedrock");
    assert!(ran >= 8, "only {ran} bedrock fixtures ran");
}

#[test]
fn every_ollama_fixture_matches() {
    let ran = run_family("ollama");
    assert!(ran >= 20, "only {ran} ollama fixtures ran");
}
