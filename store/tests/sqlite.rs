//! The embedded store: the conformance cases in memory and on a file, and what only a file
//! does (reopening, two connections, the lock timeout, the text a column holds).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use conformance::{at, key, log, Daily, DailyRow, Subject};
use corelane_store::backend::{Backend, StoreError};
use corelane_store::model::SpendLog;
use corelane_store::sqlite::Sqlite;

impl Subject for Sqlite {
    fn daily(&mut self, table: Daily) -> Vec<DailyRow> {
        let (name, entity) = match table {
            Daily::User => ("LiteLLM_DailyUserSpend", "user_id"),
            Daily::Team => ("LiteLLM_DailyTeamSpend", "team_id"),
        };
        let sql = format!(
            "SELECT {entity}, date, api_key, model, model_group, custom_llm_provider, \
             mcp_namespaced_tool_name, endpoint, prompt_tokens, completion_tokens, spend, \
             api_requests, successful_requests, failed_requests FROM \"{name}\""
        );
        let mut select = self.connection().prepare(&sql).unwrap();
        let rows = select
            .query_map([], |row| {
                Ok(DailyRow {
                    entity: row.get(0)?,
                    date: row.get(1)?,
                    api_key: row.get(2)?,
                    model: row.get(3)?,
                    model_group: row.get(4)?,
                    custom_llm_provider: row.get(5)?,
                    mcp_namespaced_tool_name: row.get(6)?,
                    endpoint: row.get(7)?,
                    prompt_tokens: row.get(8)?,
                    completion_tokens: row.get(9)?,
                    spend: row.get(10)?,
                    api_requests: row.get(11)?,
                    successful_requests: row.get(12)?,
                    failed_requests: row.get(13)?,
                })
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    fn text(&mut self, sql: &str) -> Option<String> {
        self.connection()
            .query_row(sql, [], |row| row.get(0))
            .unwrap()
    }
}

/// A directory of one test's own, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static UNIQUE: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "corelane-store-{tag}-{}-{}",
            std::process::id(),
            UNIQUE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn opened(path: &Path) -> Sqlite {
    let mut db = Sqlite::open(path).unwrap();
    db.ensure_schema().unwrap();
    db
}

/// One column of one row, as the text SQLite holds.
fn raw(db: &Sqlite, sql: &str) -> String {
    db.connection()
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

#[test]
fn conformance_in_memory() {
    conformance::run_all(&mut || Box::new(Sqlite::open_in_memory().unwrap()));
}

#[test]
fn conformance_on_a_file() {
    let dir = TempDir::new("conformance");
    let mut n = 0;
    conformance::run_all(&mut || {
        n += 1;
        Box::new(Sqlite::open(&dir.0.join(format!("case-{n}.db"))).unwrap())
    });
}

#[test]
fn a_file_is_in_wal_mode() {
    let dir = TempDir::new("wal");
    let db = opened(&dir.0.join("store.db"));
    assert_eq!(raw(&db, "PRAGMA journal_mode"), "wal");
}

#[test]
fn reopening_a_file_keeps_its_rows() {
    let dir = TempDir::new("reopen");
    let path = dir.0.join("store.db");
    {
        let mut db = opened(&path);
        db.insert_key(&conformance::full_key("k1")).unwrap();
        db.write_spend(&[log("r1", "k1", "u1", None, "2025-06-01T10:00:00.000Z")])
            .unwrap();
    }
    let mut db = opened(&path);
    let stored = db.key("k1").unwrap().unwrap();
    assert_eq!(stored.key_alias.as_deref(), Some("ключ-🔑"));
    assert_eq!(stored.spend, 1.5);
    assert_eq!(
        db.global_spend(at("2025-01-01T00:00:00.000Z")).unwrap(),
        0.25
    );
    // The batch written again after the reopen still adds nothing.
    let again = db
        .write_spend(&[log("r1", "k1", "u1", None, "2025-06-01T10:00:00.000Z")])
        .unwrap();
    assert_eq!(again.rows, 0);
}

#[test]
fn two_connections_to_one_file_see_each_others_writes() {
    let dir = TempDir::new("two");
    let path = dir.0.join("store.db");
    let mut a = opened(&path);
    let mut b = opened(&path);
    a.insert_key(&key("k1")).unwrap();
    assert_eq!(b.key("k1").unwrap(), Some(key("k1")));
    b.write_spend(&[log("r1", "k1", "", None, "2025-06-01T10:00:00.000Z")])
        .unwrap();
    assert_eq!(a.key("k1").unwrap().unwrap().spend, 0.25);
    // Both write the same request: only the first adds its spend.
    let r2 = log("r2", "k1", "", None, "2025-06-01T10:00:01.000Z");
    assert_eq!(a.write_spend(std::slice::from_ref(&r2)).unwrap().rows, 1);
    assert_eq!(b.write_spend(std::slice::from_ref(&r2)).unwrap().rows, 0);
    assert_eq!(b.key("k1").unwrap().unwrap().spend, 0.5);
    assert_eq!(
        a.delete_keys(&["k1".to_owned()]).unwrap(),
        vec!["k1".to_owned()]
    );
    assert_eq!(b.key("k1").unwrap(), None);
}

#[test]
fn a_write_locked_past_the_timeout_is_unavailable() {
    let dir = TempDir::new("busy");
    let path = dir.0.join("store.db");
    let holder = opened(&path);
    let mut waiter = opened(&path);
    waiter
        .connection()
        .busy_timeout(Duration::from_millis(50))
        .unwrap();
    holder
        .connection()
        .execute_batch("BEGIN IMMEDIATE")
        .unwrap();
    let blocked = waiter.insert_key(&key("k1"));
    assert!(
        matches!(blocked, Err(StoreError::Unavailable(_))),
        "{blocked:?}"
    );
    let blocked = waiter.write_spend(&[log("r1", "k1", "", None, "2025-06-01T10:00:00.000Z")]);
    assert!(
        matches!(blocked, Err(StoreError::Unavailable(_))),
        "{blocked:?}"
    );
    // WAL: reads go on while the other connection holds the write lock.
    assert_eq!(waiter.key("k1").unwrap(), None);
    holder.connection().execute_batch("ROLLBACK").unwrap();
    waiter.insert_key(&key("k1")).unwrap();
}

#[test]
fn a_file_in_a_missing_directory_is_unavailable() {
    let dir = TempDir::new("missing");
    let opened = Sqlite::open(&dir.0.join("no-such-dir").join("store.db"));
    assert!(
        matches!(opened, Err(StoreError::Unavailable(_))),
        "{:?}",
        opened.err()
    );
}

#[test]
fn times_are_utc_text_with_milliseconds() {
    let mut db = Sqlite::open_in_memory().unwrap();
    db.ensure_schema().unwrap();
    let row = SpendLog {
        // Sub-millisecond digits are cut, as TIMESTAMP(3) keeps three.
        start_time: at("2026-12-01T15:53:26.123456Z"),
        ..log("r1", "k1", "", None, "2026-12-01T15:53:26.123Z")
    };
    db.write_spend(&[row]).unwrap();
    assert_eq!(
        raw(&db, "SELECT \"startTime\" FROM \"LiteLLM_SpendLogs\""),
        "2026-12-01T15:53:26.123Z"
    );
    assert_eq!(
        raw(&db, "SELECT \"endTime\" FROM \"LiteLLM_SpendLogs\""),
        "2026-12-01T15:53:27.623Z"
    );
    let read = db
        .spend_logs(&corelane_store::model::SpendLogQuery {
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(read[0].start_time, at("2026-12-01T15:53:26.123Z"));
    // A default the schema fills in has the same form.
    db.insert_key(&corelane_store::model::KeyRecord {
        created_at: None,
        updated_at: None,
        ..key("k1")
    })
    .unwrap();
    let created = raw(&db, "SELECT created_at FROM \"LiteLLM_VerificationToken\"");
    assert_eq!(created.len(), "2026-12-01T15:53:26.123Z".len(), "{created}");
    assert!(
        created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
    assert!(db.key("k1").unwrap().unwrap().created_at.is_some());
}

#[test]
fn arrays_and_json_are_json_text() {
    let mut db = Sqlite::open_in_memory().unwrap();
    db.ensure_schema().unwrap();
    db.insert_key(&conformance::full_key("k1")).unwrap();
    assert_eq!(
        raw(&db, "SELECT models FROM \"LiteLLM_VerificationToken\""),
        r#"["gpt-4o","claude-3-5-sonnet","模型"]"#
    );
    assert_eq!(
        raw(
            &db,
            "SELECT CAST(json_extract(metadata, '$.limits.soft') AS TEXT) FROM \"LiteLLM_VerificationToken\""
        ),
        "0.5"
    );
    // A NULL array (a row written by hand) reads as empty.
    db.connection()
        .execute("UPDATE \"LiteLLM_VerificationToken\" SET models = NULL", [])
        .unwrap();
    assert_eq!(db.key("k1").unwrap().unwrap().models, Vec::<String>::new());
}

#[test]
fn key_spend_also_adds_to_total_spend_and_last_active() {
    let mut db = Sqlite::open_in_memory().unwrap();
    db.ensure_schema().unwrap();
    db.insert_key(&key("k1")).unwrap();
    db.write_spend(&[
        log("r1", "k1", "", None, "2025-06-01T10:00:00.000Z"),
        log("r2", "k1", "", None, "2025-06-01T10:00:01.000Z"),
    ])
    .unwrap();
    db.set_key_spend("k1", 0.0).unwrap();
    db.write_spend(&[log("r3", "k1", "", None, "2025-06-01T10:00:02.000Z")])
        .unwrap();
    let (spend, total, last_active): (f64, f64, Option<String>) = db
        .connection()
        .query_row(
            "SELECT spend, total_spend, last_active FROM \"LiteLLM_VerificationToken\"",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!((spend, total), (0.25, 0.75));
    assert!(last_active.is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn daily_rows_have_uuid_ids_and_time_successes() {
    let mut db = Sqlite::open_in_memory().unwrap();
    db.ensure_schema().unwrap();
    let failed = SpendLog {
        status: "failure".to_owned(),
        ..log("r3", "k1", "u1", None, "2025-06-01T10:00:02.000Z")
    };
    let untimed = SpendLog {
        request_duration_ms: None,
        ..log("r4", "k1", "u1", None, "2025-06-01T10:00:03.000Z")
    };
    db.write_spend(&[
        log("r1", "k1", "u1", None, "2025-06-01T10:00:00.000Z"),
        log("r2", "k1", "u1", None, "2025-06-01T10:00:01.000Z"),
        failed,
        untimed,
    ])
    .unwrap();
    let id = raw(&db, "SELECT id FROM \"LiteLLM_DailyUserSpend\"");
    let parts: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(parts, [8, 4, 4, 4, 12], "{id}");
    assert_eq!(&id[14..15], "4", "{id}");
    assert!("89ab".contains(&id[19..20]), "{id}");
    // LiteLLM times successful requests that carry a duration only.
    assert_eq!(
        raw(&db, "SELECT total_response_time_ms || '/' || timed_requests FROM \"LiteLLM_DailyUserSpend\""),
        "3000/2"
    );
}

#[test]
fn duplicate_errors_name_the_column() {
    let mut db = Sqlite::open_in_memory().unwrap();
    db.ensure_schema().unwrap();
    db.insert_key(&key("k1")).unwrap();
    let Err(StoreError::Duplicate(what)) = db.insert_key(&key("k1")) else {
        panic!("not a duplicate");
    };
    assert_eq!(what, "LiteLLM_VerificationToken.token");
}
