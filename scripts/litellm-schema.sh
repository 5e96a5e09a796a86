#!/usr/bin/env bash
# Regenerates store/sql/postgres.sql from LiteLLM's own published migrations: replays every
# migration of litellm-proxy-extras on a scratch Postgres, builds the two SpendLogs indexes
# LiteLLM builds after `prisma migrate deploy`, and writes the DDL of the tables corelane uses
# as create-if-missing statements (foreign keys left out, unique indexes kept).
#
# Migrations: $LITELLM_MIGRATIONS_DIR, else the harness venv's litellm_proxy_extras (see
# scripts/setup.sh, which downloads the package when neither is there).
# Postgres: the newest /usr/lib/postgresql/*/bin (or $PG_BIN); as root the scratch server runs
# as the `postgres` user. It listens on a Unix socket in a temp dir only and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

out=store/sql/postgres.sql
migrations=${LITELLM_MIGRATIONS_DIR:-harness/.venv-litellm/lib/python3.11/site-packages/litellm_proxy_extras/migrations}
# The tables corelane reads and writes (store/src/model.rs).
tables=(LiteLLM_VerificationToken LiteLLM_UserTable LiteLLM_TeamTable LiteLLM_SpendLogs
    LiteLLM_DailyUserSpend LiteLLM_DailyTeamSpend)

if [ ! -d "$migrations" ]; then
    echo "litellm-schema: no migrations at $migrations; run scripts/setup.sh or set LITELLM_MIGRATIONS_DIR" >&2
    exit 1
fi
migrations=$(cd "$migrations" && pwd)
# The wheel puts litellm_proxy_extras/ and its dist-info side by side.
version=$(sed -n 's/^Version: //p' "$migrations"/../../litellm_proxy_extras-*.dist-info/METADATA 2>/dev/null | head -n1)
version=${version:-unknown}

bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
if [ ! -x "$bin/initdb" ]; then
    echo "litellm-schema: no Postgres binaries (initdb) in '${bin}'; run scripts/setup.sh" >&2
    exit 1
fi

scratch=$(mktemp -d)
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop() {
    if [ -f "$scratch/data/postmaster.pid" ]; then
        as_pg "$bin/pg_ctl" -D "$scratch/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$scratch"
}
trap stop EXIT
if [ "$(id -u)" = 0 ]; then chown postgres: "$scratch"; fi

as_pg "$bin/initdb" -D "$scratch/data" -A trust -U postgres -E UTF8 --no-locale --no-sync >/dev/null
as_pg "$bin/pg_ctl" -D "$scratch/data" -l "$scratch/log" -w \
    -o "-c listen_addresses='' -k $scratch -c fsync=off" start >/dev/null
psql() {
    PGOPTIONS='-c client_min_messages=error' as_pg "$bin/psql" -h "$scratch" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 "$@"
}

# Each file alone, statement by statement in autocommit (as psql -f runs them): five files
# are a lone CREATE INDEX CONCURRENTLY, which refuses to run in a transaction block.
count=0
last=
while IFS= read -r -d '' dir; do
    psql -f "$dir/migration.sql" >/dev/null
    count=$((count + 1))
    last=$(basename "$dir")
done < <(find "$migrations" -mindepth 1 -maxdepth 1 -type d -print0 | LC_ALL=C sort -z)

# Built by litellm_proxy_extras/request_log_indexes.py after the migrations, not by one.
psql -c 'CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_api_key_startTime_idx" ON "LiteLLM_SpendLogs" ("api_key", "startTime")'
psql -c 'CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_litellm_call_id_idx" ON "LiteLLM_SpendLogs" ("litellm_call_id")'

list=$(printf "'%s'," "${tables[@]}")
list=${list%,}
ddl=$(psql -At <<SQL
SELECT format(E'CREATE TABLE IF NOT EXISTS %I (\n%s%s\n);\n', c.relname,
    (SELECT string_agg(format('    %I %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')),
            E',\n' ORDER BY a.attnum)
       FROM pg_attribute a
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
    COALESCE((SELECT string_agg(format(E',\n\n    CONSTRAINT %I %s', k.conname, pg_get_constraintdef(k.oid)),
                  '' ORDER BY k.contype DESC, k.conname)
       FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c')), ''))
    || COALESCE((SELECT string_agg(
            regexp_replace(regexp_replace(pg_get_indexdef(i.indexrelid),
                '^CREATE (UNIQUE )?INDEX ', 'CREATE \1INDEX IF NOT EXISTS '), ' ON public\.', ' ON ') || E';\n',
            '' ORDER BY ic.relname)
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = c.oid
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid)), '')
  FROM unnest(ARRAY[$list]) WITH ORDINALITY AS t(name, n)
  JOIN pg_class c ON c.relname = t.name AND c.relnamespace = 'public'::regnamespace
 ORDER BY t.n;
SQL
)
found=$(grep -c '^CREATE TABLE' <<<"$ddl" || true)
if [ "$found" != "${#tables[@]}" ]; then
    echo "litellm-schema: found $found of ${#tables[@]} tables after the migrations" >&2
    exit 1
fi

mkdir -p "$(dirname "$out")"
{
    cat <<EOF
-- LiteLLM's tables that corelane reads and writes, as LiteLLM's own migrations leave them.
-- Generated by scripts/litellm-schema.sh from litellm-proxy-extras $version
-- ($count migrations, the last $last); do not edit by hand.
--
-- Every statement only creates what is missing, so running this file on a database LiteLLM
-- already migrated changes nothing (and store/src/postgres.rs runs a table's statements only
-- when the table itself is missing). Foreign keys are left out (they would pull in LiteLLM's
-- budget, organization, project, permission and model tables, which corelane never writes),
-- but the unique indexes the daily-spend upserts target are kept. Column types are Prisma's:
-- TIMESTAMP(3) without a zone holding UTC, TEXT[], JSONB, DOUBLE PRECISION, INTEGER, BIGINT.
EOF
    printf '\n%s\n' "$ddl"
} >"$out"
echo "litellm-schema: wrote $out from litellm-proxy-extras $version ($count migrations)"
