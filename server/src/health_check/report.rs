//! What a run of checks found, as LiteLLM's `_perform_health_check` lists it: an entry per
//! deployment with its display parameters (`clean_endpoint_data`), the error of an unhealthy
//! one, `model_id` and `exception_status`; and `GET /health`'s answer with its filters.

use serde_json::{json, Map, Value};

use super::Settings;
use crate::gateway::{Deployment, Gateway, Upstream};

/// How one deployment's check ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Healthy,
    Unhealthy(Failure),
}

/// An unhealthy deployment's error, as LiteLLM's `ahealth_check` returns it.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The exception's text (LiteLLM appends its Python stack trace; corelane has none).
    pub error: String,
    /// The exception's `status_code` (`exception_status`; 500 for a bare exception).
    pub status: u16,
    /// `raw_request_typed_dict`: the request that failed (secrets masked), `null` when the
    /// check failed before sending one, absent after a timeout.
    pub raw_request: Option<Value>,
}

/// One endpoint entry and the deployment it is about.
#[derive(Debug)]
struct Entry {
    deployment: usize,
    unhealthy: Option<u16>,
    fields: Map<String, Value>,
}

/// The endpoints of one run, healthy ones and unhealthy ones, each in roster order.
#[derive(Debug, Default)]
pub(crate) struct Report {
    healthy: Vec<Entry>,
    unhealthy: Vec<Entry>,
}

/// LiteLLM's `filter_deployments_by_id`: the rows' deployments, each once, first row first.
pub(crate) fn unique(gw: &Gateway, rows: &[super::Row]) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    rows.iter()
        .map(|r| r.deployment)
        .filter(|&d| seen.insert(gw.deployments[d].id.as_str()))
        .collect()
}

/// The parameters LiteLLM shows of a deployment (`HEALTH_DISPLAY_PARAMS` of its
/// `litellm_params`; with `health_check_details: false`, only `model`). Never a secret.
fn display(dep: &Deployment, details: bool) -> Map<String, Value> {
    let mut out = Map::new();
    // The check's model replaces the deployment's in the params LiteLLM shows.
    out.insert("model".into(), json!(super::probe::checked_model(dep)));
    if !details {
        return out;
    }
    let p = &dep.params;
    let strings = [
        ("api_base", p.api_base.as_deref()),
        ("api_version", p.api_version.as_deref()),
        ("custom_llm_provider", p.custom_llm_provider.as_deref()),
        ("vertex_project", p.vertex_project.as_deref()),
        ("vertex_location", p.vertex_location.as_deref()),
        ("aws_region_name", p.aws_param("aws_region_name")),
        (
            "aws_bedrock_runtime_endpoint",
            p.aws_param("aws_bedrock_runtime_endpoint"),
        ),
    ];
    for (key, value) in strings {
        if let Some(v) = value {
            out.insert(key.into(), json!(v));
        }
    }
    for (key, value) in [("rpm", p.rpm), ("tpm", p.tpm)] {
        if let Some(v) = value {
            out.insert(key.into(), json!(v));
        }
    }
    out
}

impl Report {
    /// The entries of `deployments` (indexes) checked with `outcomes` (same order).
    pub(crate) fn new(
        gw: &Gateway,
        settings: &Settings,
        deployments: &[usize],
        outcomes: Vec<Outcome>,
    ) -> Report {
        let mut report = Report::default();
        for (&d, outcome) in deployments.iter().zip(outcomes) {
            let dep = &gw.deployments[d];
            let mut fields = display(dep, settings.details);
            match outcome {
                Outcome::Healthy => {
                    fields.insert("model_id".into(), json!(dep.id));
                    report.healthy.push(Entry {
                        deployment: d,
                        unhealthy: None,
                        fields,
                    });
                }
                Outcome::Unhealthy(f) => {
                    if settings.details {
                        fields.insert("error".into(), json!(f.error));
                        if let Some(raw) = f.raw_request {
                            fields.insert("raw_request_typed_dict".into(), raw);
                        }
                    }
                    fields.insert("model_id".into(), json!(dep.id));
                    fields.insert("exception_status".into(), json!(f.status));
                    report.unhealthy.push(Entry {
                        deployment: d,
                        unhealthy: Some(f.status),
                        fields,
                    });
                }
            }
        }
        report
    }

    pub(crate) fn healthy_count(&self) -> usize {
        self.healthy.len()
    }

    pub(crate) fn unhealthy_count(&self) -> usize {
        self.unhealthy.len()
    }

    /// (deployment, unhealthy) for routing; with `ignore_transient`, a 429 or 408 is
    /// healthy (`health_check_ignore_transient_errors`).
    pub(crate) fn verdicts(
        &self,
        ignore_transient: bool,
    ) -> impl Iterator<Item = (usize, bool)> + '_ {
        let healthy = self.healthy.iter().map(|e| (e.deployment, false));
        let unhealthy = self.unhealthy.iter().map(move |e| {
            let transient = matches!(e.unhealthy, Some(429 | 408));
            (e.deployment, !(ignore_transient && transient))
        });
        healthy.chain(unhealthy)
    }

    /// The unhealthy deployments and their status (500 where the check got none).
    pub(crate) fn failures(&self) -> impl Iterator<Item = (usize, u16)> + '_ {
        self.unhealthy
            .iter()
            .map(|e| (e.deployment, e.unhealthy.unwrap_or(500)))
    }

    /// `/health`'s answer, of the entries whose deployment `keep` accepts; and whether any
    /// of them is healthy.
    pub(crate) fn answer(&self, keep: impl Fn(usize) -> bool) -> (Vec<u8>, usize) {
        let list = |entries: &[Entry]| -> Vec<Value> {
            entries
                .iter()
                .filter(|e| keep(e.deployment))
                .map(|e| Value::Object(e.fields.clone()))
                .collect()
        };
        let (healthy, unhealthy) = (list(&self.healthy), list(&self.unhealthy));
        let count = healthy.len();
        let body = json!({
            "healthy_endpoints": healthy,
            "unhealthy_endpoints": unhealthy,
            "healthy_count": count,
            "unhealthy_count": unhealthy.len(),
        });
        (serde_json::to_vec(&body).unwrap_or_default(), count)
    }
}

/// LiteLLM's `get_masked_values` keywords: a header whose name holds one is masked.
const SENSITIVE: [&str; 8] = [
    "authorization",
    "token",
    "key",
    "secret",
    "vertex_credentials",
    "credentials",
    "password",
    "passwd",
];

/// LiteLLM's mask: two characters each end and four stars (five stars for four or fewer).
fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 4 {
        return "*****".to_owned();
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}****{tail}")
}

/// LiteLLM's `raw_request_typed_dict` of a request as it went upstream (`sent`: head and
/// body): the URL without its query, the body, the headers with credentials masked (framing
/// headers left out).
pub(crate) fn raw_request(sent: &[u8], upstream: &Upstream) -> Value {
    let split = memchr::memmem::find(sent, b"\r\n\r\n");
    let (head, body) = match split {
        Some(at) => (&sent[..at], &sent[at + 4..]),
        None => (sent, &b""[..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/");
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let base = &upstream.api_base;
    let origin = base
        .find("://")
        .and_then(|at| base[at + 3..].find('/').map(|end| &base[..at + 3 + end]))
        .unwrap_or(base);
    let mut headers = Map::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let lower = name.trim().to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            continue;
        }
        let value = value.trim();
        let shown = if SENSITIVE.iter().any(|k| lower.contains(k)) {
            mask(value)
        } else {
            value.to_owned()
        };
        headers.insert(name.trim().to_owned(), json!(shown));
    }
    let body = serde_json::from_slice::<Value>(body)
        .unwrap_or_else(|_| json!(String::from_utf8_lossy(body)));
    json!({
        "raw_request_api_base": format!("{origin}{path}"),
        "raw_request_body": body,
        "raw_request_headers": headers,
        "error": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_as_litellm_masks_them() {
        assert_eq!(mask("Bearer sk-bad"), "Be****ad");
        assert_eq!(mask("abcd"), "*****");
    }
}
