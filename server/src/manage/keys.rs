//! The jobs of the key routes (`/key/generate`, `info`, `update`, `delete`, `list`, `block`,
//! `unblock`, `regenerate`), run on the store thread.

use chrono::Utc;
use corelane_store::model::{KeyQuery, KeyRecord, UserRecord};
use serde_json::{json, Map, Value};

use super::fields::{expires, member, opt_f64, opt_string, string_list, Limited};
use super::json::key_json;
use super::people::empty_user;
use super::{detail, not_found, taken, token_of, Failure};
use crate::errors::GatewayError;
use crate::store::Ctx;

/// `/key/info` of the key whose hash is `token`, shown as the caller named it.
pub(super) fn key_info(ctx: &mut Ctx, token: &str, shown: String) -> Result<Value, Failure> {
    let rec = ctx
        .backend
        .key(token)?
        .ok_or_else(|| not_found("Key not found"))?;
    let mut info = key_json(&rec);
    info.remove("token");
    info.insert("status".into(), json!(key_status(&rec)));
    Ok(json!({"key": shown, "info": info}))
}

fn key_status(k: &KeyRecord) -> &'static str {
    match k.expires {
        Some(e) if e < Utc::now() => "expired",
        _ => "active",
    }
}

/// `/key/list`: one page of hashes, or of whole keys with `return_full_object`.
pub(super) fn key_list(ctx: &mut Ctx, query: &KeyQuery, full: bool) -> Result<Value, Failure> {
    let (keys, total) = ctx.backend.list_keys(query)?;
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| match full {
            true => Value::Object(key_json(k)),
            false => json!(k.token),
        })
        .collect();
    Ok(json!({
        "keys": keys,
        "total_count": total,
        "current_page": query.page,
        "total_pages": total.div_ceil(query.size),
    }))
}

/// The keys of a user or a team, whole, for `/user/info` and `/team/info`.
pub(super) fn keys_of(
    ctx: &mut Ctx,
    user: Option<&str>,
    team: Option<&str>,
) -> Result<Vec<Value>, Failure> {
    let (keys, _) = ctx.backend.list_keys(&KeyQuery {
        user_id: user.map(str::to_owned),
        team_id: team.map(str::to_owned),
        key_alias: None,
        page: 1,
        size: 1000,
    })?;
    Ok(keys.iter().map(|k| Value::Object(key_json(k))).collect())
}

fn unique_alias(ctx: &mut Ctx, alias: Option<&str>, token: &str) -> Result<(), Failure> {
    if let Some(a) = alias {
        if ctx
            .backend
            .key_by_alias(a)?
            .is_some_and(|k| k.token != token)
        {
            return Err(Failure::Answer(GatewayError::proxy(
                400,
                "bad_request_error",
                Some("key_alias"),
                format!("Key with alias '{a}' already exists. Unique key aliases across all keys are required."),
            )));
        }
    }
    Ok(())
}

/// A new key's row from a `/key/generate` (or `/user/new`) body.
fn new_key(ctx: &mut Ctx, body: &Map<String, Value>, key: &str) -> Result<KeyRecord, Failure> {
    let now = Utc::now();
    let mut rec = KeyRecord {
        token: corelane_store::keys::hash(key),
        key_name: Some(corelane_store::keys::display_name(key)),
        key_alias: opt_string(body, "key_alias")?.flatten(),
        user_id: opt_string(body, "user_id")?.flatten(),
        team_id: opt_string(body, "team_id")?.flatten(),
        models: Vec::new(),
        spend: opt_f64(body, "spend")?.flatten().unwrap_or(0.0),
        max_budget: None,
        expires: match opt_string(body, "duration")?.flatten() {
            Some(d) => expires(&d)?,
            None => None,
        },
        budget_duration: None,
        budget_reset_at: None,
        tpm_limit: None,
        rpm_limit: None,
        max_parallel_requests: None,
        metadata: json!({}),
        blocked: member(body, "blocked").flatten().and_then(Value::as_bool),
        created_at: Some(now),
        updated_at: Some(now),
        created_by: Some("default_user_id".to_owned()),
        updated_by: Some("default_user_id".to_owned()),
    };
    rec.limits().apply(body)?;
    unique_alias(ctx, rec.key_alias.as_deref(), &rec.token)?;
    Ok(rec)
}

/// The plaintext key a body names in `member`, checked as LiteLLM checks a custom key, else
/// a generated one.
fn plaintext_key(body: &Map<String, Value>, member: &str) -> Result<String, Failure> {
    match opt_string(body, member)?.flatten() {
        Some(k) => {
            corelane_store::keys::check_custom(&k).map_err(|e| detail(400, &e.to_string()))?;
            Ok(k)
        }
        None => Ok(corelane_store::keys::generate().map_err(|e| detail(500, &e.to_string()))?),
    }
}

/// `/key/generate`; `/user/new` passes the user it made.
pub(super) fn key_generate(
    ctx: &mut Ctx,
    body: &Map<String, Value>,
    user: Option<&UserRecord>,
) -> Result<Value, Failure> {
    let key = plaintext_key(body, "key")?;
    let mut rec = new_key(ctx, body, &key)?;
    if let Some(u) = user {
        // The user's budget and limits are on the user's row, not the key's.
        rec.user_id = Some(u.user_id.clone());
        rec.max_budget = None;
        rec.budget_duration = None;
        rec.budget_reset_at = None;
        rec.tpm_limit = None;
        rec.rpm_limit = None;
        rec.max_parallel_requests = None;
    } else if let Some(uid) = rec.user_id.clone() {
        // LiteLLM makes the user's row when a key names a user it does not know.
        if ctx.backend.user(&uid)?.is_none() {
            let u = empty_user(uid);
            ctx.backend.insert_user(&u)?;
        }
    }
    ctx.backend
        .insert_key(&rec)
        .map_err(|e| taken(e, "Key already exists"))?;
    ctx.reload()?;
    let mut out = key_json(&rec);
    out.insert("key".into(), json!(key));
    out.insert("token_id".into(), json!(rec.token));
    out.insert(
        "duration".into(),
        body.get("duration").cloned().unwrap_or(Value::Null),
    );
    out.insert("litellm_budget_table".into(), Value::Null);
    out.remove("budget_reset_at");
    Ok(Value::Object(out))
}

fn find_key(ctx: &mut Ctx, body: &Map<String, Value>) -> Result<(KeyRecord, String), Failure> {
    if let Some(k) = opt_string(body, "key")?.flatten() {
        let rec = ctx
            .backend
            .key(&token_of(&k))?
            .ok_or_else(|| not_found(&format!("Key not found. key={}", shown_key(&k))))?;
        return Ok((rec, k));
    }
    if let Some(a) = opt_string(body, "key_alias")?.flatten() {
        let rec = ctx
            .backend
            .key_by_alias(&a)?
            .ok_or_else(|| not_found(&format!("Key not found. key_alias={a}")))?;
        return Ok((rec, a));
    }
    Err(Failure::Answer(detail(
        400,
        "either key or key_alias must be provided",
    )))
}

/// A key as an error may show it: hashes as they are, plaintext keys abbreviated.
fn shown_key(k: &str) -> String {
    if k.starts_with("sk-") {
        corelane_store::keys::display_name(k)
    } else {
        k.to_owned()
    }
}

pub(super) fn key_update(ctx: &mut Ctx, body: &Map<String, Value>) -> Result<Value, Failure> {
    let (mut rec, passed) = find_key(ctx, body)?;
    if body.contains_key("key") {
        if let Some(a) = opt_string(body, "key_alias")? {
            rec.key_alias = a;
        }
    }
    if let Some(u) = opt_string(body, "user_id")? {
        rec.user_id = u;
    }
    if let Some(t) = opt_string(body, "team_id")? {
        rec.team_id = t;
    }
    if let Some(d) = opt_string(body, "duration")? {
        rec.expires = match d {
            Some(d) => expires(&d)?,
            None => None,
        };
    }
    if let Some(b) = member(body, "blocked") {
        rec.blocked = b.and_then(Value::as_bool);
    }
    rec.limits().apply(body)?;
    unique_alias(ctx, rec.key_alias.as_deref(), &rec.token)?;
    rec.updated_at = Some(Utc::now());
    ctx.backend.update_key(&rec)?;
    if let Some(Some(spend)) = opt_f64(body, "spend")? {
        ctx.backend.set_key_spend(&rec.token, spend)?;
        rec.spend = spend;
    }
    ctx.reload()?;
    let mut out = key_json(&rec);
    out.insert("key".into(), json!(passed));
    Ok(Value::Object(out))
}

pub(super) fn key_delete(ctx: &mut Ctx, body: &Map<String, Value>) -> Result<Value, Failure> {
    let keys = string_list(body, "keys")?;
    let aliases = string_list(body, "key_aliases")?;
    let (tokens, passed) = match (keys, aliases) {
        (Some(keys), _) => (keys.iter().map(|k| token_of(k)).collect::<Vec<_>>(), keys),
        (None, Some(aliases)) => {
            let mut tokens = Vec::new();
            for a in &aliases {
                if let Some(k) = ctx.backend.key_by_alias(a)? {
                    tokens.push(k.token);
                }
            }
            (tokens, aliases)
        }
        (None, None) => {
            return Err(Failure::Answer(GatewayError::proxy(
                400,
                "bad_request_error",
                Some("None"),
                "At least one of 'keys' or 'key_aliases' must be provided.".to_owned(),
            )))
        }
    };
    let deleted = ctx.backend.delete_keys(&tokens)?;
    if deleted.is_empty() {
        return Err(not_found("No keys found"));
    }
    ctx.reload()?;
    Ok(json!({"deleted_keys": passed}))
}

pub(super) fn key_block(
    ctx: &mut Ctx,
    body: &Map<String, Value>,
    blocked: bool,
) -> Result<Value, Failure> {
    let k = opt_string(body, "key")?
        .flatten()
        .ok_or_else(|| Failure::Answer(detail(400, "Invalid key format.")))?;
    let valid = (3..=100).contains(&k.len())
        && ((k.starts_with("sk-")
            && k[3..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
            || (k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit())));
    if !valid {
        return Err(Failure::Answer(detail(400, "Invalid key format.")));
    }
    let mut rec = ctx
        .backend
        .key(&token_of(&k))?
        .ok_or_else(|| not_found("Key not found."))?;
    rec.blocked = Some(blocked);
    rec.updated_at = Some(Utc::now());
    ctx.backend.update_key(&rec)?;
    ctx.reload()?;
    Ok(Value::Object(key_json(&rec)))
}

/// `/key/regenerate` and `/key/{key}/regenerate`: the row gets a new key (`new_key`, else a
/// generated one) and keeps everything else, with the body's changes applied.
pub(super) fn key_regenerate(
    ctx: &mut Ctx,
    body: &Map<String, Value>,
    in_path: Option<String>,
) -> Result<Value, Failure> {
    let old = match in_path {
        Some(k) => k,
        None => opt_string(body, "key")?
            .flatten()
            .ok_or_else(|| Failure::Answer(detail(400, "key is required")))?,
    };
    let mut rec = ctx
        .backend
        .key(&token_of(&old))?
        .ok_or_else(|| not_found("Key not found."))?;
    let key = plaintext_key(body, "new_key")?;
    let old_token = std::mem::replace(&mut rec.token, corelane_store::keys::hash(&key));
    rec.key_name = Some(corelane_store::keys::display_name(&key));
    if let Some(d) = opt_string(body, "duration")? {
        rec.expires = match d {
            Some(d) => expires(&d)?,
            None => None,
        };
    }
    rec.limits().apply(body)?;
    rec.updated_at = Some(Utc::now());
    ctx.backend
        .insert_key(&rec)
        .map_err(|e| taken(e, "Key already exists"))?;
    ctx.backend.set_key_spend(&rec.token, rec.spend)?;
    ctx.backend.delete_keys(&[old_token])?;
    ctx.reload()?;
    let mut out = key_json(&rec);
    out.insert("key".into(), json!(key));
    out.insert("token_id".into(), json!(rec.token));
    Ok(Value::Object(out))
}
