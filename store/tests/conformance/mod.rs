//! What every [`Backend`] must do, whatever the database: one case per behaviour, each on a
//! fresh empty database. `sqlite.rs` and `postgres.rs` run them all with [`run_all`], after
//! implementing [`Subject`] (the reads no [`Backend`] method does) for their backend.
//!
//! Times in the fixtures are whole milliseconds (both databases keep three digits) and spends
//! are binary fractions, so sums are exact in any order.

use std::panic::AssertUnwindSafe;

use chrono::{DateTime, Duration, Utc};
use corelane_store::backend::{Backend, StoreError};
use corelane_store::increments::{EntityKind, SpendIncrements};
use corelane_store::model::{
    Entity, KeyQuery, KeyRecord, SpendLog, SpendLogQuery, SpendWritten, TeamRecord, UserRecord,
};
use serde_json::{json, Value};

/// A backend under test, and a way to read the daily tables (no [`Backend`] method reads
/// them).
pub trait Subject: Backend {
    /// Every row of `LiteLLM_DailyUserSpend` or `LiteLLM_DailyTeamSpend`, in any order.
    fn daily(&mut self, table: Daily) -> Vec<DailyRow>;
    /// The one text value `sql` selects (`None` for NULL): a column LiteLLM reads and the
    /// model does not carry. The suite's SQL runs on both databases.
    fn text(&mut self, sql: &str) -> Option<String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daily {
    User,
    Team,
}

/// The columns of a daily row the suite checks. `entity` is `user_id` or `team_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRow {
    pub entity: String,
    pub date: String,
    pub api_key: String,
    pub model: String,
    pub model_group: Option<String>,
    pub custom_llm_provider: String,
    pub mcp_namespaced_tool_name: String,
    pub endpoint: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub spend: f64,
    pub api_requests: i64,
    pub successful_requests: i64,
    pub failed_requests: i64,
}

/// A case: runs on a backend whose schema `ensure_schema` has just created.
pub type Case = fn(&mut dyn Subject);

/// Every case, by name.
pub const CASES: &[(&str, Case)] = &[
    (
        "ensure_schema_twice_keeps_rows",
        ensure_schema_twice_keeps_rows,
    ),
    ("key_round_trip", key_round_trip),
    ("key_by_alias", key_by_alias),
    ("key_insert_duplicate", key_insert_duplicate),
    ("key_insert_writes_key_type", key_insert_writes_key_type),
    ("key_update_leaves_spend", key_update_leaves_spend),
    ("key_set_spend", key_set_spend),
    ("key_delete_answers_existing", key_delete_answers_existing),
    ("key_list_pages_and_filters", key_list_pages_and_filters),
    ("all_keys_lists_every_key", all_keys_lists_every_key),
    ("user_round_trip", user_round_trip),
    ("user_insert_duplicate", user_insert_duplicate),
    ("user_update_leaves_spend", user_update_leaves_spend),
    ("user_delete_takes_their_keys", user_delete_takes_their_keys),
    ("user_list_pages", user_list_pages),
    ("team_round_trip", team_round_trip),
    ("team_insert_duplicate", team_insert_duplicate),
    ("team_update_leaves_spend", team_update_leaves_spend),
    ("team_delete_takes_their_keys", team_delete_takes_their_keys),
    ("json_round_trips", json_round_trips),
    (
        "write_spend_adds_to_key_user_team",
        write_spend_adds_to_key_user_team,
    ),
    ("write_spend_twice_adds_once", write_spend_twice_adds_once),
    ("write_spend_without_owners", write_spend_without_owners),
    (
        "write_spend_totals_writes_no_rows",
        write_spend_totals_writes_no_rows,
    ),
    (
        "spend_logs_then_increments_apply_once",
        spend_logs_then_increments_apply_once,
    ),
    ("spend_log_round_trip", spend_log_round_trip),
    ("spend_logs_say_cache_off", spend_logs_say_cache_off),
    (
        "daily_rows_sum_across_batches",
        daily_rows_sum_across_batches,
    ),
    ("daily_rows_count_failures", daily_rows_count_failures),
    ("spend_logs_filters", spend_logs_filters),
    (
        "spend_logs_newest_first_limited",
        spend_logs_newest_first_limited,
    ),
    ("global_spend_since", global_spend_since),
    ("due_budget_resets", due_budget_resets),
    ("reset_budget_zeroes_spend", reset_budget_zeroes_spend),
];

/// Runs every case, each on a new backend from `make` (an empty database) after
/// `ensure_schema`; fails naming every case that failed.
pub fn run_all(make: &mut dyn FnMut() -> Box<dyn Subject>) {
    let mut failed = Vec::new();
    for (name, case) in CASES {
        let mut subject = make();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            subject.ensure_schema().unwrap();
            case(&mut *subject);
        }));
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "conformance cases failed: {failed:?}");
}

// ---- fixtures ----

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The time every fixture is created at.
const CREATED: &str = "2025-06-01T08:00:00.000Z";

/// A key with only what a new key needs.
pub fn key(token: &str) -> KeyRecord {
    KeyRecord {
        token: token.to_owned(),
        key_name: None,
        key_alias: None,
        user_id: None,
        team_id: None,
        models: Vec::new(),
        spend: 0.0,
        max_budget: None,
        expires: None,
        budget_duration: None,
        budget_reset_at: None,
        tpm_limit: None,
        rpm_limit: None,
        max_parallel_requests: None,
        metadata: json!({}),
        blocked: None,
        created_at: Some(at(CREATED)),
        updated_at: Some(at(CREATED)),
        created_by: None,
        updated_by: None,
    }
}

/// A key with every column set.
pub fn full_key(token: &str) -> KeyRecord {
    KeyRecord {
        key_name: Some("sk-...Ab9z".to_owned()),
        key_alias: Some("ключ-🔑".to_owned()),
        user_id: Some("u1".to_owned()),
        team_id: Some("t1".to_owned()),
        models: vec![
            "gpt-4o".to_owned(),
            "claude-3-5-sonnet".to_owned(),
            "模型".to_owned(),
        ],
        spend: 1.25,
        max_budget: Some(10.5),
        expires: Some(at("2027-01-31T23:59:59.999Z")),
        budget_duration: Some("30d".to_owned()),
        budget_reset_at: Some(at("2026-07-01T00:00:00.001Z")),
        tpm_limit: Some(100_000_000_000),
        rpm_limit: Some(60),
        max_parallel_requests: Some(4),
        metadata: json!({"team": "a", "tags": ["x", "y"], "limits": {"daily": 5, "soft": 0.5}}),
        blocked: Some(false),
        created_by: Some("admin".to_owned()),
        updated_by: Some("admin2".to_owned()),
        ..key(token)
    }
}

pub fn user(user_id: &str) -> UserRecord {
    UserRecord {
        user_id: user_id.to_owned(),
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
        created_at: Some(at(CREATED)),
        updated_at: Some(at(CREATED)),
    }
}

pub fn team(team_id: &str) -> TeamRecord {
    TeamRecord {
        team_id: team_id.to_owned(),
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
        created_at: Some(at(CREATED)),
        updated_at: Some(at(CREATED)),
    }
}

/// A successful chat completion of `api_key`, its user and team, at `start`.
pub fn log(
    request_id: &str,
    api_key: &str,
    user: &str,
    team: Option<&str>,
    start: &str,
) -> SpendLog {
    let start = at(start);
    SpendLog {
        request_id: request_id.to_owned(),
        call_type: "acompletion".to_owned(),
        api_key: api_key.to_owned(),
        spend: 0.25,
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        start_time: start,
        end_time: start + Duration::milliseconds(1500),
        completion_start_time: None,
        model: "gpt-4o-mini".to_owned(),
        model_id: "dep-1".to_owned(),
        model_group: "gpt-4o-mini".to_owned(),
        custom_llm_provider: "openai".to_owned(),
        api_base: "https://api.openai.com/v1".to_owned(),
        user: user.to_owned(),
        team_id: team.map(str::to_owned),
        end_user: None,
        metadata: json!({}),
        request_tags: json!([]),
        status: "success".to_owned(),
        request_duration_ms: Some(1500),
        litellm_call_id: format!("call-{request_id}"),
    }
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: {actual} != {expected}"
    );
}

fn key_spend(db: &mut dyn Subject, token: &str) -> f64 {
    db.key(token).unwrap().unwrap().spend
}

fn tokens(keys: &[KeyRecord]) -> Vec<&str> {
    keys.iter().map(|k| k.token.as_str()).collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// `updated_at` was set by the backend just now, not taken from the record.
fn recent(updated_at: Option<DateTime<Utc>>) {
    let updated = updated_at.unwrap();
    let skew = (updated - Utc::now()).num_seconds().abs();
    assert!(skew < 600, "updated_at {updated} is not now");
}

// ---- schema ----

pub fn ensure_schema_twice_keeps_rows(db: &mut dyn Subject) {
    db.insert_key(&full_key("k1")).unwrap();
    db.ensure_schema().unwrap();
    db.ensure_schema().unwrap();
    assert_eq!(db.key("k1").unwrap(), Some(full_key("k1")));
}

// ---- keys ----

pub fn key_round_trip(db: &mut dyn Subject) {
    db.insert_key(&full_key("full")).unwrap();
    db.insert_key(&key("bare")).unwrap();
    assert_eq!(db.key("full").unwrap(), Some(full_key("full")));
    assert_eq!(db.key("bare").unwrap(), Some(key("bare")));
    assert_eq!(db.key("missing").unwrap(), None);
    let blocked = KeyRecord {
        blocked: Some(true),
        ..key("blocked")
    };
    db.insert_key(&blocked).unwrap();
    assert_eq!(db.key("blocked").unwrap(), Some(blocked));
}

pub fn key_by_alias(db: &mut dyn Subject) {
    db.insert_key(&full_key("k1")).unwrap();
    db.insert_key(&key("k2")).unwrap();
    assert_eq!(db.key_by_alias("ключ-🔑").unwrap(), Some(full_key("k1")));
    assert_eq!(db.key_by_alias("other").unwrap(), None);
}

pub fn key_insert_duplicate(db: &mut dyn Subject) {
    db.insert_key(&full_key("k1")).unwrap();
    let again = db.insert_key(&key("k1"));
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    assert_eq!(db.key("k1").unwrap(), Some(full_key("k1")));
}

/// LiteLLM's `key_type` for a key generated without one, kept by an update.
pub fn key_insert_writes_key_type(db: &mut dyn Subject) {
    let key_type = |db: &mut dyn Subject, token: &str| {
        db.text(&format!(
            "SELECT key_type FROM \"LiteLLM_VerificationToken\" WHERE token = '{token}'"
        ))
    };
    db.insert_key(&key("bare")).unwrap();
    db.insert_key(&full_key("full")).unwrap();
    assert_eq!(key_type(db, "bare").as_deref(), Some("default"));
    assert_eq!(key_type(db, "full").as_deref(), Some("default"));
    assert!(db.update_key(&full_key("bare")).unwrap());
    assert_eq!(key_type(db, "bare").as_deref(), Some("default"));
}

pub fn key_update_leaves_spend(db: &mut dyn Subject) {
    db.insert_key(&key("k1")).unwrap();
    db.insert_key(&key("k2")).unwrap();
    assert!(db.set_key_spend("k1", 2.5).unwrap());
    let changed = KeyRecord {
        spend: 99.0,
        created_at: Some(at("2020-01-01T00:00:00.000Z")),
        updated_at: Some(at("2020-01-01T00:00:00.000Z")),
        ..full_key("k1")
    };
    assert!(db.update_key(&changed).unwrap());
    let stored = db.key("k1").unwrap().unwrap();
    recent(stored.updated_at);
    assert_eq!(
        stored,
        KeyRecord {
            spend: 2.5,
            created_at: Some(at(CREATED)),
            updated_at: stored.updated_at,
            ..full_key("k1")
        }
    );
    // Back to no limits: every optional column can be cleared.
    assert!(db.update_key(&key("k1")).unwrap());
    let cleared = db.key("k1").unwrap().unwrap();
    assert_eq!(
        cleared,
        KeyRecord {
            spend: 2.5,
            updated_at: cleared.updated_at,
            ..key("k1")
        }
    );
    assert_eq!(db.key("k2").unwrap(), Some(key("k2")));
    assert!(!db.update_key(&key("missing")).unwrap());
    assert_eq!(db.key("missing").unwrap(), None);
}

pub fn key_set_spend(db: &mut dyn Subject) {
    db.insert_key(&full_key("k1")).unwrap();
    assert!(db.set_key_spend("k1", 0.0).unwrap());
    close(key_spend(db, "k1"), 0.0, "reset");
    assert!(db.set_key_spend("k1", 7.75).unwrap());
    close(key_spend(db, "k1"), 7.75, "set");
    assert!(!db.set_key_spend("missing", 1.0).unwrap());
}

pub fn key_delete_answers_existing(db: &mut dyn Subject) {
    for token in ["k1", "k2", "k3"] {
        db.insert_key(&key(token)).unwrap();
    }
    let deleted = db
        .delete_keys(&strings(&["k1", "missing", "k3", "k1"]))
        .unwrap();
    assert_eq!(sorted(deleted), strings(&["k1", "k3"]));
    assert_eq!(db.key("k1").unwrap(), None);
    assert_eq!(db.key("k3").unwrap(), None);
    assert_eq!(db.key("k2").unwrap(), Some(key("k2")));
    assert_eq!(db.delete_keys(&[]).unwrap(), Vec::<String>::new());
}

pub fn key_list_pages_and_filters(db: &mut dyn Subject) {
    let made = [
        (
            "a",
            "2025-01-01T00:00:00.000Z",
            Some("u1"),
            Some("t1"),
            Some("alias-a"),
        ),
        ("b", "2025-01-02T00:00:00.000Z", Some("u1"), None, None),
        (
            "c",
            "2025-01-03T00:00:00.000Z",
            Some("u2"),
            Some("t1"),
            Some("alias-c"),
        ),
        ("d", "2025-01-04T00:00:00.000Z", None, Some("t2"), None),
        // Same time as `d`: the larger token comes first.
        ("e", "2025-01-04T00:00:00.000Z", Some("u2"), None, None),
    ];
    for (token, created, user_id, team_id, alias) in made {
        db.insert_key(&KeyRecord {
            user_id: user_id.map(str::to_owned),
            team_id: team_id.map(str::to_owned),
            key_alias: alias.map(str::to_owned),
            created_at: Some(at(created)),
            ..key(token)
        })
        .unwrap();
    }
    let mut list =
        |user_id: Option<&str>, team_id: Option<&str>, alias: Option<&str>, page, size| {
            let (keys, total) = db
                .list_keys(&KeyQuery {
                    user_id: user_id.map(str::to_owned),
                    team_id: team_id.map(str::to_owned),
                    key_alias: alias.map(str::to_owned),
                    page,
                    size,
                })
                .unwrap();
            (tokens(&keys).join(","), total)
        };
    assert_eq!(list(None, None, None, 1, 2), ("e,d".to_owned(), 5));
    assert_eq!(list(None, None, None, 2, 2), ("c,b".to_owned(), 5));
    assert_eq!(list(None, None, None, 3, 2), ("a".to_owned(), 5));
    assert_eq!(list(None, None, None, 4, 2), (String::new(), 5));
    assert_eq!(list(None, None, None, 1, 100), ("e,d,c,b,a".to_owned(), 5));
    assert_eq!(list(Some("u1"), None, None, 1, 10), ("b,a".to_owned(), 2));
    assert_eq!(list(None, Some("t1"), None, 1, 10), ("c,a".to_owned(), 2));
    assert_eq!(
        list(Some("u2"), Some("t1"), None, 1, 10),
        ("c".to_owned(), 1)
    );
    assert_eq!(
        list(None, None, Some("alias-a"), 1, 10),
        ("a".to_owned(), 1)
    );
    assert_eq!(list(Some("nobody"), None, None, 1, 10), (String::new(), 0));
}

pub fn all_keys_lists_every_key(db: &mut dyn Subject) {
    assert_eq!(db.all_keys().unwrap(), Vec::new());
    db.insert_key(&full_key("k1")).unwrap();
    db.insert_key(&key("k2")).unwrap();
    let mut all = db.all_keys().unwrap();
    all.sort_by(|a, b| a.token.cmp(&b.token));
    assert_eq!(all, vec![full_key("k1"), key("k2")]);
}

// ---- users ----

fn full_user(user_id: &str) -> UserRecord {
    UserRecord {
        user_alias: Some("Zoë".to_owned()),
        user_email: Some("zoe@example.com".to_owned()),
        user_role: Some("internal_user".to_owned()),
        teams: strings(&["t1", "t2"]),
        models: strings(&["gpt-4o"]),
        spend: 0.5,
        max_budget: Some(20.0),
        budget_duration: Some("1mo".to_owned()),
        budget_reset_at: Some(at("2026-07-01T00:00:00.000Z")),
        tpm_limit: Some(1000),
        rpm_limit: Some(10),
        max_parallel_requests: Some(2),
        metadata: json!({"sso": {"sub": "abc"}}),
        ..user(user_id)
    }
}

pub fn user_round_trip(db: &mut dyn Subject) {
    db.insert_user(&full_user("u1")).unwrap();
    db.insert_user(&user("u2")).unwrap();
    assert_eq!(db.user("u1").unwrap(), Some(full_user("u1")));
    assert_eq!(db.user("u2").unwrap(), Some(user("u2")));
    assert_eq!(db.user("missing").unwrap(), None);
    let mut all = db.all_users().unwrap();
    all.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    assert_eq!(all, vec![full_user("u1"), user("u2")]);
}

pub fn user_insert_duplicate(db: &mut dyn Subject) {
    db.insert_user(&full_user("u1")).unwrap();
    let again = db.insert_user(&user("u1"));
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    assert_eq!(db.user("u1").unwrap(), Some(full_user("u1")));
}

pub fn user_update_leaves_spend(db: &mut dyn Subject) {
    db.insert_user(&full_user("u1")).unwrap();
    let changed = UserRecord {
        user_alias: None,
        teams: strings(&["t3"]),
        spend: 99.0,
        max_budget: None,
        metadata: json!({"changed": true}),
        created_at: Some(at("2020-01-01T00:00:00.000Z")),
        ..full_user("u1")
    };
    assert!(db.update_user(&changed).unwrap());
    let stored = db.user("u1").unwrap().unwrap();
    recent(stored.updated_at);
    assert_eq!(
        stored,
        UserRecord {
            spend: 0.5,
            created_at: Some(at(CREATED)),
            updated_at: stored.updated_at,
            ..changed
        }
    );
    assert!(!db.update_user(&user("missing")).unwrap());
    assert_eq!(db.user("missing").unwrap(), None);
}

pub fn user_delete_takes_their_keys(db: &mut dyn Subject) {
    db.insert_user(&user("u1")).unwrap();
    db.insert_user(&user("u2")).unwrap();
    for (token, owner) in [
        ("k1", Some("u1")),
        ("k2", Some("u1")),
        ("k3", Some("u2")),
        ("k4", None),
    ] {
        db.insert_key(&KeyRecord {
            user_id: owner.map(str::to_owned),
            ..key(token)
        })
        .unwrap();
    }
    let deleted = db.delete_users(&strings(&["u1", "ghost"])).unwrap();
    assert_eq!(deleted, strings(&["u1"]));
    assert_eq!(db.user("u1").unwrap(), None);
    assert_eq!(db.user("u2").unwrap(), Some(user("u2")));
    let mut left: Vec<String> = db
        .all_keys()
        .unwrap()
        .into_iter()
        .map(|k| k.token)
        .collect();
    left.sort();
    assert_eq!(left, strings(&["k3", "k4"]));
}

pub fn user_list_pages(db: &mut dyn Subject) {
    for id in ["c", "a", "e", "b", "d"] {
        db.insert_user(&user(id)).unwrap();
    }
    let mut page = |page, size| {
        let (users, total) = db.list_users(page, size).unwrap();
        let ids: Vec<String> = users.into_iter().map(|u| u.user_id).collect();
        (ids.join(","), total)
    };
    assert_eq!(page(1, 2), ("a,b".to_owned(), 5));
    assert_eq!(page(2, 2), ("c,d".to_owned(), 5));
    assert_eq!(page(3, 2), ("e".to_owned(), 5));
    assert_eq!(page(4, 2), (String::new(), 5));
    assert_eq!(page(1, 10), ("a,b,c,d,e".to_owned(), 5));
}

// ---- teams ----

fn full_team(team_id: &str) -> TeamRecord {
    TeamRecord {
        team_alias: Some("équipe".to_owned()),
        organization_id: Some("org-1".to_owned()),
        admins: strings(&["u1"]),
        members: strings(&["u1", "u2"]),
        members_with_roles: json!([
            {"user_id": "u1", "user_email": "a@example.com", "role": "admin"},
            {"user_id": "u2", "user_email": null, "role": "user"}
        ]),
        models: strings(&["gpt-4o", "gpt-4o-mini"]),
        spend: 3.5,
        max_budget: Some(100.0),
        budget_duration: Some("7d".to_owned()),
        budget_reset_at: Some(at("2026-06-08T00:00:00.000Z")),
        tpm_limit: Some(5000),
        rpm_limit: Some(50),
        max_parallel_requests: Some(8),
        metadata: json!({"cost_center": 42}),
        blocked: true,
        ..team(team_id)
    }
}

pub fn team_round_trip(db: &mut dyn Subject) {
    db.insert_team(&full_team("t1")).unwrap();
    db.insert_team(&team("t2")).unwrap();
    assert_eq!(db.team("t1").unwrap(), Some(full_team("t1")));
    assert_eq!(db.team("t2").unwrap(), Some(team("t2")));
    assert_eq!(db.team("missing").unwrap(), None);
    let mut all = db.all_teams().unwrap();
    all.sort_by(|a, b| a.team_id.cmp(&b.team_id));
    assert_eq!(all, vec![full_team("t1"), team("t2")]);
}

pub fn team_insert_duplicate(db: &mut dyn Subject) {
    db.insert_team(&full_team("t1")).unwrap();
    let again = db.insert_team(&team("t1"));
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    assert_eq!(db.team("t1").unwrap(), Some(full_team("t1")));
}

pub fn team_update_leaves_spend(db: &mut dyn Subject) {
    db.insert_team(&full_team("t1")).unwrap();
    let changed = TeamRecord {
        members: strings(&["u3"]),
        members_with_roles: json!([{"user_id": "u3", "role": "user"}]),
        spend: 99.0,
        blocked: false,
        created_at: Some(at("2020-01-01T00:00:00.000Z")),
        ..full_team("t1")
    };
    assert!(db.update_team(&changed).unwrap());
    let stored = db.team("t1").unwrap().unwrap();
    recent(stored.updated_at);
    assert_eq!(
        stored,
        TeamRecord {
            spend: 3.5,
            created_at: Some(at(CREATED)),
            updated_at: stored.updated_at,
            ..changed
        }
    );
    assert!(!db.update_team(&team("missing")).unwrap());
    assert_eq!(db.team("missing").unwrap(), None);
}

pub fn team_delete_takes_their_keys(db: &mut dyn Subject) {
    db.insert_team(&team("t1")).unwrap();
    db.insert_team(&team("t2")).unwrap();
    for (token, owner) in [("k1", Some("t1")), ("k2", Some("t2")), ("k3", None)] {
        db.insert_key(&KeyRecord {
            team_id: owner.map(str::to_owned),
            ..key(token)
        })
        .unwrap();
    }
    let deleted = db.delete_teams(&strings(&["t1", "ghost"])).unwrap();
    assert_eq!(deleted, strings(&["t1"]));
    assert_eq!(db.team("t1").unwrap(), None);
    assert_eq!(db.team("t2").unwrap(), Some(team("t2")));
    let mut left: Vec<String> = db
        .all_keys()
        .unwrap()
        .into_iter()
        .map(|k| k.token)
        .collect();
    left.sort();
    assert_eq!(left, strings(&["k2", "k3"]));
}

pub fn json_round_trips(db: &mut dyn Subject) {
    let tricky: Value = json!({
        "nested": {"list": [1, -2, 3.5, "x", null, true, {"deep": [[]]}], "empty": {}},
        "text": "quote \" backslash \\ newline \n tab \t slash /",
        "unicode": "ünïcødé 日本語 🚀 \u{2028}",
        "big": 1_234_567_890_123_i64,
        "negative": -0.125,
    });
    let names = strings(&["a \"quoted\" name", "comma, inside", "{braces}", "日本", ""]);
    let key = KeyRecord {
        models: names.clone(),
        metadata: tricky.clone(),
        ..key("k1")
    };
    let user = UserRecord {
        teams: names.clone(),
        metadata: tricky.clone(),
        ..user("u1")
    };
    let team = TeamRecord {
        admins: names.clone(),
        members_with_roles: json!([tricky.clone()]),
        metadata: tricky.clone(),
        ..team("t1")
    };
    db.insert_key(&key).unwrap();
    db.insert_user(&user).unwrap();
    db.insert_team(&team).unwrap();
    assert_eq!(db.key("k1").unwrap(), Some(key));
    assert_eq!(db.user("u1").unwrap(), Some(user));
    assert_eq!(db.team("t1").unwrap(), Some(team));
    let spend = SpendLog {
        metadata: tricky.clone(),
        request_tags: json!(["tag one", "タグ"]),
        ..log("r1", "k1", "u1", None, "2025-06-01T10:00:00.000Z")
    };
    db.write_spend(std::slice::from_ref(&spend)).unwrap();
    let read = db
        .spend_logs(&SpendLogQuery {
            limit: 10,
            ..SpendLogQuery::default()
        })
        .unwrap();
    assert_eq!(read, vec![spend]);
}

// ---- spend ----

fn owners(db: &mut dyn Subject) {
    db.insert_user(&user("u1")).unwrap();
    db.insert_team(&team("t1")).unwrap();
    for token in ["k1", "k2"] {
        db.insert_key(&KeyRecord {
            user_id: Some("u1".to_owned()),
            team_id: Some("t1".to_owned()),
            ..key(token)
        })
        .unwrap();
    }
}

fn priced(mut log: SpendLog, spend: f64) -> SpendLog {
    log.spend = spend;
    log
}

pub fn write_spend_adds_to_key_user_team(db: &mut dyn Subject) {
    owners(db);
    let batch = [
        priced(
            log("r1", "k1", "u1", Some("t1"), "2025-06-01T10:00:00.000Z"),
            0.25,
        ),
        priced(
            log("r2", "k1", "u1", Some("t1"), "2025-06-01T10:00:01.000Z"),
            0.5,
        ),
        priced(
            log("r3", "k2", "u1", Some("t1"), "2025-06-01T10:00:02.000Z"),
            1.0,
        ),
    ];
    let written = db.write_spend(&batch).unwrap();
    assert_eq!(written.rows, 3);
    close(written.spend, 1.75, "written spend");
    close(key_spend(db, "k1"), 0.75, "k1");
    close(key_spend(db, "k2"), 1.0, "k2");
    close(db.user("u1").unwrap().unwrap().spend, 1.75, "u1");
    close(db.team("t1").unwrap().unwrap().spend, 1.75, "t1");
    let next = [priced(
        log("r4", "k1", "u1", None, "2025-06-01T11:00:00.000Z"),
        0.125,
    )];
    db.write_spend(&next).unwrap();
    close(key_spend(db, "k1"), 0.875, "k1 after a second batch");
    close(
        db.user("u1").unwrap().unwrap().spend,
        1.875,
        "u1 after a second batch",
    );
    close(
        db.team("t1").unwrap().unwrap().spend,
        1.75,
        "t1 not named by r4",
    );
    assert_eq!(db.write_spend(&[]).unwrap(), SpendWritten::default());
}

pub fn write_spend_twice_adds_once(db: &mut dyn Subject) {
    owners(db);
    let batch = [
        log("r1", "k1", "u1", Some("t1"), "2025-06-01T10:00:00.000Z"),
        log("r2", "k1", "u1", Some("t1"), "2025-06-01T10:00:01.000Z"),
    ];
    assert_eq!(db.write_spend(&batch).unwrap().rows, 2);
    // The same batch again (its acknowledgement was lost): nothing is added.
    assert_eq!(db.write_spend(&batch).unwrap(), SpendWritten::default());
    close(key_spend(db, "k1"), 0.5, "k1");
    close(db.user("u1").unwrap().unwrap().spend, 0.5, "u1");
    close(db.team("t1").unwrap().unwrap().spend, 0.5, "t1");
    // One old row, one new, and the new one twice: only the new one counts, once.
    let r3 = log("r3", "k1", "u1", Some("t1"), "2025-06-01T10:00:02.000Z");
    let mixed = [batch[0].clone(), r3.clone(), r3];
    let written = db.write_spend(&mixed).unwrap();
    assert_eq!(written.rows, 1);
    close(written.spend, 0.25, "mixed batch");
    close(key_spend(db, "k1"), 0.75, "k1 after the mixed batch");
    let all = db
        .spend_logs(&SpendLogQuery {
            limit: 100,
            ..SpendLogQuery::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    let daily = db.daily(Daily::User);
    assert_eq!(daily.len(), 1, "{daily:?}");
    assert_eq!(daily[0].api_requests, 3);
    close(daily[0].spend, 0.75, "daily spend");
}

pub fn write_spend_totals_writes_no_rows(db: &mut dyn Subject) {
    owners(db);
    let batch = [
        priced(
            log("r1", "k1", "u1", Some("t1"), "2025-06-01T10:00:00.000Z"),
            0.25,
        ),
        priced(log("r2", "k2", "u1", None, "2025-06-01T10:00:01.000Z"), 0.5),
    ];
    let written = db.write_spend_totals(&batch).unwrap();
    assert_eq!(written.rows, 2);
    close(written.spend, 0.75, "written spend");
    close(key_spend(db, "k1"), 0.25, "k1");
    close(key_spend(db, "k2"), 0.5, "k2");
    close(db.user("u1").unwrap().unwrap().spend, 0.75, "u1");
    close(db.team("t1").unwrap().unwrap().spend, 0.25, "t1");
    let all = db
        .spend_logs(&SpendLogQuery {
            limit: 100,
            ..SpendLogQuery::default()
        })
        .unwrap();
    assert!(all.is_empty(), "{all:?}");
    let daily = db.daily(Daily::User);
    assert_eq!(daily.len(), 2, "{daily:?}");
    assert_eq!(daily.iter().map(|d| d.api_requests).sum::<i64>(), 2);
}

/// `use_redis_transaction_buffer`: the rows are written alone, and what they add is applied
/// later (by whichever instance drains Redis), merged with other instances' increments.
pub fn spend_logs_then_increments_apply_once(db: &mut dyn Subject) {
    owners(db);
    let batch = [
        priced(
            log("r1", "k1", "u1", Some("t1"), "2025-06-01T10:00:00.000Z"),
            0.25,
        ),
        priced(log("r2", "k2", "u1", None, "2025-06-01T10:00:01.000Z"), 0.5),
    ];
    let mut inc = db.write_spend_logs(&batch).unwrap();
    assert_eq!((inc.requests, inc.spend), (2, 0.75));
    // The rows are there; nobody's spend moved yet.
    close(key_spend(db, "k1"), 0.0, "k1 before");
    close(db.user("u1").unwrap().unwrap().spend, 0.0, "u1 before");
    assert!(db.daily(Daily::User).is_empty());
    // Written again: no row is new, nothing to add.
    assert!(db.write_spend_logs(&batch).unwrap().is_empty());
    // Another instance's increments, and kinds only LiteLLM writes.
    let other = SpendIncrements::of(&[priced(
        log("r3", "k1", "", None, "2025-06-01T10:00:02.000Z"),
        0.125,
    )]);
    inc.merge(&other);
    inc.add_to_field("tag_list_transactions", "prod", 1.0);
    let rest = db.apply_spend(&inc).unwrap();
    assert_eq!(rest.entities.len(), 1);
    assert_eq!(rest.entities["tag_list_transactions"]["prod"], 1.0);
    assert_eq!(rest.of_kind(EntityKind::Key).count(), 0);
    assert!(rest.daily.is_empty());
    close(key_spend(db, "k1"), 0.375, "k1");
    close(key_spend(db, "k2"), 0.5, "k2");
    close(db.user("u1").unwrap().unwrap().spend, 0.75, "u1");
    close(db.team("t1").unwrap().unwrap().spend, 0.25, "t1");
    let daily = db.daily(Daily::User);
    assert_eq!(daily.iter().map(|d| d.api_requests).sum::<i64>(), 3);
    let spend: f64 = daily.iter().map(|d| d.spend).sum();
    close(spend, 0.875, "daily spend");
    let rows = db
        .spend_logs(&SpendLogQuery {
            limit: 100,
            ..SpendLogQuery::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 2);
}

pub fn write_spend_without_owners(db: &mut dyn Subject) {
    // The master key, a key deleted since, no user: the rows are still written.
    let batch = [
        log(
            "r1",
            "litellm_proxy_master_key",
            "",
            None,
            "2025-06-01T10:00:00.000Z",
        ),
        log(
            "r2",
            "gone",
            "ghost",
            Some("ghost-team"),
            "2025-06-01T10:00:01.000Z",
        ),
    ];
    let written = db.write_spend(&batch).unwrap();
    assert_eq!(written.rows, 2);
    close(written.spend, 0.5, "written spend");
    close(
        db.global_spend(at("2025-01-01T00:00:00.000Z")).unwrap(),
        0.5,
        "global",
    );
    assert_eq!(db.key("gone").unwrap(), None);
    assert_eq!(db.user("ghost").unwrap(), None);
    let mut users: Vec<String> = db
        .daily(Daily::User)
        .into_iter()
        .map(|r| r.entity)
        .collect();
    users.sort();
    assert_eq!(users, strings(&["", "ghost"]));
}

pub fn spend_log_round_trip(db: &mut dyn Subject) {
    let full = SpendLog {
        call_type: "aembedding".to_owned(),
        completion_start_time: Some(at("2025-06-01T10:00:00.250Z")),
        end_user: Some("customer-7".to_owned()),
        metadata: json!({"user_api_key_alias": "ключ", "usage_object": {"prompt_tokens": 10}}),
        request_tags: json!(["prod", "batch"]),
        status: "failure".to_owned(),
        request_duration_ms: None,
        ..log("r1", "k1", "u1", Some("t1"), "2025-06-01T10:00:00.000Z")
    };
    let bare = log("r2", "k1", "", None, "2025-06-01T09:00:00.000Z");
    db.write_spend(&[full.clone(), bare.clone()]).unwrap();
    let read = db
        .spend_logs(&SpendLogQuery {
            limit: 10,
            ..SpendLogQuery::default()
        })
        .unwrap();
    assert_eq!(read, vec![full, bare]);
}

/// The columns LiteLLM fills and corelane has no value of: `cache_hit` and `cache_key` as
/// LiteLLM writes them with no cache configured. `team_id` stays as the log has it.
pub fn spend_logs_say_cache_off(db: &mut dyn Subject) {
    db.write_spend(&[
        log("r1", "k1", "u1", Some("t1"), "2025-06-01T10:00:00.000Z"),
        log("r2", "k1", "", None, "2025-06-01T10:00:01.000Z"),
    ])
    .unwrap();
    for id in ["r1", "r2"] {
        let sql = format!(
            "SELECT cache_hit || '|' || cache_key FROM \"LiteLLM_SpendLogs\" \
             WHERE request_id = '{id}'"
        );
        assert_eq!(db.text(&sql).as_deref(), Some("False|Cache OFF"), "{id}");
    }
    let team = |db: &mut dyn Subject, id: &str| {
        db.text(&format!(
            "SELECT team_id FROM \"LiteLLM_SpendLogs\" WHERE request_id = '{id}'"
        ))
    };
    assert_eq!(team(db, "r1").as_deref(), Some("t1"));
    assert_eq!(team(db, "r2"), None);
}

fn daily_row(rows: &[DailyRow], entity: &str, date: &str, model: &str) -> DailyRow {
    let found: Vec<&DailyRow> = rows
        .iter()
        .filter(|r| r.entity == entity && r.date == date && r.model == model)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one row for {entity} {date} {model}: {rows:?}"
    );
    found[0].clone()
}

pub fn daily_rows_sum_across_batches(db: &mut dyn Subject) {
    owners(db);
    db.write_spend(&[
        log("r1", "k1", "u1", Some("t1"), "2025-06-01T00:00:00.000Z"),
        log("r2", "k1", "u1", Some("t1"), "2025-06-01T12:00:00.000Z"),
    ])
    .unwrap();
    let other_model = SpendLog {
        model: "gpt-4o".to_owned(),
        ..log("r4", "k1", "u1", Some("t1"), "2025-06-01T13:00:00.000Z")
    };
    db.write_spend(&[
        log("r3", "k1", "u1", Some("t1"), "2025-06-01T23:59:59.999Z"),
        other_model,
        // The next day (UTC).
        log("r5", "k1", "u1", Some("t1"), "2025-06-02T00:00:00.000Z"),
        // No team: LiteLLM's team row for team_id ''.
        log("r6", "k1", "u1", None, "2025-06-01T14:00:00.000Z"),
    ])
    .unwrap();
    let users = db.daily(Daily::User);
    assert_eq!(users.len(), 3, "{users:?}");
    let day = daily_row(&users, "u1", "2025-06-01", "gpt-4o-mini");
    assert_eq!(
        day,
        DailyRow {
            entity: "u1".to_owned(),
            date: "2025-06-01".to_owned(),
            api_key: "k1".to_owned(),
            model: "gpt-4o-mini".to_owned(),
            model_group: Some("gpt-4o-mini".to_owned()),
            custom_llm_provider: "openai".to_owned(),
            mcp_namespaced_tool_name: String::new(),
            endpoint: "/chat/completions".to_owned(),
            prompt_tokens: 40,
            completion_tokens: 20,
            spend: 1.0,
            api_requests: 4,
            successful_requests: 4,
            failed_requests: 0,
        }
    );
    assert_eq!(
        daily_row(&users, "u1", "2025-06-01", "gpt-4o").api_requests,
        1
    );
    assert_eq!(
        daily_row(&users, "u1", "2025-06-02", "gpt-4o-mini").api_requests,
        1
    );
    let teams = db.daily(Daily::Team);
    assert_eq!(teams.len(), 4, "{teams:?}");
    assert_eq!(
        daily_row(&teams, "t1", "2025-06-01", "gpt-4o-mini").api_requests,
        3
    );
    assert_eq!(
        daily_row(&teams, "", "2025-06-01", "gpt-4o-mini").api_requests,
        1
    );
}

pub fn daily_rows_count_failures(db: &mut dyn Subject) {
    owners(db);
    let failed = SpendLog {
        status: "failure".to_owned(),
        spend: 0.0,
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        ..log("r2", "k1", "u1", Some("t1"), "2025-06-01T10:00:01.000Z")
    };
    let embedding = SpendLog {
        call_type: "aembedding".to_owned(),
        ..log("r3", "k1", "u1", Some("t1"), "2025-06-01T10:00:02.000Z")
    };
    db.write_spend(&[
        log("r1", "k1", "u1", Some("t1"), "2025-06-01T10:00:00.000Z"),
        failed,
        embedding,
    ])
    .unwrap();
    for table in [Daily::User, Daily::Team] {
        let rows = db.daily(table);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let chat = rows
            .iter()
            .find(|r| r.endpoint == "/chat/completions")
            .unwrap();
        assert_eq!(
            (
                chat.api_requests,
                chat.successful_requests,
                chat.failed_requests
            ),
            (2, 1, 1)
        );
        assert_eq!((chat.prompt_tokens, chat.completion_tokens), (10, 5));
        close(chat.spend, 0.25, "chat spend");
        let embeddings = rows.iter().find(|r| r.endpoint == "/embeddings").unwrap();
        assert_eq!(
            (
                embeddings.api_requests,
                embeddings.successful_requests,
                embeddings.failed_requests
            ),
            (1, 1, 0)
        );
    }
}

fn ids(logs: &[SpendLog]) -> String {
    logs.iter()
        .map(|l| l.request_id.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn spend_logs_filters(db: &mut dyn Subject) {
    db.write_spend(&[
        log("r1", "k1", "u1", Some("t1"), "2025-06-01T10:00:00.000Z"),
        log("r2", "k2", "u1", None, "2025-06-02T10:00:00.000Z"),
        log("r3", "k1", "u2", None, "2025-06-03T10:00:00.000Z"),
        SpendLog {
            litellm_call_id: "the-call".to_owned(),
            ..log("chatcmpl-9", "k2", "u2", None, "2025-06-04T10:00:00.000Z")
        },
    ])
    .unwrap();
    let mut query =
        |q: SpendLogQuery| ids(&db.spend_logs(&SpendLogQuery { limit: 100, ..q }).unwrap());
    assert_eq!(query(SpendLogQuery::default()), "chatcmpl-9,r3,r2,r1");
    let by_key = SpendLogQuery {
        api_key: Some("k1".to_owned()),
        ..SpendLogQuery::default()
    };
    assert_eq!(query(by_key), "r3,r1");
    let by_user = SpendLogQuery {
        user_id: Some("u2".to_owned()),
        ..SpendLogQuery::default()
    };
    assert_eq!(query(by_user), "chatcmpl-9,r3");
    let both = SpendLogQuery {
        api_key: Some("k2".to_owned()),
        user_id: Some("u1".to_owned()),
        ..SpendLogQuery::default()
    };
    assert_eq!(query(both), "r2");
    for id in ["chatcmpl-9", "the-call"] {
        let by_id = SpendLogQuery {
            request_id: Some(id.to_owned()),
            ..SpendLogQuery::default()
        };
        assert_eq!(query(by_id), "chatcmpl-9", "request_id {id}");
    }
    let by_call_id = SpendLogQuery {
        request_id: Some("call-r1".to_owned()),
        ..SpendLogQuery::default()
    };
    assert_eq!(query(by_call_id), "r1");
    // start is inclusive, end exclusive.
    let window = SpendLogQuery {
        start: Some(at("2025-06-02T10:00:00.000Z")),
        end: Some(at("2025-06-04T10:00:00.000Z")),
        ..SpendLogQuery::default()
    };
    assert_eq!(query(window), "r3,r2");
    let after = SpendLogQuery {
        start: Some(at("2025-06-03T10:00:00.001Z")),
        ..SpendLogQuery::default()
    };
    assert_eq!(query(after), "chatcmpl-9");
    let nothing = SpendLogQuery {
        api_key: Some("k9".to_owned()),
        ..SpendLogQuery::default()
    };
    assert_eq!(query(nothing), "");
}

pub fn spend_logs_newest_first_limited(db: &mut dyn Subject) {
    // Written out of order, across batches.
    db.write_spend(&[
        log("b", "k1", "", None, "2025-06-02T00:00:00.000Z"),
        log("d", "k1", "", None, "2025-06-04T00:00:00.000Z"),
    ])
    .unwrap();
    db.write_spend(&[
        log("a", "k1", "", None, "2025-06-01T00:00:00.000Z"),
        log("c", "k1", "", None, "2025-06-03T00:00:00.000Z"),
    ])
    .unwrap();
    let mut newest = |limit| {
        ids(&db
            .spend_logs(&SpendLogQuery {
                limit,
                ..SpendLogQuery::default()
            })
            .unwrap())
    };
    assert_eq!(newest(2), "d,c");
    assert_eq!(newest(3), "d,c,b");
    assert_eq!(newest(10), "d,c,b,a");
}

pub fn global_spend_since(db: &mut dyn Subject) {
    close(
        db.global_spend(at("2000-01-01T00:00:00.000Z")).unwrap(),
        0.0,
        "empty",
    );
    db.write_spend(&[
        priced(log("r1", "k1", "", None, "2025-05-01T00:00:00.000Z"), 1.0),
        priced(log("r2", "k1", "", None, "2025-06-01T00:00:00.000Z"), 0.5),
        priced(log("r3", "k2", "", None, "2025-06-15T00:00:00.000Z"), 0.25),
    ])
    .unwrap();
    let since = |db: &mut dyn Subject, t| db.global_spend(at(t)).unwrap();
    close(since(db, "2025-01-01T00:00:00.000Z"), 1.75, "all");
    close(
        since(db, "2025-06-01T00:00:00.000Z"),
        0.75,
        "at the second row",
    );
    close(
        since(db, "2025-06-01T00:00:00.001Z"),
        0.25,
        "after the second row",
    );
    close(since(db, "2026-01-01T00:00:00.000Z"), 0.0, "none");
}

pub fn due_budget_resets(db: &mut dyn Subject) {
    let now = at("2025-06-01T12:00:00.000Z");
    // (id, budget_duration, budget_reset_at): due when a duration is set and the reset time
    // is at or before now, or unset.
    let rows = [
        ("past", Some("30d"), Some("2025-06-01T11:59:59.999Z")),
        ("exactly", Some("1h"), Some("2025-06-01T12:00:00.000Z")),
        ("unset", Some("daily"), None),
        ("future", Some("30d"), Some("2025-06-01T12:00:00.001Z")),
        ("no-duration", None, Some("2025-01-01T00:00:00.000Z")),
    ];
    for (id, duration, reset_at) in rows {
        let duration = duration.map(str::to_owned);
        let reset_at = reset_at.map(at);
        db.insert_key(&KeyRecord {
            budget_duration: duration.clone(),
            budget_reset_at: reset_at,
            ..key(id)
        })
        .unwrap();
        db.insert_user(&UserRecord {
            budget_duration: duration.clone(),
            budget_reset_at: reset_at,
            ..user(id)
        })
        .unwrap();
        db.insert_team(&TeamRecord {
            budget_duration: duration,
            budget_reset_at: reset_at,
            ..team(id)
        })
        .unwrap();
    }
    let expected = vec![
        ("exactly".to_owned(), "1h".to_owned()),
        ("past".to_owned(), "30d".to_owned()),
        ("unset".to_owned(), "daily".to_owned()),
    ];
    for entity in [Entity::Key, Entity::User, Entity::Team] {
        let mut due = db.due_budget_resets(entity, now).unwrap();
        due.sort();
        assert_eq!(due, expected, "{entity:?}");
    }
}

pub fn reset_budget_zeroes_spend(db: &mut dyn Subject) {
    let next = at("2025-07-01T00:00:00.000Z");
    db.insert_key(&full_key("k1")).unwrap();
    db.insert_key(&full_key("k2")).unwrap();
    db.insert_user(&full_user("u1")).unwrap();
    db.insert_team(&full_team("t1")).unwrap();
    db.reset_budget(Entity::Key, "k1", next).unwrap();
    db.reset_budget(Entity::User, "u1", next).unwrap();
    db.reset_budget(Entity::Team, "t1", next).unwrap();
    let key = db.key("k1").unwrap().unwrap();
    assert_eq!((key.spend, key.budget_reset_at), (0.0, Some(next)));
    assert_eq!(
        KeyRecord {
            spend: 1.25,
            budget_reset_at: full_key("k1").budget_reset_at,
            ..key
        },
        full_key("k1"),
        "nothing else changes"
    );
    assert_eq!(db.key("k2").unwrap(), Some(full_key("k2")));
    let user = db.user("u1").unwrap().unwrap();
    assert_eq!((user.spend, user.budget_reset_at), (0.0, Some(next)));
    let team = db.team("t1").unwrap().unwrap();
    assert_eq!((team.spend, team.budget_reset_at), (0.0, Some(next)));
    // A key with no row: nothing to reset, and no error.
    db.reset_budget(Entity::Key, "missing", next).unwrap();
    // Spend after a reset adds to zero.
    db.write_spend(&[log(
        "r1",
        "k1",
        "u1",
        Some("t1"),
        "2025-06-01T10:00:00.000Z",
    )])
    .unwrap();
    close(key_spend(db, "k1"), 0.25, "k1 after the reset");
    close(
        db.user("u1").unwrap().unwrap().spend,
        0.25,
        "u1 after the reset",
    );
}
