//! The rows of keys, users, teams and spend logs as SQL sees them: the columns written, each
//! with the type its parameter is cast to, and the columns read, decoded in SELECT order.
//! Numbers are cast both ways, since older LiteLLM databases keep `INTEGER` where newer ones
//! have `BIGINT`.

use chrono::{DateTime, NaiveDateTime, Utc};
use postgres::types::{FromSql, ToSql};
use postgres::Row;
use serde_json::Value;

use super::{Params, Step};
use crate::model::{KeyRecord, SpendLog, TeamRecord, UserRecord};

/// A column corelane writes and the SQL type its parameter is cast to; the id comes first.
/// Inserts also write `spend`, `created_at` and `updated_at` ([`stamps`]); updates set
/// `updated_at` to now.
pub(super) type Column = (&'static str, &'static str);

/// A column an insert fills with a value of its own (SQL), where the table has the column.
pub(super) type Fixed = (&'static str, &'static str);

pub(super) const KEY_WRITES: &[Column] = &[
    ("token", "text"),
    ("key_name", "text"),
    ("key_alias", "text"),
    ("user_id", "text"),
    ("team_id", "text"),
    ("models", "text[]"),
    ("max_budget", "float8"),
    ("expires", "timestamp"),
    ("budget_duration", "text"),
    ("budget_reset_at", "timestamp"),
    ("tpm_limit", "int8"),
    ("rpm_limit", "int8"),
    ("max_parallel_requests", "int4"),
    ("metadata", "jsonb"),
    ("blocked", "bool"),
    ("created_by", "text"),
    ("updated_by", "text"),
];
pub(super) const USER_WRITES: &[Column] = &[
    ("user_id", "text"),
    ("user_alias", "text"),
    ("user_email", "text"),
    ("user_role", "text"),
    ("teams", "text[]"),
    ("models", "text[]"),
    ("max_budget", "float8"),
    ("budget_duration", "text"),
    ("budget_reset_at", "timestamp"),
    ("tpm_limit", "int8"),
    ("rpm_limit", "int8"),
    ("max_parallel_requests", "int4"),
    ("metadata", "jsonb"),
];
pub(super) const TEAM_WRITES: &[Column] = &[
    ("team_id", "text"),
    ("team_alias", "text"),
    ("organization_id", "text"),
    ("admins", "text[]"),
    ("members", "text[]"),
    ("members_with_roles", "jsonb"),
    ("models", "text[]"),
    ("max_budget", "float8"),
    ("budget_duration", "text"),
    ("budget_reset_at", "timestamp"),
    ("tpm_limit", "int8"),
    ("rpm_limit", "int8"),
    ("max_parallel_requests", "int4"),
    ("metadata", "jsonb"),
    ("blocked", "bool"),
];

/// `key_type` as LiteLLM's /key/generate writes it when none is asked for
/// (`LiteLLMKeyType.DEFAULT`); an older LiteLLM's table lacks the column.
pub(super) const KEY_FIXED: &[Fixed] = &[("key_type", "'default'")];

/// What [`key_record`] reads, in its order.
pub(super) const KEY_READS: &str = "token, key_name, key_alias, user_id, team_id, models, \
    spend::float8, max_budget::float8, expires, budget_duration, budget_reset_at, \
    tpm_limit::int8, rpm_limit::int8, max_parallel_requests::int4, metadata, blocked, \
    created_at, updated_at, created_by, updated_by";
pub(super) const USER_READS: &str = "user_id, user_alias, user_email, user_role, teams, models, \
    spend::float8, max_budget::float8, budget_duration, budget_reset_at, tpm_limit::int8, \
    rpm_limit::int8, max_parallel_requests::int4, metadata, created_at, updated_at";
pub(super) const TEAM_READS: &str = "team_id, team_alias, organization_id, admins, members, \
    members_with_roles, models, spend::float8, max_budget::float8, budget_duration, \
    budget_reset_at, tpm_limit::int8, rpm_limit::int8, max_parallel_requests::int4, metadata, \
    blocked, created_at, updated_at";
/// The baseline `LiteLLM_SpendLogs` columns [`spend_log`] reads; `status`,
/// `request_duration_ms` and `litellm_call_id` (newer) follow.
pub(super) const LOG_READS: &str = "request_id, call_type, api_key, spend::float8, \
    prompt_tokens::int8, completion_tokens::int8, total_tokens::int8, \"startTime\", \
    \"endTime\", \"completionStartTime\", model, model_id, model_group, custom_llm_provider, \
    api_base, \"user\", team_id, end_user, metadata, request_tags";

/// Parameter `n` cast to `ty`. Times are bound as `timestamptz` and stored in UTC in the
/// zone-less columns, whatever the session's time zone.
pub(super) fn param(n: usize, ty: &str) -> String {
    if ty == "timestamp" {
        format!("(${n}::timestamptz AT TIME ZONE 'UTC')")
    } else {
        format!("${n}::{ty}")
    }
}

/// What an insert writes after the columns of its `*_WRITES`.
pub(super) fn stamps<'a>(
    spend: &'a f64,
    created_at: &'a Option<DateTime<Utc>>,
    updated_at: &'a Option<DateTime<Utc>>,
) -> [&'a (dyn ToSql + Sync); 3] {
    [spend, created_at, updated_at]
}

/// A key's values in [`KEY_WRITES`] order.
pub(super) fn key_params(k: &KeyRecord) -> Params<'_> {
    vec![
        &k.token,
        &k.key_name,
        &k.key_alias,
        &k.user_id,
        &k.team_id,
        &k.models,
        &k.max_budget,
        &k.expires,
        &k.budget_duration,
        &k.budget_reset_at,
        &k.tpm_limit,
        &k.rpm_limit,
        &k.max_parallel_requests,
        &k.metadata,
        &k.blocked,
        &k.created_by,
        &k.updated_by,
    ]
}

/// A user's values in [`USER_WRITES`] order.
pub(super) fn user_params(u: &UserRecord) -> Params<'_> {
    vec![
        &u.user_id,
        &u.user_alias,
        &u.user_email,
        &u.user_role,
        &u.teams,
        &u.models,
        &u.max_budget,
        &u.budget_duration,
        &u.budget_reset_at,
        &u.tpm_limit,
        &u.rpm_limit,
        &u.max_parallel_requests,
        &u.metadata,
    ]
}

/// A team's values in [`TEAM_WRITES`] order.
pub(super) fn team_params(t: &TeamRecord) -> Params<'_> {
    vec![
        &t.team_id,
        &t.team_alias,
        &t.organization_id,
        &t.admins,
        &t.members,
        &t.members_with_roles,
        &t.models,
        &t.max_budget,
        &t.budget_duration,
        &t.budget_reset_at,
        &t.tpm_limit,
        &t.rpm_limit,
        &t.max_parallel_requests,
        &t.metadata,
        &t.blocked,
    ]
}

pub(super) fn key_record(row: &Row) -> Step<KeyRecord> {
    let mut c = Cells::new(row);
    Ok(KeyRecord {
        token: c.next()?,
        key_name: c.next()?,
        key_alias: c.next()?,
        user_id: c.next()?,
        team_id: c.next()?,
        models: c.list()?,
        spend: c.next()?,
        max_budget: c.next()?,
        expires: c.time()?,
        budget_duration: c.next()?,
        budget_reset_at: c.time()?,
        tpm_limit: c.next()?,
        rpm_limit: c.next()?,
        max_parallel_requests: c.next()?,
        metadata: c.json(object)?,
        blocked: c.next()?,
        created_at: c.time()?,
        updated_at: c.time()?,
        created_by: c.next()?,
        updated_by: c.next()?,
    })
}

pub(super) fn user_record(row: &Row) -> Step<UserRecord> {
    let mut c = Cells::new(row);
    Ok(UserRecord {
        user_id: c.next()?,
        user_alias: c.next()?,
        user_email: c.next()?,
        user_role: c.next()?,
        teams: c.list()?,
        models: c.list()?,
        spend: c.next()?,
        max_budget: c.next()?,
        budget_duration: c.next()?,
        budget_reset_at: c.time()?,
        tpm_limit: c.next()?,
        rpm_limit: c.next()?,
        max_parallel_requests: c.next()?,
        metadata: c.json(object)?,
        created_at: c.time()?,
        updated_at: c.time()?,
    })
}

pub(super) fn team_record(row: &Row) -> Step<TeamRecord> {
    let mut c = Cells::new(row);
    Ok(TeamRecord {
        team_id: c.next()?,
        team_alias: c.next()?,
        organization_id: c.next()?,
        admins: c.list()?,
        members: c.list()?,
        members_with_roles: c.json(array)?,
        models: c.list()?,
        spend: c.next()?,
        max_budget: c.next()?,
        budget_duration: c.next()?,
        budget_reset_at: c.time()?,
        tpm_limit: c.next()?,
        rpm_limit: c.next()?,
        max_parallel_requests: c.next()?,
        metadata: c.json(object)?,
        blocked: c.next()?,
        created_at: c.time()?,
        updated_at: c.time()?,
    })
}

/// A spend log row: [`LOG_READS`], then `status`, `request_duration_ms` and
/// `litellm_call_id` (NULL where the table lacks them).
pub(super) fn spend_log(row: &Row) -> Step<SpendLog> {
    let mut c = Cells::new(row);
    Ok(SpendLog {
        request_id: c.next()?,
        call_type: c.next()?,
        api_key: c.next()?,
        spend: c.next()?,
        prompt_tokens: c.next()?,
        completion_tokens: c.next()?,
        total_tokens: c.next()?,
        start_time: c.next::<NaiveDateTime>()?.and_utc(),
        end_time: c.next::<NaiveDateTime>()?.and_utc(),
        completion_start_time: c.time()?,
        model: c.next()?,
        model_id: c.text()?,
        model_group: c.text()?,
        custom_llm_provider: c.text()?,
        api_base: c.text()?,
        user: c.text()?,
        team_id: c.next()?,
        end_user: c.next()?,
        metadata: c.json(object)?,
        request_tags: c.json(array)?,
        status: c.text()?,
        request_duration_ms: c.next()?,
        litellm_call_id: c.text()?,
    })
}

/// Reads the columns of a row in SELECT order.
struct Cells<'r> {
    row: &'r Row,
    at: usize,
}

impl<'r> Cells<'r> {
    fn new(row: &'r Row) -> Cells<'r> {
        Cells { row, at: 0 }
    }

    fn next<T: FromSql<'r>>(&mut self) -> Result<T, postgres::Error> {
        self.at += 1;
        self.row.try_get(self.at - 1)
    }

    /// A nullable text column, `''` when NULL.
    fn text(&mut self) -> Result<String, postgres::Error> {
        Ok(self.next::<Option<String>>()?.unwrap_or_default())
    }

    /// A nullable `TEXT[]` as a list (NULL elements skipped).
    fn list(&mut self) -> Result<Vec<String>, postgres::Error> {
        let list: Option<Vec<Option<String>>> = self.next()?;
        Ok(list.unwrap_or_default().into_iter().flatten().collect())
    }

    fn time(&mut self) -> Result<Option<DateTime<Utc>>, postgres::Error> {
        Ok(self.next::<Option<NaiveDateTime>>()?.map(|t| t.and_utc()))
    }

    /// A JSONB column, `empty` when NULL.
    fn json(&mut self, empty: fn() -> Value) -> Result<Value, postgres::Error> {
        Ok(self.next::<Option<Value>>()?.unwrap_or_else(empty))
    }
}

fn object() -> Value {
    Value::Object(serde_json::Map::new())
}

fn array() -> Value {
    Value::Array(Vec::new())
}
