//! The members of a management body, read as LiteLLM reads them: absent keeps a field, null
//! clears it, a value of the wrong type is a 422.

use chrono::{DateTime, Utc};
use corelane_store::model::{KeyRecord, TeamRecord, UserRecord};
use serde_json::{json, Map, Value};

use super::{detail, Res};
use crate::errors::GatewayError;

/// A body member: absent (`None`), explicitly null (`Some(None)`), or set.
pub(super) fn member<'a>(body: &'a Map<String, Value>, name: &str) -> Option<Option<&'a Value>> {
    body.get(name).map(|v| (!v.is_null()).then_some(v))
}

pub(super) fn bad_type(name: &str, what: &str) -> GatewayError {
    detail(422, &format!("{name}: expected {what}"))
}

pub(super) fn opt_string(body: &Map<String, Value>, name: &str) -> Res<Option<Option<String>>> {
    member(body, name)
        .map(|v| match v {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad_type(name, "a string")),
        })
        .transpose()
}

pub(super) fn opt_f64(body: &Map<String, Value>, name: &str) -> Res<Option<Option<f64>>> {
    member(body, name)
        .map(|v| match v {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or_else(|| bad_type(name, "a number")),
            Some(_) => Err(bad_type(name, "a number")),
        })
        .transpose()
}

fn opt_int(body: &Map<String, Value>, name: &str) -> Res<Option<Option<i64>>> {
    member(body, name)
        .map(|v| match v {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| bad_type(name, "a whole number, 0 or more")),
            Some(_) => Err(bad_type(name, "a whole number")),
        })
        .transpose()
}

pub(super) fn string_list(body: &Map<String, Value>, name: &str) -> Res<Option<Vec<String>>> {
    match member(body, name) {
        None | Some(None) => Ok(None),
        Some(Some(Value::Array(items))) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad_type(name, "a list of strings"))
            })
            .collect::<Res<Vec<_>>>()
            .map(Some),
        Some(Some(_)) => Err(bad_type(name, "a list of strings")),
    }
}

fn object(body: &Map<String, Value>, name: &str) -> Res<Option<Value>> {
    match member(body, name) {
        None => Ok(None),
        Some(None) => Ok(Some(json!({}))),
        Some(Some(v @ Value::Object(_))) => Ok(Some(v.clone())),
        Some(Some(_)) => Err(bad_type(name, "an object")),
    }
}

/// When a `duration` from now ends; `None` for none (null, or `-1` on update).
pub(super) fn expires(duration: &str) -> Res<Option<DateTime<Utc>>> {
    if duration == "-1" {
        return Ok(None);
    }
    let span =
        corelane_store::duration::parse(duration).map_err(|e| detail(400, &e.to_string()))?;
    let now = Utc::now();
    let end = span.after(now.timestamp().max(0) as u64);
    let end = DateTime::from_timestamp(end as i64, now.timestamp_subsec_nanos()).unwrap_or(now);
    Ok(Some(end))
}

fn budget_reset(duration: &str) -> Res<DateTime<Utc>> {
    let now = Utc::now();
    let at = corelane_store::duration::budget_reset_at(duration, now.timestamp().max(0) as u64)
        .map_err(|e| detail(400, &e.to_string()))?;
    // A duration of zero (or one too long to count) would reset the budget at every pass.
    DateTime::from_timestamp(at as i64, 0)
        .filter(|at| *at > now)
        .ok_or_else(|| {
            detail(
                400,
                &format!("budget_duration must be a positive duration, passed: {duration}"),
            )
        })
}

/// The fields keys, users and teams share, applied as a patch: absent keeps, null clears.
pub(super) struct Limits<'a> {
    max_budget: &'a mut Option<f64>,
    budget_duration: &'a mut Option<String>,
    budget_reset_at: &'a mut Option<DateTime<Utc>>,
    tpm_limit: &'a mut Option<i64>,
    rpm_limit: &'a mut Option<i64>,
    max_parallel_requests: &'a mut Option<i32>,
    models: &'a mut Vec<String>,
    metadata: &'a mut Value,
}

impl Limits<'_> {
    pub(super) fn apply(self, body: &Map<String, Value>) -> Res<()> {
        if let Some(b) = opt_f64(body, "max_budget")? {
            if b.is_some_and(|b| !(b.is_finite() && b >= 0.0)) {
                return Err(detail(
                    400,
                    &format!(
                        "max_budget must be a non-negative finite number. Received: {}",
                        b.map_or(String::new(), crate::auth::python_float)
                    ),
                ));
            }
            *self.max_budget = b;
        }
        if let Some(d) = opt_string(body, "budget_duration")? {
            if d.as_ref() != self.budget_duration.as_ref() || self.budget_reset_at.is_none() {
                *self.budget_reset_at = d.as_deref().map(budget_reset).transpose()?;
            }
            *self.budget_duration = d;
        }
        if let Some(v) = opt_int(body, "tpm_limit")? {
            *self.tpm_limit = v;
        }
        if let Some(v) = opt_int(body, "rpm_limit")? {
            *self.rpm_limit = v;
        }
        if let Some(v) = opt_int(body, "max_parallel_requests")? {
            *self.max_parallel_requests = v.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
        }
        if let Some(m) = string_list(body, "models")? {
            *self.models = m;
        } else if body.get("models").is_some_and(Value::is_null) {
            self.models.clear();
        }
        if let Some(m) = object(body, "metadata")? {
            *self.metadata = m;
        }
        Ok(())
    }
}

/// A row with [`Limits`]: a key, a user or a team.
pub(super) trait Limited {
    fn limits(&mut self) -> Limits<'_>;
}

/// Implements [`Limited`] for rows that name the shared fields alike.
macro_rules! limited {
    ($($record:ty),*) => {$(
        impl Limited for $record {
            fn limits(&mut self) -> Limits<'_> {
                Limits {
                    max_budget: &mut self.max_budget,
                    budget_duration: &mut self.budget_duration,
                    budget_reset_at: &mut self.budget_reset_at,
                    tpm_limit: &mut self.tpm_limit,
                    rpm_limit: &mut self.rpm_limit,
                    max_parallel_requests: &mut self.max_parallel_requests,
                    models: &mut self.models,
                    metadata: &mut self.metadata,
                }
            }
        }
    )*};
}

limited!(KeyRecord, UserRecord, TeamRecord);
