//! A batch of spend written the way LiteLLM's batch writers write it
//! (`docs/litellm-keys.md`, section 6), inside the caller's transaction: the
//! `LiteLLM_SpendLogs` rows not there yet ([`insert_logs`]), then what those add to the key,
//! user and team rows and the daily tables, each row updated once ([`apply`]).

use rusqlite::{params, Transaction};

use super::rows::{log_columns, stamp, Json, Stamp};
use crate::increments::{DailyTable, EntityKind, SpendIncrements};
use crate::model::SpendLog;

/// LiteLLM's upsert of one daily row: counters add up under its unique key.
macro_rules! daily_upsert {
    ($table:literal, $entity:literal) => {
        concat!(
            "INSERT INTO \"", $table, "\" (", $entity, ", date, api_key, model, model_group, \
             custom_llm_provider, mcp_namespaced_tool_name, endpoint, prompt_tokens, \
             completion_tokens, cache_read_input_tokens, cache_creation_input_tokens, spend, \
             api_requests, successful_requests, failed_requests, total_response_time_ms, \
             timed_requests, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
             ?18, ?19) \
             ON CONFLICT (", $entity, ", date, api_key, model, custom_llm_provider, \
             mcp_namespaced_tool_name, endpoint) DO UPDATE SET \
             prompt_tokens = prompt_tokens + excluded.prompt_tokens, \
             completion_tokens = completion_tokens + excluded.completion_tokens, \
             cache_read_input_tokens = cache_read_input_tokens + excluded.cache_read_input_tokens, \
             cache_creation_input_tokens = \
             cache_creation_input_tokens + excluded.cache_creation_input_tokens, \
             spend = spend + excluded.spend, \
             api_requests = api_requests + excluded.api_requests, \
             successful_requests = successful_requests + excluded.successful_requests, \
             failed_requests = failed_requests + excluded.failed_requests, \
             total_response_time_ms = total_response_time_ms + excluded.total_response_time_ms, \
             timed_requests = timed_requests + excluded.timed_requests, \
             updated_at = excluded.updated_at"
        )
    };
}

/// Inserts the `LiteLLM_SpendLogs` rows of `logs` not there yet, in `tx` at `now`; answers
/// what the rows inserted add (a row already there, from a batch written again after a lost
/// acknowledgement, adds nothing).
pub(super) fn insert_logs(
    tx: &Transaction<'_>,
    logs: &[SpendLog],
    now: &Stamp,
) -> rusqlite::Result<SpendIncrements> {
    // `cache_hit` and `cache_key` as LiteLLM writes them when no cache is configured;
    // `created_at` and `updated_at` the batch's time, bound once (the columns' default
    // would format the time for every row).
    let mut insert = tx.prepare_cached(concat!(
        "INSERT INTO \"LiteLLM_SpendLogs\" (",
        log_columns!(),
        ", cache_hit, cache_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
         ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, \
         'False', 'Cache OFF', ?24, ?24) ON CONFLICT (request_id) DO NOTHING"
    ))?;
    let now_text = stamp(&now.0);
    let mut inserted = Vec::with_capacity(logs.len());
    for log in logs {
        let n = insert.execute(params![
            log.request_id,
            log.call_type,
            log.api_key,
            log.spend,
            log.prompt_tokens,
            log.completion_tokens,
            log.total_tokens,
            Stamp(log.start_time),
            Stamp(log.end_time),
            log.completion_start_time.map(Stamp),
            log.model,
            log.model_id,
            log.model_group,
            log.custom_llm_provider,
            log.api_base,
            log.user,
            log.team_id,
            log.end_user,
            Json(&log.metadata),
            Json(&log.request_tags),
            log.status,
            log.request_duration_ms,
            log.litellm_call_id,
            now_text,
        ])?;
        if n > 0 {
            inserted.push(log);
        }
    }
    Ok(SpendIncrements::of(inserted))
}

/// Adds `inc` to the key, user and team rows and upserts its daily rows, in `tx` at `now`;
/// answers the part this database has no table for (kinds only LiteLLM writes).
pub(super) fn apply(
    tx: &Transaction<'_>,
    inc: &SpendIncrements,
    now: &Stamp,
) -> rusqlite::Result<SpendIncrements> {
    let mut rest = inc.clone();
    rest.daily.clear();
    let rest = rest.split_off_foreign();
    // LiteLLM's key flush: spend (the budget window), total_spend (lifetime), last_active.
    let mut key = tx.prepare_cached(
        "UPDATE \"LiteLLM_VerificationToken\" SET spend = spend + ?2, \
         total_spend = total_spend + ?2, last_active = ?3 WHERE token = ?1",
    )?;
    for (token, spend) in inc.of_kind(EntityKind::Key) {
        key.execute(params![token, spend, now])?;
    }
    let mut user = tx
        .prepare_cached("UPDATE \"LiteLLM_UserTable\" SET spend = spend + ?2 WHERE user_id = ?1")?;
    for (id, spend) in inc.of_kind(EntityKind::User) {
        user.execute(params![id, spend])?;
    }
    let mut team = tx
        .prepare_cached("UPDATE \"LiteLLM_TeamTable\" SET spend = spend + ?2 WHERE team_id = ?1")?;
    for (id, spend) in inc.of_kind(EntityKind::Team) {
        team.execute(params![id, spend])?;
    }
    for (table, row) in inc.daily.values() {
        let sql = match table {
            DailyTable::User => daily_upsert!("LiteLLM_DailyUserSpend", "user_id"),
            DailyTable::Team => daily_upsert!("LiteLLM_DailyTeamSpend", "team_id"),
        };
        tx.prepare_cached(sql)?.execute(params![
            row.entity,
            row.date,
            row.api_key,
            row.model,
            row.model_group,
            row.custom_llm_provider,
            row.mcp_namespaced_tool_name,
            row.endpoint,
            row.prompt_tokens,
            row.completion_tokens,
            row.cache_read_input_tokens,
            row.cache_creation_input_tokens,
            row.spend,
            row.api_requests,
            row.successful_requests,
            row.failed_requests,
            row.total_response_time_ms,
            row.timed_requests,
            now,
        ])?;
    }
    Ok(rest)
}
