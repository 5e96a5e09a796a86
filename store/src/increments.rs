//! Spend to add to rows, summed per row before it is written: what a batch of requests adds
//! to keys, users and teams and to the daily tables. It is also what LiteLLM instances
//! exchange through Redis with `use_redis_transaction_buffer` (its `DBSpendUpdateTransactions`
//! and daily spend transactions), so it also holds the kinds of rows LiteLLM adds to and
//! corelane writes none of (team members, organizations, end users, tags, ...), by their
//! field's name: a batch read from Redis may name them.
//!
//! Summing once per batch is LiteLLM's way too (`docs/litellm-keys.md`, section 6): each row
//! is updated once however many requests of the batch name it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::SpendLog;

/// The kinds of row corelane adds spend to. LiteLLM adds to more (team members, orgs,
/// end users, tags, ...); a batch read from Redis may name those too, by their field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    Key,
    User,
    Team,
}

impl EntityKind {
    pub const ALL: [EntityKind; 3] = [EntityKind::Key, EntityKind::User, EntityKind::Team];

    /// The name of its map in LiteLLM's `DBSpendUpdateTransactions`.
    pub fn field(self) -> &'static str {
        match self {
            EntityKind::Key => "key_list_transactions",
            EntityKind::User => "user_list_transactions",
            EntityKind::Team => "team_list_transactions",
        }
    }

    /// The kind a `DBSpendUpdateTransactions` field names, if corelane writes it.
    pub fn of_field(field: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.field() == field)
    }
}

/// The daily tables corelane writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DailyTable {
    /// `LiteLLM_DailyUserSpend`, by `user_id`.
    User,
    /// `LiteLLM_DailyTeamSpend`, by `team_id`.
    Team,
}

/// One daily row's unique key and what is added to it. Every part of the key is `''` when
/// missing, as LiteLLM writes it (NULLs never conflict).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyRow {
    /// The user or team id.
    pub entity: String,
    /// `YYYY-MM-DD` of the requests' start (UTC).
    pub date: String,
    pub api_key: String,
    pub model: String,
    pub custom_llm_provider: String,
    pub mcp_namespaced_tool_name: String,
    pub endpoint: String,
    /// The first request's (LiteLLM keeps one per row, not in the key).
    pub model_group: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cache_read_input_tokens: i64,
    pub cache_creation_input_tokens: i64,
    pub spend: f64,
    pub api_requests: i64,
    pub successful_requests: i64,
    pub failed_requests: i64,
    pub total_response_time_ms: i64,
    pub timed_requests: i64,
}

impl DailyRow {
    /// Adds another row's counters (same key) to this one's.
    pub fn add(&mut self, other: &DailyRow) {
        self.prompt_tokens = self.prompt_tokens.saturating_add(other.prompt_tokens);
        self.completion_tokens = self
            .completion_tokens
            .saturating_add(other.completion_tokens);
        self.cache_read_input_tokens = self
            .cache_read_input_tokens
            .saturating_add(other.cache_read_input_tokens);
        self.cache_creation_input_tokens = self
            .cache_creation_input_tokens
            .saturating_add(other.cache_creation_input_tokens);
        self.spend += other.spend;
        self.api_requests = self.api_requests.saturating_add(other.api_requests);
        self.successful_requests = self
            .successful_requests
            .saturating_add(other.successful_requests);
        self.failed_requests = self.failed_requests.saturating_add(other.failed_requests);
        self.total_response_time_ms = self
            .total_response_time_ms
            .saturating_add(other.total_response_time_ms);
        self.timed_requests = self.timed_requests.saturating_add(other.timed_requests);
    }

    /// The key it is summed under: the unique key's parts, each followed by a NUL (ids hold
    /// none), so that two keys differ exactly when a part does.
    fn write_key(&self, table: DailyTable, out: &mut String) {
        out.clear();
        out.push(match table {
            DailyTable::User => 'u',
            DailyTable::Team => 't',
        });
        for part in [
            &self.entity,
            &self.date,
            &self.api_key,
            &self.model,
            &self.custom_llm_provider,
            &self.mcp_namespaced_tool_name,
            &self.endpoint,
        ] {
            out.push_str(part);
            out.push('\0');
        }
    }
}

/// What a batch adds, summed per row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpendIncrements {
    /// Requests counted.
    pub requests: usize,
    /// Their spend.
    pub spend: f64,
    /// Spend per id, per kind of row by its `DBSpendUpdateTransactions` field
    /// (`key_list_transactions`, ...).
    pub entities: BTreeMap<String, BTreeMap<String, f64>>,
    /// Daily rows by [`DailyRow::write_key`].
    pub daily: BTreeMap<String, (DailyTable, DailyRow)>,
}

impl SpendIncrements {
    /// What `logs` add.
    pub fn of<'a>(logs: impl IntoIterator<Item = &'a SpendLog>) -> SpendIncrements {
        let mut inc = SpendIncrements::default();
        let mut scratch = Scratch::default();
        for log in logs {
            inc.add_log(log, &mut scratch);
        }
        inc
    }

    pub fn is_empty(&self) -> bool {
        self.entities.values().all(BTreeMap::is_empty) && self.daily.is_empty()
    }

    /// The ids and spend of one kind (empty when none).
    pub fn of_kind(&self, kind: EntityKind) -> impl Iterator<Item = (&str, f64)> {
        self.entities
            .get(kind.field())
            .into_iter()
            .flatten()
            .map(|(id, spend)| (id.as_str(), *spend))
    }

    /// Adds `spend` to an entity (an empty id adds nothing).
    pub fn add_entity(&mut self, kind: EntityKind, id: &str, spend: f64) {
        self.add_to_field(kind.field(), id, spend);
    }

    /// Adds `spend` to an entity of the kind a `DBSpendUpdateTransactions` field names.
    pub fn add_to_field(&mut self, field: &str, id: &str, spend: f64) {
        if id.is_empty() {
            return;
        }
        let map = match self.entities.get_mut(field) {
            Some(map) => map,
            None => self.entities.entry(field.to_owned()).or_default(),
        };
        // The id is copied only the first time it is seen.
        match map.get_mut(id) {
            Some(sum) => *sum += spend,
            None => {
                map.insert(id.to_owned(), spend);
            }
        }
    }

    /// Adds a daily row's counters to the row of its key.
    pub fn add_daily(&mut self, table: DailyTable, row: &DailyRow) {
        let mut key = String::new();
        row.write_key(table, &mut key);
        match self.daily.get_mut(&key) {
            Some((_, sum)) => sum.add(row),
            None => {
                self.daily.insert(key, (table, row.clone()));
            }
        }
    }

    /// Adds everything `other` adds.
    pub fn merge(&mut self, other: &SpendIncrements) {
        self.requests += other.requests;
        self.spend += other.spend;
        for (field, map) in &other.entities {
            for (id, spend) in map {
                self.add_to_field(field, id, *spend);
            }
        }
        for (key, (table, row)) in &other.daily {
            match self.daily.get_mut(key) {
                Some((_, sum)) => sum.add(row),
                None => {
                    self.daily.insert(key.clone(), (*table, row.clone()));
                }
            }
        }
    }

    /// The entity spend of the kinds corelane writes no table for, taken out of `self`.
    pub fn split_off_foreign(&mut self) -> SpendIncrements {
        let mut out = SpendIncrements::default();
        let (ours, theirs) = std::mem::take(&mut self.entities)
            .into_iter()
            .partition(|(field, _)| EntityKind::of_field(field).is_some());
        self.entities = ours;
        out.entities = theirs;
        out
    }

    /// Adds one request: its key, user and team, and a row in each daily table. LiteLLM
    /// writes a user row for every request (user `''` without one) and, as its logs carry
    /// team_id `''` without a team, a team row for every request too.
    fn add_log(&mut self, log: &SpendLog, scratch: &mut Scratch) {
        self.requests += 1;
        self.spend += log.spend;
        let team = log.team_id.as_deref().unwrap_or("");
        self.add_entity(EntityKind::Key, &log.api_key, log.spend);
        self.add_entity(EntityKind::User, &log.user, log.spend);
        self.add_entity(EntityKind::Team, team, log.spend);
        // LiteLLM's `get_request_status`: a failure only when the log says so.
        let success = log.status != "failure";
        // LiteLLM times successful requests that carry a duration only.
        let timed = log.request_duration_ms.filter(|ms| success && *ms >= 0);
        scratch.date.clear();
        let _ = write!(scratch.date, "{}", log.start_time.format("%Y-%m-%d"));
        for (table, entity) in [
            (DailyTable::User, log.user.as_str()),
            (DailyTable::Team, team),
        ] {
            // The key is built in a reused buffer: a row is allocated once per batch, not
            // once per request.
            let row = &mut scratch.row;
            row.entity.clear();
            row.entity.push_str(entity);
            for (to, from) in [
                (&mut row.date, scratch.date.as_str()),
                (&mut row.api_key, log.api_key.as_str()),
                (&mut row.model, log.model.as_str()),
                (
                    &mut row.custom_llm_provider,
                    log.custom_llm_provider.as_str(),
                ),
                (&mut row.endpoint, log.endpoint()),
                (&mut row.model_group, log.model_group.as_str()),
            ] {
                to.clear();
                to.push_str(from);
            }
            row.prompt_tokens = log.prompt_tokens;
            row.completion_tokens = log.completion_tokens;
            row.spend = log.spend;
            row.api_requests = 1;
            row.successful_requests = i64::from(success);
            row.failed_requests = i64::from(!success);
            row.total_response_time_ms = timed.unwrap_or(0);
            row.timed_requests = i64::from(timed.is_some());
            row.write_key(table, &mut scratch.key);
            match self.daily.get_mut(&scratch.key) {
                Some((_, sum)) => sum.add(row),
                None => {
                    self.daily.insert(scratch.key.clone(), (table, row.clone()));
                }
            }
        }
    }
}

/// Buffers reused while a batch is summed.
#[derive(Default)]
struct Scratch {
    date: String,
    key: String,
    row: DailyRow,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn log(id: &str, key: &str, user: &str, team: Option<&str>, spend: f64) -> SpendLog {
        SpendLog {
            request_id: id.into(),
            call_type: "acompletion".into(),
            api_key: key.into(),
            spend,
            prompt_tokens: 3,
            completion_tokens: 4,
            total_tokens: 7,
            start_time: "2026-12-01T10:00:00Z".parse().unwrap(),
            end_time: "2026-12-01T10:00:01Z".parse().unwrap(),
            completion_start_time: None,
            model: "gpt-4o".into(),
            model_id: "m1".into(),
            model_group: "gpt-4o".into(),
            custom_llm_provider: "openai".into(),
            api_base: String::new(),
            user: user.into(),
            team_id: team.map(Into::into),
            end_user: None,
            metadata: serde_json::json!({}),
            request_tags: serde_json::json!([]),
            status: "success".into(),
            request_duration_ms: Some(1000),
            litellm_call_id: id.into(),
        }
    }

    #[test]
    fn a_batch_sums_per_row() {
        let logs = [
            log("a", "k1", "u1", Some("t1"), 1.0),
            log("b", "k1", "u1", None, 2.0),
            log("c", "k2", "", None, 4.0),
        ];
        let inc = SpendIncrements::of(&logs);
        assert_eq!((inc.requests, inc.spend), (3, 7.0));
        let keys: Vec<_> = inc.of_kind(EntityKind::Key).collect();
        assert_eq!(keys, [("k1", 3.0), ("k2", 4.0)]);
        let users: Vec<_> = inc.of_kind(EntityKind::User).collect();
        assert_eq!(users, [("u1", 3.0)]);
        let teams: Vec<_> = inc.of_kind(EntityKind::Team).collect();
        assert_eq!(teams, [("t1", 1.0)]);
        // Daily: user rows (u1,k1), ('',k2); team rows (t1,k1), ('',k1), ('',k2).
        let user_rows: Vec<_> = inc
            .daily
            .values()
            .filter(|(t, _)| *t == DailyTable::User)
            .map(|(_, r)| {
                (
                    r.entity.as_str(),
                    r.api_key.as_str(),
                    r.api_requests,
                    r.spend,
                )
            })
            .collect();
        assert_eq!(user_rows, [("", "k2", 1, 4.0), ("u1", "k1", 2, 3.0)]);
        let team_rows = inc.daily.values().filter(|(t, _)| *t == DailyTable::Team);
        assert_eq!(team_rows.count(), 3);
        let row = &inc
            .daily
            .values()
            .find(|(_, r)| r.entity == "u1")
            .unwrap()
            .1;
        assert_eq!(
            (row.date.as_str(), row.endpoint.as_str()),
            ("2026-12-01", "/chat/completions")
        );
        assert_eq!(
            (
                row.prompt_tokens,
                row.timed_requests,
                row.total_response_time_ms
            ),
            (6, 2, 2000)
        );
    }

    #[test]
    fn merging_adds_and_splitting_takes_kinds_out() {
        let mut a = SpendIncrements::of(&[log("a", "k1", "u1", None, 1.0)]);
        let b = SpendIncrements::of(&[log("b", "k1", "u2", None, 2.0)]);
        a.merge(&b);
        a.add_to_field("tag_list_transactions", "prod", 0.5);
        a.add_to_field("tag_list_transactions", "", 9.0);
        assert_eq!(
            a.of_kind(EntityKind::Key).collect::<Vec<_>>(),
            [("k1", 3.0)]
        );
        assert_eq!(a.requests, 2);
        let user_rows = a
            .daily
            .values()
            .filter(|(t, _)| *t == DailyTable::User)
            .count();
        assert_eq!(user_rows, 2);
        let theirs = a.split_off_foreign();
        assert_eq!(theirs.entities.len(), 1);
        assert_eq!(theirs.entities["tag_list_transactions"]["prod"], 0.5);
        assert!(theirs.daily.is_empty());
        assert!(!a.entities.contains_key("tag_list_transactions"));
        assert!(!a.is_empty());
        assert!(SpendIncrements::default().is_empty());
    }
}
