//! A batch of spend written the way LiteLLM's batch writers write it
//! (`docs/litellm-keys.md`, section 6), inside the caller's transaction: the
//! `LiteLLM_SpendLogs` rows not there yet, then for those only the key, user and team spend
//! and the daily tables, each row updated once.

use std::collections::BTreeMap;

use rusqlite::{params, Transaction};

use super::rows::{log_columns, Json, Stamp};
use crate::model::{SpendLog, SpendWritten};

/// LiteLLM's upsert of one daily row: counters add up under its unique key.
macro_rules! daily_upsert {
    ($table:literal, $entity:literal) => {
        concat!(
            "INSERT INTO \"", $table, "\" (", $entity, ", date, api_key, model, model_group, \
             custom_llm_provider, mcp_namespaced_tool_name, endpoint, prompt_tokens, \
             completion_tokens, spend, api_requests, successful_requests, failed_requests, \
             total_response_time_ms, timed_requests, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
             ON CONFLICT (", $entity, ", date, api_key, model, custom_llm_provider, \
             mcp_namespaced_tool_name, endpoint) DO UPDATE SET \
             prompt_tokens = prompt_tokens + excluded.prompt_tokens, \
             completion_tokens = completion_tokens + excluded.completion_tokens, \
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

/// Writes `logs` in `tx` at `now`; only rows whose `request_id` is new add spend. Without
/// `rows` (`disable_spend_logs`) no row is written and every log adds its spend.
pub(super) fn write(
    tx: &Transaction<'_>,
    logs: &[SpendLog],
    now: &Stamp,
    rows: bool,
) -> rusqlite::Result<SpendWritten> {
    let mut increments = Increments::default();
    if !rows {
        for log in logs {
            increments.add(log);
        }
    } else {
        // `cache_hit` and `cache_key` as LiteLLM writes them when no cache is configured.
        let mut insert = tx.prepare_cached(concat!(
            "INSERT INTO \"LiteLLM_SpendLogs\" (",
            log_columns!(),
            ", cache_hit, cache_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
             ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, 'False', 'Cache OFF') \
             ON CONFLICT (request_id) DO NOTHING"
        ))?;
        for log in logs {
            let inserted = insert.execute(params![
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
            ])?;
            // 0: the row was there (a batch written again after a lost acknowledgement).
            if inserted > 0 {
                increments.add(log);
            }
        }
    }
    increments.apply(tx, now)?;
    Ok(increments.written)
}

/// A batch's increments to keys, users, teams and daily rows, summed in memory first so that
/// each row is updated once however many requests of the batch name it.
#[derive(Default)]
struct Increments<'a> {
    written: SpendWritten,
    keys: BTreeMap<&'a str, f64>,
    users: BTreeMap<&'a str, f64>,
    teams: BTreeMap<&'a str, f64>,
    daily: BTreeMap<DailyKey<'a>, DailyCounts<'a>>,
}

/// The daily tables corelane writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DailyTable {
    User,
    Team,
}

/// A daily row's unique key as LiteLLM builds it: `''` for every missing part, and `''` for
/// `mcp_namespaced_tool_name` (corelane calls no MCP tools).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct DailyKey<'a> {
    table: DailyTable,
    entity: &'a str,
    date: String,
    api_key: &'a str,
    model: &'a str,
    custom_llm_provider: &'a str,
    endpoint: &'static str,
}

#[derive(Default)]
struct DailyCounts<'a> {
    /// The first request's (LiteLLM keeps one per row, not in the key).
    model_group: &'a str,
    prompt_tokens: i64,
    completion_tokens: i64,
    spend: f64,
    api_requests: i64,
    successful_requests: i64,
    failed_requests: i64,
    total_response_time_ms: i64,
    timed_requests: i64,
}

impl<'a> Increments<'a> {
    fn add(&mut self, log: &'a SpendLog) {
        self.written.rows += 1;
        self.written.spend += log.spend;
        if !log.api_key.is_empty() {
            *self.keys.entry(&log.api_key).or_default() += log.spend;
        }
        if !log.user.is_empty() {
            *self.users.entry(&log.user).or_default() += log.spend;
        }
        let team = log.team_id.as_deref().unwrap_or("");
        if !team.is_empty() {
            *self.teams.entry(team).or_default() += log.spend;
        }
        let date = log.start_time.format("%Y-%m-%d").to_string();
        // LiteLLM writes a user row for every request (user '' without one) and, as its
        // logs carry team_id '' without a team, a team row for every request too.
        for (table, entity) in [
            (DailyTable::User, log.user.as_str()),
            (DailyTable::Team, team),
        ] {
            let key = DailyKey {
                table,
                entity,
                date: date.clone(),
                api_key: &log.api_key,
                model: &log.model,
                custom_llm_provider: &log.custom_llm_provider,
                endpoint: log.endpoint(),
            };
            self.daily
                .entry(key)
                .or_insert_with(|| DailyCounts {
                    model_group: &log.model_group,
                    ..DailyCounts::default()
                })
                .add(log);
        }
    }

    fn apply(&self, tx: &Transaction<'_>, now: &Stamp) -> rusqlite::Result<()> {
        // LiteLLM's key flush: spend (the budget window), total_spend (lifetime), last_active.
        let mut key = tx.prepare_cached(
            "UPDATE \"LiteLLM_VerificationToken\" SET spend = spend + ?2, \
             total_spend = total_spend + ?2, last_active = ?3 WHERE token = ?1",
        )?;
        for (token, spend) in &self.keys {
            key.execute(params![token, spend, now])?;
        }
        let mut user = tx.prepare_cached(
            "UPDATE \"LiteLLM_UserTable\" SET spend = spend + ?2 WHERE user_id = ?1",
        )?;
        for (id, spend) in &self.users {
            user.execute(params![id, spend])?;
        }
        let mut team = tx.prepare_cached(
            "UPDATE \"LiteLLM_TeamTable\" SET spend = spend + ?2 WHERE team_id = ?1",
        )?;
        for (id, spend) in &self.teams {
            team.execute(params![id, spend])?;
        }
        for (key, counts) in &self.daily {
            let sql = match key.table {
                DailyTable::User => daily_upsert!("LiteLLM_DailyUserSpend", "user_id"),
                DailyTable::Team => daily_upsert!("LiteLLM_DailyTeamSpend", "team_id"),
            };
            tx.prepare_cached(sql)?.execute(params![
                key.entity,
                key.date,
                key.api_key,
                key.model,
                counts.model_group,
                key.custom_llm_provider,
                key.endpoint,
                counts.prompt_tokens,
                counts.completion_tokens,
                counts.spend,
                counts.api_requests,
                counts.successful_requests,
                counts.failed_requests,
                counts.total_response_time_ms,
                counts.timed_requests,
                now,
            ])?;
        }
        Ok(())
    }
}

impl DailyCounts<'_> {
    fn add(&mut self, log: &SpendLog) {
        // LiteLLM's `get_request_status`: a failure only when the log says so.
        let success = log.status != "failure";
        self.prompt_tokens = self.prompt_tokens.saturating_add(log.prompt_tokens);
        self.completion_tokens = self.completion_tokens.saturating_add(log.completion_tokens);
        self.spend += log.spend;
        self.api_requests += 1;
        if success {
            self.successful_requests += 1;
        } else {
            self.failed_requests += 1;
        }
        // LiteLLM times successful requests only (`_timed_request_duration_ms`).
        if let Some(ms) = log.request_duration_ms.filter(|ms| success && *ms >= 0) {
            self.total_response_time_ms = self.total_response_time_ms.saturating_add(ms);
            self.timed_requests += 1;
        }
    }
}
