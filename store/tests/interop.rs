//! A database LiteLLM made: LiteLLM's own migrations (litellm-proxy-extras 0.4.110, each file
//! applied alone, in order, as `prisma migrate deploy` does) on a throwaway server. corelane's
//! Postgres backend finds its schema there already, reads a key LiteLLM wrote, and writes
//! spend rows in the shape LiteLLM writes them; and on a database from an older LiteLLM it
//! writes only the columns that exist.
//!
//! The migrations come from `$LITELLM_MIGRATIONS_DIR`, else the harness venv, else the copy
//! `scripts/setup.sh` downloads into `target/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use corelane_store::backend::Backend;
use corelane_store::keys;
use corelane_store::model::{SpendLog, SpendLogQuery};
use corelane_store::postgres::Postgres;
use corelane_testkit::postgres::PgServer;
use postgres::{Client, NoTls};
use serde_json::json;

/// The litellm-proxy-extras release LiteLLM 1.108.7 ships with.
const EXTRAS: &str = "0.4.110";
/// The last migration of a database from an older LiteLLM (March 2025): the baseline and
/// the daily user table; no daily team table, no `status` or `litellm_call_id` in the spend
/// logs, no `total_spend` or `last_active` on keys, no request counters in the daily table.
const OLD_LITELLM: &str = "20250326171002_add_daily_user_table";
/// The tables corelane uses.
const TABLES: &str = "'LiteLLM_VerificationToken', 'LiteLLM_UserTable', 'LiteLLM_TeamTable', \
    'LiteLLM_SpendLogs', 'LiteLLM_DailyUserSpend', 'LiteLLM_DailyTeamSpend'";

/// LiteLLM's migration directories, in the order Prisma applies them.
fn migrations() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        std::env::var_os("LITELLM_MIGRATIONS_DIR").map(PathBuf::from),
        Some(root.join(
            "harness/.venv-litellm/lib/python3.11/site-packages/litellm_proxy_extras/migrations",
        )),
        Some(root.join(format!(
            "target/litellm-proxy-extras-{EXTRAS}/litellm_proxy_extras/migrations"
        ))),
    ];
    let Some(dir) = candidates.into_iter().flatten().find(|d| d.is_dir()) else {
        panic!(
            "LiteLLM's migrations are missing: set LITELLM_MIGRATIONS_DIR to the migrations/ \
             directory of litellm-proxy-extras {EXTRAS}, or run scripts/setup.sh, or by hand: \
             pip download litellm-proxy-extras=={EXTRAS} --no-deps -d /tmp/x && \
             unzip /tmp/x/*.whl -d /tmp/x (then LITELLM_MIGRATIONS_DIR=/tmp/x/litellm_proxy_extras/migrations)"
        )
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("migration.sql").is_file())
        .collect();
    // Prisma sorts the names as bytes.
    dirs.sort();
    assert!(
        dirs.len() >= 220,
        "{} migrations in {}",
        dirs.len(),
        dir.display()
    );
    dirs
}

/// Applies LiteLLM's migrations to the database at `url`, up to and including `last` (every
/// one when `None`), then the two spend-log indexes LiteLLM builds after them
/// (`request_log_indexes.py`).
fn migrate(url: &str, last: Option<&str>) {
    let mut client = Client::connect(url, NoTls).unwrap();
    let mut applied = 0;
    for dir in migrations() {
        let sql = std::fs::read_to_string(dir.join("migration.sql")).unwrap();
        // One simple query per file, as Prisma runs it; five files are a lone
        // CREATE INDEX CONCURRENTLY, which only runs outside a transaction block.
        client
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()));
        applied += 1;
        if last.is_some_and(|last| dir.ends_with(last)) {
            return;
        }
    }
    assert!(last.is_none(), "no migration {last:?} among {applied}");
    client
        .batch_execute(
            "CREATE INDEX IF NOT EXISTS \"LiteLLM_SpendLogs_api_key_startTime_idx\" \
             ON \"LiteLLM_SpendLogs\" (\"api_key\", \"startTime\"); \
             CREATE INDEX IF NOT EXISTS \"LiteLLM_SpendLogs_litellm_call_id_idx\" \
             ON \"LiteLLM_SpendLogs\" (\"litellm_call_id\")",
        )
        .unwrap();
}

/// The tables, columns (type, nullability, default) and indexes of corelane's tables.
fn shape(pg: &PgServer, db: &str) -> String {
    let columns = pg.psql(
        db,
        &format!(
            "SELECT string_agg(format('%s.%s %s %s %s', table_name, column_name, data_type, \
             is_nullable, column_default), E'\\n' ORDER BY table_name, ordinal_position) \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name IN ({TABLES})"
        ),
    );
    let indexes = pg.psql(
        db,
        &format!(
            "SELECT string_agg(indexdef, E'\\n' ORDER BY indexname) FROM pg_indexes \
             WHERE schemaname = 'public' AND tablename IN ({TABLES})"
        ),
    );
    format!("{columns}\n{indexes}")
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// A chat completion as corelane logs it.
fn log(request_id: &str, token: &str, start: &str) -> SpendLog {
    let start = at(start);
    SpendLog {
        request_id: request_id.to_owned(),
        call_type: "acompletion".to_owned(),
        api_key: token.to_owned(),
        spend: 0.25,
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        start_time: start,
        end_time: start + Duration::milliseconds(1500),
        completion_start_time: Some(start + Duration::milliseconds(300)),
        model: "gpt-4o-mini".to_owned(),
        model_id: "dep-1".to_owned(),
        model_group: "gpt-4o-mini".to_owned(),
        custom_llm_provider: "openai".to_owned(),
        api_base: "https://api.openai.com/v1".to_owned(),
        user: "u-1".to_owned(),
        team_id: Some("t-1".to_owned()),
        end_user: None,
        metadata: json!({"user_api_key": token, "status": "success"}),
        request_tags: json!([]),
        status: "success".to_owned(),
        request_duration_ms: Some(1500),
        litellm_call_id: format!("call-{request_id}"),
    }
}

/// A key, its user and its team, inserted as LiteLLM's Prisma client writes them (on a
/// database with every migration).
fn litellm_key(client: &mut Client, token: &str) {
    client
        .execute(
            "INSERT INTO \"LiteLLM_VerificationToken\" (token, key_name, key_alias, spend, \
             total_spend, models, aliases, config, user_id, team_id, permissions, \
             max_parallel_requests, metadata, tpm_limit, rpm_limit, max_budget, \
             budget_duration, budget_reset_at, allowed_cache_controls, allowed_routes, \
             model_spend, model_max_budget, created_by, updated_by, key_type, auto_rotate, \
             access_group_ids, created_at, updated_at) VALUES ($1, 'sk-...Ab9z', 'interop', \
             0.0, 0.0, '{}', '{}', '{}', 'u-1', 't-1', '{}', 3, '{\"tags\": [\"a\"]}', 1000, \
             10, 5.0, '30d', '2026-01-01 00:00:00', '{}', '{}', '{}', '{}', 'admin', 'admin', \
             'default', false, '{}', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')",
            &[&token],
        )
        .unwrap();
    client
        .batch_execute(
            "INSERT INTO \"LiteLLM_UserTable\" (user_id, user_role, teams, models, metadata, \
             spend, created_at, updated_at) VALUES ('u-1', 'internal_user', '{t-1}', '{}', \
             '{}', 0.0, now(), now()); \
             INSERT INTO \"LiteLLM_TeamTable\" (team_id, team_alias, admins, members, \
             members_with_roles, models, metadata, spend, created_at, updated_at) VALUES \
             ('t-1', 'interop', '{}', '{u-1}', '[]', '{}', '{}', 0.0, now(), now())",
        )
        .unwrap();
}

#[test]
fn ensure_schema_builds_what_litellm_migrations_build_and_leaves_them_alone() {
    let pg = PgServer::start();
    let litellm = pg.create_database("litellm");
    migrate(&litellm, None);
    let migrated = shape(&pg, "litellm");
    for part in [
        "LiteLLM_SpendLogs.litellm_call_id text YES",
        "LiteLLM_VerificationToken.total_spend double precision NO 0.0",
        "\"LiteLLM_SpendLogs_api_key_startTime_idx\"",
        "\"LiteLLM_DailyTeamSpend_team_id_date_api_key_model_custom_ll_key\"",
    ] {
        assert!(migrated.contains(part), "{part} in {migrated}");
    }
    // 195 columns, 29 indexes and 6 primary keys (store/sql/postgres.sql).
    assert_eq!(migrated.lines().count(), 195 + 29 + 6, "{migrated}");
    let mut db = Postgres::connect(&litellm).unwrap();
    db.ensure_schema().unwrap();
    db.ensure_schema().unwrap();
    assert_eq!(
        shape(&pg, "litellm"),
        migrated,
        "ensure_schema changed LiteLLM's tables"
    );
    // The generated file, run on an empty database, makes the same tables and indexes.
    let ours = pg.create_database("corelane");
    Postgres::connect(&ours).unwrap().ensure_schema().unwrap();
    assert_eq!(shape(&pg, "corelane"), migrated);
}

#[test]
fn a_litellm_key_is_read_and_its_spend_written_as_litellm_writes_it() {
    let pg = PgServer::start();
    let url = pg.create_database("litellm");
    migrate(&url, None);
    let mut raw = Client::connect(&url, NoTls).unwrap();
    let token = keys::hash("sk-interop-0123456789abcdef");
    assert_eq!(token.len(), 64);
    litellm_key(&mut raw, &token);
    let mut db = Postgres::connect(&url).unwrap();
    db.ensure_schema().unwrap();

    let key = db.key(&token).unwrap().expect("LiteLLM's key");
    assert_eq!(key.key_name.as_deref(), Some("sk-...Ab9z"));
    assert_eq!(key.key_alias.as_deref(), Some("interop"));
    assert_eq!(
        (key.user_id.as_deref(), key.team_id.as_deref()),
        (Some("u-1"), Some("t-1"))
    );
    assert_eq!(key.models, Vec::<String>::new());
    assert_eq!(key.metadata, json!({"tags": ["a"]}));
    assert_eq!((key.tpm_limit, key.rpm_limit), (Some(1000), Some(10)));
    assert_eq!(
        (key.max_parallel_requests, key.max_budget),
        (Some(3), Some(5.0))
    );
    assert_eq!(key.budget_reset_at, Some(at("2026-01-01T00:00:00Z")));
    assert_eq!((key.blocked, key.expires), (None, None));
    assert!(key.created_at.is_some());
    assert_eq!(db.key_by_alias("interop").unwrap(), Some(key));

    // A daily row LiteLLM's bulk upsert wrote earlier that day: corelane's adds to it.
    raw.execute(
        "INSERT INTO \"LiteLLM_DailyUserSpend\" (id, user_id, date, api_key, model, \
         custom_llm_provider, mcp_namespaced_tool_name, endpoint, model_group, prompt_tokens, \
         completion_tokens, spend, api_requests, successful_requests, updated_at) VALUES \
         ('from-litellm', 'u-1', '2025-06-01', $1, 'gpt-4o-mini', 'openai', '', \
         '/chat/completions', 'gpt-4o-mini', 100, 50, 2.0, 1, 1, now() AT TIME ZONE 'UTC')",
        &[&token],
    )
    .unwrap();
    let batch = [
        log("chatcmpl-1", &token, "2025-06-01T10:00:00.000Z"),
        log("chatcmpl-2", &token, "2025-06-01T10:00:01.500Z"),
    ];
    let written = db.write_spend(&batch).unwrap();
    assert_eq!((written.rows, written.spend), (2, 0.5));
    assert_eq!(db.write_spend(&batch).unwrap().rows, 0);

    // Every NOT NULL column of LiteLLM's table is filled, and so is every column corelane
    // knows a value for.
    let columns = raw
        .query(
            "SELECT column_name::text, is_nullable::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = 'LiteLLM_SpendLogs'",
            &[],
        )
        .unwrap();
    let filled = [
        "team_id",
        "completionStartTime",
        "model_id",
        "model_group",
        "custom_llm_provider",
        "api_base",
        "user",
        "metadata",
        "request_tags",
        "status",
        "request_duration_ms",
        "litellm_call_id",
    ];
    for row in &columns {
        let (name, nullable): (String, String) = (row.get(0), row.get(1));
        if nullable == "NO" || filled.contains(&name.as_str()) {
            let sql =
                format!("SELECT count(*) FROM \"LiteLLM_SpendLogs\" WHERE \"{name}\" IS NULL");
            let nulls: i64 = raw.query_one(&sql, &[]).unwrap().get(0);
            assert_eq!(nulls, 0, "LiteLLM_SpendLogs.{name} is NULL");
        }
    }
    let row = raw
        .query_one(
            "SELECT pg_typeof(\"startTime\")::text, \"startTime\"::text, \"endTime\"::text, \
             pg_typeof(spend)::text, spend, total_tokens, pg_typeof(total_tokens)::text, \
             jsonb_typeof(metadata), jsonb_typeof(request_tags), api_key, \"user\", team_id, \
             status, request_duration_ms, litellm_call_id, created_at IS NOT NULL \
             FROM \"LiteLLM_SpendLogs\" WHERE request_id = 'chatcmpl-2'",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "timestamp without time zone");
    // UTC, to the millisecond.
    assert_eq!(row.get::<_, &str>(1), "2025-06-01 10:00:01.5");
    assert_eq!(row.get::<_, &str>(2), "2025-06-01 10:00:03");
    assert_eq!(row.get::<_, &str>(3), "double precision");
    assert_eq!((row.get::<_, f64>(4), row.get::<_, i32>(5)), (0.25, 15));
    assert_eq!(row.get::<_, &str>(6), "integer");
    assert_eq!(
        (row.get::<_, &str>(7), row.get::<_, &str>(8)),
        ("object", "array")
    );
    assert_eq!(row.get::<_, &str>(9), token);
    assert_eq!(
        (row.get::<_, &str>(10), row.get::<_, &str>(11)),
        ("u-1", "t-1")
    );
    assert_eq!(row.get::<_, &str>(12), "success");
    assert_eq!(row.get::<_, i32>(13), 1500);
    assert_eq!(row.get::<_, &str>(14), "call-chatcmpl-2");
    assert!(row.get::<_, bool>(15));

    // The key, its user and team, as LiteLLM's spend flush leaves them.
    let key = raw
        .query_one(
            "SELECT spend, total_spend, last_active IS NOT NULL FROM \"LiteLLM_VerificationToken\" \
             WHERE token = $1",
            &[&token],
        )
        .unwrap();
    assert_eq!(
        (key.get::<_, f64>(0), key.get::<_, f64>(1), key.get(2)),
        (0.5, 0.5, true)
    );
    let user: f64 = raw
        .query_one(
            "SELECT spend FROM \"LiteLLM_UserTable\" WHERE user_id = 'u-1'",
            &[],
        )
        .unwrap()
        .get(0);
    let team: f64 = raw
        .query_one(
            "SELECT spend FROM \"LiteLLM_TeamTable\" WHERE team_id = 't-1'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!((user, team), (0.5, 0.5));

    // One daily row per table: LiteLLM's user row with corelane's requests added.
    let daily = "SELECT id, prompt_tokens, completion_tokens, spend, api_requests, \
                 successful_requests, failed_requests, total_response_time_ms, timed_requests, \
                 mcp_namespaced_tool_name, endpoint, updated_at IS NOT NULL FROM";
    let users = raw
        .query(&format!("{daily} \"LiteLLM_DailyUserSpend\""), &[])
        .unwrap();
    assert_eq!(users.len(), 1);
    let u = &users[0];
    assert_eq!(u.get::<_, &str>(0), "from-litellm");
    assert_eq!(
        (u.get::<_, i64>(1), u.get::<_, i64>(2), u.get::<_, f64>(3)),
        (120, 60, 2.5)
    );
    assert_eq!(
        (u.get::<_, i64>(4), u.get::<_, i64>(5), u.get::<_, i64>(6)),
        (3, 3, 0)
    );
    assert_eq!((u.get::<_, i64>(7), u.get::<_, i64>(8)), (3000, 2));
    let teams = raw
        .query(&format!("{daily} \"LiteLLM_DailyTeamSpend\""), &[])
        .unwrap();
    assert_eq!(teams.len(), 1);
    let t = &teams[0];
    assert_eq!(t.get::<_, &str>(0).len(), 36, "a uuid4");
    assert_eq!((t.get::<_, i64>(4), t.get::<_, f64>(3)), (2, 0.5));
    assert_eq!(
        (t.get::<_, &str>(9), t.get::<_, &str>(10)),
        ("", "/chat/completions")
    );
    assert!(t.get::<_, bool>(11));

    // Read back through the trait, by LiteLLM's call id too.
    let by_call = db
        .spend_logs(&SpendLogQuery {
            request_id: Some("call-chatcmpl-1".to_owned()),
            limit: 10,
            ..SpendLogQuery::default()
        })
        .unwrap();
    assert_eq!(by_call, vec![batch[0].clone()]);
}

#[test]
fn a_database_from_an_older_litellm_gets_the_columns_it_has() {
    let pg = PgServer::start();
    let url = pg.create_database("old");
    migrate(&url, Some(OLD_LITELLM));
    let absent = pg.psql(
        "old",
        &format!(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name IN ({TABLES}) AND column_name IN ('status', 'litellm_call_id', \
             'request_duration_ms', 'total_spend', 'last_active', 'api_requests', 'endpoint')"
        ),
    );
    assert_eq!(absent, "0", "the old schema has none of the newer columns");
    let mut raw = Client::connect(&url, NoTls).unwrap();
    let token = keys::hash("sk-old-litellm-0123456789");
    raw.execute(
        "INSERT INTO \"LiteLLM_VerificationToken\" (token, key_name, models, user_id, team_id, \
         metadata) VALUES ($1, 'sk-...6789', '{}', 'u-1', 't-1', '{}')",
        &[&token],
    )
    .unwrap();
    let mut db = Postgres::connect(&url).unwrap();
    db.ensure_schema().unwrap();
    // Only the missing table is created; the old ones keep their columns.
    assert_eq!(
        pg.psql(
            "old",
            "SELECT to_regclass('\"LiteLLM_DailyTeamSpend\"') IS NOT NULL"
        ),
        "t"
    );
    assert_eq!(
        pg.psql("old", &absent_query("LiteLLM_SpendLogs", "status")),
        "0"
    );

    let batch = [
        log("chatcmpl-1", &token, "2025-06-01T10:00:00.000Z"),
        log("chatcmpl-2", &token, "2025-06-01T11:00:00.000Z"),
    ];
    assert_eq!(db.write_spend(&batch).unwrap().rows, 2);
    assert_eq!(db.write_spend(&batch).unwrap().rows, 0);
    assert_eq!(db.key(&token).unwrap().unwrap().spend, 0.5);
    let read = db
        .spend_logs(&SpendLogQuery {
            limit: 10,
            ..SpendLogQuery::default()
        })
        .unwrap();
    // What the old table cannot hold reads as empty.
    let stored = |log: &SpendLog| SpendLog {
        status: String::new(),
        request_duration_ms: None,
        litellm_call_id: String::new(),
        ..log.clone()
    };
    assert_eq!(read, vec![stored(&batch[1]), stored(&batch[0])]);
    let by_id = db
        .spend_logs(&SpendLogQuery {
            request_id: Some("chatcmpl-1".to_owned()),
            limit: 10,
            ..SpendLogQuery::default()
        })
        .unwrap();
    assert_eq!(by_id.len(), 1);
    // The old daily table, upserted on its five-column key.
    assert_eq!(
        pg.psql(
            "old",
            "SELECT user_id || ' ' || date || ' ' || prompt_tokens || ' ' || spend \
             FROM \"LiteLLM_DailyUserSpend\""
        ),
        "u-1 2025-06-01 20 0.5"
    );
    assert_eq!(
        pg.psql(
            "old",
            "SELECT team_id || ' ' || api_requests FROM \"LiteLLM_DailyTeamSpend\""
        ),
        "t-1 2"
    );
}

fn absent_query(table: &str, column: &str) -> String {
    format!(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name = '{table}' AND column_name = '{column}'"
    )
}
