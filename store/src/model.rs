//! The rows corelane reads and writes, by LiteLLM's column names (`docs/litellm-keys.md`,
//! section 1). Only the columns corelane uses are here; a backend leaves every other column
//! of LiteLLM's tables at its default on insert and untouched on update, so a database
//! LiteLLM shares keeps what LiteLLM put there.
//!
//! Times are UTC (LiteLLM's `TIMESTAMP(3)` columns hold UTC without a zone). JSON columns are
//! `serde_json::Value`s (objects unless said otherwise).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// A row of `LiteLLM_VerificationToken`: one virtual key, by the sha256 hex of its plaintext.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyRecord {
    /// sha256 hex of the whole `sk-...` key: the primary key.
    pub token: String,
    /// `sk-...` and the last four characters of the key.
    pub key_name: Option<String>,
    /// Unique across keys when set (checked by the caller, as LiteLLM checks it).
    pub key_alias: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    /// Models the key may call; empty means all.
    pub models: Vec<String>,
    /// Spend in the current budget window (LiteLLM's `spend`).
    pub spend: f64,
    pub max_budget: Option<f64>,
    pub expires: Option<DateTime<Utc>>,
    pub budget_duration: Option<String>,
    pub budget_reset_at: Option<DateTime<Utc>>,
    pub tpm_limit: Option<i64>,
    pub rpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i32>,
    pub metadata: Value,
    /// `NULL` (never set) is not blocked.
    pub blocked: Option<bool>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

/// A row of `LiteLLM_UserTable`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRecord {
    pub user_id: String,
    pub user_alias: Option<String>,
    pub user_email: Option<String>,
    pub user_role: Option<String>,
    /// Team ids the user belongs to.
    pub teams: Vec<String>,
    pub models: Vec<String>,
    pub spend: f64,
    pub max_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub budget_reset_at: Option<DateTime<Utc>>,
    pub tpm_limit: Option<i64>,
    pub rpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i32>,
    pub metadata: Value,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A row of `LiteLLM_TeamTable`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamRecord {
    pub team_id: String,
    pub team_alias: Option<String>,
    pub organization_id: Option<String>,
    pub admins: Vec<String>,
    pub members: Vec<String>,
    /// A JSON array of `{"user_id", "user_email", "role"}` objects.
    pub members_with_roles: Value,
    pub models: Vec<String>,
    pub spend: f64,
    pub max_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub budget_reset_at: Option<DateTime<Utc>>,
    pub tpm_limit: Option<i64>,
    pub rpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i32>,
    pub metadata: Value,
    pub blocked: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A row of `LiteLLM_SpendLogs`: one request, written once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpendLog {
    /// corelane's call id (unique per request): the primary key.
    pub request_id: String,
    /// LiteLLM's call type: `acompletion`, `aembedding`, `atext_completion`, `aresponses`,
    /// `anthropic_messages`, ...
    pub call_type: String,
    /// The key's `token` (sha256 hex), or `litellm_proxy_master_key`.
    pub api_key: String,
    pub spend: f64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    #[serde(rename = "startTime")]
    pub start_time: DateTime<Utc>,
    #[serde(rename = "endTime")]
    pub end_time: DateTime<Utc>,
    #[serde(rename = "completionStartTime")]
    pub completion_start_time: Option<DateTime<Utc>>,
    /// The provider's model that was called.
    pub model: String,
    /// The deployment's `model_info.id`.
    pub model_id: String,
    /// The model name the client asked for (the group).
    pub model_group: String,
    pub custom_llm_provider: String,
    pub api_base: String,
    /// The key's user id, or `""`.
    pub user: String,
    pub team_id: Option<String>,
    pub end_user: Option<String>,
    pub metadata: Value,
    /// A JSON array of strings.
    pub request_tags: Value,
    /// `success` or `failure`.
    pub status: String,
    pub request_duration_ms: Option<i64>,
    pub litellm_call_id: String,
}

impl SpendLog {
    /// The route LiteLLM's daily tables name the call by (`endpoint`).
    pub fn endpoint(&self) -> &'static str {
        match self.call_type.as_str() {
            "acompletion" | "completion" => "/chat/completions",
            "atext_completion" | "text_completion" => "/completions",
            "aembedding" | "embedding" => "/embeddings",
            "aresponses" | "responses" => "/responses",
            "anthropic_messages" => "/v1/messages",
            "arerank" | "rerank" => "/rerank",
            _ => "",
        }
    }
}

/// What one `write_spend` did. Only rows it inserted count: a row already there (a batch
/// written twice, after a lost acknowledgement) adds no spend again.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpendWritten {
    /// `LiteLLM_SpendLogs` rows inserted.
    pub rows: usize,
    /// The spend those rows added to keys, users and teams.
    pub spend: f64,
}

impl SpendWritten {
    pub fn of(inc: &crate::increments::SpendIncrements) -> SpendWritten {
        SpendWritten {
            rows: inc.requests,
            spend: inc.spend,
        }
    }
}

/// `/key/list`'s filters and page.
#[derive(Debug, Clone, Default)]
pub struct KeyQuery {
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub key_alias: Option<String>,
    /// 1-based.
    pub page: u64,
    pub size: u64,
}

/// `/spend/logs`' filters: all that are set must match.
#[derive(Debug, Clone, Default)]
pub struct SpendLogQuery {
    pub api_key: Option<String>,
    pub user_id: Option<String>,
    /// Matches `request_id` or `litellm_call_id`.
    pub request_id: Option<String>,
    /// `startTime` at or after.
    pub start: Option<DateTime<Utc>>,
    /// `startTime` before.
    pub end: Option<DateTime<Utc>>,
    /// Newest first, at most this many.
    pub limit: u64,
}

/// Which table a budget reset covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Key,
    User,
    Team,
}
