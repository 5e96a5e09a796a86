//! LiteLLM's `use_redis_transaction_buffer` (1.108.7: `redis_update_buffer.py`,
//! `pod_lock_manager.py`, `db_spend_update_writer.py`): instead of each instance adding its
//! spend to the key, user, team and daily rows, every instance pushes what it adds to Redis
//! lists, and one instance at a time, the holder of a lock, pops them and writes them. Many
//! instances then never update the same rows at once (LiteLLM's cure for deadlocks at 1k+
//! requests per second). The `LiteLLM_SpendLogs` rows are still written by each instance.
//!
//! The lists, the lock and the elements are LiteLLM's, so LiteLLM and corelane instances on
//! one Redis and one database share the work:
//! - once per `proxy_batch_write_at`, each instance sends what it added since its last push,
//!   summed, as one JSON element per non-empty list (`RPUSH`, in one pipeline):
//!   `litellm_spend_update_buffer` (LiteLLM's `DBSpendUpdateTransactions`: a map of id to
//!   spend per kind of row), `litellm_daily_spend_update_buffer` and
//!   `litellm_daily_team_spend_update_buffer` (daily rows by LiteLLM's key);
//! - then it tries the lock, `SET cronjob_lock:db_spend_update_job "<uuid>" NX EX 60` (the
//!   value JSON-quoted as LiteLLM stores it; a holder finding its own id holds it);
//! - the holder pops at most 100 elements of each of the three lists (`LPOP key 100`), sums
//!   them and writes them in one transaction, then frees the lock (compare and delete).
//!   What it could not write goes back to Redis, summed: everything when the write failed,
//!   else only the kinds of row corelane has no table for (team members, organizations,
//!   ...), left for a LiteLLM instance to write. The other daily lists (organizations, end
//!   users, agents, tags) only LiteLLM fills, and only LiteLLM pops them.
//!
//! A push that fails keeps what it held for the next one. Spend pushed counts as written for
//! this instance's budgets: it reaches the rows when the holder writes it, and the cores
//! see it at the next read of the rows after that.
//!
//! Written by hand: a few Redis commands on the store thread, with the sync client.

use std::time::{Duration, Instant};

use corelane_config::RedisSettings;
use corelane_store::backend::Backend;
use corelane_store::increments::{DailyRow, DailyTable, EntityKind, SpendIncrements};
use serde_json::{Map, Value};

/// LiteLLM's list names (`litellm/constants.py`).
const SPEND_LIST: &str = "litellm_spend_update_buffer";
const DAILY_USER_LIST: &str = "litellm_daily_spend_update_buffer";
const DAILY_TEAM_LIST: &str = "litellm_daily_team_spend_update_buffer";
/// The lock of LiteLLM's `db_spend_update_job`, and its TTL.
const LOCK: &str = "cronjob_lock:db_spend_update_job";
const LOCK_TTL_SECS: u64 = 60;
/// Elements popped per list and turn (`MAX_REDIS_BUFFER_DEQUEUE_COUNT`).
const POP: usize = 100;
/// Frees the lock only if this instance holds it.
const RELEASE: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
/// Connect and I/O timeout: the store thread waits no longer on Redis.
const IO_TIMEOUT: Duration = Duration::from_secs(1);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Every map of LiteLLM's `DBSpendUpdateTransactions`, each sent (empty or not) as LiteLLM
/// sends them.
const SPEND_FIELDS: [&str; 11] = [
    "user_list_transactions",
    "end_user_list_transactions",
    "key_list_transactions",
    "team_list_transactions",
    "team_member_list_transactions",
    "org_list_transactions",
    "org_member_list_transactions",
    "project_list_transactions",
    "tag_list_transactions",
    "agent_list_transactions",
    "model_access_group_list_transactions",
];

/// What one turn as the lock's holder did.
#[derive(Debug, Default, PartialEq)]
pub struct Drained {
    /// Elements popped.
    pub elements: usize,
    /// Spend written to the rows.
    pub spend: f64,
}

/// The buffer's side of the store thread.
pub struct RedisBuffer {
    client: redis::Client,
    conn: Option<redis::Connection>,
    /// No connection is tried before this, after a failure.
    retry_at: Instant,
    backoff: Duration,
    /// This instance's id in the lock, as LiteLLM stores it: a uuid4, JSON-quoted.
    pod: String,
    /// This instance's spend added since the last push that went through.
    held: SpendIncrements,
    /// Other instances' increments popped as the lock's holder that could be neither written
    /// nor put back: sent with the next push.
    returned: SpendIncrements,
}

impl RedisBuffer {
    pub fn new(settings: &RedisSettings) -> Result<RedisBuffer, String> {
        let url = settings
            .connect_url()
            .ok_or("use_redis_transaction_buffer needs a Redis (router_settings' redis_host and redis_port, cache_params, or REDIS_HOST and REDIS_PORT)")?;
        let client =
            redis::Client::open(url).map_err(|e| format!("the transaction buffer's Redis: {e}"))?;
        let id = corelane_store::keys::uuid4().map_err(|e| format!("random bytes: {e}"))?;
        Ok(RedisBuffer {
            client,
            conn: None,
            retry_at: Instant::now(),
            backoff: FIRST_BACKOFF,
            pod: Value::String(id).to_string(),
            held: SpendIncrements::default(),
            returned: SpendIncrements::default(),
        })
    }

    /// Adds increments to send at the next push.
    pub fn hold(&mut self, inc: &SpendIncrements) {
        self.held.merge(inc);
    }

    /// Sends what is held; answers this instance's part of what went (nothing when nothing
    /// was held). On failure it is all kept for the next push.
    pub fn push(&mut self) -> Result<SpendIncrements, String> {
        if self.held.is_empty() && self.returned.is_empty() {
            return Ok(SpendIncrements::default());
        }
        let mut all = self.returned.clone();
        all.merge(&self.held);
        let pipe = push_pipeline(&all);
        self.with_conn(|conn| pipe.query::<()>(conn))?;
        self.returned = SpendIncrements::default();
        Ok(std::mem::take(&mut self.held))
    }

    /// Takes the lock if it is free (or this instance's); as its holder, pops, writes and
    /// frees it. `None` when another instance holds it.
    pub fn drain(&mut self, backend: &mut dyn Backend) -> Result<Option<Drained>, String> {
        if !self.lock()? {
            return Ok(None);
        }
        let drained = self.drain_held(backend);
        let pod = self.pod.clone();
        let freed = self.with_conn(|conn| {
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(LOCK)
                .arg(&pod)
                .query::<i64>(conn)
        });
        if let Err(e) = freed {
            // It lapses after its TTL.
            tracing::debug!("freeing the spend buffer's lock: {e}");
        }
        drained.map(Some)
    }

    fn lock(&mut self) -> Result<bool, String> {
        let pod = self.pod.clone();
        self.with_conn(|conn| {
            let set: Option<String> = redis::cmd("SET")
                .arg(LOCK)
                .arg(&pod)
                .arg("NX")
                .arg("EX")
                .arg(LOCK_TTL_SECS)
                .query(conn)?;
            if set.is_some() {
                return Ok(true);
            }
            let holder: Option<String> = redis::cmd("GET").arg(LOCK).query(conn)?;
            Ok(holder.as_deref() == Some(pod.as_str()))
        })
    }

    /// Pops, sums and writes; puts back what was not written.
    fn drain_held(&mut self, backend: &mut dyn Backend) -> Result<Drained, String> {
        let popped: Vec<Option<Vec<String>>> = self.with_conn(|conn| {
            let mut pipe = redis::pipe();
            for list in [SPEND_LIST, DAILY_USER_LIST, DAILY_TEAM_LIST] {
                pipe.cmd("LPOP").arg(list).arg(POP);
            }
            pipe.query(conn)
        })?;
        let mut sum = SpendIncrements::default();
        let mut elements = 0;
        for (list, items) in [SPEND_LIST, DAILY_USER_LIST, DAILY_TEAM_LIST]
            .into_iter()
            .zip(popped)
        {
            for item in items.unwrap_or_default() {
                elements += 1;
                let mut one = SpendIncrements::default();
                let read = match list {
                    SPEND_LIST => read_spend_element(&item, &mut one),
                    DAILY_USER_LIST => read_daily_element(&item, DailyTable::User, &mut one),
                    _ => read_daily_element(&item, DailyTable::Team, &mut one),
                };
                match read {
                    Ok(()) => sum.merge(&one),
                    // Not LiteLLM's shape: it could never be written; said and left out.
                    Err(e) => tracing::error!(
                        "a spend element in {list} is not LiteLLM's shape ({e}): {item:.200}"
                    ),
                }
            }
        }
        if sum.is_empty() {
            return Ok(Drained {
                elements,
                spend: 0.0,
            });
        }
        let spend = sum.of_kind(EntityKind::Key).map(|(_, s)| s).sum();
        let back = match backend.apply_spend(&sum) {
            Ok(foreign) => foreign,
            Err(e) => {
                tracing::warn!("writing the spend buffer's increments: {e}; they go back to Redis");
                sum
            }
        };
        if !back.is_empty() {
            let pipe = push_pipeline(&back);
            if let Err(e) = self.with_conn(|conn| pipe.query::<()>(conn)) {
                // Held here, sent with the next push.
                tracing::warn!("putting spend increments back in Redis: {e}");
                self.returned.merge(&back);
            }
        }
        Ok(Drained { elements, spend })
    }

    /// Runs `op` on the connection (opened first if need be); a failure drops it and waits
    /// a backoff before the next connection.
    fn with_conn<T>(
        &mut self,
        op: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        if self.conn.is_none() {
            if Instant::now() < self.retry_at {
                return Err("Redis is unavailable".to_owned());
            }
            match self.connect() {
                Ok(conn) => self.conn = Some(conn),
                Err(e) => return Err(self.failed(e)),
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err("Redis is unavailable".to_owned());
        };
        match op(conn) {
            Ok(v) => {
                self.backoff = FIRST_BACKOFF;
                Ok(v)
            }
            Err(e) => {
                self.conn = None;
                Err(self.failed(e))
            }
        }
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let conn = self.client.get_connection_with_timeout(IO_TIMEOUT)?;
        conn.set_read_timeout(Some(IO_TIMEOUT))?;
        conn.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(conn)
    }

    fn failed(&mut self, e: redis::RedisError) -> String {
        self.retry_at = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        format!("Redis: {e}")
    }
}

/// `RPUSH` of one element per non-empty list.
fn push_pipeline(inc: &SpendIncrements) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    if !inc.entities.values().all(|m| m.is_empty()) {
        pipe.rpush(SPEND_LIST, spend_element(inc)).ignore();
    }
    for (list, table) in [
        (DAILY_USER_LIST, DailyTable::User),
        (DAILY_TEAM_LIST, DailyTable::Team),
    ] {
        if inc.daily.values().any(|(t, _)| *t == table) {
            pipe.rpush(list, daily_element(inc, table)).ignore();
        }
    }
    pipe
}

/// LiteLLM's `DBSpendUpdateTransactions`: every map, id to spend.
fn spend_element(inc: &SpendIncrements) -> String {
    let mut out = Map::new();
    for field in SPEND_FIELDS {
        out.insert(field.to_owned(), Value::Object(Map::new()));
    }
    for (field, ids) in &inc.entities {
        let map: Map<String, Value> = ids
            .iter()
            .map(|(id, spend)| (id.clone(), Value::from(*spend)))
            .collect();
        out.insert(field.clone(), Value::Object(map));
    }
    Value::Object(out).to_string()
}

/// LiteLLM's daily transactions of one table: its key (`<entity>_<date>_<api_key>_<model>_
/// <provider>_<endpoint>`) to the row's `DailyUserSpendTransaction` /
/// `DailyTeamSpendTransaction`.
fn daily_element(inc: &SpendIncrements, table: DailyTable) -> String {
    let entity_field = entity_field(table);
    let mut out = Map::new();
    for (_, row) in inc.daily.values().filter(|(t, _)| *t == table) {
        let key = format!(
            "{}_{}_{}_{}_{}_{}",
            row.entity, row.date, row.api_key, row.model, row.custom_llm_provider, row.endpoint
        );
        let value = serde_json::json!({
            entity_field: row.entity,
            "date": row.date,
            "api_key": row.api_key,
            "model": row.model,
            "model_group": row.model_group,
            "mcp_namespaced_tool_name": row.mcp_namespaced_tool_name,
            "custom_llm_provider": row.custom_llm_provider,
            "endpoint": row.endpoint,
            "prompt_tokens": row.prompt_tokens,
            "completion_tokens": row.completion_tokens,
            "cache_read_input_tokens": row.cache_read_input_tokens,
            "cache_creation_input_tokens": row.cache_creation_input_tokens,
            "compression_saved_tokens": 0,
            "compression_savings_spend": 0.0,
            "prompt_caching_savings_spend": 0.0,
            "gateway_injected_caching_savings_spend": 0.0,
            "spend": row.spend,
            "api_requests": row.api_requests,
            "successful_requests": row.successful_requests,
            "failed_requests": row.failed_requests,
            "total_response_time_ms": row.total_response_time_ms,
            "timed_requests": row.timed_requests,
        });
        out.insert(key, value);
    }
    Value::Object(out).to_string()
}

fn entity_field(table: DailyTable) -> &'static str {
    match table {
        DailyTable::User => "user_id",
        DailyTable::Team => "team_id",
    }
}

/// Adds a `DBSpendUpdateTransactions` element (any LiteLLM version's maps) to `sum`.
fn read_spend_element(item: &str, sum: &mut SpendIncrements) -> Result<(), String> {
    let value: Value = serde_json::from_str(item).map_err(|e| e.to_string())?;
    let Value::Object(fields) = value else {
        return Err("not an object".into());
    };
    for (field, ids) in fields {
        // LiteLLM writes null for a map it has nothing in.
        let Value::Object(ids) = ids else {
            continue;
        };
        for (id, spend) in ids {
            let spend = spend
                .as_f64()
                .ok_or_else(|| format!("{field}.{id} is not a number"))?;
            sum.add_to_field(&field, &id, spend);
        }
    }
    Ok(())
}

/// Adds a daily element (key to transaction) to `sum`, each row by its fields: the key is
/// LiteLLM's handle, not the row's identity.
fn read_daily_element(
    item: &str,
    table: DailyTable,
    sum: &mut SpendIncrements,
) -> Result<(), String> {
    let value: Value = serde_json::from_str(item).map_err(|e| e.to_string())?;
    let Value::Object(rows) = value else {
        return Err("not an object".into());
    };
    for (key, tx) in rows {
        let Value::Object(tx) = tx else {
            return Err(format!("{key} is not an object"));
        };
        let text = |name: &str| match tx.get(name) {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let int = |name: &str| tx.get(name).and_then(Value::as_f64).map_or(0, |n| n as i64);
        let date = text("date");
        if date.is_empty() {
            return Err(format!("{key} has no date"));
        }
        let row = DailyRow {
            entity: text(entity_field(table)),
            date,
            api_key: text("api_key"),
            model: text("model"),
            custom_llm_provider: text("custom_llm_provider"),
            mcp_namespaced_tool_name: text("mcp_namespaced_tool_name"),
            endpoint: text("endpoint"),
            model_group: text("model_group"),
            prompt_tokens: int("prompt_tokens"),
            completion_tokens: int("completion_tokens"),
            cache_read_input_tokens: int("cache_read_input_tokens"),
            cache_creation_input_tokens: int("cache_creation_input_tokens"),
            spend: tx.get("spend").and_then(Value::as_f64).unwrap_or(0.0),
            api_requests: int("api_requests"),
            successful_requests: int("successful_requests"),
            failed_requests: int("failed_requests"),
            total_response_time_ms: int("total_response_time_ms"),
            timed_requests: int("timed_requests"),
        };
        sum.add_daily(table, &row);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn elements_read_back_as_they_were_sent() {
        let mut inc = SpendIncrements::default();
        inc.add_entity(EntityKind::Key, "abc", 0.5);
        inc.add_entity(EntityKind::User, "u1", 0.5);
        inc.add_to_field("tag_list_transactions", "prod", 0.25);
        let row = DailyRow {
            entity: "u1".into(),
            date: "2026-12-01".into(),
            api_key: "abc".into(),
            model: "gpt-4o".into(),
            custom_llm_provider: "openai".into(),
            endpoint: "/chat/completions".into(),
            model_group: "gpt-4o".into(),
            prompt_tokens: 10,
            completion_tokens: 5,
            spend: 0.5,
            api_requests: 2,
            successful_requests: 2,
            total_response_time_ms: 30,
            timed_requests: 2,
            ..DailyRow::default()
        };
        inc.add_daily(DailyTable::User, &row);
        let spend: Value = serde_json::from_str(&spend_element(&inc)).unwrap();
        assert_eq!(spend.as_object().unwrap().len(), 11);
        assert_eq!(spend["key_list_transactions"]["abc"], 0.5);
        assert_eq!(spend["team_list_transactions"], serde_json::json!({}));
        let daily: Value = serde_json::from_str(&daily_element(&inc, DailyTable::User)).unwrap();
        let tx = &daily["u1_2026-12-01_abc_gpt-4o_openai_/chat/completions"];
        assert_eq!(tx["user_id"], "u1");
        assert_eq!(tx["api_requests"], 2);
        assert_eq!(tx["compression_saved_tokens"], 0);
        assert_eq!(daily_element(&inc, DailyTable::Team), "{}");

        let mut back = SpendIncrements::default();
        read_spend_element(&spend_element(&inc), &mut back).unwrap();
        read_daily_element(
            &daily_element(&inc, DailyTable::User),
            DailyTable::User,
            &mut back,
        )
        .unwrap();
        back.requests = inc.requests;
        back.spend = inc.spend;
        assert_eq!(back, inc);
    }

    #[test]
    fn litellm_elements_are_summed_and_odd_ones_refused() {
        let mut sum = SpendIncrements::default();
        // As LiteLLM 1.108.7 pushes them (nulls and maps it has nothing in).
        let a = r#"{"user_list_transactions": {"u1": 1.5}, "key_list_transactions": {"k": 1.5},
            "team_member_list_transactions": {"team_id::t::user_id::u1": 1.5},
            "org_list_transactions": null}"#;
        read_spend_element(a, &mut sum).unwrap();
        read_spend_element(a, &mut sum).unwrap();
        assert_eq!(
            sum.of_kind(EntityKind::Key).collect::<Vec<_>>(),
            [("k", 3.0)]
        );
        assert_eq!(sum.entities["team_member_list_transactions"].len(), 1);
        let d = r#"{"t1_2026-12-01_k_m_openai": {"team_id": "t1", "date": "2026-12-01",
            "api_key": "k", "model": "m", "model_group": null, "custom_llm_provider": "openai",
            "mcp_namespaced_tool_name": null, "endpoint": null, "prompt_tokens": 3,
            "completion_tokens": 4, "spend": 0.25, "api_requests": 1,
            "successful_requests": 1, "failed_requests": 0,
            "compression_savings_spend": 0.0}}"#;
        read_daily_element(d, DailyTable::Team, &mut sum).unwrap();
        read_daily_element(d, DailyTable::Team, &mut sum).unwrap();
        let (table, row) = sum.daily.values().next().unwrap();
        assert_eq!(*table, DailyTable::Team);
        assert_eq!(
            (row.entity.as_str(), row.api_requests, row.spend),
            ("t1", 2, 0.5)
        );
        assert!(read_spend_element("[1]", &mut sum).is_err());
        assert!(read_spend_element(r#"{"key_list_transactions": {"k": "x"}}"#, &mut sum).is_err());
        assert!(read_daily_element(r#"{"k": {"spend": 1}}"#, DailyTable::User, &mut sum).is_err());
        assert!(read_daily_element("nope", DailyTable::User, &mut sum).is_err());
    }
}
