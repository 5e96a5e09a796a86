//! A throwaway Postgres server for one test: a fresh cluster (`initdb`) in a temp dir,
//! listening on 127.0.0.1 at a free port with trust auth, stopped (fast shutdown, by its
//! PID) on drop.
//!
//! Binaries come from `$PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`, else `PATH`;
//! when none is found the test fails and says how to install them (`scripts/setup.sh`).
//! Postgres refuses to run as root, so under root the server runs as the `postgres` user.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;

/// How long a server may take to accept connections after it is started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a fast shutdown may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The line Postgres logs once it accepts connections.
const READY_LINE: &str = "database system is ready to accept connections";
/// How many ports a new server tries before the test fails.
const PORT_ATTEMPTS: usize = 3;
/// The superuser `initdb` creates (trust auth, no password).
pub const SUPERUSER: &str = "postgres";

/// A Postgres server of one test's own. Each test database is one [`create_database`] call.
///
/// [`create_database`]: PgServer::create_database
#[derive(Debug)]
pub struct PgServer {
    bin: PathBuf,
    /// Holds `data/` (the cluster), the Unix socket and `postgres.log`.
    dir: TempDir,
    port: u16,
    owner: Option<(u32, u32)>,
    child: Option<Child>,
    /// Which start of the server the log is at, so a restart waits for its own ready line.
    starts: usize,
}

impl PgServer {
    /// Creates a cluster and starts it; panics with the server log if it does not come up.
    pub fn start() -> PgServer {
        let bin = bin_dir();
        let dir = TempDir::new("pg");
        let owner = server_owner();
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir.0, Some(uid), Some(gid))
                .expect("give the test's temp dir to the postgres user");
        }
        let mut server = PgServer {
            bin,
            dir,
            port: 0,
            owner,
            child: None,
            starts: 0,
        };
        let initdb = server
            .command("initdb")
            .args(["-D", "data", "-A", "trust", "-U", SUPERUSER, "-E", "UTF8"])
            .args(["--no-locale", "--no-sync", "--no-instructions"])
            .output()
            .expect("run initdb");
        assert!(
            initdb.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&initdb.stdout),
            String::from_utf8_lossy(&initdb.stderr)
        );
        // The port is free when picked but another process may take it before the server
        // binds it: then a new one is tried.
        let mut failure = String::new();
        for _ in 0..PORT_ATTEMPTS {
            server.port = free_port();
            match server.launch() {
                Ok(()) => return server,
                Err(log) => failure = log,
            }
        }
        panic!("postgres did not start:\n{failure}");
    }

    /// `postgresql://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The URL of database `db` on this server.
    pub fn url_for(&self, db: &str) -> String {
        format!("postgresql://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates database `name` (an identifier; quoted) and answers its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url_for(name)
    }

    /// Runs `sql` with `psql` in database `db` (stopping at the first error) and answers its
    /// unaligned, tuples-only output; panics with psql's message when it fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &port, "-U", SUPERUSER, "-d", db])
            .args(["-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql failed on {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    /// Stops the server (fast shutdown: sessions are ended, then the postmaster exits). The
    /// data stays; [`start_again`](PgServer::start_again) brings it back on the same port.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the (stopped) server on its port and waits until it accepts connections.
    pub fn start_again(&mut self) {
        if let Err(log) = self.launch() {
            panic!("postgres did not start again on port {}:\n{log}", self.port);
        }
    }

    /// Starts the server unless it runs; on failure answers its log.
    fn launch(&mut self) -> Result<(), String> {
        if self.child.is_some() {
            return Ok(());
        }
        let log_path = self.dir.0.join("postgres.log");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("open the postgres log");
        if let Some((uid, gid)) = self.owner {
            let _ = std::os::unix::fs::chown(&log_path, Some(uid), Some(gid));
        }
        let socket_dir = self.dir.0.display().to_string();
        let port = self.port.to_string();
        let child = self
            .command("postgres")
            .args(["-D", "data", "-p", &port, "-k", &socket_dir])
            .args(["-c", "listen_addresses=127.0.0.1"])
            // A test's database need not survive a crash of the machine.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "shared_buffers=16MB"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        self.starts += 1;
        self.wait_ready(&log_path)
    }

    /// Waits for this start's ready line in the log; on failure stops and answers the log.
    fn wait_ready(&mut self, log_path: &Path) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let log = std::fs::read_to_string(log_path).unwrap_or_default();
            if log.matches(READY_LINE).count() >= self.starts {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .is_none_or(|c| matches!(c.try_wait(), Ok(Some(_))));
            if exited || Instant::now() >= deadline {
                self.stop();
                self.starts -= 1;
                return Err(log);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A command for one of the server binaries, in the temp dir, as the server's owner.
    fn command(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(name));
        cmd.current_dir(&self.dir.0);
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The directory holding `initdb`, `postgres` and `psql`; panics saying how to get them.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "the Postgres tests need the server binaries (initdb, postgres, psql): none in $PG_BIN, \
             /usr/lib/postgresql/*/bin or PATH. Run scripts/setup.sh (Debian: apt-get install postgresql) \
             or set PG_BIN to their directory."
        )
    })
}

/// The uid and gid the server runs as: the `postgres` user's when the tests run as root
/// (Postgres refuses root), else none (the current user).
fn server_owner() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self belongs to the process's effective user.
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
    if uid != 0 {
        return None;
    }
    let uid = id(&["-u", SUPERUSER]);
    let gid = id(&["-g", SUPERUSER]);
    assert!(
        uid != 0,
        "the Postgres tests run as root, so they need a `{SUPERUSER}` user to run the server as \
         (Debian's postgresql package creates it)"
    );
    Some((uid, gid))
}

/// `id <args>` as a number; 0 when it fails (so a missing user reads as root, refused above).
fn id(args: &[&str]) -> u32 {
    Command::new("id")
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// A port nothing listens on now (the OS picks it; the server binds it right after).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("its address").port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_starts_answers_restarts_and_stops() {
        let started = Instant::now();
        let mut pg = PgServer::start();
        eprintln!("postgres ready in {:?}", started.elapsed());
        let url = pg.create_database("t1");
        assert!(url.ends_with("/t1"), "{url}");
        assert_eq!(pg.psql("t1", "SELECT 1 + 1"), "2");
        pg.stop();
        assert!(std::net::TcpStream::connect(("127.0.0.1", pg.port())).is_err());
        pg.start_again();
        assert_eq!(pg.psql("t1", "SELECT current_database()"), "t1");
        let dir = pg.dir.0.clone();
        drop(pg);
        assert!(!dir.exists());
    }
}
