//! The per-core upstream connection pool: keep-alive connections per origin, reused LIFO
//! (the most recently used connection is the one most likely still open), bounded and aged.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use monoio::net::TcpStream;
use monoio_rustls::TlsConnector;
use rustls::pki_types::ServerName;

use super::conn::UpstreamConn;
use super::dns::Resolver;
use super::origin::Origin;

/// Idle connections kept per origin on one core.
pub const MAX_IDLE_PER_ORIGIN: usize = 256;
/// An idle connection older than this is closed rather than reused (servers commonly close
/// idle keep-alive connections after 60 s or more; staying under it avoids racing them).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long resolved addresses are reused before asking the resolver again.
const DNS_TTL: Duration = Duration::from_secs(60);
/// Time allowed for TCP connect plus the TLS handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolved addresses per origin, with when they were resolved.
type AddrCache = HashMap<Arc<str>, (Vec<SocketAddr>, Instant)>;

struct Idle {
    conn: UpstreamConn,
    since: Instant,
}

/// One core's pool; never shared across cores, so interior mutability without locks.
pub struct UpstreamPool {
    /// Looked up twice per request; keys are the config's origins.
    idle: RefCell<FxHashMap<Arc<str>, Vec<Idle>>>,
    addrs: RefCell<AddrCache>,
    resolver: Resolver,
    tls: TlsConnector,
}

impl std::fmt::Debug for UpstreamPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamPool").finish_non_exhaustive()
    }
}

impl UpstreamPool {
    pub fn new(resolver: Resolver, tls: Arc<rustls::ClientConfig>) -> Self {
        UpstreamPool {
            idle: RefCell::new(FxHashMap::default()),
            addrs: RefCell::new(HashMap::new()),
            resolver,
            tls: TlsConnector::from(tls),
        }
    }

    /// A pooled connection (`true`) or a new one (`false`); `now` is the caller's clock
    /// reading, against which idle connections are aged.
    pub async fn checkout(
        &self,
        origin: &Origin,
        now: Instant,
    ) -> io::Result<(UpstreamConn, bool)> {
        if let Some(conn) = self.take_idle(origin, now) {
            return Ok((conn, true));
        }
        Ok((self.connect(origin).await?, false))
    }

    fn take_idle(&self, origin: &Origin, now: Instant) -> Option<UpstreamConn> {
        let mut idle = self.idle.borrow_mut();
        let list = idle.get_mut(&origin.key)?;
        while let Some(entry) = list.pop() {
            if now.duration_since(entry.since) < IDLE_TIMEOUT {
                return Some(entry.conn);
            }
            // Older entries sit below this one: they are all stale.
            list.clear();
        }
        None
    }

    /// Returns a connection whose last response was read completely (at `now`) and allows
    /// keep-alive.
    pub fn checkin(&self, origin: &Origin, conn: UpstreamConn, now: Instant) {
        let mut idle = self.idle.borrow_mut();
        // The origin's list exists after its first connection: no key copy per request.
        let list = match idle.get_mut(&origin.key) {
            Some(list) => list,
            None => idle.entry(origin.key.clone()).or_default(),
        };
        if list.len() < MAX_IDLE_PER_ORIGIN {
            list.push(Idle { conn, since: now });
        }
    }

    /// Opens a new connection (TCP, then TLS for https origins).
    pub async fn connect(&self, origin: &Origin) -> io::Result<UpstreamConn> {
        match monoio::time::timeout(CONNECT_TIMEOUT, self.connect_inner(origin)).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect to {} timed out", origin.key),
            )),
        }
    }

    async fn connect_inner(&self, origin: &Origin) -> io::Result<UpstreamConn> {
        let addrs = self.addresses(origin).await?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in addrs {
            match TcpStream::connect_addr(addr).await {
                Ok(tcp) => {
                    let _ = tcp.set_nodelay(true);
                    if !origin.tls {
                        return Ok(UpstreamConn::Plain(tcp));
                    }
                    let name = ServerName::try_from(origin.host.clone())
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                    let tls = self
                        .tls
                        .connect(name, tcp)
                        .await
                        .map_err(|e| io::Error::new(io::ErrorKind::ConnectionAborted, e))?;
                    return Ok(UpstreamConn::Tls(Box::new(tls)));
                }
                Err(e) => {
                    self.addrs.borrow_mut().remove(&origin.key);
                    last = e;
                }
            }
        }
        Err(last)
    }

    async fn addresses(&self, origin: &Origin) -> io::Result<Vec<SocketAddr>> {
        if let Some((addrs, at)) = self.addrs.borrow().get(&origin.key) {
            if at.elapsed() < DNS_TTL {
                return Ok(addrs.clone());
            }
        }
        let addrs = self.resolver.resolve(&origin.host, origin.port).await?;
        self.addrs
            .borrow_mut()
            .insert(origin.key.clone(), (addrs.clone(), Instant::now()));
        Ok(addrs)
    }
}
