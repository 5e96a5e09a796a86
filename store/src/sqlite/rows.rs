//! The rows of keys, users, teams and spend logs as SQLite holds them: the columns each
//! statement names, the values bound in their order, the rows read back, and the text a time
//! or a JSON value is kept as.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{Row, ToSql};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::model::{KeyRecord, SpendLog, TeamRecord, UserRecord};

/// The columns `key_row` reads and `insert_key` writes (with `key_type`), in `insert_key`'s
/// order.
macro_rules! key_columns {
    () => {
        "token, key_name, key_alias, user_id, team_id, models, spend, max_budget, expires, \
         budget_duration, budget_reset_at, tpm_limit, rpm_limit, max_parallel_requests, \
         metadata, blocked, created_at, updated_at, created_by, updated_by"
    };
}
pub(super) use key_columns;
macro_rules! user_columns {
    () => {
        "user_id, user_alias, user_email, user_role, teams, models, spend, max_budget, \
         budget_duration, budget_reset_at, tpm_limit, rpm_limit, max_parallel_requests, \
         metadata, created_at, updated_at"
    };
}
pub(super) use user_columns;
macro_rules! team_columns {
    () => {
        "team_id, team_alias, organization_id, admins, members, members_with_roles, models, \
         spend, max_budget, budget_duration, budget_reset_at, tpm_limit, rpm_limit, \
         max_parallel_requests, metadata, blocked, created_at, updated_at"
    };
}
pub(super) use team_columns;
macro_rules! log_columns {
    () => {
        "request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens, \
         \"startTime\", \"endTime\", \"completionStartTime\", model, model_id, model_group, \
         custom_llm_provider, api_base, \"user\", team_id, end_user, metadata, request_tags, \
         status, request_duration_ms, litellm_call_id"
    };
}
pub(super) use log_columns;

/// A key's values in `key_columns!` order (?1 to ?20) and now (?21): `insert_key` binds them
/// all, `update_key` the same list and leaves out `spend` and `created_at` by number. The
/// `*_params!` macros expand where `params!`, [`Json`] and [`Stamp`] are in scope.
macro_rules! key_params {
    ($k:expr, $now:expr) => {
        params![
            $k.token,
            $k.key_name,
            $k.key_alias,
            $k.user_id,
            $k.team_id,
            Json(&$k.models),
            $k.spend,
            $k.max_budget,
            $k.expires.map(Stamp),
            $k.budget_duration,
            $k.budget_reset_at.map(Stamp),
            $k.tpm_limit,
            $k.rpm_limit,
            $k.max_parallel_requests,
            Json(&$k.metadata),
            $k.blocked,
            $k.created_at.map(Stamp),
            $k.updated_at.map(Stamp),
            $k.created_by,
            $k.updated_by,
            $now,
        ]
    };
}
pub(super) use key_params;
/// A user's values in `user_columns!` order (?1 to ?16) and now (?17).
macro_rules! user_params {
    ($u:expr, $now:expr) => {
        params![
            $u.user_id,
            $u.user_alias,
            $u.user_email,
            $u.user_role,
            Json(&$u.teams),
            Json(&$u.models),
            $u.spend,
            $u.max_budget,
            $u.budget_duration,
            $u.budget_reset_at.map(Stamp),
            $u.tpm_limit,
            $u.rpm_limit,
            $u.max_parallel_requests,
            Json(&$u.metadata),
            $u.created_at.map(Stamp),
            $u.updated_at.map(Stamp),
            $now,
        ]
    };
}
pub(super) use user_params;
/// A team's values in `team_columns!` order (?1 to ?18) and now (?19).
macro_rules! team_params {
    ($t:expr, $now:expr) => {
        params![
            $t.team_id,
            $t.team_alias,
            $t.organization_id,
            Json(&$t.admins),
            Json(&$t.members),
            Json(&$t.members_with_roles),
            Json(&$t.models),
            $t.spend,
            $t.max_budget,
            $t.budget_duration,
            $t.budget_reset_at.map(Stamp),
            $t.tpm_limit,
            $t.rpm_limit,
            $t.max_parallel_requests,
            Json(&$t.metadata),
            $t.blocked,
            $t.created_at.map(Stamp),
            $t.updated_at.map(Stamp),
            $now,
        ]
    };
}
pub(super) use team_params;

pub(super) fn key_row(row: &Row<'_>) -> rusqlite::Result<KeyRecord> {
    Ok(KeyRecord {
        token: row.get("token")?,
        key_name: row.get("key_name")?,
        key_alias: row.get("key_alias")?,
        user_id: row.get("user_id")?,
        team_id: row.get("team_id")?,
        models: strings(row, "models")?,
        spend: row.get("spend")?,
        max_budget: row.get("max_budget")?,
        expires: time(row, "expires")?,
        budget_duration: row.get("budget_duration")?,
        budget_reset_at: time(row, "budget_reset_at")?,
        tpm_limit: row.get("tpm_limit")?,
        rpm_limit: row.get("rpm_limit")?,
        max_parallel_requests: row.get("max_parallel_requests")?,
        metadata: json(row, "metadata")?,
        blocked: row.get("blocked")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        created_by: row.get("created_by")?,
        updated_by: row.get("updated_by")?,
    })
}

pub(super) fn user_row(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        user_id: row.get("user_id")?,
        user_alias: row.get("user_alias")?,
        user_email: row.get("user_email")?,
        user_role: row.get("user_role")?,
        teams: strings(row, "teams")?,
        models: strings(row, "models")?,
        spend: row.get("spend")?,
        max_budget: row.get("max_budget")?,
        budget_duration: row.get("budget_duration")?,
        budget_reset_at: time(row, "budget_reset_at")?,
        tpm_limit: row.get("tpm_limit")?,
        rpm_limit: row.get("rpm_limit")?,
        max_parallel_requests: row.get("max_parallel_requests")?,
        metadata: json(row, "metadata")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(super) fn team_row(row: &Row<'_>) -> rusqlite::Result<TeamRecord> {
    Ok(TeamRecord {
        team_id: row.get("team_id")?,
        team_alias: row.get("team_alias")?,
        organization_id: row.get("organization_id")?,
        admins: strings(row, "admins")?,
        members: strings(row, "members")?,
        members_with_roles: json(row, "members_with_roles")?,
        models: strings(row, "models")?,
        spend: row.get("spend")?,
        max_budget: row.get("max_budget")?,
        budget_duration: row.get("budget_duration")?,
        budget_reset_at: time(row, "budget_reset_at")?,
        tpm_limit: row.get("tpm_limit")?,
        rpm_limit: row.get("rpm_limit")?,
        max_parallel_requests: row.get("max_parallel_requests")?,
        metadata: json(row, "metadata")?,
        blocked: row.get("blocked")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(super) fn log_row(row: &Row<'_>) -> rusqlite::Result<SpendLog> {
    // LiteLLM's TEXT DEFAULT '' columns are nullable; NULL reads as ''.
    let text = |column: &str| -> rusqlite::Result<String> {
        Ok(row.get::<_, Option<String>>(column)?.unwrap_or_default())
    };
    Ok(SpendLog {
        request_id: row.get("request_id")?,
        call_type: row.get("call_type")?,
        api_key: row.get("api_key")?,
        spend: row.get("spend")?,
        prompt_tokens: row.get("prompt_tokens")?,
        completion_tokens: row.get("completion_tokens")?,
        total_tokens: row.get("total_tokens")?,
        start_time: row.get::<_, Stamp>("startTime")?.0,
        end_time: row.get::<_, Stamp>("endTime")?.0,
        completion_start_time: time(row, "completionStartTime")?,
        model: row.get("model")?,
        model_id: text("model_id")?,
        model_group: text("model_group")?,
        custom_llm_provider: text("custom_llm_provider")?,
        api_base: text("api_base")?,
        user: text("user")?,
        team_id: row.get("team_id")?,
        end_user: row.get("end_user")?,
        metadata: json(row, "metadata")?,
        request_tags: json(row, "request_tags")?,
        status: text("status")?,
        request_duration_ms: row.get("request_duration_ms")?,
        litellm_call_id: text("litellm_call_id")?,
    })
}

/// A `TEXT[]` column: `NULL` is the empty list.
fn strings(row: &Row<'_>, column: &str) -> rusqlite::Result<Vec<String>> {
    Ok(row
        .get::<_, Option<Json<Vec<String>>>>(column)?
        .map_or_else(Vec::new, |list| list.0))
}

/// A `JSONB` column: `NULL` is JSON `null`.
fn json(row: &Row<'_>, column: &str) -> rusqlite::Result<Value> {
    Ok(row
        .get::<_, Option<Json<Value>>>(column)?
        .map_or(Value::Null, |value| value.0))
}

fn time(row: &Row<'_>, column: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(row.get::<_, Option<Stamp>>(column)?.map(|t| t.0))
}

/// A time as every column holds it: UTC, milliseconds, `Z` (`2026-12-01T15:53:26.123Z`).
/// Finer digits are cut, as `TIMESTAMP(3)` keeps none.
pub(super) fn stamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A `TIMESTAMP(3)` column's value.
pub(super) struct Stamp(pub(super) DateTime<Utc>);

impl ToSql for Stamp {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(stamp(&self.0)))
    }
}

impl FromSql for Stamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            // SQLite's own `CURRENT_TIMESTAMP` form, should a row be written by hand.
            .or_else(|| {
                NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                    .ok()
                    .map(|t| t.and_utc())
            })
            .map(Stamp)
            .ok_or_else(|| FromSqlError::Other(format!("not a time: {text:?}").into()))
    }
}

/// A `JSONB` or `TEXT[]` column's value: JSON text.
pub(super) struct Json<T>(pub(super) T);

impl<T: Serialize> ToSql for Json<T> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        serde_json::to_string(&self.0)
            .map(ToSqlOutput::from)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
    }
}

impl<T: DeserializeOwned> FromSql for Json<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        serde_json::from_str(value.as_str()?)
            .map(Json)
            .map_err(FromSqlError::other)
    }
}
