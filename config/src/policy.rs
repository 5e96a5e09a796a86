//! LiteLLM's per-exception-class router policies: `retry_policy` (`RetryPolicy`, also per
//! group in `model_group_retry_policy`) and `allowed_fails_policy` (`AllowedFailsPolicy`,
//! router-wide or a deployment's `model_info`). Their fields are `<Class>ErrorRetries` and
//! `<Class>ErrorAllowedFails`, plus `DefaultRetries`.

use crate::fields::{join, Cx, Res};
use crate::node::Node;

/// The exception classes the policies name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Authentication,
    Timeout,
    RateLimit,
    ContentPolicyViolation,
    InternalServer,
    ServiceUnavailable,
    BadGateway,
    NotFound,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::BadRequest,
        ErrorKind::Authentication,
        ErrorKind::Timeout,
        ErrorKind::RateLimit,
        ErrorKind::ContentPolicyViolation,
        ErrorKind::InternalServer,
        ErrorKind::ServiceUnavailable,
        ErrorKind::BadGateway,
        ErrorKind::NotFound,
    ];

    /// The name the policy fields start with.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "BadRequest",
            ErrorKind::Authentication => "Authentication",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::RateLimit => "RateLimit",
            ErrorKind::ContentPolicyViolation => "ContentPolicyViolation",
            ErrorKind::InternalServer => "InternalServer",
            ErrorKind::ServiceUnavailable => "ServiceUnavailable",
            ErrorKind::BadGateway => "BadGateway",
            ErrorKind::NotFound => "NotFound",
        }
    }

    /// The kinds a LiteLLM exception class is an instance of, the most specific first (its
    /// MRO among them).
    pub fn of_class(class: &str) -> &'static [ErrorKind] {
        use ErrorKind::*;
        match class {
            "ContentPolicyViolationError" => &[ContentPolicyViolation, BadRequest],
            "BadRequestError"
            | "ContextWindowExceededError"
            | "UnsupportedParamsError"
            | "RejectedRequestError" => &[BadRequest],
            "AuthenticationError" => &[Authentication],
            "Timeout" => &[Timeout],
            "RateLimitError" => &[RateLimit],
            "InternalServerError" => &[InternalServer],
            "ServiceUnavailableError" => &[ServiceUnavailable],
            "BadGatewayError" => &[BadGateway],
            "NotFoundError" => &[NotFound],
            _ => &[],
        }
    }
}

/// A count per [`ErrorKind`] (`None`: not set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByKind(pub [Option<u64>; 9]);

impl ByKind {
    /// The first count set among `kinds`.
    pub fn first(&self, kinds: &[ErrorKind]) -> Option<u64> {
        kinds.iter().find_map(|&k| self.0[k as usize])
    }
}

/// `RetryPolicy`: retries per exception class, else `DefaultRetries`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    pub by_kind: ByKind,
    pub default: Option<u64>,
}

/// Reads a `RetryPolicy` mapping; unknown fields are ignored (and said), as pydantic ignores
/// them.
pub(crate) fn retry_policy(cx: &mut Cx<'_>, node: &Node, path: &str) -> Res<Option<RetryPolicy>> {
    let Some(entries) = cx.map(node, path)? else {
        return Ok(None);
    };
    let mut policy = RetryPolicy::default();
    for (key, value) in entries {
        let kp = join(path, &key.text);
        if key.text == "DefaultRetries" {
            policy.default = cx.uint(value, &kp)?;
            continue;
        }
        // `BadGatewayErrorRetries` is no field of LiteLLM's RetryPolicy.
        let kind = key.text.strip_suffix("ErrorRetries").and_then(|name| {
            ErrorKind::ALL
                .into_iter()
                .find(|k| k.name() == name && *k != ErrorKind::BadGateway)
        });
        match kind {
            Some(k) => policy.by_kind.0[k as usize] = cx.uint(value, &kp)?,
            None => cx.ignore(kp),
        }
    }
    Ok(Some(policy))
}

/// Reads an `AllowedFailsPolicy` mapping.
pub(crate) fn allowed_fails_policy(
    cx: &mut Cx<'_>,
    node: &Node,
    path: &str,
) -> Res<Option<ByKind>> {
    let Some(entries) = cx.map(node, path)? else {
        return Ok(None);
    };
    let mut policy = ByKind::default();
    for (key, value) in entries {
        let kp = join(path, &key.text);
        let kind = key
            .text
            .strip_suffix("ErrorAllowedFails")
            .and_then(|name| ErrorKind::ALL.into_iter().find(|k| k.name() == name));
        match kind {
            Some(k) => policy.0[k as usize] = cx.uint(value, &kp)?,
            None => cx.ignore(kp),
        }
    }
    Ok(Some(policy))
}

/// Reads `model_group_retry_policy`: a `RetryPolicy` per model group.
pub(crate) fn group_retry_policies(
    cx: &mut Cx<'_>,
    node: &Node,
    path: &str,
) -> Res<Vec<(String, RetryPolicy)>> {
    let Some(entries) = cx.map(node, path)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let kp = join(path, &key.text);
        if let Some(policy) = retry_policy(cx, value, &kp)? {
            out.push((key.text.clone(), policy));
        }
    }
    Ok(out)
}
