//! Shutdown and cancellation against the real binary: SIGTERM under steady new connections,
//! idle keep-alive connections closed at once, streams cut at the end of the grace period
//! with an error event, and clients that leave cancelling their upstream requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{chat_body, eventually, one_model, Gateway, Mock};

fn sigterm(gw: &Gateway) -> Instant {
    let status = Command::new("kill")
        .args(["-TERM", &gw.proc.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    Instant::now()
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// One request on a fresh connection: Some(status) when answered, None when the connection
/// was refused, and Some(0) when it was accepted and then closed without an answer.
/// What [`one_shot`] reports for a connection that got no byte back (reset or closed).
const RESET: u16 = 1;

fn one_shot(addr: std::net::SocketAddr, body: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if s.write_all(head.as_bytes())
        .and_then(|_| s.write_all(body))
        .is_err()
    {
        return Some(RESET);
    }
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    if reply.is_empty() {
        return Some(RESET);
    }
    Some(
        std::str::from_utf8(reply.get(9..12).unwrap_or(b"000"))
            .unwrap()
            .parse()
            .unwrap_or(0),
    )
}

#[test]
fn sigterm_under_steady_new_connections_stops_accepting_and_exits() {
    let mock = Mock::start();
    let mut gw = Gateway::start_with(
        &one_model("g", "m", &mock.base("/delay/50/v1")),
        &["--num_workers", "1", "--shutdown-grace", "5"],
    );
    let addr = gw.addr;
    let body = chat_body("g").to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed, refused, reset) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (stop, ok, failed, refused, reset, body) = (
                stop.clone(),
                ok.clone(),
                failed.clone(),
                refused.clone(),
                reset.clone(),
                body.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match one_shot(addr, body.as_bytes()) {
                        Some(200) => ok.fetch_add(1, Ordering::Relaxed),
                        Some(RESET) => reset.fetch_add(1, Ordering::Relaxed),
                        Some(_) => failed.fetch_add(1, Ordering::Relaxed),
                        None => refused.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1000));
    let before = ok.load(Ordering::Relaxed);
    assert!(before > 20, "only {before} requests before the signal");
    let t0 = sigterm(&gw);
    let exit = gw.proc.wait_exit(Duration::from_secs(6));
    let took = t0.elapsed();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let (ok, failed, refused, reset) = (
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        reset.load(Ordering::Relaxed),
    );
    eprintln!(
        "SIGTERM under 16 clients opening new connections: exit after {took:?}, {ok} ok, {failed} failed, {refused} refused, {reset} reset after the signal"
    );
    let exit = exit.expect("the gateway exits under steady new connections");
    assert!(exit.success(), "{exit:?}\n{}", gw.proc.stderr.text());
    // In-flight requests take 50 ms upstream: exit comes well before the 5 s grace.
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
    assert_eq!(failed, 0, "requests answered with an error");
    // A connection the kernel completes between the last drain of the queue and the close of
    // the listener is reset by that close, before the gateway ever sees it (nginx has the
    // same window); with 16 clients connecting in a loop, a few may land in it. Requests the
    // gateway took are all answered; this bound allows only that window.
    assert!(reset <= 4, "{reset} connections got no answer at all");
}

#[test]
fn sigterm_closes_idle_keep_alive_connections_and_answers_in_flight_with_close() {
    let mock = Mock::start();
    let mut gw = Gateway::start_with(
        &one_model("g", "m", &mock.base("/delay/700/v1")),
        &["--num_workers", "1", "--shutdown-grace", "10"],
    );
    let mut idle: Vec<_> = (0..50)
        .map(|_| {
            let mut c = gw.client();
            let r = c.request("GET", "/health/liveliness", &[], b"");
            assert_eq!(r.status, 200);
            c
        })
        .collect();
    let mut busy = gw.client();
    busy.send(
        "POST",
        "/v1/chat/completions",
        &[],
        chat_body("g").to_string().as_bytes(),
    );
    assert!(eventually(Duration::from_secs(5), || mock.stats().0 == 1));
    let t0 = sigterm(&gw);
    for c in &mut idle {
        assert!(c.closed_within(Duration::from_secs(2)));
    }
    let closed_idle = t0.elapsed();
    let r = busy.read_response();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("connection"), Some("close"));
    let exit = gw.proc.wait_exit(Duration::from_secs(5)).expect("exits");
    let took = t0.elapsed();
    eprintln!(
        "SIGTERM with 50 idle + 1 busy: idle closed after {closed_idle:?}, exit after {took:?}"
    );
    assert!(exit.success());
    assert!(closed_idle < Duration::from_millis(600), "{closed_idle:?}");
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
}

#[test]
fn streams_open_when_the_grace_period_ends_get_an_error_event_and_the_terminator() {
    let mock = Mock::start();
    let mut gw = Gateway::start_with(
        &one_model("g", "m", &mock.base("/slowstream/500/v1")),
        &["--num_workers", "1", "--shutdown-grace", "1"],
    );
    let mut c = gw.client();
    let mut body = chat_body("g");
    body["stream"] = true.into();
    c.send(
        "POST",
        "/v1/chat/completions",
        &[],
        body.to_string().as_bytes(),
    );
    let head = c.read_head();
    assert_eq!(head.status, 200);
    assert!(c.next_chunk().is_some());
    let t0 = sigterm(&gw);
    let mut text = String::new();
    while let Some(chunk) = c.next_chunk() {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let took = t0.elapsed();
    // next_chunk returned None: the terminating chunk arrived.
    assert!(text.contains("data: {\"error\""), "{text}");
    assert!(text.contains("shutting down"), "{text}");
    assert!(
        took > Duration::from_millis(900) && took < Duration::from_secs(2),
        "{took:?}"
    );
    let exit = gw.proc.wait_exit(Duration::from_secs(3)).expect("exits");
    assert!(exit.success());
}

#[test]
fn clients_that_leave_cancel_their_upstream_requests() {
    let mock = Mock::start();
    let gw = Gateway::start(&one_model("g", "m", &mock.base("/delay/60000/v1")));
    let pid = gw.proc.pid();
    gw.assert_healthy();
    let fds = open_fds(pid);
    const N: usize = 1000;
    let body = chat_body("g").to_string();
    let clients: Vec<TcpStream> = (0..N)
        .map(|_| {
            let mut s = TcpStream::connect(gw.addr).unwrap();
            let head = format!(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    // Both ends of each gateway -> mock connection are on this machine.
    assert!(
        eventually(Duration::from_secs(10), || mock.open_connections() == 2 * N),
        "{} upstream connection ends",
        mock.open_connections()
    );
    drop(clients);
    let released = eventually(Duration::from_secs(5), || {
        mock.open_connections() == 0 && open_fds(pid) <= fds
    });
    eprintln!(
        "{N} abandoned requests: {} upstream connections and {} descriptors over the baseline left",
        mock.open_connections(),
        open_fds(pid).saturating_sub(fds)
    );
    assert!(released);
    gw.assert_healthy();
}

#[test]
fn a_pipelined_request_read_while_waiting_is_still_served() {
    let mock = Mock::start();
    let gw = Gateway::start(&one_model("g", "m", &mock.base("/delay/300/v1")));
    let mut c = gw.client();
    let body = chat_body("g").to_string();
    c.send("POST", "/v1/chat/completions", &[], body.as_bytes());
    assert!(eventually(Duration::from_secs(5), || mock.stats().0 == 1));
    // The second request arrives while the first waits on its upstream.
    c.send("GET", "/health/liveliness", &[], b"");
    let first = c.read_response();
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["model"], "g");
    let second = c.read_response();
    assert_eq!(second.status, 200, "{}", second.text());
}

#[test]
fn connections_queued_when_sigterm_arrives_are_served_not_reset() {
    let mock = Mock::start();
    let mut gw = Gateway::start(&one_model("g", "m", &mock.base("/v1")));
    gw.assert_healthy();
    let pid = gw.proc.pid().to_string();
    let signal = |sig: &str| {
        assert!(Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success())
    };
    // Stopped, the gateway cannot accept: the kernel queues the connections.
    signal("-STOP");
    let body = chat_body("g").to_string();
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let mut s = TcpStream::connect(gw.addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let head = format!(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    signal("-TERM");
    signal("-CONT");
    let mut answered = 0;
    for mut s in clients {
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        if reply.starts_with(b"HTTP/1.1 200 ") {
            answered += 1;
        }
    }
    assert_eq!(answered, 20, "queued connections reset at shutdown");
    let exit = gw.proc.wait_exit(Duration::from_secs(5)).expect("exits");
    assert!(exit.success());
}

#[test]
fn a_client_that_leaves_gets_no_answer_and_its_connection_closes() {
    let mock = Mock::start();
    let gw = Gateway::start(&one_model("g", "m", &mock.base("/delay/2000/v1")));
    let body = chat_body("g").to_string();
    let mut s = TcpStream::connect(gw.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    assert!(eventually(Duration::from_secs(5), || mock.stats().0 == 1));
    // Half-closing is how a client that gave up looks from here.
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let t0 = Instant::now();
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    assert!(reply.is_empty(), "{}", String::from_utf8_lossy(&reply));
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    gw.assert_healthy();
}
