-- corelane's embedded store: LiteLLM 1.108.7's key and spend tables (docs/litellm-keys.md,
-- section 1) by their Postgres names, in SQLite types. Run whole at every start by
-- `Sqlite::ensure_schema`, so every statement is `IF NOT EXISTS` and nothing is dropped or
-- altered.
--
-- Types: TEXT and REAL as in Postgres; INTEGER for INTEGER, BIGINT and BOOLEAN (0/1);
-- JSONB and TEXT[] as TEXT holding JSON (TEXT[] as a JSON array of strings); TIMESTAMP(3)
-- as TEXT `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC), so comparing the text orders the times.

CREATE TABLE IF NOT EXISTS "LiteLLM_VerificationToken" (
    token TEXT NOT NULL PRIMARY KEY,
    key_name TEXT,
    key_alias TEXT,
    soft_budget_cooldown INTEGER NOT NULL DEFAULT 0,
    spend REAL NOT NULL DEFAULT 0.0,
    total_spend REAL NOT NULL DEFAULT 0.0,
    expires TEXT,
    models TEXT DEFAULT '[]',
    aliases TEXT NOT NULL DEFAULT '{}',
    config TEXT NOT NULL DEFAULT '{}',
    router_settings TEXT DEFAULT '{}',
    user_id TEXT,
    team_id TEXT,
    agent_id TEXT,
    project_id TEXT,
    permissions TEXT NOT NULL DEFAULT '{}',
    max_parallel_requests INTEGER,
    metadata TEXT NOT NULL DEFAULT '{}',
    blocked INTEGER,
    tpm_limit INTEGER,
    rpm_limit INTEGER,
    tpd_limit INTEGER,
    max_budget REAL,
    budget_duration TEXT,
    budget_reset_at TEXT,
    allowed_cache_controls TEXT DEFAULT '[]',
    allowed_routes TEXT DEFAULT '[]',
    key_type TEXT,
    policies TEXT DEFAULT '[]',
    access_group_ids TEXT DEFAULT '[]',
    model_spend TEXT NOT NULL DEFAULT '{}',
    model_max_budget TEXT NOT NULL DEFAULT '{}',
    budget_fallbacks TEXT NOT NULL DEFAULT '{}',
    budget_id TEXT,
    organization_id TEXT,
    object_permission_id TEXT,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    created_by TEXT,
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_by TEXT,
    settings_updated_at TEXT,
    last_active TEXT,
    rotation_count INTEGER DEFAULT 0,
    auto_rotate INTEGER DEFAULT 0,
    rotation_interval TEXT,
    last_rotation_at TEXT,
    key_rotation_at TEXT,
    budget_limits TEXT
);
CREATE INDEX IF NOT EXISTS "LiteLLM_VerificationToken_user_id_team_id_idx"
    ON "LiteLLM_VerificationToken" (user_id, team_id);
CREATE INDEX IF NOT EXISTS "LiteLLM_VerificationToken_team_id_idx"
    ON "LiteLLM_VerificationToken" (team_id);
CREATE INDEX IF NOT EXISTS "LiteLLM_VerificationToken_budget_reset_at_expires_idx"
    ON "LiteLLM_VerificationToken" (budget_reset_at, expires);

CREATE TABLE IF NOT EXISTS "LiteLLM_UserTable" (
    user_id TEXT NOT NULL PRIMARY KEY,
    user_alias TEXT,
    team_id TEXT,
    sso_user_id TEXT,
    organization_id TEXT,
    object_permission_id TEXT,
    password TEXT,
    password_reset_required INTEGER,
    last_breach_check_at TEXT,
    teams TEXT NOT NULL DEFAULT '[]',
    user_role TEXT,
    max_budget REAL,
    spend REAL NOT NULL DEFAULT 0.0,
    user_email TEXT,
    models TEXT DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    max_parallel_requests INTEGER,
    tpm_limit INTEGER,
    rpm_limit INTEGER,
    budget_duration TEXT,
    budget_reset_at TEXT,
    allowed_cache_controls TEXT NOT NULL DEFAULT '[]',
    policies TEXT NOT NULL DEFAULT '[]',
    model_spend TEXT NOT NULL DEFAULT '{}',
    model_max_budget TEXT NOT NULL DEFAULT '{}',
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX IF NOT EXISTS "LiteLLM_UserTable_sso_user_id_key"
    ON "LiteLLM_UserTable" (sso_user_id);
CREATE INDEX IF NOT EXISTS "LiteLLM_UserTable_user_email_lower_idx"
    ON "LiteLLM_UserTable" (lower(user_email));

CREATE TABLE IF NOT EXISTS "LiteLLM_TeamTable" (
    team_id TEXT NOT NULL PRIMARY KEY,
    team_alias TEXT,
    organization_id TEXT,
    object_permission_id TEXT,
    admins TEXT NOT NULL DEFAULT '[]',
    members TEXT NOT NULL DEFAULT '[]',
    -- '{}' although it holds an array: LiteLLM's default, kept.
    members_with_roles TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}',
    max_budget REAL,
    soft_budget REAL,
    spend REAL NOT NULL DEFAULT 0.0,
    models TEXT DEFAULT '[]',
    max_parallel_requests INTEGER,
    tpm_limit INTEGER,
    rpm_limit INTEGER,
    tpd_limit INTEGER,
    budget_duration TEXT,
    budget_reset_at TEXT,
    blocked INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    model_spend TEXT NOT NULL DEFAULT '{}',
    model_max_budget TEXT NOT NULL DEFAULT '{}',
    router_settings TEXT DEFAULT '{}',
    team_member_permissions TEXT NOT NULL DEFAULT '[]',
    access_group_ids TEXT NOT NULL DEFAULT '[]',
    policies TEXT NOT NULL DEFAULT '[]',
    default_team_member_models TEXT NOT NULL DEFAULT '[]',
    budget_limits TEXT,
    model_id INTEGER,
    allow_team_guardrail_config INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS "LiteLLM_TeamTable_model_id_key"
    ON "LiteLLM_TeamTable" (model_id);
CREATE INDEX IF NOT EXISTS "LiteLLM_TeamTable_organization_id_idx"
    ON "LiteLLM_TeamTable" (organization_id);
CREATE INDEX IF NOT EXISTS "LiteLLM_TeamTable_team_alias_idx"
    ON "LiteLLM_TeamTable" (team_alias);
CREATE INDEX IF NOT EXISTS "LiteLLM_TeamTable_created_at_idx"
    ON "LiteLLM_TeamTable" (created_at);

CREATE TABLE IF NOT EXISTS "LiteLLM_SpendLogs" (
    request_id TEXT NOT NULL PRIMARY KEY,
    call_type TEXT NOT NULL,
    api_key TEXT NOT NULL DEFAULT '',
    spend REAL NOT NULL DEFAULT 0.0,
    total_tokens INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    "startTime" TEXT NOT NULL,
    "endTime" TEXT NOT NULL,
    request_duration_ms INTEGER,
    "completionStartTime" TEXT,
    model TEXT NOT NULL DEFAULT '',
    model_id TEXT DEFAULT '',
    model_group TEXT DEFAULT '',
    custom_llm_provider TEXT DEFAULT '',
    api_base TEXT DEFAULT '',
    "user" TEXT DEFAULT '',
    metadata TEXT DEFAULT '{}',
    cache_hit TEXT DEFAULT '',
    cache_key TEXT DEFAULT '',
    request_tags TEXT DEFAULT '[]',
    team_id TEXT,
    organization_id TEXT,
    end_user TEXT,
    requester_ip_address TEXT,
    messages TEXT DEFAULT '{}',
    response TEXT DEFAULT '{}',
    session_id TEXT,
    status TEXT,
    mcp_namespaced_tool_name TEXT,
    billing_agent_id TEXT,
    agent_id TEXT,
    proxy_server_request TEXT DEFAULT '{}',
    litellm_call_id TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- Every index costs each request's row an insert into its tree, and a random key (a uuid) a
-- random page: of LiteLLM's, only those the embedded store's reads use (by time, by key).
-- corelane never writes end_user or session_id; (startTime, request_id) adds nothing to
-- startTime's for its reads; litellm_call_id is request_id in every row corelane writes, so
-- its index holds only the rows where they differ (none of corelane's: no cost to insert).
CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_startTime_idx"
    ON "LiteLLM_SpendLogs" ("startTime");
CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_litellm_call_id_idx"
    ON "LiteLLM_SpendLogs" (litellm_call_id) WHERE litellm_call_id <> request_id;
CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_api_key_startTime_idx"
    ON "LiteLLM_SpendLogs" (api_key, "startTime");

-- The daily tables' `id` is a uuid4 in LiteLLM (made by the app); here by the default.
-- Every part of the unique key is written as '' rather than NULL, as LiteLLM does, since
-- NULLs never conflict.
CREATE TABLE IF NOT EXISTS "LiteLLM_DailyUserSpend" (
    id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    user_id TEXT,
    date TEXT NOT NULL,
    api_key TEXT NOT NULL,
    model TEXT,
    model_group TEXT,
    custom_llm_provider TEXT,
    mcp_namespaced_tool_name TEXT,
    endpoint TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
    compression_saved_tokens INTEGER NOT NULL DEFAULT 0,
    compression_savings_spend REAL NOT NULL DEFAULT 0.0,
    prompt_caching_savings_spend REAL NOT NULL DEFAULT 0.0,
    gateway_injected_caching_savings_spend REAL NOT NULL DEFAULT 0.0,
    autorouter_savings_spend REAL NOT NULL DEFAULT 0.0,
    spend REAL NOT NULL DEFAULT 0.0,
    api_requests INTEGER NOT NULL DEFAULT 0,
    successful_requests INTEGER NOT NULL DEFAULT 0,
    failed_requests INTEGER NOT NULL DEFAULT 0,
    total_response_time_ms INTEGER NOT NULL DEFAULT 0,
    timed_requests INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS "LiteLLM_DailyUserSpend_user_id_date_api_key_model_custom_ll_key"
    ON "LiteLLM_DailyUserSpend"
    (user_id, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint);
CREATE INDEX IF NOT EXISTS "LiteLLM_DailyUserSpend_date_idx" ON "LiteLLM_DailyUserSpend" (date);
CREATE INDEX IF NOT EXISTS "LiteLLM_DailyUserSpend_user_id_date_idx"
    ON "LiteLLM_DailyUserSpend" (user_id, date);
CREATE INDEX IF NOT EXISTS "LiteLLM_DailyUserSpend_api_key_idx"
    ON "LiteLLM_DailyUserSpend" (api_key);
CREATE INDEX IF NOT EXISTS "LiteLLM_DailyUserSpend_model_idx" ON "LiteLLM_DailyUserSpend" (model);

CREATE TABLE IF NOT EXISTS "LiteLLM_DailyTeamSpend" (
    id TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    team_id TEXT,
    date TEXT NOT NULL,
    api_key TEXT NOT NULL,
    model TEXT,
    model_group TEXT,
    custom_llm_provider TEXT,
    mcp_namespaced_tool_name TEXT,
    endpoint TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
    compression_saved_tokens INTEGER NOT NULL DEFAULT 0,
    compression_savings_spend REAL NOT NULL DEFAULT 0.0,
    prompt_caching_savings_spend REAL NOT NULL DEFAULT 0.0,
    gateway_injected_caching_savings_spend REAL NOT NULL DEFAULT 0.0,
    autorouter_savings_spend REAL NOT NULL DEFAULT 0.0,
    ptu_flat_cost REAL NOT NULL DEFAULT 0.0,
    spend REAL NOT NULL DEFAULT 0.0,
    api_requests INTEGER NOT NULL DEFAULT 0,
    successful_requests INTEGER NOT NULL DEFAULT 0,
    failed_requests INTEGER NOT NULL DEFAULT 0,
    total_response_time_ms INTEGER NOT NULL DEFAULT 0,
    timed_requests INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS "LiteLLM_DailyTeamSpend_team_id_date_api_key_model_custom_ll_key"
    ON "LiteLLM_DailyTeamSpend"
    (team_id, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint);
CREATE INDEX IF NOT EXISTS "LiteLLM_DailyTeamSpend_date_idx" ON "LiteLLM_DailyTeamSpend" (date);
CREATE INDEX IF NOT EXISTS "LiteLLM_DailyTeamSpend_team_id_date_idx"
    ON "LiteLLM_DailyTeamSpend" (team_id, date);
CREATE INDEX IF NOT EXISTS "LiteLLM_DailyTeamSpend_api_key_idx"
    ON "LiteLLM_DailyTeamSpend" (api_key);
CREATE INDEX IF NOT EXISTS "LiteLLM_DailyTeamSpend_model_idx" ON "LiteLLM_DailyTeamSpend" (model);
