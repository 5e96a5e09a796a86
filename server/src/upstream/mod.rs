//! Upstream side: origins, connections (plain and TLS), name resolution and the per-core pool.

pub mod conn;
pub mod dns;
pub mod origin;
pub mod pool;
pub mod tls;
