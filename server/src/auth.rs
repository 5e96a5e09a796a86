//! Virtual keys on the request path: the cores check a caller's key against an in-memory
//! snapshot of the store's keys, users and teams, never against the database.
//!
//! The store thread ([`crate::store`]) builds a [`Snapshot`] and publishes it in an
//! `ArcSwap`: reading it is a lock-free load and a hash lookup by the key's sha256. It is
//! built again every `user_api_key_cache_ttl` (LiteLLM's 60 s by default) and after every
//! change made through this instance, so a key deleted or blocked anywhere is refused by every
//! core within the TTL. A key the snapshot does not know is looked up in the database once (on
//! the store thread; the request waits for it) before it is refused, as LiteLLM looks up a key
//! its cache misses.
//!
//! What a key, user or team has spent is its row's `spend` as last read, plus what this
//! instance recorded since that read and had not yet written (see [`SpendCell`]): a budget
//! is checked against spend the moment it is recorded, not when it reaches the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use corelane_store::model::{KeyRecord, TeamRecord, UserRecord};
use sha2::{Digest, Sha256};

use crate::errors::GatewayError;

/// A key's sha256, the snapshot's lookup key (the `token` column is its hex).
pub type Digest32 = [u8; 32];

/// The sha256 of a plaintext key.
pub fn digest(key: &str) -> Digest32 {
    Sha256::digest(key.as_bytes()).into()
}

/// The `token` hex of a digest, and back.
pub fn hex(d: &Digest32) -> String {
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

pub fn parse_hex(token: &str) -> Option<Digest32> {
    let bytes = token.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let nib = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
        out[i] = nib(pair[0])? << 4 | nib(pair[1])?;
    }
    Some(out)
}

/// Spend recorded by this instance for one key, user or team since it started, shared by
/// every core and kept across snapshots. The store thread knows how much of it it has
/// written; an [`Entity`] remembers that amount as of its row's read, so
/// `row spend + recorded − written at read` is the spend now.
#[derive(Debug, Default)]
pub struct SpendCell {
    /// f64 bits.
    recorded: AtomicU64,
}

impl SpendCell {
    pub fn add(&self, cost: f64) {
        if !(cost.is_finite() && cost > 0.0) {
            return;
        }
        let mut cur = self.recorded.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(cur) + cost).to_bits();
            match self.recorded.compare_exchange_weak(
                cur,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(seen) => cur = seen,
            }
        }
    }

    /// Takes back a cost [`SpendCell::add`] counted that will never be written.
    pub fn take_back(&self, cost: f64) {
        if !(cost.is_finite() && cost > 0.0) {
            return;
        }
        let _ = self
            .recorded
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |cur| {
                Some((f64::from_bits(cur) - cost).max(0.0).to_bits())
            });
    }

    pub fn recorded(&self) -> f64 {
        f64::from_bits(self.recorded.load(Ordering::Relaxed))
    }
}

/// The state of a key, user or team that outlives snapshots: spend recorded here and the
/// rate-limit counters.
#[derive(Debug, Default)]
pub struct EntityState {
    pub spend: SpendCell,
    /// Its rate-limit windows and requests in flight ([`crate::limits`]).
    pub limits: Arc<crate::limits::Counters>,
}

/// A row as the cores see it.
#[derive(Debug)]
pub struct Entity<R> {
    /// A number for this entity, stable for the process (metrics' label key).
    pub id: u32,
    pub record: R,
    pub state: Arc<EntityState>,
    /// What the store thread had written of `state.spend` when `record` was read.
    pub written_at_read: f64,
}

impl<R> Entity<R> {
    /// The spend now, given the row's `spend` as read.
    pub fn spend_now(&self, row_spend: f64) -> f64 {
        row_spend + (self.state.spend.recorded() - self.written_at_read).max(0.0)
    }
}

pub type KeyEntity = Entity<KeyRecord>;
pub type UserEntity = Entity<UserRecord>;
pub type TeamEntity = Entity<TeamRecord>;

/// Who a virtual key belongs to, resolved at authentication.
#[derive(Debug, Clone)]
pub struct Identity {
    pub key: Arc<KeyEntity>,
    pub user: Option<Arc<UserEntity>>,
    pub team: Option<Arc<TeamEntity>>,
}

/// Everything the cores may look up, as of one read of the store.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub keys: HashMap<Digest32, Arc<KeyEntity>>,
    pub keys_by_id: HashMap<u32, Arc<KeyEntity>>,
    pub users: HashMap<String, Arc<UserEntity>>,
    pub teams: HashMap<String, Arc<TeamEntity>>,
}

impl Snapshot {
    /// The identity of a key in this snapshot.
    pub fn identity(&self, digest: &Digest32) -> Option<Identity> {
        let key = self.keys.get(digest)?.clone();
        let user = key
            .record
            .user_id
            .as_deref()
            .and_then(|u| self.users.get(u))
            .cloned();
        let team = key
            .record
            .team_id
            .as_deref()
            .and_then(|t| self.teams.get(t))
            .cloned();
        Some(Identity { key, user, team })
    }

    /// A key's entity by its process-stable id (metrics labels).
    pub fn key_by_id(&self, id: u32) -> Option<&Arc<KeyEntity>> {
        self.keys_by_id.get(&id)
    }
}

/// The snapshot the cores read.
#[derive(Debug, Default)]
pub struct KeyCache {
    snapshot: ArcSwap<Snapshot>,
}

impl KeyCache {
    pub fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }

    pub fn publish(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(snapshot));
    }
}

/// LiteLLM's route families: budgets are checked on LLM routes only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Llm,
    Other,
}

/// The checks LiteLLM makes of a resolved key, in its order, that need no request body:
/// blocked, expired, the key's budget (LLM routes), then its team (blocked, budget) and, for
/// a key of no team, its user's budget. The model check comes once the body names a model
/// ([`check_model`]).
pub fn check(
    id: &Identity,
    now: chrono::DateTime<chrono::Utc>,
    route: RouteKind,
) -> Result<(), GatewayError> {
    let key = &id.key.record;
    if key.blocked == Some(true) {
        return Err(GatewayError::proxy(
            401,
            "auth_error",
            Some("None"),
            "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin."
                .to_owned(),
        ));
    }
    if let Some(expires) = key.expires {
        if expires < now {
            return Err(GatewayError::proxy(
                401,
                "expired_key",
                Some("sk-..."),
                format!(
                    "Authentication Error - Expired Key. Key Expiry time {} and current time {}",
                    python_datetime(expires),
                    python_datetime(now)
                ),
            ));
        }
    }
    if route == RouteKind::Llm {
        if let Some(max) = key.max_budget {
            let spend = id.key.spend_now(key.spend);
            if spend >= max {
                let label = key.key_alias.as_deref().unwrap_or("key");
                let name = key.key_name.as_deref().unwrap_or("");
                return Err(budget_exceeded(format!(
                    "Budget has been exceeded! Key={label} ({name}) Current cost: {}, Max budget: {}",
                    python_float(spend),
                    python_float(max)
                )));
            }
        }
    }
    if let Some(team) = &id.team {
        let t = &team.record;
        if t.blocked {
            return Err(GatewayError::proxy(
                401,
                "auth_error",
                Some("None"),
                format!(
                    "Authentication Error, Team={} is blocked. Update via `/team/unblock` if you're an admin.",
                    t.team_id
                ),
            ));
        }
        if let (RouteKind::Llm, Some(max)) = (route, t.max_budget) {
            let spend = team.spend_now(t.spend);
            if spend > max {
                return Err(budget_exceeded(format!(
                    "Budget has been exceeded! Team={} Current cost: {}, Max budget: {}",
                    t.team_id,
                    python_float(spend),
                    python_float(max)
                )));
            }
        }
    }
    if let (RouteKind::Llm, None, Some(user)) = (route, &key.team_id, &id.user) {
        let u = &user.record;
        if let Some(max) = u.max_budget {
            let spend = user.spend_now(u.spend);
            if spend >= max {
                return Err(budget_exceeded(format!(
                    "ExceededBudget: User={} over budget. Spend={}, Budget={}",
                    u.user_id,
                    python_float(spend),
                    python_float(max)
                )));
            }
        }
    }
    Ok(())
}

fn budget_exceeded(message: String) -> GatewayError {
    GatewayError::proxy(422, "budget_exceeded", None, message)
}

/// Whether a list of allowed models (a key's or a team's) lets `model` through, as LiteLLM
/// reads one: empty, `*` or `all-proxy-models` allow all; `all-team-models` defers to the
/// team's list; an entry ending in `/*` allows the models under that prefix.
fn allows(list: &[String], model: &str, team: Option<&[String]>) -> bool {
    list.is_empty()
        || list.iter().any(|m| match m.as_str() {
            "*" | "all-proxy-models" => true,
            "all-team-models" => team.is_none_or(|t| allows(t, model, None)),
            pattern => match pattern.strip_suffix('*') {
                Some(prefix) if pattern.ends_with("/*") => model.starts_with(prefix),
                _ => pattern == model,
            },
        })
}

/// The key's and then its team's allowed models, for the model a request asks for.
pub fn check_model(id: &Identity, model: &str) -> Result<(), GatewayError> {
    let team_models = id.team.as_ref().map(|t| t.record.models.as_slice());
    let denied = |kind: &'static str| {
        GatewayError::proxy(
            403,
            kind,
            Some("model"),
            format!(
                "The requested model '{model}' is not available for this API key, or the model name is invalid. Check the models available to you and try again."
            ),
        )
    };
    if !allows(&id.key.record.models, model, team_models) {
        return Err(denied("key_model_access_denied"));
    }
    if let Some(team) = team_models {
        if !allows(team, model, None) {
            return Err(denied("team_model_access_denied"));
        }
    }
    Ok(())
}

/// A time as Python prints a naive UTC datetime (`2026-12-01 15:53:26.123000`).
pub fn python_datetime(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// A float as Python's `str()` prints it (`0.0`, `1.5`, `1e-05`).
pub fn python_float(v: f64) -> String {
    let mut out = Vec::new();
    corelane_transforms::cost::write_cost(v, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_matches_sha256() {
        let d = digest("sk-1234");
        let h = hex(&d);
        assert_eq!(h.len(), 64);
        assert_eq!(parse_hex(&h), Some(d));
        assert_eq!(corelane_store::keys::hash("sk-1234"), h);
        assert_eq!(parse_hex("zz"), None);
    }

    #[test]
    fn model_lists_read_as_litellm_reads_them() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(allows(&[], "gpt-4o", None));
        assert!(allows(&l(&["*"]), "gpt-4o", None));
        assert!(allows(&l(&["gpt-4o"]), "gpt-4o", None));
        assert!(!allows(&l(&["gpt-4o"]), "gpt-4o-mini", None));
        assert!(allows(&l(&["openai/*"]), "openai/gpt-4o", None));
        assert!(!allows(&l(&["openai/*"]), "anthropic/x", None));
        let team = l(&["a"]);
        assert!(allows(&l(&["all-team-models"]), "a", Some(&team)));
        assert!(!allows(&l(&["all-team-models"]), "b", Some(&team)));
    }

    #[test]
    fn spend_cells_add_only_real_costs() {
        let c = SpendCell::default();
        c.add(0.5);
        c.add(f64::NAN);
        c.add(-1.0);
        c.add(0.25);
        assert_eq!(c.recorded(), 0.75);
    }
}
