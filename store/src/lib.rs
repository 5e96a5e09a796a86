//! Virtual keys, budgets and spend as LiteLLM 1.108.7 keeps them (issue 10): its key format
//! and hashing, its durations, and (to come) its tables in embedded SQLite or Postgres. Pure
//! so far: nothing here touches the network or a file. What LiteLLM does is written up in
//! `docs/litellm-keys.md`.
//!
//! - `keys`: generating a key, its stored hash (`token`) and display name (`key_name`).
//! - `duration`: `duration` / `budget_duration` strings (`30s`, `1h`, `30d`, `1mo`, `daily`).

#![forbid(unsafe_code)]

pub mod duration;
pub mod keys;
