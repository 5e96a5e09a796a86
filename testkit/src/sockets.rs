//! Open TCP connections as the kernel lists them, to see what a process keeps open.

/// ESTABLISHED TCP connections on this machine with `port` as either end whose other end is
/// not `except` (an introspection connection of the test itself), from /proc/net/tcp{,6}.
pub fn established_to(port: u16, except: &[u16]) -> usize {
    let mut count = 0;
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // Column 3 is the state; 01 is TCP_ESTABLISHED.
            if cols.len() < 4 || cols[3] != "01" {
                continue;
            }
            let port_of = |s: &str| {
                s.rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            let (Some(local), Some(remote)) = (port_of(cols[1]), port_of(cols[2])) else {
                continue;
            };
            let other = if local == port {
                remote
            } else if remote == port {
                local
            } else {
                continue;
            };
            if !except.contains(&other) {
                count += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn counts_both_ends_but_the_excepted_one() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let a = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _b = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _accepted: Vec<_> = (0..2).map(|_| listener.accept().unwrap()).collect();
        // Each connection shows twice, once from each end.
        assert_eq!(established_to(port, &[]), 4);
        let a_port = a.local_addr().unwrap().port();
        assert_eq!(established_to(port, &[a_port]), 2);
    }
}
