//! Per-thread record of received requests and counters behind the `/__mock/*` routes.

use super::head::header_pairs;
use std::collections::VecDeque;

/// Requests kept for `GET /__mock/requests`; older ones are dropped first.
pub const RECORDED_REQUESTS: usize = 100;

/// One received request as it came off the wire; parsed again only when asked for.
#[derive(Debug)]
struct Recorded {
    method: String,
    target: String,
    head: Vec<u8>,
    body: Vec<u8>,
}

/// What one server thread has seen since start or the last `POST /__mock/reset`.
#[derive(Debug, Default)]
pub struct Recorder {
    requests: VecDeque<Recorded>,
    request_count: u64,
    connection_count: u64,
}

impl Recorder {
    pub fn connection(&mut self) {
        self.connection_count += 1;
    }

    /// Keeps a non-introspection request; `head` is the raw head, `body` the decoded body.
    pub fn request(&mut self, method: String, target: String, head: Vec<u8>, body: Vec<u8>) {
        self.request_count += 1;
        if self.requests.len() == RECORDED_REQUESTS {
            self.requests.pop_front();
        }
        self.requests.push_back(Recorded {
            method,
            target,
            head,
            body,
        });
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// `{"requests": n, "connections": n}`.
    pub fn stats_json(&self) -> Vec<u8> {
        serde_json::json!({
            "requests": self.request_count,
            "connections": self.connection_count,
        })
        .to_string()
        .into_bytes()
    }

    /// The recorded requests, oldest first, with lowercased header names; repeated headers
    /// are joined with ", " (RFC 9110 §5.3).
    pub fn requests_json(&self) -> Vec<u8> {
        let list: Vec<serde_json::Value> = self
            .requests
            .iter()
            .map(|request| {
                let mut headers = serde_json::Map::new();
                for (name, value) in header_pairs(&request.head) {
                    match headers.get_mut(&name) {
                        Some(serde_json::Value::String(previous)) => {
                            previous.push_str(", ");
                            previous.push_str(&value);
                        }
                        _ => {
                            headers.insert(name, value.into());
                        }
                    }
                }
                serde_json::json!({
                    "method": request.method,
                    "path": request.target,
                    "headers": headers,
                    "body": String::from_utf8_lossy(&request.body),
                })
            })
            .collect();
        serde_json::Value::Array(list).to_string().into_bytes()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn keeps_the_last_hundred_oldest_first() {
        let mut recorder = Recorder::default();
        recorder.connection();
        for i in 0..RECORDED_REQUESTS + 5 {
            let head = format!("POST /r{i} HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n").into_bytes();
            recorder.request("POST".into(), format!("/r{i}"), head, b"{\xff}".to_vec());
        }
        let list: Value = serde_json::from_slice(&recorder.requests_json()).unwrap();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), RECORDED_REQUESTS);
        assert_eq!(list[0]["path"], "/r5");
        assert_eq!(list[0]["headers"]["x-a"], "1, 2");
        assert_eq!(list[0]["body"], "{\u{fffd}}");
        let stats: Value = serde_json::from_slice(&recorder.stats_json()).unwrap();
        assert_eq!(stats["requests"], 105);
        assert_eq!(stats["connections"], 1);
        recorder.reset();
        assert_eq!(recorder.requests_json(), b"[]");
    }
}
