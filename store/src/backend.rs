//! What corelane asks of a database: one trait, two backends (embedded SQLite, and Postgres
//! with LiteLLM's schema). A backend is used by one thread only (the store thread), never by
//! a core, so its calls block.

use chrono::{DateTime, Utc};

use crate::increments::SpendIncrements;
use crate::model::{
    Entity, KeyQuery, KeyRecord, SpendLog, SpendLogQuery, SpendWritten, TeamRecord, UserRecord,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or the connection broke: the operation may succeed
    /// later (spend is kept and written again).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// An insert would duplicate a primary or unique key.
    #[error("{0} already exists")]
    Duplicate(String),
    /// Anything else the database refused.
    #[error("database error: {0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The store's operations. Each one is atomic (one statement or one transaction).
pub trait Backend: Send {
    /// `"sqlite"` or `"postgres"`, for logs.
    fn kind(&self) -> &'static str;

    /// Creates the tables (and indexes) corelane uses when they are missing, with LiteLLM's
    /// names and types. Never drops, alters or rewrites an existing table. Safe to call at
    /// every start and from several instances at once.
    fn ensure_schema(&mut self) -> Result<()>;

    /// Inserts a new key; `Duplicate` when its token is taken.
    fn insert_key(&mut self, key: &KeyRecord) -> Result<()>;
    fn key(&mut self, token: &str) -> Result<Option<KeyRecord>>;
    fn key_by_alias(&mut self, alias: &str) -> Result<Option<KeyRecord>>;
    /// Writes every column of `KeyRecord` except `token`, `spend` and `created_at` to the
    /// row of `key.token`; false when there is none. `updated_at` is set to now.
    fn update_key(&mut self, key: &KeyRecord) -> Result<bool>;
    /// Sets a key's `spend` (a reset, or `/key/update`'s `spend`).
    fn set_key_spend(&mut self, token: &str, spend: f64) -> Result<bool>;
    /// Deletes the rows of these tokens; answers the tokens that existed.
    fn delete_keys(&mut self, tokens: &[String]) -> Result<Vec<String>>;
    /// A page of keys, newest first (created_at desc, then token desc), and the total that
    /// match the filters.
    fn list_keys(&mut self, query: &KeyQuery) -> Result<(Vec<KeyRecord>, u64)>;
    /// Every key (the auth cache's snapshot).
    fn all_keys(&mut self) -> Result<Vec<KeyRecord>>;

    fn insert_user(&mut self, user: &UserRecord) -> Result<()>;
    fn user(&mut self, user_id: &str) -> Result<Option<UserRecord>>;
    /// As `update_key`, for users (not `user_id`, `spend`, `created_at`).
    fn update_user(&mut self, user: &UserRecord) -> Result<bool>;
    /// Deletes users and their keys; answers the user ids that existed.
    fn delete_users(&mut self, user_ids: &[String]) -> Result<Vec<String>>;
    /// A page of users by user_id (1-based page), and the total.
    fn list_users(&mut self, page: u64, size: u64) -> Result<(Vec<UserRecord>, u64)>;
    fn all_users(&mut self) -> Result<Vec<UserRecord>>;

    fn insert_team(&mut self, team: &TeamRecord) -> Result<()>;
    fn team(&mut self, team_id: &str) -> Result<Option<TeamRecord>>;
    /// As `update_key`, for teams (not `team_id`, `spend`, `created_at`).
    fn update_team(&mut self, team: &TeamRecord) -> Result<bool>;
    /// Deletes teams and their keys; answers the team ids that existed.
    fn delete_teams(&mut self, team_ids: &[String]) -> Result<Vec<String>>;
    fn all_teams(&mut self) -> Result<Vec<TeamRecord>>;

    /// Writes a batch of requests in one transaction:
    /// - each `LiteLLM_SpendLogs` row, skipped when its `request_id` is already there;
    /// - for the rows inserted only: `spend` (and `total_spend`, `last_active` where the
    ///   columns exist) of their key (`api_key`), user (`user`) and team (`team_id`) rows;
    /// - the daily tables (`LiteLLM_DailyUserSpend`, `LiteLLM_DailyTeamSpend`), upserted by
    ///   LiteLLM's unique key with `''` for missing parts, by the `startTime` date (UTC).
    fn write_spend(&mut self, logs: &[SpendLog]) -> Result<SpendWritten>;
    /// The rows of [`Backend::write_spend`] only; answers what the rows inserted add to keys,
    /// users, teams and daily rows, for the caller to add elsewhere (through Redis, with
    /// `use_redis_transaction_buffer`).
    fn write_spend_logs(&mut self, logs: &[SpendLog]) -> Result<SpendIncrements>;
    /// Adds `inc` to its rows in one transaction, as [`Backend::write_spend`] adds a batch's;
    /// answers the part of it this database has no table for (kinds only LiteLLM writes),
    /// which it leaves alone.
    fn apply_spend(&mut self, inc: &SpendIncrements) -> Result<SpendIncrements>;
    /// As [`Backend::write_spend`] without the `LiteLLM_SpendLogs` rows (LiteLLM's
    /// `disable_spend_logs`): the key, user and team spend and the daily tables only, for
    /// every log given (with no row, a batch written twice would add twice).
    fn write_spend_totals(&mut self, logs: &[SpendLog]) -> Result<SpendWritten> {
        let inc = SpendIncrements::of(logs);
        self.apply_spend(&inc)?;
        Ok(SpendWritten::of(&inc))
    }
    fn spend_logs(&mut self, query: &SpendLogQuery) -> Result<Vec<SpendLog>>;
    /// The sum of `LiteLLM_SpendLogs.spend` with `startTime` at or after `since`.
    fn global_spend(&mut self, since: DateTime<Utc>) -> Result<f64>;

    /// Rows of `entity` with a `budget_duration` whose `budget_reset_at` is at or before
    /// `now` (or unset): their ids and durations.
    fn due_budget_resets(
        &mut self,
        entity: Entity,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>>;
    /// Sets the row's `spend` to 0 and its `budget_reset_at` to `next`.
    fn reset_budget(&mut self, entity: Entity, id: &str, next: DateTime<Utc>) -> Result<()>;
}
