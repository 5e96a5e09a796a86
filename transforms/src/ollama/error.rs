//! Ollama's error answers (`{"error": "..."}`) → LiteLLM's class, status and message, as
//! 1.108.7 raises them: `OllamaError` carries the answer's text as it came, the status picks
//! the class (`exception_mapping_utils`' generic status branch, as the differential suite
//! shows it: 403 `PermissionDeniedError`, 413 `BadRequestError` keeping 413, 502
//! `BadGatewayError`; `_map_ollama_exception`'s phrase checks first), and the message reads `litellm.<Class>: <Provider>Exception - <text>`, the
//! provider spelt as LiteLLM names the route (`Ollama_chatException` for `ollama_chat/`).
//! An error line inside a stream is reported as each iterator raises it ([`stream_error`]).

use super::Api;
use crate::error::UpstreamErrorMap;
use crate::error::{map_upstream_status, raw_answer_text, write_exception_provider};
use crate::stream::StreamFailure;

/// Appends LiteLLM's message for the error answer (`status`, `body`) of `api` to `message`
/// and returns its class and the status the client gets.
pub fn map_error(api: Api, status: u16, body: &[u8], message: &mut String) -> UpstreamErrorMap {
    let raw = raw_answer_text(status, body);
    // `_map_ollama_exception`: a model file Ollama cannot open is the client's model.
    if raw.contains("no such file or directory") {
        message.push_str(
            "litellm.BadRequestError: OllamaException: Invalid Model/Model not loaded - ",
        );
        message.push_str(&raw);
        return UpstreamErrorMap {
            status: 400,
            exception: "BadRequestError",
            kind: None,
        };
    }
    let map = match status {
        // LiteLLM's generic status branch, where it differs from the OpenAI-compatible one.
        403 => UpstreamErrorMap {
            status,
            exception: "PermissionDeniedError",
            kind: None,
        },
        413 => UpstreamErrorMap {
            status,
            exception: "BadRequestError",
            kind: None,
        },
        502 => UpstreamErrorMap {
            status,
            exception: "BadGatewayError",
            kind: None,
        },
        _ => map_upstream_status(status),
    };
    message.push_str("litellm.");
    message.push_str(map.exception);
    message.push_str(": ");
    write_exception_provider(api.provider(), message);
    message.push_str(" - ");
    message.push_str(&raw);
    map
}

/// A line of a stream that is an error, or not what the API streams, as LiteLLM's iterators
/// raise it: `/api/chat`'s reads `message` and fails with a `KeyError` it wraps in a 400
/// `OllamaError`; `/api/generate`'s raises a bare `Exception("Ollama Error - {chunk}")`,
/// which the proxy reports as an `APIConnectionError` (500). `line` is a validated object.
pub fn stream_error(api: Api, missing: &str, line: &[u8]) -> StreamFailure {
    let mut repr = String::new();
    crate::json::value::py_repr(line, &mut repr);
    match api {
        Api::Chat => {
            let mut message = String::from("litellm.BadRequestError: ");
            write_exception_provider(api.provider(), &mut message);
            message.push_str(" - KeyError: '");
            message.push_str(missing);
            message.push_str("', Got unexpected response from Ollama: ");
            message.push_str(&repr);
            StreamFailure::Mapped {
                message,
                map: UpstreamErrorMap {
                    status: 400,
                    exception: "BadRequestError",
                    kind: None,
                },
            }
        }
        Api::Generate => StreamFailure::Mapped {
            message: format!("litellm.APIConnectionError: Ollama Error - {repr}"),
            map: UpstreamErrorMap {
                status: 500,
                exception: "APIConnectionError",
                kind: None,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_as_litellm_writes_them() {
        let mut m = String::new();
        let map = map_error(Api::Chat, 404, br#"{"error": "model: x"}"#, &mut m);
        assert_eq!((map.status, map.exception), (404, "NotFoundError"));
        assert_eq!(
            m,
            r#"litellm.NotFoundError: Ollama_chatException - {"error": "model: x"}"#
        );
        let mut m = String::new();
        let map = map_error(Api::Generate, 500, b"", &mut m);
        assert_eq!(map.status, 500);
        assert_eq!(
            m,
            "litellm.InternalServerError: OllamaException - Error code: 500"
        );
        let mut m = String::new();
        let map = map_error(
            Api::Generate,
            500,
            br#"{"error":"open /x: no such file or directory"}"#,
            &mut m,
        );
        assert_eq!((map.status, map.exception), (400, "BadRequestError"));
        assert!(m.starts_with("litellm.BadRequestError: OllamaException: Invalid Model"));
    }

    #[test]
    fn statuses_where_litellm_s_generic_branch_differs() {
        for (status, class) in [
            (403, "PermissionDeniedError"),
            (413, "BadRequestError"),
            (502, "BadGatewayError"),
            (503, "ServiceUnavailableError"),
        ] {
            let mut m = String::new();
            let map = map_error(Api::Chat, status, b"{}", &mut m);
            assert_eq!((map.status, map.exception), (status, class));
            assert!(m.starts_with(&format!("litellm.{class}: Ollama_chatException - ")));
        }
    }

    #[test]
    fn stream_errors_quote_the_line_as_python_does() {
        let StreamFailure::Mapped { message, map } =
            stream_error(Api::Chat, "message", br#"{"error":"it's \"bad\""}"#)
        else {
            panic!("not mapped");
        };
        assert_eq!(map.status, 400);
        assert_eq!(
            message,
            r#"litellm.BadRequestError: Ollama_chatException - KeyError: 'message', Got unexpected response from Ollama: {'error': 'it\'s "bad"'}"#
        );
    }
}
