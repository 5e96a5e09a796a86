//! HTTPS upstreams: a real nginx terminates TLS in front of the mock provider, with a
//! certificate from a throw-away CA made by openssl; the gateway trusts that CA through
//! SSL_CERT_FILE (read by rustls-native-certs) and refuses the same server without it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{chat_body, Gateway, Mock, Proc, SseEvents, TempDir};
use serde_json::json;

fn nginx_bin() -> PathBuf {
    for candidate in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    panic!("nginx is not installed: run scripts/setup.sh (apt-get install nginx)");
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed (scripts/setup.sh)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for localhost signed by it: (ca.pem, server.pem, server.key).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec![
        "req",
        "-x509",
        "-days",
        "2",
        "-subj",
        "/CN=corelane test CA",
    ];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca);
    let mut csr = vec![
        "req",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ];
    csr.extend(ec);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "ext.cnf",
        ],
    );
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx in the foreground with TLS on `port`, proxying to the mock with upstream keep-alive.
fn start_nginx(dir: &Path, mock: SocketAddr, cert: &Path, key: &Path) -> (Proc, u16) {
    let port = free_port();
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream mock {{ server {mock}; keepalive 16; }}\n\
           server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n\
             location / {{ proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering off; }}\n  }}\n}}\n",
        cert = cert.display(),
        key = key.display(),
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(nginx_bin())
        .arg("-c")
        .arg(&conf_path)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx");
    let proc = Proc::from_child(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (proc, port)
}

fn config(port: u16) -> String {
    format!(
        "model_list:\n  - model_name: tls-group\n    litellm_params:\n      model: openai/tls-model\n      api_base: https://localhost:{port}/v1\n      api_key: sk-tls\n"
    )
}

#[test]
fn https_upstream_through_real_tls_with_a_trusted_ca() {
    let mock = Mock::start();
    let dir = TempDir::new("tls");
    let (ca, cert, key) = certificates(&dir.0);
    let (_nginx, port) = start_nginx(&dir.0, mock.addr, &cert, &key);
    let gw = Gateway::start_env(
        &config(port),
        &["--num_workers", "1"],
        &[("SSL_CERT_FILE", &ca)],
    );

    for _ in 0..3 {
        let resp = gw.post("/v1/chat/completions", &chat_body("tls-group"));
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(resp.json()["model"], "tls-group");
    }
    let seen = mock.last_request();
    assert_eq!(seen["headers"]["authorization"], "Bearer sk-tls");
    assert!(seen["body"].as_str().unwrap().contains("\"tls-model\""));

    let body = json!({"model": "tls-group", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let resp = gw.post("/v1/chat/completions", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let events = SseEvents::split(&resp.body);
    assert_eq!(events.last().map(String::as_str), Some("data: [DONE]"));
    assert!(events.len() > 3, "{events:?}");
    assert!(events[..events.len() - 1]
        .iter()
        .all(|e| e.contains("\"model\":\"tls-group\"")));
}

#[test]
fn https_upstream_with_an_unknown_ca_is_refused() {
    let mock = Mock::start();
    let dir = TempDir::new("tls-untrusted");
    let (_ca, cert, key) = certificates(&dir.0);
    let (_nginx, port) = start_nginx(&dir.0, mock.addr, &cert, &key);
    let empty = dir.write("empty.pem", "");
    let gw = Gateway::start_env(
        &config(port),
        &["--num_workers", "1"],
        &[("SSL_CERT_FILE", &empty)],
    );
    let resp = gw.post("/v1/chat/completions", &chat_body("tls-group"));
    assert_eq!(resp.status, 500, "{}", resp.text());
    let message = resp.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("APIConnectionError"), "{message}");
    assert_eq!(mock.stats().0, 0, "nothing reached the provider");
    gw.assert_healthy();
}
