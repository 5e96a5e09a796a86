//! The Postgres backend on a throwaway server: the conformance cases (a database of their
//! own each), and what only a server does: instances creating the schema at once, and
//! reconnecting after the server restarts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;

use std::sync::{Arc, Barrier};
use std::time::Instant;

use conformance::{key, log, Daily, DailyRow, Subject};
use corelane_store::backend::{Backend, StoreError};
use corelane_store::postgres::Postgres;
use corelane_testkit::postgres::PgServer;

impl Subject for Postgres {
    fn daily(&mut self, table: Daily) -> Vec<DailyRow> {
        let (name, entity) = match table {
            Daily::User => ("LiteLLM_DailyUserSpend", "user_id"),
            Daily::Team => ("LiteLLM_DailyTeamSpend", "team_id"),
        };
        let sql = format!(
            "SELECT {entity}, date, api_key, model, model_group, custom_llm_provider, \
             mcp_namespaced_tool_name, endpoint, prompt_tokens::int8, completion_tokens::int8, \
             spend, api_requests::int8, successful_requests::int8, failed_requests::int8 \
             FROM \"{name}\""
        );
        let rows = self.client().unwrap().query(&sql, &[]).unwrap();
        rows.iter()
            .map(|row| DailyRow {
                entity: row.get(0),
                date: row.get(1),
                api_key: row.get(2),
                model: row.get(3),
                model_group: row.get(4),
                custom_llm_provider: row.get(5),
                mcp_namespaced_tool_name: row.get(6),
                endpoint: row.get(7),
                prompt_tokens: row.get(8),
                completion_tokens: row.get(9),
                spend: row.get(10),
                api_requests: row.get(11),
                successful_requests: row.get(12),
                failed_requests: row.get(13),
            })
            .collect()
    }

    fn text(&mut self, sql: &str) -> Option<String> {
        self.client().unwrap().query_one(sql, &[]).unwrap().get(0)
    }
}

/// A fresh database on `pg`, its schema created.
fn fresh(pg: &PgServer, name: &str) -> Postgres {
    let mut db = Postgres::connect(&pg.create_database(name)).unwrap();
    db.ensure_schema().unwrap();
    db
}

/// Each case in a schema of its own (Prisma's `?schema=`, the connection's `search_path`):
/// as empty as a new database, and made in a millisecond rather than 400.
#[test]
fn conformance() {
    let started = Instant::now();
    let pg = PgServer::start();
    eprintln!("postgres ready in {:?}", started.elapsed());
    let url = pg.create_database("conformance");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut n = 0;
    conformance::run_all(&mut || {
        n += 1;
        admin
            .batch_execute(&format!("CREATE SCHEMA case_{n}"))
            .unwrap();
        Box::new(Postgres::connect(&format!("{url}?schema=case_{n}")).unwrap())
    });
    // Nothing landed outside the cases' schemas.
    let public = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'";
    assert_eq!(pg.psql("conformance", public), "0");
}

#[test]
fn ensure_schema_creates_litellm_tables_once() {
    let pg = PgServer::start();
    let mut db = fresh(&pg, "schema");
    let tables = |pg: &PgServer| {
        pg.psql(
            "schema",
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables \
             WHERE table_schema = 'public'",
        )
    };
    assert_eq!(
        tables(&pg),
        "LiteLLM_DailyTeamSpend,LiteLLM_DailyUserSpend,LiteLLM_SpendLogs,LiteLLM_TeamTable,\
         LiteLLM_UserTable,LiteLLM_VerificationToken"
    );
    let indexes = "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'";
    let before = pg.psql("schema", indexes);
    db.ensure_schema().unwrap();
    db.ensure_schema().unwrap();
    assert_eq!(pg.psql("schema", indexes), before);
    // The daily upserts' conflict target is there.
    assert_eq!(
        pg.psql(
            "schema",
            "SELECT indexdef FROM pg_indexes WHERE indexname = \
             'LiteLLM_DailyTeamSpend_team_id_date_api_key_model_custom_ll_key'"
        ),
        "CREATE UNIQUE INDEX \"LiteLLM_DailyTeamSpend_team_id_date_api_key_model_custom_ll_key\" \
         ON public.\"LiteLLM_DailyTeamSpend\" USING btree (team_id, date, api_key, model, \
         custom_llm_provider, mcp_namespaced_tool_name, endpoint)"
    );
}

#[test]
fn instances_starting_at_once_create_the_schema_once() {
    let pg = PgServer::start();
    let url = pg.create_database("race");
    const INSTANCES: usize = 6;
    let barrier = Arc::new(Barrier::new(INSTANCES));
    let threads: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let (url, barrier) = (url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut db = Postgres::connect(&url).unwrap();
                barrier.wait();
                db.ensure_schema()
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap().unwrap();
    }
    let mut db = Postgres::connect(&url).unwrap();
    db.insert_key(&key("k1")).unwrap();
    assert_eq!(db.key("k1").unwrap(), Some(key("k1")));
}

#[test]
fn a_restarted_server_is_unavailable_then_reconnected() {
    let mut pg = PgServer::start();
    let mut db = fresh(&pg, "restart");
    db.insert_key(&key("k1")).unwrap();
    pg.stop();
    // The open connection broke, then no new one can be made: both are Unavailable.
    for _ in 0..2 {
        let read = db.key("k1");
        assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    }
    let batch = [log("r1", "k1", "", None, "2025-06-01T10:00:00.000Z")];
    let write = db.write_spend(&batch);
    assert!(
        matches!(write, Err(StoreError::Unavailable(_))),
        "{write:?}"
    );
    pg.start_again();
    // The batch kept while the server was down is written once it is back.
    assert_eq!(db.write_spend(&batch).unwrap().rows, 1);
    assert_eq!(db.key("k1").unwrap().unwrap().spend, 0.25);
}

#[test]
fn a_server_that_is_not_there_is_unavailable() {
    let mut pg = PgServer::start();
    let url = pg.create_database("gone");
    pg.stop();
    let connected = Postgres::connect(&url);
    assert!(
        matches!(connected, Err(StoreError::Unavailable(_))),
        "{:?}",
        connected.err()
    );
}

#[test]
fn a_unique_violation_is_duplicate_and_other_refusals_are_other() {
    let pg = PgServer::start();
    let mut db = fresh(&pg, "errors");
    db.insert_key(&key("k1")).unwrap();
    let Err(StoreError::Duplicate(what)) = db.insert_key(&key("k1")) else {
        panic!("not a duplicate");
    };
    // As SQLite names it.
    assert_eq!(what, "LiteLLM_VerificationToken.token");
    // A metadata value Postgres refuses (JSONB cannot hold NUL): not the server's absence.
    let refused = db.insert_key(&corelane_store::model::KeyRecord {
        metadata: serde_json::json!({"nul": "\u{0}"}),
        ..key("k2")
    });
    assert!(matches!(refused, Err(StoreError::Other(_))), "{refused:?}");
    // The connection is still good.
    assert_eq!(db.key("k1").unwrap(), Some(key("k1")));
}
