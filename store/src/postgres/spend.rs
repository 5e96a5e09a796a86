//! A batch of spend, written the way LiteLLM's batch writers write it
//! (`docs/litellm-keys.md`, section 6), in one transaction: the `LiteLLM_SpendLogs` rows not
//! there yet, then for those only the key, user and team spend and the daily tables. Each
//! step is one statement over arrays (`unnest`), whatever the batch size.

use std::collections::{BTreeMap, HashSet};

use postgres::types::ToSql;
use postgres::Transaction;

use super::schema::Columns;
use super::{Params, Step, DAILY_TEAM, DAILY_USER, KEYS, NOW_UTC, SPEND_LOGS, TEAMS, USERS};
use crate::backend::StoreError;
use crate::model::{SpendLog, SpendWritten};

/// Writes `logs`; only rows whose `request_id` is new add spend.
/// Without `rows` (`disable_spend_logs`) no row is written and every log adds its spend.
pub(super) fn write(
    tx: &mut Transaction,
    columns: &Columns,
    logs: &[SpendLog],
    rows: bool,
) -> Step<SpendWritten> {
    let new: Vec<&SpendLog> = if rows {
        let mut inserted = insert_logs(tx, columns, logs)?;
        // Of two rows with one request_id in a batch, the first is the one inserted.
        logs.iter()
            .filter(|l| inserted.remove(&l.request_id))
            .collect()
    } else {
        logs.iter().collect()
    };
    add_entity_spend(tx, columns, &new)?;
    upsert_daily(tx, columns, Daily::User, &new)?;
    upsert_daily(tx, columns, Daily::Team, &new)?;
    Ok(SpendWritten {
        rows: new.len(),
        spend: new.iter().map(|l| l.spend).sum(),
    })
}

/// Inserts the rows not there yet (LiteLLM's `create_many(skip_duplicates=True)`); answers
/// the request ids inserted.
fn insert_logs(
    tx: &mut Transaction,
    columns: &Columns,
    logs: &[SpendLog],
) -> Step<HashSet<String>> {
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
    Ok(ids.collect::<std::result::Result<_, _>>()?)
}

/// Adds the new rows' spend to their key, user and team rows as LiteLLM's batch writer
/// does: keys `spend`, `total_spend` and `last_active = now`, users and teams `spend`.
fn add_entity_spend(tx: &mut Transaction, columns: &Columns, new: &[&SpendLog]) -> Step<()> {
    let (mut keys, mut users, mut teams) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for log in new {
        *keys.entry(log.api_key.as_str()).or_insert(0.0) += log.spend;
        if !log.user.is_empty() {
            *users.entry(log.user.as_str()).or_insert(0.0) += log.spend;
        }
        if let Some(team) = log.team_id.as_deref().filter(|t| !t.is_empty()) {
            *teams.entry(team).or_insert(0.0) += log.spend;
        }
    }
    let mut key_extra = String::new();
    if columns.has(KEYS, "total_spend") {
        key_extra.push_str(", total_spend = t.total_spend + v.c");
    }
    if columns.has(KEYS, "last_active") {
        key_extra.push_str(&format!(", last_active = {NOW_UTC}"));
    }
    for (table, id, extra, totals) in [
        (KEYS, "token", key_extra.as_str(), &keys),
        (USERS, "user_id", "", &users),
        (TEAMS, "team_id", "", &teams),
    ] {
        if totals.is_empty() {
            continue;
        }
        // Sorted ids, so concurrent writers lock the rows in one order.
        let ids: Vec<&str> = totals.keys().copied().collect();
        let spend: Vec<f64> = totals.values().copied().collect();
        let sql = format!(
            "UPDATE \"{table}\" AS t SET spend = t.spend + v.c{extra} \
             FROM unnest($1::text[], $2::float8[]) AS v(id, c) WHERE t.{id} = v.id"
        );
        tx.execute(&sql, &[&ids, &spend])?;
    }
    Ok(())
}

/// A daily table the spend is also added to.
#[derive(Clone, Copy)]
enum Daily {
    User,
    Team,
}

impl Daily {
    fn table(self) -> &'static str {
        match self {
            Daily::User => DAILY_USER,
            Daily::Team => DAILY_TEAM,
        }
    }

    fn entity_column(self) -> &'static str {
        match self {
            Daily::User => "user_id",
            Daily::Team => "team_id",
        }
    }

    /// The row's user or team. LiteLLM's spend rows carry `''` for no user and no team
    /// (`team_id = ... or ""`), so those requests count under `''` in both tables.
    fn entity(self, log: &SpendLog) -> &str {
        match self {
            Daily::User => &log.user,
            Daily::Team => log.team_id.as_deref().unwrap_or(""),
        }
    }
}

/// A daily row's unique key but the MCP tool (always `''`): entity, date, api_key, model,
/// custom_llm_provider, endpoint.
type DailyKey<'a> = (&'a str, String, &'a str, &'a str, &'a str, &'a str);

/// One daily row's increments.
#[derive(Default)]
struct DailySums<'a> {
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

impl<'a> DailySums<'a> {
    fn add(&mut self, log: &SpendLog) {
        let success = log.status != "failure";
        self.prompt_tokens += log.prompt_tokens;
        self.completion_tokens += log.completion_tokens;
        self.spend += log.spend;
        self.api_requests += 1;
        self.successful_requests += i64::from(success);
        self.failed_requests += i64::from(!success);
        // LiteLLM times successful requests that carry a duration only.
        if let Some(ms) = log.request_duration_ms.filter(|ms| success && *ms >= 0) {
            self.total_response_time_ms += ms;
            self.timed_requests += 1;
        }
    }
}

/// Upserts the new rows into a daily table as LiteLLM's bulk upsert does: summed by the
/// table's unique key first (one statement must not touch a row twice), key parts `''`
/// rather than NULL (NULLs never conflict), counters added on conflict, rows in key order
/// (so concurrent writers lock in one order). Older tables lack `mcp_namespaced_tool_name`
/// and `endpoint`, in their columns and their unique key alike, and older ones still the
/// request counters and the timing.
fn upsert_daily(
    tx: &mut Transaction,
    columns: &Columns,
    daily: Daily,
    new: &[&SpendLog],
) -> Step<()> {
    let mut sums: BTreeMap<DailyKey, DailySums> = BTreeMap::new();
    for log in new {
        let entity = daily.entity(log);
        let date = log.start_time.format("%Y-%m-%d").to_string();
        let provider = log.custom_llm_provider.as_str();
        let key = (
            entity,
            date,
            log.api_key.as_str(),
            log.model.as_str(),
            provider,
            log.endpoint(),
        );
        let group = log.model_group.as_str();
        sums.entry(key)
            .or_insert_with(|| DailySums {
                model_group: group,
                ..DailySums::default()
            })
            .add(log);
    }
    if sums.is_empty() {
        return Ok(());
    }
    let table = daily.table();
    let keys: Vec<&DailyKey> = sums.keys().collect();
    let values: Vec<&DailySums> = sums.values().collect();
    let mut rows = Unnest::default();
    let ids = keys
        .iter()
        .map(|_| crate::keys::uuid4())
        .collect::<Result<Vec<_>, _>>();
    let ids = ids.map_err(|e| StoreError::Other(format!("random bytes: {e}")))?;
    rows.text("id", ids);
    rows.text(daily.entity_column(), each(&keys, |k| k.0));
    rows.text("date", each(&keys, |k| k.1.as_str()));
    rows.text("api_key", each(&keys, |k| k.2));
    rows.text("model", each(&keys, |k| k.3));
    rows.text("custom_llm_provider", each(&keys, |k| k.4));
    let mut conflict = vec![
        daily.entity_column(),
        "date",
        "api_key",
        "model",
        "custom_llm_provider",
    ];
    if columns.has(table, "mcp_namespaced_tool_name") {
        rows.text("mcp_namespaced_tool_name", vec![""; keys.len()]);
        conflict.push("mcp_namespaced_tool_name");
    }
    if columns.has(table, "endpoint") {
        rows.text("endpoint", each(&keys, |k| k.5));
        conflict.push("endpoint");
    }
    rows.text("model_group", each(&values, |s| s.model_group));
    let mut counters = vec!["prompt_tokens", "completion_tokens", "spend"];
    rows.int("prompt_tokens", each(&values, |s| s.prompt_tokens));
    rows.int("completion_tokens", each(&values, |s| s.completion_tokens));
    rows.float("spend", each(&values, |s| s.spend));
    if columns.has(table, "api_requests") {
        counters.extend(["api_requests", "successful_requests", "failed_requests"]);
        rows.int("api_requests", each(&values, |s| s.api_requests));
        rows.int(
            "successful_requests",
            each(&values, |s| s.successful_requests),
        );
        rows.int("failed_requests", each(&values, |s| s.failed_requests));
    }
    if columns.has(table, "timed_requests") {
        counters.extend(["total_response_time_ms", "timed_requests"]);
        rows.int(
            "total_response_time_ms",
            each(&values, |s| s.total_response_time_ms),
        );
        rows.int("timed_requests", each(&values, |s| s.timed_requests));
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
