//! Virtual keys, budgets and spend as LiteLLM 1.108.7 keeps them (issue 10): its key format
//! and hashing, its durations, and its tables in embedded SQLite or Postgres. What LiteLLM
//! does is written up in `docs/litellm-keys.md`.
//!
//! - `keys`: generating a key, its stored hash (`token`) and display name (`key_name`).
//! - `duration`: `duration` / `budget_duration` strings (`30s`, `1h`, `30d`, `1mo`, `daily`).
//! - `model`: the rows, by LiteLLM's column names.
//! - `increments`: what a batch of spend adds to rows, summed per row.
//! - `backend`: the operations a database answers; `sqlite` and `postgres` implement them.

#![forbid(unsafe_code)]

pub mod backend;
pub mod duration;
pub mod increments;
pub mod keys;
pub mod model;
pub mod postgres;
pub mod sqlite;
