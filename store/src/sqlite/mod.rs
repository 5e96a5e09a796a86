//! The embedded store: [`Backend`] on one SQLite file (compiled in, so a new user needs no
//! database server), with LiteLLM's Postgres table and column names (`sql/sqlite.sql`).
//!
//! Types, Postgres → SQLite:
//! - `TEXT` → `TEXT`; `DOUBLE PRECISION` → `REAL`; `INTEGER`, `BIGINT` and `BOOLEAN` →
//!   `INTEGER` (booleans 0 and 1);
//! - `JSONB` → `TEXT` holding the JSON; `TEXT[]` → `TEXT` holding a JSON array of strings
//!   (`NULL` reads as an empty list);
//! - `TIMESTAMP(3)` (UTC) → `TEXT` like `2026-12-01T15:53:26.123Z`: one fixed-width format
//!   everywhere, so comparing the text compares the times (`"startTime" >= ?`, `ORDER BY`).
//!
//! A file runs in WAL mode (readers never wait for the writer) with a busy timeout. Every
//! write of several statements is one `BEGIN IMMEDIATE` transaction: it takes the write lock
//! before it reads, so it waits for another writer instead of failing on a lock upgrade.
//!
//! Layout: `rows` (the columns of each row, the values bound and read, the text of times
//! and JSON), `spend` (`write_spend`'s batch).

mod rows;
mod spend;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{
    ffi, params, params_from_iter, Connection, ErrorCode, OptionalExtension, Row, Transaction,
    TransactionBehavior,
};

use self::rows::{
    key_columns, key_params, key_row, log_columns, log_row, stamp, team_columns, team_params,
    team_row, user_columns, user_params, user_row, Json, Stamp,
};
use crate::backend::{Backend, Result, StoreError};
use crate::increments::SpendIncrements;
use crate::model::{
    Entity, KeyQuery, KeyRecord, SpendLog, SpendLogQuery, SpendWritten, TeamRecord, UserRecord,
};

/// The tables and indexes, every statement `IF NOT EXISTS`.
const SCHEMA: &str = include_str!("../../sql/sqlite.sql");
/// How long a statement waits for another connection's lock before it is `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection: the fixed ones (about 30) and the filter
/// combinations in use.
const STATEMENT_CACHE: usize = 64;

/// A connection to one SQLite database holding LiteLLM's tables.
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens the database file at `path`, creating the file (not its directory) when missing.
    pub fn open(path: &Path) -> Result<Sqlite> {
        let conn = Connection::open(path)?;
        // Before the journal mode: switching to WAL takes a lock another process may hold.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // A file system without shared memory keeps its old mode; the store still works.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        // WAL's NORMAL: a commit is not synced to the disk by itself (a checkpoint is). A
        // process that dies loses nothing the database acknowledged; a power loss may lose
        // the last commits, never the file. FULL synced every spend batch, which cost the
        // store thread more than writing it.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(Sqlite::with(conn))
    }

    /// A private database in memory, gone when this value is dropped (tests).
    pub fn open_in_memory() -> Result<Sqlite> {
        Ok(Sqlite::with(Connection::open_in_memory()?))
    }

    fn with(conn: Connection) -> Sqlite {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Sqlite { conn }
    }

    /// The connection, for tests and tools that read what no [`Backend`] method reads (the
    /// daily tables).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn write(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
    }

    /// Deletes the rows of `table` (users or teams) whose `id_column` is one of `ids`, and the
    /// keys whose column of that name is; answers the ids that had a row.
    fn delete_with_keys(
        &mut self,
        table: &str,
        id_column: &str,
        ids: &[String],
    ) -> Result<Vec<String>> {
        let tx = self.write()?;
        let mut deleted = Vec::new();
        {
            let mut keys = tx.prepare_cached(&format!(
                "DELETE FROM \"LiteLLM_VerificationToken\" WHERE {id_column} = ?1"
            ))?;
            let mut rows =
                tx.prepare_cached(&format!("DELETE FROM \"{table}\" WHERE {id_column} = ?1"))?;
            for id in ids {
                keys.execute([id])?;
                if rows.execute([id])? > 0 {
                    deleted.push(id.clone());
                }
            }
        }
        tx.commit()?;
        Ok(deleted)
    }

    /// One page (1-based) of `table` under `filter` in `order`, and how many rows match,
    /// read in one transaction so the page and the total agree.
    fn page<T>(
        &mut self,
        (columns, table, order): (&str, &str, &str),
        mut filter: Filter,
        (page, size): (u64, u64),
        read: fn(&Row) -> rusqlite::Result<T>,
    ) -> Result<(Vec<T>, u64)> {
        let tx = self.conn.transaction()?;
        let total: i64 = tx.query_row(
            &format!("SELECT COUNT(*) FROM \"{table}\"{}", filter.sql()),
            params_from_iter(&filter.args),
            |row| row.get(0),
        )?;
        let select = format!(
            "SELECT {columns} FROM \"{table}\"{} ORDER BY {order} LIMIT ? OFFSET ?",
            filter.sql()
        );
        let offset = page.saturating_sub(1).saturating_mul(size);
        filter.args.push(SqlValue::Integer(sql_int(size)));
        filter.args.push(SqlValue::Integer(sql_int(offset)));
        let rows = tx
            .prepare_cached(&select)?
            .query_map(params_from_iter(&filter.args), read)?
            .collect::<rusqlite::Result<Vec<T>>>()?;
        tx.commit()?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    fn all<T>(&mut self, sql: &str, read: fn(&Row) -> rusqlite::Result<T>) -> Result<Vec<T>> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_map([], read)?
            .collect::<rusqlite::Result<Vec<T>>>()?)
    }
}

impl Backend for Sqlite {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn ensure_schema(&mut self) -> Result<()> {
        let tx = self.write()?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
        Ok(())
    }

    fn insert_key(&mut self, key: &KeyRecord) -> Result<()> {
        // `key_type` as LiteLLM's /key/generate writes it when none is asked for
        // (`LiteLLMKeyType.DEFAULT`).
        self.conn
            .prepare_cached(concat!(
                "INSERT INTO \"LiteLLM_VerificationToken\" (",
                key_columns!(),
                ", key_type) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
                 ?15, ?16, COALESCE(?17, ?21), COALESCE(?18, ?21), ?19, ?20, 'default')"
            ))?
            .execute(key_params!(key, Stamp(Utc::now())))?;
        Ok(())
    }

    fn key(&mut self, token: &str) -> Result<Option<KeyRecord>> {
        Ok(self
            .conn
            .prepare_cached(concat!(
                "SELECT ",
                key_columns!(),
                " FROM \"LiteLLM_VerificationToken\" WHERE token = ?1"
            ))?
            .query_row([token], key_row)
            .optional()?)
    }

    fn key_by_alias(&mut self, alias: &str) -> Result<Option<KeyRecord>> {
        // Aliases are unique by the caller's check; should two rows share one, the newest wins.
        Ok(self
            .conn
            .prepare_cached(concat!(
                "SELECT ",
                key_columns!(),
                " FROM \"LiteLLM_VerificationToken\" WHERE key_alias = ?1 \
                 ORDER BY created_at DESC, token DESC LIMIT 1"
            ))?
            .query_row([alias], key_row)
            .optional()?)
    }

    fn update_key(&mut self, key: &KeyRecord) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE \"LiteLLM_VerificationToken\" SET key_name = ?2, key_alias = ?3, \
                 user_id = ?4, team_id = ?5, models = ?6, max_budget = ?8, expires = ?9, \
                 budget_duration = ?10, budget_reset_at = ?11, tpm_limit = ?12, rpm_limit = ?13, \
                 max_parallel_requests = ?14, metadata = ?15, blocked = ?16, created_by = ?19, \
                 updated_by = ?20, updated_at = ?21 WHERE token = ?1",
            )?
            .execute(key_params!(key, Stamp(Utc::now())))?;
        Ok(changed > 0)
    }

    fn set_key_spend(&mut self, token: &str, spend: f64) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached("UPDATE \"LiteLLM_VerificationToken\" SET spend = ?2 WHERE token = ?1")?
            .execute(params![token, spend])?;
        Ok(changed > 0)
    }

    fn delete_keys(&mut self, tokens: &[String]) -> Result<Vec<String>> {
        let tx = self.write()?;
        let mut deleted = Vec::new();
        {
            let mut delete =
                tx.prepare_cached("DELETE FROM \"LiteLLM_VerificationToken\" WHERE token = ?1")?;
            for token in tokens {
                if delete.execute([token])? > 0 {
                    deleted.push(token.clone());
                }
            }
        }
        tx.commit()?;
        Ok(deleted)
    }

    fn list_keys(&mut self, query: &KeyQuery) -> Result<(Vec<KeyRecord>, u64)> {
        let mut filter = Filter::default();
        filter.eq("user_id = ?", &query.user_id);
        filter.eq("team_id = ?", &query.team_id);
        filter.eq("key_alias = ?", &query.key_alias);
        self.page(
            (
                key_columns!(),
                "LiteLLM_VerificationToken",
                "created_at DESC, token DESC",
            ),
            filter,
            (query.page, query.size),
            key_row,
        )
    }

    fn all_keys(&mut self) -> Result<Vec<KeyRecord>> {
        self.all(
            concat!(
                "SELECT ",
                key_columns!(),
                " FROM \"LiteLLM_VerificationToken\""
            ),
            key_row,
        )
    }

    fn insert_user(&mut self, user: &UserRecord) -> Result<()> {
        self.conn
            .prepare_cached(concat!(
                "INSERT INTO \"LiteLLM_UserTable\" (",
                user_columns!(),
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
                 COALESCE(?15, ?17), COALESCE(?16, ?17))"
            ))?
            .execute(user_params!(user, Stamp(Utc::now())))?;
        Ok(())
    }

    fn user(&mut self, user_id: &str) -> Result<Option<UserRecord>> {
        Ok(self
            .conn
            .prepare_cached(concat!(
                "SELECT ",
                user_columns!(),
                " FROM \"LiteLLM_UserTable\" WHERE user_id = ?1"
            ))?
            .query_row([user_id], user_row)
            .optional()?)
    }

    fn update_user(&mut self, user: &UserRecord) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE \"LiteLLM_UserTable\" SET user_alias = ?2, user_email = ?3, \
                 user_role = ?4, teams = ?5, models = ?6, max_budget = ?8, budget_duration = ?9, \
                 budget_reset_at = ?10, tpm_limit = ?11, rpm_limit = ?12, \
                 max_parallel_requests = ?13, metadata = ?14, updated_at = ?17 WHERE user_id = ?1",
            )?
            .execute(user_params!(user, Stamp(Utc::now())))?;
        Ok(changed > 0)
    }

    fn delete_users(&mut self, user_ids: &[String]) -> Result<Vec<String>> {
        self.delete_with_keys("LiteLLM_UserTable", "user_id", user_ids)
    }

    fn list_users(&mut self, page: u64, size: u64) -> Result<(Vec<UserRecord>, u64)> {
        self.page(
            (user_columns!(), "LiteLLM_UserTable", "user_id"),
            Filter::default(),
            (page, size),
            user_row,
        )
    }

    fn all_users(&mut self) -> Result<Vec<UserRecord>> {
        self.all(
            concat!("SELECT ", user_columns!(), " FROM \"LiteLLM_UserTable\""),
            user_row,
        )
    }

    fn insert_team(&mut self, team: &TeamRecord) -> Result<()> {
        self.conn
            .prepare_cached(concat!(
                "INSERT INTO \"LiteLLM_TeamTable\" (",
                team_columns!(),
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
                 ?16, COALESCE(?17, ?19), COALESCE(?18, ?19))"
            ))?
            .execute(team_params!(team, Stamp(Utc::now())))?;
        Ok(())
    }

    fn team(&mut self, team_id: &str) -> Result<Option<TeamRecord>> {
        Ok(self
            .conn
            .prepare_cached(concat!(
                "SELECT ",
                team_columns!(),
                " FROM \"LiteLLM_TeamTable\" WHERE team_id = ?1"
            ))?
            .query_row([team_id], team_row)
            .optional()?)
    }

    fn update_team(&mut self, team: &TeamRecord) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE \"LiteLLM_TeamTable\" SET team_alias = ?2, organization_id = ?3, \
                 admins = ?4, members = ?5, members_with_roles = ?6, models = ?7, \
                 max_budget = ?9, budget_duration = ?10, budget_reset_at = ?11, tpm_limit = ?12, \
                 rpm_limit = ?13, max_parallel_requests = ?14, metadata = ?15, blocked = ?16, \
                 updated_at = ?19 WHERE team_id = ?1",
            )?
            .execute(team_params!(team, Stamp(Utc::now())))?;
        Ok(changed > 0)
    }

    fn delete_teams(&mut self, team_ids: &[String]) -> Result<Vec<String>> {
        self.delete_with_keys("LiteLLM_TeamTable", "team_id", team_ids)
    }

    fn all_teams(&mut self) -> Result<Vec<TeamRecord>> {
        self.all(
            concat!("SELECT ", team_columns!(), " FROM \"LiteLLM_TeamTable\""),
            team_row,
        )
    }

    fn write_spend(&mut self, logs: &[SpendLog]) -> Result<SpendWritten> {
        let now = Stamp(Utc::now());
        let tx = self.write()?;
        let inc = spend::insert_logs(&tx, logs, &now)?;
        spend::apply(&tx, &inc, &now)?;
        tx.commit()?;
        Ok(SpendWritten::of(&inc))
    }

    fn write_spend_logs(&mut self, logs: &[SpendLog]) -> Result<SpendIncrements> {
        let now = Stamp(Utc::now());
        let tx = self.write()?;
        let inc = spend::insert_logs(&tx, logs, &now)?;
        tx.commit()?;
        Ok(inc)
    }

    fn apply_spend(&mut self, inc: &SpendIncrements) -> Result<SpendIncrements> {
        let now = Stamp(Utc::now());
        let tx = self.write()?;
        let rest = spend::apply(&tx, inc, &now)?;
        tx.commit()?;
        Ok(rest)
    }

    fn spend_logs(&mut self, query: &SpendLogQuery) -> Result<Vec<SpendLog>> {
        let mut filter = Filter::default();
        filter.eq("api_key = ?", &query.api_key);
        filter.eq("\"user\" = ?", &query.user_id);
        if let Some(id) = &query.request_id {
            // LiteLLM's request_id is the response id; the call id is matched too. Only rows
            // whose call id differs from their request_id are in the call id's (partial) index,
            // which the second term's condition lets SQLite use.
            filter.and(
                "(request_id = ? OR (litellm_call_id = ? AND litellm_call_id <> request_id))",
                [SqlValue::Text(id.clone()), SqlValue::Text(id.clone())],
            );
        }
        if let Some(start) = query.start {
            filter.and("\"startTime\" >= ?", [SqlValue::Text(stamp(&start))]);
        }
        if let Some(end) = query.end {
            filter.and("\"startTime\" < ?", [SqlValue::Text(stamp(&end))]);
        }
        let select = format!(
            concat!(
                "SELECT ",
                log_columns!(),
                " FROM \"LiteLLM_SpendLogs\"{} ORDER BY \"startTime\" DESC, request_id DESC \
                 LIMIT ?"
            ),
            filter.sql()
        );
        filter.args.push(SqlValue::Integer(sql_int(query.limit)));
        Ok(self
            .conn
            .prepare_cached(&select)?
            .query_map(params_from_iter(&filter.args), log_row)?
            .collect::<rusqlite::Result<Vec<SpendLog>>>()?)
    }

    fn global_spend(&mut self, since: DateTime<Utc>) -> Result<f64> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(spend), 0.0) FROM \"LiteLLM_SpendLogs\" \
                 WHERE \"startTime\" >= ?1",
            )?
            .query_row([Stamp(since)], |row| row.get(0))?)
    }

    fn due_budget_resets(
        &mut self,
        entity: Entity,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>> {
        let (table, id) = table_of(entity);
        let mut select = self.conn.prepare_cached(&format!(
            "SELECT {id}, budget_duration FROM \"{table}\" \
             WHERE budget_duration IS NOT NULL AND budget_duration <> '' \
             AND (budget_reset_at IS NULL OR budget_reset_at <= ?1) ORDER BY {id}"
        ))?;
        let due = select
            .query_map([Stamp(now)], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
        Ok(due)
    }

    fn reset_budget(&mut self, entity: Entity, id: &str, next: DateTime<Utc>) -> Result<()> {
        let (table, id_column) = table_of(entity);
        self.conn
            .prepare_cached(&format!(
                "UPDATE \"{table}\" SET spend = 0.0, budget_reset_at = ?2 WHERE {id_column} = ?1"
            ))?
            .execute(params![id, Stamp(next)])?;
        Ok(())
    }
}

/// A table's name and its primary key column.
fn table_of(entity: Entity) -> (&'static str, &'static str) {
    match entity {
        Entity::Key => ("LiteLLM_VerificationToken", "token"),
        Entity::User => ("LiteLLM_UserTable", "user_id"),
        Entity::Team => ("LiteLLM_TeamTable", "team_id"),
    }
}

/// The `WHERE` of a query, built from the filters that are set, and its arguments.
#[derive(Default)]
struct Filter {
    clauses: Vec<&'static str>,
    args: Vec<SqlValue>,
}

impl Filter {
    /// `clause` has one `?` per value, in order.
    fn and(&mut self, clause: &'static str, values: impl IntoIterator<Item = SqlValue>) {
        self.clauses.push(clause);
        self.args.extend(values);
    }

    /// `clause` (`column = ?`) when the filter is set.
    fn eq(&mut self, clause: &'static str, value: &Option<String>) {
        if let Some(value) = value {
            self.and(clause, [SqlValue::Text(value.clone())]);
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// A limit or offset for SQLite's signed integers (anything larger means no limit).
fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let rusqlite::Error::SqliteFailure(failure, message) = &e else {
            return StoreError::Other(e.to_string());
        };
        match failure.code {
            // Another connection holds the lock past the busy timeout, or the file or disk
            // failed: the same write may succeed later.
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::DiskFull => StoreError::Unavailable(e.to_string()),
            ErrorCode::ConstraintViolation
                if matches!(
                    failure.extended_code,
                    ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE
                ) =>
            {
                // "UNIQUE constraint failed: <table>.<column>": name what already exists.
                let what = message
                    .as_deref()
                    .and_then(|m| m.split_once(": "))
                    .map_or("the row", |(_, columns)| columns);
                StoreError::Duplicate(what.to_owned())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}
