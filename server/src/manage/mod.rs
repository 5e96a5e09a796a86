//! The management routes of keys, users, teams and spend, with LiteLLM's request and
//! response shapes (`docs/litellm-keys.md`, sections 2, 3 and 7). Each request is parsed
//! here, on its core; the work runs on the store thread ([`crate::store::Store::call`]),
//! which then publishes the changed keys to every core before the answer goes out.
//!
//! The master key may call every route; a virtual key may read its own `/key/info`.
//! Errors are LiteLLM's `ProxyException`s: an `HTTPException`'s detail becomes the message
//! as Python prints it (`{'error': '...'}`), typed `internal_server_error` with its status.
//!
//! Layout: this file checks the caller, reads the query or body and runs the route's job;
//! `keys` and `people` hold the jobs of the key routes and of the user and team routes,
//! `fields` reads the members of a body, `json` writes rows as LiteLLM's answers show them.

mod fields;
mod json;
mod keys;
mod people;

use chrono::{DateTime, Utc};
use corelane_store::backend::StoreError;
use corelane_store::model::{KeyQuery, SpendLogQuery};
use serde_json::{json, Map, Value};

use self::fields::string_list;
use self::json::{spend_log_json, summarize_days};
use self::keys::{
    key_block, key_delete, key_generate, key_info, key_list, key_regenerate, key_update,
};
use self::people::{
    team_delete, team_info, team_list, team_new, team_update, user_delete, user_info, user_list,
    user_new, user_update,
};
use crate::errors::GatewayError;
use crate::exchange::{Caller, Exchange, Request};
use crate::routes::{path_key, query_param, ManageOp};
use crate::store::{Ctx, Store};

/// A management body larger than this is refused (they are small JSON objects).
const MAX_BODY: usize = 1024 * 1024;
/// `/spend/logs` answers at most this many rows (LiteLLM's cap).
const MAX_SPEND_LOGS: u64 = 10_000;

type Res<T> = Result<T, GatewayError>;

/// Serves one management request; the answer is a 200 JSON body.
pub async fn serve(
    store: &Store,
    req: &Request<'_>,
    op: ManageOp,
    ex: &Exchange<'_>,
) -> Res<Vec<u8>> {
    let route = crate::routes::MANAGE_ROUTES
        .iter()
        .find(|(_, _, o)| *o == op)
        .map_or("", |(p, _, _)| *p);
    let own_key = ex.identity.as_ref().map(|id| id.key.record.token.clone());
    // A caller a plugin's custom auth admitted is an admin only with that role.
    let custom_role = ex.custom_auth.as_deref().map(|auth| {
        auth.get("user_role")
            .and_then(Value::as_str)
            .unwrap_or("internal_user")
    });
    match (ex.caller, custom_role) {
        (Caller::Master, None | Some("proxy_admin")) => {}
        (Caller::Key(_), None) if op == ManageOp::KeyInfo => {}
        _ => {
            return Err(GatewayError::proxy(
                401,
                "auth_error",
                Some("None"),
                format!(
                    "Authentication Error, Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route={route}. Your role={}",
                    custom_role.unwrap_or("internal_user")
                ),
            ))
        }
    }
    let target = req.target.to_owned();
    let q = move |name: &str| query_param(&target, name);
    let answer: Value = match op {
        ManageOp::KeyGenerate => {
            let body = body(req)?;
            run(store, move |ctx| key_generate(ctx, &body, None)).await?
        }
        ManageOp::KeyInfo => {
            let asked = q("key");
            let token = match (&asked, own_key) {
                (Some(k), Some(own)) if token_of(k) != own => {
                    return Err(detail(403, "You can only view your own key"));
                }
                (Some(k), _) => token_of(k),
                (None, Some(own)) => own,
                (None, None) => return Err(detail(400, "Pass `key` as a query parameter")),
            };
            let shown = asked.unwrap_or_else(|| token.clone());
            run(store, move |ctx| key_info(ctx, &token, shown)).await?
        }
        ManageOp::KeyUpdate => {
            let body = body(req)?;
            run(store, move |ctx| key_update(ctx, &body)).await?
        }
        ManageOp::KeyDelete => {
            let body = body(req)?;
            run(store, move |ctx| key_delete(ctx, &body)).await?
        }
        ManageOp::KeyList => {
            let query = KeyQuery {
                user_id: q("user_id"),
                team_id: q("team_id"),
                key_alias: q("key_alias"),
                page: number(q("page"), "page", 1)?.max(1),
                size: number(q("size"), "size", 10)?.clamp(1, 100),
            };
            let full = q("return_full_object").is_some_and(|v| v == "true");
            run(store, move |ctx| key_list(ctx, &query, full)).await?
        }
        ManageOp::KeyBlock | ManageOp::KeyUnblock => {
            let body = body(req)?;
            let blocked = op == ManageOp::KeyBlock;
            run(store, move |ctx| key_block(ctx, &body, blocked)).await?
        }
        ManageOp::KeyRegenerate => {
            let body = body(req)?;
            let in_path = path_key(req.target).map(str::to_owned);
            run(store, move |ctx| key_regenerate(ctx, &body, in_path)).await?
        }
        ManageOp::UserNew => {
            let body = body(req)?;
            run(store, move |ctx| user_new(ctx, &body)).await?
        }
        ManageOp::UserInfo => {
            let user_id = q("user_id").ok_or_else(|| detail(400, "user_id is required"))?;
            run(store, move |ctx| user_info(ctx, &user_id)).await?
        }
        ManageOp::UserUpdate => {
            let body = body(req)?;
            run(store, move |ctx| user_update(ctx, &body)).await?
        }
        ManageOp::UserDelete => {
            let body = body(req)?;
            let ids = string_list(&body, "user_ids")?
                .ok_or_else(|| detail(400, "user_ids is required"))?;
            run(store, move |ctx| user_delete(ctx, &ids)).await?
        }
        ManageOp::UserList => {
            let page = number(q("page"), "page", 1)?.max(1);
            let size = number(q("page_size"), "page_size", 25)?.clamp(1, 100);
            run(store, move |ctx| user_list(ctx, page, size)).await?
        }
        ManageOp::TeamNew => {
            let body = body(req)?;
            run(store, move |ctx| team_new(ctx, &body)).await?
        }
        ManageOp::TeamInfo => {
            let team_id = q("team_id").ok_or_else(|| detail(400, "team_id is required"))?;
            run(store, move |ctx| team_info(ctx, &team_id)).await?
        }
        ManageOp::TeamUpdate => {
            let body = body(req)?;
            run(store, move |ctx| team_update(ctx, &body)).await?
        }
        ManageOp::TeamDelete => {
            let body = body(req)?;
            let ids = string_list(&body, "team_ids")?
                .ok_or_else(|| detail(400, "team_ids is required"))?;
            run(store, move |ctx| team_delete(ctx, &ids)).await?
        }
        ManageOp::TeamList => run(store, team_list).await?,
        ManageOp::SpendLogs => {
            let start = date(q("start_date"), "start_date")?;
            let end = date(q("end_date"), "end_date")?;
            let summarize = q("summarize").is_none_or(|v| v != "false");
            let query = SpendLogQuery {
                api_key: q("api_key").map(|k| token_of(&k)),
                user_id: q("user_id"),
                request_id: q("request_id"),
                start,
                // The end date is inclusive.
                end: end.map(|e| e + chrono::Duration::days(1)),
                limit: MAX_SPEND_LOGS,
            };
            run(store, move |ctx| {
                let rows = ctx.backend.spend_logs(&query)?;
                Ok(match (start, end, summarize) {
                    (Some(s), Some(e), true) => summarize_days(&rows, s, e),
                    _ => Value::Array(rows.iter().map(spend_log_json).collect()),
                })
            })
            .await?
        }
        ManageOp::GlobalSpend => {
            run(store, move |ctx| {
                let since = Utc::now() - chrono::Duration::days(30);
                let spend = ctx.backend.global_spend(since)?;
                Ok(json!({"spend": spend, "max_budget": 0.0}))
            })
            .await?
        }
    };
    serde_json::to_vec(&answer).map_err(|e| detail(500, &e.to_string()))
}

/// Runs a job on the store thread; a database error becomes LiteLLM's 500.
async fn run(
    store: &Store,
    f: impl FnOnce(&mut Ctx) -> Result<Value, Failure> + Send + 'static,
) -> Res<Value> {
    store.call(f).await?.map_err(|f| match f {
        Failure::Answer(e) => e,
        Failure::Store(e) => {
            GatewayError::proxy(500, "internal_server_error", Some("None"), e.to_string())
        }
    })
}

/// Why a job failed: an answer for the client, or the database.
enum Failure {
    Answer(GatewayError),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<GatewayError> for Failure {
    fn from(e: GatewayError) -> Self {
        Failure::Answer(e)
    }
}

/// An `HTTPException(status, detail={"error": message})` as LiteLLM's handler renders it.
fn detail(status: u16, message: &str) -> GatewayError {
    let quoted = message.replace('\\', "\\\\").replace('\'', "\\'");
    GatewayError::proxy(
        status,
        "internal_server_error",
        Some("None"),
        format!("{{'error': '{quoted}'}}"),
    )
}

fn not_found(message: &str) -> Failure {
    Failure::Answer(detail(404, message))
}

/// An insert's failure: a taken id is LiteLLM's 400 with `message`, anything else the
/// database's.
fn taken(e: StoreError, message: &str) -> Failure {
    match e {
        StoreError::Duplicate(_) => Failure::Answer(detail(400, message)),
        other => Failure::Store(other),
    }
}

fn body(req: &Request<'_>) -> Res<Map<String, Value>> {
    if req.spilled.is_some() || req.body.len() > MAX_BODY {
        return Err(detail(413, "Request body too large"));
    }
    if req.body.trim_ascii().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(detail(400, "The request body must be a JSON object")),
        Err(e) => Err(detail(400, &format!("Invalid JSON body: {e}"))),
    }
}

fn number(v: Option<String>, name: &str, default: u64) -> Res<u64> {
    match v {
        None => Ok(default),
        Some(t) => t
            .parse()
            .map_err(|_| detail(422, &format!("{name} must be a whole number"))),
    }
}

fn date(v: Option<String>, name: &str) -> Res<Option<DateTime<Utc>>> {
    let Some(t) = v else { return Ok(None) };
    // Years 1 to 9999 only: chrono's extreme dates would overflow the day arithmetic after.
    let d = chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d")
        .ok()
        .filter(|d| (1..=9999).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| detail(400, &format!("{name} must be a date, YYYY-MM-DD")))?;
    Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

/// A key as a route names it: a plaintext `sk-...` key is hashed; anything else is taken as
/// the hash already (LiteLLM hashes only `sk-` input).
fn token_of(key: &str) -> String {
    if key.starts_with("sk-") {
        corelane_store::keys::hash(key)
    } else {
        key.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_render_as_python_prints_them() {
        let mut out = Vec::new();
        detail(404, "Key isn't here").render(crate::errors::Dialect::OpenAi, &mut out);
        let v: Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["error"]["message"], "{'error': 'Key isn\\'t here'}");
        assert_eq!(v["error"]["code"], "404");
        assert_eq!(v["error"]["type"], "internal_server_error");
    }

    #[test]
    fn routes_name_keys_plain_or_hashed() {
        assert_eq!(token_of("sk-1234"), corelane_store::keys::hash("sk-1234"));
        assert_eq!(token_of("abc"), "abc");
    }
}
