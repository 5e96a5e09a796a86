//! The jobs of the user and team routes (`/user/new`, `info`, `update`, `delete`, `list`
//! and the same of `/team/`), run on the store thread.

use chrono::Utc;
use corelane_store::model::{TeamRecord, UserRecord};
use serde_json::{json, Map, Value};

use super::fields::{bad_type, member, opt_string, string_list, Limited};
use super::json::{team_json, user_json};
use super::keys::{key_generate, keys_of};
use super::{detail, not_found, taken, Failure, Res};
use crate::store::Ctx;

/// A user's row with nothing set but its id and times.
pub(super) fn empty_user(user_id: String) -> UserRecord {
    let now = Utc::now();
    UserRecord {
        user_id,
        user_alias: None,
        user_email: None,
        user_role: None,
        teams: Vec::new(),
        models: Vec::new(),
        spend: 0.0,
        max_budget: None,
        budget_duration: None,
        budget_reset_at: None,
        tpm_limit: None,
        rpm_limit: None,
        max_parallel_requests: None,
        metadata: json!({}),
        created_at: Some(now),
        updated_at: Some(now),
    }
}

fn user_fields(u: &mut UserRecord, body: &Map<String, Value>) -> Res<()> {
    if let Some(v) = opt_string(body, "user_alias")? {
        u.user_alias = v;
    }
    if let Some(v) = opt_string(body, "user_email")? {
        u.user_email = v;
    }
    if let Some(v) = opt_string(body, "user_role")? {
        const ROLES: [&str; 4] = [
            "proxy_admin",
            "proxy_admin_viewer",
            "internal_user",
            "internal_user_viewer",
        ];
        if v.as_deref().is_some_and(|r| !ROLES.contains(&r)) {
            return Err(detail(
                400,
                &format!("user_role must be one of {}", ROLES.join(", ")),
            ));
        }
        u.user_role = v;
    }
    if let Some(t) = string_list(body, "teams")? {
        u.teams = t;
    }
    u.limits().apply(body)
}

pub(super) fn user_new(ctx: &mut Ctx, body: &Map<String, Value>) -> Result<Value, Failure> {
    let user_id = match opt_string(body, "user_id")?.flatten() {
        Some(id) => id,
        None => corelane_store::keys::uuid4().map_err(|e| detail(500, &e.to_string()))?,
    };
    if ctx.backend.user(&user_id)?.is_some() {
        return Err(Failure::Answer(detail(
            400,
            &format!("User with id={user_id} already exists"),
        )));
    }
    let mut user = empty_user(user_id);
    user_fields(&mut user, body)?;
    if user.user_role.is_none() {
        user.user_role = Some("internal_user".to_owned());
    }
    ctx.backend
        .insert_user(&user)
        .map_err(|e| taken(e, "User already exists"))?;
    let auto_key = member(body, "auto_create_key")
        .flatten()
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut out = user_json(&user);
    let (key, expires) = if auto_key {
        let mut key_body = body.clone();
        key_body.remove("key_alias");
        let generated = key_generate(ctx, &key_body, Some(&user))?;
        (
            generated.get("key").cloned(),
            generated.get("expires").cloned(),
        )
    } else {
        ctx.reload()?;
        (Some(json!("")), None)
    };
    out.insert("key".into(), key.unwrap_or(Value::Null));
    out.insert("expires".into(), expires.unwrap_or(Value::Null));
    Ok(Value::Object(out))
}

/// `/user/info`: the user, their keys and their teams.
pub(super) fn user_info(ctx: &mut Ctx, user_id: &str) -> Result<Value, Failure> {
    let user = ctx
        .backend
        .user(user_id)?
        .ok_or_else(|| not_found(&format!("User {user_id} not found")))?;
    let keys = keys_of(ctx, Some(user_id), None)?;
    let mut teams = Vec::new();
    for t in &user.teams {
        if let Some(team) = ctx.backend.team(t)? {
            teams.push(Value::Object(team_json(&team)));
        }
    }
    Ok(json!({"user_id": user_id, "user_info": user_json(&user), "keys": keys, "teams": teams}))
}

pub(super) fn user_update(ctx: &mut Ctx, body: &Map<String, Value>) -> Result<Value, Failure> {
    let user_id = opt_string(body, "user_id")?.flatten();
    let email = opt_string(body, "user_email")?.flatten();
    let mut user = match (user_id, email) {
        (Some(id), _) => ctx
            .backend
            .user(&id)?
            .ok_or_else(|| not_found(&format!("User {id} not found")))?,
        (None, Some(email)) => ctx
            .backend
            .all_users()?
            .into_iter()
            .find(|u| u.user_email.as_deref() == Some(email.as_str()))
            .ok_or_else(|| not_found(&format!("User with email {email} not found")))?,
        (None, None) => {
            return Err(Failure::Answer(detail(
                400,
                "user_id or user_email is required",
            )))
        }
    };
    user_fields(&mut user, body)?;
    user.updated_at = Some(Utc::now());
    ctx.backend.update_user(&user)?;
    ctx.reload()?;
    Ok(json!({"user_id": user.user_id, "data": user_json(&user)}))
}

/// `/user/delete`: the users and their keys.
pub(super) fn user_delete(ctx: &mut Ctx, ids: &[String]) -> Result<Value, Failure> {
    let deleted = ctx.backend.delete_users(ids)?;
    ctx.reload()?;
    Ok(json!({"deleted_users": deleted}))
}

/// `/user/list`: one page of users, each with how many keys they have.
pub(super) fn user_list(ctx: &mut Ctx, page: u64, size: u64) -> Result<Value, Failure> {
    let (users, total) = ctx.backend.list_users(page, size)?;
    let all_keys = ctx.backend.all_keys()?;
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            let mut j = user_json(u);
            let count = all_keys
                .iter()
                .filter(|k| k.user_id.as_deref() == Some(u.user_id.as_str()))
                .count();
            j.insert("key_count".into(), json!(count));
            Value::Object(j)
        })
        .collect();
    Ok(json!({
        "users": users,
        "total": total,
        "page": page,
        "page_size": size,
        "total_pages": total.div_ceil(size),
    }))
}

fn team_fields(t: &mut TeamRecord, body: &Map<String, Value>) -> Res<()> {
    if let Some(v) = opt_string(body, "team_alias")? {
        t.team_alias = v;
    }
    if let Some(v) = opt_string(body, "organization_id")? {
        t.organization_id = v;
    }
    if let Some(v) = member(body, "blocked") {
        t.blocked = v.and_then(Value::as_bool).unwrap_or(false);
    }
    if let Some(m) = member(body, "members_with_roles") {
        t.members_with_roles = match m {
            None => json!([]),
            Some(v @ Value::Array(_)) => v.clone(),
            Some(_) => return Err(bad_type("members_with_roles", "a list")),
        };
        t.members = t
            .members_with_roles
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("user_id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        t.admins = t
            .members_with_roles
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("admin"))
            .filter_map(|m| m.get("user_id").and_then(Value::as_str).map(str::to_owned))
            .collect();
    }
    t.limits().apply(body)
}

pub(super) fn team_new(ctx: &mut Ctx, body: &Map<String, Value>) -> Result<Value, Failure> {
    let team_id = match opt_string(body, "team_id")?
        .flatten()
        .filter(|t| !t.is_empty())
    {
        Some(id) => id,
        None => corelane_store::keys::uuid4().map_err(|e| detail(500, &e.to_string()))?,
    };
    if ctx.backend.team(&team_id)?.is_some() {
        return Err(Failure::Answer(detail(
            400,
            &format!("Team id = {team_id} already exists. Please use a different team id."),
        )));
    }
    let now = Utc::now();
    let mut team = TeamRecord {
        team_id,
        team_alias: None,
        organization_id: None,
        admins: Vec::new(),
        members: Vec::new(),
        members_with_roles: json!([]),
        models: Vec::new(),
        spend: 0.0,
        max_budget: None,
        budget_duration: None,
        budget_reset_at: None,
        tpm_limit: None,
        rpm_limit: None,
        max_parallel_requests: None,
        metadata: json!({}),
        blocked: false,
        created_at: Some(now),
        updated_at: Some(now),
    };
    team_fields(&mut team, body)?;
    ctx.backend
        .insert_team(&team)
        .map_err(|e| taken(e, "Team already exists"))?;
    ctx.reload()?;
    Ok(Value::Object(team_json(&team)))
}

/// `/team/info`: the team and its keys.
pub(super) fn team_info(ctx: &mut Ctx, team_id: &str) -> Result<Value, Failure> {
    let team = ctx
        .backend
        .team(team_id)?
        .ok_or_else(|| not_found(&format!("Team not found, passed team_id={team_id}")))?;
    let keys = keys_of(ctx, None, Some(team_id))?;
    Ok(
        json!({"team_id": team_id, "team_info": team_json(&team), "keys": keys, "team_memberships": []}),
    )
}

pub(super) fn team_update(ctx: &mut Ctx, body: &Map<String, Value>) -> Result<Value, Failure> {
    let team_id = opt_string(body, "team_id")?
        .flatten()
        .ok_or_else(|| Failure::Answer(detail(400, "team_id is required")))?;
    let mut team = ctx
        .backend
        .team(&team_id)?
        .ok_or_else(|| not_found(&format!("Team not found, passed team_id={team_id}")))?;
    team_fields(&mut team, body)?;
    team.updated_at = Some(Utc::now());
    ctx.backend.update_team(&team)?;
    ctx.reload()?;
    Ok(json!({"team_id": team_id, "data": team_json(&team)}))
}

/// `/team/delete`: the teams and their keys; none found is a 404.
pub(super) fn team_delete(ctx: &mut Ctx, ids: &[String]) -> Result<Value, Failure> {
    let deleted = ctx.backend.delete_teams(ids)?;
    if deleted.is_empty() {
        return Err(not_found(&format!(
            "Team not found, passed team_id={}",
            ids.join(",")
        )));
    }
    ctx.reload()?;
    Ok(json!({"deleted_teams": deleted}))
}

/// `/team/list`: every team.
pub(super) fn team_list(ctx: &mut Ctx) -> Result<Value, Failure> {
    let teams: Vec<Value> = ctx
        .backend
        .all_teams()?
        .iter()
        .map(|t| Value::Object(team_json(t)))
        .collect();
    Ok(Value::Array(teams))
}
