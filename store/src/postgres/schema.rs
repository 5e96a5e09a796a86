//! Creating LiteLLM's tables where they are missing, and reading which columns the tables
//! of this database have (an older LiteLLM's lack the newer ones).

use std::collections::{HashMap, HashSet};

use postgres::error::SqlState;
use postgres::Client;

use super::{DAILY_TEAM, DAILY_USER, KEYS, SPEND_LOGS, TEAMS, USERS};

/// LiteLLM's tables as its migrations leave them (`scripts/litellm-schema.sh`).
const SCHEMA: &str = include_str!("../../sql/postgres.sql");
/// The advisory lock instances hold while they create missing tables ("corelane" in ASCII),
/// so two starting at once do not race.
const SCHEMA_LOCK: i64 = 0x636f_7265_6c61_6e65;

/// Creates each table of [`SCHEMA`] that is missing, with its indexes, in one transaction
/// under [`SCHEMA_LOCK`]. A table that exists is left as it is, indexes included: on a
/// database LiteLLM migrated its migrations own them, and a plain `CREATE INDEX` on a large
/// `LiteLLM_SpendLogs` would block LiteLLM's writes while it builds.
pub(super) fn create_missing(client: &mut Client) -> Result<(), postgres::Error> {
    let tables = tables(SCHEMA);
    // LiteLLM's migrations do not take the lock: a table they create at the same moment is
    // a duplicate-object error, and a second pass finds it there.
    match create(client, &tables) {
        Err(e) if is_duplicate_object(&e) => create(client, &tables),
        done => done,
    }
}

fn create(client: &mut Client, tables: &[(String, Vec<String>)]) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    for (table, statements) in tables {
        let name = format!("\"{table}\"");
        let exists: bool = tx
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])?
            .try_get(0)?;
        if !exists {
            for statement in statements {
                tx.batch_execute(statement)?;
            }
        }
    }
    tx.commit()
}

/// A table or type created at the same moment by a session not under our lock.
fn is_duplicate_object(e: &postgres::Error) -> bool {
    let races = [
        SqlState::DUPLICATE_TABLE,
        SqlState::DUPLICATE_OBJECT,
        SqlState::UNIQUE_VIOLATION,
    ];
    e.code().is_some_and(|c| races.contains(c))
}

/// The statements of `sql` by table (its CREATE TABLE, then its indexes), in file order.
fn tables(sql: &str) -> Vec<(String, Vec<String>)> {
    let code: Vec<&str> = sql.lines().filter(|l| !l.starts_with("--")).collect();
    let mut tables: Vec<(String, Vec<String>)> = Vec::new();
    for statement in code.join("\n").split(';').map(str::trim) {
        let table = if let Some(rest) = statement.strip_prefix("CREATE TABLE IF NOT EXISTS ") {
            tables.push((first_name(rest).to_owned(), Vec::new()));
            first_name(rest)
        } else if let Some((_, rest)) = statement.split_once(" ON ") {
            first_name(rest)
        } else {
            continue;
        };
        if let Some((_, statements)) = tables.iter_mut().find(|(t, _)| t == table) {
            statements.push(statement.to_owned());
        }
    }
    tables
}

/// The identifier `text` starts with, without its double quotes.
fn first_name(text: &str) -> &str {
    text.split([' ', '('])
        .next()
        .unwrap_or("")
        .trim_matches('"')
}

/// The columns of LiteLLM's tables in this database, by table.
#[derive(Debug, Default)]
pub(super) struct Columns(HashMap<String, HashSet<String>>);

impl Columns {
    pub(super) fn read(client: &mut Client) -> Result<Columns, postgres::Error> {
        let tables = [KEYS, USERS, TEAMS, SPEND_LOGS, DAILY_USER, DAILY_TEAM];
        let rows = client.query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name::text = ANY($1)",
            &[&&tables[..]],
        )?;
        let mut columns = Columns::default();
        for row in rows {
            let (table, column): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            columns.0.entry(table).or_default().insert(column);
        }
        Ok(columns)
    }

    pub(super) fn has(&self, table: &str, column: &str) -> bool {
        self.0.get(table).is_some_and(|c| c.contains(column))
    }

    /// `column` cast to `ty` where the table has it, else a NULL of that type.
    pub(super) fn or_null(&self, table: &str, column: &str, ty: &str) -> String {
        if self.has(table, column) {
            format!("{column}::{ty}")
        } else {
            format!("NULL::{ty}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_file_splits_into_litellm_tables_with_their_indexes() {
        let tables = tables(SCHEMA);
        let names: Vec<&str> = tables.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            names,
            [KEYS, USERS, TEAMS, SPEND_LOGS, DAILY_USER, DAILY_TEAM]
        );
        for (table, statements) in &tables {
            assert!(
                statements[0].starts_with("CREATE TABLE IF NOT EXISTS"),
                "{table}"
            );
            assert!(statements.len() > 1, "{table} has indexes");
            for s in &statements[1..] {
                assert!(s.contains(" INDEX IF NOT EXISTS "), "{s}");
                assert!(s.contains(&format!(" ON \"{table}\" ")), "{s}");
            }
        }
        let statements: usize = tables.iter().map(|(_, s)| s.len()).sum();
        let code: String = SCHEMA.lines().filter(|l| !l.starts_with("--")).collect();
        assert_eq!(statements, code.matches(';').count());
        // write_spend's upsert target.
        assert!(SCHEMA.contains(
            "UNIQUE INDEX IF NOT EXISTS \"LiteLLM_DailyUserSpend_user_id_date_api_key_model_custom_ll_key\" \
             ON \"LiteLLM_DailyUserSpend\" USING btree (user_id, date, api_key, model, \
             custom_llm_provider, mcp_namespaced_tool_name, endpoint)"
        ));
        assert!(!SCHEMA.contains("FOREIGN KEY"));
        assert!(!SCHEMA.to_uppercase().contains("DROP "));
    }
}
