//! Which handler serves a (method, path): the bare, `/v1/` and Azure-style
//! `/openai/deployments/{model}/...` forms LiteLLM's proxy accepts.

use corelane_http1::Method;
use corelane_transforms::provider::Endpoint;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'p> {
    /// An inference endpoint; `path_model` is the `{model}` of `/openai/deployments/{model}/...`
    /// or `/engines/{model}/...`, which LiteLLM uses when the body names none.
    Inference {
        endpoint: Endpoint,
        path_model: Option<&'p str>,
    },
    Models,
    ModelInfo,
    Liveliness,
    Readiness,
    NotFound,
    MethodNotAllowed,
}

impl Route<'_> {
    /// Health probes are open even when a master key is set (as in LiteLLM).
    pub fn needs_auth(&self) -> bool {
        !matches!(self, Route::Liveliness | Route::Readiness | Route::NotFound)
    }
}

pub fn route(method: Method, target: &str) -> Route<'_> {
    // Query and fragment off, by byte (ASCII delimiters, so the cut is a char boundary).
    let end = target
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(target.len());
    let path = &target[..end];
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let bare = path
        .strip_prefix("/v1")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path);
    // RFC 9110 §9.3.2: HEAD is GET without the body, so it routes (and authenticates) the same.
    let get = |r: Route<'static>| {
        if matches!(method, Method::Get | Method::Head) {
            r
        } else {
            Route::MethodNotAllowed
        }
    };
    let post = |endpoint: Endpoint, path_model| {
        if method == Method::Post {
            Route::Inference {
                endpoint,
                path_model,
            }
        } else {
            Route::MethodNotAllowed
        }
    };
    match bare {
        "/chat/completions" => return post(Endpoint::ChatCompletions, None),
        "/completions" => return post(Endpoint::Completions, None),
        "/embeddings" => return post(Endpoint::Embeddings, None),
        "/models" => return get(Route::Models),
        "/model/info" => return get(Route::ModelInfo),
        "/health/liveliness" | "/health/liveness" => return get(Route::Liveliness),
        "/health/readiness" => return get(Route::Readiness),
        _ => {}
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
                return post(endpoint, Some(model));
            }
        }
    }
    Route::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table() {
        use Endpoint::*;
        let inf = |endpoint, path_model| Route::Inference {
            endpoint,
            path_model,
        };
        let cases: &[(Method, &str, Route<'_>)] = &[
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
            (Method::Head, "/v1/models", Route::Models),
            (
                Method::Head,
                "/v1/chat/completions",
                Route::MethodNotAllowed,
            ),
            (Method::Get, "/v1/chat/completions", Route::MethodNotAllowed),
            (Method::Post, "/v1/models", Route::MethodNotAllowed),
            (Method::Get, "/nope", Route::NotFound),
            (Method::Get, "/v1", Route::NotFound),
        ];
        for (method, path, want) in cases {
            assert_eq!(route(*method, path), *want, "{method:?} {path}");
        }
    }
}
