//! Conformance of every row of the provider table: a new row is covered with no edit here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use corelane_transforms::provider::{
    base_path, find, resolve, with_model_rows, write_request_path, Auth, Credentials, Endpoint,
    PathStyle, UpstreamTarget, NOT_YET_SUPPORTED, PROVIDERS,
};

/// Providers whose base LiteLLM takes from `api_base` or its default only, never from an env
/// var: clarifai (`llms/clarifai/chat/transformation.py`), compactifai (`main.py`), and the
/// entries of `llms/openai_like/providers.json` that have no `api_base_env`.
const NO_BASE_ENV: &[&str] = &[
    "clarifai",
    "compactifai",
    "abliteration",
    "apertis",
    "assemblyai",
    "charity_engine",
    "chutes",
    "gmi",
    "helicone",
    "llamagate",
    "nano-gpt",
    "poe",
    "sarvam",
    "scaleway",
    "synthetic",
    "veniceai",
    "voyage",
    "xiaomi_mimo",
];

#[test]
fn every_row_is_consistent() {
    let mut names = HashSet::new();
    for row in PROVIDERS {
        for n in std::iter::once(&row.name).chain(row.aliases) {
            assert!(names.insert(*n), "duplicate provider name or alias {n}");
            assert!(!n.contains('/') && !n.is_empty(), "{n}");
            assert_eq!(find(n).unwrap().name, row.name);
        }
        if row.api_base.is_empty() {
            // Azure's base is per resource, Vertex AI's per project and location.
            assert!(
                matches!(
                    row.path,
                    PathStyle::AzureDeployment | PathStyle::Vertex | PathStyle::BedrockModel
                ),
                "{}: only azure, vertex_ai and bedrock may lack a default base",
                row.name
            );
        } else {
            assert!(
                row.api_base.starts_with("https://") || row.api_base.starts_with("http://"),
                "{}",
                row.name
            );
            assert!(
                !row.api_base.ends_with('/'),
                "{}: base joins with a leading-slash path",
                row.name
            );
        }
        if row.key_required {
            assert!(
                !row.key_env.is_empty(),
                "{}: required key needs an env var",
                row.name
            );
            assert_ne!(row.auth, Auth::None, "{}", row.name);
        }
        assert_eq!(
            row.base_env.is_empty(),
            NO_BASE_ENV.contains(&row.name),
            "{}: LiteLLM reads a base env var for every provider but those in NO_BASE_ENV",
            row.name
        );
        for env in row.base_env.iter().chain(row.key_env) {
            assert!(
                env.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{env}"
            );
        }
        assert!(!row.endpoints.is_empty(), "{}", row.name);

        let model = format!("{}/some-org/m-1", row.name);
        let (hit, provider_model) = resolve(&model, None).unwrap();
        assert_eq!(hit.name, row.name);
        assert_eq!(provider_model, "some-org/m-1");

        for &endpoint in row.endpoints {
            let mut path = String::new();
            write_request_path(row, endpoint, "m-1", None, false, &mut path);
            assert!(path.starts_with('/'), "{}: {path}", row.name);
            match row.path {
                PathStyle::Plain => assert_eq!(path, endpoint.path()),
                PathStyle::AzureDeployment => assert!(
                    path.contains("/deployments/m-1/")
                        && path.contains(endpoint.path())
                        && path.contains("api-version="),
                    "{path}"
                ),
                PathStyle::GeminiModels => {
                    assert!(path.starts_with("/models/m-1:"), "{}: {path}", row.name)
                }
                PathStyle::Vertex => assert!(
                    path.starts_with("/publishers/google/models/m-1:"),
                    "{}: {path}",
                    row.name
                ),
                PathStyle::BedrockModel if endpoint == Endpoint::CountTokens => {
                    assert_eq!(path, "/model/m-1/count-tokens", "{}", row.name)
                }
                PathStyle::BedrockModel => assert_eq!(path, "/model/m-1/converse", "{}", row.name),
                PathStyle::OllamaApi => assert!(path.starts_with("/api/"), "{}: {path}", row.name),
                // The api_base is taken as given; Cohere's own host gets its v2 paths.
                PathStyle::Cohere => assert!(path.starts_with("/v2/"), "{}: {path}", row.name),
            }
        }
    }
    for required in [
        "openai",
        "azure",
        "groq",
        "together_ai",
        "fireworks_ai",
        "deepseek",
        "mistral",
        "xai",
        "perplexity",
        "openrouter",
        "deepinfra",
        "cerebras",
        "nvidia_nim",
        "sambanova",
        "hosted_vllm",
        "ollama",
        "lm_studio",
        "litellm_proxy",
    ] {
        assert!(find(required).is_some(), "missing row {required}");
    }
    assert_eq!(find("azure").unwrap().auth, Auth::Header("api-key"));
    assert!(Endpoint::OPENAI_FORMAT
        .iter()
        .all(|e| e.path().starts_with('/')));
}

/// The table covers LiteLLM's OpenAI-compatible providers, and a name is either routed or
/// refused, never both.
#[test]
fn table_is_large_and_disjoint_from_the_refused_names() {
    assert!(PROVIDERS.len() >= 60, "{} rows", PROVIDERS.len());
    let refused: HashSet<&str> = NOT_YET_SUPPORTED.iter().copied().collect();
    assert_eq!(
        refused.len(),
        NOT_YET_SUPPORTED.len(),
        "NOT_YET_SUPPORTED repeats a name"
    );
    for row in PROVIDERS {
        for n in std::iter::once(&row.name).chain(row.aliases) {
            assert!(
                !refused.contains(n),
                "{n} is both a row and NOT_YET_SUPPORTED"
            );
        }
    }
}

#[test]
fn suffix_hook_joins_once() {
    let runner = find("docker_model_runner").unwrap();
    assert_eq!(
        base_path(runner, "/engines/llama.cpp"),
        "/engines/llama.cpp/v1"
    );
    assert_eq!(
        base_path(runner, "/engines/llama.cpp/v1/"),
        "/engines/llama.cpp/v1"
    );
    let openai = find("openai").unwrap();
    assert_eq!(base_path(openai, ""), "");
    assert_eq!(base_path(openai, "/v1/"), "/v1");
}

/// Ollama's native API under the bare host (LiteLLM's `get_complete_url`: a base already
/// ending with the API path is used as given), the key as a bearer token except on
/// embeddings, which LiteLLM posts without headers.
#[test]
fn ollama_heads_name_the_native_api() {
    let target = |endpoint, base_path| UpstreamTarget {
        endpoint,
        provider_model: "llama3.2",
        api_version: None,
        base_path,
        host: "localhost:11434",
        stream: true,
        body_len: 2,
        body: b"",
        now: std::time::SystemTime::UNIX_EPOCH,
        anthropic_beta: None,
        response_id: None,
    };
    let key = Credentials {
        api_key: Some("sk-o".to_owned()),
        ..Credentials::default()
    };
    let head = |name, endpoint, base| {
        let mut out = Vec::new();
        corelane_transforms::family::write_request_head(
            find(name).unwrap(),
            &target(endpoint, base),
            &key,
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    };
    let h = head("ollama_chat", Endpoint::ChatCompletions, "");
    assert!(h.starts_with("POST /api/chat HTTP/1.1\r\n"), "{h}");
    assert!(h.ends_with("\r\nAuthorization: Bearer sk-o"), "{h}");
    let h = head("ollama", Endpoint::ChatCompletions, "/proxy");
    assert!(
        h.starts_with("POST /proxy/api/generate HTTP/1.1\r\n"),
        "{h}"
    );
    let h = head("ollama", Endpoint::Completions, "/api/generate");
    assert!(h.starts_with("POST /api/generate HTTP/1.1\r\n"), "{h}");
    let h = head("ollama", Endpoint::Embeddings, "");
    assert!(h.starts_with("POST /api/embed HTTP/1.1\r\n"), "{h}");
    assert!(!h.contains("uthorization"), "{h}");
}

/// The family seam writes the whole upstream head: request line, host, framing, accept and
/// the row's auth style with the deployment's key, per request.
#[test]
fn request_heads_carry_each_rows_auth_style() {
    let target = |stream| UpstreamTarget {
        endpoint: Endpoint::ChatCompletions,
        provider_model: "m-1",
        api_version: Some("2024-10-21"),
        base_path: "/v1",
        host: "api.example.com",
        stream,
        body_len: 42,
        body: b"",
        now: std::time::SystemTime::UNIX_EPOCH,
        anthropic_beta: None,
        response_id: None,
    };
    let key = Credentials {
        api_key: Some("sk-\r\nx: evil".to_owned()),
        token: None,
        aws: None,
    };
    let head = |row, stream, creds: &Credentials| {
        let mut out = Vec::new();
        corelane_transforms::family::write_request_head(row, &target(stream), creds, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    };
    let groq = find("groq").unwrap();
    assert_eq!(
        head(groq, false, &key),
        "POST /v1/chat/completions HTTP/1.1\r\nhost: api.example.com\r\ncontent-type: application/json\r\ncontent-length: 42\r\naccept: application/json\r\nAuthorization: Bearer sk-x: evil"
    );
    let azure = find("azure").unwrap();
    let h = head(azure, true, &key);
    assert!(
        h.starts_with(
            "POST /v1/openai/deployments/m-1/chat/completions?api-version=2024-10-21 HTTP/1.1\r\n"
        ),
        "{h}"
    );
    assert!(h.contains("\r\naccept: text/event-stream"), "{h}");
    assert!(h.ends_with("\r\napi-key: sk-x: evil"), "{h}");
    let vllm = find("hosted_vllm").unwrap();
    assert!(!head(vllm, false, &Credentials::default()).contains("uthorization"));
}

/// README's "Providers" bullet lists every row by name, and every alias, so the list cannot
/// drift from the table.
#[test]
fn readme_lists_every_provider() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find("\n- **Providers** (")
        .expect("README has a Providers bullet");
    let bullet = &readme[start + 1..];
    let end = bullet[1..].find("\n- ").map_or(bullet.len(), |i| i + 1);
    let words: HashSet<&str> = bullet[..end]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .collect();
    for row in PROVIDERS {
        for n in std::iter::once(&row.name).chain(row.aliases) {
            assert!(
                words.contains(n),
                "README.md's Providers bullet does not list {n}"
            );
        }
    }
}

/// The providers × endpoints table, from the provider table and the family seam: providers
/// with the same support share a row. `CORELANE_UPDATE_README=1` writes it into README.md.
fn endpoint_table() -> String {
    use corelane_transforms::family::{bridge, serves, Bridge};
    let columns = [
        ("chat", Some(Endpoint::ChatCompletions)),
        ("stream", Some(Endpoint::ChatCompletions)),
        ("embeddings", Some(Endpoint::Embeddings)),
        ("completions", Some(Endpoint::Completions)),
        ("messages", Some(Endpoint::Messages)),
        ("responses", Some(Endpoint::Responses)),
        ("ocr", Some(Endpoint::Ocr)),
        ("rerank", Some(Endpoint::Rerank)),
    ];
    let mut groups: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    for row in PROVIDERS {
        let cells: Vec<&str> = columns
            .iter()
            .map(|(_, endpoint)| {
                // The provider's support: its row's, or a row picked for some of its models.
                let serving = endpoint.and_then(|e| {
                    with_model_rows(row)
                        .into_iter()
                        .find(|r| serves(r, e))
                        .map(|r| (r, e))
                });
                match serving {
                    Some((r, e)) => match bridge(r, e) {
                        Bridge::OpenAi | Bridge::Anthropic | Bridge::Responses => "yes",
                        _ => "translated",
                    },
                    None => "no",
                }
            })
            .collect();
        match groups.iter_mut().find(|(c, _)| *c == cells) {
            Some((_, names)) => names.push(row.name),
            None => groups.push((cells, vec![row.name])),
        }
    }
    let mut t = String::from("| providers |");
    for (name, _) in &columns {
        t.push_str(&format!(" {name} |"));
    }
    t.push_str("\n|---|");
    t.push_str(&"---|".repeat(columns.len()));
    for (cells, names) in groups {
        t.push_str(&format!("\n| {} |", names.join(", ")));
        for c in cells {
            t.push_str(&format!(" {c} |"));
        }
    }
    t.push('\n');
    t
}

/// README's providers × endpoints table is the one the provider table gives.
#[test]
fn readme_endpoint_table_matches_the_provider_table() {
    const START: &str = "<!-- endpoint-table:start -->\n";
    const END: &str = "<!-- endpoint-table:end -->";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let from = readme
        .find(START)
        .expect("README has the endpoint table markers")
        + START.len();
    let to = readme[from..].find(END).expect("end marker") + from;
    let want = endpoint_table();
    // A test's own switch, not gateway configuration.
    #[allow(clippy::disallowed_methods)]
    let update = std::env::var_os("CORELANE_UPDATE_README").is_some();
    if update {
        std::fs::write(path, format!("{}{want}{}", &readme[..from], &readme[to..])).unwrap();
        return;
    }
    assert_eq!(
        readme[from..to],
        want,
        "README.md's endpoint table is stale: run CORELANE_UPDATE_README=1 cargo test -p corelane-transforms --test providers"
    );
}
