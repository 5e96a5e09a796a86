//! A batch of spend, written the way LiteLLM's batch writers write it
//! (`docs/litellm-keys.md`, section 6), inside the caller's transaction: the
//! `LiteLLM_SpendLogs` rows not there yet ([`insert_logs`]), then what those add to the key,
//! user and team rows and the daily tables ([`apply`]). Each step is one statement over
//! arrays (`unnest`), whatever the batch size.

use std::collections::HashSet;

use postgres::types::ToSql;
use postgres::Transaction;

use super::schema::Columns;
use super::{Params, Step, DAILY_TEAM, DAILY_USER, KEYS, NOW_UTC, SPEND_LOGS, TEAMS, USERS};
use crate::backend::StoreError;
use crate::increments::{DailyRow, DailyTable, EntityKind, SpendIncrements};
use crate::model::SpendLog;

/// Adds `inc` to the key, user and team rows and upserts its daily rows; answers the part
/// of it this database gets no table write for (kinds only LiteLLM writes).
pub(super) fn apply(
    tx: &mut Transaction,
    columns: &Columns,
    inc: &SpendIncrements,
) -> Step<SpendIncrements> {
    let mut rest = inc.clone();
    rest.daily.clear();
    let rest = rest.split_off_foreign();
    add_entity_spend(tx, columns, inc)?;
    upsert_daily(tx, columns, DailyTable::User, inc)?;
    upsert_daily(tx, columns, DailyTable::Team, inc)?;
    Ok(rest)
}

/// Inserts the rows not there yet (LiteLLM's `create_many(skip_duplicates=True)`); answers
/// what the rows inserted add.
pub(super) fn insert_logs(
    tx: &mut Transaction,
    columns: &Columns,
    logs: &[SpendLog],
) -> Step<SpendIncrements> {
    if logs.is_empty() {
        return Ok(SpendIncrements::default());
    }
    let mut rows = Unnest::default();
    rows.text("request_id", each(logs, |l| l.request_id.as_str()));
    rows.text("call_type", each(logs, |l| l.call_type.as_str()));
    rows.text("api_key", each(logs, |l| l.api_key.as_str()));
    rows.float("spend", each(logs, |l| l.spend));
    rows.int("prompt_tokens", each(logs, |l| l.prompt_tokens));
    rows.int("completion_tokens", each(logs, |l| l.completion_tokens));
    rows.int("total_tokens", each(logs, |l| l.total_tokens));
    rows.time("startTime", each(logs, |l| Some(l.start_time.naive_utc())));
    rows.time("endTime", each(logs, |l| Some(l.end_time.naive_utc())));
    let completion_start = each(logs, |l| l.completion_start_time.map(|t| t.naive_utc()));
    rows.time("completionStartTime", completion_start);
    rows.text("model", each(logs, |l| l.model.as_str()));
    rows.text("model_id", each(logs, |l| l.model_id.as_str()));
    rows.text("model_group", each(logs, |l| l.model_group.as_str()));
    rows.text(
        "custom_llm_provider",
        each(logs, |l| l.custom_llm_provider.as_str()),
    );
    rows.text("api_base", each(logs, |l| l.api_base.as_str()));
    rows.text("user", each(logs, |l| l.user.as_str()));
    rows.text("team_id", each(logs, |l| l.team_id.as_deref()));
    rows.text("end_user", each(logs, |l| l.end_user.as_deref()));
    rows.json("metadata", each(logs, |l| &l.metadata));
    rows.json("request_tags", each(logs, |l| &l.request_tags));
    // LiteLLM's values when no cache is configured.
    rows.text("cache_hit", vec!["False"; logs.len()]);
    rows.text("cache_key", vec!["Cache OFF"; logs.len()]);
    if columns.has(SPEND_LOGS, "status") {
        rows.text("status", each(logs, |l| l.status.as_str()));
    }
    if columns.has(SPEND_LOGS, "request_duration_ms") {
        rows.int("request_duration_ms", each(logs, |l| l.request_duration_ms));
    }
    if columns.has(SPEND_LOGS, "litellm_call_id") {
        rows.text(
            "litellm_call_id",
            each(logs, |l| l.litellm_call_id.as_str()),
        );
    }
    let sql = format!(
        "INSERT INTO \"{SPEND_LOGS}\" ({}) SELECT * FROM {} \
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id",
        rows.columns(),
        rows.source()
    );
    let inserted = tx.query(&sql, &rows.params())?;
    let ids = inserted.iter().map(|r| r.try_get(0));
    let mut ids: HashSet<String> = ids.collect::<std::result::Result<_, _>>()?;
    // Of two rows with one request_id in a batch, the first is the one inserted.
    Ok(SpendIncrements::of(
        logs.iter().filter(|l| ids.remove(&l.request_id)),
    ))
}

/// Adds spend to key, user and team rows as LiteLLM's batch writer does: keys `spend`,
/// `total_spend` and `last_active = now`, users and teams `spend`.
fn add_entity_spend(tx: &mut Transaction, columns: &Columns, inc: &SpendIncrements) -> Step<()> {
    let mut key_extra = String::new();
    if columns.has(KEYS, "total_spend") {
        key_extra.push_str(", total_spend = t.total_spend + v.c");
    }
    if columns.has(KEYS, "last_active") {
        key_extra.push_str(&format!(", last_active = {NOW_UTC}"));
    }
    for (table, id, extra, kind) in [
        (KEYS, "token", key_extra.as_str(), EntityKind::Key),
        (USERS, "user_id", "", EntityKind::User),
        (TEAMS, "team_id", "", EntityKind::Team),
    ] {
        // Sorted ids, so concurrent writers lock the rows in one order.
        let (ids, spend): (Vec<&str>, Vec<f64>) = inc.of_kind(kind).unzip();
        if ids.is_empty() {
            continue;
        }
        let sql = format!(
            "UPDATE \"{table}\" AS t SET spend = t.spend + v.c{extra} \
             FROM unnest($1::text[], $2::float8[]) AS v(id, c) WHERE t.{id} = v.id"
        );
        tx.execute(&sql, &[&ids, &spend])?;
    }
    Ok(())
}

fn daily_table(table: DailyTable) -> (&'static str, &'static str) {
    match table {
        DailyTable::User => (DAILY_USER, "user_id"),
        DailyTable::Team => (DAILY_TEAM, "team_id"),
    }
}

/// Upserts the daily rows of `table` as LiteLLM's bulk upsert does: summed by the table's
/// unique key first (one statement must not touch a row twice), key parts `''` rather than
/// NULL (NULLs never conflict), counters added on conflict, rows in key order (so concurrent
/// writers lock in one order). Older tables lack `mcp_namespaced_tool_name` and `endpoint`,
/// in their columns and their unique key alike, and older ones still the request counters,
/// the cache tokens and the timing.
fn upsert_daily(
    tx: &mut Transaction,
    columns: &Columns,
    daily: DailyTable,
    inc: &SpendIncrements,
) -> Step<()> {
    let rows_of: Vec<&DailyRow> = inc
        .daily
        .values()
        .filter(|(t, _)| *t == daily)
        .map(|(_, r)| r)
        .collect();
    if rows_of.is_empty() {
        return Ok(());
    }
    let (table, entity_column) = daily_table(daily);
    let mut rows = Unnest::default();
    let ids = rows_of
        .iter()
        .map(|_| crate::keys::uuid4())
        .collect::<Result<Vec<_>, _>>();
    let ids = ids.map_err(|e| StoreError::Other(format!("random bytes: {e}")))?;
    rows.text("id", ids);
    rows.text(entity_column, each(&rows_of, |r| r.entity.as_str()));
    rows.text("date", each(&rows_of, |r| r.date.as_str()));
    rows.text("api_key", each(&rows_of, |r| r.api_key.as_str()));
    rows.text("model", each(&rows_of, |r| r.model.as_str()));
    rows.text(
        "custom_llm_provider",
        each(&rows_of, |r| r.custom_llm_provider.as_str()),
    );
    let mut conflict = vec![
        entity_column,
        "date",
        "api_key",
        "model",
        "custom_llm_provider",
    ];
    if columns.has(table, "mcp_namespaced_tool_name") {
        rows.text(
            "mcp_namespaced_tool_name",
            each(&rows_of, |r| r.mcp_namespaced_tool_name.as_str()),
        );
        conflict.push("mcp_namespaced_tool_name");
    }
    if columns.has(table, "endpoint") {
        rows.text("endpoint", each(&rows_of, |r| r.endpoint.as_str()));
        conflict.push("endpoint");
    }
    rows.text("model_group", each(&rows_of, |r| r.model_group.as_str()));
    let mut counters = vec!["prompt_tokens", "completion_tokens", "spend"];
    rows.int("prompt_tokens", each(&rows_of, |r| r.prompt_tokens));
    rows.int("completion_tokens", each(&rows_of, |r| r.completion_tokens));
    rows.float("spend", each(&rows_of, |r| r.spend));
    if columns.has(table, "cache_read_input_tokens") {
        counters.extend(["cache_read_input_tokens", "cache_creation_input_tokens"]);
        rows.int(
            "cache_read_input_tokens",
            each(&rows_of, |r| r.cache_read_input_tokens),
        );
        rows.int(
            "cache_creation_input_tokens",
            each(&rows_of, |r| r.cache_creation_input_tokens),
        );
    }
    if columns.has(table, "api_requests") {
        counters.extend(["api_requests", "successful_requests", "failed_requests"]);
        rows.int("api_requests", each(&rows_of, |r| r.api_requests));
        rows.int(
            "successful_requests",
            each(&rows_of, |r| r.successful_requests),
        );
        rows.int("failed_requests", each(&rows_of, |r| r.failed_requests));
    }
    if columns.has(table, "timed_requests") {
        counters.extend(["total_response_time_ms", "timed_requests"]);
        rows.int(
            "total_response_time_ms",
            each(&rows_of, |r| r.total_response_time_ms),
        );
        rows.int("timed_requests", each(&rows_of, |r| r.timed_requests));
    }
    let increments: Vec<String> = counters
        .iter()
        .map(|c| format!("{c} = \"{table}\".{c} + EXCLUDED.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO \"{table}\" ({}, updated_at) SELECT *, {NOW_UTC} FROM {} \
         ON CONFLICT ({}) DO UPDATE SET {}, updated_at = EXCLUDED.updated_at",
        rows.columns(),
        rows.source(),
        conflict.join(", "),
        increments.join(", ")
    );
    tx.execute(&sql, &rows.params())?;
    Ok(())
}

/// Column-wise values of a multi-row statement: `unnest($1::text[], $2::float8[], ...)`.
#[derive(Default)]
struct Unnest<'a> {
    columns: Vec<&'static str>,
    types: Vec<&'static str>,
    arrays: Vec<Box<dyn ToSql + Sync + 'a>>,
}

impl<'a> Unnest<'a> {
    fn push(&mut self, column: &'static str, ty: &'static str, array: impl ToSql + Sync + 'a) {
        self.columns.push(column);
        self.types.push(ty);
        self.arrays.push(Box::new(array));
    }

    fn text<T: ToSql + Sync + 'a>(&mut self, column: &'static str, values: Vec<T>) {
        self.push(column, "text", values);
    }

    fn int<T: ToSql + Sync + 'a>(&mut self, column: &'static str, values: Vec<T>) {
        self.push(column, "int8", values);
    }

    fn float(&mut self, column: &'static str, values: Vec<f64>) {
        self.push(column, "float8", values);
    }

    /// UTC times for a zone-less column.
    fn time(&mut self, column: &'static str, values: Vec<Option<chrono::NaiveDateTime>>) {
        self.push(column, "timestamp", values);
    }

    fn json(&mut self, column: &'static str, values: Vec<&'a serde_json::Value>) {
        self.push(column, "jsonb", values);
    }

    fn columns(&self) -> String {
        let quoted: Vec<String> = self.columns.iter().map(|c| format!("\"{c}\"")).collect();
        quoted.join(", ")
    }

    fn source(&self) -> String {
        let arrays: Vec<String> = (1..=self.types.len())
            .zip(&self.types)
            .map(|(n, ty)| format!("${n}::{ty}[]"))
            .collect();
        format!("unnest({})", arrays.join(", "))
    }

    fn params(&self) -> Params<'_> {
        self.arrays
            .iter()
            .map(|a| &**a as &(dyn ToSql + Sync))
            .collect()
    }
}

/// One value of each item: a column of an [`Unnest`].
fn each<'a, I: 'a, T>(items: &'a [I], value: impl Fn(&'a I) -> T) -> Vec<T> {
    items.iter().map(value).collect()
}
