//! Name resolution off the cores: a side thread answers lookups over channels, since the
//! system resolver blocks and a core's loop must never block.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// Handle to the resolver thread; cheap to clone, shared by every core.
#[derive(Debug, Clone)]
pub struct Resolver {
    queries: flume::Sender<Query>,
}

struct Query {
    host: String,
    port: u16,
    reply: flume::Sender<io::Result<Vec<SocketAddr>>>,
}

impl Resolver {
    /// Starts the resolver thread; it ends when every handle is dropped.
    pub fn start() -> io::Result<Resolver> {
        let (tx, rx) = flume::unbounded::<Query>();
        std::thread::Builder::new()
            .name("corelane-dns".into())
            .spawn(move || {
                while let Ok(q) = rx.recv() {
                    let answer = (q.host.as_str(), q.port)
                        .to_socket_addrs()
                        .map(|a| a.collect::<Vec<_>>());
                    let _ = q.reply.send(answer);
                }
            })?;
        Ok(Resolver { queries: tx })
    }

    /// Addresses of `host:port`; IP literals never leave the core.
    pub async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let (reply, answer) = flume::bounded(1);
        self.queries
            .send(Query {
                host: host.to_owned(),
                port,
                reply,
            })
            .map_err(|_| io::Error::other("resolver thread stopped"))?;
        match answer.recv_async().await {
            Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
            Ok(Ok(_)) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no addresses for {host}"),
            )),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::other("resolver thread stopped")),
        }
    }
}
