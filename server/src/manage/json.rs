//! Keys, users, teams and spend rows as LiteLLM's management answers show them, with its
//! fields that corelane does not keep answered empty.

use chrono::{DateTime, Utc};
use corelane_store::model::{KeyRecord, SpendLog, TeamRecord, UserRecord};
use serde_json::{json, Map, Value};

/// A time as LiteLLM's answers give it (pydantic's ISO form, UTC as `Z`).
fn iso(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

fn time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| json!(iso(t)))
}

/// The members of a `json!({...})` object, for the callers to add to.
fn members(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(super) fn key_json(k: &KeyRecord) -> Map<String, Value> {
    members(json!({
        "token": k.token,
        "key_name": k.key_name,
        "key_alias": k.key_alias,
        "spend": k.spend,
        "expires": time(k.expires),
        "models": k.models,
        "aliases": {},
        "config": {},
        "user_id": k.user_id,
        "team_id": k.team_id,
        "permissions": {},
        "max_parallel_requests": k.max_parallel_requests,
        "metadata": k.metadata,
        "blocked": k.blocked,
        "tpm_limit": k.tpm_limit,
        "rpm_limit": k.rpm_limit,
        "max_budget": k.max_budget,
        "budget_duration": k.budget_duration,
        "budget_reset_at": time(k.budget_reset_at),
        "allowed_cache_controls": [],
        "model_spend": {},
        "model_max_budget": {},
        "budget_id": null,
        "created_at": time(k.created_at),
        "updated_at": time(k.updated_at),
        "created_by": k.created_by,
        "updated_by": k.updated_by,
    }))
}

pub(super) fn user_json(u: &UserRecord) -> Map<String, Value> {
    members(json!({
        "user_id": u.user_id,
        "user_alias": u.user_alias,
        "user_email": u.user_email,
        "user_role": u.user_role,
        "teams": u.teams,
        "models": u.models,
        "spend": u.spend,
        "max_budget": u.max_budget,
        "budget_duration": u.budget_duration,
        "budget_reset_at": time(u.budget_reset_at),
        "tpm_limit": u.tpm_limit,
        "rpm_limit": u.rpm_limit,
        "max_parallel_requests": u.max_parallel_requests,
        "metadata": u.metadata,
        "model_spend": {},
        "model_max_budget": {},
        "created_at": time(u.created_at),
        "updated_at": time(u.updated_at),
    }))
}

pub(super) fn team_json(t: &TeamRecord) -> Map<String, Value> {
    members(json!({
        "team_id": t.team_id,
        "team_alias": t.team_alias,
        "organization_id": t.organization_id,
        "admins": t.admins,
        "members": t.members,
        "members_with_roles": t.members_with_roles,
        "metadata": t.metadata,
        "tpm_limit": t.tpm_limit,
        "rpm_limit": t.rpm_limit,
        "max_budget": t.max_budget,
        "budget_duration": t.budget_duration,
        "budget_reset_at": time(t.budget_reset_at),
        "models": t.models,
        "blocked": t.blocked,
        "spend": t.spend,
        "max_parallel_requests": t.max_parallel_requests,
        "model_spend": {},
        "model_max_budget": {},
        "created_at": time(t.created_at),
        "updated_at": time(t.updated_at),
    }))
}

pub(super) fn spend_log_json(r: &SpendLog) -> Value {
    json!({
        "request_id": r.request_id,
        "call_type": r.call_type,
        "api_key": r.api_key,
        "spend": r.spend,
        "total_tokens": r.total_tokens,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "startTime": iso(r.start_time),
        "endTime": iso(r.end_time),
        "completionStartTime": time(r.completion_start_time),
        "model": r.model,
        "model_id": r.model_id,
        "model_group": r.model_group,
        "custom_llm_provider": r.custom_llm_provider,
        "api_base": r.api_base,
        "user": r.user,
        "metadata": r.metadata,
        "cache_hit": "False",
        "cache_key": "Cache OFF",
        "request_tags": r.request_tags,
        "team_id": r.team_id,
        "end_user": r.end_user,
        "status": r.status,
        "request_duration_ms": r.request_duration_ms,
        "litellm_call_id": r.litellm_call_id,
    })
}

/// `/spend/logs` with dates: one object per day from `start` to `end`, with the day's spend
/// by user, by model and by key.
pub(super) fn summarize_days(rows: &[SpendLog], start: DateTime<Utc>, end: DateTime<Utc>) -> Value {
    let mut days = Vec::new();
    let mut day = start;
    while day <= end && days.len() < 3660 {
        let next = day + chrono::Duration::days(1);
        let mut spend = 0.0;
        let mut users = Map::new();
        let mut models = Map::new();
        let mut obj = Map::new();
        for r in rows
            .iter()
            .filter(|r| r.start_time >= day && r.start_time < next)
        {
            spend += r.spend;
            add(&mut users, &r.user, r.spend);
            add(&mut models, &r.model, r.spend);
            add(&mut obj, &r.api_key, r.spend);
        }
        obj.insert(
            "startTime".into(),
            json!(day.format("%Y-%m-%d").to_string()),
        );
        obj.insert("spend".into(), json!(spend));
        obj.insert("users".into(), Value::Object(users));
        obj.insert("models".into(), Value::Object(models));
        days.push(Value::Object(obj));
        day = next;
    }
    Value::Array(days)
}

fn add(m: &mut Map<String, Value>, k: &str, v: f64) {
    let cur = m.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    m.insert(k.to_owned(), json!(cur + v));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_pydantic_iso() {
        let t = DateTime::from_timestamp(1_764_604_406, 123_000_000).unwrap_or_default();
        assert_eq!(iso(t), "2025-12-01T15:53:26.123000Z");
        let t = DateTime::from_timestamp(1_764_604_406, 0).unwrap_or_default();
        assert_eq!(iso(t), "2025-12-01T15:53:26Z");
    }
}
