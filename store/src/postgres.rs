//! LiteLLM's Postgres schema (being written).
