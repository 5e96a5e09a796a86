//! Fault-injection prefixes peeled off the front of a request path (`/status/429/v1/...`).

use std::time::Duration;

/// Faults requested by the path prefixes; they compose in any order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// `/status/{code}`: answer with this error status instead of the route's reply.
    pub status: Option<u16>,
    /// `/delay/{ms}`: extra wait before the response head.
    pub delay: Duration,
    /// `/reset`: read the request, then close without answering.
    pub reset: bool,
    /// `/truncate`: send half of the body or stream, then close abruptly.
    pub truncate: bool,
    /// `/slowstream/{ms}`: inter-event delay for this request's stream.
    pub slowstream: Option<Duration>,
    /// `/chunked`: frame non-stream bodies with Transfer-Encoding: chunked.
    pub chunked: bool,
    /// `/nousage`: leave usage out of bodies and streams.
    pub nousage: bool,
    /// `/close`: answer with `Connection: close` and close afterwards.
    pub close: bool,
}

/// A fault keyword whose argument is missing or out of range (`/status/abc`, `/delay/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFault(pub &'static str);

/// Largest `/delay` or `/slowstream` accepted, so a typo cannot park a connection for days.
const MAX_FAULT_DELAY_MS: u64 = 600_000;

/// Splits `path` (query already removed) into its fault prefixes and the route that follows.
///
/// Peeling stops at the first segment that is not a fault keyword, so `/v1/chat/completions`
/// and `/openai/deployments/x/chat/completions` pass through untouched.
pub fn split_faults(path: &str) -> Result<(Faults, &str), BadFault> {
    let mut faults = Faults::default();
    let mut rest = path;
    loop {
        let mut segments = rest.strip_prefix('/').unwrap_or(rest).splitn(3, '/');
        let keyword = segments.next().unwrap_or("");
        let argument = segments.next();
        let takes_argument = matches!(keyword, "status" | "delay" | "slowstream");
        let consumed = match keyword {
            "status" => {
                let code = number(argument, 400, 599).ok_or(BadFault("status"))?;
                faults.status = Some(code as u16);
                true
            }
            "delay" => {
                let ms = number(argument, 0, MAX_FAULT_DELAY_MS).ok_or(BadFault("delay"))?;
                faults.delay += Duration::from_millis(ms);
                true
            }
            "slowstream" => {
                let ms = number(argument, 0, MAX_FAULT_DELAY_MS).ok_or(BadFault("slowstream"))?;
                faults.slowstream = Some(Duration::from_millis(ms));
                true
            }
            "reset" => set(&mut faults.reset),
            "truncate" => set(&mut faults.truncate),
            "chunked" => set(&mut faults.chunked),
            "nousage" => set(&mut faults.nousage),
            "close" => set(&mut faults.close),
            _ => false,
        };
        if !consumed {
            return Ok((faults, rest));
        }
        // Skip "/keyword" and, for keywords with an argument, "/argument".
        let mut skip = 1 + keyword.len();
        if takes_argument {
            skip += 1 + argument.map_or(0, str::len);
        }
        rest = rest.get(skip..).unwrap_or("");
    }
}

fn set(flag: &mut bool) -> bool {
    *flag = true;
    true
}

fn number(argument: Option<&str>, min: u64, max: u64) -> Option<u64> {
    let value: u64 = argument?.parse().ok()?;
    (min..=max).contains(&value).then_some(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_pass_through() {
        let (faults, rest) = split_faults("/v1/chat/completions").unwrap();
        assert_eq!(faults, Faults::default());
        assert_eq!(rest, "/v1/chat/completions");
        assert_eq!(split_faults("/").unwrap().1, "/");
        assert_eq!(split_faults("").unwrap().1, "");
    }

    #[test]
    fn prefixes_compose_in_any_order() {
        let path = "/close/status/429/delay/5/nousage/delay/7/slowstream/3/truncate/chunked/reset/v1/embeddings";
        let (faults, rest) = split_faults(path).unwrap();
        assert_eq!(rest, "/v1/embeddings");
        assert_eq!(faults.status, Some(429));
        assert_eq!(faults.delay, Duration::from_millis(12));
        assert_eq!(faults.slowstream, Some(Duration::from_millis(3)));
        assert!(
            faults.close && faults.nousage && faults.truncate && faults.chunked && faults.reset
        );
    }

    #[test]
    fn prefix_without_route_leaves_empty_rest() {
        let (faults, rest) = split_faults("/status/503").unwrap();
        assert_eq!(faults.status, Some(503));
        assert_eq!(rest, "");
    }

    #[test]
    fn bad_arguments_are_rejected() {
        assert_eq!(
            split_faults("/status/abc/v1/models"),
            Err(BadFault("status"))
        );
        assert_eq!(
            split_faults("/status/200/v1/models"),
            Err(BadFault("status"))
        );
        assert_eq!(split_faults("/status"), Err(BadFault("status")));
        assert_eq!(split_faults("/delay/-1/x"), Err(BadFault("delay")));
        assert_eq!(
            split_faults("/slowstream/99999999/x"),
            Err(BadFault("slowstream"))
        );
    }

    #[test]
    fn keywords_only_match_whole_segments() {
        let (faults, rest) = split_faults("/closed/v1/models").unwrap();
        assert_eq!(faults, Faults::default());
        assert_eq!(rest, "/closed/v1/models");
    }
}
