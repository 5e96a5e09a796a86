//! Which handler serves a (method, path): the bare, `/v1/` and Azure-style
//! `/openai/deployments/{model}/...` forms LiteLLM's proxy accepts.

use corelane_http1::Method;
use corelane_transforms::provider::{Endpoint, ResponseOp};

use crate::exchange::RouteLabel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// An inference endpoint; `model_in_path` for the Azure-style forms, which name the model
    /// in the path ([`path_model`]).
    Inference {
        endpoint: Endpoint,
        model_in_path: bool,
    },
    Models,
    /// `/models/{id}`: one model group, as OpenAI's `models.retrieve` expects it.
    ModelById,
    ModelInfo,
    /// `/routes`: the routes this gateway serves, as LiteLLM lists its own.
    Routes,
    /// `POST /utils/token_counter`: a local token count for a model.
    TokenCounter,
    /// A stored response of the Responses API, named by the id in the path
    /// ([`response_id`]): read, deleted, its input items listed, or cancelled.
    StoredResponse(ResponseOp),
    Metrics,
    /// A management route of keys, users, teams and spend (`/key/generate`, ...).
    Manage(ManageOp),
    /// `GET /health`: the deployments' health checks (with a key).
    Health,
    Liveliness,
    Readiness,
    /// `GET /health/readiness/details`: readiness with LiteLLM's diagnostics (with a key).
    ReadinessDetails,
    NotFound,
    MethodNotAllowed,
}

/// The management routes: keys, users, teams and spend (`crate::manage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManageOp {
    KeyGenerate,
    KeyInfo,
    KeyUpdate,
    KeyDelete,
    KeyList,
    KeyBlock,
    KeyUnblock,
    KeyRegenerate,
    UserNew,
    UserInfo,
    UserUpdate,
    UserDelete,
    UserList,
    TeamNew,
    TeamInfo,
    TeamUpdate,
    TeamDelete,
    TeamList,
    SpendLogs,
    GlobalSpend,
}

/// Each management route: its path (as LiteLLM serves it, without `/v1`), method and op.
pub const MANAGE_ROUTES: &[(&str, Method, ManageOp)] = &[
    ("/key/generate", Method::Post, ManageOp::KeyGenerate),
    ("/key/info", Method::Get, ManageOp::KeyInfo),
    ("/key/update", Method::Post, ManageOp::KeyUpdate),
    ("/key/delete", Method::Post, ManageOp::KeyDelete),
    ("/key/list", Method::Get, ManageOp::KeyList),
    ("/key/block", Method::Post, ManageOp::KeyBlock),
    ("/key/unblock", Method::Post, ManageOp::KeyUnblock),
    ("/key/regenerate", Method::Post, ManageOp::KeyRegenerate),
    ("/user/new", Method::Post, ManageOp::UserNew),
    ("/user/info", Method::Get, ManageOp::UserInfo),
    ("/user/update", Method::Post, ManageOp::UserUpdate),
    ("/user/delete", Method::Post, ManageOp::UserDelete),
    ("/user/list", Method::Get, ManageOp::UserList),
    ("/team/new", Method::Post, ManageOp::TeamNew),
    ("/team/info", Method::Get, ManageOp::TeamInfo),
    ("/team/update", Method::Post, ManageOp::TeamUpdate),
    ("/team/delete", Method::Post, ManageOp::TeamDelete),
    ("/team/list", Method::Get, ManageOp::TeamList),
    ("/spend/logs", Method::Get, ManageOp::SpendLogs),
    ("/global/spend", Method::Get, ManageOp::GlobalSpend),
];

/// The management route of a path (query and trailing slash off; `/key/{key}/regenerate`
/// is `/key/regenerate` with the key in the path).
fn manage_route(method: Method, target: &str) -> Option<Route> {
    let end = memchr::memchr2(b'?', b'#', target.as_bytes()).unwrap_or(target.len());
    let path = target[..end].trim_end_matches('/');
    let path = match path.strip_prefix("/key/") {
        Some(rest) if rest.ends_with("/regenerate") && rest.len() > "/regenerate".len() => {
            "/key/regenerate"
        }
        _ => path,
    };
    let mut known = false;
    for (p, m, op) in MANAGE_ROUTES {
        if *p == path {
            known = true;
            let head_get = *m == Method::Get && method == Method::Head;
            if *m == method || head_get {
                return Some(Route::Manage(*op));
            }
        }
    }
    known.then_some(Route::MethodNotAllowed)
}

/// The `{key}` of `/key/{key}/regenerate`.
pub fn path_key(target: &str) -> Option<&str> {
    let end = memchr::memchr2(b'?', b'#', target.as_bytes()).unwrap_or(target.len());
    target[..end]
        .strip_prefix("/key/")?
        .strip_suffix("/regenerate")
        .filter(|k| !k.is_empty() && !k.contains('/'))
}

/// Every route served, as `/routes` lists them: (path, methods).
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/chat/completions", &["POST"]),
    ("/v1/chat/completions", &["POST"]),
    ("/openai/deployments/{model}/chat/completions", &["POST"]),
    ("/engines/{model}/chat/completions", &["POST"]),
    ("/completions", &["POST"]),
    ("/v1/completions", &["POST"]),
    ("/openai/deployments/{model}/completions", &["POST"]),
    ("/engines/{model}/completions", &["POST"]),
    ("/embeddings", &["POST"]),
    ("/v1/embeddings", &["POST"]),
    ("/v1/messages", &["POST"]),
    ("/v1/messages/count_tokens", &["POST"]),
    ("/ocr", &["POST"]),
    ("/v1/ocr", &["POST"]),
    ("/responses", &["POST"]),
    ("/v1/responses", &["POST"]),
    ("/openai/v1/responses", &["POST"]),
    ("/responses/{response_id}", &["GET", "DELETE"]),
    ("/v1/responses/{response_id}", &["GET", "DELETE"]),
    ("/openai/v1/responses/{response_id}", &["GET", "DELETE"]),
    ("/responses/{response_id}/input_items", &["GET"]),
    ("/v1/responses/{response_id}/input_items", &["GET"]),
    ("/openai/v1/responses/{response_id}/input_items", &["GET"]),
    ("/responses/{response_id}/cancel", &["POST"]),
    ("/v1/responses/{response_id}/cancel", &["POST"]),
    ("/openai/v1/responses/{response_id}/cancel", &["POST"]),
    ("/rerank", &["POST"]),
    ("/v1/rerank", &["POST"]),
    ("/v2/rerank", &["POST"]),
    ("/openai/deployments/{model}/embeddings", &["POST"]),
    ("/engines/{model}/embeddings", &["POST"]),
    ("/models", &["GET", "HEAD"]),
    ("/v1/models", &["GET", "HEAD"]),
    ("/models/{model_id}", &["GET", "HEAD"]),
    ("/v1/models/{model_id}", &["GET", "HEAD"]),
    ("/model/info", &["GET", "HEAD"]),
    ("/v1/model/info", &["GET", "HEAD"]),
    ("/routes", &["GET", "HEAD"]),
    ("/utils/token_counter", &["POST"]),
    ("/metrics", &["GET", "HEAD"]),
    ("/health", &["GET", "HEAD"]),
    ("/health/readiness/details", &["GET", "HEAD"]),
    ("/health/liveliness", &["GET", "HEAD"]),
    ("/health/liveness", &["GET", "HEAD"]),
    ("/health/readiness", &["GET", "HEAD"]),
    ("/key/generate", &["POST"]),
    ("/key/info", &["GET"]),
    ("/key/update", &["POST"]),
    ("/key/delete", &["POST"]),
    ("/key/list", &["GET"]),
    ("/key/block", &["POST"]),
    ("/key/unblock", &["POST"]),
    ("/key/regenerate", &["POST"]),
    ("/key/{key}/regenerate", &["POST"]),
    ("/user/new", &["POST"]),
    ("/user/info", &["GET"]),
    ("/user/update", &["POST"]),
    ("/user/delete", &["POST"]),
    ("/user/list", &["GET"]),
    ("/team/new", &["POST"]),
    ("/team/info", &["GET"]),
    ("/team/update", &["POST"]),
    ("/team/delete", &["POST"]),
    ("/team/list", &["GET"]),
    ("/spend/logs", &["GET"]),
    ("/global/spend", &["GET"]),
];

impl Route {
    /// Health probes are open even when a master key is set (as in LiteLLM).
    pub fn needs_auth(&self) -> bool {
        !matches!(self, Route::Liveliness | Route::Readiness | Route::NotFound)
    }
}

/// The path of a target without query, fragment, trailing slash and `/v1` prefix.
fn bare_path(target: &str) -> &str {
    // Query and fragment off, by byte (ASCII delimiters, so the cut is a char boundary).
    let end = memchr::memchr2(b'?', b'#', target.as_bytes()).unwrap_or(target.len());
    let path = &target[..end];
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    path.strip_prefix("/v1")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path)
}

/// The `{model}` of `/openai/deployments/{model}/...` or `/engines/{model}/...`, which
/// LiteLLM uses instead of the body's.
pub fn path_model(target: &str) -> Option<&str> {
    let bare = bare_path(target);
    let rest = bare
        .strip_prefix("/openai/deployments/")
        .or_else(|| bare.strip_prefix("/engines/"))?;
    rest.split_once('/')
        .map(|(model, _)| model)
        .filter(|m| !m.is_empty())
}

/// The `{response_id}` of `/responses/{response_id}[/...]`, percent-decoded (`None` when it is
/// not UTF-8).
pub fn response_id(target: &str) -> Option<String> {
    let bare = bare_path(target);
    let rest = bare
        .strip_prefix("/openai/v1")
        .unwrap_or(bare)
        .strip_prefix("/responses/")?;
    let id = rest.split('/').next().unwrap_or("");
    let mut out = Vec::with_capacity(id.len());
    let bytes = id.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The route of a `/responses/...` path (under `/v1`, `/openai/v1` or bare): `None` for any
/// other path.
fn responses_route(method: Method, bare: &str) -> Option<Route> {
    let rest = bare.strip_prefix("/openai/v1").unwrap_or(bare);
    let rest = rest.strip_prefix("/responses")?;
    // A stored response is not read with HEAD: its answer is relayed with its body.
    let allowed = |want: Method, r: Route| {
        if method == want {
            r
        } else {
            Route::MethodNotAllowed
        }
    };
    if rest.is_empty() {
        return Some(allowed(
            Method::Post,
            Route::Inference {
                endpoint: Endpoint::Responses,
                model_in_path: false,
            },
        ));
    }
    let rest = rest.strip_prefix('/')?;
    let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
    // LiteLLM's compaction and input-token counting are not served (a clear 404, never a
    // stored response named "compact").
    if id.is_empty() || matches!(id, "compact" | "input_tokens") {
        return Some(Route::NotFound);
    }
    Some(match tail {
        "" if method == Method::Delete => Route::StoredResponse(ResponseOp::Delete),
        "" => allowed(Method::Get, Route::StoredResponse(ResponseOp::Get)),
        "input_items" => allowed(Method::Get, Route::StoredResponse(ResponseOp::InputItems)),
        "cancel" => allowed(Method::Post, Route::StoredResponse(ResponseOp::Cancel)),
        _ => Route::NotFound,
    })
}

/// A query parameter of a target, form-decoded: the last of a repeated one, as Starlette
/// reads them; empty (or not UTF-8 once decoded) is absent, as LiteLLM's truth tests treat it.
pub fn query_param(target: &str, name: &str) -> Option<String> {
    let (_, query) = target.split_once('?')?;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let mut found = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if form_decode(key).as_deref() == Some(name) {
            found = form_decode(value).filter(|v| !v.is_empty());
        }
    }
    found
}

/// Form decoding: `+` is a space, `%XX` a byte; `None` for text that is not UTF-8 after it.
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The `{model_id}` of `/models/{model_id}` (it may contain slashes: `openai/gpt-4o`).
pub fn model_id(target: &str) -> &str {
    bare_path(target).strip_prefix("/models/").unwrap_or("")
}

/// The route as metrics and logs name it: the served path in the form the client used
/// (`/v1/chat/completions` or `/chat/completions`), with the Azure-style model as
/// `{model}`. Unknown paths are all "unknown", so a client cannot mint label values.
pub fn label(route: Route, target: &str) -> RouteLabel {
    let v1 = target.starts_with("/v1/");
    let pick = |plain: &'static str, with_v1: &'static str| if v1 { with_v1 } else { plain };
    RouteLabel(match route {
        Route::Inference {
            endpoint,
            model_in_path,
        } => match (endpoint, model_in_path) {
            (Endpoint::ChatCompletions, false) => pick("/chat/completions", "/v1/chat/completions"),
            (Endpoint::Completions, false) => pick("/completions", "/v1/completions"),
            (Endpoint::Embeddings, false) => pick("/embeddings", "/v1/embeddings"),
            (Endpoint::ChatCompletions, true) => "/openai/deployments/{model}/chat/completions",
            (Endpoint::Completions, true) => "/openai/deployments/{model}/completions",
            (Endpoint::Embeddings, true) => "/openai/deployments/{model}/embeddings",
            (Endpoint::Messages, _) => "/v1/messages",
            (Endpoint::CountTokens, _) => "/v1/messages/count_tokens",
            (Endpoint::Ocr, _) => pick("/ocr", "/v1/ocr"),
            (Endpoint::Rerank, _) if target.starts_with("/v2/") => "/v2/rerank",
            (Endpoint::Rerank, _) => pick("/rerank", "/v1/rerank"),
            (Endpoint::Responses, _) if target.starts_with("/openai/") => "/openai/v1/responses",
            (Endpoint::Responses, _) => pick("/responses", "/v1/responses"),
            // Not an inference route's endpoint: see `Route::StoredResponse`.
            (Endpoint::Response(_), _) => "unknown",
        },
        Route::StoredResponse(op) => match op {
            ResponseOp::Get | ResponseOp::Delete => {
                pick("/responses/{response_id}", "/v1/responses/{response_id}")
            }
            ResponseOp::InputItems => pick(
                "/responses/{response_id}/input_items",
                "/v1/responses/{response_id}/input_items",
            ),
            ResponseOp::Cancel => pick(
                "/responses/{response_id}/cancel",
                "/v1/responses/{response_id}/cancel",
            ),
        },
        Route::Models => pick("/models", "/v1/models"),
        Route::ModelById => pick("/models/{model_id}", "/v1/models/{model_id}"),
        Route::ModelInfo => pick("/model/info", "/v1/model/info"),
        Route::Routes => "/routes",
        Route::TokenCounter => "/utils/token_counter",
        Route::Metrics => "/metrics",
        Route::Manage(ManageOp::KeyRegenerate) if path_key(target).is_some() => {
            "/key/{key}/regenerate"
        }
        Route::Manage(op) => MANAGE_ROUTES
            .iter()
            .find(|(_, _, o)| *o == op)
            .map_or("unknown", |(p, _, _)| p),
        Route::Health => "/health",
        Route::Liveliness => "/health/liveliness",
        Route::Readiness => "/health/readiness",
        Route::ReadinessDetails => "/health/readiness/details",
        Route::NotFound | Route::MethodNotAllowed => "unknown",
    })
}

pub fn route(method: Method, target: &str) -> Route {
    if let Some(route) = manage_route(method, target) {
        return route;
    }
    let bare = bare_path(target);
    // RFC 9110 §9.3.2: HEAD is GET without the body, so it routes (and authenticates) the same.
    let get = |r: Route| {
        if matches!(method, Method::Get | Method::Head) {
            r
        } else {
            Route::MethodNotAllowed
        }
    };
    let post = |endpoint: Endpoint, model_in_path: bool| {
        if method == Method::Post {
            Route::Inference {
                endpoint,
                model_in_path,
            }
        } else {
            Route::MethodNotAllowed
        }
    };
    // Anthropic's route exists only under /v1 (as in LiteLLM).
    if target.starts_with("/v1/") {
        match bare {
            "/messages" => return post(Endpoint::Messages, false),
            "/messages/count_tokens" => return post(Endpoint::CountTokens, false),
            _ => {}
        }
    }
    match bare {
        "/chat/completions" => return post(Endpoint::ChatCompletions, false),
        "/completions" => return post(Endpoint::Completions, false),
        "/embeddings" => return post(Endpoint::Embeddings, false),
        "/ocr" => return post(Endpoint::Ocr, false),
        "/rerank" | "/v2/rerank" => return post(Endpoint::Rerank, false),
        _ if bare.starts_with("/responses") || bare.starts_with("/openai/v1/responses") => {
            if let Some(route) = responses_route(method, bare) {
                return route;
            }
        }
        "/models" => return get(Route::Models),
        "/model/info" => return get(Route::ModelInfo),
        "/routes" => return get(Route::Routes),
        "/utils/token_counter" if method == Method::Post => return Route::TokenCounter,
        "/utils/token_counter" => return Route::MethodNotAllowed,
        "/metrics" => return get(Route::Metrics),
        "/health/liveliness" | "/health/liveness" => return get(Route::Liveliness),
        "/health/readiness" => return get(Route::Readiness),
        "/health" => return get(Route::Health),
        "/health/readiness/details" => return get(Route::ReadinessDetails),
        _ => {}
    }
    if bare
        .strip_prefix("/models/")
        .is_some_and(|id| !id.is_empty())
    {
        return get(Route::ModelById);
    }
    let rest = bare
        .strip_prefix("/openai/deployments/")
        .or_else(|| bare.strip_prefix("/engines/"));
    if let Some(rest) = rest {
        if let Some((model, tail)) = rest.split_once('/') {
            if !model.is_empty() {
                let endpoint = match tail {
                    "chat/completions" => Endpoint::ChatCompletions,
                    "completions" => Endpoint::Completions,
                    "embeddings" => Endpoint::Embeddings,
                    _ => return Route::NotFound,
                };
                return post(endpoint, true);
            }
        }
    }
    Route::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_ids_come_from_the_path_percent_decoded() {
        assert_eq!(
            response_id("/v1/responses/resp_a%3D%3D/cancel").as_deref(),
            Some("resp_a==")
        );
        assert_eq!(
            response_id("/openai/v1/responses/r1?x=1").as_deref(),
            Some("r1")
        );
        assert_eq!(response_id("/v1/responses/%FF"), None);
        assert_eq!(response_id("/v1/chat/completions"), None);
    }

    #[test]
    fn route_table() {
        use Endpoint::*;
        let inf = |endpoint, path_model: Option<&str>| Route::Inference {
            endpoint,
            model_in_path: path_model.is_some(),
        };
        let cases: &[(Method, &str, Route)] = &[
            (
                Method::Post,
                "/chat/completions",
                inf(ChatCompletions, None),
            ),
            (
                Method::Post,
                "/v1/chat/completions",
                inf(ChatCompletions, None),
            ),
            (
                Method::Post,
                "/v1/chat/completions/",
                inf(ChatCompletions, None),
            ),
            (Method::Post, "/completions", inf(Completions, None)),
            (Method::Post, "/v1/embeddings", inf(Embeddings, None)),
            (Method::Post, "/rerank", inf(Rerank, None)),
            (Method::Post, "/v1/rerank", inf(Rerank, None)),
            (Method::Post, "/v2/rerank", inf(Rerank, None)),
            (Method::Post, "/v1/responses", inf(Responses, None)),
            (Method::Post, "/responses", inf(Responses, None)),
            (Method::Post, "/openai/v1/responses", inf(Responses, None)),
            (Method::Get, "/v1/responses", Route::MethodNotAllowed),
            (
                Method::Get,
                "/v1/responses/resp_1",
                Route::StoredResponse(ResponseOp::Get),
            ),
            (
                Method::Delete,
                "/responses/resp_1",
                Route::StoredResponse(ResponseOp::Delete),
            ),
            (
                Method::Get,
                "/openai/v1/responses/resp_1/input_items?limit=3",
                Route::StoredResponse(ResponseOp::InputItems),
            ),
            (
                Method::Post,
                "/v1/responses/resp_1/cancel",
                Route::StoredResponse(ResponseOp::Cancel),
            ),
            (
                Method::Head,
                "/v1/responses/resp_1",
                Route::MethodNotAllowed,
            ),
            (
                Method::Post,
                "/v1/responses/resp_1",
                Route::MethodNotAllowed,
            ),
            (Method::Post, "/v1/responses/compact", Route::NotFound),
            (Method::Get, "/v1/responses/resp_1/other", Route::NotFound),
            (Method::Get, "/v2/rerank", Route::MethodNotAllowed),
            (Method::Post, "/v2/embeddings", Route::NotFound),
            (Method::Post, "/v1/messages", inf(Messages, None)),
            (Method::Post, "/v1/messages?beta=true", inf(Messages, None)),
            (Method::Post, "/messages", Route::NotFound),
            (
                Method::Post,
                "/v1/messages/count_tokens?beta=true",
                inf(CountTokens, None),
            ),
            (Method::Get, "/v1/messages", Route::MethodNotAllowed),
            (
                Method::Post,
                "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
                inf(ChatCompletions, Some("gpt-4o")),
            ),
            (
                Method::Post,
                "/openai/deployments/emb/embeddings",
                inf(Embeddings, Some("emb")),
            ),
            (
                Method::Post,
                "/engines/m1/completions",
                inf(Completions, Some("m1")),
            ),
            (
                Method::Post,
                "/openai/deployments//chat/completions",
                Route::NotFound,
            ),
            (Method::Get, "/v1/models", Route::Models),
            (Method::Get, "/models", Route::Models),
            (Method::Get, "/model/info", Route::ModelInfo),
            (Method::Get, "/health/liveliness", Route::Liveliness),
            (Method::Get, "/health/readiness", Route::Readiness),
            (Method::Head, "/health/readiness", Route::Readiness),
            (Method::Get, "/health", Route::Health),
            (Method::Get, "/health?model=gpt-4o", Route::Health),
            (Method::Post, "/health", Route::MethodNotAllowed),
            (
                Method::Get,
                "/health/readiness/details",
                Route::ReadinessDetails,
            ),
            (Method::Get, "/health/liveness", Route::Liveliness),
            (Method::Head, "/v1/models", Route::Models),
            (
                Method::Head,
                "/v1/chat/completions",
                Route::MethodNotAllowed,
            ),
            (Method::Get, "/v1/chat/completions", Route::MethodNotAllowed),
            (Method::Post, "/v1/models", Route::MethodNotAllowed),
            (Method::Get, "/nope", Route::NotFound),
            (Method::Get, "/v1/models/gpt-4o", Route::ModelById),
            (Method::Get, "/models/openai/gpt-4o", Route::ModelById),
            (Method::Get, "/models/", Route::Models),
            (Method::Get, "/routes", Route::Routes),
            (Method::Get, "/metrics", Route::Metrics),
            (Method::Get, "/metrics/", Route::Metrics),
            (Method::Post, "/metrics", Route::MethodNotAllowed),
            (Method::Get, "/v1", Route::NotFound),
        ];
        for (method, path, want) in cases {
            assert_eq!(route(*method, path), *want, "{method:?} {path}");
        }
    }

    #[test]
    fn path_models_ids_and_labels() {
        assert_eq!(
            path_model("/openai/deployments/gpt-4o/chat/completions?x=1"),
            Some("gpt-4o")
        );
        assert_eq!(path_model("/engines/m1/completions"), Some("m1"));
        assert_eq!(path_model("/v1/chat/completions"), None);
        assert_eq!(model_id("/v1/models/openai/gpt-4o"), "openai/gpt-4o");
        let l = |m, t| label(route(m, t), t).0;
        assert_eq!(
            l(Method::Post, "/v1/chat/completions"),
            "/v1/chat/completions"
        );
        assert_eq!(
            l(Method::Post, "/chat/completions?a=b"),
            "/chat/completions"
        );
        assert_eq!(
            l(
                Method::Post,
                "/openai/deployments/anything-at-all/embeddings"
            ),
            "/openai/deployments/{model}/embeddings"
        );
        assert_eq!(l(Method::Get, "/v1/models/x"), "/v1/models/{model_id}");
        assert_eq!(l(Method::Get, "/random/path/123"), "unknown");
        assert_eq!(l(Method::Post, "/rerank"), "/rerank");
        assert_eq!(l(Method::Post, "/v1/rerank"), "/v1/rerank");
        assert_eq!(l(Method::Post, "/v2/rerank/"), "/v2/rerank");
        for (path, _) in ROUTES {
            let method = if path.contains("completions") || path.contains("embeddings") {
                Method::Post
            } else {
                Method::Get
            };
            let concrete = path.replace("{model}", "m").replace("{model_id}", "m");
            assert_ne!(route(method, &concrete), Route::NotFound, "{path}");
        }
    }
}
