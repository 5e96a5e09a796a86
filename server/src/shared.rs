//! The router's state shared by every instance on one Redis (`router_settings.redis_*`, else
//! `litellm_settings.cache_params`), in LiteLLM's own keys and values, so corelane and
//! LiteLLM instances on the same Redis see each other:
//! - cooldowns: `deployment:{id}:cooldown`, LiteLLM's JSON (`exception_received`,
//!   `status_code`, `timestamp`, `cooldown_time`), expiring with the cooldown;
//! - the usage strategies' minute counts: `{id}:{model}:rpm:{HH-MM}` and `...:tpm:...` (UTC),
//!   kept 60 s, as usage-based-routing-v2 keeps them;
//! - least-busy's attempts in flight: `{group}_request_count:{id}`, kept an hour.
//!
//! One thread does all the Redis I/O, off the cores' event loops. Every [`ROUND`] it sends
//! what this instance added since its last round, in one pipeline (`INCRBY` of the count
//! deltas, `SET` of its new cooldowns), and reads back the totals and every cooldown into the
//! atomics the cores read ([`crate::health`]). A core never waits on Redis. Without Redis, or
//! while it is down (the thread reconnects, saying so once), each instance keeps its own
//! view, exact for itself.
//!
//! Written by hand rather than a crate's cache layer: what is needed is one pipeline a round
//! over the `redis` crate's sync client, and the hot path must see plain atomics.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use corelane_config::RedisSettings;

use crate::gateway::Gateway;
use crate::router::{minute_now, Strategy};

/// How often the instances' state is exchanged (LiteLLM flushes its batched increments
/// every 0.1 s).
const ROUND: Duration = Duration::from_millis(100);
/// Connect and I/O timeout; a round that takes longer is given up.
const IO_TIMEOUT: Duration = Duration::from_secs(1);
/// The wait before connecting again, doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Keys' lives: usage-based-routing-v2's minute counts, least-busy's in-flight counts.
const USAGE_TTL_SECS: u64 = 60;
const IN_FLIGHT_TTL_SECS: u64 = 3600;

/// What this instance has sent of each deployment.
#[derive(Debug, Default, Clone, Copy)]
struct Sent {
    /// The end of the last cooldown it published or adopted ([`crate::health::Health::clock`]).
    cool_until: u64,
    /// Its own minute counts and in-flight count as of the last round.
    minute: u64,
    requests: u32,
    tokens: u64,
    in_flight: u32,
}

/// Starts the thread when the config names a Redis; `stop` ends it.
pub fn start(
    gateway: Arc<Gateway>,
    settings: &RedisSettings,
    stop: Arc<AtomicBool>,
) -> std::io::Result<Option<std::thread::JoinHandle<()>>> {
    let Some(url) = settings.connect_url() else {
        return Ok(None);
    };
    let client = match redis::Client::open(url.as_str()) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("router redis: {e}; instances will not share the router's state");
            return Ok(None);
        }
    };
    std::thread::Builder::new()
        .name("corelane-redis".into())
        .spawn(move || run(&gateway, &client, &stop))
        .map(Some)
}

fn run(gw: &Gateway, client: &redis::Client, stop: &AtomicBool) {
    let mut sent = vec![Sent::default(); gw.deployments.len()];
    let mut conn: Option<redis::Connection> = None;
    let mut backoff = FIRST_BACKOFF;
    let mut said = false;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        if conn.is_none() {
            match client.get_connection_with_timeout(IO_TIMEOUT) {
                Ok(c) => {
                    let _ = c.set_read_timeout(Some(IO_TIMEOUT));
                    let _ = c.set_write_timeout(Some(IO_TIMEOUT));
                    if said {
                        tracing::info!("router redis: connected again");
                    }
                    said = false;
                    backoff = FIRST_BACKOFF;
                    conn = Some(c);
                }
                Err(e) => {
                    if !said {
                        tracing::warn!("router redis: {e}; each instance keeps its own router state until it is back");
                        said = true;
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        if let Some(c) = conn.as_mut() {
            if let Err(e) = round(gw, c, &mut sent) {
                if !said {
                    tracing::warn!("router redis: {e}; reconnecting");
                    said = true;
                }
                conn = None;
            }
        }
        std::thread::sleep(ROUND.saturating_sub(started.elapsed()));
    }
}

/// The key of a deployment's cooldown.
fn cooldown_key(id: &str) -> String {
    format!("deployment:{id}:cooldown")
}

/// LiteLLM's `HH-MM` of a UTC minute since the epoch.
fn hh_mm(minute: u64) -> String {
    format!("{:02}-{:02}", (minute / 60) % 24, minute % 60)
}

/// One exchange: this instance's news out, every instance's state in.
fn round(gw: &Gateway, conn: &mut redis::Connection, sent: &mut [Sent]) -> redis::RedisResult<()> {
    let health = &gw.health;
    let strategy = gw.policy.strategy;
    let counts = strategy.counts_usage();
    let busy = strategy == Strategy::LeastBusy;
    let now = Instant::now();
    let clock = health.clock(now);
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let minute = minute_now();
    let mut pipe = redis::pipe();
    let mut owns = Vec::with_capacity(gw.deployments.len());
    for (d, last) in gw.deployments.iter().zip(sent.iter_mut()) {
        // A cooldown of its own since the last round goes out, for as long as it has left.
        let (until, length) = health.cooldown(d.index);
        if until > last.cool_until && until > clock {
            let value = serde_json::json!({
                "exception_received": "corelane",
                "status_code": "",
                "timestamp": unix - (length.saturating_sub(until - clock)) as f64 / 1000.0,
                "cooldown_time": length as f64 / 1000.0,
            });
            pipe.cmd("SET")
                .arg(cooldown_key(&d.id))
                .arg(value.to_string())
                .arg("PX")
                .arg(until - clock)
                .ignore();
            last.cool_until = until;
        }
        pipe.cmd("GET").arg(cooldown_key(&d.id));
        pipe.cmd("PTTL").arg(cooldown_key(&d.id));
        let (own_minute, requests, tokens, in_flight) = health.own_counts(d.index);
        let (requests, tokens) = if own_minute == minute {
            (requests, tokens)
        } else {
            (0, 0)
        };
        if counts {
            if last.minute != minute {
                *last = Sent {
                    minute,
                    requests: 0,
                    tokens: 0,
                    ..*last
                };
            }
            let hm = hh_mm(minute);
            for (kind, delta) in [
                ("rpm", u64::from(requests.saturating_sub(last.requests))),
                ("tpm", tokens.saturating_sub(last.tokens)),
            ] {
                let key = format!("{}:{}:{kind}:{hm}", d.id, d.params.model);
                pipe.cmd("INCRBY").arg(&key).arg(delta);
                pipe.cmd("EXPIRE").arg(&key).arg(USAGE_TTL_SECS).ignore();
            }
            last.requests = requests;
            last.tokens = tokens;
        }
        if busy {
            let key = format!("{}_request_count:{}", d.group, d.id);
            let delta = i64::from(in_flight) - i64::from(last.in_flight);
            pipe.cmd("INCRBY").arg(&key).arg(delta);
            pipe.cmd("EXPIRE")
                .arg(&key)
                .arg(IN_FLIGHT_TTL_SECS)
                .ignore();
            last.in_flight = in_flight;
        }
        owns.push((requests, tokens, in_flight));
    }
    let replies: Vec<redis::Value> = pipe.query(conn)?;
    let mut replies = replies.into_iter();
    for (d, (last, own)) in gw.deployments.iter().zip(sent.iter_mut().zip(owns)) {
        let value = replies.next();
        let ttl = replies.next();
        if let (Some(value), Some(ttl)) = (value, ttl) {
            adopt(gw, d.index, clock, last, &value, &ttl);
        }
        if counts {
            let total_requests = int(replies.next());
            let total_tokens = int(replies.next());
            health.share_usage(
                d.index,
                minute,
                (clamp_u32(total_requests), total_tokens.max(0) as u64),
                (own.0, own.1),
            );
        }
        if busy {
            let total = int(replies.next());
            health.share_in_flight(d.index, total.max(0) as u64, own.2);
        }
    }
    Ok(())
}

/// Takes on another instance's cooldown of a deployment: its time left (`PTTL`) and its
/// length (`cooldown_time` in LiteLLM's value).
fn adopt(
    gw: &Gateway,
    index: usize,
    clock: u64,
    last: &mut Sent,
    value: &redis::Value,
    ttl: &redis::Value,
) {
    let left = match ttl {
        redis::Value::Int(ms) if *ms > 0 => *ms as u64,
        _ => return,
    };
    let text = match value {
        redis::Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        _ => return,
    };
    let length = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("cooldown_time").and_then(serde_json::Value::as_f64))
        .map_or(left, |secs| (secs * 1000.0) as u64);
    let until = clock + left;
    // Its own cooldown, read back, is not adopted again (nor published again).
    if until > last.cool_until + 50 {
        gw.health.adopt_cooldown(index, until, length);
        last.cool_until = until.max(last.cool_until);
    }
}

fn int(v: Option<redis::Value>) -> i64 {
    match v {
        Some(redis::Value::Int(n)) => n,
        Some(redis::Value::BulkString(b)) => String::from_utf8_lossy(&b)
            .trim()
            .parse::<f64>()
            .map_or(0, |f| f as i64),
        _ => 0,
    }
}

fn clamp_u32(n: i64) -> u32 {
    n.clamp(0, i64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn litellm_minute_keys() {
        // Day 20,000 since the epoch, 13:05 UTC.
        let minute = 20_000 * 24 * 60 + 13 * 60 + 5;
        assert_eq!(hh_mm(minute), "13-05");
        assert_eq!(cooldown_key("d1"), "deployment:d1:cooldown");
    }
}
