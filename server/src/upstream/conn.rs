//! One upstream connection, plain TCP or TLS, behind one read/write surface.

use std::io;

use monoio::io::AsyncWriteRent;
use monoio::net::TcpStream;
use monoio_rustls::ClientTlsStream;

use crate::io::{read_more, write_from};

/// A connection to an upstream origin.
pub enum UpstreamConn {
    Plain(TcpStream),
    Tls(Box<ClientTlsStream<TcpStream>>),
}

impl std::fmt::Debug for UpstreamConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UpstreamConn::Plain(_) => "UpstreamConn::Plain",
            UpstreamConn::Tls(_) => "UpstreamConn::Tls",
        })
    }
}

impl UpstreamConn {
    pub async fn read_more(&mut self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        match self {
            UpstreamConn::Plain(s) => read_more(s, buf).await,
            UpstreamConn::Tls(s) => read_more(s.as_mut(), buf).await,
        }
    }

    /// Writes `buf[start..]`, giving the whole buffer back (for a retry).
    pub async fn write_from(&mut self, buf: Vec<u8>, start: usize) -> (io::Result<()>, Vec<u8>) {
        match self {
            UpstreamConn::Plain(s) => write_from(s, buf, start).await,
            UpstreamConn::Tls(s) => {
                let (res, buf) = write_from(s.as_mut(), buf, start).await;
                if res.is_err() {
                    return (res, buf);
                }
                (s.flush().await, buf)
            }
        }
    }
}
